/* Private to the TPM provider. */
#ifndef PSH_TPM_INTERNAL_H
#define PSH_TPM_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <psa/crypto.h>
#include <tss2/tss2_esys.h>

#include "core/provider.h"
#include "core/types.h"
#include "psh/status.h"

/* ---- key record (tpm_blob.c) -------------------------------------------------------------
 * The key_id the KIM stores. Parsed as untrusted input:
 *
 *   offset size  field
 *   0      4     magic "PSHT"
 *   4      1     version = 1
 *   5      2     pub_len, big-endian (1..TPM_MAX_PUB)
 *   7      n     TPM2B_PUBLIC, tss2-mu marshalled (exactly pub_len bytes)
 *   7+n    2     priv_len, big-endian (0 = public key only)
 *   9+n    m     TPM2B_PRIVATE, tss2-mu marshalled (exactly priv_len bytes)
 *   total = 9 + n + m exactly.
 * The private blob is wrapped by the TPM under the owner storage primary: it is useless
 * without this TPM's owner seed. */
#define TPM_BLOB_VERSION 1
#define TPM_MAX_PUB (sizeof(TPM2B_PUBLIC) + 2)
#define TPM_MAX_PRIV (sizeof(TPM2B_PRIVATE) + 2)

typedef struct tpm_blob {
    TPM2B_PUBLIC pub;
    TPM2B_PRIVATE priv; /* size 0 = public only */
} tpm_blob;

/* Errors: InvalidEncoding (framing, lengths, tss2-mu refused it) and PsaErrorDataInvalid
 * (well formed but not a key this provider makes: type, curve, size, name algorithm). */
psh_status tpm_blob_parse(const uint8_t *p, size_t len, tpm_blob *out);
/* *out callee-allocated (psh_free_secret). */
psh_status tpm_blob_build(const TPM2B_PUBLIC *pub, const TPM2B_PRIVATE *priv, uint8_t **out,
                          size_t *out_len);

/* The PSA type/bits a TPM public area describes (key pair when has_private). */
psh_status tpm_public_to_psa(const TPMT_PUBLIC *pub, int has_private, psa_key_type_t *type,
                             size_t *bits);
/* PSA export format: 04||X||Y for ECC, DER RSAPublicKey for RSA. */
psh_status tpm_export_public(const TPMT_PUBLIC *pub, uint8_t *out, size_t out_size,
                             size_t *out_len);
/* TPM template for a new key with these attributes (ECC P-256/P-384, RSA 2048/3072). */
psh_status tpm_template(const psh_key_attrs *attrs, TPM2B_PUBLIC *out);
/* PSA public key data -> a public area (for import of public keys). Validates the key with
 * Mbed TLS. Errors: InvalidArgument (bad data), NotSupported (type/size). */
psh_status tpm_public_from_psa(const psh_key_attrs *attrs, const uint8_t *data, size_t len,
                               TPM2B_PUBLIC *out, size_t *bits);
/* PSA key pair data -> public area + TPM2B_SENSITIVE for TPM2_Import (secret: caller wipes). */
psh_status tpm_private_from_psa(const psh_key_attrs *attrs, const uint8_t *data, size_t len,
                                TPM2B_PUBLIC *pub, TPM2B_SENSITIVE *sens, size_t *bits);

/* ---- provider state (tpm.c) -------------------------------------------------------------- */
/* Loaded keys. A TPM without a resource manager has 3 object slots (swtpm, libtpms): the
 * primary, these, and one that Create/Import/hash sequences need (tpm_cache_make_room). */
#define TPM_CACHE_SIZE 2

typedef struct tpm_slot {
    uint8_t *blob; /* owned copy of the key_id bytes (psh_free_secret) */
    size_t blob_len;
    ESYS_TR handle; /* ESYS_TR_NONE = empty */
    uint64_t last_used;
} tpm_slot;

typedef struct tpm_ctx {
    pthread_mutex_t mu; /* one ESYS context, one caller at a time */
    char tcti[512];
    char record_path[512]; /* PSH_TPM_RECORD; "" = not recording */
    unsigned record_count; /* connections recorded so far */
    TPM2B_AUTH owner_auth;
    TSS2_TCTI_CONTEXT *tcti_ctx;
    void (*tcti_free)(TSS2_TCTI_CONTEXT *); /* how tcti_ctx is released */
    ESYS_CONTEXT *esys;
    ESYS_TR primary; /* ESYS_TR_NONE until created */
    tpm_slot cache[TPM_CACHE_SIZE];
    uint64_t tick;
    /* Test hook: a TCTI factory used instead of the string (fuzz_tpm_response). */
    TSS2_RC (*tcti_factory)(void *arg, TSS2_TCTI_CONTEXT **out);
    void *tcti_factory_arg;
} tpm_ctx;

/* The one TSS2_RC -> psh_status mapping (logs the native value and its decoded text). */
psh_status tpm_rc_to_status(TSS2_RC rc, const char *what);
/* True for failures of the link to the TPM (reconnect and retry once). */
int tpm_rc_is_link(TSS2_RC rc);

/* With ctx->mu held: (re)connects if needed and loads the key. *h is valid until unlock.
 * Errors: CommunicationFailure (TPM unreachable), InvalidEncoding/DataInvalid (record). */
