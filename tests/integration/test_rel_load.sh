#!/usr/bin/env bash
# Reliability, load (short form; scripts/stress is the long one): 64 concurrent clients send
# a mix of keyed and keyless requests to psh-service with each available provider; every
# reply is checked; afterwards the KIM file, ListKeys through the service and the provider
# agree exactly on which keys exist; the service's fds are the same before and after; it
# stops cleanly (exit 0: no leak under ASan). Prints requests/s, latency and peak RSS.
. "$(dirname "$0")/lib.sh"
. "$PSH_SRC/tests/reliability/rel_lib.sh"
trap 'stop_service; rel_fixtures_stop; rm -rf "$T"' EXIT

CLIENTS=${REL_CLIENTS:-64}
COUNT=${REL_COUNT:-25}
for p in $(rel_providers); do
  rm -rf "$T/kim"
  rel_config "$p" Direct || { fail "$p: fixture"; continue; }
  rel_service_env
  start_service || { fail "$p: service start"; continue; }
  # Warm up (KIM WAL files, provider sessions), then count the service's fds.
  "$REL" load --socket "$SOCK" --provider "$(rel_provider_id "$p")" --clients 2 --count 10 --app warm --expect "$T/warm" >/dev/null
  before=$(fd_settled "$SERVICE_PID")
  out=$("$REL" load --socket "$SOCK" --provider "$(rel_provider_id "$p")" --clients "$CLIENTS" --count "$COUNT" --expect "$T/expect" 2>"$T/load.err")
  rc=$?
  echo "$out" | sed "s/^/$p: /"
  cat "$T/load.err" >&2
  check_eq "$p: every reply of $CLIENTS clients checked out" "$rc" "0"
  cat "$T/warm" >> "$T/expect"
  rel_agree "$p" "$T/expect"
  after=$(fd_settled "$SERVICE_PID")
  check_eq "$p: service fds before and after the load" "$after" "$before"
  echo "$p: service fds $before -> $after, peak RSS $(vm_kb "$SERVICE_PID" VmHWM) kB"
  rel_stop_checked
done
finish
