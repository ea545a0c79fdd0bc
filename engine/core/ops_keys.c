/* Key lifecycle and signature operations. Each handler: validate (name, attributes, policy),
 * dispatch to the provider, finish (KIM, result). Key creation runs provider -> KIM insert;
 * if the insert loses (a concurrent create of the same name), the new object is destroyed. */
#define PSH_LOGMODULE core
#include "core/core.h"

#include <string.h>

#include "core/convert.h"
#include "core/policy.h"
#include "util/alloc.h"
#include "util/log.h"

#include "psa_destroy_key.pb-c.h"
#include "psa_export_key.pb-c.h"
#include "psa_export_public_key.pb-c.h"
#include "psa_generate_key.pb-c.h"
#include "psa_import_key.pb-c.h"
#include "psa_sign_hash.pb-c.h"
#include "psa_sign_message.pb-c.h"
#include "psa_verify_hash.pb-c.h"
#include "psa_verify_message.pb-c.h"

psh_status psh_core_load_key(psh_request *req, const char *name, psh_kim_entry **out)
{
    psh_kim_entry *entry = NULL;
    psh_status st;

    *out = NULL;
    if (name == NULL)
        return PSH_ERR_PSA_DOES_NOT_EXIST;
    st = psh_kim_get(req->engine->kim, req->auth_type, req->app, name, &entry);
    if (st != PSH_SUCCESS)
        return st;
    if (entry->provider_id != req->slot->ops->id ||
        strcmp(entry->provider_name, req->slot->cfg->name) != 0) {
        psh_kim_entry_free(entry);
        return PSH_ERR_PSA_DOES_NOT_EXIST;
    }
    *out = entry;
    return PSH_SUCCESS;
}

static psh_status create_key(psh_request *req, const char *name,
                             const PsaKeyAttributes__KeyAttributes *pattrs, const uint8_t *data,
                             size_t data_len, int generate)
{
    psh_provider_slot *slot = req->slot;
    psh_status st = PSH_ERR_CORRUPTION;
    psh_kim_entry entry;
    psh_kim_entry *existing = NULL;
    uint8_t *key_id = NULL;
    size_t key_id_len = 0;

    memset(&entry, 0, sizeof entry);
    if ((st = psh_conv_key_attrs(pattrs, &entry.attrs)) != PSH_SUCCESS)
        goto exit;
    if ((st = psh_policy_check_key_name(name)) != PSH_SUCCESS)
        goto exit;
    if ((st = psh_policy_check_new_key(&req->engine->cfg, &entry.attrs, generate)) != PSH_SUCCESS)
        goto exit;
    /* Existence across every provider: one name, one key per application (spec 6.1). */
    st = psh_kim_get(req->engine->kim, req->auth_type, req->app, name, &existing);
    if (st == PSH_SUCCESS) {
        st = PSH_ERR_PSA_ALREADY_EXISTS;
        goto exit;
    }
    if (st != PSH_ERR_PSA_DOES_NOT_EXIST)
        goto exit;
    if (generate)
        st = slot->ops->generate_key
                 ? slot->ops->generate_key(slot->ctx, &entry.attrs, &key_id, &key_id_len)
                 : PSH_ERR_PSA_NOT_SUPPORTED;
    else
        st = slot->ops->import_key ? slot->ops->import_key(slot->ctx, &entry.attrs, data, data_len,
                                                           &key_id, &key_id_len)
                                   : PSH_ERR_PSA_NOT_SUPPORTED;
    if (st != PSH_SUCCESS)
        goto exit;
    entry.auth_type = req->auth_type;
    entry.app = (char *)req->app;
    entry.key_name = (char *)name;
    entry.provider_id = (uint8_t)slot->ops->id;
    entry.provider_name = (char *)slot->cfg->name;
    entry.key_id = key_id;
    entry.key_id_len = key_id_len;
    st = psh_kim_insert(req->engine->kim, &entry);
    if (st != PSH_SUCCESS) {
        /* Fail step: the object must not outlive a record that was never written. */
        psh_key_ref ref = {&entry.attrs, key_id, key_id_len};
        if (slot->ops->destroy_key != NULL)
            slot->ops->destroy_key(slot->ctx, &ref);
    }
exit:
    psh_kim_entry_free(existing);
    psh_free_secret(key_id, key_id_len);
    return st;
}

