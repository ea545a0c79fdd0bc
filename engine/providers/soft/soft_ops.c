/* The soft provider's operations: each one takes the lock, gets the volatile key for the
 * stored blob (soft_key_acquire), makes one PSA call and maps its status. Outputs go to the
 * core's buffers; *out_len is written only on success. Where the output is secret
 * (decryption, key agreement, key export) the buffer is wiped when the call fails. */
#include "providers/soft/soft_internal.h"

#include "util/alloc.h"

/* With the lock held. Mbed TLS reports an RSA signature of the right length whose value is
 * not below the modulus as InvalidArgument; to the caller it is a signature that does not
 * verify (spec 6.2: verify failure is InvalidSignature), so it is reported as one. Only when
 * the other arguments are well-formed: the length matches the modulus and, for a hash, the
 * hash length matches the algorithm. */
static psh_status rsa_verify_status(psa_key_id_t id, psa_algorithm_t alg, int is_hash,
                                    size_t hash_len, size_t sig_len, psh_status status)
{
    psa_key_attributes_t pa = PSA_KEY_ATTRIBUTES_INIT;
    psa_algorithm_t h = PSA_ALG_SIGN_GET_HASH(alg);

    if (status != PSH_ERR_PSA_INVALID_ARGUMENT ||
        psa_get_key_attributes(id, &pa) != PSA_SUCCESS)
        return status;
    if (PSA_KEY_TYPE_IS_RSA(psa_get_key_type(&pa)) && sig_len * 8 >= psa_get_key_bits(&pa) &&
        sig_len == (psa_get_key_bits(&pa) + 7) / 8 &&
        (!is_hash || (PSA_ALG_IS_HASH(h) && hash_len == PSA_HASH_LENGTH(h))))
        status = PSH_ERR_PSA_INVALID_SIGNATURE;
    psa_reset_key_attributes(&pa);
    return status;
}

psh_status soft_export_public_key(void *ctx, const psh_key_ref *key, uint8_t *out,
                                  size_t out_size, size_t *out_len)
{
    psh_status status = PSH_ERR_CORRUPTION;
    psa_key_id_t id = 0;
    size_t n = 0;

    soft_lock();
    status = soft_key_acquire(ctx, key, &id);
    if (status == PSH_SUCCESS)
        status = soft_to_psh_status(psa_export_public_key(id, out, out_size, &n));
    soft_unlock();
    if (status == PSH_SUCCESS)
        *out_len = n;
    return status;
}

psh_status soft_export_key(void *ctx, const psh_key_ref *key, uint8_t *out, size_t out_size,
                           size_t *out_len)
{
    psh_status status = PSH_ERR_CORRUPTION;
    psa_key_id_t id = 0;
    size_t n = 0;

    soft_lock();
    status = soft_key_acquire(ctx, key, &id);
    if (status == PSH_SUCCESS)
        status = soft_to_psh_status(psa_export_key(id, out, out_size, &n));
    soft_unlock();
    if (status == PSH_SUCCESS)
        *out_len = n;
    else
        psh_zeroize(out, out_size);
    return status;
}

psh_status soft_sign_hash(void *ctx, const psh_key_ref *key, psa_algorithm_t alg,
                          const uint8_t *hash, size_t hash_len, uint8_t *sig, size_t sig_size,
                          size_t *sig_len)
{
    psh_status status = PSH_ERR_CORRUPTION;
    psa_key_id_t id = 0;
    size_t n = 0;

    soft_lock();
    status = soft_key_acquire(ctx, key, &id);
    if (status == PSH_SUCCESS)
        status = soft_to_psh_status(psa_sign_hash(id, alg, hash, hash_len, sig, sig_size, &n));
    soft_unlock();
    if (status == PSH_SUCCESS)
        *sig_len = n;
    return status;
}

psh_status soft_verify_hash(void *ctx, const psh_key_ref *key, psa_algorithm_t alg,
                            const uint8_t *hash, size_t hash_len, const uint8_t *sig,
                            size_t sig_len)
{
    psh_status status = PSH_ERR_CORRUPTION;
    psa_key_id_t id = 0;

    soft_lock();
    status = soft_key_acquire(ctx, key, &id);
    if (status == PSH_SUCCESS)
        status = rsa_verify_status(
            id, alg, 1, hash_len, sig_len,
            soft_to_psh_status(psa_verify_hash(id, alg, hash, hash_len, sig, sig_len)));
    soft_unlock();
    return status;
}

