/* CanDoCrypto's provider part (spec 6.4): does this Mbed TLS build support the key
 * type/size and the algorithm? Answered from the PSA_WANT_* macros Mbed TLS derives from its
 * own configuration, so the answer follows the library that is linked in, without creating
 * a key (RSA generation would take seconds). Every negative answer is PsaErrorNotSupported. */
#include "providers/soft/soft_internal.h"

#include <stdbool.h>

static bool ecc_supported(psa_ecc_family_t family, size_t bits)
{
    static const struct {
        psa_ecc_family_t family;
        size_t bits;
    } curves[] = {
#if defined(PSA_WANT_ECC_SECP_R1_192)
        {PSA_ECC_FAMILY_SECP_R1, 192},
#endif
#if defined(PSA_WANT_ECC_SECP_R1_224)
        {PSA_ECC_FAMILY_SECP_R1, 224},
#endif
#if defined(PSA_WANT_ECC_SECP_R1_256)
        {PSA_ECC_FAMILY_SECP_R1, 256},
#endif
#if defined(PSA_WANT_ECC_SECP_R1_384)
        {PSA_ECC_FAMILY_SECP_R1, 384},
#endif
#if defined(PSA_WANT_ECC_SECP_R1_521)
        {PSA_ECC_FAMILY_SECP_R1, 521},
#endif
#if defined(PSA_WANT_ECC_SECP_K1_192)
        {PSA_ECC_FAMILY_SECP_K1, 192},
#endif
#if defined(PSA_WANT_ECC_SECP_K1_256)
        {PSA_ECC_FAMILY_SECP_K1, 256},
#endif
#if defined(PSA_WANT_ECC_BRAINPOOL_P_R1_256)
        {PSA_ECC_FAMILY_BRAINPOOL_P_R1, 256},
#endif
#if defined(PSA_WANT_ECC_BRAINPOOL_P_R1_384)
        {PSA_ECC_FAMILY_BRAINPOOL_P_R1, 384},
#endif
#if defined(PSA_WANT_ECC_BRAINPOOL_P_R1_512)
        {PSA_ECC_FAMILY_BRAINPOOL_P_R1, 512},
#endif
#if defined(PSA_WANT_ECC_MONTGOMERY_255)
        {PSA_ECC_FAMILY_MONTGOMERY, 255},
#endif
#if defined(PSA_WANT_ECC_MONTGOMERY_448)
        {PSA_ECC_FAMILY_MONTGOMERY, 448},
#endif
        {0, 0},
    };
    for (size_t i = 0; curves[i].bits != 0; i++)
        if (curves[i].family == family && (bits == 0 || curves[i].bits == bits))
            return true;
    return false;
}

/* bits == 0 means "any size" (import takes it from the data; USE asks about the type). */
static bool type_supported(psa_key_type_t type, size_t bits)
{
    if (type == PSA_KEY_TYPE_RSA_KEY_PAIR || type == PSA_KEY_TYPE_RSA_PUBLIC_KEY)
        return bits == 0 || (bits >= 1024 && bits <= PSA_VENDOR_RSA_MAX_KEY_BITS && bits % 8 == 0);
    if (PSA_KEY_TYPE_IS_ECC(type))
        return ecc_supported(PSA_KEY_TYPE_ECC_GET_FAMILY(type), bits);
    switch (type) {
    case PSA_KEY_TYPE_AES:
        return bits == 0 || bits == 128 || bits == 192 || bits == 256;
    case PSA_KEY_TYPE_CHACHA20:
        return bits == 0 || bits == 256;
    case PSA_KEY_TYPE_HMAC:
    case PSA_KEY_TYPE_RAW_DATA:
    case PSA_KEY_TYPE_DERIVE:
        return bits % 8 == 0 && bits <= PSA_MAX_KEY_BITS;
    default:
        return false;
    }
}

static bool hash_supported(psa_algorithm_t h, bool allow_none)
{
    switch (h) {
    case 0: return allow_none;
    case PSA_ALG_ANY_HASH:
    case PSA_ALG_MD5:
    case PSA_ALG_RIPEMD160:
    case PSA_ALG_SHA_1:
    case PSA_ALG_SHA_224:
    case PSA_ALG_SHA_256:
    case PSA_ALG_SHA_384:
    case PSA_ALG_SHA_512:
        return true;
    default:
        return false;
    }
}

