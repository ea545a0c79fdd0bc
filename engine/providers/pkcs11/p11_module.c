/* PKCS#11 provider: the module (dlopen by path, C_Initialize with OS locking), the slot, the
 * session pool with login and recovery, the CK_RV mapping, start-up and the ops table.
 *
 * Process-wide module table: a PKCS#11 module may be initialised once per process, and two
 * engines (tests, a restart in-process) may load the same path. Each path gets one entry
 * with a reference count; the last user calls C_Finalize. The dlopen handle is kept for the
 * life of the process: unloading a module that registered atexit handlers or thread keys
 * (SoftHSM does) is unsafe, and a later re-open reuses it.
 *
 * Sessions: P11_POOL_SIZE sessions opened lazily, each used by one request at a time, so
 * concurrent requests run in parallel on the token (C_Initialize got CKF_OS_LOCKING_OK).
 * Login state is per application in PKCS#11 (all sessions share it): we log in once, and
 * again only when the token says a session is gone or not logged in. */
#include "providers/pkcs11/pkcs11.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "providers/pkcs11/p11_internal.h"
#include "util/alloc.h"

#define PSH_LOGMODULE pkcs11
#include "util/log.h"

/* ---- CK_RV mapping ------------------------------------------------------------------------- */

static const struct {
    CK_RV rv;
    const char *name;
    psh_status st;
} rv_table[] = {
    {CKR_OK, "CKR_OK", PSH_SUCCESS},
    {CKR_HOST_MEMORY, "CKR_HOST_MEMORY", PSH_ERR_PSA_INSUFFICIENT_MEMORY},
    {CKR_DEVICE_MEMORY, "CKR_DEVICE_MEMORY", PSH_ERR_PSA_INSUFFICIENT_STORAGE},
    {CKR_GENERAL_ERROR, "CKR_GENERAL_ERROR", PSH_ERR_PSA_GENERIC},
    {CKR_FUNCTION_FAILED, "CKR_FUNCTION_FAILED", PSH_ERR_PSA_GENERIC},
    {CKR_ARGUMENTS_BAD, "CKR_ARGUMENTS_BAD", PSH_ERR_PSA_INVALID_ARGUMENT},
    {CKR_ATTRIBUTE_SENSITIVE, "CKR_ATTRIBUTE_SENSITIVE", PSH_ERR_PSA_NOT_PERMITTED},
    {CKR_ATTRIBUTE_VALUE_INVALID, "CKR_ATTRIBUTE_VALUE_INVALID", PSH_ERR_PSA_INVALID_ARGUMENT},
    {CKR_DATA_INVALID, "CKR_DATA_INVALID", PSH_ERR_PSA_INVALID_ARGUMENT},
    {CKR_DATA_LEN_RANGE, "CKR_DATA_LEN_RANGE", PSH_ERR_PSA_INVALID_ARGUMENT},
    {CKR_DEVICE_ERROR, "CKR_DEVICE_ERROR", PSH_ERR_PSA_HARDWARE_FAILURE},
    {CKR_DEVICE_REMOVED, "CKR_DEVICE_REMOVED", PSH_ERR_PSA_COMMUNICATION_FAILURE},
    {CKR_ENCRYPTED_DATA_INVALID, "CKR_ENCRYPTED_DATA_INVALID", PSH_ERR_PSA_INVALID_PADDING},
    {CKR_ENCRYPTED_DATA_LEN_RANGE, "CKR_ENCRYPTED_DATA_LEN_RANGE", PSH_ERR_PSA_INVALID_PADDING},
    {CKR_FUNCTION_NOT_SUPPORTED, "CKR_FUNCTION_NOT_SUPPORTED", PSH_ERR_PSA_NOT_SUPPORTED},
    {CKR_KEY_HANDLE_INVALID, "CKR_KEY_HANDLE_INVALID", PSH_ERR_PSA_DOES_NOT_EXIST},
    {CKR_KEY_SIZE_RANGE, "CKR_KEY_SIZE_RANGE", PSH_ERR_PSA_NOT_SUPPORTED},
    {CKR_KEY_TYPE_INCONSISTENT, "CKR_KEY_TYPE_INCONSISTENT", PSH_ERR_PSA_INVALID_ARGUMENT},
    {CKR_KEY_FUNCTION_NOT_PERMITTED, "CKR_KEY_FUNCTION_NOT_PERMITTED", PSH_ERR_PSA_NOT_PERMITTED},
    {CKR_KEY_UNEXTRACTABLE, "CKR_KEY_UNEXTRACTABLE", PSH_ERR_PSA_NOT_PERMITTED},
    {CKR_MECHANISM_INVALID, "CKR_MECHANISM_INVALID", PSH_ERR_PSA_NOT_SUPPORTED},
    {CKR_MECHANISM_PARAM_INVALID, "CKR_MECHANISM_PARAM_INVALID", PSH_ERR_PSA_NOT_SUPPORTED},
    {CKR_OBJECT_HANDLE_INVALID, "CKR_OBJECT_HANDLE_INVALID", PSH_ERR_PSA_DOES_NOT_EXIST},
    {CKR_OPERATION_ACTIVE, "CKR_OPERATION_ACTIVE", PSH_ERR_PSA_BAD_STATE},
    {CKR_PIN_INCORRECT, "CKR_PIN_INCORRECT", PSH_ERR_PSA_NOT_PERMITTED},
    {CKR_PIN_LOCKED, "CKR_PIN_LOCKED", PSH_ERR_PSA_NOT_PERMITTED},
    {CKR_SESSION_CLOSED, "CKR_SESSION_CLOSED", PSH_ERR_PSA_COMMUNICATION_FAILURE},
    {CKR_SESSION_HANDLE_INVALID, "CKR_SESSION_HANDLE_INVALID", PSH_ERR_PSA_COMMUNICATION_FAILURE},
    {CKR_SIGNATURE_INVALID, "CKR_SIGNATURE_INVALID", PSH_ERR_PSA_INVALID_SIGNATURE},
    {CKR_SIGNATURE_LEN_RANGE, "CKR_SIGNATURE_LEN_RANGE", PSH_ERR_PSA_INVALID_SIGNATURE},
    {CKR_TEMPLATE_INCOMPLETE, "CKR_TEMPLATE_INCOMPLETE", PSH_ERR_PSA_INVALID_ARGUMENT},
    {CKR_TEMPLATE_INCONSISTENT, "CKR_TEMPLATE_INCONSISTENT", PSH_ERR_PSA_INVALID_ARGUMENT},
    {CKR_TOKEN_NOT_PRESENT, "CKR_TOKEN_NOT_PRESENT", PSH_ERR_PSA_COMMUNICATION_FAILURE},
    {CKR_USER_NOT_LOGGED_IN, "CKR_USER_NOT_LOGGED_IN", PSH_ERR_PSA_NOT_PERMITTED},
    {CKR_USER_PIN_NOT_INITIALIZED, "CKR_USER_PIN_NOT_INITIALIZED", PSH_ERR_PSA_NOT_PERMITTED},
    {CKR_RANDOM_NO_RNG, "CKR_RANDOM_NO_RNG", PSH_ERR_PSA_INSUFFICIENT_ENTROPY},
    {CKR_BUFFER_TOO_SMALL, "CKR_BUFFER_TOO_SMALL", PSH_ERR_PSA_BUFFER_TOO_SMALL},
    {CKR_CRYPTOKI_NOT_INITIALIZED, "CKR_CRYPTOKI_NOT_INITIALIZED", PSH_ERR_PSA_BAD_STATE},
    {CKR_SLOT_ID_INVALID, "CKR_SLOT_ID_INVALID", PSH_ERR_PSA_COMMUNICATION_FAILURE},
    {CKR_CURVE_NOT_SUPPORTED, "CKR_CURVE_NOT_SUPPORTED", PSH_ERR_PSA_NOT_SUPPORTED},
};

