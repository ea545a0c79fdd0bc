/* Shared by the verifier files: recording checks into an appraisal, and anchor lookup. */
#ifndef PSH_ATTEST_INTERNAL_H
#define PSH_ATTEST_INTERNAL_H

#include "attest.h"

void psh_ap_pass(psh_attest_appraisal *a, const char *name);
void psh_ap_fail(psh_attest_appraisal *a, psh_status st, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Records pass or fail from a condition; returns cond. */
int psh_ap_check(psh_attest_appraisal *a, int cond, psh_status st, const char *name,
                 const char *reason);

/* The anchor whose id equals id, else the first anchor without an id, else NULL. */
const psh_attest_anchor *psh_ap_anchor(const psh_attest_policy *pol, const uint8_t *id,
                                       size_t id_len);
/* Constant-time equality of two byte strings (lengths compared first). */
int psh_ap_eq(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);
/* Checks the issued nonce against the one in the evidence and records "name". */
void psh_ap_nonce(psh_attest_appraisal *a, const psh_attest_policy *pol, const char *name,
                  const uint8_t *ev_nonce, size_t ev_len);
/* A valid UEID: 0x01 RAND + 16/24/32, 0x02 EUI + 6/8, 0x03 IMEI + 14. */
int psh_ap_ueid_ok(const uint8_t *p, size_t n);

void psh_verify_tpm(const uint8_t *ev, size_t len, const psh_attest_policy *pol,
                    psh_attest_appraisal *a);
void psh_verify_cca(const uint8_t *ev, size_t len, const psh_attest_policy *pol,
                    psh_attest_appraisal *a);
void psh_verify_kat(const uint8_t *ev, size_t len, const psh_attest_policy *pol,
                    psh_attest_appraisal *a);

#define PSH_KAT_MEDIA_TYPE "application/eat+cwt"
#define PSH_KAT_CMWC_TYPE "tag:ietf.org,2024-02-29:rats/kat"
#define PSH_KAT_PAT_PROFILE "tag:github.com/parsec-harness,2026:kat-platform"
#define PSH_KAT_LABEL_KAK_PUB 2500

#endif
