/* psh-tool helpers: hex, files, local hashing, and format conversions done with Mbed TLS
 * (PSA export formats -> SubjectPublicKeyInfo PEM, ECDSA r||s <-> DER). */
#include "client/psh_tool.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <mbedtls/asn1.h>
#include <mbedtls/asn1write.h>
#include <mbedtls/bignum.h>
#include <mbedtls/ecp.h>
#include <mbedtls/md.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>

#include "client/psh_tool_pem.h"
#include "util/alloc.h"
#include "util/hex.h"

#define TOOL_FILE_MAX (64u * 1024u * 1024u)

int tool_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
    unsigned long v = 0;

    if (s == NULL || *s == '\0')
        return -1;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        if (v > (max - (unsigned long)(*p - '0')) / 10)
            return -1;
        v = v * 10 + (unsigned long)(*p - '0');
    }
    if (v < min)
        return -1;
    *out = v;
    return 0;
}

int tool_hex_decode(const char *hex, uint8_t **out, size_t *out_len)
{
    size_t len = strlen(hex), n = len / 2;
    uint8_t *buf;

    *out = NULL;
    *out_len = 0;
    if (len == 0 || len % 2 != 0)
        return -1;
    buf = psh_malloc(n);
    if (buf == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int hi = psh_hex_nibble(hex[2 * i]), lo = psh_hex_nibble(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            psh_free(buf);
            return -1;
        }
        buf[i] = (uint8_t)(hi << 4 | lo);
    }
    *out = buf;
    *out_len = n;
    return 0;
}

void tool_print_hex(const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        printf("%02x", p[i]);
    putchar('\n');
}

