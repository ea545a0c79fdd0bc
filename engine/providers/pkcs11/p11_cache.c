/* Object handle cache: CKA_ID (and class) -> token object handle.
 *
 * Why: C_FindObjects is the dearest call of a signature on SoftHSM (its file store re-reads
 * every object of the token on each search, so the cost grows with the number of keys), and a
 * token object's handle stays valid for every session of the application while the object
 * exists (PKCS#11 v2.40 sec. 2.4). So a handle found once is reused.
 *
 * Staleness: an object deleted behind our back (another application, another tool) makes the
 * token answer CKR_OBJECT_HANDLE_INVALID / CKR_KEY_HANDLE_INVALID; the entry is then dropped,
 * the object searched again and the call re-run once (p11_key_init, p11_retry_stale), so the
 * caller sees PsaErrorDoesNotExist or, for a re-created object, a working key. Answers that say
 * the handle now names another kind of key (a module that recycles handle values) are treated
 * the same way. As a bound on what no answer can reveal (a recycled handle naming a key of the
 * same kind), an entry is searched again once it is P11_CACHE_TTL_MS old. Our own destroy
 * forgets the entries of the key; a lost session (token removed, sessions closed) forgets all. */
#include "providers/pkcs11/p11_internal.h"

#include <string.h>
#include <time.h>

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int same(const p11_cached *e, CK_OBJECT_CLASS cls, const uint8_t *id, size_t id_len)
{
    return e->found_ms != 0 && e->cls == cls && e->id_len == id_len &&
           memcmp(e->id, id, id_len) == 0;
}

void p11_cache_init(p11_ctx *ctx)
{
    pthread_mutex_init(&ctx->cache_lock, NULL);
    memset(ctx->cache, 0, sizeof ctx->cache);
    ctx->cache_tick = 0;
    ctx->cache_gen = 0;
}

void p11_cache_fini(p11_ctx *ctx)
{
    pthread_mutex_destroy(&ctx->cache_lock);
}

void p11_cache_forget(p11_ctx *ctx, const uint8_t *id, size_t id_len)
{
    pthread_mutex_lock(&ctx->cache_lock);
    for (size_t i = 0; i < P11_CACHE_SIZE; i++) {
        p11_cached *e = &ctx->cache[i];
        if (id == NULL || (e->found_ms != 0 && e->id_len == id_len &&
                           memcmp(e->id, id, id_len) == 0))
            memset(e, 0, sizeof *e);
    }
    ctx->cache_gen++; /* a search that started before this must not re-insert its answer */
    pthread_mutex_unlock(&ctx->cache_lock);
}

/* Stores h unless the cache was invalidated since gen was read. Replaces an entry for the same
 * object, else an empty slot, else the least recently used one. */
static void put(p11_ctx *ctx, uint64_t gen, CK_OBJECT_CLASS cls, const uint8_t *id,
                size_t id_len, CK_OBJECT_HANDLE h, uint64_t t)
{
    p11_cached *slot = NULL;
    pthread_mutex_lock(&ctx->cache_lock);
    if (gen == ctx->cache_gen) {
        for (size_t i = 0; i < P11_CACHE_SIZE; i++) {
            p11_cached *e = &ctx->cache[i];
            if (same(e, cls, id, id_len)) {
                slot = e;
                break;
            }
            if (slot == NULL || (slot->found_ms != 0 &&
                                 (e->found_ms == 0 || e->used < slot->used)))
                slot = e;
        }
        slot->h = h;
        slot->cls = cls;
        slot->found_ms = t;
        slot->used = ++ctx->cache_tick;
        slot->id_len = id_len;
        memcpy(slot->id, id, id_len);
    }
    pthread_mutex_unlock(&ctx->cache_lock);
}

CK_RV p11_key_handle(p11_ctx *ctx, CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls, const uint8_t *id,
                     size_t id_len, CK_OBJECT_HANDLE *obj, int *cached)
{
    uint64_t t = now_ms(), gen;
    CK_RV rv;

    *cached = 0;
    if (id_len == 0 || id_len > P11_MAX_ID)
        return p11_find(ctx, s, cls, id, id_len, obj);
    pthread_mutex_lock(&ctx->cache_lock);
    for (size_t i = 0; i < P11_CACHE_SIZE; i++) {
        p11_cached *e = &ctx->cache[i];
        if (same(e, cls, id, id_len)) {
            if (t - e->found_ms < P11_CACHE_TTL_MS) {
                e->used = ++ctx->cache_tick;
                *obj = e->h;
                *cached = 1;
            }
            break;
        }
    }
    gen = ctx->cache_gen;
    pthread_mutex_unlock(&ctx->cache_lock);
    if (*cached)
        return CKR_OK;
    rv = p11_find(ctx, s, cls, id, id_len, obj);
    if (rv == CKR_OK)
        put(ctx, gen, cls, id, id_len, *obj, t);
    return rv;
}

int p11_handle_stale(CK_RV rv)
{
    return rv == CKR_OBJECT_HANDLE_INVALID || rv == CKR_KEY_HANDLE_INVALID ||
           rv == CKR_KEY_TYPE_INCONSISTENT || rv == CKR_KEY_FUNCTION_NOT_PERMITTED;
}

CK_RV p11_key_init(p11_ctx *ctx, CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls,
                   const p11_record *rec, p11_init_fn init, CK_MECHANISM_PTR mech)
{
    CK_OBJECT_HANDLE k, again;
    int cached = 0;
    CK_RV rv = p11_key_handle(ctx, s, cls, rec->id, rec->id_len, &k, &cached);
    if (rv != CKR_OK)
        return rv;
    rv = init(s, mech, k);
    if (!cached || !p11_handle_stale(rv))
        return rv;
    /* The token says the cached handle is gone or names something else: search again. */
    p11_cache_forget(ctx, rec->id, rec->id_len);
    rv = p11_key_handle(ctx, s, cls, rec->id, rec->id_len, &again, &cached);
    if (rv != CKR_OK)
        return rv; /* CKR_OBJECT_HANDLE_INVALID when the object is gone: DoesNotExist */
    return init(s, mech, again);
}
