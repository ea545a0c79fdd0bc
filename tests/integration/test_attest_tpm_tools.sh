#!/usr/bin/env bash
# The verifier against genuine TPM output, independent of the TPM provider: a helper makes
# TPM2_Certify + TPM2_Quote on swtpm through ESAPI, psh-attest tpm-evidence assembles the
# parsec-tpm CBOR, and psh-attest verify accepts it; tpm2_checkquote (tpm2-tools) accepts the
# same quote with the exported AK key. A stale nonce, a flipped byte in each signed
# structure, a different PCR state, a swapped key and a wrong AK are each rejected.
source "$PSH_SRC/tests/integration/lib.sh"
ATT="$PSH_BUILD/attest/psh-attest"
HELPER="$PSH_BUILD/attest/tpm_certify_quote"
for t in swtpm tpm2_checkquote tpm2_pcrread tpm2_pcrextend; do
  command -v "$t" >/dev/null || { echo "SKIP: $t not installed (scripts/setup)"; echo "0 passed, 0 failed"; exit 0; }
done
[ -x "$HELPER" ] || { echo "SKIP: tpm_certify_quote not built (tss2-esys missing)"; echo "0 passed, 0 failed"; exit 0; }
[ -x "$PSH_SRC/scripts/swtpm" ] || { echo "SKIP: scripts/swtpm fixture missing"; echo "0 passed, 0 failed"; exit 0; }

TPMD="$T/tpm"
trap '"$PSH_SRC/scripts/swtpm" stop "$TPMD" >/dev/null 2>&1; cleanup' EXIT
"$PSH_SRC/scripts/swtpm" start "$TPMD" >/dev/null || { fail "swtpm start"; finish; exit 1; }
# shellcheck disable=SC1091
source "$TPMD/env"
export TPM2TOOLS_TCTI="$PSH_TCTI"
cd "$T" || exit 1

pcr_refs() { # the current sha256 PCR 0..2 values as --pcr-ref arguments
  tpm2_pcrread sha256:0,1,2 -o pcrs.bin >/dev/null
  local hex i
  hex=$(xxd -p -c 1000 pcrs.bin)
  for i in 0 1 2; do printf -- '--pcr-ref sha256:%d:%s ' "$i" "${hex:$((i * 64)):64}"; done
}
build() { # build DIR OUT [key.pub override]
  "$ATT" tpm-evidence --ak-public "$1/ak.pub" --key-public "${3:-$1/key.pub}" --certify-info "$1/certinfo" \
    --certify-sig "$1/certsig" --quote-info "$1/quote" --quote-sig "$1/quotesig" --out "$2"
}
verify() { # verify NONCE ANCHOR EVIDENCE REFS... -> appraisal JSON on stdout, exit code kept
  local n=$1 a=$2 e=$3; shift 3
  # shellcheck disable=SC2068
  "$ATT" verify --format parsec-tpm --nonce "$n" --anchor "$a" $@ "$e"
}

N=$(head -c 32 /dev/urandom | xxd -p -c 64)
mkdir -p a
check "certify + quote on swtpm" "$HELPER" "$PSH_TCTI" "$N" a
check "assemble evidence" build a ev.cbor
"$ATT" tpm-pubkey --public a/ak.pub > ak.pem
"$ATT" tpm-pubkey --public a/key.pub > key.pem
REFS=$(pcr_refs)
out=$(verify "$N" ak.pem ev.cbor $REFS)
check_eq "genuine TPM evidence verifies" "$?" 0
check_contains "attested key is the certified key" "$out" "\"spki_der\": \"$(openssl pkey -pubin -in key.pem -outform DER | xxd -p -c 1000)\""
check "tpm2_checkquote accepts the PAT quote" tpm2_checkquote -u ak.pem -m a/quote -s a/quotesig -g sha256 -q "$N"
check_not "tpm2_checkquote refuses another nonce" tpm2_checkquote -u ak.pem -m a/quote -s a/quotesig -g sha256 -q "00$N"

# Stale nonce.
out=$(verify "00$N" ak.pem ev.cbor $REFS)
check_eq "stale nonce rejected" "$?" 1
check_contains "stale nonce reason" "$out" "kat.nonce: nonce in the evidence"
# A flipped byte in each signed structure (and in the attested key's public area).
for f in certinfo certsig quote quotesig key.pub; do
  rm -rf b && cp -r a b
  python3 -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[len(b)//2]^=1; open(p,"wb").write(b)' "b/$f"
  build b bad.cbor 2>/dev/null
  verify "$N" ak.pem bad.cbor $REFS >/dev/null 2>&1
  check_eq "flipped byte in $f rejected" "$?" 1
done
# Swapped key: the AK's own public area presented as the attested key.
build a swap.cbor a/ak.pub
out=$(verify "$N" ak.pem swap.cbor $REFS)
check_eq "swapped key rejected" "$?" 1
check_contains "swapped key reason" "$out" "kat.name: certified name differs"
# Wrong AK.
out=$(verify "$N" key.pem ev.cbor $REFS)
check_eq "another key as AK rejected" "$?" 1
check_contains "wrong AK reason" "$out" "pat.signature: signature does not verify"
# Different PCR state: extend PCR 1, quote again; the old reference values no longer match.
tpm2_pcrextend 1:sha256=$(printf '%064x' 1) >/dev/null
N2=$(head -c 32 /dev/urandom | xxd -p -c 64)
mkdir -p c
"$HELPER" "$PSH_TCTI" "$N2" c && build c ev2.cbor
out=$(verify "$N2" ak.pem ev2.cbor $REFS)
check_eq "changed PCR state rejected" "$?" 1
check_contains "PCR reason" "$out" "pat.pcrs: PCR digest does not match"
verify "$N2" ak.pem ev2.cbor $(pcr_refs) >/dev/null
check_eq "new PCR state with new reference values verifies" "$?" 0
finish
