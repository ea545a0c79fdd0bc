/* Key management and crypto operations, sent to client->provider (spec 5.4, 6.2). */
#include "client/client_internal.h"

#include <string.h>

#include "psa_asymmetric_decrypt.pb-c.h"
#include "psa_asymmetric_encrypt.pb-c.h"
#include "psa_destroy_key.pb-c.h"
#include "psa_export_key.pb-c.h"
#include "psa_export_public_key.pb-c.h"
#include "psa_generate_key.pb-c.h"
#include "psa_generate_random.pb-c.h"
#include "psa_hash_compare.pb-c.h"
#include "psa_hash_compute.pb-c.h"
#include "psa_import_key.pb-c.h"
#include "psa_sign_hash.pb-c.h"
#include "psa_sign_message.pb-c.h"
#include "psa_verify_hash.pb-c.h"
#include "psa_verify_message.pb-c.h"
#include "util/alloc.h"

#define AS_MSG(pp) ((ProtobufCMessage **)(pp))

/* Copies a bytes field out of an unpacked reply, wipes it when it is secret, frees the reply. */
static psh_status take_bytes(psh_status st, ProtobufCMessage *r, ProtobufCBinaryData *field,
                             int secret, uint8_t **out, size_t *out_len)
{
    if (st == PSH_SUCCESS)
        st = psh_client_dup_bytes(field->data, field->len, out, out_len);
    if (r != NULL) {
        if (secret)
            psh_zeroize(field->data, field->len);
        protobuf_c_message_free_unpacked(r, &psh_pb_allocator);
    }
    return st;
}

static ProtobufCBinaryData bin(const uint8_t *p, size_t len)
{
    ProtobufCBinaryData b = {len, (uint8_t *)p};
    return b;
}

static int is_sig(const psh_algorithm *alg)
{
    return alg != NULL && alg->kind >= PSH_ALG_RSA_PKCS1V15_SIGN &&
           alg->kind <= PSH_ALG_DETERMINISTIC_ECDSA;
}

static int is_enc(const psh_algorithm *alg)
{
    return alg != NULL &&
           (alg->kind == PSH_ALG_RSA_PKCS1V15_CRYPT || alg->kind == PSH_ALG_RSA_OAEP);
}

psh_status psh_client_encode_generate_key(const char *name, const psh_key_attributes *attr,
                                          uint8_t **body, size_t *body_len)
{
    PsaGenerateKey__Operation op = PSA_GENERATE_KEY__OPERATION__INIT;
    psh_pb_attrs a;
    psh_status st;

    *body = NULL;
    *body_len = 0;
    if (name == NULL || attr == NULL)
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    st = psh_pb_attrs_fill(&a, attr);
    if (st != PSH_SUCCESS)
        return st;
    op.key_name = (char *)name;
    op.attributes = &a.attrs;
    return psh_pb_pack(&op.base, body, body_len);
}

psh_status psh_client_generate_key(const psh_client *client, const char *name,
                                   const psh_key_attributes *attr)
{
    PsaGenerateKey__Operation op = PSA_GENERATE_KEY__OPERATION__INIT;
    ProtobufCMessage *r = NULL;
    psh_pb_attrs a;
    psh_status st;

    if (name == NULL || attr == NULL)
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    st = psh_pb_attrs_fill(&a, attr);
    if (st != PSH_SUCCESS)
        return st;
    op.key_name = (char *)name;
    op.attributes = &a.attrs;
    return psh_client_call_pb(client, client->provider, PSH_OP_PSA_GENERATE_KEY, 1, &op.base, NULL,
                              &r);
}

