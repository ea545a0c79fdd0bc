/* Keyed and keyless operations on the token: sign/verify (ECDSA, RSA PKCS#1 v1.5, RSA-PSS),
 * RSA encrypt/decrypt (PKCS#1 v1.5, OAEP), random, digest. With software_public_operations,
 * verify and encrypt run in Mbed TLS on the exported public key instead (under the one PSA
 * lock). Policy was applied by the core; here the PSA algorithm becomes a CK_MECHANISM. */
#include "providers/pkcs11/p11_internal.h"

#include <string.h>

#include <mbedtls/constant_time.h>

#include "util/alloc.h"
#include "util/psa_lock.h"

#define PSH_LOGMODULE pkcs11
#include "util/log.h"

/* ---- algorithm -> mechanism ---------------------------------------------------------------- */

CK_MECHANISM_TYPE p11_hash_mech(psa_algorithm_t hash)
{
    switch (hash) {
    case PSA_ALG_SHA_1: return CKM_SHA_1;
    case PSA_ALG_SHA_224: return CKM_SHA224;
    case PSA_ALG_SHA_256: return CKM_SHA256;
    case PSA_ALG_SHA_384: return CKM_SHA384;
    case PSA_ALG_SHA_512: return CKM_SHA512;
    default: return 0;
    }
}

static CK_RSA_PKCS_MGF_TYPE mgf_for(psa_algorithm_t hash)
{
    switch (hash) {
    case PSA_ALG_SHA_1: return CKG_MGF1_SHA1;
    case PSA_ALG_SHA_224: return CKG_MGF1_SHA224;
    case PSA_ALG_SHA_256: return CKG_MGF1_SHA256;
    case PSA_ALG_SHA_384: return CKG_MGF1_SHA384;
    case PSA_ALG_SHA_512: return CKG_MGF1_SHA512;
    default: return 0;
    }
}

/* DER DigestInfo prefixes (RFC 8017 section 9.2 note 1): CKM_RSA_PKCS signs DigestInfo. */
static const uint8_t *digest_info(psa_algorithm_t hash, size_t *len)
{
    static const uint8_t sha1[] = {0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e,
                                   0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14};
#define SHA2_PREFIX(total, n, hl) \
    {0x30, total, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, n, 0x05, 0x00, 0x04, hl}
    static const uint8_t sha224[] = SHA2_PREFIX(0x2d, 0x04, 0x1c);
    static const uint8_t sha256[] = SHA2_PREFIX(0x31, 0x01, 0x20);
    static const uint8_t sha384[] = SHA2_PREFIX(0x41, 0x02, 0x30);
    static const uint8_t sha512[] = SHA2_PREFIX(0x51, 0x03, 0x40);
#undef SHA2_PREFIX
    switch (hash) {
    case PSA_ALG_SHA_1: *len = sizeof sha1; return sha1;
    case PSA_ALG_SHA_224: *len = sizeof sha224; return sha224;
    case PSA_ALG_SHA_256: *len = sizeof sha256; return sha256;
    case PSA_ALG_SHA_384: *len = sizeof sha384; return sha384;
    case PSA_ALG_SHA_512: *len = sizeof sha512; return sha512;
    default: *len = 0; return NULL;
    }
}

#define SIG_INPUT_MAX (19 + PSA_HASH_MAX_SIZE)

/* One signature or encryption call: mechanism, its parameters and the input it needs. */
typedef struct mech_call {
    const p11_record *rec;
    CK_MECHANISM mech;
    CK_RSA_PKCS_PSS_PARAMS pss;
    CK_RSA_PKCS_OAEP_PARAMS oaep;
    const uint8_t *in;
    size_t in_len;
    uint8_t buf[SIG_INPUT_MAX]; /* DigestInfo || hash */
    const uint8_t *sig;         /* verify */
    size_t sig_len;
    uint8_t *out;
    size_t out_size, out_len;
    CK_RV rv; /* the token's answer, before mapping */
} mech_call;

