/* Key attestation (opcodes 30 AttestKey, 31 PrepareKeyAttestation; attestation.md sec 5 and
 * docs/evidence.md). Like every keyed operation: the attested key is looked up in the
 * caller's namespace on the addressed provider (another application's key does not exist
 * here), and only then does the provider see the request. Two mechanisms: upstream's
 * ActivateCredential (TPM) and our Evidence (oneof member 1001: a fresh evidence blob over a
 * nonce). A non-default attesting key is PsaErrorNotSupported, as upstream. */
#define PSH_LOGMODULE core
#include "core/core.h"

#include <string.h>

#include <mbedtls/platform_util.h>

#include "util/alloc.h"
#include "util/log.h"

#include "attest_key.pb-c.h"
#include "prepare_key_attestation.pb-c.h"

psh_status psh_op_attest_key(psh_request *req, const ProtobufCMessage *op);
psh_status psh_op_prepare_key_attestation(psh_request *req, const ProtobufCMessage *op);

#define NONCE_MIN 8
#define NONCE_MAX 64

/* The attested key: the caller's, on this provider, and asymmetric (only a public key can
 * be attested). *out: psh_kim_entry_free. */
static psh_status load_attested(psh_request *req, const char *name, psh_kim_entry **out,
                                psh_key_ref *ref)
{
    psh_status st = psh_core_load_key(req, name, out);
    if (st != PSH_SUCCESS)
        return st;
    if (!PSA_KEY_TYPE_IS_ASYMMETRIC((*out)->attrs.type)) {
        psh_kim_entry_free(*out);
        *out = NULL;
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    }
    ref->attrs = &(*out)->attrs;
    ref->key_id = (*out)->key_id;
    ref->key_id_len = (*out)->key_id_len;
    return PSH_SUCCESS;
}

static int named(const char *s)
{
    return s != NULL && s[0] != '\0';
}

psh_status psh_op_prepare_key_attestation(psh_request *req, const ProtobufCMessage *op)
{
    const PrepareKeyAttestation__Operation *o = (const PrepareKeyAttestation__Operation *)op;
    const psh_provider_ops *ops = req->slot->ops;
    PrepareKeyAttestation__Result r = PREPARE_KEY_ATTESTATION__RESULT__INIT;
    PrepareKeyAttestation__PrepareKeyAttestationOutput out =
        PREPARE_KEY_ATTESTATION__PREPARE_KEY_ATTESTATION_OUTPUT__INIT;
    PrepareKeyAttestation__PrepareKeyAttestationOutput__ActivateCredential ac =
        PREPARE_KEY_ATTESTATION__PREPARE_KEY_ATTESTATION_OUTPUT__ACTIVATE_CREDENTIAL__INIT;
    PrepareKeyAttestation__PrepareKeyAttestationOutput__Evidence ev =
        PREPARE_KEY_ATTESTATION__PREPARE_KEY_ATTESTATION_OUTPUT__EVIDENCE__INIT;
    psh_kim_entry *entry = NULL;
    psh_key_ref ref = {NULL, NULL, 0};
    psh_attest_prepare_out *prep = NULL;
    psh_attest_anchor_out anchor;
    psh_status st;

    memset(&anchor, 0, sizeof anchor);
    if (o->parameters == NULL)
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    switch (o->parameters->mechanism_case) {
    case PREPARE_KEY_ATTESTATION__PREPARE_KEY_ATTESTATION_PARAMS__MECHANISM_ACTIVATE_CREDENTIAL: {
        const PrepareKeyAttestation__PrepareKeyAttestationParams__ActivateCredential *p =
            o->parameters->activate_credential;
        if (ops->attest_prepare_credential == NULL)
            return PSH_ERR_PSA_NOT_SUPPORTED;
        if ((st = load_attested(req, p->attested_key_name, &entry, &ref)) != PSH_SUCCESS)
            return st;
        if (named(p->attesting_key_name)) {
            st = PSH_ERR_PSA_NOT_SUPPORTED;
            break;
        }
        if ((prep = psh_calloc(1, sizeof *prep)) == NULL) {
            st = PSH_ERR_PSA_INSUFFICIENT_MEMORY;
            break;
        }
        st = ops->attest_prepare_credential(req->slot->ctx, &ref, prep);
        if (st != PSH_SUCCESS)
            break;
        ac.name.data = prep->name;
        ac.name.len = prep->name_len;
        ac.public_.data = prep->pub;
        ac.public_.len = prep->pub_len;
        ac.attesting_key_pub.data = prep->ak_pub;
        ac.attesting_key_pub.len = prep->ak_pub_len;
        out.mechanism_case =
            PREPARE_KEY_ATTESTATION__PREPARE_KEY_ATTESTATION_OUTPUT__MECHANISM_ACTIVATE_CREDENTIAL;
        out.activate_credential = &ac;
        break;
    }
    case PREPARE_KEY_ATTESTATION__PREPARE_KEY_ATTESTATION_PARAMS__MECHANISM_EVIDENCE:
        if (ops->attest_anchor == NULL || ops->attest_evidence == NULL)
            return PSH_ERR_PSA_NOT_SUPPORTED;
        /* The key is checked like AttestKey's so a caller learns nothing about keys it
         * could not attest; the anchor itself does not depend on it. */
        st = load_attested(req, o->parameters->evidence->attested_key_name, &entry, &ref);
        if (st != PSH_SUCCESS)
            return st;
        if ((st = ops->attest_anchor(req->slot->ctx, &anchor)) != PSH_SUCCESS)
            break;
        ev.attesting_key_pub.data = anchor.spki;
        ev.attesting_key_pub.len = anchor.spki_len;
        ev.kid.data = anchor.kid;
        ev.kid.len = anchor.kid_len;
        ev.media_type = (char *)(anchor.media_type != NULL ? anchor.media_type : "");
        out.mechanism_case =
            PREPARE_KEY_ATTESTATION__PREPARE_KEY_ATTESTATION_OUTPUT__MECHANISM_EVIDENCE;
        out.evidence = &ev;
        break;
    default:
        return PSH_ERR_PSA_INVALID_ARGUMENT; /* no mechanism, or one this build does not know */
    }
    if (st == PSH_SUCCESS) {
        r.output = &out;
        st = psh_request_set_result(req, &r.base);
    }
    psh_free(prep);
    psh_kim_entry_free(entry);
    return st;
}