psh_status psh_client_import_key(const psh_client *client, const char *name,
                                 const psh_key_attributes *attr, const uint8_t *data,
                                 size_t data_len)
{
    PsaImportKey__Operation op = PSA_IMPORT_KEY__OPERATION__INIT;
    uint8_t *body = NULL; /* owned; holds key material */
    size_t body_len = 0;
    psh_pb_attrs a;
    psh_status st;

    if (name == NULL || attr == NULL || (data == NULL && data_len > 0))
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    st = psh_pb_attrs_fill(&a, attr);
    if (st != PSH_SUCCESS)
        return st;
    op.key_name = (char *)name;
    op.attributes = &a.attrs;
    op.data = bin(data, data_len);
    /* Packed here rather than through psh_client_call_pb so the copy can be wiped. */
    st = psh_pb_pack(&op.base, &body, &body_len);
    if (st == PSH_SUCCESS) {
        uint8_t *resp = NULL;
        size_t resp_len = 0;
        st = psh_client_call(client, client->provider, PSH_OP_PSA_IMPORT_KEY, 1, body, body_len,
                             &resp, &resp_len, NULL);
        psh_free(resp);
    }
    psh_free_secret(body, body_len);
    return st;
}

psh_status psh_client_destroy_key(const psh_client *client, const char *name)
{
    PsaDestroyKey__Operation op = PSA_DESTROY_KEY__OPERATION__INIT;
    ProtobufCMessage *r = NULL;

    if (name == NULL)
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    op.key_name = (char *)name;
    return psh_client_call_pb(client, client->provider, PSH_OP_PSA_DESTROY_KEY, 1, &op.base, NULL,
                              &r);
}

psh_status psh_client_export_public_key(const psh_client *client, const char *name,
                                        uint8_t **data, size_t *data_len)
{
    PsaExportPublicKey__Operation op = PSA_EXPORT_PUBLIC_KEY__OPERATION__INIT;
    PsaExportPublicKey__Result *r = NULL;
    psh_status st;

    *data = NULL;
    *data_len = 0;
    if (name == NULL)
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    op.key_name = (char *)name;
    st = psh_client_call_pb(client, client->provider, PSH_OP_PSA_EXPORT_PUBLIC_KEY, 1, &op.base,
                            &psa_export_public_key__result__descriptor, AS_MSG(&r));
    return take_bytes(st, (ProtobufCMessage *)r, r ? &r->data : NULL, 0,
                      data, data_len);
}

psh_status psh_client_export_key(const psh_client *client, const char *name, uint8_t **data,
                                 size_t *data_len)
{
    PsaExportKey__Operation op = PSA_EXPORT_KEY__OPERATION__INIT;
    PsaExportKey__Result *r = NULL;
    psh_status st;

    *data = NULL;
    *data_len = 0;
    if (name == NULL)
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    op.key_name = (char *)name;
    st = psh_client_call_pb(client, client->provider, PSH_OP_PSA_EXPORT_KEY, 1, &op.base,
                            &psa_export_key__result__descriptor, AS_MSG(&r));
    return take_bytes(st, (ProtobufCMessage *)r, r ? &r->data : NULL, 1,
                      data, data_len);
}

psh_status psh_client_sign_hash(const psh_client *client, const char *name,
                                const psh_algorithm *alg, const uint8_t *hash, size_t hash_len,
                                uint8_t **signature, size_t *signature_len)
{
    PsaSignHash__Operation op = PSA_SIGN_HASH__OPERATION__INIT;
    PsaSignHash__Result *r = NULL;
    psh_pb_alg a;
    psh_status st;

    *signature = NULL;
    *signature_len = 0;
    if (name == NULL || !is_sig(alg) || (hash == NULL && hash_len > 0))
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    psh_pb_alg_fill(&a, alg);
    op.key_name = (char *)name;
    op.alg = &a.sig;
    op.hash = bin(hash, hash_len);
    st = psh_client_call_pb(client, client->provider, PSH_OP_PSA_SIGN_HASH, 1, &op.base,
                            &psa_sign_hash__result__descriptor, AS_MSG(&r));
    return take_bytes(st, (ProtobufCMessage *)r, r ? &r->signature : NULL, 0,
                      signature, signature_len);
}