/* The token has no OAEP with this hash (SoftHSM 2.6: SHA-1 only, CKR_ARGUMENTS_BAD). */
static int oaep_refused(const mech_call *c)
{
    return c->mech.mechanism == CKM_RSA_PKCS_OAEP && c->oaep.hashAlg != CKM_SHA_1 &&
           (c->rv == CKR_ARGUMENTS_BAD || c->rv == CKR_MECHANISM_PARAM_INVALID ||
            c->rv == CKR_MECHANISM_INVALID);
}

static psh_status sign_mech(mech_call *c, psa_algorithm_t alg, const uint8_t *hash,
                            size_t hash_len)
{
    c->in = hash;
    c->in_len = hash_len;
    if (PSA_ALG_IS_ECDSA(alg)) {
        /* Tokens implement randomised ECDSA only; RFC 6979 cannot be asked for. */
        if (PSA_ALG_IS_DETERMINISTIC_ECDSA(alg) || !PSA_KEY_TYPE_IS_ECC(c->rec->type))
            return PSH_ERR_PSA_NOT_SUPPORTED;
        c->mech.mechanism = CKM_ECDSA; /* output r || s: PSA's format already */
        return PSH_SUCCESS;
    }
    if (!PSA_KEY_TYPE_IS_RSA(c->rec->type))
        return PSH_ERR_PSA_NOT_SUPPORTED;
    if (alg == PSA_ALG_RSA_PKCS1V15_SIGN_RAW) {
        c->mech.mechanism = CKM_RSA_PKCS;
        return PSH_SUCCESS;
    }
    if (PSA_ALG_IS_RSA_PKCS1V15_SIGN(alg)) {
        size_t plen = 0;
        const uint8_t *prefix = digest_info(PSA_ALG_SIGN_GET_HASH(alg), &plen);
        if (prefix == NULL || hash_len != PSA_HASH_LENGTH(PSA_ALG_SIGN_GET_HASH(alg)))
            return prefix == NULL ? PSH_ERR_PSA_NOT_SUPPORTED : PSH_ERR_PSA_INVALID_ARGUMENT;
        memcpy(c->buf, prefix, plen);
        memcpy(c->buf + plen, hash, hash_len);
        c->in = c->buf;
        c->in_len = plen + hash_len;
        c->mech.mechanism = CKM_RSA_PKCS;
        return PSH_SUCCESS;
    }
    if (PSA_ALG_IS_RSA_PSS(alg)) {
        psa_algorithm_t h = PSA_ALG_SIGN_GET_HASH(alg);
        if (p11_hash_mech(h) == 0)
            return PSH_ERR_PSA_NOT_SUPPORTED;
        c->pss.hashAlg = p11_hash_mech(h);
        c->pss.mgf = mgf_for(h);
        c->pss.sLen = PSA_HASH_LENGTH(h); /* PSA: salt length = hash length */
        c->mech.mechanism = CKM_RSA_PKCS_PSS;
        c->mech.pParameter = &c->pss;
        c->mech.ulParameterLen = sizeof c->pss;
        return PSH_SUCCESS;
    }
    return PSH_ERR_PSA_NOT_SUPPORTED;
}

static psh_status crypt_mech(mech_call *c, psa_algorithm_t alg, const uint8_t *salt,
                             size_t salt_len)
{
    if (!PSA_KEY_TYPE_IS_RSA(c->rec->type))
        return PSH_ERR_PSA_NOT_SUPPORTED;
    if (alg == PSA_ALG_RSA_PKCS1V15_CRYPT) {
        if (salt_len != 0)
            return PSH_ERR_PSA_INVALID_ARGUMENT; /* PKCS#1 v1.5 has no label */
        c->mech.mechanism = CKM_RSA_PKCS;
        return PSH_SUCCESS;
    }
    if (PSA_ALG_IS_RSA_OAEP(alg)) {
        psa_algorithm_t h = PSA_ALG_RSA_OAEP_GET_HASH(alg);
        if (p11_hash_mech(h) == 0)
            return PSH_ERR_PSA_NOT_SUPPORTED;
        c->oaep.hashAlg = p11_hash_mech(h);
        c->oaep.mgf = mgf_for(h);
        c->oaep.source = CKZ_DATA_SPECIFIED;
        c->oaep.pSourceData = salt_len ? (void *)salt : NULL; /* the PSA "label" */
        c->oaep.ulSourceDataLen = salt_len;
        c->mech.mechanism = CKM_RSA_PKCS_OAEP;
        c->mech.pParameter = &c->oaep;
        c->mech.ulParameterLen = sizeof c->oaep;
        return PSH_SUCCESS;
    }
    return PSH_ERR_PSA_NOT_SUPPORTED;
}

