/* psh_algorithm / psh_key_attributes <-> protobuf (spec 5.2, 5.3). Encoding builds the
 * message tree inside a caller's stack struct; a set oneof member is always emitted, even an
 * empty message (spec 5.1), which protobuf-c does for us once variant_case is set. */
#include "client/client_internal.h"

#include <string.h>

#include "util/alloc.h"

const char *psh_client_hash_name(uint32_t hash)
{
    static const char *const names[] = {
        "Any",        "MD2",        "MD4",         "MD5",         "RIPEMD160", "SHA_1",
        "SHA_224",    "SHA_256",    "SHA_384",     "SHA_512",     "SHA_512_224", "SHA_512_256",
        "SHA3_224",   "SHA3_256",   "SHA3_384",    "SHA3_512"};
    return hash < sizeof names / sizeof names[0] ? names[hash] : NULL;
}

static int is_sig_kind(psh_alg_kind k)
{
    return k >= PSH_ALG_RSA_PKCS1V15_SIGN && k <= PSH_ALG_DETERMINISTIC_ECDSA;
}

static void fill_sign_hash(psh_pb_alg *s, psh_hash hash)
{
    psa_algorithm__algorithm__asymmetric_signature__sign_hash__init(&s->sign_hash);
    if (hash == PSH_HASH_ANY) {
        psa_algorithm__algorithm__asymmetric_signature__sign_hash__any__init(&s->any);
        s->sign_hash.variant_case =
            PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_SIGNATURE__SIGN_HASH__VARIANT_ANY;
        s->sign_hash.any = &s->any;
    } else {
        s->sign_hash.variant_case =
            PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_SIGNATURE__SIGN_HASH__VARIANT_SPECIFIC;
        s->sign_hash.specific = (PsaAlgorithm__Algorithm__Hash)hash;
    }
}

static void fill_sig(psh_pb_alg *s, const psh_algorithm *a)
{
    PsaAlgorithm__Algorithm__AsymmetricSignature *sig = &s->sig;

    psa_algorithm__algorithm__asymmetric_signature__init(sig);
    fill_sign_hash(s, a->hash);
    switch (a->kind) {
    case PSH_ALG_RSA_PKCS1V15_SIGN:
        psa_algorithm__algorithm__asymmetric_signature__rsa_pkcs1v15_sign__init(&s->pkcs1);
        s->pkcs1.hash_alg = &s->sign_hash;
        sig->variant_case =
            PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_SIGNATURE__VARIANT_RSA_PKCS1V15_SIGN;
        sig->rsa_pkcs1v15_sign = &s->pkcs1;
        break;
    case PSH_ALG_RSA_PKCS1V15_SIGN_RAW:
        psa_algorithm__algorithm__asymmetric_signature__rsa_pkcs1v15_sign_raw__init(&s->pkcs1_raw);
        sig->variant_case =
            PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_SIGNATURE__VARIANT_RSA_PKCS1V15_SIGN_RAW;
        sig->rsa_pkcs1v15_sign_raw = &s->pkcs1_raw;
        break;
    case PSH_ALG_RSA_PSS:
        psa_algorithm__algorithm__asymmetric_signature__rsa_pss__init(&s->pss);
        s->pss.hash_alg = &s->sign_hash;
        sig->variant_case = PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_SIGNATURE__VARIANT_RSA_PSS;
        sig->rsa_pss = &s->pss;
        break;
    case PSH_ALG_ECDSA:
        psa_algorithm__algorithm__asymmetric_signature__ecdsa__init(&s->ecdsa);
        s->ecdsa.hash_alg = &s->sign_hash;
        sig->variant_case = PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_SIGNATURE__VARIANT_ECDSA;
        sig->ecdsa = &s->ecdsa;
        break;
    case PSH_ALG_ECDSA_ANY:
        psa_algorithm__algorithm__asymmetric_signature__ecdsa_any__init(&s->ecdsa_any);
        sig->variant_case = PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_SIGNATURE__VARIANT_ECDSA_ANY;
        sig->ecdsa_any = &s->ecdsa_any;
        break;
    default: /* PSH_ALG_DETERMINISTIC_ECDSA */
        psa_algorithm__algorithm__asymmetric_signature__deterministic_ecdsa__init(&s->det_ecdsa);
        s->det_ecdsa.hash_alg = &s->sign_hash;
        sig->variant_case =
            PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_SIGNATURE__VARIANT_DETERMINISTIC_ECDSA;
        sig->deterministic_ecdsa = &s->det_ecdsa;
        break;
    }
}