int tool_read_file(const char *path, uint8_t **out, size_t *out_len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = -1;

    *out = NULL;
    *out_len = 0;
    if (f == NULL)
        return -1;
    for (;;) {
        if (len == cap) {
            size_t ncap = cap == 0 ? 4096 : cap * 2;
            uint8_t *nb;
            if (cap >= TOOL_FILE_MAX)
                goto exit;
            nb = psh_realloc(buf, ncap);
            if (nb == NULL)
                goto exit;
            buf = nb;
            cap = ncap;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    if (ferror(f))
        goto exit;
    *out = buf;
    *out_len = len;
    buf = NULL;
    rc = 0;
exit:
    psh_free(buf);
    fclose(f);
    return rc;
}

int tool_write_file(const char *path, const uint8_t *p, size_t len)
{
    FILE *f = fopen(path, "wb");
    int rc = 0;

    if (f == NULL)
        return -1;
    if (len > 0 && fwrite(p, 1, len, f) != len)
        rc = -1;
    if (fclose(f) != 0)
        rc = -1;
    return rc;
}

static mbedtls_md_type_t md_type(psh_hash hash)
{
    switch (hash) {
    case PSH_HASH_SHA_224: return MBEDTLS_MD_SHA224;
    case PSH_HASH_SHA_256: return MBEDTLS_MD_SHA256;
    case PSH_HASH_SHA_384: return MBEDTLS_MD_SHA384;
    case PSH_HASH_SHA_512: return MBEDTLS_MD_SHA512;
    default: return MBEDTLS_MD_NONE;
    }
}

size_t tool_hash_size(psh_hash hash)
{
    const mbedtls_md_info_t *info = mbedtls_md_info_from_type(md_type(hash));
    return info != NULL ? mbedtls_md_get_size(info) : 0;
}

int tool_hash_file(const char *path, psh_hash hash, uint8_t *out, size_t *out_len)
{
    const mbedtls_md_info_t *info = mbedtls_md_info_from_type(md_type(hash));
    mbedtls_md_context_t md;
    uint8_t buf[16384];
    FILE *f = NULL;
    int rc = -1;

    *out_len = 0;
    if (info == NULL)
        return -1;
    mbedtls_md_init(&md);
    f = fopen(path, "rb");
    if (f == NULL || mbedtls_md_setup(&md, info, 0) != 0 || mbedtls_md_starts(&md) != 0)
        goto exit;
    for (;;) {
        size_t n = fread(buf, 1, sizeof buf, f);
        if (n == 0)
            break;
        if (mbedtls_md_update(&md, buf, n) != 0)
            goto exit;
    }
    if (ferror(f) || mbedtls_md_finish(&md, out) != 0)
        goto exit;
    *out_len = mbedtls_md_get_size(info);
    rc = 0;
exit:
    if (f != NULL)
        fclose(f);
    mbedtls_md_free(&md);
    return rc;
}

/* ---- public keys to PEM --------------------------------------------------------------------- */

mbedtls_ecp_group_id tool_ecp_group(uint32_t family, uint32_t bits)
{
    if (family == PSH_ECC_FAMILY_SECP_R1) {
        switch (bits) {
        case 192: return MBEDTLS_ECP_DP_SECP192R1;
        case 224: return MBEDTLS_ECP_DP_SECP224R1;
        case 256: return MBEDTLS_ECP_DP_SECP256R1;
        case 384: return MBEDTLS_ECP_DP_SECP384R1;
        case 521: return MBEDTLS_ECP_DP_SECP521R1;
        }
    } else if (family == PSH_ECC_FAMILY_SECP_K1) {
        switch (bits) {
        case 192: return MBEDTLS_ECP_DP_SECP192K1;
        case 224: case 225: return MBEDTLS_ECP_DP_SECP224K1;
        case 256: return MBEDTLS_ECP_DP_SECP256K1;
        }
    } else if (family == PSH_ECC_FAMILY_BRAINPOOL_P_R1) {
        switch (bits) {
        case 256: return MBEDTLS_ECP_DP_BP256R1;
        case 384: return MBEDTLS_ECP_DP_BP384R1;
        case 512: return MBEDTLS_ECP_DP_BP512R1;
        }
    }
    return MBEDTLS_ECP_DP_NONE;
}

/* RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } (RFC 3279 2.3.1). */
static int load_rsa(mbedtls_pk_context *pk, const uint8_t *data, size_t len)
{
    unsigned char *p = (unsigned char *)data;
    const unsigned char *end = data + len;
    mbedtls_mpi n, e;
    size_t seq_len;
    int rc = -1;

    mbedtls_mpi_init(&n);
    mbedtls_mpi_init(&e);
    if (mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA)) != 0 ||
        mbedtls_asn1_get_tag(&p, end, &seq_len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) !=
            0 ||
        p + seq_len != end || mbedtls_asn1_get_mpi(&p, end, &n) != 0 ||
        mbedtls_asn1_get_mpi(&p, end, &e) != 0 || p != end)
        goto exit;
    if (mbedtls_rsa_import(mbedtls_pk_rsa(*pk), &n, NULL, NULL, NULL, &e) != 0 ||
        mbedtls_rsa_complete(mbedtls_pk_rsa(*pk)) != 0 ||
        mbedtls_rsa_check_pubkey(mbedtls_pk_rsa(*pk)) != 0)
        goto exit;
    rc = 0;
exit:
    mbedtls_mpi_free(&n);
    mbedtls_mpi_free(&e);
    return rc;
}

static int load_ecc(mbedtls_pk_context *pk, const psh_key_attributes *attr, const uint8_t *data,
                    size_t len, const char **err)
{
    mbedtls_ecp_group_id id = tool_ecp_group(attr->family, attr->bits);
    mbedtls_ecp_keypair *ec;

    if (id == MBEDTLS_ECP_DP_NONE) {
        *err = "this curve has no PEM form here";
        return -1;
    }
    if (mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) != 0)
        return -1;
    ec = mbedtls_pk_ec(*pk);
    if (mbedtls_ecp_group_load(&ec->grp, id) != 0 ||
        mbedtls_ecp_point_read_binary(&ec->grp, &ec->Q, data, len) != 0 ||
        mbedtls_ecp_check_pubkey(&ec->grp, &ec->Q) != 0)
        return -1;
    return 0;
}

