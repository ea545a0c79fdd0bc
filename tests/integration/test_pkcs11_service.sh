#!/usr/bin/env bash
# The PKCS#11 provider through psh-service on a real SoftHSM2 token: every key type signs and
# verifies, openssl verifies the signatures with the exported public keys, pkcs11-tool (OpenSC)
# sees the objects the service made, RSA encryption both ways, random, the core's policy
# refusals on token keys, restart, a key whose token object was deleted behind the service's
# back, software_public_operations, and one clear line + non-zero exit for each bad start-up.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pkcs11_lib.sh"

if ! command -v softhsm2-util >/dev/null || ! command -v pkcs11-tool >/dev/null; then
  echo "SKIP: softhsm2-util or pkcs11-tool missing (scripts/setup installs them)"; exit 0
fi
p11_token_start || { echo "FAIL: token fixture"; exit 1; }
write_p11_config
start_service || exit 1
alice() { tool --auth direct --app alice "$@"; }
bob() { tool --auth direct --app bob "$@"; }

check_contains "list-providers names the PKCS#11 provider" "$(tool --auth none list-providers)" "30e39502-eba6-4d60-a4af-c518b7f5e38f"
check_eq "list-opcodes: exactly what the provider serves" \
  "$(tool --auth none --provider 2 list-opcodes | cut -f1 | tr '\n' ' ')" "2 3 4 5 6 7 10 11 12 13 15 16 30 31 32 "

