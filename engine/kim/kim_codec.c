/* The pinned attribute record stored in key_mapping.key_attributes (style.md point 14).
 *
 *   offset size  field
 *   0      4     magic "PSHA"
 *   4      1     version = 1
 *   5      2     psa_key_type_t, little-endian
 *   7      4     key bits, little-endian (<= PSH_KIM_MAX_KEY_BITS)
 *   11     4     psa_key_usage_t, little-endian (PSH_KEY_USAGE_CACHE kept as given)
 *   15     4     psa_algorithm_t, little-endian
 *   = 19 bytes (PSH_KIM_ATTRS_RECORD_SIZE)
 *
 * A new layout gets a new version number; old versions stay readable here. */
#include "kim/kim.h"

#include <string.h>

#include "kim/kim_internal.h"
#include "util/reader.h"

static const uint8_t attrs_magic[4] = {'P', 'S', 'H', 'A'};

void psh_kim_attrs_encode(const psh_key_attrs *a, uint8_t out[PSH_KIM_ATTRS_RECORD_SIZE])
{
    memcpy(out, attrs_magic, sizeof attrs_magic);
    out[4] = PSH_KIM_ATTRS_VERSION;
    psh_put_u16le(out + 5, (uint16_t)a->type);
    /* Callers check bits <= PSH_KIM_MAX_KEY_BITS first (psh_kim_insert does). */
    psh_put_u32le(out + 7, (uint32_t)a->bits);
    psh_put_u32le(out + 11, (uint32_t)a->usage);
    psh_put_u32le(out + 15, (uint32_t)a->alg);
}

/* Errors: InvalidEncoding for a wrong length, magic, version or an out-of-range bit size.
 * *out is zeroed on entry and written only on success. */
psh_status psh_kim_attrs_decode(const uint8_t *p, size_t len, psh_key_attrs *out)
{
    psh_status status = PSH_ERR_CORRUPTION;
    psh_reader r = psh_reader_init(p, len);
    const uint8_t *magic = NULL;
    uint8_t version = 0;
    uint16_t type = 0;
    uint32_t bits = 0, usage = 0, alg = 0;

    memset(out, 0, sizeof *out);
    if (p == NULL || len != PSH_KIM_ATTRS_RECORD_SIZE) {
        status = PSH_ERR_INVALID_ENCODING;
        goto exit;
    }
    if (psh_get_bytes(&r, sizeof attrs_magic, &magic) != 0 ||
        memcmp(magic, attrs_magic, sizeof attrs_magic) != 0 || psh_get_u8(&r, &version) != 0 ||
        version != PSH_KIM_ATTRS_VERSION || psh_get_u16le(&r, &type) != 0 ||
        psh_get_u32le(&r, &bits) != 0 || psh_get_u32le(&r, &usage) != 0 ||
        psh_get_u32le(&r, &alg) != 0 || psh_reader_left(&r) != 0 ||
        bits > PSH_KIM_MAX_KEY_BITS) {
        status = PSH_ERR_INVALID_ENCODING;
        goto exit;
    }
    out->type = (psa_key_type_t)type;
    out->bits = bits;
    out->usage = (psa_key_usage_t)usage;
    out->alg = (psa_algorithm_t)alg;
    status = PSH_SUCCESS;
exit:
    return status;
}
