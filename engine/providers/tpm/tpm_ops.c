/* The TPM provider's operations. Private-key work runs on the TPM (create, import, sign,
 * decrypt) as do random numbers and hashing; public-key work (verify, encrypt) runs in
 * Mbed TLS PSA on the exported public key under the process-wide PSA lock: it is exact PSA
 * semantics and keeps the TPM's few object slots for private keys. */
#include <string.h>

#include <mbedtls/hmac_drbg.h>
#include <mbedtls/platform_util.h>
#include <tss2/tss2_mu.h>

#include "providers/tpm/tpm_internal.h"
#include "util/alloc.h"
#include "util/psa_lock.h"

#define PSH_LOGMODULE tpm
#include "util/log.h"

#define TPM_RANDOM_CHUNK 32    /* bytes per TPM2_GetRandom (every TPM gives at least this) */
#define TPM_HASH_CHUNK 1024    /* TPM2B_MAX_BUFFER (MAX_DIGEST_BUFFER) */

static psh_status psa_to_psh(psa_status_t s)
{
    if (s == PSA_SUCCESS)
        return PSH_SUCCESS;
    if (s < 0 && s >= -1000) {
        int wire = 1000 - (int)s;
        if (wire >= PSH_ERR_PSA_GENERIC && wire <= PSH_ERR_PSA_DATA_INVALID &&
            psh_status_is_known(wire))
            return (psh_status)wire;
    }
    return PSH_ERR_PSA_GENERIC;
}

static TPMI_ALG_HASH tpm_hash_alg(psa_algorithm_t h)
{
    switch (h) {
    case PSA_ALG_SHA_256: return TPM2_ALG_SHA256;
    case PSA_ALG_SHA_384: return TPM2_ALG_SHA384;
    default: return TPM2_ALG_NULL;
    }
}

/* ---- CanDoCrypto ------------------------------------------------------------------------- */

/* A signature hash the TPM does; a policy may also say "any hash" (requests name one). */
static int sign_hash_ok(psa_algorithm_t alg)
{
    psa_algorithm_t h = PSA_ALG_SIGN_GET_HASH(alg);
    return h == PSA_ALG_ANY_HASH || tpm_hash_alg(h) != TPM2_ALG_NULL;
}

static int alg_ok(psa_key_type_t type, psa_algorithm_t alg)
{
    int ecc = PSA_KEY_TYPE_IS_ECC(type), rsa = PSA_KEY_TYPE_IS_RSA(type);
    if (alg == PSA_ALG_NONE)
        return 1;
    if (ecc && PSA_ALG_IS_ECDSA(alg) && !PSA_ALG_IS_DETERMINISTIC_ECDSA(alg) &&
        alg != PSA_ALG_ECDSA_ANY)
        return sign_hash_ok(alg);
    if (rsa && (PSA_ALG_IS_RSA_PKCS1V15_SIGN(alg) || PSA_ALG_IS_RSA_PSS(alg)) &&
        alg != PSA_ALG_RSA_PKCS1V15_SIGN_RAW)
        return sign_hash_ok(alg);
    if (rsa && alg == PSA_ALG_RSA_PKCS1V15_CRYPT)
        return 1;
    if (rsa && PSA_ALG_IS_RSA_OAEP(alg))
        return tpm_hash_alg(PSA_ALG_RSA_OAEP_GET_HASH(alg)) != TPM2_ALG_NULL;
    return 0;
}

static int type_ok(psa_key_type_t type, size_t bits, int pairs_only)
{
    if (type == PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1) ||
        (!pairs_only && type == PSA_KEY_TYPE_ECC_PUBLIC_KEY(PSA_ECC_FAMILY_SECP_R1)))
        return bits == 256 || bits == 384 || (!pairs_only && bits == 0);
    if (type == PSA_KEY_TYPE_RSA_KEY_PAIR || (!pairs_only && type == PSA_KEY_TYPE_RSA_PUBLIC_KEY))
        return bits == 2048 || bits == 3072 || (!pairs_only && bits == 0);
    return 0;
}

