/* Key attestation calls (psh/client_attest.h). */
#include "client/client_internal.h"

#include <string.h>

#include "attest_key.pb-c.h"
#include "prepare_key_attestation.pb-c.h"
#include "psh/client_attest.h"
#include "util/alloc.h"

#define AS_MSG(pp) ((ProtobufCMessage **)(pp))

static void free_reply(ProtobufCMessage *r)
{
    if (r != NULL)
        protobuf_c_message_free_unpacked(r, &psh_pb_allocator);
}

static psh_status dup_str(const char *s, char **out)
{
    size_t n;
    if (out == NULL)
        return PSH_SUCCESS;
    *out = NULL;
    n = s != NULL ? strlen(s) : 0;
    if ((*out = psh_malloc(n + 1)) == NULL)
        return PSH_ERR_PSA_INSUFFICIENT_MEMORY;
    memcpy(*out, s != NULL ? s : "", n + 1);
    return PSH_SUCCESS;
}

psh_status psh_client_prepare_activate_credential(const psh_client *client, const char *name,
                                                  const char *attesting, uint8_t **tpm_name,
                                                  size_t *tpm_name_len, uint8_t **pub,
                                                  size_t *pub_len, uint8_t **ak_pub,
                                                  size_t *ak_pub_len)
{
    PrepareKeyAttestation__Operation op = PREPARE_KEY_ATTESTATION__OPERATION__INIT;
    PrepareKeyAttestation__PrepareKeyAttestationParams p =
        PREPARE_KEY_ATTESTATION__PREPARE_KEY_ATTESTATION_PARAMS__INIT;
    PrepareKeyAttestation__PrepareKeyAttestationParams__ActivateCredential ac =
        PREPARE_KEY_ATTESTATION__PREPARE_KEY_ATTESTATION_PARAMS__ACTIVATE_CREDENTIAL__INIT;
    PrepareKeyAttestation__Result *r = NULL;
    const PrepareKeyAttestation__PrepareKeyAttestationOutput__ActivateCredential *o;
    psh_status st;

    *tpm_name = *pub = *ak_pub = NULL;
    *tpm_name_len = *pub_len = *ak_pub_len = 0;
    if (name == NULL)
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    ac.attested_key_name = (char *)name;
    ac.attesting_key_name = (char *)(attesting != NULL ? attesting : "");
    p.mechanism_case =
        PREPARE_KEY_ATTESTATION__PREPARE_KEY_ATTESTATION_PARAMS__MECHANISM_ACTIVATE_CREDENTIAL;
    p.activate_credential = &ac;
    op.parameters = &p;
    st = psh_client_call_pb(client, client->provider, PSH_OP_PREPARE_KEY_ATTESTATION, 1,
                            &op.base, &prepare_key_attestation__result__descriptor, AS_MSG(&r));
    if (st != PSH_SUCCESS)
        return st;
    if (r->output == NULL ||
        r->output->mechanism_case !=
            PREPARE_KEY_ATTESTATION__PREPARE_KEY_ATTESTATION_OUTPUT__MECHANISM_ACTIVATE_CREDENTIAL) {
        free_reply(&r->base);
        return PSH_ERR_PSA_GENERIC; /* the service answered another mechanism */
    }
    o = r->output->activate_credential;
    st = psh_client_dup_bytes(o->name.data, o->name.len, tpm_name, tpm_name_len);
    if (st == PSH_SUCCESS)
        st = psh_client_dup_bytes(o->public_.data, o->public_.len, pub, pub_len);
    if (st == PSH_SUCCESS)
        st = psh_client_dup_bytes(o->attesting_key_pub.data, o->attesting_key_pub.len, ak_pub,
                                  ak_pub_len);
    free_reply(&r->base);
    return st;
}

psh_status psh_client_activate_credential(const psh_client *client, const char *name,
                                          const char *attesting, const uint8_t *blob,
                                          size_t blob_len, const uint8_t *secret,
                                          size_t secret_len, uint8_t **cred, size_t *cred_len)
{
    AttestKey__Operation op = ATTEST_KEY__OPERATION__INIT;
    AttestKey__AttestationMechanismParams p = ATTEST_KEY__ATTESTATION_MECHANISM_PARAMS__INIT;
    AttestKey__AttestationMechanismParams__ActivateCredential ac =
        ATTEST_KEY__ATTESTATION_MECHANISM_PARAMS__ACTIVATE_CREDENTIAL__INIT;
    AttestKey__Result *r = NULL;
    psh_status st;

    *cred = NULL;
    *cred_len = 0;
    if (name == NULL)
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    op.attested_key_name = (char *)name;
    op.attesting_key_name = (char *)(attesting != NULL ? attesting : "");
    ac.credential_blob.data = (uint8_t *)blob;
    ac.credential_blob.len = blob_len;
    ac.secret.data = (uint8_t *)secret;
    ac.secret.len = secret_len;
    p.mechanism_case = ATTEST_KEY__ATTESTATION_MECHANISM_PARAMS__MECHANISM_ACTIVATE_CREDENTIAL;
    p.activate_credential = &ac;
    op.parameters = &p;
    st = psh_client_call_pb(client, client->provider, PSH_OP_ATTEST_KEY, 1, &op.base,
                            &attest_key__result__descriptor, AS_MSG(&r));
    if (st != PSH_SUCCESS)
        return st;
    if (r->output == NULL ||
        r->output->mechanism_case != ATTEST_KEY__ATTESTATION_OUTPUT__MECHANISM_ACTIVATE_CREDENTIAL)
        st = PSH_ERR_PSA_GENERIC;
    else
        st = psh_client_dup_bytes(r->output->activate_credential->credential.data,
                                  r->output->activate_credential->credential.len, cred,
                                  cred_len);
    free_reply(&r->base);
    return st;
}

