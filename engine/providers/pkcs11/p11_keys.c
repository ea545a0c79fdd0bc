/* Key objects on the token: create (generate / import), find, destroy, export.
 *
 * Every key is one or two token objects sharing a random 16-byte CKA_ID (private + public for
 * a key pair, public only for an imported public key); CKA_LABEL "psh-<hex id>" makes them
 * recognisable in pkcs11-tool listings. The KIM keeps only the record (p11_record.c). Key
 * material that passes through here on import/export is wiped before it is freed. */
#include "providers/pkcs11/p11_internal.h"

#include <stdio.h>
#include <string.h>

#include "util/alloc.h"
#include "util/psa_lock.h"

#define PSH_LOGMODULE pkcs11
#include "util/log.h"

#define ATTR_MAX 8192 /* bigger than any attribute of a supported key */

static CK_BBOOL ck_true = CK_TRUE, ck_false = CK_FALSE;

CK_RV p11_find(p11_ctx *ctx, CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls, const uint8_t *id,
               size_t id_len, CK_OBJECT_HANDLE *obj)
{
    CK_ATTRIBUTE t[] = {
        {CKA_CLASS, &cls, sizeof cls},
        {CKA_ID, (void *)id, (CK_ULONG)id_len},
    };
    CK_OBJECT_HANDLE found[2];
    CK_ULONG n = 0;
    CK_RV rv;

    pthread_rwlock_wrlock(&ctx->store_lock); /* never while an object is being created */
    rv = ctx->f->C_FindObjectsInit(s, t, 2);
    if (rv == CKR_OK) {
        rv = ctx->f->C_FindObjects(s, found, 2, &n);
        ctx->f->C_FindObjectsFinal(s);
    }
    pthread_rwlock_unlock(&ctx->store_lock);
    if (rv != CKR_OK)
        return rv;
    if (n == 0)
        return CKR_OBJECT_HANDLE_INVALID;
    if (n > 1)
        LOG_WARN("two token objects share one CKA_ID; using the first");
    *obj = found[0];
    return CKR_OK;
}

psh_status p11_key_record(const psh_key_ref *key, p11_record *rec)
{
    psh_status st = p11_record_parse(key->key_id, key->key_id_len, rec);
    if (st != PSH_SUCCESS) {
        LOG_ERROR("stored PKCS#11 key record does not parse (%zu bytes)", key->key_id_len);
        return st;
    }
    if (key->attrs != NULL && (key->attrs->type != rec->type ||
                               (key->attrs->bits != 0 && key->attrs->bits != rec->bits))) {
        LOG_ERROR("stored PKCS#11 key record disagrees with the stored attributes");
        return PSH_ERR_PSA_DATA_INVALID;
    }
    return PSH_SUCCESS;
}

/* Reads one attribute into a callee-allocated buffer (free with psh_free_secret(*v, *len)). */
static CK_RV get_attr(p11_ctx *ctx, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
                      CK_ATTRIBUTE_TYPE type, uint8_t **v, size_t *len)
{
    CK_ATTRIBUTE a = {type, NULL, 0};
    CK_RV rv;
    *v = NULL;
    *len = 0;
    rv = ctx->f->C_GetAttributeValue(s, o, &a, 1);
    if (rv != CKR_OK)
        return rv;
    if (a.ulValueLen == (CK_ULONG)-1 || a.ulValueLen == 0 || a.ulValueLen > ATTR_MAX)
        return CKR_ATTRIBUTE_VALUE_INVALID;
    a.pValue = psh_malloc(a.ulValueLen);
    if (a.pValue == NULL)
        return CKR_HOST_MEMORY;
    rv = ctx->f->C_GetAttributeValue(s, o, &a, 1);
    if (rv != CKR_OK || a.ulValueLen > ATTR_MAX) {
        psh_free_secret(a.pValue, ATTR_MAX < a.ulValueLen ? ATTR_MAX : a.ulValueLen);
        return rv != CKR_OK ? rv : CKR_ATTRIBUTE_VALUE_INVALID;
    }
    *v = a.pValue;
    *len = a.ulValueLen;
    return CKR_OK;
}

