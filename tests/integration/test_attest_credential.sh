#!/usr/bin/env bash
# Software TPM2_MakeCredential (psh-attest make-credential) against a real TPM (swtpm via
# scripts/swtpm): tpm2_activatecredential recovers our secret for the AK it was made for;
# a flipped blob byte and a credential made for another name are refused by the TPM; and
# tpm2_makecredential's output round-trips the same way (same file layout).
source "$PSH_SRC/tests/integration/lib.sh"
ATT="$PSH_BUILD/attest/psh-attest"
for t in swtpm tpm2_createek tpm2_createak tpm2_activatecredential tpm2_makecredential; do
  command -v "$t" >/dev/null || { echo "SKIP: $t not installed (scripts/setup)"; echo "0 passed, 0 failed"; exit 0; }
done
[ -x "$PSH_SRC/scripts/swtpm" ] || { echo "SKIP: scripts/swtpm fixture missing"; echo "0 passed, 0 failed"; exit 0; }

TPMD="$T/tpm"
stop_tpm() { "$PSH_SRC/scripts/swtpm" stop "$TPMD" >/dev/null 2>&1 || true; }
trap 'stop_tpm; cleanup' EXIT
"$PSH_SRC/scripts/swtpm" start "$TPMD" >/dev/null || { fail "swtpm start"; finish; exit 1; }
# shellcheck disable=SC1091
source "$TPMD/env"
export TPM2TOOLS_TCTI="$PSH_TCTI"
cd "$T" || exit 1

tpm2_createek -c ek.ctx -G rsa -u ek.pub >/dev/null
tpm2_createak -C ek.ctx -c ak.ctx -G ecc -g sha256 -s ecdsa -u ak.pub -n ak.name >/dev/null
tpm2_flushcontext -t
NAME=$(xxd -p -c 256 ak.name)
SECRET=$(head -c 32 /dev/urandom | xxd -p -c 256)

activate() { # activate CREDFILE -> prints the recovered secret as hex, fails if the TPM refuses
  rm -f act.out
  tpm2_startauthsession --policy-session -S s.ctx >/dev/null &&
    tpm2_policysecret -S s.ctx -c e >/dev/null &&
    tpm2_activatecredential -c ak.ctx -C ek.ctx -i "$1" -o act.out -P"session:s.ctx" >/dev/null 2>&1
  local rc=$?
  tpm2_flushcontext s.ctx >/dev/null 2>&1
  tpm2_flushcontext -t >/dev/null 2>&1
  [ $rc -eq 0 ] && xxd -p -c 256 act.out
}

# Ours -> TPM.
check "make-credential" "$ATT" make-credential --ek-pub ek.pub --name "$NAME" --secret "$SECRET" \
  --out cred.ours --blob blob.bin --enc-secret sec.bin
check_eq "blob size (TPM2B hmac + TPM2B credential)" "$(stat -c %s blob.bin)" 68
check_eq "encrypted secret size (RSA-2048)" "$(stat -c %s sec.bin)" 256
check_eq "TPM recovers our secret" "$(activate cred.ours)" "$SECRET"
# The name computed from the AK's public area gives the same result.
"$ATT" make-credential --ek-pub ek.pub --object-public ak.pub --secret "$SECRET" --out cred.pub
check_eq "TPM recovers a credential named from ak.pub" "$(activate cred.pub)" "$SECRET"
# A second run uses a fresh seed: different bytes, same secret.
"$ATT" make-credential --ek-pub ek.pub --name "$NAME" --secret "$SECRET" --out cred.two
check_not "fresh seed per credential" cmp -s cred.ours cred.two
check_eq "TPM recovers our second credential" "$(activate cred.two)" "$SECRET"
# Integrity: one flipped byte in encIdentity, or a credential for another object's name.
python3 - cred.ours cred.bad <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read()); b[8 + 2 + 2 + 32 + 1] ^= 1
open(sys.argv[2], "wb").write(b)
PY
check_eq "flipped blob refused" "$(activate cred.bad || echo refused)" refused
OTHER="000b$(head -c 32 /dev/urandom | xxd -p -c 256)"
"$ATT" make-credential --ek-pub ek.pub --name "$OTHER" --secret "$SECRET" --out cred.other
check_eq "credential for another name refused" "$(activate cred.other || echo refused)" refused
# tpm2-tools' offline MakeCredential writes the same layout and comes back the same way.
echo "$SECRET" | xxd -r -p > secret.bin
tpm2_makecredential -T none -u ek.pub -s secret.bin -n "$NAME" -o cred.tt >/dev/null 2>&1
check_eq "tpm2_makecredential credential recovered" "$(activate cred.tt)" "$SECRET"
check_eq "same file size as tpm2-tools" "$(stat -c %s cred.tt)" "$(stat -c %s cred.ours)"
# Bad inputs give one clear line and a non-zero exit.
check_not "junk EK refused" "$ATT" make-credential --ek-pub secret.bin --name "$NAME" --secret 00 --out x
check_not "secret longer than the digest refused" "$ATT" make-credential --ek-pub ek.pub --name "$NAME" \
  --secret "$SECRET$SECRET" --out x
check_not "malformed name refused" "$ATT" make-credential --ek-pub ek.pub --name 000b00 --secret 00 --out x
finish
