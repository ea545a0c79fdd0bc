/* The key record the KIM stores (layout in tpm_internal.h) and the conversions between TPM
 * public areas and PSA key formats. The record comes back from storage: it is parsed as
 * untrusted input, with exact lengths and tss2-mu doing the structure checks. */
#include <string.h>

#include <mbedtls/asn1.h>
#include <mbedtls/asn1write.h>
#include <mbedtls/platform_util.h>
#include <tss2/tss2_mu.h>

#include "providers/tpm/tpm_internal.h"
#include "util/alloc.h"
#include "util/psa_lock.h"

static const uint8_t blob_magic[4] = {'P', 'S', 'H', 'T'};

static size_t curve_bytes(TPMI_ECC_CURVE c)
{
    return c == TPM2_ECC_NIST_P256 ? 32 : c == TPM2_ECC_NIST_P384 ? 48 : 0;
}

psh_status tpm_public_to_psa(const TPMT_PUBLIC *pub, int has_private, psa_key_type_t *type,
                             size_t *bits)
{
    if (pub->nameAlg != TPM2_ALG_SHA256)
        return PSH_ERR_PSA_DATA_INVALID;
    if (pub->type == TPM2_ALG_ECC) {
        size_t n = curve_bytes(pub->parameters.eccDetail.curveID);
        if (n == 0 || pub->unique.ecc.x.size == 0 || pub->unique.ecc.x.size > n ||
            pub->unique.ecc.y.size == 0 || pub->unique.ecc.y.size > n)
            return PSH_ERR_PSA_DATA_INVALID;
        *type = has_private ? PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1)
                            : PSA_KEY_TYPE_ECC_PUBLIC_KEY(PSA_ECC_FAMILY_SECP_R1);
        *bits = n * 8;
        return PSH_SUCCESS;
    }
    if (pub->type == TPM2_ALG_RSA) {
        TPMI_RSA_KEY_BITS kb = pub->parameters.rsaDetail.keyBits;
        if ((kb != 2048 && kb != 3072) || pub->unique.rsa.size != kb / 8)
            return PSH_ERR_PSA_DATA_INVALID;
        *type = has_private ? PSA_KEY_TYPE_RSA_KEY_PAIR : PSA_KEY_TYPE_RSA_PUBLIC_KEY;
        *bits = kb;
        return PSH_SUCCESS;
    }
    return PSH_ERR_PSA_DATA_INVALID;
}

psh_status tpm_blob_parse(const uint8_t *p, size_t len, tpm_blob *out)
{
    size_t pub_len, priv_len, off = 0;
    psa_key_type_t type;
    size_t bits;

    memset(out, 0, sizeof *out);
    if (p == NULL || len < 9 || memcmp(p, blob_magic, 4) != 0 || p[4] != TPM_BLOB_VERSION)
        return PSH_ERR_INVALID_ENCODING;
    pub_len = ((size_t)p[5] << 8) | p[6];
    if (pub_len == 0 || pub_len > TPM_MAX_PUB || pub_len > len - 9)
        return PSH_ERR_INVALID_ENCODING;
    priv_len = ((size_t)p[7 + pub_len] << 8) | p[8 + pub_len];
    if (priv_len > TPM_MAX_PRIV || priv_len != len - 9 - pub_len)
        return PSH_ERR_INVALID_ENCODING;
    if (Tss2_MU_TPM2B_PUBLIC_Unmarshal(p + 7, pub_len, &off, &out->pub) != TSS2_RC_SUCCESS ||
        off != pub_len)
        goto bad;
    if (priv_len != 0) {
        off = 0;
        if (Tss2_MU_TPM2B_PRIVATE_Unmarshal(p + 9 + pub_len, priv_len, &off, &out->priv) !=
                TSS2_RC_SUCCESS ||
            off != priv_len || out->priv.size == 0)
            goto bad;
    }
    return tpm_public_to_psa(&out->pub.publicArea, out->priv.size != 0, &type, &bits);
bad:
    mbedtls_platform_zeroize(out, sizeof *out);
    return PSH_ERR_INVALID_ENCODING;
}