const char *p11_rv_name(CK_RV rv)
{
    for (size_t i = 0; i < sizeof rv_table / sizeof rv_table[0]; i++)
        if (rv_table[i].rv == rv)
            return rv_table[i].name;
    return "CKR_(other)";
}

psh_status p11_to_psh_status(CK_RV rv)
{
    if (rv == CKR_OK)
        return PSH_SUCCESS;
    LOG_DEBUG("PKCS#11 returned %s (0x%lx)", p11_rv_name(rv), (unsigned long)rv);
    for (size_t i = 0; i < sizeof rv_table / sizeof rv_table[0]; i++)
        if (rv_table[i].rv == rv)
            return rv_table[i].st;
    return PSH_ERR_PSA_GENERIC;
}

/* ---- process-wide module table ------------------------------------------------------------- */

#define P11_MAX_MODULES 4

typedef struct p11_module {
    char path[PSH_PATH_MAX];
    void *dl;
    CK_FUNCTION_LIST_PTR f;
    int refs;
    int we_initialized; /* C_Initialize returned CKR_OK (not ALREADY_INITIALIZED) */
} p11_module;

static pthread_mutex_t modules_lock = PTHREAD_MUTEX_INITIALIZER;
static p11_module modules[P11_MAX_MODULES];

static CK_RV module_get(const char *path, p11_module **out, char *err, size_t err_size)
{
    p11_module *m = NULL, *free_slot = NULL;
    CK_RV rv = CKR_GENERAL_ERROR;
    CK_C_INITIALIZE_ARGS args;
    CK_C_GetFunctionList get = NULL;

    pthread_mutex_lock(&modules_lock);
    for (size_t i = 0; i < P11_MAX_MODULES; i++) {
        if (modules[i].dl != NULL && strcmp(modules[i].path, path) == 0)
            m = &modules[i];
        else if (modules[i].dl == NULL && free_slot == NULL)
            free_slot = &modules[i];
    }
    if (m == NULL) {
        void *dl;
        if (free_slot == NULL) {
            snprintf(err, err_size, "too many PKCS#11 modules in one process");
            goto exit;
        }
        dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (dl == NULL) {
            const char *why = dlerror();
            snprintf(err, err_size, "cannot load PKCS#11 module \"%s\": %s", path,
                     why != NULL ? why : "dlopen failed");
            goto exit;
        }
        *(void **)&get = dlsym(dl, "C_GetFunctionList");
        if (get == NULL || get(&free_slot->f) != CKR_OK || free_slot->f == NULL) {
            snprintf(err, err_size, "\"%s\" is not a PKCS#11 module (no C_GetFunctionList)",
                     path);
            dlclose(dl);
            free_slot->f = NULL;
            goto exit;
        }
        m = free_slot;
        m->dl = dl;
        snprintf(m->path, sizeof m->path, "%s", path);
    }
    if (m->refs == 0) {
        memset(&args, 0, sizeof args);
        args.flags = CKF_OS_LOCKING_OK;
        rv = m->f->C_Initialize(&args);
        if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
            snprintf(err, err_size, "C_Initialize of \"%s\" failed: %s", path, p11_rv_name(rv));
            goto exit;
        }
        m->we_initialized = rv == CKR_OK;
    }
    m->refs++;
    *out = m;
    rv = CKR_OK;
