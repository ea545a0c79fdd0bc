/* The runner: one session on one target. Discovery first (ListProviders, ListAuthenticators,
 * ListOpcodes, CanDoCrypto) so a session the target cannot serve is skipped with the reason;
 * then the steps in order, stopping at the first failure (later steps depend on earlier
 * ones), then the cleanup steps whatever happened. */
#include "conform.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/alloc.h"
#include "wire/wire.h"

static void seterr(char *err, size_t n, const char *fmt, ...)
{
    va_list ap;
    if (err == NULL || n == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, n, fmt, ap);
    va_end(ap);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- requests --------------------------------------------------------------------------------- */

static int parse_auth(const char *a, uint8_t *type, uint8_t *buf, size_t *len)
{
    *len = 0;
    if (a == NULL || strcmp(a, "none") == 0) {
        *type = 0;
        return 0;
    }
    if (strncmp(a, "direct:", 7) == 0) {
        size_t n = strlen(a + 7);
        if (n > 255)
            return -1;
        *type = 1;
        memcpy(buf, a + 7, n);
        *len = n;
        return 0;
    }
    if (strcmp(a, "unix") == 0 || strncmp(a, "unix:", 5) == 0) {
        uint32_t uid = a[4] == ':' ? (uint32_t)strtoul(a + 5, NULL, 10) : (uint32_t)getuid();
        *type = 3;
        buf[0] = (uint8_t)uid;
        buf[1] = (uint8_t)(uid >> 8);
        buf[2] = (uint8_t)(uid >> 16);
        buf[3] = (uint8_t)(uid >> 24);
        *len = 4;
        return 0;
    }
    if (strncmp(a, "type:", 5) == 0) { /* any auth_type number, empty auth: error-table rows */
        *type = (uint8_t)strtoul(a + 5, NULL, 10);
        return 0;
    }
    return -1;
}

int psh_cf_build_request(json_t *req, int provider, uint8_t **frame, size_t *frame_len,
                         char *err, size_t err_size)
{
    json_t *op = json_object_get(req, "op"), *pv = json_object_get(req, "provider");
    const psh_cf_op *o = json_is_string(op) ? psh_cf_op_by_name(json_string_value(op))
                                            : psh_cf_op_by_code((uint32_t)json_integer_value(op));
    psh_wire_header h;
    ProtobufCMessage *m = NULL;
    uint8_t *body = NULL, auth[256];
    size_t body_len = 0, auth_len = 0;
    uint8_t auth_type;
    int rc = -1;
    *frame = NULL;
    *frame_len = 0;
    if (json_is_string(json_object_get(req, "raw")))
        return psh_cf_unhex(json_string_value(json_object_get(req, "raw")), frame, frame_len) == 0
                   ? 0
                   : (seterr(err, err_size, "raw frame is not hex"), -1);
    if (parse_auth(json_string_value(json_object_get(req, "auth")), &auth_type, auth,
                   &auth_len) != 0) {
        seterr(err, err_size, "bad auth \"%s\"", json_string_value(json_object_get(req, "auth")));
        return -1;
    }
    if (pv != NULL) {
        provider = json_is_integer(pv) ? (int)json_integer_value(pv)
                                       : psh_cf_provider_from_name(json_string_value(pv));
        if (provider < 0 || provider > 255) {
            seterr(err, err_size, "bad provider");
            return -1;
        }
    } else if (o != NULL && o->core) {
        provider = 0;
    }
    if (o != NULL && json_object_get(req, "body") != NULL) {
        if (psh_cf_json_to_pb(o->op_desc, json_object_get(req, "body"), &m, err, err_size) != 0)
            return -1;
        body_len = protobuf_c_message_get_packed_size(m);
        if (body_len > 0) {
            body = malloc(body_len);
            if (body == NULL)
                goto exit;
            protobuf_c_message_pack(m, body);
        }
    }
    memset(&h, 0, sizeof h);
    h.magic = PSH_WIRE_MAGIC;
    h.hdr_size = PSH_WIRE_HDR_SIZE_FIELD;
    h.version_maj = 1;
    h.provider = (uint8_t)provider;
    h.session = (uint64_t)json_integer_value(json_object_get(req, "session"));
    h.auth_type = auth_type;
    h.body_len = (uint32_t)body_len;
    h.auth_len = (uint16_t)auth_len;
    h.opcode = o ? o->opcode : (uint32_t)json_integer_value(op);
    *frame_len = PSH_WIRE_HEADER_SIZE + body_len + auth_len;
    *frame = malloc(*frame_len);
    if (*frame == NULL)
        goto exit;
    psh_wire_header_encode(&h, *frame);
    if (body_len)
        memcpy(*frame + PSH_WIRE_HEADER_SIZE, body, body_len);
    if (auth_len)
        memcpy(*frame + PSH_WIRE_HEADER_SIZE + body_len, auth, auth_len);
    rc = 0;
exit:
    psh_cf_pb_free(m);
    free(body);
    return rc;
}

typedef struct reply {
    psh_wire_header hdr;
    json_t *fields; /* decoded Result, or NULL */
    int decode_failed;
} reply;

/* Sends one symbolic request; decodes the reply body with the Result type of the opcode the
 * reply header names. */
static int exchange(psh_cf_target *t, json_t *req, int provider, reply *r, char *err,
                    size_t err_size)
{
    uint8_t *frame = NULL, *resp = NULL;
    size_t flen = 0, rlen = 0;
    const psh_cf_op *o;
    memset(r, 0, sizeof *r);
    if (psh_cf_build_request(req, provider, &frame, &flen, err, err_size) != 0)
        return -1;
    if (psh_cf_target_transact(t, frame, flen, &resp, &rlen, err, err_size) != 0) {
        free(frame);
        return -1;
    }
    free(frame);
    if (psh_wire_header_decode(resp, rlen, &r->hdr) != 0 || r->hdr.magic != PSH_WIRE_MAGIC ||
        r->hdr.body_len != rlen - PSH_WIRE_HEADER_SIZE) {
        seterr(err, err_size, "malformed response frame (%zu bytes)", rlen);
        free(resp);
        return -1;
    }
    o = psh_cf_op_by_code(r->hdr.opcode);
    if (o != NULL && r->hdr.status == 0) {
        ProtobufCMessage *m = protobuf_c_message_unpack(o->result_desc, NULL, r->hdr.body_len,
                                                        resp + PSH_WIRE_HEADER_SIZE);
        if (m != NULL) {
            r->fields = psh_cf_pb_to_json(m);
            protobuf_c_message_free_unpacked(m, NULL);
        } else {
            r->decode_failed = 1;
        }
    }
    free(resp);
    return 0;
}

/* ---- discovery -------------------------------------------------------------------------------- */

static json_t *simple_req(const char *op, const char *auth, json_t *body)
{
    json_t *r = json_pack("{s:s, s:s}", "op", op, "auth", auth ? auth : "none");
    if (body != NULL)
        json_object_set(r, "body", body);
    return r;
}

/* The target's capabilities, asked once and cached: providers, authenticator ids, opcodes. */
static json_t *caps(psh_cf_target *t)
{
    reply r;
    char err[PSH_CF_ERR];
    json_t *req, *ids;
    size_t i;
    json_t *x;
    if (t->caps != NULL)
        return t->caps;
    t->caps = json_object();
    ids = json_array();
    req = simple_req("ListProviders", NULL, NULL);
    if (exchange(t, req, 0, &r, err, sizeof err) == 0 && r.fields != NULL) {
        json_array_foreach(json_object_get(r.fields, "providers"), i, x)
            if (json_integer_value(json_object_get(x, "id")) != 0)
                json_array_append(ids, json_object_get(x, "id"));
    }
    json_decref(r.fields);
    json_decref(req);
    json_object_set_new(t->caps, "providers", ids);
    ids = json_array();
    req = simple_req("ListAuthenticators", NULL, NULL);
    if (exchange(t, req, 0, &r, err, sizeof err) == 0 && r.fields != NULL) {
        json_array_foreach(json_object_get(r.fields, "authenticators"), i, x)
            json_array_append(ids, json_object_get(x, "id"));
    }
    json_decref(r.fields);
    json_decref(req);
    json_object_set_new(t->caps, "authenticators", ids);
    return t->caps;
}

static json_t *opcodes_of(psh_cf_target *t, int provider)
{
    char key[32], err[PSH_CF_ERR];
    json_t *c = caps(t), *ops, *req, *body;
    reply r;
    snprintf(key, sizeof key, "opcodes:%d", provider);
    if ((ops = json_object_get(c, key)) != NULL)
        return ops;
    body = json_pack("{s:i}", "provider_id", provider);
    req = simple_req("ListOpcodes", NULL, body);
    json_decref(body);
    ops = json_array();
    if (exchange(t, req, 0, &r, err, sizeof err) == 0 && r.fields != NULL) {
        json_t *list = json_object_get(r.fields, "opcodes");
        if (json_is_array(list))
            json_array_extend(ops, list);
    }
    json_decref(r.fields);
    json_decref(req);
    json_object_set_new(c, key, ops);
    return ops;
}

static int json_int_in(json_t *arr, json_int_t v)
{
    size_t i;
    json_t *x;
    json_array_foreach(arr, i, x)
        if (json_integer_value(x) == v)
            return 1;
    return 0;
}

/* Returns 0 when the target can run the case, else 1 with the skip reason. */
static int check_needs(psh_cf_target *t, json_t *root, int provider, json_t *vars, char *why,
                       size_t why_size)
{
    json_t *needs = json_object_get(root, "needs"), *steps = json_object_get(root, "steps"), *x;
    const char *sauth = json_string_value(json_object_get(root, "auth"));
    const char *authn = json_string_value(json_object_get(needs, "authenticator"));
    json_t *ops = json_object_get(needs, "opcodes");
    size_t i;
    int need_direct = sauth && strncmp(sauth, "direct:", 7) == 0;
    json_array_foreach(steps, i, x) {
        const char *a = json_string_value(json_object_get(x, "auth"));
        if (a && strncmp(a, "direct:", 7) == 0)
            need_direct = 1;
    }
    if (authn == NULL && need_direct)
        authn = "Direct";
    if (authn != NULL) {
        int id = strcmp(authn, "Direct") == 0 ? 1 : strcmp(authn, "UnixPeerCredentials") == 0 ? 3
                 : strcmp(authn, "JwtSvid") == 0 ? 4 : -1;
        if (!json_int_in(json_object_get(caps(t), "authenticators"), id)) {
            seterr(why, why_size, "target has no %s authenticator", authn);
            return 1;
        }
    }
    if (provider > 0) {
        json_t *served = opcodes_of(t, provider);
        if (ops == NULL) { /* derive: every crypto op a step expects to succeed */
            json_array_foreach(steps, i, x) {
                const psh_cf_op *o = psh_cf_op_by_name(json_string_value(json_object_get(x, "op")));
                json_t *e = json_object_get(json_object_get(x, "expect"), "status");
                if (o == NULL || o->core || json_object_get(x, "provider") != NULL)
                    continue;
                if (e != NULL && !(json_is_string(e) && strcmp(json_string_value(e), "Success") == 0))
                    continue;
                if (!json_int_in(served, o->opcode)) {
                    seterr(why, why_size, "provider %s does not serve %s",
                           psh_cf_provider_short_name(provider), o->name);
                    return 1;
                }
            }
        } else {
            json_array_foreach(ops, i, x) {
                const psh_cf_op *o = psh_cf_op_by_name(json_string_value(x));
                if (o != NULL && !json_int_in(served, o->opcode)) {
                    seterr(why, why_size, "provider %s does not serve %s",
                           psh_cf_provider_short_name(provider), o->name);
                    return 1;
                }
            }
        }
    }
    json_array_foreach(json_object_get(needs, "can_do"), i, x) {
        char err[PSH_CF_ERR];
        reply r;
        json_t *body = psh_cf_subst(x, vars, err, sizeof err), *req;
        if (body == NULL) {
            seterr(why, why_size, "needs.can_do: %s", err);
            return 1;
        }
        req = simple_req("CanDoCrypto", sauth ? sauth : "direct:conform-probe", body);
        json_decref(body);
        if (exchange(t, req, provider, &r, err, sizeof err) != 0) {
            json_decref(req);
            seterr(why, why_size, "CanDoCrypto failed: %s", err);
            return 1;
        }
        json_decref(req);
        json_decref(r.fields);
        if (r.hdr.status != 0) {
            char *what = json_dumps(json_object_get(x, "attributes"), JSON_COMPACT);
            seterr(why, why_size, "CanDoCrypto %s says %s for %.120s",
                   json_string_value(json_object_get(x, "check_type")),
                   psh_status_name(r.hdr.status), what ? what : "?");
            free(what);
            return 1;
        }
    }
    return 0;
}

/* ---- steps ------------------------------------------------------------------------------------ */

typedef struct step_failure {
    char reason[1024];
    char expected[1024];
    char actual[1024];
} step_failure;

static int status_expected(json_t *want, int got)
{
    psh_status s;
    size_t i;
    json_t *x;
    if (want == NULL)
        return got == 0;
    if (json_is_string(want))
        return psh_status_from_name(json_string_value(want), &s) == 0 && (int)s == got;
    json_array_foreach(want, i, x)
        if (status_expected(x, got))
            return 1;
    return 0;
}

static const char *status_text(int st)
{
    const char *n = psh_status_name(st);
    return n ? n : "(unknown status)";
}

static int header_check(json_t *hx, const psh_wire_header *h, step_failure *f)
{
    const char *k;
    json_t *v;
    json_object_foreach(hx, k, v) {
        long long want, got;
        if (strcmp(k, "opcode") == 0) {
            const psh_cf_op *o = json_is_string(v) ? psh_cf_op_by_name(json_string_value(v)) : NULL;
            want = o ? (long long)o->opcode : (long long)json_integer_value(v);
            got = h->opcode;
        } else if (strcmp(k, "provider") == 0) {
            want = json_is_string(v) ? psh_cf_provider_from_name(json_string_value(v))
                                     : (long long)json_integer_value(v);
            got = h->provider;
        } else if (strcmp(k, "session") == 0) {
            want = json_integer_value(v);
            got = (long long)h->session;
        } else if (strcmp(k, "content_type") == 0) {
            want = json_integer_value(v);
            got = h->content_type;
        } else if (strcmp(k, "auth_type") == 0) {
            want = json_integer_value(v);
            got = h->auth_type;
        } else {
            want = json_integer_value(v);
            got = h->body_len;
        }
        if (want != got) {
            snprintf(f->reason, sizeof f->reason, "response header %s differs", k);
            snprintf(f->expected, sizeof f->expected, "header.%s = %lld", k, want);
            snprintf(f->actual, sizeof f->actual, "header.%s = %lld", k, got);
            return 1;
        }
    }
    return 0;
}

static int run_check(json_t *st, step_failure *f)
{
    uint8_t *pub = NULL, *sig = NULL, *in = NULL;
    size_t pl = 0, sl = 0, il = 0;
    char err[PSH_CF_ERR] = "";
    json_t *msg = json_object_get(st, "message");
    json_t *want = json_object_get(json_object_get(st, "expect"), "status");
    psh_status got = PSH_ERR_PSA_INVALID_ARGUMENT;
    int rc = 1;
    if (psh_cf_json_bytes(json_object_get(st, "public_key"), &pub, &pl, err, sizeof err) != 0 ||
        psh_cf_json_bytes(json_object_get(st, "signature"), &sig, &sl, err, sizeof err) != 0 ||
        psh_cf_json_bytes(msg ? msg : json_object_get(st, "hash"), &in, &il, err, sizeof err) != 0) {
        snprintf(f->reason, sizeof f->reason, "verify_signature inputs: %s", err);
        goto exit;
    }
    got = psh_cf_verify_signature(json_object_get(st, "alg"), pub, pl, in, il, msg != NULL, sig, sl,
                                  err, sizeof err);
    if (status_expected(want, (int)got)) {
        rc = 0;
        goto exit;
    }
    snprintf(f->reason, sizeof f->reason, "local signature check: %s", err[0] ? err : status_text((int)got));
    snprintf(f->expected, sizeof f->expected, "verification %s",
             want ? json_string_value(want) : "Success");
    snprintf(f->actual, sizeof f->actual, "verification %s", status_text((int)got));
exit:
    free(pub);
    free(sig);
    free(in);
    return rc;
}

/* Runs one step (already substituted). 0 = pass. */
static int run_step(psh_cf_target *t, json_t *st, int provider, json_t *vars, step_failure *f)
{
    json_t *expect = json_object_get(st, "expect"), *want = json_object_get(expect, "status");
    json_t *fields = json_object_get(expect, "fields"), *x;
    char err[PSH_CF_ERR] = "";
    reply r;
    const char *k;
    if (json_object_get(st, "check") != NULL)
        return run_check(st, f);
    if (exchange(t, st, provider, &r, err, sizeof err) != 0) {
        snprintf(f->reason, sizeof f->reason, "%s", err);
        snprintf(f->expected, sizeof f->expected, "a response");
        snprintf(f->actual, sizeof f->actual, "%s", err);
        return 1;
    }
    if (!status_expected(want, r.hdr.status)) {
        char *w = want && !json_is_string(want) ? json_dumps(want, JSON_COMPACT) : NULL;
        snprintf(f->reason, sizeof f->reason, "wrong status");
        snprintf(f->expected, sizeof f->expected, "status %s",
                 w ? w : want ? json_string_value(want) : "Success");
        snprintf(f->actual, sizeof f->actual, "status %s (%d)", status_text(r.hdr.status),
                 r.hdr.status);
        free(w);
        json_decref(r.fields);
        return 1;
    }
    if (json_object_get(expect, "header") != NULL &&
        header_check(json_object_get(expect, "header"), &r.hdr, f) != 0) {
        json_decref(r.fields);
        return 1;
    }
    if (r.hdr.status != 0)
        fields = NULL; /* an error reply has no Result: fields describe the success case */
    if (fields != NULL && r.decode_failed) {
        snprintf(f->reason, sizeof f->reason, "response body does not decode as the Result");
        snprintf(f->expected, sizeof f->expected, "a valid Result body");
        snprintf(f->actual, sizeof f->actual, "%u undecodable bytes", r.hdr.body_len);
        return 1;
    }
    json_object_foreach(fields, k, x) {
        if (psh_cf_match(x, r.fields ? psh_cf_path(r.fields, k) : NULL, vars, err, sizeof err) != 0) {
            char *m = json_dumps(x, JSON_ENCODE_ANY | JSON_COMPACT);
            char *a = r.fields ? json_dumps(r.fields, JSON_COMPACT) : NULL;
            snprintf(f->reason, sizeof f->reason, "field %s: %s", k, err);
            snprintf(f->expected, sizeof f->expected, "%s: %s", k, m ? m : "?");
            snprintf(f->actual, sizeof f->actual, "%s", a ? a : "(no body)");
            free(m);
            free(a);
            json_decref(r.fields);
            return 1;
        }
    }
    json_decref(r.fields);
    return 0;
}

static char *xstrdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

void psh_cf_results_add(psh_cf_results *out, const char *session, const char *target,
                       psh_cf_outcome o, const char *step, int idx, const char *reason,
                       const char *expected, const char *actual, unsigned steps, double secs)
{
    psh_cf_result *r;
    if (out->n == out->cap) {
        size_t cap = out->cap ? 2 * out->cap : 64;
        psh_cf_result *v = realloc(out->v, cap * sizeof *v);
        if (v == NULL)
            return;
        out->v = v;
        out->cap = cap;
    }
    r = &out->v[out->n++];
    memset(r, 0, sizeof *r);
    r->session = xstrdup(session);
    r->target = xstrdup(target);
    r->outcome = o;
    r->step = xstrdup(step);
    r->step_index = idx;
    r->reason = xstrdup(reason);
    r->expected = xstrdup(expected && *expected ? expected : NULL);
    r->actual = xstrdup(actual && *actual ? actual : NULL);
    r->steps_run = steps;
    r->seconds = secs;
}

void psh_cf_results_free(psh_cf_results *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->v[i].session);
        free(r->v[i].target);
        free(r->v[i].step);
        free(r->v[i].reason);
        free(r->v[i].expected);
        free(r->v[i].actual);
    }
    free(r->v);
    memset(r, 0, sizeof *r);
}

