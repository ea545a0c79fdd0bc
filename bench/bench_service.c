/* Service benchmark: Ping requests/s and latency over the socket with 1 and 8 clients, next
 * to a bare baseline server measured in the same run (accept, read 36 bytes, reply, close:
 * the most any one-request-per-connection service can do here), and ECDSA P-256 sign ops/s
 * through psh-service next to a direct psa_sign_hash loop. Prints figures; asserts nothing.
 *
 * usage: bench_service [--service PATH] [--seconds N] */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <psa/crypto.h>

#include "psa_generate_key.pb-c.h"
#include "psa_sign_hash.pb-c.h"
#include "wire/wire.h"
#include "bench_common.h"

static const uint8_t PING_RESP[38] = {0x10, 0xa7, 0xc0, 0x5e, 0x1e, 0, 1, 0, 0, 0, 0, 0, 0,
                                      0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0,
                                      0, 0, 0, 0, 0, 0, 0x08, 0x01};

/* The spec 1.6 Ping request (empty body). */
static const uint8_t PING_REQ[36] = {0x10, 0xa7, 0xc0, 0x5e, 0x1e, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                     0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0};

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0) {
            if (w < 0 && errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int read_all(int fd, uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r <= 0) {
            if (r < 0 && errno == EINTR)
                continue;
            return -1;
        }
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static int connect_unix(const char *path)
{
    struct sockaddr_un a;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    if (fd >= 0 && strlen(path) >= sizeof a.sun_path) {
        close(fd);
        return -1;
    }
    if (fd >= 0)
        memcpy(a.sun_path, path, strlen(path) + 1);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

/* One request/response over a fresh connection; the reply body (if any) goes to body. */
static int transact(const char *path, const uint8_t *req, size_t len, uint16_t *status,
                    uint8_t *body, size_t body_size, size_t *body_len)
{
    uint8_t hdr[36];
    psh_wire_header h;
    int fd = connect_unix(path), rc = -1;
    if (fd < 0)
        return -1;
    if (write_all(fd, req, len) == 0 && read_all(fd, hdr, 36) == 0 &&
        psh_wire_header_decode(hdr, 36, &h) == 0 && h.body_len <= body_size &&
        read_all(fd, body, h.body_len) == 0) {
        *status = h.status;
        if (body_len)
            *body_len = h.body_len;
        rc = 0;
    }
    close(fd);
    return rc;
}

/* --- the bare baseline server ---------------------------------------------------------- */
static volatile int bare_stop;

static void *bare_server(void *arg)
{
    int lfd = *(int *)arg;
    while (!bare_stop) {
        uint8_t hdr[36];
        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
            continue;
        if (read_all(fd, hdr, sizeof hdr) == 0)
            write_all(fd, PING_RESP, sizeof PING_RESP);
        close(fd);
    }
    return NULL;
}

/* --- load generation ------------------------------------------------------------------- */
typedef struct load {
    const char *path;
    const uint8_t *req;
    size_t req_len;
    double until;
    double *lat; /* owned by the caller */
    size_t cap, n;
    size_t errors;
} load;

static void *client_loop(void *arg)
{
    load *l = arg;
    uint8_t body[4096];
    while (now_s() < l->until) {
        uint16_t st = 0;
        double t0 = now_s();
        if (transact(l->path, l->req, l->req_len, &st, body, sizeof body, NULL) != 0 || st != 0)
            l->errors++;
        else if (l->n < l->cap)
            l->lat[l->n++] = now_s() - t0;
    }
    return NULL;
}

typedef struct figures {
    double rate, p50_us, p99_us;
    size_t errors;
} figures;

static figures run_load(const char *path, const uint8_t *req, size_t req_len, int clients,
                        double seconds)
{
    pthread_t th[64];
    load l[64];
    figures f = {0, 0, 0, 0};
    size_t total = 0, k = 0;
    double *all;
    double start = now_s();

    for (int i = 0; i < clients; i++) {
        l[i] = (load){path, req, req_len, start + seconds, malloc(2000000 * sizeof(double)),
                      2000000, 0, 0};
        pthread_create(&th[i], NULL, client_loop, &l[i]);
    }
    for (int i = 0; i < clients; i++) {
        pthread_join(th[i], NULL);
        total += l[i].n;
        f.errors += l[i].errors;
    }
    double elapsed = now_s() - start;
    all = malloc((total ? total : 1) * sizeof(double));
    for (int i = 0; i < clients; i++) {
        memcpy(all + k, l[i].lat, l[i].n * sizeof(double));
        k += l[i].n;
        free(l[i].lat);
    }
    qsort(all, total, sizeof(double), cmp_double);
    f.rate = (double)total / elapsed;
    if (total) {
        f.p50_us = all[total / 2] * 1e6;
        f.p99_us = all[(size_t)((double)total * 0.99)] * 1e6;
    }
    free(all);
    return f;
}

/* --- frames ------------------------------------------------------------------------------- */
static uint8_t *frame_for(uint8_t provider, uint32_t opcode, const ProtobufCMessage *body,
                          size_t *len)
{
    psh_wire_header h;
    uint8_t b[512], *f;
    size_t blen = body ? protobuf_c_message_pack(body, b) : 0;
    uint32_t uid = (uint32_t)getuid();
    uint8_t auth[4] = {(uint8_t)uid, (uint8_t)(uid >> 8), (uint8_t)(uid >> 16), (uint8_t)(uid >> 24)};
    memset(&h, 0, sizeof h);
    h.magic = PSH_WIRE_MAGIC;
    h.hdr_size = 30;
    h.version_maj = 1;
    h.provider = provider;
    h.opcode = opcode;
    h.auth_type = 3;
    h.auth_len = 4;
    h.body_len = (uint32_t)blen;
    f = malloc(36 + blen + 4);
    psh_wire_header_encode(&h, f);
    memcpy(f + 36, b, blen);
    memcpy(f + 36 + blen, auth, 4);
    *len = 36 + blen + 4;
    return f;
}

static PsaAlgorithm__Algorithm__AsymmetricSignature__SignHash g_sh = PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_SIGNATURE__SIGN_HASH__INIT;
static PsaAlgorithm__Algorithm__AsymmetricSignature__Ecdsa g_ecdsa = PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_SIGNATURE__ECDSA__INIT;
static PsaAlgorithm__Algorithm__AsymmetricSignature g_sig = PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_SIGNATURE__INIT;

static void init_ecdsa_alg(void)
{
    g_sh.variant_case = PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_SIGNATURE__SIGN_HASH__VARIANT_SPECIFIC;
    g_sh.specific = PSA_ALGORITHM__ALGORITHM__HASH__SHA_256;
    g_ecdsa.hash_alg = &g_sh;
    g_sig.variant_case = PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_SIGNATURE__VARIANT_ECDSA;
    g_sig.ecdsa = &g_ecdsa;
}

static uint8_t *generate_frame(size_t *len)
{
    PsaKeyAttributes__KeyType__EccKeyPair ecc = PSA_KEY_ATTRIBUTES__KEY_TYPE__ECC_KEY_PAIR__INIT;
    PsaKeyAttributes__KeyType type = PSA_KEY_ATTRIBUTES__KEY_TYPE__INIT;
    PsaKeyAttributes__UsageFlags usage = PSA_KEY_ATTRIBUTES__USAGE_FLAGS__INIT;
    PsaAlgorithm__Algorithm alg = PSA_ALGORITHM__ALGORITHM__INIT;
    PsaKeyAttributes__KeyPolicy policy = PSA_KEY_ATTRIBUTES__KEY_POLICY__INIT;
    PsaKeyAttributes__KeyAttributes attrs = PSA_KEY_ATTRIBUTES__KEY_ATTRIBUTES__INIT;
    PsaGenerateKey__Operation op = PSA_GENERATE_KEY__OPERATION__INIT;
    ecc.curve_family = PSA_KEY_ATTRIBUTES__KEY_TYPE__ECC_FAMILY__SECP_R1;
    type.variant_case = PSA_KEY_ATTRIBUTES__KEY_TYPE__VARIANT_ECC_KEY_PAIR;
    type.ecc_key_pair = &ecc;
    usage.sign_hash = usage.verify_hash = 1;
    alg.variant_case = PSA_ALGORITHM__ALGORITHM__VARIANT_ASYMMETRIC_SIGNATURE;
    alg.asymmetric_signature = &g_sig;
    policy.key_usage_flags = &usage;
    policy.key_algorithm = &alg;
    attrs.key_type = &type;
    attrs.key_bits = 256;
    attrs.key_policy = &policy;
    op.key_name = (char *)"bench-p256";
    op.attributes = &attrs;
    return frame_for(1, 2, &op.base, len);
}

static uint8_t *sign_frame(size_t *len)
{
    static uint8_t hash[32];
    PsaSignHash__Operation op = PSA_SIGN_HASH__OPERATION__INIT;
    memset(hash, 0x42, sizeof hash);
    op.key_name = (char *)"bench-p256";
    op.alg = &g_sig;
    op.hash.data = hash;
    op.hash.len = sizeof hash;
    return frame_for(1, 4, &op.base, len);
}

/* Direct baseline: psa_sign_hash on a volatile key, one thread. */
static double direct_sign_rate(double seconds)
{
    psa_key_attributes_t a = PSA_KEY_ATTRIBUTES_INIT;
    psa_key_id_t id = 0;
    uint8_t hash[32], sig[PSA_SIGNATURE_MAX_SIZE];
    size_t sig_len, n = 0;
    memset(hash, 0x42, sizeof hash);
    psa_crypto_init();
    psa_set_key_type(&a, PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1));
    psa_set_key_bits(&a, 256);
    psa_set_key_usage_flags(&a, PSA_KEY_USAGE_SIGN_HASH);
    psa_set_key_algorithm(&a, PSA_ALG_ECDSA(PSA_ALG_SHA_256));
    if (psa_generate_key(&a, &id) != PSA_SUCCESS)
        return 0;
    double start = now_s(), until = start + seconds;
    while (now_s() < until) {
        if (psa_sign_hash(id, PSA_ALG_ECDSA(PSA_ALG_SHA_256), hash, sizeof hash, sig, sizeof sig,
                          &sig_len) == PSA_SUCCESS)
            n++;
    }
    double elapsed = now_s() - start;
    psa_destroy_key(id);
    return (double)n / elapsed;
}

static pid_t start_service(const char *service, const char *dir, const char *sock)
{
    pid_t pid = bench_spawn_service(service, dir, sock, 2000, "[[provider]]\nprovider_type = \"MbedCrypto\"\nkey_info_manager = \"sqlite-manager\"\n");
    if (pid < 0)
        return -1;
    for (int i = 0; i < 400; i++) {
        uint16_t st;
        uint8_t body[16];
        usleep(10000);
        if (transact(sock, PING_REQ, sizeof PING_REQ, &st, body, sizeof body, NULL) == 0 && st == 0)
            return pid;
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
}

int main(int argc, char **argv)
{
    char exe_dir[PATH_MAX], service[PATH_MAX], dir[] = "/tmp/psh-bench.XXXXXX", bare_sock[PATH_MAX],
         svc_sock[PATH_MAX];
    double seconds = 3;
    struct sockaddr_un a;
    pthread_t bare;
    int lfd;

    if ((size_t)snprintf(service, sizeof service, "%s/../engine/psh-service",
                         dir_of(argv[0], exe_dir, sizeof exe_dir)) >= sizeof service)
        return 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--service") == 0 && i + 1 < argc)
            snprintf(service, sizeof service, "%s", argv[++i]);
        else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
            seconds = atof(argv[++i]);
    }
    signal(SIGPIPE, SIG_IGN);
    if (mkdtemp(dir) == NULL)
        return 1;
    snprintf(bare_sock, sizeof bare_sock, "%s/bare.sock", dir);
    snprintf(svc_sock, sizeof svc_sock, "%s/parsec.sock", dir);
    init_ecdsa_alg();

    /* Bare baseline. */
    lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    if (strlen(bare_sock) >= sizeof a.sun_path)
        return 1;
    memcpy(a.sun_path, bare_sock, strlen(bare_sock) + 1);
    if (bind(lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(lfd, 1024) != 0)
        return 1;
    pthread_create(&bare, NULL, bare_server, &lfd);
    const uint8_t *ping = PING_REQ;
    figures bare1 = run_load(bare_sock, ping, 36, 1, seconds);
    figures bare8 = run_load(bare_sock, ping, 36, 8, seconds);
    bare_stop = 1;
    shutdown(lfd, SHUT_RDWR);
    close(connect_unix(bare_sock));
    pthread_join(bare, NULL);
    close(lfd);

    pid_t pid = start_service(service, dir, svc_sock);
    if (pid < 0) {
        fprintf(stderr, "bench: could not start %s\n", service);
        return 1;
    }
    figures svc1 = run_load(svc_sock, ping, 36, 1, seconds);
    figures svc8 = run_load(svc_sock, ping, 36, 8, seconds);

    size_t glen, slen;
    uint8_t *gen = generate_frame(&glen), *sgn = sign_frame(&slen), body[256];
    uint16_t st = 0xffff;
    transact(svc_sock, gen, glen, &st, body, sizeof body, NULL);
    figures sign1 = run_load(svc_sock, sgn, slen, 1, seconds);
    double direct = direct_sign_rate(seconds);
    free(gen);
    free(sgn);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);

    printf("parsec-harness service benchmark (%.0f s per figure, same run, same machine)\n\n", seconds);
    printf("%-34s %12s %10s %10s %8s\n", "case", "req/s", "p50 us", "p99 us", "errors");
    printf("%-34s %12.0f %10.1f %10.1f %8zu\n", "bare baseline, 1 client", bare1.rate, bare1.p50_us, bare1.p99_us, bare1.errors);
    printf("%-34s %12.0f %10.1f %10.1f %8zu\n", "psh-service Ping, 1 client", svc1.rate, svc1.p50_us, svc1.p99_us, svc1.errors);
    printf("%-34s %12.0f %10.1f %10.1f %8zu\n", "bare baseline, 8 clients", bare8.rate, bare8.p50_us, bare8.p99_us, bare8.errors);
    printf("%-34s %12.0f %10.1f %10.1f %8zu\n", "psh-service Ping, 8 clients", svc8.rate, svc8.p50_us, svc8.p99_us, svc8.errors);
    printf("%-34s %12.0f %10.1f %10.1f %8zu\n", "psh-service ECDSA P-256 sign", sign1.rate, sign1.p50_us, sign1.p99_us, sign1.errors);
    printf("%-34s %12.0f\n", "direct psa_sign_hash P-256", direct);
    printf("\nPing vs bare: %.2f (1 client), %.2f (8 clients)   [target >= 0.70]\n",
           bare1.rate > 0 ? svc1.rate / bare1.rate : 0, bare8.rate > 0 ? svc8.rate / bare8.rate : 0);
    printf("sign overhead (direct ops/s / service ops/s): %.2fx   [target < 1.25x]\n",
           sign1.rate > 0 ? direct / sign1.rate : 0);
    if (st != 0)
        printf("note: key generation through the service answered status %u\n", st);
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : 1;
}