/* ---- existence and destruction ------------------------------------------------------------- */

typedef struct id_arg {
    const p11_record *rec;
    int destroyed;
} id_arg;

static CK_RV exists_fn(p11_ctx *ctx, CK_SESSION_HANDLE s, void *varg)
{
    const p11_record *rec = ((id_arg *)varg)->rec;
    CK_OBJECT_HANDLE o;
    CK_OBJECT_CLASS cls = PSA_KEY_TYPE_IS_KEY_PAIR(rec->type) ? CKO_PRIVATE_KEY : CKO_PUBLIC_KEY;
    return p11_find(ctx, s, cls, rec->id, rec->id_len, &o);
}

psh_status p11_key_exists(void *vctx, const psh_key_ref *key)
{
    p11_record rec;
    id_arg a = {&rec, 0};
    psh_status st = p11_key_record(key, &rec);
    if (st != PSH_SUCCESS)
        return st; /* unreadable is not "missing": nothing may delete the mapping over it */
    return p11_to_psh_status(p11_run(vctx, exists_fn, &a));
}

/* Destroys every object with this CKA_ID; *destroyed counts them. */
static CK_RV destroy_id(p11_ctx *ctx, CK_SESSION_HANDLE s, const uint8_t *id, size_t id_len,
                        int *destroyed)
{
    CK_ATTRIBUTE t[] = {{CKA_ID, (void *)id, (CK_ULONG)id_len}};
    CK_OBJECT_HANDLE found[4];
    CK_ULONG n = 0;
    CK_RV rv;

    /* Find all objects first, then destroy: destroying while a search is active is not
     * allowed by every module. */
    pthread_rwlock_wrlock(&ctx->store_lock);
    rv = ctx->f->C_FindObjectsInit(s, t, 1);
    if (rv == CKR_OK) {
        rv = ctx->f->C_FindObjects(s, found, 4, &n);
        ctx->f->C_FindObjectsFinal(s);
    }
    for (CK_ULONG i = 0; rv == CKR_OK && i < n; i++) {
        rv = ctx->f->C_DestroyObject(s, found[i]);
        if (rv == CKR_OBJECT_HANDLE_INVALID)
            rv = CKR_OK;
        if (rv == CKR_OK)
            (*destroyed)++;
    }
    pthread_rwlock_unlock(&ctx->store_lock);
    return rv;
}

static CK_RV destroy_fn(p11_ctx *ctx, CK_SESSION_HANDLE s, void *varg)
{
    id_arg *a = varg;
    return destroy_id(ctx, s, a->rec->id, a->rec->id_len, &a->destroyed);
}

psh_status p11_destroy_key(void *vctx, const psh_key_ref *key)
{
    p11_record rec;
    id_arg a = {&rec, 0};
    CK_RV rv;
    psh_status st = p11_key_record(key, &rec);
    if (st != PSH_SUCCESS)
        return st;
    rv = p11_run(vctx, destroy_fn, &a);
    st = p11_to_psh_status(rv);
    if (rv != CKR_OK) {
        /* e.g. CKR_GENERAL_ERROR from SoftHSM when its token files are read-only */
        if (rv == CKR_GENERAL_ERROR || rv == CKR_FUNCTION_FAILED || rv == CKR_DEVICE_ERROR)
            st = PSH_ERR_PSA_STORAGE_FAILURE;
        LOG_ERROR("token \"%s\": destroying a key's objects failed: %s (0x%lx)",
                  ((p11_ctx *)vctx)->token_label, p11_rv_name(rv), (unsigned long)rv);
    }
    p11_cache_forget(vctx, rec.id, rec.id_len); /* whatever the outcome: search afresh */
    if (st == PSH_SUCCESS && a.destroyed == 0)
        st = PSH_ERR_PSA_DOES_NOT_EXIST;
    return st;
}

/* ---- creation ------------------------------------------------------------------------------ */