static void fill_enc(psh_pb_alg *s, const psh_algorithm *a)
{
    psa_algorithm__algorithm__asymmetric_encryption__init(&s->enc);
    if (a->kind == PSH_ALG_RSA_OAEP) {
        psa_algorithm__algorithm__asymmetric_encryption__rsa_oaep__init(&s->oaep);
        s->oaep.hash_alg = (PsaAlgorithm__Algorithm__Hash)a->hash;
        s->enc.variant_case = PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_ENCRYPTION__VARIANT_RSA_OAEP;
        s->enc.rsa_oaep = &s->oaep;
    } else {
        psa_algorithm__algorithm__asymmetric_encryption__rsa_pkcs1v15_crypt__init(&s->crypt);
        s->enc.variant_case =
            PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_ENCRYPTION__VARIANT_RSA_PKCS1V15_CRYPT;
        s->enc.rsa_pkcs1v15_crypt = &s->crypt;
    }
}

static void fill_mac(psh_pb_alg *s, const psh_algorithm *a)
{
    psa_algorithm__algorithm__mac__full_length__init(&s->full);
    if (a->kind == PSH_ALG_HMAC) {
        psa_algorithm__algorithm__mac__full_length__hmac__init(&s->hmac);
        s->hmac.hash_alg = (PsaAlgorithm__Algorithm__Hash)a->hash;
        s->full.variant_case = PSA_ALGORITHM__ALGORITHM__MAC__FULL_LENGTH__VARIANT_HMAC;
        s->full.hmac = &s->hmac;
    } else {
        psa_algorithm__algorithm__mac__full_length__cmac__init(&s->cmac);
        s->full.variant_case = PSA_ALGORITHM__ALGORITHM__MAC__FULL_LENGTH__VARIANT_CMAC;
        s->full.cmac = &s->cmac;
    }
    psa_algorithm__algorithm__mac__init(&s->mac);
    if (a->length != 0) {
        psa_algorithm__algorithm__mac__truncated__init(&s->truncated);
        s->truncated.mac_alg = &s->full;
        s->truncated.mac_length = a->length;
        s->mac.variant_case = PSA_ALGORITHM__ALGORITHM__MAC__VARIANT_TRUNCATED;
        s->mac.truncated = &s->truncated;
    } else {
        s->mac.variant_case = PSA_ALGORITHM__ALGORITHM__MAC__VARIANT_FULL_LENGTH;
        s->mac.full_length = &s->full;
    }
}

static void fill_aead(psh_pb_alg *s, const psh_algorithm *a)
{
    psa_algorithm__algorithm__aead__init(&s->aead);
    if (a->length != 0) {
        psa_algorithm__algorithm__aead__aead_with_shortened_tag__init(&s->short_tag);
        s->short_tag.aead_alg = (PsaAlgorithm__Algorithm__Aead__AeadWithDefaultLengthTag)a->cipher;
        s->short_tag.tag_length = a->length;
        s->aead.variant_case = PSA_ALGORITHM__ALGORITHM__AEAD__VARIANT_AEAD_WITH_SHORTENED_TAG;
        s->aead.aead_with_shortened_tag = &s->short_tag;
    } else {
        s->aead.variant_case = PSA_ALGORITHM__ALGORITHM__AEAD__VARIANT_AEAD_WITH_DEFAULT_LENGTH_TAG;
        s->aead.aead_with_default_length_tag =
            (PsaAlgorithm__Algorithm__Aead__AeadWithDefaultLengthTag)a->cipher;
    }
}

