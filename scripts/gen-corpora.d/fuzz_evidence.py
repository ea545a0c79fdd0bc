#!/usr/bin/env python3
"""Seeds for fuzz_evidence (layout in fuzz/fuzz_evidence.c): the attestation vectors in
tests/data/attest/ behind the selector byte for their format, the JSON TPM vectors (4), CBOR
files for the printer/CoRIM/KAT-check path (3), and a TPM2B_PUBLIC EK template (5).
Usage: fuzz_evidence.py OUTDIR (cwd: repository root)."""
import os
import struct
import sys

V = os.path.join("tests", "data", "attest")
out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def seed(name, sel, path=None, data=None):
    if data is None:
        with open(os.path.join(V, path), "rb") as f:
            data = f.read()
    with open(os.path.join(out, name), "wb") as f:
        f.write(bytes([sel]) + data)


TPM = "parsec-tpm"
CCA = "parsec-cca"
for sub in ("veraison-services", "veraison-parsec"):
    for fn in sorted(os.listdir(os.path.join(V, TPM, sub))):
        p = os.path.join(TPM, sub, fn)
        if fn.startswith("evidence") and fn.endswith(".cbor"):
            seed("tpm-%s-%s" % (sub, fn), 0, p)
        elif fn.startswith("evidence") and fn.endswith(".json"):
            seed("tpmjson-%s-%s" % (sub, fn), 4, p)
        elif fn.endswith(".cbor"):
            seed("other-%s-%s" % (sub, fn), 3, p)
for sub in ("veraison-services", "veraison-parsec"):
    for fn in sorted(os.listdir(os.path.join(V, CCA, sub))):
        p = os.path.join(CCA, sub, fn)
        if fn == "evidence.cbor":
            seed("cca-%s" % sub, 1, p)
        elif fn.endswith(".cbor"):
            seed("other-cca-%s-%s" % (sub, fn), 3, p)
seed("kat-evidence", 2, os.path.join("kat", "evidence.cbor"))
seed("other-kat-diag", 3, os.path.join("kat", "evidence.cbor"))

# TCG default EK template (RSA-2048, AES-128-CFB, nameAlg SHA-256) with a dummy modulus.
policy = bytes.fromhex("837197674484B3F81A90CC8D46A5D724FD52D76E06520B64F2A1DA1B331469AA")
mod = bytes([0xC5] + [0x11] * 254 + [0x01])
tpmt = (struct.pack(">HHI", 0x0001, 0x000B, 0x000300B2) + struct.pack(">H", 32) + policy +
        struct.pack(">HHH", 0x0006, 128, 0x0043) + struct.pack(">HHI", 0x0010, 2048, 0) +
        struct.pack(">H", 256) + mod)
seed("ek-template", 5, data=struct.pack(">H", len(tpmt)) + tpmt)
