#!/usr/bin/env bash
# Reliability, backend faults (when the fixtures exist; skipped with a reason otherwise):
# - tpm: swtpm is SIGKILLed in the middle of a 16-client load and restarted (same state and
#   port, through tests/reliability/reuseaddr.c since swtpm 0.7 binds without SO_REUSEADDR)
#   1.5 s later; while it is away requests get a clear error status (never a hang or a
#   dropped connection); afterwards everything succeeds again and the KIM, ListKeys and the
#   TPM (every key usable) agree;
# - pkcs11: the SoftHSM token files are made read-only under load (the service runs without
#   CAP_DAC_OVERRIDE, so root obeys file modes); creations fail with a clear status, keys
#   already there keep signing, and after the files are writable again everything works.
. "$(dirname "$0")/lib.sh"
. "$PSH_SRC/tests/reliability/rel_lib.sh"
trap 'stop_service; rel_fixtures_stop; rm -rf "$T"' EXIT

providers=$(rel_providers 2>&1 >/dev/null | sed 's/^/backend: /' >&2; rel_providers 2>/dev/null)
ran=0

# fault_run PROVIDER BREAK_CMD REPAIR_CMD: load with the backend broken for a while.
fault_run() {
  local p=$1 break_cmd=$2 repair_cmd=$3 pid out st
  pid=$(rel_provider_id "$p")
  tool --auth direct --app fault --provider "$pid" create-ecc-key before-fault >/dev/null \
    || { fail "$p: create before the fault"; return; }
  "$REL" load --socket "$SOCK" --provider "$pid" --clients 16 --seconds 5 --tolerate --app during \
    --expect "$T/expect" >"$T/load.out" 2>&1 &
  local lpid=$!
  sleep 1.5
  eval "$break_cmd"
  sleep 0.3
  # While the backend is away: a clear status, within the timeout.
  out=$(timeout 10 "$TOOL" --socket "$SOCK" --auth direct --app fault --provider "$pid" create-ecc-key during-fault 2>&1); st=$?
  check_not "$p: key creation fails while the backend is away" test "$st" -eq 0
  check_not "$p: ...with a status, not a lost connection or a hang" grep -qE "ConnectionError|timed out" <<<"$out$([ $st -eq 124 ] && echo 'timed out')"
  echo "$p: while away: $(tail -1 <<<"$out")"
  sleep 1.2
  eval "$repair_cmd"
  wait "$lpid"; st=$?
  cat "$T/load.out"
  check_eq "$p: load across the fault: no reply lost, every success checked" "$st" "0"
  check "$p: the fault was seen by the load (some requests failed with a status)" grep -qE "load: status [1-9][0-9]* " "$T/load.out"
  # Back: every operation works again, with no restart of psh-service.
  local ok_after=0
  for _ in $(seq 1 50); do
    if tool --auth direct --app fault --provider "$pid" sign before-fault --hash "$(printf '%064d' 0)" >/dev/null 2>&1; then ok_after=1; break; fi
    sleep 0.2
  done
  check_eq "$p: the key made before the fault signs again" "$ok_after" "1"
  ok_after=0
  for _ in $(seq 1 50); do
    if tool --auth direct --app fault --provider "$pid" create-ecc-key after-fault >/dev/null 2>&1; then ok_after=1; break; fi
    sleep 0.2
  done
  check_eq "$p: keys can be created again" "$ok_after" "1"
  tool --auth direct --app fault --provider "$pid" delete-key after-fault >/dev/null 2>&1
  out=$("$REL" load --socket "$SOCK" --provider "$pid" --clients 16 --count 15 --app after --expect "$T/expect2")
  st=$?
  check_eq "$p: a strict load passes after the fault" "$st" "0"
  [ "$st" -ne 0 ] && { echo "$p: service log, last lines:"; tail -5 "$T/service.log"; }
  echo "$p: after: $out" | head -1
  cat "$T/expect2" >> "$T/expect"
  echo "fault before-fault" >> "$T/expect"
  rel_agree "$p" "$T/expect" orphans-ok
  ran=$((ran + 1))
}

