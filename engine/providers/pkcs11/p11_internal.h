/* Private to the PKCS#11 provider. */
#ifndef PSH_P11_INTERNAL_H
#define PSH_P11_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <p11-kit/pkcs11.h>

#include "core/provider.h"
#include "core/types.h"
#include "psh/status.h"

/* ---- key record (p11_record.c) -------------------------------------------------------------
 * The provider's key_id in the KIM names token objects; it holds no key material:
 *
 *   offset size  field
 *   0      4     magic "P11K"
 *   4      1     version = 1
 *   5      2     psa_key_type_t, little-endian
 *   7      4     key bits, little-endian (1..P11_MAX_KEY_BITS)
 *   11     1     id_len (1..P11_MAX_ID)
 *   12     n     CKA_ID of the token object(s)
 *   total = 12 + id_len exactly. Parsed as untrusted input (it comes from SQLite). */
#define P11_RECORD_VERSION 1
#define P11_RECORD_HEADER 12
#define P11_MAX_ID 64
#define P11_ID_LEN 16 /* random CKA_ID drawn for each new key */
#define P11_MAX_KEY_BITS 16384u

typedef struct p11_record {
    psa_key_type_t type;
    size_t bits;
    const uint8_t *id; /* borrowed from the parsed buffer */
    size_t id_len;
} p11_record;

/* Errors: InvalidEncoding (magic, version, length or a field out of range). */
psh_status p11_record_parse(const uint8_t *p, size_t len, p11_record *out);
/* *out is callee-allocated, free with psh_free_secret(*out, *out_len).
 * Errors: PsaErrorInvalidArgument (id too long), PsaErrorInsufficientMemory. */
psh_status p11_record_build(psa_key_type_t type, size_t bits, const uint8_t *id, size_t id_len,
                            uint8_t **out, size_t *out_len);

/* ---- module, slot and sessions (p11_module.c) ---------------------------------------------- */
#define P11_POOL_SIZE 6

typedef struct p11_session {
    CK_SESSION_HANDLE h; /* CK_INVALID_HANDLE when closed */
    int busy;
} p11_session;

/* One remembered token object (p11_cache.c). found_ms = 0: empty. */
#define P11_CACHE_SIZE 64
#define P11_CACHE_TTL_MS 1000u /* a cached handle is searched again once it is this old */
typedef struct p11_cached {
    CK_OBJECT_HANDLE h;
    CK_OBJECT_CLASS cls;
    uint64_t found_ms; /* CLOCK_MONOTONIC_COARSE when C_FindObjects returned h */
    uint64_t used;     /* LRU stamp */
    size_t id_len;
    uint8_t id[P11_MAX_ID];
} p11_cached;

typedef struct p11_ctx {
    CK_FUNCTION_LIST_PTR f; /* borrowed from the shared module entry */
    void *module;           /* p11_module handle (refcounted, process-wide) */
    CK_SLOT_ID slot;
    char token_label[33];
    int login; /* 1: log in as CKU_USER with pin */
    uint8_t pin[256];
    size_t pin_len;
    int software_public; /* verify / encrypt in Mbed TLS from the exported public key */
    int allow_export;
    pthread_mutex_t lock; /* guards the pool */
    pthread_cond_t freed;
    p11_session pool[P11_POOL_SIZE];
    /* SoftHSM 2.6's file object store is not safe for C_FindObjectsInit (which re-indexes the
     * token directory) while another session's C_GenerateKeyPair / C_CreateObject is writing
     * a new object file: the creation then fails with CKR_GENERAL_ERROR and leaves an object
     * file behind (tests/reliability/p11_store_race.c). Creations take this lock shared,
     * searches and destructions exclusive; writers are preferred so searches cannot starve. */
    pthread_rwlock_t store_lock;
    pthread_mutex_t cache_lock; /* guards the handle cache */
    uint64_t cache_tick, cache_gen;
    p11_cached cache[P11_CACHE_SIZE];
} p11_ctx;

/* One PKCS#11 call sequence run on a pooled session; must be safe to re-run from the start
 * (it is retried once after a session or login recovery). */
