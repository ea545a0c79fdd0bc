/* Private to the client module: protobuf views of psh_algorithm / psh_key_attributes built
 * on the stack (no allocation), a protobuf allocator over psh_malloc, and the shared
 * call-and-unpack helper. */
#ifndef PSH_CLIENT_INTERNAL_H
#define PSH_CLIENT_INTERNAL_H

#include <protobuf-c/protobuf-c.h>

#include "psa_algorithm.pb-c.h"
#include "psa_key_attributes.pb-c.h"
#include "psh/client.h"

/* Every sub-message an Algorithm we encode can need; alg/sig/enc point into it. */
typedef struct psh_pb_alg {
    PsaAlgorithm__Algorithm alg;
    PsaAlgorithm__Algorithm__None none;
    PsaAlgorithm__Algorithm__Mac mac;
    PsaAlgorithm__Algorithm__Mac__FullLength full;
    PsaAlgorithm__Algorithm__Mac__FullLength__Hmac hmac;
    PsaAlgorithm__Algorithm__Mac__FullLength__Cmac cmac;
    PsaAlgorithm__Algorithm__Mac__Truncated truncated;
    PsaAlgorithm__Algorithm__Aead aead;
    PsaAlgorithm__Algorithm__Aead__AeadWithShortenedTag short_tag;
    PsaAlgorithm__Algorithm__AsymmetricSignature sig;
    PsaAlgorithm__Algorithm__AsymmetricSignature__SignHash sign_hash;
    PsaAlgorithm__Algorithm__AsymmetricSignature__SignHash__Any any;
    PsaAlgorithm__Algorithm__AsymmetricSignature__RsaPkcs1v15Sign pkcs1;
    PsaAlgorithm__Algorithm__AsymmetricSignature__RsaPkcs1v15SignRaw pkcs1_raw;
    PsaAlgorithm__Algorithm__AsymmetricSignature__RsaPss pss;
    PsaAlgorithm__Algorithm__AsymmetricSignature__Ecdsa ecdsa;
    PsaAlgorithm__Algorithm__AsymmetricSignature__EcdsaAny ecdsa_any;
    PsaAlgorithm__Algorithm__AsymmetricSignature__DeterministicEcdsa det_ecdsa;
    PsaAlgorithm__Algorithm__AsymmetricEncryption enc;
    PsaAlgorithm__Algorithm__AsymmetricEncryption__RsaPkcs1v15Crypt crypt;
    PsaAlgorithm__Algorithm__AsymmetricEncryption__RsaOaep oaep;
    PsaAlgorithm__Algorithm__KeyAgreement ka;
} psh_pb_alg;

typedef struct psh_pb_attrs {
    PsaKeyAttributes__KeyAttributes attrs;
    PsaKeyAttributes__KeyType type;
    union {
        PsaKeyAttributes__KeyType__RawData raw_data;
        PsaKeyAttributes__KeyType__Hmac hmac;
        PsaKeyAttributes__KeyType__Derive derive;
        PsaKeyAttributes__KeyType__Aes aes;
        PsaKeyAttributes__KeyType__Des des;
        PsaKeyAttributes__KeyType__Camellia camellia;
        PsaKeyAttributes__KeyType__Arc4 arc4;
        PsaKeyAttributes__KeyType__Chacha20 chacha20;
        PsaKeyAttributes__KeyType__RsaPublicKey rsa_pub;
        PsaKeyAttributes__KeyType__RsaKeyPair rsa_pair;
        PsaKeyAttributes__KeyType__EccKeyPair ecc_pair;
        PsaKeyAttributes__KeyType__EccPublicKey ecc_pub;
        PsaKeyAttributes__KeyType__DhKeyPair dh_pair;
        PsaKeyAttributes__KeyType__DhPublicKey dh_pub;
    } t;
    PsaKeyAttributes__KeyPolicy policy;
    PsaKeyAttributes__UsageFlags flags;
    psh_pb_alg alg;
} psh_pb_attrs;

/* Fills s so that s->alg encodes a. PSH_ERR_PSA_INVALID_ARGUMENT for an unknown kind. */
psh_status psh_pb_alg_fill(psh_pb_alg *s, const psh_algorithm *a);
psh_status psh_pb_attrs_fill(psh_pb_attrs *s, const psh_key_attributes *a);
/* Decoding never fails: what the struct cannot describe becomes PSH_ALG_OTHER / 0. */
void psh_pb_alg_read(const PsaAlgorithm__Algorithm *m, psh_algorithm *out);
void psh_pb_attrs_read(const PsaKeyAttributes__KeyAttributes *m, psh_key_attributes *out);

/* protobuf-c allocation through psh_malloc / psh_free. */
extern ProtobufCAllocator psh_pb_allocator;

/* Packs msg into a callee-allocated body (free with psh_free); *body stays NULL for an
 * empty message. */
psh_status psh_pb_pack(const ProtobufCMessage *msg, uint8_t **body, size_t *body_len);

/* Calls opcode with a packed msg (may be NULL = empty body) and, on success, unpacks the
 * reply with desc into *result (free with protobuf_c_message_free_unpacked(*result,
 * &psh_pb_allocator); NULL when desc is NULL). */
psh_status psh_client_call_pb(const psh_client *client, uint8_t provider, uint32_t opcode,
                              int needs_auth, const ProtobufCMessage *msg,
                              const ProtobufCMessageDescriptor *desc, ProtobufCMessage **result);

/* Copies len bytes into a callee-allocated buffer (free with psh_free); NULL + 0 when empty. */
psh_status psh_client_dup_bytes(const uint8_t *p, size_t len, uint8_t **out, size_t *out_len);

#endif
