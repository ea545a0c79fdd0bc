#!/usr/bin/env bash
# Key life cycle through psh-service and psh-tool: create, sign, verify (also with openssl,
# independently), export, delete; keys survive a restart; alice cannot list, use or delete
# bob's keys; start-up errors are one clear line and a non-zero exit.
. "$(dirname "$0")/lib.sh"

write_config Direct
start_service || exit 1
alice() { tool --auth direct --app alice "$@"; }
bob() { tool --auth direct --app bob "$@"; }

check "ping" tool --auth none ping
check_contains "list-providers names the soft provider" "$(tool --auth none list-providers)" "1c1139dc-ad7c-47dc-ad6b-db6fdb466552"

echo "message to sign" > "$T/msg"
for spec in "ecc p256:create-ecc-key --curve p256" "ecc p384:create-ecc-key --curve p384" \
            "rsa 2048:create-rsa-key --bits 2048" "rsa pss:create-rsa-key --bits 2048 --pss" \
            "rsa 3072:create-rsa-key --bits 3072"; do
  label=${spec%%:*}; cmd=${spec#*:}
  name="key-${label// /-}"
  set -- $cmd
  check "$label: create" alice "$1" "$name" "${@:2}"
  check "$label: export PEM" alice export-public-key "$name" --out "$T/$name.pem"
  check "$label: PEM parses with openssl" openssl pkey -pubin -in "$T/$name.pem" -noout
  der=(); [[ "$label" == ecc* ]] && der=(--der) # openssl wants ECDSA-Sig-Value, PSA gives r||s
  check "$label: sign" alice sign "$name" --file "$T/msg" "${der[@]}" --out "$T/$name.sig"
  check "$label: verify through the service" alice verify "$name" --file "$T/msg" --sig-file "$T/$name.sig" "${der[@]}"
  dgst=-sha256; [ "$label" == "ecc p384" ] && dgst=-sha384
  sigopt=(); [ "$label" == "rsa pss" ] && sigopt=(-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest)
  check "$label: openssl verifies the signature" openssl dgst "$dgst" "${sigopt[@]}" -verify "$T/$name.pem" -signature "$T/$name.sig" "$T/msg"
  cp "$T/msg" "$T/msg2"; echo "tampered" >> "$T/msg2"
  check_not "$label: openssl rejects it for another message" openssl dgst "$dgst" "${sigopt[@]}" -verify "$T/$name.pem" -signature "$T/$name.sig" "$T/msg2"
  check_not "$label: service rejects it for another message" alice verify "$name" --file "$T/msg2" --sig-file "$T/$name.sig" "${der[@]}"
done

# Isolation: bob sees none of alice's keys and cannot use or delete them.
check_eq "bob lists no keys" "$(bob list-keys | grep -c key-)" "0"
check_not "bob cannot sign with alice's key" bob sign key-ecc-p256 --file "$T/msg"
check_contains "bob gets DoesNotExist" "$(bob sign key-ecc-p256 --file "$T/msg" 2>&1)" "PsaErrorDoesNotExist"
check_not "bob cannot export alice's key" bob export-public-key key-ecc-p256
check_not "bob cannot delete alice's key" bob delete-key key-ecc-p256
check "bob may use the same name" bob create-ecc-key key-ecc-p256
check_not "alice cannot create a name twice" alice create-ecc-key key-ecc-p256
check_not "bob's new key does not verify alice's signature" bob verify key-ecc-p256 --file "$T/msg" --sig-file "$T/key-ecc-p256.sig" --der
check "alice's own signature still verifies" alice verify key-ecc-p256 --file "$T/msg" --sig-file "$T/key-ecc-p256.sig" --der

# Restart: every key is still listed and usable, the old signatures verify.
before=$(alice list-keys | sort)
stop_service
start_service || exit 1
check_eq "keys listed after restart" "$(alice list-keys | sort)" "$before"
check "signature verifies after restart" alice verify key-rsa-2048 --file "$T/msg" --sig-file "$T/key-rsa-2048.sig"
check "signing works after restart" alice sign key-ecc-p384 --file "$T/msg" --der --out "$T/after.sig"
check "openssl verifies a post-restart signature" openssl dgst -sha384 -verify "$T/key-ecc-p384.pem" -signature "$T/after.sig" "$T/msg"

# Kill -9 instead of a clean stop: nothing is lost either.
kill -KILL "$SERVICE_PID"; wait "$SERVICE_PID" 2>/dev/null; SERVICE_PID=""
start_service || exit 1
check_eq "keys listed after kill -9" "$(alice list-keys | sort)" "$before"

# Delete.
check "delete" alice delete-key key-ecc-p256
check_not "deleted key cannot sign" alice sign key-ecc-p256 --file "$T/msg"
check "bob's key of that name survives" bob sign key-ecc-p256 --file "$T/msg"
check_not "bad arguments fail" alice create-rsa-key x --bits 1000
check_contains "bad arguments name the problem" "$(alice create-rsa-key x --bits 1000 2>&1)" "--bits"

# Start-up errors: one line, non-zero exit.
stop_service
start_service || exit 1
out=$("$SERVICE" --config "$CONF" 2>&1); rc=$?
check_not "second service on a live socket fails" test "$rc" -eq 0
check_contains "socket in use is reported" "$out" "psh-service:"
stop_service
echo "not toml [" > "$T/bad.toml"
out=$("$SERVICE" --config "$T/bad.toml" 2>&1); rc=$?
check_not "bad config exits non-zero" test "$rc" -eq 0
check_eq "bad config prints one line" "$(printf '%s\n' "$out" | grep -c .)" "1"
chmod 000 "$DB" 2>/dev/null
if [ "$(id -u)" -ne 0 ]; then
  out=$("$SERVICE" --config "$CONF" 2>&1); rc=$?
  check_not "unreadable database exits non-zero" test "$rc" -eq 0
fi
chmod 600 "$DB"
echo "garbage, not sqlite" > "$T/garbage.sqlite3"
sed "s#$DB#$T/garbage.sqlite3#" "$CONF" > "$T/garbage.toml"
out=$("$SERVICE" --config "$T/garbage.toml" 2>&1); rc=$?
check_not "garbage database exits non-zero" test "$rc" -eq 0
check_eq "garbage database prints one line" "$(printf '%s\n' "$out" | grep -c .)" "1"
finish