/* Everything one key creation puts on the token. Pointers are borrowed. */
typedef struct create_arg {
    const psh_key_attrs *attrs;
    size_t bits;
    int exportable;
    int generate;
    /* import: public/private attribute values (RSA: v[0..7] as in RSAPrivateKey; EC: v[0] =
     * scalar, point = bare public point) */
    int has_private;
    const uint8_t *v[8];
    size_t v_len[8];
    const uint8_t *point;
    size_t point_len;
    uint8_t id[P11_ID_LEN];
    int tried;        /* id names an earlier attempt, which may have left objects */
    const char *call; /* the PKCS#11 call that failed, for the log */
} create_arg;

#define ADD(tmpl, n, t, p, l)                                                  \
    do {                                                                       \
        (tmpl)[(n)].type = (t);                                                \
        (tmpl)[(n)].pValue = (void *)(p);                                       \
        (tmpl)[(n)].ulValueLen = (CK_ULONG)(l);                                 \
        (n)++;                                                                 \
    } while (0)

static CK_RV create_fn(p11_ctx *ctx, CK_SESSION_HANDLE s, void *varg)
{
    create_arg *a = varg;
    psa_key_type_t type = a->attrs->type;
    int rsa = PSA_KEY_TYPE_IS_RSA(type);
    CK_OBJECT_CLASS pub_cls = CKO_PUBLIC_KEY, priv_cls = CKO_PRIVATE_KEY;
    CK_KEY_TYPE kt = rsa ? CKK_RSA : CKK_EC;
    CK_ULONG mod_bits = (CK_ULONG)a->bits;
    static const uint8_t f4[] = {0x01, 0x00, 0x01};
    CK_BBOOL sign = (a->attrs->usage & (PSA_KEY_USAGE_SIGN_HASH | PSA_KEY_USAGE_SIGN_MESSAGE))
                        ? CK_TRUE : CK_FALSE;
    CK_BBOOL decrypt = (a->attrs->usage & PSA_KEY_USAGE_DECRYPT) ? CK_TRUE : CK_FALSE;
    CK_BBOOL encrypt = (a->attrs->usage & PSA_KEY_USAGE_ENCRYPT) ? CK_TRUE : CK_FALSE;
    CK_BBOOL verify = (a->attrs->usage & (PSA_KEY_USAGE_VERIFY_HASH |
                                          PSA_KEY_USAGE_VERIFY_MESSAGE)) ? CK_TRUE : CK_FALSE;
    CK_BBOOL sensitive = a->exportable ? CK_FALSE : CK_TRUE;
    CK_BBOOL extractable = a->exportable ? CK_TRUE : CK_FALSE;
    CK_ATTRIBUTE pub[14], priv[24];
    CK_ULONG np = 0, nv = 0;
    CK_OBJECT_HANDLE ho = CK_INVALID_HANDLE, hv = CK_INVALID_HANDLE;
    uint8_t wrapped[160];
    size_t wrapped_len = 0;
    const uint8_t *params = NULL;
    size_t params_len = 0;
    char label[8 + 2 * P11_ID_LEN];
    CK_MECHANISM mech = {rsa ? CKM_RSA_PKCS_KEY_PAIR_GEN : CKM_EC_KEY_PAIR_GEN, NULL, 0};
    CK_RV rv;

    /* Re-run after a lost session: what the failed attempt may have made goes first. */
    if (a->tried) {
        int n = 0;
        a->call = "C_DestroyObject (earlier attempt)";
        if ((rv = destroy_id(ctx, s, a->id, sizeof a->id, &n)) != CKR_OK)
            return rv;
        if (n > 0)
            LOG_WARN("removed %d object(s) left by an interrupted key creation", n);
    }
    /* A fresh CKA_ID from the token's RNG on every attempt. */
    a->call = "C_GenerateRandom";
    rv = ctx->f->C_GenerateRandom(s, a->id, sizeof a->id);
    if (rv != CKR_OK)
        return rv;
    a->tried = 1;
    snprintf(label, sizeof label, "psh-");
    for (size_t i = 0; i < 8; i++)
        snprintf(label + 4 + 2 * i, sizeof label - 4 - 2 * i, "%02x", a->id[i]);
    if (!rsa) {
        params = p11_ec_params(PSA_KEY_TYPE_ECC_GET_FAMILY(type), a->bits, &params_len);
        if (params == NULL)
            return CKR_CURVE_NOT_SUPPORTED;
    }
    ADD(pub, np, CKA_TOKEN, &ck_true, sizeof ck_true);
    ADD(pub, np, CKA_ID, a->id, sizeof a->id);
    ADD(pub, np, CKA_LABEL, label, strlen(label));
    ADD(pub, np, CKA_VERIFY, &verify, sizeof verify);
    ADD(pub, np, CKA_PRIVATE, &ck_false, sizeof ck_false);
    /* Token usage mirrors the PSA policy, so the token refuses what the core would. */
    ADD(pub, np, CKA_ENCRYPT, rsa ? &encrypt : &ck_false, sizeof encrypt);
    ADD(pub, np, CKA_WRAP, &ck_false, sizeof ck_false);
    ADD(priv, nv, CKA_TOKEN, &ck_true, sizeof ck_true);
    ADD(priv, nv, CKA_ID, a->id, sizeof a->id);
    ADD(priv, nv, CKA_LABEL, label, strlen(label));
    ADD(priv, nv, CKA_PRIVATE, &ck_true, sizeof ck_true);
    ADD(priv, nv, CKA_SENSITIVE, &sensitive, sizeof sensitive);
    ADD(priv, nv, CKA_EXTRACTABLE, &extractable, sizeof extractable);
    ADD(priv, nv, CKA_SIGN, &sign, sizeof sign);
    ADD(priv, nv, CKA_DECRYPT, rsa ? &decrypt : &ck_false, sizeof decrypt);
    ADD(priv, nv, CKA_UNWRAP, &ck_false, sizeof ck_false);
    ADD(priv, nv, CKA_DERIVE, &ck_false, sizeof ck_false);
    if (a->generate) {
        if (rsa) {
            ADD(pub, np, CKA_MODULUS_BITS, &mod_bits, sizeof mod_bits);
            ADD(pub, np, CKA_PUBLIC_EXPONENT, f4, sizeof f4);
        } else {
            ADD(pub, np, CKA_EC_PARAMS, params, params_len);
        }
        a->call = "C_GenerateKeyPair";
        pthread_rwlock_rdlock(&ctx->store_lock);
        rv = ctx->f->C_GenerateKeyPair(s, &mech, pub, np, priv, nv, &ho, &hv);
        pthread_rwlock_unlock(&ctx->store_lock);
        return rv;
    }
    /* Import: explicit objects. */
    ADD(pub, np, CKA_CLASS, &pub_cls, sizeof pub_cls);
    ADD(pub, np, CKA_KEY_TYPE, &kt, sizeof kt);
    if (rsa) {
        ADD(pub, np, CKA_MODULUS, a->v[0], a->v_len[0]);
        ADD(pub, np, CKA_PUBLIC_EXPONENT, a->v[1], a->v_len[1]);
    } else {
        wrapped_len = p11_ec_point_wrap(a->point, a->point_len, wrapped, sizeof wrapped);
        if (wrapped_len == 0)
            return CKR_ATTRIBUTE_VALUE_INVALID;
        ADD(pub, np, CKA_EC_PARAMS, params, params_len);
        ADD(pub, np, CKA_EC_POINT, wrapped, wrapped_len);
    }
    a->call = "C_CreateObject (public)";
    pthread_rwlock_rdlock(&ctx->store_lock);
    rv = ctx->f->C_CreateObject(s, pub, np, &ho);
    pthread_rwlock_unlock(&ctx->store_lock);
    if (rv != CKR_OK || !a->has_private)
        return rv;
    ADD(priv, nv, CKA_CLASS, &priv_cls, sizeof priv_cls);
    ADD(priv, nv, CKA_KEY_TYPE, &kt, sizeof kt);
    if (rsa) {
        static const CK_ATTRIBUTE_TYPE order[8] = {
            CKA_MODULUS, CKA_PUBLIC_EXPONENT, CKA_PRIVATE_EXPONENT, CKA_PRIME_1,
            CKA_PRIME_2, CKA_EXPONENT_1,      CKA_EXPONENT_2,       CKA_COEFFICIENT};
        for (size_t i = 0; i < 8; i++)
            ADD(priv, nv, order[i], a->v[i], a->v_len[i]);
    } else {
        ADD(priv, nv, CKA_EC_PARAMS, params, params_len);
        ADD(priv, nv, CKA_VALUE, a->v[0], a->v_len[0]);
    }
    a->call = "C_CreateObject (private)";
    pthread_rwlock_rdlock(&ctx->store_lock);
    rv = ctx->f->C_CreateObject(s, priv, nv, &hv);
    pthread_rwlock_unlock(&ctx->store_lock);
    return rv; /* on failure the caller removes the public half (remove_attempt) */
}

