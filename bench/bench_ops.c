/* Per-operation benchmark: ops/s of each PSA operation through psh-service (started here on a
 * temp socket, one request per connection through the C client library, as any client
 * does), next to the same call made directly on Mbed TLS PSA in this process, in the same
 * run. Prints one table; asserts nothing.
 *
 * usage: bench_ops [--service PATH] [--seconds N] [--only SUBSTRING] */
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <psa/crypto.h>

#include "psh/client.h"
#include "bench_common.h"

#define DATA_LEN 1024
#define TARGET_RATIO 1.25
#define SLOW_US 50.0

/* ---- state shared by the operations ------------------------------------------------------- */

typedef struct key_pair {
    const char *name;       /* service key */
    psh_key_attributes attr;
    psa_key_id_t id;        /* direct key with the same attributes */
    psa_algorithm_t alg;
} key_pair;

enum { K_EC256, K_EC384, K_PKCS1, K_PSS, K_OAEP, K_ECDH, K_GCM, K_CBC, K_HMAC, K_COUNT };

static psh_client g_client;
static key_pair g_keys[K_COUNT];
static uint8_t g_data[DATA_LEN], g_hash32[32], g_hash48[48];
static uint8_t g_nonce[12];
/* Outputs made once by the service / directly, then verified or decrypted in the loop. */
static uint8_t *g_svc_sig[K_COUNT], *g_svc_ct, *g_peer;
static size_t g_svc_sig_len[K_COUNT], g_svc_ct_len, g_peer_len;
static uint8_t g_dir_sig[K_COUNT][PSA_SIGNATURE_MAX_SIZE], g_dir_ct[512];
static size_t g_dir_sig_len[K_COUNT], g_dir_ct_len;
static unsigned g_gen_counter;

static void set_attr(key_pair *k, const char *name, psh_key_type t, uint32_t bits, uint32_t usage,
                     psh_alg_kind kind, psh_hash hash, uint32_t cipher, psa_algorithm_t alg)
{
    memset(k, 0, sizeof *k);
    k->name = name;
    k->attr.type = t;
    k->attr.family = (t == PSH_KEY_TYPE_ECC_KEY_PAIR) ? PSH_ECC_FAMILY_SECP_R1 : 0;
    k->attr.bits = bits;
    k->attr.usage = usage;
    k->attr.alg.kind = kind;
    k->attr.alg.hash = hash;
    k->attr.alg.cipher = cipher;
    k->alg = alg;
}

static psa_key_type_t psa_type(psh_key_type t)
{
    switch (t) {
    case PSH_KEY_TYPE_ECC_KEY_PAIR: return PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1);
    case PSH_KEY_TYPE_RSA_KEY_PAIR: return PSA_KEY_TYPE_RSA_KEY_PAIR;
    case PSH_KEY_TYPE_AES: return PSA_KEY_TYPE_AES;
    default: return PSA_KEY_TYPE_HMAC;
    }
}

static psa_key_usage_t psa_usage(uint32_t u)
{
    psa_key_usage_t r = 0;
    if (u & PSH_USAGE_ENCRYPT) r |= PSA_KEY_USAGE_ENCRYPT;
    if (u & PSH_USAGE_DECRYPT) r |= PSA_KEY_USAGE_DECRYPT;
    if (u & PSH_USAGE_SIGN_HASH) r |= PSA_KEY_USAGE_SIGN_HASH;
    if (u & PSH_USAGE_VERIFY_HASH) r |= PSA_KEY_USAGE_VERIFY_HASH;
    if (u & PSH_USAGE_SIGN_MESSAGE) r |= PSA_KEY_USAGE_SIGN_MESSAGE;
    if (u & PSH_USAGE_VERIFY_MESSAGE) r |= PSA_KEY_USAGE_VERIFY_MESSAGE;
    if (u & PSH_USAGE_DERIVE) r |= PSA_KEY_USAGE_DERIVE;
    return r;
}