exit:
    pthread_mutex_unlock(&modules_lock);
    return rv;
}

static void module_put(p11_module *m)
{
    if (m == NULL)
        return;
    pthread_mutex_lock(&modules_lock);
    if (--m->refs == 0 && m->we_initialized) {
        m->f->C_Finalize(NULL);
        m->we_initialized = 0;
    }
    pthread_mutex_unlock(&modules_lock);
}

/* ---- slot ---------------------------------------------------------------------------------- */

/* A blank-padded PKCS#11 string field as a C string without the padding. */
static void trim_field(const unsigned char *f, size_t n, char *out, size_t out_size)
{
    while (n > 0 && (f[n - 1] == ' ' || f[n - 1] == '\0'))
        n--;
    if (n >= out_size)
        n = out_size - 1;
    memcpy(out, f, n);
    out[n] = '\0';
}

static void trim_str(const char *s, char *out, size_t out_size)
{
    size_t n;
    while (*s == ' ' || *s == '\t')
        s++;
    n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    trim_field((const unsigned char *)s, n, out, out_size);
}

/* Selection order (spec 8): serial_number, then token_label, then slot_number, then the only
 * initialised token. A serial or label that disagrees with slot_number wins with a warning. */
static psh_status find_slot(p11_ctx *ctx, const psh_provider_config *cfg, char *err,
                            size_t err_size)
{
    CK_SLOT_ID slots[64];
    CK_ULONG n = sizeof slots / sizeof slots[0];
    CK_TOKEN_INFO ti;
    char want_serial[PSH_NAME_MAX], want_label[PSH_NAME_MAX], have[40];
    size_t initialised = 0, match = 0;
    CK_SLOT_ID only = 0, chosen = 0;
    CK_RV rv;

    trim_str(cfg->serial_number, want_serial, sizeof want_serial);
    trim_str(cfg->token_label, want_label, sizeof want_label);
    rv = ctx->f->C_GetSlotList(CK_TRUE, slots, &n);
    if (rv != CKR_OK) {
        snprintf(err, err_size, "C_GetSlotList failed: %s", p11_rv_name(rv));
        return p11_to_psh_status(rv);
    }
    for (CK_ULONG i = 0; i < n; i++) {
        int hit;
        if (ctx->f->C_GetTokenInfo(slots[i], &ti) != CKR_OK ||
            !(ti.flags & CKF_TOKEN_INITIALIZED))
            continue;
        initialised++;
        only = slots[i];
        if (want_serial[0] != '\0') {
            trim_field(ti.serialNumber, sizeof ti.serialNumber, have, sizeof have);
            hit = strcmp(have, want_serial) == 0;
        } else if (want_label[0] != '\0') {
            trim_field(ti.label, sizeof ti.label, have, sizeof have);
            hit = strcmp(have, want_label) == 0;
        } else {
            hit = cfg->has_slot_number && slots[i] == (CK_SLOT_ID)cfg->slot_number;
        }
        if (hit && match++ == 0)
            chosen = slots[i];
    }
    if (want_serial[0] != '\0' || want_label[0] != '\0') {
        const char *what = want_serial[0] != '\0' ? "serial_number" : "token_label";
        const char *val = want_serial[0] != '\0' ? want_serial : want_label;
        if (match == 0) {
            snprintf(err, err_size, "no initialised token with %s \"%s\"", what, val);
            return PSH_ERR_PSA_DOES_NOT_EXIST;
        }
        if (match > 1) {
            snprintf(err, err_size, "%zu tokens have %s \"%s\"; set serial_number", match, what,
                     val);
            return PSH_ERR_PSA_INVALID_ARGUMENT;
        }
        if (cfg->has_slot_number && chosen != (CK_SLOT_ID)cfg->slot_number)
            LOG_WARN("slot_number %llu disagrees with %s \"%s\" (slot %lu); using the latter",
                     (unsigned long long)cfg->slot_number, what, val, (unsigned long)chosen);
    } else if (cfg->has_slot_number) {
        if (match == 0) {
            snprintf(err, err_size, "no slot %llu with an initialised token",
                     (unsigned long long)cfg->slot_number);
            return PSH_ERR_PSA_DOES_NOT_EXIST;
        }
    } else {
        if (initialised != 1) {
            snprintf(err, err_size,
                     "%zu initialised tokens and no slot_number, serial_number or token_label",
                     initialised);
            return PSH_ERR_PSA_DOES_NOT_EXIST;
        }
        chosen = only;
    }
    ctx->slot = chosen;
    if (ctx->f->C_GetTokenInfo(chosen, &ti) == CKR_OK)
        trim_field(ti.label, sizeof ti.label, ctx->token_label, sizeof ctx->token_label);
    return PSH_SUCCESS;
}

