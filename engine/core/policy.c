#define PSH_LOGMODULE policy
#include "core/policy.h"

#include <string.h>

#include "util/log.h"

psh_status psh_policy_check_key_name(const char *name)
{
    size_t len;
    if (name == NULL)
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    len = strnlen(name, PSH_KEY_NAME_MAX + 1);
    if (len == 0 || len > PSH_KEY_NAME_MAX)
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    return PSH_SUCCESS;
}

static int hash_is_deprecated(psa_algorithm_t h)
{
    return h == PSA_ALG_MD2 || h == PSA_ALG_MD4 || h == PSA_ALG_MD5 || h == PSA_ALG_SHA_1;
}

/* The hash inside a policy algorithm, or 0 when it has none. */
static psa_algorithm_t hash_of(psa_algorithm_t alg)
{
    if (PSA_ALG_IS_HASH(alg))
        return alg;
    if (PSA_ALG_IS_HMAC(alg))
        return PSA_ALG_HMAC_GET_HASH(alg);
    if (PSA_ALG_IS_SIGN(alg))
        return PSA_ALG_SIGN_GET_HASH(alg);
    if (PSA_ALG_IS_RSA_OAEP(alg))
        return PSA_ALG_RSA_OAEP_GET_HASH(alg);
    if (PSA_ALG_IS_KEY_AGREEMENT(alg))
        alg = PSA_ALG_KEY_AGREEMENT_GET_KDF(alg);
    if (PSA_ALG_IS_HKDF(alg) || PSA_ALG_IS_TLS12_PRF(alg) || PSA_ALG_IS_TLS12_PSK_TO_MS(alg))
        return PSA_ALG_HKDF_GET_HASH(alg);
    return 0;
}

int psh_policy_is_deprecated(const psh_key_attrs *a)
{
    psa_algorithm_t h = hash_of(a->alg);
    if (h != 0 && hash_is_deprecated(h))
        return 1;
    if (a->type == PSA_KEY_TYPE_DES || a->type == PSA_KEY_TYPE_ARC4)
        return 1;
    /* The reference lists these for EccPublicKey only; we apply them to key pairs as well. */
    if (PSA_KEY_TYPE_IS_ECC(a->type)) {
        psa_ecc_family_t f = PSA_KEY_TYPE_ECC_GET_FAMILY(a->type);
        if (f == PSA_ECC_FAMILY_SECP_R2 || f == PSA_ECC_FAMILY_SECT_R2)
            return 1;
        if ((f == PSA_ECC_FAMILY_SECT_K1 || f == PSA_ECC_FAMILY_SECT_R1) && a->bits == 163)
            return 1;
        if (f == PSA_ECC_FAMILY_BRAINPOOL_P_R1 && a->bits == 160)
            return 1;
    }
    return 0;
}

psh_status psh_policy_check_new_key(const psh_engine_config *cfg, const psh_key_attrs *attrs,
                                    int generate)
{
    if (generate && PSA_KEY_TYPE_IS_PUBLIC_KEY(attrs->type))
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    if (psh_policy_is_deprecated(attrs)) {
        if (generate && !cfg->allow_deprecated)
            return PSH_ERR_DEPRECATED_PRIMITIVE;
        LOG_WARN("key uses a deprecated primitive");
    }
    return PSH_SUCCESS;
}

int psh_policy_alg_permits(psa_algorithm_t policy, psa_algorithm_t alg)
{
    if (policy == PSA_ALG_NONE)
        return 0;
    if (policy == alg)
        return 1;
    /* A wildcard-hash policy (SignHash.any) permits the same scheme with any specific hash. */
    if (PSA_ALG_IS_SIGN_HASH(policy) && PSA_ALG_SIGN_GET_HASH(policy) == PSA_ALG_ANY_HASH &&
        PSA_ALG_IS_SIGN_HASH(alg) && PSA_ALG_SIGN_GET_HASH(alg) != PSA_ALG_ANY_HASH &&
        PSA_ALG_SIGN_GET_HASH(alg) != 0)
        return (policy & ~PSA_ALG_HASH_MASK) == (alg & ~PSA_ALG_HASH_MASK);
    return 0;
}

psh_status psh_policy_check_use(const psh_key_attrs *key, psa_key_usage_t usage,
                                psa_algorithm_t alg)
{
    if ((key->usage & usage) != usage)
        return PSH_ERR_PSA_NOT_PERMITTED;
    if (!psh_policy_alg_permits(key->alg, alg))
        return PSH_ERR_PSA_NOT_PERMITTED;
    return PSH_SUCCESS;
}

static int sign_alg_fits_key(psa_key_type_t type, psa_algorithm_t alg, int needs_private)
{
    if (needs_private && !PSA_KEY_TYPE_IS_KEY_PAIR(type))
        return 0;
    if (PSA_ALG_IS_RSA_PKCS1V15_SIGN(alg) || PSA_ALG_IS_RSA_PSS(alg))
        return PSA_KEY_TYPE_IS_RSA(type);
    if (PSA_ALG_IS_ECDSA(alg))
        return PSA_KEY_TYPE_IS_ECC(type) &&
               PSA_KEY_TYPE_ECC_GET_FAMILY(type) != PSA_ECC_FAMILY_MONTGOMERY;
    return 0;
}