psh_status tpm_blob_build(const TPM2B_PUBLIC *pub, const TPM2B_PRIVATE *priv, uint8_t **out,
                          size_t *out_len)
{
    size_t cap = 9 + TPM_MAX_PUB + TPM_MAX_PRIV, pub_len = 0, priv_len = 0;
    uint8_t *b = psh_malloc(cap);

    *out = NULL;
    *out_len = 0;
    if (b == NULL)
        return PSH_ERR_PSA_INSUFFICIENT_MEMORY;
    memcpy(b, blob_magic, 4);
    b[4] = TPM_BLOB_VERSION;
    if (Tss2_MU_TPM2B_PUBLIC_Marshal(pub, b + 7, TPM_MAX_PUB, &pub_len) != TSS2_RC_SUCCESS)
        goto bad;
    b[5] = (uint8_t)(pub_len >> 8);
    b[6] = (uint8_t)pub_len;
    if (priv != NULL && priv->size != 0 &&
        Tss2_MU_TPM2B_PRIVATE_Marshal(priv, b + 9 + pub_len, TPM_MAX_PRIV, &priv_len) !=
            TSS2_RC_SUCCESS)
        goto bad;
    b[7 + pub_len] = (uint8_t)(priv_len >> 8);
    b[8 + pub_len] = (uint8_t)priv_len;
    *out = b;
    *out_len = 9 + pub_len + priv_len;
    return PSH_SUCCESS;
bad:
    psh_free_secret(b, cap);
    return PSH_ERR_PSA_GENERIC;
}

/* ---- export ------------------------------------------------------------------------------ */

/* An unsigned big-endian INTEGER, written backwards before *p (mbedtls_asn1_write style). */
static int write_uint(unsigned char **p, unsigned char *start, const uint8_t *v, size_t n)
{
    int ret, len = 0;
    while (n > 1 && v[0] == 0) {
        v++;
        n--;
    }
    if ((ret = mbedtls_asn1_write_raw_buffer(p, start, v, n)) < 0)
        return ret;
    len += ret;
    if (v[0] & 0x80) {
        if (*p - start < 1)
            return MBEDTLS_ERR_ASN1_BUF_TOO_SMALL;
        *--(*p) = 0;
        len++;
    }
    if ((ret = mbedtls_asn1_write_len(p, start, (size_t)len)) < 0)
        return ret;
    len += ret;
    if ((ret = mbedtls_asn1_write_tag(p, start, MBEDTLS_ASN1_INTEGER)) < 0)
        return ret;
    return len + ret;
}

psh_status tpm_export_public(const TPMT_PUBLIC *pub, uint8_t *out, size_t out_size,
                             size_t *out_len)
{
    if (pub->type == TPM2_ALG_ECC) {
        size_t n = curve_bytes(pub->parameters.eccDetail.curveID);
        const TPM2B_ECC_PARAMETER *x = &pub->unique.ecc.x, *y = &pub->unique.ecc.y;
        if (n == 0 || x->size > n || y->size > n)
            return PSH_ERR_PSA_DATA_INVALID;
        if (out_size < 1 + 2 * n)
            return PSH_ERR_PSA_BUFFER_TOO_SMALL;
        memset(out, 0, 1 + 2 * n);
        out[0] = 0x04;
        memcpy(out + 1 + n - x->size, x->buffer, x->size);
        memcpy(out + 1 + 2 * n - y->size, y->buffer, y->size);
        *out_len = 1 + 2 * n;
        return PSH_SUCCESS;
    }
    if (pub->type == TPM2_ALG_RSA) {
        uint8_t buf[600], e[4];
        unsigned char *p = buf + sizeof buf;
        uint32_t exp = pub->parameters.rsaDetail.exponent ? pub->parameters.rsaDetail.exponent
                                                          : 65537;
        int len = 0, r;
        if (pub->unique.rsa.size == 0 || pub->unique.rsa.size > 512)
            return PSH_ERR_PSA_DATA_INVALID;
        e[0] = (uint8_t)(exp >> 24);
        e[1] = (uint8_t)(exp >> 16);
        e[2] = (uint8_t)(exp >> 8);
        e[3] = (uint8_t)exp;
        if ((r = write_uint(&p, buf, e, 4)) < 0)
            return PSH_ERR_PSA_GENERIC;
        len += r;
        if ((r = write_uint(&p, buf, pub->unique.rsa.buffer, pub->unique.rsa.size)) < 0)
            return PSH_ERR_PSA_GENERIC;
        len += r;
        if ((r = mbedtls_asn1_write_len(&p, buf, (size_t)len)) < 0)
            return PSH_ERR_PSA_GENERIC;
        len += r;
        if ((r = mbedtls_asn1_write_tag(&p, buf,
                                        MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE)) < 0)
            return PSH_ERR_PSA_GENERIC;
        len += r;
        if (out_size < (size_t)len)
            return PSH_ERR_PSA_BUFFER_TOO_SMALL;
        memcpy(out, p, (size_t)len);
        *out_len = (size_t)len;
        return PSH_SUCCESS;
    }
    return PSH_ERR_PSA_DATA_INVALID;
}

