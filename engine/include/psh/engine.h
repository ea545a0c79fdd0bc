/* The single entry point: request bytes in, response bytes out. The service, every fuzz
 * target, the conformance runner's built-in target and the tests all go through it. */
#ifndef PSH_ENGINE_H
#define PSH_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "psh/config.h"
#include "psh/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PSH_WIRE_HEADER_SIZE 36

typedef struct psh_engine psh_engine; /* opaque */

/* Who is on the other end of the connection (SO_PEERCRED), captured at accept time. */
typedef struct psh_peer {
    int has_credentials;
    uint32_t uid;
    uint32_t gid;
    int32_t pid;
} psh_peer;

/* Creates an engine: opens the KIM, starts every configured provider in order, reconciles
 * stored keys. Returns PSH_SUCCESS, or the status of the first failing step with a one-line
 * reason in err (may be NULL). *out is NULL on failure. */
psh_status psh_engine_create(const psh_engine_config *cfg, psh_engine **out, char *err,
                             size_t err_size);

/* Stops providers, closes the KIM. NULL is a no-op. */
void psh_engine_destroy(psh_engine *engine);

/* Handles one complete request frame. Always produces a well-formed response frame in *resp
 * (callee-allocated, free with psh_engine_free_response) unless memory runs out, in which case
 * it returns PSH_ERR_PSA_INSUFFICIENT_MEMORY and *resp is NULL. The return value is the status
 * written in the response header. A frame shorter than its header says is a short read
 * (ConnectionError, spec 1.5 steps 6-7). Thread-safe. */
psh_status psh_engine_handle(psh_engine *engine, const uint8_t *req, size_t req_len,
                             const psh_peer *peer, uint8_t **resp, size_t *resp_len);

void psh_engine_free_response(uint8_t *resp);

/* For a service that reads a request in stages (spec 1.5 steps 1-5): given the bytes read so
 * far, says how many bytes the whole frame has, or that the request already failed.
 *   PSH_SUCCESS + *need == 0: the prefix is not long enough yet to tell; read more.
 *   PSH_SUCCESS + *need > 0: the full frame is *need bytes (header + body + auth).
 *   any other status: answer with psh_engine_error_response(status) and close. */
psh_status psh_engine_frame_size(const psh_engine *engine, const uint8_t *prefix, size_t len,
                                 size_t *need);

/* The default-header reply for an early failure (spec 1.5: opcode Ping, session 0).
 * Writes exactly PSH_WIRE_HEADER_SIZE bytes. */
void psh_engine_error_response(psh_status status, uint8_t out[PSH_WIRE_HEADER_SIZE]);

#ifdef __cplusplus
}
#endif
#endif
