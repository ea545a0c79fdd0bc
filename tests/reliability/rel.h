/* psh-rel: the reliability battery's client (load, crash churn and audit, isolation).
 * Every sub-command talks to psh-service over its socket through the C client library and
 * checks each response; it prints one summary and exits 0 only when every check held. */
#ifndef PSH_REL_H
#define PSH_REL_H

#include <stddef.h>
#include <stdint.h>

#include "psh/client.h"

/* Shared command-line settings. */
typedef struct rel_opts {
    const char *socket;
    const char *auth;      /* "direct" or "unix" */
    const char *app;       /* Direct app (prefix for load clients) */
    unsigned clients;      /* load: concurrent clients */
    unsigned long count;   /* load: requests per client (0 = use seconds) */
    double seconds;        /* load: duration when count == 0 */
    const char *state;     /* churn/verify: state file */
    const char *expect;    /* load: where to write "app key" lines left at the end */
    unsigned provider;     /* provider id for keyed operations */
    unsigned other_uid;    /* iso: the second uid */
    unsigned seed;
    int tolerate;          /* load: clear error statuses are expected (backend faults) */
} rel_opts;

int rel_client(psh_client *c, const rel_opts *o, const char *app);
uint64_t rel_now_us(void);

/* An ECDSA P-256 SHA-256 key: sign/verify hash and message, exportable. */
void rel_ecc_attrs(psh_key_attributes *a);
/* Signs a fixed hash with name and verifies it through the service: PSH_SUCCESS or the
 * first failing status (PSH_ERR_PSA_INVALID_SIGNATURE if a signature did not verify). */
psh_status rel_key_usable(const psh_client *c, const char *name);

int rel_load(const rel_opts *o);
int rel_churn(const rel_opts *o);
int rel_verify(const rel_opts *o);
int rel_iso(const rel_opts *o);
int rel_names(const rel_opts *o);
int rel_audit(const rel_opts *o);

#endif