static psh_status check_new(p11_ctx *ctx, const psh_key_attrs *attrs, int *exportable)
{
    *exportable = (attrs->usage & PSA_KEY_USAGE_EXPORT) != 0;
    /* spec 6.2: allow_export = false refuses keys that ask to be exportable. */
    if (*exportable && !ctx->allow_export)
        return PSH_ERR_PSA_NOT_PERMITTED;
    return PSH_SUCCESS;
}

static CK_RV remove_fn(p11_ctx *ctx, CK_SESSION_HANDLE s, void *varg)
{
    create_arg *a = varg;
    int n = 0;
    CK_RV rv = destroy_id(ctx, s, a->id, sizeof a->id, &n);
    if (rv == CKR_OK && n > 0)
        LOG_WARN("removed %d object(s) left by a failed key creation", n);
    return rv;
}

/* A creation that failed (or whose record could not be built) must not leave objects no
 * mapping will ever name: whatever carries its CKA_ID goes. */
static void remove_attempt(p11_ctx *ctx, create_arg *a)
{
    CK_RV rv;
    if (!a->tried)
        return;
    rv = p11_run(ctx, remove_fn, a);
    if (rv != CKR_OK)
        LOG_ERROR("token \"%s\": cannot remove the objects of a failed key creation: %s "
                  "(0x%lx)", ctx->token_label, p11_rv_name(rv), (unsigned long)rv);
}