typedef CK_RV (*p11_fn)(p11_ctx *ctx, CK_SESSION_HANDLE s, void *arg);

/* Takes a free session (waits for one), runs fn, and on CKR_SESSION_CLOSED /
 * CKR_SESSION_HANDLE_INVALID / CKR_USER_NOT_LOGGED_IN / CKR_DEVICE_REMOVED reopens the
 * session, logs in again and re-runs fn once. Returns fn's CK_RV (or the recovery failure). */
CK_RV p11_run(p11_ctx *ctx, p11_fn fn, void *arg);

/* The one CK_RV -> psh_status mapping (logs the native value once, at debug level). */
psh_status p11_to_psh_status(CK_RV rv);
const char *p11_rv_name(CK_RV rv);

/* ---- keys (p11_keys.c) --------------------------------------------------------------------- */
/* Finds the one object of class cls with this CKA_ID. CKR_OK and *obj, or
 * CKR_OBJECT_HANDLE_INVALID when there is none (a missing key). */
CK_RV p11_find(p11_ctx *ctx, CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls, const uint8_t *id,
               size_t id_len, CK_OBJECT_HANDLE *obj);
/* ---- object handle cache (p11_cache.c) ----------------------------------------------------- */
void p11_cache_init(p11_ctx *ctx);
void p11_cache_fini(p11_ctx *ctx);
/* Handle of the object (class cls, CKA_ID id): cached, else p11_find (and cached).
 * *cached = 1 when it came from the cache and may be stale (see p11_handle_stale). */
CK_RV p11_key_handle(p11_ctx *ctx, CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls, const uint8_t *id,
                     size_t id_len, CK_OBJECT_HANDLE *obj, int *cached);
/* Drops the entries of every object with this CKA_ID; id NULL: drops everything. */
void p11_cache_forget(p11_ctx *ctx, const uint8_t *id, size_t id_len);
/* 1 for the answers a cached handle gets once its object is gone or the handle names another
 * object: the caller forgets it, searches again and re-runs once. */
int p11_handle_stale(CK_RV rv);
/* C_SignInit / C_VerifyInit / C_EncryptInit / C_DecryptInit share this type. */
typedef CK_RV (*p11_init_fn)(CK_SESSION_HANDLE s, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE key);
/* Starts a keyed operation on the key's object of class cls, through the cache, retrying once
 * with a fresh search when the cached handle is stale. */
CK_RV p11_key_init(p11_ctx *ctx, CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls,
                   const p11_record *rec, p11_init_fn init, CK_MECHANISM_PTR mech);

/* Parses key->key_id and checks it against key->attrs. InvalidEncoding / DataInvalid. */
psh_status p11_key_record(const psh_key_ref *key, p11_record *rec);

psh_status p11_key_exists(void *ctx, const psh_key_ref *key);
psh_status p11_generate_key(void *ctx, const psh_key_attrs *attrs, uint8_t **key_id,
                            size_t *key_id_len);
psh_status p11_import_key(void *ctx, psh_key_attrs *attrs, const uint8_t *data, size_t data_len,
                          uint8_t **key_id, size_t *key_id_len);
psh_status p11_destroy_key(void *ctx, const psh_key_ref *key);
psh_status p11_export_public_key(void *ctx, const psh_key_ref *key, uint8_t *out,
                                 size_t out_size, size_t *out_len);
psh_status p11_export_key(void *ctx, const psh_key_ref *key, uint8_t *out, size_t out_size,
                          size_t *out_len);

/* ---- DER helpers (p11_der.c) --------------------------------------------------------------- */
/* DER RSAPublicKey {n, e} from big-endian integers. Errors: BufferTooSmall. */
psh_status p11_der_rsa_public(const uint8_t *n, size_t n_len, const uint8_t *e, size_t e_len,
                              uint8_t *out, size_t out_size, size_t *out_len);
/* DER RSAPrivateKey (version 0) from its 8 integers, in ASN.1 order n e d p q dp dq qinv. */
psh_status p11_der_rsa_private(const uint8_t *const v[8], const size_t v_len[8], uint8_t *out,
                               size_t out_size, size_t *out_len);
