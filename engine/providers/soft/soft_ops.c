/* The soft provider's operations: each one takes the lock, gets the volatile key for the
 * stored blob (soft_key_acquire), makes one PSA call and maps its status. Outputs go to the
 * core's buffers; *out_len is written only on success. Where the output is secret
 * (decryption, key agreement, key export) the buffer is wiped when the call fails. */
#include "providers/soft/soft_internal.h"

#include "util/alloc.h"

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
        status = soft_to_psh_status(psa_verify_hash(id, alg, hash, hash_len, sig, sig_len));
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
        status = soft_to_psh_status(psa_verify_message(id, alg, msg, msg_len, sig, sig_len));
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
