#!/usr/bin/env bash
# psh-attest as a user runs it: verify exits 0 only for fully verified evidence and prints
# the appraisal JSON with the reason for every failed check; show prints diagnostic
# notation; endorse prints CoMID JSON; kat-sign output verifies with the platform key.
source "$PSH_SRC/tests/integration/lib.sh"
ATT="$PSH_BUILD/attest/psh-attest"
V="$PSH_SRC/tests/data/attest"
TPMEV="$V/parsec-tpm/veraison-services/evidence.cbor"
Z=0000000000000000000000000000000000000000000000000000000000000000
PCRS=(--pcr-ref "sha256:0:$Z" --pcr-ref "sha256:1:$Z" --pcr-ref "sha256:2:$Z")

out=$("$ATT" verify --format parsec-tpm --nonce deadbeefdeadbeef --anchor "$V/keys/parsec-tpm-ak-p256.pub.pem" "${PCRS[@]}" "$TPMEV")
check_eq "tpm vector verifies (exit 0)" "$?" 0
check_contains "verdict" "$out" '"verdict": "affirming"'
check_eq "akpub is the IK from the pubArea" "$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["attested_key"]["spki_der"])')" \
  "$(openssl pkey -pubin -in "$V/keys/parsec-tpm-services-ik-p256.pub.pem" -outform DER | xxd -p -c 1000)"
out=$("$ATT" verify --format parsec-tpm --nonce 0011223344556677 --anchor "$V/keys/parsec-tpm-ak-p256.pub.pem" "${PCRS[@]}" "$TPMEV")
check_eq "stale nonce: exit 1" "$?" 1
check_contains "stale nonce reason" "$out" '"kat.nonce: nonce in the evidence'
check_contains "verdict" "$out" '"verdict": "contraindicated"'
"$ATT" verify --format parsec-tpm --nonce deadbeefdeadbeef --anchor "$V/keys/parsec-tpm-ak-p256.pub.pem" "$TPMEV" >/dev/null
check_eq "no PCR reference values: not fully verified" "$?" 1
"$ATT" verify --format parsec-tpm --nonce deadbeefdeadbeef --anchor "$V/parsec-tpm/veraison-services/corim-parsec-tpm-valid.cbor" "$TPMEV" >/dev/null
check_eq "tpm vector verifies with the CoRIM's anchor and PCR values" "$?" 0
"$ATT" verify --format parsec-cca --nonce 0001020304050607 --anchor "$V/parsec-cca/veraison-services/corim-parsec-cca-valid.cbor" \
  "$V/parsec-cca/veraison-services/evidence.cbor" >/dev/null
check_eq "cca vector verifies with the CoRIM's anchor" "$?" 0
T6=0f0e0d0c0b0a090817161514131211101f1e1d1c1b1a1918
CCAREF=(--cca-ref "swcomp:BL:0706050403020100$T6" --cca-ref "swcomp:M1:0b06050403020100$T6"
        --cca-ref "swcomp:M2:0f06050403020100$T6" --cca-ref "swcomp:M3:1306050403020100$T6"
        --cca-ref config:010203)
"$ATT" verify --format parsec-cca --nonce 0001020304050607 --anchor "$V/keys/parsec-cca-iak-p256.pub.pem" \
  "${CCAREF[@]}" "$V/parsec-cca/veraison-services/evidence.cbor" >/dev/null
check_eq "cca vector verifies" "$?" 0
out=$("$ATT" verify --format parsec-cca --nonce 0001020304050607 --anchor "$V/keys/parsec-cca-iak-p256.pub.pem" \
  "${CCAREF[@]::8}" --cca-ref config:0102 "$V/parsec-cca/veraison-services/evidence.cbor")
check_eq "cca with another platform config: exit 1" "$?" 1
check_contains "config reason" "$out" "configuration unsafe"
"$ATT" verify --format parsec-cca --nonce 0001020304050607 --anchor "$V/keys/parsec-tpm-ak-p256.pub.pem" \
  "${CCAREF[@]}" "$V/parsec-cca/veraison-services/evidence.cbor" >/dev/null
check_eq "cca with a wrong IAK: exit 1" "$?" 1
"$ATT" verify --format parsec-tpm --nonce 30303030 --anchor "$V/keys/parsec-tpm-ak-p256.pub.pem" \
  "$V/parsec-tpm/veraison-parsec/evidence_invalid.cbor" >/dev/null
check_eq "corrupted CBOR: exit 1" "$?" 1
"$ATT" verify --format nope --nonce 00 x 2>/dev/null
check_eq "usage error: exit 2" "$?" 2
"$ATT" verify --format parsec-tpm --nonce 00 --anchor "$V/parsec-tpm/veraison-services/evidence.diag" "$TPMEV" 2>/dev/null
check_eq "non-key anchor: exit 2" "$?" 2

# show: diagnostic notation, embedded CBOR opened.
out=$("$ATT" show "$V/parsec-cca/veraison-parsec/evidence.cbor")
check_contains "show: UCCS tag" "$out" "601({"
check_contains "show: COSE_Sign1 opened" "$out" "<<18(["
check_not "show refuses corrupted CBOR" "$ATT" show "$V/parsec-tpm/veraison-parsec/evidence_invalid.cbor"

# endorse: the AK trust anchor and PCR reference values as CoMID JSON.
out=$("$ATT" endorse ta --ak-pub "$V/keys/parsec-tpm-ak-p256.pub.pem" --kid 0188855459eeb9e9b34a46eb48cb39f2f6aa69da04522a326d123d5c501fce210c)
check_contains "endorse ta: instance = kid" "$out" '"value": "AYiFVFnuuemzSkbrSMs58vaqadoEUioybRI9XFAfziEM"'
check_contains "endorse ta: key type" "$out" '"type": "pkix-base64-key"'
out=$("$ATT" endorse refval "${PCRS[@]}")
check_contains "endorse refval: sha-256 digest" "$out" '"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"'
check "endorse refval is JSON" python3 -c 'import json,sys; json.loads(sys.argv[1])' "$out"

# kat-sign with keys made by openssl, verified with the platform key only.
cd "$T" || exit 1
for k in pak kak ik; do openssl ecparam -name prime256v1 -genkey -noout -out $k.pem 2>/dev/null; done
openssl ec -in pak.pem -pubout -out pak.pub 2>/dev/null
openssl ec -in ik.pem -pubout -out ik.pub 2>/dev/null
N=$(head -c 32 /dev/urandom | xxd -p -c 64)
check "kat-sign" "$ATT" kat-sign --pak pak.pem --kak kak.pem --key ik.pub --nonce "$N" --out ev.cbor
check "kat verifies" "$ATT" verify --format kat --nonce "$N" --anchor pak.pub ev.cbor
check_not "kat with another nonce" "$ATT" verify --format kat --nonce "00$N" --anchor pak.pub ev.cbor
check_not "kat with the KAK as platform anchor" sh -c "openssl ec -in kak.pem -pubout 2>/dev/null > kak.pub && '$ATT' verify --format kat --nonce $N --anchor kak.pub ev.cbor"
out=$("$ATT" show ev.cbor)
check_contains "show kat: collection type" "$out" '"tag:ietf.org,2024-02-29:rats/kat"'
check_contains "show kat: kak-pub label" "$out" "2500: {"
finish
