/* PSA encodings back to protobuf-c messages (ListKeys echoes the attributes of each key).
 * Nodes are allocated with psh_calloc and released by protobuf_c_message_free_unpacked with
 * an allocator over psh_free, so one call frees the whole tree on every path. */
#include "core/convert.h"

#include <string.h>

#include "util/alloc.h"

static void *pa_alloc(void *d, size_t n) { (void)d; return psh_malloc(n); }
static void pa_free(void *d, void *p) { (void)d; psh_free(p); }
static ProtobufCAllocator tree_allocator = {pa_alloc, pa_free, NULL};

void psh_conv_free_message(void *msg)
{
    if (msg != NULL)
        protobuf_c_message_free_unpacked((ProtobufCMessage *)msg, &tree_allocator);
}

/* Allocates a message of type T initialised with its protobuf-c INIT value. */
#define NEW_MSG(var, T, ...)                     \
    do {                                         \
        static const T init_ = __VA_ARGS__;      \
        (var) = psh_malloc(sizeof(T));           \
        if ((var) != NULL)                       \
            memcpy((var), &init_, sizeof(T));    \
    } while (0)

static const psa_algorithm_t hashes[] = {
    0, PSA_ALG_MD2, PSA_ALG_MD4, PSA_ALG_MD5, PSA_ALG_RIPEMD160, PSA_ALG_SHA_1,
    PSA_ALG_SHA_224, PSA_ALG_SHA_256, PSA_ALG_SHA_384, PSA_ALG_SHA_512, PSA_ALG_SHA_512_224,
    PSA_ALG_SHA_512_256, PSA_ALG_SHA3_224, PSA_ALG_SHA3_256, PSA_ALG_SHA3_384, PSA_ALG_SHA3_512,
};

static int hash_to_proto(psa_algorithm_t h)
{
    for (size_t i = 1; i < sizeof hashes / sizeof hashes[0]; i++)
        if (hashes[i] == h)
            return (int)i;
    return -1;
}

typedef PsaAlgorithm__Algorithm__AsymmetricSignature__SignHash SignHash;

static SignHash *sign_hash_msg(psa_algorithm_t h)
{
    SignHash *s;
    NEW_MSG(s, SignHash, PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_SIGNATURE__SIGN_HASH__INIT);
    if (s == NULL)
        return NULL;
    if (h == PSA_ALG_ANY_HASH) {
        s->variant_case = PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_SIGNATURE__SIGN_HASH__VARIANT_ANY;
        NEW_MSG(s->any, PsaAlgorithm__Algorithm__AsymmetricSignature__SignHash__Any,
                PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_SIGNATURE__SIGN_HASH__ANY__INIT);
        if (s->any == NULL) {
            psh_free(s);
            return NULL;
        }
        return s;
    }
    int v = hash_to_proto(h);
    if (v < 0) {
        psh_free(s);
        return NULL;
    }
    s->variant_case = PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_SIGNATURE__SIGN_HASH__VARIANT_SPECIFIC;
    s->specific = (PsaAlgorithm__Algorithm__Hash)v;
    return s;
}

/* One macro per "message with a SignHash hash_alg" keeps the four cases identical. */
#define SIGN_WITH_HASH(field, T, INIT, CASE)                          \
    do {                                                              \
        T *m_;                                                        \
        NEW_MSG(m_, T, INIT);                                         \
        if (m_ == NULL)                                               \
            goto fail;                                                \
        sig->variant_case = CASE;                                     \
        sig->field = m_;                                              \
        m_->hash_alg = sign_hash_msg(PSA_ALG_SIGN_GET_HASH(alg));     \
        if (m_->hash_alg == NULL)                                     \
            goto fail;                                                \
    } while (0)