psh_status tpm_can_do(void *ctx, enum psh_can_do_check check, const psh_key_attrs *a)
{
    (void)ctx;
    switch (check) {
    case PSH_CHECK_GENERATE:
        return type_ok(a->type, a->bits, 1) && alg_ok(a->type, a->alg)
                   ? PSH_SUCCESS : PSH_ERR_PSA_NOT_SUPPORTED;
    case PSH_CHECK_IMPORT:
    case PSH_CHECK_USE:
        return type_ok(a->type, a->bits, 0) && alg_ok(a->type, a->alg)
                   ? PSH_SUCCESS : PSH_ERR_PSA_NOT_SUPPORTED;
    default:
        return PSH_ERR_PSA_NOT_SUPPORTED;
    }
}

/* ---- key creation ------------------------------------------------------------------------ */

typedef struct create_args {
    const TPM2B_PUBLIC *tmpl;
    const TPM2B_SENSITIVE *sens; /* import only */
    TPM2B_PRIVATE *priv_out;
    TPM2B_PUBLIC *pub_out;
} create_args;

static TSS2_RC op_create(tpm_ctx *ctx, ESYS_TR h, const tpm_blob *b, void *arg, psh_status *st)
{
    create_args *c = arg;
    TPM2B_SENSITIVE_CREATE sens;
    TPM2B_DATA outside = {.size = 0};
    TPML_PCR_SELECTION pcr = {.count = 0};
    TPM2B_PRIVATE *priv = NULL;
    TPM2B_PUBLIC *pub = NULL;
    TSS2_RC rc;
    (void)h;
    (void)b;
    memset(&sens, 0, sizeof sens);
    rc = tpm_cache_make_room(ctx);
    if (rc == TSS2_RC_SUCCESS)
        rc = Esys_Create(ctx->esys, ctx->primary, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                     &sens, c->tmpl, &outside, &pcr, &priv, &pub, NULL, NULL, NULL);
    *st = tpm_rc_to_status(rc, "TPM2_Create");
    if (rc == TSS2_RC_SUCCESS) {
        *c->priv_out = *priv;
        *c->pub_out = *pub;
    }
    if (priv != NULL)
        mbedtls_platform_zeroize(priv, sizeof *priv);
    Esys_Free(priv);
    Esys_Free(pub);
    return rc;
}

static TSS2_RC op_import(tpm_ctx *ctx, ESYS_TR h, const tpm_blob *b, void *arg, psh_status *st)
{
    create_args *c = arg;
    TPM2B_DATA enc_key = {.size = 0};
    TPM2B_ENCRYPTED_SECRET seed = {.size = 0};
    TPMT_SYM_DEF_OBJECT sym = {.algorithm = TPM2_ALG_NULL};
    TPM2B_PRIVATE dup, *priv = NULL;
    size_t off = 0;
    TSS2_RC rc;
    (void)h;
    (void)b;
    /* No inner and no outer wrapper: the duplicate is the marshalled TPM2B_SENSITIVE. The
     * key never leaves this process except to the TPM, which wraps it under the primary. */
    memset(&dup, 0, sizeof dup);
    rc = Tss2_MU_TPM2B_SENSITIVE_Marshal(c->sens, dup.buffer, sizeof dup.buffer, &off);
    if (rc == TSS2_RC_SUCCESS)
        rc = tpm_cache_make_room(ctx);
    if (rc == TSS2_RC_SUCCESS) {
        dup.size = (UINT16)off;
        rc = Esys_Import(ctx->esys, ctx->primary, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                         &enc_key, c->tmpl, &dup, &seed, &sym, &priv);
    }
    *st = tpm_rc_to_status(rc, "TPM2_Import");
    if (rc == TSS2_RC_SUCCESS) {
        *c->priv_out = *priv;
        *c->pub_out = *c->tmpl;
    }
    mbedtls_platform_zeroize(&dup, sizeof dup);
    if (priv != NULL)
        mbedtls_platform_zeroize(priv, sizeof *priv);
    Esys_Free(priv);
    return rc;
}

typedef struct create_buf {
    TPM2B_PUBLIC tmpl, pub;
    TPM2B_PRIVATE priv;
    TPM2B_SENSITIVE sens;
} create_buf;

/* The TPM's reply must describe the key that was asked for: the record is trusted later. */
static psh_status check_created(const TPM2B_PUBLIC *pub, const psh_key_attrs *attrs)
{
    psa_key_type_t type = 0;
    size_t bits = 0;
    if (tpm_public_to_psa(&pub->publicArea, 1, &type, &bits) != PSH_SUCCESS ||
        type != attrs->type || bits != attrs->bits)
        return PSH_ERR_PSA_COMMUNICATION_FAILURE;
    return PSH_SUCCESS;
}