static int make_keys(void)
{
    const uint32_t sv = PSH_USAGE_SIGN_HASH | PSH_USAGE_VERIFY_HASH, ed = PSH_USAGE_ENCRYPT |
                                                                       PSH_USAGE_DECRYPT;
    set_attr(&g_keys[K_EC256], "ec256", PSH_KEY_TYPE_ECC_KEY_PAIR, 256, sv, PSH_ALG_ECDSA,
             PSH_HASH_SHA_256, 0, PSA_ALG_ECDSA(PSA_ALG_SHA_256));
    set_attr(&g_keys[K_EC384], "ec384", PSH_KEY_TYPE_ECC_KEY_PAIR, 384, sv, PSH_ALG_ECDSA,
             PSH_HASH_SHA_384, 0, PSA_ALG_ECDSA(PSA_ALG_SHA_384));
    set_attr(&g_keys[K_PKCS1], "pkcs1", PSH_KEY_TYPE_RSA_KEY_PAIR, 2048, sv,
             PSH_ALG_RSA_PKCS1V15_SIGN, PSH_HASH_SHA_256, 0,
             PSA_ALG_RSA_PKCS1V15_SIGN(PSA_ALG_SHA_256));
    set_attr(&g_keys[K_PSS], "pss", PSH_KEY_TYPE_RSA_KEY_PAIR, 2048, sv, PSH_ALG_RSA_PSS,
             PSH_HASH_SHA_256, 0, PSA_ALG_RSA_PSS(PSA_ALG_SHA_256));
    set_attr(&g_keys[K_OAEP], "oaep", PSH_KEY_TYPE_RSA_KEY_PAIR, 2048, ed, PSH_ALG_RSA_OAEP,
             PSH_HASH_SHA_256, 0, PSA_ALG_RSA_OAEP(PSA_ALG_SHA_256));
    set_attr(&g_keys[K_ECDH], "ecdh", PSH_KEY_TYPE_ECC_KEY_PAIR, 256, PSH_USAGE_DERIVE,
             PSH_ALG_ECDH, 0, 0, PSA_ALG_ECDH);
    set_attr(&g_keys[K_GCM], "gcm", PSH_KEY_TYPE_AES, 256, ed, PSH_ALG_AEAD, 0, PSH_AEAD_GCM,
             PSA_ALG_GCM);
    set_attr(&g_keys[K_CBC], "cbc", PSH_KEY_TYPE_AES, 256, ed, PSH_ALG_CIPHER, 0,
             PSH_CIPHER_CBC_PKCS7, PSA_ALG_CBC_PKCS7);
    set_attr(&g_keys[K_HMAC], "hmac", PSH_KEY_TYPE_HMAC, 256,
             PSH_USAGE_SIGN_MESSAGE | PSH_USAGE_VERIFY_MESSAGE, PSH_ALG_HMAC, PSH_HASH_SHA_256, 0,
             PSA_ALG_HMAC(PSA_ALG_SHA_256));
    for (int i = 0; i < K_COUNT; i++) {
        key_pair *k = &g_keys[i];
        psa_key_attributes_t a = PSA_KEY_ATTRIBUTES_INIT;
        psh_status st = psh_client_generate_key(&g_client, k->name, &k->attr);
        if (st != PSH_SUCCESS) {
            fprintf(stderr, "bench_ops: generating %s through the service: %d\n", k->name, st);
            return -1;
        }
        psa_set_key_type(&a, psa_type(k->attr.type));
        psa_set_key_bits(&a, k->attr.bits);
        psa_set_key_usage_flags(&a, psa_usage(k->attr.usage));
        psa_set_key_algorithm(&a, k->alg);
        if (psa_generate_key(&a, &k->id) != PSA_SUCCESS) {
            fprintf(stderr, "bench_ops: generating %s directly failed\n", k->name);
            return -1;
        }
    }
    return 0;
}

/* ---- operations: service (s_*) and direct (d_*); 0 = success ------------------------------ */

static const uint8_t *hash_for(int k) { return k == K_EC384 ? g_hash48 : g_hash32; }
static size_t hash_len_for(int k) { return k == K_EC384 ? 48 : 32; }