/* ---- sessions ------------------------------------------------------------------------------ */

static CK_RV do_login(p11_ctx *ctx, CK_SESSION_HANDLE s)
{
    CK_RV rv;
    if (!ctx->login)
        return CKR_OK;
    /* An empty configured PIN is passed as such (NULL, 0): tokens with a protected
     * authentication path or an empty PIN accept exactly that. */
    rv = ctx->f->C_Login(s, CKU_USER, ctx->pin_len ? (CK_UTF8CHAR_PTR)ctx->pin : NULL,
                         (CK_ULONG)ctx->pin_len);
    return rv == CKR_USER_ALREADY_LOGGED_IN ? CKR_OK : rv;
}

static CK_RV open_session(p11_ctx *ctx, CK_SESSION_HANDLE *s)
{
    return ctx->f->C_OpenSession(ctx->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, s);
}

static p11_session *acquire(p11_ctx *ctx)
{
    p11_session *got = NULL;
    pthread_mutex_lock(&ctx->lock);
    for (;;) {
        for (size_t i = 0; i < P11_POOL_SIZE && got == NULL; i++)
            if (!ctx->pool[i].busy)
                got = &ctx->pool[i];
        if (got != NULL)
            break;
        pthread_cond_wait(&ctx->freed, &ctx->lock);
    }
    got->busy = 1;
    pthread_mutex_unlock(&ctx->lock);
    return got;
}

static void release(p11_ctx *ctx, p11_session *s)
{
    pthread_mutex_lock(&ctx->lock);
    s->busy = 0;
    pthread_cond_signal(&ctx->freed);
    pthread_mutex_unlock(&ctx->lock);
}

