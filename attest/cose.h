/* COSE pieces the evidence formats use (RFC 9052/9053): EC2 COSE_Key <-> Mbed TLS key,
 * COSE_Sign1 ES256/ES384/ES512 verify and sign, plus the ECDSA and hash helpers shared
 * with the TPM verifier. Legacy mbedtls_* APIs only (no PSA, so no lock). */
#ifndef PSH_ATTEST_COSE_H
#define PSH_ATTEST_COSE_H

#include <cbor.h>
#include <stddef.h>
#include <stdint.h>

#include <mbedtls/md.h>
#include <mbedtls/pk.h>

#include "attest.h"
#include "cbor_bounded.h"

#define PSH_COSE_ES256 (-7)
#define PSH_COSE_ES384 (-35)
#define PSH_COSE_ES512 (-36)

/* Hash of data with an Mbed TLS md type; out must hold 64 bytes. Returns the size or 0. */
size_t psh_att_hash(mbedtls_md_type_t md, const uint8_t *p, size_t n, uint8_t *out);

/* ECDSA verification of hash with raw r and s (big-endian) against an EC key. 0 or -1. */
int psh_att_ecdsa_verify(const mbedtls_pk_context *pk, const uint8_t *hash, size_t hlen,
                         const uint8_t *r, size_t rlen, const uint8_t *s, size_t slen);

/* Byte size of the EC key's field (32, 48, 66), or 0 when pk is not an EC key. */
size_t psh_att_ec_size(const mbedtls_pk_context *pk);

/* Builds an EC public key from a curve and an uncompressed point 04||x||y. 0 or -1.
 * pk must be initialised (mbedtls_pk_init); caller frees. */
int psh_att_pk_from_point(mbedtls_pk_context *pk, mbedtls_ecp_group_id grp, const uint8_t *pt,
                          size_t len);
/* SubjectPublicKeyInfo DER of pk into buf (left-aligned). Returns the length or 0. */
size_t psh_att_pk_spki(const mbedtls_pk_context *pk, uint8_t *buf, size_t size);

/* EC2 COSE_Key (kty 2, crv 1/2/3, x, y) -> public key. *has_private set when label -4 (d)
 * is present. 0 or -1 with a static reason. */
int psh_cose_key_decode(const cbor_item_t *key, mbedtls_pk_context *pk, int *has_private,
                        const char **why);
/* Appends the EC2 COSE_Key of pk's public part ({1:2, -1:crv, -2:x, -3:y}). */
void psh_cose_key_encode(psh_cbuf *w, const mbedtls_pk_context *pk);

/* A decoded COSE_Sign1 (tag 18 optional). Borrowed views into the caller's item tree. */
typedef struct psh_cose_sign1 {
    const uint8_t *protected_p; size_t protected_len;
    const uint8_t *payload; size_t payload_len;
    const uint8_t *sig; size_t sig_len;
    int64_t alg;
    const uint8_t *kid; size_t kid_len; /* header label 4, protected or unprotected; may be 0 */
    cbor_item_t *protected_map; /* owned; psh_cose_sign1_free */
} psh_cose_sign1;

int psh_cose_sign1_decode(const cbor_item_t *item, psh_cose_sign1 *s, const char **why);
/* Verifies the signature over Sig_structure ["Signature1", protected, h'', payload]. 0/-1. */
int psh_cose_sign1_verify(const psh_cose_sign1 *s, const mbedtls_pk_context *pk,
                          const char **why);
void psh_cose_sign1_free(psh_cose_sign1 *s);

/* Signs payload through `sign` (ES256/384/512 chosen from the curve of `pub`, the signer's
 * public key), kid (may be NULL) in the protected header; writes tag 18 COSE_Sign1.
 * Callee-allocated *out (psh_free). 0 or -1. */
int psh_cose_sign1_sign_ext(psh_attest_sign_fn sign, void *ctx, const mbedtls_pk_context *pub,
                            const uint8_t *kid, size_t kid_len, const uint8_t *payload,
                            size_t payload_len, uint8_t **out, size_t *out_len);
/* A psh_attest_sign_fn over an Mbed TLS EC private key (ctx = mbedtls_pk_context *). */
int psh_att_mbedtls_signer(void *ctx, const uint8_t *hash, size_t hash_len, uint8_t *sig,
                           size_t sig_len);

/* Random bytes from a CTR-DRBG seeded from the platform entropy. 0 or -1. */
int psh_att_random(uint8_t *out, size_t n);
/* Mbed TLS f_rng/p_rng compatible wrapper over psh_att_random. */
int psh_att_rng(void *ctx, unsigned char *out, size_t n);

#endif
