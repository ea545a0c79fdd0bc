/* load: N client threads, each its own application (Direct) or all one uid (unix), issue a
 * random mix of keyless requests (Ping, GenerateRandom, HashCompute/Compare) and keyed ones
 * (GenerateKey, SignHash + VerifyHash, ExportPublicKey, ListKeys, DestroyKey) and check every
 * reply. Latency is measured per request; keys still alive at the end are written to --expect
 * so the caller can compare the KIM file with what the clients were told. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rel.h"

#define LIVE_MAX 8
#define STATUS_SLOTS 1200 /* statuses are < 1200 (spec 3) */

typedef struct worker {
    const rel_opts *o;
    unsigned id;
    pthread_t th;
    psh_client c;
    unsigned seed;
    char live[LIVE_MAX][48];
    unsigned nlive;
    unsigned long seq;
    uint32_t *lat; /* microseconds, one per request */
    size_t nlat, caplat;
    unsigned long status[STATUS_SLOTS];
    unsigned long bad_checks;
    unsigned long done;
} worker;

static volatile int g_stop;
static uint64_t g_deadline_us;

static void note(worker *w, uint64_t t0, psh_status st)
{
    uint64_t d = rel_now_us() - t0;
    if (w->nlat == w->caplat) {
        size_t nc = w->caplat ? w->caplat * 2 : 4096;
        uint32_t *p = realloc(w->lat, nc * sizeof *p);
        if (p == NULL)
            abort();
        w->lat = p;
        w->caplat = nc;
    }
    w->lat[w->nlat++] = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
    w->status[(unsigned)st < STATUS_SLOTS ? (unsigned)st : STATUS_SLOTS - 1]++;
    w->done++;
}

/* --tolerate: a backend is being taken away on purpose; a clear non-success status is
 * counted (by status) but is not a failed check. ConnectionError (no reply) still is. */
static int g_tolerate;

static void bad(worker *w, const char *what, psh_status st)
{
    if (g_tolerate && st != PSH_SUCCESS && st != PSH_ERR_CONNECTION_ERROR)
        return;
    if (w->bad_checks++ < 5)
        fprintf(stderr, "psh-rel load: client %u: %s (status %d %s)\n", w->id, what, (int)st,
                psh_status_name(st) ? psh_status_name(st) : "?");
}

static const uint8_t abc_sha256[32] = {
    0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
    0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};

static void op_create(worker *w)
{
    psh_key_attributes a;
    char name[48];
    rel_ecc_attrs(&a);
    snprintf(name, sizeof name, "load-%u-%lu", w->id, w->seq++);
    uint64_t t0 = rel_now_us();
    psh_status st = psh_client_generate_key(&w->c, name, &a);
    note(w, t0, st);
    if (st != PSH_SUCCESS) {
        bad(w, "GenerateKey failed", st);
        return;
    }
    snprintf(w->live[w->nlive++], sizeof w->live[0], "%s", name);
}

static void op_destroy(worker *w)
{
    unsigned k = (unsigned)rand_r(&w->seed) % w->nlive;
    uint64_t t0 = rel_now_us();
    psh_status st = psh_client_destroy_key(&w->c, w->live[k]);
    note(w, t0, st);
    if (st != PSH_SUCCESS) {
        bad(w, "DestroyKey failed", st);
        return;
    }
    char gone[sizeof w->live[0]];
    memcpy(gone, w->live[k], sizeof gone);
    memmove(w->live[k], w->live[w->nlive - 1], sizeof w->live[0]);
    w->nlive--;
    /* A destroyed key must be gone at once. */
    t0 = rel_now_us();
    st = psh_client_destroy_key(&w->c, gone);
    note(w, t0, st == PSH_ERR_PSA_DOES_NOT_EXIST ? PSH_SUCCESS : st);
    if (st != PSH_ERR_PSA_DOES_NOT_EXIST)
        bad(w, "second DestroyKey did not answer DoesNotExist", st);
}

