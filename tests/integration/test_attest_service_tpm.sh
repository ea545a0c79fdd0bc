#!/usr/bin/env bash
# Key attestation through psh-service on the TPM provider (swtpm via scripts/swtpm):
# - ActivateCredential (upstream opcodes 31/30): PrepareKeyAttestation returns the key's TPM
#   name, public area and the EK's public key (checked against tpm2_createek's EK); a
#   credential made offline by tpm2_makecredential and one made by psh-attest make-credential
#   both come back through AttestKey; junk blobs give PsaErrorInvalidArgument.
# - parsec-tpm evidence (mechanism 1001): accepted by psh-attest verify with the AK public
#   key the service exports; the PAT quote verifies with tpm2_checkquote; a stale nonce, a
#   flipped byte in each signed structure, a different PCR state (tpm2_pcrextend) and a
#   swapped key are each rejected. The AK is the same after a service and TPM restart.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tpm_lib.sh"
ATT="$PSH_BUILD/attest/psh-attest"
for t in swtpm tpm2_createek tpm2_makecredential tpm2_checkquote tpm2_pcrread tpm2_pcrextend; do
  command -v "$t" >/dev/null || { echo "$t missing (scripts/setup)"; exit 1; }
done
cd "$T" || exit 1
swtpm_start || exit 1
# swtpm serves one connection at a time: read the TPM with tpm2-tools before the service.
tpm2_createek -c ek.ctx -G rsa -u ek.pub >/dev/null || { fail "tpm2_createek"; finish; exit 1; }
tpm2_flushcontext -t >/dev/null 2>&1
tpm2_pcrread sha256:0,1,2,3,4,5,6,7 -o pcrs.bin >/dev/null
pcr_refs() { # pcr_refs FILE -> --pcr-ref options for PCRs 0-7 from tpm2_pcrread -o output
  python3 - "$1" <<'PY'
import sys
b = open(sys.argv[1], "rb").read()
print(" ".join("--pcr-ref sha256:%d:%s" % (i, b[32*i:32*i+32].hex()) for i in range(8)))
PY
}
REFS=$(pcr_refs pcrs.bin)
tpm_write_config
start_service || exit 1
alice() { tool --auth direct --app alice "$@"; }
bob() { tool --auth direct --app bob "$@"; }

check_contains "ListOpcodes of the TPM provider names 30 and 31" \
  "$(tool --auth none --provider 3 list-opcodes | tr -dc '0-9\n' | sort -n | tr '\n' ' ')" "25 30 31 32"

# ---- ActivateCredential ---------------------------------------------------------------------
check "create an RSA decryption key" alice create-rsa-key att --bits 2048 --for encrypt
check "prepare-attestation" alice prepare-attestation att --name-out name.bin --public-out pub.bin --ek-out ek.der
check_eq "name = nameAlg || SHA-256(public)" "$(python3 - <<'PY'
import hashlib
n = open("name.bin","rb").read(); p = open("pub.bin","rb").read()
print("ok" if n == b"\x00\x0b" + hashlib.sha256(p).digest() else "bad")
PY
)" ok
check_eq "EK public = tpm2_createek's EK (default RSA-2048 template)" "$(python3 - <<'PY'
e = open("ek.pub","rb").read(); d = open("ek.der","rb").read()
print("ok" if e[-256:] in d and len(d) < 300 else "bad")
PY
)" ok
NAME=$(xxd -p -c 256 name.bin)
SECRET=$(head -c 32 /dev/urandom | xxd -p -c 256)
echo "$SECRET" | xxd -r -p > secret.bin
tpm2_makecredential -T none -u ek.pub -s secret.bin -n "$NAME" -o cred.tt >/dev/null 2>&1
check_eq "tpm2_makecredential credential comes back through AttestKey" \
  "$(alice activate-credential att --cred-file cred.tt)" "$SECRET"
# The same with only what PrepareKeyAttestation returned: its EK (DER RSAPublicKey) as PEM.
openssl rsa -RSAPublicKey_in -inform DER -in ek.der -pubout -out ek.svc.pem 2>/dev/null
tpm2_makecredential -T none -G rsa -u ek.svc.pem -s secret.bin -n "$NAME" -o cred.svc >/dev/null 2>&1
check_eq "tpm2_makecredential with the service's EK public comes back through AttestKey" \
  "$(alice activate-credential att --cred-file cred.svc)" "$SECRET"
