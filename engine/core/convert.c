#define PSH_LOGMODULE convert
#include "core/convert.h"

#include <string.h>

#include "util/alloc.h"
#include "util/log.h"

typedef PsaAlgorithm__Algorithm Alg;
typedef PsaAlgorithm__Algorithm__AsymmetricSignature Sig;
typedef PsaAlgorithm__Algorithm__AsymmetricSignature__SignHash SignHash;
typedef PsaAlgorithm__Algorithm__Mac Mac;
typedef PsaAlgorithm__Algorithm__Mac__FullLength MacFull;
typedef PsaKeyAttributes__KeyType KeyType;

#define INVALID PSH_ERR_INVALID_ENCODING

/* Indexed by the proto enum value; 0 (HASH_NONE) is invalid. */
static const psa_algorithm_t hash_table[] = {
    0, PSA_ALG_MD2, PSA_ALG_MD4, PSA_ALG_MD5, PSA_ALG_RIPEMD160, PSA_ALG_SHA_1,
    PSA_ALG_SHA_224, PSA_ALG_SHA_256, PSA_ALG_SHA_384, PSA_ALG_SHA_512, PSA_ALG_SHA_512_224,
    PSA_ALG_SHA_512_256, PSA_ALG_SHA3_224, PSA_ALG_SHA3_256, PSA_ALG_SHA3_384, PSA_ALG_SHA3_512,
};

static const psa_algorithm_t cipher_table[] = {
    0, PSA_ALG_STREAM_CIPHER, PSA_ALG_CTR, PSA_ALG_CFB, PSA_ALG_OFB, PSA_ALG_XTS,
    PSA_ALG_ECB_NO_PADDING, PSA_ALG_CBC_NO_PADDING, PSA_ALG_CBC_PKCS7,
};

static const psa_algorithm_t aead_table[] = {0, PSA_ALG_CCM, PSA_ALG_GCM, PSA_ALG_CHACHA20_POLY1305};

static const psa_ecc_family_t ecc_family_table[] = {
    0, PSA_ECC_FAMILY_SECP_K1, PSA_ECC_FAMILY_SECP_R1, PSA_ECC_FAMILY_SECP_R2,
    PSA_ECC_FAMILY_SECT_K1, PSA_ECC_FAMILY_SECT_R1, PSA_ECC_FAMILY_SECT_R2,
    PSA_ECC_FAMILY_BRAINPOOL_P_R1, PSA_ECC_FAMILY_FRP, PSA_ECC_FAMILY_MONTGOMERY,
};

#define TABLE_LEN(t) (sizeof(t) / sizeof((t)[0]))

static psh_status from_table(const psa_algorithm_t *t, size_t n, int v, psa_algorithm_t *out)
{
    if (v <= 0 || (size_t)v >= n)
        return INVALID;
    *out = t[v];
    return PSH_SUCCESS;
}

psh_status psh_conv_hash(int hash, psa_algorithm_t *out)
{
    return from_table(hash_table, TABLE_LEN(hash_table), hash, out);
}

psh_status psh_conv_cipher_alg(int cipher, psa_algorithm_t *out)
{
    return from_table(cipher_table, TABLE_LEN(cipher_table), cipher, out);
}

psh_status psh_conv_raw_key_agreement(int raw, psa_algorithm_t *out)
{
    static const psa_algorithm_t t[] = {0, PSA_ALG_FFDH, PSA_ALG_ECDH};
    return from_table(t, TABLE_LEN(t), raw, out);
}

static psh_status sign_hash_of(const SignHash *h, psa_algorithm_t *out)
{
    if (h == NULL)
        return INVALID;
    switch (h->variant_case) {
    case PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_SIGNATURE__SIGN_HASH__VARIANT_ANY:
        *out = PSA_ALG_ANY_HASH;
        return PSH_SUCCESS;
    case PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_SIGNATURE__SIGN_HASH__VARIANT_SPECIFIC:
        return psh_conv_hash(h->specific, out);
    default:
        return INVALID;
    }
}