psh_status tpm_generate_key(void *ctx, const psh_key_attrs *attrs, uint8_t **key_id,
                            size_t *key_id_len)
{
    psh_status st = PSH_ERR_CORRUPTION;
    create_buf *w = psh_calloc(1, sizeof *w);
    create_args c;

    *key_id = NULL;
    *key_id_len = 0;
    if (w == NULL)
        return PSH_ERR_PSA_INSUFFICIENT_MEMORY;
    if (tpm_can_do(ctx, PSH_CHECK_GENERATE, attrs) != PSH_SUCCESS) {
        st = PSH_ERR_PSA_NOT_SUPPORTED;
        goto exit;
    }
    st = tpm_template(attrs, &w->tmpl);
    if (st != PSH_SUCCESS)
        goto exit;
    c = (create_args){&w->tmpl, NULL, &w->priv, &w->pub};
    st = tpm_run(ctx, NULL, op_create, &c);
    if (st == PSH_SUCCESS)
        st = check_created(&w->pub, attrs);
    if (st == PSH_SUCCESS)
        st = tpm_blob_build(&w->pub, &w->priv, key_id, key_id_len);
exit:
    mbedtls_platform_zeroize(w, sizeof *w);
    psh_free(w);
    return st;
}

psh_status tpm_import_key(void *ctx, psh_key_attrs *attrs, const uint8_t *data, size_t data_len,
                          uint8_t **key_id, size_t *key_id_len)
{
    psh_status st = PSH_ERR_CORRUPTION;
    create_buf *w = psh_calloc(1, sizeof *w);
    size_t bits = 0;
    create_args c;

    *key_id = NULL;
    *key_id_len = 0;
    if (w == NULL)
        return PSH_ERR_PSA_INSUFFICIENT_MEMORY;
    if (data_len == 0 || data_len > 4096) {
        st = PSH_ERR_PSA_INVALID_ARGUMENT;
        goto exit;
    }
    if (tpm_can_do(ctx, PSH_CHECK_IMPORT, attrs) != PSH_SUCCESS) {
        st = PSH_ERR_PSA_NOT_SUPPORTED;
        goto exit;
    }
    if (PSA_KEY_TYPE_IS_PUBLIC_KEY(attrs->type)) {
        /* A public key needs no TPM wrapping: it is loaded with LoadExternal on use. */
        st = tpm_public_from_psa(attrs, data, data_len, &w->pub, &bits);
        if (st == PSH_SUCCESS && attrs->bits != 0 && attrs->bits != bits)
            st = PSH_ERR_PSA_INVALID_ARGUMENT;
        if (st == PSH_SUCCESS)
            st = tpm_blob_build(&w->pub, NULL, key_id, key_id_len);
    } else {
        st = tpm_private_from_psa(attrs, data, data_len, &w->tmpl, &w->sens, &bits);
        if (st == PSH_SUCCESS && attrs->bits != 0 && attrs->bits != bits)
            st = PSH_ERR_PSA_INVALID_ARGUMENT;
        if (st == PSH_SUCCESS) {
            c = (create_args){&w->tmpl, &w->sens, &w->priv, &w->pub};
            st = tpm_run(ctx, NULL, op_import, &c);
        }
        if (st == PSH_SUCCESS)
            st = tpm_blob_build(&w->pub, &w->priv, key_id, key_id_len);
    }
    if (st == PSH_SUCCESS)
        attrs->bits = bits;
exit:
    mbedtls_platform_zeroize(w, sizeof *w);
    psh_free(w);
    return st;
}

/* ---- export and public-key operations (Mbed TLS) ----------------------------------------- */

psh_status tpm_export_public_key(void *ctx, const psh_key_ref *key, uint8_t *out,
                                 size_t out_size, size_t *out_len)
{
    tpm_blob *b = psh_calloc(1, sizeof *b);
    psh_status st;
    (void)ctx;
    if (b == NULL)
        return PSH_ERR_PSA_INSUFFICIENT_MEMORY;
    st = tpm_blob_parse(key->key_id, key->key_id_len, b);
    if (st == PSH_SUCCESS)
        st = tpm_export_public(&b->pub.publicArea, out, out_size, out_len);
    mbedtls_platform_zeroize(b, sizeof *b);
    psh_free(b);
    return st;
}

