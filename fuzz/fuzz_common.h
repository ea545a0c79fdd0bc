/* Shared by the fuzz targets: quiet logging, capped allocation, an in-process engine with the
 * soft provider and an in-memory KIM, and the response-frame invariant. Header-only so each
 * target stays one .c file that the replay main or libFuzzer links. */
#ifndef PSH_FUZZ_COMMON_H
#define PSH_FUZZ_COMMON_H

#define PSH_LOGMODULE fuzz

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "psh/config.h"
#include "psh/engine.h"
#include "util/alloc.h"
#include "util/log.h"
#include "wire/wire.h"

/* One allocation larger than this fails (returns NULL) instead of letting a declared length
 * exhaust libFuzzer's RSS limit: the engine must turn it into InsufficientMemory. */
#define FUZZ_ALLOC_CAP ((size_t)16 << 20)

static void *fuzz_malloc(size_t n, void *ctx)
{
    (void)ctx;
    return n > FUZZ_ALLOC_CAP ? NULL : malloc(n);
}
static void *fuzz_realloc(void *p, size_t n, void *ctx)
{
    (void)ctx;
    return n > FUZZ_ALLOC_CAP ? NULL : realloc(p, n);
}
static void fuzz_free(void *p, void *ctx)
{
    (void)ctx;
    free(p);
}

/* Once per process, before any engine call: the engine logs errors for stored-data problems
 * that a fuzzer produces on purpose, so logging is off unless PSH_LOG asks for it. */
static inline void fuzz_setup(void)
{
    static int done;
    static const psh_allocator a = {fuzz_malloc, fuzz_realloc, fuzz_free, NULL};
    const char *spec;
    if (done)
        return; /* first thing: this runs on every input, getenv would cost the fast targets */
    done = 1;
    spec = getenv("PSH_LOG");
    psh_set_allocator(&a);
    (void)psh_log_enabled("fuzz", PSH_LOG_ERROR); /* runs the env read first, then override */
    psh_log_configure(spec != NULL ? spec : "all+none");
}

/* Soft provider, in-memory KIM, Direct auth, one admin "admin". Aborts on failure: a target
 * without its engine would report nothing. */
static inline psh_engine *fuzz_engine_new(void)
{
    psh_engine_config cfg;
    psh_engine *e = NULL;
    char err[256] = "";
    psh_engine_config_init(&cfg);
    cfg.provider_count = 1;
    psh_provider_config_init(&cfg.providers[0], PSH_PROVIDER_MBED_CRYPTO);
    cfg.auth_type = PSH_AUTH_DIRECT;
    cfg.admin_count = 1;
    snprintf(cfg.admins[0], sizeof cfg.admins[0], "%s", "admin");
    if (psh_engine_create(&cfg, &e, err, sizeof err) != PSH_SUCCESS || e == NULL) {
        fprintf(stderr, "fuzz: psh_engine_create failed: %s\n", err);
        abort();
    }
    return e;
}

static inline uint32_t fuzz_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* psh_engine_handle's promise: every answer is one well-formed response frame (spec 1.3):
 * magic, hdr_size 30, version 1.0, body_len equal to the bytes after the header, no auth. */
static inline void fuzz_check_response(psh_status st, const uint8_t *resp, size_t len)
{
    if (resp == NULL) {
        if (st != PSH_ERR_PSA_INSUFFICIENT_MEMORY) {
            fprintf(stderr, "fuzz: no response frame, status %d\n", (int)st);
            abort();
        }
        return;
    }
    if (len < PSH_WIRE_HEADER_SIZE || fuzz_le32(resp) != PSH_WIRE_MAGIC ||
        (resp[4] | resp[5] << 8) != PSH_WIRE_HDR_SIZE_FIELD || resp[6] != 1 || resp[7] != 0 ||
        fuzz_le32(resp + 22) != len - PSH_WIRE_HEADER_SIZE || (resp[26] | resp[27] << 8) != 0 ||
        (uint16_t)(resp[32] | resp[33] << 8) != (uint16_t)st) {
        fprintf(stderr, "fuzz: malformed response frame (%zu bytes, status %d)\n", len, (int)st);
        abort();
    }
}

/* Runs one frame and checks the answer. Returns the response status. */
static inline psh_status fuzz_handle(psh_engine *e, const uint8_t *req, size_t len)
{
    uint8_t *resp = NULL;
    size_t resp_len = 0;
    psh_status st = psh_engine_handle(e, req, len, NULL, &resp, &resp_len);
    fuzz_check_response(st, resp, resp_len);
    psh_engine_free_response(resp);
    return st;
}

#endif