/* ---- templates --------------------------------------------------------------------------- */

static int wants_sign(const psh_key_attrs *a)
{
    return (a->usage & (PSA_KEY_USAGE_SIGN_HASH | PSA_KEY_USAGE_VERIFY_HASH |
                        PSA_KEY_USAGE_SIGN_MESSAGE | PSA_KEY_USAGE_VERIFY_MESSAGE)) ||
           PSA_ALG_IS_SIGN(a->alg);
}

static int wants_decrypt(const psh_key_attrs *a)
{
    return (a->usage & (PSA_KEY_USAGE_ENCRYPT | PSA_KEY_USAGE_DECRYPT)) ||
           PSA_ALG_IS_ASYMMETRIC_ENCRYPTION(a->alg);
}

/* The public area shape for attrs; origin_tpm: generated inside (fixedTPM etc.) or imported. */
static psh_status shape(const psh_key_attrs *a, size_t bits, int origin_tpm, TPMT_PUBLIC *t)
{
    psa_key_type_t base = PSA_KEY_TYPE_IS_ECC(a->type) ? PSA_KEY_TYPE_ECC_KEY_PAIR(
                                                             PSA_KEY_TYPE_ECC_GET_FAMILY(a->type))
                                                       : a->type;
    memset(t, 0, sizeof *t);
    t->nameAlg = TPM2_ALG_SHA256;
    /* noDA: empty auth, and unorderly resets must not lock the keys out (see tpm.c). */
    t->objectAttributes = TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_NODA;
    if (origin_tpm)
        t->objectAttributes |= TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                               TPMA_OBJECT_SENSITIVEDATAORIGIN;
    if (base == PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1)) {
        t->type = TPM2_ALG_ECC;
        t->parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
        t->parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
        t->parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
        if (bits == 256)
            t->parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
        else if (bits == 384)
            t->parameters.eccDetail.curveID = TPM2_ECC_NIST_P384;
        else
            return PSH_ERR_PSA_NOT_SUPPORTED;
        t->objectAttributes |= TPMA_OBJECT_SIGN_ENCRYPT; /* no ECDH served */
        return PSH_SUCCESS;
    }
    if (base == PSA_KEY_TYPE_RSA_KEY_PAIR || base == PSA_KEY_TYPE_RSA_PUBLIC_KEY) {
        if (bits != 2048 && bits != 3072)
            return PSH_ERR_PSA_NOT_SUPPORTED;
        t->type = TPM2_ALG_RSA;
        t->parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
        t->parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL; /* chosen per operation */
        t->parameters.rsaDetail.keyBits = (TPMI_RSA_KEY_BITS)bits;
        t->parameters.rsaDetail.exponent = 0;
        if (wants_sign(a) || !wants_decrypt(a))
            t->objectAttributes |= TPMA_OBJECT_SIGN_ENCRYPT;
        if (wants_decrypt(a))
            t->objectAttributes |= TPMA_OBJECT_DECRYPT;
        return PSH_SUCCESS;
    }
    return PSH_ERR_PSA_NOT_SUPPORTED;
}

