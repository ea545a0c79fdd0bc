/* The PKCS#11 provider on a real SoftHSM2 token (scripts/softhsm-token), driven through an
 * in-process listener with the C client: import and export in PSA formats (compared with Mbed
 * TLS), signatures checked by Mbed TLS, RSA v1.5 and OAEP (with a label) both ways, hash,
 * random, CanDoCrypto, the core's policy refusals on token keys, allow_export = false, session
 * recovery after every session of the process was closed under the provider, concurrent
 * signers on the session pool, concurrent creators (generate, sign, destroy), and the object handle cache when objects are deleted and
 * re-created behind the provider's back. argv[1] = tests/data (the fixture is ../../scripts). */
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <p11-kit/pkcs11.h>
#include <psa/crypto.h>

#include "check.h"
#include "psh/client.h"
#include "psh/engine.h"
#include "service/listener.h"
#include "util/psa_lock.h"

static char dir[64], lib[256], label[64], pin[64];

static int read_env(void)
{
    char path[128], line[512];
    FILE *f;
    snprintf(path, sizeof path, "%s/token/env", dir);
    if ((f = fopen(path, "r")) == NULL)
        return -1;
    while (fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        char *eq = strchr(line, '=');
        if (eq == NULL)
            continue;
        *eq = '\0';
        if (strcmp(line, "SOFTHSM2_CONF") == 0)
            setenv("SOFTHSM2_CONF", eq + 1, 1);
        else if (strcmp(line, "PSH_P11_LIB") == 0)
            snprintf(lib, sizeof lib, "%s", eq + 1);
        else if (strcmp(line, "PSH_P11_LABEL") == 0)
            snprintf(label, sizeof label, "%s", eq + 1);
        else if (strcmp(line, "PSH_P11_PIN") == 0)
            snprintf(pin, sizeof pin, "%s", eq + 1);
    }
    fclose(f);
    return lib[0] && label[0] && pin[0] ? 0 : -1;
}

/* ---- a service in-process ------------------------------------------------------------------ */

typedef struct service {
    psh_engine *engine;
    psh_listener *listener;
    int stop_fd;
    pthread_t thread;
    char sock[96];
} service;

static void *serve(void *arg)
{
    service *s = arg;
    psh_listener_run(s->listener, s->stop_fd);
    return NULL;
}

static int service_start(service *s, const char *name, int allow_export)
{
    psh_engine_config cfg;
    psh_listener_config lc = {NULL, 5000, 4, 16, 1u << 20};
    psh_provider_config *p;
    char err[512] = "";

    memset(s, 0, sizeof *s);
    psh_engine_config_init(&cfg);
    cfg.auth_type = PSH_AUTH_DIRECT;
    snprintf(cfg.kim_path, sizeof cfg.kim_path, "%s/%s.sqlite3", dir, name);
    cfg.provider_count = 1;
    p = &cfg.providers[0];
    psh_provider_config_init(p, PSH_PROVIDER_PKCS11);
    snprintf(p->library_path, sizeof p->library_path, "%s", lib);
    snprintf(p->token_label, sizeof p->token_label, "%s", label);
    p->has_user_pin = 1;
    memcpy(p->user_pin, pin, strlen(pin));
    p->user_pin_len = strlen(pin);
    p->allow_export = allow_export;
    if (psh_engine_create(&cfg, &s->engine, err, sizeof err) != PSH_SUCCESS) {
        fprintf(stderr, "engine: %s\n", err);
        return -1;
    }
    snprintf(s->sock, sizeof s->sock, "%s/%s.sock", dir, name);
    lc.socket_path = s->sock;
    if (psh_listener_create(&lc, s->engine, &s->listener, err, sizeof err) != PSH_SUCCESS) {
        fprintf(stderr, "listener: %s\n", err);
        return -1;
    }
    s->stop_fd = eventfd(0, EFD_CLOEXEC);
    return pthread_create(&s->thread, NULL, serve, s);
}

static void service_stop(service *s)
{
    uint64_t one = 1;
    if (write(s->stop_fd, &one, sizeof one) != sizeof one)
        return;
    pthread_join(s->thread, NULL);
    psh_listener_destroy(s->listener);
    psh_engine_destroy(s->engine);
    close(s->stop_fd);
}

static void client_for(psh_client *c, const service *s, const char *app)
{
    psh_client_init(c);
    psh_client_set_endpoint(c, s->sock);
    c->auth_type = PSH_AUTH_DIRECT;
    snprintf(c->app_name, sizeof c->app_name, "%s", app);
    c->provider = 2;
}

static psh_key_attributes attrs(psh_key_type type, uint32_t bits, uint32_t usage,
                                psh_alg_kind kind, psh_hash hash)
{
    psh_key_attributes a;
    memset(&a, 0, sizeof a);
    a.type = type;
    a.family = (type == PSH_KEY_TYPE_ECC_KEY_PAIR || type == PSH_KEY_TYPE_ECC_PUBLIC_KEY)
                   ? PSH_ECC_FAMILY_SECP_R1 : 0;
    a.bits = bits;
    a.usage = usage;
    a.alg.kind = kind;
    a.alg.hash = hash;
    return a;
}