/* A creation's CK_RV as a status. The token's generic failures while writing a new object
 * (CKR_GENERAL_ERROR, CKR_FUNCTION_FAILED, CKR_DEVICE_ERROR: SoftHSM answers them when its
 * object files cannot be written) are storage failures; the CK_RV is logged. */
static psh_status create_status(p11_ctx *ctx, create_arg *a, CK_RV rv)
{
    psh_status st = p11_to_psh_status(rv);
    if (rv == CKR_OK)
        return st;
    if (rv == CKR_GENERAL_ERROR || rv == CKR_FUNCTION_FAILED || rv == CKR_DEVICE_ERROR ||
        rv == CKR_DEVICE_MEMORY)
        st = PSH_ERR_PSA_STORAGE_FAILURE;
    LOG_ERROR("token \"%s\": key creation failed: %s returned %s (0x%lx)", ctx->token_label,
              a->call != NULL ? a->call : "C_OpenSession/C_Login", p11_rv_name(rv),
              (unsigned long)rv);
    return st;
}

static psh_status finish_create(p11_ctx *ctx, create_arg *a, CK_RV rv, uint8_t **key_id,
                                size_t *key_id_len)
{
    psh_status st = create_status(ctx, a, rv);
    if (st == PSH_SUCCESS)
        st = p11_record_build(a->attrs->type, a->bits, a->id, sizeof a->id, key_id, key_id_len);
    if (st != PSH_SUCCESS)
        remove_attempt(ctx, a);
    return st;
}

