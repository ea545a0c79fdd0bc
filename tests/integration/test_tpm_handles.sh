#!/usr/bin/env bash
# No leaked TPM object handles, seen by tpm2-tools reading swtpm itself: 1,000 requests that
# churn the loaded-key cache (more keys than the TPM has object slots), hash sequences, random
# numbers, key creation and deletion, failed requests. swtpm serves one connection at a time,
# so tpm2_getcap runs while psh-service is stopped: after kill -9 only what the service had
# loaded may remain (the primary and at most 2 cached keys); after a clean stop nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tpm_lib.sh"

command -v swtpm >/dev/null || { echo "swtpm missing (scripts/setup)"; exit 1; }
command -v tpm2_getcap >/dev/null || { echo "tpm2-tools missing (scripts/setup)"; exit 1; }
swtpm_start || exit 1
tpm_write_config
start_service || exit 1
alice() { tool --auth direct --app alice "$@"; }
printf 'message\n' > "$T/msg"
head -c 3000 /dev/urandom > "$T/big"

for i in 1 2 3 4 5; do alice create-ecc-key "k$i" >/dev/null || fail "create k$i"; done
alice create-key enc --type rsa --bits 2048 --alg rsa-oaep-sha256 --usage encrypt,decrypt >/dev/null || fail "create enc"
alice encrypt enc --data 00112233 --out "$T/ct" >/dev/null || fail "encrypt"
requests=0 errors=0
run() { requests=$((requests + 1)); "$@" >/dev/null 2>&1 || errors=$((errors + 1)); }
for i in $(seq 1 125); do
  run alice sign "k$((i % 5 + 1))" --file "$T/msg"
  run alice sign "k$(((i * 3) % 5 + 1))" --file "$T/msg"
  run alice decrypt enc --file "$T/ct"
  run alice hash --alg sha256 --file "$T/big"
  run alice generate-random 64
  run alice create-ecc-key "tmp$i"
  run alice delete-key "tmp$i"
  alice sign missing-key --file "$T/msg" >/dev/null 2>&1 && fail "signing with a missing key succeeded"
  requests=$((requests + 1))
done
check_eq "1,000 requests sent" "$requests" "1000"
check_eq "every request that should succeed did" "$errors" "0"

# Four clients at once on five keys (one ESYS context behind a mutex, two cached handles).
pids=()
for c in 1 2 3 4; do
  ( for i in $(seq 1 20); do
      alice sign "k$(((c + i) % 5 + 1))" --file "$T/msg" --der --out "$T/par$c.sig" >/dev/null 2>&1 || echo x
    done > "$T/par$c.err" ) &
  pids+=($!)
done
wait "${pids[@]}" # not a bare wait: psh-service is a background job of this shell too
check_eq "80 concurrent signatures, no failure" "$(cat "$T"/par*.err | wc -l)" "0"
alice export-public-key k5 --out "$T/k5.pem" >/dev/null
alice sign k5 --file "$T/msg" --der --out "$T/k5.sig" >/dev/null
check "openssl verifies a signature made amid the churn" openssl dgst -sha256 -verify "$T/k5.pem" -signature "$T/k5.sig" "$T/msg"

kill -KILL "$SERVICE_PID"; wait "$SERVICE_PID" 2>/dev/null; SERVICE_PID=""
n=$(tpm_transient_count)
# At least the primary: tpm2_getcap does see what the service leaves behind.
check "after kill -9 tpm2_getcap sees the primary and at most 2 cached keys ($n)" test "$n" -ge 1 -a "$n" -le 3
start_service || exit 1
check "the restarted service flushes the leftovers and signs" alice sign k1 --file "$T/msg"
stop_service
check_eq "after a clean stop no transient handles remain" "$(tpm_transient_count)" "0"
check_eq "tpm2_getcap handles-transient prints nothing" "$(tpm2_getcap handles-transient 2>&1)" ""
finish
