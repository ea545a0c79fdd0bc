/* The few DER shapes the provider converts between token attributes and PSA export formats
 * (spec 6.2): RSAPublicKey, RSAPrivateKey, the EC point OCTET STRING and curve OIDs. Parsing
 * goes through Mbed TLS's bounded asn1parse; writing is length-first so nothing is formed past
 * the caller's buffer. */
#include "providers/pkcs11/p11_internal.h"

#include <string.h>

#include <mbedtls/asn1.h>

/* ---- writer ----------------------------------------------------------------------------- */

static size_t len_size(size_t n) { return n < 0x80 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : 0; }

/* Content length of a positive INTEGER from big-endian bytes (leading zeros stripped). */
static size_t int_content(const uint8_t **v, size_t *len)
{
    while (*len > 1 && (*v)[0] == 0) {
        (*v)++;
        (*len)--;
    }
    if (*len == 0)
        return 1; /* zero */
    return *len + (((*v)[0] & 0x80) ? 1 : 0);
}

typedef struct der_w {
    uint8_t *p;
    size_t size, off;
    int overflow;
} der_w;

static void put(der_w *w, const uint8_t *b, size_t n)
{
    if (w->overflow || n > w->size - w->off) {
        w->overflow = 1;
        return;
    }
    if (n > 0)
        memcpy(w->p + w->off, b, n);
    w->off += n;
}

static void put_tl(der_w *w, uint8_t tag, size_t len)
{
    uint8_t h[4];
    size_t n = 0;
    h[n++] = tag;
    if (len < 0x80) {
        h[n++] = (uint8_t)len;
    } else if (len < 0x100) {
        h[n++] = 0x81;
        h[n++] = (uint8_t)len;
    } else {
        h[n++] = 0x82;
        h[n++] = (uint8_t)(len >> 8);
        h[n++] = (uint8_t)len;
    }
    put(w, h, n);
}

static void put_int(der_w *w, const uint8_t *v, size_t len)
{
    static const uint8_t zero = 0;
    size_t c = int_content(&v, &len);
    put_tl(w, 0x02, c);
    if (len == 0 || c > len)
        put(w, &zero, 1);
    put(w, v, len);
}

static size_t int_tlv_size(const uint8_t *v, size_t len)
{
    size_t c = int_content(&v, &len);
    return 1 + len_size(c) + c;
}

static psh_status der_sequence_of_ints(const uint8_t *const v[], const size_t v_len[], size_t n,
                                       int version0, uint8_t *out, size_t out_size,
                                       size_t *out_len)
{
    static const uint8_t zero = 0;
    der_w w = {out, out_size, 0, 0};
    size_t body = version0 ? 3 : 0;

    for (size_t i = 0; i < n; i++) {
        if (v_len[i] > 4096)
            return PSH_ERR_PSA_INVALID_ARGUMENT;
        body += int_tlv_size(v[i], v_len[i]);
    }
    if (len_size(body) == 0)
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    put_tl(&w, 0x30, body);
    if (version0)
        put_int(&w, &zero, 1);
    for (size_t i = 0; i < n; i++)
        put_int(&w, v[i], v_len[i]);
    if (w.overflow)
        return PSH_ERR_PSA_BUFFER_TOO_SMALL;
    *out_len = w.off;
    return PSH_SUCCESS;
}

psh_status p11_der_rsa_public(const uint8_t *n, size_t n_len, const uint8_t *e, size_t e_len,
                              uint8_t *out, size_t out_size, size_t *out_len)
{
    const uint8_t *v[2] = {n, e};
    const size_t l[2] = {n_len, e_len};
    return der_sequence_of_ints(v, l, 2, 0, out, out_size, out_len);
}

psh_status p11_der_rsa_private(const uint8_t *const v[8], const size_t v_len[8], uint8_t *out,
                               size_t out_size, size_t *out_len)
{
    return der_sequence_of_ints(v, v_len, 8, 1, out, out_size, out_len);
}

