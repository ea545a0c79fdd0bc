/* TPM 2.0 provider over tpm2-tss ESAPI: connection, storage primary, loaded-key cache, the
 * status mapping and the provider table. Operations are in tpm_ops.c, the key record and
 * public-area conversions in tpm_blob.c, our TCTIs in tpm_tcti.c.
 *
 * Keys survive a TPM Reset (spec 9.1): every key is a child of a storage primary in the
 * OWNER hierarchy created from a fixed template, so CreatePrimary gives the same key after
 * every reset; the KIM keeps each child's public and TPM-wrapped private blobs, and a key is
 * loaded on use. Nothing is persisted by handle and nothing lives in the Null hierarchy
 * except public-only keys, which are re-loaded from their public area each time. */
#include "providers/tpm/tpm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/platform_util.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include "providers/tpm/tpm_internal.h"
#include "providers/tpm/tpm_tcti.h"
#include "util/alloc.h"
#include "util/psa_lock.h"

#define PSH_LOGMODULE tpm
#include "util/log.h"

/* ---- status mapping ---------------------------------------------------------------------- */

int tpm_rc_is_link(TSS2_RC rc)
{
    TSS2_RC layer = rc & TSS2_RC_LAYER_MASK;
    TSS2_RC base = rc & 0xFFFF;
    if (rc == TSS2_RC_SUCCESS)
        return 0;
    if (layer == TSS2_TCTI_RC_LAYER)
        return 1;
    if (layer == TSS2_ESAPI_RC_LAYER || layer == TSS2_SYS_RC_LAYER)
        return base == TSS2_BASE_RC_IO_ERROR || base == TSS2_BASE_RC_NO_CONNECTION ||
               base == TSS2_BASE_RC_MALFORMED_RESPONSE ||
               base == TSS2_BASE_RC_INSUFFICIENT_RESPONSE || base == TSS2_BASE_RC_TRY_AGAIN;
    if (layer != TSS2_TPM_RC_LAYER)
        return 0;
    /* A TPM that was restarted under us and not started up yet, or one that was reset while
     * the TCTI reconnected by itself (swtpm's does): our primary and loaded keys are gone,
     * so a handle or session "is not loaded" (TPM_RC_REFERENCE_H0..H6, S0..S6). */
    return rc == TPM2_RC_INITIALIZE || (rc >= 0x910 && rc <= 0x916) ||
           (rc >= 0x918 && rc <= 0x91E);
}

/* The TPM's own code without the handle/session/parameter number of format-one codes. */
static TPM2_RC tpm_code(TSS2_RC rc)
{
    TSS2_RC layer = rc & TSS2_RC_LAYER_MASK;
    if (layer != TSS2_TPM_RC_LAYER && layer != TSS2_RESMGR_TPM_RC_LAYER)
        return 0;
    rc &= 0xFFFF;
    return (rc & TPM2_RC_FMT1) ? (rc & (TPM2_RC_FMT1 | 0x3F)) : rc;
}

