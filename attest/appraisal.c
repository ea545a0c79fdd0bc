/* The appraisal record (every check, pass or fail with a reason), its JSON form, and the
 * verifier entry point that dispatches on the evidence format. */
#include "internal.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <mbedtls/base64.h>
#include <mbedtls/constant_time.h>

static const char *const format_names[] = {"parsec-tpm", "parsec-cca", "kat"};

int psh_attest_format_from_name(const char *name, psh_attest_format *out)
{
    for (size_t i = 0; i < sizeof format_names / sizeof format_names[0]; i++) {
        if (strcmp(name, format_names[i]) == 0) {
            *out = (psh_attest_format)i;
            return 0;
        }
    }
    return -1;
}

const char *psh_attest_format_name(psh_attest_format f)
{
    return (unsigned)f < 3 ? format_names[f] : "unknown";
}

static psh_attest_check *add(psh_attest_appraisal *a, const char *name, int ok)
{
    psh_attest_check *c;
    if (a->n_checks >= PSH_ATTEST_MAX_CHECKS) {
        /* Never drop a failure: overwrite the last slot rather than lose it. */
        c = &a->checks[PSH_ATTEST_MAX_CHECKS - 1];
        if (!c->ok && ok)
            return NULL;
    } else {
        c = &a->checks[a->n_checks++];
    }
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", name);
    c->ok = ok;
    return c;
}

void psh_ap_pass(psh_attest_appraisal *a, const char *name) { add(a, name, 1); }

