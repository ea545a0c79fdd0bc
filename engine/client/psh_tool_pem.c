/* psh-tool key material conversions with Mbed TLS: PEM/DER files into the PSA import formats
 * (RSAPrivateKey / RSAPublicKey DER, ECC private scalar / uncompressed point), exported PSA
 * private keys back into PEM, and peer public keys into points for key agreement. */
#include "client/psh_tool.h"
#include "client/psh_tool_pem.h"

#include <string.h>
#include <sys/random.h>

#include <mbedtls/bignum.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/rsa.h>

#include "util/alloc.h"

#define KEY_BUF 8192 /* holds an RSA-8192 RSAPrivateKey in DER or PEM */

static int tool_rng(void *ctx, unsigned char *out, size_t len)
{
    (void)ctx;
    while (len > 0) {
        ssize_t n = getrandom(out, len, 0);
        if (n <= 0)
            return -1;
        out += n;
        len -= (size_t)n;
    }
    return 0;
}

static int is_pem(const uint8_t *p, size_t len)
{
    static const char tag[] = "-----BEGIN ";
    for (size_t i = 0; i + sizeof tag - 1 <= len; i++)
        if (memcmp(p + i, tag, sizeof tag - 1) == 0)
            return 1;
    return 0;
}

/* Parses a PEM or DER key (private when want_private, else public; a private file also yields
 * its public half). Mbed TLS needs PEM NUL-terminated with the NUL counted. */
static int parse_pk(mbedtls_pk_context *pk, const uint8_t *file, size_t len, int want_private)
{
    uint8_t *copy = NULL;
    size_t clen = len;
    const uint8_t *p = file;
    int rc;

    if (is_pem(file, len)) {
        copy = psh_malloc(len + 1);
        if (copy == NULL)
            return -1;
        memcpy(copy, file, len);
        copy[len] = '\0';
        p = copy;
        clen = len + 1;
    }
    rc = want_private ? -1 : mbedtls_pk_parse_public_key(pk, p, clen);
    if (rc != 0) {
        mbedtls_pk_free(pk);
        mbedtls_pk_init(pk);
        rc = mbedtls_pk_parse_key(pk, p, clen, NULL, 0);
    }
    if (copy != NULL)
        psh_free_secret(copy, len + 1);
    return rc == 0 ? 0 : -1;
}

static uint32_t ecc_family(mbedtls_ecp_group_id id)
{
    switch (id) {
    case MBEDTLS_ECP_DP_SECP192R1:
    case MBEDTLS_ECP_DP_SECP224R1:
    case MBEDTLS_ECP_DP_SECP256R1:
    case MBEDTLS_ECP_DP_SECP384R1:
    case MBEDTLS_ECP_DP_SECP521R1: return PSH_ECC_FAMILY_SECP_R1;
    case MBEDTLS_ECP_DP_SECP192K1:
    case MBEDTLS_ECP_DP_SECP224K1:
    case MBEDTLS_ECP_DP_SECP256K1: return PSH_ECC_FAMILY_SECP_K1;
    case MBEDTLS_ECP_DP_BP256R1:
    case MBEDTLS_ECP_DP_BP384R1:
    case MBEDTLS_ECP_DP_BP512R1: return PSH_ECC_FAMILY_BRAINPOOL_P_R1;
    default: return 0;
    }
}

/* Writes the PSA import format of pk for type a->type into buf; *n = length. */
static int psa_format(mbedtls_pk_context *pk, psh_key_attributes *a, uint8_t *buf, size_t *n,
                      const char **err)
{
    int rsa = a->type == PSH_KEY_TYPE_RSA_KEY_PAIR || a->type == PSH_KEY_TYPE_RSA_PUBLIC_KEY;
    int pair = a->type == PSH_KEY_TYPE_RSA_KEY_PAIR || a->type == PSH_KEY_TYPE_ECC_KEY_PAIR;
    int len;

    if (rsa != (mbedtls_pk_get_type(pk) == MBEDTLS_PK_RSA)) {
        *err = rsa ? "the file holds no RSA key" : "the file holds no ECC key";
        return -1;
    }
    if (!rsa && mbedtls_pk_get_type(pk) != MBEDTLS_PK_ECKEY) {
        *err = "the file holds no ECC key";
        return -1;
    }
    if (rsa) {
        /* Both write backwards from the end of the buffer. */
        if (pair) {
            len = mbedtls_pk_write_key_der(pk, buf, KEY_BUF);
        } else {
            unsigned char *p = buf + KEY_BUF;
            len = mbedtls_pk_write_pubkey(&p, buf, pk);
        }
        if (len <= 0)
            return -1;
        memmove(buf, buf + KEY_BUF - len, (size_t)len);
        *n = (size_t)len;
        a->bits = (uint32_t)mbedtls_pk_get_bitlen(pk);
        a->family = 0;
        return 0;
    }
    mbedtls_ecp_keypair *ec = mbedtls_pk_ec(*pk);
    a->family = ecc_family(ec->grp.id);
    a->bits = (uint32_t)ec->grp.pbits;
    if (a->family == 0) {
        *err = "this curve is not supported here";
        return -1;
    }
    if (pair) {
        *n = (a->bits + 7) / 8;
        return mbedtls_mpi_size(&ec->d) == 0 || mbedtls_ecp_write_key(ec, buf, *n) != 0 ? -1 : 0;
    }
    return mbedtls_ecp_point_write_binary(&ec->grp, &ec->Q, MBEDTLS_ECP_PF_UNCOMPRESSED, n, buf,
                                          KEY_BUF) == 0
               ? 0
               : -1;
}