psh_status tpm_rc_to_status(TSS2_RC rc, const char *what)
{
    TSS2_RC layer = rc & TSS2_RC_LAYER_MASK;
    if (rc == TSS2_RC_SUCCESS)
        return PSH_SUCCESS;
    LOG_DEBUG("%s: 0x%08x (%s)", what, (unsigned)rc, Tss2_RC_Decode(rc));
    if (tpm_rc_is_link(rc))
        return PSH_ERR_PSA_COMMUNICATION_FAILURE;
    if (layer == TSS2_TPM_RC_LAYER || layer == TSS2_RESMGR_TPM_RC_LAYER) {
        switch (tpm_code(rc)) {
        case TPM2_RC_SIGNATURE:
            return PSH_ERR_PSA_INVALID_SIGNATURE;
        case TPM2_RC_AUTH_FAIL:
        case TPM2_RC_BAD_AUTH:
        case TPM2_RC_POLICY_FAIL:
        case TPM2_RC_ATTRIBUTES:
            return PSH_ERR_PSA_NOT_PERMITTED;
        case TPM2_RC_INTEGRITY:
        case TPM2_RC_BINDING:
            return PSH_ERR_PSA_DATA_INVALID; /* a blob not wrapped under this TPM's primary */
        case TPM2_RC_VALUE:
        case TPM2_RC_SIZE:
        case TPM2_RC_KEY:
        case TPM2_RC_ECC_POINT:
        case TPM2_RC_INSUFFICIENT:
        case TPM2_RC_RANGE:
            return PSH_ERR_PSA_INVALID_ARGUMENT;
        case TPM2_RC_SCHEME:
        case TPM2_RC_HASH:
        case TPM2_RC_KEY_SIZE:
        case TPM2_RC_CURVE:
        case TPM2_RC_ASYMMETRIC:
        case TPM2_RC_TYPE:
        case TPM2_RC_MGF:
            return PSH_ERR_PSA_NOT_SUPPORTED;
        case TPM2_RC_OBJECT_MEMORY:
            return PSH_ERR_PSA_INSUFFICIENT_MEMORY;
        case TPM2_RC_FAILURE:
            return PSH_ERR_PSA_HARDWARE_FAILURE;
        default:
            break;
        }
        if ((rc & 0xFFFF & ~TPM2_RC_N_MASK) == 0 && (rc & TPM2_RC_FMT1) == 0 &&
            (rc & 0xF00) == TPM2_RC_WARN)
            return PSH_ERR_PSA_BAD_STATE;
        return PSH_ERR_PSA_GENERIC;
    }
    if ((rc & 0xFFFF) == TSS2_BASE_RC_MEMORY)
        return PSH_ERR_PSA_INSUFFICIENT_MEMORY;
    return PSH_ERR_PSA_GENERIC;
}

/* ---- connection -------------------------------------------------------------------------- */

static TSS2_RC (*g_factory)(void *, TSS2_TCTI_CONTEXT **);
static void *g_factory_arg;

void psh_tpm_set_tcti_factory(TSS2_RC (*factory)(void *arg, TSS2_TCTI_CONTEXT **out), void *arg)
{
    g_factory = factory;
    g_factory_arg = arg;
}

static void tcti_free_own(TSS2_TCTI_CONTEXT *t)
{
    Tss2_Tcti_Finalize(t);
    psh_free(t);
}

static void tcti_free_ldr(TSS2_TCTI_CONTEXT *t) { Tss2_TctiLdr_Finalize(&t); }

static void slot_clear(tpm_slot *s)
{
    psh_free_secret(s->blob, s->blob_len);
    memset(s, 0, sizeof *s);
    s->handle = ESYS_TR_NONE;
}

void tpm_down(tpm_ctx *ctx)
{
    for (size_t i = 0; i < TPM_CACHE_SIZE; i++)
        slot_clear(&ctx->cache[i]);
    ctx->primary = ESYS_TR_NONE;
    if (ctx->esys != NULL)
        Esys_Finalize(&ctx->esys);
    ctx->esys = NULL;
    if (ctx->tcti_ctx != NULL && ctx->tcti_free != NULL)
        ctx->tcti_free(ctx->tcti_ctx);
    ctx->tcti_ctx = NULL;
}

static TSS2_RC open_tcti(tpm_ctx *ctx, TSS2_TCTI_CONTEXT **out)
{
    TSS2_TCTI_CONTEXT *t = NULL;
    void (*t_free)(TSS2_TCTI_CONTEXT *) = tcti_free_own;
    TSS2_RC rc;

    *out = NULL;
    if (ctx->tcti_factory != NULL) {
        rc = ctx->tcti_factory(ctx->tcti_factory_arg, &t);
    } else if (strcmp(ctx->tcti, "libtpms") == 0) {
        rc = psh_tcti_libtpms_new(&t);
    } else {
        rc = Tss2_TctiLdr_Initialize(ctx->tcti, &t);
        t_free = tcti_free_ldr;
    }
    if (rc != TSS2_RC_SUCCESS)
        return rc;
    if (ctx->record_path[0] != '\0') {
        /* Each connection is its own session: the first goes to the path, reconnects to
         * path.1, path.2, ... so a reconnect never overwrites what was recorded. */
        char path[sizeof ctx->record_path + 16];
        if (ctx->record_count == 0)
            snprintf(path, sizeof path, "%s", ctx->record_path);
        else
            snprintf(path, sizeof path, "%s.%u", ctx->record_path, ctx->record_count);
        ctx->record_count++;
        rc = psh_tcti_record_new(t, t_free, path, out);
        ctx->tcti_free = tcti_free_own; /* the recorder frees the inner TCTI */
        return rc;
    }
    ctx->tcti_free = t_free;
    *out = t;
    return TSS2_RC_SUCCESS;
}