static void op_sign(worker *w)
{
    psh_algorithm alg = {.kind = PSH_ALG_ECDSA, .hash = PSH_HASH_SHA_256};
    const char *name = w->live[(unsigned)rand_r(&w->seed) % w->nlive];
    uint8_t hash[32], *sig = NULL;
    size_t sig_len = 0;
    for (size_t i = 0; i < sizeof hash; i++)
        hash[i] = (uint8_t)rand_r(&w->seed);
    uint64_t t0 = rel_now_us();
    psh_status st = psh_client_sign_hash(&w->c, name, &alg, hash, sizeof hash, &sig, &sig_len);
    note(w, t0, st);
    if (st != PSH_SUCCESS || sig_len != 64) {
        bad(w, "SignHash failed or wrong length", st);
        psh_client_free(sig);
        return;
    }
    int tampered = rand_r(&w->seed) % 4 == 0;
    if (tampered)
        hash[5] ^= 0x20; /* sometimes a wrong hash: the check must be able to fail */
    t0 = rel_now_us();
    st = psh_client_verify_hash(&w->c, name, &alg, hash, sizeof hash, sig, sig_len);
    psh_client_free(sig);
    psh_status want = tampered ? PSH_ERR_PSA_INVALID_SIGNATURE : PSH_SUCCESS;
    note(w, t0, st == want ? PSH_SUCCESS : st);
    if (st != want)
        bad(w, tampered ? "a signature verified for another hash" : "VerifyHash failed", st);
}

static void op_export(worker *w)
{
    const char *name = w->live[(unsigned)rand_r(&w->seed) % w->nlive];
    uint8_t *pub = NULL;
    size_t len = 0;
    uint64_t t0 = rel_now_us();
    psh_status st = psh_client_export_public_key(&w->c, name, &pub, &len);
    note(w, t0, st);
    if (st != PSH_SUCCESS || len != 65 || pub[0] != 0x04)
        bad(w, "ExportPublicKey failed or not an uncompressed P-256 point", st);
    psh_client_free(pub);
}

static void op_list(worker *w)
{
    psh_key_info *keys = NULL;
    size_t n = 0;
    uint64_t t0 = rel_now_us();
    psh_status st = psh_client_list_keys(&w->c, &keys, &n);
    note(w, t0, st);
    if (st != PSH_SUCCESS) {
        bad(w, "ListKeys failed", st);
        return;
    }
    /* Direct: this client is the only one of its application, so the list is exact. */
    if (strcmp(w->o->auth, "direct") == 0) {
        int same = n == w->nlive;
        for (size_t i = 0; same && i < n; i++) {
            int found = 0;
            for (unsigned k = 0; k < w->nlive; k++)
                found |= strcmp(keys[i].name, w->live[k]) == 0;
            same = found;
        }
        if (!same)
            bad(w, "ListKeys does not list exactly this client's keys", PSH_SUCCESS);
    }
    psh_client_free_key_infos(keys, n);
}

static void op_keyless(worker *w, unsigned r)
{
    psh_status st;
    uint64_t t0 = rel_now_us();
    if (r < 50) {
        uint8_t maj = 0, min = 0;
        st = psh_client_ping(&w->c, &maj, &min);
        note(w, t0, st);
        if (st != PSH_SUCCESS || maj != 1 || min != 0)
            bad(w, "Ping failed or not 1.0", st);
    } else if (r < 75) {
        uint8_t *rnd = NULL;
        size_t len = 0;
        st = psh_client_generate_random(&w->c, 32, &rnd, &len);
        note(w, t0, st);
        if (st != PSH_SUCCESS || len != 32)
            bad(w, "GenerateRandom failed", st);
        psh_client_free_secret(rnd, len);
    } else {
        uint8_t *h = NULL;
        size_t len = 0;
        st = psh_client_hash_compute(&w->c, PSH_HASH_SHA_256, (const uint8_t *)"abc", 3, &h, &len);
        note(w, t0, st);
        if (st != PSH_SUCCESS || len != 32 || memcmp(h, abc_sha256, 32) != 0)
            bad(w, "HashCompute of \"abc\" is not the FIPS 180-2 answer", st);
        psh_client_free(h);
    }
}