psh_status psh_conv_sign_alg(const Sig *m, psa_algorithm_t *out)
{
    psa_algorithm_t h = 0;
    psh_status st;

    if (m == NULL)
        return INVALID;
    switch (m->variant_case) {
    case PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_SIGNATURE__VARIANT_RSA_PKCS1V15_SIGN:
        if ((st = sign_hash_of(m->rsa_pkcs1v15_sign->hash_alg, &h)) != PSH_SUCCESS)
            return st;
        *out = PSA_ALG_RSA_PKCS1V15_SIGN(h);
        return PSH_SUCCESS;
    case PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_SIGNATURE__VARIANT_RSA_PKCS1V15_SIGN_RAW:
        *out = PSA_ALG_RSA_PKCS1V15_SIGN_RAW;
        return PSH_SUCCESS;
    case PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_SIGNATURE__VARIANT_RSA_PSS:
        if ((st = sign_hash_of(m->rsa_pss->hash_alg, &h)) != PSH_SUCCESS)
            return st;
        *out = PSA_ALG_RSA_PSS(h);
        return PSH_SUCCESS;
    case PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_SIGNATURE__VARIANT_ECDSA:
        if ((st = sign_hash_of(m->ecdsa->hash_alg, &h)) != PSH_SUCCESS)
            return st;
        *out = PSA_ALG_ECDSA(h);
        return PSH_SUCCESS;
    case PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_SIGNATURE__VARIANT_ECDSA_ANY:
        *out = PSA_ALG_ECDSA_ANY;
        return PSH_SUCCESS;
    case PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_SIGNATURE__VARIANT_DETERMINISTIC_ECDSA:
        if ((st = sign_hash_of(m->deterministic_ecdsa->hash_alg, &h)) != PSH_SUCCESS)
            return st;
        *out = PSA_ALG_DETERMINISTIC_ECDSA(h);
        return PSH_SUCCESS;
    default:
        return INVALID;
    }
}

psh_status psh_conv_asym_enc_alg(const PsaAlgorithm__Algorithm__AsymmetricEncryption *m,
                                 psa_algorithm_t *out)
{
    psa_algorithm_t h = 0;
    psh_status st;

    if (m == NULL)
        return INVALID;
    switch (m->variant_case) {
    case PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_ENCRYPTION__VARIANT_RSA_PKCS1V15_CRYPT:
        *out = PSA_ALG_RSA_PKCS1V15_CRYPT;
        return PSH_SUCCESS;
    case PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_ENCRYPTION__VARIANT_RSA_OAEP:
        if ((st = psh_conv_hash(m->rsa_oaep->hash_alg, &h)) != PSH_SUCCESS)
            return st;
        *out = PSA_ALG_RSA_OAEP(h);
        return PSH_SUCCESS;
    default:
        return INVALID;
    }
}

psh_status psh_conv_aead_alg(const PsaAlgorithm__Algorithm__Aead *m, psa_algorithm_t *out)
{
    psa_algorithm_t base = 0;
    psh_status st;

    if (m == NULL)
        return INVALID;
    switch (m->variant_case) {
    case PSA_ALGORITHM__ALGORITHM__AEAD__VARIANT_AEAD_WITH_DEFAULT_LENGTH_TAG:
        return from_table(aead_table, TABLE_LEN(aead_table), m->aead_with_default_length_tag, out);
    case PSA_ALGORITHM__ALGORITHM__AEAD__VARIANT_AEAD_WITH_SHORTENED_TAG:
        st = from_table(aead_table, TABLE_LEN(aead_table), m->aead_with_shortened_tag->aead_alg,
                        &base);
        if (st != PSH_SUCCESS)
            return st;
        /* The tag length lives in 6 bits of the PSA encoding. */
        if (m->aead_with_shortened_tag->tag_length > 63)
            return INVALID;
        *out = PSA_ALG_AEAD_WITH_SHORTENED_TAG(base, m->aead_with_shortened_tag->tag_length);
        return PSH_SUCCESS;
    default:
        return INVALID;
    }
}