static int s_sign(int k)
{
    uint8_t *sig = NULL;
    size_t n = 0;
    psh_status st = psh_client_sign_hash(&g_client, g_keys[k].name, &g_keys[k].attr.alg,
                                         hash_for(k), hash_len_for(k), &sig, &n);
    psh_client_free(sig);
    return st;
}
static int d_sign(int k)
{
    size_t n;
    return psa_sign_hash(g_keys[k].id, g_keys[k].alg, hash_for(k), hash_len_for(k),
                         g_dir_sig[k], sizeof g_dir_sig[k], &n);
}
static int s_verify(int k)
{
    return psh_client_verify_hash(&g_client, g_keys[k].name, &g_keys[k].attr.alg, hash_for(k),
                                  hash_len_for(k), g_svc_sig[k], g_svc_sig_len[k]);
}
static int d_verify(int k)
{
    return psa_verify_hash(g_keys[k].id, g_keys[k].alg, hash_for(k), hash_len_for(k),
                           g_dir_sig[k], g_dir_sig_len[k]);
}
static int s_oaep_enc(int k)
{
    uint8_t *ct = NULL;
    size_t n = 0;
    psh_status st = psh_client_asymmetric_encrypt(&g_client, g_keys[k].name, &g_keys[k].attr.alg,
                                                  g_data, 32, NULL, 0, &ct, &n);
    psh_client_free(ct);
    return st;
}
static int d_oaep_enc(int k)
{
    uint8_t ct[512];
    size_t n;
    return psa_asymmetric_encrypt(g_keys[k].id, g_keys[k].alg, g_data, 32, NULL, 0, ct,
                                  sizeof ct, &n);
}
static int s_oaep_dec(int k)
{
    uint8_t *pt = NULL;
    size_t n = 0;
    psh_status st = psh_client_asymmetric_decrypt(&g_client, g_keys[k].name, &g_keys[k].attr.alg,
                                                  g_svc_ct, g_svc_ct_len, NULL, 0, &pt, &n);
    psh_client_free_secret(pt, n);
    return st;
}
static int d_oaep_dec(int k)
{
    uint8_t pt[512];
    size_t n;
    return psa_asymmetric_decrypt(g_keys[k].id, g_keys[k].alg, g_dir_ct, g_dir_ct_len, NULL, 0,
                                  pt, sizeof pt, &n);
}
static int s_ecdh(int k)
{
    uint8_t *s = NULL;
    size_t n = 0;
    psh_status st = psh_client_raw_key_agreement(&g_client, g_keys[k].name, &g_keys[k].attr.alg,
                                                 g_peer, g_peer_len, &s, &n);
    psh_client_free_secret(s, n);
    return st;
}
static int d_ecdh(int k)
{
    uint8_t s[66];
    size_t n;
    return psa_raw_key_agreement(PSA_ALG_ECDH, g_keys[k].id, g_peer, g_peer_len, s, sizeof s, &n);
}
static int s_gcm(int k)
{
    uint8_t *ct = NULL;
    size_t n = 0;
    psh_status st = psh_client_aead_encrypt(&g_client, g_keys[k].name, &g_keys[k].attr.alg,
                                            g_nonce, 12, NULL, 0, g_data, DATA_LEN, &ct, &n);
    psh_client_free(ct);
    return st;
}
static int d_gcm(int k)
{
    uint8_t ct[DATA_LEN + 16];
    size_t n;
    return psa_aead_encrypt(g_keys[k].id, PSA_ALG_GCM, g_nonce, 12, NULL, 0, g_data, DATA_LEN, ct,
                            sizeof ct, &n);
}
static int s_cbc(int k)
{
    uint8_t *ct = NULL;
    size_t n = 0;
    psh_status st = psh_client_cipher_encrypt(&g_client, g_keys[k].name, PSH_CIPHER_CBC_PKCS7,
                                              g_data, DATA_LEN, &ct, &n);
    psh_client_free(ct);
    return st;
}
static int d_cbc(int k)
{
    uint8_t ct[DATA_LEN + 32];
    size_t n;
    return psa_cipher_encrypt(g_keys[k].id, PSA_ALG_CBC_PKCS7, g_data, DATA_LEN, ct, sizeof ct,
                              &n);
}
static int s_hmac(int k)
{
    uint8_t *mac = NULL;
    size_t n = 0;
    psh_status st = psh_client_mac_compute(&g_client, g_keys[k].name, &g_keys[k].attr.alg, g_data,
                                           DATA_LEN, &mac, &n);
    psh_client_free(mac);
    return st;
}
static int d_hmac(int k)
{
    uint8_t mac[32];
    size_t n;
    return psa_mac_compute(g_keys[k].id, g_keys[k].alg, g_data, DATA_LEN, mac, sizeof mac, &n);
}
static int s_sha256(int k)
{
    uint8_t *h = NULL;
    size_t n = 0;
    psh_status st = psh_client_hash_compute(&g_client, PSH_HASH_SHA_256, g_data, DATA_LEN, &h, &n);
    (void)k;
    psh_client_free(h);
    return st;
}
static int d_sha256(int k)
{
    uint8_t h[32];
    size_t n;
    (void)k;
    return psa_hash_compute(PSA_ALG_SHA_256, g_data, DATA_LEN, h, sizeof h, &n);
}
static int s_random(int k)
{
    uint8_t *r = NULL;
    size_t n = 0;
    psh_status st = psh_client_generate_random(&g_client, 32, &r, &n);
    (void)k;
    psh_client_free_secret(r, n);
    return st;
}
static int d_random(int k)
{
    uint8_t r[32];
    (void)k;
    return psa_generate_random(r, sizeof r);
}
/* Key generation: the service stores each key (one SQLite transaction); direct generates a
 * volatile key and destroys it. */