/* A previous run killed without clean-up may have left transient objects in a TPM without a
 * resource manager; they would use up its few object slots. */
static void flush_transients(tpm_ctx *ctx)
{
    TPMS_CAPABILITY_DATA *cap = NULL;
    TPMI_YES_NO more = 0;
    if (Esys_GetCapability(ctx->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                           TPM2_CAP_HANDLES, 0x80000000u /* TPM2_TRANSIENT_FIRST: its macro shifts an int */, 16, &more,
                           &cap) != TSS2_RC_SUCCESS)
        return;
    for (UINT32 i = 0; i < cap->data.handles.count && i < TPM2_MAX_CAP_HANDLES; i++) {
        ESYS_TR tr = ESYS_TR_NONE;
        if (Esys_TR_FromTPMPublic(ctx->esys, cap->data.handles.handle[i], ESYS_TR_NONE,
                                  ESYS_TR_NONE, ESYS_TR_NONE, &tr) == TSS2_RC_SUCCESS)
            Esys_FlushContext(ctx->esys, tr);
    }
    Esys_Free(cap);
}

/* The storage primary's fixed template: ECC P-256 (fast to re-create), AES-128-CFB. noDA
 * (here and on every key): the auth values are empty, so dictionary-attack protection guards
 * nothing, while every unorderly TPM reset (power loss, swtpm killed) counts as a failure
 * and would end in DA lockout, refusing all our keys. */
static void primary_template(TPM2B_PUBLIC *t)
{
    memset(t, 0, sizeof *t);
    t->publicArea.type = TPM2_ALG_ECC;
    t->publicArea.nameAlg = TPM2_ALG_SHA256;
    t->publicArea.objectAttributes = TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT |
                                     TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                                     TPMA_OBJECT_SENSITIVEDATAORIGIN |
                                     TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_NODA;
    t->publicArea.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_AES;
    t->publicArea.parameters.eccDetail.symmetric.keyBits.aes = 128;
    t->publicArea.parameters.eccDetail.symmetric.mode.aes = TPM2_ALG_CFB;
    t->publicArea.parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
    t->publicArea.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
    t->publicArea.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
    /* "parsec-harness" in the unique field keeps our primary apart from other templates. */
    memcpy(t->publicArea.unique.ecc.x.buffer, "parsec-harness", 14);
    t->publicArea.unique.ecc.x.size = 14;
}

/* Connects, starts the TPM if needed and creates the primary. *rc_out: the failing rc. */
static psh_status connect_tpm(tpm_ctx *ctx, TSS2_RC *rc_out, const char **step)
{
    TPM2B_SENSITIVE_CREATE sens;
    TPM2B_PUBLIC tmpl;
    TPM2B_DATA outside = {.size = 0};
    TPML_PCR_SELECTION pcr = {.count = 0};
    TSS2_RC rc;

    memset(&sens, 0, sizeof sens);
    *step = "open the TCTI";
    rc = open_tcti(ctx, &ctx->tcti_ctx);
    if (rc != TSS2_RC_SUCCESS)
        goto exit;
    *step = "initialise ESAPI";
    rc = Esys_Initialize(&ctx->esys, ctx->tcti_ctx, NULL);
    if (rc != TSS2_RC_SUCCESS)
        goto exit;
    *step = "start the TPM";
    rc = Esys_Startup(ctx->esys, TPM2_SU_CLEAR);
    if (rc == TPM2_RC_INITIALIZE)
        rc = TSS2_RC_SUCCESS; /* already started (swtpm fixture, kernel) */
    if (rc != TSS2_RC_SUCCESS)
        goto exit;
    flush_transients(ctx);
    *step = "create the owner storage primary";
    rc = Esys_TR_SetAuth(ctx->esys, ESYS_TR_RH_OWNER, &ctx->owner_auth);
    if (rc != TSS2_RC_SUCCESS)
        goto exit;
    primary_template(&tmpl);
    rc = Esys_CreatePrimary(ctx->esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                            ESYS_TR_NONE, &sens, &tmpl, &outside, &pcr, &ctx->primary, NULL,
                            NULL, NULL, NULL);
exit:
    *rc_out = rc;
    if (rc != TSS2_RC_SUCCESS) {
        psh_status st = tpm_rc_to_status(rc, *step);
        tpm_down(ctx);
        return st;
    }
    return PSH_SUCCESS;
}