static bool is_rsa(psa_key_type_t t) { return PSA_KEY_TYPE_IS_RSA(t); }
static bool is_weierstrass(psa_key_type_t t)
{
    return PSA_KEY_TYPE_IS_ECC(t) && PSA_KEY_TYPE_ECC_GET_FAMILY(t) != PSA_ECC_FAMILY_MONTGOMERY;
}

/* Is alg one Mbed TLS implements, and does it fit the key type? */
static bool alg_supported(psa_key_type_t type, psa_algorithm_t alg)
{
    if (PSA_ALG_IS_RSA_PKCS1V15_SIGN(alg))
        return is_rsa(type) && hash_supported(PSA_ALG_SIGN_GET_HASH(alg), true);
    if (PSA_ALG_IS_RSA_PSS(alg))
        return is_rsa(type) && hash_supported(PSA_ALG_SIGN_GET_HASH(alg), false);
    if (PSA_ALG_IS_ECDSA(alg))
        return is_weierstrass(type) && hash_supported(PSA_ALG_SIGN_GET_HASH(alg), true);
    if (alg == PSA_ALG_RSA_PKCS1V15_CRYPT)
        return is_rsa(type);
    if (PSA_ALG_IS_RSA_OAEP(alg))
        return is_rsa(type) && hash_supported(PSA_ALG_RSA_OAEP_GET_HASH(alg), false);
    if (PSA_ALG_IS_AEAD(alg)) {
        psa_algorithm_t base = PSA_ALG_AEAD_WITH_DEFAULT_LENGTH_TAG(alg);
        if (base == PSA_ALG_GCM || base == PSA_ALG_CCM)
            return type == PSA_KEY_TYPE_AES;
        if (base == PSA_ALG_CHACHA20_POLY1305)
            return type == PSA_KEY_TYPE_CHACHA20;
        return false;
    }
    if (PSA_ALG_IS_CIPHER(alg)) {
        if (alg == PSA_ALG_STREAM_CIPHER)
            return type == PSA_KEY_TYPE_CHACHA20;
        return type == PSA_KEY_TYPE_AES &&
               (alg == PSA_ALG_CTR || alg == PSA_ALG_CFB || alg == PSA_ALG_OFB ||
                alg == PSA_ALG_ECB_NO_PADDING || alg == PSA_ALG_CBC_NO_PADDING ||
                alg == PSA_ALG_CBC_PKCS7);
    }
    if (PSA_ALG_IS_HMAC(alg))
        return type == PSA_KEY_TYPE_HMAC && hash_supported(PSA_ALG_HMAC_GET_HASH(alg), false);
    if (PSA_ALG_IS_MAC(alg))
        return type == PSA_KEY_TYPE_AES && PSA_ALG_FULL_LENGTH_MAC(alg) == PSA_ALG_CMAC;
    if (PSA_ALG_IS_KEY_AGREEMENT(alg))
        return PSA_KEY_TYPE_IS_ECC_KEY_PAIR(type) &&
               PSA_ALG_KEY_AGREEMENT_GET_BASE(alg) == PSA_ALG_ECDH;
    if (PSA_ALG_IS_KEY_DERIVATION(alg))
        return type == PSA_KEY_TYPE_DERIVE &&
               (PSA_ALG_IS_HKDF(alg) || PSA_ALG_IS_TLS12_PRF(alg) ||
                PSA_ALG_IS_TLS12_PSK_TO_MS(alg));
    return false;
}

psh_status soft_can_do(void *ctx, enum psh_can_do_check check, const psh_key_attrs *a)
{
    (void)ctx;
    if (a == NULL)
        return PSH_ERR_PSA_NOT_SUPPORTED;
    switch (check) {
    case PSH_CHECK_GENERATE:
        if (PSA_KEY_TYPE_IS_PUBLIC_KEY(a->type) || a->bits == 0)
            return PSH_ERR_PSA_NOT_SUPPORTED;
        /* fall through */
    case PSH_CHECK_IMPORT:
        if (!type_supported(a->type, a->bits))
            return PSH_ERR_PSA_NOT_SUPPORTED;
        if (a->alg != PSA_ALG_NONE && !alg_supported(a->type, a->alg))
            return PSH_ERR_PSA_NOT_SUPPORTED;
        return PSH_SUCCESS;
    case PSH_CHECK_USE:
        if (a->alg == PSA_ALG_NONE || !type_supported(a->type, a->bits) ||
            !alg_supported(a->type, a->alg))
            return PSH_ERR_PSA_NOT_SUPPORTED;
        return PSH_SUCCESS;
    case PSH_CHECK_DERIVE:
    default:
        return PSH_ERR_PSA_NOT_SUPPORTED; /* as the reference */
    }
}
