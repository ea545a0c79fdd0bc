/* Variables, matchers and the checks that need crypto. A response is compared as JSON (bytes
 * as hex); nondeterministic outputs get structural matchers (length, capture, not_all_equal,
 * signature verification), never a byte-for-byte comparison. */
#include "conform.h"

#include <ctype.h>
#include <psa/crypto.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/psa_lock.h"

static void seterr(char *err, size_t n, const char *fmt, ...)
{
    va_list ap;
    if (err == NULL || n == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, n, fmt, ap);
    va_end(ap);
}

/* ---- ${var} substitution ---------------------------------------------------------------------- */

/* Length of a "${name}" reference at s (0 if s does not start one). */
static size_t var_ref(const char *s, char *name, size_t name_size)
{
    size_t i = 2;
    if (s[0] != '$' || s[1] != '{')
        return 0;
    while (s[i] != '\0' && s[i] != '}' && i - 2 + 1 < name_size) {
        char c = s[i];
        if (!isalnum((unsigned char)c) && c != '_' && c != '-' && c != '.')
            return 0;
        name[i - 2] = c;
        i++;
    }
    if (s[i] != '}' || i == 2)
        return 0;
    name[i - 2] = '\0';
    return i + 1;
}

static json_t *subst_string(const char *s, json_t *vars, char *err, size_t err_size)
{
    char name[64];
    size_t cap = strlen(s) + 64, len = 0;
    char *out;
    json_t *r;
    size_t n = var_ref(s, name, sizeof name);
    if (n > 0 && s[n] == '\0') { /* the whole string is one reference: keep the value's type */
        json_t *v = json_object_get(vars, name);
        if (v == NULL) {
            seterr(err, err_size, "unknown variable ${%s}", name);
            return NULL;
        }
        return json_deep_copy(v);
    }
    out = malloc(cap);
    if (out == NULL)
        return NULL;
    while (*s != '\0') {
        char num[32];
        const char *piece = s;
        size_t plen = 1;
        n = var_ref(s, name, sizeof name);
        if (n > 0) {
            json_t *v = json_object_get(vars, name);
            if (json_is_string(v)) {
                piece = json_string_value(v);
                plen = json_string_length(v);
            } else if (json_is_integer(v)) {
                snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
                piece = num;
                plen = strlen(num);
            } else {
                seterr(err, err_size, "variable ${%s} %s", name,
                       v ? "is not a string or number" : "is unknown");
                free(out);
                return NULL;
            }
            s += n;
        } else {
            s++;
        }
        if (len + plen + 1 > cap) {
            char *bigger;
            if (len + plen + 1 > 4u * PSH_CF_MAX_BYTES) {
                seterr(err, err_size, "substituted string too long");
                free(out);
                return NULL;
            }
            cap = 2 * (len + plen + 1);
            bigger = realloc(out, cap);
            if (bigger == NULL) {
                free(out);
                return NULL;
            }
            out = bigger;
        }
        memcpy(out + len, piece, plen);
        len += plen;
    }
    r = json_stringn(out, len);
    free(out);
    if (r == NULL)
        seterr(err, err_size, "substitution produced invalid UTF-8");
    return r;
}

json_t *psh_cf_subst(json_t *v, json_t *vars, char *err, size_t err_size)
{
    if (json_is_string(v))
        return subst_string(json_string_value(v), vars, err, err_size);
    if (json_is_object(v)) {
        json_t *o = json_object();
        const char *k;
        json_t *x;
        json_object_foreach(v, k, x) {
            json_t *c = psh_cf_subst(x, vars, err, err_size);
            if (c == NULL || json_object_set_new(o, k, c) != 0) {
                json_decref(o);
                return NULL;
            }
        }
        return o;
    }
    if (json_is_array(v)) {
        json_t *a = json_array();
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) {
            json_t *c = psh_cf_subst(x, vars, err, err_size);
            if (c == NULL || json_array_append_new(a, c) != 0) {
                json_decref(a);
                return NULL;
            }
        }
        return a;
    }
    return json_deep_copy(v);
}

/* ---- paths ------------------------------------------------------------------------------------ */

