# PKCS#11 additions to lib.sh (source lib.sh first): a SoftHSM token per test run under $T,
# and a config.toml whose only provider is Pkcs11 on it.
P11_DIR="$T/token"

p11_token_start() {
  "$PSH_SRC/scripts/softhsm-token" start "$P11_DIR" >/dev/null || return 1
  # shellcheck disable=SC1091
  . "$P11_DIR/env"
  export SOFTHSM2_CONF
}

# write_p11_config [extra provider lines...]: Direct auth, SQLite KIM, one Pkcs11 provider
# chosen by token label and logged in with the token's PIN unless the extra lines say otherwise.
write_p11_config() {
  cat > "$CONF" <<TOML
[core_settings]
allow_root = true
thread_pool_size = 4

[listener]
listener_type = "DomainSocket"
timeout = 2000
socket_path = "$SOCK"

[authenticator]
auth_type = "Direct"

[[key_manager]]
name = "sqlite-manager"
manager_type = "SQLite"
sqlite_db_path = "$DB"

[[provider]]
provider_type = "Pkcs11"
key_info_manager = "sqlite-manager"
library_path = "$PSH_P11_LIB"
TOML
  if [ $# -eq 0 ]; then
    printf 'token_label = "%s"\nuser_pin = "%s"\n' "$PSH_P11_LABEL" "$PSH_P11_PIN" >> "$CONF"
  else
    printf '%s\n' "$@" >> "$CONF"
  fi
}

p11_tool() { pkcs11-tool --module "$PSH_P11_LIB" --token-label "$PSH_P11_LABEL" "$@"; }
