/* CanDoCrypto's provider part (spec 6.4) and the key types this provider handles: RSA of
 * 1024..4096 bits and NIST P-256/P-384/P-521, with the mechanisms p11_ops.c maps to. Answered
 * from this table, not by probing the token (C_GetMechanismInfo differs little across the
 * modules we target, and a GENERATE check must not create a key). */
#include "providers/pkcs11/p11_internal.h"

int p11_type_supported(psa_key_type_t type, size_t bits)
{
    if (type == PSA_KEY_TYPE_RSA_KEY_PAIR || type == PSA_KEY_TYPE_RSA_PUBLIC_KEY)
        return bits == 0 || (bits >= 1024 && bits <= 4096 && bits % 8 == 0);
    if (PSA_KEY_TYPE_IS_ECC(type) && PSA_KEY_TYPE_ECC_GET_FAMILY(type) == PSA_ECC_FAMILY_SECP_R1)
        return bits == 0 || bits == 256 || bits == 384 || bits == 521;
    return 0;
}

static int hash_ok(psa_algorithm_t h, int allow_any)
{
    return (allow_any && h == PSA_ALG_ANY_HASH) || p11_hash_mech(h) != 0;
}

static int alg_supported(psa_key_type_t type, psa_algorithm_t alg)
{
    int rsa = PSA_KEY_TYPE_IS_RSA(type);
    if (PSA_ALG_IS_ECDSA(alg))
        return PSA_KEY_TYPE_IS_ECC(type) && !PSA_ALG_IS_DETERMINISTIC_ECDSA(alg) &&
               (alg == PSA_ALG_ECDSA_ANY || hash_ok(PSA_ALG_SIGN_GET_HASH(alg), 1));
    if (alg == PSA_ALG_RSA_PKCS1V15_SIGN_RAW)
        return rsa;
    if (PSA_ALG_IS_RSA_PKCS1V15_SIGN(alg) || PSA_ALG_IS_RSA_PSS(alg))
        return rsa && hash_ok(PSA_ALG_SIGN_GET_HASH(alg), 1);
    if (alg == PSA_ALG_RSA_PKCS1V15_CRYPT)
        return rsa;
    if (PSA_ALG_IS_RSA_OAEP(alg))
        return rsa && hash_ok(PSA_ALG_RSA_OAEP_GET_HASH(alg), 0);
    return 0;
}

psh_status p11_can_do(void *ctx, enum psh_can_do_check check, const psh_key_attrs *a)
{
    (void)ctx;
    if (a == NULL)
        return PSH_ERR_PSA_NOT_SUPPORTED;
    switch (check) {
    case PSH_CHECK_GENERATE:
        if (!PSA_KEY_TYPE_IS_KEY_PAIR(a->type) || a->bits == 0)
            return PSH_ERR_PSA_NOT_SUPPORTED;
        /* fall through */
    case PSH_CHECK_IMPORT:
        if (!p11_type_supported(a->type, a->bits))
            return PSH_ERR_PSA_NOT_SUPPORTED;
        if (a->alg != PSA_ALG_NONE && !alg_supported(a->type, a->alg))
            return PSH_ERR_PSA_NOT_SUPPORTED;
        return PSH_SUCCESS;
    case PSH_CHECK_USE:
        if (a->alg == PSA_ALG_NONE || !p11_type_supported(a->type, a->bits) ||
            !alg_supported(a->type, a->alg))
            return PSH_ERR_PSA_NOT_SUPPORTED;
        return PSH_SUCCESS;
    case PSH_CHECK_DERIVE:
    default:
        return PSH_ERR_PSA_NOT_SUPPORTED;
    }
}