static void step_name(json_t *st, size_t i, char *buf, size_t n)
{
    const char *nm = json_string_value(json_object_get(st, "name"));
    const char *op = json_string_value(json_object_get(st, "op"));
    if (nm != NULL)
        snprintf(buf, n, "%s", nm);
    else
        snprintf(buf, n, "step %zu %s", i + 1, op ? op : json_object_get(st, "raw") ? "raw" : "check");
}

static void run_case(psh_cf_target *t, const psh_cf_session *s, int provider, const char *label,
                     psh_cf_results *out)
{
    static unsigned long counter;
    json_t *root = s->root, *vars = json_object(), *x;
    json_t *steps = json_object_get(root, "steps");
    const char *sauth = json_string_value(json_object_get(root, "auth"));
    char run[48], why[512] = "", name[256];
    step_failure f;
    double t0 = now();
    unsigned done = 0;
    size_t i;
    const char *k;
    snprintf(run, sizeof run, "%lx%lx%lx", (unsigned long)getpid() & 0xfffff,
             (unsigned long)time(NULL) & 0xffff, ++counter);
    json_object_set_new(vars, "run", json_string(run));
    json_object_set_new(vars, "provider", json_integer(provider));
    json_object_set_new(vars, "provider_name", json_string(psh_cf_provider_short_name(provider)));
    json_object_foreach(json_object_get(root, "vars"), k, x) {
        json_t *v = psh_cf_subst(x, vars, why, sizeof why);
        if (v == NULL) {
            psh_cf_results_add(out, label, t->spec, PSH_CF_FAIL, NULL, 0, why, NULL, NULL, 0, now() - t0);
            json_decref(vars);
            return;
        }
        json_object_set_new(vars, k, v);
    }
    if (check_needs(t, root, provider, vars, why, sizeof why) != 0) {
        psh_cf_results_add(out, label, t->spec, PSH_CF_SKIP, NULL, 0, why, NULL, NULL, 0, now() - t0);
        json_decref(vars);
        return;
    }
    memset(&f, 0, sizeof f);
    json_array_foreach(steps, i, x) {
        json_t *st;
        step_name(x, i, name, sizeof name);
        if (json_object_get(x, "auth") == NULL && sauth != NULL) {
            json_t *c = json_copy(x);
            json_object_set_new(c, "auth", json_string(sauth));
            st = psh_cf_subst(c, vars, f.reason, sizeof f.reason);
            json_decref(c);
        } else {
            st = psh_cf_subst(x, vars, f.reason, sizeof f.reason);
        }
        done++;
        if (st == NULL || run_step(t, st, provider, vars, &f) != 0) {
            json_decref(st);
            psh_cf_results_add(out, label, t->spec, PSH_CF_FAIL, name, (int)i + 1, f.reason, f.expected,
                       f.actual, done, now() - t0);
            goto cleanup;
        }
        json_decref(st);
    }
    psh_cf_results_add(out, label, t->spec, PSH_CF_PASS, NULL, 0, NULL, NULL, NULL, done, now() - t0);
cleanup:
    json_array_foreach(json_object_get(root, "cleanup"), i, x) {
        json_t *c = json_copy(x), *st;
        step_failure ignored;
        if (json_object_get(c, "auth") == NULL && sauth != NULL)
            json_object_set_new(c, "auth", json_string(sauth));
        st = psh_cf_subst(c, vars, ignored.reason, sizeof ignored.reason);
        json_decref(c);
        if (st != NULL)
            run_step(t, st, provider, vars, &ignored); /* best effort: keys may already be gone */
        json_decref(st);
    }
    json_decref(vars);
}