static int s_genkey(int k)
{
    char name[32];
    snprintf(name, sizeof name, "gen-%u", g_gen_counter++);
    return psh_client_generate_key(&g_client, name, &g_keys[k].attr);
}
static int d_genkey(int k)
{
    psa_key_attributes_t a = PSA_KEY_ATTRIBUTES_INIT;
    psa_key_id_t id;
    psa_status_t st;
    psa_set_key_type(&a, PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1));
    psa_set_key_bits(&a, 256);
    psa_set_key_usage_flags(&a, psa_usage(g_keys[k].attr.usage));
    psa_set_key_algorithm(&a, g_keys[k].alg);
    st = psa_generate_key(&a, &id);
    if (st == PSA_SUCCESS)
        psa_destroy_key(id);
    return st;
}

static const struct op {
    const char *name;
    int key;
    int (*svc)(int);
    int (*direct)(int);
} ops[] = {
    {"ECDSA P-256 sign", K_EC256, s_sign, d_sign},
    {"ECDSA P-256 verify", K_EC256, s_verify, d_verify},
    {"ECDSA P-384 sign", K_EC384, s_sign, d_sign},
    {"ECDSA P-384 verify", K_EC384, s_verify, d_verify},
    {"RSA-2048 PKCS#1 v1.5 sign", K_PKCS1, s_sign, d_sign},
    {"RSA-2048 PKCS#1 v1.5 verify", K_PKCS1, s_verify, d_verify},
    {"RSA-2048 PSS sign", K_PSS, s_sign, d_sign},
    {"RSA-2048 PSS verify", K_PSS, s_verify, d_verify},
    {"RSA-2048 OAEP encrypt (32 B)", K_OAEP, s_oaep_enc, d_oaep_enc},
    {"RSA-2048 OAEP decrypt", K_OAEP, s_oaep_dec, d_oaep_dec},
    {"ECDH P-256", K_ECDH, s_ecdh, d_ecdh},
    {"AES-256-GCM encrypt 1 KiB", K_GCM, s_gcm, d_gcm},
    {"AES-256-CBC-PKCS7 encrypt 1 KiB", K_CBC, s_cbc, d_cbc},
    {"HMAC-SHA256 1 KiB", K_HMAC, s_hmac, d_hmac},
    {"SHA-256 1 KiB", 0, s_sha256, d_sha256},
    {"generate random 32 B", 0, s_random, d_random},
    {"generate key ECC P-256", K_EC256, s_genkey, d_genkey},
};

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds (user + system, every thread) psh-service has used so far. */
static pid_t g_service_pid;
static double service_cpu_s(void)
{
    char path[64], buf[1024], *p;
    unsigned long ut = 0, st = 0;
    FILE *f;
    size_t n;
    snprintf(path, sizeof path, "/proc/%d/stat", (int)g_service_pid);
    f = fopen(path, "r");
    if (f == NULL)
        return 0;
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    p = strrchr(buf, ')'); /* the command name may hold spaces */
    if (p == NULL || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut,
                            &st) != 2)
        return 0;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

