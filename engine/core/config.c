#include "psh/config.h"

#include <stdio.h>
#include <string.h>

#include "util/alloc.h"

const char *psh_provider_default_name(psh_provider_id type)
{
    switch (type) {
    case PSH_PROVIDER_MBED_CRYPTO: return "mbed-crypto-provider";
    case PSH_PROVIDER_PKCS11: return "pkcs11-provider";
    case PSH_PROVIDER_TPM: return "tpm-provider";
    case PSH_PROVIDER_TRUSTED_SERVICE: return "trusted-service-provider";
    case PSH_PROVIDER_CRYPTOAUTHLIB: return "cryptoauthlib-provider";
    default: return "core-provider";
    }
}

void psh_provider_config_init(psh_provider_config *p, psh_provider_id type)
{
    memset(p, 0, sizeof *p);
    p->type = type;
    snprintf(p->name, sizeof p->name, "%s", psh_provider_default_name(type));
    p->allow_export = 1;
}

void psh_engine_config_init(psh_engine_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->body_len_limit = 1u << 20;
    cfg->buffer_size_limit = 1u << 20;
    cfg->auth_type = PSH_AUTH_UNIX_PEER_CREDENTIALS;
    snprintf(cfg->kim_path, sizeof cfg->kim_path, ":memory:");
}

void psh_engine_config_wipe(psh_engine_config *cfg)
{
    for (size_t i = 0; i < PSH_MAX_PROVIDERS; i++) {
        psh_zeroize(cfg->providers[i].user_pin, sizeof cfg->providers[i].user_pin);
        psh_zeroize(cfg->providers[i].owner_hierarchy_auth,
                    sizeof cfg->providers[i].owner_hierarchy_auth);
        psh_zeroize(cfg->providers[i].endorsement_hierarchy_auth,
                    sizeof cfg->providers[i].endorsement_hierarchy_auth);
    }
}
