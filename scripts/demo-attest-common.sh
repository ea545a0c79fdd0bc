# Sourced by scripts/demo-attest-*: build dir, work dir, psh-service started and stopped by pid.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${1:-${PSH_BUILD:-$(ls -td "$ROOT"/build/*/engine/psh-service 2>/dev/null | head -1 | xargs -r dirname | xargs -r dirname)}}
B=$(cd "$B" 2>/dev/null && pwd) || { echo "no build dir (cmake --preset release && cmake --build --preset release)" >&2; exit 1; }
ATT="$B/attest/psh-attest"
SVC="$B/engine/psh-service"
TOOLBIN="$B/engine/psh-tool"
for x in "$ATT" "$SVC" "$TOOLBIN"; do [ -x "$x" ] || { echo "build first (need $x)" >&2; exit 1; }; done
W=$(mktemp -d /tmp/psh-demo-attest.XXXXXX)
SOCK="$W/parsec.sock"
SVC_PID=""
demo_cleanup() {
  if [ -n "$SVC_PID" ]; then kill -TERM "$SVC_PID" 2>/dev/null || true; wait "$SVC_PID" 2>/dev/null || true; fi
  [ -f "$W/tpm/env" ] && "$ROOT/scripts/swtpm" stop "$W/tpm" >/dev/null 2>&1 || true
  rm -rf "$W"
}
trap demo_cleanup EXIT
trap 'exit 143' TERM INT HUP
step() { printf '\n== %s\n' "$*"; }
tool() { "$TOOLBIN" --socket "$SOCK" --auth direct --app demo "$@"; }
# start_service PROVIDER_TOML: psh-service with Direct auth, a SQLite KIM in $W and the provider.
start_service() {
  cat > "$W/config.toml" <<TOML
[core_settings]
allow_root = true
[listener]
listener_type = "DomainSocket"
timeout = 5000
socket_path = "$SOCK"
[authenticator]
auth_type = "Direct"
[[key_manager]]
name = "sqlite-manager"
manager_type = "SQLite"
sqlite_db_path = "$W/kim.sqlite3"
$1
TOML
  "$SVC" --config "$W/config.toml" 2>"$W/service.log" &
  SVC_PID=$!
  for _ in $(seq 1 100); do
    [ -S "$SOCK" ] && "$TOOLBIN" --socket "$SOCK" --auth none ping >/dev/null 2>&1 && { echo "psh-service pid $SVC_PID on $SOCK"; return 0; }
    kill -0 "$SVC_PID" 2>/dev/null || { cat "$W/service.log" >&2; return 1; }
    sleep 0.1
  done
  return 1
}
stop_service() {
  [ -n "$SVC_PID" ] || return 0
  kill -TERM "$SVC_PID" 2>/dev/null || true; wait "$SVC_PID" 2>/dev/null || true; SVC_PID=""
}
verdict() { python3 -c 'import json,sys; a=json.load(sys.stdin); print("verdict:", a["verdict"]); print("attested key (akpub):", a.get("attested_key",{}).get("akpub")); [print("  fail", f) for f in a["failures"]]'; }
