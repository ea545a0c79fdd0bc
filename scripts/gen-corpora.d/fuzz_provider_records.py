#!/usr/bin/env python3
"""Seeds for fuzz_provider_records: well-formed TPM ("PSHT") and PKCS#11 ("P11K") key records
as the providers write them (layouts in tpm_internal.h and p11_internal.h), with the selector
byte in front, and OAEP-shaped encoded messages."""
import os
import struct
import sys

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
seeds = []


def tpm2b(b):
    return struct.pack(">H", len(b)) + b


def ecc_public(curve, size, name_alg=0x000B, sign=True):
    attrs = 0x00040072 if sign else 0x00030072  # fixedTPM|fixedParent|sensitiveDataOrigin|userWithAuth|(sign|restricted+decrypt)
    scheme = struct.pack(">HH", 0x0018, name_alg) if sign else struct.pack(">H", 0x0010)
    sym = struct.pack(">H", 0x0010) if sign else struct.pack(">HHH", 0x0006, 128, 0x0043)
    area = (struct.pack(">HHI", 0x0023, name_alg, attrs) + tpm2b(b"") + sym + scheme +
            struct.pack(">HH", curve, 0x0010) + tpm2b(b"\x11" * size) + tpm2b(b"\x22" * size))
    return tpm2b(area)


def rsa_public(bits):
    area = (struct.pack(">HHI", 0x0001, 0x000B, 0x00040072) + tpm2b(b"") +
            struct.pack(">HHHHI", 0x0010, 0x0014, 0x000B, bits, 0) + tpm2b(b"\xc5" * (bits // 8)))
    return tpm2b(area)


def psht(pub, priv=b""):
    return b"PSHT\x01" + struct.pack(">H", len(pub)) + pub + struct.pack(">H", len(priv)) + priv


priv = tpm2b(b"\x00\x20" + b"\xab" * 32 + b"\x00\x10" + b"\xcd" * 16)
for rec in (psht(ecc_public(0x0003, 32)), psht(ecc_public(0x0003, 32), priv),
            psht(ecc_public(0x0004, 48), priv), psht(rsa_public(2048), priv),
            psht(rsa_public(2048))):
    seeds.append(b"\x00" + rec)


def p11k(key_type, bits, cka_id):
    return b"P11K\x01" + struct.pack("<HIB", key_type, bits, len(cka_id)) + cka_id


for kt, bits in ((0x7112, 256), (0x7112, 384), (0x7001, 2048), (0x7001, 4096), (0x4001, 2048)):
    seeds.append(b"\x01" + p11k(kt, bits, bytes(range(16))))

# EME-OAEP shaped: leading zero, then random-looking seed and data block, per hash.
for h in range(5):
    seeds.append(b"\x02" + bytes([h]) + b"\x00" + bytes((i * 37 + h) & 0xFF for i in range(255)))

for i, s in enumerate(seeds):
    with open(os.path.join(out, "seed-%02d" % i), "wb") as f:
        f.write(s)