echo "message to sign" > "$T/msg"
cp "$T/msg" "$T/msg2"; echo "tampered" >> "$T/msg2"
for spec in "ecc p256:create-ecc-key --curve p256" "ecc p384:create-ecc-key --curve p384" \
            "rsa 2048:create-rsa-key --bits 2048" "rsa pss:create-rsa-key --bits 2048 --pss" \
            "rsa 3072:create-rsa-key --bits 3072"; do
  label=${spec%%:*}; cmd=${spec#*:}
  name="key-${label// /-}"
  set -- $cmd
  check "$label: create on the token" alice "$1" "$name" "${@:2}"
  check "$label: export PEM" alice export-public-key "$name" --out "$T/$name.pem"
  check "$label: PEM parses with openssl" openssl pkey -pubin -in "$T/$name.pem" -noout
  der=(); [[ "$label" == ecc* ]] && der=(--der) # openssl wants ECDSA-Sig-Value, PSA gives r||s
  check "$label: sign" alice sign "$name" --file "$T/msg" "${der[@]}" --out "$T/$name.sig"
  check "$label: verify through the service" alice verify "$name" --file "$T/msg" --sig-file "$T/$name.sig" "${der[@]}"
  dgst=-sha256; [ "$label" == "ecc p384" ] && dgst=-sha384
  sigopt=(); [ "$label" == "rsa pss" ] && sigopt=(-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest)
  check "$label: openssl verifies the token's signature" openssl dgst "$dgst" "${sigopt[@]}" -verify "$T/$name.pem" -signature "$T/$name.sig" "$T/msg"
  check_not "$label: openssl rejects it for another message" openssl dgst "$dgst" "${sigopt[@]}" -verify "$T/$name.pem" -signature "$T/$name.sig" "$T/msg2"
  check_not "$label: service rejects it for another message" alice verify "$name" --file "$T/msg2" --sig-file "$T/$name.sig" "${der[@]}"
done

# Independent look at the token: OpenSC's pkcs11-tool lists the objects with their types.
objs=$(p11_tool --login --pin "$PSH_P11_PIN" --list-objects 2>/dev/null)
check_eq "pkcs11-tool: 2 EC private keys" "$(grep -c '^Private Key Object; EC' <<<"$objs")" "2"
check_eq "pkcs11-tool: 3 RSA private keys" "$(grep -c '^Private Key Object; RSA' <<<"$objs")" "3"
check_eq "pkcs11-tool: 2 EC public keys" "$(grep -c '^Public Key Object; EC' <<<"$objs")" "2"
check_contains "pkcs11-tool: an RSA 3072 public key" "$objs" "Public Key Object; RSA 3072 bits"
check_contains "pkcs11-tool: a P-384 public key" "$objs" "EC_POINT 384 bits"
check_contains "pkcs11-tool: private keys stay sensitive" "$objs" "never extractable"
check_eq "pkcs11-tool: every object carries a psh- label" "$(grep -c 'label:      psh-' <<<"$objs")" "10"

# RSA encryption: round trip, and openssl's OAEP-SHA256 ciphertext decrypts on the token.
check "create an encryption key" alice create-rsa-key enc --bits 2048 --for encrypt
check "encrypt" alice encrypt enc --data 68656c6c6f --out "$T/ct"
check_eq "decrypt gives the plaintext back" "$(alice decrypt enc --file "$T/ct")" "68656c6c6f"
alice export-public-key enc --out "$T/enc.pem" >/dev/null
printf 'secret' > "$T/pt"
openssl pkeyutl -encrypt -pubin -inkey "$T/enc.pem" -pkeyopt rsa_padding_mode:oaep \
  -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256 -in "$T/pt" -out "$T/ct2" 2>/dev/null
check_eq "openssl OAEP-SHA256 ciphertext decrypts on the token" "$(alice decrypt enc --file "$T/ct2")" "736563726574"
head -c 256 /dev/urandom > "$T/junk"
check_contains "a random block is bad padding" "$(alice decrypt enc --file "$T/junk" 2>&1)" "PsaErrorInvalidPadding"
check_eq "generate-random 32 gives 32 bytes" "$(alice generate-random 32 | tr -d '\n' | wc -c)" "64"

# Policy (the core's, status by status, is in tests/unit/test_pkcs11.c; psh-tool already
# refuses these itself, so this only shows nothing gets through).
check_not "sign with an encrypt-only key is refused" alice sign enc --file "$T/msg"
check_not "decrypt with a signing key is refused" alice decrypt key-rsa-2048 --file "$T/ct"
check_contains "bob cannot use alice's token key" "$(bob sign key-ecc-p256 --file "$T/msg" --der 2>&1)" "PsaErrorDoesNotExist"

# Restart: every key is still listed and usable; old signatures still verify.
before=$(alice list-keys | sort)
stop_service
start_service || exit 1
check_eq "keys listed after restart" "$(alice list-keys | sort)" "$before"
check "old RSA signature verifies after restart" alice verify key-rsa-2048 --file "$T/msg" --sig-file "$T/key-rsa-2048.sig"
check "signing works after restart" alice sign key-ecc-p384 --file "$T/msg" --der --out "$T/after.sig"
check "openssl verifies a post-restart signature" openssl dgst -sha384 -verify "$T/key-ecc-p384.pem" -signature "$T/after.sig" "$T/msg"

# A token object deleted behind the service's back: the mapping is kept and reported, use
# fails with a clear error, delete-key still removes the mapping.
ids_before=$(p11_tool --login --pin "$PSH_P11_PIN" --list-objects 2>/dev/null | grep 'ID:' | sort -u)
alice create-ecc-key victim >/dev/null
id=$(p11_tool --login --pin "$PSH_P11_PIN" --list-objects 2>/dev/null | grep 'ID:' | sort -u |
     grep -vxF "$ids_before" | awk '{print $2}' | head -n1)
check "the new key's CKA_ID is found with pkcs11-tool" test -n "$id"
victim=victim
stop_service
p11_tool --login --pin "$PSH_P11_PIN" --delete-object --type privkey --id "$id" >/dev/null 2>&1
p11_tool --login --pin "$PSH_P11_PIN" --delete-object --type pubkey --id "$id" >/dev/null 2>&1
PSH_LOG=all+warn start_service || exit 1
check_contains "start-up warns about the key without an object" "$(cat "$T/service.log")" "has no provider object"
check_contains "ListKeys still reports the key" "$(alice list-keys)" "$victim"
check_contains "using it fails with DoesNotExist" "$(alice sign "$victim" --file "$T/msg" --der 2>&1)" "PsaErrorDoesNotExist"
check "delete-key removes the stale mapping" alice delete-key "$victim"
check_not "the mapping is gone" bash -c "\"$TOOL\" --socket \"$SOCK\" --auth direct --app alice list-keys | grep -q \"^$victim\b\""
check "destroy removes the token objects too" alice delete-key key-rsa-3072
check_eq "no object left for a destroyed key" "$(p11_tool --login --pin "$PSH_P11_PIN" --list-objects 2>/dev/null | grep -c 'RSA 3072')" "0"

# software_public_operations: verify and encrypt in Mbed TLS, results unchanged.
stop_service
write_p11_config "token_label = \"$PSH_P11_LABEL\"" "user_pin = \"$PSH_P11_PIN\"" "software_public_operations = true"
start_service || exit 1
check "software verify of a token signature" alice verify key-rsa-2048 --file "$T/msg" --sig-file "$T/key-rsa-2048.sig"
check_not "software verify rejects a tampered message" alice verify key-rsa-2048 --file "$T/msg2" --sig-file "$T/key-rsa-2048.sig"
check "software encrypt" alice encrypt enc --data 6869 --out "$T/ct3"
check_eq "token decrypts the software ciphertext" "$(alice decrypt enc --file "$T/ct3")" "6869"

# allow_export = false: a key that asks to be exportable is refused at creation (spec 6.2);
# psh-tool's keys do not ask, so they are still made.
stop_service
write_p11_config "slot_number = $PSH_P11_SLOT" "user_pin = \"$PSH_P11_PIN\"" "allow_export = false"
start_service || exit 1
check "slot_number selects the token; non-exportable keys are made" alice create-ecc-key plain
stop_service

# No user_pin: the service starts (the token may allow it); private-key use is refused.
write_p11_config "token_label = \"$PSH_P11_LABEL\""
PSH_LOG=all+warn start_service || exit 1
check_contains "no PIN: start-up warns" "$(cat "$T/service.log")" "no user_pin"
check_not "no PIN: signing fails" alice sign key-rsa-2048 --file "$T/msg"
stop_service

# Start-up errors: one line each, non-zero exit.
startup_error() { # startup_error "what" "expected text" provider lines...
  local what=$1 want=$2; shift 2
  write_p11_config "$@"
  out=$("$SERVICE" --config "$CONF" 2>&1); rc=$?
  check_not "$what: non-zero exit" test "$rc" -eq 0
  check_eq "$what: one line" "$(printf '%s\n' "$out" | grep -c .)" "1"
  check_contains "$what: names the problem" "$out" "$want"
}
good_lib=$PSH_P11_LIB
PSH_P11_LIB=/nonexistent/libnothing.so
startup_error "bad module path" "cannot load PKCS#11 module \"/nonexistent/libnothing.so\"" "token_label = \"$PSH_P11_LABEL\""
for lib in /lib/x86_64-linux-gnu/libz.so.1 /usr/lib/x86_64-linux-gnu/libz.so.1 /lib/aarch64-linux-gnu/libz.so.1; do
  [ -f "$lib" ] || continue
  PSH_P11_LIB=$lib
  startup_error "a library that is not a module" "not a PKCS#11 module" "token_label = \"$PSH_P11_LABEL\""
  break
done
PSH_P11_LIB=$good_lib
startup_error "wrong PIN" "wrong user_pin for token \"$PSH_P11_LABEL\"" "token_label = \"$PSH_P11_LABEL\"" "user_pin = \"0000\""
startup_error "missing slot" "no slot 4242 with an initialised token" "slot_number = 4242" "user_pin = \"$PSH_P11_PIN\""
startup_error "unknown label" "no initialised token with token_label \"nope\"" "token_label = \"nope\"" "user_pin = \"$PSH_P11_PIN\""
finish