static const psh_algorithm ECDSA256 = {PSH_ALG_ECDSA, PSH_HASH_SHA_256, 0, 0};

/* ---- local Mbed TLS reference -------------------------------------------------------------- */

/* A fresh key made by Mbed TLS: its export (private) and public export. */
static int psa_make(psa_key_type_t type, size_t bits, uint8_t *priv, size_t *priv_len,
                    uint8_t *pub, size_t *pub_len)
{
    psa_key_attributes_t a = PSA_KEY_ATTRIBUTES_INIT;
    psa_key_id_t id = 0;
    psa_status_t s;
    psa_set_key_type(&a, type);
    psa_set_key_bits(&a, bits);
    psa_set_key_usage_flags(&a, PSA_KEY_USAGE_EXPORT);
    psh_psa_lock();
    s = psa_generate_key(&a, &id);
    if (s == PSA_SUCCESS)
        s = psa_export_key(id, priv, 4096, priv_len);
    if (s == PSA_SUCCESS)
        s = psa_export_public_key(id, pub, 1024, pub_len);
    psa_destroy_key(id);
    psh_psa_unlock();
    return s == PSA_SUCCESS ? 0 : -1;
}

/* Verifies or encrypts with a public key in Mbed TLS. */
static psa_status_t psa_pub(psa_key_type_t type, const uint8_t *pub, size_t pub_len,
                            psa_algorithm_t alg, int verify, const uint8_t *in, size_t in_len,
                            const uint8_t *extra, size_t extra_len, uint8_t *out, size_t *out_len)
{
    psa_key_attributes_t a = PSA_KEY_ATTRIBUTES_INIT;
    psa_key_id_t id = 0;
    psa_status_t s;
    psa_set_key_type(&a, type);
    psa_set_key_usage_flags(&a, verify ? PSA_KEY_USAGE_VERIFY_HASH : PSA_KEY_USAGE_ENCRYPT);
    psa_set_key_algorithm(&a, alg);
    psh_psa_lock();
    s = psa_import_key(&a, pub, pub_len, &id);
    if (s == PSA_SUCCESS)
        s = verify ? psa_verify_hash(id, alg, in, in_len, extra, extra_len)
                   : psa_asymmetric_encrypt(id, alg, in, in_len, extra, extra_len, out, 1024,
                                            out_len);
    psa_destroy_key(id);
    psh_psa_unlock();
    return s;
}

/* ---- session recovery ---------------------------------------------------------------------- */

/* Closes every session of this process on the token, behind the provider's back (the module
 * is already initialised by the provider; dlopen returns the same instance). */
static int close_all_sessions(void)
{
    void *dl = dlopen(lib, RTLD_NOW | RTLD_NOLOAD);
    CK_C_GetFunctionList get = NULL;
    CK_FUNCTION_LIST_PTR f = NULL;
    CK_SLOT_ID slots[16];
    CK_ULONG n = 16;
    int rc = -1;
    if (dl == NULL)
        return -1;
    *(void **)&get = dlsym(dl, "C_GetFunctionList");
    if (get != NULL && get(&f) == CKR_OK && f->C_GetSlotList(CK_TRUE, slots, &n) == CKR_OK) {
        rc = 0;
        for (CK_ULONG i = 0; i < n; i++)
            if (f->C_CloseAllSessions(slots[i]) != CKR_OK)
                rc = -1;
    }
    dlclose(dl);
    return rc;
}

/* ---- objects changed behind the provider's back --------------------------------------------- */

/* The module instance the provider initialised (dlopen gives the same one) and a session of
 * ours on the token, logged in already (login state is per application). */
static CK_FUNCTION_LIST_PTR token_open(CK_SESSION_HANDLE *s)
{
    void *dl = dlopen(lib, RTLD_NOW | RTLD_NOLOAD);
    CK_C_GetFunctionList get = NULL;
    CK_FUNCTION_LIST_PTR f = NULL;
    CK_SLOT_ID slots[16];
    CK_ULONG n = 16;
    if (dl == NULL)
        return NULL;
    *(void **)&get = dlsym(dl, "C_GetFunctionList");
    dlclose(dl); /* the provider keeps it mapped */
    if (get == NULL || get(&f) != CKR_OK || f->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK)
        return NULL;
    for (CK_ULONG i = 0; i < n; i++) {
        CK_TOKEN_INFO ti;
        if (f->C_GetTokenInfo(slots[i], &ti) == CKR_OK &&
            strncmp((const char *)ti.label, label, strlen(label)) == 0 &&
            f->C_OpenSession(slots[i], CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, s) ==
                CKR_OK)
            return f;
    }
    return NULL;
}

/* Handles of every private key object on the token (up to max). */
static CK_ULONG private_objects(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE *h,
                                CK_ULONG max)
{
    CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
    CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof cls}};
    CK_ULONG n = 0;
    if (f->C_FindObjectsInit(s, t, 1) != CKR_OK)
        return 0;
    if (f->C_FindObjects(s, h, max, &n) != CKR_OK)
        n = 0;
    f->C_FindObjectsFinal(s);
    return n;
}