psh_status tpm_template(const psh_key_attrs *attrs, TPM2B_PUBLIC *out)
{
    memset(out, 0, sizeof *out);
    if (attrs->type != PSA_KEY_TYPE_RSA_KEY_PAIR &&
        attrs->type != PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1))
        return PSH_ERR_PSA_NOT_SUPPORTED;
    return shape(attrs, attrs->bits, 1, &out->publicArea);
}

/* ---- import ------------------------------------------------------------------------------ */

/* Mbed TLS checks the key data (point on the curve, RSA structure) and tells its size. */
static psh_status psa_check(psa_key_type_t type, const uint8_t *data, size_t len, size_t *bits,
                            uint8_t *pub, size_t pub_size, size_t *pub_len)
{
    psa_key_attributes_t a = PSA_KEY_ATTRIBUTES_INIT;
    psa_key_id_t id = 0;
    psa_status_t s;
    psa_set_key_type(&a, type);
    psa_set_key_usage_flags(&a, 0);
    psh_psa_lock();
    s = psa_import_key(&a, data, len, &id);
    if (s == PSA_SUCCESS) {
        psa_key_attributes_t got = PSA_KEY_ATTRIBUTES_INIT;
        s = psa_get_key_attributes(id, &got);
        *bits = psa_get_key_bits(&got);
        psa_reset_key_attributes(&got);
        if (s == PSA_SUCCESS && pub != NULL)
            s = psa_export_public_key(id, pub, pub_size, pub_len);
        psa_destroy_key(id);
    }
    psh_psa_unlock();
    if (s == PSA_ERROR_NOT_SUPPORTED)
        return PSH_ERR_PSA_NOT_SUPPORTED;
    return s == PSA_SUCCESS ? PSH_SUCCESS : PSH_ERR_PSA_INVALID_ARGUMENT;
}

static int set_ecc_point(TPMT_PUBLIC *t, const uint8_t *pt, size_t len, size_t n)
{
    if (len != 1 + 2 * n || pt[0] != 0x04)
        return 0;
    t->unique.ecc.x.size = (UINT16)n;
    memcpy(t->unique.ecc.x.buffer, pt + 1, n);
    t->unique.ecc.y.size = (UINT16)n;
    memcpy(t->unique.ecc.y.buffer, pt + 1 + n, n);
    return 1;
}

/* The next DER INTEGER as unsigned big-endian bytes (borrowed, leading zeros stripped). */
static int get_uint(unsigned char **p, const unsigned char *end, const uint8_t **v, size_t *n)
{
    size_t len;
    if (mbedtls_asn1_get_tag(p, end, &len, MBEDTLS_ASN1_INTEGER) != 0 || len == 0)
        return 0;
    *v = *p;
    *n = len;
    *p += len;
    while (*n > 1 && (*v)[0] == 0) {
        (*v)++;
        (*n)--;
    }
    return 1;
}

/* n and e of a DER RSAPublicKey or (private) the n, e and p of an RSAPrivateKey. */
static psh_status rsa_fields(const uint8_t *data, size_t len, int private_key, const uint8_t **n,
                             size_t *n_len, uint32_t *e, const uint8_t **prime, size_t *p_len)
{
    unsigned char *p = (unsigned char *)(uintptr_t)data; /* the asn1 reader does not write */
    const unsigned char *end = data + len;
    const uint8_t *ev, *skip;
    size_t seq, el, sl;
    if (mbedtls_asn1_get_tag(&p, end, &seq, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE))
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    end = p + seq;
    if (private_key && !get_uint(&p, end, &skip, &sl)) /* version */
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    if (!get_uint(&p, end, n, n_len) || !get_uint(&p, end, &ev, &el) || el > 4)
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    *e = 0;
    for (size_t i = 0; i < el; i++)
        *e = (*e << 8) | ev[i];
    if (private_key && (!get_uint(&p, end, &skip, &sl) || !get_uint(&p, end, prime, p_len)))
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    return PSH_SUCCESS;
}