void psh_cf_run_session(psh_cf_target *t, const psh_cf_session *s, psh_cf_results *out)
{
    json_t *pv = json_object_get(s->root, "provider");
    const char *kind = json_string_value(json_object_get(s->root, "kind"));
    char label[300];
    if (kind != NULL && strcmp(kind, "tpm") == 0) {
        psh_cf_results_add(out, s->name, t->spec, PSH_CF_SKIP, NULL, 0,
                   "backend TPM session: replay with psh-conform replay-tpm", NULL, NULL, 0, 0);
        return;
    }
    if (t->unavailable[0] != '\0') {
        psh_cf_results_add(out, s->name, t->spec, PSH_CF_SKIP, NULL, 0, t->unavailable, NULL, NULL, 0, 0);
        return;
    }
    if (pv == NULL || (json_is_string(pv) && strcmp(json_string_value(pv), "each") == 0)) {
        json_t *ids = json_object_get(caps(t), "providers"), *x;
        size_t i;
        if (json_array_size(ids) == 0)
            psh_cf_results_add(out, s->name, t->spec, PSH_CF_SKIP, NULL, 0,
                       "target lists no crypto provider", NULL, NULL, 0, 0);
        json_array_foreach(ids, i, x) {
            int id = (int)json_integer_value(x);
            snprintf(label, sizeof label, "%s[%s]", s->name, psh_cf_provider_short_name(id));
            run_case(t, s, id, label, out);
        }
        return;
    }
    {
        int id = json_is_integer(pv) ? (int)json_integer_value(pv)
                                     : psh_cf_provider_from_name(json_string_value(pv));
        if (id > 0 && !json_int_in(json_object_get(caps(t), "providers"), id)) {
            snprintf(label, sizeof label, "target has no %s provider", psh_cf_provider_short_name(id));
            psh_cf_results_add(out, s->name, t->spec, PSH_CF_SKIP, NULL, 0, label, NULL, NULL, 0, 0);
            return;
        }
        run_case(t, s, id < 0 ? 0 : id, s->name, out);
    }
}
