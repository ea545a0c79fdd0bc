/* PKCS#11 benchmark: ECDSA P-256 and RSA-2048 sign ops/s through psh-service (Pkcs11 provider
 * on a SoftHSM2 token), with 1 client and with 4 concurrent clients, next to a direct
 * C_SignInit + C_Sign loop on the same token in the same run, and the overhead ratio
 * (direct ops/s / service ops/s; the target is < 1.2). Prints figures; asserts nothing.
 *
 * usage: bench_pkcs11 [--service PATH] [--seconds N]
 * The token comes from scripts/softhsm-token (found next to this source file) in a temp dir. */
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <p11-kit/pkcs11.h>

#include "psh/client.h"

static char dir[64], lib[256], label[64], pin[64], sock[128];
static double seconds = 2.0;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

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

static pid_t start_service(const char *service)
{
    char conf[128];
    FILE *f;
    pid_t pid;
    psh_client c;

    snprintf(conf, sizeof conf, "%s/config.toml", dir);
    snprintf(sock, sizeof sock, "%s/parsec.sock", dir);
    if ((f = fopen(conf, "w")) == NULL)
        return -1;
    fprintf(f,
            "[core_settings]\nallow_root = true\nthread_pool_size = 4\n\n"
            "[listener]\nlistener_type = \"DomainSocket\"\ntimeout = 2000\nsocket_path = \"%s\"\n\n"
            "[authenticator]\nauth_type = \"Direct\"\n\n"
            "[[key_manager]]\nname = \"k\"\nmanager_type = \"SQLite\"\nsqlite_db_path = \"%s/kim.db\"\n\n"
            "[[provider]]\nprovider_type = \"Pkcs11\"\nkey_info_manager = \"k\"\n"
            "library_path = \"%s\"\ntoken_label = \"%s\"\nuser_pin = \"%s\"\n",
            sock, dir, lib, label, pin);
    fclose(f);
    pid = fork();
    if (pid == 0) {
        execl(service, service, "--config", conf, (char *)NULL);
        _exit(127);
    }
    psh_client_init(&c);
    psh_client_set_endpoint(&c, sock);
    c.auth_type = PSH_AUTH_NONE;
    for (int i = 0; i < 200; i++) {
        uint8_t maj, min;
        if (psh_client_ping(&c, &maj, &min) == PSH_SUCCESS)
            return pid;
        usleep(50000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
}

/* ---- through the service -------------------------------------------------------------------- */

typedef struct run {
    const char *key;
    psh_algorithm alg;
    double until;
    long ops;
    int errors;
} run;

static void *service_loop(void *arg)
{
    run *r = arg;
    psh_client c;
    uint8_t hash[32] = {0x42};
    psh_client_init(&c);
    psh_client_set_endpoint(&c, sock);
    c.auth_type = PSH_AUTH_DIRECT;
    snprintf(c.app_name, sizeof c.app_name, "bench");
    c.provider = 2;
    while (now_s() < r->until) {
        uint8_t *sig = NULL;
        size_t n = 0;
        if (psh_client_sign_hash(&c, r->key, &r->alg, hash, sizeof hash, &sig, &n) == PSH_SUCCESS)
            r->ops++;
        else
            r->errors++;
        psh_client_free(sig);
    }
    return NULL;
}

static double service_ops(const char *key, psh_alg_kind kind, int threads)
{
    pthread_t t[8];
    run r[8];
    double start = now_s();
    long total = 0;
    int errors = 0;
    for (int i = 0; i < threads; i++) {
        memset(&r[i], 0, sizeof r[i]);
        r[i].key = key;
        r[i].alg.kind = kind;
        r[i].alg.hash = PSH_HASH_SHA_256;
        r[i].until = start + seconds;
        pthread_create(&t[i], NULL, service_loop, &r[i]);
    }
    for (int i = 0; i < threads; i++) {
        pthread_join(t[i], NULL);
        total += r[i].ops;
        errors += r[i].errors;
    }
    if (errors)
        fprintf(stderr, "bench_pkcs11: %d failed requests\n", errors);
    return (double)total / (now_s() - start);
}

/* ---- direct on the token --------------------------------------------------------------------- */

typedef struct direct {
    CK_FUNCTION_LIST_PTR f;
    CK_SLOT_ID slot;
    int ec;
    double rate; /* ops/s, timed after the thread's key generation */
} direct;

static void *direct_loop(void *arg)
{
    direct *d = arg;
    CK_SESSION_HANDLE s;
    CK_OBJECT_HANDLE pub, priv;
    CK_BBOOL yes = CK_TRUE;
    CK_ULONG bits = 2048;
    uint8_t f4[] = {1, 0, 1}, p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
    CK_ATTRIBUTE pt_ec[] = {{CKA_EC_PARAMS, p256, sizeof p256}, {CKA_VERIFY, &yes, 1}};
    CK_ATTRIBUTE pt_rsa[] = {{CKA_MODULUS_BITS, &bits, sizeof bits}, {CKA_PUBLIC_EXPONENT, f4, 3},
                             {CKA_VERIFY, &yes, 1}};
    CK_ATTRIBUTE vt[] = {{CKA_SIGN, &yes, 1}, {CKA_SENSITIVE, &yes, 1}};
    CK_MECHANISM gen = {d->ec ? CKM_EC_KEY_PAIR_GEN : CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0};
    CK_MECHANISM mech = {d->ec ? CKM_ECDSA : CKM_RSA_PKCS, NULL, 0};
    /* RSA signs DigestInfo(SHA-256) || hash, as the provider does; ECDSA the bare hash. */
    uint8_t in[51] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                      0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
    uint8_t sig[512];

    if (d->f->C_OpenSession(d->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s) != CKR_OK)
        return NULL;
    if (d->f->C_GenerateKeyPair(s, &gen, d->ec ? pt_ec : pt_rsa, d->ec ? 2 : 3, vt, 2, &pub,
                                &priv) != CKR_OK) {
        d->f->C_CloseSession(s);
        return NULL;
    }
    double start = now_s(), t = start;
    long ops = 0;
    while ((t = now_s()) < start + seconds) {
        CK_ULONG n = sizeof sig;
        if (d->f->C_SignInit(s, &mech, priv) != CKR_OK ||
            d->f->C_Sign(s, d->ec ? in + 19 : in, d->ec ? 32 : 51, sig, &n) != CKR_OK)
            break;
        ops++;
    }
    d->rate = (double)ops / (t - start);
    d->f->C_CloseSession(s);
    return NULL;
}

static double direct_ops(CK_FUNCTION_LIST_PTR f, CK_SLOT_ID slot, int ec, int threads)
{
    pthread_t t[8];
    direct d[8];
    double total = 0;
    for (int i = 0; i < threads; i++) {
        d[i] = (direct){f, slot, ec, 0};
        pthread_create(&t[i], NULL, direct_loop, &d[i]);
    }
    for (int i = 0; i < threads; i++) {
        pthread_join(t[i], NULL);
        total += d[i].rate;
    }
    return total;
}

static int open_token(CK_FUNCTION_LIST_PTR *f, CK_SLOT_ID *slot)
{
    void *dl = dlopen(lib, RTLD_NOW);
    CK_C_GetFunctionList get = NULL;
    CK_C_INITIALIZE_ARGS args;
    CK_SLOT_ID slots[16];
    CK_ULONG n = 16;
    CK_SESSION_HANDLE s;
    if (dl == NULL)
        return -1;
    *(void **)&get = dlsym(dl, "C_GetFunctionList");
    memset(&args, 0, sizeof args);
    args.flags = CKF_OS_LOCKING_OK;
    if (get == NULL || get(f) != CKR_OK || (*f)->C_Initialize(&args) != CKR_OK ||
        (*f)->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK || n == 0)
        return -1;
    for (CK_ULONG i = 0; i < n; i++) {
        CK_TOKEN_INFO ti;
        if ((*f)->C_GetTokenInfo(slots[i], &ti) == CKR_OK && (ti.flags & CKF_TOKEN_INITIALIZED) &&
            strncmp((const char *)ti.label, label, strlen(label)) == 0) {
            *slot = slots[i];
            if ((*f)->C_OpenSession(*slot, CKF_SERIAL_SESSION, NULL, NULL, &s) != CKR_OK ||
                (*f)->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin)) != CKR_OK)
                return -1;
            return 0; /* the session stays open: it holds the login */
        }
    }
    return -1;
}

