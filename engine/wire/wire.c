#include "wire/wire.h"

#include <string.h>

#include "util/alloc.h"
#include "util/reader.h"

/* Fixed-offset loads and stores for the 36 header bytes, whose length is checked once:
 * straight-line code with no per-field bounds checks or loops, since the header codec runs
 * on every frame and every fuzz input (per-field reader calls cost half the header fuzzer's
 * rate under coverage instrumentation). */
static uint16_t ld16(const uint8_t *b) { return (uint16_t)(b[0] | b[1] << 8); }
static uint32_t ld32(const uint8_t *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}
static void st16(uint8_t *b, uint16_t v)
{
    b[0] = (uint8_t)v;
    b[1] = (uint8_t)(v >> 8);
}
static void st32(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)v;
    b[1] = (uint8_t)(v >> 8);
    b[2] = (uint8_t)(v >> 16);
    b[3] = (uint8_t)(v >> 24);
}

int psh_wire_header_decode(const uint8_t *p, size_t len, psh_wire_header *out)
{
    psh_wire_header h;
    if (p == NULL || len < PSH_WIRE_HEADER_SIZE)
        return -1;
    /* Every offset below is inside the 36 bytes just checked (spec 1.3). */
    h.magic = ld32(p + 0);
    h.hdr_size = ld16(p + 4);
    h.version_maj = p[6];
    h.version_min = p[7];
    h.flags = ld16(p + 8);
    h.provider = p[10];
    h.session = (uint64_t)ld32(p + 15) << 32 | ld32(p + 11);
    h.content_type = p[19];
    h.accept_type = p[20];
    h.auth_type = p[21];
    h.body_len = ld32(p + 22);
    h.auth_len = ld16(p + 26);
    h.opcode = ld32(p + 28);
    h.status = ld16(p + 32);
    h.reserved1 = p[34];
    h.reserved2 = p[35];
    *out = h;
    return 0;
}

void psh_wire_header_encode(const psh_wire_header *h, uint8_t out[PSH_WIRE_HEADER_SIZE])
{
    st32(out + 0, h->magic);
    st16(out + 4, h->hdr_size);
    out[6] = h->version_maj;
    out[7] = h->version_min;
    st16(out + 8, h->flags);
    out[10] = h->provider;
    st32(out + 11, (uint32_t)h->session);
    st32(out + 15, (uint32_t)(h->session >> 32));
    out[19] = h->content_type;
    out[20] = h->accept_type;
    out[21] = h->auth_type;
    st32(out + 22, h->body_len);
    st16(out + 26, h->auth_len);
    st32(out + 28, h->opcode);
    st16(out + 32, h->status);
    out[34] = h->reserved1;
    out[35] = h->reserved2;
}

/* Steps 1-5 of spec 1.5. A hdr_size other than 30 is only rejected once hdr_size bytes have
 * arrived, as the reference does: a short stream then ends in ConnectionError. */
psh_status psh_wire_frame_size(const uint8_t *p, size_t len, size_t body_len_limit, size_t *need)
{
    psh_reader r = psh_reader_init(p, len);
    uint32_t magic, body_len;
    uint16_t hdr_size, auth_len;
    const uint8_t *rest;

    *need = 0;
    if (psh_get_u32le(&r, &magic) != 0)
        return PSH_SUCCESS;
    if (magic != PSH_WIRE_MAGIC)
        return PSH_ERR_INVALID_HEADER;
    if (psh_get_u16le(&r, &hdr_size) != 0)
        return PSH_SUCCESS;
    if (psh_get_bytes(&r, hdr_size, &rest) != 0)
        return PSH_SUCCESS;
    if (hdr_size != PSH_WIRE_HDR_SIZE_FIELD)
        return PSH_ERR_INVALID_HEADER;
    if (rest[0] != PSH_WIRE_VERSION_MAJ || rest[1] != PSH_WIRE_VERSION_MIN)
        return PSH_ERR_WIRE_PROTOCOL_VERSION_NOT_SUPPORTED;
    if (rest[28] != 0 || rest[29] != 0)
        return PSH_ERR_INVALID_HEADER;
    body_len = (uint32_t)rest[16] | ((uint32_t)rest[17] << 8) | ((uint32_t)rest[18] << 16) |
               ((uint32_t)rest[19] << 24);
    if (body_len > body_len_limit)
        return PSH_ERR_BODY_SIZE_EXCEEDS_LIMIT;
    auth_len = (uint16_t)(rest[20] | (rest[21] << 8));
    *need = PSH_WIRE_HEADER_SIZE + (size_t)body_len + auth_len;
    return PSH_SUCCESS;
}

psh_status psh_wire_parse_request(const uint8_t *p, size_t len, size_t body_len_limit,
                                  psh_wire_request *out)
{
    size_t need = 0;
    psh_status st = psh_wire_frame_size(p, len, body_len_limit, &need);

    memset(out, 0, sizeof *out);
    if (st != PSH_SUCCESS)
        return st;
    if (need == 0 || len < need) /* the stream ended early: a short read */
        return PSH_ERR_CONNECTION_ERROR;
    psh_wire_header_decode(p, len, &out->hdr);
    out->body = p + PSH_WIRE_HEADER_SIZE;
    out->body_len = out->hdr.body_len;
    out->auth = out->body + out->body_len;
    out->auth_len = out->hdr.auth_len;
    return PSH_SUCCESS;
}

void psh_wire_response_header(const psh_wire_header *req, uint16_t status, uint32_t body_len,
                              psh_wire_header *out)
{
    memset(out, 0, sizeof *out);
    out->magic = PSH_WIRE_MAGIC;
    out->hdr_size = PSH_WIRE_HDR_SIZE_FIELD;
    out->version_maj = PSH_WIRE_VERSION_MAJ;
    out->version_min = PSH_WIRE_VERSION_MIN;
    out->provider = req->provider;
    out->session = req->session;
    out->content_type = req->accept_type;
    out->body_len = body_len;
    out->opcode = req->opcode;
    out->status = status;
}

void psh_wire_default_header(uint16_t status, psh_wire_header *out)
{
    psh_wire_header req;
    memset(&req, 0, sizeof req);
    req.opcode = 1; /* Ping: what the reference puts in early-failure replies */
    psh_wire_response_header(&req, status, 0, out);
}

psh_status psh_wire_build_frame(const psh_wire_header *h, const uint8_t *body, size_t body_len,
                                const uint8_t *auth, size_t auth_len, uint8_t **out,
                                size_t *out_len)
{
    uint8_t *frame;
    size_t total;

    *out = NULL;
    *out_len = 0;
    if (body_len > UINT32_MAX || auth_len > UINT16_MAX)
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    total = PSH_WIRE_HEADER_SIZE + body_len + auth_len;
    frame = psh_malloc(total);
    if (frame == NULL)
        return PSH_ERR_PSA_INSUFFICIENT_MEMORY;
    psh_wire_header_encode(h, frame);
    if (body_len > 0)
        memcpy(frame + PSH_WIRE_HEADER_SIZE, body, body_len);
    if (auth_len > 0)
        memcpy(frame + PSH_WIRE_HEADER_SIZE + body_len, auth, auth_len);
    *out = frame;
    *out_len = total;
    return PSH_SUCCESS;
}