psh_status tpm_up(tpm_ctx *ctx);
/* With ctx->mu held: flushes every loaded key. */
TSS2_RC tpm_cache_flush_all(tpm_ctx *ctx);
/* With ctx->mu held: frees a cache slot if all are used. TPM2_Create, TPM2_Import and hash
 * sequences need an object slot of their own while they run. */
TSS2_RC tpm_cache_make_room(tpm_ctx *ctx);
psh_status tpm_key_load(tpm_ctx *ctx, const psh_key_ref *key, tpm_blob *b, ESYS_TR *h);
/* With ctx->mu held: drops the ESYS context after a link failure (next tpm_up reconnects). */
void tpm_down(tpm_ctx *ctx);

/* Runs op under the lock with the key loaded (key may be NULL); on a link failure
 * reconnects and runs it once more. op returns a TSS2_RC-derived status through *st. */
typedef TSS2_RC (*tpm_op_fn)(tpm_ctx *ctx, ESYS_TR h, const tpm_blob *b, void *arg,
                             psh_status *st);
psh_status tpm_run(tpm_ctx *ctx, const psh_key_ref *key, tpm_op_fn op, void *arg);

/* ---- operations (tpm_ops.c) ---------------------------------------------------------------- */
psh_status tpm_generate_key(void *ctx, const psh_key_attrs *attrs, uint8_t **key_id,
                            size_t *key_id_len);
psh_status tpm_import_key(void *ctx, psh_key_attrs *attrs, const uint8_t *data, size_t data_len,
                          uint8_t **key_id, size_t *key_id_len);
psh_status tpm_export_public_key(void *ctx, const psh_key_ref *key, uint8_t *out,
                                 size_t out_size, size_t *out_len);
psh_status tpm_sign_hash(void *ctx, const psh_key_ref *key, psa_algorithm_t alg,
                         const uint8_t *hash, size_t hash_len, uint8_t *sig, size_t sig_size,
                         size_t *sig_len);
psh_status tpm_verify_hash(void *ctx, const psh_key_ref *key, psa_algorithm_t alg,
                           const uint8_t *hash, size_t hash_len, const uint8_t *sig,
                           size_t sig_len);
psh_status tpm_sign_message(void *ctx, const psh_key_ref *key, psa_algorithm_t alg,
                            const uint8_t *msg, size_t msg_len, uint8_t *sig, size_t sig_size,
                            size_t *sig_len);
psh_status tpm_verify_message(void *ctx, const psh_key_ref *key, psa_algorithm_t alg,
                              const uint8_t *msg, size_t msg_len, const uint8_t *sig,
                              size_t sig_len);
psh_status tpm_asymmetric_encrypt(void *ctx, const psh_key_ref *key, psa_algorithm_t alg,
                                  const uint8_t *in, size_t in_len, const uint8_t *salt,
                                  size_t salt_len, uint8_t *out, size_t out_size,
                                  size_t *out_len);
psh_status tpm_asymmetric_decrypt(void *ctx, const psh_key_ref *key, psa_algorithm_t alg,
                                  const uint8_t *in, size_t in_len, const uint8_t *salt,
                                  size_t salt_len, uint8_t *out, size_t out_size,
                                  size_t *out_len);
psh_status tpm_generate_random(void *ctx, uint8_t *out, size_t size);
psh_status tpm_hash_compute(void *ctx, psa_algorithm_t alg, const uint8_t *in, size_t in_len,
                            uint8_t *out, size_t out_size, size_t *out_len);
psh_status tpm_hash_compare(void *ctx, psa_algorithm_t alg, const uint8_t *in, size_t in_len,
                            const uint8_t *hash, size_t hash_len);
psh_status tpm_can_do(void *ctx, enum psh_can_do_check check, const psh_key_attrs *attrs);

/* With ctx->mu held: 1 when the TPM answers a trivial command with TPM_RC_FAILURE. libtpms
 * (OpenSSL backend) answers an RSA decryption whose padding check fails (garbage ciphertext,
 * a junk ActivateCredential secret) with TPM_RC_FAILURE without entering failure mode: the
 * caller's data was bad, which this tells apart from a TPM that really failed. */
int tpm_in_failure_mode(tpm_ctx *ctx);

/* ---- key attestation (tpm_attest.c) ------------------------------------------------------- */
psh_status tpm_attest_prepare_credential(void *ctx, const psh_key_ref *key,
                                         psh_attest_prepare_out *out);
psh_status tpm_attest_activate_credential(void *ctx, const psh_key_ref *key,
                                          const uint8_t *blob, size_t blob_len,
                                          const uint8_t *secret, size_t secret_len, uint8_t *out,
                                          size_t out_size, size_t *out_len);
psh_status tpm_attest_anchor(void *ctx, psh_attest_anchor_out *out);
psh_status tpm_attest_evidence(void *ctx, const psh_key_ref *key, const uint8_t *nonce,
                               size_t nonce_len, uint8_t **ev, size_t *ev_len,
                               const char **media_type);

/* Test hook for fuzz_tpm_response: the next init uses factory instead of the tcti string. */
void psh_tpm_set_tcti_factory(TSS2_RC (*factory)(void *arg, TSS2_TCTI_CONTEXT **out),
                              void *arg);

#endif
