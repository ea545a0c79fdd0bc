/* One lock for every user of Mbed TLS PSA Crypto in the process: Mbed TLS 2.28's PSA key
 * slots are not thread-safe, and the soft provider, the public-key operations the PKCS#11 and
 * TPM providers do in software, and the attestation code all share the same slot table. */
#ifndef PSH_UTIL_PSA_LOCK_H
#define PSH_UTIL_PSA_LOCK_H

#include "psh/status.h"

void psh_psa_lock(void);
void psh_psa_unlock(void);

/* psa_crypto_init() under the lock; idempotent. SUCCESS or PsaErrorGenericError-family status. */
psh_status psh_psa_init(void);

#endif
