/* Software provider over Mbed TLS 2.28 PSA Crypto: state, the lock, the status mapping, the
 * volatile-key cache, and key creation. The keyed operations are in soft_ops.c, CanDoCrypto
 * in soft_can_do.c, the key blob in soft_blob.c.
 *
 * Key material never goes to Mbed TLS persistent storage (ITS writes into the working
 * directory, and fuzzers run on a read-only file system): the key_id the KIM stores is a
 * versioned blob holding the exported key. On use the blob is imported as a volatile key and
 * kept in a small LRU cache keyed by the exact blob bytes; Mbed TLS 2.28 re-parses key
 * material on each operation anyway, so a cached volatile key costs what a persistent one
 * would. */
#include "providers/soft/soft.h"

#include <stdio.h>
#include <string.h>

#include "providers/soft/soft_internal.h"
#include "util/alloc.h"
#include "util/psa_lock.h"

#define PSH_LOGMODULE soft
#include "util/log.h"

/* The process-wide PSA lock: other modules use the same Mbed TLS key slots. */
void soft_lock(void) { psh_psa_lock(); }
void soft_unlock(void) { psh_psa_unlock(); }

/* PSA status c (negative) is Parsec wire status 1000 - c (spec section 3). */
psh_status soft_to_psh_status(psa_status_t s)
{
    if (s == PSA_SUCCESS)
        return PSH_SUCCESS;
    LOG_DEBUG("psa status %d", (int)s);
    if (s < 0 && s >= -1000) {
        int wire = 1000 - (int)s;
        if (wire >= PSH_ERR_PSA_GENERIC && wire <= PSH_ERR_PSA_DATA_INVALID &&
            psh_status_is_known(wire))
            return (psh_status)wire;
    }
    return PSH_ERR_PSA_GENERIC;
}

void soft_psa_attrs(const psh_key_attrs *a, psa_key_attributes_t *out)
{
    psa_key_usage_t usage = a->usage & ~PSH_KEY_USAGE_CACHE;
    if (usage & PSA_KEY_USAGE_SIGN_HASH)
        usage |= PSA_KEY_USAGE_SIGN_MESSAGE;
    if (usage & PSA_KEY_USAGE_VERIFY_HASH)
        usage |= PSA_KEY_USAGE_VERIFY_MESSAGE;
    *out = psa_key_attributes_init();
    psa_set_key_type(out, a->type);
    psa_set_key_bits(out, a->bits);
    psa_set_key_usage_flags(out, usage);
    psa_set_key_algorithm(out, a->alg);
    psa_set_key_lifetime(out, PSA_KEY_LIFETIME_VOLATILE);
}

/* ---- cache (lock held) ------------------------------------------------------------------- */

static void cache_drop(soft_cache_entry *c)
{
    if (c->id != 0)
        psa_destroy_key(c->id);
    psh_free_secret(c->blob, c->blob_len);
    memset(c, 0, sizeof *c);
}

void soft_cache_purge(soft_ctx *ctx, const uint8_t *blob, size_t blob_len)
{
    for (size_t i = 0; i < SOFT_CACHE_SIZE; i++) {
        soft_cache_entry *c = &ctx->cache[i];
        if (c->id != 0 && c->blob_len == blob_len && memcmp(c->blob, blob, blob_len) == 0)
            cache_drop(c);
    }
}

static soft_cache_entry *cache_find(soft_ctx *ctx, const uint8_t *blob, size_t blob_len)
{
    for (size_t i = 0; i < SOFT_CACHE_SIZE; i++) {
        soft_cache_entry *c = &ctx->cache[i];
        if (c->id != 0 && c->blob_len == blob_len && memcmp(c->blob, blob, blob_len) == 0)
            return c;
    }
    return NULL;
}

/* An empty slot, or the least recently used one after evicting it. */
static soft_cache_entry *cache_victim(soft_ctx *ctx)
{
    soft_cache_entry *lru = &ctx->cache[0];
    for (size_t i = 0; i < SOFT_CACHE_SIZE; i++) {
        soft_cache_entry *c = &ctx->cache[i];
        if (c->id == 0)
            return c;
        if (c->last_used < lru->last_used)
            lru = c;
    }
    cache_drop(lru);
    return lru;
}

