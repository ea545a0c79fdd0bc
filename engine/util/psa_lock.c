#include "util/psa_lock.h"

#include <pthread.h>

#include <psa/crypto.h>

static pthread_mutex_t psa_mu = PTHREAD_MUTEX_INITIALIZER;

void psh_psa_lock(void) { pthread_mutex_lock(&psa_mu); }
void psh_psa_unlock(void) { pthread_mutex_unlock(&psa_mu); }

psh_status psh_psa_init(void)
{
    psh_psa_lock();
    psa_status_t s = psa_crypto_init();
    psh_psa_unlock();
    return s == PSA_SUCCESS ? PSH_SUCCESS : PSH_ERR_PSA_GENERIC;
}
