/* A C client for a Parsec-compatible service (spec sections 1, 2, 4.3, 5).
 *
 * One request per connection, as the service expects (spec 1.1): every call connects, writes
 * one frame, reads one response and closes. A psh_client is a plain configuration struct with
 * fixed-size fields, so it can be copied freely and is safe to share between threads.
 *
 * Every call returns a psh_status: the status the service put in the response header, or a
 * client-side failure:
 *   PSH_ERR_CONNECTION_ERROR      connect/read/write failed, timed out, or the reply was cut short
 *   PSH_ERR_INVALID_HEADER        the reply's magic, header size or echoed fields are wrong
 *   PSH_ERR_RESPONSE_TOO_LARGE    the reply claims a body above client->max_response
 *   PSH_ERR_WIRE_PROTOCOL_VERSION_NOT_SUPPORTED  the reply is not wire version 1.0
 *   PSH_ERR_INVALID_ENCODING      the reply carries a status value not in spec section 3
 *   PSH_ERR_DESERIALIZING_BODY_FAILED  the reply body is not the expected protobuf
 *   PSH_ERR_PSA_INVALID_ARGUMENT  a bad argument (NULL name, oversized input, bad attributes)
 *   PSH_ERR_PSA_INSUFFICIENT_MEMORY
 * Outputs are set to NULL/0 on entry and written only on success; every callee-allocated output
 * names the function that frees it. */
#ifndef PSH_CLIENT_H
#define PSH_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "psh/config.h"
#include "psh/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PSH_CLIENT_DEFAULT_SOCKET "/run/parsec/parsec.sock"
#define PSH_CLIENT_DEFAULT_TIMEOUT_MS 60000u
#define PSH_CLIENT_DEFAULT_MAX_RESPONSE (16u * 1024u * 1024u) /* body bytes */
#define PSH_CLIENT_SOCKET_PATH_MAX 108 /* sun_path, incl. NUL */

/* Opcodes (spec section 2). */
enum {
    PSH_OP_PING = 1,
    PSH_OP_PSA_GENERATE_KEY = 2,
    PSH_OP_PSA_DESTROY_KEY = 3,
    PSH_OP_PSA_SIGN_HASH = 4,
    PSH_OP_PSA_VERIFY_HASH = 5,
    PSH_OP_PSA_IMPORT_KEY = 6,
    PSH_OP_PSA_EXPORT_PUBLIC_KEY = 7,
    PSH_OP_LIST_PROVIDERS = 8,
    PSH_OP_LIST_OPCODES = 9,
    PSH_OP_PSA_ASYMMETRIC_ENCRYPT = 10,
    PSH_OP_PSA_ASYMMETRIC_DECRYPT = 11,
    PSH_OP_PSA_EXPORT_KEY = 12,
    PSH_OP_PSA_GENERATE_RANDOM = 13,
    PSH_OP_LIST_AUTHENTICATORS = 14,
    PSH_OP_PSA_HASH_COMPUTE = 15,
    PSH_OP_PSA_HASH_COMPARE = 16,
    PSH_OP_PSA_AEAD_ENCRYPT = 17,
    PSH_OP_PSA_AEAD_DECRYPT = 18,
    PSH_OP_PSA_RAW_KEY_AGREEMENT = 19,
    PSH_OP_PSA_CIPHER_ENCRYPT = 20,
    PSH_OP_PSA_CIPHER_DECRYPT = 21,
    PSH_OP_PSA_MAC_COMPUTE = 22,
    PSH_OP_PSA_MAC_VERIFY = 23,
    PSH_OP_PSA_SIGN_MESSAGE = 24,
    PSH_OP_PSA_VERIFY_MESSAGE = 25,
    PSH_OP_LIST_KEYS = 26,
    PSH_OP_LIST_CLIENTS = 27,
    PSH_OP_DELETE_CLIENT = 28,
    PSH_OP_CAN_DO_CRYPTO = 32,
};

/* The Parsec name of an opcode ("PsaSignHash"), or NULL when unassigned. */
const char *psh_client_opcode_name(uint32_t opcode);
/* The Parsec name of an auth type ("UnixPeerCredentials"), or NULL. */
const char *psh_client_auth_name(uint32_t auth_type);

