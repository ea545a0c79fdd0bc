/* Symmetric, MAC, key agreement and CanDoCrypto calls (opcodes 17-23, 32), sent to
 * client->provider. Same shape as client_keys.c: the algorithm is encoded from a psh_algorithm
 * of the matching kind, inputs are borrowed, outputs are callee-allocated. */
#include "client/client_internal.h"

#include <string.h>

#include "can_do_crypto.pb-c.h"
#include "psa_aead_decrypt.pb-c.h"
#include "psa_aead_encrypt.pb-c.h"
#include "psa_cipher_decrypt.pb-c.h"
#include "psa_cipher_encrypt.pb-c.h"
#include "psa_mac_compute.pb-c.h"
#include "psa_mac_verify.pb-c.h"
#include "psa_raw_key_agreement.pb-c.h"
#include "util/alloc.h"

#define AS_MSG(pp) ((ProtobufCMessage **)(pp))

/* Copies a bytes field out of an unpacked reply (wiped there when secret), frees the reply. */
static psh_status take(psh_status st, ProtobufCMessage *r, ProtobufCBinaryData *field, int secret,
                       uint8_t **out, size_t *out_len)
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

static int bad_buf(const void *p, size_t len) { return p == NULL && len > 0; }

/* Secret-bearing requests are packed here so the body copy can be wiped after sending. */
static psh_status call_secret(const psh_client *client, uint32_t opcode,
                              const ProtobufCMessage *msg, const ProtobufCMessageDescriptor *desc,
                              ProtobufCMessage **result)
{
    uint8_t *body = NULL, *resp = NULL;
    size_t body_len = 0, resp_len = 0;
    psh_status st;

    *result = NULL;
    st = psh_pb_pack(msg, &body, &body_len);
    if (st == PSH_SUCCESS)
        st = psh_client_call(client, client->provider, opcode, 1, body, body_len, &resp,
                             &resp_len, NULL);
    if (st == PSH_SUCCESS && desc != NULL) {
        *result = protobuf_c_message_unpack(desc, &psh_pb_allocator, resp_len, resp);
        if (*result == NULL)
            st = PSH_ERR_DESERIALIZING_BODY_FAILED;
    }
    psh_free_secret(resp, resp_len);
    psh_free_secret(body, body_len);
    return st;
}

psh_status psh_client_aead_encrypt(const psh_client *client, const char *name,
                                   const psh_algorithm *alg, const uint8_t *nonce,
                                   size_t nonce_len, const uint8_t *ad, size_t ad_len,
                                   const uint8_t *plaintext, size_t plaintext_len,
                                   uint8_t **ciphertext, size_t *ciphertext_len)
{
    PsaAeadEncrypt__Operation op = PSA_AEAD_ENCRYPT__OPERATION__INIT;
    PsaAeadEncrypt__Result *r = NULL;
    psh_pb_alg a;
    psh_status st;

    *ciphertext = NULL;
    *ciphertext_len = 0;
    if (name == NULL || alg == NULL || alg->kind != PSH_ALG_AEAD || bad_buf(nonce, nonce_len) ||
        bad_buf(ad, ad_len) || bad_buf(plaintext, plaintext_len))
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    psh_pb_alg_fill(&a, alg);
    op.key_name = (char *)name;
    op.alg = &a.aead;
    op.nonce = bin(nonce, nonce_len);
    op.additional_data = bin(ad, ad_len);
    op.plaintext = bin(plaintext, plaintext_len);
    st = call_secret(client, PSH_OP_PSA_AEAD_ENCRYPT, &op.base,
                     &psa_aead_encrypt__result__descriptor, AS_MSG(&r));
    return take(st, (ProtobufCMessage *)r, r ? &r->ciphertext : NULL, 0, ciphertext,
                ciphertext_len);
}