psh_status psh_op_generate_key(psh_request *req, const ProtobufCMessage *op)
{
    const PsaGenerateKey__Operation *o = (const PsaGenerateKey__Operation *)op;
    if (o->attributes == NULL)
        return PSH_ERR_INVALID_ENCODING;
    return create_key(req, o->key_name, o->attributes, NULL, 0, 1);
}

psh_status psh_op_import_key(psh_request *req, const ProtobufCMessage *op)
{
    const PsaImportKey__Operation *o = (const PsaImportKey__Operation *)op;
    if (o->attributes == NULL)
        return PSH_ERR_INVALID_ENCODING;
    return create_key(req, o->key_name, o->attributes, o->data.data, o->data.len, 0);
}

psh_status psh_op_destroy_key(psh_request *req, const ProtobufCMessage *op)
{
    const PsaDestroyKey__Operation *o = (const PsaDestroyKey__Operation *)op;
    psh_kim_entry *entry = NULL;
    psh_status st = psh_core_load_key(req, o->key_name, &entry);
    if (st == PSH_SUCCESS)
        st = psh_core_destroy_entry(req->engine, entry);
    psh_kim_entry_free(entry);
    return st;
}

typedef psh_status (*export_fn)(void *ctx, const psh_key_ref *key, uint8_t *out, size_t size,
                                size_t *len);

/* Export and export-public share the shape; only the provider call and the policy differ. */
static psh_status export_common(psh_request *req, const char *name, int public_only)
{
    psh_status st = PSH_ERR_CORRUPTION;
    psh_kim_entry *entry = NULL;
    uint8_t *buf = NULL;
    size_t size = 0, len = 0;
    export_fn fn = public_only ? req->slot->ops->export_public_key : req->slot->ops->export_key;
    PsaExportKey__Result r = PSA_EXPORT_KEY__RESULT__INIT; /* same shape as the public one */

    if ((st = psh_core_load_key(req, name, &entry)) != PSH_SUCCESS)
        goto exit;
    if (public_only) {
        /* Always allowed, but only for asymmetric keys (spec 6.2). */
        if (!PSA_KEY_TYPE_IS_ASYMMETRIC(entry->attrs.type)) {
            st = PSH_ERR_PSA_INVALID_ARGUMENT;
            goto exit;
        }
        size = PSA_EXPORT_PUBLIC_KEY_OUTPUT_SIZE(entry->attrs.type, entry->attrs.bits);
    } else {
        if (!(entry->attrs.usage & PSA_KEY_USAGE_EXPORT)) {
            st = PSH_ERR_PSA_NOT_PERMITTED;
            goto exit;
        }
        size = PSA_EXPORT_KEY_OUTPUT_SIZE(entry->attrs.type, entry->attrs.bits);
    }
    if (fn == NULL) {
        st = PSH_ERR_PSA_NOT_SUPPORTED;
        goto exit;
    }
    if (size == 0)
        size = 16384;
    if ((buf = psh_malloc(size)) == NULL) {
        st = PSH_ERR_PSA_INSUFFICIENT_MEMORY;
        goto exit;
    }
    psh_key_ref ref = {&entry->attrs, entry->key_id, entry->key_id_len};
    if ((st = fn(req->slot->ctx, &ref, buf, size, &len)) != PSH_SUCCESS)
        goto exit;
    r.data.data = buf;
    r.data.len = len;
    st = psh_request_set_result(req, &r.base);
exit:
    psh_free_secret(buf, size);
    psh_kim_entry_free(entry);
    return st;
}

psh_status psh_op_export_public_key(psh_request *req, const ProtobufCMessage *op)
{
    return export_common(req, ((const PsaExportPublicKey__Operation *)op)->key_name, 1);
}

psh_status psh_op_export_key(psh_request *req, const ProtobufCMessage *op)
{
    return export_common(req, ((const PsaExportKey__Operation *)op)->key_name, 0);
}

/* Sign hash or message: the result message differs only by type, so both pack through
 * PsaSignHash__Result (identical field 1 = signature). */