static PsaAlgorithm__Algorithm__AsymmetricSignature *sign_msg(psa_algorithm_t alg)
{
    PsaAlgorithm__Algorithm__AsymmetricSignature *sig;
    NEW_MSG(sig, PsaAlgorithm__Algorithm__AsymmetricSignature,
            PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_SIGNATURE__INIT);
    if (sig == NULL)
        return NULL;
    if (alg == PSA_ALG_RSA_PKCS1V15_SIGN_RAW) {
        sig->variant_case = PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_SIGNATURE__VARIANT_RSA_PKCS1V15_SIGN_RAW;
        NEW_MSG(sig->rsa_pkcs1v15_sign_raw, PsaAlgorithm__Algorithm__AsymmetricSignature__RsaPkcs1v15SignRaw,
                PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_SIGNATURE__RSA_PKCS1V15_SIGN_RAW__INIT);
        if (sig->rsa_pkcs1v15_sign_raw == NULL)
            goto fail;
    } else if (alg == PSA_ALG_ECDSA_ANY) {
        sig->variant_case = PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_SIGNATURE__VARIANT_ECDSA_ANY;
        NEW_MSG(sig->ecdsa_any, PsaAlgorithm__Algorithm__AsymmetricSignature__EcdsaAny,
                PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_SIGNATURE__ECDSA_ANY__INIT);
        if (sig->ecdsa_any == NULL)
            goto fail;
    } else if (PSA_ALG_IS_RSA_PKCS1V15_SIGN(alg)) {
        SIGN_WITH_HASH(rsa_pkcs1v15_sign, PsaAlgorithm__Algorithm__AsymmetricSignature__RsaPkcs1v15Sign,
                       PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_SIGNATURE__RSA_PKCS1V15_SIGN__INIT,
                       PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_SIGNATURE__VARIANT_RSA_PKCS1V15_SIGN);
    } else if (PSA_ALG_IS_RSA_PSS(alg)) {
        SIGN_WITH_HASH(rsa_pss, PsaAlgorithm__Algorithm__AsymmetricSignature__RsaPss,
                       PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_SIGNATURE__RSA_PSS__INIT,
                       PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_SIGNATURE__VARIANT_RSA_PSS);
    } else if (PSA_ALG_IS_DETERMINISTIC_ECDSA(alg)) {
        SIGN_WITH_HASH(deterministic_ecdsa, PsaAlgorithm__Algorithm__AsymmetricSignature__DeterministicEcdsa,
                       PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_SIGNATURE__DETERMINISTIC_ECDSA__INIT,
                       PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_SIGNATURE__VARIANT_DETERMINISTIC_ECDSA);
    } else if (PSA_ALG_IS_ECDSA(alg)) {
        SIGN_WITH_HASH(ecdsa, PsaAlgorithm__Algorithm__AsymmetricSignature__Ecdsa,
                       PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_SIGNATURE__ECDSA__INIT,
                       PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_SIGNATURE__VARIANT_ECDSA);
    } else {
        goto fail;
    }
    return sig;
fail:
    psh_conv_free_message(sig);
    return NULL;
}

static PsaAlgorithm__Algorithm__Mac__FullLength *mac_full_msg(psa_algorithm_t alg)
{
    PsaAlgorithm__Algorithm__Mac__FullLength *m;
    NEW_MSG(m, PsaAlgorithm__Algorithm__Mac__FullLength, PSA_ALGORITHM__ALGORITHM__MAC__FULL_LENGTH__INIT);
    if (m == NULL)
        return NULL;
    if (PSA_ALG_IS_HMAC(alg)) {
        int h = hash_to_proto(PSA_ALG_HMAC_GET_HASH(alg));
        m->variant_case = PSA_ALGORITHM__ALGORITHM__MAC__FULL_LENGTH__VARIANT_HMAC;
        NEW_MSG(m->hmac, PsaAlgorithm__Algorithm__Mac__FullLength__Hmac,
                PSA_ALGORITHM__ALGORITHM__MAC__FULL_LENGTH__HMAC__INIT);
        if (m->hmac == NULL || h < 0)
            goto fail;
        m->hmac->hash_alg = (PsaAlgorithm__Algorithm__Hash)h;
    } else if (alg == PSA_ALG_CBC_MAC) {
        m->variant_case = PSA_ALGORITHM__ALGORITHM__MAC__FULL_LENGTH__VARIANT_CBC_MAC;
        NEW_MSG(m->cbc_mac, PsaAlgorithm__Algorithm__Mac__FullLength__CbcMac,
                PSA_ALGORITHM__ALGORITHM__MAC__FULL_LENGTH__CBC_MAC__INIT);
        if (m->cbc_mac == NULL)
            goto fail;
    } else if (alg == PSA_ALG_CMAC) {
        m->variant_case = PSA_ALGORITHM__ALGORITHM__MAC__FULL_LENGTH__VARIANT_CMAC;
        NEW_MSG(m->cmac, PsaAlgorithm__Algorithm__Mac__FullLength__Cmac,
                PSA_ALGORITHM__ALGORITHM__MAC__FULL_LENGTH__CMAC__INIT);
        if (m->cmac == NULL)
            goto fail;
    } else {
        goto fail;
    }
    return m;
fail:
    psh_conv_free_message(m);
    return NULL;
}

