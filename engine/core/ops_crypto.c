/* Crypto operations beyond keys and signatures (spec 5.4, 6.2, 6.4): asymmetric encryption,
 * AEAD, cipher, MAC, raw key agreement, and the keyless random and hash operations, plus
 * CanDoCrypto. Each keyed handler: convert the algorithm (InvalidEncoding), look the key up in
 * the caller's namespace, apply the policy (NotPermitted / InvalidArgument) and only then
 * call the provider. Outputs are sized from the key with PSA's *_OUTPUT_SIZE macros, capped
 * at buffer_size_limit, and wiped when freed on every path: they may hold plaintexts, MACs
 * or shared secrets. */
#define PSH_LOGMODULE core
#include "core/core.h"

#include <string.h>

#include "core/convert.h"
#include "core/policy.h"
#include "util/alloc.h"
#include "util/log.h"

#include "can_do_crypto.pb-c.h"
#include "psa_aead_decrypt.pb-c.h"
#include "psa_aead_encrypt.pb-c.h"
#include "psa_asymmetric_decrypt.pb-c.h"
#include "psa_asymmetric_encrypt.pb-c.h"
#include "psa_cipher_decrypt.pb-c.h"
#include "psa_cipher_encrypt.pb-c.h"
#include "psa_generate_random.pb-c.h"
#include "psa_hash_compare.pb-c.h"
#include "psa_hash_compute.pb-c.h"
#include "psa_mac_compute.pb-c.h"
#include "psa_mac_verify.pb-c.h"
#include "psa_raw_key_agreement.pb-c.h"

/* One keyed or keyless call in flight: the key (keyed only) and the output buffer. */
typedef struct crypto_call {
    psh_request *req;
    psh_kim_entry *entry; /* owned; psh_kim_entry_free */
    psh_key_ref ref;      /* borrows from entry */
    uint8_t *out;         /* owned; psh_free_secret(out, out_size) */
    size_t out_size;
    size_t out_len;
    int capped; /* out_size was cut to buffer_size_limit */
} crypto_call;

#define CRYPTO_CALL_INIT(r) {(r), NULL, {NULL, NULL, 0}, NULL, 0, 0, 0}

/* Validate step of a keyed operation. has_op: the provider implements it (checked first, as
 * the reference answers NotSupported before it looks at the key). */
static psh_status begin_keyed(crypto_call *c, int has_op, const char *name, psa_key_usage_t usage,
                              psa_algorithm_t alg)
{
    psh_status st;

    if (!has_op)
        return PSH_ERR_PSA_NOT_SUPPORTED;
    if ((st = psh_core_load_key(c->req, name, &c->entry)) != PSH_SUCCESS)
        return st;
    if ((st = psh_policy_check_crypto(&c->entry->attrs, usage, alg)) != PSH_SUCCESS)
        return st;
    c->ref.attrs = &c->entry->attrs;
    c->ref.key_id = c->entry->key_id;
    c->ref.key_id_len = c->entry->key_id_len;
    return PSH_SUCCESS;
}

/* size: the exact bound for this key and algorithm (0 when PSA cannot tell); fallback: the
 * bound over every supported key. More than the response may carry is cut to the limit: a
 * result that needs more is ResponseTooLarge (see finish). */
static psh_status alloc_out(crypto_call *c, size_t size, size_t fallback)
{
    size_t limit = c->req->engine->cfg.buffer_size_limit;

    if (size == 0)
        size = fallback;
    if (size > limit) {
        size = limit;
        c->capped = 1;
    }
    if (size == 0)
        size = 1; /* an empty result still gets a valid buffer */
    if ((c->out = psh_malloc(size)) == NULL)
        return PSH_ERR_PSA_INSUFFICIENT_MEMORY;
    c->out_size = size;
    return PSH_SUCCESS;
}

/* Finish step: on success pack out[0..out_len) as the result, then release everything.
 * Every Result served here (ciphertext, plaintext, random_bytes, hash, shared_secret, mac)
 * is `bytes = 1`, so one message type packs them all to the same bytes. */
