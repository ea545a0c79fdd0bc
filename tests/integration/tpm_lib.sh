# Shared by the TPM integration tests (sourced after lib.sh): a swtpm from scripts/swtpm in
# $T/tpm, stopped by pid at exit, and a psh-service config whose first provider is the TPM.
TPM_DIR="$T/tpm"
swtpm_start() {
  "$PSH_SRC/scripts/swtpm" start "$TPM_DIR" >/dev/null || return 1
  . "$TPM_DIR/env"
  export TPM2TOOLS_TCTI="$PSH_TCTI"
}
swtpm_stop() { "$PSH_SRC/scripts/swtpm" stop "$TPM_DIR" >/dev/null 2>&1; }
swtpm_restart() { "$PSH_SRC/scripts/swtpm" restart "$TPM_DIR" >/dev/null; }
tpm_cleanup() {
  stop_service
  swtpm_stop
  rm -rf "$T"
}
trap tpm_cleanup EXIT
# swtpm runs as a daemon outside this shell's process group: a test stopped by a signal (ctest's
# timeout, ^C) must still stop it, so turn those signals into an exit that runs the trap above.
trap 'exit 143' TERM INT HUP

# tpm_write_config [tcti] [owner_hierarchy_auth] [extra provider lines]
tpm_write_config() {
  local tcti=${1:-$PSH_TCTI} auth=${2:-}
  cat > "$CONF" <<TOML
[core_settings]
allow_root = true
thread_pool_size = 4

[listener]
listener_type = "DomainSocket"
timeout = 5000
socket_path = "$SOCK"

[authenticator]
auth_type = "Direct"
admins = [ { name = "admin" } ]

[[key_manager]]
name = "sqlite-manager"
manager_type = "SQLite"
sqlite_db_path = "$DB"

[[provider]]
provider_type = "Tpm"
key_info_manager = "sqlite-manager"
tcti = "$tcti"
owner_hierarchy_auth = "$auth"
${3:-}
TOML
}

# Transient objects in the TPM (tpm2-tools reads the TPM itself; the service must be stopped:
# swtpm serves one connection at a time).
tpm_transient_count() { tpm2_getcap handles-transient 2>/dev/null | grep -c '0x8'; }