static PsaAlgorithm__Algorithm__Mac *mac_msg(psa_algorithm_t alg)
{
    PsaAlgorithm__Algorithm__Mac *m;
    psa_algorithm_t full = PSA_ALG_FULL_LENGTH_MAC(alg);
    NEW_MSG(m, PsaAlgorithm__Algorithm__Mac, PSA_ALGORITHM__ALGORITHM__MAC__INIT);
    if (m == NULL)
        return NULL;
    if (full == alg) {
        m->variant_case = PSA_ALGORITHM__ALGORITHM__MAC__VARIANT_FULL_LENGTH;
        if ((m->full_length = mac_full_msg(alg)) == NULL)
            goto fail;
    } else {
        m->variant_case = PSA_ALGORITHM__ALGORITHM__MAC__VARIANT_TRUNCATED;
        NEW_MSG(m->truncated, PsaAlgorithm__Algorithm__Mac__Truncated,
                PSA_ALGORITHM__ALGORITHM__MAC__TRUNCATED__INIT);
        if (m->truncated == NULL)
            goto fail;
        m->truncated->mac_length = (uint32_t)PSA_MAC_TRUNCATED_LENGTH(alg);
        if ((m->truncated->mac_alg = mac_full_msg(full)) == NULL)
            goto fail;
    }
    return m;
fail:
    psh_conv_free_message(m);
    return NULL;
}

static int aead_base_to_proto(psa_algorithm_t base)
{
    if (base == PSA_ALG_CCM) return 1;
    if (base == PSA_ALG_GCM) return 2;
    if (base == PSA_ALG_CHACHA20_POLY1305) return 3;
    return -1;
}

static PsaAlgorithm__Algorithm__Aead *aead_msg(psa_algorithm_t alg)
{
    PsaAlgorithm__Algorithm__Aead *m;
    psa_algorithm_t base = PSA_ALG_AEAD_WITH_DEFAULT_LENGTH_TAG(alg);
    int v = aead_base_to_proto(base);
    if (v < 0)
        return NULL;
    NEW_MSG(m, PsaAlgorithm__Algorithm__Aead, PSA_ALGORITHM__ALGORITHM__AEAD__INIT);
    if (m == NULL)
        return NULL;
    if (base == alg) {
        m->variant_case = PSA_ALGORITHM__ALGORITHM__AEAD__VARIANT_AEAD_WITH_DEFAULT_LENGTH_TAG;
        m->aead_with_default_length_tag = (PsaAlgorithm__Algorithm__Aead__AeadWithDefaultLengthTag)v;
        return m;
    }
    m->variant_case = PSA_ALGORITHM__ALGORITHM__AEAD__VARIANT_AEAD_WITH_SHORTENED_TAG;
    NEW_MSG(m->aead_with_shortened_tag, PsaAlgorithm__Algorithm__Aead__AeadWithShortenedTag,
            PSA_ALGORITHM__ALGORITHM__AEAD__AEAD_WITH_SHORTENED_TAG__INIT);
    if (m->aead_with_shortened_tag == NULL) {
        psh_conv_free_message(m);
        return NULL;
    }
    m->aead_with_shortened_tag->aead_alg = (PsaAlgorithm__Algorithm__Aead__AeadWithDefaultLengthTag)v;
    m->aead_with_shortened_tag->tag_length = (uint32_t)PSA_ALG_AEAD_GET_TAG_LENGTH(alg);
    return m;
}