static psh_status fill_rsa(TPMT_PUBLIC *t, const uint8_t *n, size_t n_len, uint32_t e)
{
    if (n_len != t->parameters.rsaDetail.keyBits / 8 || n_len > sizeof t->unique.rsa.buffer)
        return PSH_ERR_PSA_NOT_SUPPORTED;
    /* The TPM's default exponent is 65537, written as 0. */
    t->parameters.rsaDetail.exponent = e == 65537 ? 0 : e;
    t->unique.rsa.size = (UINT16)n_len;
    memcpy(t->unique.rsa.buffer, n, n_len);
    return PSH_SUCCESS;
}

psh_status tpm_public_from_psa(const psh_key_attrs *attrs, const uint8_t *data, size_t len,
                               TPM2B_PUBLIC *out, size_t *bits)
{
    psh_status st;
    memset(out, 0, sizeof *out);
    if (attrs->type != PSA_KEY_TYPE_RSA_PUBLIC_KEY &&
        attrs->type != PSA_KEY_TYPE_ECC_PUBLIC_KEY(PSA_ECC_FAMILY_SECP_R1))
        return PSH_ERR_PSA_NOT_SUPPORTED;
    st = psa_check(attrs->type, data, len, bits, NULL, 0, NULL);
    if (st != PSH_SUCCESS)
        return st;
    st = shape(attrs, *bits, 0, &out->publicArea);
    if (st != PSH_SUCCESS)
        return st;
    if (out->publicArea.type == TPM2_ALG_ECC) {
        if (!set_ecc_point(&out->publicArea, data, len, *bits / 8))
            return PSH_ERR_PSA_INVALID_ARGUMENT;
        return PSH_SUCCESS;
    } else {
        const uint8_t *n, *pr;
        size_t n_len, p_len;
        uint32_t e;
        st = rsa_fields(data, len, 0, &n, &n_len, &e, &pr, &p_len);
        return st != PSH_SUCCESS ? st : fill_rsa(&out->publicArea, n, n_len, e);
    }
}

psh_status tpm_private_from_psa(const psh_key_attrs *attrs, const uint8_t *data, size_t len,
                                TPM2B_PUBLIC *pub, TPM2B_SENSITIVE *sens, size_t *bits)
{
    uint8_t point[1 + 2 * 66];
    size_t point_len = 0;
    psh_status st;
    TPMT_SENSITIVE *s = &sens->sensitiveArea;

    memset(pub, 0, sizeof *pub);
    memset(sens, 0, sizeof *sens);
    if (attrs->type != PSA_KEY_TYPE_RSA_KEY_PAIR &&
        attrs->type != PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1))
        return PSH_ERR_PSA_NOT_SUPPORTED;
    /* The public point of an ECC key comes from Mbed TLS; RSA's n and e are in the DER. */
    st = psa_check(attrs->type, data, len, bits, PSA_KEY_TYPE_IS_ECC(attrs->type) ? point : NULL,
                   sizeof point, &point_len);
    if (st != PSH_SUCCESS)
        return st;
    st = shape(attrs, *bits, 0, &pub->publicArea);
    if (st != PSH_SUCCESS)
        return st;
    if (pub->publicArea.type == TPM2_ALG_ECC) {
        size_t n = *bits / 8;
        if (!set_ecc_point(&pub->publicArea, point, point_len, n) || len != n)
            return PSH_ERR_PSA_INVALID_ARGUMENT;
        s->sensitiveType = TPM2_ALG_ECC;
        s->sensitive.ecc.size = (UINT16)n;
        memcpy(s->sensitive.ecc.buffer, data, n);
    } else {
        const uint8_t *n, *pr;
        size_t n_len, p_len;
        uint32_t e;
        st = rsa_fields(data, len, 1, &n, &n_len, &e, &pr, &p_len);
        if (st == PSH_SUCCESS)
            st = fill_rsa(&pub->publicArea, n, n_len, e);
        if (st != PSH_SUCCESS)
            return st;
        if (p_len > sizeof s->sensitive.rsa.buffer)
            return PSH_ERR_PSA_INVALID_ARGUMENT;
        s->sensitiveType = TPM2_ALG_RSA;
        s->sensitive.rsa.size = (UINT16)p_len;
        memcpy(s->sensitive.rsa.buffer, pr, p_len);
    }
    return PSH_SUCCESS;
}