void psh_ap_fail(psh_attest_appraisal *a, psh_status st, const char *name, const char *fmt, ...)
{
    va_list ap;
    psh_attest_check *c = add(a, name, 0);
    if (a->status == PSH_SUCCESS)
        a->status = st;
    if (c == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(c->reason, sizeof c->reason, fmt, ap);
    va_end(ap);
}

int psh_ap_check(psh_attest_appraisal *a, int cond, psh_status st, const char *name,
                 const char *reason)
{
    if (cond)
        psh_ap_pass(a, name);
    else
        psh_ap_fail(a, st, name, "%s", reason);
    return cond;
}

const psh_attest_anchor *psh_ap_anchor(const psh_attest_policy *pol, const uint8_t *id,
                                       size_t id_len)
{
    for (size_t i = 0; i < pol->n_anchors; i++) {
        const psh_attest_anchor *t = &pol->anchors[i];
        if (t->id_len != 0 && t->id_len == id_len && memcmp(t->id, id, id_len) == 0)
            return t;
    }
    for (size_t i = 0; i < pol->n_anchors; i++) {
        if (pol->anchors[i].id_len == 0)
            return &pol->anchors[i];
    }
    return NULL;
}

int psh_ap_eq(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    if (alen != blen)
        return 0;
    return alen == 0 || mbedtls_ct_memcmp(a, b, alen) == 0;
}

void psh_ap_nonce(psh_attest_appraisal *a, const psh_attest_policy *pol, const char *name,
                  const uint8_t *ev_nonce, size_t ev_len)
{
    if (ev_len <= sizeof a->evidence_nonce) {
        memcpy(a->evidence_nonce, ev_nonce, ev_len);
        a->evidence_nonce_len = ev_len;
    }
    if (pol->nonce == NULL || pol->nonce_len == 0)
        psh_ap_fail(a, PSH_ERR_PSA_NOT_PERMITTED, name, "no expected nonce was supplied");
    else if (!psh_ap_eq(ev_nonce, ev_len, pol->nonce, pol->nonce_len))
        psh_ap_fail(a, PSH_ERR_PSA_NOT_PERMITTED, name,
                    "nonce in the evidence (%zu bytes) differs from the issued nonce (stale or "
                    "replayed evidence)", ev_len);
    else
        psh_ap_pass(a, name);
}

int psh_ap_ueid_ok(const uint8_t *p, size_t n)
{
    if (n < 1)
        return 0;
    switch (p[0]) {
    case 0x01: return n == 17 || n == 25 || n == 33;
    case 0x02: return n == 7 || n == 9;
    case 0x03: return n == 15;
    default: return 0;
    }
}

psh_status psh_attest_verify(psh_attest_format fmt, const uint8_t *ev, size_t len,
                             const psh_attest_policy *pol, psh_attest_appraisal *out)
{
    memset(out, 0, sizeof *out);
    out->format = fmt;
    out->status = PSH_SUCCESS;
    if (ev == NULL || len == 0 || len > PSH_ATTEST_MAX_EVIDENCE) {
        psh_ap_fail(out, PSH_ERR_PSA_INVALID_ARGUMENT, "decode",
                    "evidence is empty or larger than %u bytes", PSH_ATTEST_MAX_EVIDENCE);
        return out->status;
    }
    switch (fmt) {
    case PSH_ATTEST_PARSEC_TPM: psh_verify_tpm(ev, len, pol, out); break;
    case PSH_ATTEST_PARSEC_CCA: psh_verify_cca(ev, len, pol, out); break;
    case PSH_ATTEST_KAT: psh_verify_kat(ev, len, pol, out); break;
    default:
        psh_ap_fail(out, PSH_ERR_PSA_NOT_SUPPORTED, "format", "unknown evidence format");
        break;
    }
    if (out->status == PSH_SUCCESS && !out->complete)
        out->status = PSH_ERR_CORRUPTION; /* a path that stopped without recording why */
    return out->status;
}

int psh_attest_verified(const psh_attest_appraisal *a)
{
    if (!a->complete || a->status != PSH_SUCCESS || a->n_checks == 0)
        return 0;
    for (size_t i = 0; i < a->n_checks; i++) {
        if (!a->checks[i].ok)
            return 0;
    }
    return 1;
}

const psh_attest_check *psh_attest_failed(const psh_attest_appraisal *a, const char *name)
{
    for (size_t i = 0; i < a->n_checks; i++) {
        if (!a->checks[i].ok && strcmp(a->checks[i].name, name) == 0)
            return &a->checks[i];
    }
    return NULL;
}

static json_t *hex_json(const uint8_t *p, size_t n)
{
    static const char d[] = "0123456789abcdef";
    char buf[2 * 600 + 1];
    if (n > 600)
        n = 600;
    for (size_t i = 0; i < n; i++) {
        buf[2 * i] = d[p[i] >> 4];
        buf[2 * i + 1] = d[p[i] & 15];
    }
    buf[2 * n] = 0;
    return json_string(buf);
}

static json_t *b64url_json(const uint8_t *p, size_t n)
{
    unsigned char buf[1024];
    size_t olen = 0;
    if (mbedtls_base64_encode(buf, sizeof buf, &olen, p, n) != 0)
        return json_null();
    while (olen > 0 && buf[olen - 1] == '=')
        olen--;
    for (size_t i = 0; i < olen; i++)
        buf[i] = buf[i] == '+' ? '-' : buf[i] == '/' ? '_' : buf[i];
    return json_stringn((const char *)buf, olen);
}

char *psh_attest_appraisal_json(const psh_attest_appraisal *a)
{
    json_t *root = json_object(), *checks = json_array(), *failed = json_array();
    char *s = NULL;
    int ok = psh_attest_verified(a);
    if (root == NULL || checks == NULL || failed == NULL)
        goto exit;
    json_object_set_new(root, "format", json_string(psh_attest_format_name(a->format)));
    json_object_set_new(root, "verdict", json_string(ok ? "affirming" : "contraindicated"));
    json_object_set_new(root, "verified", json_boolean(ok));
    json_object_set_new(root, "status", json_string(ok ? "Success"
                                                        : psh_status_name(a->status) != NULL
                                                              ? psh_status_name(a->status)
                                                              : "PsaErrorCorruptionDetected"));
    for (size_t i = 0; i < a->n_checks; i++) {
        const psh_attest_check *c = &a->checks[i];
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(c->name));
        json_object_set_new(o, "result", json_string(c->ok ? "pass" : "fail"));
        if (!c->ok) {
            json_object_set_new(o, "reason", json_string(c->reason));
            json_array_append_new(failed, json_sprintf("%s: %s", c->name, c->reason));
        }
        json_array_append_new(checks, o);
    }
    if (!a->complete)
        json_array_append_new(failed, json_string("verification stopped before every step ran"));
    json_object_set_new(root, "checks", checks);
    checks = NULL;
    json_object_set_new(root, "failures", failed);
    failed = NULL;
    if (a->evidence_nonce_len)
        json_object_set_new(root, "evidence_nonce", hex_json(a->evidence_nonce,
                                                              a->evidence_nonce_len));
    if (a->kid_len)
        json_object_set_new(root, "kid", hex_json(a->kid, a->kid_len));
    if (a->key_spki_len) {
        json_t *k = json_object();
        json_object_set_new(k, "spki_der", hex_json(a->key_spki, a->key_spki_len));
        json_object_set_new(k, "akpub", b64url_json(a->key_spki, a->key_spki_len));
        json_object_set_new(k, "trusted", json_boolean(ok));
        json_object_set_new(root, "attested_key", k);
    }
    s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
exit:
    json_decref(checks);
    json_decref(failed);
    json_decref(root);
    return s;
}