static int cipher_to_proto(psa_algorithm_t alg)
{
    static const psa_algorithm_t t[] = {0, PSA_ALG_STREAM_CIPHER, PSA_ALG_CTR, PSA_ALG_CFB,
                                        PSA_ALG_OFB, PSA_ALG_XTS, PSA_ALG_ECB_NO_PADDING,
                                        PSA_ALG_CBC_NO_PADDING, PSA_ALG_CBC_PKCS7};
    for (size_t i = 1; i < sizeof t / sizeof t[0]; i++)
        if (t[i] == alg)
            return (int)i;
    return -1;
}

static PsaAlgorithm__Algorithm__AsymmetricEncryption *asym_enc_msg(psa_algorithm_t alg)
{
    PsaAlgorithm__Algorithm__AsymmetricEncryption *m;
    NEW_MSG(m, PsaAlgorithm__Algorithm__AsymmetricEncryption,
            PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_ENCRYPTION__INIT);
    if (m == NULL)
        return NULL;
    if (alg == PSA_ALG_RSA_PKCS1V15_CRYPT) {
        m->variant_case = PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_ENCRYPTION__VARIANT_RSA_PKCS1V15_CRYPT;
        NEW_MSG(m->rsa_pkcs1v15_crypt, PsaAlgorithm__Algorithm__AsymmetricEncryption__RsaPkcs1v15Crypt,
                PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_ENCRYPTION__RSA_PKCS1V15_CRYPT__INIT);
        if (m->rsa_pkcs1v15_crypt != NULL)
            return m;
    } else if (PSA_ALG_IS_RSA_OAEP(alg)) {
        int h = hash_to_proto(PSA_ALG_RSA_OAEP_GET_HASH(alg));
        m->variant_case = PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_ENCRYPTION__VARIANT_RSA_OAEP;
        NEW_MSG(m->rsa_oaep, PsaAlgorithm__Algorithm__AsymmetricEncryption__RsaOaep,
                PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_ENCRYPTION__RSA_OAEP__INIT);
        if (m->rsa_oaep != NULL && h > 0) {
            m->rsa_oaep->hash_alg = (PsaAlgorithm__Algorithm__Hash)h;
            return m;
        }
    }
    psh_conv_free_message(m);
    return NULL;
}

static PsaAlgorithm__Algorithm__KeyDerivation *kdf_msg(psa_algorithm_t alg)
{
    PsaAlgorithm__Algorithm__KeyDerivation *m;
    int h;
    NEW_MSG(m, PsaAlgorithm__Algorithm__KeyDerivation, PSA_ALGORITHM__ALGORITHM__KEY_DERIVATION__INIT);
    if (m == NULL)
        return NULL;
    if (PSA_ALG_IS_HKDF(alg) && (h = hash_to_proto(PSA_ALG_HKDF_GET_HASH(alg))) > 0) {
        m->variant_case = PSA_ALGORITHM__ALGORITHM__KEY_DERIVATION__VARIANT_HKDF;
        NEW_MSG(m->hkdf, PsaAlgorithm__Algorithm__KeyDerivation__Hkdf,
                PSA_ALGORITHM__ALGORITHM__KEY_DERIVATION__HKDF__INIT);
        if (m->hkdf != NULL) {
            m->hkdf->hash_alg = (PsaAlgorithm__Algorithm__Hash)h;
            return m;
        }
    } else if (PSA_ALG_IS_TLS12_PRF(alg) && (h = hash_to_proto(PSA_ALG_HKDF_GET_HASH(alg))) > 0) {
        m->variant_case = PSA_ALGORITHM__ALGORITHM__KEY_DERIVATION__VARIANT_TLS12_PRF;
        NEW_MSG(m->tls12_prf, PsaAlgorithm__Algorithm__KeyDerivation__Tls12Prf,
                PSA_ALGORITHM__ALGORITHM__KEY_DERIVATION__TLS12_PRF__INIT);
        if (m->tls12_prf != NULL) {
            m->tls12_prf->hash_alg = (PsaAlgorithm__Algorithm__Hash)h;
            return m;
        }
    } else if (PSA_ALG_IS_TLS12_PSK_TO_MS(alg) &&
               (h = hash_to_proto(PSA_ALG_HKDF_GET_HASH(alg))) > 0) {
        m->variant_case = PSA_ALGORITHM__ALGORITHM__KEY_DERIVATION__VARIANT_TLS12_PSK_TO_MS;
        NEW_MSG(m->tls12_psk_to_ms, PsaAlgorithm__Algorithm__KeyDerivation__Tls12PskToMs,
                PSA_ALGORITHM__ALGORITHM__KEY_DERIVATION__TLS12_PSK_TO_MS__INIT);
        if (m->tls12_psk_to_ms != NULL) {
            m->tls12_psk_to_ms->hash_alg = (PsaAlgorithm__Algorithm__Hash)h;
            return m;
        }
    }
    psh_conv_free_message(m);
    return NULL;
}