int main(int argc, char **argv)
{
    char service[PATH_MAX], cmd[PATH_MAX + 256], src[PATH_MAX];
    CK_FUNCTION_LIST_PTR f = NULL;
    CK_SLOT_ID slot = 0;
    pid_t pid;
    psh_client c;
    psh_key_attributes a;
    char *slash;

    snprintf(service, sizeof service, "%s", argv[0]);
    slash = strrchr(service, '/');
    snprintf(slash ? slash + 1 : service, sizeof service - (size_t)(slash ? slash + 1 - service : 0),
             "../engine/psh-service");
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--service") == 0 && i + 1 < argc)
            snprintf(service, sizeof service, "%s", argv[++i]);
        else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
            seconds = atof(argv[++i]);
    }
    snprintf(src, sizeof src, "%s", __FILE__);
    if ((slash = strrchr(src, '/')) != NULL)
        *slash = '\0';
    snprintf(dir, sizeof dir, "/tmp/psh-p11b.XXXXXX");
    if (mkdtemp(dir) == NULL)
        return 1;
    snprintf(cmd, sizeof cmd, "%s/../scripts/softhsm-token start %s/token >/dev/null", src, dir);
    if (system(cmd) != 0 || read_env() != 0) {
        fprintf(stderr, "bench_pkcs11: no SoftHSM token (scripts/softhsm-token)\n");
        return 1;
    }
    if ((pid = start_service(service)) < 0) {
        fprintf(stderr, "bench_pkcs11: %s did not start\n", service);
        return 1;
    }
    psh_client_init(&c);
    psh_client_set_endpoint(&c, sock);
    c.auth_type = PSH_AUTH_DIRECT;
    snprintf(c.app_name, sizeof c.app_name, "bench");
    c.provider = 2;
    memset(&a, 0, sizeof a);
    a.type = PSH_KEY_TYPE_ECC_KEY_PAIR;
    a.family = PSH_ECC_FAMILY_SECP_R1;
    a.bits = 256;
    a.usage = PSH_USAGE_SIGN_HASH;
    a.alg.kind = PSH_ALG_ECDSA;
    a.alg.hash = PSH_HASH_SHA_256;
    if (psh_client_generate_key(&c, "ec", &a) != PSH_SUCCESS)
        fprintf(stderr, "bench_pkcs11: ECDSA key not created\n");
    a.type = PSH_KEY_TYPE_RSA_KEY_PAIR;
    a.family = 0;
    a.bits = 2048;
    a.alg.kind = PSH_ALG_RSA_PKCS1V15_SIGN;
    if (psh_client_generate_key(&c, "rsa", &a) != PSH_SUCCESS)
        fprintf(stderr, "bench_pkcs11: RSA key not created\n");
    if (open_token(&f, &slot) != 0) {
        fprintf(stderr, "bench_pkcs11: cannot open the token directly\n");
        return 1;
    }

    printf("bench_pkcs11: SoftHSM2 token, %.1f s per figure\n", seconds);
    printf("%-16s %8s %14s %14s %8s\n", "operation", "clients", "service ops/s", "direct ops/s",
           "ratio");
    for (int ec = 1; ec >= 0; ec--) {
        for (int threads = 1; threads <= 4; threads += 3) {
            double sv = service_ops(ec ? "ec" : "rsa",
                                    ec ? PSH_ALG_ECDSA : PSH_ALG_RSA_PKCS1V15_SIGN, threads);
            double dr = direct_ops(f, slot, ec, threads);
            printf("%-16s %8d %14.0f %14.0f %7.2fx\n", ec ? "ECDSA P-256" : "RSA-2048 v1.5",
                   threads, sv, dr, sv > 0 ? dr / sv : 0.0);
            fflush(stdout);
        }
    }
    printf("ratio = direct / service (overhead of socket, wire, policy, KIM lookup, C_FindObjects)\n");
    f->C_Finalize(NULL);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    snprintf(cmd, sizeof cmd, "%s/../scripts/softhsm-token stop %s/token; rm -rf %s", src, dir, dir);
    return system(cmd) == 0 ? 0 : 1;
}
