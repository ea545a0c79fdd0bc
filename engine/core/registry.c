/* The compiled-in providers. A new backend is one folder, one ops table and one line here. */
#include "core/provider.h"

#include <string.h>

#include "providers/soft/soft.h"

static const psh_provider_ops *const registry[] = {
    &psh_soft_provider_ops,
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