json_t *psh_cf_path(json_t *root, const char *path)
{
    json_t *cur = root;
    const char *p = path;
    while (cur != NULL && *p != '\0') {
        if (*p == '.') {
            p++;
            continue;
        }
        if (*p == '[') {
            char *end;
            unsigned long i = strtoul(p + 1, &end, 10);
            if (*end != ']')
                return NULL;
            cur = json_array_get(cur, i);
            p = end + 1;
            continue;
        }
        {
            char key[128];
            size_t n = strcspn(p, ".[");
            if (n >= sizeof key)
                return NULL;
            memcpy(key, p, n);
            key[n] = '\0';
            cur = json_object_get(cur, key);
            p += n;
        }
    }
    return cur;
}

/* ---- matchers --------------------------------------------------------------------------------- */

static int is_hex(const char *s, size_t n)
{
    if (n % 2 != 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

/* Bytes are hex strings; "length" counts bytes there, elements of arrays, characters else. */
static long long value_length(json_t *a)
{
    if (json_is_array(a))
        return (long long)json_array_size(a);
    if (json_is_object(a))
        return (long long)json_object_size(a);
    if (json_is_string(a)) {
        size_t n = json_string_length(a);
        return is_hex(json_string_value(a), n) ? (long long)(n / 2) : (long long)n;
    }
    return -1;
}

static int values_equal(json_t *want, json_t *got)
{
    if (json_is_string(want) && json_is_string(got)) {
        const char *w = json_string_value(want), *g = json_string_value(got);
        size_t wn = json_string_length(want);
        if (wn != json_string_length(got))
            return 0;
        /* hex compares without case; other text exactly */
        return is_hex(w, wn) ? strncasecmp(w, g, wn) == 0 : memcmp(w, g, wn) == 0;
    }
    if (json_is_array(want) && json_is_array(got)) {
        if (json_array_size(want) != json_array_size(got))
            return 0;
        for (size_t i = 0; i < json_array_size(want); i++)
            if (!values_equal(json_array_get(want, i), json_array_get(got, i)))
                return 0;
        return 1;
    }
    return json_equal(want, got);
}

static int array_has(json_t *arr, json_t *v)
{
    size_t i;
    json_t *x;
    json_array_foreach(arr, i, x)
        if (values_equal(v, x))
            return 1;
    return 0;
}

static char *show(json_t *v)
{
    char *s;
    if (v == NULL)
        return strdup("(absent)");
    s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    if (s != NULL && strlen(s) > 160)
        strcpy(s + 150, "...\"");
    return s ? s : strdup("?");
}

static int fail_with(char *err, size_t err_size, const char *what, json_t *want, json_t *got)
{
    char *w = show(want), *g = show(got);
    seterr(err, err_size, "%s: expected %s, got %s", what, w ? w : "?", g ? g : "?");
    free(w);
    free(g);
    return 1;
}

int psh_cf_match(json_t *m, json_t *actual, json_t *vars, char *err, size_t err_size)
{
    const char *k;
    json_t *v;
    if (!json_is_object(m)) /* a literal is an exact match */
        return values_equal(m, actual) ? 0 : fail_with(err, err_size, "value", m, actual);
    json_object_foreach(m, k, v) {
        if (strcmp(k, "equals") == 0) {
            if (!values_equal(v, actual))
                return fail_with(err, err_size, "value", v, actual);
        } else if (strcmp(k, "not_equals") == 0) {
            if (actual == NULL || values_equal(v, actual))
                return fail_with(err, err_size, "value different from", v, actual);
        } else if (strcmp(k, "any") == 0) {
            if (json_is_true(v) && actual == NULL) {
                seterr(err, err_size, "expected a value, got (absent)");
                return 1;
            }
        } else if (strcmp(k, "absent") == 0) {
            if (json_is_true(v) && actual != NULL)
                return fail_with(err, err_size, "absence", NULL, actual);
        } else if (strcmp(k, "length") == 0 || strcmp(k, "min_length") == 0 ||
                   strcmp(k, "max_length") == 0) {
            long long n = value_length(actual), want = json_integer_value(v);
            int ok = k[0] == 'l' ? n == want : k[1] == 'i' ? n >= want : (n >= 0 && n <= want);
            if (!ok) {
                seterr(err, err_size, "%s: expected %lld, got %lld", k, want, n);
                return 1;
            }
        } else if (strcmp(k, "regex") == 0) {
            regex_t re;
            int rc;
            if (!json_is_string(actual))
                return fail_with(err, err_size, "text matching a regex", v, actual);
            if (regcomp(&re, json_string_value(v), REG_EXTENDED | REG_NOSUB) != 0) {
                seterr(err, err_size, "bad regex %s", json_string_value(v));
                return 1;
            }
            rc = regexec(&re, json_string_value(actual), 0, NULL, 0);
            regfree(&re);
            if (rc != 0)
                return fail_with(err, err_size, "text matching regex", v, actual);
        } else if (strcmp(k, "capture") == 0) {
            if (actual == NULL)
                return fail_with(err, err_size, "a value to capture", v, NULL);
            if (json_object_size(vars) >= PSH_CF_MAX_VARS) {
                seterr(err, err_size, "too many variables");
                return 1;
            }
            json_object_set_new(vars, json_string_value(v), json_deep_copy(actual));
        } else if (strcmp(k, "not_all_equal") == 0) {
            const char *s = json_string_value(actual);
            size_t n = json_string_length(actual);
            int differ = 0;
            if (s == NULL || n < 4 || !is_hex(s, n))
                return fail_with(err, err_size, "at least 2 bytes", v, actual);
            for (size_t i = 2; i < n; i += 2)
                if (strncasecmp(s, s + i, 2) != 0)
                    differ = 1;
            if (!differ)
                return fail_with(err, err_size, "bytes that are not all equal", v, actual);
        } else if (strcmp(k, "contains") == 0) {
            json_t *items = json_is_array(v) ? v : NULL;
            size_t i;
            json_t *x;
            if (!json_is_array(actual))
                return fail_with(err, err_size, "an array containing", v, actual);
            if (items == NULL) {
                if (!array_has(actual, v))
                    return fail_with(err, err_size, "an array containing", v, actual);
            } else {
                json_array_foreach(items, i, x)
                    if (!array_has(actual, x))
                        return fail_with(err, err_size, "an array containing", x, actual);
            }
        } else if (strcmp(k, "excludes") == 0) {
            if (json_is_array(actual) && array_has(actual, v))
                return fail_with(err, err_size, "an array without", v, actual);
        } else if (strcmp(k, "set") == 0) {
            size_t i;
            json_t *x;
            int ok = json_is_array(actual) && json_array_size(actual) == json_array_size(v);
            json_array_foreach(v, i, x)
                ok = ok && array_has(actual, x);
            if (!ok)
                return fail_with(err, err_size, "the set", v, actual);
        } else if (strcmp(k, "fields") == 0) {
            const char *pk;
            json_t *pm;
            json_object_foreach(v, pk, pm) {
                char sub[PSH_CF_ERR];
                if (psh_cf_match(pm, psh_cf_path(actual, pk), vars, sub, sizeof sub) != 0) {
                    seterr(err, err_size, "%s: %s", pk, sub);
                    return 1;
                }
            }
        } else {
            seterr(err, err_size, "unknown matcher \"%s\"", k);
            return 1;
        }
    }
    return 0;
}

/* ---- local signature verification (Mbed TLS PSA) ---------------------------------------------- */

static psa_algorithm_t hash_alg(json_t *h)
{
    static const struct {
        const char *name;
        psa_algorithm_t alg;
    } t[] = {{"SHA_1", PSA_ALG_SHA_1},       {"SHA_224", PSA_ALG_SHA_224},
             {"SHA_256", PSA_ALG_SHA_256},   {"SHA_384", PSA_ALG_SHA_384},
             {"SHA_512", PSA_ALG_SHA_512},   {"RIPEMD160", PSA_ALG_RIPEMD160}};
    json_t *spec = json_object_get(h, "specific");
    const char *n = json_string_value(spec ? spec : h);
    for (size_t i = 0; n != NULL && i < sizeof t / sizeof t[0]; i++)
        if (strcmp(t[i].name, n) == 0)
            return t[i].alg;
    return 0;
}

/* AsymmetricSignature JSON (as in a request body) -> PSA algorithm; 0 if not handled. */
static psa_algorithm_t sig_alg(json_t *alg)
{
    json_t *x;
    psa_algorithm_t h;
    if ((x = json_object_get(alg, "ecdsa")) != NULL)
        return (h = hash_alg(json_object_get(x, "hash_alg"))) ? PSA_ALG_ECDSA(h) : 0;
    if ((x = json_object_get(alg, "deterministic_ecdsa")) != NULL)
        return (h = hash_alg(json_object_get(x, "hash_alg"))) ? PSA_ALG_DETERMINISTIC_ECDSA(h) : 0;
    if ((x = json_object_get(alg, "rsa_pkcs1v15_sign")) != NULL)
        return (h = hash_alg(json_object_get(x, "hash_alg"))) ? PSA_ALG_RSA_PKCS1V15_SIGN(h) : 0;
    if ((x = json_object_get(alg, "rsa_pss")) != NULL)
        return (h = hash_alg(json_object_get(x, "hash_alg"))) ? PSA_ALG_RSA_PSS(h) : 0;
    return 0;
}

static psh_status from_psa(psa_status_t s)
{
    return s == PSA_SUCCESS ? PSH_SUCCESS : (psh_status)(1000 - s);
}

psh_status psh_cf_verify_signature(json_t *alg, const uint8_t *pub, size_t pub_len,
                                   const uint8_t *input, size_t input_len, int is_message,
                                   const uint8_t *sig, size_t sig_len, char *err, size_t err_size)
{
    psa_key_attributes_t attr = PSA_KEY_ATTRIBUTES_INIT;
    psa_key_id_t id = 0;
    psa_algorithm_t a = sig_alg(alg);
    psa_status_t st;
    uint8_t digest[PSA_HASH_MAX_SIZE];
    size_t digest_len = 0;
    if (a == 0) {
        seterr(err, err_size, "signature algorithm not handled by the local verifier");
        return PSH_ERR_PSA_NOT_SUPPORTED;
    }
    if (pub_len == 0) {
        seterr(err, err_size, "empty public key");
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    }
    if (pub[0] == 0x04) { /* SEC1 uncompressed point: the curve size follows from its length */
        psa_set_key_type(&attr, PSA_KEY_TYPE_ECC_PUBLIC_KEY(PSA_ECC_FAMILY_SECP_R1));
        psa_set_key_bits(&attr, pub_len == 65 ? 256 : pub_len == 97 ? 384 : pub_len == 133 ? 521
                               : pub_len == 57 ? 224 : 192);
    } else {
        psa_set_key_type(&attr, PSA_KEY_TYPE_RSA_PUBLIC_KEY);
    }
    psa_set_key_usage_flags(&attr, PSA_KEY_USAGE_VERIFY_HASH);
    psa_set_key_algorithm(&attr, a);
    if (psh_psa_init() != PSH_SUCCESS) {
        seterr(err, err_size, "psa_crypto_init failed");
        return PSH_ERR_PSA_GENERIC;
    }
    psh_psa_lock();
    st = psa_import_key(&attr, pub, pub_len, &id);
    if (st != PSA_SUCCESS) {
        seterr(err, err_size, "public key does not import (psa %d)", (int)st);
        goto exit;
    }
    if (is_message) {
        st = psa_hash_compute(PSA_ALG_SIGN_GET_HASH(a), input, input_len, digest, sizeof digest,
                              &digest_len);
        if (st != PSA_SUCCESS)
            goto exit;
        input = digest;
        input_len = digest_len;
    }
    st = psa_verify_hash(id, a, input, input_len, sig, sig_len);
    if (st != PSA_SUCCESS)
        seterr(err, err_size, "signature does not verify with the exported public key (psa %d)",
               (int)st);
exit:
    if (id != 0)
        psa_destroy_key(id);
    psh_psa_unlock();
    psa_reset_key_attributes(&attr);
    return from_psa(st);
}