static int finished(const worker *w)
{
    if (g_stop)
        return 1;
    if (w->o->count > 0)
        return w->done >= w->o->count;
    return rel_now_us() >= g_deadline_us;
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    char app[PSH_NAME_MAX];
    snprintf(app, sizeof app, "%s-%u", w->o->app, w->id);
    if (rel_client(&w->c, w->o, app) != 0) {
        bad(w, "bad socket path", PSH_ERR_PSA_INVALID_ARGUMENT);
        return NULL;
    }
    while (!finished(w)) {
        unsigned r = (unsigned)rand_r(&w->seed) % 100;
        if (r < 45)
            op_keyless(w, r * 100 / 45);
        else if (w->nlive == 0 || (r < 57 && w->nlive < LIVE_MAX))
            op_create(w);
        else if (r < 65)
            op_destroy(w);
        else if (r < 88)
            op_sign(w);
        else if (r < 94)
            op_export(w);
        else
            op_list(w);
        if (w->bad_checks > 50)
            break;
    }
    return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

int rel_load(const rel_opts *o)
{
    worker *ws = calloc(o->clients, sizeof *ws);
    unsigned long status[STATUS_SLOTS] = {0}, total = 0, errors = 0, bad_checks = 0;
    size_t nlat = 0;
    int rc = 1;
    if (ws == NULL)
        return 1;
    g_tolerate = o->tolerate;
    if (strcmp(o->auth, "direct") != 0 && o->clients > 1)
        fprintf(stderr, "psh-rel load: unix auth: all clients share one application; "
                        "ListKeys is checked per client only under direct auth\n");
    g_deadline_us = rel_now_us() + (uint64_t)(o->seconds * 1e6);
    uint64_t t0 = rel_now_us();
    for (unsigned i = 0; i < o->clients; i++) {
        ws[i].o = o;
        ws[i].id = i;
        ws[i].seed = o->seed * 7919u + i;
        if (pthread_create(&ws[i].th, NULL, worker_main, &ws[i]) != 0) {
            fprintf(stderr, "psh-rel load: cannot start client %u\n", i);
            g_stop = 1;
            for (unsigned k = 0; k < i; k++)
                pthread_join(ws[k].th, NULL);
            goto exit;
        }
    }
    for (unsigned i = 0; i < o->clients; i++)
        pthread_join(ws[i].th, NULL);
    double secs = (double)(rel_now_us() - t0) / 1e6;
    for (unsigned i = 0; i < o->clients; i++) {
        for (unsigned s = 0; s < STATUS_SLOTS; s++)
            status[s] += ws[i].status[s];
        total += ws[i].done;
        bad_checks += ws[i].bad_checks;
        nlat += ws[i].nlat;
    }
    uint32_t *lat = malloc((nlat ? nlat : 1) * sizeof *lat);
    if (lat == NULL)
        goto exit;
    nlat = 0;
    for (unsigned i = 0; i < o->clients; i++) {
        memcpy(lat + nlat, ws[i].lat, ws[i].nlat * sizeof *lat);
        nlat += ws[i].nlat;
    }
    qsort(lat, nlat, sizeof *lat, cmp_u32);
#define PCT(p) (nlat ? lat[(size_t)((double)(nlat - 1) * (p))] : 0)
    for (unsigned s = 1; s < STATUS_SLOTS; s++)
        errors += status[s];
    printf("load: clients=%u requests=%lu errors=%lu failed_checks=%lu seconds=%.2f "
           "rps=%.0f p50_us=%u p99_us=%u p999_us=%u max_us=%u\n",
           o->clients, total, errors, bad_checks, secs, secs > 0 ? (double)total / secs : 0.0,
           PCT(0.50), PCT(0.99), PCT(0.999), nlat ? lat[nlat - 1] : 0);
    for (unsigned s = 0; s < STATUS_SLOTS; s++)
        if (status[s] > 0)
            printf("load: status %u %s: %lu\n", s, psh_status_name((int)s) ? psh_status_name((int)s) : "?",
                   status[s]);
    free(lat);
    /* What every client was last told exists, for the KIM / provider comparison. */
    if (o->expect != NULL) {
        FILE *f = fopen(o->expect, "w");
        if (f == NULL) {
            perror(o->expect);
            goto exit;
        }
        for (unsigned i = 0; i < o->clients; i++)
            for (unsigned k = 0; k < ws[i].nlive; k++) {
                if (strcmp(o->auth, "direct") == 0)
                    fprintf(f, "%s-%u %s\n", o->app, i, ws[i].live[k]);
                else
                    fprintf(f, "%u %s\n", (unsigned)getuid(), ws[i].live[k]);
            }
        fclose(f);
    }
    rc = (errors == 0 || (o->tolerate && status[PSH_ERR_CONNECTION_ERROR] == 0)) && bad_checks == 0
             ? 0 : 1;
exit:
    for (unsigned i = 0; i < o->clients; i++)
        free(ws[i].lat);
    free(ws);
    return rc;
}

/* audit --expect FILE: for every application named in FILE ("app key" lines), ListKeys
 * through the service must give exactly that application's keys in FILE, and each key must
 * sign and verify (the provider has the object the KIM maps to). */
int rel_audit(const rel_opts *o)
{
    char line[512], app[256], key[256], cur[256] = "";
    char (*names)[256] = NULL;
    size_t nn = 0, cap = 0, apps = 0, keys_ok = 0;
    int fails = 0;
    FILE *f = fopen(o->expect, "r");
    if (f == NULL) {
        perror(o->expect);
        return 2;
    }
    /* The file is sorted by application: check each group as it ends. */
    for (int eof = 0; !eof;) {
        int got = fgets(line, sizeof line, f) != NULL && sscanf(line, "%255s %255s", app, key) == 2;
        eof = !got;
        if (nn > 0 && (eof || strcmp(app, cur) != 0)) {
            psh_client c;
            psh_key_info *ks = NULL;
            size_t n = 0;
            rel_client(&c, o, cur);
            psh_status st = psh_client_list_keys(&c, &ks, &n);
            if (st != PSH_SUCCESS || n != nn) {
                fprintf(stderr, "FAIL: %s: ListKeys gives %zu keys (%s), the clients were told %zu\n",
                        cur, n, psh_status_name(st), nn);
                fails++;
            }
            for (size_t i = 0; i < n; i++) {
                int found = 0;
                for (size_t k = 0; k < nn; k++)
                    found |= strcmp(ks[i].name, names[k]) == 0;
                if (!found) {
                    fprintf(stderr, "FAIL: %s: ListKeys shows %s, which no client kept\n", cur,
                            ks[i].name);
                    fails++;
                }
                st = rel_key_usable(&c, ks[i].name);
                if (st != PSH_SUCCESS) {
                    fprintf(stderr, "FAIL: %s: key %s is listed but not usable: %s\n", cur,
                            ks[i].name, psh_status_name(st));
                    fails++;
                } else {
                    keys_ok++;
                }
            }
            psh_client_free_key_infos(ks, n);
            apps++;
            nn = 0;
        }
        if (!got)
            break;
        if (nn == cap) {
            cap = cap ? cap * 2 : 16;
            names = realloc(names, cap * sizeof *names);
            if (names == NULL)
                abort();
        }
        snprintf(names[nn++], sizeof names[0], "%s", key);
        snprintf(cur, sizeof cur, "%s", app);
    }
    fclose(f);
    free(names);
    printf("audit: %zu applications, %zu keys listed and usable, %d failures\n", apps, keys_ok,
           fails);
    return fails == 0 ? 0 : 1;
}
