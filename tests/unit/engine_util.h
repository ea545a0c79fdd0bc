/* Test helpers: build request frames from protobuf-c messages and run them through an
 * in-process engine. */
#ifndef PSH_TEST_ENGINE_UTIL_H
#define PSH_TEST_ENGINE_UTIL_H

#include <protobuf-c/protobuf-c.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "psh/engine.h"
#include "util/alloc.h"
#include "wire/wire.h"

typedef struct test_resp {
    psh_wire_header hdr;
    uint8_t *frame; /* owned, psh_engine_free_response */
    size_t len;
    const uint8_t *body;
    size_t body_len;
} test_resp;

/* Packs a message (NULL = empty body) into a frame. Caller frees with psh_free. */
static inline uint8_t *build_frame(uint8_t provider, uint32_t opcode, uint8_t auth_type,
                                   const char *auth, size_t auth_len,
                                   const ProtobufCMessage *body, size_t *out_len)
{
    psh_wire_header h;
    uint8_t *b = NULL, *frame = NULL;
    size_t blen = body ? protobuf_c_message_get_packed_size(body) : 0;
    memset(&h, 0, sizeof h);
    h.magic = PSH_WIRE_MAGIC;
    h.hdr_size = PSH_WIRE_HDR_SIZE_FIELD;
    h.version_maj = 1;
    h.provider = provider;
    h.auth_type = auth_type;
    h.body_len = (uint32_t)blen;
    h.auth_len = (uint16_t)auth_len;
    h.opcode = opcode;
    if (blen) {
        b = malloc(blen);
        protobuf_c_message_pack(body, b);
    }
    psh_wire_build_frame(&h, b, blen, (const uint8_t *)auth, auth_len, &frame, out_len);
    free(b);
    return frame;
}

static inline psh_status run_frame(psh_engine *e, const uint8_t *frame, size_t len,
                                   const psh_peer *peer, test_resp *r)
{
    psh_status st;
    memset(r, 0, sizeof *r);
    st = psh_engine_handle(e, frame, len, peer, &r->frame, &r->len);
    if (r->frame != NULL && r->len >= PSH_WIRE_HEADER_SIZE) {
        psh_wire_header_decode(r->frame, r->len, &r->hdr);
        r->body = r->frame + PSH_WIRE_HEADER_SIZE;
        r->body_len = r->len - PSH_WIRE_HEADER_SIZE;
    }
    return st;
}

/* Builds, runs and frees the request; returns the response status. */
static inline psh_status call(psh_engine *e, uint8_t provider, uint32_t opcode, const char *app,
                              const ProtobufCMessage *body, test_resp *r)
{
    size_t len;
    uint8_t *f = build_frame(provider, opcode, app ? 1 : 0, app, app ? strlen(app) : 0, body,
                             &len);
    psh_status st = run_frame(e, f, len, NULL, r);
    psh_free(f);
    return st;
}

static inline void resp_free(test_resp *r)
{
    psh_engine_free_response(r->frame);
    memset(r, 0, sizeof *r);
}

#endif
