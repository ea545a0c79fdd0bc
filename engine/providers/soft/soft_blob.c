/* The soft provider's key blob (format in soft_internal.h). Parsed as untrusted input: the
 * bytes come back from the KIM, which an attacker with file access could have edited. */
#include "providers/soft/soft_internal.h"

#include <string.h>

#include "util/alloc.h"
#include "util/reader.h"

static const uint8_t blob_magic[4] = {'P', 'S', 'H', 'K'};

psh_status soft_blob_parse(const uint8_t *p, size_t len, soft_blob *out)
{
    psh_status status = PSH_ERR_CORRUPTION;
    psh_reader r = psh_reader_init(p, len);
    const uint8_t *magic = NULL, *material = NULL;
    uint8_t version = 0;
    uint16_t type = 0;
    uint32_t bits = 0, usage = 0, alg = 0, mlen = 0;

    memset(out, 0, sizeof *out);
    if (psh_get_bytes(&r, sizeof blob_magic, &magic) != 0 ||
        memcmp(magic, blob_magic, sizeof blob_magic) != 0 || psh_get_u8(&r, &version) != 0 ||
        version != SOFT_BLOB_VERSION || psh_get_u16le(&r, &type) != 0 ||
        psh_get_u32le(&r, &bits) != 0 || psh_get_u32le(&r, &usage) != 0 ||
        psh_get_u32le(&r, &alg) != 0 || psh_get_u32le(&r, &mlen) != 0) {
        status = PSH_ERR_INVALID_ENCODING;
        goto exit;
    }
    /* Check the declared length against the cap and the bytes left before using it. */
    if (bits == 0 || bits > SOFT_MAX_KEY_BITS || mlen == 0 || mlen > SOFT_MAX_MATERIAL ||
        psh_reader_left(&r) != mlen || psh_get_bytes(&r, mlen, &material) != 0) {
        status = PSH_ERR_INVALID_ENCODING;
        goto exit;
    }
    out->attrs.type = (psa_key_type_t)type;
    out->attrs.bits = bits;
    out->attrs.usage = (psa_key_usage_t)usage;
    out->attrs.alg = (psa_algorithm_t)alg;
    out->material = material;
    out->material_len = mlen;
    status = PSH_SUCCESS;
exit:
    return status;
}

psh_status soft_blob_build(const psh_key_attrs *attrs, const uint8_t *material,
                           size_t material_len, uint8_t **out, size_t *out_len)
{
    psh_status status = PSH_ERR_CORRUPTION;
    uint8_t *b = NULL;

    *out = NULL;
    *out_len = 0;
    if (material_len == 0 || material_len > SOFT_MAX_MATERIAL || attrs->bits == 0 ||
        attrs->bits > SOFT_MAX_KEY_BITS) {
        status = PSH_ERR_PSA_INVALID_ARGUMENT;
        goto exit;
    }
    b = psh_malloc(SOFT_BLOB_HEADER + material_len);
    if (b == NULL) {
        status = PSH_ERR_PSA_INSUFFICIENT_MEMORY;
        goto exit;
    }
    memcpy(b, blob_magic, sizeof blob_magic);
    b[4] = SOFT_BLOB_VERSION;
    psh_put_u16le(b + 5, (uint16_t)attrs->type);
    psh_put_u32le(b + 7, (uint32_t)attrs->bits);
    psh_put_u32le(b + 11, (uint32_t)attrs->usage);
    psh_put_u32le(b + 15, (uint32_t)attrs->alg);
    psh_put_u32le(b + 19, (uint32_t)material_len);
    memcpy(b + SOFT_BLOB_HEADER, material, material_len);
    *out = b;
    *out_len = SOFT_BLOB_HEADER + material_len;
    status = PSH_SUCCESS;
exit:
    return status;
}