/* A volatile PSA public key for the record's public area, with lock held by the caller. */
static psh_status psa_public(const psh_key_ref *key, psa_algorithm_t alg, psa_key_usage_t usage,
                             psa_key_id_t *id)
{
    uint8_t pub[600];
    size_t pub_len = 0;
    psa_key_attributes_t a = PSA_KEY_ATTRIBUTES_INIT;
    psh_status st = tpm_export_public_key(NULL, key, pub, sizeof pub, &pub_len);
    if (st != PSH_SUCCESS)
        return st;
    psa_set_key_type(&a, PSA_KEY_TYPE_PUBLIC_KEY_OF_KEY_PAIR(key->attrs->type));
    psa_set_key_usage_flags(&a, usage);
    psa_set_key_algorithm(&a, alg);
    st = psa_to_psh(psa_import_key(&a, pub, pub_len, id));
    return st == PSH_ERR_PSA_INVALID_ARGUMENT ? PSH_ERR_PSA_DATA_INVALID : st;
}

psh_status tpm_verify_hash(void *ctx, const psh_key_ref *key, psa_algorithm_t alg,
                           const uint8_t *hash, size_t hash_len, const uint8_t *sig,
                           size_t sig_len)
{
    psa_key_id_t id = 0;
    psh_status st;
    (void)ctx;
    psh_psa_lock();
    st = psa_public(key, alg, PSA_KEY_USAGE_VERIFY_HASH, &id);
    if (st == PSH_SUCCESS)
        st = psa_to_psh(psa_verify_hash(id, alg, hash, hash_len, sig, sig_len));
    if (id != 0)
        psa_destroy_key(id);
    psh_psa_unlock();
    return st;
}

psh_status tpm_asymmetric_encrypt(void *ctx, const psh_key_ref *key, psa_algorithm_t alg,
                                  const uint8_t *in, size_t in_len, const uint8_t *salt,
                                  size_t salt_len, uint8_t *out, size_t out_size,
                                  size_t *out_len)
{
    psa_key_id_t id = 0;
    psh_status st;
    (void)ctx;
    /* The TPM takes an OAEP label only with a terminating zero octet (TPM 2.0 part 1,
     * OAEP label); other labels could be encrypted to but never decrypted. */
    if (salt_len != 0 && (alg == PSA_ALG_RSA_PKCS1V15_CRYPT || salt[salt_len - 1] != 0))
        return alg == PSA_ALG_RSA_PKCS1V15_CRYPT ? PSH_ERR_PSA_INVALID_ARGUMENT
                                                 : PSH_ERR_PSA_NOT_SUPPORTED;
    psh_psa_lock();
    st = psa_public(key, alg, PSA_KEY_USAGE_ENCRYPT, &id);
    if (st == PSH_SUCCESS)
        st = psa_to_psh(psa_asymmetric_encrypt(id, alg, in, in_len, salt, salt_len, out,
                                               out_size, out_len));
    if (id != 0)
        psa_destroy_key(id);
    psh_psa_unlock();
    return st;
}

static psh_status hash_message(psa_algorithm_t alg, const uint8_t *msg, size_t msg_len,
                               uint8_t *hash, size_t *hash_len)
{
    psa_algorithm_t h = PSA_ALG_SIGN_GET_HASH(alg);
    psh_status st;
    if (tpm_hash_alg(h) == TPM2_ALG_NULL)
        return PSH_ERR_PSA_NOT_SUPPORTED;
    psh_psa_lock();
    st = psa_to_psh(psa_hash_compute(h, msg, msg_len, hash, PSA_HASH_MAX_SIZE, hash_len));
    psh_psa_unlock();
    return st;
}

psh_status tpm_verify_message(void *ctx, const psh_key_ref *key, psa_algorithm_t alg,
                              const uint8_t *msg, size_t msg_len, const uint8_t *sig,
                              size_t sig_len)
{
    uint8_t hash[PSA_HASH_MAX_SIZE];
    size_t hash_len = 0;
    psh_status st = hash_message(alg, msg, msg_len, hash, &hash_len);
    return st != PSH_SUCCESS ? st : tpm_verify_hash(ctx, key, alg, hash, hash_len, sig, sig_len);
}

/* ---- sign and decrypt (TPM) -------------------------------------------------------------- */