static psh_status mac_full(const MacFull *m, psa_algorithm_t *out)
{
    psa_algorithm_t h = 0;
    psh_status st;

    if (m == NULL)
        return INVALID;
    switch (m->variant_case) {
    case PSA_ALGORITHM__ALGORITHM__MAC__FULL_LENGTH__VARIANT_HMAC:
        if ((st = psh_conv_hash(m->hmac->hash_alg, &h)) != PSH_SUCCESS)
            return st;
        *out = PSA_ALG_HMAC(h);
        return PSH_SUCCESS;
    case PSA_ALGORITHM__ALGORITHM__MAC__FULL_LENGTH__VARIANT_CBC_MAC:
        *out = PSA_ALG_CBC_MAC;
        return PSH_SUCCESS;
    case PSA_ALGORITHM__ALGORITHM__MAC__FULL_LENGTH__VARIANT_CMAC:
        *out = PSA_ALG_CMAC;
        return PSH_SUCCESS;
    default:
        return INVALID;
    }
}

psh_status psh_conv_mac_alg(const Mac *m, psa_algorithm_t *out)
{
    psa_algorithm_t base = 0;
    psh_status st;

    if (m == NULL)
        return INVALID;
    switch (m->variant_case) {
    case PSA_ALGORITHM__ALGORITHM__MAC__VARIANT_FULL_LENGTH:
        return mac_full(m->full_length, out);
    case PSA_ALGORITHM__ALGORITHM__MAC__VARIANT_TRUNCATED:
        if ((st = mac_full(m->truncated->mac_alg, &base)) != PSH_SUCCESS)
            return st;
        if (m->truncated->mac_length > 63)
            return INVALID;
        *out = PSA_ALG_TRUNCATED_MAC(base, m->truncated->mac_length);
        return PSH_SUCCESS;
    default:
        return INVALID;
    }
}

static psh_status kdf_alg(const PsaAlgorithm__Algorithm__KeyDerivation *m, psa_algorithm_t *out)
{
    psa_algorithm_t h = 0;
    psh_status st;

    if (m == NULL)
        return INVALID;
    switch (m->variant_case) {
    case PSA_ALGORITHM__ALGORITHM__KEY_DERIVATION__VARIANT_HKDF:
        if ((st = psh_conv_hash(m->hkdf->hash_alg, &h)) != PSH_SUCCESS)
            return st;
        *out = PSA_ALG_HKDF(h);
        return PSH_SUCCESS;
    case PSA_ALGORITHM__ALGORITHM__KEY_DERIVATION__VARIANT_TLS12_PRF:
        if ((st = psh_conv_hash(m->tls12_prf->hash_alg, &h)) != PSH_SUCCESS)
            return st;
        *out = PSA_ALG_TLS12_PRF(h);
        return PSH_SUCCESS;
    case PSA_ALGORITHM__ALGORITHM__KEY_DERIVATION__VARIANT_TLS12_PSK_TO_MS:
        if ((st = psh_conv_hash(m->tls12_psk_to_ms->hash_alg, &h)) != PSH_SUCCESS)
            return st;
        *out = PSA_ALG_TLS12_PSK_TO_MS(h);
        return PSH_SUCCESS;
    default:
        return INVALID;
    }
}

static psh_status key_agreement_alg(const PsaAlgorithm__Algorithm__KeyAgreement *m,
                                    psa_algorithm_t *out)
{
    psa_algorithm_t ka = 0, kdf = 0;
    psh_status st;

    if (m == NULL)
        return INVALID;
    switch (m->variant_case) {
    case PSA_ALGORITHM__ALGORITHM__KEY_AGREEMENT__VARIANT_RAW:
        return psh_conv_raw_key_agreement(m->raw, out);
    case PSA_ALGORITHM__ALGORITHM__KEY_AGREEMENT__VARIANT_WITH_KEY_DERIVATION:
        if ((st = psh_conv_raw_key_agreement(m->with_key_derivation->ka_alg, &ka)) != PSH_SUCCESS)
            return st;
        if ((st = kdf_alg(m->with_key_derivation->kdf_alg, &kdf)) != PSH_SUCCESS)
            return st;
        *out = PSA_ALG_KEY_AGREEMENT(ka, kdf);
        return PSH_SUCCESS;
    default:
        return INVALID;
    }
}