/* Largest token output: an RSA-4096 block (ECDSA P-521 r||s is 132 bytes). */
#define P11_OUT_MAX 512

/* Copies the token's output to the caller; the mapping (BufferTooSmall) happens later. */
static CK_RV copy_out(mech_call *c, const uint8_t *buf, CK_ULONG n)
{
    if (n > c->out_size)
        return CKR_BUFFER_TOO_SMALL;
    memcpy(c->out, buf, n);
    c->out_len = n;
    return CKR_OK;
}

/* ---- token calls --------------------------------------------------------------------------- */

static CK_RV sign_fn(p11_ctx *ctx, CK_SESSION_HANDLE s, void *varg)
{
    mech_call *c = varg;
    uint8_t buf[P11_OUT_MAX];
    CK_ULONG n = sizeof buf;
    CK_RV rv = p11_key_init(ctx, s, CKO_PRIVATE_KEY, c->rec, ctx->f->C_SignInit, &c->mech);
    if (rv == CKR_OK)
        rv = ctx->f->C_Sign(s, (CK_BYTE_PTR)c->in, (CK_ULONG)c->in_len, buf, &n);
    if (rv == CKR_OK)
        rv = copy_out(c, buf, n);
    psh_zeroize(buf, sizeof buf);
    return rv;
}

static CK_RV verify_fn(p11_ctx *ctx, CK_SESSION_HANDLE s, void *varg)
{
    mech_call *c = varg;
    CK_RV rv = p11_key_init(ctx, s, CKO_PUBLIC_KEY, c->rec, ctx->f->C_VerifyInit, &c->mech);
    if (rv == CKR_OK)
        rv = ctx->f->C_Verify(s, (CK_BYTE_PTR)c->in, (CK_ULONG)c->in_len, (CK_BYTE_PTR)c->sig,
                              (CK_ULONG)c->sig_len);
    return rv;
}

static CK_RV encrypt_fn(p11_ctx *ctx, CK_SESSION_HANDLE s, void *varg)
{
    mech_call *c = varg;
    uint8_t buf[P11_OUT_MAX];
    CK_ULONG n = sizeof buf;
    CK_RV rv = p11_key_init(ctx, s, CKO_PUBLIC_KEY, c->rec, ctx->f->C_EncryptInit, &c->mech);
    if (rv == CKR_OK)
        rv = ctx->f->C_Encrypt(s, (CK_BYTE_PTR)c->in, (CK_ULONG)c->in_len, buf, &n);
    if (rv == CKR_OK)
        rv = copy_out(c, buf, n);
    psh_zeroize(buf, sizeof buf);
    return rv;
}

static CK_RV decrypt_fn(p11_ctx *ctx, CK_SESSION_HANDLE s, void *varg)
{
    mech_call *c = varg;
    uint8_t buf[P11_OUT_MAX];
    CK_ULONG n = sizeof buf;
    CK_RV rv = p11_key_init(ctx, s, CKO_PRIVATE_KEY, c->rec, ctx->f->C_DecryptInit, &c->mech);
    if (rv == CKR_OK)
        rv = ctx->f->C_Decrypt(s, (CK_BYTE_PTR)c->in, (CK_ULONG)c->in_len, buf, &n);
    if (rv == CKR_OK)
        rv = copy_out(c, buf, n);
    psh_zeroize(buf, sizeof buf);
    return rv;
}

/* Runs fn and maps the result; a missing object is logged as such (the KIM still maps it). */
static psh_status run_keyed(p11_ctx *ctx, p11_fn fn, mech_call *c)
{
    c->rv = p11_run(ctx, fn, c);
    psh_status st = p11_to_psh_status(c->rv);
    if (st == PSH_ERR_PSA_DOES_NOT_EXIST)
        LOG_ERROR("token \"%s\" has no object for a mapped key: it was deleted or the token "
                  "was re-initialised; the mapping is kept", ctx->token_label);
    return st;
}

