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
        "80020000013a000000008000000000000123005a0023000b000304720000000600800043001000030010"
        "00206ed0358f2cecf002a4a12311f94f5f3f8be6e3d6a5c3d9dfa3bd2804953b453f002086999f08e64a"
        "2dda4c206c1b99b2a2f69f96e113053de39145cae78b27b1fe890037000000000020e3b0c44298fc1c14"
        "9afbf4c8996fb92427ae41e4649b934ca495991b7852b855010010000440000001000440000001000000"
        "205da041bac0ee3135aebb0cadfba497c6a1877fae832dd3d1f8f7a871b825e8548021400000010040a1"
        "cf78da166dfb414d4b8342977b0ad12d115a1f410d20345db044eeffced6fd1dea413d6620fe3d306a25"
        "fc7b48df78cf931aa2f7967a3534d371aad3d49e120022000b7072753c83809c7fd6803867b4e3cf3006"
        "9ec28baa012d39ca0c0b1952272ca20000010000"),
    ("Create",
        "8002000001ca00000000000001b7007e0020a336b2baaa7577318ad976b49ec2e8900fe8c1346af68f39"
        "42d52210c63428d300106166037b7d464521f78af64fec9c4355bf61c591988b2feacd31a67bb6297b86"
        "0ced8665853cb8c69507770a52f79ce0f98937e78160ab20f08da82dc3dc3266c6ee7c152c8ff91b26b4"
        "837b0cdac3987b5a0b013de6a329925000560023000b00040472000000100010000300100020eb70bbb7"
        "b6dcafd5a296124fb442ebc32db2b2ac1aeb40032c8980c7e10be3f30020fda5504c6ea98ca1cf1fd432"
        "fa8e9e72b404865cc2a0f2fa2d7ad7ee1922e3b70073000000000020e3b0c44298fc1c149afbf4c8996f"
        "b92427ae41e4649b934ca495991b7852b85501000b0022000b7072753c83809c7fd6803867b4e3cf3006"
        "9ec28baa012d39ca0c0b1952272ca20022000b866ef171053ed1b767c1bfcc9680e578235283fcb5f436"
        "cce215cd1983b4775400000020b6b1bccfe793289cec316075866db71d1f498a1ca08bc6efca3085ab2a"
        "744e248021400000010040ece6f6b94ea665ceaa933720bf092981a2853eeade7a169c86ce1af6dcc4d2"
        "101da4a555d9924886da96ba945b9b97198a72563d37bcea8aa8b2d201bbe3e8ca0000010000"),
    ("Load",
        "80020000003b0000000080000001000000240022000b8c3881316a4b85dcc40118c9bafef1c766cf2e5d"
        "45f3c7c5a95338cecda74edf0000010000"),
    ("Sign",
        "80020000005b00000000000000480018000b00200bfce1dc2632f49418ab78380a3f88363cfeac026a04"
        "900daf1e8239f97801020020fb3a02597cefa588385dabd05173efe2aed83c0331a9d9fdbb2e470b3a2f"
        "08ec0000010000"),
    ("FlushContext",
        "80010000000a00000000"),
    ("Load",
        "80010000000a000001d5"),
    ("Load",
        "80010000000a000001d5"),
    ("GetRandom",
        "80010000002c000000000020f222bb92b0e58f046e05e38b4200aba2e9c4f40777537ee90d7068325d77"
        "ca03"),
    ("GetRandom",
        "80010000002c000000000020d2f060634e1e6b844b25a3c80d3f3e0a38449fd5f8cece24a2318211f24a"
        "bc31"),
    ("GetRandom",
        "80010000002c00000000002045c5b334fafd00f01d5544d4027f8817fd0df9aca2f2bbb84c82ca0a1944"
        "f542"),
    ("GetRandom",
        "8001000000100000000000043e4e65aa"),
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
        "8002000000930000000000000080007e00204596d6ac169fecfbd447468416c46af2d3d1e21c3b29a0bc"
        "205a401cd56655e9001089b945dc7d4c6440613a24f7bc8d7c9ca6b8b5222106f42eb9600c2bf8213e9b"
        "10f9a7e8a138754b14d484e84b98da4aa952806206f029a32236ff5d73928955fc94e0a8718fac4983a4"
        "32ed0eec35fb2b875b26d7b42399c9b90000010000"),
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
