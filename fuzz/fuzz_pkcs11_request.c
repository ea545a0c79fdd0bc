/* Input: one request frame (spec 1.3), handled by an engine whose only provider is PKCS#11 on
 * a real SoftHSM2 token, in-memory KIM, Direct auth. Seeds: scripts/gen-corpora.d/.
 * Invariant: psh_engine_handle answers every input with one well-formed response frame, and
 * the token session pool survives whatever the input did.
 *
 * Self-contained (OSS-Fuzz runs only $OUT with /tmp writable): at the first input the target
 * makes its own token under a fresh /tmp directory (softhsm2.conf + C_InitToken/C_InitPIN
 * through the module itself), finds libsofthsm2.so next to the binary (or in $ORIGIN/lib) or
 * in the usual system paths, and pre-creates keys "ec", "rsa", "enc" for app "fuzz". Every
 * FUZZ_P11_REUSE inputs the engine is rebuilt and the token re-initialised, so objects made by
 * inputs do not accumulate. Everything under the directory is removed at exit. */
#include "fuzz_common.h"

#include <dlfcn.h>
#include <ftw.h>
#include <sys/stat.h>
#include <limits.h>
#include <unistd.h>

#include <p11-kit/pkcs11.h>

#define FUZZ_P11_REUSE 512
#define FUZZ_P11_LABEL "psh-fuzz"
#define FUZZ_P11_PIN "1234"
#define FUZZ_P11_SO_PIN "12345678"

static psh_engine *engine;
static unsigned uses;
static char dir[64], module_path[PSH_PATH_MAX];

/* Frames made by scripts/gen-corpora.d/fuzz_pkcs11_request.py (PsaGenerateKey, app "fuzz"):
 * "ec" P-256 ECDSA(SHA-256) export+sign+verify; "rsa" RSA-1024 PKCS#1 v1.5(SHA-256)
 * sign+verify; "enc" RSA-1024 OAEP(SHA-256) encrypt+decrypt. */
static const uint8_t pre_ec[] = {0x10, 0xa7, 0xc0, 0x5e, 0x1e, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x23, 0x00, 0x00, 0x00, 0x04, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x02, 0x65, 0x63, 0x12, 0x1d, 0x0a, 0x04, 0x5a, 0x02, 0x08, 0x02, 0x10, 0x80, 0x02, 0x1a, 0x12, 0x0a, 0x06, 0x08, 0x01, 0x40, 0x01, 0x48, 0x01, 0x12, 0x08, 0x32, 0x06, 0x22, 0x04, 0x0a, 0x02, 0x10, 0x07, 0x66, 0x75, 0x7a, 0x7a};
static const uint8_t pre_rsa[] = {0x10, 0xa7, 0xc0, 0x5e, 0x1e, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x20, 0x00, 0x00, 0x00, 0x04, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x03, 0x72, 0x73, 0x61, 0x12, 0x19, 0x0a, 0x02, 0x52, 0x00, 0x10, 0x80, 0x08, 0x1a, 0x10, 0x0a, 0x04, 0x40, 0x01, 0x48, 0x01, 0x12, 0x08, 0x32, 0x06, 0x0a, 0x04, 0x0a, 0x02, 0x10, 0x07, 0x66, 0x75, 0x7a, 0x7a};
static const uint8_t pre_enc[] = {0x10, 0xa7, 0xc0, 0x5e, 0x1e, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x1e, 0x00, 0x00, 0x00, 0x04, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x03, 0x65, 0x6e, 0x63, 0x12, 0x17, 0x0a, 0x02, 0x52, 0x00, 0x10, 0x80, 0x08, 0x1a, 0x0e, 0x0a, 0x04, 0x20, 0x01, 0x28, 0x01, 0x12, 0x06, 0x3a, 0x04, 0x12, 0x02, 0x08, 0x07, 0x66, 0x75, 0x7a, 0x7a};

static int find_module(void)
{
    static const char *const system_paths[] = {
        "/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
        "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so", "/usr/local/lib/softhsm/libsofthsm2.so",
        "/usr/lib64/pkcs11/libsofthsm2.so"};
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash != NULL) {
            *slash = '\0';
            snprintf(module_path, sizeof module_path, "%.*s/libsofthsm2.so", PSH_PATH_MAX - 20, exe);
            if (access(module_path, R_OK) == 0)
                return 0;
            snprintf(module_path, sizeof module_path, "%.*s/lib/libsofthsm2.so", PSH_PATH_MAX - 24, exe);
            if (access(module_path, R_OK) == 0)
                return 0;
        }
    }
    for (size_t i = 0; i < sizeof system_paths / sizeof system_paths[0]; i++) {
        if (access(system_paths[i], R_OK) == 0) {
            snprintf(module_path, sizeof module_path, "%s", system_paths[i]);
            return 0;
        }
    }
    return -1;
}

/* (Re-)initialises the one token: a free slot the first time, the labelled slot after (which
 * erases every object on it). No engine may hold sessions meanwhile. */
