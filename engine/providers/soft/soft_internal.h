/* Private to the soft provider. */
#ifndef PSH_SOFT_INTERNAL_H
#define PSH_SOFT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <psa/crypto.h>

#include "core/provider.h"
#include "core/types.h"
#include "psh/status.h"

/* ---- key blob (soft_blob.c) ----------------------------------------------------------------
 * The provider's key_id, stored in the KIM, IS the key (no Mbed TLS persistent storage):
 *
 *   offset size  field
 *   0      4     magic "PSHK"
 *   4      1     version = 1
 *   5      2     psa_key_type_t, little-endian
 *   7      4     key bits, little-endian (1..SOFT_MAX_KEY_BITS)
 *   11     4     psa_key_usage_t, little-endian (as requested, may hold PSH_KEY_USAGE_CACHE)
 *   15     4     psa_algorithm_t, little-endian
 *   19     4     material_len, little-endian (1..SOFT_MAX_MATERIAL)
 *   23     n     material: psa_export_key() output
 *   total = 23 + material_len exactly. */
#define SOFT_BLOB_VERSION 1
#define SOFT_BLOB_HEADER 23
#define SOFT_MAX_MATERIAL 16384u
#define SOFT_MAX_KEY_BITS 65536u

typedef struct soft_blob {
    psh_key_attrs attrs;
    const uint8_t *material; /* borrowed from the parsed buffer */
    size_t material_len;
} soft_blob;

/* Errors: InvalidEncoding (wrong magic, version, length or field range). */
psh_status soft_blob_parse(const uint8_t *p, size_t len, soft_blob *out);
/* *out is callee-allocated, free with psh_free_secret(*out, *out_len).
 * Errors: PsaErrorInvalidArgument (material too large), PsaErrorInsufficientMemory. */
psh_status soft_blob_build(const psh_key_attrs *attrs, const uint8_t *material,
                           size_t material_len, uint8_t **out, size_t *out_len);

/* ---- provider state (soft.c) ------------------------------------------------------------- */
#define SOFT_CACHE_SIZE 16

typedef struct soft_cache_entry {
    uint8_t *blob; /* owned copy of the key_id bytes; secret (psh_free_secret) */
    size_t blob_len;
    psa_key_id_t id; /* volatile PSA key, 0 = empty slot */
    uint64_t last_used;
} soft_cache_entry;

typedef struct soft_ctx {
    soft_cache_entry cache[SOFT_CACHE_SIZE];
    uint64_t tick;
} soft_ctx;

/* The Mbed TLS 2.28 PSA core is not thread-safe: every PSA call in this provider (and the
 * cache) runs under this one process-wide lock. */
void soft_lock(void);
void soft_unlock(void);

/* The one psa_status_t -> psh_status mapping (logs the native value at debug level). */
psh_status soft_to_psh_status(psa_status_t s);

/* With the lock held: the volatile PSA key for a stored blob, from the cache or imported
 * into it. The id stays valid until the lock is released.
 * Errors: InvalidEncoding (blob does not parse), PsaErrorDataInvalid (material refused by
 * Mbed TLS), PsaErrorNotSupported, PsaErrorInsufficientMemory. */
psh_status soft_key_acquire(soft_ctx *ctx, const psh_key_ref *key, psa_key_id_t *id);
/* With the lock held: drops the cache entry for these blob bytes, if any. */
void soft_cache_purge(soft_ctx *ctx, const uint8_t *blob, size_t blob_len);

/* PSA key attributes for a policy: usage minus the engine-only cache flag, with
 * sign/verify_hash extended to *_message (PSA 1.0 semantics). */
void soft_psa_attrs(const psh_key_attrs *a, psa_key_attributes_t *out);

/* soft_can_do.c: CanDoCrypto's provider part (spec 6.4). */
psh_status soft_can_do(void *ctx, enum psh_can_do_check check, const psh_key_attrs *attrs);

/* soft_ops.c: the operations, with the signatures of psh_provider_ops. */
psh_status soft_export_public_key(void *ctx, const psh_key_ref *key, uint8_t *out,
                                  size_t out_size, size_t *out_len);
psh_status soft_export_key(void *ctx, const psh_key_ref *key, uint8_t *out, size_t out_size,
                           size_t *out_len);
