# Helpers for the reliability battery (tests/integration/test_rel_*.sh, scripts/stress,
# scripts/crashloop). Source after tests/integration/lib.sh.
#
# A provider is a parameter: rel_providers prints the ones this build and machine can run
# (soft always; pkcs11 when the engine was built with it and scripts/softhsm-token exists;
# tpm likewise with scripts/swtpm) and says on stderr why any other is skipped.
# rel_config PROVIDER AUTH writes $CONF for it, starting the fixture it needs.

REL="$PSH_BIN/psh-rel"
REL_BUILD="${PSH_BUILD:-$PSH_BIN/..}"
REL_FIXTURES=""   # "kind:dir" of the fixtures started, stopped by rel_fixtures_stop
SQLITE="sqlite3 -readonly"

rel_providers() {
  rel_providers_all | while read -r p; do
    case " ${REL_PROVIDERS:-soft pkcs11 tpm} " in
      *" $p "*) echo "$p" ;;
      *) echo "rel: skipping provider $p: not in REL_PROVIDERS" >&2 ;;
    esac
  done
}

rel_providers_all() {
  echo soft
  if [ -e "$REL_BUILD/engine/libpsh_pkcs11.a" ] && [ -x "$PSH_SRC/scripts/softhsm-token" ]; then
    echo pkcs11
  else
    echo "rel: skipping provider pkcs11: not built into this engine or scripts/softhsm-token missing" >&2
  fi
  if [ -e "$REL_BUILD/engine/libpsh_tpm.a" ] && [ -x "$PSH_SRC/scripts/swtpm" ]; then
    echo tpm
  else
    echo "rel: skipping provider tpm: not built into this engine or scripts/swtpm missing" >&2
  fi
}

rel_provider_id() {
  case $1 in soft) echo 1 ;; pkcs11) echo 2 ;; tpm) echo 3 ;; esac
}

# Starts the provider's fixture once per test run (state kept across service restarts).
rel_fixture() {
  local p=$1 dir="$T/fx-$1"
  [ -f "$dir/env" ] && return 0
  mkdir -p "$dir"
  case $p in
    pkcs11) "$PSH_SRC/scripts/softhsm-token" start "$dir" >/dev/null || return 1 ;;
    tpm) "$PSH_SRC/scripts/swtpm" start "$dir" >/dev/null || return 1 ;;
    *) return 0 ;;
  esac
  REL_FIXTURES="$REL_FIXTURES $p:$dir"
}

rel_fixtures_stop() {
  local f
  for f in $REL_FIXTURES; do
    case ${f%%:*} in
      pkcs11) "$PSH_SRC/scripts/softhsm-token" stop "${f#*:}" >/dev/null 2>&1 ;;
      tpm) "$PSH_SRC/scripts/swtpm" stop "${f#*:}" >/dev/null 2>&1 ;;
    esac
  done
  REL_FIXTURES=""
}

# rel_config PROVIDER AUTH [extra [core_settings] lines]
rel_config() {
  local p=$1 auth=$2; shift 2
  write_config "$auth" "$@"
  # write_config ends with the MbedCrypto provider; replace it for the others.
  case $p in
    soft) ;;
    pkcs11)
      rel_fixture pkcs11 || return 1
      ( . "$T/fx-pkcs11/env"
        sed -i '/^\[\[provider\]\]/,$d' "$CONF"
        cat >> "$CONF" <<TOML
[[provider]]
provider_type = "Pkcs11"
key_info_manager = "sqlite-manager"
library_path = "$PSH_P11_LIB"
slot_number = $PSH_P11_SLOT
user_pin = "$PSH_P11_PIN"
software_public_operations = true
TOML
      ) || return 1
      ;;
    tpm)
      rel_fixture tpm || return 1
      ( . "$T/fx-tpm/env"
        sed -i '/^\[\[provider\]\]/,$d' "$CONF"
        cat >> "$CONF" <<TOML
[[provider]]
provider_type = "Tpm"
key_info_manager = "sqlite-manager"
tcti = "$PSH_TCTI"
owner_hierarchy_auth = ""
TOML
      ) || return 1
      ;;
  esac
}

