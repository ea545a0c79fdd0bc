#!/usr/bin/env bash
# Cross-checks every keyed and keyless operation of the soft provider against an implementation
# that shares no code with Mbed TLS: the OpenSSL command line, through psh-service + psh-tool.
#   RSA-2048 PKCS#1 v1.5 / PSS and ECDSA P-256 / P-384: service signs, openssl verifies;
#     openssl signs, the service verifies with the imported public key; tampering is caught.
#   RSA OAEP (SHA-256, MGF1-SHA-256): openssl encrypts, the service decrypts, and back.
#   AES-256-GCM: `openssl enc` refuses AEAD ciphers on the 3.0 command line, so the independent
#     side is python3-cryptography (Debian's package, OpenSSL's EVP underneath; scripts/setup
#     installs it): it decrypts what the service encrypted and encrypts what the service must
#     decrypt, with a nonce and associated data; a flipped tag bit is refused.
#   AES-256-CBC-PKCS7 and AES-256-CTR: `openssl enc -K -iv` both ways (the service returns
#     IV || ciphertext and takes the same form).
#   HMAC-SHA256 (`openssl dgst -mac HMAC`), SHA-256/384/512 (`openssl dgst`), ECDH P-256
#     (`openssl pkeyutl -derive`), and export-key PEM against openssl's own key file.
# Ends with psh-tool's argument errors: one line, non-zero exit.
. "$(dirname "$0")/lib.sh"

PY=""
for py in /usr/bin/python3 python3; do
  if "$py" -c 'from cryptography.hazmat.primitives.ciphers.aead import AESGCM' 2>/dev/null; then
    PY=$py; break
  fi
done

write_config Direct
start_service || exit 1
a() { tool --auth direct --app alice "$@"; }
hexof() { od -An -v -tx1 "$1" | tr -d ' \n'; }

head -c 1000 /dev/urandom > "$T/msg"
cp "$T/msg" "$T/bad"; printf 'x' >> "$T/bad"

# ---- RSA signatures, both directions ------------------------------------------------------
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/rsa.pem" 2>/dev/null
openssl pkey -in "$T/rsa.pem" -pubout -out "$T/rsa.pub.pem"
for pad in pkcs1 pss; do
  alg=rsa-pkcs1-sha256; sigopt=()
  if [ $pad = pss ]; then
    alg=rsa-pss-sha256; sigopt=(-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest)
  fi
  check "rsa $pad: create in the service" a create-key "rsa-$pad" --type rsa --bits 2048 --alg $alg
  check "rsa $pad: export public" a export-public-key "rsa-$pad" --out "$T/rsa-$pad.pem"
  check "rsa $pad: sign-message" a sign-message "rsa-$pad" --file "$T/msg" --out "$T/rsa-$pad.sig"
  check "rsa $pad: openssl dgst verifies" openssl dgst -sha256 "${sigopt[@]}" -verify "$T/rsa-$pad.pem" -signature "$T/rsa-$pad.sig" "$T/msg"
  check_not "rsa $pad: openssl rejects another message" openssl dgst -sha256 "${sigopt[@]}" -verify "$T/rsa-$pad.pem" -signature "$T/rsa-$pad.sig" "$T/bad"
  # The same key through sign (hash) checked with pkeyutl over the digest.
  openssl dgst -sha256 -binary "$T/msg" > "$T/msg.sha256"
  check "rsa $pad: sign hash" a sign "rsa-$pad" --hash "$(hexof "$T/msg.sha256")" --out "$T/rsa-$pad.hsig"
  popt=(-pkeyopt digest:sha256); [ $pad = pss ] && popt+=(-pkeyopt rsa_padding_mode:pss -pkeyopt rsa_pss_saltlen:digest)
  check "rsa $pad: openssl pkeyutl -verify over the digest" openssl pkeyutl -verify -pubin -inkey "$T/rsa-$pad.pem" "${popt[@]}" -in "$T/msg.sha256" -sigfile "$T/rsa-$pad.hsig"
  # openssl signs, the service verifies with the public key imported from openssl's file.
  openssl dgst -sha256 "${sigopt[@]}" -sign "$T/rsa.pem" -out "$T/ossl-$pad.sig" "$T/msg"
  check "rsa $pad: import openssl's public key" a import-key "ossl-rsa-$pad" --type rsa-public --file "$T/rsa.pub.pem" --alg $alg
  check "rsa $pad: service verifies openssl's signature" a verify-message "ossl-rsa-$pad" --file "$T/msg" --sig-file "$T/ossl-$pad.sig"
  check_not "rsa $pad: service rejects it for another message" a verify-message "ossl-rsa-$pad" --file "$T/bad" --sig-file "$T/ossl-$pad.sig"
