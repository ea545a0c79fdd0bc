/* A provider is one const table of function pointers. NULL means PsaErrorNotSupported.
 * The core validates the request, applies policy and key isolation, then dispatches here:
 * a provider never sees a request the policy refused.
 *
 * Output buffers are owned by the core: (out, out_size, *out_len). A provider writes *out_len
 * only on success and returns PSH_ERR_PSA_BUFFER_TOO_SMALL if out_size is short.
 * Callee-allocated key ids are freed by the core with psh_free_secret(id, len). */
#ifndef PSH_CORE_PROVIDER_H
#define PSH_CORE_PROVIDER_H

#include "core/types.h"
#include "psh/config.h"
#include "psh/status.h"

#define PSH_PROVIDER_ABI_VERSION 1

enum psh_can_do_check { PSH_CHECK_USE = 1, PSH_CHECK_GENERATE = 2, PSH_CHECK_IMPORT = 3, PSH_CHECK_DERIVE = 4 };

typedef struct psh_provider_ops {
    uint32_t abi_version; /* PSH_PROVIDER_ABI_VERSION */
    psh_provider_id id;
    const char *type_name;   /* config provider_type, e.g. "MbedCrypto" */
    const char *uuid;        /* spec 4.1 */
    const char *vendor;
    const char *description;
    uint32_t version_maj, version_min, version_rev;
    const uint32_t *opcodes; /* served opcodes (ListOpcodes), ascending */
    size_t opcode_count;

    /* Starts the provider; *ctx is the provider's state. On failure writes a one-line reason. */
    psh_status (*init)(const psh_provider_config *cfg, const psh_engine_config *engine_cfg,
                       void **ctx, char *err, size_t err_size);
    void (*fini)(void *ctx);

    /* SUCCESS when the provider object behind key_id exists, PSH_ERR_PSA_DOES_NOT_EXIST when
     * it is gone (start-up reconciliation, ListKeys), another status when it cannot tell. */
    psh_status (*key_exists)(void *ctx, const psh_key_ref *key);

    /* Key creation. *key_id is callee-allocated. import_key fills attrs->bits from the data
     * when it was 0 and fails with PsaErrorInvalidArgument when a non-zero value disagrees. */
    psh_status (*generate_key)(void *ctx, const psh_key_attrs *attrs, uint8_t **key_id,
                               size_t *key_id_len);
    psh_status (*import_key)(void *ctx, psh_key_attrs *attrs, const uint8_t *data,
                             size_t data_len, uint8_t **key_id, size_t *key_id_len);
    psh_status (*destroy_key)(void *ctx, const psh_key_ref *key);

    psh_status (*export_public_key)(void *ctx, const psh_key_ref *key, uint8_t *out,
                                    size_t out_size, size_t *out_len);
    psh_status (*export_key)(void *ctx, const psh_key_ref *key, uint8_t *out, size_t out_size,
                             size_t *out_len);

    psh_status (*sign_hash)(void *ctx, const psh_key_ref *key, psa_algorithm_t alg,
                            const uint8_t *hash, size_t hash_len, uint8_t *sig, size_t sig_size,
                            size_t *sig_len);
    psh_status (*verify_hash)(void *ctx, const psh_key_ref *key, psa_algorithm_t alg,
                              const uint8_t *hash, size_t hash_len, const uint8_t *sig,
                              size_t sig_len);
    psh_status (*sign_message)(void *ctx, const psh_key_ref *key, psa_algorithm_t alg,
                               const uint8_t *msg, size_t msg_len, uint8_t *sig, size_t sig_size,
                               size_t *sig_len);
    psh_status (*verify_message)(void *ctx, const psh_key_ref *key, psa_algorithm_t alg,
                                 const uint8_t *msg, size_t msg_len, const uint8_t *sig,
                                 size_t sig_len);

    psh_status (*asymmetric_encrypt)(void *ctx, const psh_key_ref *key, psa_algorithm_t alg,
                                     const uint8_t *in, size_t in_len, const uint8_t *salt,
                                     size_t salt_len, uint8_t *out, size_t out_size,
                                     size_t *out_len);
    psh_status (*asymmetric_decrypt)(void *ctx, const psh_key_ref *key, psa_algorithm_t alg,
                                     const uint8_t *in, size_t in_len, const uint8_t *salt,
                                     size_t salt_len, uint8_t *out, size_t out_size,
                                     size_t *out_len);
    psh_status (*aead_encrypt)(void *ctx, const psh_key_ref *key, psa_algorithm_t alg,
                               const uint8_t *nonce, size_t nonce_len, const uint8_t *ad,
                               size_t ad_len, const uint8_t *in, size_t in_len, uint8_t *out,
                               size_t out_size, size_t *out_len);
    psh_status (*aead_decrypt)(void *ctx, const psh_key_ref *key, psa_algorithm_t alg,
                               const uint8_t *nonce, size_t nonce_len, const uint8_t *ad,
                               size_t ad_len, const uint8_t *in, size_t in_len, uint8_t *out,
                               size_t out_size, size_t *out_len);
    /* Cipher: encrypt output is IV || ciphertext, decrypt input likewise (spec 6.2). */
    psh_status (*cipher_encrypt)(void *ctx, const psh_key_ref *key, psa_algorithm_t alg,
                                 const uint8_t *in, size_t in_len, uint8_t *out, size_t out_size,
                                 size_t *out_len);
    psh_status (*cipher_decrypt)(void *ctx, const psh_key_ref *key, psa_algorithm_t alg,
                                 const uint8_t *in, size_t in_len, uint8_t *out, size_t out_size,
                                 size_t *out_len);
    psh_status (*mac_compute)(void *ctx, const psh_key_ref *key, psa_algorithm_t alg,
                              const uint8_t *in, size_t in_len, uint8_t *out, size_t out_size,
                              size_t *out_len);
    psh_status (*mac_verify)(void *ctx, const psh_key_ref *key, psa_algorithm_t alg,
                             const uint8_t *in, size_t in_len, const uint8_t *mac, size_t mac_len);
    psh_status (*raw_key_agreement)(void *ctx, const psh_key_ref *key, psa_algorithm_t alg,
                                    const uint8_t *peer, size_t peer_len, uint8_t *out,
                                    size_t out_size, size_t *out_len);

    /* Keyless operations. */
    psh_status (*generate_random)(void *ctx, uint8_t *out, size_t size);
    psh_status (*hash_compute)(void *ctx, psa_algorithm_t alg, const uint8_t *in, size_t in_len,
                               uint8_t *out, size_t out_size, size_t *out_len);
    psh_status (*hash_compare)(void *ctx, psa_algorithm_t alg, const uint8_t *in, size_t in_len,
                               const uint8_t *hash, size_t hash_len);

    /* CanDoCrypto's provider-specific part (spec 6.4): SUCCESS or PsaErrorNotSupported. */
    psh_status (*can_do)(void *ctx, enum psh_can_do_check check, const psh_key_attrs *attrs);
} psh_provider_ops;

/* The compiled-in provider for a wire id, or NULL. */
const psh_provider_ops *psh_provider_lookup(psh_provider_id id);
/* The compiled-in provider for a config provider_type string, or NULL. */
const psh_provider_ops *psh_provider_lookup_type(const char *type_name);

#endif