typedef struct psh_client {
    char socket_path[PSH_CLIENT_SOCKET_PATH_MAX];
    psh_auth_type auth_type;      /* NONE, DIRECT or UNIX_PEER_CREDENTIALS */
    char app_name[PSH_NAME_MAX];  /* Direct: the auth bytes (UTF-8, no NUL sent) */
    uint32_t uid;                 /* UnixPeerCredentials: sent as 4 bytes LE; init: getuid() */
    uint32_t timeout_ms;          /* whole-call deadline: connect + write + read; 0 = none */
    uint8_t provider;             /* provider for crypto operations */
    size_t max_response;          /* cap on a reply's body_len */
} psh_client;

/* Defaults: socket from PARSEC_SERVICE_ENDPOINT ("unix:/path") or /run/parsec/parsec.sock,
 * UnixPeerCredentials with getuid(), 60 s timeout, provider 1, 16 MiB cap.
 * Returns PSH_ERR_PSA_INVALID_ARGUMENT (and keeps the default path) when the variable is set
 * but is not a unix: URI of a path that fits. */
psh_status psh_client_init(psh_client *client);

/* Sets the socket from "unix:/path" or a bare path. PSH_ERR_PSA_INVALID_ARGUMENT if it does
 * not fit sun_path or uses another scheme. */
psh_status psh_client_set_endpoint(psh_client *client, const char *endpoint);

/* Sends one raw frame and returns the raw response (header + body) in *resp, callee-allocated,
 * free with psh_free (util/alloc.h) or psh_client_free. Only the reply's framing is checked
 * (magic, hdr_size 30, body_len <= max_response); the header fields are not interpreted.
 * If the service answers before taking the whole frame (an early failure, spec 1.5), the
 * answer is still returned. Returns PSH_SUCCESS when a whole response was read. */
psh_status psh_client_transact(const psh_client *client, const uint8_t *frame, size_t len,
                               uint8_t **resp, size_t *resp_len);

/* Builds a request (session 0, content/accept type 0, auth bytes per the client's auth type
 * when needs_auth, else auth type NoAuth), sends it, and checks the response header: magic,
 * size, version 1.0, opcode + provider echoed (or the default header of an early failure:
 * provider 0, opcode Ping, non-zero status). *resp_body (callee-allocated, free with
 * psh_client_free) holds the body of a successful reply, NULL when empty or on error.
 * *status (may be NULL) receives the same value as the return. */
psh_status psh_client_call(const psh_client *client, uint8_t provider, uint32_t opcode,
                           int needs_auth, const uint8_t *body, size_t body_len,
                           uint8_t **resp_body, size_t *resp_body_len, psh_status *status);

/* The request frame psh_client_call would send (callee-allocated, free with psh_client_free). */
psh_status psh_client_build_request(const psh_client *client, uint8_t provider, uint32_t opcode,
                                    int needs_auth, const uint8_t *body, size_t body_len,
                                    uint8_t **frame, size_t *frame_len);

/* Frees any single buffer returned by this API. NULL is a no-op. */
void psh_client_free(void *p);

/* ---- key attributes (spec 5.2, 5.3), numbered as on the wire ------------------------------ */

/* psa_algorithm.Algorithm.Hash. In a signature policy, PSH_HASH_ANY means SignHash.any. */
typedef enum psh_hash {
    PSH_HASH_ANY = 0,
    PSH_HASH_MD5 = 3,
    PSH_HASH_RIPEMD160 = 4,
    PSH_HASH_SHA_1 = 5,
    PSH_HASH_SHA_224 = 6,
    PSH_HASH_SHA_256 = 7,
    PSH_HASH_SHA_384 = 8,
    PSH_HASH_SHA_512 = 9,
    PSH_HASH_SHA3_256 = 13,
    PSH_HASH_SHA3_384 = 14,
    PSH_HASH_SHA3_512 = 15,
} psh_hash;
/* "SHA_256" etc. (the wire enum name), "Any" for 0, or NULL. */
const char *psh_client_hash_name(uint32_t hash);