psh_status tpm_up(tpm_ctx *ctx)
{
    TSS2_RC rc;
    const char *step;
    psh_status st;
    if (ctx->esys != NULL && ctx->primary != ESYS_TR_NONE)
        return PSH_SUCCESS;
    tpm_down(ctx);
    st = connect_tpm(ctx, &rc, &step);
    if (st != PSH_SUCCESS) {
        LOG_WARN("TPM unavailable: cannot %s: %s", step, Tss2_RC_Decode(rc));
        /* Whatever went wrong, the caller sees that the TPM could not be used. */
        if (tpm_rc_is_link(rc) || (rc & TSS2_RC_LAYER_MASK) != TSS2_TPM_RC_LAYER)
            return PSH_ERR_PSA_COMMUNICATION_FAILURE;
    } else {
        LOG_INFO("TPM connected, storage primary created");
    }
    return st;
}

/* ---- loaded-key cache (lock held) -------------------------------------------------------- */

static tpm_slot *cache_find(tpm_ctx *ctx, const uint8_t *blob, size_t len)
{
    for (size_t i = 0; i < TPM_CACHE_SIZE; i++) {
        tpm_slot *s = &ctx->cache[i];
        if (s->handle != ESYS_TR_NONE && s->blob_len == len && memcmp(s->blob, blob, len) == 0)
            return s;
    }
    return NULL;
}

/* Only a lost link is an error: a TPM that no longer has the object (it was reset and the
 * TCTI reconnected by itself) has nothing to flush, and the reset shows up on the next
 * command that uses the primary. */
static TSS2_RC slot_flush(tpm_ctx *ctx, tpm_slot *s)
{
    TSS2_RC rc = TSS2_RC_SUCCESS;
    if (s->handle != ESYS_TR_NONE && ctx->esys != NULL)
        rc = Esys_FlushContext(ctx->esys, s->handle);
    slot_clear(s);
    if (rc != TSS2_RC_SUCCESS && !tpm_rc_is_link(rc)) {
        LOG_DEBUG("flush: 0x%08x (%s), slot dropped", (unsigned)rc, Tss2_RC_Decode(rc));
        rc = TSS2_RC_SUCCESS;
    }
    return rc;
}

TSS2_RC tpm_cache_flush_all(tpm_ctx *ctx)
{
    TSS2_RC rc = TSS2_RC_SUCCESS;
    for (size_t i = 0; i < TPM_CACHE_SIZE; i++) {
        TSS2_RC r = slot_flush(ctx, &ctx->cache[i]);
        if (r != TSS2_RC_SUCCESS)
            rc = r;
    }
    return rc;
}

TSS2_RC tpm_cache_make_room(tpm_ctx *ctx)
{
    tpm_slot *lru = &ctx->cache[0];
    for (size_t i = 0; i < TPM_CACHE_SIZE; i++) {
        if (ctx->cache[i].handle == ESYS_TR_NONE)
            return TSS2_RC_SUCCESS;
        if (ctx->cache[i].last_used < lru->last_used)
            lru = &ctx->cache[i];
    }
    return slot_flush(ctx, lru);
}

static psh_status cache_purge(tpm_ctx *ctx, const uint8_t *blob, size_t len)
{
    tpm_slot *s = cache_find(ctx, blob, len);
    return s != NULL ? tpm_rc_to_status(slot_flush(ctx, s), "flush") : PSH_SUCCESS;
}

