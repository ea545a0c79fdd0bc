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
  rel_stop_checked
done
finish