static psh_status sign_common(psh_request *req, const char *name,
                              const PsaAlgorithm__Algorithm__AsymmetricSignature *palg,
                              const ProtobufCBinaryData *input, int is_hash)
{
    psh_status st = PSH_ERR_CORRUPTION;
    psh_kim_entry *entry = NULL;
    psa_algorithm_t alg = 0;
    uint8_t *sig = NULL;
    size_t size = 0, len = 0;
    PsaSignHash__Result r = PSA_SIGN_HASH__RESULT__INIT;
    const psh_provider_ops *ops = req->slot->ops;

    if ((st = psh_conv_sign_alg(palg, &alg)) != PSH_SUCCESS)
        goto exit;
    if ((st = psh_core_load_key(req, name, &entry)) != PSH_SUCCESS)
        goto exit;
    st = psh_policy_check_sign(&entry->attrs,
                               is_hash ? PSA_KEY_USAGE_SIGN_HASH : PSA_KEY_USAGE_SIGN_MESSAGE,
                               alg, input->len, is_hash);
    if (st != PSH_SUCCESS)
        goto exit;
    if (is_hash ? ops->sign_hash == NULL : ops->sign_message == NULL) {
        st = PSH_ERR_PSA_NOT_SUPPORTED;
        goto exit;
    }
    size = PSA_SIGN_OUTPUT_SIZE(entry->attrs.type, entry->attrs.bits, alg);
    if (size == 0)
        size = PSA_SIGNATURE_MAX_SIZE;
    if ((sig = psh_malloc(size)) == NULL) {
        st = PSH_ERR_PSA_INSUFFICIENT_MEMORY;
        goto exit;
    }
    psh_key_ref ref = {&entry->attrs, entry->key_id, entry->key_id_len};
    st = is_hash ? ops->sign_hash(req->slot->ctx, &ref, alg, input->data, input->len, sig, size, &len)
                 : ops->sign_message(req->slot->ctx, &ref, alg, input->data, input->len, sig, size,
                                     &len);
    if (st != PSH_SUCCESS)
        goto exit;
    r.signature.data = sig;
    r.signature.len = len;
    st = psh_request_set_result(req, &r.base);
exit:
    psh_free(sig);
    psh_kim_entry_free(entry);
    return st;
}

static psh_status verify_common(psh_request *req, const char *name,
                                const PsaAlgorithm__Algorithm__AsymmetricSignature *palg,
                                const ProtobufCBinaryData *input, const ProtobufCBinaryData *sig,
                                int is_hash)
{
    psh_status st = PSH_ERR_CORRUPTION;
    psh_kim_entry *entry = NULL;
    psa_algorithm_t alg = 0;
    const psh_provider_ops *ops = req->slot->ops;

    if ((st = psh_conv_sign_alg(palg, &alg)) != PSH_SUCCESS)
        goto exit;
    if ((st = psh_core_load_key(req, name, &entry)) != PSH_SUCCESS)
        goto exit;
    st = psh_policy_check_sign(&entry->attrs,
                               is_hash ? PSA_KEY_USAGE_VERIFY_HASH : PSA_KEY_USAGE_VERIFY_MESSAGE,
                               alg, input->len, is_hash);
    if (st != PSH_SUCCESS)
        goto exit;
    if (is_hash ? ops->verify_hash == NULL : ops->verify_message == NULL) {
        st = PSH_ERR_PSA_NOT_SUPPORTED;
        goto exit;
    }
    psh_key_ref ref = {&entry->attrs, entry->key_id, entry->key_id_len};
    st = is_hash ? ops->verify_hash(req->slot->ctx, &ref, alg, input->data, input->len, sig->data,
                                    sig->len)
                 : ops->verify_message(req->slot->ctx, &ref, alg, input->data, input->len,
                                       sig->data, sig->len);
exit:
    psh_kim_entry_free(entry);
    return st;
}

psh_status psh_op_sign_hash(psh_request *req, const ProtobufCMessage *op)
{
    const PsaSignHash__Operation *o = (const PsaSignHash__Operation *)op;
    return sign_common(req, o->key_name, o->alg, &o->hash, 1);
}

psh_status psh_op_verify_hash(psh_request *req, const ProtobufCMessage *op)
{
    const PsaVerifyHash__Operation *o = (const PsaVerifyHash__Operation *)op;
    return verify_common(req, o->key_name, o->alg, &o->hash, &o->signature, 1);
}

psh_status psh_op_sign_message(psh_request *req, const ProtobufCMessage *op)
{
    const PsaSignMessage__Operation *o = (const PsaSignMessage__Operation *)op;
    return sign_common(req, o->key_name, o->alg, &o->message, 0);
}

psh_status psh_op_verify_message(psh_request *req, const ProtobufCMessage *op)
{
    const PsaVerifyMessage__Operation *o = (const PsaVerifyMessage__Operation *)op;
    return verify_common(req, o->key_name, o->alg, &o->message, &o->signature, 0);
}
