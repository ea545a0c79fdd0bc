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

#define PSH_PROVIDER_ABI_VERSION 2 /* 2: key attestation hooks */

/* PrepareKeyAttestation's ActivateCredential output (spec attestation.md sec 5). */
typedef struct psh_attest_prepare_out {
    uint8_t name[68]; /* TPM2B_NAME contents: nameAlg || digest */
    size_t name_len;
    uint8_t pub[640]; /* marshalled TPMT_PUBLIC of the attested key */
    size_t pub_len;
    uint8_t ak_pub[600]; /* attesting key public key, PSA export format */
    size_t ak_pub_len;
} psh_attest_prepare_out;

/* Evidence mechanism (oneof member 1001, docs/evidence.md): the key a verifier must trust. */
typedef struct psh_attest_anchor_out {
    uint8_t spki[600]; /* SubjectPublicKeyInfo DER */
    size_t spki_len;
    uint8_t kid[64];
    size_t kid_len;
    const char *media_type; /* static string */
} psh_attest_anchor_out;

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

    /* ---- ABI 2: key attestation (opcodes 30/31). The core checks the key is the caller's
     * and asymmetric; NULL = PsaErrorNotSupported. ---- */
    /* ActivateCredential (upstream): the attested key's TPM name and public area and the
     * default attesting key's (EK) public key. */
    psh_status (*attest_prepare_credential)(void *ctx, const psh_key_ref *key,
                                            psh_attest_prepare_out *out);
    /* TPM2_ActivateCredential: blob = TPM2B_ID_OBJECT contents, secret = TPM2B_ENCRYPTED_SECRET
     * contents; out = the recovered credential. */
    psh_status (*attest_activate_credential)(void *ctx, const psh_key_ref *key,
                                             const uint8_t *blob, size_t blob_len,
                                             const uint8_t *secret, size_t secret_len,
                                             uint8_t *out, size_t out_size, size_t *out_len);
    /* Evidence (ours, 1001): the attesting key to trust, and evidence for key over nonce
     * (8..64 bytes, checked by the core). *ev callee-allocated (psh_free). */
    psh_status (*attest_anchor)(void *ctx, psh_attest_anchor_out *out);
    psh_status (*attest_evidence)(void *ctx, const psh_key_ref *key, const uint8_t *nonce,
                                  size_t nonce_len, uint8_t **ev, size_t *ev_len,
                                  const char **media_type);
} psh_provider_ops;

/* The compiled-in provider for a wire id, or NULL. */
const psh_provider_ops *psh_provider_lookup(psh_provider_id id);
/* The compiled-in provider for a config provider_type string, or NULL. */
const psh_provider_ops *psh_provider_lookup_type(const char *type_name);

#endif
