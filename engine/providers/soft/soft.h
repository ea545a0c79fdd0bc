/* Software provider (wire id 1, "MbedCrypto"): a thin layer over Mbed TLS PSA Crypto. */
#ifndef PSH_PROVIDER_SOFT_H
#define PSH_PROVIDER_SOFT_H

#include "core/provider.h"

extern const psh_provider_ops psh_soft_provider_ops;

#endif