/* Destroys every object with this CKA_ID; returns how many. */
static int destroy_by_id(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s, const uint8_t *id,
                         size_t id_len)
{
    CK_ATTRIBUTE t[] = {{CKA_ID, (void *)id, id_len}};
    CK_OBJECT_HANDLE h[8];
    CK_ULONG n = 0;
    int gone = 0;
    if (f->C_FindObjectsInit(s, t, 1) != CKR_OK)
        return -1;
    if (f->C_FindObjects(s, h, 8, &n) != CKR_OK)
        n = 0;
    f->C_FindObjectsFinal(s);
    for (CK_ULONG i = 0; i < n; i++)
        gone += f->C_DestroyObject(s, h[i]) == CKR_OK;
    return gone;
}

/* A P-256 key pair as two token objects with this CKA_ID: scalar d, point pt (04||X||Y). */
static int create_p256(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s, const uint8_t *id,
                       size_t id_len, const uint8_t *d, const uint8_t *pt)
{
    static const uint8_t p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
    CK_OBJECT_CLASS priv_cls = CKO_PRIVATE_KEY, pub_cls = CKO_PUBLIC_KEY;
    CK_KEY_TYPE kt = CKK_EC;
    CK_BBOOL yes = CK_TRUE;
    uint8_t wrapped[67] = {0x04, 65};
    CK_ATTRIBUTE priv[] = {{CKA_CLASS, &priv_cls, sizeof priv_cls}, {CKA_KEY_TYPE, &kt, sizeof kt},
                           {CKA_TOKEN, &yes, 1}, {CKA_PRIVATE, &yes, 1}, {CKA_SIGN, &yes, 1},
                           {CKA_ID, (void *)id, id_len}, {CKA_EC_PARAMS, (void *)p256, sizeof p256},
                           {CKA_VALUE, (void *)d, 32}};
    CK_ATTRIBUTE pub[] = {{CKA_CLASS, &pub_cls, sizeof pub_cls}, {CKA_KEY_TYPE, &kt, sizeof kt},
                          {CKA_TOKEN, &yes, 1}, {CKA_VERIFY, &yes, 1},
                          {CKA_ID, (void *)id, id_len}, {CKA_EC_PARAMS, (void *)p256, sizeof p256},
                          {CKA_EC_POINT, wrapped, sizeof wrapped}};
    CK_OBJECT_HANDLE h;
    memcpy(wrapped + 2, pt, 65);
    if (f->C_CreateObject(s, priv, sizeof priv / sizeof priv[0], &h) != CKR_OK)
        return -1;
    return f->C_CreateObject(s, pub, sizeof pub / sizeof pub[0], &h) == CKR_OK ? 0 : -1;
}

typedef struct signer {
    const service *s;
    int ok;
} signer;

static void *sign_loop(void *arg)
{
    signer *g = arg;
    psh_client c;
    uint8_t hash[32] = {1, 2, 3};
    client_for(&c, g->s, "alice");
    for (int i = 0; i < 15; i++) {
        uint8_t *sig = NULL;
        size_t sl = 0;
        if (psh_client_sign_hash(&c, "ec", &ECDSA256, hash, sizeof hash, &sig, &sl) == PSH_SUCCESS &&
            psh_client_verify_hash(&c, "ec", &ECDSA256, hash, sizeof hash, sig, sl) == PSH_SUCCESS)
            g->ok++;
        psh_client_free(sig);
    }
    return NULL;
}

/* One creator: generate, sign (a handle cache miss: a token search), destroy, again; on
 * SoftHSM 2.6 a search racing another session's generation used to fail that generation. */
typedef struct creator {
    const service *s;
    int id, ok;
} creator;

#define CREATE_ROUNDS 50