typedef struct figure {
    double rate;   /* best slice, ops/s of wall time; < 0: -status of a failure */
    double cpu_us; /* CPU per op over all slices: this process (+ psh-service for the service) */
} figure;

/* Counts successful calls of fn for `seconds`. Returns -1 on the first failure (status in
 * *err). */
static long run_for(int (*fn)(int), int key, double seconds, double *elapsed, int *err)
{
    long n = 0;
    double start = now_s(), until = start + seconds, t;
    do {
        int st = fn(key);
        if (st != 0) {
            *err = st < 0 ? -st : st;
            return -1;
        }
        n++;
        t = now_s();
    } while (t < until);
    *elapsed = t - start;
    return n;
}

/* Service and direct figures of one operation, measured in alternating slices so both see
 * the same machine load. Wall rate: each side's best slice (other processes share the cores;
 * the best slice is the closest to a quiet machine). CPU per op: all slices, which other
 * load hardly moves. */
#define SLICES 8
static void measure(const struct op *op, double seconds, figure *svc, figure *dir)
{
    long ns = 0, nd = 0;
    double cs = 0, cd = 0;
    int err = 0;
    memset(svc, 0, sizeof *svc);
    memset(dir, 0, sizeof *dir);
    for (int i = 0; i < SLICES; i++) {
        double t = 0, c0 = cpu_s(), s0 = service_cpu_s();
        long a = run_for(op->svc, op->key, seconds / SLICES, &t, &err);
        if (a < 0) {
            svc->rate = -err;
            return;
        }
        cs += cpu_s() - c0 + service_cpu_s() - s0;
        ns += a;
        if ((double)a / t > svc->rate)
            svc->rate = (double)a / t;
        c0 = cpu_s();
        long b = run_for(op->direct, op->key, seconds / SLICES, &t, &err);
        if (b < 0) {
            dir->rate = -err;
            return;
        }
        cd += cpu_s() - c0;
        nd += b;
        if ((double)b / t > dir->rate)
            dir->rate = (double)b / t;
    }
    svc->cpu_us = cs * 1e6 / (double)ns;
    dir->cpu_us = cd * 1e6 / (double)nd;
}

/* Signatures and ciphertexts to verify/decrypt in the loops, and the ECDH peer point. */
static int make_inputs(void)
{
    static const int sig_keys[] = {K_EC256, K_EC384, K_PKCS1, K_PSS};
    for (size_t i = 0; i < sizeof sig_keys / sizeof sig_keys[0]; i++) {
        int k = sig_keys[i];
        if (psh_client_sign_hash(&g_client, g_keys[k].name, &g_keys[k].attr.alg, hash_for(k),
                                 hash_len_for(k), &g_svc_sig[k], &g_svc_sig_len[k]) != 0 ||
            psa_sign_hash(g_keys[k].id, g_keys[k].alg, hash_for(k), hash_len_for(k), g_dir_sig[k],
                          sizeof g_dir_sig[k], &g_dir_sig_len[k]) != PSA_SUCCESS)
            return -1;
    }
    if (psh_client_asymmetric_encrypt(&g_client, "oaep", &g_keys[K_OAEP].attr.alg, g_data, 32,
                                      NULL, 0, &g_svc_ct, &g_svc_ct_len) != 0 ||
        psa_asymmetric_encrypt(g_keys[K_OAEP].id, g_keys[K_OAEP].alg, g_data, 32, NULL, 0,
                               g_dir_ct, sizeof g_dir_ct, &g_dir_ct_len) != PSA_SUCCESS)
        return -1;
    /* Peer: the direct ECDH key's public half, used by both sides. */
    g_peer = malloc(PSA_EXPORT_PUBLIC_KEY_MAX_SIZE);
    if (g_peer == NULL || psa_export_public_key(g_keys[K_ECDH].id, g_peer,
                                                PSA_EXPORT_PUBLIC_KEY_MAX_SIZE,
                                                &g_peer_len) != PSA_SUCCESS)
        return -1;
    return 0;
}