psh_status p11_generate_key(void *vctx, const psh_key_attrs *attrs, uint8_t **key_id,
                            size_t *key_id_len)
{
    p11_ctx *ctx = vctx;
    create_arg a;
    psh_status st;

    *key_id = NULL;
    *key_id_len = 0;
    memset(&a, 0, sizeof a);
    if (!PSA_KEY_TYPE_IS_KEY_PAIR(attrs->type) || !p11_type_supported(attrs->type, attrs->bits) ||
        attrs->bits == 0)
        return PSH_ERR_PSA_NOT_SUPPORTED;
    if ((st = check_new(ctx, attrs, &a.exportable)) != PSH_SUCCESS)
        return st;
    a.attrs = attrs;
    a.bits = attrs->bits;
    a.generate = 1;
    return finish_create(ctx, &a, p11_run(ctx, create_fn, &a), key_id, key_id_len);
}

/* Validates import data with Mbed TLS (which also tells the size) and, for an EC key pair,
 * derives the public point. point: caller buffer of PSA_EXPORT_PUBLIC_KEY_MAX_SIZE. */
static psh_status psa_check_import(psa_key_type_t type, const uint8_t *data, size_t len,
                                   size_t *bits, uint8_t *point, size_t *point_len)
{
    psa_key_attributes_t pa = PSA_KEY_ATTRIBUTES_INIT;
    psa_key_id_t id = 0;
    psa_status_t s;

    *point_len = 0;
    if (psh_psa_init() != PSH_SUCCESS)
        return PSH_ERR_PSA_GENERIC;
    psa_set_key_type(&pa, type);
    psh_psa_lock();
    s = psa_import_key(&pa, data, len, &id);
    if (s == PSA_SUCCESS) {
        psa_reset_key_attributes(&pa);
        s = psa_get_key_attributes(id, &pa);
    }
    if (s == PSA_SUCCESS) {
        *bits = psa_get_key_bits(&pa);
        if (PSA_KEY_TYPE_IS_ECC(type))
            s = psa_export_public_key(id, point, PSA_EXPORT_PUBLIC_KEY_MAX_SIZE, point_len);
    }
    if (id != 0)
        psa_destroy_key(id);
    psh_psa_unlock();
    psa_reset_key_attributes(&pa);
    /* The type and size were checked before: whatever Mbed TLS refuses now is the data. */
    return s == PSA_SUCCESS ? PSH_SUCCESS : PSH_ERR_PSA_INVALID_ARGUMENT;
}

psh_status p11_import_key(void *vctx, psh_key_attrs *attrs, const uint8_t *data, size_t data_len,
                          uint8_t **key_id, size_t *key_id_len)
{
    p11_ctx *ctx = vctx;
    psa_key_type_t type = attrs->type;
    uint8_t point[PSA_EXPORT_PUBLIC_KEY_MAX_SIZE];
    size_t bits = 0, point_len = 0;
    create_arg a;
    psh_status st;

    *key_id = NULL;
    *key_id_len = 0;
    memset(&a, 0, sizeof a);
    if (!p11_type_supported(type, attrs->bits))
        return PSH_ERR_PSA_NOT_SUPPORTED;
    if (data == NULL || data_len == 0 || data_len > ATTR_MAX)
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    if ((st = check_new(ctx, attrs, &a.exportable)) != PSH_SUCCESS)
        return st;
    if ((st = psa_check_import(type, data, data_len, &bits, point, &point_len)) != PSH_SUCCESS)
        goto exit;
    if ((attrs->bits != 0 && attrs->bits != bits) || !p11_type_supported(type, bits)) {
        st = attrs->bits != 0 && attrs->bits != bits ? PSH_ERR_PSA_INVALID_ARGUMENT
                                                      : PSH_ERR_PSA_NOT_SUPPORTED;
        goto exit;
    }
    a.attrs = attrs;
    a.bits = bits;
    a.has_private = PSA_KEY_TYPE_IS_KEY_PAIR(type);
    if (type == PSA_KEY_TYPE_RSA_KEY_PAIR) {
        st = p11_der_rsa_private_parse(data, data_len, a.v, a.v_len);
    } else if (type == PSA_KEY_TYPE_RSA_PUBLIC_KEY) {
        st = p11_der_rsa_public_parse(data, data_len, &a.v[0], &a.v_len[0], &a.v[1], &a.v_len[1]);
    } else if (PSA_KEY_TYPE_IS_ECC_KEY_PAIR(type)) {
        a.v[0] = data;
        a.v_len[0] = data_len;
        a.point = point;
        a.point_len = point_len;
        st = PSH_SUCCESS;
    } else {
        a.point = data; /* PSA format: the uncompressed point */
        a.point_len = data_len;
        st = PSH_SUCCESS;
    }
    if (st != PSH_SUCCESS)
        goto exit;
    st = finish_create(ctx, &a, p11_run(ctx, create_fn, &a), key_id, key_id_len);
    if (st == PSH_SUCCESS)
        attrs->bits = bits;
exit:
    psh_zeroize(point, sizeof point);
    return st;
}