typedef struct sign_args {
    psa_algorithm_t alg;
    const uint8_t *hash;
    size_t hash_len;
    uint8_t *sig;
    size_t sig_size, *sig_len;
    size_t bits;
} sign_args;

/* Left-pads a TPM big-endian number to n bytes. */
static int put_padded(uint8_t *out, size_t n, const uint8_t *v, size_t len)
{
    if (len > n)
        return 0;
    memset(out, 0, n - len);
    memcpy(out + n - len, v, len);
    return 1;
}

static TSS2_RC op_sign(tpm_ctx *ctx, ESYS_TR h, const tpm_blob *b, void *arg, psh_status *st)
{
    sign_args *s = arg;
    TPM2B_DIGEST digest;
    TPMT_SIG_SCHEME scheme;
    TPMT_TK_HASHCHECK ticket = {.tag = TPM2_ST_HASHCHECK, .hierarchy = TPM2_RH_NULL};
    TPMT_SIGNATURE *sig = NULL;
    TSS2_RC rc;
    size_t n;

    memset(&scheme, 0, sizeof scheme);
    memset(&digest, 0, sizeof digest);
    scheme.details.any.hashAlg = tpm_hash_alg(PSA_ALG_SIGN_GET_HASH(s->alg));
    if (PSA_ALG_IS_ECDSA(s->alg))
        scheme.scheme = TPM2_ALG_ECDSA;
    else if (PSA_ALG_IS_RSA_PSS(s->alg))
        scheme.scheme = TPM2_ALG_RSAPSS;
    else
        scheme.scheme = TPM2_ALG_RSASSA;
    digest.size = (UINT16)s->hash_len;
    memcpy(digest.buffer, s->hash, s->hash_len);
    rc = Esys_Sign(ctx->esys, h, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &digest, &scheme,
                   &ticket, &sig);
    *st = tpm_rc_to_status(rc, "TPM2_Sign");
    if (rc != TSS2_RC_SUCCESS)
        goto exit;
    *st = PSH_ERR_PSA_COMMUNICATION_FAILURE; /* a reply that does not fit the request */
    if (sig->sigAlg != scheme.scheme)
        goto exit;
    if (scheme.scheme == TPM2_ALG_ECDSA) {
        /* PSA ECDSA format: r || s, each the curve size. */
        n = PSA_BITS_TO_BYTES(s->bits);
        if (s->sig_size < 2 * n) {
            *st = PSH_ERR_PSA_BUFFER_TOO_SMALL;
            goto exit;
        }
        if (!put_padded(s->sig, n, sig->signature.ecdsa.signatureR.buffer,
                        sig->signature.ecdsa.signatureR.size) ||
            !put_padded(s->sig + n, n, sig->signature.ecdsa.signatureS.buffer,
                        sig->signature.ecdsa.signatureS.size))
            goto exit;
        *s->sig_len = 2 * n;
    } else {
        n = PSA_BITS_TO_BYTES(s->bits);
        if (s->sig_size < n) {
            *st = PSH_ERR_PSA_BUFFER_TOO_SMALL;
            goto exit;
        }
        if (!put_padded(s->sig, n, sig->signature.rsassa.sig.buffer,
                        sig->signature.rsassa.sig.size))
            goto exit;
        *s->sig_len = n;
    }
    *st = PSH_SUCCESS;
exit:
    (void)b;
    Esys_Free(sig);
    return rc;
}

psh_status tpm_sign_hash(void *ctx, const psh_key_ref *key, psa_algorithm_t alg,
                         const uint8_t *hash, size_t hash_len, uint8_t *sig, size_t sig_size,
                         size_t *sig_len)
{
    sign_args s = {alg, hash, hash_len, sig, sig_size, sig_len, key->attrs->bits};
    psa_algorithm_t h = PSA_ALG_SIGN_GET_HASH(alg);
    if (!alg_ok(key->attrs->type, alg) || !PSA_ALG_IS_SIGN(alg) ||
        tpm_hash_alg(h) == TPM2_ALG_NULL)
        return PSH_ERR_PSA_NOT_SUPPORTED;
    if (hash_len != PSA_HASH_LENGTH(h))
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    if (!PSA_KEY_TYPE_IS_KEY_PAIR(key->attrs->type))
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    return tpm_run(ctx, key, op_sign, &s);
}

