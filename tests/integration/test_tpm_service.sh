#!/usr/bin/env bash
# The TPM provider through psh-service against a running swtpm (scripts/swtpm): every
# operation, checked independently with openssl where it can be; the core's policy refusals on
# TPM keys; keys surviving a TPM power cycle plus a service restart; swtpm dying mid-run.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tpm_lib.sh"

command -v swtpm >/dev/null || { echo "swtpm missing (scripts/setup)"; exit 1; }
swtpm_start || exit 1
tpm_write_config
start_service || exit 1
alice() { tool --auth direct --app alice "$@"; }
bob() { tool --auth direct --app bob "$@"; }

check_contains "list-providers names the TPM provider first" "$(tool --auth none list-providers | head -3)" "1e4954a4-ff21-46d3-ab0c-661eeb667e1d"
check_eq "ListOpcodes of the TPM provider" "$(tool --auth none --provider 3 list-opcodes | tr -dc '0-9\n' | sort -n | tr '\n' ' ')" "2 3 4 5 6 7 10 11 13 15 16 24 25 30 31 32 "

# ---- generate, export, sign, verify (and openssl verifies) -----------------------------------
printf 'message to sign\n' > "$T/msg"
for spec in "ecc p256:create-ecc-key --curve p256" "ecc p384:create-ecc-key --curve p384" \
            "rsa 2048:create-rsa-key --bits 2048" "rsa pss:create-rsa-key --bits 2048 --pss" \
            "rsa 3072:create-rsa-key --bits 3072"; do
  label=${spec%%:*}; cmd=${spec#*:}
  name="key-${label// /-}"
  set -- $cmd
  check "$label: create" alice "$1" "$name" "${@:2}"
  check "$label: export PEM" alice export-public-key "$name" --out "$T/$name.pem"
  check "$label: PEM parses with openssl" openssl pkey -pubin -in "$T/$name.pem" -noout
  der=(); [[ "$label" == ecc* ]] && der=(--der)
  check "$label: sign" alice sign "$name" --file "$T/msg" "${der[@]}" --out "$T/$name.sig"
  check "$label: verify through the service" alice verify "$name" --file "$T/msg" --sig-file "$T/$name.sig" "${der[@]}"
  dgst=-sha256; [ "$label" == "ecc p384" ] && dgst=-sha384
  sigopt=(); [ "$label" == "rsa pss" ] && sigopt=(-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:-2)
  check "$label: openssl verifies the TPM's signature" openssl dgst "$dgst" "${sigopt[@]}" -verify "$T/$name.pem" -signature "$T/$name.sig" "$T/msg"
  cp "$T/msg" "$T/msg2"; echo "tampered" >> "$T/msg2"
  check_not "$label: openssl rejects it for another message" openssl dgst "$dgst" "${sigopt[@]}" -verify "$T/$name.pem" -signature "$T/$name.sig" "$T/msg2"
  check_not "$label: service rejects it for another message" alice verify "$name" --file "$T/msg2" --sig-file "$T/$name.sig" "${der[@]}"
done
# PSS with the salt as long as the hash (what PSA_ALG_RSA_PSS means), checked by openssl.
check "rsa pss: salt length = hash length" openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest -verify "$T/key-rsa-pss.pem" -signature "$T/key-rsa-pss.sig" "$T/msg"
check "sign-message" alice sign-message key-ecc-p256 --alg ecdsa-sha256 --file "$T/msg" --der --out "$T/sm.sig"
check "openssl verifies sign-message" openssl dgst -sha256 -verify "$T/key-ecc-p256.pem" -signature "$T/sm.sig" "$T/msg"
check "verify-message" alice verify-message key-ecc-p256 --alg ecdsa-sha256 --file "$T/msg" --sig-file "$T/sm.sig" --der
check_not "verify-message rejects another message" alice verify-message key-ecc-p256 --alg ecdsa-sha256 --file "$T/msg2" --sig-file "$T/sm.sig" --der

# ---- asymmetric encryption: openssl encrypts to the exported key, the TPM decrypts --------------
printf 'secret payload' > "$T/plain"
check "rsa pkcs1 crypt: create" alice create-key enc-pkcs1 --type rsa --bits 2048 --alg rsa-pkcs1-crypt --usage encrypt,decrypt
check "rsa oaep: create" alice create-key enc-oaep --type rsa --bits 2048 --alg rsa-oaep-sha256 --usage encrypt,decrypt
alice export-public-key enc-pkcs1 --out "$T/enc-pkcs1.pem"
alice export-public-key enc-oaep --out "$T/enc-oaep.pem"
check "pkcs1: service encrypts" alice encrypt enc-pkcs1 --file "$T/plain" --out "$T/c1"
check_eq "pkcs1: TPM decrypts the service's ciphertext" "$(alice decrypt enc-pkcs1 --file "$T/c1" --out /dev/stdout)" "secret payload"
openssl pkeyutl -encrypt -pubin -inkey "$T/enc-pkcs1.pem" -in "$T/plain" -out "$T/c2" 2>/dev/null
check_eq "pkcs1: TPM decrypts openssl's ciphertext" "$(alice decrypt enc-pkcs1 --file "$T/c2" --out /dev/stdout)" "secret payload"
openssl pkeyutl -encrypt -pubin -inkey "$T/enc-oaep.pem" -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256 -in "$T/plain" -out "$T/c3" 2>/dev/null
check_eq "oaep: TPM decrypts openssl's ciphertext" "$(alice decrypt enc-oaep --file "$T/c3" --out /dev/stdout)" "secret payload"
check "oaep: service encrypts" alice encrypt enc-oaep --file "$T/plain" --out "$T/c4"
check_eq "oaep: round trip" "$(alice decrypt enc-oaep --file "$T/c4" --out /dev/stdout)" "secret payload"
printf 'X' | dd of="$T/c3" bs=1 seek=20 conv=notrunc 2>/dev/null
check_not "oaep: a damaged ciphertext is refused" alice decrypt enc-oaep --file "$T/c3"

# ---- random and hashes ---------------------------------------------------------------------------
r1=$(alice generate-random 100); r2=$(alice generate-random 100)
check_eq "generate-random 100 gives 100 bytes" "${#r1}" "200"
check_not "two random draws differ" test "$r1" == "$r2"
check_eq "generate-random 5000 (looped TPM2_GetRandom)" "$(alice generate-random 5000 | tr -d '\n' | wc -c)" "10000"
head -c 5000 /dev/urandom > "$T/big"
for alg in sha256 sha384; do
  want=$(openssl dgst -$alg -r "$T/msg" | cut -d' ' -f1)
  check_eq "hash $alg (TPM2_Hash) = openssl" "$(alice hash --alg $alg --file "$T/msg")" "$want"
  want=$(openssl dgst -$alg -r "$T/big" | cut -d' ' -f1)
  check_eq "hash $alg of 5000 bytes (hash sequence) = openssl" "$(alice hash --alg $alg --file "$T/big")" "$want"
  check "hash-compare $alg" alice hash-compare --alg $alg --hash "$want" --file "$T/big"
  check_not "hash-compare $alg refuses a wrong hash" alice hash-compare --alg $alg --hash "00$want" --file "$T/big"
done
check_contains "hash sha512 is not served by this provider" "$(alice hash --alg sha512 --file "$T/msg" 2>&1)" "PsaErrorNotSupported"

# ---- import: public keys, and private keys through TPM2_Import -------------------------------------
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/ext-ec.pem" 2>/dev/null
openssl pkey -in "$T/ext-ec.pem" -pubout -out "$T/ext-ec.pub.pem" 2>/dev/null
openssl dgst -sha256 -sign "$T/ext-ec.pem" -out "$T/ext.sig" "$T/msg"
check "import ecc-public" alice import-key ext-pub --type ecc-public --file "$T/ext-ec.pub.pem" --alg ecdsa-sha256 --usage verify-hash
check "an openssl signature verifies through the imported public key" alice verify ext-pub --file "$T/msg" --sig-file "$T/ext.sig" --der
check_not "a public key cannot sign" alice sign ext-pub --file "$T/msg"
check "import ecc-pair (TPM2_Import)" alice import-key ext-pair --type ecc-pair --file "$T/ext-ec.pem" --alg ecdsa-sha256 --usage sign-hash,verify-hash
check "the TPM signs with the imported key" alice sign ext-pair --file "$T/msg" --der --out "$T/ext-pair.sig"
check "openssl verifies it with its own public key" openssl dgst -sha256 -verify "$T/ext-ec.pub.pem" -signature "$T/ext-pair.sig" "$T/msg"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/ext-rsa.pem" 2>/dev/null
check "import rsa-pair (TPM2_Import)" alice import-key ext-rsa --type rsa-pair --file "$T/ext-rsa.pem" --alg rsa-pkcs1-sha256 --usage sign-hash,verify-hash
check "the TPM signs with the imported RSA key" alice sign ext-rsa --file "$T/msg" --out "$T/ext-rsa.sig"
check "openssl verifies the imported RSA key's signature" openssl dgst -sha256 -verify <(openssl pkey -in "$T/ext-rsa.pem" -pubout 2>/dev/null) -signature "$T/ext-rsa.sig" "$T/msg"
openssl pkey -in "$T/ext-rsa.pem" -pubout -out "$T/ext-rsa.pub.pem" 2>/dev/null
openssl dgst -sha256 -sign "$T/ext-rsa.pem" -out "$T/ext-rsa-ossl.sig" "$T/msg"
check "import rsa-public" alice import-key ext-rsa-pub --type rsa-public --file "$T/ext-rsa.pub.pem" --alg rsa-pkcs1-sha256 --usage verify-hash
check "an openssl RSA signature verifies through the imported public key" alice verify ext-rsa-pub --file "$T/msg" --sig-file "$T/ext-rsa-ossl.sig"
check_not "and not for another message" alice verify ext-rsa-pub --file "$T/msg2" --sig-file "$T/ext-rsa-ossl.sig"
check "import rsa-public for OAEP" alice import-key ext-rsa-enc --type rsa-public --file "$T/ext-rsa.pub.pem" --alg rsa-oaep-sha256 --usage encrypt
check "encrypt to the imported public key" alice encrypt ext-rsa-enc --file "$T/plain" --out "$T/c5"
check_eq "openssl decrypts it with the private key" "$(openssl pkeyutl -decrypt -inkey "$T/ext-rsa.pem" -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256 -in "$T/c5" 2>/dev/null)" "secret payload"

# ---- the core's policy, applied to TPM keys --------------------------------------------------------
check "verify-only key" alice create-key verify-only --type ecc --curve p256 --alg ecdsa-sha256 --usage verify-hash
check_contains "signing with a verify-only key is NotPermitted" "$(alice sign verify-only --file "$T/msg" 2>&1)" "PsaErrorNotPermitted"
check_contains "another hash than the key's algorithm is NotPermitted" "$(alice sign key-ecc-p256 --hash "$(openssl dgst -sha384 -r "$T/msg" | cut -d' ' -f1)" 2>&1)" "PsaError"
check "encrypt-only key" alice create-key enc-only --type rsa --bits 2048 --alg rsa-pkcs1-crypt --usage encrypt
check_contains "decrypting with an encrypt-only key is NotPermitted" "$(alice decrypt enc-only --file "$T/c1" 2>&1)" "PsaErrorNotPermitted"
check_contains "export-key is not served by the TPM provider" "$(alice export-key key-ecc-p256 2>&1)" "failed"
check_contains "bob cannot use alice's key" "$(bob sign key-ecc-p256 --file "$T/msg" 2>&1)" "PsaErrorDoesNotExist"
check_not "bob cannot delete alice's key" bob delete-key key-ecc-p256
check_eq "bob lists no keys" "$(bob list-keys | grep -c key-)" "0"
check "can-do-crypto: P-256 ECDSA generate" alice can-do-crypto --type ecc --curve p256 --alg ecdsa-sha256 --check generate
check_not "can-do-crypto: AES is not done by the TPM provider" alice can-do-crypto --type aes --bits 128 --alg gcm --check generate
check_not "can-do-crypto: deterministic ECDSA is not done" alice can-do-crypto --type ecc --curve p256 --alg det-ecdsa-sha256 --check generate
check_not "generating a 521-bit ECC key is refused" alice create-key x --type ecc --bits 521
check "delete" alice delete-key verify-only
check_not "a deleted key cannot be used" alice verify verify-only --file "$T/msg" --sig-file "$T/key-ecc-p256.sig" --der

# ---- TPM reset survival: power cycle on the same state, service restarted -------------------------
before=$(alice list-keys | sort)
stop_service
check "swtpm power cycle" swtpm_restart
start_service || exit 1
check_eq "every key still listed after the TPM reset" "$(alice list-keys | sort)" "$before"
for name in key-ecc-p256 key-ecc-p384 key-rsa-2048 key-rsa-pss key-rsa-3072 ext-pair ext-rsa; do
  der=(); [[ "$name" == key-ecc* || "$name" == ext-pair ]] && der=(--der)
  check "$name signs after the reset" alice sign "$name" --file "$T/msg" "${der[@]}" --out "$T/after.sig"
  pem="$T/$name.pem"; [ "$name" == ext-pair ] && pem="$T/ext-ec.pub.pem"
  [ "$name" == ext-rsa ] && { openssl pkey -in "$T/ext-rsa.pem" -pubout -out "$T/ext-rsa.pub.pem" 2>/dev/null; pem="$T/ext-rsa.pub.pem"; }
  dgst=-sha256; [ "$name" == key-ecc-p384 ] && dgst=-sha384
  sigopt=(); [ "$name" == key-rsa-pss ] && sigopt=(-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:-2)
  check "$name: openssl verifies the post-reset signature" openssl dgst "$dgst" "${sigopt[@]}" -verify "$pem" -signature "$T/after.sig" "$T/msg"
  check "$name: pre-reset signature still verifies" alice verify "$name" --file "$T/msg" --sig-file "$T/$name.sig" "${der[@]}"
done
check_eq "oaep key decrypts after the reset" "$(alice decrypt enc-oaep --file "$T/c4" --out /dev/stdout)" "secret payload"
# Power cycles while the service runs (swtpm's TCTI reconnects by itself; the provider sees its
# primary gone and re-creates it). Every cycle is an unorderly reset, which counts towards the
# TPM's dictionary-attack lockout unless the keys are noDA: six in a row must all work.
cycles_ok=0
for i in 1 2 3 4 5 6; do
  if ! swtpm_restart; then echo "cycle $i: swtpm restart failed" >&2; continue; fi
  if ! out=$(alice sign key-ecc-p256 --file "$T/msg" --der --out "$T/cyc.sig" 2>&1); then
    echo "cycle $i: $out" >&2; continue
  fi
  openssl dgst -sha256 -verify "$T/key-ecc-p256.pem" -signature "$T/cyc.sig" "$T/msg" >/dev/null 2>&1 &&
    cycles_ok=$((cycles_ok + 1))
done
check_eq "a key signs after each of 6 power cycles (no DA lockout)" "$cycles_ok" "6"

# ---- swtpm dying mid-run: a clear status, then service again once it is back -----------------------
swtpm_stop
out=$(alice sign key-ecc-p256 --file "$T/msg" 2>&1)
check_contains "with swtpm gone a request fails with CommunicationFailure" "$out" "PsaErrorCommunicationFailure"
check_contains "random fails the same way" "$(alice generate-random 8 2>&1)" "PsaErrorCommunicationFailure"
check "the service is still up" tool --auth none ping
check "swtpm back (same state)" swtpm_restart
check "signing works again once swtpm is back" alice sign key-ecc-p256 --file "$T/msg" --der --out "$T/back.sig"
check "openssl verifies it" openssl dgst -sha256 -verify "$T/key-ecc-p256.pem" -signature "$T/back.sig" "$T/msg"
finish