psh_status psh_pb_alg_fill(psh_pb_alg *s, const psh_algorithm *a)
{
    PsaAlgorithm__Algorithm *m = &s->alg;

    psa_algorithm__algorithm__init(m);
    switch (a->kind) {
    case PSH_ALG_UNSET:
        return PSH_SUCCESS; /* oneof left unset: only useful to provoke InvalidEncoding */
    case PSH_ALG_NONE:
        psa_algorithm__algorithm__none__init(&s->none);
        m->variant_case = PSA_ALGORITHM__ALGORITHM__VARIANT_NONE;
        m->none = &s->none;
        return PSH_SUCCESS;
    case PSH_ALG_HASH:
        m->variant_case = PSA_ALGORITHM__ALGORITHM__VARIANT_HASH;
        m->hash = (PsaAlgorithm__Algorithm__Hash)a->hash;
        return PSH_SUCCESS;
    case PSH_ALG_HMAC:
    case PSH_ALG_CMAC:
        fill_mac(s, a);
        m->variant_case = PSA_ALGORITHM__ALGORITHM__VARIANT_MAC;
        m->mac = &s->mac;
        return PSH_SUCCESS;
    case PSH_ALG_CIPHER:
        m->variant_case = PSA_ALGORITHM__ALGORITHM__VARIANT_CIPHER;
        m->cipher = (PsaAlgorithm__Algorithm__Cipher)a->cipher;
        return PSH_SUCCESS;
    case PSH_ALG_AEAD:
        fill_aead(s, a);
        m->variant_case = PSA_ALGORITHM__ALGORITHM__VARIANT_AEAD;
        m->aead = &s->aead;
        return PSH_SUCCESS;
    case PSH_ALG_RSA_PKCS1V15_CRYPT:
    case PSH_ALG_RSA_OAEP:
        fill_enc(s, a);
        m->variant_case = PSA_ALGORITHM__ALGORITHM__VARIANT_ASYMMETRIC_ENCRYPTION;
        m->asymmetric_encryption = &s->enc;
        return PSH_SUCCESS;
    case PSH_ALG_ECDH:
    case PSH_ALG_FFDH:
        psa_algorithm__algorithm__key_agreement__init(&s->ka);
        s->ka.variant_case = PSA_ALGORITHM__ALGORITHM__KEY_AGREEMENT__VARIANT_RAW;
        s->ka.raw = a->kind == PSH_ALG_ECDH ? PSA_ALGORITHM__ALGORITHM__KEY_AGREEMENT__RAW__ECDH
                                            : PSA_ALGORITHM__ALGORITHM__KEY_AGREEMENT__RAW__FFDH;
        m->variant_case = PSA_ALGORITHM__ALGORITHM__VARIANT_KEY_AGREEMENT;
        m->key_agreement = &s->ka;
        return PSH_SUCCESS;
    default:
        if (is_sig_kind(a->kind)) {
            fill_sig(s, a);
            m->variant_case = PSA_ALGORITHM__ALGORITHM__VARIANT_ASYMMETRIC_SIGNATURE;
            m->asymmetric_signature = &s->sig;
            return PSH_SUCCESS;
        }
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    }
}

