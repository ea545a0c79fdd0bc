#!/usr/bin/env bash
# Reliability, isolation and authority, over the socket for each available provider:
# - every keyed opcode (2-7, 10-12, 17-25, 30, 31, 3) on another application's keys is
#   DoesNotExist, with Direct apps and with two real uids under UnixPeerCredentials (the
#   second is a child that setuid()s, so SO_PEERCRED differs); a uid claimed that is not the
#   peer's is AuthenticationError; no identity is NotAuthenticated; the owner's keys all
#   still work afterwards;
# - ListClients / DeleteClient from a non-admin are AdminOperation;
# - key names built to escape (separators, NUL, 64 KiB, SQL, bad UTF-8) are refused or
#   stored byte for byte, and the KIM table survives;
# - socket file 0666 owned by the service's uid, KIM file 0600 in a 0700 directory, as
#   documented; and what Direct authentication would allow (why it is off by default).
. "$(dirname "$0")/lib.sh"
. "$PSH_SRC/tests/reliability/rel_lib.sh"
trap 'stop_service; rel_fixtures_stop; rm -rf "$T"' EXIT

for p in $(rel_providers); do
  pid=$(rel_provider_id "$p")
  rm -rf "$T/kim"
  rel_config "$p" Direct || { fail "$p: fixture"; continue; }
  rel_service_env
  start_service || { fail "$p: start"; continue; }
  if "$REL" iso --socket "$SOCK" --provider "$pid" --auth direct; then ok; else fail "$p: iso (Direct)"; fi
  if "$REL" names --socket "$SOCK" --provider "$pid" --auth direct; then ok; else fail "$p: hostile names"; fi
  check_eq "$p: KIM table intact and empty after the hostile names" \
    "$($SQLITE "$DB" "SELECT count(*) FROM key_mapping WHERE application_name = 'names-app'")" "0"
  # Why Direct is not for production: any local process may name any application.
  tool --auth direct --app victim create-ecc-key secret-key >/dev/null 2>&1
  check "$p: Direct: an impostor naming the victim's app uses its key" \
    tool --auth direct --app victim sign secret-key --hash "$(printf '%064d' 0)"
  rel_stop_checked

  if [ "$(id -u)" -ne 0 ]; then
    echo "$p: skipping the two-uid UnixPeerCredentials part: needs root to setuid" >&2
    continue
  fi
  rel_config "$p" UnixPeerCredentials || { fail "$p: fixture"; continue; }
  chmod 0711 "$T" # the second uid must reach the socket; the directory stays unlistable
  start_service || { fail "$p: start (UnixPeerCredentials)"; continue; }
  if "$REL" iso --socket "$SOCK" --provider "$pid" --auth unix --other-uid 65534; then ok; else fail "$p: iso (two uids)"; fi
  check_eq "$p: socket file mode and owner" "$(stat -c '%a %u' "$SOCK")" "666 $(id -u)"
  check_eq "$p: KIM file mode" "$(stat -c '%a' "$DB")" "600"
  check_eq "$p: KIM directory mode" "$(stat -c '%a' "$(dirname "$DB")")" "700"
  rel_stop_checked
  chmod 0700 "$T"
done
finish
