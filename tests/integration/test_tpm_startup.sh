#!/usr/bin/env bash
# psh-service start-up with the TPM provider: swtpm not reachable, a bad TCTI string and a wrong
# owner hierarchy auth each give one clear line and a non-zero exit; skip_if_no_tpm starts
# without the TPM and serves once it appears; owner auth set with tpm2-tools is honoured (and
# keys do not depend on it: the primary comes from the owner seed and our template).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tpm_lib.sh"

command -v swtpm >/dev/null || { echo "swtpm missing (scripts/setup)"; exit 1; }
swtpm_start || exit 1
alice() { tool --auth direct --app alice "$@"; }
printf 'hello\n' > "$T/msg"

# One-line failure, non-zero exit: start_fails "description" expected-text
start_fails() {
  local out rc
  out=$(timeout 60 "$SERVICE" --config "$CONF" 2>&1); rc=$?
  check_not "$1: exits non-zero" test "$rc" -eq 0
  check_eq "$1: one line" "$(printf '%s\n' "$out" | grep -c .)" "1"
  check_contains "$1: says why" "$out" "$2"
}

# A key made with an empty owner auth.
tpm_write_config
start_service || exit 1
check "create a key" alice create-ecc-key k1
check "export it" alice export-public-key k1 --out "$T/k1.pem"
stop_service

# Wrong owner auth: the owner hierarchy now has a password.
check "tpm2_changeauth sets an owner password" tpm2_changeauth -c owner s3cret
start_fails "wrong owner auth" "owner_hierarchy_auth is wrong"
tpm_write_config "$PSH_TCTI" "str:wrong"
start_fails "another wrong owner auth" "owner_hierarchy_auth is wrong"
tpm_write_config "$PSH_TCTI" "s3cret"
start_service || exit 1
check "with the right owner auth the old key signs" alice sign k1 --file "$T/msg" --der --out "$T/k1.sig"
check "openssl verifies it" openssl dgst -sha256 -verify "$T/k1.pem" -signature "$T/k1.sig" "$T/msg"
stop_service
tpm_write_config "$PSH_TCTI" "hex:$(printf s3cret | od -An -tx1 | tr -d ' \n')"
start_service || exit 1
check "owner auth given as hex: works too" alice sign k1 --file "$T/msg" --der
stop_service

# swtpm not reachable.
port=$SWTPM_PORT
swtpm_stop
tpm_write_config "swtpm:host=127.0.0.1,port=$port" "s3cret"
start_fails "swtpm not reachable" "cannot reach the TPM through tcti \"swtpm:host=127.0.0.1,port=$port\""
tpm_write_config "nosuchtcti:foo" "s3cret"
start_fails "unknown TCTI" "cannot reach the TPM through tcti \"nosuchtcti:foo\""

# skip_if_no_tpm: the service starts; requests fail clearly until the TPM is there.
tpm_write_config "swtpm:host=127.0.0.1,port=$port" "s3cret" "skip_if_no_tpm = true"
start_service || exit 1
check_contains "no TPM yet: CommunicationFailure" "$(alice sign k1 --file "$T/msg" 2>&1)" "PsaErrorCommunicationFailure"
check "swtpm comes up" swtpm_restart
check "then the key signs" alice sign k1 --file "$T/msg" --der --out "$T/k1b.sig"
check "and openssl verifies it" openssl dgst -sha256 -verify "$T/k1.pem" -signature "$T/k1b.sig" "$T/msg"
stop_service

# The recording TCTI (PSH_TPM_RECORD) writes the session the conformance runner replays.
tpm_write_config "$PSH_TCTI" "s3cret"
PSH_TPM_RECORD="$T/rec.json" start_service || exit 1
check "a request while recording" alice generate-random 16
check "swtpm power cycle while recording" swtpm_restart
# swtpm's TCTI reconnects by itself; the provider notices the reset when its primary is gone.
check "a key is used after the power cycle" alice sign k1 --file "$T/msg"
stop_service
check "the reconnect was recorded as a second session" test -s "$T/rec.json.1"
check "the recording is JSON with kind tpm and steps" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["kind"] == "tpm" and len(d["steps"]) > 3
for s in d["steps"]:
    c, r = bytes.fromhex(s["command"]), bytes.fromhex(s["response"])
    assert int.from_bytes(c[2:6], "big") == len(c) and int.from_bytes(r[2:6], "big") == len(r)
assert any(bytes.fromhex(s["command"])[6:10] == bytes.fromhex("0000017b") for s in d["steps"])
' "$T/rec.json"
check "the second session is JSON too" python3 -c 'import json, sys; assert json.load(open(sys.argv[1]))["kind"] == "tpm"' "$T/rec.json.1"
finish
