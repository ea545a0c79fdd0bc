/* TPM 2.0 provider (wire id 3, "Tpm") over tpm2-tss ESAPI. See docs/tpm.md. */
#ifndef PSH_PROVIDER_TPM_H
#define PSH_PROVIDER_TPM_H

#include "core/provider.h"

extern const psh_provider_ops psh_tpm_provider_ops;

#endif