static int raw_ka_to_proto(psa_algorithm_t alg)
{
    if (alg == PSA_ALG_FFDH) return 1;
    if (alg == PSA_ALG_ECDH) return 2;
    return -1;
}

static PsaAlgorithm__Algorithm__KeyAgreement *ka_msg(psa_algorithm_t alg)
{
    PsaAlgorithm__Algorithm__KeyAgreement *m;
    int raw = raw_ka_to_proto(PSA_ALG_KEY_AGREEMENT_GET_BASE(alg));
    if (raw < 0)
        return NULL;
    NEW_MSG(m, PsaAlgorithm__Algorithm__KeyAgreement, PSA_ALGORITHM__ALGORITHM__KEY_AGREEMENT__INIT);
    if (m == NULL)
        return NULL;
    if (PSA_ALG_IS_RAW_KEY_AGREEMENT(alg)) {
        m->variant_case = PSA_ALGORITHM__ALGORITHM__KEY_AGREEMENT__VARIANT_RAW;
        m->raw = (PsaAlgorithm__Algorithm__KeyAgreement__Raw)raw;
        return m;
    }
    m->variant_case = PSA_ALGORITHM__ALGORITHM__KEY_AGREEMENT__VARIANT_WITH_KEY_DERIVATION;
    NEW_MSG(m->with_key_derivation, PsaAlgorithm__Algorithm__KeyAgreement__WithKeyDerivation,
            PSA_ALGORITHM__ALGORITHM__KEY_AGREEMENT__WITH_KEY_DERIVATION__INIT);
    if (m->with_key_derivation == NULL)
        goto fail;
    m->with_key_derivation->ka_alg = (PsaAlgorithm__Algorithm__KeyAgreement__Raw)raw;
    if ((m->with_key_derivation->kdf_alg = kdf_msg(PSA_ALG_KEY_AGREEMENT_GET_KDF(alg))) == NULL)
        goto fail;
    return m;
fail:
    psh_conv_free_message(m);
    return NULL;
}