int tool_public_key_pem(const psh_key_attributes *attr, const uint8_t *data, size_t len,
                        char **pem, const char **err)
{
    mbedtls_pk_context pk;
    size_t size = 2 * len + 1024; /* base64 + line breaks + SPKI wrapping */
    char *buf = NULL;
    int rc = -1;

    *pem = NULL;
    *err = "the service returned a malformed public key";
    mbedtls_pk_init(&pk);
    if (attr->type == PSH_KEY_TYPE_RSA_KEY_PAIR || attr->type == PSH_KEY_TYPE_RSA_PUBLIC_KEY) {
        if (load_rsa(&pk, data, len) != 0)
            goto exit;
    } else if (attr->type == PSH_KEY_TYPE_ECC_KEY_PAIR ||
               attr->type == PSH_KEY_TYPE_ECC_PUBLIC_KEY) {
        if (load_ecc(&pk, attr, data, len, err) != 0)
            goto exit;
    } else {
        *err = "only RSA and ECC keys have a PEM form here";
        goto exit;
    }
    buf = psh_malloc(size);
    if (buf == NULL || mbedtls_pk_write_pubkey_pem(&pk, (unsigned char *)buf, size) != 0) {
        *err = "could not write the PEM";
        goto exit;
    }
    *pem = buf;
    buf = NULL;
    rc = 0;
exit:
    psh_free(buf);
    mbedtls_pk_free(&pk);
    return rc;
}

/* ---- ECDSA signature forms ----------------------------------------------------------------- */

int tool_ecdsa_raw_to_der(const uint8_t *raw, size_t len, uint8_t **der, size_t *der_len)
{
    unsigned char buf[2 * 70 + 16]; /* two INTEGERs of up to 66 bytes + headers (P-521) */
    unsigned char *p = buf + sizeof buf;
    mbedtls_mpi r, s;
    int total = 0, n, rc = -1;

    *der = NULL;
    *der_len = 0;
    if (len == 0 || len % 2 != 0 || len > 2 * 66)
        return -1;
    mbedtls_mpi_init(&r);
    mbedtls_mpi_init(&s);
    if (mbedtls_mpi_read_binary(&r, raw, len / 2) != 0 ||
        mbedtls_mpi_read_binary(&s, raw + len / 2, len / 2) != 0)
        goto exit;
    /* asn1write builds backwards from the end of the buffer. */
    if ((n = mbedtls_asn1_write_mpi(&p, buf, &s)) < 0)
        goto exit;
    total += n;
    if ((n = mbedtls_asn1_write_mpi(&p, buf, &r)) < 0)
        goto exit;
    total += n;
    if ((n = mbedtls_asn1_write_len(&p, buf, (size_t)total)) < 0)
        goto exit;
    total += n;
    if ((n = mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE)) < 0)
        goto exit;
    total += n;
    *der = psh_malloc((size_t)total);
    if (*der == NULL)
        goto exit;
    memcpy(*der, p, (size_t)total);
    *der_len = (size_t)total;
    rc = 0;
exit:
    mbedtls_mpi_free(&r);
    mbedtls_mpi_free(&s);
    return rc;
}

int tool_ecdsa_der_to_raw(const uint8_t *der, size_t len, size_t n, uint8_t **raw,
                          size_t *raw_len)
{
    unsigned char *p = (unsigned char *)der;
    const unsigned char *end = der + len;
    mbedtls_mpi r, s;
    size_t seq_len;
    uint8_t *buf = NULL;
    int rc = -1;

    *raw = NULL;
    *raw_len = 0;
    mbedtls_mpi_init(&r);
    mbedtls_mpi_init(&s);
    if (n == 0 || n > 66 ||
        mbedtls_asn1_get_tag(&p, end, &seq_len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) !=
            0 ||
        p + seq_len != end || mbedtls_asn1_get_mpi(&p, end, &r) != 0 ||
        mbedtls_asn1_get_mpi(&p, end, &s) != 0 || p != end)
        goto exit;
    buf = psh_malloc(2 * n);
    if (buf == NULL || mbedtls_mpi_write_binary(&r, buf, n) != 0 ||
        mbedtls_mpi_write_binary(&s, buf + n, n) != 0)
        goto exit;
    *raw = buf;
    *raw_len = 2 * n;
    buf = NULL;
    rc = 0;
exit:
    psh_free(buf);
    mbedtls_mpi_free(&r);
    mbedtls_mpi_free(&s);
    return rc;
}

/* ---- text forms ------------------------------------------------------------------------------ */