static int init_token(void)
{
    void *dl = dlopen(module_path, RTLD_NOW | RTLD_LOCAL);
    CK_C_GetFunctionList get = NULL;
    CK_FUNCTION_LIST_PTR f = NULL;
    CK_SLOT_ID slots[32];
    CK_ULONG n = 32;
    CK_SESSION_HANDLE s;
    CK_UTF8CHAR label[32];
    int rc = -1, found = 0;

    if (dl == NULL)
        return -1;
    *(void **)&get = dlsym(dl, "C_GetFunctionList");
    if (get == NULL || get(&f) != CKR_OK || f->C_Initialize(NULL) != CKR_OK)
        return -1;
    if (f->C_GetSlotList(CK_FALSE, slots, &n) != CKR_OK)
        goto exit;
    memset(label, ' ', sizeof label);
    memcpy(label, FUZZ_P11_LABEL, strlen(FUZZ_P11_LABEL));
    for (CK_ULONG i = 0; i < n && !found; i++) { /* our token, re-initialised */
        CK_TOKEN_INFO ti;
        if (f->C_GetTokenInfo(slots[i], &ti) == CKR_OK && (ti.flags & CKF_TOKEN_INITIALIZED) &&
            memcmp(ti.label, label, sizeof label) == 0)
            found = 1, slots[0] = slots[i];
    }
    for (CK_ULONG i = 0; i < n && !found; i++) { /* or the free slot */
        CK_TOKEN_INFO ti;
        if (f->C_GetTokenInfo(slots[i], &ti) == CKR_OK && !(ti.flags & CKF_TOKEN_INITIALIZED))
            found = 1, slots[0] = slots[i];
    }
    if (!found || f->C_InitToken(slots[0], (CK_UTF8CHAR_PTR)FUZZ_P11_SO_PIN,
                                 strlen(FUZZ_P11_SO_PIN), label) != CKR_OK)
        goto exit;
    if (f->C_OpenSession(slots[0], CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s) != CKR_OK)
        goto exit;
    if (f->C_Login(s, CKU_SO, (CK_UTF8CHAR_PTR)FUZZ_P11_SO_PIN, strlen(FUZZ_P11_SO_PIN)) == CKR_OK &&
        f->C_InitPIN(s, (CK_UTF8CHAR_PTR)FUZZ_P11_PIN, strlen(FUZZ_P11_PIN)) == CKR_OK)
        rc = 0;
    f->C_CloseSession(s);
exit:
    f->C_Finalize(NULL); /* the provider initialises the module itself */
    return rc;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void cleanup(void)
{
    psh_engine_destroy(engine);
    engine = NULL;
    if (dir[0] != '\0')
        nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void setup_token_dir(void)
{
    char path[128];
    FILE *f;
    snprintf(dir, sizeof dir, "/tmp/psh-fuzz-p11.XXXXXX");
    if (mkdtemp(dir) == NULL || find_module() != 0) {
        fprintf(stderr, "fuzz_pkcs11_request: no /tmp directory or no libsofthsm2.so\n");
        abort();
    }
    snprintf(path, sizeof path, "%s/tokens", dir);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/softhsm2.conf", dir);
    if ((f = fopen(path, "w")) == NULL)
        abort();
    fprintf(f, "directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n",
            dir);
    fclose(f);
    setenv("SOFTHSM2_CONF", path, 1);
}

static psh_engine *new_engine(void)
{
    psh_engine_config cfg;
    psh_provider_config *p;
    psh_engine *e = NULL;
    char err[512] = "";

    if (init_token() != 0) {
        fprintf(stderr, "fuzz_pkcs11_request: cannot initialise the SoftHSM token\n");
        abort();
    }
    psh_engine_config_init(&cfg);
    cfg.auth_type = PSH_AUTH_DIRECT;
    cfg.provider_count = 1;
    p = &cfg.providers[0];
    psh_provider_config_init(p, PSH_PROVIDER_PKCS11);
    snprintf(p->library_path, sizeof p->library_path, "%s", module_path);
    snprintf(p->token_label, sizeof p->token_label, "%s", FUZZ_P11_LABEL);
    p->has_user_pin = 1;
    memcpy(p->user_pin, FUZZ_P11_PIN, strlen(FUZZ_P11_PIN));
    p->user_pin_len = strlen(FUZZ_P11_PIN);
    if (psh_engine_create(&cfg, &e, err, sizeof err) != PSH_SUCCESS || e == NULL) {
        fprintf(stderr, "fuzz_pkcs11_request: psh_engine_create failed: %s\n", err);
        abort();
    }
    if (fuzz_handle(e, pre_ec, sizeof pre_ec) != PSH_SUCCESS ||
        fuzz_handle(e, pre_rsa, sizeof pre_rsa) != PSH_SUCCESS ||
        fuzz_handle(e, pre_enc, sizeof pre_enc) != PSH_SUCCESS) {
        fprintf(stderr, "fuzz_pkcs11_request: the pre-created keys failed\n");
        abort();
    }
    return e;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_setup();
    if (dir[0] == '\0')
        setup_token_dir();
    if (engine == NULL || uses++ >= FUZZ_P11_REUSE) {
        static int registered;
        psh_engine_destroy(engine);
        engine = NULL;
        engine = new_engine();
        uses = 0;
        /* After SoftHSM is loaded, so at exit cleanup runs before SoftHSM's own destructors
         * (exit handlers run in reverse order): closing sessions after them crashed. */
        if (!registered++)
            atexit(cleanup);
    }
    (void)fuzz_handle(engine, data, size);
    return 0;
}