static void init_key_type(psh_pb_attrs *s, const psh_key_attributes *a)
{
    PsaKeyAttributes__KeyType *t = &s->type;

    psa_key_attributes__key_type__init(t);
    t->variant_case = (PsaKeyAttributes__KeyType__VariantCase)a->type;
    /* Each member is a distinct message type; the union holds whichever one is in use. */
    switch (a->type) {
#define EMPTY_TYPE(tag, member, field, fn) \
    case tag:                             \
        fn(&s->t.member);                 \
        t->field = &s->t.member;          \
        break;
        EMPTY_TYPE(PSH_KEY_TYPE_RAW_DATA, raw_data, raw_data,
                   psa_key_attributes__key_type__raw_data__init)
        EMPTY_TYPE(PSH_KEY_TYPE_HMAC, hmac, hmac,
                   psa_key_attributes__key_type__hmac__init)
        EMPTY_TYPE(PSH_KEY_TYPE_DERIVE, derive, derive,
                   psa_key_attributes__key_type__derive__init)
        EMPTY_TYPE(PSH_KEY_TYPE_AES, aes, aes,
                   psa_key_attributes__key_type__aes__init)
        EMPTY_TYPE(PSH_KEY_TYPE_DES, des, des,
                   psa_key_attributes__key_type__des__init)
        EMPTY_TYPE(PSH_KEY_TYPE_CAMELLIA, camellia, camellia,
                   psa_key_attributes__key_type__camellia__init)
        EMPTY_TYPE(PSH_KEY_TYPE_ARC4, arc4, arc4,
                   psa_key_attributes__key_type__arc4__init)
        EMPTY_TYPE(PSH_KEY_TYPE_CHACHA20, chacha20, chacha20,
                   psa_key_attributes__key_type__chacha20__init)
        EMPTY_TYPE(PSH_KEY_TYPE_RSA_PUBLIC_KEY, rsa_pub, rsa_public_key,
                   psa_key_attributes__key_type__rsa_public_key__init)
        EMPTY_TYPE(PSH_KEY_TYPE_RSA_KEY_PAIR, rsa_pair, rsa_key_pair,
                   psa_key_attributes__key_type__rsa_key_pair__init)
#undef EMPTY_TYPE
    case PSH_KEY_TYPE_ECC_KEY_PAIR:
        psa_key_attributes__key_type__ecc_key_pair__init(&s->t.ecc_pair);
        s->t.ecc_pair.curve_family = (PsaKeyAttributes__KeyType__EccFamily)a->family;
        t->ecc_key_pair = &s->t.ecc_pair;
        break;
    case PSH_KEY_TYPE_ECC_PUBLIC_KEY:
        psa_key_attributes__key_type__ecc_public_key__init(&s->t.ecc_pub);
        s->t.ecc_pub.curve_family = (PsaKeyAttributes__KeyType__EccFamily)a->family;
        t->ecc_public_key = &s->t.ecc_pub;
        break;
    case PSH_KEY_TYPE_DH_KEY_PAIR:
        psa_key_attributes__key_type__dh_key_pair__init(&s->t.dh_pair);
        s->t.dh_pair.group_family = (PsaKeyAttributes__KeyType__DhFamily)a->family;
        t->dh_key_pair = &s->t.dh_pair;
        break;
    case PSH_KEY_TYPE_DH_PUBLIC_KEY:
        psa_key_attributes__key_type__dh_public_key__init(&s->t.dh_pub);
        s->t.dh_pub.group_family = (PsaKeyAttributes__KeyType__DhFamily)a->family;
        t->dh_public_key = &s->t.dh_pub;
        break;
    default:
        t->variant_case = PSA_KEY_ATTRIBUTES__KEY_TYPE__VARIANT__NOT_SET;
        break;
    }
}

psh_status psh_pb_attrs_fill(psh_pb_attrs *s, const psh_key_attributes *a)
{
    PsaKeyAttributes__UsageFlags *f = &s->flags;
    psh_status st;

    if ((unsigned)a->type > PSH_KEY_TYPE_DH_PUBLIC_KEY)
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    st = psh_pb_alg_fill(&s->alg, &a->alg);
    if (st != PSH_SUCCESS)
        return st;
    init_key_type(s, a);
    psa_key_attributes__usage_flags__init(f);
    f->export = (a->usage & PSH_USAGE_EXPORT) != 0;
    f->copy = (a->usage & PSH_USAGE_COPY) != 0;
    f->cache = (a->usage & PSH_USAGE_CACHE) != 0;
    f->encrypt = (a->usage & PSH_USAGE_ENCRYPT) != 0;
    f->decrypt = (a->usage & PSH_USAGE_DECRYPT) != 0;
    f->sign_message = (a->usage & PSH_USAGE_SIGN_MESSAGE) != 0;
    f->verify_message = (a->usage & PSH_USAGE_VERIFY_MESSAGE) != 0;
    f->sign_hash = (a->usage & PSH_USAGE_SIGN_HASH) != 0;
    f->verify_hash = (a->usage & PSH_USAGE_VERIFY_HASH) != 0;
    f->derive = (a->usage & PSH_USAGE_DERIVE) != 0;
    psa_key_attributes__key_policy__init(&s->policy);
    s->policy.key_usage_flags = f;
    s->policy.key_algorithm = a->alg.kind == PSH_ALG_UNSET ? NULL : &s->alg.alg;
    psa_key_attributes__key_attributes__init(&s->attrs);
    s->attrs.key_type = a->type == PSH_KEY_TYPE_UNSET ? NULL : &s->type;
    s->attrs.key_bits = a->bits;
    s->attrs.key_policy = &s->policy;
    return PSH_SUCCESS;
}