static psh_status finish(crypto_call *c, psh_status st, int has_output)
{
    if (st == PSH_SUCCESS && has_output) {
        PsaGenerateRandom__Result r = PSA_GENERATE_RANDOM__RESULT__INIT;
        r.random_bytes.data = c->out;
        r.random_bytes.len = c->out_len;
        st = psh_request_set_result(c->req, &r.base);
    } else if (st == PSH_ERR_PSA_BUFFER_TOO_SMALL && c->capped) {
        st = PSH_ERR_RESPONSE_TOO_LARGE;
    }
    psh_free_secret(c->out, c->out_size);
    psh_kim_entry_free(c->entry);
    return st;
}

/* ---- asymmetric encryption (RSA) --------------------------------------------------------- */

static psh_status asym_crypt(psh_request *req, const char *name,
                             const PsaAlgorithm__Algorithm__AsymmetricEncryption *palg,
                             const ProtobufCBinaryData *in, const ProtobufCBinaryData *salt,
                             int encrypt)
{
    crypto_call c = CRYPTO_CALL_INIT(req);
    const psh_provider_ops *ops = req->slot->ops;
    psa_algorithm_t alg = 0;
    psh_status st;
    size_t size;

    if ((st = psh_conv_asym_enc_alg(palg, &alg)) != PSH_SUCCESS)
        return st;
    st = begin_keyed(&c, encrypt ? ops->asymmetric_encrypt != NULL
                                 : ops->asymmetric_decrypt != NULL,
                     name, encrypt ? PSA_KEY_USAGE_ENCRYPT : PSA_KEY_USAGE_DECRYPT, alg);
    if (st != PSH_SUCCESS)
        goto exit;
    size = encrypt ? PSA_ASYMMETRIC_ENCRYPT_OUTPUT_SIZE(c.entry->attrs.type, c.entry->attrs.bits,
                                                        alg)
                   : PSA_ASYMMETRIC_DECRYPT_OUTPUT_SIZE(c.entry->attrs.type, c.entry->attrs.bits,
                                                        alg);
    st = alloc_out(&c, size,
                   encrypt ? PSA_ASYMMETRIC_ENCRYPT_OUTPUT_MAX_SIZE
                           : PSA_ASYMMETRIC_DECRYPT_OUTPUT_MAX_SIZE);
    if (st != PSH_SUCCESS)
        goto exit;
    /* An empty salt means "none" (spec 6.2); pass no pointer so PKCS#1 v1.5 accepts it. */
    st = (encrypt ? ops->asymmetric_encrypt : ops->asymmetric_decrypt)(
        req->slot->ctx, &c.ref, alg, in->data, in->len, salt->len ? salt->data : NULL, salt->len,
        c.out, c.out_size, &c.out_len);
exit:
    return finish(&c, st, 1);
}

psh_status psh_op_asymmetric_encrypt(psh_request *req, const ProtobufCMessage *op)
{
    const PsaAsymmetricEncrypt__Operation *o = (const PsaAsymmetricEncrypt__Operation *)op;
    return asym_crypt(req, o->key_name, o->alg, &o->plaintext, &o->salt, 1);
}

psh_status psh_op_asymmetric_decrypt(psh_request *req, const ProtobufCMessage *op)
{
    const PsaAsymmetricDecrypt__Operation *o = (const PsaAsymmetricDecrypt__Operation *)op;
    return asym_crypt(req, o->key_name, o->alg, &o->ciphertext, &o->salt, 0);
}

/* ---- AEAD --------------------------------------------------------------------------------- */

static psh_status aead_crypt(psh_request *req, const char *name,
                             const PsaAlgorithm__Algorithm__Aead *palg,
                             const ProtobufCBinaryData *nonce, const ProtobufCBinaryData *ad,
                             const ProtobufCBinaryData *in, int encrypt)
{
    crypto_call c = CRYPTO_CALL_INIT(req);
    const psh_provider_ops *ops = req->slot->ops;
    psa_algorithm_t alg = 0;
    psh_status st;
    psa_key_type_t type;

    if ((st = psh_conv_aead_alg(palg, &alg)) != PSH_SUCCESS)
        return st;
    st = begin_keyed(&c, encrypt ? ops->aead_encrypt != NULL : ops->aead_decrypt != NULL, name,
                     encrypt ? PSA_KEY_USAGE_ENCRYPT : PSA_KEY_USAGE_DECRYPT, alg);
    if (st != PSH_SUCCESS)
        goto exit;
    type = c.entry->attrs.type;
    if (encrypt)
        st = alloc_out(&c, PSA_AEAD_ENCRYPT_OUTPUT_SIZE(type, alg, in->len),
                       PSA_AEAD_ENCRYPT_OUTPUT_MAX_SIZE(in->len));
    else
        st = alloc_out(&c, PSA_AEAD_DECRYPT_OUTPUT_SIZE(type, alg, in->len),
                       PSA_AEAD_DECRYPT_OUTPUT_MAX_SIZE(in->len));
    if (st != PSH_SUCCESS)
        goto exit;
    st = (encrypt ? ops->aead_encrypt : ops->aead_decrypt)(
        req->slot->ctx, &c.ref, alg, nonce->data, nonce->len, ad->data, ad->len, in->data,
        in->len, c.out, c.out_size, &c.out_len);
exit:
    return finish(&c, st, 1);
}