psh_status tpm_key_load(tpm_ctx *ctx, const psh_key_ref *key, tpm_blob *b, ESYS_TR *h)
{
    psh_status st = PSH_ERR_CORRUPTION;
    psa_key_type_t type = 0;
    size_t bits = 0;
    tpm_slot *s = NULL;
    TSS2_RC rc;
    ESYS_TR nh = ESYS_TR_NONE;
    uint8_t *copy = NULL;

    *h = ESYS_TR_NONE;
    st = tpm_blob_parse(key->key_id, key->key_id_len, b);
    if (st != PSH_SUCCESS) {
        LOG_ERROR("stored TPM key record does not parse (%zu bytes)", key->key_id_len);
        return st;
    }
    st = tpm_public_to_psa(&b->pub.publicArea, b->priv.size != 0, &type, &bits);
    if (st != PSH_SUCCESS)
        return st;
    if (key->attrs != NULL && (key->attrs->type != type ||
                               (key->attrs->bits != 0 && key->attrs->bits != bits))) {
        LOG_ERROR("stored TPM key record disagrees with the stored attributes");
        return PSH_ERR_PSA_DATA_INVALID;
    }
    s = cache_find(ctx, key->key_id, key->key_id_len);
    if (s == NULL) {
        copy = psh_malloc(key->key_id_len);
        if (copy == NULL)
            return PSH_ERR_PSA_INSUFFICIENT_MEMORY;
        memcpy(copy, key->key_id, key->key_id_len);
        s = &ctx->cache[0];
        for (size_t i = 0; i < TPM_CACHE_SIZE; i++) {
            if (ctx->cache[i].handle == ESYS_TR_NONE) {
                s = &ctx->cache[i];
                break;
            }
            if (ctx->cache[i].last_used < s->last_used)
                s = &ctx->cache[i];
        }
        rc = slot_flush(ctx, s);
        if (rc == TSS2_RC_SUCCESS) {
            if (b->priv.size != 0)
                rc = Esys_Load(ctx->esys, ctx->primary, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                               ESYS_TR_NONE, &b->priv, &b->pub, &nh);
            else
                rc = Esys_LoadExternal(ctx->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                       NULL, &b->pub, ESYS_TR_RH_NULL, &nh);
        }
        if (rc != TSS2_RC_SUCCESS) {
            psh_free_secret(copy, key->key_id_len);
            return tpm_rc_to_status(rc, "load key");
        }
        s->blob = copy;
        s->blob_len = key->key_id_len;
        s->handle = nh;
    }
    s->last_used = ++ctx->tick;
    *h = s->handle;
    return PSH_SUCCESS;
}

/* ---- running an operation ---------------------------------------------------------------- */

psh_status tpm_run(tpm_ctx *ctx, const psh_key_ref *key, tpm_op_fn op, void *arg)
{
    psh_status st = PSH_ERR_CORRUPTION;
    tpm_blob *b = NULL;

    if (ctx == NULL)
        return PSH_ERR_PSA_BAD_STATE;
    b = psh_calloc(1, sizeof *b);
    if (b == NULL)
        return PSH_ERR_PSA_INSUFFICIENT_MEMORY;
    pthread_mutex_lock(&ctx->mu);
    for (int attempt = 0; attempt < 2; attempt++) {
        ESYS_TR h = ESYS_TR_NONE;
        TSS2_RC rc = TSS2_RC_SUCCESS;
        st = tpm_up(ctx);
        if (st != PSH_SUCCESS)
            break;
        if (key != NULL) {
            st = tpm_key_load(ctx, key, b, &h);
            if (st == PSH_ERR_PSA_COMMUNICATION_FAILURE) {
                tpm_down(ctx);
                continue;
            }
            if (st != PSH_SUCCESS)
                break;
        }
        st = PSH_ERR_CORRUPTION;
        rc = op(ctx, h, b, arg, &st);
        if (!tpm_rc_is_link(rc))
            break;
        /* The TPM went away (swtpm restarted, device reset): reconnect, re-create the
         * primary, reload the key and try once more. */
        LOG_WARN("lost the TPM (%s); reconnecting", Tss2_RC_Decode(rc));
        tpm_down(ctx);
        st = PSH_ERR_PSA_COMMUNICATION_FAILURE;
    }
    pthread_mutex_unlock(&ctx->mu);
    mbedtls_platform_zeroize(b, sizeof *b);
    psh_free(b);
    return st;
}