psh_status tpm_sign_message(void *ctx, const psh_key_ref *key, psa_algorithm_t alg,
                            const uint8_t *msg, size_t msg_len, uint8_t *sig, size_t sig_size,
                            size_t *sig_len)
{
    uint8_t hash[PSA_HASH_MAX_SIZE];
    size_t hash_len = 0;
    psh_status st = hash_message(alg, msg, msg_len, hash, &hash_len);
    return st != PSH_SUCCESS ? st
                             : tpm_sign_hash(ctx, key, alg, hash, hash_len, sig, sig_size,
                                             sig_len);
}

typedef struct decrypt_args {
    psa_algorithm_t alg;
    const uint8_t *in, *salt;
    size_t in_len, salt_len;
    uint8_t *out;
    size_t out_size, *out_len;
} decrypt_args;

static TSS2_RC op_decrypt(tpm_ctx *ctx, ESYS_TR h, const tpm_blob *b, void *arg,
                          psh_status *st)
{
    decrypt_args *d = arg;
    TPM2B_PUBLIC_KEY_RSA ct;
    TPMT_RSA_DECRYPT scheme;
    TPM2B_DATA label;
    TPM2B_PUBLIC_KEY_RSA *msg = NULL;
    TSS2_RC rc;
    (void)b;

    memset(&scheme, 0, sizeof scheme);
    memset(&label, 0, sizeof label);
    memset(&ct, 0, sizeof ct);
    if (d->alg == PSA_ALG_RSA_PKCS1V15_CRYPT) {
        scheme.scheme = TPM2_ALG_RSAES;
    } else {
        scheme.scheme = TPM2_ALG_OAEP;
        scheme.details.oaep.hashAlg = tpm_hash_alg(PSA_ALG_RSA_OAEP_GET_HASH(d->alg));
    }
    ct.size = (UINT16)d->in_len;
    memcpy(ct.buffer, d->in, d->in_len);
    label.size = (UINT16)d->salt_len;
    if (d->salt_len != 0)
        memcpy(label.buffer, d->salt, d->salt_len);
    rc = Esys_RSA_Decrypt(ctx->esys, h, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &ct,
                          &scheme, &label, &msg);
    *st = tpm_rc_to_status(rc, "TPM2_RSA_Decrypt");
    /* A padding check failing inside the TPM is a value or size error there (TPM_RC_VALUE,
     * TPM_RC_SIZE, ...), or TPM_RC_FAILURE from libtpms while the TPM still works
     * (tpm_in_failure_mode). */
    if (*st == PSH_ERR_PSA_INVALID_ARGUMENT ||
        (*st == PSH_ERR_PSA_HARDWARE_FAILURE && !tpm_in_failure_mode(ctx)))
        *st = PSH_ERR_PSA_INVALID_PADDING;
    if (rc == TSS2_RC_SUCCESS) {
        if (msg->size > d->out_size) {
            *st = PSH_ERR_PSA_BUFFER_TOO_SMALL;
        } else {
            memcpy(d->out, msg->buffer, msg->size);
            *d->out_len = msg->size;
        }
        mbedtls_platform_zeroize(msg, sizeof *msg);
    }
    Esys_Free(msg);
    return rc;
}

psh_status tpm_asymmetric_decrypt(void *ctx, const psh_key_ref *key, psa_algorithm_t alg,
                                  const uint8_t *in, size_t in_len, const uint8_t *salt,
                                  size_t salt_len, uint8_t *out, size_t out_size,
                                  size_t *out_len)
{
    decrypt_args d = {alg, in, salt, in_len, salt_len, out, out_size, out_len};
    if (!PSA_KEY_TYPE_IS_RSA(key->attrs->type) || !PSA_ALG_IS_ASYMMETRIC_ENCRYPTION(alg) ||
        !alg_ok(key->attrs->type, alg))
        return PSH_ERR_PSA_NOT_SUPPORTED;
    if (!PSA_KEY_TYPE_IS_KEY_PAIR(key->attrs->type))
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    if (in_len != PSA_BITS_TO_BYTES(key->attrs->bits))
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    if (salt_len != 0 && (alg == PSA_ALG_RSA_PKCS1V15_CRYPT || salt[salt_len - 1] != 0 ||
                          salt_len > sizeof(((TPM2B_DATA *)0)->buffer)))
        return alg == PSA_ALG_RSA_PKCS1V15_CRYPT ? PSH_ERR_PSA_INVALID_ARGUMENT
                                                 : PSH_ERR_PSA_NOT_SUPPORTED;
    return tpm_run(ctx, key, op_decrypt, &d);
}

