#!/usr/bin/env python3
"""Seeds for fuzz_tpm_response: scripts of TPM responses ([u16 big-endian length][response]).

The base conversation is what a real TPM (libtpms, through the provider's recording TCTI)
answered to the exact command sequence fuzz_tpm_response.c sends; variants stop early (the
lost-TPM path), turn each answer into a TPM error, a RETRY warning or a short frame, and drop
or duplicate answers so later commands get the wrong reply.
"""
import os
import struct
import sys

# (command, response hex) in the order the provider sends the commands.
CONVERSATION = [
    ("Startup",
        "80010000000a00000100"),
    ("GetCapability",
        "80010000001300000000000000000100000000"),
    ("CreatePrimary",
        "80020000013a000000008000000000000123005a0023000b000300720000000600800043001000030010"
        "00204f6ddc37109bfd19e4eacb481bee1667c15366726b82d084e0a9eda11033bc5400206f564722f509"
        "f9b72ed2f7f3138ff876be7aa920a5b49ae6f965451f98defc4a0037000000000020e3b0c44298fc1c14"
        "9afbf4c8996fb92427ae41e4649b934ca495991b7852b855010010000440000001000440000001000000"
        "205da041bac0ee3135aebb0cadfba497c6a1877fae832dd3d1f8f7a871b825e85480214000000100401d"
        "19a7129f42440d963bd3737434fd9f7f0befe38b77058a0551d68545965ae6a377bb0a6315d49f31fdbc"
        "f650086b44374617d6e31a521f9c508ee941344b880022000bae53f79496c9f32cf3eb40590d28c03c7f"
        "90467337f3705f1739868a64b08b380000010000"),
    ("Create",
        "80010000000a00000922"),
    ("Create",
        "8002000001ca00000000000001b7007e002009c1d74cca113a0083b287c491b63aa2ab6387ef058fabfc"
        "96e167b73f7ccef8001063967858e827bb7ea3fc65cb3e2d7adeebf40a24eabcfc67e354d1defb051a19"
        "5db428888e182c8024d9dc93eb087f26129969a60095ea7273195dce01ee51e222c4bc2df357745cf31a"
        "2c50b9c79cf4a437a0ea268c2bed4d7800560023000b0004007200000010001000030010002041c6b6ee"
        "429fd9fba75bf25301bb8a2e99f2e3f8a699a3f5012b53eb7e6e755b0020002bd4ad3d81964129a9ef64"
        "51cefd72459c1d8756182aa3dd30c615b8cd7e4f0073000000000020e3b0c44298fc1c149afbf4c8996f"
        "b92427ae41e4649b934ca495991b7852b85501000b0022000bae53f79496c9f32cf3eb40590d28c03c7f"
        "90467337f3705f1739868a64b08b380022000be32d2ed506d8861e5e714a85d865463d2cd1a00417c594"
        "30a323abb973e83fef000000201aa68f520a0e96c601bda6d105b69064e993fd07ebd0756fda05076761"
        "746ab38021400000010040824f53f873a53e3ca77eaa81c0168cc17dfbbd8d1afe23a593bdc969bbb916"
        "76789403a861d8bce0aab87b8d43211752cc32d8240102cf13663aafd44ea0a1660000010000"),
    ("Load",
        "80020000003b0000000080000001000000240022000b93751a21ca8eae4b9635303456519700d65106ed"
        "821e87d0f4fe538f97dea8f20000010000"),
    ("Sign",
        "80020000005b00000000000000480018000b0020f9fbe9b9e38b6db22c66a1f00fafbb6438ffe989f547"
        "92504fb1efb7f22c74110020e78709a5643070704bb1ae5f7d01cac54f759b916a8add5af2074739f6d4"
        "edf70000010000"),
    ("FlushContext",
        "80010000000a00000000"),
    ("Load",
        "80010000000a000001d5"),
    ("Load",
        "80010000000a000001d5"),
    ("GetRandom",
        "80010000002c000000000020cb4ef48e2d49745d73b479563a7b575c49f329d35ad849da6d44a974ce7f"
        "d674"),
    ("GetRandom",
        "80010000002c000000000020f7c885666a3e3df201b3dc10f79faf425e77f3ff42277b3bbbf18e6dd99e"
        "f62e"),
    ("GetRandom",
        "80010000002c000000000020729d89ac89601b004ad54b06c3a8e89e70101aa8a5d76069e7ca653261b3"
        "1394"),
    ("GetRandom",
        "800100000010000000000004f9e4059b"),
    ("HashSequenceStart",
        "80010000000e0000000080000001"),
    ("SequenceUpdate",
        "80020000001300000000000000000000010000"),
    ("SequenceUpdate",
        "80020000001300000000000000000000010000"),
    ("SequenceComplete",
        "80020000003d000000000000002a0020dde7dfe6ce1a5694ecdbaae8750ac2b8683d98bad8caca7ab20b"
        "fd8f595e6d3080244000000700000000010000"),
    ("Hash",
        "8001000000440000000000303ad20489f9ee64a0d0894dfbf79b5300003521e8a3938d581a3eb0dd6905"
        "4435313286ee641e4b424ee554ef02ea47d78024400000070000"),
    ("Import",
        "8002000000930000000000000080007e00200c5fe35466cf67ac531ceb07d5ca2d45601781db6a8dde0e"
        "b6ecd991e28c789d0010a29a703b06be30329b2b007518cc955896abd6c5c3806901fedd1d98db74854f"
        "416f7167f45abe65d45515f1a325fab04964aeed2f25046a249c375aff2119524a0bc4e52b8c4009c792"
        "c0a6763a9ebf6eae3b21eaadb01d52d50000010000"),
    ("FlushContext",
        "80010000000a00000000"),
]

RESPONSES = [bytes.fromhex(r) for _, r in CONVERSATION]


def script(resps):
    return b"".join(struct.pack(">H", len(r)) + r for r in resps)


def with_rc(resp, rc):
    """The same answer turned into a bare error response (tag NO_SESSIONS, size 10, rc)."""
    return struct.pack(">HII", 0x8001, 10, rc)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    seeds = {"full": script(RESPONSES), "empty": b""}
    for i in range(len(RESPONSES)):
        seeds["stop-%02d" % i] = script(RESPONSES[:i])
        for name, rc in (("bad-auth", 0x9A2), ("retry", 0x922), ("object-memory", 0x902),
                         ("failure", 0x101), ("initialize", 0x100)):
            r = list(RESPONSES)
            r[i] = with_rc(r[i], rc)
            seeds["%02d-%s" % (i, name)] = script(r)
        r = list(RESPONSES)
        r[i] = r[i][: max(0, len(r[i]) // 2)]
        seeds["%02d-short" % i] = script(r)
        seeds["%02d-dropped" % i] = script(RESPONSES[:i] + RESPONSES[i + 1:])
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
