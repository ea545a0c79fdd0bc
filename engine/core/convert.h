/* Wire (protobuf-c messages) <-> engine (PSA encodings). Every failure here is the spec's
 * "semantic conversion" step (1.5 step 16): unset oneof, *_NONE enum, unknown enum value,
 * missing mandatory sub-message, out-of-range integer -> InvalidEncoding. */
#ifndef PSH_CORE_CONVERT_H
#define PSH_CORE_CONVERT_H

#include "core/types.h"
#include "psh/status.h"

#include "psa_algorithm.pb-c.h"
#include "psa_key_attributes.pb-c.h"

/* FRP256v1 family (PSA 1.1); Mbed TLS 2.28 has no macro for it. */
#ifndef PSA_ECC_FAMILY_FRP
#define PSA_ECC_FAMILY_FRP ((psa_ecc_family_t)0x33)
#endif

psh_status psh_conv_hash(int hash, psa_algorithm_t *out);
psh_status psh_conv_sign_alg(const PsaAlgorithm__Algorithm__AsymmetricSignature *m,
                             psa_algorithm_t *out);
psh_status psh_conv_asym_enc_alg(const PsaAlgorithm__Algorithm__AsymmetricEncryption *m,
                                 psa_algorithm_t *out);
psh_status psh_conv_aead_alg(const PsaAlgorithm__Algorithm__Aead *m, psa_algorithm_t *out);
psh_status psh_conv_cipher_alg(int cipher, psa_algorithm_t *out);
psh_status psh_conv_mac_alg(const PsaAlgorithm__Algorithm__Mac *m, psa_algorithm_t *out);
psh_status psh_conv_raw_key_agreement(int raw, psa_algorithm_t *out);
psh_status psh_conv_algorithm(const PsaAlgorithm__Algorithm *m, psa_algorithm_t *out);
psh_status psh_conv_key_attrs(const PsaKeyAttributes__KeyAttributes *m, psh_key_attrs *out);

/* Reverse direction (ListKeys). *out is callee-allocated: free with psh_conv_free_message. */
psh_status psh_conv_key_attrs_to_proto(const psh_key_attrs *a,
                                       PsaKeyAttributes__KeyAttributes **out);
void psh_conv_free_message(void *msg);

#endif
