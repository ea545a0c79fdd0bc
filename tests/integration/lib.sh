# Shared by the integration tests: a temp dir, a config, psh-service started and stopped by
# pid, and a tiny assertion kit that ends with the "N passed, N failed" line.
set -uo pipefail

: "${PSH_BIN:?PSH_BIN must point at the engine build folder}"
: "${PSH_SRC:?PSH_SRC must point at the source tree}"
SERVICE="$PSH_BIN/psh-service"
TOOL="$PSH_BIN/psh-tool"
RAW="python3 $PSH_SRC/tests/integration/rawframe.py"

T=$(mktemp -d /tmp/psh-it.XXXXXX)
SOCK="$T/parsec.sock"
DB="$T/kim/kim.sqlite3"
CONF="$T/config.toml"
SERVICE_PID=""
passed=0
failed=0

cleanup() {
  stop_service
  rm -rf "$T"
}
trap cleanup EXIT

ok() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }
check() { # check "description" command...
  local d=$1; shift
  if "$@" >/dev/null 2>&1; then ok; else fail "$d"; fi
}
check_not() {
  local d=$1; shift
  if "$@" >/dev/null 2>&1; then fail "$d"; else ok; fi
}
check_eq() { # check_eq "description" actual expected
  if [ "$2" == "$3" ]; then ok; else fail "$1: got '$2', want '$3'"; fi
}
check_contains() { # check_contains "description" haystack needle
  if [[ "$2" == *"$3"* ]]; then ok; else fail "$1: [$3] not in [$2]"; fi
}
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}

# write_config AUTH [extra core_settings lines]
write_config() {
  local auth=$1; shift
  cat > "$CONF" <<TOML
[core_settings]
allow_root = true
thread_pool_size = 4
$*

[listener]
listener_type = "DomainSocket"
timeout = 2000
socket_path = "$SOCK"

[authenticator]
auth_type = "$auth"
admins = [ { name = "admin" }, { name = "$(id -u)" } ]

[[key_manager]]
name = "sqlite-manager"
manager_type = "SQLite"
sqlite_db_path = "$DB"

[[provider]]
provider_type = "MbedCrypto"
key_info_manager = "sqlite-manager"
TOML
}

start_service() {
  "$SERVICE" --config "$CONF" 2>>"$T/service.log" &
  SERVICE_PID=$!
  for _ in $(seq 1 200); do
    if [ -S "$SOCK" ] && $RAW "$SOCK" ping >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "$SERVICE_PID" 2>/dev/null; then
      echo "psh-service exited early:" >&2; cat "$T/service.log" >&2; SERVICE_PID=""; return 1
    fi
    sleep 0.05
  done
  echo "psh-service did not come up" >&2
  return 1
}

stop_service() {
  if [ -n "$SERVICE_PID" ]; then
    kill -TERM "$SERVICE_PID" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$SERVICE_PID" 2>/dev/null || break; sleep 0.05; done
    kill -KILL "$SERVICE_PID" 2>/dev/null
    wait "$SERVICE_PID" 2>/dev/null
    SERVICE_PID=""
  fi
}

tool() { "$TOOL" --socket "$SOCK" "$@"; }
