#!/usr/bin/env bash
# Reliability, hostile clients (tests/reliability/hostile.py): slowloris, 1000 idle
# connections, a flood past max_connections, clients vanishing mid-request and mid-response,
# clients that never read their reply, frames claiming huge lengths, the buffered-bytes
# budget, and descriptor exhaustion (service under a 48-fd limit). In every case
# well-behaved clients beside the attack are answered within the timeout (+1 s slack); the
# service's fds are the same before and after; its memory stays within the documented bound;
# it stops cleanly (exit 0: no leak under ASan).
. "$(dirname "$0")/lib.sh"
. "$PSH_SRC/tests/reliability/rel_lib.sh"
HOSTILE="python3 $PSH_SRC/tests/reliability/hostile.py"
TIMEOUT_MS=2000
# A smaller ASan quarantine keeps the service's RSS close to what it really holds.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=8"

run_cases() { # run_cases LABEL CASE...
  local label=$1; shift
  start_service || { fail "$label: service start"; return; }
  local base_rss before after hwm
  before=$(fd_settled "$SERVICE_PID")
  base_rss=$(vm_kb "$SERVICE_PID" VmRSS)
  if $HOSTILE "$SOCK" "$TIMEOUT_MS" "$@"; then ok; else fail "$label: hostile cases"; fi
  sleep 0.3
  after=$(fd_settled "$SERVICE_PID")
  check_eq "$label: service fds before and after" "$after" "$before"
  hwm=$(vm_kb "$SERVICE_PID" VmHWM)
  # Bound (docs/threat-model.md): 64 MiB of request bytes + 64 MiB of unread replies +
  # thread_pool_size (4) replies being built (1 MiB each) + max_connections x ~200 B.
  local bound_kb=$(( (64 + 64 + 4) * 1024 + 1024 * 200 / 1024 ))
  echo "$label: fds $before -> $after; RSS $base_rss kB at start, peak $hwm kB; growth bound $bound_kb kB"
  # ASan adds redzones, shadow and quarantine: allow it twice the bound.
  local slack=1; [ -n "${ASAN_OPTIONS:-}" ] && grep -q asan <<<"$PSH_BUILD" && slack=2
  if [ $((hwm - base_rss)) -le $((bound_kb * slack)) ]; then ok; else fail "$label: memory grew by $((hwm - base_rss)) kB"; fi
  rel_stop_checked
}

rel_config soft Direct
sed -i "s/^timeout = .*/timeout = $TIMEOUT_MS/" "$CONF"
run_cases "default limits" slowloris idle flood vanish stall huge budget

# Descriptor exhaustion: the service gets 48 descriptors (it lowers max_connections to fit).
cat > "$T/limited-service" <<SH
#!/bin/sh
exec prlimit --nofile=48:48 "$PSH_BIN/psh-service" "\$@"
SH
chmod +x "$T/limited-service"
SERVICE="$T/limited-service"
export PSH_LOG=all+warn # the service warns when it lowers max_connections to fit
run_cases "48 descriptors" fdexhaust vanish
check_contains "the service says it lowered max_connections" "$(cat "$T/service.log")" "max_connections lowered"
finish