psh_status psh_client_aead_decrypt(const psh_client *client, const char *name,
                                   const psh_algorithm *alg, const uint8_t *nonce,
                                   size_t nonce_len, const uint8_t *ad, size_t ad_len,
                                   const uint8_t *ciphertext, size_t ciphertext_len,
                                   uint8_t **plaintext, size_t *plaintext_len)
{
    PsaAeadDecrypt__Operation op = PSA_AEAD_DECRYPT__OPERATION__INIT;
    PsaAeadDecrypt__Result *r = NULL;
    psh_pb_alg a;
    psh_status st;

    *plaintext = NULL;
    *plaintext_len = 0;
    if (name == NULL || alg == NULL || alg->kind != PSH_ALG_AEAD || bad_buf(nonce, nonce_len) ||
        bad_buf(ad, ad_len) || bad_buf(ciphertext, ciphertext_len))
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    psh_pb_alg_fill(&a, alg);
    op.key_name = (char *)name;
    op.alg = &a.aead;
    op.nonce = bin(nonce, nonce_len);
    op.additional_data = bin(ad, ad_len);
    op.ciphertext = bin(ciphertext, ciphertext_len);
    st = call_secret(client, PSH_OP_PSA_AEAD_DECRYPT, &op.base,
                     &psa_aead_decrypt__result__descriptor, AS_MSG(&r));
    return take(st, (ProtobufCMessage *)r, r ? &r->plaintext : NULL, 1, plaintext,
                plaintext_len);
}

psh_status psh_client_cipher_encrypt(const psh_client *client, const char *name, uint32_t cipher,
                                     const uint8_t *plaintext, size_t plaintext_len,
                                     uint8_t **ciphertext, size_t *ciphertext_len)
{
    PsaCipherEncrypt__Operation op = PSA_CIPHER_ENCRYPT__OPERATION__INIT;
    PsaCipherEncrypt__Result *r = NULL;
    psh_status st;

    *ciphertext = NULL;
    *ciphertext_len = 0;
    if (name == NULL || bad_buf(plaintext, plaintext_len))
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    op.key_name = (char *)name;
    op.alg = (PsaAlgorithm__Algorithm__Cipher)cipher;
    op.plaintext = bin(plaintext, plaintext_len);
    st = call_secret(client, PSH_OP_PSA_CIPHER_ENCRYPT, &op.base,
                     &psa_cipher_encrypt__result__descriptor, AS_MSG(&r));
    return take(st, (ProtobufCMessage *)r, r ? &r->ciphertext : NULL, 0, ciphertext,
                ciphertext_len);
}

psh_status psh_client_cipher_decrypt(const psh_client *client, const char *name, uint32_t cipher,
                                     const uint8_t *ciphertext, size_t ciphertext_len,
                                     uint8_t **plaintext, size_t *plaintext_len)
{
    PsaCipherDecrypt__Operation op = PSA_CIPHER_DECRYPT__OPERATION__INIT;
    PsaCipherDecrypt__Result *r = NULL;
    psh_status st;

    *plaintext = NULL;
    *plaintext_len = 0;
    if (name == NULL || bad_buf(ciphertext, ciphertext_len))
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    op.key_name = (char *)name;
    op.alg = (PsaAlgorithm__Algorithm__Cipher)cipher;
    op.ciphertext = bin(ciphertext, ciphertext_len);
    st = call_secret(client, PSH_OP_PSA_CIPHER_DECRYPT, &op.base,
                     &psa_cipher_decrypt__result__descriptor, AS_MSG(&r));
    return take(st, (ProtobufCMessage *)r, r ? &r->plaintext : NULL, 1, plaintext,
                plaintext_len);
}

static int is_mac(const psh_algorithm *alg)
{
    return alg != NULL && (alg->kind == PSH_ALG_HMAC || alg->kind == PSH_ALG_CMAC);
}

