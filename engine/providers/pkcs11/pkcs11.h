/* PKCS#11 provider (wire id 2, "Pkcs11"): any PKCS#11 module loaded by path; SoftHSM2 in the
 * tests and the quick start. See docs/pkcs11.md. */
#ifndef PSH_PROVIDER_PKCS11_H
#define PSH_PROVIDER_PKCS11_H

#include "core/provider.h"

extern const psh_provider_ops psh_pkcs11_provider_ops;

#endif