done

# ---- ECDSA P-256 / P-384, both directions --------------------------------------------------
for c in 256 384; do
  check "ecdsa p$c: create" a create-ecc-key "ec$c" --curve p$c
  check "ecdsa p$c: export public" a export-public-key "ec$c" --out "$T/ec$c.pem"
  check "ecdsa p$c: sign-message (DER)" a sign-message "ec$c" --file "$T/msg" --der --out "$T/ec$c.sig"
  check "ecdsa p$c: openssl verifies" openssl dgst -sha$c -verify "$T/ec$c.pem" -signature "$T/ec$c.sig" "$T/msg"
  check_not "ecdsa p$c: openssl rejects another message" openssl dgst -sha$c -verify "$T/ec$c.pem" -signature "$T/ec$c.sig" "$T/bad"
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-$c -out "$T/oec$c.pem" 2>/dev/null
  openssl pkey -in "$T/oec$c.pem" -pubout -out "$T/oec$c.pub.pem"
  openssl dgst -sha$c -sign "$T/oec$c.pem" -out "$T/oec$c.sig" "$T/msg"
  check "ecdsa p$c: import openssl's public key" a import-key "oec$c" --type ecc-public --file "$T/oec$c.pub.pem"
  check_contains "ecdsa p$c: imported with the curve's size" "$(a list-keys | grep "^oec$c")" "EccPublicKey(SECP_R1)	$c	Ecdsa(SHA_$c)"
  check "ecdsa p$c: service verifies openssl's signature" a verify-message "oec$c" --file "$T/msg" --der --sig-file "$T/oec$c.sig"
  check_not "ecdsa p$c: service rejects it for another message" a verify-message "oec$c" --file "$T/bad" --der --sig-file "$T/oec$c.sig"
done

# ---- RSA OAEP both ways ------------------------------------------------------------------
oaep=(-pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256)
check "oaep: import openssl's key pair" a import-key oaep --type rsa-pair --file "$T/rsa.pem" --alg rsa-oaep-sha256 --usage encrypt,decrypt,export
head -c 64 /dev/urandom > "$T/secret"
openssl pkeyutl -encrypt -pubin -inkey "$T/rsa.pub.pem" "${oaep[@]}" -in "$T/secret" -out "$T/oaep.ct"
check "oaep: service decrypts openssl's ciphertext" a decrypt oaep --file "$T/oaep.ct" --out "$T/oaep.pt"
check "oaep: plaintext matches" cmp "$T/secret" "$T/oaep.pt"
check "oaep: service encrypts" a encrypt oaep --file "$T/secret" --out "$T/oaep2.ct"
check "oaep: openssl decrypts the service's ciphertext" openssl pkeyutl -decrypt -inkey "$T/rsa.pem" "${oaep[@]}" -in "$T/oaep2.ct" -out "$T/oaep2.pt"
check "oaep: plaintext matches" cmp "$T/secret" "$T/oaep2.pt"
check "export-key pem of the imported pair" a export-key oaep --format pem --out "$T/oaep-export.pem"
check_eq "exported private key is openssl's key" "$(openssl pkey -in "$T/oaep-export.pem" -pubout)" "$(cat "$T/rsa.pub.pem")"