psh_status psh_client_mac_compute(const psh_client *client, const char *name,
                                  const psh_algorithm *alg, const uint8_t *input, size_t input_len,
                                  uint8_t **mac, size_t *mac_len)
{
    PsaMacCompute__Operation op = PSA_MAC_COMPUTE__OPERATION__INIT;
    PsaMacCompute__Result *r = NULL;
    psh_pb_alg a;
    psh_status st;

    *mac = NULL;
    *mac_len = 0;
    if (name == NULL || !is_mac(alg) || bad_buf(input, input_len))
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    psh_pb_alg_fill(&a, alg);
    op.key_name = (char *)name;
    op.alg = &a.mac;
    op.input = bin(input, input_len);
    st = psh_client_call_pb(client, client->provider, PSH_OP_PSA_MAC_COMPUTE, 1, &op.base,
                            &psa_mac_compute__result__descriptor, AS_MSG(&r));
    return take(st, (ProtobufCMessage *)r, r ? &r->mac : NULL, 0, mac, mac_len);
}

psh_status psh_client_mac_verify(const psh_client *client, const char *name,
                                 const psh_algorithm *alg, const uint8_t *input, size_t input_len,
                                 const uint8_t *mac, size_t mac_len)
{
    PsaMacVerify__Operation op = PSA_MAC_VERIFY__OPERATION__INIT;
    ProtobufCMessage *r = NULL;
    psh_pb_alg a;

    if (name == NULL || !is_mac(alg) || bad_buf(input, input_len) || bad_buf(mac, mac_len))
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    psh_pb_alg_fill(&a, alg);
    op.key_name = (char *)name;
    op.alg = &a.mac;
    op.input = bin(input, input_len);
    op.mac = bin(mac, mac_len);
    return psh_client_call_pb(client, client->provider, PSH_OP_PSA_MAC_VERIFY, 1, &op.base, NULL,
                              &r);
}

psh_status psh_client_raw_key_agreement(const psh_client *client, const char *name,
                                        const psh_algorithm *alg, const uint8_t *peer_key,
                                        size_t peer_key_len, uint8_t **secret,
                                        size_t *secret_len)
{
    PsaRawKeyAgreement__Operation op = PSA_RAW_KEY_AGREEMENT__OPERATION__INIT;
    PsaRawKeyAgreement__Result *r = NULL;
    psh_status st;

    *secret = NULL;
    *secret_len = 0;
    if (name == NULL || alg == NULL || (alg->kind != PSH_ALG_ECDH && alg->kind != PSH_ALG_FFDH) ||
        bad_buf(peer_key, peer_key_len))
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    op.alg = alg->kind == PSH_ALG_ECDH ? PSA_ALGORITHM__ALGORITHM__KEY_AGREEMENT__RAW__ECDH
                                       : PSA_ALGORITHM__ALGORITHM__KEY_AGREEMENT__RAW__FFDH;
    op.private_key_name = (char *)name;
    op.peer_key = bin(peer_key, peer_key_len);
    st = call_secret(client, PSH_OP_PSA_RAW_KEY_AGREEMENT, &op.base,
                     &psa_raw_key_agreement__result__descriptor, AS_MSG(&r));
    return take(st, (ProtobufCMessage *)r, r ? &r->shared_secret : NULL, 1, secret, secret_len);
}

psh_status psh_client_can_do_crypto(const psh_client *client, psh_can_do_check check,
                                    const psh_key_attributes *attr)
{
    CanDoCrypto__Operation op = CAN_DO_CRYPTO__OPERATION__INIT;
    ProtobufCMessage *r = NULL;
    psh_pb_attrs a;
    psh_status st;

    if (attr == NULL)
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    st = psh_pb_attrs_fill(&a, attr);
    if (st != PSH_SUCCESS)
        return st;
    op.check_type = (CanDoCrypto__CheckType)check;
    op.attributes = &a.attrs;
    return psh_client_call_pb(client, client->provider, PSH_OP_CAN_DO_CRYPTO, 1, &op.base, NULL,
                              &r);
}
