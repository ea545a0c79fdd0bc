/* KAT evidence from the PKCS#11 provider (docs/evidence.md "Our KAT format"): the key
 * attestation key (KAK) and the platform attestation key (PAK) are ECDSA P-256 key pairs in
 * the token itself, under reserved CKA_IDs ("psh-attest-pak", "psh-attest-kak"; our keys use
 * 16 random bytes, so they cannot collide). They are created on the first attestation request
 * (private: sensitive, not extractable, sign only) and found again after every restart; they
 * are not in the KIM, so no application can list, use or delete them through the service.
 * Signing goes through p11_sign_hash (CKM_ECDSA, r || s), i.e. the private keys never leave
 * the token; the KAT builders take them through their _ext callbacks. */
#include <pthread.h>
#include <string.h>

#include <mbedtls/pk.h>

#include "attest.h"
#include "providers/pkcs11/p11_internal.h"
#include "util/alloc.h"

#define PSH_LOGMODULE pkcs11
#include "util/log.h"

#define MEDIA_TYPE_KAT "application/cmw+cbor"

static const uint8_t pak_id[] = "psh-attest-pak";
static const uint8_t kak_id[] = "psh-attest-kak";
#define ATT_ID_LEN (sizeof pak_id - 1)

/* One creation at a time in this process: two would leave two objects under one CKA_ID. */
static pthread_mutex_t create_mu = PTHREAD_MUTEX_INITIALIZER;

typedef struct att_key {
    uint8_t *rec; /* p11 record naming the token key (psh_free_secret) */
    size_t rec_len;
    psh_key_attrs attrs;
    psh_key_ref ref;
} att_key;

static CK_RV ensure_fn(p11_ctx *ctx, CK_SESSION_HANDLE s, void *arg)
{
    const uint8_t *id = arg;
    static CK_BBOOL t = CK_TRUE, f = CK_FALSE;
    CK_OBJECT_HANDLE h = CK_INVALID_HANDLE, hp = CK_INVALID_HANDLE;
    CK_MECHANISM mech = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
    size_t plen = 0;
    const uint8_t *params = p11_ec_params(PSA_ECC_FAMILY_SECP_R1, 256, &plen);
    CK_RV rv = p11_find(ctx, s, CKO_PRIVATE_KEY, id, ATT_ID_LEN, &h);
    if (rv != CKR_OBJECT_HANDLE_INVALID)
        return rv; /* found (CKR_OK) or a real error */
    if (params == NULL)
        return CKR_CURVE_NOT_SUPPORTED;
    {
        CK_ATTRIBUTE pub[] = {
            {CKA_TOKEN, &t, sizeof t},
            {CKA_ID, (void *)id, ATT_ID_LEN},
            {CKA_LABEL, (void *)id, ATT_ID_LEN},
            {CKA_VERIFY, &t, sizeof t},
            {CKA_PRIVATE, &f, sizeof f},
            {CKA_EC_PARAMS, (void *)params, plen},
        };
        CK_ATTRIBUTE priv[] = {
            {CKA_TOKEN, &t, sizeof t},
            {CKA_ID, (void *)id, ATT_ID_LEN},
            {CKA_LABEL, (void *)id, ATT_ID_LEN},
            {CKA_PRIVATE, &t, sizeof t},
            {CKA_SENSITIVE, &t, sizeof t},
            {CKA_EXTRACTABLE, &f, sizeof f},
            {CKA_SIGN, &t, sizeof t},
            {CKA_DECRYPT, &f, sizeof f},
            {CKA_DERIVE, &f, sizeof f},
        };
        LOG_INFO("creating the token's attestation key %.*s", (int)ATT_ID_LEN, (const char *)id);
        /* Creations share the store lock, searches (p11_find) hold it alone: SoftHSM 2.6's
         * object store race (docs/pkcs11.md). */
        pthread_rwlock_rdlock(&ctx->store_lock);
        rv = ctx->f->C_GenerateKeyPair(s, &mech, pub, sizeof pub / sizeof pub[0], priv,
                                       sizeof priv / sizeof priv[0], &hp, &h);
        pthread_rwlock_unlock(&ctx->store_lock);
        if (rv != CKR_OK)
            LOG_ERROR("cannot create the token's attestation key: C_GenerateKeyPair returned %s",
                      p11_rv_name(rv));
        return rv;
    }
}

static void att_key_free(att_key *k)
{
    psh_free_secret(k->rec, k->rec_len);
    k->rec = NULL;
}

/* Finds or creates the key and names it as a record the provider's operations take. */
static psh_status att_key_get(p11_ctx *ctx, const uint8_t *id, att_key *k)
{
    psh_status st;
    CK_RV rv;
    memset(k, 0, sizeof *k);
    pthread_mutex_lock(&create_mu);
    rv = p11_run(ctx, ensure_fn, (void *)id);
    pthread_mutex_unlock(&create_mu);
    if (rv != CKR_OK)
        return p11_to_psh_status(rv);
    k->attrs.type = PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1);
    k->attrs.bits = 256;
    k->attrs.usage = PSA_KEY_USAGE_SIGN_HASH;
    k->attrs.alg = PSA_ALG_ECDSA(PSA_ALG_SHA_256);
    st = p11_record_build(k->attrs.type, 256, id, ATT_ID_LEN, &k->rec, &k->rec_len);
    k->ref.attrs = &k->attrs;
    k->ref.key_id = k->rec;
    k->ref.key_id_len = k->rec_len;
    return st;
}