/* ---- export -------------------------------------------------------------------------------- */

typedef struct export_arg {
    const p11_record *rec;
    int private_part;
    uint8_t *out;
    size_t out_size, out_len;
    psh_status st; /* a non-PKCS#11 failure (format, buffer) */
} export_arg;

typedef CK_RV (*object_fn)(p11_ctx *ctx, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
                           export_arg *a);

/* Runs body on the key's object of class cls, found through the handle cache; a cached handle
 * the token calls stale is forgotten, searched again and body re-run once. */
static CK_RV with_object(p11_ctx *ctx, CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls, export_arg *a,
                         object_fn body)
{
    CK_OBJECT_HANDLE o;
    int cached = 0;
    CK_RV rv = p11_key_handle(ctx, s, cls, a->rec->id, a->rec->id_len, &o, &cached);
    if (rv == CKR_OK)
        rv = body(ctx, s, o, a);
    if (cached && p11_handle_stale(rv)) {
        p11_cache_forget(ctx, a->rec->id, a->rec->id_len);
        rv = p11_key_handle(ctx, s, cls, a->rec->id, a->rec->id_len, &o, &cached);
        if (rv == CKR_OK)
            rv = body(ctx, s, o, a);
    }
    return rv;
}

static CK_RV public_body(p11_ctx *ctx, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, export_arg *a)
{
    uint8_t *v1 = NULL, *v2 = NULL;
    size_t l1 = 0, l2 = 0;
    CK_RV rv;

    if (PSA_KEY_TYPE_IS_RSA(a->rec->type)) {
        rv = get_attr(ctx, s, o, CKA_MODULUS, &v1, &l1);
        if (rv == CKR_OK)
            rv = get_attr(ctx, s, o, CKA_PUBLIC_EXPONENT, &v2, &l2);
        if (rv == CKR_OK)
            a->st = p11_der_rsa_public(v1, l1, v2, l2, a->out, a->out_size, &a->out_len);
    } else {
        const uint8_t *pt;
        size_t pt_len;
        rv = get_attr(ctx, s, o, CKA_EC_POINT, &v1, &l1);
        if (rv == CKR_OK) {
            /* Tokens store a DER OCTET STRING; PSA wants the bare point (spec pitfall 9.5). */
            p11_ec_point_unwrap(v1, l1, &pt, &pt_len);
            if (pt_len != PSA_KEY_EXPORT_ECC_PUBLIC_KEY_MAX_SIZE(a->rec->bits) || pt[0] != 0x04)
                a->st = PSH_ERR_PSA_DATA_INVALID;
            else if (pt_len > a->out_size)
                a->st = PSH_ERR_PSA_BUFFER_TOO_SMALL;
            else {
                memcpy(a->out, pt, pt_len);
                a->out_len = pt_len;
                a->st = PSH_SUCCESS;
            }
        }
    }
    psh_free_secret(v1, l1);
    psh_free_secret(v2, l2);
    return rv;
}

static CK_RV export_public_fn(p11_ctx *ctx, CK_SESSION_HANDLE s, void *varg)
{
    export_arg *a = varg;
    CK_RV rv = with_object(ctx, s, CKO_PUBLIC_KEY, a, public_body);
    /* An RSA private object carries the public half too (keys made by other tools). */
    if (rv == CKR_OBJECT_HANDLE_INVALID && PSA_KEY_TYPE_IS_RSA(a->rec->type) &&
        PSA_KEY_TYPE_IS_KEY_PAIR(a->rec->type))
        rv = with_object(ctx, s, CKO_PRIVATE_KEY, a, public_body);
    return rv;
}

