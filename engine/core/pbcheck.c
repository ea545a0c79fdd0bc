/* A bounded walk over the protobuf wire format, guided by the message descriptor, that
 * checks every string field's raw bytes and every field number. Malformed wire data is left for protobuf-c's
 * unpack to reject (this runs after a successful unpack). */
#include "core/core.h"

#include <string.h>

#include "util/reader.h"
#include "util/utf8.h"

#define MAX_DEPTH 32

static int get_varint(psh_reader *r, uint64_t *v)
{
    uint64_t x = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        uint8_t b;
        if (psh_get_u8(r, &b) != 0)
            return -1;
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return 0;
        }
    }
    return -1;
}

static psh_status walk(const ProtobufCMessageDescriptor *desc, const uint8_t *p, size_t len,
                       int depth)
{
    psh_reader r = psh_reader_init(p, len);

    if (depth > MAX_DEPTH)
        return PSH_ERR_DESERIALIZING_BODY_FAILED;
    while (psh_reader_left(&r) > 0) {
        uint64_t key, v;
        const uint8_t *data;
        if (get_varint(&r, &key) != 0)
            return PSH_ERR_DESERIALIZING_BODY_FAILED;
        /* Field numbers are 1..2^29-1; protobuf-c skips 0 as an unknown field, prost refuses it. */
        if ((key >> 3) == 0 || (key >> 3) > 0x1FFFFFFF)
            return PSH_ERR_DESERIALIZING_BODY_FAILED;
        switch (key & 7) {
        case 0:
            if (get_varint(&r, &v) != 0)
                return PSH_ERR_DESERIALIZING_BODY_FAILED;
            break;
        case 1:
            if (psh_get_bytes(&r, 8, &data) != 0)
                return PSH_ERR_DESERIALIZING_BODY_FAILED;
            break;
        case 5:
            if (psh_get_bytes(&r, 4, &data) != 0)
                return PSH_ERR_DESERIALIZING_BODY_FAILED;
            break;
        case 2: {
            const ProtobufCFieldDescriptor *f;
            if (get_varint(&r, &v) != 0 || v > psh_reader_left(&r) ||
                psh_get_bytes(&r, (size_t)v, &data) != 0)
                return PSH_ERR_DESERIALIZING_BODY_FAILED;
            if (key >> 3 > UINT32_MAX)
                break;
            f = protobuf_c_message_descriptor_get_field(desc, (unsigned)(key >> 3));
            if (f == NULL)
                break;
            if (f->type == PROTOBUF_C_TYPE_STRING) {
                if (!psh_utf8_valid(data, (size_t)v))
                    return PSH_ERR_DESERIALIZING_BODY_FAILED;
                /* A NUL would truncate the C string protobuf-c hands us: "bob\0x" == "bob". */
                if (memchr(data, 0, (size_t)v) != NULL)
                    return PSH_ERR_INVALID_ENCODING;
            } else if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
                psh_status st = walk(f->descriptor, data, (size_t)v, depth + 1);
                if (st != PSH_SUCCESS)
                    return st;
            }
            break;
        }
        default:
            return PSH_ERR_DESERIALIZING_BODY_FAILED;
        }
    }
    return PSH_SUCCESS;
}

psh_status psh_pb_check_strings(const ProtobufCMessageDescriptor *desc, const uint8_t *body,
                                size_t len)
{
    return walk(desc, body, len, 0);
}