static PsaAlgorithm__Algorithm *algorithm_msg(psa_algorithm_t alg)
{
    PsaAlgorithm__Algorithm *m;
    int ok = 0, v;
    NEW_MSG(m, PsaAlgorithm__Algorithm, PSA_ALGORITHM__ALGORITHM__INIT);
    if (m == NULL)
        return NULL;
    if (alg == PSA_ALG_NONE) {
        m->variant_case = PSA_ALGORITHM__ALGORITHM__VARIANT_NONE;
        NEW_MSG(m->none, PsaAlgorithm__Algorithm__None, PSA_ALGORITHM__ALGORITHM__NONE__INIT);
        ok = m->none != NULL;
    } else if (PSA_ALG_IS_HASH(alg)) {
        m->variant_case = PSA_ALGORITHM__ALGORITHM__VARIANT_HASH;
        v = hash_to_proto(alg);
        m->hash = (PsaAlgorithm__Algorithm__Hash)(v > 0 ? v : 0);
        ok = v > 0;
    } else if (PSA_ALG_IS_MAC(alg)) {
        m->variant_case = PSA_ALGORITHM__ALGORITHM__VARIANT_MAC;
        ok = (m->mac = mac_msg(alg)) != NULL;
    } else if (PSA_ALG_IS_CIPHER(alg)) {
        m->variant_case = PSA_ALGORITHM__ALGORITHM__VARIANT_CIPHER;
        v = cipher_to_proto(alg);
        m->cipher = (PsaAlgorithm__Algorithm__Cipher)(v > 0 ? v : 0);
        ok = v > 0;
    } else if (PSA_ALG_IS_AEAD(alg)) {
        m->variant_case = PSA_ALGORITHM__ALGORITHM__VARIANT_AEAD;
        ok = (m->aead = aead_msg(alg)) != NULL;
    } else if (PSA_ALG_IS_SIGN(alg)) {
        m->variant_case = PSA_ALGORITHM__ALGORITHM__VARIANT_ASYMMETRIC_SIGNATURE;
        ok = (m->asymmetric_signature = sign_msg(alg)) != NULL;
    } else if (PSA_ALG_IS_ASYMMETRIC_ENCRYPTION(alg)) {
        m->variant_case = PSA_ALGORITHM__ALGORITHM__VARIANT_ASYMMETRIC_ENCRYPTION;
        ok = (m->asymmetric_encryption = asym_enc_msg(alg)) != NULL;
    } else if (PSA_ALG_IS_KEY_AGREEMENT(alg)) {
        m->variant_case = PSA_ALGORITHM__ALGORITHM__VARIANT_KEY_AGREEMENT;
        ok = (m->key_agreement = ka_msg(alg)) != NULL;
    } else if (PSA_ALG_IS_KEY_DERIVATION(alg)) {
        m->variant_case = PSA_ALGORITHM__ALGORITHM__VARIANT_KEY_DERIVATION;
        ok = (m->key_derivation = kdf_msg(alg)) != NULL;
    }
    if (!ok) {
        psh_conv_free_message(m);
        return NULL;
    }
    return m;
}

static int ecc_family_to_proto(psa_ecc_family_t f)
{
    static const psa_ecc_family_t t[] = {
        0, PSA_ECC_FAMILY_SECP_K1, PSA_ECC_FAMILY_SECP_R1, PSA_ECC_FAMILY_SECP_R2,
        PSA_ECC_FAMILY_SECT_K1, PSA_ECC_FAMILY_SECT_R1, PSA_ECC_FAMILY_SECT_R2,
        PSA_ECC_FAMILY_BRAINPOOL_P_R1, PSA_ECC_FAMILY_FRP, PSA_ECC_FAMILY_MONTGOMERY};
    for (size_t i = 1; i < sizeof t / sizeof t[0]; i++)
        if (t[i] == f)
            return (int)i;
    return -1;
}

/* Sets an empty-message oneof member of KeyType. */
#define EMPTY_MEMBER(field, T, INIT, CASE)     \
    do {                                       \
        kt->variant_case = CASE;               \
        NEW_MSG(kt->field, T, INIT);           \
        ok = kt->field != NULL;                \
    } while (0)