psh_status psh_op_aead_encrypt(psh_request *req, const ProtobufCMessage *op)
{
    const PsaAeadEncrypt__Operation *o = (const PsaAeadEncrypt__Operation *)op;
    return aead_crypt(req, o->key_name, o->alg, &o->nonce, &o->additional_data, &o->plaintext,
                      1);
}

psh_status psh_op_aead_decrypt(psh_request *req, const ProtobufCMessage *op)
{
    const PsaAeadDecrypt__Operation *o = (const PsaAeadDecrypt__Operation *)op;
    return aead_crypt(req, o->key_name, o->alg, &o->nonce, &o->additional_data, &o->ciphertext,
                      0);
}

/* ---- unauthenticated cipher --------------------------------------------------------------- */

static psh_status cipher_crypt(psh_request *req, const char *name, int palg,
                               const ProtobufCBinaryData *in, int encrypt)
{
    crypto_call c = CRYPTO_CALL_INIT(req);
    const psh_provider_ops *ops = req->slot->ops;
    psa_algorithm_t alg = 0;
    psh_status st;
    psa_key_type_t type;

    if ((st = psh_conv_cipher_alg(palg, &alg)) != PSH_SUCCESS)
        return st;
    st = begin_keyed(&c, encrypt ? ops->cipher_encrypt != NULL : ops->cipher_decrypt != NULL,
                     name, encrypt ? PSA_KEY_USAGE_ENCRYPT : PSA_KEY_USAGE_DECRYPT, alg);
    if (st != PSH_SUCCESS)
        goto exit;
    if (encrypt && in->len == 0) { /* spec 6.2: empty plaintext */
        st = PSH_ERR_PSA_INVALID_ARGUMENT;
        goto exit;
    }
    type = c.entry->attrs.type;
    if (encrypt)
        st = alloc_out(&c, PSA_CIPHER_ENCRYPT_OUTPUT_SIZE(type, alg, in->len),
                       PSA_CIPHER_ENCRYPT_OUTPUT_MAX_SIZE(in->len));
    else
        st = alloc_out(&c, PSA_CIPHER_DECRYPT_OUTPUT_SIZE(type, alg, in->len),
                       PSA_CIPHER_DECRYPT_OUTPUT_MAX_SIZE(in->len));
    if (st != PSH_SUCCESS)
        goto exit;
    st = (encrypt ? ops->cipher_encrypt : ops->cipher_decrypt)(
        req->slot->ctx, &c.ref, alg, in->data, in->len, c.out, c.out_size, &c.out_len);
exit:
    return finish(&c, st, 1);
}

psh_status psh_op_cipher_encrypt(psh_request *req, const ProtobufCMessage *op)
{
    const PsaCipherEncrypt__Operation *o = (const PsaCipherEncrypt__Operation *)op;
    return cipher_crypt(req, o->key_name, (int)o->alg, &o->plaintext, 1);
}

psh_status psh_op_cipher_decrypt(psh_request *req, const ProtobufCMessage *op)
{
    const PsaCipherDecrypt__Operation *o = (const PsaCipherDecrypt__Operation *)op;
    return cipher_crypt(req, o->key_name, (int)o->alg, &o->ciphertext, 0);
}

/* ---- MAC (served, not advertised: docs/mac-opcodes.md) ------------------------------------ */