typedef enum psh_alg_kind {
    PSH_ALG_UNSET = 0,            /* Algorithm oneof left unset (invalid on the wire) */
    PSH_ALG_NONE,                 /* Algorithm.none: no cryptographic use */
    PSH_ALG_HASH,                 /* hash = alg.hash */
    PSH_ALG_HMAC,                 /* Mac: full length, or truncated to alg.length */
    PSH_ALG_CMAC,
    PSH_ALG_CIPHER,               /* alg.cipher = wire Cipher enum (CTR = 2, CBC_PKCS7 = 8...) */
    PSH_ALG_AEAD,                 /* alg.cipher = AeadWithDefaultLengthTag (CCM 1, GCM 2,
                                     CHACHA20_POLY1305 3); alg.length = shortened tag or 0 */
    PSH_ALG_RSA_PKCS1V15_SIGN,    /* hash (ANY allowed in a policy) */
    PSH_ALG_RSA_PKCS1V15_SIGN_RAW,
    PSH_ALG_RSA_PSS,
    PSH_ALG_ECDSA,
    PSH_ALG_ECDSA_ANY,
    PSH_ALG_DETERMINISTIC_ECDSA,
    PSH_ALG_RSA_PKCS1V15_CRYPT,
    PSH_ALG_RSA_OAEP,             /* hash */
    PSH_ALG_ECDH,                 /* raw key agreement */
    PSH_ALG_FFDH,
    PSH_ALG_OTHER,                /* decoded only: a variant this struct does not describe */
} psh_alg_kind;

typedef struct psh_algorithm {
    psh_alg_kind kind;
    psh_hash hash;
    uint32_t cipher;
    uint32_t length;
} psh_algorithm;

/* psa_key_attributes.KeyType variant numbers. */
typedef enum psh_key_type {
    PSH_KEY_TYPE_UNSET = 0,
    PSH_KEY_TYPE_RAW_DATA = 1,
    PSH_KEY_TYPE_HMAC = 2,
    PSH_KEY_TYPE_DERIVE = 3,
    PSH_KEY_TYPE_AES = 4,
    PSH_KEY_TYPE_DES = 5,
    PSH_KEY_TYPE_CAMELLIA = 6,
    PSH_KEY_TYPE_ARC4 = 7,
    PSH_KEY_TYPE_CHACHA20 = 8,
    PSH_KEY_TYPE_RSA_PUBLIC_KEY = 9,
    PSH_KEY_TYPE_RSA_KEY_PAIR = 10,
    PSH_KEY_TYPE_ECC_KEY_PAIR = 11,
    PSH_KEY_TYPE_ECC_PUBLIC_KEY = 12,
    PSH_KEY_TYPE_DH_KEY_PAIR = 13,
    PSH_KEY_TYPE_DH_PUBLIC_KEY = 14,
} psh_key_type;

/* EccFamily wire values (SECP_R1 = 2 ...). */
#define PSH_ECC_FAMILY_SECP_K1 1u
#define PSH_ECC_FAMILY_SECP_R1 2u
#define PSH_ECC_FAMILY_BRAINPOOL_P_R1 7u
#define PSH_ECC_FAMILY_MONTGOMERY 9u

/* UsageFlags as a bit set; bit n-1 = field n of UsageFlags. */
#define PSH_USAGE_EXPORT (1u << 0)
#define PSH_USAGE_COPY (1u << 1)
#define PSH_USAGE_CACHE (1u << 2)
#define PSH_USAGE_ENCRYPT (1u << 3)
#define PSH_USAGE_DECRYPT (1u << 4)
#define PSH_USAGE_SIGN_MESSAGE (1u << 5)
#define PSH_USAGE_VERIFY_MESSAGE (1u << 6)
#define PSH_USAGE_SIGN_HASH (1u << 7)
#define PSH_USAGE_VERIFY_HASH (1u << 8)
#define PSH_USAGE_DERIVE (1u << 9)

typedef struct psh_key_attributes {
    psh_key_type type;
    uint32_t family;   /* EccFamily for ECC types, DhFamily for DH types, else 0 */
    uint32_t bits;     /* 0 = taken from the data (import) */
    uint32_t usage;    /* PSH_USAGE_* */
    psh_algorithm alg; /* the permitted algorithm */
} psh_key_attributes;

/* Encodes attributes as a psa_key_attributes.KeyAttributes body (callee-allocated, free
 * with psh_client_free). Exposed so tests can compare bytes with spec 1.6. */
psh_status psh_client_encode_generate_key(const char *name, const psh_key_attributes *attr,
                                          uint8_t **body, size_t *body_len);

/* ---- core operations ------------------------------------------------------------------------ */

psh_status psh_client_ping(const psh_client *client, uint8_t *version_maj, uint8_t *version_min);

typedef struct psh_provider_info {
    char *uuid;        /* owned by the array */
    char *description; /* owned by the array */
    char *vendor;      /* owned by the array */
    uint32_t version_maj, version_min, version_rev;
    uint32_t id;
} psh_provider_info;
/* *providers: callee-allocated, free with psh_client_free_providers. */
psh_status psh_client_list_providers(const psh_client *client, psh_provider_info **providers,
                                     size_t *count);