/* Splits a DER RSAPrivateKey (version 0) into its 8 integers, borrowed from der with leading
 * zero bytes stripped. Errors: InvalidArgument. */
psh_status p11_der_rsa_private_parse(const uint8_t *der, size_t len, const uint8_t *v[8],
                                     size_t v_len[8]);
/* Splits a DER RSAPublicKey. Errors: InvalidArgument. */
psh_status p11_der_rsa_public_parse(const uint8_t *der, size_t len, const uint8_t **n,
                                    size_t *n_len, const uint8_t **e, size_t *e_len);
/* CKA_EC_POINT as tokens store it (DER OCTET STRING) -> the bare point; a value that does not
 * parse as exactly one OCTET STRING is taken as the bare point (spec pitfall 9.5). */
void p11_ec_point_unwrap(const uint8_t *p, size_t len, const uint8_t **pt, size_t *pt_len);
/* DER OCTET STRING around a point (<= 255 bytes). out_size >= len + 3. */
size_t p11_ec_point_wrap(const uint8_t *pt, size_t len, uint8_t *out, size_t out_size);
/* DER-encoded named-curve OID for CKA_EC_PARAMS; NULL when the curve is not supported. */
const uint8_t *p11_ec_params(psa_ecc_family_t family, size_t bits, size_t *len);

/* ---- operations (p11_ops.c, p11_can_do.c) -------------------------------------------------- */
psh_status p11_sign_hash(void *ctx, const psh_key_ref *key, psa_algorithm_t alg,
                         const uint8_t *hash, size_t hash_len, uint8_t *sig, size_t sig_size,
                         size_t *sig_len);
psh_status p11_verify_hash(void *ctx, const psh_key_ref *key, psa_algorithm_t alg,
                           const uint8_t *hash, size_t hash_len, const uint8_t *sig,
                           size_t sig_len);
psh_status p11_asymmetric_encrypt(void *ctx, const psh_key_ref *key, psa_algorithm_t alg,
                                  const uint8_t *in, size_t in_len, const uint8_t *salt,
                                  size_t salt_len, uint8_t *out, size_t out_size,
                                  size_t *out_len);
psh_status p11_asymmetric_decrypt(void *ctx, const psh_key_ref *key, psa_algorithm_t alg,
                                  const uint8_t *in, size_t in_len, const uint8_t *salt,
                                  size_t salt_len, uint8_t *out, size_t out_size,
                                  size_t *out_len);
psh_status p11_generate_random(void *ctx, uint8_t *out, size_t size);
psh_status p11_hash_compute(void *ctx, psa_algorithm_t alg, const uint8_t *in, size_t in_len,
                            uint8_t *out, size_t out_size, size_t *out_len);
psh_status p11_hash_compare(void *ctx, psa_algorithm_t alg, const uint8_t *in, size_t in_len,
                            const uint8_t *hash, size_t hash_len);
psh_status p11_can_do(void *ctx, enum psh_can_do_check check, const psh_key_attrs *attrs);

/* p11_oaep.c: EME-OAEP decoding of em (k bytes, modified in place) with hash and label.
 * Every padding failure is PsaErrorInvalidPadding; BufferTooSmall; NotSupported (hash). */
psh_status p11_oaep_decode(psa_algorithm_t hash, uint8_t *em, size_t k, const uint8_t *label,
                           size_t label_len, uint8_t *out, size_t out_size, size_t *out_len);

/* PKCS#11 digest mechanism for a PSA hash, 0 when none. */
CK_MECHANISM_TYPE p11_hash_mech(psa_algorithm_t hash);
/* 1 when the key type/size is one this provider creates and uses (RSA 1024..4096 in bytes,
 * SECP_R1 256/384/521). */
int p11_type_supported(psa_key_type_t type, size_t bits);

/* ---- key attestation (p11_attest.c): KAT evidence with a token-held KAK and PAK ---------- */
psh_status p11_attest_anchor(void *ctx, psh_attest_anchor_out *out);
psh_status p11_attest_evidence(void *ctx, const psh_key_ref *key, const uint8_t *nonce,
                               size_t nonce_len, uint8_t **ev, size_t *ev_len,
                               const char **media_type);

#endif