static psh_status public_pk(p11_ctx *ctx, const psh_key_ref *ref, mbedtls_pk_context *pk)
{
    uint8_t pt[PSA_EXPORT_PUBLIC_KEY_MAX_SIZE];
    size_t len = 0;
    psh_status st = p11_export_public_key(ctx, ref, pt, sizeof pt, &len);
    return st != PSH_SUCCESS ? st : psh_attest_pk_from_point(ref->attrs->bits, pt, len, pk);
}

typedef struct sign_ctx {
    p11_ctx *ctx;
    const psh_key_ref *ref;
} sign_ctx;

static int sign_cb(void *arg, const uint8_t *hash, size_t hash_len, uint8_t *sig, size_t sig_len)
{
    sign_ctx *c = arg;
    size_t n = 0;
    if (p11_sign_hash(c->ctx, c->ref, PSA_ALG_ECDSA(PSA_ALG_SHA_256), hash, hash_len, sig,
                      sig_len, &n) != PSH_SUCCESS ||
        n != sig_len)
        return -1;
    return 0;
}

psh_status p11_attest_anchor(void *vctx, psh_attest_anchor_out *out)
{
    p11_ctx *ctx = vctx;
    mbedtls_pk_context pk;
    unsigned char der[300];
    att_key pak;
    int n;
    psh_status st = att_key_get(ctx, pak_id, &pak);
    mbedtls_pk_init(&pk);
    out->media_type = MEDIA_TYPE_KAT;
    if (st == PSH_SUCCESS)
        st = public_pk(ctx, &pak.ref, &pk);
    if (st == PSH_SUCCESS) {
        n = mbedtls_pk_write_pubkey_der(&pk, der, sizeof der);
        if (n <= 0 || (size_t)n > sizeof out->spki) {
            st = PSH_ERR_PSA_GENERIC;
        } else {
            memcpy(out->spki, der + sizeof der - n, (size_t)n); /* written at the end */
            out->spki_len = (size_t)n;
            st = psh_attest_kid_from_pk(&pk, out->kid);
            out->kid_len = 33;
        }
    }
    mbedtls_pk_free(&pk);
    att_key_free(&pak);
    return st;
}

psh_status p11_attest_evidence(void *vctx, const psh_key_ref *key, const uint8_t *nonce,
                               size_t nonce_len, uint8_t **ev, size_t *ev_len,
                               const char **media_type)
{
    p11_ctx *ctx = vctx;
    mbedtls_pk_context ik, pak_pub, kak_pub;
    att_key pak, kak;
    uint8_t *kat = NULL, *pat = NULL;
    size_t kat_len = 0, pat_len = 0;
    psh_status st;

    *ev = NULL;
    *ev_len = 0;
    *media_type = MEDIA_TYPE_KAT;
    memset(&pak, 0, sizeof pak);
    memset(&kak, 0, sizeof kak);
    mbedtls_pk_init(&ik);
    mbedtls_pk_init(&pak_pub);
    mbedtls_pk_init(&kak_pub);
    if (!PSA_KEY_TYPE_IS_ECC(key->attrs->type) ||
        PSA_KEY_TYPE_ECC_GET_FAMILY(key->attrs->type) != PSA_ECC_FAMILY_SECP_R1) {
        st = PSH_ERR_PSA_NOT_SUPPORTED; /* the KAT's cnf is an EC2 COSE_Key */
        goto exit;
    }
    if ((st = public_pk(ctx, key, &ik)) != PSH_SUCCESS ||
        (st = att_key_get(ctx, pak_id, &pak)) != PSH_SUCCESS ||
        (st = att_key_get(ctx, kak_id, &kak)) != PSH_SUCCESS ||
        (st = public_pk(ctx, &pak.ref, &pak_pub)) != PSH_SUCCESS ||
        (st = public_pk(ctx, &kak.ref, &kak_pub)) != PSH_SUCCESS)
        goto exit;
    {
        sign_ctx sp = {ctx, &pak.ref}, sk = {ctx, &kak.ref};
        st = psh_kat_build_pat_ext(sign_cb, &sp, &pak_pub, &kak_pub, &pat, &pat_len);
        if (st == PSH_SUCCESS)
            st = psh_kat_build_kat_ext(sign_cb, &sk, &kak_pub, &ik, nonce, nonce_len, &kat,
                                       &kat_len);
    }
    if (st == PSH_SUCCESS)
        st = psh_kat_build_cab(kat, kat_len, pat, pat_len, ev, ev_len);
exit:
    psh_free(kat);
    psh_free(pat);
    mbedtls_pk_free(&ik);
    mbedtls_pk_free(&pak_pub);
    mbedtls_pk_free(&kak_pub);
    att_key_free(&pak);
    att_key_free(&kak);
    return st;
}
