#!/usr/bin/env bash
# Reliability, crash safety (short form; scripts/crashloop is the long one): psh-service is
# killed with SIGKILL at random moments of a stream of key creations and deletions (and
# sometimes during start-up), for each available provider. After every restart: each key
# the client was told exists is listed and signs/verifies, nothing unknown is listed, the
# request caught half-way is complete or cleanly absent and reported, and the KIM file's
# rows are exactly the listed keys.
. "$(dirname "$0")/lib.sh"
. "$PSH_SRC/tests/reliability/rel_lib.sh"
trap 'stop_service; rel_fixtures_stop; rm -rf "$T"' EXIT

POINTS=${REL_KILL_POINTS:-10}
for p in $(rel_providers); do
  rm -rf "$T/kim"
  rel_config "$p" Direct || { fail "$p: fixture"; continue; }
  rel_service_env
  rel_crash_points "$p" "$POINTS"
  echo "$p: $CRASH_SURVIVED of $POINTS kill points survived with nothing lost; $CRASH_HALFWAY caught a request half-way"
  check_eq "$p: KIM file passes sqlite's integrity check" "$($SQLITE "$DB" "PRAGMA integrity_check")" "ok"
  rel_stop_checked
  if [ "$p" = pkcs11 ]; then
    # A mapping to nothing is never kept silently: remove a key's token objects behind the
    # service's back; the next start reports it (at the default log level), the mapping stays
    # listed (never deleted: that would hide the loss) and using it fails with a status.
    # SoftHSM's file store keeps one <uuid>.object file per object beside token.object.
    tokdir=$(. "$T/fx-pkcs11/env"; sed -n 's/^directories.tokendir = //p' "$SOFTHSM2_CONF")
    find "$tokdir" -name '*.object' ! -name token.object -delete
    check_eq "pkcs11: every key object removed behind the service's back" "$(provider_objects pkcs11)" "0"
    : > "$T/service.log"
    start_service || { fail "pkcs11: start after removing objects"; continue; }
    check_contains "pkcs11: start-up reports the key with no token object" "$(cat "$T/service.log")" "has no provider object"
    lost=$(grep -o 'key "[^"]*" of application "crash" has no provider object' "$T/service.log" | head -1 | cut -d'"' -f2)
    check_eq "pkcs11: the lost key is still listed" "$(tool --auth direct --app crash list-keys 2>/dev/null | grep -c "$lost")" "1"
    out=$(tool --auth direct --app crash sign "$lost" --hash "$(printf '%064d' 0)" 2>&1)
    check_not "pkcs11: using the lost key fails" test $? -eq 0
    echo "pkcs11: lost key $lost: still listed, use answers: $out"
    rel_stop_checked
  fi
done
finish
