/* Engine configuration: the parts of Parsec's config.toml (spec section 8) the engine uses.
 * Plain fixed-size fields so a config can be copied and filled without ownership questions. */
#ifndef PSH_CONFIG_H
#define PSH_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PSH_NAME_MAX 128   /* provider, key manager and admin names, bytes incl. NUL */
#define PSH_PATH_MAX 512
#define PSH_SECRET_MAX 256 /* PINs and hierarchy auth, decoded */
#define PSH_MAX_PROVIDERS 8
#define PSH_MAX_ADMINS 32

/* Wire provider ids (spec section 4.1). */
typedef enum psh_provider_id {
    PSH_PROVIDER_CORE = 0,
    PSH_PROVIDER_MBED_CRYPTO = 1,
    PSH_PROVIDER_PKCS11 = 2,
    PSH_PROVIDER_TPM = 3,
    PSH_PROVIDER_TRUSTED_SERVICE = 4,
    PSH_PROVIDER_CRYPTOAUTHLIB = 5,
} psh_provider_id;
#define PSH_PROVIDER_ID_MAX 5

/* Wire auth types (spec section 4.3). */
typedef enum psh_auth_type {
    PSH_AUTH_NONE = 0,
    PSH_AUTH_DIRECT = 1,
    PSH_AUTH_JWT = 2,
    PSH_AUTH_UNIX_PEER_CREDENTIALS = 3,
    PSH_AUTH_JWT_SVID = 4,
} psh_auth_type;
#define PSH_AUTH_TYPE_MAX 4

typedef struct psh_provider_config {
    psh_provider_id type;
    char name[PSH_NAME_MAX];     /* defaults to Parsec's default name for the type */
    /* Pkcs11 */
    char library_path[PSH_PATH_MAX];
    char serial_number[PSH_NAME_MAX];
    char token_label[PSH_NAME_MAX];
    int has_slot_number;
    uint64_t slot_number;
    int has_user_pin;
    uint8_t user_pin[PSH_SECRET_MAX]; /* decoded ("hex:"/"str:" prefixes applied) */
    size_t user_pin_len;
    int software_public_operations;
    int allow_export;                 /* default 1 */
    /* Tpm */
    char tcti[PSH_PATH_MAX];
    uint8_t owner_hierarchy_auth[PSH_SECRET_MAX];
    size_t owner_hierarchy_auth_len;
    int has_endorsement_hierarchy_auth;
    uint8_t endorsement_hierarchy_auth[PSH_SECRET_MAX];
    size_t endorsement_hierarchy_auth_len;
    int skip_if_no_tpm;
} psh_provider_config;

typedef struct psh_engine_config {
    size_t body_len_limit;    /* default 1 MiB */
    size_t buffer_size_limit; /* default 1 MiB */
    int allow_deprecated;
    psh_auth_type auth_type;  /* the one configured authenticator; PSH_AUTH_NONE = none */
    size_t admin_count;
    char admins[PSH_MAX_ADMINS][PSH_NAME_MAX];
    /* SQLite KIM file; ":memory:" for an in-memory store (fuzzing). */
    char kim_path[PSH_PATH_MAX];
    size_t provider_count;    /* in priority order */
    psh_provider_config providers[PSH_MAX_PROVIDERS];
} psh_engine_config;

/* Fills defaults: limits 1 MiB, UnixPeerCredentials, no providers, kim_path ":memory:". */
void psh_engine_config_init(psh_engine_config *cfg);
/* Fills a provider entry with defaults for its type (name, allow_export = 1). */
void psh_provider_config_init(psh_provider_config *p, psh_provider_id type);
/* Parsec's default provider name for a type, e.g. "mbed-crypto-provider". */
const char *psh_provider_default_name(psh_provider_id type);
/* Wipes the secrets a config holds (PINs, hierarchy auth). */
void psh_engine_config_wipe(psh_engine_config *cfg);

#ifdef __cplusplus
}
#endif
#endif