"$ATT" make-credential --ek-pub ek.pub --name "$NAME" --secret "$SECRET" --out cred.ours >/dev/null
check_eq "psh-attest make-credential credential comes back through AttestKey" \
  "$(alice activate-credential att --cred-file cred.ours)" "$SECRET"
"$ATT" make-credential --ek-pub ek.pub --object-public pub.bin --secret "$SECRET" --out cred.pub >/dev/null
check_eq "credential named from the returned public area comes back" \
  "$(alice activate-credential att --cred-file cred.pub)" "$SECRET"
JB=$(head -c 52 /dev/urandom | xxd -p -c 256); JS=$(head -c 256 /dev/urandom | xxd -p -c 512)
check_contains "junk blob and secret: PsaErrorInvalidArgument" \
  "$(alice activate-credential att --blob "$JB" --secret "$JS" 2>&1)" PsaErrorInvalidArgument
OTHER="000b$(head -c 32 /dev/urandom | xxd -p -c 256)"
"$ATT" make-credential --ek-pub ek.pub --name "$OTHER" --secret "$SECRET" --out cred.other >/dev/null
check_contains "credential for another key: PsaErrorInvalidArgument" \
  "$(alice activate-credential att --cred-file cred.other 2>&1)" PsaErrorInvalidArgument
check_contains "another application's key does not exist" \
  "$(bob --provider 3 activate-credential att --cred-file cred.tt 2>&1)" PsaErrorDoesNotExist
check_contains "a named attesting key: PsaErrorNotSupported" \
  "$(alice activate-credential att --cred-file cred.tt --attesting-key ek 2>&1)" PsaErrorNotSupported
check_contains "prepare with a named attesting key: PsaErrorNotSupported" \
  "$(alice prepare-attestation att --attesting-key ek 2>&1)" PsaErrorNotSupported

# ---- parsec-tpm evidence ----------------------------------------------------------------------
check "create an ECC key to attest" alice create-ecc-key ik --curve p256
check "create a second key" alice create-ecc-key ik2 --curve p256
alice export-public-key ik --out ik.pem
check "attestation-key exports the AK" alice attestation-key ik --out ak.pem
KID=$(alice attestation-key ik | sed -n 's/^kid: //p')
check "AK public key parses with openssl" openssl pkey -pubin -in ak.pem -noout
N=$(head -c 32 /dev/urandom | xxd -p -c 64)
check "attest ik with a fresh nonce" alice attest ik --nonce "$N" --out ev.cbor
verify() { "$ATT" verify --format parsec-tpm --anchor ak.pem $REFS "$@"; }
verify --nonce "$N" ev.cbor > appraisal.json
check_eq "psh-attest verify accepts it" $? 0
check_contains "verdict affirming" "$(cat appraisal.json)" '"verdict": "affirming"'
check_contains "kid in the evidence = the exported AK's kid" "$(cat appraisal.json)" "$KID"
IKDER=$(openssl pkey -pubin -in ik.pem -outform DER | xxd -p -c 1000)
check_contains "attested key = ik's public key" "$(cat appraisal.json)" "$IKDER"
check_contains "short nonce refused" "$(alice attest ik --nonce 0011 --out x 2>&1)" PsaErrorInvalidArgument
check_contains "bob cannot attest alice's key" "$(bob --provider 3 attest ik --nonce "$N" --out x 2>&1)" PsaErrorDoesNotExist
N2=$(head -c 32 /dev/urandom | xxd -p -c 64)
check_not "stale nonce rejected" verify --nonce "$N2" ev.cbor
# Pull the raw TPM structures back out of the CBOR (definite-length maps of text keys).
python3 - ev.cbor parts <<'PY'
import os, sys
b = open(sys.argv[1], "rb").read(); out = sys.argv[2]; os.makedirs(out, exist_ok=True)
def item(i):
    ib = b[i]; mt, ai = ib >> 5, ib & 31; i += 1
    if ai < 24: n = ai
    else:
        k = {24: 1, 25: 2, 26: 4, 27: 8}[ai]; n = int.from_bytes(b[i:i+k], "big"); i += k
    if mt in (2, 3): return (b[i:i+n] if mt == 2 else b[i:i+n].decode(), i + n, i)
    if mt == 5:
        m = {}
        for _ in range(n):
            k, i, _s = item(i); v, i, s = item(i); m[k] = (v, s)
        return (m, i, None)
    raise SystemExit("unexpected CBOR major type %d" % mt)