psh_status psh_op_mac_compute(psh_request *req, const ProtobufCMessage *op)
{
    const PsaMacCompute__Operation *o = (const PsaMacCompute__Operation *)op;
    crypto_call c = CRYPTO_CALL_INIT(req);
    const psh_provider_ops *ops = req->slot->ops;
    psa_algorithm_t alg = 0;
    psh_status st;

    if ((st = psh_conv_mac_alg(o->alg, &alg)) != PSH_SUCCESS)
        return st;
    st = begin_keyed(&c, ops->mac_compute != NULL, o->key_name, PSA_KEY_USAGE_SIGN_MESSAGE, alg);
    if (st != PSH_SUCCESS)
        goto exit;
    st = alloc_out(&c, PSA_MAC_LENGTH(c.entry->attrs.type, c.entry->attrs.bits, alg),
                   PSA_MAC_MAX_SIZE);
    if (st != PSH_SUCCESS)
        goto exit;
    st = ops->mac_compute(req->slot->ctx, &c.ref, alg, o->input.data, o->input.len, c.out,
                          c.out_size, &c.out_len);
exit:
    return finish(&c, st, 1);
}

psh_status psh_op_mac_verify(psh_request *req, const ProtobufCMessage *op)
{
    const PsaMacVerify__Operation *o = (const PsaMacVerify__Operation *)op;
    crypto_call c = CRYPTO_CALL_INIT(req);
    const psh_provider_ops *ops = req->slot->ops;
    psa_algorithm_t alg = 0;
    psh_status st;

    if ((st = psh_conv_mac_alg(o->alg, &alg)) != PSH_SUCCESS)
        return st;
    st = begin_keyed(&c, ops->mac_verify != NULL, o->key_name, PSA_KEY_USAGE_VERIFY_MESSAGE, alg);
    if (st == PSH_SUCCESS) /* the provider compares in constant time (psa_mac_verify) */
        st = ops->mac_verify(req->slot->ctx, &c.ref, alg, o->input.data, o->input.len,
                             o->mac.data, o->mac.len);
    return finish(&c, st, 0);
}

/* ---- raw key agreement -------------------------------------------------------------------- */

psh_status psh_op_raw_key_agreement(psh_request *req, const ProtobufCMessage *op)
{
    const PsaRawKeyAgreement__Operation *o = (const PsaRawKeyAgreement__Operation *)op;
    crypto_call c = CRYPTO_CALL_INIT(req);
    const psh_provider_ops *ops = req->slot->ops;
    psa_algorithm_t alg = 0;
    psh_status st;

    if ((st = psh_conv_raw_key_agreement((int)o->alg, &alg)) != PSH_SUCCESS)
        return st;
    st = begin_keyed(&c, ops->raw_key_agreement != NULL, o->private_key_name,
                     PSA_KEY_USAGE_DERIVE, alg);
    if (st != PSH_SUCCESS)
        goto exit;
    st = alloc_out(&c, PSA_RAW_KEY_AGREEMENT_OUTPUT_SIZE(c.entry->attrs.type, c.entry->attrs.bits),
                   PSA_RAW_KEY_AGREEMENT_OUTPUT_MAX_SIZE);
    if (st != PSH_SUCCESS)
        goto exit;
    st = ops->raw_key_agreement(req->slot->ctx, &c.ref, alg, o->peer_key.data, o->peer_key.len,
                                c.out, c.out_size, &c.out_len);
exit:
    return finish(&c, st, 1);
}

/* ---- keyless ------------------------------------------------------------------------------ */

psh_status psh_op_generate_random(psh_request *req, const ProtobufCMessage *op)
{
    const PsaGenerateRandom__Operation *o = (const PsaGenerateRandom__Operation *)op;
    crypto_call c = CRYPTO_CALL_INIT(req);
    const psh_provider_ops *ops = req->slot->ops;
    psh_status st;

    if (ops->generate_random == NULL)
        return PSH_ERR_PSA_NOT_SUPPORTED;
    /* Checked on the u64 before any allocation (spec 6.2, as the reference Mbed provider). */
    if (o->size > req->engine->cfg.buffer_size_limit)
        return PSH_ERR_RESPONSE_TOO_LARGE;
    if ((st = alloc_out(&c, (size_t)o->size, 0)) != PSH_SUCCESS)
        goto exit;
    if (o->size > 0)
        st = ops->generate_random(req->slot->ctx, c.out, (size_t)o->size);
    if (st == PSH_SUCCESS)
        c.out_len = (size_t)o->size;
exit:
    return finish(&c, st, 1);
}