psh_status soft_key_acquire(soft_ctx *ctx, const psh_key_ref *key, psa_key_id_t *id)
{
    psh_status status = PSH_ERR_CORRUPTION;
    psa_key_attributes_t pa = PSA_KEY_ATTRIBUTES_INIT;
    psa_key_id_t nid = 0;
    soft_cache_entry *c = NULL;
    uint8_t *copy = NULL;
    soft_blob b;

    *id = 0;
    if (ctx == NULL || key == NULL) {
        status = PSH_ERR_PSA_INVALID_ARGUMENT;
        goto exit;
    }
    status = soft_blob_parse(key->key_id, key->key_id_len, &b);
    if (status != PSH_SUCCESS) {
        LOG_ERROR("stored key blob does not parse (%zu bytes)", key->key_id_len);
        goto exit;
    }
    /* The KIM's attributes and the blob's must describe the same key. */
    if (key->attrs != NULL && (key->attrs->type != b.attrs.type ||
                               (key->attrs->bits != 0 && key->attrs->bits != b.attrs.bits))) {
        LOG_ERROR("stored key blob disagrees with the stored attributes");
        status = PSH_ERR_PSA_DATA_INVALID;
        goto exit;
    }
    c = cache_find(ctx, key->key_id, key->key_id_len);
    if (c == NULL) {
        copy = psh_malloc(key->key_id_len);
        if (copy == NULL) {
            status = PSH_ERR_PSA_INSUFFICIENT_MEMORY;
            goto exit;
        }
        memcpy(copy, key->key_id, key->key_id_len);
        c = cache_victim(ctx);
        soft_psa_attrs(&b.attrs, &pa);
        status = soft_to_psh_status(psa_import_key(&pa, b.material, b.material_len, &nid));
        if (status != PSH_SUCCESS) {
            /* The material came from our own export: Mbed TLS refusing it means the stored
             * data is not valid for this implementation. */
            if (status == PSH_ERR_PSA_INVALID_ARGUMENT)
                status = PSH_ERR_PSA_DATA_INVALID;
            goto exit;
        }
        c->blob = copy;
        c->blob_len = key->key_id_len;
        c->id = nid;
        copy = NULL;
    }
    c->last_used = ++ctx->tick;
    *id = c->id;
    status = PSH_SUCCESS;
exit:
    psh_free_secret(copy, key != NULL ? key->key_id_len : 0);
    psa_reset_key_attributes(&pa);
    return status;
}

/* ---- lifecycle --------------------------------------------------------------------------- */

static psh_status soft_init(const psh_provider_config *cfg, const psh_engine_config *engine_cfg,
                            void **ctx, char *err, size_t err_size)
{
    psh_status status = PSH_ERR_CORRUPTION;
    soft_ctx *c = NULL;

    (void)cfg;
    *ctx = NULL;
    /* Attestation keys live next to the KIM. */
    soft_attest_set_kim_path(engine_cfg != NULL ? engine_cfg->kim_path : NULL);
    c = psh_calloc(1, sizeof *c);
    if (c == NULL) {
        snprintf(err, err_size, "soft provider: out of memory");
        status = PSH_ERR_PSA_INSUFFICIENT_MEMORY;
        goto exit;
    }
    soft_lock();
    status = soft_to_psh_status(psa_crypto_init()); /* idempotent */
    soft_unlock();
    if (status != PSH_SUCCESS) {
        snprintf(err, err_size, "soft provider: psa_crypto_init failed (status %d)", (int)status);
        goto exit;
    }
    *ctx = c;
    c = NULL;
exit:
    psh_free(c);
    return status;
}

static void soft_fini(void *vctx)
{
    soft_ctx *ctx = vctx;
    if (ctx == NULL)
        return;
    soft_lock();
    for (size_t i = 0; i < SOFT_CACHE_SIZE; i++)
        cache_drop(&ctx->cache[i]);
    soft_unlock();
    /* No mbedtls_psa_crypto_free(): the PSA core is process-wide and other users remain. */
    psh_free(ctx);
}

static psh_status soft_key_exists(void *vctx, const psh_key_ref *key)
{
    soft_blob b;
    (void)vctx;
    /* The material lives in the KIM itself: the key exists as long as its blob parses. A
     * blob that does not parse is reported as such, never as DoesNotExist, so start-up
     * reconciliation cannot delete a mapping over it. */
    return soft_blob_parse(key->key_id, key->key_id_len, &b);
}

static psh_status soft_destroy_key(void *vctx, const psh_key_ref *key)
{
    soft_lock();
    soft_cache_purge(vctx, key->key_id, key->key_id_len);
    soft_unlock();
    return PSH_SUCCESS;
}

/* With the lock held: exports the volatile key id into a new blob carrying the requested
 * policy and the actual key size (returned in *bits). */
static psh_status export_to_blob(psa_key_id_t id, const psh_key_attrs *requested, size_t *bits,
                                 uint8_t **blob, size_t *blob_len)
{
    psh_status status = PSH_ERR_CORRUPTION;
    psa_key_attributes_t pa = PSA_KEY_ATTRIBUTES_INIT;
    uint8_t *material = NULL;
    size_t mlen = 0;
    psh_key_attrs a = *requested;

    material = psh_malloc(SOFT_MAX_MATERIAL);
    if (material == NULL) {
        status = PSH_ERR_PSA_INSUFFICIENT_MEMORY;
        goto exit;
    }
    status = soft_to_psh_status(psa_get_key_attributes(id, &pa));
    if (status != PSH_SUCCESS)
        goto exit;
    status = soft_to_psh_status(psa_export_key(id, material, SOFT_MAX_MATERIAL, &mlen));
    if (status == PSH_ERR_PSA_BUFFER_TOO_SMALL)
        status = PSH_ERR_PSA_NOT_SUPPORTED; /* a key larger than a blob can hold */
    if (status != PSH_SUCCESS)
        goto exit;
    a.bits = psa_get_key_bits(&pa);
    status = soft_blob_build(&a, material, mlen, blob, blob_len);
    if (status != PSH_SUCCESS)
        goto exit;
    *bits = a.bits;
exit:
    psh_free_secret(material, SOFT_MAX_MATERIAL);
    psa_reset_key_attributes(&pa);
    return status;
}

