/* Helpers for the attestation tests: files from the vector directory, anchors, verdicts. */
#ifndef PSH_ATTEST_TEST_UTIL_H
#define PSH_ATTEST_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest.h"
#include "check.h"
#include "util/alloc.h"

static const char *g_dir;

/* Reads DIR/rel into a malloc'd buffer (NUL appended, not counted). Exits when missing. */
static inline uint8_t *slurp(const char *rel, size_t *len)
{
    char path[1024];
    FILE *f;
    long n;
    uint8_t *b;
    snprintf(path, sizeof path, "%s/%s", g_dir, rel);
    f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "missing vector %s\n", path);
        exit(1);
    }
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    b = malloc((size_t)n + 1);
    if (b == NULL || fread(b, 1, (size_t)n, f) != (size_t)n)
        exit(1);
    b[n] = 0;
    fclose(f);
    *len = (size_t)n;
    return b;
}

static inline int load_anchor(psh_attest_anchor *a, const char *rel)
{
    size_t n;
    uint8_t *pem = slurp(rel, &n);
    int rc = psh_attest_anchor_from_pem(a, pem, n) == PSH_SUCCESS ? 0 : -1;
    free(pem);
    return rc;
}

static inline void dump_failures(const char *what, const psh_attest_appraisal *a)
{
    for (size_t i = 0; i < a->n_checks; i++) {
        if (!a->checks[i].ok)
            fprintf(stderr, "  [%s] %s: %s\n", what, a->checks[i].name, a->checks[i].reason);
    }
}

/* The check `name` failed and its reason contains `needle` (NULL: any reason). */
static inline int failed_with(const psh_attest_appraisal *a, const char *name, const char *needle)
{
    const psh_attest_check *c = psh_attest_failed(a, name);
    if (c == NULL) {
        fprintf(stderr, "  expected check %s to fail\n", name);
        dump_failures("got", a);
        return 0;
    }
    if (needle != NULL && strstr(c->reason, needle) == NULL) {
        fprintf(stderr, "  check %s failed with \"%s\", expected \"%s\"\n", name, c->reason,
                needle);
        return 0;
    }
    return 1;
}

static inline int passed(const psh_attest_appraisal *a, const char *name)
{
    for (size_t i = 0; i < a->n_checks; i++) {
        if (strcmp(a->checks[i].name, name) == 0)
            return a->checks[i].ok;
    }
    return 0;
}

/* DER of a PEM public key (to compare with the attested key). */
static inline size_t pem_spki(const char *rel, uint8_t *out, size_t size)
{
    psh_attest_anchor a;
    int n = -1;
    if (load_anchor(&a, rel) == 0)
        n = mbedtls_pk_write_pubkey_der(&a.pk, out, size);
    psh_attest_anchor_free(&a);
    if (n <= 0)
        return 0;
    memmove(out, out + size - (size_t)n, (size_t)n);
    return (size_t)n;
}

#endif