psh_status soft_sign_message(void *ctx, const psh_key_ref *key, psa_algorithm_t alg,
                             const uint8_t *msg, size_t msg_len, uint8_t *sig, size_t sig_size,
                             size_t *sig_len)
{
    psh_status status = PSH_ERR_CORRUPTION;
    psa_key_id_t id = 0;
    size_t n = 0;

    soft_lock();
    status = soft_key_acquire(ctx, key, &id);
    if (status == PSH_SUCCESS)
        status = soft_to_psh_status(psa_sign_message(id, alg, msg, msg_len, sig, sig_size, &n));
    soft_unlock();
    if (status == PSH_SUCCESS)
        *sig_len = n;
    return status;
}

psh_status soft_verify_message(void *ctx, const psh_key_ref *key, psa_algorithm_t alg,
                               const uint8_t *msg, size_t msg_len, const uint8_t *sig,
                               size_t sig_len)
{
    psh_status status = PSH_ERR_CORRUPTION;
    psa_key_id_t id = 0;

    soft_lock();
    status = soft_key_acquire(ctx, key, &id);
    if (status == PSH_SUCCESS)
        status = rsa_verify_status(
            id, alg, 0, 0, sig_len,
            soft_to_psh_status(psa_verify_message(id, alg, msg, msg_len, sig, sig_len)));
    soft_unlock();
    return status;
}

psh_status soft_asymmetric_encrypt(void *ctx, const psh_key_ref *key, psa_algorithm_t alg,
                                   const uint8_t *in, size_t in_len, const uint8_t *salt,
                                   size_t salt_len, uint8_t *out, size_t out_size,
                                   size_t *out_len)
{
    psh_status status = PSH_ERR_CORRUPTION;
    psa_key_id_t id = 0;
    size_t n = 0;

    soft_lock();
    status = soft_key_acquire(ctx, key, &id);
    if (status == PSH_SUCCESS)
        status = soft_to_psh_status(psa_asymmetric_encrypt(id, alg, in, in_len, salt, salt_len, out,
                                                           out_size, &n));
    soft_unlock();
    if (status == PSH_SUCCESS)
        *out_len = n;
    return status;
}

psh_status soft_asymmetric_decrypt(void *ctx, const psh_key_ref *key, psa_algorithm_t alg,
                                   const uint8_t *in, size_t in_len, const uint8_t *salt,
                                   size_t salt_len, uint8_t *out, size_t out_size,
                                   size_t *out_len)
{
    psh_status status = PSH_ERR_CORRUPTION;
    psa_key_id_t id = 0;
    size_t n = 0;

    soft_lock();
    status = soft_key_acquire(ctx, key, &id);
    if (status == PSH_SUCCESS)
        status = soft_to_psh_status(psa_asymmetric_decrypt(id, alg, in, in_len, salt, salt_len, out,
                                                           out_size, &n));
    soft_unlock();
    if (status == PSH_SUCCESS)
        *out_len = n;
    else
        psh_zeroize(out, out_size);
    return status;
}

psh_status soft_aead_encrypt(void *ctx, const psh_key_ref *key, psa_algorithm_t alg,
                             const uint8_t *nonce, size_t nonce_len, const uint8_t *ad,
                             size_t ad_len, const uint8_t *in, size_t in_len, uint8_t *out,
                             size_t out_size, size_t *out_len)
{
    psh_status status = PSH_ERR_CORRUPTION;
    psa_key_id_t id = 0;
    size_t n = 0;

    soft_lock();
    status = soft_key_acquire(ctx, key, &id);
    if (status == PSH_SUCCESS)
        status = soft_to_psh_status(psa_aead_encrypt(id, alg, nonce, nonce_len, ad, ad_len, in, in_len,
                                                     out, out_size, &n));
    soft_unlock();
    if (status == PSH_SUCCESS)
        *out_len = n;
    return status;
}

psh_status soft_aead_decrypt(void *ctx, const psh_key_ref *key, psa_algorithm_t alg,
                             const uint8_t *nonce, size_t nonce_len, const uint8_t *ad,
                             size_t ad_len, const uint8_t *in, size_t in_len, uint8_t *out,
                             size_t out_size, size_t *out_len)
{
    psh_status status = PSH_ERR_CORRUPTION;
    psa_key_id_t id = 0;
    size_t n = 0;

    soft_lock();
    status = soft_key_acquire(ctx, key, &id);
    if (status == PSH_SUCCESS)
        status = soft_to_psh_status(psa_aead_decrypt(id, alg, nonce, nonce_len, ad, ad_len, in, in_len,
                                                     out, out_size, &n));
    soft_unlock();
    if (status == PSH_SUCCESS)
        *out_len = n;
    else
        psh_zeroize(out, out_size);
    return status;
}

