/* PKCS#11 benchmark: ECDSA P-256 and RSA-2048 sign ops/s through psh-service (Pkcs11 provider
 * on a SoftHSM2 token), with 1 client and with 4 concurrent clients, next to a direct
 * C_SignInit + C_Sign loop on the same token in the same run, and the overhead ratio
 * (direct ops/s / service ops/s; the target is < 1.2). Prints figures; asserts nothing.
 *
 * On a shared, loaded machine one long measurement per side mostly compares the load at two
 * moments; so each figure is several short rounds with the service and the direct loop taking
 * turns (alternating which goes first), and the medians are printed with the spread of the
 * per-round ratios. Each service request is one connection, as Parsec clients make.
 *
 * usage: bench_pkcs11 [--service PATH] [--seconds S per round and side] [--rounds N]
 *                     [--extra-keys N (more ECC keys on the token, unused; default 0)]
 * The token comes from scripts/softhsm-token (found next to this source file) in a temp dir. */
#include <dirent.h>
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
static pid_t service_pid;
#define MAX_THREADS 4
#define MAX_ROUNDS 64
static double seconds = 0.5; /* per round and side */
static int rounds = 9;
static int extra_keys; /* more keys on the token: a search's cost grows with them */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double thread_cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of every thread of a process so far (/proc/PID/task/TID/schedstat, first field in
 * ns), so the server's share of a request can be told from the client's. */
static double process_cpu_s(pid_t pid)
{
    char path[64], entry[128];
    unsigned long long ns, total = 0;
    struct dirent *e;
    DIR *d;
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    if ((d = opendir(path)) == NULL)
        return 0;
    while ((e = readdir(d)) != NULL) {
        FILE *f;
        if (e->d_name[0] == '.')
            continue;
        snprintf(entry, sizeof entry, "%s/%.32s/schedstat", path, e->d_name);
        if ((f = fopen(entry, "r")) == NULL)
            continue;
        if (fscanf(f, "%llu", &ns) == 1)
            total += ns;
        fclose(f);
    }
    closedir(d);
    return (double)total / 1e9;
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
    double cpu; /* this client thread's CPU seconds */
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
    c.provider = 2; /* as a client that knows its provider: one round trip per signature */
    r->cpu = thread_cpu_s();
    while (now_s() < r->until) {
        uint8_t *sig = NULL, maj, min;
        size_t n = 0;
        psh_status st = r->key == NULL ? psh_client_ping(&c, &maj, &min)
                                       : psh_client_sign_hash(&c, r->key, &r->alg, hash,
                                                              sizeof hash, &sig, &n);
        if (st == PSH_SUCCESS)
            r->ops++;
        else
            r->errors++;
        psh_client_free(sig);
    }
    r->cpu = thread_cpu_s() - r->cpu;
    return NULL;
}

/* ops/s; *server_us and *client_us: CPU microseconds per signature in psh-service and in the
 * client threads. key NULL: Ping instead (one connection, no token work). */
static double service_ops(const char *key, psh_alg_kind kind, int threads, double *server_us,
                          double *client_us)
{
    pthread_t t[MAX_THREADS];
    run r[MAX_THREADS];
    double start = now_s(), server = process_cpu_s(service_pid), client = 0;
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
        client += r[i].cpu;
    }
    server = process_cpu_s(service_pid) - server;
    if (errors)
        fprintf(stderr, "bench_pkcs11: %d failed requests\n", errors);
    *server_us = total ? 1e6 * server / (double)total : 0;
    *client_us = total ? 1e6 * client / (double)total : 0;
    return (double)total / (now_s() - start);
}

/* ---- direct on the token --------------------------------------------------------------------- */

/* One direct signer: its own session and key pair, made once (outside the timing) and reused
 * by every round, as the service reuses its pooled sessions and token key. */
typedef struct direct {
    CK_FUNCTION_LIST_PTR f;
    CK_SESSION_HANDLE s;
    CK_OBJECT_HANDLE priv;
    int ec;
    double until;
    long ops;
    double cpu;
} direct;

