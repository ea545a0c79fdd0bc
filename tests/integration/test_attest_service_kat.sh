#!/usr/bin/env bash
# KAT evidence (docs/evidence.md) through psh-service from the soft provider (attestation keys in
# a provider-private file next to the KIM) and the PKCS#11 provider on SoftHSM (attestation
# keys in the token): psh-attest verify --format kat accepts it with the platform key the
# service exports and names the attested key; a stale nonce, flipped bytes, another
# application's key and an RSA key are refused; the platform key is the same after a restart;
# the token keys are not visible to applications and are sensitive, never extractable.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pkcs11_lib.sh"
ATT="$PSH_BUILD/attest/psh-attest"
command -v softhsm2-util >/dev/null || { echo "softhsm2-util missing (scripts/setup)"; exit 1; }
trap 'stop_service; "$PSH_SRC/scripts/softhsm-token" stop "$P11_DIR" >/dev/null 2>&1; rm -rf "$T"' EXIT
trap 'exit 143' TERM INT HUP
p11_token_start || { fail "softhsm token"; finish; exit 1; }
write_p11_config
cat >> "$CONF" <<TOML
token_label = "$PSH_P11_LABEL"
user_pin = "$PSH_P11_PIN"

[[provider]]
provider_type = "MbedCrypto"
key_info_manager = "sqlite-manager"
TOML
# write_p11_config already added label/pin lines when called without arguments: keep one copy.
python3 - "$CONF" <<'PY'
import sys
p = sys.argv[1]; out = []; seen = set()
for line in open(p):
    k = line.split("=")[0].strip()
    if k in ("token_label", "user_pin"):
        if k in seen: continue
        seen.add(k)
    out.append(line)
open(p, "w").write("".join(out))
PY
start_service || exit 1
cd "$T" || exit 1
alice() { tool --auth direct --app alice "$@"; }

for prov in 1 2; do
  name=$([ $prov = 1 ] && echo soft || echo pkcs11)
  check "$name: create ik" alice --provider $prov create-ecc-key "ik$prov" --curve p256
  alice --provider $prov export-public-key "ik$prov" --out "ik$prov.pem"
  check "$name: attestation-key" alice --provider $prov attestation-key "ik$prov" --out "pak$prov.pem"
  check_contains "$name: media type" "$(alice --provider $prov attestation-key "ik$prov")" "application/cmw+cbor"
  N=$(head -c 32 /dev/urandom | xxd -p -c 64)
  check "$name: attest" alice --provider $prov attest "ik$prov" --nonce "$N" --out "ev$prov.cbor"
  "$ATT" verify --format kat --nonce "$N" --anchor "pak$prov.pem" "ev$prov.cbor" > "ap$prov.json"
  check_eq "$name: psh-attest verify accepts it" $? 0
  IKDER=$(openssl pkey -pubin -in "ik$prov.pem" -outform DER | xxd -p -c 1000)
  check_contains "$name: attested key = ik's public key" "$(cat "ap$prov.json")" "$IKDER"
  check_not "$name: stale nonce rejected" "$ATT" verify --format kat --nonce "$(head -c 32 /dev/urandom | xxd -p -c 64)" --anchor "pak$prov.pem" "ev$prov.cbor"
  len=$(stat -c %s "ev$prov.cbor")
  bad=0
  for off in $(seq 20 29 $((len - 1))); do
    python3 -c "import sys; b=bytearray(open('ev$prov.cbor','rb').read()); b[$off]^=1; open('flip.cbor','wb').write(b)"
    "$ATT" verify --format kat --nonce "$N" --anchor "pak$prov.pem" flip.cbor >/dev/null 2>&1 && bad=$((bad + 1))
  done
  check_eq "$name: every flipped byte rejected" "$bad" 0
  check_contains "$name: another application's key does not exist" \
    "$(tool --auth direct --app bob --provider $prov attest "ik$prov" --nonce "$N" 2>&1)" PsaErrorDoesNotExist
  alice --provider $prov create-rsa-key "rsa$prov" --bits 2048 >/dev/null
  check_contains "$name: RSA key: NotSupported (the KAT's cnf is an EC2 key)" \
    "$(alice --provider $prov attest "rsa$prov" --nonce "$N" 2>&1)" PsaErrorNotSupported
  check_contains "$name: ActivateCredential: NotSupported" \
    "$(alice --provider $prov activate-credential "ik$prov" --blob 00 --secret 00 2>&1)" PsaErrorNotSupported
done
check_not "soft and pkcs11 platform keys differ" cmp -s pak1.pem pak2.pem
check_eq "soft key file is private" "$(stat -c %a "$DB.soft-attest.pem")" 600
check_eq "applications see only their own keys" "$(alice list-keys | grep -c attest)" 0
KAKINFO=$(p11_tool --login --pin "$PSH_P11_PIN" --list-objects --type privkey 2>/dev/null | grep -A4 'label: *psh-attest-kak')
check_contains "the token's KAK is sensitive" "$KAKINFO" "sensitive"
check_contains "the token's KAK was never extractable" "$KAKINFO" "never extractable"
stop_service
start_service || exit 1
for prov in 1 2; do
  alice --provider $prov attestation-key "ik$prov" --out "pak$prov.again.pem" >/dev/null
  check "provider $prov: same platform key after a restart" cmp -s "pak$prov.pem" "pak$prov.again.pem"
  N=$(head -c 16 /dev/urandom | xxd -p -c 64)
  alice --provider $prov attest "ik$prov" --nonce "$N" --out again.cbor
  check "provider $prov: evidence after the restart verifies with the old platform key" \
    "$ATT" verify --format kat --nonce "$N" --anchor "pak$prov.pem" again.cbor
done
finish
