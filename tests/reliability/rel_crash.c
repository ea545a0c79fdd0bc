/* churn / verify: the client half of the crash test. churn creates and deletes keys and
 * journals, before each request, what it is about to do and, after each reply, what the
 * service acknowledged (state file replaced atomically). The service is killed with SIGKILL
 * at random moments by the caller. verify, after the restart, holds the service to the
 * journal: every acknowledged key exists and is usable, nothing unknown exists, and the one
 * request caught half-way is either complete or cleanly absent, and is reported. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rel.h"

#define KEYS_MAX 64
#define NAME_LEN 48

typedef struct journal {
    unsigned long next;
    char keys[KEYS_MAX][NAME_LEN];
    unsigned nkeys;
    char pending_op;        /* 0, 'c' (create) or 'd' (delete) */
    char pending[NAME_LEN];
} journal;

static int load_journal(const char *path, journal *j)
{
    char line[256], a[32], b[NAME_LEN];
    memset(j, 0, sizeof *j);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0; /* a fresh run */
    while (fgets(line, sizeof line, f) != NULL) {
        if (sscanf(line, "next %lu", &j->next) == 1)
            continue;
        if (sscanf(line, "key %47s", b) == 1 && j->nkeys < KEYS_MAX) {
            snprintf(j->keys[j->nkeys++], NAME_LEN, "%s", b);
        } else if (sscanf(line, "pending %31s %47s", a, b) == 2) {
            j->pending_op = a[0];
            snprintf(j->pending, NAME_LEN, "%s", b);
        }
    }
    fclose(f);
    return 0;
}

/* Write to a temporary file, fsync, rename: the journal is always one consistent state. */
static int save_journal(const char *path, const journal *j)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (f == NULL)
        return -1;
    fprintf(f, "next %lu\n", j->next);
    for (unsigned i = 0; i < j->nkeys; i++)
        fprintf(f, "key %s\n", j->keys[i]);
    if (j->pending_op)
        fprintf(f, "pending %s %s\n", j->pending_op == 'c' ? "create" : "delete", j->pending);
    fflush(f);
    fsync(fileno(f));
    fclose(f);
    return rename(tmp, path);
}

static int find_key(const journal *j, const char *name)
{
    for (unsigned i = 0; i < j->nkeys; i++)
        if (strcmp(j->keys[i], name) == 0)
            return (int)i;
    return -1;
}

int rel_churn(const rel_opts *o)
{
    journal j;
    psh_client c;
    psh_key_attributes a;
    unsigned seed = o->seed;
    unsigned long n = o->count ? o->count : 1000000ul;

    if (rel_client(&c, o, o->app) != 0)
        return 2;
    load_journal(o->state, &j);
    if (j.pending_op) {
        fprintf(stderr, "psh-rel churn: journal has an unresolved request; run verify first\n");
        return 2;
    }
    rel_ecc_attrs(&a);
    for (unsigned long i = 0; i < n; i++) {
        int create = j.nkeys < 4 || (rand_r(&seed) % 3 != 0 && j.nkeys < KEYS_MAX - 8);
        psh_status st;
        int k = -1;
        if (create) {
            snprintf(j.pending, NAME_LEN, "crash-%lu", j.next++);
            j.pending_op = 'c';
        } else {
            k = (int)((unsigned)rand_r(&seed) % j.nkeys);
            snprintf(j.pending, NAME_LEN, "%s", j.keys[k]);
            j.pending_op = 'd';
        }
        if (save_journal(o->state, &j) != 0) {
            perror(o->state);
            return 2;
        }
        st = create ? psh_client_generate_key(&c, j.pending, &a)
                    : psh_client_destroy_key(&c, j.pending);
        if (st == PSH_ERR_CONNECTION_ERROR) {
            printf("churn: service gone during %s of %s after %lu requests\n",
                   create ? "create" : "delete", j.pending, i);
            return 3;
        }
        if (st != PSH_SUCCESS) {
            fprintf(stderr, "psh-rel churn: %s of %s failed: %s\n", create ? "create" : "delete",
                    j.pending, psh_status_name(st) ? psh_status_name(st) : "?");
            return 1;
        }
        if (create) {
            snprintf(j.keys[j.nkeys++], NAME_LEN, "%s", j.pending);
        } else {
            memmove(j.keys[k], j.keys[j.nkeys - 1], NAME_LEN);
            j.nkeys--;
        }
        j.pending_op = 0;
        j.pending[0] = '\0';
        if (save_journal(o->state, &j) != 0)
            return 2;
    }
    printf("churn: %lu requests, %u keys\n", n, j.nkeys);
    return 0;
}

int rel_verify(const rel_opts *o)
{
    journal j, now;
    psh_client c;
    psh_key_info *keys = NULL;
    size_t n = 0;
    int failures = 0;

    if (rel_client(&c, o, o->app) != 0)
        return 2;
    load_journal(o->state, &j);
    psh_status st = psh_client_list_keys(&c, &keys, &n);
    if (st != PSH_SUCCESS) {
        fprintf(stderr, "psh-rel verify: ListKeys failed: %s\n", psh_status_name(st));
        return 1;
    }
    memset(&now, 0, sizeof now);
    now.next = j.next;
    for (size_t i = 0; i < n; i++) {
        const char *name = keys[i].name;
        int known = find_key(&j, name) >= 0;
        int half = j.pending_op && strcmp(j.pending, name) == 0;
        if (!known && !half) {
            fprintf(stderr, "FAIL: key %s exists but was never created by this client\n", name);
            failures++;
        }
        st = rel_key_usable(&c, name);
        if (st != PSH_SUCCESS) {
            fprintf(stderr, "FAIL: listed key %s is not usable: %s (a mapping to nothing)\n",
                    name, psh_status_name(st) ? psh_status_name(st) : "?");
            failures++;
        }
        if (now.nkeys < KEYS_MAX)
            snprintf(now.keys[now.nkeys++], NAME_LEN, "%s", name);
    }
    for (unsigned k = 0; k < j.nkeys; k++) {
        int listed = find_key(&now, j.keys[k]) >= 0;
        int deleting = j.pending_op == 'd' && strcmp(j.pending, j.keys[k]) == 0;
        if (!listed && !deleting) {
            fprintf(stderr, "FAIL: acknowledged key %s is lost\n", j.keys[k]);
            failures++;
        }
    }
    if (j.pending_op) {
        int present = find_key(&now, j.pending) >= 0;
        const char *what = j.pending_op == 'c' ? "create" : "delete";
        const char *outcome = (j.pending_op == 'c') == present ? "complete" : "cleanly not done";
        printf("verify: %s of %s caught half-way: %s (key %s)\n", what, j.pending, outcome,
               present ? "present and usable" : "absent");
        /* An absent key must really be absent: a fresh create of the name works. */
        if (!present) {
            psh_key_attributes a;
            rel_ecc_attrs(&a);
            st = psh_client_generate_key(&c, j.pending, &a);
            if (st == PSH_SUCCESS)
                st = psh_client_destroy_key(&c, j.pending);
            if (st != PSH_SUCCESS) {
                fprintf(stderr, "FAIL: %s is absent from ListKeys but cannot be re-created: %s\n",
                        j.pending, psh_status_name(st));
                failures++;
            }
        }
    }
    printf("verify: %zu keys listed, %u acknowledged before the kill, %d failures\n", n, j.nkeys,
           failures);
    psh_client_free_key_infos(keys, n);
    if (save_journal(o->state, &now) != 0)
        return 2;
    return failures == 0 ? 0 : 1;
}