# The environment the service needs for the provider (SoftHSM's config file).
rel_service_env() {
  if [ -f "$T/fx-pkcs11/env" ]; then
    export SOFTHSM2_CONF=$(. "$T/fx-pkcs11/env"; echo "$SOFTHSM2_CONF")
  fi
}

fd_count() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
vm_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status" 2>/dev/null; }

# Stops the service with SIGTERM and checks it exited 0 with no sanitizer report (a leak
# makes an ASan build exit non-zero).
rel_stop_checked() {
  local rc=0
  [ -n "$SERVICE_PID" ] || return 0
  kill -TERM "$SERVICE_PID" 2>/dev/null
  for _ in $(seq 1 200); do kill -0 "$SERVICE_PID" 2>/dev/null || break; sleep 0.05; done
  kill -KILL "$SERVICE_PID" 2>/dev/null
  wait "$SERVICE_PID"; rc=$?
  SERVICE_PID=""
  check_eq "psh-service exits 0 on SIGTERM (no leak, no crash)" "$rc" "0"
  rel_check_log
}

rel_check_log() {
  if grep -qE "AddressSanitizer|LeakSanitizer|runtime error|ThreadSanitizer" "$T/service.log" 2>/dev/null; then
    fail "sanitizer report in the service log:"
    grep -E -A20 "AddressSanitizer|LeakSanitizer|runtime error" "$T/service.log" | head -60 >&2
  else
    ok
  fi
}

# Waits until the service's open fds settle (connections being closed), then prints them.
fd_settled() {
  local pid=$1 last=-1 now
  for _ in $(seq 1 60); do
    now=$(fd_count "$pid")
    [ "$now" = "$last" ] && break
    last=$now; sleep 0.1
  done
  echo "$now"
}

# KIM rows as "app key" lines, sorted (the file itself, read with the sqlite3 CLI).
kim_rows() {
  $SQLITE "$DB" "SELECT application_name || ' ' || key_name FROM key_mapping" | LC_ALL=C sort
}

# Objects the provider itself holds, when it can be asked outside the service ("" if not):
# pkcs11 counts private-key objects on the token; soft keeps the material in the KIM row
# itself and tpm keys live as blobs loaded on use, so for them every KIM row being usable
# (psh-rel audit) is the agreement check.
provider_objects() {
  case $1 in
    pkcs11)
      ( . "$T/fx-pkcs11/env"; export SOFTHSM2_CONF
        pkcs11-tool --module "$PSH_P11_LIB" --slot "$PSH_P11_SLOT" --login --pin "$PSH_P11_PIN" \
          --list-objects --type privkey 2>/dev/null | grep -c "^Private Key Object" ) ;;
    *) echo "" ;;
  esac
}

# rel_agree PROVIDER EXPECT_FILE [orphans-ok]: the KIM file, ListKeys through the service,
# and the provider all hold exactly the keys the clients were told exist. With orphans-ok
# (after a backend fault) the provider may hold objects no mapping names (a destroy whose
# provider half failed: logged by the service, reported here), never fewer than the rows.
rel_agree() {
  local p=$1 expect=$2 mode=${3:-exact} objs rows
  LC_ALL=C sort -o "$expect" "$expect"
  check_eq "$p: KIM file rows == keys the clients were told exist" "$(kim_rows | md5sum)" "$(md5sum < "$expect")"
  if ! "$REL" audit --socket "$SOCK" --provider "$(rel_provider_id "$p")" --expect "$expect"; then
    fail "$p: ListKeys / usability audit"
  else
    ok
  fi
  objs=$(provider_objects "$p")
  if [ -n "$objs" ]; then
    rows=$($SQLITE "$DB" "SELECT count(*) FROM key_mapping WHERE provider_id = $(rel_provider_id "$p")")
    if [ "$mode" = exact ]; then
      check_eq "$p: provider objects == KIM rows" "$objs" "$rows"
    else
      if [ "$objs" -ge "$rows" ]; then ok; else fail "$p: $rows KIM rows but only $objs provider objects"; fi
      echo "$p: $rows KIM rows, $objs provider objects: $((objs - rows)) orphaned object(s) (provider half of a destroy failed during the fault)"
    fi
  fi
}