static psh_hash sign_hash_read(const PsaAlgorithm__Algorithm__AsymmetricSignature__SignHash *h)
{
    const int specific =
        PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_SIGNATURE__SIGN_HASH__VARIANT_SPECIFIC;
    if (h != NULL && (int)h->variant_case == specific)
        return (psh_hash)h->specific;
    return PSH_HASH_ANY;
}

static void sig_read(const PsaAlgorithm__Algorithm__AsymmetricSignature *sig, psh_algorithm *out)
{
    switch (sig->variant_case) {
    case PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_SIGNATURE__VARIANT_RSA_PKCS1V15_SIGN:
        out->kind = PSH_ALG_RSA_PKCS1V15_SIGN;
        out->hash = sign_hash_read(sig->rsa_pkcs1v15_sign->hash_alg);
        break;
    case PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_SIGNATURE__VARIANT_RSA_PKCS1V15_SIGN_RAW:
        out->kind = PSH_ALG_RSA_PKCS1V15_SIGN_RAW;
        break;
    case PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_SIGNATURE__VARIANT_RSA_PSS:
        out->kind = PSH_ALG_RSA_PSS;
        out->hash = sign_hash_read(sig->rsa_pss->hash_alg);
        break;
    case PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_SIGNATURE__VARIANT_ECDSA:
        out->kind = PSH_ALG_ECDSA;
        out->hash = sign_hash_read(sig->ecdsa->hash_alg);
        break;
    case PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_SIGNATURE__VARIANT_ECDSA_ANY:
        out->kind = PSH_ALG_ECDSA_ANY;
        break;
    case PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_SIGNATURE__VARIANT_DETERMINISTIC_ECDSA:
        out->kind = PSH_ALG_DETERMINISTIC_ECDSA;
        out->hash = sign_hash_read(sig->deterministic_ecdsa->hash_alg);
        break;
    default:
        out->kind = PSH_ALG_OTHER;
        break;
    }
}

static void mac_read(const PsaAlgorithm__Algorithm__Mac *mac, psh_algorithm *out)
{
    const PsaAlgorithm__Algorithm__Mac__FullLength *full = NULL;

    out->kind = PSH_ALG_OTHER;
    if (mac->variant_case == PSA_ALGORITHM__ALGORITHM__MAC__VARIANT_FULL_LENGTH) {
        full = mac->full_length;
    } else if (mac->variant_case == PSA_ALGORITHM__ALGORITHM__MAC__VARIANT_TRUNCATED) {
        full = mac->truncated->mac_alg;
        out->length = mac->truncated->mac_length;
    }
    if (full == NULL)
        return;
    if (full->variant_case == PSA_ALGORITHM__ALGORITHM__MAC__FULL_LENGTH__VARIANT_HMAC) {
        out->kind = PSH_ALG_HMAC;
        out->hash = (psh_hash)full->hmac->hash_alg;
    } else if (full->variant_case == PSA_ALGORITHM__ALGORITHM__MAC__FULL_LENGTH__VARIANT_CMAC) {
        out->kind = PSH_ALG_CMAC;
    }
}