psh_status psh_client_verify_hash(const psh_client *client, const char *name,
                                  const psh_algorithm *alg, const uint8_t *hash, size_t hash_len,
                                  const uint8_t *signature, size_t signature_len)
{
    PsaVerifyHash__Operation op = PSA_VERIFY_HASH__OPERATION__INIT;
    ProtobufCMessage *r = NULL;
    psh_pb_alg a;

    if (name == NULL || !is_sig(alg) || (hash == NULL && hash_len > 0) ||
        (signature == NULL && signature_len > 0))
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    psh_pb_alg_fill(&a, alg);
    op.key_name = (char *)name;
    op.alg = &a.sig;
    op.hash = bin(hash, hash_len);
    op.signature = bin(signature, signature_len);
    return psh_client_call_pb(client, client->provider, PSH_OP_PSA_VERIFY_HASH, 1, &op.base, NULL,
                              &r);
}

psh_status psh_client_sign_message(const psh_client *client, const char *name,
                                   const psh_algorithm *alg, const uint8_t *msg, size_t msg_len,
                                   uint8_t **signature, size_t *signature_len)
{
    PsaSignMessage__Operation op = PSA_SIGN_MESSAGE__OPERATION__INIT;
    PsaSignMessage__Result *r = NULL;
    psh_pb_alg a;
    psh_status st;

    *signature = NULL;
    *signature_len = 0;
    if (name == NULL || !is_sig(alg) || (msg == NULL && msg_len > 0))
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    psh_pb_alg_fill(&a, alg);
    op.key_name = (char *)name;
    op.alg = &a.sig;
    op.message = bin(msg, msg_len);
    st = psh_client_call_pb(client, client->provider, PSH_OP_PSA_SIGN_MESSAGE, 1, &op.base,
                            &psa_sign_message__result__descriptor, AS_MSG(&r));
    return take_bytes(st, (ProtobufCMessage *)r, r ? &r->signature : NULL, 0,
                      signature, signature_len);
}

psh_status psh_client_verify_message(const psh_client *client, const char *name,
                                     const psh_algorithm *alg, const uint8_t *msg, size_t msg_len,
                                     const uint8_t *signature, size_t signature_len)
{
    PsaVerifyMessage__Operation op = PSA_VERIFY_MESSAGE__OPERATION__INIT;
    ProtobufCMessage *r = NULL;
    psh_pb_alg a;

    if (name == NULL || !is_sig(alg) || (msg == NULL && msg_len > 0) ||
        (signature == NULL && signature_len > 0))
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    psh_pb_alg_fill(&a, alg);
    op.key_name = (char *)name;
    op.alg = &a.sig;
    op.message = bin(msg, msg_len);
    op.signature = bin(signature, signature_len);
    return psh_client_call_pb(client, client->provider, PSH_OP_PSA_VERIFY_MESSAGE, 1, &op.base,
                              NULL, &r);
}

psh_status psh_client_asymmetric_encrypt(const psh_client *client, const char *name,
                                         const psh_algorithm *alg, const uint8_t *plaintext,
                                         size_t plaintext_len, const uint8_t *salt,
                                         size_t salt_len, uint8_t **ciphertext,
                                         size_t *ciphertext_len)
{
    PsaAsymmetricEncrypt__Operation op = PSA_ASYMMETRIC_ENCRYPT__OPERATION__INIT;
    PsaAsymmetricEncrypt__Result *r = NULL;
    psh_pb_alg a;
    psh_status st;

    *ciphertext = NULL;
    *ciphertext_len = 0;
    if (name == NULL || !is_enc(alg) || (plaintext == NULL && plaintext_len > 0) ||
        (salt == NULL && salt_len > 0))
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    psh_pb_alg_fill(&a, alg);
    op.key_name = (char *)name;
    op.alg = &a.enc;
    op.plaintext = bin(plaintext, plaintext_len);
    op.salt = bin(salt, salt_len);
    st = psh_client_call_pb(client, client->provider, PSH_OP_PSA_ASYMMETRIC_ENCRYPT, 1, &op.base,
                            &psa_asymmetric_encrypt__result__descriptor, AS_MSG(&r));
    return take_bytes(st, (ProtobufCMessage *)r, r ? &r->ciphertext : NULL, 0,
                      ciphertext, ciphertext_len);
}