# rel_crash_points PROVIDER N: N times, SIGKILL the service at a random moment of a stream of
# key creations and deletions (psh-rel churn), restart it and hold it to the journal
# (psh-rel verify). Every 5th kill lands during start-up instead (KIM open, reconciliation).
# Sets CRASH_SURVIVED and CRASH_HALFWAY (requests caught half-way, all reported).
rel_crash_points() {
  local p=$1 n=$2 pid=$(rel_provider_id "$1") journal="$T/journal-$1" i rc out delay rows keys objs
  CRASH_SURVIVED=0; CRASH_HALFWAY=0
  rm -f "$journal"
  start_service || { fail "$p: service start"; return 1; }
  local startup_kills=1
  if [ "$p" = pkcs11 ] && [ -z "${REL_P11_STARTUP_KILLS:-}" ]; then
    # SoftHSM 2.6 rewrites token.object in place (ftruncate, then write) on every successful
    # C_Login; a SIGKILL in between leaves an empty file and the token (every key on it) is
    # gone. The provider logs in while starting, so kills during start-up hit that window
    # (reproduced in ~1 of 10). Not ours to fix; REL_P11_STARTUP_KILLS=1 shows it.
    echo "$p: kills during start-up skipped: SoftHSM rewrites token.object in place at C_Login (see rel_lib.sh)"
    startup_kills=0
  fi
  for i in $(seq 1 "$n"); do
    if [ $((i % 5)) -eq 0 ] && [ "$startup_kills" = 1 ]; then
      # Kill during start-up: the next start must still find everything.
      kill -KILL "$SERVICE_PID"; wait "$SERVICE_PID" 2>/dev/null
      "$SERVICE" --config "$CONF" 2>>"$T/service.log" & SERVICE_PID=$!
      sleep "0.0$((RANDOM % 10))"
    else
      "$REL" churn --socket "$SOCK" --provider "$pid" --app crash --state "$journal" --seed "$RANDOM" --count 100000 >"$T/churn.out" 2>&1 &
      local cpid=$!
      delay=$(( (RANDOM % 400) + 20 ))
      sleep "$(printf '0.%03d' "$delay")"
    fi
    kill -KILL "$SERVICE_PID" 2>/dev/null; wait "$SERVICE_PID" 2>/dev/null; SERVICE_PID=""
    if [ $((i % 5)) -ne 0 ] || [ "$startup_kills" = 0 ]; then
      wait "$cpid"; rc=$?
      if [ "$rc" -ne 3 ]; then fail "$p: kill $i: churn exited $rc, want 3 (service gone)"; cat "$T/churn.out" >&2; fi
    fi
    start_service || { fail "$p: restart after kill $i"; return 1; }
    out=$("$REL" verify --socket "$SOCK" --provider "$pid" --app crash --state "$journal" 2>&1); rc=$?
    [ -n "${REL_VERBOSE:-}" ] && echo "$p: kill $i: $out"
    if [ "$rc" -ne 0 ]; then fail "$p: kill $i: verify"; echo "$out" >&2; else ok; CRASH_SURVIVED=$((CRASH_SURVIVED + 1)); fi
    case $out in *"caught half-way"*) CRASH_HALFWAY=$((CRASH_HALFWAY + 1)); echo "$p: kill $i: $(grep 'half-way' <<<"$out")";; esac
    # The KIM file holds exactly the journal's keys (verify rewrote the journal to them).
    rows=$($SQLITE "$DB" "SELECT key_name FROM key_mapping WHERE application_name = 'crash'" | LC_ALL=C sort)
    keys=$(sed -n 's/^key //p' "$journal" | LC_ALL=C sort)
    check_eq "$p: kill $i: KIM rows == keys listed" "$rows" "$keys"
    objs=$(provider_objects "$p")
    if [ -n "$objs" ]; then
      local nrows; nrows=$($SQLITE "$DB" "SELECT count(*) FROM key_mapping WHERE provider_id = $pid")
      # A create or delete caught half-way may leave an object with no mapping (reported
      # here); a mapping with no object would be a lost key.
      if [ "$objs" -lt "$nrows" ]; then fail "$p: kill $i: $nrows KIM rows but only $objs provider objects"; else ok; fi
      [ "$objs" -gt "$nrows" ] && echo "$p: kill $i: $((objs - nrows)) provider object(s) with no mapping (orphaned half-way)"
    fi
  done
  rel_check_log
}