/* ---- lifecycle --------------------------------------------------------------------------- */

static psh_status tpm_init(const psh_provider_config *cfg, const psh_engine_config *engine_cfg,
                           void **out, char *err, size_t err_size)
{
    psh_status st = PSH_ERR_CORRUPTION;
    tpm_ctx *ctx = NULL;
    const char *rec = getenv("PSH_TPM_RECORD");
    const char *step = "";
    TSS2_RC rc = TSS2_RC_SUCCESS;

    (void)engine_cfg;
    *out = NULL;
    /* tpm2-tss logs every TPM error to stderr; the provider reports them itself (one line
     * at start-up, statuses afterwards). TSS2_LOG set by the user wins. */
    setenv("TSS2_LOG", "all+none", 0);
    if (cfg->owner_hierarchy_auth_len > sizeof ctx->owner_auth.buffer) {
        snprintf(err, err_size, "tpm provider: owner_hierarchy_auth is longer than %zu bytes",
                 sizeof ctx->owner_auth.buffer);
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    }
    if (cfg->tcti[0] == '\0' && g_factory == NULL) {
        snprintf(err, err_size, "tpm provider: tcti is empty");
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    }
    ctx = psh_calloc(1, sizeof *ctx);
    if (ctx == NULL) {
        snprintf(err, err_size, "tpm provider: out of memory");
        return PSH_ERR_PSA_INSUFFICIENT_MEMORY;
    }
    pthread_mutex_init(&ctx->mu, NULL);
    ctx->primary = ESYS_TR_NONE;
    for (size_t i = 0; i < TPM_CACHE_SIZE; i++)
        ctx->cache[i].handle = ESYS_TR_NONE;
    snprintf(ctx->tcti, sizeof ctx->tcti, "%s", cfg->tcti);
    if (rec != NULL && rec[0] != '\0')
        snprintf(ctx->record_path, sizeof ctx->record_path, "%s", rec);
    ctx->owner_auth.size = (UINT16)cfg->owner_hierarchy_auth_len;
    memcpy(ctx->owner_auth.buffer, cfg->owner_hierarchy_auth, cfg->owner_hierarchy_auth_len);
    ctx->tcti_factory = g_factory;
    ctx->tcti_factory_arg = g_factory_arg;
    g_factory = NULL; /* one engine only */

    st = psh_psa_init();
    if (st != PSH_SUCCESS) {
        snprintf(err, err_size, "tpm provider: psa_crypto_init failed");
        goto exit;
    }
    st = connect_tpm(ctx, &rc, &step);
    if (st != PSH_SUCCESS) {
        TPM2_RC code = tpm_code(rc);
        if (code == TPM2_RC_BAD_AUTH || code == TPM2_RC_AUTH_FAIL) {
            snprintf(err, err_size, "tpm provider: owner_hierarchy_auth is wrong (the TPM "
                     "refused the owner hierarchy authorization)");
        } else if (tpm_rc_is_link(rc) || (rc & TSS2_RC_LAYER_MASK) != TSS2_TPM_RC_LAYER) {
            if (cfg->skip_if_no_tpm) {
                /* Start anyway; every request reconnects and fails until a TPM answers. */
                LOG_WARN("TPM not reachable through \"%s\" (%s); skip_if_no_tpm: starting "
                         "without it", ctx->tcti, Tss2_RC_Decode(rc));
                st = PSH_SUCCESS;
                goto done;
            }
            snprintf(err, err_size, "tpm provider: cannot reach the TPM through tcti \"%s\": "
                     "cannot %s (%s)", ctx->tcti, step, Tss2_RC_Decode(rc));
            st = PSH_ERR_PSA_COMMUNICATION_FAILURE;
        } else {
            snprintf(err, err_size, "tpm provider: cannot %s (%s)", step, Tss2_RC_Decode(rc));
        }
        goto exit;
    }
done:
    *out = ctx;
    ctx = NULL;
exit:
    if (ctx != NULL) {
        tpm_down(ctx);
        pthread_mutex_destroy(&ctx->mu);
        mbedtls_platform_zeroize(ctx, sizeof *ctx);
        psh_free(ctx);
    }
    return st;
}