# ---- AES-256-GCM against python3-cryptography ----------------------------------------------
key=$(openssl rand -hex 32); nonce=$(openssl rand -hex 12); ad=$(openssl rand -hex 20)
check "gcm: import raw key" a import-key gcm --type aes --hex "$key" --alg gcm --usage encrypt,decrypt
check "gcm: encrypt" a aead-encrypt gcm --nonce "$nonce" --ad "$ad" --file "$T/msg" --out "$T/gcm.ct"
if [ -z "$PY" ]; then
  fail "gcm: no python3 with the cryptography module (scripts/setup installs python3-cryptography)"
else
  gcm_py() { # gcm_py enc|dec KEY NONCE AD IN OUT
    "$PY" - "$@" <<'PY'
import sys
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
op, key, nonce, ad, src, dst = sys.argv[1:7]
g = AESGCM(bytes.fromhex(key))
data = open(src, 'rb').read()
f = g.encrypt if op == 'enc' else g.decrypt
open(dst, 'wb').write(f(bytes.fromhex(nonce), data, bytes.fromhex(ad)))
PY
  }
  check "gcm: python decrypts the service's ciphertext" gcm_py dec "$key" "$nonce" "$ad" "$T/gcm.ct" "$T/gcm.pt"
  check "gcm: plaintext matches" cmp "$T/msg" "$T/gcm.pt"
  check "gcm: python encrypts" gcm_py enc "$key" "$nonce" "$ad" "$T/msg" "$T/gcm-py.ct"
  check "gcm: same ciphertext and tag both sides" cmp "$T/gcm.ct" "$T/gcm-py.ct"
  check "gcm: service decrypts python's ciphertext" a aead-decrypt gcm --nonce "$nonce" --ad "$ad" --file "$T/gcm-py.ct" --out "$T/gcm2.pt"
  check "gcm: plaintext matches" cmp "$T/msg" "$T/gcm2.pt"
  hex=$(hexof "$T/gcm-py.ct"); last=${hex: -2}; flipped=${hex:0:${#hex}-2}$(printf '%02x' $((0x$last ^ 1)))
  check_not "gcm: a flipped tag bit is refused" a aead-decrypt gcm --nonce "$nonce" --ad "$ad" --data "$flipped"
  check_contains "gcm: refusal is InvalidSignature" "$(a aead-decrypt gcm --nonce "$nonce" --ad "$ad" --data "$flipped" 2>&1)" "PsaErrorInvalidSignature"
  check_not "gcm: other associated data is refused" a aead-decrypt gcm --nonce "$nonce" --ad 00 --file "$T/gcm-py.ct"
fi

# ---- AES-256-CBC-PKCS7 and CTR with openssl enc -----------------------------------------
for mode in cbc ctr; do
  alg=cbc-pkcs7; [ $mode = ctr ] && alg=ctr
  key=$(openssl rand -hex 32)
  check "$mode: import raw key" a import-key "aes-$mode" --type aes --hex "$key" --alg $alg
  check "$mode: service encrypts" a cipher-encrypt "aes-$mode" --file "$T/msg" --out "$T/$mode.ct"
  iv=$(head -c 16 "$T/$mode.ct" | od -An -v -tx1 | tr -d ' \n')
  tail -c +17 "$T/$mode.ct" > "$T/$mode.body"
  check "$mode: openssl decrypts IV || ciphertext" openssl enc -d -aes-256-$mode -K "$key" -iv "$iv" -in "$T/$mode.body" -out "$T/$mode.pt"
  check "$mode: plaintext matches" cmp "$T/msg" "$T/$mode.pt"
  iv=$(openssl rand -hex 16)
  printf "$(printf '%s' "$iv" | sed 's/../\\x&/g')" > "$T/$mode.ct2"
  openssl enc -aes-256-$mode -K "$key" -iv "$iv" -in "$T/msg" >> "$T/$mode.ct2"
  check_eq "$mode: IV written" "$(head -c 16 "$T/$mode.ct2" | od -An -v -tx1 | tr -d ' \n')" "$iv"
  check "$mode: service decrypts openssl's ciphertext" a cipher-decrypt "aes-$mode" --file "$T/$mode.ct2" --out "$T/$mode.pt2"
  check "$mode: plaintext matches" cmp "$T/msg" "$T/$mode.pt2"
done

# ---- HMAC-SHA256 and hashes ----------------------------------------------------------------
key=$(openssl rand -hex 32)
check "hmac: import raw key" a import-key hmac --type hmac --hex "$key"
want=$(openssl dgst -sha256 -mac HMAC -macopt hexkey:"$key" -r "$T/msg" | cut -d' ' -f1)
check_eq "hmac: mac-compute equals openssl" "$(a mac-compute hmac --file "$T/msg")" "$want"
check "hmac: mac-verify accepts openssl's MAC" a mac-verify hmac --file "$T/msg" --mac "$want"
check_not "hmac: mac-verify refuses it for another message" a mac-verify hmac --file "$T/bad" --mac "$want"
for h in sha256 sha384 sha512; do
  want=$(openssl dgst -$h -r "$T/msg" | cut -d' ' -f1)
  check_eq "hash $h equals openssl" "$(a hash --alg $h --file "$T/msg")" "$want"
  check "hash-compare $h accepts openssl's digest" a hash-compare --alg $h --file "$T/msg" --hash "$want"
  check_not "hash-compare $h refuses it for another message" a hash-compare --alg $h --file "$T/bad" --hash "$want"
done
check_eq "hash of stdin" "$(a hash --alg sha256 < "$T/msg")" "$(openssl dgst -sha256 -r "$T/msg" | cut -d' ' -f1)"

# ---- ECDH P-256 --------------------------------------------------------------------------
check "ecdh: create" a create-key ecdh --type ecc --curve p256 --alg ecdh
check "ecdh: export public" a export-public-key ecdh --out "$T/ecdh.pem"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/peer.pem" 2>/dev/null
openssl pkey -in "$T/peer.pem" -pubout -out "$T/peer.pub.pem"
openssl pkeyutl -derive -inkey "$T/peer.pem" -peerkey "$T/ecdh.pem" -out "$T/ecdh.ossl"
check_eq "ecdh: raw-key-agreement equals openssl pkeyutl -derive" "$(a raw-key-agreement ecdh --peer-file "$T/peer.pub.pem")" "$(hexof "$T/ecdh.ossl")"
check_not "ecdh: a P-384 peer is refused" a raw-key-agreement ecdh --peer-file "$T/oec384.pub.pem"

# ---- argument errors: one line on stderr, non-zero exit ---------------------------------------
args_err() { # args_err "description" want_rc needle command...
  local d=$1 want=$2 needle=$3; shift 3
  local out rc
  out=$("$@" 2>&1 >/dev/null); rc=$?
  check_eq "$d: exit code" "$rc" "$want"
  check_eq "$d: one line" "$(printf '%s\n' "$out" | grep -c .)" "1"
  check_contains "$d: names the problem" "$out" "$needle"
}
args_err "unknown alg" 2 "unknown --alg 'rsa-foo'" a mac-compute hmac --alg rsa-foo --data 00
args_err "wrong class of alg" 2 "not a MAC algorithm" a mac-compute hmac --alg gcm --data 00
args_err "bad hex" 2 "--data is not valid hex" a hash --data 0xzz
args_err "odd hex" 2 "--nonce is not valid hex" a aead-encrypt gcm --nonce abc --data 00
args_err "missing file" 1 "cannot read $T/none" a mac-compute hmac --file "$T/none"
args_err "unknown hash" 2 "unknown --alg 'md5'" a hash --alg md5 --data 00
args_err "unknown type" 2 "unknown --type 'des3'" a import-key k --type des3 --hex 00
args_err "unknown usage" 2 "unknown --usage flag 'fly'" a create-aes-key k --usage encrypt,fly
args_err "not a key file" 1 "not a PEM or DER key" a import-key k --type rsa-pair --file "$T/msg"
args_err "public file for a pair" 1 "import-key" a import-key k --type ecc-pair --file "$T/peer.pub.pem"
args_err "missing nonce" 2 "needs --nonce" a aead-encrypt gcm --data 00
args_err "unknown option" 2 "unknown option '--bogus'" a hash --bogus
args_err "no such key" 1 "PsaErrorDoesNotExist" a mac-compute nokey --data 00
args_err "pem of a symmetric key" 2 "--format must be" a export-key gcm --format der

finish