/* A session to throw away: gone, or (CKR_OPERATION_ACTIVE) left mid-operation by an
 * earlier failure, which only closing it resets on every module. */
static int session_lost(CK_RV rv)
{
    return rv == CKR_SESSION_CLOSED || rv == CKR_SESSION_HANDLE_INVALID ||
           rv == CKR_DEVICE_REMOVED || rv == CKR_TOKEN_NOT_PRESENT ||
           rv == CKR_OPERATION_ACTIVE;
}

/* Opens a closed pooled session (and logs in, which is a no-op when the application is
 * logged in already). */
static CK_RV ensure_open(p11_ctx *ctx, p11_session *s)
{
    CK_RV rv;
    if (s->h != CK_INVALID_HANDLE)
        return CKR_OK;
    rv = open_session(ctx, &s->h);
    if (rv != CKR_OK) {
        s->h = CK_INVALID_HANDLE;
        return rv;
    }
    rv = do_login(ctx, s->h);
    if (rv != CKR_OK) {
        ctx->f->C_CloseSession(s->h);
        s->h = CK_INVALID_HANDLE;
    }
    return rv;
}

CK_RV p11_run(p11_ctx *ctx, p11_fn fn, void *arg)
{
    p11_session *s = acquire(ctx);
    CK_RV rv = ensure_open(ctx, s);

    if (rv == CKR_OK)
        rv = fn(ctx, s->h, arg);
    if (session_lost(rv)) {
        LOG_WARN("token \"%s\": session lost (%s), reopening", ctx->token_label, p11_rv_name(rv));
        /* A removed and re-inserted token may hand out other handles: search afresh. */
        p11_cache_forget(ctx, NULL, 0);
        if (s->h != CK_INVALID_HANDLE)
            ctx->f->C_CloseSession(s->h);
        s->h = CK_INVALID_HANDLE;
        rv = ensure_open(ctx, s);
        if (rv == CKR_OK)
            rv = fn(ctx, s->h, arg);
    } else if (rv == CKR_USER_NOT_LOGGED_IN && ctx->login) {
        LOG_WARN("token \"%s\": not logged in, logging in again", ctx->token_label);
        rv = do_login(ctx, s->h);
        if (rv == CKR_OK)
            rv = fn(ctx, s->h, arg);
    }
    release(ctx, s);
    return rv;
}

/* ---- lifecycle ----------------------------------------------------------------------------- */

static void p11_fini(void *vctx)
{
    p11_ctx *ctx = vctx;
    if (ctx == NULL)
        return;
    if (ctx->f != NULL)
        for (size_t i = 0; i < P11_POOL_SIZE; i++)
            if (ctx->pool[i].h != CK_INVALID_HANDLE)
                ctx->f->C_CloseSession(ctx->pool[i].h);
    module_put(ctx->module);
    p11_cache_fini(ctx);
    pthread_rwlock_destroy(&ctx->store_lock);
    pthread_cond_destroy(&ctx->freed);
    pthread_mutex_destroy(&ctx->lock);
    psh_free_secret(ctx, sizeof *ctx);
}

