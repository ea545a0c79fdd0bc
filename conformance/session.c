/* Session files: JSON parsed by jansson, then validated here so that a bad file is refused
 * with a one-line reason before anything is sent. Bounded: file size, nesting depth, step,
 * array and string counts (conform.h), and a body without variables is encoded once to
 * catch unknown fields early. Fuzzed by fuzz/fuzz_session_file.c. */
#include "conform.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "psh/status.h"

static int seterr(char *err, size_t n, const char *fmt, ...)
{
    va_list ap;
    if (err != NULL && n > 0) {
        va_start(ap, fmt);
        vsnprintf(err, n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int depth_ok(json_t *v, int depth)
{
    const char *k;
    json_t *x;
    size_t i;
    if (depth > PSH_CF_MAX_DEPTH)
        return 0;
    if (json_is_object(v)) {
        json_object_foreach(v, k, x)
            if (!depth_ok(x, depth + 1))
                return 0;
    } else if (json_is_array(v)) {
        if (json_array_size(v) > 4 * PSH_CF_MAX_STEPS)
            return 0;
        json_array_foreach(v, i, x)
            if (!depth_ok(x, depth + 1))
                return 0;
    }
    return 1;
}

static int only_keys(json_t *o, const char *const *allowed, const char *where, char *err,
                     size_t n)
{
    const char *k;
    json_t *x;
    json_object_foreach(o, k, x) {
        int ok = 0;
        for (size_t i = 0; allowed[i] != NULL && !ok; i++)
            ok = strcmp(allowed[i], k) == 0;
        if (!ok)
            return seterr(err, n, "%s: unknown key \"%s\"", where, k);
    }
    return 0;
}

static int has_var(json_t *v)
{
    const char *k;
    json_t *x;
    size_t i;
    if (json_is_string(v))
        return strstr(json_string_value(v), "${") != NULL;
    if (json_is_object(v)) {
        json_object_foreach(v, k, x)
            if (has_var(x))
                return 1;
    }
    if (json_is_array(v)) {
        json_array_foreach(v, i, x)
            if (has_var(x))
                return 1;
    }
    return 0;
}

static int check_status(json_t *st, const char *where, char *err, size_t n)
{
    psh_status s;
    size_t i;
    json_t *x;
    if (json_is_string(st))
        return psh_status_from_name(json_string_value(st), &s) == 0
                   ? 0
                   : seterr(err, n, "%s: unknown status \"%s\"", where, json_string_value(st));
    if (json_is_array(st) && json_array_size(st) > 0) {
        json_array_foreach(st, i, x)
            if (check_status(x, where, err, n) != 0)
                return -1;
        return 0;
    }
    return seterr(err, n, "%s: status must be a name or a list of names", where);
}

static const char *const matcher_keys[] = {
    "equals", "not_equals", "any", "absent", "length", "min_length", "max_length", "regex",
    "capture", "not_all_equal", "contains", "excludes", "set", "fields", NULL};

static int check_matcher(json_t *m, const char *where, char *err, size_t n)
{
    json_t *c;
    if (!json_is_object(m))
        return 0;
    if (only_keys(m, matcher_keys, where, err, n) != 0)
        return -1;
    c = json_object_get(m, "capture");
    if (c != NULL && (!json_is_string(c) || json_string_length(c) == 0 ||
                      json_string_length(c) > 60))
        return seterr(err, n, "%s: capture needs a variable name", where);
    if (json_object_get(m, "regex") && !json_is_string(json_object_get(m, "regex")))
        return seterr(err, n, "%s: regex must be a string", where);
    if (json_object_get(m, "set") && !json_is_array(json_object_get(m, "set")))
        return seterr(err, n, "%s: set must be an array", where);
    if ((json_object_get(m, "fields") && !json_is_object(json_object_get(m, "fields"))))
        return seterr(err, n, "%s: fields must be an object", where);
    for (const char *const *k = (const char *const[]){"length", "min_length", "max_length", NULL};
         *k != NULL; k++)
        if (json_object_get(m, *k) && !json_is_integer(json_object_get(m, *k)))
            return seterr(err, n, "%s: %s must be an integer", where, *k);
    if (json_object_get(m, "fields")) {
        const char *k;
        json_t *x;
        json_object_foreach(json_object_get(m, "fields"), k, x)
            if (check_matcher(x, where, err, n) != 0)
                return -1;
    }
    return 0;
}

static int check_expect(json_t *e, const char *where, char *err, size_t n)
{
    static const char *const keys[] = {"status", "header", "fields", "body_len", NULL};
    static const char *const hdr_keys[] = {"opcode", "provider", "session", "content_type",
                                           "body_len", "auth_type", NULL};
    json_t *x;
    if (!json_is_object(e))
        return seterr(err, n, "%s: expect must be an object", where);
    if (only_keys(e, keys, where, err, n) != 0)
        return -1;
    if ((x = json_object_get(e, "status")) != NULL && check_status(x, where, err, n) != 0)
        return -1;
    if ((x = json_object_get(e, "header")) != NULL &&
        (!json_is_object(x) || only_keys(x, hdr_keys, where, err, n) != 0))
        return err && err[0] ? -1 : seterr(err, n, "%s: header must be an object", where);
    if ((x = json_object_get(e, "fields")) != NULL) {
        const char *k;
        json_t *m;
        if (!json_is_object(x))
            return seterr(err, n, "%s: fields must be an object", where);
        json_object_foreach(x, k, m)
            if (check_matcher(m, where, err, n) != 0)
                return -1;
    }
    return 0;
}

static int check_step(json_t *st, size_t idx, char *err, size_t n)
{
    static const char *const keys[] = {"name", "op", "raw", "check", "provider", "auth",
                                       "session", "body", "expect", "public_key", "alg", "hash",
                                       "message", "signature", "note", NULL};
    char where[160];
    json_t *name = json_object_get(st, "name"), *op, *x;
    int kinds;
    if (!json_is_object(st))
        return seterr(err, n, "step %zu: not an object", idx + 1);
    snprintf(where, sizeof where, "step %zu (%.100s)", idx + 1,
             json_is_string(name) ? json_string_value(name) : "unnamed");
    if (only_keys(st, keys, where, err, n) != 0)
        return -1;
    if (name != NULL && (!json_is_string(name) || json_string_length(name) > 200))
        return seterr(err, n, "%s: name must be a short string", where);
    op = json_object_get(st, "op");
    kinds = (op != NULL) + (json_object_get(st, "raw") != NULL) +
            (json_object_get(st, "check") != NULL);
    if (kinds != 1)
        return seterr(err, n, "%s: exactly one of op, raw, check", where);
    if ((x = json_object_get(st, "expect")) != NULL && check_expect(x, where, err, n) != 0)
        return -1;
    if ((x = json_object_get(st, "auth")) != NULL && !json_is_string(x))
        return seterr(err, n, "%s: auth must be a string", where);
    if ((x = json_object_get(st, "provider")) != NULL && !json_is_string(x) && !json_is_integer(x))
        return seterr(err, n, "%s: provider must be a name or a number", where);
    if ((x = json_object_get(st, "session")) != NULL && !json_is_integer(x))
        return seterr(err, n, "%s: session must be an integer", where);
    if (op != NULL) {
        const psh_cf_op *o = json_is_string(op) ? psh_cf_op_by_name(json_string_value(op)) : NULL;
        json_t *body = json_object_get(st, "body");
        if (o == NULL && !json_is_integer(op))
            return seterr(err, n, "%s: unknown opcode", where);
        if (body != NULL && !json_is_object(body))
            return seterr(err, n, "%s: body must be an object", where);
        if (o != NULL && body != NULL && !has_var(body)) {
            ProtobufCMessage *m = NULL;
            char sub[PSH_CF_ERR];
            if (psh_cf_json_to_pb(o->op_desc, body, &m, sub, sizeof sub) != 0)
                return seterr(err, n, "%s: body: %s", where, sub);
            psh_cf_pb_free(m);
        }
    } else if ((x = json_object_get(st, "raw")) != NULL) {
        uint8_t *b = NULL;
        size_t bl = 0;
        if (!json_is_string(x) || (!has_var(x) && psh_cf_unhex(json_string_value(x), &b, &bl) != 0))
            return seterr(err, n, "%s: raw must be a hex string", where);
        free(b);
    } else {
        x = json_object_get(st, "check");
        if (!json_is_string(x) || strcmp(json_string_value(x), "verify_signature") != 0)
            return seterr(err, n, "%s: unknown check (known: verify_signature)", where);
        if (!json_object_get(st, "public_key") || !json_object_get(st, "signature") ||
            !json_is_object(json_object_get(st, "alg")) ||
            (json_object_get(st, "hash") == NULL) == (json_object_get(st, "message") == NULL))
            return seterr(err, n, "%s: verify_signature needs public_key, alg, signature and "
                                  "one of hash/message", where);
    }
    return 0;
}

static int check_steps(json_t *steps, const char *what, int required, char *err, size_t n)
{
    size_t i;
    json_t *st;
    if (steps == NULL && !required)
        return 0;
    if (!json_is_array(steps) || (required && json_array_size(steps) == 0) ||
        json_array_size(steps) > PSH_CF_MAX_STEPS)
        return seterr(err, n, "%s must be an array of 1..%u steps", what, PSH_CF_MAX_STEPS);
    json_array_foreach(steps, i, st)
        if (check_step(st, i, err, n) != 0)
            return -1;
    return 0;
}

static int check_tpm(json_t *root, char *err, size_t n)
{
    size_t i;
    json_t *st, *steps = json_object_get(root, "steps");
    if (!json_is_array(steps) || json_array_size(steps) == 0 ||
        json_array_size(steps) > 64 * PSH_CF_MAX_STEPS)
        return seterr(err, n, "a tpm session needs a steps array");
    json_array_foreach(steps, i, st) {
        if (!json_is_string(json_object_get(st, "command")) ||
            !json_is_string(json_object_get(st, "response")))
            return seterr(err, n, "tpm step %zu: needs command and response hex strings", i + 1);
    }
    return 0;
}

static int check_p11(json_t *root, char *err, size_t n)
{
    size_t i;
    json_t *st, *steps = json_object_get(root, "steps");
    if (!json_is_array(steps) || json_array_size(steps) == 0 ||
        json_array_size(steps) > 64 * PSH_CF_MAX_STEPS)
        return seterr(err, n, "a pkcs11 session needs a steps array");
    json_array_foreach(steps, i, st) {
        const char *fn = json_string_value(json_object_get(st, "fn"));
        if (fn == NULL || strncmp(fn, "C_", 2) != 0 || !json_is_integer(json_object_get(st, "rv")))
            return seterr(err, n, "pkcs11 step %zu: needs fn (C_...) and rv", i + 1);
    }
    return 0;
}

static int validate(json_t *root, char *err, size_t n)
{
    static const char *const keys[] = {"name", "description", "kind", "provider", "auth", "needs",
                                       "vars", "steps", "cleanup", "tcti", NULL};
    static const char *const need_keys[] = {"authenticator", "opcodes", "can_do", NULL};
    json_t *name = json_object_get(root, "name"), *x, *kind = json_object_get(root, "kind");
    if (!json_is_object(root))
        return seterr(err, n, "a session is a JSON object");
    if (kind != NULL && json_is_string(kind) && strcmp(json_string_value(kind), "tpm") == 0)
        return check_tpm(root, err, n); /* the recording TCTI writes no name: the file names it */
    if (kind != NULL && json_is_string(kind) && strcmp(json_string_value(kind), "pkcs11") == 0)
        return check_p11(root, err, n);
    if (!depth_ok(root, 0))
        return seterr(err, n, "nesting deeper than %d or arrays too long", PSH_CF_MAX_DEPTH);
    if (!json_is_string(name) || json_string_length(name) == 0 || json_string_length(name) > 128)
        return seterr(err, n, "\"name\" must be a string of 1..128 characters");
    if (kind != NULL && (!json_is_string(kind) || strcmp(json_string_value(kind), "parsec") != 0))
        return seterr(err, n, "kind must be \"parsec\", \"tpm\" or \"pkcs11\"");
    if (only_keys(root, keys, "session", err, n) != 0)
        return -1;
    if ((x = json_object_get(root, "provider")) != NULL && !json_is_string(x) &&
        !json_is_integer(x))
        return seterr(err, n, "provider must be a name, a number or \"each\"");
    if ((x = json_object_get(root, "auth")) != NULL && !json_is_string(x))
        return seterr(err, n, "auth must be a string");
    if ((x = json_object_get(root, "vars")) != NULL &&
        (!json_is_object(x) || json_object_size(x) > PSH_CF_MAX_VARS))
        return seterr(err, n, "vars must be an object of at most %u", PSH_CF_MAX_VARS);
    if ((x = json_object_get(root, "needs")) != NULL) {
        json_t *ops = json_object_get(x, "opcodes"), *cd = json_object_get(x, "can_do"), *o;
        size_t i;
        if (!json_is_object(x) || only_keys(x, need_keys, "needs", err, n) != 0)
            return err && err[0] ? -1 : seterr(err, n, "needs must be an object");
        if (ops != NULL) {
            if (!json_is_array(ops))
                return seterr(err, n, "needs.opcodes must be an array");
            json_array_foreach(ops, i, o)
                if (psh_cf_op_by_name(json_string_value(o)) == NULL)
                    return seterr(err, n, "needs.opcodes: unknown opcode");
        }
        if (cd != NULL) {
            if (!json_is_array(cd) || json_array_size(cd) > 32)
                return seterr(err, n, "needs.can_do must be an array");
            json_array_foreach(cd, i, o) {
                ProtobufCMessage *m = NULL;
                char sub[PSH_CF_ERR];
                if (psh_cf_json_to_pb(psh_cf_op_by_name("CanDoCrypto")->op_desc, o, &m, sub,
                                      sizeof sub) != 0)
                    return seterr(err, n, "needs.can_do[%zu]: %s", i, sub);
                psh_cf_pb_free(m);
            }
        }
    }
    if (check_steps(json_object_get(root, "steps"), "steps", 1, err, n) != 0)
        return -1;
    return check_steps(json_object_get(root, "cleanup"), "cleanup", 0, err, n);
}

int psh_cf_session_parse(const uint8_t *data, size_t len, const char *path, psh_cf_session **out,
                         char *err, size_t err_size)
{
    json_error_t je;
    json_t *root;
    psh_cf_session *s;
    *out = NULL;
    if (err_size > 0)
        err[0] = '\0';
    if (len > PSH_CF_MAX_FILE)
        return seterr(err, err_size, "session larger than %u bytes", PSH_CF_MAX_FILE);
    root = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL)
        return seterr(err, err_size, "line %d: %s", je.line, je.text);
    if (validate(root, err, err_size) != 0) {
        json_decref(root);
        return -1;
    }
    s = calloc(1, sizeof *s);
    if (s == NULL) {
        json_decref(root);
        return seterr(err, err_size, "out of memory");
    }
    s->root = root;
    s->name = strdup(json_is_string(json_object_get(root, "name"))
                         ? json_string_value(json_object_get(root, "name"))
                         : path ? path : "tpm");
    s->path = strdup(path ? path : "(memory)");
    if (s->name == NULL || s->path == NULL) {
        psh_cf_session_free(s);
        return seterr(err, err_size, "out of memory");
    }
    *out = s;
    return 0;
}

int psh_cf_session_load(const char *path, psh_cf_session **out, char *err, size_t err_size)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    size_t n;
    int rc;
    *out = NULL;
    if (f == NULL)
        return seterr(err, err_size, "cannot open %s", path);
    buf = malloc(PSH_CF_MAX_FILE + 1);
    if (buf == NULL) {
        fclose(f);
        return seterr(err, err_size, "out of memory");
    }
    n = fread(buf, 1, PSH_CF_MAX_FILE + 1, f);
    fclose(f);
    rc = psh_cf_session_parse(buf, n, path, out, err, err_size);
    free(buf);
    return rc;
}

void psh_cf_session_free(psh_cf_session *s)
{
    if (s == NULL)
        return;
    json_decref(s->root);
    free(s->name);
    free(s->path);
    free(s);
}