static void *create_loop(void *arg)
{
    creator *g = arg;
    psh_client c;
    uint8_t hash[32] = {4, 5, 6};
    char name[32];
    psh_key_attributes a = attrs(PSH_KEY_TYPE_ECC_KEY_PAIR, 256, PSH_USAGE_SIGN_HASH,
                                 PSH_ALG_ECDSA, PSH_HASH_SHA_256);
    client_for(&c, g->s, "carol");
    for (int i = 0; i < CREATE_ROUNDS; i++) {
        uint8_t *sig = NULL;
        size_t sl = 0;
        psh_status st;
        snprintf(name, sizeof name, "c%d-%d", g->id, i);
        st = psh_client_generate_key(&c, name, &a);
        if (st == PSH_SUCCESS)
            st = psh_client_sign_hash(&c, name, &ECDSA256, hash, sizeof hash, &sig, &sl);
        psh_client_free(sig);
        if (st == PSH_SUCCESS)
            st = psh_client_destroy_key(&c, name);
        if (st == PSH_SUCCESS)
            g->ok++;
        else
            fprintf(stderr, "creator %d round %d: status %d\n", g->id, i, (int)st);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    char cmd[PATH_MAX + 128];
    service svc, svc2;
    psh_client c;
    uint8_t priv[4096], pub[1024], out[1024], *got = NULL, *sig = NULL;
    size_t priv_len = 0, pub_len = 0, out_len = 0, got_len = 0, sig_len = 0;
    uint8_t hash[32];
    psh_key_attributes a;

    if (argc < 2 || access("/usr/bin/softhsm2-util", X_OK) != 0) {
        printf("SKIP: no tests/data argument or no softhsm2-util\n");
        return 0;
    }
    snprintf(dir, sizeof dir, "/tmp/psh-p11u.XXXXXX");
    REQUIRE(mkdtemp(dir) != NULL);
    snprintf(cmd, sizeof cmd, "%s/../../scripts/softhsm-token start %s/token >/dev/null", argv[1],
             dir);
    REQUIRE(system(cmd) == 0);
    REQUIRE(read_env() == 0);
    REQUIRE(psh_psa_init() == PSH_SUCCESS);
    REQUIRE(service_start(&svc, "a", 1) == 0);
    client_for(&c, &svc, "alice");
    memset(hash, 0x5a, sizeof hash);

    /* EC P-256 key pair import: export gives back the same scalar; public export is the bare
     * uncompressed point (not CKA_EC_POINT's OCTET STRING); the token's signature verifies in
     * Mbed TLS. */
    REQUIRE(psa_make(PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1), 256, priv, &priv_len, pub,
                     &pub_len) == 0);
    a = attrs(PSH_KEY_TYPE_ECC_KEY_PAIR, 0, PSH_USAGE_SIGN_HASH | PSH_USAGE_VERIFY_HASH |
              PSH_USAGE_EXPORT, PSH_ALG_ECDSA, PSH_HASH_SHA_256);
    CHECK_EQ_INT(psh_client_import_key(&c, "ec", &a, priv, priv_len), PSH_SUCCESS);
    CHECK_EQ_INT(psh_client_export_key(&c, "ec", &got, &got_len), PSH_SUCCESS);
    CHECK_MEM(got, got_len, priv, priv_len);
    psh_client_free_secret(got, got_len);
    CHECK_EQ_INT(psh_client_export_public_key(&c, "ec", &got, &got_len), PSH_SUCCESS);
    CHECK_MEM(got, got_len, pub, pub_len);
    CHECK(got_len == 65 && got != NULL && got[0] == 0x04);
    psh_client_free(got);
    CHECK_EQ_INT(psh_client_sign_hash(&c, "ec", &ECDSA256, hash, 32, &sig, &sig_len), PSH_SUCCESS);
    CHECK_EQ_INT(sig_len, 64);
    CHECK_EQ_INT(psa_pub(PSA_KEY_TYPE_ECC_PUBLIC_KEY(PSA_ECC_FAMILY_SECP_R1), pub, pub_len,
                         PSA_ALG_ECDSA(PSA_ALG_SHA_256), 1, hash, 32, sig, sig_len, NULL, NULL),
                 PSA_SUCCESS);
    /* The same signature through the public key imported alone. */
    a = attrs(PSH_KEY_TYPE_ECC_PUBLIC_KEY, 256, PSH_USAGE_VERIFY_HASH, PSH_ALG_ECDSA,
              PSH_HASH_SHA_256);
    CHECK_EQ_INT(psh_client_import_key(&c, "ec-pub", &a, pub, pub_len), PSH_SUCCESS);
    CHECK_EQ_INT(psh_client_verify_hash(&c, "ec-pub", &ECDSA256, hash, 32, sig, sig_len),
                 PSH_SUCCESS);
    hash[0] ^= 1;
    CHECK_EQ_INT(psh_client_verify_hash(&c, "ec-pub", &ECDSA256, hash, 32, sig, sig_len),
                 PSH_ERR_PSA_INVALID_SIGNATURE);
    hash[0] ^= 1;
    CHECK_EQ_INT(psh_client_verify_hash(&c, "ec-pub", &ECDSA256, hash, 32, sig, sig_len - 1),
                 PSH_ERR_PSA_INVALID_SIGNATURE);
    psh_client_free(sig);
    sig = NULL;
    a = attrs(PSH_KEY_TYPE_ECC_KEY_PAIR, 384, PSH_USAGE_SIGN_HASH, PSH_ALG_ECDSA,
              PSH_HASH_SHA_256);
    CHECK_EQ_INT(psh_client_import_key(&c, "ec-wrong-bits", &a, priv, priv_len),
                 PSH_ERR_PSA_INVALID_ARGUMENT);
    CHECK_EQ_INT(psh_client_import_key(&c, "ec-garbage", &a, priv, 7),
                 PSH_ERR_PSA_INVALID_ARGUMENT);

    /* RSA 2048 key pair import: export gives back the same DER RSAPrivateKey, public export
     * the DER RSAPublicKey Mbed TLS makes; PKCS#1 v1.5 and PSS signatures verify in Mbed TLS;
     * OAEP-SHA256 with a label and v1.5 encryption work both ways. */
    REQUIRE(psa_make(PSA_KEY_TYPE_RSA_KEY_PAIR, 2048, priv, &priv_len, pub, &pub_len) == 0);
    a = attrs(PSH_KEY_TYPE_RSA_KEY_PAIR, 2048, PSH_USAGE_SIGN_HASH | PSH_USAGE_VERIFY_HASH |
              PSH_USAGE_EXPORT, PSH_ALG_RSA_PKCS1V15_SIGN, PSH_HASH_ANY);
    CHECK_EQ_INT(psh_client_import_key(&c, "rsa", &a, priv, priv_len), PSH_SUCCESS);
    CHECK_EQ_INT(psh_client_export_key(&c, "rsa", &got, &got_len), PSH_SUCCESS);
    CHECK_MEM(got, got_len, priv, priv_len);
    psh_client_free_secret(got, got_len);
    CHECK_EQ_INT(psh_client_export_public_key(&c, "rsa", &got, &got_len), PSH_SUCCESS);
    CHECK_MEM(got, got_len, pub, pub_len);
    psh_client_free(got);
    {
        psh_algorithm v15 = {PSH_ALG_RSA_PKCS1V15_SIGN, PSH_HASH_SHA_256, 0, 0};
        CHECK_EQ_INT(psh_client_sign_hash(&c, "rsa", &v15, hash, 32, &sig, &sig_len), PSH_SUCCESS);
        CHECK_EQ_INT(psa_pub(PSA_KEY_TYPE_RSA_PUBLIC_KEY, pub, pub_len,
                             PSA_ALG_RSA_PKCS1V15_SIGN(PSA_ALG_SHA_256), 1, hash, 32, sig,
                             sig_len, NULL, NULL), PSA_SUCCESS);
        CHECK_EQ_INT(psh_client_verify_hash(&c, "rsa", &v15, hash, 32, sig, sig_len), PSH_SUCCESS);
        sig[10] ^= 1;
        CHECK_EQ_INT(psh_client_verify_hash(&c, "rsa", &v15, hash, 32, sig, sig_len),
                     PSH_ERR_PSA_INVALID_SIGNATURE);
        psh_client_free(sig);
        sig = NULL;
        /* Policy: the wildcard policy allows SHA-384 too; PSS is another algorithm. */
        psh_algorithm v15_384 = {PSH_ALG_RSA_PKCS1V15_SIGN, PSH_HASH_SHA_384, 0, 0};
        uint8_t h48[48] = {7};
        CHECK_EQ_INT(psh_client_sign_hash(&c, "rsa", &v15_384, h48, 48, &sig, &sig_len),
                     PSH_SUCCESS);
        psh_client_free(sig);
        sig = NULL;
        psh_algorithm pss = {PSH_ALG_RSA_PSS, PSH_HASH_SHA_256, 0, 0};
        CHECK_EQ_INT(psh_client_sign_hash(&c, "rsa", &pss, hash, 32, &sig, &sig_len),
                     PSH_ERR_PSA_NOT_PERMITTED);
        CHECK_EQ_INT(psh_client_sign_hash(&c, "rsa", &v15, hash, 31, &sig, &sig_len),
                     PSH_ERR_PSA_INVALID_ARGUMENT);
        a = attrs(PSH_KEY_TYPE_RSA_KEY_PAIR, 0, PSH_USAGE_SIGN_HASH | PSH_USAGE_VERIFY_HASH,
                  PSH_ALG_RSA_PSS, PSH_HASH_SHA_256);
        CHECK_EQ_INT(psh_client_import_key(&c, "rsa-pss", &a, priv, priv_len), PSH_SUCCESS);
        CHECK_EQ_INT(psh_client_sign_hash(&c, "rsa-pss", &pss, hash, 32, &sig, &sig_len),
                     PSH_SUCCESS);
        CHECK_EQ_INT(psa_pub(PSA_KEY_TYPE_RSA_PUBLIC_KEY, pub, pub_len,
                             PSA_ALG_RSA_PSS(PSA_ALG_SHA_256), 1, hash, 32, sig, sig_len, NULL,
                             NULL), PSA_SUCCESS);
        psh_client_free(sig);
        sig = NULL;
        CHECK_EQ_INT(psh_client_export_key(&c, "rsa-pss", &got, &got_len),
                     PSH_ERR_PSA_NOT_PERMITTED); /* no export flag */
    }
    {
        static const uint8_t label_b[] = "label";
        psh_algorithm oaep = {PSH_ALG_RSA_OAEP, PSH_HASH_SHA_256, 0, 0};
        psh_algorithm v15c = {PSH_ALG_RSA_PKCS1V15_CRYPT, PSH_HASH_ANY, 0, 0};
        a = attrs(PSH_KEY_TYPE_RSA_KEY_PAIR, 0, PSH_USAGE_ENCRYPT | PSH_USAGE_DECRYPT,
                  PSH_ALG_RSA_OAEP, PSH_HASH_SHA_256);
        CHECK_EQ_INT(psh_client_import_key(&c, "oaep", &a, priv, priv_len), PSH_SUCCESS);
        CHECK_EQ_INT(psa_pub(PSA_KEY_TYPE_RSA_PUBLIC_KEY, pub, pub_len,
                             PSA_ALG_RSA_OAEP(PSA_ALG_SHA_256), 0, (const uint8_t *)"hi", 2,
                             label_b, 5, out, &out_len), PSA_SUCCESS);
        CHECK_EQ_INT(psh_client_asymmetric_decrypt(&c, "oaep", &oaep, out, out_len, label_b, 5,
                                                   &got, &got_len), PSH_SUCCESS);
        CHECK_MEM(got, got_len, "hi", 2);
        psh_client_free_secret(got, got_len);
        CHECK_EQ_INT(psh_client_asymmetric_decrypt(&c, "oaep", &oaep, out, out_len,
                                                   (const uint8_t *)"other", 5, &got, &got_len),
                     PSH_ERR_PSA_INVALID_PADDING);
        CHECK_EQ_INT(psh_client_asymmetric_encrypt(&c, "oaep", &oaep, (const uint8_t *)"yo", 2,
                                                   NULL, 0, &sig, &sig_len), PSH_SUCCESS);
        CHECK_EQ_INT(psh_client_asymmetric_decrypt(&c, "oaep", &oaep, sig, sig_len, NULL, 0,
                                                   &got, &got_len), PSH_SUCCESS);
        CHECK_MEM(got, got_len, "yo", 2);
        psh_client_free_secret(got, got_len);
        psh_client_free(sig);
        sig = NULL;
        CHECK_EQ_INT(psh_client_asymmetric_decrypt(&c, "oaep", &v15c, out, out_len, NULL, 0,
                                                   &got, &got_len), PSH_ERR_PSA_NOT_PERMITTED);
        CHECK_EQ_INT(psh_client_sign_hash(&c, "oaep", &ECDSA256, hash, 32, &sig, &sig_len),
                     PSH_ERR_PSA_NOT_PERMITTED);
        a = attrs(PSH_KEY_TYPE_RSA_KEY_PAIR, 0, PSH_USAGE_ENCRYPT | PSH_USAGE_DECRYPT,
                  PSH_ALG_RSA_PKCS1V15_CRYPT, PSH_HASH_ANY);
        CHECK_EQ_INT(psh_client_import_key(&c, "v15", &a, priv, priv_len), PSH_SUCCESS);
        CHECK_EQ_INT(psh_client_asymmetric_encrypt(&c, "v15", &v15c, (const uint8_t *)"abc", 3,
                                                   NULL, 0, &sig, &sig_len), PSH_SUCCESS);
        CHECK_EQ_INT(psh_client_asymmetric_decrypt(&c, "v15", &v15c, sig, sig_len, NULL, 0, &got,
                                                   &got_len), PSH_SUCCESS);
        CHECK_MEM(got, got_len, "abc", 3);
        psh_client_free_secret(got, got_len);
        psh_client_free(sig);
        sig = NULL;
    }

    /* Keyless: digest on the token (SHA-256("abc"), FIPS 180-2), compare, random. */
    {
        static const uint8_t abc256[32] = {
            0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae,
            0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61,
            0xf2, 0x00, 0x15, 0xad};
        uint8_t bad[32];
        CHECK_EQ_INT(psh_client_hash_compute(&c, PSH_HASH_SHA_256, (const uint8_t *)"abc", 3,
                                             &got, &got_len), PSH_SUCCESS);
        CHECK_MEM(got, got_len, abc256, 32);
        psh_client_free(got);
        CHECK_EQ_INT(psh_client_hash_compare(&c, PSH_HASH_SHA_256, (const uint8_t *)"abc", 3,
                                             abc256, 32), PSH_SUCCESS);
        memcpy(bad, abc256, 32);
        bad[31] ^= 1;
        CHECK_EQ_INT(psh_client_hash_compare(&c, PSH_HASH_SHA_256, (const uint8_t *)"abc", 3,
                                             bad, 32), PSH_ERR_PSA_INVALID_SIGNATURE);
        CHECK_EQ_INT(psh_client_generate_random(&c, 100, &got, &got_len), PSH_SUCCESS);
        CHECK_EQ_INT(got_len, 100);
        psh_client_free_secret(got, got_len);
    }

    /* CanDoCrypto answers from what the provider maps to mechanisms. */
    a = attrs(PSH_KEY_TYPE_ECC_KEY_PAIR, 256, PSH_USAGE_SIGN_HASH, PSH_ALG_ECDSA, PSH_HASH_SHA_256);
    CHECK_EQ_INT(psh_client_can_do_crypto(&c, PSH_CAN_DO_GENERATE, &a), PSH_SUCCESS);
    a.alg.kind = PSH_ALG_DETERMINISTIC_ECDSA;
    CHECK_EQ_INT(psh_client_can_do_crypto(&c, PSH_CAN_DO_USE, &a), PSH_ERR_PSA_NOT_SUPPORTED);
    a = attrs(PSH_KEY_TYPE_AES, 128, PSH_USAGE_ENCRYPT, PSH_ALG_NONE, PSH_HASH_ANY);
    CHECK_EQ_INT(psh_client_can_do_crypto(&c, PSH_CAN_DO_GENERATE, &a), PSH_ERR_PSA_NOT_SUPPORTED);
    CHECK_EQ_INT(psh_client_generate_key(&c, "aes", &a), PSH_ERR_PSA_NOT_SUPPORTED);

    /* Session recovery: every session of the process closed on the token (and so logged
     * out); the next requests reopen and log in again. */
    REQUIRE(close_all_sessions() == 0);
    CHECK_EQ_INT(psh_client_sign_hash(&c, "ec", &ECDSA256, hash, 32, &sig, &sig_len), PSH_SUCCESS);
    psh_client_free(sig);
    sig = NULL;
    for (int i = 0; i < 8; i++) { /* every pooled session recovers, not only the first */
        CHECK_EQ_INT(psh_client_export_public_key(&c, "rsa", &got, &got_len), PSH_SUCCESS);
        psh_client_free(got);
    }

    /* Concurrent signers share the pool. */
    {
        pthread_t t[6];
        signer g[6];
        int total = 0;
        for (int i = 0; i < 6; i++) {
            g[i].s = &svc;
            g[i].ok = 0;
            pthread_create(&t[i], NULL, sign_loop, &g[i]);
        }
        for (int i = 0; i < 6; i++) {
            pthread_join(t[i], NULL);
            total += g[i].ok;
        }
        CHECK_EQ_INT(total, 6 * 15);
    }

    /* Concurrent creators, each searching for its new key while the others generate: every
     * round succeeds and the token holds as many private keys afterwards as before. */
    {
        pthread_t t[6];
        creator g[6];
        CK_SESSION_HANDLE ts;
        CK_FUNCTION_LIST_PTR f = token_open(&ts);
        CK_OBJECT_HANDLE objs[256];
        CK_ULONG nb;
        int total = 0;
        REQUIRE(f != NULL);
        nb = private_objects(f, ts, objs, 256);
        for (int i = 0; i < 6; i++) {
            g[i].s = &svc;
            g[i].id = i;
            g[i].ok = 0;
            pthread_create(&t[i], NULL, create_loop, &g[i]);
        }
        for (int i = 0; i < 6; i++) {
            pthread_join(t[i], NULL);
            total += g[i].ok;
        }
        CHECK_EQ_INT(total, 6 * CREATE_ROUNDS);
        CHECK_EQ_INT(private_objects(f, ts, objs, 256), nb);
        f->C_CloseSession(ts);
    }

    /* A second engine on the same module (shared, reference counted) with allow_export =
     * false refuses keys that ask to be exportable; the first engine keeps working after the
     * second is gone. */
    REQUIRE(service_start(&svc2, "b", 0) == 0);
    {
        psh_client c2;
        client_for(&c2, &svc2, "alice");
        a = attrs(PSH_KEY_TYPE_ECC_KEY_PAIR, 256, PSH_USAGE_SIGN_HASH | PSH_USAGE_EXPORT,
                  PSH_ALG_ECDSA, PSH_HASH_SHA_256);
        CHECK_EQ_INT(psh_client_generate_key(&c2, "x", &a), PSH_ERR_PSA_NOT_PERMITTED);
        a.usage = PSH_USAGE_SIGN_HASH;
        CHECK_EQ_INT(psh_client_generate_key(&c2, "x", &a), PSH_SUCCESS);
        CHECK_EQ_INT(psh_client_destroy_key(&c2, "x"), PSH_SUCCESS);
    }
    service_stop(&svc2);
    CHECK_EQ_INT(psh_client_sign_hash(&c, "ec", &ECDSA256, hash, 32, &sig, &sig_len), PSH_SUCCESS);
    psh_client_free(sig);
    sig = NULL;

    /* The handle cache: a key used once (its token handles now cached), then deleted with
     * C_DestroyObject behind the provider's back: every use is DoesNotExist, again and again
     * (no stale handle, no crash). The same objects re-created with the same CKA_ID: the key
     * works again, and its signature verifies under the original public key. */
    {
        CK_SESSION_HANDLE ts;
        CK_FUNCTION_LIST_PTR f = token_open(&ts);
        CK_OBJECT_HANDLE before[256], after[256], mine = CK_INVALID_HANDLE;
        CK_ULONG nb, na;
        uint8_t id[64];
        CK_ATTRIBUTE ida = {CKA_ID, id, sizeof id};
        REQUIRE(f != NULL);
        REQUIRE(psa_make(PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1), 256, priv, &priv_len,
                         pub, &pub_len) == 0);
        nb = private_objects(f, ts, before, 256);
        a = attrs(PSH_KEY_TYPE_ECC_KEY_PAIR, 256, PSH_USAGE_SIGN_HASH | PSH_USAGE_VERIFY_HASH,
                  PSH_ALG_ECDSA, PSH_HASH_SHA_256);
        CHECK_EQ_INT(psh_client_import_key(&c, "behind", &a, priv, priv_len), PSH_SUCCESS);
        na = private_objects(f, ts, after, 256);
        for (CK_ULONG i = 0; i < na; i++) {
            int old = 0;
            for (CK_ULONG j = 0; j < nb; j++)
                old |= after[i] == before[j];
            if (!old)
                mine = after[i];
        }
        REQUIRE(na == nb + 1 && mine != CK_INVALID_HANDLE);
        REQUIRE(f->C_GetAttributeValue(ts, mine, &ida, 1) == CKR_OK && ida.ulValueLen > 0 &&
                ida.ulValueLen <= sizeof id);
        for (int i = 0; i < 3; i++) { /* cached by now */
            CHECK_EQ_INT(psh_client_sign_hash(&c, "behind", &ECDSA256, hash, 32, &sig, &sig_len),
                         PSH_SUCCESS);
            CHECK_EQ_INT(psh_client_verify_hash(&c, "behind", &ECDSA256, hash, 32, sig, sig_len),
                         PSH_SUCCESS);
            psh_client_free(sig);
            sig = NULL;
        }
        CHECK_EQ_INT(destroy_by_id(f, ts, id, ida.ulValueLen), 2);
        for (int i = 0; i < 3; i++) {
            CHECK_EQ_INT(psh_client_sign_hash(&c, "behind", &ECDSA256, hash, 32, &sig, &sig_len),
                         PSH_ERR_PSA_DOES_NOT_EXIST);
            CHECK(sig == NULL);
            CHECK_EQ_INT(psh_client_verify_hash(&c, "behind", &ECDSA256, hash, 32, out, 64),
                         PSH_ERR_PSA_DOES_NOT_EXIST);
            CHECK_EQ_INT(psh_client_export_public_key(&c, "behind", &got, &got_len),
                         PSH_ERR_PSA_DOES_NOT_EXIST);
        }
        REQUIRE(create_p256(f, ts, id, ida.ulValueLen, priv, pub) == 0);
        CHECK_EQ_INT(psh_client_sign_hash(&c, "behind", &ECDSA256, hash, 32, &sig, &sig_len),
                     PSH_SUCCESS);
        CHECK_EQ_INT(psa_pub(PSA_KEY_TYPE_ECC_PUBLIC_KEY(PSA_ECC_FAMILY_SECP_R1), pub, pub_len,
                             PSA_ALG_ECDSA(PSA_ALG_SHA_256), 1, hash, 32, sig, sig_len, NULL,
                             NULL), PSA_SUCCESS);
        CHECK_EQ_INT(psh_client_verify_hash(&c, "behind", &ECDSA256, hash, 32, sig, sig_len),
                     PSH_SUCCESS);
        psh_client_free(sig);
        sig = NULL;
        CHECK_EQ_INT(psh_client_export_public_key(&c, "behind", &got, &got_len), PSH_SUCCESS);
        CHECK_MEM(got, got_len, pub, pub_len);
        psh_client_free(got);
        /* Swapped behind a cached handle once more, now for a different key under the same
         * CKA_ID: the provider must follow the token, never the old handle. */
        CHECK_EQ_INT(destroy_by_id(f, ts, id, ida.ulValueLen), 2);
        REQUIRE(psa_make(PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1), 256, priv, &priv_len,
                         pub, &pub_len) == 0);
        REQUIRE(create_p256(f, ts, id, ida.ulValueLen, priv, pub) == 0);
        CHECK_EQ_INT(psh_client_sign_hash(&c, "behind", &ECDSA256, hash, 32, &sig, &sig_len),
                     PSH_SUCCESS);
        CHECK_EQ_INT(psa_pub(PSA_KEY_TYPE_ECC_PUBLIC_KEY(PSA_ECC_FAMILY_SECP_R1), pub, pub_len,
                             PSA_ALG_ECDSA(PSA_ALG_SHA_256), 1, hash, 32, sig, sig_len, NULL,
                             NULL), PSA_SUCCESS);
        psh_client_free(sig);
        sig = NULL;
        /* Our own destroy forgets the handles: the name is free and a new key under it works. */
        CHECK_EQ_INT(psh_client_destroy_key(&c, "behind"), PSH_SUCCESS);
        CHECK_EQ_INT(psh_client_sign_hash(&c, "behind", &ECDSA256, hash, 32, &sig, &sig_len),
                     PSH_ERR_PSA_DOES_NOT_EXIST);
        a = attrs(PSH_KEY_TYPE_ECC_KEY_PAIR, 256, PSH_USAGE_SIGN_HASH, PSH_ALG_ECDSA,
                  PSH_HASH_SHA_256);
        CHECK_EQ_INT(psh_client_generate_key(&c, "behind", &a), PSH_SUCCESS);
        CHECK_EQ_INT(psh_client_sign_hash(&c, "behind", &ECDSA256, hash, 32, &sig, &sig_len),
                     PSH_SUCCESS);
        psh_client_free(sig);
        sig = NULL;
        CHECK_EQ_INT(psh_client_destroy_key(&c, "behind"), PSH_SUCCESS);
        f->C_CloseSession(ts);
    }

    /* Destroy, then the name is free again. */
    CHECK_EQ_INT(psh_client_destroy_key(&c, "ec"), PSH_SUCCESS);
    CHECK_EQ_INT(psh_client_sign_hash(&c, "ec", &ECDSA256, hash, 32, &sig, &sig_len),
                 PSH_ERR_PSA_DOES_NOT_EXIST);
    service_stop(&svc);

    snprintf(cmd, sizeof cmd, "%s/../../scripts/softhsm-token stop %s/token; rm -rf %s", argv[1],
             dir, dir);
    CHECK(system(cmd) == 0);
    CHECK_DONE();
}