psh_status psh_policy_check_sign(const psh_key_attrs *key, psa_key_usage_t usage,
                                 psa_algorithm_t alg, size_t hash_len, int is_hash)
{
    psh_status st = psh_policy_check_use(key, usage, alg);
    int signing = (usage & (PSA_KEY_USAGE_SIGN_HASH | PSA_KEY_USAGE_SIGN_MESSAGE)) != 0;
    psa_algorithm_t h;

    if (st != PSH_SUCCESS)
        return st;
    if (!PSA_ALG_IS_SIGN(alg) || !sign_alg_fits_key(key->type, alg, signing))
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    h = PSA_ALG_SIGN_GET_HASH(alg);
    if (h == PSA_ALG_ANY_HASH) /* a wildcard belongs in a policy, never in a request */
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    if (is_hash && h != 0 && PSA_HASH_LENGTH(h) != hash_len)
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    if (!is_hash && h == 0) /* *_message needs a hash to apply */
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    return PSH_SUCCESS;
}

int psh_policy_alg_fits_type(psa_key_type_t type, psa_algorithm_t alg, int needs_private)
{
    /* 0 for every non-symmetric type; 1 for stream ciphers; the block size otherwise. */
    size_t block = PSA_BLOCK_CIPHER_BLOCK_LENGTH(type);

    if (PSA_ALG_IS_SIGN(alg))
        return sign_alg_fits_key(type, alg, needs_private);
    if (needs_private && PSA_KEY_TYPE_IS_ASYMMETRIC(type) && !PSA_KEY_TYPE_IS_KEY_PAIR(type))
        return 0;
    if (PSA_ALG_IS_ASYMMETRIC_ENCRYPTION(alg))
        return PSA_KEY_TYPE_IS_RSA(type);
    if (PSA_ALG_IS_AEAD(alg)) {
        psa_algorithm_t base = PSA_ALG_AEAD_WITH_DEFAULT_LENGTH_TAG(alg);
        if (base == PSA_ALG_CHACHA20_POLY1305)
            return type == PSA_KEY_TYPE_CHACHA20;
        return (base == PSA_ALG_GCM || base == PSA_ALG_CCM) && block == 16;
    }
    if (PSA_ALG_IS_CIPHER(alg)) {
        if (alg == PSA_ALG_STREAM_CIPHER)
            return type == PSA_KEY_TYPE_CHACHA20 || type == PSA_KEY_TYPE_ARC4;
        return block > 1; /* every block mode needs a block cipher */
    }
    if (PSA_ALG_IS_HMAC(alg))
        return type == PSA_KEY_TYPE_HMAC;
    if (PSA_ALG_IS_MAC(alg)) /* CMAC, CBC-MAC */
        return block > 1;
    if (PSA_ALG_IS_KEY_AGREEMENT(alg)) {
        psa_algorithm_t base = PSA_ALG_KEY_AGREEMENT_GET_BASE(alg);
        if (base == PSA_ALG_ECDH)
            return PSA_KEY_TYPE_IS_ECC_KEY_PAIR(type);
        if (base == PSA_ALG_FFDH)
            return PSA_KEY_TYPE_IS_DH_KEY_PAIR(type);
        return 0;
    }
    if (PSA_ALG_IS_KEY_DERIVATION(alg))
        return type == PSA_KEY_TYPE_DERIVE;
    return 0;
}

psh_status psh_policy_check_crypto(const psh_key_attrs *key, psa_key_usage_t usage,
                                   psa_algorithm_t alg)
{
    const psa_key_usage_t private_use = PSA_KEY_USAGE_DECRYPT | PSA_KEY_USAGE_DERIVE |
                                        PSA_KEY_USAGE_SIGN_HASH | PSA_KEY_USAGE_SIGN_MESSAGE;
    psh_status st = psh_policy_check_use(key, usage, alg);

    if (st != PSH_SUCCESS)
        return st;
    if (!psh_policy_alg_fits_type(key->type, alg, (usage & private_use) != 0))
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    return PSH_SUCCESS;
}

psh_status psh_policy_can_use(const psh_key_attrs *a)
{
    const psa_key_usage_t use_flags = PSA_KEY_USAGE_ENCRYPT | PSA_KEY_USAGE_DECRYPT |
                                      PSA_KEY_USAGE_SIGN_HASH | PSA_KEY_USAGE_SIGN_MESSAGE |
                                      PSA_KEY_USAGE_VERIFY_HASH | PSA_KEY_USAGE_VERIFY_MESSAGE;

    /* Every negative answer is NotSupported, as the reference (spec 6.4 [DIFF]). */
    if (a->alg == PSA_ALG_NONE || (a->usage & use_flags) == 0)
        return PSH_ERR_PSA_NOT_SUPPORTED;
    if (!psh_policy_alg_fits_type(a->type, a->alg, 0))
        return PSH_ERR_PSA_NOT_SUPPORTED;
    return PSH_SUCCESS;
}