void psh_client_free_providers(psh_provider_info *providers, size_t count);

/* *opcodes: callee-allocated, sorted ascending, free with psh_client_free. */
psh_status psh_client_list_opcodes(const psh_client *client, uint32_t provider_id,
                                   uint32_t **opcodes, size_t *count);

typedef struct psh_authenticator_info {
    char *description; /* owned by the array */
    uint32_t version_maj, version_min, version_rev;
    uint32_t id;
} psh_authenticator_info;
/* *auths: callee-allocated, free with psh_client_free_authenticators. */
psh_status psh_client_list_authenticators(const psh_client *client, psh_authenticator_info **auths,
                                          size_t *count);
void psh_client_free_authenticators(psh_authenticator_info *auths, size_t count);

typedef struct psh_key_info {
    uint32_t provider_id;
    char *name; /* owned by the array */
    psh_key_attributes attributes;
} psh_key_info;
/* Every key of the caller (needs auth). *keys: callee-allocated, free with
 * psh_client_free_key_infos. */
psh_status psh_client_list_keys(const psh_client *client, psh_key_info **keys, size_t *count);
void psh_client_free_key_infos(psh_key_info *keys, size_t count);

/* Admin operations. *clients: callee-allocated, free with psh_client_free_strings. */
psh_status psh_client_list_clients(const psh_client *client, char ***clients, size_t *count);
void psh_client_free_strings(char **strings, size_t count);
psh_status psh_client_delete_client(const psh_client *client, const char *app_name);

/* ---- key management and crypto (to client->provider) -------------------------------------- */

psh_status psh_client_generate_key(const psh_client *client, const char *name,
                                   const psh_key_attributes *attr);
psh_status psh_client_import_key(const psh_client *client, const char *name,
                                 const psh_key_attributes *attr, const uint8_t *data,
                                 size_t data_len);
psh_status psh_client_destroy_key(const psh_client *client, const char *name);
/* *data: callee-allocated, free with psh_client_free. */
psh_status psh_client_export_public_key(const psh_client *client, const char *name,
                                        uint8_t **data, size_t *data_len);
/* *data is key material: callee-allocated, free with psh_client_free_secret. */
psh_status psh_client_export_key(const psh_client *client, const char *name, uint8_t **data,
                                 size_t *data_len);
void psh_client_free_secret(void *p, size_t len);

/* alg must be a signature kind. *signature: callee-allocated, free with psh_client_free. */
psh_status psh_client_sign_hash(const psh_client *client, const char *name,
                                const psh_algorithm *alg, const uint8_t *hash, size_t hash_len,
                                uint8_t **signature, size_t *signature_len);
psh_status psh_client_verify_hash(const psh_client *client, const char *name,
                                  const psh_algorithm *alg, const uint8_t *hash, size_t hash_len,
                                  const uint8_t *signature, size_t signature_len);
psh_status psh_client_sign_message(const psh_client *client, const char *name,
                                   const psh_algorithm *alg, const uint8_t *msg, size_t msg_len,
                                   uint8_t **signature, size_t *signature_len);
psh_status psh_client_verify_message(const psh_client *client, const char *name,
                                     const psh_algorithm *alg, const uint8_t *msg, size_t msg_len,
                                     const uint8_t *signature, size_t signature_len);

/* alg must be RSA_PKCS1V15_CRYPT or RSA_OAEP; salt may be NULL. *ciphertext: free with
 * psh_client_free; *plaintext: free with psh_client_free_secret. */
psh_status psh_client_asymmetric_encrypt(const psh_client *client, const char *name,
                                         const psh_algorithm *alg, const uint8_t *plaintext,
                                         size_t plaintext_len, const uint8_t *salt,
                                         size_t salt_len, uint8_t **ciphertext,
                                         size_t *ciphertext_len);
psh_status psh_client_asymmetric_decrypt(const psh_client *client, const char *name,
                                         const psh_algorithm *alg, const uint8_t *ciphertext,
                                         size_t ciphertext_len, const uint8_t *salt,
                                         size_t salt_len, uint8_t **plaintext,
                                         size_t *plaintext_len);

/* *random: callee-allocated, free with psh_client_free_secret. */
psh_status psh_client_generate_random(const psh_client *client, size_t size, uint8_t **random,
                                      size_t *random_len);