static PsaKeyAttributes__KeyType *key_type_msg(psa_key_type_t type)
{
    PsaKeyAttributes__KeyType *kt;
    int ok = 0;
    NEW_MSG(kt, PsaKeyAttributes__KeyType, PSA_KEY_ATTRIBUTES__KEY_TYPE__INIT);
    if (kt == NULL)
        return NULL;
    switch (type) {
    case PSA_KEY_TYPE_RAW_DATA:
        EMPTY_MEMBER(raw_data, PsaKeyAttributes__KeyType__RawData, PSA_KEY_ATTRIBUTES__KEY_TYPE__RAW_DATA__INIT, PSA_KEY_ATTRIBUTES__KEY_TYPE__VARIANT_RAW_DATA);
        break;
    case PSA_KEY_TYPE_HMAC:
        EMPTY_MEMBER(hmac, PsaKeyAttributes__KeyType__Hmac, PSA_KEY_ATTRIBUTES__KEY_TYPE__HMAC__INIT, PSA_KEY_ATTRIBUTES__KEY_TYPE__VARIANT_HMAC);
        break;
    case PSA_KEY_TYPE_DERIVE:
        EMPTY_MEMBER(derive, PsaKeyAttributes__KeyType__Derive, PSA_KEY_ATTRIBUTES__KEY_TYPE__DERIVE__INIT, PSA_KEY_ATTRIBUTES__KEY_TYPE__VARIANT_DERIVE);
        break;
    case PSA_KEY_TYPE_AES:
        EMPTY_MEMBER(aes, PsaKeyAttributes__KeyType__Aes, PSA_KEY_ATTRIBUTES__KEY_TYPE__AES__INIT, PSA_KEY_ATTRIBUTES__KEY_TYPE__VARIANT_AES);
        break;
    case PSA_KEY_TYPE_DES:
        EMPTY_MEMBER(des, PsaKeyAttributes__KeyType__Des, PSA_KEY_ATTRIBUTES__KEY_TYPE__DES__INIT, PSA_KEY_ATTRIBUTES__KEY_TYPE__VARIANT_DES);
        break;
    case PSA_KEY_TYPE_CAMELLIA:
        EMPTY_MEMBER(camellia, PsaKeyAttributes__KeyType__Camellia, PSA_KEY_ATTRIBUTES__KEY_TYPE__CAMELLIA__INIT, PSA_KEY_ATTRIBUTES__KEY_TYPE__VARIANT_CAMELLIA);
        break;
    case PSA_KEY_TYPE_ARC4:
        EMPTY_MEMBER(arc4, PsaKeyAttributes__KeyType__Arc4, PSA_KEY_ATTRIBUTES__KEY_TYPE__ARC4__INIT, PSA_KEY_ATTRIBUTES__KEY_TYPE__VARIANT_ARC4);
        break;
    case PSA_KEY_TYPE_CHACHA20:
        EMPTY_MEMBER(chacha20, PsaKeyAttributes__KeyType__Chacha20, PSA_KEY_ATTRIBUTES__KEY_TYPE__CHACHA20__INIT, PSA_KEY_ATTRIBUTES__KEY_TYPE__VARIANT_CHACHA20);
        break;
    case PSA_KEY_TYPE_RSA_PUBLIC_KEY:
        EMPTY_MEMBER(rsa_public_key, PsaKeyAttributes__KeyType__RsaPublicKey, PSA_KEY_ATTRIBUTES__KEY_TYPE__RSA_PUBLIC_KEY__INIT, PSA_KEY_ATTRIBUTES__KEY_TYPE__VARIANT_RSA_PUBLIC_KEY);
        break;
    case PSA_KEY_TYPE_RSA_KEY_PAIR:
        EMPTY_MEMBER(rsa_key_pair, PsaKeyAttributes__KeyType__RsaKeyPair, PSA_KEY_ATTRIBUTES__KEY_TYPE__RSA_KEY_PAIR__INIT, PSA_KEY_ATTRIBUTES__KEY_TYPE__VARIANT_RSA_KEY_PAIR);
        break;
    default:
        if (PSA_KEY_TYPE_IS_ECC_KEY_PAIR(type)) {
            int f = ecc_family_to_proto(PSA_KEY_TYPE_ECC_GET_FAMILY(type));
            EMPTY_MEMBER(ecc_key_pair, PsaKeyAttributes__KeyType__EccKeyPair, PSA_KEY_ATTRIBUTES__KEY_TYPE__ECC_KEY_PAIR__INIT, PSA_KEY_ATTRIBUTES__KEY_TYPE__VARIANT_ECC_KEY_PAIR);
            if (ok && f > 0)
                kt->ecc_key_pair->curve_family = (PsaKeyAttributes__KeyType__EccFamily)f;
            ok = ok && f > 0;
        } else if (PSA_KEY_TYPE_IS_ECC_PUBLIC_KEY(type)) {
            int f = ecc_family_to_proto(PSA_KEY_TYPE_ECC_GET_FAMILY(type));
            EMPTY_MEMBER(ecc_public_key, PsaKeyAttributes__KeyType__EccPublicKey, PSA_KEY_ATTRIBUTES__KEY_TYPE__ECC_PUBLIC_KEY__INIT, PSA_KEY_ATTRIBUTES__KEY_TYPE__VARIANT_ECC_PUBLIC_KEY);
            if (ok && f > 0)
                kt->ecc_public_key->curve_family = (PsaKeyAttributes__KeyType__EccFamily)f;
            ok = ok && f > 0;
        } else if (type == PSA_KEY_TYPE_DH_KEY_PAIR(PSA_DH_FAMILY_RFC7919)) {
            EMPTY_MEMBER(dh_key_pair, PsaKeyAttributes__KeyType__DhKeyPair, PSA_KEY_ATTRIBUTES__KEY_TYPE__DH_KEY_PAIR__INIT, PSA_KEY_ATTRIBUTES__KEY_TYPE__VARIANT_DH_KEY_PAIR);
        } else if (type == PSA_KEY_TYPE_DH_PUBLIC_KEY(PSA_DH_FAMILY_RFC7919)) {
            EMPTY_MEMBER(dh_public_key, PsaKeyAttributes__KeyType__DhPublicKey, PSA_KEY_ATTRIBUTES__KEY_TYPE__DH_PUBLIC_KEY__INIT, PSA_KEY_ATTRIBUTES__KEY_TYPE__VARIANT_DH_PUBLIC_KEY);
        }
        break;
    }
    if (!ok) {
        psh_conv_free_message(kt);
        return NULL;
    }
    return kt;
}

