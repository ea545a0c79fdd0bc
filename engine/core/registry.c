/* The compiled-in providers. A new backend is one folder, one ops table and one line here. */
#include "core/provider.h"

#include <string.h>

#include "providers/soft/soft.h"
#ifdef PSH_HAVE_PKCS11
#include "providers/pkcs11/pkcs11.h"
#endif
#ifdef PSH_HAVE_TPM
#include "providers/tpm/tpm.h"
#endif

static const psh_provider_ops *const registry[] = {
    &psh_soft_provider_ops,
#ifdef PSH_HAVE_PKCS11
    &psh_pkcs11_provider_ops,
#endif
#ifdef PSH_HAVE_TPM
    &psh_tpm_provider_ops,
#endif
};

#define REGISTRY_COUNT (sizeof registry / sizeof registry[0])

const psh_provider_ops *psh_provider_lookup(psh_provider_id id)
{
    for (size_t i = 0; i < REGISTRY_COUNT; i++)
        if (registry[i]->id == id)
            return registry[i];
    return NULL;
}

const psh_provider_ops *psh_provider_lookup_type(const char *type_name)
{
    for (size_t i = 0; i < REGISTRY_COUNT; i++)
        if (type_name != NULL && strcmp(registry[i]->type_name, type_name) == 0)
            return registry[i];
    return NULL;
}