/* *hash: callee-allocated, free with psh_client_free. */
psh_status psh_client_hash_compute(const psh_client *client, psh_hash alg, const uint8_t *input,
                                   size_t input_len, uint8_t **hash, size_t *hash_len);
psh_status psh_client_hash_compare(const psh_client *client, psh_hash alg, const uint8_t *input,
                                   size_t input_len, const uint8_t *hash, size_t hash_len);

/* ---- symmetric, MAC, key agreement, CanDoCrypto (client_sym.c) ----------------------------- */

/* Cipher wire values (psa_algorithm.Algorithm.Cipher) and AEAD ones
 * (AeadWithDefaultLengthTag), for psh_algorithm.cipher. */
#define PSH_CIPHER_CTR 2u
#define PSH_CIPHER_CFB 3u
#define PSH_CIPHER_OFB 4u
#define PSH_CIPHER_ECB_NO_PADDING 6u
#define PSH_CIPHER_CBC_NO_PADDING 7u
#define PSH_CIPHER_CBC_PKCS7 8u
#define PSH_AEAD_CCM 1u
#define PSH_AEAD_GCM 2u
#define PSH_AEAD_CHACHA20_POLY1305 3u

/* alg->kind must be PSH_ALG_AEAD. The ciphertext carries the tag at its end.
 * *ciphertext: free with psh_client_free; *plaintext: free with psh_client_free_secret. */
psh_status psh_client_aead_encrypt(const psh_client *client, const char *name,
                                   const psh_algorithm *alg, const uint8_t *nonce,
                                   size_t nonce_len, const uint8_t *ad, size_t ad_len,
                                   const uint8_t *plaintext, size_t plaintext_len,
                                   uint8_t **ciphertext, size_t *ciphertext_len);
psh_status psh_client_aead_decrypt(const psh_client *client, const char *name,
                                   const psh_algorithm *alg, const uint8_t *nonce,
                                   size_t nonce_len, const uint8_t *ad, size_t ad_len,
                                   const uint8_t *ciphertext, size_t ciphertext_len,
                                   uint8_t **plaintext, size_t *plaintext_len);
/* cipher is a PSH_CIPHER_* value. The service picks the IV and returns IV || ciphertext;
 * decrypt takes the same form. Outputs as for AEAD. */
psh_status psh_client_cipher_encrypt(const psh_client *client, const char *name, uint32_t cipher,
                                     const uint8_t *plaintext, size_t plaintext_len,
                                     uint8_t **ciphertext, size_t *ciphertext_len);
psh_status psh_client_cipher_decrypt(const psh_client *client, const char *name, uint32_t cipher,
                                     const uint8_t *ciphertext, size_t ciphertext_len,
                                     uint8_t **plaintext, size_t *plaintext_len);
/* alg->kind must be PSH_ALG_HMAC or PSH_ALG_CMAC (alg->length = truncated length or 0).
 * *mac: free with psh_client_free. */
psh_status psh_client_mac_compute(const psh_client *client, const char *name,
                                  const psh_algorithm *alg, const uint8_t *input, size_t input_len,
                                  uint8_t **mac, size_t *mac_len);
psh_status psh_client_mac_verify(const psh_client *client, const char *name,
                                 const psh_algorithm *alg, const uint8_t *input, size_t input_len,
                                 const uint8_t *mac, size_t mac_len);
/* alg->kind must be PSH_ALG_ECDH or PSH_ALG_FFDH; peer_key in the PSA public-key export
 * format (uncompressed point for ECC). *secret: free with psh_client_free_secret. */
psh_status psh_client_raw_key_agreement(const psh_client *client, const char *name,
                                        const psh_algorithm *alg, const uint8_t *peer_key,
                                        size_t peer_key_len, uint8_t **secret,
                                        size_t *secret_len);

/* can_do_crypto.CheckType. */
typedef enum psh_can_do_check {
    PSH_CAN_DO_USE = 1,
    PSH_CAN_DO_GENERATE = 2,
    PSH_CAN_DO_IMPORT = 3,
    PSH_CAN_DO_DERIVE = 4,
} psh_can_do_check;
/* PSH_SUCCESS when the provider can do it, else the service's refusal status. */
psh_status psh_client_can_do_crypto(const psh_client *client, psh_can_do_check check,
                                    const psh_key_attributes *attr);

#ifdef __cplusplus
}
#endif
#endif