/* ---- software public-key operations ------------------------------------------------------- */

typedef enum { SW_VERIFY, SW_ENCRYPT } sw_op;

static psh_status software_public(p11_ctx *ctx, const psh_key_ref *key, const p11_record *rec,
                                  sw_op op, psa_algorithm_t alg, const uint8_t *in,
                                  size_t in_len, const uint8_t *extra, size_t extra_len,
                                  uint8_t *out, size_t out_size, size_t *out_len)
{
    uint8_t pub[PSA_EXPORT_PUBLIC_KEY_MAX_SIZE];
    size_t pub_len = 0;
    psa_key_attributes_t pa = PSA_KEY_ATTRIBUTES_INIT;
    psa_key_id_t id = 0;
    psa_status_t s;
    psh_status st;

    st = p11_export_public_key(ctx, key, pub, sizeof pub, &pub_len);
    if (st != PSH_SUCCESS)
        return st;
    if ((st = psh_psa_init()) != PSH_SUCCESS)
        return st;
    psa_set_key_type(&pa, PSA_KEY_TYPE_PUBLIC_KEY_OF_KEY_PAIR(rec->type));
    psa_set_key_usage_flags(&pa, op == SW_VERIFY ? PSA_KEY_USAGE_VERIFY_HASH
                                                 : PSA_KEY_USAGE_ENCRYPT);
    psa_set_key_algorithm(&pa, alg);
    psh_psa_lock();
    s = psa_import_key(&pa, pub, pub_len, &id);
    if (s == PSA_SUCCESS) {
        if (op == SW_VERIFY)
            s = psa_verify_hash(id, alg, in, in_len, extra, extra_len);
        else
            s = psa_asymmetric_encrypt(id, alg, in, in_len, extra, extra_len, out, out_size,
                                       out_len);
    }
    if (id != 0)
        psa_destroy_key(id);
    psh_psa_unlock();
    psa_reset_key_attributes(&pa);
    if (s == PSA_SUCCESS)
        return PSH_SUCCESS;
    if (s == PSA_ERROR_INVALID_SIGNATURE)
        return PSH_ERR_PSA_INVALID_SIGNATURE;
    if (s == PSA_ERROR_NOT_SUPPORTED)
        return PSH_ERR_PSA_NOT_SUPPORTED;
    if (s == PSA_ERROR_BUFFER_TOO_SMALL)
        return PSH_ERR_PSA_BUFFER_TOO_SMALL;
    return s == PSA_ERROR_INVALID_ARGUMENT ? PSH_ERR_PSA_INVALID_ARGUMENT : PSH_ERR_PSA_GENERIC;
}

/* ---- the operations ------------------------------------------------------------------------ */

psh_status p11_sign_hash(void *vctx, const psh_key_ref *key, psa_algorithm_t alg,
                         const uint8_t *hash, size_t hash_len, uint8_t *sig, size_t sig_size,
                         size_t *sig_len)
{
    p11_record rec;
    mech_call c;
    psh_status st = p11_key_record(key, &rec);
    if (st != PSH_SUCCESS)
        return st;
    memset(&c, 0, sizeof c);
    c.rec = &rec;
    if ((st = sign_mech(&c, alg, hash, hash_len)) != PSH_SUCCESS)
        return st;
    c.out = sig;
    c.out_size = sig_size;
    st = run_keyed(vctx, sign_fn, &c);
    if (st == PSH_SUCCESS)
        *sig_len = c.out_len;
    psh_zeroize(c.buf, sizeof c.buf);
    return st;
}

