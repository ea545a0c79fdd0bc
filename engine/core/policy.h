/* Key policy, enforced once in the core for every provider (spec section 6.2). */
#ifndef PSH_CORE_POLICY_H
#define PSH_CORE_POLICY_H

#include "core/types.h"
#include "psh/config.h"
#include "psh/status.h"

#define PSH_KEY_NAME_MAX 1024 /* bytes; the spec sets none, a bounded store needs one */

/* Non-empty, at most PSH_KEY_NAME_MAX bytes -> else PsaErrorInvalidArgument. (UTF-8 validity
 * and embedded NULs are refused earlier, at decoding.) */
psh_status psh_policy_check_key_name(const char *name);

/* Attributes for a new key. generate: a public-key type is PsaErrorInvalidArgument and a
 * deprecated primitive is DeprecatedPrimitive unless allowed; import only warns. */
psh_status psh_policy_check_new_key(const psh_engine_config *cfg, const psh_key_attrs *attrs,
                                    int generate);

/* 1 when the key's policy algorithm permits alg (equal, or a wildcard-hash policy of the same
 * family, PSA semantics). */
int psh_policy_alg_permits(psa_algorithm_t policy, psa_algorithm_t alg);

/* Usage flag then permitted algorithm: PsaErrorNotPermitted on either. */
psh_status psh_policy_check_use(const psh_key_attrs *key, psa_key_usage_t usage,
                                psa_algorithm_t alg);

/* Signature: the usage/alg policy, then alg is a concrete signature algorithm that fits the
 * key type (and, for *_hash, the hash length fits alg): PsaErrorInvalidArgument otherwise. */
psh_status psh_policy_check_sign(const psh_key_attrs *key, psa_key_usage_t usage,
                                 psa_algorithm_t alg, size_t hash_len, int is_hash);

/* 1 when alg can be used with a key of this type (PSA compatibility rules). needs_private: the
 * operation uses the private half (decrypt, sign, derive), so a public key does not fit. */
int psh_policy_alg_fits_type(psa_key_type_t type, psa_algorithm_t alg, int needs_private);

/* Keyed crypto other than signatures (encrypt/decrypt, AEAD, cipher, MAC, key agreement):
 * usage flag and permitted algorithm -> PsaErrorNotPermitted; alg that does not fit the key
 * type (or a public key where the private half is needed) -> PsaErrorInvalidArgument. */
psh_status psh_policy_check_crypto(const psh_key_attrs *key, psa_key_usage_t usage,
                                   psa_algorithm_t alg);

/* CanDoCrypto's core part of the USE check (spec 6.4): PsaErrorNotSupported when the policy
 * algorithm is None, when no encrypt/decrypt/sign/verify flag is set, or when the algorithm
 * does not fit the key type; SUCCESS otherwise. */
psh_status psh_policy_can_use(const psh_key_attrs *attrs);

/* 1 when the policy algorithm or key type is deprecated (spec 6.2 PsaGenerateKey). */
int psh_policy_is_deprecated(const psh_key_attrs *attrs);

#endif