psh_status psh_client_prepare_evidence(const psh_client *client, const char *name,
                                       uint8_t **spki, size_t *spki_len, uint8_t **kid,
                                       size_t *kid_len, char **media_type)
{
    PrepareKeyAttestation__Operation op = PREPARE_KEY_ATTESTATION__OPERATION__INIT;
    PrepareKeyAttestation__PrepareKeyAttestationParams p =
        PREPARE_KEY_ATTESTATION__PREPARE_KEY_ATTESTATION_PARAMS__INIT;
    PrepareKeyAttestation__PrepareKeyAttestationParams__Evidence e =
        PREPARE_KEY_ATTESTATION__PREPARE_KEY_ATTESTATION_PARAMS__EVIDENCE__INIT;
    PrepareKeyAttestation__Result *r = NULL;
    const PrepareKeyAttestation__PrepareKeyAttestationOutput__Evidence *o;
    psh_status st;

    *spki = *kid = NULL;
    *spki_len = *kid_len = 0;
    if (media_type != NULL)
        *media_type = NULL;
    if (name == NULL)
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    e.attested_key_name = (char *)name;
    p.mechanism_case = PREPARE_KEY_ATTESTATION__PREPARE_KEY_ATTESTATION_PARAMS__MECHANISM_EVIDENCE;
    p.evidence = &e;
    op.parameters = &p;
    st = psh_client_call_pb(client, client->provider, PSH_OP_PREPARE_KEY_ATTESTATION, 1,
                            &op.base, &prepare_key_attestation__result__descriptor, AS_MSG(&r));
    if (st != PSH_SUCCESS)
        return st;
    if (r->output == NULL ||
        r->output->mechanism_case !=
            PREPARE_KEY_ATTESTATION__PREPARE_KEY_ATTESTATION_OUTPUT__MECHANISM_EVIDENCE) {
        free_reply(&r->base);
        return PSH_ERR_PSA_GENERIC;
    }
    o = r->output->evidence;
    st = psh_client_dup_bytes(o->attesting_key_pub.data, o->attesting_key_pub.len, spki,
                              spki_len);
    if (st == PSH_SUCCESS)
        st = psh_client_dup_bytes(o->kid.data, o->kid.len, kid, kid_len);
    if (st == PSH_SUCCESS)
        st = dup_str(o->media_type, media_type);
    free_reply(&r->base);
    return st;
}

psh_status psh_client_attest_evidence(const psh_client *client, const char *name,
                                      const uint8_t *nonce, size_t nonce_len, uint8_t **ev,
                                      size_t *ev_len, char **media_type)
{
    AttestKey__Operation op = ATTEST_KEY__OPERATION__INIT;
    AttestKey__AttestationMechanismParams p = ATTEST_KEY__ATTESTATION_MECHANISM_PARAMS__INIT;
    AttestKey__AttestationMechanismParams__Evidence e =
        ATTEST_KEY__ATTESTATION_MECHANISM_PARAMS__EVIDENCE__INIT;
    AttestKey__Result *r = NULL;
    psh_status st;

    *ev = NULL;
    *ev_len = 0;
    if (media_type != NULL)
        *media_type = NULL;
    if (name == NULL)
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    op.attested_key_name = (char *)name;
    op.attesting_key_name = (char *)"";
    e.nonce.data = (uint8_t *)nonce;
    e.nonce.len = nonce_len;
    p.mechanism_case = ATTEST_KEY__ATTESTATION_MECHANISM_PARAMS__MECHANISM_EVIDENCE;
    p.evidence = &e;
    op.parameters = &p;
    st = psh_client_call_pb(client, client->provider, PSH_OP_ATTEST_KEY, 1, &op.base,
                            &attest_key__result__descriptor, AS_MSG(&r));
    if (st != PSH_SUCCESS)
        return st;
    if (r->output == NULL ||
        r->output->mechanism_case != ATTEST_KEY__ATTESTATION_OUTPUT__MECHANISM_EVIDENCE) {
        st = PSH_ERR_PSA_GENERIC;
    } else {
        st = psh_client_dup_bytes(r->output->evidence->evidence.data,
                                  r->output->evidence->evidence.len, ev, ev_len);
        if (st == PSH_SUCCESS)
            st = dup_str(r->output->evidence->media_type, media_type);
    }
    free_reply(&r->base);
    return st;
}