void psh_pb_alg_read(const PsaAlgorithm__Algorithm *m, psh_algorithm *out)
{
    memset(out, 0, sizeof *out);
    if (m == NULL)
        return;
    switch (m->variant_case) {
    case PSA_ALGORITHM__ALGORITHM__VARIANT_NONE:
        out->kind = PSH_ALG_NONE;
        break;
    case PSA_ALGORITHM__ALGORITHM__VARIANT_HASH:
        out->kind = PSH_ALG_HASH;
        out->hash = (psh_hash)m->hash;
        break;
    case PSA_ALGORITHM__ALGORITHM__VARIANT_MAC:
        mac_read(m->mac, out);
        break;
    case PSA_ALGORITHM__ALGORITHM__VARIANT_CIPHER:
        out->kind = PSH_ALG_CIPHER;
        out->cipher = (uint32_t)m->cipher;
        break;
    case PSA_ALGORITHM__ALGORITHM__VARIANT_AEAD:
        out->kind = PSH_ALG_AEAD;
        if (m->aead->variant_case ==
            PSA_ALGORITHM__ALGORITHM__AEAD__VARIANT_AEAD_WITH_SHORTENED_TAG) {
            out->cipher = (uint32_t)m->aead->aead_with_shortened_tag->aead_alg;
            out->length = m->aead->aead_with_shortened_tag->tag_length;
        } else {
            out->cipher = (uint32_t)m->aead->aead_with_default_length_tag;
        }
        break;
    case PSA_ALGORITHM__ALGORITHM__VARIANT_ASYMMETRIC_SIGNATURE:
        sig_read(m->asymmetric_signature, out);
        break;
    case PSA_ALGORITHM__ALGORITHM__VARIANT_ASYMMETRIC_ENCRYPTION:
        if (m->asymmetric_encryption->variant_case ==
            PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_ENCRYPTION__VARIANT_RSA_OAEP) {
            out->kind = PSH_ALG_RSA_OAEP;
            out->hash = (psh_hash)m->asymmetric_encryption->rsa_oaep->hash_alg;
        } else {
            out->kind = PSH_ALG_RSA_PKCS1V15_CRYPT;
        }
        break;
    case PSA_ALGORITHM__ALGORITHM__VARIANT_KEY_AGREEMENT:
        out->kind = PSH_ALG_OTHER;
        if (m->key_agreement->variant_case == PSA_ALGORITHM__ALGORITHM__KEY_AGREEMENT__VARIANT_RAW)
            out->kind = m->key_agreement->raw == PSA_ALGORITHM__ALGORITHM__KEY_AGREEMENT__RAW__ECDH
                            ? PSH_ALG_ECDH
                            : PSH_ALG_FFDH;
        break;
    case PSA_ALGORITHM__ALGORITHM__VARIANT__NOT_SET:
        out->kind = PSH_ALG_UNSET;
        break;
    default:
        out->kind = PSH_ALG_OTHER;
        break;
    }
}

void psh_pb_attrs_read(const PsaKeyAttributes__KeyAttributes *m, psh_key_attributes *out)
{
    const PsaKeyAttributes__UsageFlags *f;

    memset(out, 0, sizeof *out);
    if (m == NULL)
        return;
    out->bits = m->key_bits;
    if (m->key_type != NULL) {
        const PsaKeyAttributes__KeyType *t = m->key_type;
        out->type = (psh_key_type)t->variant_case;
        if (t->variant_case == PSA_KEY_ATTRIBUTES__KEY_TYPE__VARIANT_ECC_KEY_PAIR)
            out->family = (uint32_t)t->ecc_key_pair->curve_family;
        else if (t->variant_case == PSA_KEY_ATTRIBUTES__KEY_TYPE__VARIANT_ECC_PUBLIC_KEY)
            out->family = (uint32_t)t->ecc_public_key->curve_family;
        else if (t->variant_case == PSA_KEY_ATTRIBUTES__KEY_TYPE__VARIANT_DH_KEY_PAIR)
            out->family = (uint32_t)t->dh_key_pair->group_family;
        else if (t->variant_case == PSA_KEY_ATTRIBUTES__KEY_TYPE__VARIANT_DH_PUBLIC_KEY)
            out->family = (uint32_t)t->dh_public_key->group_family;
    }
    if (m->key_policy == NULL)
        return;
    psh_pb_alg_read(m->key_policy->key_algorithm, &out->alg);
    f = m->key_policy->key_usage_flags;
    if (f == NULL)
        return;
    out->usage = (f->export ? PSH_USAGE_EXPORT : 0) | (f->copy ? PSH_USAGE_COPY : 0) |
                 (f->cache ? PSH_USAGE_CACHE : 0) | (f->encrypt ? PSH_USAGE_ENCRYPT : 0) |
                 (f->decrypt ? PSH_USAGE_DECRYPT : 0) |
                 (f->sign_message ? PSH_USAGE_SIGN_MESSAGE : 0) |
                 (f->verify_message ? PSH_USAGE_VERIFY_MESSAGE : 0) |
                 (f->sign_hash ? PSH_USAGE_SIGN_HASH : 0) |
                 (f->verify_hash ? PSH_USAGE_VERIFY_HASH : 0) |
                 (f->derive ? PSH_USAGE_DERIVE : 0);
}