psh_status p11_verify_hash(void *vctx, const psh_key_ref *key, psa_algorithm_t alg,
                           const uint8_t *hash, size_t hash_len, const uint8_t *sig,
                           size_t sig_len)
{
    p11_ctx *ctx = vctx;
    p11_record rec;
    mech_call c;
    psh_status st = p11_key_record(key, &rec);
    if (st != PSH_SUCCESS)
        return st;
    if (ctx->software_public) {
        size_t none = 0;
        return software_public(ctx, key, &rec, SW_VERIFY, alg, hash, hash_len, sig, sig_len,
                               NULL, 0, &none);
    }
    memset(&c, 0, sizeof c);
    c.rec = &rec;
    if ((st = sign_mech(&c, alg, hash, hash_len)) != PSH_SUCCESS)
        return st;
    /* ECDSA: the wrong length can never verify; some tokens answer ARGUMENTS_BAD to it. */
    if (PSA_ALG_IS_ECDSA(alg) && sig_len != 2 * PSA_BITS_TO_BYTES(rec.bits))
        return PSH_ERR_PSA_INVALID_SIGNATURE;
    c.sig = sig;
    c.sig_len = sig_len;
    st = run_keyed(ctx, verify_fn, &c);
    if (st == PSH_ERR_PSA_INVALID_ARGUMENT || st == PSH_ERR_PSA_INVALID_PADDING)
        st = PSH_ERR_PSA_INVALID_SIGNATURE; /* a malformed signature is a bad signature */
    return st;
}

psh_status p11_asymmetric_encrypt(void *vctx, const psh_key_ref *key, psa_algorithm_t alg,
                                  const uint8_t *in, size_t in_len, const uint8_t *salt,
                                  size_t salt_len, uint8_t *out, size_t out_size,
                                  size_t *out_len)
{
    p11_ctx *ctx = vctx;
    p11_record rec;
    mech_call c;
    psh_status st = p11_key_record(key, &rec);
    if (st != PSH_SUCCESS)
        return st;
    if (ctx->software_public)
        return software_public(ctx, key, &rec, SW_ENCRYPT, alg, in, in_len, salt, salt_len, out,
                               out_size, out_len);
    memset(&c, 0, sizeof c);
    c.rec = &rec;
    if ((st = crypt_mech(&c, alg, salt, salt_len)) != PSH_SUCCESS)
        return st;
    c.in = in;
    c.in_len = in_len;
    c.out = out;
    c.out_size = out_size;
    st = run_keyed(ctx, encrypt_fn, &c);
    if (st != PSH_SUCCESS && oaep_refused(&c)) /* public-key step: same result in software */
        return software_public(ctx, key, &rec, SW_ENCRYPT, alg, in, in_len, salt, salt_len, out,
                               out_size, out_len);
    if (st == PSH_SUCCESS)
        *out_len = c.out_len;
    return st;
}

/* OAEP with a hash the token's OAEP lacks: raw RSA on the token (CKM_RSA_X_509), EME-OAEP
 * decoding in p11_oaep.c. The raw block is secret and wiped. */
static psh_status oaep_fallback(p11_ctx *ctx, const p11_record *rec, psa_algorithm_t alg,
                                const uint8_t *in, size_t in_len, const uint8_t *salt,
                                size_t salt_len, uint8_t *out, size_t out_size, size_t *out_len)
{
    size_t k = PSA_BITS_TO_BYTES(rec->bits);
    uint8_t em[PSA_BITS_TO_BYTES(4096)];
    mech_call c;
    psh_status st;

    if (k > sizeof em || in_len != k)
        return PSH_ERR_PSA_INVALID_PADDING;
    memset(&c, 0, sizeof c);
    c.rec = rec;
    c.mech.mechanism = CKM_RSA_X_509;
    c.in = in;
    c.in_len = in_len;
    c.out = em;
    c.out_size = sizeof em;
    st = run_keyed(ctx, decrypt_fn, &c);
    if (st == PSH_SUCCESS && c.out_len <= k) {
        /* Right-align: a module may drop leading zero bytes of the block. */
        memmove(em + (k - c.out_len), em, c.out_len);
        memset(em, 0, k - c.out_len);
        st = p11_oaep_decode(PSA_ALG_RSA_OAEP_GET_HASH(alg), em, k, salt, salt_len, out,
                             out_size, out_len);
    } else if (st == PSH_SUCCESS) {
        st = PSH_ERR_PSA_INVALID_PADDING;
    } else if (st == PSH_ERR_PSA_GENERIC || st == PSH_ERR_PSA_INVALID_ARGUMENT) {
        st = PSH_ERR_PSA_INVALID_PADDING;
    }
    psh_zeroize(em, sizeof em);
    return st;
}