static void tpm_fini(void *vctx)
{
    tpm_ctx *ctx = vctx;
    if (ctx == NULL)
        return;
    pthread_mutex_lock(&ctx->mu);
    if (ctx->esys != NULL) {
        tpm_cache_flush_all(ctx);
        if (ctx->primary != ESYS_TR_NONE)
            Esys_FlushContext(ctx->esys, ctx->primary);
    }
    tpm_down(ctx);
    pthread_mutex_unlock(&ctx->mu);
    pthread_mutex_destroy(&ctx->mu);
    mbedtls_platform_zeroize(ctx, sizeof *ctx);
    psh_free(ctx);
}

static psh_status tpm_key_exists(void *vctx, const psh_key_ref *key)
{
    tpm_blob *b = psh_calloc(1, sizeof *b);
    psh_status st;
    (void)vctx;
    if (b == NULL)
        return PSH_ERR_PSA_INSUFFICIENT_MEMORY;
    /* The record is the key: it exists while it parses. Never DoesNotExist for a record we
     * cannot read, so start-up reconciliation cannot report a loss over it. */
    st = tpm_blob_parse(key->key_id, key->key_id_len, b);
    psh_free(b);
    return st;
}

static TSS2_RC op_purge(tpm_ctx *ctx, ESYS_TR h, const tpm_blob *b, void *arg, psh_status *st)
{
    const psh_key_ref *key = arg;
    (void)h;
    (void)b;
    *st = cache_purge(ctx, key->key_id, key->key_id_len);
    return TSS2_RC_SUCCESS;
}

static psh_status tpm_destroy_key(void *vctx, const psh_key_ref *key)
{
    tpm_ctx *ctx = vctx;
    /* The key material is only the record in the KIM; a loaded copy is flushed. If the TPM
     * is away, nothing is loaded that could outlive the next reconnect. */
    pthread_mutex_lock(&ctx->mu);
    if (ctx->esys != NULL) {
        psh_status st = PSH_SUCCESS;
        op_purge(ctx, ESYS_TR_NONE, NULL, (void *)(uintptr_t)key, &st);
    }
    pthread_mutex_unlock(&ctx->mu);
    return PSH_SUCCESS;
}

/* ---- the table --------------------------------------------------------------------------- */

static const uint32_t tpm_opcodes[] = {2, 3, 4, 5, 6, 7, 10, 11, 13, 15, 16, 24, 25, 30, 31, 32};

const psh_provider_ops psh_tpm_provider_ops = {
    .abi_version = PSH_PROVIDER_ABI_VERSION,
    .id = PSH_PROVIDER_TPM,
    .type_name = "Tpm",
    .uuid = "1e4954a4-ff21-46d3-ab0c-661eeb667e1d",
    .vendor = "Trusted Computing Group (TCG)",
    .description = "TPM provider, interfacing with a library implementing the TCG TSS 2.0 "
                   "Enhanced System API specification.",
    .version_maj = 0,
    .version_min = 1,
    .version_rev = 0,
    .opcodes = tpm_opcodes,
    .opcode_count = sizeof tpm_opcodes / sizeof tpm_opcodes[0],
    .init = tpm_init,
    .fini = tpm_fini,
    .key_exists = tpm_key_exists,
    .generate_key = tpm_generate_key,
    .import_key = tpm_import_key,
    .destroy_key = tpm_destroy_key,
    .export_public_key = tpm_export_public_key,
    .sign_hash = tpm_sign_hash,
    .verify_hash = tpm_verify_hash,
    .sign_message = tpm_sign_message,
    .verify_message = tpm_verify_message,
    .asymmetric_encrypt = tpm_asymmetric_encrypt,
    .asymmetric_decrypt = tpm_asymmetric_decrypt,
    .generate_random = tpm_generate_random,
    .hash_compute = tpm_hash_compute,
    .hash_compare = tpm_hash_compare,
    .can_do = tpm_can_do,
    .attest_prepare_credential = tpm_attest_prepare_credential,
    .attest_activate_credential = tpm_attest_activate_credential,
    .attest_anchor = tpm_attest_anchor,
    .attest_evidence = tpm_attest_evidence,
};
