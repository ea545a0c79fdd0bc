/* The provider's key record (layout in p11_internal.h): which token objects hold a key. */
#include "providers/pkcs11/p11_internal.h"

#include <string.h>

#include "util/alloc.h"
#include "util/reader.h"

static const uint8_t record_magic[4] = {'P', '1', '1', 'K'};

psh_status p11_record_parse(const uint8_t *p, size_t len, p11_record *out)
{
    psh_reader r = psh_reader_init(p, len);
    const uint8_t *magic = NULL;
    uint8_t version = 0, id_len = 0;
    uint16_t type = 0;
    uint32_t bits = 0;

    memset(out, 0, sizeof *out);
    if (psh_get_bytes(&r, sizeof record_magic, &magic) != 0 ||
        memcmp(magic, record_magic, sizeof record_magic) != 0)
        return PSH_ERR_INVALID_ENCODING;
    if (psh_get_u8(&r, &version) != 0 || version != P11_RECORD_VERSION)
        return PSH_ERR_INVALID_ENCODING;
    if (psh_get_u16le(&r, &type) != 0 || psh_get_u32le(&r, &bits) != 0 ||
        psh_get_u8(&r, &id_len) != 0)
        return PSH_ERR_INVALID_ENCODING;
    if (bits == 0 || bits > P11_MAX_KEY_BITS || id_len == 0 || id_len > P11_MAX_ID)
        return PSH_ERR_INVALID_ENCODING;
    if (!PSA_KEY_TYPE_IS_RSA(type) && !PSA_KEY_TYPE_IS_ECC(type))
        return PSH_ERR_INVALID_ENCODING;
    if (psh_get_bytes(&r, id_len, &out->id) != 0 || psh_reader_left(&r) != 0) {
        out->id = NULL;
        return PSH_ERR_INVALID_ENCODING;
    }
    out->type = (psa_key_type_t)type;
    out->bits = bits;
    out->id_len = id_len;
    return PSH_SUCCESS;
}

psh_status p11_record_build(psa_key_type_t type, size_t bits, const uint8_t *id, size_t id_len,
                            uint8_t **out, size_t *out_len)
{
    uint8_t *b;

    *out = NULL;
    *out_len = 0;
    if (id_len == 0 || id_len > P11_MAX_ID || bits == 0 || bits > P11_MAX_KEY_BITS)
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    b = psh_malloc(P11_RECORD_HEADER + id_len);
    if (b == NULL)
        return PSH_ERR_PSA_INSUFFICIENT_MEMORY;
    memcpy(b, record_magic, sizeof record_magic);
    b[4] = P11_RECORD_VERSION;
    psh_put_u16le(b + 5, (uint16_t)type);
    psh_put_u32le(b + 7, (uint32_t)bits);
    b[11] = (uint8_t)id_len;
    memcpy(b + P11_RECORD_HEADER, id, id_len);
    *out = b;
    *out_len = P11_RECORD_HEADER + id_len;
    return PSH_SUCCESS;
}