top, _, _ = item(0)
for part in ("kat", "pat"):
    for k, (v, start) in top[part][0].items():
        if isinstance(v, bytes):
            open(os.path.join(out, part + "." + k), "wb").write(v)
            open(os.path.join(out, part + "." + k + ".off"), "w").write(str(start))
PY
check "tpm2_checkquote verifies the PAT quote with the exported AK" \
  tpm2_checkquote -u ak.pem -m parts/pat.attestInfo -s parts/pat.sig -g sha256 -q "$N"
check_not "tpm2_checkquote refuses it for another nonce" \
  tpm2_checkquote -u ak.pem -m parts/pat.attestInfo -s parts/pat.sig -g sha256 -q "$N2"
for s in kat.sig kat.pubArea kat.certInfo pat.sig pat.attestInfo; do
  off=$(cat "parts/$s.off"); len=$(stat -c %s "parts/$s")
  python3 - ev.cbor "ev.flip" $((off + len / 2)) <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read()); b[int(sys.argv[3])] ^= 0x01
open(sys.argv[2], "wb").write(b)
PY
  check_not "a flipped byte in $s rejected" verify --nonce "$N" ev.flip
done
# Swapped key: ik2's evidence is valid, but it is not ik's key.
alice attest ik2 --nonce "$N" --out ev2.cbor
verify --nonce "$N" ev2.cbor > appraisal2.json
check_eq "ik2's own evidence verifies" $? 0
case "$(cat appraisal2.json)" in *"$IKDER"*) fail "ik2's evidence names ik's key";; *) ok;; esac
# ik2's pubArea spliced into ik's evidence (same length: both P-256 keys).
python3 - ev.cbor ev2.cbor ev.swap "$(cat parts/kat.pubArea.off)" "$(stat -c %s parts/kat.pubArea)" <<'PY'
import sys
a = bytearray(open(sys.argv[1], "rb").read()); b = open(sys.argv[2], "rb").read()
o, n = int(sys.argv[4]), int(sys.argv[5])
i = b.find(bytes(a[o:o+4]))  # both pubAreas start with the same type/nameAlg/attributes
a[o:o+n] = b[i:i+n] if i >= 0 else bytes(n)
open(sys.argv[3], "wb").write(a)
PY
check_not "ik's certify with ik2's public area rejected" verify --nonce "$N" ev.swap
# A different PCR state: extend PCR 7 with the service stopped (one TPM connection at a time).
stop_service
check "tpm2_pcrextend PCR 7" tpm2_pcrextend 7:sha256=$(printf '%064d' 1)
start_service || exit 1
check_eq "AK is the same after a service restart" "$(alice attestation-key ik | sed -n 's/^kid: //p')" "$KID"
N3=$(head -c 32 /dev/urandom | xxd -p -c 64)
check "attest after the extend" alice attest ik --nonce "$N3" --out ev3.cbor
check_not "different PCR state rejected against the old reference values" verify --nonce "$N3" ev3.cbor
stop_service
# Power cycle on the same state. The fixture rebinds the same ports; swtpm 0.7 binds without
# SO_REUSEADDR, so a server-side TIME_WAIT can hold them: the reliability tests' LD_PRELOAD
# shim (tests/reliability/reuseaddr.c) sets it.
SHIM="$PSH_BIN/libpsh_reuseaddr.so"
for try in 1 2 3; do
  if [ -f "$SHIM" ]; then LD_PRELOAD="$SHIM" swtpm_restart && break; else swtpm_restart && break; fi
  sleep 1
done
start_service || { fail "service after the TPM power cycle"; finish; exit 1; }
check_eq "AK is the same after a TPM power cycle" "$(alice attestation-key ik | sed -n 's/^kid: //p')" "$KID"
N4=$(head -c 16 /dev/urandom | xxd -p -c 64)
alice attest ik --nonce "$N4" --out ev4.cbor
check "after the power cycle PCRs are back to the references: verifies" verify --nonce "$N4" ev4.cbor
finish
