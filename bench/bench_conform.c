/* Conformance runner throughput: steps/s replaying the suite against the in-process soft
 * engine (the suite repeated for about 3 s), and the suite's wall time per built-in target
 * (fixture start and stop included). Prints figures; asserts nothing.
 * Usage: bench_conform [SESSIONS_DIR] (default: $PSH_SRC/conformance/sessions or
 * ./conformance/sessions). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conform.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static size_t load(const char *dir, psh_cf_session **out, size_t max)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char *names[512];
    size_t n = 0, k = 0;
    if (d == NULL)
        return 0;
    while ((e = readdir(d)) != NULL && n < 512) {
        size_t l = strlen(e->d_name);
        if (l > 5 && strcmp(e->d_name + l - 5, ".json") == 0)
            names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp);
    for (size_t i = 0; i < n; i++) {
        char path[4096 + 256 + 2], err[PSH_CF_ERR];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (k < max && psh_cf_session_load(path, &out[k], err, sizeof err) == 0)
            k++;
        free(names[i]);
    }
    return k;
}

/* One pass of the suite; returns steps run and counts outcomes. */
static unsigned pass(psh_cf_target *t, psh_cf_session **s, size_t n, size_t counts[3])
{
    psh_cf_results r = {0};
    unsigned steps = 0;
    for (size_t i = 0; i < n; i++)
        psh_cf_run_session(t, s[i], &r);
    for (size_t i = 0; i < r.n; i++) {
        steps += r.v[i].steps_run;
        counts[r.v[i].outcome]++;
    }
    psh_cf_results_free(&r);
    return steps;
}

int main(int argc, char **argv)
{
    static const char *const targets[] = {"builtin:soft", "builtin:pkcs11", "builtin:tpm"};
    psh_cf_session *sessions[512];
    char dir[1024];
    size_t n;
    const char *src = getenv("PSH_SRC");
    if (argc > 1)
        snprintf(dir, sizeof dir, "%s", argv[1]);
    else
        snprintf(dir, sizeof dir, "%s/conformance/sessions", src ? src : ".");
    n = load(dir, sessions, 512);
    if (n == 0) {
        fprintf(stderr, "bench_conform: no sessions in %s\n", dir);
        return 1;
    }
    printf("bench_conform: %zu sessions from %s\n", n, dir);
    {
        psh_cf_target t;
        char err[PSH_CF_ERR];
        size_t counts[3] = {0, 0, 0};
        unsigned long steps = 0, rounds = 0;
        double t0, secs;
        if (psh_cf_target_open(&t, "builtin:soft", err, sizeof err) != 0 || t.unavailable[0]) {
            fprintf(stderr, "bench_conform: builtin:soft: %s%s\n", err, t.unavailable);
            return 1;
        }
        t0 = now();
        do {
            steps += pass(&t, sessions, n, counts);
            rounds++;
        } while (now() - t0 < 3.0);
        secs = now() - t0;
        printf("%-16s %6lu suite runs %8lu steps %7.2f s  %8.0f steps/s  %6.1f ms/suite\n",
               "builtin:soft", rounds, steps, secs, steps / secs, 1000 * secs / rounds);
        /* RSA key generation dominates the suite; the rest shows the runner's own cost */
        {
            psh_cf_session *light[512];
            size_t nl = 0;
            for (size_t i = 0; i < n; i++)
                if (strstr(sessions[i]->name, "rsa") == NULL &&
                    strstr(sessions[i]->name, "attest") == NULL)
                    light[nl++] = sessions[i];
            steps = rounds = 0;
            t0 = now();
            do {
                steps += pass(&t, light, nl, counts);
                rounds++;
            } while (now() - t0 < 3.0);
            secs = now() - t0;
            printf("%-16s %6lu runs of %zu sessions without RSA: %lu steps %7.2f s  %8.0f steps/s\n",
                   "builtin:soft", rounds, nl, steps, secs, steps / secs);
        }
        psh_cf_target_close(&t);
    }
    printf("%-16s %10s %8s %6s %6s %6s\n", "target", "wall s", "steps", "pass", "fail", "skip");
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        psh_cf_target t;
        char err[PSH_CF_ERR];
        size_t counts[3] = {0, 0, 0};
        double t0 = now();
        unsigned steps;
        if (psh_cf_target_open(&t, targets[i], err, sizeof err) != 0) {
            printf("%-16s %s\n", targets[i], err);
            continue;
        }
        steps = pass(&t, sessions, n, counts);
        psh_cf_target_close(&t);
        printf("%-16s %10.2f %8u %6zu %6zu %6zu%s%s\n", targets[i], now() - t0, steps, counts[0],
               counts[1], counts[2], t.unavailable[0] ? "  skipped: " : "", t.unavailable);
    }
    for (size_t i = 0; i < n; i++)
        psh_cf_session_free(sessions[i]);
    return 0;
}
