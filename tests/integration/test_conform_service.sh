#!/usr/bin/env bash
# psh-conform against psh-service over its socket: the whole suite passes (or skips with a
# reason); the recorder proxies psh-tool's requests unchanged, writes a session whose
# nondeterministic outputs are matchers and captures, and that session replays green against
# the same service and against the in-process soft engine.
. "$(dirname "$0")/lib.sh"
PCONF="$PSH_BUILD/conformance/psh-conform"
[ -x "$PCONF" ] || { echo "psh-conform not built"; exit 1; }

write_config Direct
sed -i "s/^timeout = 2000/timeout = 300/" "$CONF" # short-read rows wait for it
start_service || exit 1

out=$("$PCONF" run -q --target "unix:$SOCK" "$PSH_SRC/conformance/sessions" 2>&1)
rc=$?
check_eq "suite over the socket: exit 0" "$rc" "0"
check_contains "suite over the socket: summary" "$out" " 0 failed"
[ "$rc" -eq 0 ] || echo "$out" >&2

# Recorder: psh-tool talks to the proxy, the proxy to the service.
REC="$T/rec.sock"
"$PCONF" record --listen "$REC" --upstream "$SOCK" --out "$T/rec.json" --name recorded-tool \
  2>"$T/rec.log" &
RPID=$!
for _ in $(seq 1 100); do [ -S "$REC" ] && break; sleep 0.05; done
rt() { "$TOOL" --socket "$REC" --auth direct --app "rec-$$" "$@"; }
check "proxied ping" rt ping
check "proxied create" rt create-ecc-key k1
check "proxied export" rt export-public-key k1 --out "$T/k1.pem"
sig=$(rt sign k1 --hash ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad 2>/dev/null | tr -d '[:space:]')
check "proxied sign" test -n "$sig"
check "proxied verify" rt verify k1 --hash ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad --signature "$sig"
check "proxied random" rt generate-random 16
check "proxied list-keys" rt list-keys
check "proxied delete" rt delete-key k1
check_not "proxied error passes through" rt delete-key k1
kill -INT "$RPID"; wait "$RPID"
check "recorder wrote the session" test -s "$T/rec.json"
rec=$(cat "$T/rec.json")
check_contains "signature became a capture" "$rec" '"capture": "sig'
check_contains "verify refers to the capture" "$rec" '"signature": "${sig'
check_contains "random bytes are a matcher" "$rec" '"not_all_equal": true'
check_contains "public key became a capture" "$rec" '"capture": "pub'
check_contains "signature checked locally" "$rec" '"check": "verify_signature"'
check_contains "error status recorded" "$rec" '"status": "PsaErrorDoesNotExist"'
check "recorded session is valid" "$PCONF" check "$T/rec.json"
out=$("$PCONF" run -q --target "unix:$SOCK" --target builtin:soft "$T/rec.json" 2>&1)
check_eq "recorded session replays green" "$?" "0"
check_contains "replayed on both targets" "$out" "total: 2 passed, 0 failed"
[ "$rc" -eq 0 ] || echo "$out" >&2
out=$("$PCONF" run -q --mutate flip:PsaSignHash --target builtin:soft "$T/rec.json" 2>&1)
check_eq "recorded session catches a flipped signature" "$?" "1"
check_contains "at the sign's verify" "$out" "FAIL recorded-tool @ builtin:soft"
finish