static psh_status p11_init(const psh_provider_config *cfg, const psh_engine_config *engine_cfg,
                           void **out, char *err, size_t err_size)
{
    psh_status st = PSH_ERR_CORRUPTION;
    p11_ctx *ctx = NULL;
    p11_module *m = NULL;
    char why[PSH_PATH_MAX + 512] = "";
    CK_TOKEN_INFO ti;
    CK_RV rv;

    (void)engine_cfg;
    *out = NULL;
    if (cfg->library_path[0] == '\0') {
        snprintf(why, sizeof why, "library_path is empty");
        st = PSH_ERR_INVALID_ENCODING;
        goto exit;
    }
    ctx = psh_calloc(1, sizeof *ctx);
    if (ctx == NULL) {
        snprintf(why, sizeof why, "out of memory");
        st = PSH_ERR_PSA_INSUFFICIENT_MEMORY;
        goto exit;
    }
    pthread_mutex_init(&ctx->lock, NULL);
    pthread_cond_init(&ctx->freed, NULL);
    {
        pthread_rwlockattr_t ra;
        pthread_rwlockattr_init(&ra);
        pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
        pthread_rwlock_init(&ctx->store_lock, &ra);
        pthread_rwlockattr_destroy(&ra);
    }
    p11_cache_init(ctx);
    for (size_t i = 0; i < P11_POOL_SIZE; i++)
        ctx->pool[i].h = CK_INVALID_HANDLE;
    ctx->software_public = cfg->software_public_operations;
    ctx->allow_export = cfg->allow_export;
    ctx->login = cfg->has_user_pin;
    if (cfg->user_pin_len > sizeof ctx->pin) {
        snprintf(why, sizeof why, "user_pin is too long");
        st = PSH_ERR_PSA_INVALID_ARGUMENT;
        goto exit;
    }
    memcpy(ctx->pin, cfg->user_pin, cfg->user_pin_len);
    ctx->pin_len = cfg->user_pin_len;
    if (module_get(cfg->library_path, &m, why, sizeof why) != CKR_OK) {
        st = PSH_ERR_PSA_COMMUNICATION_FAILURE;
        goto exit;
    }
    ctx->module = m;
    ctx->f = m->f;
    if ((st = find_slot(ctx, cfg, why, sizeof why)) != PSH_SUCCESS)
        goto exit;
    /* First session and login now, so a wrong PIN stops the start (spec pitfall 9.4). */
    rv = open_session(ctx, &ctx->pool[0].h);
    if (rv != CKR_OK) {
        ctx->pool[0].h = CK_INVALID_HANDLE;
        snprintf(why, sizeof why, "C_OpenSession on token \"%s\" failed: %s", ctx->token_label,
                 p11_rv_name(rv));
        st = p11_to_psh_status(rv);
        goto exit;
    }
    rv = do_login(ctx, ctx->pool[0].h);
    if (rv != CKR_OK) {
        snprintf(why, sizeof why, "%s for token \"%s\" (%s)",
                 rv == CKR_PIN_INCORRECT ? "wrong user_pin" : "login failed", ctx->token_label,
                 p11_rv_name(rv));
        st = p11_to_psh_status(rv);
        goto exit;
    }
    if (!ctx->login && ctx->f->C_GetTokenInfo(ctx->slot, &ti) == CKR_OK &&
        (ti.flags & CKF_LOGIN_REQUIRED))
        LOG_WARN("token \"%s\" requires login and no user_pin is set: private key operations "
                 "will fail", ctx->token_label);
    LOG_INFO("token \"%s\" in slot %lu ready", ctx->token_label, (unsigned long)ctx->slot);
    *out = ctx;
    ctx = NULL;
    st = PSH_SUCCESS;
exit:
    if (st != PSH_SUCCESS)
        snprintf(err, err_size, "pkcs11 provider \"%s\": %s", cfg->name, why);
    p11_fini(ctx);
    return st;
}

/* ---- the table ----------------------------------------------------------------------------- */

static const uint32_t p11_opcodes[] = {2, 3, 4, 5, 6, 7, 10, 11, 12, 13, 15, 16, 30, 31, 32};

const psh_provider_ops psh_pkcs11_provider_ops = {
    .abi_version = PSH_PROVIDER_ABI_VERSION,
    .id = PSH_PROVIDER_PKCS11,
    .type_name = "Pkcs11",
    .uuid = "30e39502-eba6-4d60-a4af-c518b7f5e38f",
    .vendor = "OASIS Standard.",
    .description = "PKCS #11 provider, interfacing with a PKCS #11 library.",
    .version_maj = 0,
    .version_min = 1,
    .version_rev = 0,
    .opcodes = p11_opcodes,
    .opcode_count = sizeof p11_opcodes / sizeof p11_opcodes[0],
    .init = p11_init,
    .fini = p11_fini,
    .key_exists = p11_key_exists,
    .generate_key = p11_generate_key,
    .import_key = p11_import_key,
    .destroy_key = p11_destroy_key,
    .export_public_key = p11_export_public_key,
    .export_key = p11_export_key,
    .sign_hash = p11_sign_hash,
    .verify_hash = p11_verify_hash,
    .asymmetric_encrypt = p11_asymmetric_encrypt,
    .asymmetric_decrypt = p11_asymmetric_decrypt,
    .generate_random = p11_generate_random,
    .hash_compute = p11_hash_compute,
    .hash_compare = p11_hash_compare,
    .can_do = p11_can_do,
    .attest_anchor = p11_attest_anchor,
    .attest_evidence = p11_attest_evidence,
};