static figure ping_figure(double seconds)
{
    figure f = {0, 0};
    long total = 0;
    double cpu = 0;
    uint8_t maj, min;
    for (int i = 0; i < SLICES; i++) {
        long n = 0;
        double start = now_s(), c0 = cpu_s(), s0 = service_cpu_s(), t;
        do {
            if (psh_client_ping(&g_client, &maj, &min) != PSH_SUCCESS)
                return f;
            n++;
            t = now_s();
        } while (t < start + seconds / SLICES);
        cpu += cpu_s() - c0 + service_cpu_s() - s0;
        total += n;
        if ((double)n / (t - start) > f.rate)
            f.rate = (double)n / (t - start);
    }
    f.cpu_us = cpu * 1e6 / (double)total;
    return f;
}

/* ---- the service ------------------------------------------------------------------------- */

static pid_t start_service(const char *service, const char *dir, const char *sock)
{
    return bench_wait_service(bench_spawn_service(service, dir, sock, 2000, "[[provider]]\nprovider_type = \"MbedCrypto\"\nkey_info_manager = \"sqlite-manager\"\n"), &g_client,
                              400);
}

static void print_table(const figure *svc, const figure *dir, size_t n, double seconds,
                        figure ping, const char *only)
{
    int miss_wall = 0, miss_cpu = 0, slow = 0, failed = 0;
    printf("parsec-harness per-operation benchmark (%.1f s per operation, service and direct "
           "alternating in the same run)\n\n",
           seconds);
    printf("%-32s %9s %9s %7s %9s %9s %7s  %s\n", "operation", "service/s", "direct/s", "ratio",
           "svc cpu", "dir cpu", "cpu", "");
    printf("%-32s %9s %9s %7s %9s %9s %7s\n", "", "", "", "", "us/op", "us/op", "ratio");
    printf("%-32s %9.0f %9s %7s %9.1f %9s %7s\n", "Ping (the request floor)", ping.rate, "-", "-",
           ping.cpu_us, "-", "-");
    for (size_t i = 0; i < n; i++) {
        if (only != NULL && strstr(ops[i].name, only) == NULL)
            continue;
        if (svc[i].rate <= 0 || dir[i].rate <= 0) {
            printf("%-32s failed (service status %.0f, direct status %.0f)\n", ops[i].name,
                   svc[i].rate < 0 ? -svc[i].rate : 0, dir[i].rate < 0 ? -dir[i].rate : 0);
            failed++;
            continue;
        }
        double ratio = dir[i].rate / svc[i].rate, cpu_ratio = svc[i].cpu_us / dir[i].cpu_us;
        const char *mark = "";
        if (dir[i].cpu_us > SLOW_US) {
            slow++;
            miss_wall += ratio >= TARGET_RATIO;
            miss_cpu += cpu_ratio >= TARGET_RATIO;
            mark = ratio < TARGET_RATIO && cpu_ratio < TARGET_RATIO ? "* ok"
                   : ratio >= TARGET_RATIO && cpu_ratio >= TARGET_RATIO
                       ? "* MISS"
                       : "* MISS (one of two)";
        }
        printf("%-32s %9.0f %9.0f %6.2fx %9.1f %9.1f %6.2fx  %s\n", ops[i].name, svc[i].rate,
               dir[i].rate, ratio, svc[i].cpu_us, dir[i].cpu_us, cpu_ratio, mark);
    }
    printf("\nHow to read it. service/s: requests/s through psh-service, one client, a new\n"
           "connection per request as the protocol has it (connect, UnixPeerCredentials, protobuf,\n"
           "KIM lookup, key cache, reply). direct/s: the same PSA call on a volatile key in this\n"
           "process. ratio = direct/s / service/s (1.00x = no overhead); each side's best of %d\n"
           "alternating slices. svc cpu: CPU per request of this client plus psh-service (all\n"
           "threads, kernel included); dir cpu: CPU per direct call; cpu ratio = svc/dir. On a\n"
           "quiet machine with one client the two ratios agree; on a shared one the CPU ratio\n"
           "is the steadier. '*' marks operations above %.0f us of direct CPU, where the target\n"
           "is < %.2fx; below that the fixed cost of a request (the Ping row) dominates and no\n"
           "target applies. 'generate key' through the service also stores the key durably\n"
           "(one SQLite transaction with fsync, which costs wall time, not CPU).\n"
           "Of %d marked operations, %d miss the target on the wall-clock ratio, %d on the CPU "
           "ratio%s.\n",
           SLICES, SLOW_US, TARGET_RATIO, slow, miss_wall, miss_cpu,
           failed ? "; some operations FAILED" : "");
}