static psh_status soft_generate_key(void *vctx, const psh_key_attrs *attrs, uint8_t **key_id,
                                    size_t *key_id_len)
{
    psh_status status = PSH_ERR_CORRUPTION;
    psa_key_attributes_t pa = PSA_KEY_ATTRIBUTES_INIT;
    psa_key_id_t id = 0;
    size_t bits = 0;

    (void)vctx;
    *key_id = NULL;
    *key_id_len = 0;
    soft_psa_attrs(attrs, &pa);
    /* Only the temporary key may be exported; the blob keeps the requested usage. */
    psa_set_key_usage_flags(&pa, psa_get_key_usage_flags(&pa) | PSA_KEY_USAGE_EXPORT);
    soft_lock();
    status = soft_to_psh_status(psa_generate_key(&pa, &id));
    if (status == PSH_SUCCESS)
        status = export_to_blob(id, attrs, &bits, key_id, key_id_len);
    if (id != 0)
        psa_destroy_key(id);
    soft_unlock();
    psa_reset_key_attributes(&pa);
    return status;
}

static psh_status soft_import_key(void *vctx, psh_key_attrs *attrs, const uint8_t *data,
                                  size_t data_len, uint8_t **key_id, size_t *key_id_len)
{
    psh_status status = PSH_ERR_CORRUPTION;
    psa_key_attributes_t pa = PSA_KEY_ATTRIBUTES_INIT;
    psa_key_id_t id = 0;
    size_t bits = 0;

    (void)vctx;
    *key_id = NULL;
    *key_id_len = 0;
    if (data_len == 0 || data_len > SOFT_MAX_MATERIAL)
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    soft_psa_attrs(attrs, &pa);
    psa_set_key_usage_flags(&pa, psa_get_key_usage_flags(&pa) | PSA_KEY_USAGE_EXPORT);
    soft_lock();
    status = soft_to_psh_status(psa_import_key(&pa, data, data_len, &id));
    if (status == PSH_SUCCESS)
        status = export_to_blob(id, attrs, &bits, key_id, key_id_len);
    if (id != 0)
        psa_destroy_key(id);
    soft_unlock();
    psa_reset_key_attributes(&pa);
    if (status == PSH_SUCCESS && attrs->bits != 0 && attrs->bits != bits) {
        /* Mbed TLS checks this already; kept so the contract never depends on it. */
        psh_free_secret(*key_id, *key_id_len);
        *key_id = NULL;
        *key_id_len = 0;
        status = PSH_ERR_PSA_INVALID_ARGUMENT;
    }
    if (status == PSH_SUCCESS)
        attrs->bits = bits;
    return status;
}

/* ---- the table --------------------------------------------------------------------------- */

static const uint32_t soft_opcodes[] = {2,  3,  4,  5,  6,  7,  10, 11, 12, 13, 15, 16,
                                        17, 18, 19, 20, 21, 22, 23, 24, 25, 30, 31, 32};

const psh_provider_ops psh_soft_provider_ops = {
    .abi_version = PSH_PROVIDER_ABI_VERSION,
    .id = PSH_PROVIDER_MBED_CRYPTO,
    .type_name = "MbedCrypto",
    .uuid = "1c1139dc-ad7c-47dc-ad6b-db6fdb466552",
    .vendor = "Arm",
    .description = "User space software provider, based on Mbed Crypto - the reference "
                   "implementation of the PSA crypto API",
    .version_maj = 0,
    .version_min = 1,
    .version_rev = 0,
    .opcodes = soft_opcodes,
    .opcode_count = sizeof soft_opcodes / sizeof soft_opcodes[0],
    .init = soft_init,
    .fini = soft_fini,
    .key_exists = soft_key_exists,
    .generate_key = soft_generate_key,
    .import_key = soft_import_key,
    .destroy_key = soft_destroy_key,
    .export_public_key = soft_export_public_key,
    .export_key = soft_export_key,
    .sign_hash = soft_sign_hash,
    .verify_hash = soft_verify_hash,
    .sign_message = soft_sign_message,
    .verify_message = soft_verify_message,
    .asymmetric_encrypt = soft_asymmetric_encrypt,
    .asymmetric_decrypt = soft_asymmetric_decrypt,
    .aead_encrypt = soft_aead_encrypt,
    .aead_decrypt = soft_aead_decrypt,
    .cipher_encrypt = soft_cipher_encrypt,
    .cipher_decrypt = soft_cipher_decrypt,
    .mac_compute = soft_mac_compute,
    .mac_verify = soft_mac_verify,
    .raw_key_agreement = soft_raw_key_agreement,
    .generate_random = soft_generate_random,
    .hash_compute = soft_hash_compute,
    .hash_compare = soft_hash_compare,
    .can_do = soft_can_do,
    .attest_anchor = soft_attest_anchor,
    .attest_evidence = soft_attest_evidence,
};
