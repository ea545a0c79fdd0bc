/* EME-OAEP decoding (RFC 8017 section 7.1.2) for tokens whose CKM_RSA_PKCS_OAEP takes only
 * SHA-1 (SoftHSM 2.6 refuses any other hashAlg with CKR_ARGUMENTS_BAD): the token does the
 * private-key step with CKM_RSA_X_509 and the padding is checked here. Every check is folded
 * into one flag without early exits, and all failures look the same to the caller
 * (PsaErrorInvalidPadding), so a timing or status oracle does not tell which check failed
 * (Manger's attack needs exactly that distinction). */
#include "providers/pkcs11/p11_internal.h"

#include <string.h>

#include <mbedtls/md.h>

#include "util/alloc.h"

static const mbedtls_md_info_t *md_for(psa_algorithm_t hash)
{
    switch (hash) {
    case PSA_ALG_SHA_1: return mbedtls_md_info_from_type(MBEDTLS_MD_SHA1);
    case PSA_ALG_SHA_224: return mbedtls_md_info_from_type(MBEDTLS_MD_SHA224);
    case PSA_ALG_SHA_256: return mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
    case PSA_ALG_SHA_384: return mbedtls_md_info_from_type(MBEDTLS_MD_SHA384);
    case PSA_ALG_SHA_512: return mbedtls_md_info_from_type(MBEDTLS_MD_SHA512);
    default: return NULL;
    }
}

/* dst ^= MGF1(seed, dst_len). */
static int mgf1_xor(const mbedtls_md_info_t *md, const uint8_t *seed, size_t seed_len,
                    uint8_t *dst, size_t dst_len)
{
    uint8_t counter[4] = {0, 0, 0, 0};
    uint8_t block[MBEDTLS_MD_MAX_SIZE];
    size_t hlen = mbedtls_md_get_size(md);
    mbedtls_md_context_t c;
    int ret = 0;

    mbedtls_md_init(&c);
    if ((ret = mbedtls_md_setup(&c, md, 0)) != 0)
        goto exit;
    while (dst_len > 0) {
        size_t n = dst_len < hlen ? dst_len : hlen;
        if ((ret = mbedtls_md_starts(&c)) != 0 || (ret = mbedtls_md_update(&c, seed, seed_len)) != 0 ||
            (ret = mbedtls_md_update(&c, counter, 4)) != 0 || (ret = mbedtls_md_finish(&c, block)) != 0)
            goto exit;
        for (size_t i = 0; i < n; i++)
            dst[i] ^= block[i];
        dst += n;
        dst_len -= n;
        for (int i = 3; i >= 0 && ++counter[i] == 0; i--) {
        }
    }
exit:
    mbedtls_md_free(&c);
    psh_zeroize(block, sizeof block);
    return ret;
}

/* 0xff.. when x == 0, else 0, without a branch. */
static size_t ct_is_zero(size_t x) { return ((x | (0 - x)) >> (sizeof(size_t) * 8 - 1)) - 1; }

psh_status p11_oaep_decode(psa_algorithm_t hash, uint8_t *em, size_t k, const uint8_t *label,
                           size_t label_len, uint8_t *out, size_t out_size, size_t *out_len)
{
    const mbedtls_md_info_t *md = md_for(hash);
    uint8_t lhash[MBEDTLS_MD_MAX_SIZE];
    size_t hlen, db_len, bad = 0, found = 0, msg_start = 0, msg_len;
    uint8_t *seed, *db;

    if (md == NULL)
        return PSH_ERR_PSA_NOT_SUPPORTED;
    hlen = mbedtls_md_get_size(md);
    if (k < 2 * hlen + 2)
        return PSH_ERR_PSA_INVALID_PADDING;
    if (mbedtls_md(md, label, label_len, lhash) != 0)
        return PSH_ERR_PSA_GENERIC;
    seed = em + 1;
    db = em + 1 + hlen;
    db_len = k - hlen - 1;
    if (mgf1_xor(md, db, db_len, seed, hlen) != 0 || mgf1_xor(md, seed, hlen, db, db_len) != 0)
        return PSH_ERR_PSA_GENERIC;
    bad |= em[0];
    for (size_t i = 0; i < hlen; i++)
        bad |= (size_t)(db[i] ^ lhash[i]);
    /* DB = lHash || PS (zeros) || 0x01 || M: find the first non-zero byte after lHash, which
     * must be 0x01, touching every byte. */
    for (size_t i = hlen; i < db_len; i++) {
        size_t not_found = ~found;
        size_t is_zero = ct_is_zero(db[i]);
        size_t is_one = ct_is_zero((size_t)db[i] ^ 1u);
        bad |= not_found & ~is_zero & ~is_one;          /* first non-zero byte is not 0x01 */
        msg_start |= not_found & is_one & (i + 1);       /* set once, at the separator */
        found |= not_found & ~is_zero;
    }
    bad |= ~found;
    psh_zeroize(lhash, sizeof lhash);
    if (bad != 0)
        return PSH_ERR_PSA_INVALID_PADDING;
    msg_len = db_len - msg_start;
    if (msg_len > out_size)
        return PSH_ERR_PSA_BUFFER_TOO_SMALL;
    memcpy(out, db + msg_start, msg_len);
    *out_len = msg_len;
    return PSH_SUCCESS;
}