psh_status psh_op_attest_key(psh_request *req, const ProtobufCMessage *op)
{
    const AttestKey__Operation *o = (const AttestKey__Operation *)op;
    const psh_provider_ops *ops = req->slot->ops;
    AttestKey__Result r = ATTEST_KEY__RESULT__INIT;
    AttestKey__AttestationOutput out = ATTEST_KEY__ATTESTATION_OUTPUT__INIT;
    AttestKey__AttestationOutput__ActivateCredential ac =
        ATTEST_KEY__ATTESTATION_OUTPUT__ACTIVATE_CREDENTIAL__INIT;
    AttestKey__AttestationOutput__Evidence ev = ATTEST_KEY__ATTESTATION_OUTPUT__EVIDENCE__INIT;
    psh_kim_entry *entry = NULL;
    psh_key_ref ref = {NULL, NULL, 0};
    uint8_t cred[64];
    size_t cred_len = 0;
    uint8_t *blob = NULL;
    size_t blob_len = 0;
    const char *media = NULL;
    psh_status st;

    /* NotSupported first (a provider without attestation), then the key (another
     * application's key does not exist, whatever the parameters), then the mechanism. */
    if (ops->attest_activate_credential == NULL && ops->attest_evidence == NULL)
        return PSH_ERR_PSA_NOT_SUPPORTED;
    if ((st = load_attested(req, o->attested_key_name, &entry, &ref)) != PSH_SUCCESS)
        return st;
    switch (o->parameters != NULL ? o->parameters->mechanism_case
                                  : ATTEST_KEY__ATTESTATION_MECHANISM_PARAMS__MECHANISM__NOT_SET) {
    case ATTEST_KEY__ATTESTATION_MECHANISM_PARAMS__MECHANISM_ACTIVATE_CREDENTIAL: {
        const AttestKey__AttestationMechanismParams__ActivateCredential *p =
            o->parameters->activate_credential;
        if (ops->attest_activate_credential == NULL) {
            st = PSH_ERR_PSA_NOT_SUPPORTED;
            break;
        }
        if (named(o->attesting_key_name)) {
            st = PSH_ERR_PSA_NOT_SUPPORTED;
            break;
        }
        st = ops->attest_activate_credential(req->slot->ctx, &ref, p->credential_blob.data,
                                             p->credential_blob.len, p->secret.data,
                                             p->secret.len, cred, sizeof cred, &cred_len);
        if (st != PSH_SUCCESS)
            break;
        ac.credential.data = cred;
        ac.credential.len = cred_len;
        out.mechanism_case = ATTEST_KEY__ATTESTATION_OUTPUT__MECHANISM_ACTIVATE_CREDENTIAL;
        out.activate_credential = &ac;
        break;
    }
    case ATTEST_KEY__ATTESTATION_MECHANISM_PARAMS__MECHANISM_EVIDENCE: {
        const ProtobufCBinaryData *nonce = &o->parameters->evidence->nonce;
        if (ops->attest_evidence == NULL) {
            st = PSH_ERR_PSA_NOT_SUPPORTED;
            break;
        }
        if (named(o->attesting_key_name)) {
            st = PSH_ERR_PSA_NOT_SUPPORTED;
            break;
        }
        /* EAT's nonce range (RFC 9711): shorter is guessable, longer does not fit. */
        if (nonce->len < NONCE_MIN || nonce->len > NONCE_MAX) {
            st = PSH_ERR_PSA_INVALID_ARGUMENT;
            break;
        }
        st = ops->attest_evidence(req->slot->ctx, &ref, nonce->data, nonce->len, &blob,
                                  &blob_len, &media);
        if (st != PSH_SUCCESS)
            break;
        ev.evidence.data = blob;
        ev.evidence.len = blob_len;
        ev.media_type = (char *)(media != NULL ? media : "");
        out.mechanism_case = ATTEST_KEY__ATTESTATION_OUTPUT__MECHANISM_EVIDENCE;
        out.evidence = &ev;
        break;
    }
    default:
        st = PSH_ERR_PSA_INVALID_ARGUMENT; /* no mechanism, or one this build does not know */
        break;
    }
    if (st == PSH_SUCCESS) {
        r.output = &out;
        st = psh_request_set_result(req, &r.base);
    }
    psh_free(blob);
    mbedtls_platform_zeroize(cred, sizeof cred);
    psh_kim_entry_free(entry);
    return st;
}