psh_status soft_sign_hash(void *ctx, const psh_key_ref *key, psa_algorithm_t alg,
                          const uint8_t *hash, size_t hash_len, uint8_t *sig, size_t sig_size,
                          size_t *sig_len);
psh_status soft_verify_hash(void *ctx, const psh_key_ref *key, psa_algorithm_t alg,
                            const uint8_t *hash, size_t hash_len, const uint8_t *sig,
                            size_t sig_len);
psh_status soft_sign_message(void *ctx, const psh_key_ref *key, psa_algorithm_t alg,
                             const uint8_t *msg, size_t msg_len, uint8_t *sig, size_t sig_size,
                             size_t *sig_len);
psh_status soft_verify_message(void *ctx, const psh_key_ref *key, psa_algorithm_t alg,
                               const uint8_t *msg, size_t msg_len, const uint8_t *sig,
                               size_t sig_len);
psh_status soft_asymmetric_encrypt(void *ctx, const psh_key_ref *key, psa_algorithm_t alg,
                                   const uint8_t *in, size_t in_len, const uint8_t *salt,
                                   size_t salt_len, uint8_t *out, size_t out_size,
                                   size_t *out_len);
psh_status soft_asymmetric_decrypt(void *ctx, const psh_key_ref *key, psa_algorithm_t alg,
                                   const uint8_t *in, size_t in_len, const uint8_t *salt,
                                   size_t salt_len, uint8_t *out, size_t out_size,
                                   size_t *out_len);
psh_status soft_aead_encrypt(void *ctx, const psh_key_ref *key, psa_algorithm_t alg,
                             const uint8_t *nonce, size_t nonce_len, const uint8_t *ad,
                             size_t ad_len, const uint8_t *in, size_t in_len, uint8_t *out,
                             size_t out_size, size_t *out_len);
psh_status soft_aead_decrypt(void *ctx, const psh_key_ref *key, psa_algorithm_t alg,
                             const uint8_t *nonce, size_t nonce_len, const uint8_t *ad,
                             size_t ad_len, const uint8_t *in, size_t in_len, uint8_t *out,
                             size_t out_size, size_t *out_len);
psh_status soft_cipher_encrypt(void *ctx, const psh_key_ref *key, psa_algorithm_t alg,
                               const uint8_t *in, size_t in_len, uint8_t *out, size_t out_size,
                               size_t *out_len);
psh_status soft_cipher_decrypt(void *ctx, const psh_key_ref *key, psa_algorithm_t alg,
                               const uint8_t *in, size_t in_len, uint8_t *out, size_t out_size,
                               size_t *out_len);
psh_status soft_mac_compute(void *ctx, const psh_key_ref *key, psa_algorithm_t alg,
                            const uint8_t *in, size_t in_len, uint8_t *out, size_t out_size,
                            size_t *out_len);
psh_status soft_mac_verify(void *ctx, const psh_key_ref *key, psa_algorithm_t alg,
                           const uint8_t *in, size_t in_len, const uint8_t *mac, size_t mac_len);
psh_status soft_raw_key_agreement(void *ctx, const psh_key_ref *key, psa_algorithm_t alg,
                                  const uint8_t *peer, size_t peer_len, uint8_t *out,
                                  size_t out_size, size_t *out_len);
psh_status soft_generate_random(void *ctx, uint8_t *out, size_t size);
psh_status soft_hash_compute(void *ctx, psa_algorithm_t alg, const uint8_t *in, size_t in_len,
                             uint8_t *out, size_t out_size, size_t *out_len);
psh_status soft_hash_compare(void *ctx, psa_algorithm_t alg, const uint8_t *in, size_t in_len,
                             const uint8_t *hash, size_t hash_len);

/* ---- key attestation (soft_attest.c): KAT evidence with a provider-held KAK and PAK ---- */
void soft_attest_set_kim_path(const char *kim_path);
psh_status soft_attest_anchor(void *ctx, psh_attest_anchor_out *out);
psh_status soft_attest_evidence(void *ctx, const psh_key_ref *key, const uint8_t *nonce,
                                size_t nonce_len, uint8_t **ev, size_t *ev_len,
                                const char **media_type);

#endif
