/* Parsec wire protocol 1.0: the fixed 36-byte header (spec section 1.3) and frame
 * validation in the order of spec section 1.5. */
#ifndef PSH_WIRE_H
#define PSH_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "psh/engine.h"
#include "psh/status.h"

#define PSH_WIRE_MAGIC 0x5EC0A710u
#define PSH_WIRE_HDR_SIZE_FIELD 30 /* header bytes after the hdr_size field */
#define PSH_WIRE_VERSION_MAJ 1
#define PSH_WIRE_VERSION_MIN 0
#define PSH_WIRE_PREFIX_SIZE 6 /* magic + hdr_size */
#define PSH_CONTENT_TYPE_PROTOBUF 0

typedef struct psh_wire_header {
    uint32_t magic;
    uint16_t hdr_size;
    uint8_t version_maj;
    uint8_t version_min;
    uint16_t flags;
    uint8_t provider;
    uint64_t session;
    uint8_t content_type;
    uint8_t accept_type;
    uint8_t auth_type;
    uint32_t body_len;
    uint16_t auth_len;
    uint32_t opcode;
    uint16_t status;
    uint8_t reserved1;
    uint8_t reserved2;
} psh_wire_header;

/* Decodes the 36 header bytes as they stand, no validation. Returns -1 if len < 36. */
int psh_wire_header_decode(const uint8_t *p, size_t len, psh_wire_header *out);
/* Encodes exactly 36 bytes. */
void psh_wire_header_encode(const psh_wire_header *h, uint8_t out[PSH_WIRE_HEADER_SIZE]);

/* A parsed request: header plus borrowed views of body and auth inside the input. */
typedef struct psh_wire_request {
    psh_wire_header hdr;
    const uint8_t *body; /* borrowed from the frame */
    size_t body_len;
    const uint8_t *auth; /* borrowed from the frame */
    size_t auth_len;
} psh_wire_request;

/* Spec 1.5 steps 1-5 on a prefix of the stream (see psh_engine_frame_size). */
psh_status psh_wire_frame_size(const uint8_t *p, size_t len, size_t body_len_limit, size_t *need);

/* Spec 1.5 steps 1-7: header checks, body limit, short reads. Extra bytes after the frame are
 * ignored (the service reads exactly one frame). Steps 8 on are the core's. */
psh_status psh_wire_parse_request(const uint8_t *p, size_t len, size_t body_len_limit,
                                  psh_wire_request *out);

/* A response header echoing the request (spec 1.5 from step 9 on). */
void psh_wire_response_header(const psh_wire_header *req, uint16_t status, uint32_t body_len,
                              psh_wire_header *out);
/* The default header for early failures: provider 0, session 0, opcode Ping. */
void psh_wire_default_header(uint16_t status, psh_wire_header *out);

/* Builds header + body into one callee-allocated frame (free with psh_free). */
psh_status psh_wire_build_frame(const psh_wire_header *h, const uint8_t *body, size_t body_len,
                                const uint8_t *auth, size_t auth_len, uint8_t **out,
                                size_t *out_len);

#endif