static CK_RV private_body(p11_ctx *ctx, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, export_arg *a)
{
    static const CK_ATTRIBUTE_TYPE order[8] = {
        CKA_MODULUS, CKA_PUBLIC_EXPONENT, CKA_PRIVATE_EXPONENT, CKA_PRIME_1,
        CKA_PRIME_2, CKA_EXPONENT_1,      CKA_EXPONENT_2,       CKA_COEFFICIENT};
    uint8_t *v[8] = {NULL};
    size_t l[8] = {0};
    CK_RV rv = CKR_OK;

    if (PSA_KEY_TYPE_IS_RSA(a->rec->type)) {
        for (size_t i = 0; i < 8 && rv == CKR_OK; i++)
            rv = get_attr(ctx, s, o, order[i], &v[i], &l[i]);
        if (rv == CKR_OK)
            a->st = p11_der_rsa_private((const uint8_t *const *)v, l, a->out, a->out_size,
                                        &a->out_len);
    } else {
        size_t want = PSA_BITS_TO_BYTES(a->rec->bits);
        rv = get_attr(ctx, s, o, CKA_VALUE, &v[0], &l[0]);
        if (rv == CKR_OK) {
            const uint8_t *p = v[0];
            size_t n = l[0];
            while (n > want && *p == 0) { /* some tokens keep a sign byte */
                p++;
                n--;
            }
            if (n > want)
                a->st = PSH_ERR_PSA_DATA_INVALID;
            else if (want > a->out_size)
                a->st = PSH_ERR_PSA_BUFFER_TOO_SMALL;
            else {
                memset(a->out, 0, want - n); /* PSA: fixed length, big-endian */
                memcpy(a->out + (want - n), p, n);
                a->out_len = want;
                a->st = PSH_SUCCESS;
            }
        }
    }
    for (size_t i = 0; i < 8; i++)
        psh_free_secret(v[i], l[i]);
    return rv;
}

static CK_RV export_private_fn(p11_ctx *ctx, CK_SESSION_HANDLE s, void *varg)
{
    return with_object(ctx, s, CKO_PRIVATE_KEY, varg, private_body);
}

static psh_status export_common(p11_ctx *ctx, const psh_key_ref *key, int private_part,
                                uint8_t *out, size_t out_size, size_t *out_len)
{
    p11_record rec;
    export_arg a;
    psh_status st = p11_key_record(key, &rec);
    if (st != PSH_SUCCESS)
        return st;
    memset(&a, 0, sizeof a);
    a.rec = &rec;
    a.out = out;
    a.out_size = out_size;
    a.st = PSH_ERR_CORRUPTION;
    st = p11_to_psh_status(p11_run(ctx, private_part ? export_private_fn : export_public_fn, &a));
    if (st == PSH_ERR_PSA_DOES_NOT_EXIST)
        LOG_ERROR("token \"%s\" has no object for a mapped key (CKA_ID missing)", ctx->token_label);
    if (st == PSH_SUCCESS)
        st = a.st;
    if (st == PSH_SUCCESS)
        *out_len = a.out_len;
    return st;
}

psh_status p11_export_public_key(void *vctx, const psh_key_ref *key, uint8_t *out,
                                 size_t out_size, size_t *out_len)
{
    return export_common(vctx, key, 0, out, out_size, out_len);
}

psh_status p11_export_key(void *vctx, const psh_key_ref *key, uint8_t *out, size_t out_size,
                          size_t *out_len)
{
    p11_ctx *ctx = vctx;
    if (key->attrs != NULL && PSA_KEY_TYPE_IS_PUBLIC_KEY(key->attrs->type))
        return export_common(ctx, key, 0, out, out_size, out_len);
    if (!ctx->allow_export)
        return PSH_ERR_PSA_NOT_PERMITTED;
    return export_common(ctx, key, 1, out, out_size, out_len);
}