/* Mbed TLS 2.28's one-shot cipher encrypt draws the IV and outputs IV || ciphertext. */
psh_status soft_cipher_encrypt(void *ctx, const psh_key_ref *key, psa_algorithm_t alg,
                               const uint8_t *in, size_t in_len, uint8_t *out, size_t out_size,
                               size_t *out_len)
{
    psh_status status = PSH_ERR_CORRUPTION;
    psa_key_id_t id = 0;
    size_t n = 0;

    soft_lock();
    status = soft_key_acquire(ctx, key, &id);
    if (status == PSH_SUCCESS)
        status = soft_to_psh_status(psa_cipher_encrypt(id, alg, in, in_len, out, out_size, &n));
    soft_unlock();
    if (status == PSH_SUCCESS)
        *out_len = n;
    return status;
}

psh_status soft_cipher_decrypt(void *ctx, const psh_key_ref *key, psa_algorithm_t alg,
                               const uint8_t *in, size_t in_len, uint8_t *out, size_t out_size,
                               size_t *out_len)
{
    psh_status status = PSH_ERR_CORRUPTION;
    psa_key_id_t id = 0;
    size_t n = 0;

    soft_lock();
    status = soft_key_acquire(ctx, key, &id);
    if (status == PSH_SUCCESS)
        status = soft_to_psh_status(psa_cipher_decrypt(id, alg, in, in_len, out, out_size, &n));
    soft_unlock();
    if (status == PSH_SUCCESS)
        *out_len = n;
    else
        psh_zeroize(out, out_size);
    return status;
}

psh_status soft_mac_compute(void *ctx, const psh_key_ref *key, psa_algorithm_t alg,
                            const uint8_t *in, size_t in_len, uint8_t *out, size_t out_size,
                            size_t *out_len)
{
    psh_status status = PSH_ERR_CORRUPTION;
    psa_key_id_t id = 0;
    size_t n = 0;

    soft_lock();
    status = soft_key_acquire(ctx, key, &id);
    if (status == PSH_SUCCESS)
        status = soft_to_psh_status(psa_mac_compute(id, alg, in, in_len, out, out_size, &n));
    soft_unlock();
    if (status == PSH_SUCCESS)
        *out_len = n;
    return status;
}

psh_status soft_mac_verify(void *ctx, const psh_key_ref *key, psa_algorithm_t alg,
                           const uint8_t *in, size_t in_len, const uint8_t *mac, size_t mac_len)
{
    psh_status status = PSH_ERR_CORRUPTION;
    psa_key_id_t id = 0;

    soft_lock();
    status = soft_key_acquire(ctx, key, &id);
    if (status == PSH_SUCCESS)
        status = soft_to_psh_status(psa_mac_verify(id, alg, in, in_len, mac, mac_len));
    soft_unlock();
    return status;
}

psh_status soft_raw_key_agreement(void *ctx, const psh_key_ref *key, psa_algorithm_t alg,
                                  const uint8_t *peer, size_t peer_len, uint8_t *out,
                                  size_t out_size, size_t *out_len)
{
    psh_status status = PSH_ERR_CORRUPTION;
    psa_key_id_t id = 0;
    size_t n = 0;

    soft_lock();
    status = soft_key_acquire(ctx, key, &id);
    if (status == PSH_SUCCESS)
        status = soft_to_psh_status(psa_raw_key_agreement(alg, id, peer, peer_len, out, out_size, &n));
    soft_unlock();
    if (status == PSH_SUCCESS)
        *out_len = n;
    else
        psh_zeroize(out, out_size);
    return status;
}

/* ---- keyless ------------------------------------------------------------------------------ */

psh_status soft_generate_random(void *ctx, uint8_t *out, size_t size)
{
    psh_status status = PSH_ERR_CORRUPTION;

    (void)ctx;
    soft_lock();
    status = soft_to_psh_status(psa_generate_random(out, size));
    soft_unlock();
    return status;
}

psh_status soft_hash_compute(void *ctx, psa_algorithm_t alg, const uint8_t *in, size_t in_len,
                             uint8_t *out, size_t out_size, size_t *out_len)
{
    psh_status status = PSH_ERR_CORRUPTION;
    size_t n = 0;

    (void)ctx;
    soft_lock();
    status = soft_to_psh_status(psa_hash_compute(alg, in, in_len, out, out_size, &n));
    soft_unlock();
    if (status == PSH_SUCCESS)
        *out_len = n;
    return status;
}

psh_status soft_hash_compare(void *ctx, psa_algorithm_t alg, const uint8_t *in, size_t in_len,
                             const uint8_t *hash, size_t hash_len)
{
    psh_status status = PSH_ERR_CORRUPTION;

    (void)ctx;
    /* Spec 6.2: a hash of the wrong length is InvalidArgument (Mbed TLS says InvalidSignature). */
    if (PSA_ALG_IS_HASH(alg) && PSA_HASH_LENGTH(alg) != 0 && hash_len != PSA_HASH_LENGTH(alg))
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    soft_lock();
    status = soft_to_psh_status(psa_hash_compare(alg, in, in_len, hash, hash_len));
    soft_unlock();
    return status;
}