psh_status psh_op_hash_compute(psh_request *req, const ProtobufCMessage *op)
{
    const PsaHashCompute__Operation *o = (const PsaHashCompute__Operation *)op;
    crypto_call c = CRYPTO_CALL_INIT(req);
    const psh_provider_ops *ops = req->slot->ops;
    psa_algorithm_t alg = 0;
    psh_status st;

    if ((st = psh_conv_hash((int)o->alg, &alg)) != PSH_SUCCESS)
        return st;
    if (ops->hash_compute == NULL)
        return PSH_ERR_PSA_NOT_SUPPORTED;
    if ((st = alloc_out(&c, PSA_HASH_LENGTH(alg), PSA_HASH_MAX_SIZE)) != PSH_SUCCESS)
        goto exit;
    st = ops->hash_compute(req->slot->ctx, alg, o->input.data, o->input.len, c.out, c.out_size,
                           &c.out_len);
exit:
    return finish(&c, st, 1);
}

psh_status psh_op_hash_compare(psh_request *req, const ProtobufCMessage *op)
{
    const PsaHashCompare__Operation *o = (const PsaHashCompare__Operation *)op;
    const psh_provider_ops *ops = req->slot->ops;
    psa_algorithm_t alg = 0;
    psh_status st;

    if ((st = psh_conv_hash((int)o->alg, &alg)) != PSH_SUCCESS)
        return st;
    if (ops->hash_compare == NULL)
        return PSH_ERR_PSA_NOT_SUPPORTED;
    /* Spec 6.2: a hash of the wrong length is InvalidArgument, whatever the provider says. */
    if (PSA_HASH_LENGTH(alg) != 0 && o->hash.len != PSA_HASH_LENGTH(alg))
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    return ops->hash_compare(req->slot->ctx, alg, o->input.data, o->input.len, o->hash.data,
                             o->hash.len);
}

/* ---- CanDoCrypto (spec 6.4) ---------------------------------------------------------------- */

/* The USE check: core part (policy shape) then the provider's. */
static psh_status can_use(const psh_provider_slot *slot, const psh_key_attrs *a)
{
    psh_status st = psh_policy_can_use(a);
    if (st != PSH_SUCCESS)
        return st;
    return slot->ops->can_do(slot->ctx, PSH_CHECK_USE, a);
}

psh_status psh_op_can_do_crypto(psh_request *req, const ProtobufCMessage *op)
{
    const CanDoCrypto__Operation *o = (const CanDoCrypto__Operation *)op;
    const psh_provider_slot *slot = req->slot;
    psh_key_attrs a;
    psh_status st;

    /* Wire conversion first (spec 5.1): CHECKTYPE_NONE, unknown values and missing attributes
     * are InvalidEncoding, not a negative answer. */
    if (o->check_type == CAN_DO_CRYPTO__CHECK_TYPE__CHECKTYPE_NONE ||
        (int)o->check_type > (int)CAN_DO_CRYPTO__CHECK_TYPE__DERIVE || o->attributes == NULL)
        return PSH_ERR_INVALID_ENCODING;
    if ((st = psh_conv_key_attrs(o->attributes, &a)) != PSH_SUCCESS)
        return st;
    if (slot->ops->can_do == NULL)
        return PSH_ERR_PSA_NOT_SUPPORTED;
    switch (o->check_type) {
    case CAN_DO_CRYPTO__CHECK_TYPE__USE:
        st = can_use(slot, &a);
        break;
    case CAN_DO_CRYPTO__CHECK_TYPE__GENERATE:
    case CAN_DO_CRYPTO__CHECK_TYPE__IMPORT:
        st = slot->ops->can_do(slot->ctx,
                               o->check_type == CAN_DO_CRYPTO__CHECK_TYPE__GENERATE
                                   ? PSH_CHECK_GENERATE
                                   : PSH_CHECK_IMPORT,
                               &a);
        if (st == PSH_SUCCESS && a.alg != PSA_ALG_NONE)
            st = can_use(slot, &a);
        break;
    default: /* DERIVE: always NotSupported, as the reference */
        st = PSH_ERR_PSA_NOT_SUPPORTED;
        break;
    }
    /* Every negative answer is NotSupported (spec 6.4 [DIFF]: the reference, not the book). */
    return st == PSH_SUCCESS ? PSH_SUCCESS : PSH_ERR_PSA_NOT_SUPPORTED;
}