psh_status psh_client_asymmetric_decrypt(const psh_client *client, const char *name,
                                         const psh_algorithm *alg, const uint8_t *ciphertext,
                                         size_t ciphertext_len, const uint8_t *salt,
                                         size_t salt_len, uint8_t **plaintext,
                                         size_t *plaintext_len)
{
    PsaAsymmetricDecrypt__Operation op = PSA_ASYMMETRIC_DECRYPT__OPERATION__INIT;
    PsaAsymmetricDecrypt__Result *r = NULL;
    psh_pb_alg a;
    psh_status st;

    *plaintext = NULL;
    *plaintext_len = 0;
    if (name == NULL || !is_enc(alg) || (ciphertext == NULL && ciphertext_len > 0) ||
        (salt == NULL && salt_len > 0))
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    psh_pb_alg_fill(&a, alg);
    op.key_name = (char *)name;
    op.alg = &a.enc;
    op.ciphertext = bin(ciphertext, ciphertext_len);
    op.salt = bin(salt, salt_len);
    st = psh_client_call_pb(client, client->provider, PSH_OP_PSA_ASYMMETRIC_DECRYPT, 1, &op.base,
                            &psa_asymmetric_decrypt__result__descriptor, AS_MSG(&r));
    return take_bytes(st, (ProtobufCMessage *)r, r ? &r->plaintext : NULL, 1,
                      plaintext, plaintext_len);
}

psh_status psh_client_generate_random(const psh_client *client, size_t size, uint8_t **random,
                                      size_t *random_len)
{
    PsaGenerateRandom__Operation op = PSA_GENERATE_RANDOM__OPERATION__INIT;
    PsaGenerateRandom__Result *r = NULL;
    psh_status st;

    *random = NULL;
    *random_len = 0;
    op.size = size;
    st = psh_client_call_pb(client, client->provider, PSH_OP_PSA_GENERATE_RANDOM, 0, &op.base,
                            &psa_generate_random__result__descriptor, AS_MSG(&r));
    return take_bytes(st, (ProtobufCMessage *)r, r ? &r->random_bytes : NULL, 1,
                      random, random_len);
}

psh_status psh_client_hash_compute(const psh_client *client, psh_hash alg, const uint8_t *input,
                                   size_t input_len, uint8_t **hash, size_t *hash_len)
{
    PsaHashCompute__Operation op = PSA_HASH_COMPUTE__OPERATION__INIT;
    PsaHashCompute__Result *r = NULL;
    psh_status st;

    *hash = NULL;
    *hash_len = 0;
    if (input == NULL && input_len > 0)
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    op.alg = (PsaAlgorithm__Algorithm__Hash)alg;
    op.input = bin(input, input_len);
    st = psh_client_call_pb(client, client->provider, PSH_OP_PSA_HASH_COMPUTE, 0, &op.base,
                            &psa_hash_compute__result__descriptor, AS_MSG(&r));
    return take_bytes(st, (ProtobufCMessage *)r, r ? &r->hash : NULL, 0,
                      hash, hash_len);
}

psh_status psh_client_hash_compare(const psh_client *client, psh_hash alg, const uint8_t *input,
                                   size_t input_len, const uint8_t *hash, size_t hash_len)
{
    PsaHashCompare__Operation op = PSA_HASH_COMPARE__OPERATION__INIT;
    ProtobufCMessage *r = NULL;

    if ((input == NULL && input_len > 0) || (hash == NULL && hash_len > 0))
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    op.alg = (PsaAlgorithm__Algorithm__Hash)alg;
    op.input = bin(input, input_len);
    op.hash = bin(hash, hash_len);
    return psh_client_call_pb(client, client->provider, PSH_OP_PSA_HASH_COMPARE, 0, &op.base,
                              NULL, &r);
}