int tool_key_from_file(psh_key_attributes *a, const uint8_t *file, size_t len, uint8_t **out,
                       size_t *out_len, const char **err)
{
    mbedtls_pk_context pk;
    uint8_t *buf = NULL;
    size_t n = 0;
    int pair = a->type == PSH_KEY_TYPE_RSA_KEY_PAIR || a->type == PSH_KEY_TYPE_ECC_KEY_PAIR;
    int rc = -1;

    *out = NULL;
    *out_len = 0;
    *err = "the file is not a PEM or DER key Mbed TLS can read";
    mbedtls_pk_init(&pk);
    buf = psh_malloc(KEY_BUF);
    if (buf == NULL || parse_pk(&pk, file, len, pair) != 0)
        goto exit;
    *err = "could not convert the key";
    if (psa_format(&pk, a, buf, &n, err) != 0)
        goto exit;
    *out = buf;
    *out_len = n;
    buf = NULL;
    rc = 0;
exit:
    if (buf != NULL)
        psh_free_secret(buf, KEY_BUF);
    mbedtls_pk_free(&pk);
    return rc;
}

static int ecc_pair_pk(mbedtls_pk_context *pk, const psh_key_attributes *a, const uint8_t *d,
                       size_t len)
{
    mbedtls_ecp_group_id id = tool_ecp_group(a->family, a->bits);
    mbedtls_ecp_keypair *ec;

    if (id == MBEDTLS_ECP_DP_NONE ||
        mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) != 0)
        return -1;
    ec = mbedtls_pk_ec(*pk);
    if (mbedtls_ecp_group_load(&ec->grp, id) != 0 || mbedtls_mpi_read_binary(&ec->d, d, len) != 0 ||
        mbedtls_ecp_check_privkey(&ec->grp, &ec->d) != 0 ||
        mbedtls_ecp_mul(&ec->grp, &ec->Q, &ec->d, &ec->grp.G, tool_rng, NULL) != 0)
        return -1;
    return 0;
}

int tool_private_key_pem(const psh_key_attributes *a, const uint8_t *data, size_t len, char **pem,
                         const char **err)
{
    mbedtls_pk_context pk;
    char *buf = NULL;
    int rc = -1;

    *pem = NULL;
    if (a->type == PSH_KEY_TYPE_RSA_PUBLIC_KEY || a->type == PSH_KEY_TYPE_ECC_PUBLIC_KEY)
        return tool_public_key_pem(a, data, len, pem, err);
    *err = "only RSA and ECC keys have a PEM form (use --format raw or hex)";
    if (a->type != PSH_KEY_TYPE_RSA_KEY_PAIR && a->type != PSH_KEY_TYPE_ECC_KEY_PAIR)
        return -1;
    *err = "the service returned a malformed private key";
    mbedtls_pk_init(&pk);
    if (a->type == PSH_KEY_TYPE_RSA_KEY_PAIR ? mbedtls_pk_parse_key(&pk, data, len, NULL, 0) != 0
                                             : ecc_pair_pk(&pk, a, data, len) != 0)
        goto exit;
    buf = psh_malloc(KEY_BUF);
    if (buf == NULL || mbedtls_pk_write_key_pem(&pk, (unsigned char *)buf, KEY_BUF) != 0) {
        *err = "could not write the PEM";
        goto exit;
    }
    *pem = buf;
    buf = NULL;
    rc = 0;
exit:
    if (buf != NULL)
        psh_free_secret(buf, KEY_BUF);
    mbedtls_pk_free(&pk);
    return rc;
}

int tool_peer_point(const uint8_t *file, size_t len, uint8_t **out, size_t *out_len,
                    const char **err)
{
    mbedtls_pk_context pk;
    uint8_t *buf = NULL;
    size_t n = 0;
    int rc = -1;

    *out = NULL;
    *out_len = 0;
    *err = "the peer key is not a PEM/DER EC public key or an uncompressed point";
    /* A raw uncompressed point (what export-public-key gives in PSA format). */
    if (len > 0 && file[0] == 0x04 && len % 2 == 1 && !is_pem(file, len)) {
        buf = psh_malloc(len);
        if (buf == NULL)
            return -1;
        memcpy(buf, file, len);
        *out = buf;
        *out_len = len;
        return 0;
    }
    mbedtls_pk_init(&pk);
    buf = psh_malloc(KEY_BUF);
    if (buf == NULL || parse_pk(&pk, file, len, 0) != 0 ||
        mbedtls_pk_get_type(&pk) != MBEDTLS_PK_ECKEY)
        goto exit;
    mbedtls_ecp_keypair *ec = mbedtls_pk_ec(pk);
    if (mbedtls_ecp_point_write_binary(&ec->grp, &ec->Q, MBEDTLS_ECP_PF_UNCOMPRESSED, &n, buf,
                                       KEY_BUF) != 0)
        goto exit;
    *out = buf;
    *out_len = n;
    buf = NULL;
    rc = 0;
exit:
    psh_free(buf);
    mbedtls_pk_free(&pk);
    return rc;
}