psh_status psh_conv_algorithm(const Alg *m, psa_algorithm_t *out)
{
    if (m == NULL)
        return INVALID;
    switch (m->variant_case) {
    case PSA_ALGORITHM__ALGORITHM__VARIANT_NONE:
        *out = PSA_ALG_NONE;
        return PSH_SUCCESS;
    case PSA_ALGORITHM__ALGORITHM__VARIANT_HASH:
        return psh_conv_hash(m->hash, out);
    case PSA_ALGORITHM__ALGORITHM__VARIANT_MAC:
        return psh_conv_mac_alg(m->mac, out);
    case PSA_ALGORITHM__ALGORITHM__VARIANT_CIPHER:
        return psh_conv_cipher_alg(m->cipher, out);
    case PSA_ALGORITHM__ALGORITHM__VARIANT_AEAD:
        return psh_conv_aead_alg(m->aead, out);
    case PSA_ALGORITHM__ALGORITHM__VARIANT_ASYMMETRIC_SIGNATURE:
        return psh_conv_sign_alg(m->asymmetric_signature, out);
    case PSA_ALGORITHM__ALGORITHM__VARIANT_ASYMMETRIC_ENCRYPTION:
        return psh_conv_asym_enc_alg(m->asymmetric_encryption, out);
    case PSA_ALGORITHM__ALGORITHM__VARIANT_KEY_AGREEMENT:
        return key_agreement_alg(m->key_agreement, out);
    case PSA_ALGORITHM__ALGORITHM__VARIANT_KEY_DERIVATION:
        return kdf_alg(m->key_derivation, out);
    default:
        return INVALID;
    }
}

static psh_status ecc_family(int v, psa_ecc_family_t *out)
{
    if (v <= 0 || (size_t)v >= TABLE_LEN(ecc_family_table))
        return INVALID;
    *out = ecc_family_table[v];
    return PSH_SUCCESS;
}

static psh_status key_type(const KeyType *t, psa_key_type_t *out)
{
    psa_ecc_family_t fam = 0;

    if (t == NULL)
        return INVALID;
    switch (t->variant_case) {
    case PSA_KEY_ATTRIBUTES__KEY_TYPE__VARIANT_RAW_DATA: *out = PSA_KEY_TYPE_RAW_DATA; break;
    case PSA_KEY_ATTRIBUTES__KEY_TYPE__VARIANT_HMAC: *out = PSA_KEY_TYPE_HMAC; break;
    case PSA_KEY_ATTRIBUTES__KEY_TYPE__VARIANT_DERIVE: *out = PSA_KEY_TYPE_DERIVE; break;
    case PSA_KEY_ATTRIBUTES__KEY_TYPE__VARIANT_AES: *out = PSA_KEY_TYPE_AES; break;
    case PSA_KEY_ATTRIBUTES__KEY_TYPE__VARIANT_DES: *out = PSA_KEY_TYPE_DES; break;
    case PSA_KEY_ATTRIBUTES__KEY_TYPE__VARIANT_CAMELLIA: *out = PSA_KEY_TYPE_CAMELLIA; break;
    case PSA_KEY_ATTRIBUTES__KEY_TYPE__VARIANT_ARC4: *out = PSA_KEY_TYPE_ARC4; break;
    case PSA_KEY_ATTRIBUTES__KEY_TYPE__VARIANT_CHACHA20: *out = PSA_KEY_TYPE_CHACHA20; break;
    case PSA_KEY_ATTRIBUTES__KEY_TYPE__VARIANT_RSA_PUBLIC_KEY: *out = PSA_KEY_TYPE_RSA_PUBLIC_KEY; break;
    case PSA_KEY_ATTRIBUTES__KEY_TYPE__VARIANT_RSA_KEY_PAIR: *out = PSA_KEY_TYPE_RSA_KEY_PAIR; break;
    case PSA_KEY_ATTRIBUTES__KEY_TYPE__VARIANT_ECC_KEY_PAIR:
        if (ecc_family(t->ecc_key_pair->curve_family, &fam) != PSH_SUCCESS)
            return INVALID;
        *out = PSA_KEY_TYPE_ECC_KEY_PAIR(fam);
        break;
    case PSA_KEY_ATTRIBUTES__KEY_TYPE__VARIANT_ECC_PUBLIC_KEY:
        if (ecc_family(t->ecc_public_key->curve_family, &fam) != PSH_SUCCESS)
            return INVALID;
        *out = PSA_KEY_TYPE_ECC_PUBLIC_KEY(fam);
        break;
    /* DhFamily has one value, RFC7919 = 0, so 0 is valid here (spec 5.1). */
    case PSA_KEY_ATTRIBUTES__KEY_TYPE__VARIANT_DH_KEY_PAIR:
        if (t->dh_key_pair->group_family != PSA_KEY_ATTRIBUTES__KEY_TYPE__DH_FAMILY__RFC7919)
            return INVALID;
        *out = PSA_KEY_TYPE_DH_KEY_PAIR(PSA_DH_FAMILY_RFC7919);
        break;
    case PSA_KEY_ATTRIBUTES__KEY_TYPE__VARIANT_DH_PUBLIC_KEY:
        if (t->dh_public_key->group_family != PSA_KEY_ATTRIBUTES__KEY_TYPE__DH_FAMILY__RFC7919)
            return INVALID;
        *out = PSA_KEY_TYPE_DH_PUBLIC_KEY(PSA_DH_FAMILY_RFC7919);
        break;
    default:
        return INVALID;
    }
    return PSH_SUCCESS;
}

