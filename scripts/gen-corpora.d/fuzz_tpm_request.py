#!/usr/bin/env python3
"""Seeds for fuzz_tpm_request: sessions of request frames for the TPM provider (wire id 3),
each frame prefixed by its u16 little-endian length (fuzz/fuzz_tpm_request.c).

One session per operation family the provider serves (generate/sign/verify/export/destroy,
RSA encrypt/decrypt, random and hashes, public and private import, CanDoCrypto, ListOpcodes),
policy refusals, and a few damaged frames. Protobuf field numbers follow engine/proto.
"""
import os
import struct
import sys

MAGIC = 0x5EC0A710
TPM = 3


def varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | 0x80 if v else b)
        if not v:
            return bytes(out)


def fv(num, val):
    return b"" if val == 0 else varint(num << 3) + varint(val)


def fb(num, data):
    if isinstance(data, str):
        data = data.encode()
    return varint(num << 3 | 2) + varint(len(data)) + data


SHA_256, SHA_384 = 7, 8


def sig_ecdsa(h=SHA_256):
    return fb(4, fb(1, fv(2, h)))


def sig_pkcs1(h=SHA_256):
    return fb(1, fb(1, fv(2, h)))


def sig_pss(h=SHA_256):
    return fb(3, fb(1, fv(2, h)))


ENC_PKCS1 = fb(1, b"")
ENC_OAEP = fb(2, fv(1, SHA_256))


def usage(export=0, encrypt=0, decrypt=0, sign_hash=0, verify_hash=0, sign_msg=0, verify_msg=0):
    return (fv(1, export) + fv(4, encrypt) + fv(5, decrypt) + fv(6, sign_msg) + fv(7, verify_msg) +
            fv(8, sign_hash) + fv(9, verify_hash))


def attrs(key_type, bits, use, alg):
    return fb(1, key_type) + fv(2, bits) + fb(3, fb(1, use) + fb(2, alg))


ECC_PAIR, ECC_PUB = fb(11, fv(1, 2)), fb(12, fv(1, 2))
RSA_PAIR = fb(10, b"")
SIGNER = usage(sign_hash=1, verify_hash=1, sign_msg=1, verify_msg=1)
P256 = attrs(ECC_PAIR, 256, SIGNER, fb(6, sig_ecdsa()))
P384 = attrs(ECC_PAIR, 384, SIGNER, fb(6, sig_ecdsa(SHA_384)))
RSA_SIGN = attrs(RSA_PAIR, 2048, SIGNER, fb(6, sig_pss()))
RSA_OAEP = attrs(RSA_PAIR, 2048, usage(encrypt=1, decrypt=1), fb(7, ENC_OAEP))
VERIFY_ONLY = attrs(ECC_PAIR, 256, usage(verify_hash=1), fb(6, sig_ecdsa()))
P256_G = bytes.fromhex(
    "046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
    "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5")
P256_PRIV = bytes(range(1, 33))
CORE = {1, 8, 9, 14, 26}


def frame(opcode, body, app="app1", provider=None):
    if provider is None:
        provider = 0 if opcode in CORE else TPM
    auth = app.encode()
    hdr = struct.pack("<IHBBHBQBBBIHIHBB", MAGIC, 30, 1, 0, 0, provider, 0, 0, 0,
                      1 if auth else 0, len(body), len(auth), opcode, 0, 0, 0)
    return hdr + body + auth


def session(*frames):
    return b"".join(struct.pack("<H", len(f)) + f for f in frames)


H32 = b"\x5a" * 32
SESSIONS = {
    "ecc-lifecycle": session(
        frame(2, fb(1, "k") + fb(2, P256)),
        frame(7, fb(1, "k")),
        frame(4, fb(1, "k") + fb(2, sig_ecdsa()) + fb(3, H32)),
        frame(5, fb(1, "k") + fb(2, sig_ecdsa()) + fb(3, H32) + fb(4, b"\x01" * 64)),
        frame(24, fb(1, "k") + fb(2, sig_ecdsa()) + fb(3, b"message")),
        frame(25, fb(1, "k") + fb(2, sig_ecdsa()) + fb(3, b"message") + fb(4, b"\x01" * 64)),
        frame(26, b""),
        frame(3, fb(1, "k"))),
    "p384": session(
        frame(2, fb(1, "k384") + fb(2, P384)),
        frame(4, fb(1, "k384") + fb(2, sig_ecdsa(SHA_384)) + fb(3, b"\x11" * 48))),
    "rsa-sign": session(
        frame(2, fb(1, "r") + fb(2, RSA_SIGN)),
        frame(4, fb(1, "r") + fb(2, sig_pss()) + fb(3, H32)),
        frame(7, fb(1, "r"))),
    "rsa-oaep": session(
        frame(2, fb(1, "e") + fb(2, RSA_OAEP)),
        frame(10, fb(1, "e") + fb(2, ENC_OAEP) + fb(3, b"hello")),
        frame(11, fb(1, "e") + fb(2, ENC_OAEP) + fb(3, b"\x00" * 256)),
        frame(11, fb(1, "e") + fb(2, ENC_OAEP) + fb(3, b"\x00" * 256) + fb(4, b"label\x00"))),
    "keyless": session(
        frame(13, fv(1, 32)),
        frame(13, fv(1, 1000)),
        frame(15, fv(1, SHA_256) + fb(2, b"abc")),
        frame(15, fv(1, SHA_384) + fb(2, b"x" * 1500)),
        frame(16, fv(1, SHA_256) + fb(2, b"abc") + fb(3, bytes.fromhex(
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")))),
    "import": session(
        frame(6, fb(1, "pub") + fb(2, attrs(ECC_PUB, 256, usage(verify_hash=1),
                                          fb(6, sig_ecdsa()))) + fb(3, P256_G)),
        frame(5, fb(1, "pub") + fb(2, sig_ecdsa()) + fb(3, H32) + fb(4, b"\x01" * 64)),
        frame(6, fb(1, "priv") + fb(2, P256) + fb(3, P256_PRIV)),
        frame(4, fb(1, "priv") + fb(2, sig_ecdsa()) + fb(3, H32))),
    "policy": session(
        frame(2, fb(1, "v") + fb(2, VERIFY_ONLY)),
        frame(4, fb(1, "v") + fb(2, sig_ecdsa()) + fb(3, H32)),
        frame(4, fb(1, "v") + fb(2, sig_ecdsa(SHA_384)) + fb(3, b"\x00" * 48)),
        frame(4, fb(1, "v") + fb(2, sig_ecdsa()) + fb(3, H32), app="bob"),
        frame(12, fb(1, "v"))),
    "discovery": session(
        frame(9, fv(1, TPM)),
        frame(8, b""),
        frame(32, fv(1, 2) + fb(2, P256)),
        frame(32, fv(1, 1) + fb(2, RSA_OAEP))),
    "damaged": session(
        frame(2, fb(1, "k") + fb(2, P256))[:50],
        frame(4, fb(1, "k") + fb(2, b"\xff" * 4) + fb(3, H32)),
        frame(13, fv(1, 1 << 40))),
}


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, data in SESSIONS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