static int direct_setup(direct *d, CK_FUNCTION_LIST_PTR f, CK_SLOT_ID slot, int ec)
{
    CK_OBJECT_HANDLE pub;
    CK_BBOOL yes = CK_TRUE;
    CK_ULONG bits = 2048;
    uint8_t f4[] = {1, 0, 1}, p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
    CK_ATTRIBUTE pt_ec[] = {{CKA_EC_PARAMS, p256, sizeof p256}, {CKA_VERIFY, &yes, 1}};
    CK_ATTRIBUTE pt_rsa[] = {{CKA_MODULUS_BITS, &bits, sizeof bits}, {CKA_PUBLIC_EXPONENT, f4, 3},
                             {CKA_VERIFY, &yes, 1}};
    CK_ATTRIBUTE vt[] = {{CKA_SIGN, &yes, 1}, {CKA_SENSITIVE, &yes, 1}};
    CK_MECHANISM gen = {ec ? CKM_EC_KEY_PAIR_GEN : CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0};

    memset(d, 0, sizeof *d);
    d->f = f;
    d->ec = ec;
    if (f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &d->s) != CKR_OK)
        return -1;
    if (f->C_GenerateKeyPair(d->s, &gen, ec ? pt_ec : pt_rsa, ec ? 2 : 3, vt, 2, &pub,
                             &d->priv) != CKR_OK) {
        f->C_CloseSession(d->s);
        return -1;
    }
    return 0;
}

/* C_SignInit + C_Sign per signature, the least any caller of the token does. */
static void *direct_loop(void *arg)
{
    direct *d = arg;
    CK_MECHANISM mech = {d->ec ? CKM_ECDSA : CKM_RSA_PKCS, NULL, 0};
    /* RSA signs DigestInfo(SHA-256) || hash, as the provider does; ECDSA the bare hash. */
    uint8_t in[51] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                      0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20, 0x42};
    uint8_t sig[512];

    d->ops = 0;
    d->cpu = thread_cpu_s();
    while (now_s() < d->until) {
        CK_ULONG n = sizeof sig;
        if (d->f->C_SignInit(d->s, &mech, d->priv) != CKR_OK ||
            d->f->C_Sign(d->s, d->ec ? in + 19 : in, d->ec ? 32 : 51, sig, &n) != CKR_OK)
            break;
        d->ops++;
    }
    d->cpu = thread_cpu_s() - d->cpu;
    return NULL;
}