static psa_key_usage_t usage_flags(const PsaKeyAttributes__UsageFlags *u)
{
    psa_key_usage_t f = 0;
    if (u->export) f |= PSA_KEY_USAGE_EXPORT;
    if (u->copy) f |= PSA_KEY_USAGE_COPY;
    if (u->cache) f |= PSH_KEY_USAGE_CACHE;
    if (u->encrypt) f |= PSA_KEY_USAGE_ENCRYPT;
    if (u->decrypt) f |= PSA_KEY_USAGE_DECRYPT;
    if (u->sign_message) f |= PSA_KEY_USAGE_SIGN_MESSAGE;
    if (u->verify_message) f |= PSA_KEY_USAGE_VERIFY_MESSAGE;
    if (u->sign_hash) f |= PSA_KEY_USAGE_SIGN_HASH;
    if (u->verify_hash) f |= PSA_KEY_USAGE_VERIFY_HASH;
    if (u->derive) f |= PSA_KEY_USAGE_DERIVE;
    /* PSA: permission to sign/verify a hash implies the same for a message (spec 5.3). */
    if (f & PSA_KEY_USAGE_SIGN_HASH) f |= PSA_KEY_USAGE_SIGN_MESSAGE;
    if (f & PSA_KEY_USAGE_VERIFY_HASH) f |= PSA_KEY_USAGE_VERIFY_MESSAGE;
    return f;
}

psh_status psh_conv_key_attrs(const PsaKeyAttributes__KeyAttributes *m, psh_key_attrs *out)
{
    psh_key_attrs a;
    psh_status st;

    memset(out, 0, sizeof *out);
    if (m == NULL || m->key_policy == NULL || m->key_policy->key_usage_flags == NULL ||
        m->key_policy->key_algorithm == NULL)
        return INVALID;
    memset(&a, 0, sizeof a);
    if ((st = key_type(m->key_type, &a.type)) != PSH_SUCCESS)
        return st;
    a.bits = m->key_bits;
    a.usage = usage_flags(m->key_policy->key_usage_flags);
    if ((st = psh_conv_algorithm(m->key_policy->key_algorithm, &a.alg)) != PSH_SUCCESS)
        return st;
    *out = a;
    return PSH_SUCCESS;
}