/* ---- keyless ----------------------------------------------------------------------------- */

typedef struct random_args {
    uint8_t *out;
    size_t size;
} random_args;

static TSS2_RC op_random(tpm_ctx *ctx, ESYS_TR h, const tpm_blob *b, void *arg, psh_status *st)
{
    random_args *r = arg;
    size_t done = 0;
    TSS2_RC rc = TSS2_RC_SUCCESS;
    (void)h;
    (void)b;
    while (done < r->size) {
        TPM2B_DIGEST *rnd = NULL;
        size_t want = r->size - done < TPM_RANDOM_CHUNK ? r->size - done : TPM_RANDOM_CHUNK;
        rc = Esys_GetRandom(ctx->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, (UINT16)want,
                            &rnd);
        if (rc != TSS2_RC_SUCCESS) {
            Esys_Free(rnd);
            break;
        }
        if (rnd->size == 0 || rnd->size > want) { /* nothing, or more than asked */
            Esys_Free(rnd);
            *st = PSH_ERR_PSA_INSUFFICIENT_ENTROPY;
            return TSS2_RC_SUCCESS;
        }
        memcpy(r->out + done, rnd->buffer, rnd->size);
        done += rnd->size;
        mbedtls_platform_zeroize(rnd, sizeof *rnd);
        Esys_Free(rnd);
    }
    *st = tpm_rc_to_status(rc, "TPM2_GetRandom");
    return rc;
}

/* Requests up to TPM_RANDOM_DIRECT bytes come from TPM2_GetRandom alone. Larger ones come from
 * an HMAC_DRBG (SP 800-90A, SHA-256) seeded with 48 bytes of TPM randomness per 64 KiB block:
 * 1 MiB straight from the TPM is 32,768 commands, seconds during which every other TPM request
 * waits (scripts/stress --hostile showed probes starved behind a few such requests). */
#define TPM_RANDOM_DIRECT 1024u
#define TPM_RANDOM_BLOCK (64u * 1024u)
#define TPM_RANDOM_SEED 48u

static psh_status tpm_random_drbg_block(void *ctx, uint8_t *out, size_t n)
{
    uint8_t seed[TPM_RANDOM_SEED];
    random_args r = {seed, sizeof seed};
    mbedtls_hmac_drbg_context drbg;
    psh_status st = tpm_run(ctx, NULL, op_random, &r);
    size_t done = 0;

    if (st != PSH_SUCCESS)
        return st;
    mbedtls_hmac_drbg_init(&drbg);
    if (mbedtls_hmac_drbg_seed_buf(&drbg, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), seed,
                                   sizeof seed) != 0)
        st = PSH_ERR_PSA_INSUFFICIENT_ENTROPY;
    while (st == PSH_SUCCESS && done < n) {
        size_t k = n - done < MBEDTLS_HMAC_DRBG_MAX_REQUEST ? n - done
                                                             : MBEDTLS_HMAC_DRBG_MAX_REQUEST;
        if (mbedtls_hmac_drbg_random(&drbg, out + done, k) != 0)
            st = PSH_ERR_PSA_INSUFFICIENT_ENTROPY;
        done += k;
    }
    mbedtls_hmac_drbg_free(&drbg);
    mbedtls_platform_zeroize(seed, sizeof seed);
    return st;
}

psh_status tpm_generate_random(void *ctx, uint8_t *out, size_t size)
{
    size_t done = 0;
    if (size <= TPM_RANDOM_DIRECT) {
        random_args r = {out, size};
        return tpm_run(ctx, NULL, op_random, &r);
    }
    while (done < size) {
        size_t n = size - done < TPM_RANDOM_BLOCK ? size - done : TPM_RANDOM_BLOCK;
        psh_status st = tpm_random_drbg_block(ctx, out + done, n);
        if (st != PSH_SUCCESS) {
            mbedtls_platform_zeroize(out, size);
            return st;
        }
        done += n;
    }
    return PSH_SUCCESS;
}

typedef struct hash_args {
    TPMI_ALG_HASH alg;
    const uint8_t *in;
    size_t in_len;
    uint8_t *out;
    size_t out_size, *out_len;
    size_t want_len;
} hash_args;