/* ops/s; *cpu_us: CPU microseconds per signature. */
static double direct_ops(direct *d, int threads, double *cpu_us)
{
    pthread_t t[MAX_THREADS];
    double start = now_s(), cpu = 0;
    long total = 0;
    for (int i = 0; i < threads; i++) {
        d[i].until = start + seconds;
        pthread_create(&t[i], NULL, direct_loop, &d[i]);
    }
    for (int i = 0; i < threads; i++) {
        pthread_join(t[i], NULL);
        total += d[i].ops;
        cpu += d[i].cpu;
    }
    *cpu_us = total ? 1e6 * cpu / (double)total : 0;
    return (double)total / (now_s() - start);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof v[0], cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
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
        else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
            rounds = atoi(argv[++i]);
        else if (strcmp(argv[i], "--extra-keys") == 0 && i + 1 < argc)
            extra_keys = atoi(argv[++i]);
    }
    if (rounds < 1 || rounds > MAX_ROUNDS || !(seconds > 0) || extra_keys < 0 ||
        extra_keys > 1000) {
        fprintf(stderr, "usage: bench_pkcs11 [--service PATH] [--seconds S] [--rounds 1..%d] "
                "[--extra-keys 0..1000]\n", MAX_ROUNDS);
        return 2;
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
    service_pid = pid;
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
    a.type = PSH_KEY_TYPE_ECC_KEY_PAIR;
    a.family = PSH_ECC_FAMILY_SECP_R1;
    a.bits = 256;
    a.alg.kind = PSH_ALG_ECDSA;
    for (int i = 0; i < extra_keys; i++) {
        char name[32];
        snprintf(name, sizeof name, "extra-%d", i);
        if (psh_client_generate_key(&c, name, &a) != PSH_SUCCESS) {
            fprintf(stderr, "bench_pkcs11: extra key %d not created\n", i);
            break;
        }
    }
    if (open_token(&f, &slot) != 0) {
        fprintf(stderr, "bench_pkcs11: cannot open the token directly\n");
        return 1;
    }

    printf("bench_pkcs11: SoftHSM2 token with %d service keys, %d rounds of %.2f s per side and "
           "figure, service and direct alternating\n", 2 + extra_keys, rounds, seconds);
    printf("%-14s %7s %13s %13s %7s %13s | %22s\n", "", "", "", "", "", "",
           "CPU us per signature");
    printf("%-14s %7s %13s %13s %7s %13s | %7s %7s %6s\n", "operation", "clients",
           "service ops/s", "direct ops/s", "ratio", "round ratios", "server", "client", "direct");
    double direct_ec1 = 0;
    for (int ec = 1; ec >= 0; ec--) {
        const char *key = ec ? "ec" : "rsa";
        psh_alg_kind kind = ec ? PSH_ALG_ECDSA : PSH_ALG_RSA_PKCS1V15_SIGN;
        direct d[MAX_THREADS];
        int ready = 0;
        for (; ready < MAX_THREADS; ready++)
            if (direct_setup(&d[ready], f, slot, ec) != 0)
                break;
        if (ready < MAX_THREADS) {
            fprintf(stderr, "bench_pkcs11: direct key generation failed\n");
            return 1;
        }
        for (int threads = 1; threads <= MAX_THREADS; threads += 3) {
            double sv[MAX_ROUNDS], dr[MAX_ROUNDS], ratio[MAX_ROUNDS];
            double srv_us[MAX_ROUNDS], cli_us[MAX_ROUNDS], dir_us[MAX_ROUNDS];
            for (int r = 0; r < rounds; r++) {
                /* Alternate which side goes first, so a drift in machine load hits both. */
                if (r % 2 == 0)
                    sv[r] = service_ops(key, kind, threads, &srv_us[r], &cli_us[r]);
                dr[r] = direct_ops(d, threads, &dir_us[r]);
                if (r % 2 == 1)
                    sv[r] = service_ops(key, kind, threads, &srv_us[r], &cli_us[r]);
                ratio[r] = sv[r] > 0 ? dr[r] / sv[r] : 0.0;
            }
            /* Figures are medians over the rounds; the ratio is the median of per-round
             * ratios (each pairs two neighbouring measurements), with their range. */
            double lo = ratio[0], hi = ratio[0];
            for (int r = 1; r < rounds; r++) {
                lo = ratio[r] < lo ? ratio[r] : lo;
                hi = ratio[r] > hi ? ratio[r] : hi;
            }
            double msv = median(sv, rounds), mdr = median(dr, rounds);
            if (ec && threads == 1)
                direct_ec1 = mdr;
            printf("%-14s %7d %13.0f %13.0f %6.2fx %6.2f..%5.2fx | %7.0f %7.0f %6.0f\n",
                   ec ? "ECDSA P-256" : "RSA-2048 v1.5", threads, msv, mdr,
                   median(ratio, rounds), lo, hi, median(srv_us, rounds), median(cli_us, rounds),
                   median(dir_us, rounds));
            fflush(stdout);
        }
        for (int i = 0; i < MAX_THREADS; i++)
            f->C_CloseSession(d[i].s);
    }
    {
        /* The floor under any 1-client figure: a request with no token work still costs one
         * connection and round trip, so ratio >= 1 + direct ops/s / Ping ops/s. */
        double pv[MAX_ROUNDS], srv_us[MAX_ROUNDS], cli_us[MAX_ROUNDS];
        for (int r = 0; r < rounds; r++)
            pv[r] = service_ops(NULL, PSH_ALG_ECDSA, 1, &srv_us[r], &cli_us[r]);
        double mp = median(pv, rounds);
        printf("%-14s %7d %13.0f %13s %7s %13s | %7.0f %7.0f %6s\n", "Ping", 1, mp, "-", "-", "-",
               median(srv_us, rounds), median(cli_us, rounds), "-");
        if (mp > 0 && direct_ec1 > 0)
            printf("1-client ECDSA floor from the round trip alone: %.2fx (1 + %.0f / %.0f)\n",
                   1 + direct_ec1 / mp, direct_ec1, mp);
    }
    printf("ratio = direct ops/s / service ops/s. Service requests: one connection each, wire, "
           "auth, KIM lookup, policy, pooled session, cached token object handle.\n"
           "CPU: psh-service threads and bench client threads per service signature; the "
           "direct loop's thread per direct signature.\n");
    f->C_Finalize(NULL);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    snprintf(cmd, sizeof cmd, "%s/../scripts/softhsm-token stop %s/token; rm -rf %s", src, dir, dir);
    return system(cmd) == 0 ? 0 : 1;
}