/* ---- parser ----------------------------------------------------------------------------- */

/* One INTEGER, non-negative, borrowed with leading zeros stripped. */
static int get_uint(unsigned char **p, const unsigned char *end, const uint8_t **v, size_t *len)
{
    size_t l = 0;
    if (mbedtls_asn1_get_tag(p, end, &l, MBEDTLS_ASN1_INTEGER) != 0 || l == 0)
        return -1;
    if ((*p)[0] & 0x80)
        return -1; /* negative */
    *v = *p;
    *len = l;
    *p += l;
    while (*len > 1 && (*v)[0] == 0) {
        (*v)++;
        (*len)--;
    }
    return 0;
}

static psh_status parse_ints(const uint8_t *der, size_t len, int version0, const uint8_t **v,
                             size_t *v_len, size_t n)
{
    unsigned char *p = (unsigned char *)der;
    const unsigned char *end = der + len;
    size_t seq = 0;

    if (der == NULL || len == 0)
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    if (mbedtls_asn1_get_tag(&p, end, &seq, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0 ||
        p + seq != end)
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    if (version0) {
        int ver = -1;
        if (mbedtls_asn1_get_int(&p, end, &ver) != 0 || ver != 0)
            return PSH_ERR_PSA_INVALID_ARGUMENT;
    }
    for (size_t i = 0; i < n; i++)
        if (get_uint(&p, end, &v[i], &v_len[i]) != 0)
            return PSH_ERR_PSA_INVALID_ARGUMENT;
    return p == end ? PSH_SUCCESS : PSH_ERR_PSA_INVALID_ARGUMENT;
}

psh_status p11_der_rsa_private_parse(const uint8_t *der, size_t len, const uint8_t *v[8],
                                     size_t v_len[8])
{
    return parse_ints(der, len, 1, v, v_len, 8);
}

psh_status p11_der_rsa_public_parse(const uint8_t *der, size_t len, const uint8_t **n,
                                    size_t *n_len, const uint8_t **e, size_t *e_len)
{
    const uint8_t *v[2];
    size_t l[2];
    psh_status st = parse_ints(der, len, 0, v, l, 2);
    if (st != PSH_SUCCESS)
        return st;
    *n = v[0];
    *n_len = l[0];
    *e = v[1];
    *e_len = l[1];
    return PSH_SUCCESS;
}

/* ---- EC ---------------------------------------------------------------------------------- */

void p11_ec_point_unwrap(const uint8_t *p, size_t len, const uint8_t **pt, size_t *pt_len)
{
    unsigned char *c = (unsigned char *)p;
    size_t l = 0;
    *pt = p;
    *pt_len = len;
    if (p == NULL || len == 0)
        return;
    if (mbedtls_asn1_get_tag(&c, p + len, &l, MBEDTLS_ASN1_OCTET_STRING) == 0 &&
        c + l == p + len) {
        *pt = c;
        *pt_len = l;
    }
}

size_t p11_ec_point_wrap(const uint8_t *pt, size_t len, uint8_t *out, size_t out_size)
{
    der_w w = {out, out_size, 0, 0};
    if (len > 255)
        return 0;
    put_tl(&w, 0x04, len);
    put(&w, pt, len);
    return w.overflow ? 0 : w.off;
}

static const uint8_t oid_p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
static const uint8_t oid_p384[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};
static const uint8_t oid_p521[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23};

const uint8_t *p11_ec_params(psa_ecc_family_t family, size_t bits, size_t *len)
{
    *len = 0;
    if (family != PSA_ECC_FAMILY_SECP_R1)
        return NULL;
    switch (bits) {
    case 256: *len = sizeof oid_p256; return oid_p256;
    case 384: *len = sizeof oid_p384; return oid_p384;
    case 521: *len = sizeof oid_p521; return oid_p521;
    default: return NULL;
    }
}