# Restarts swtpm on its old ports. Until psh-service's TCTI notices and closes its side, the
# killed server's half of that connection sits in FIN_WAIT2 and the port cannot be bound even
# with SO_REUSEADDR: retry, sending a request each time so the service drops its socket.
swtpm_back() {
  for _ in $(seq 1 30); do
    LD_PRELOAD="$PSH_BIN/libpsh_reuseaddr.so" "$PSH_SRC/scripts/swtpm" restart "$T/fx-tpm" >/dev/null 2>&1 && return 0
    tool --auth direct --app fault --provider 3 ping >/dev/null 2>&1
    tool --auth direct --app fault --provider 3 sign before-fault --hash "$(printf '%064d' 0)" >/dev/null 2>&1
    sleep 0.5
  done
  echo "tpm: swtpm could not be restarted on its port:"; tail -3 "$T/fx-tpm/swtpm.log"
  ss -tan | grep ":$(. "$T/fx-tpm/env"; echo "$SWTPM_PORT") " | awk '{print $1}' | sort | uniq -c
  return 1
}

for p in $providers; do
  case $p in
    tpm)
      rm -rf "$T/kim"
      rel_config tpm Direct || { fail "tpm: fixture"; continue; }
      # Upstream tpm2-tss 3.2.1 leaks while swtpm is away (tests/reliability/lsan.supp):
      # keep its TCTI module loaded so the suppression can name it.
      swtpm_tcti=$(ls /usr/lib/*/libtss2-tcti-swtpm.so.0 2>/dev/null | head -1)
      cat > "$T/tpm-service" <<SH
#!/bin/sh
LD_PRELOAD="$swtpm_tcti" ASAN_OPTIONS="\${ASAN_OPTIONS:+\$ASAN_OPTIONS:}verify_asan_link_order=0" \\
LSAN_OPTIONS="\${LSAN_OPTIONS:+\$LSAN_OPTIONS:}suppressions=$PSH_SRC/tests/reliability/lsan.supp" \\
exec "$PSH_BIN/psh-service" "\$@"
SH
      chmod +x "$T/tpm-service"
      saved_service=$SERVICE; SERVICE="$T/tpm-service"
      start_service || { fail "tpm: start"; SERVICE=$saved_service; continue; }
      fault_run tpm 'kill -KILL "$(. "$T/fx-tpm/env"; echo "$SWTPM_PID")"' \
                    'swtpm_back'
      rel_stop_checked
      SERVICE=$saved_service
      ;;
    pkcs11)
      rm -rf "$T/kim"
      rel_config pkcs11 Direct || { fail "pkcs11: fixture"; continue; }
      rel_service_env
      tokdir=$(sed -n 's/^directories.tokendir = //p' "$SOFTHSM2_CONF")
      # SoftHSM 2.6 leaks on its write-failure paths (tests/reliability/lsan.supp).
      cat > "$T/nocap-service" <<SH
#!/bin/sh
LSAN_OPTIONS="\${LSAN_OPTIONS:+\$LSAN_OPTIONS:}suppressions=$PSH_SRC/tests/reliability/lsan.supp" \\
exec setpriv --bounding-set -dac_override,-dac_read_search "$PSH_BIN/psh-service" "\$@"
SH
      chmod +x "$T/nocap-service"
      saved_service=$SERVICE; SERVICE="$T/nocap-service"
      start_service || { fail "pkcs11: start"; SERVICE=$saved_service; continue; }
      fault_run pkcs11 'chmod -R a-w "$tokdir"' 'chmod -R u+w "$tokdir"'
      rel_stop_checked
      SERVICE=$saved_service
      ;;
  esac
done
[ "$ran" -eq 0 ] && echo "backend: no hardware-backed provider built or no fixture: nothing to fault (soft has no backend)"
finish
