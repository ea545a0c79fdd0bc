/* The engine's internal view of key attributes and algorithms: PSA Crypto API encodings
 * (psa_key_type_t, psa_algorithm_t, psa_key_usage_t), so policy follows PSA semantics and
 * every provider maps from one vocabulary. Conversion from/to the wire is core/convert.c. */
#ifndef PSH_CORE_TYPES_H
#define PSH_CORE_TYPES_H

#include <stddef.h>
#include <stdint.h>

#include <psa/crypto.h>

/* PSA 1.1's cache flag; Mbed TLS 2.28 predates it. The engine keeps it, providers ignore it. */
#define PSH_KEY_USAGE_CACHE ((psa_key_usage_t)0x00000004)

typedef struct psh_key_attrs {
    psa_key_type_t type;
    size_t bits;           /* 0 = not given (import: taken from the data) */
    psa_key_usage_t usage; /* PSA_KEY_USAGE_* | PSH_KEY_USAGE_CACHE */
    psa_algorithm_t alg;   /* permitted algorithm; PSA_ALG_NONE = no cryptographic use */
} psh_key_attrs;

/* A key as a provider sees it: attributes the core already checked plus the provider's own
 * reference from the KIM. Everything is borrowed for the duration of one call. */
typedef struct psh_key_ref {
    const psh_key_attrs *attrs;
    const uint8_t *key_id; /* provider-specific (may be secret: never log) */
    size_t key_id_len;
} psh_key_ref;

/* Internal authenticator id for keys the service makes for itself (hidden from clients). */
#define PSH_AUTH_INTERNAL 255

#endif