psh_status psh_conv_key_attrs_to_proto(const psh_key_attrs *a,
                                       PsaKeyAttributes__KeyAttributes **out)
{
    PsaKeyAttributes__KeyAttributes *m = NULL;
    PsaKeyAttributes__UsageFlags *u;

    *out = NULL;
    NEW_MSG(m, PsaKeyAttributes__KeyAttributes, PSA_KEY_ATTRIBUTES__KEY_ATTRIBUTES__INIT);
    if (m == NULL)
        return PSH_ERR_PSA_INSUFFICIENT_MEMORY;
    m->key_bits = (uint32_t)a->bits;
    if ((m->key_type = key_type_msg(a->type)) == NULL)
        goto fail;
    NEW_MSG(m->key_policy, PsaKeyAttributes__KeyPolicy, PSA_KEY_ATTRIBUTES__KEY_POLICY__INIT);
    if (m->key_policy == NULL)
        goto fail;
    NEW_MSG(u, PsaKeyAttributes__UsageFlags, PSA_KEY_ATTRIBUTES__USAGE_FLAGS__INIT);
    if ((m->key_policy->key_usage_flags = u) == NULL)
        goto fail;
    u->export = (a->usage & PSA_KEY_USAGE_EXPORT) != 0;
    u->copy = (a->usage & PSA_KEY_USAGE_COPY) != 0;
    u->cache = (a->usage & PSH_KEY_USAGE_CACHE) != 0;
    u->encrypt = (a->usage & PSA_KEY_USAGE_ENCRYPT) != 0;
    u->decrypt = (a->usage & PSA_KEY_USAGE_DECRYPT) != 0;
    u->sign_message = (a->usage & PSA_KEY_USAGE_SIGN_MESSAGE) != 0;
    u->verify_message = (a->usage & PSA_KEY_USAGE_VERIFY_MESSAGE) != 0;
    u->sign_hash = (a->usage & PSA_KEY_USAGE_SIGN_HASH) != 0;
    u->verify_hash = (a->usage & PSA_KEY_USAGE_VERIFY_HASH) != 0;
    u->derive = (a->usage & PSA_KEY_USAGE_DERIVE) != 0;
    if ((m->key_policy->key_algorithm = algorithm_msg(a->alg)) == NULL)
        goto fail;
    *out = m;
    return PSH_SUCCESS;
fail:
    psh_conv_free_message(m);
    return PSH_ERR_SERIALIZING_BODY_FAILED;
}
