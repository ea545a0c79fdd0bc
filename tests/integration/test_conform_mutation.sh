#!/usr/bin/env bash
# Mutation check: the suite run against deliberately broken answers (wrong status, flipped
# signature byte, missing field) must fail, naming the session and the step that was broken;
# the unbroken run passes, and the JUnit/JSON/HTML reports carry the failure.
. "$(dirname "$0")/lib.sh"
PCONF="$PSH_BUILD/conformance/psh-conform"
S="$PSH_SRC/conformance/sessions"
[ -x "$PCONF" ] || { echo "psh-conform not built"; exit 1; }

# mutate SPEC SESSION 'step N "name"'
mutate() {
  local spec=$1 session=$2 step=$3 out rc
  out=$("$PCONF" run -q --mutate "$spec" --target builtin:soft "$S/$session.json" 2>&1); rc=$?
  check_eq "$spec: exit status 1" "$rc" "1"
  check_contains "$spec: names the step" "$out" "FAIL $session[soft] @ builtin:soft: $step"
}

out=$("$PCONF" run -q --target builtin:soft "$S/keys-ecc-lifecycle.json" "$S/hash.json" "$S/random.json" 2>&1)
check_eq "unbroken run passes" "$?" "0"
check_contains "unbroken run summary" "$out" "total: 3 passed, 0 failed"

mutate status:PsaVerifyHash:Success keys-ecc-lifecycle 'step 7 "verify other hash fails": wrong status'
mutate flip:PsaSignHash keys-ecc-lifecycle 'step 5 "signature verifies locally"'
mutate drop:PsaExportPublicKey keys-ecc-lifecycle 'step 3 "export public key": field data'
mutate status:PsaHashCompare:Success hash 'step 4 "compare mismatch": wrong status'
mutate flip:PsaHashCompute hash 'step 1 "SHA-256 of abc": field hash'
mutate flip:PsaAsymmetricEncrypt keys-rsa-encrypt 'step 4 "decrypts back": wrong status'
mutate drop:PsaGenerateRandom random 'step 1 "32 random bytes": field random_bytes'
mutate status:PsaGenerateKey:PsaErrorGenericError isolation-two-apps 'step 1 "generate shared-name": wrong status'
mutate status:ListClients:Success admin-clients 'step 3 "ListClients as a non-admin": wrong status'
mutate status:ListOpcodes:Success core-list-opcodes 'step 3 "provider id 9 does not exist": wrong status'

# Reports carry the failure with expected and actual values.
"$PCONF" run -q --mutate flip:PsaSignHash --target builtin:soft "$S/keys-ecc-lifecycle.json" \
  --junit "$T/r.xml" --json "$T/r.json" --html "$T/r.html" >/dev/null 2>&1
check "junit written" test -s "$T/r.xml"
check_contains "junit failure" "$(cat "$T/r.xml")" '<failure message="step 5 signature verifies locally'
check_contains "json outcome" "$(cat "$T/r.json")" '"outcome": "fail"'
check_contains "json step" "$(cat "$T/r.json")" '"step": "signature verifies locally"'
check_contains "html matrix cell" "$(cat "$T/r.html")" '<td class="fail"'
check_contains "html expected/actual" "$(cat "$T/r.html")" 'expected: verification Success'
check "json parses" python3 -c "import json,sys; json.load(open('$T/r.json'))"
check "junit parses" python3 -c "import xml.dom.minidom; xml.dom.minidom.parse('$T/r.xml')"

# A bad session file is refused before anything runs (exit 2, one line naming the problem).
echo '{"name":"bad","steps":[{"op":"PsaSignHash","body":{"no_such_field":1}}]}' > "$T/bad.json"
out=$("$PCONF" run --target builtin:soft "$T/bad.json" 2>&1)
check_eq "invalid session exits 2" "$?" "2"
check_contains "invalid session reason" "$out" 'has no field "no_such_field"'
# Backend (TPM command stream) sessions: a recorded response code that the fresh swtpm does
# not give back fails at that command.
B="$PSH_SRC/conformance/sessions/backend/tpm/ecc-sign.json"
if [ -x "$PSH_SRC/scripts/swtpm" ] && command -v swtpm >/dev/null; then
  out=$("$PCONF" replay-tpm "$B" 2>&1)
  check_eq "backend session replays green" "$?" "0"
  step=$(python3 - "$B" "$T/tpm-mut.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for i, s in enumerate(d["steps"]):
    if int(s["command"][12:20], 16) == 0x15D:  # TPM2_Sign: pretend it failed
        s["response"] = s["response"][:12] + "000001d5"
        print(i + 1)
        break
json.dump(d, open(sys.argv[2], "w"))
PY
)
  out=$("$PCONF" replay-tpm "$T/tpm-mut.json" 2>&1)
  check_eq "broken backend session fails" "$?" "1"
  check_contains "names the TPM command" "$out" "step $step \"$step TPM2_Sign\": response code differs"
  # A field compared exactly after unmarshalling (the signature's hash algorithm).
  step=$(python3 - "$B" "$T/tpm-mut2.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for i, s in enumerate(d["steps"]):
    r = s["response"]
    if int(s["command"][12:20], 16) == 0x15D and r[12:20] == "00000000" and r[28:32] == "0018":
        s["response"] = r[:32] + "000c" + r[36:]  # ECDSA with SHA-384 instead of SHA-256
        print(i + 1)
        break
json.dump(d, open(sys.argv[2], "w"))
PY
)
  out=$("$PCONF" replay-tpm "$T/tpm-mut2.json" 2>&1)
  check_eq "structural difference fails" "$?" "1"
  check_contains "names the field" "$out" "step $step \"$step TPM2_Sign\": response parameter 1 differs"
  check_contains "shows expected and actual" "$out" "expected: signature ECDSA hash 0xc"
fi
# PKCS#11 call traces: a recorded return value and a deterministic output (a digest) that
# the fresh token does not give back fail at that call.
P="$PSH_SRC/conformance/sessions/backend/pkcs11"
if [ -x "$PSH_SRC/scripts/softhsm-token" ] && [ -f "$P/ecc-sign.json" ]; then
  out=$("$PCONF" replay "$P/ecc-sign.json" 2>&1)
  check_eq "pkcs11 trace replays green" "$?" "0"
  step=$(python3 - "$P/ecc-sign.json" "$T/p11-mut.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for i, s in enumerate(d["steps"]):
    if s["fn"] == "C_Verify" and s["rv"] == 0:
        s["rv"] = 0xC0  # CKR_SIGNATURE_INVALID where the token accepted it
        print(i + 1)
        break
json.dump(d, open(sys.argv[2], "w"))
PY
)
  out=$("$PCONF" replay "$T/p11-mut.json" 2>&1)
  check_eq "broken pkcs11 trace fails" "$?" "1"
  check_contains "names the call" "$out" "step $step \"$step C_Verify\": return value differs"
  step=$(python3 - "$P/random-hash.json" "$T/p11-mut2.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for i, s in enumerate(d["steps"]):
    if s["fn"] == "C_Digest" and s.get("out"):
        s["out"] = "00" + s["out"][2:]
        print(i + 1)
        break
json.dump(d, open(sys.argv[2], "w"))
PY
)
  out=$("$PCONF" replay "$T/p11-mut2.json" 2>&1)
  check_eq "wrong digest fails" "$?" "1"
  check_contains "names the digest" "$out" "step $step \"$step C_Digest\": Digest differs"
fi
finish
