#!/usr/bin/env python3
"""Seeds for fuzz_pkcs11_request: whole request frames to provider 2 (PKCS#11) with Direct auth
"fuzz", covering every opcode the provider serves. The target pre-creates keys "ec" (P-256,
ECDSA SHA-256), "rsa" (RSA-1024, PKCS#1 v1.5 SHA-256) and "enc" (RSA-1024, OAEP SHA-256), so
seeds that use them reach the token. Writes files into argv[1]; prints nothing.
"""
import os
import struct
import sys


def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def ld(field, payload):  # length-delimited field
    return varint(field << 3 | 2) + varint(len(payload)) + payload


def vi(field, n):  # varint field
    return varint(field << 3) + varint(n)


def frame(opcode, body, provider=2, auth=b"fuzz"):
    hdr = struct.pack("<IHBBHBQBBBIHIHBB", 0x5EC0A710, 30, 1, 0, 0, provider, 0, 0, 0,
                      1 if auth else 0, len(body), len(auth), opcode, 0, 0, 0)
    return hdr + body + auth


SHA256 = 7
sign_hash_ecdsa = ld(4, ld(1, vi(2, SHA256)))          # AsymmetricSignature.ecdsa{specific}
sign_hash_pkcs1 = ld(1, ld(1, vi(2, SHA256)))          # rsa_pkcs1v15_sign
sign_hash_pss = ld(3, ld(1, vi(2, SHA256)))            # rsa_pss
oaep = ld(2, vi(1, SHA256))                            # AsymmetricEncryption.rsa_oaep
pkcs1_crypt = ld(1, b"")                               # rsa_pkcs1v15_crypt


def attrs(key_type, bits, usage_fields, alg):
    usage = b"".join(vi(f, 1) for f in usage_fields)
    return ld(1, key_type) + (vi(2, bits) if bits else b"") + ld(3, ld(1, usage) + ld(2, alg))


ecc_p256 = ld(11, vi(1, 2))
rsa_pair = ld(10, b"")
ecc_pub = ld(12, vi(1, 2))
h32 = bytes(range(32))

seeds = {
    "ping": frame(1, b"", provider=0, auth=b""),
    "list_opcodes_2": frame(9, vi(1, 2), provider=0, auth=b""),
    "generate_ec": frame(2, ld(1, b"k1") + ld(2, attrs(ecc_p256, 256, [8, 9], ld(6, sign_hash_ecdsa)))),
    "generate_ec_export": frame(2, ld(1, b"k2") + ld(2, attrs(ecc_p256, 256, [1, 8], ld(6, sign_hash_ecdsa)))),
    "generate_rsa_pss": frame(2, ld(1, b"k3") + ld(2, attrs(rsa_pair, 1024, [8, 9], ld(6, sign_hash_pss)))),
    "sign_ec": frame(4, ld(1, b"ec") + ld(2, sign_hash_ecdsa) + ld(3, h32)),
    "sign_rsa": frame(4, ld(1, b"rsa") + ld(2, sign_hash_pkcs1) + ld(3, h32)),
    "sign_wrong_alg": frame(4, ld(1, b"rsa") + ld(2, sign_hash_pss) + ld(3, h32)),
    "verify_ec_bad": frame(5, ld(1, b"ec") + ld(2, sign_hash_ecdsa) + ld(3, h32) + ld(4, bytes(64))),
    "verify_rsa_bad": frame(5, ld(1, b"rsa") + ld(2, sign_hash_pkcs1) + ld(3, h32) + ld(4, bytes(128))),
    "export_public_ec": frame(7, ld(1, b"ec")),
    "export_public_rsa": frame(7, ld(1, b"rsa")),
    "export_ec": frame(12, ld(1, b"ec")),
    "encrypt_oaep": frame(10, ld(1, b"enc") + ld(2, oaep) + ld(3, b"hello") + ld(4, b"label")),
    "decrypt_oaep_bad": frame(11, ld(1, b"enc") + ld(2, oaep) + ld(3, bytes(128))),
    "decrypt_pkcs1": frame(11, ld(1, b"enc") + ld(2, pkcs1_crypt) + ld(3, bytes(128))),
    "random": frame(13, vi(1, 48)),
    "hash": frame(15, vi(1, SHA256) + ld(2, b"abc")),
    "hash_compare": frame(16, vi(1, SHA256) + ld(2, b"abc") + ld(3, h32)),
    "destroy": frame(3, ld(1, b"ec")),
    "import_ec_pub": frame(6, ld(1, b"k4") + ld(2, attrs(ecc_pub, 256, [9], ld(6, sign_hash_ecdsa)))
                       + ld(3, b"\x04" + bytes(range(1, 65)))),
    "can_do_generate": frame(32, vi(1, 2) + ld(2, attrs(ecc_p256, 256, [8], ld(6, sign_hash_ecdsa)))),
}


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