psh_status p11_asymmetric_decrypt(void *vctx, const psh_key_ref *key, psa_algorithm_t alg,
                                  const uint8_t *in, size_t in_len, const uint8_t *salt,
                                  size_t salt_len, uint8_t *out, size_t out_size,
                                  size_t *out_len)
{
    p11_record rec;
    mech_call c;
    psh_status st = p11_key_record(key, &rec);
    if (st != PSH_SUCCESS)
        return st;
    memset(&c, 0, sizeof c);
    c.rec = &rec;
    if ((st = crypt_mech(&c, alg, salt, salt_len)) != PSH_SUCCESS)
        return st;
    c.in = in;
    c.in_len = in_len;
    c.out = out;
    c.out_size = out_size;
    st = run_keyed(vctx, decrypt_fn, &c);
    if (st != PSH_SUCCESS && oaep_refused(&c))
        return oaep_fallback(vctx, &rec, alg, in, in_len, salt, salt_len, out, out_size, out_len);
    /* A ciphertext that does not decrypt is bad padding to the caller (spec 6.2), whatever
     * generic code the token chose for it. */
    if (st == PSH_ERR_PSA_GENERIC || st == PSH_ERR_PSA_INVALID_ARGUMENT)
        st = PSH_ERR_PSA_INVALID_PADDING;
    if (st == PSH_SUCCESS)
        *out_len = c.out_len;
    return st;
}

/* ---- keyless ------------------------------------------------------------------------------- */

typedef struct buf_arg {
    CK_MECHANISM mech;
    const uint8_t *in;
    size_t in_len;
    uint8_t *out;
    size_t out_size, out_len;
} buf_arg;

static CK_RV random_fn(p11_ctx *ctx, CK_SESSION_HANDLE s, void *varg)
{
    buf_arg *a = varg;
    return ctx->f->C_GenerateRandom(s, a->out, (CK_ULONG)a->out_size);
}

psh_status p11_generate_random(void *vctx, uint8_t *out, size_t size)
{
    buf_arg a = {{0, NULL, 0}, NULL, 0, out, size, 0};
    return p11_to_psh_status(p11_run(vctx, random_fn, &a));
}

static CK_RV digest_fn(p11_ctx *ctx, CK_SESSION_HANDLE s, void *varg)
{
    buf_arg *a = varg;
    CK_ULONG n = (CK_ULONG)a->out_size;
    CK_RV rv = ctx->f->C_DigestInit(s, &a->mech);
    if (rv == CKR_OK)
        rv = ctx->f->C_Digest(s, (CK_BYTE_PTR)a->in, (CK_ULONG)a->in_len, a->out, &n);
    if (rv == CKR_OK)
        a->out_len = n;
    return rv;
}

psh_status p11_hash_compute(void *vctx, psa_algorithm_t alg, const uint8_t *in, size_t in_len,
                            uint8_t *out, size_t out_size, size_t *out_len)
{
    buf_arg a = {{p11_hash_mech(alg), NULL, 0}, in, in_len, out, out_size, 0};
    psh_status st;
    if (a.mech.mechanism == 0)
        return PSH_ERR_PSA_NOT_SUPPORTED;
    st = p11_to_psh_status(p11_run(vctx, digest_fn, &a));
    if (st == PSH_SUCCESS)
        *out_len = a.out_len;
    return st;
}

psh_status p11_hash_compare(void *vctx, psa_algorithm_t alg, const uint8_t *in, size_t in_len,
                            const uint8_t *hash, size_t hash_len)
{
    uint8_t h[PSA_HASH_MAX_SIZE];
    size_t len = 0;
    psh_status st = p11_hash_compute(vctx, alg, in, in_len, h, sizeof h, &len);
    if (st == PSH_SUCCESS)
        st = (len == hash_len && mbedtls_ct_memcmp(h, hash, len) == 0)
                 ? PSH_SUCCESS
                 : PSH_ERR_PSA_INVALID_SIGNATURE;
    psh_zeroize(h, sizeof h);
    return st;
}