int main(int argc, char **argv)
{
    char exe_dir[PATH_MAX], service[PATH_MAX], dir[] = "/tmp/psh-bench-ops.XXXXXX", sock[PATH_MAX];
    const char *only = NULL;
    double seconds = 2.0;
    figure ping = {0, 0};
    figure svc[sizeof ops / sizeof ops[0]], dir_rate[sizeof ops / sizeof ops[0]];
    pid_t pid;
    int rc = 1;

    if ((size_t)snprintf(service, sizeof service, "%s/../engine/psh-service",
                         dir_of(argv[0], exe_dir, sizeof exe_dir)) >= sizeof service)
        return 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--service") == 0 && i + 1 < argc)
            snprintf(service, sizeof service, "%s", argv[++i]);
        else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
            seconds = atof(argv[++i]);
        else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
            only = argv[++i];
    }
    signal(SIGPIPE, SIG_IGN);
    if (mkdtemp(dir) == NULL || psa_crypto_init() != PSA_SUCCESS)
        return 1;
    snprintf(sock, sizeof sock, "%s/parsec.sock", dir);
    psh_client_init(&g_client);
    psh_client_set_endpoint(&g_client, sock);
    g_client.auth_type = PSH_AUTH_UNIX_PEER_CREDENTIALS;
    g_client.provider = 1;
    memset(g_data, 0x5a, sizeof g_data);
    memset(g_hash32, 0x42, sizeof g_hash32);
    memset(g_hash48, 0x42, sizeof g_hash48);
    pid = start_service(service, dir, sock);
    g_service_pid = pid;
    if (pid < 0) {
        fprintf(stderr, "bench_ops: could not start %s\n", service);
        goto exit;
    }
    if (make_keys() != 0 || make_inputs() != 0) {
        fprintf(stderr, "bench_ops: set-up failed\n");
        goto stop;
    }
    ping = ping_figure(seconds);
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        if (only != NULL && strstr(ops[i].name, only) == NULL)
            continue;
        /* Warm-up: the service's key cache and both sides' first-use costs. */
        ops[i].svc(ops[i].key);
        ops[i].direct(ops[i].key);
        measure(&ops[i], seconds, &svc[i], &dir_rate[i]);
    }
    print_table(svc, dir_rate, sizeof ops / sizeof ops[0], seconds, ping, only);
    rc = 0;
stop:
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
exit:
    for (int i = 0; i < K_COUNT; i++) {
        psh_client_free(g_svc_sig[i]);
        psa_destroy_key(g_keys[i].id);
    }
    psh_client_free(g_svc_ct);
    free(g_peer);
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        rc = 1;
    return rc;
}
