#!/usr/bin/env python3
"""Seeds for fuzz_session_file: every session of the conformance suite, each also cut short
and with one value of the wrong type, plus a few documents that must be refused (nesting,
duplicate keys, unknown matcher). Usage: fuzz_session_file.py OUTDIR (prints nothing)."""
import glob
import json
import os
import sys

out = sys.argv[1]
root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
seeds = []
for path in sorted(glob.glob(os.path.join(root, "conformance", "sessions", "**", "*.json"),
                         recursive=True)):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) > 16384:
        continue
    seeds.append(data)
    seeds.append(data[: len(data) // 2])
    doc = json.loads(data)
    if isinstance(doc.get("steps"), list) and doc["steps"]:
        doc["steps"][0]["expect"] = {"status": 7}
        seeds.append(json.dumps(doc).encode())
seeds += [
    b"[" * 100 + b"]" * 100,
    b'{"name":"a","name":"b","steps":[]}',
    b'{"name":"m","steps":[{"op":"Ping","expect":{"fields":{"x":{"nope":1}}}}]}',
    b'{"name":"v","steps":[{"op":"PsaGenerateRandom","body":{"size":"${n}"}}]}',
    b'{"name":"r","steps":[{"raw":"10a7c05e1e00"}]}',
    b'{"name":"t","kind":"tpm","steps":[{"command":"8001","response":"8001"}]}',
]
for i, s in enumerate(seeds):
    with open(os.path.join(out, "seed%03d.json" % i), "wb") as f:
        f.write(s)
