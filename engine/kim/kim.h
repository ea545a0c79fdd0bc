/* Key info manager: maps (authenticator, application, key name) to the provider holding
 * the key, the provider's key id and the key attributes. SQLite-backed; ":memory:" gives an
 * in-memory store. Thread-safe (one mutex). Rows read back are parsed as untrusted input. */
#ifndef PSH_KIM_H
#define PSH_KIM_H

#include <stddef.h>
#include <stdint.h>

#include "core/types.h"
#include "psh/status.h"

typedef struct psh_kim psh_kim; /* opaque */

typedef struct psh_kim_entry {
    uint8_t auth_type;    /* wire auth type, or PSH_AUTH_INTERNAL */
    char *app;            /* owned */
    char *key_name;       /* owned */
    uint8_t provider_id;
    char *provider_name;  /* owned: the configured provider name (part of the identity) */
    uint8_t *key_id;      /* owned, may be secret: freed with psh_free_secret */
    size_t key_id_len;
    psh_key_attrs attrs;
} psh_kim_entry;

/* Opens (creating if needed, file mode 0600, parent directories made) and checks the schema.
 * Errors: KeyInfoManagerError with a one-line reason in err. */
psh_status psh_kim_open(const char *path, psh_kim **out, char *err, size_t err_size);
void psh_kim_close(psh_kim *kim);

/* Errors: PsaErrorDoesNotExist; KeyInfoManagerError; InvalidEncoding for a stored row that
 * does not parse. *out is callee-allocated (psh_kim_entry_free). */
psh_status psh_kim_get(psh_kim *kim, uint8_t auth_type, const char *app, const char *key_name,
                       psh_kim_entry **out);
/* Atomic (one transaction). Errors: PsaErrorAlreadyExists; KeyInfoManagerError. */
psh_status psh_kim_insert(psh_kim *kim, const psh_kim_entry *entry);
/* Errors: PsaErrorDoesNotExist; KeyInfoManagerError. */
psh_status psh_kim_remove(psh_kim *kim, uint8_t auth_type, const char *app, const char *key_name);
/* Every entry matching the filters (NULL app / provider_name = any), ordered by
 * (app, key_name). *out is callee-allocated (psh_kim_list_free). Rows that do not parse are
 * skipped and logged, never deleted. */
psh_status psh_kim_list(psh_kim *kim, int auth_type /* -1 = any */, const char *app,
                        const char *provider_name, psh_kim_entry ***out, size_t *count);
/* Sorted, de-duplicated application names owning at least one key (internal ones excluded). */
psh_status psh_kim_list_clients(psh_kim *kim, char ***out, size_t *count);

void psh_kim_entry_free(psh_kim_entry *e);
void psh_kim_list_free(psh_kim_entry **list, size_t count);
void psh_kim_clients_free(char **names, size_t count);

/* The stored attribute record (pinned format, see kim.c): exposed for tests and fuzzing. */
#define PSH_KIM_ATTRS_RECORD_SIZE 19
void psh_kim_attrs_encode(const psh_key_attrs *a, uint8_t out[PSH_KIM_ATTRS_RECORD_SIZE]);
psh_status psh_kim_attrs_decode(const uint8_t *p, size_t len, psh_key_attrs *out);

#endif