void tool_format_key_type(const psh_key_attributes *a, char *buf, size_t size)
{
    static const char *const names[] = {
        "Unset",   "RawData", "Hmac",         "Derive",     "Aes",        "Des",
        "Camellia", "Arc4",   "Chacha20",     "RsaPublicKey", "RsaKeyPair", "EccKeyPair",
        "EccPublicKey", "DhKeyPair", "DhPublicKey"};
    static const char *const families[] = {"NONE",    "SECP_K1", "SECP_R1", "SECP_R2",
                                           "SECT_K1", "SECT_R1", "SECT_R2", "BRAINPOOL_P_R1",
                                           "FRP",     "MONTGOMERY"};
    const char *name = (unsigned)a->type < 15 ? names[a->type] : "Unknown";

    if (a->type == PSH_KEY_TYPE_ECC_KEY_PAIR || a->type == PSH_KEY_TYPE_ECC_PUBLIC_KEY)
        snprintf(buf, size, "%s(%s)", name, a->family < 10 ? families[a->family] : "?");
    else if (a->type == PSH_KEY_TYPE_DH_KEY_PAIR || a->type == PSH_KEY_TYPE_DH_PUBLIC_KEY)
        snprintf(buf, size, "%s(RFC7919)", name);
    else
        snprintf(buf, size, "%s", name);
}

void tool_format_alg(const psh_algorithm *a, char *buf, size_t size)
{
    const char *h = psh_client_hash_name(a->hash);

    if (h == NULL)
        h = "?";
    switch (a->kind) {
    case PSH_ALG_UNSET: snprintf(buf, size, "Unset"); break;
    case PSH_ALG_NONE: snprintf(buf, size, "None"); break;
    case PSH_ALG_HASH: snprintf(buf, size, "Hash(%s)", h); break;
    case PSH_ALG_HMAC: snprintf(buf, size, "Hmac(%s)", h); break;
    case PSH_ALG_CMAC: snprintf(buf, size, "Cmac"); break;
    case PSH_ALG_CIPHER: snprintf(buf, size, "Cipher(%u)", a->cipher); break;
    case PSH_ALG_AEAD: snprintf(buf, size, "Aead(%u)", a->cipher); break;
    case PSH_ALG_RSA_PKCS1V15_SIGN: snprintf(buf, size, "RsaPkcs1v15Sign(%s)", h); break;
    case PSH_ALG_RSA_PKCS1V15_SIGN_RAW: snprintf(buf, size, "RsaPkcs1v15SignRaw"); break;
    case PSH_ALG_RSA_PSS: snprintf(buf, size, "RsaPss(%s)", h); break;
    case PSH_ALG_ECDSA: snprintf(buf, size, "Ecdsa(%s)", h); break;
    case PSH_ALG_ECDSA_ANY: snprintf(buf, size, "EcdsaAny"); break;
    case PSH_ALG_DETERMINISTIC_ECDSA: snprintf(buf, size, "DeterministicEcdsa(%s)", h); break;
    case PSH_ALG_RSA_PKCS1V15_CRYPT: snprintf(buf, size, "RsaPkcs1v15Crypt"); break;
    case PSH_ALG_RSA_OAEP: snprintf(buf, size, "RsaOaep(%s)", h); break;
    case PSH_ALG_ECDH: snprintf(buf, size, "Ecdh"); break;
    case PSH_ALG_FFDH: snprintf(buf, size, "Ffdh"); break;
    default: snprintf(buf, size, "Other"); break;
    }
}

void tool_format_usage(uint32_t usage, char *buf, size_t size)
{
    static const char *const names[] = {"export",       "copy",           "cache",
                                        "encrypt",      "decrypt",        "sign_message",
                                        "verify_message", "sign_hash",    "verify_hash",
                                        "derive"};
    size_t off = 0;

    buf[0] = '\0';
    for (unsigned i = 0; i < 10; i++) {
        if (!(usage & (1u << i)))
            continue;
        int n = snprintf(buf + off, size - off, "%s%s", off ? "," : "", names[i]);
        if (n < 0 || (size_t)n >= size - off)
            break;
        off += (size_t)n;
    }
    if (off == 0)
        snprintf(buf, size, "-");
}