static TSS2_RC op_hash(tpm_ctx *ctx, ESYS_TR h, const tpm_blob *b, void *arg, psh_status *st)
{
    hash_args *a = arg;
    TPM2B_MAX_BUFFER chunk;
    TPM2B_DIGEST *digest = NULL;
    TPM2B_AUTH no_auth = {.size = 0};
    ESYS_TR seq = ESYS_TR_NONE;
    size_t off = 0;
    TSS2_RC rc;
    (void)h;
    (void)b;

    memset(&chunk, 0, sizeof chunk);
    if (a->in_len <= TPM_HASH_CHUNK) {
        chunk.size = (UINT16)a->in_len;
        if (a->in_len != 0)
            memcpy(chunk.buffer, a->in, a->in_len);
        rc = Esys_Hash(ctx->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &chunk, a->alg,
                       ESYS_TR_RH_NULL, &digest, NULL);
    } else {
        /* Longer input: a hash sequence, which needs an object slot of its own. */
        rc = tpm_cache_make_room(ctx);
        if (rc == TSS2_RC_SUCCESS)
            rc = Esys_HashSequenceStart(ctx->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                        &no_auth, a->alg, &seq);
        while (rc == TSS2_RC_SUCCESS && a->in_len - off > TPM_HASH_CHUNK) {
            chunk.size = TPM_HASH_CHUNK;
            memcpy(chunk.buffer, a->in + off, TPM_HASH_CHUNK);
            off += TPM_HASH_CHUNK;
            rc = Esys_SequenceUpdate(ctx->esys, seq, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                                     ESYS_TR_NONE, &chunk);
        }
        if (rc == TSS2_RC_SUCCESS) {
            chunk.size = (UINT16)(a->in_len - off);
            memcpy(chunk.buffer, a->in + off, a->in_len - off);
            rc = Esys_SequenceComplete(ctx->esys, seq, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                                       ESYS_TR_NONE, &chunk, ESYS_TR_RH_NULL, &digest, NULL);
            if (rc == TSS2_RC_SUCCESS)
                seq = ESYS_TR_NONE; /* SequenceComplete flushed it */
        }
        if (seq != ESYS_TR_NONE && !tpm_rc_is_link(rc))
            Esys_FlushContext(ctx->esys, seq);
    }
    *st = tpm_rc_to_status(rc, "TPM2_Hash");
    if (rc == TSS2_RC_SUCCESS) {
        if (digest->size != a->want_len) {
            *st = PSH_ERR_PSA_COMMUNICATION_FAILURE; /* not a digest of this algorithm */
        } else if (digest->size > a->out_size) {
            *st = PSH_ERR_PSA_BUFFER_TOO_SMALL;
        } else {
            memcpy(a->out, digest->buffer, digest->size);
            *a->out_len = digest->size;
        }
    }
    mbedtls_platform_zeroize(&chunk, sizeof chunk);
    Esys_Free(digest);
    return rc;
}

psh_status tpm_hash_compute(void *ctx, psa_algorithm_t alg, const uint8_t *in, size_t in_len,
                            uint8_t *out, size_t out_size, size_t *out_len)
{
    hash_args a = {tpm_hash_alg(alg), in, in_len, out, out_size, out_len, PSA_HASH_LENGTH(alg)};
    if (a.alg == TPM2_ALG_NULL)
        return PSH_ERR_PSA_NOT_SUPPORTED;
    if (out_size < PSA_HASH_LENGTH(alg))
        return PSH_ERR_PSA_BUFFER_TOO_SMALL;
    return tpm_run(ctx, NULL, op_hash, &a);
}

psh_status tpm_hash_compare(void *ctx, psa_algorithm_t alg, const uint8_t *in, size_t in_len,
                            const uint8_t *hash, size_t hash_len)
{
    uint8_t got[PSA_HASH_MAX_SIZE];
    size_t got_len = 0;
    unsigned diff = 0;
    psh_status st = tpm_hash_compute(ctx, alg, in, in_len, got, sizeof got, &got_len);
    if (st != PSH_SUCCESS)
        return st;
    if (hash_len != got_len)
        return PSH_ERR_PSA_INVALID_SIGNATURE;
    for (size_t i = 0; i < got_len; i++)
        diff |= got[i] ^ hash[i];
    return diff == 0 ? PSH_SUCCESS : PSH_ERR_PSA_INVALID_SIGNATURE;
}
