/* Backend sessions for tokens: a PKCS#11 call trace written by libpsh_p11rec.so replayed,
 * call by call, against a module (a fresh SoftHSM token by default).
 *
 * Return values are compared exactly. Handles (slots, sessions, objects) are mapped from the
 * recorded values to the replayed ones in the order they appear. Outputs that depend on the
 * token's RNG or keys (signatures, ciphertexts, generated public keys) are matched: their
 * length must be equal and the differing bytes are carried into later inputs (a signature
 * handed to C_Verify, a public key read back and imported); outputs that follow from their
 * inputs (digests, decrypted plaintexts, mechanism info, key types, classes) are compared
 * byte for byte. The PIN is not in the trace: the replay logs in with the fixture's. */
#include "conform.h"

#include <dlfcn.h>
#include <p11-kit/pkcs11.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct ctx {
    CK_FUNCTION_LIST_PTR f;
    json_t *map; /* "s:REC" / "o:REC" / "slot:REC" -> replayed handle */
    psh_cf_subst_set sub;
    const char *pin;
    char why[512], exp[256], act[256];
} ctx;

static CK_ULONG num(json_t *o, const char *k)
{
    return (CK_ULONG)json_integer_value(json_object_get(o, k));
}

static CK_ULONG mapped(ctx *c, const char *kind, CK_ULONG rec)
{
    char key[64];
    json_t *v;
    snprintf(key, sizeof key, "%s:%lu", kind, (unsigned long)rec);
    v = json_object_get(c->map, key);
    return v ? (CK_ULONG)json_integer_value(v) : rec;
}

static void remember(ctx *c, const char *kind, CK_ULONG rec, CK_ULONG rep)
{
    char key[64];
    snprintf(key, sizeof key, "%s:%lu", kind, (unsigned long)rec);
    json_object_set_new(c->map, key, json_integer((json_int_t)rep));
}

/* Decodes a recorded hex input and applies the learned substitutions. NULL for null. */
static uint8_t *input(ctx *c, json_t *hex, CK_ULONG *len)
{
    uint8_t *b = NULL;
    size_t n = 0;
    *len = 0;
    if (!json_is_string(hex) || psh_cf_unhex(json_string_value(hex), &b, &n) != 0)
        return NULL;
    psh_cf_subst_apply(&c->sub, b, n);
    *len = (CK_ULONG)n;
    return b;
}

typedef struct tmpl {
    CK_ATTRIBUTE a[64];
    CK_ULONG n;
} tmpl;

static void tmpl_build(ctx *c, json_t *arr, tmpl *t, int alloc_outputs)
{
    size_t i;
    json_t *x;
    memset(t, 0, sizeof *t);
    json_array_foreach(arr, i, x) {
        CK_ULONG len = 0;
        if (i >= 64)
            break;
        t->a[i].type = num(x, "t");
        t->a[i].pValue = input(c, json_object_get(x, "v"), &len);
        t->a[i].ulValueLen = t->a[i].pValue ? len : num(x, "l");
        if (alloc_outputs && !json_is_true(json_object_get(x, "query")) && t->a[i].pValue == NULL &&
            num(x, "l") > 0 && num(x, "l") < (1u << 20))
            t->a[i].pValue = calloc(1, num(x, "l"));
        t->n = i + 1;
    }
}

static void tmpl_free(tmpl *t)
{
    for (CK_ULONG i = 0; i < t->n; i++)
        free(t->a[i].pValue);
}

typedef struct mech {
    CK_MECHANISM m;
    CK_RSA_PKCS_OAEP_PARAMS oaep;
    uint8_t *param; /* owned */
} mech;

static void mech_build(ctx *c, json_t *j, mech *m)
{
    json_t *o = json_object_get(j, "oaep");
    CK_ULONG len = 0;
    memset(m, 0, sizeof *m);
    m->m.mechanism = num(j, "m");
    if (json_is_array(o)) {
        m->oaep.hashAlg = (CK_ULONG)json_integer_value(json_array_get(o, 0));
        m->oaep.mgf = (CK_ULONG)json_integer_value(json_array_get(o, 1));
        m->oaep.source = (CK_ULONG)json_integer_value(json_array_get(o, 2));
        m->param = input(c, json_array_get(o, 3), &len);
        m->oaep.pSourceData = m->param;
        m->oaep.ulSourceDataLen = len;
        m->m.pParameter = &m->oaep;
        m->m.ulParameterLen = sizeof m->oaep;
    } else {
        m->param = input(c, json_object_get(j, "p"), &len);
        m->m.pParameter = m->param;
        m->m.ulParameterLen = len;
    }
}

/* Compares one output buffer: exact when strict, else equal length and learn the bytes. */
static int output(ctx *c, const char *what, json_t *rec_hex, const uint8_t *got, CK_ULONG got_len,
                  int strict)
{
    uint8_t *rec = NULL;
    size_t rl = 0;
    int rc = 0;
    if (!json_is_string(rec_hex) || psh_cf_unhex(json_string_value(rec_hex), &rec, &rl) != 0)
        return 0; /* nothing recorded (size query or error) */
    psh_cf_subst_apply(&c->sub, rec, rl);
    if (rl != got_len) {
        snprintf(c->why, sizeof c->why, "%s: length differs", what);
        snprintf(c->exp, sizeof c->exp, "%zu bytes", rl);
        snprintf(c->act, sizeof c->act, "%lu bytes", (unsigned long)got_len);
        rc = 1;
    } else if (memcmp(rec, got, rl) != 0) {
        if (strict) {
            char *a = psh_cf_hex(rec, rl > 40 ? 40 : rl), *b = psh_cf_hex(got, rl > 40 ? 40 : rl);
            snprintf(c->why, sizeof c->why, "%s differs", what);
            snprintf(c->exp, sizeof c->exp, "%s", a ? a : "?");
            snprintf(c->act, sizeof c->act, "%s", b ? b : "?");
            free(a);
            free(b);
            rc = 1;
        } else {
            psh_cf_subst_learn(&c->sub, rec, got, rl);
        }
    }
    free(rec);
    return rc;
}

/* Attribute types whose values follow from the template, not from the token's RNG. */
static int strict_attr(CK_ULONG t)
{
    return t == CKA_CLASS || t == CKA_KEY_TYPE || t == CKA_MODULUS_BITS ||
           t == CKA_PUBLIC_EXPONENT || t == CKA_EC_PARAMS || t == CKA_ID || t == CKA_LABEL ||
           t == CKA_TOKEN || t == CKA_PRIVATE || t == CKA_SIGN || t == CKA_DECRYPT;
}

static CK_RV io_call(ctx *c, const char *fn, CK_SESSION_HANDLE s, CK_BYTE_PTR in, CK_ULONG inl,
                     CK_BYTE_PTR out, CK_ULONG_PTR outl)
{
    if (strcmp(fn, "C_Sign") == 0)
        return c->f->C_Sign(s, in, inl, out, outl);
    if (strcmp(fn, "C_Encrypt") == 0)
        return c->f->C_Encrypt(s, in, inl, out, outl);
    if (strcmp(fn, "C_Decrypt") == 0)
        return c->f->C_Decrypt(s, in, inl, out, outl);
    return c->f->C_Digest(s, in, inl, out, outl);
}

static CK_RV init_call(ctx *c, const char *fn, CK_SESSION_HANDLE s, CK_MECHANISM_PTR m,
                       CK_OBJECT_HANDLE o)
{
    if (strcmp(fn, "C_SignInit") == 0)
        return c->f->C_SignInit(s, m, o);
    if (strcmp(fn, "C_VerifyInit") == 0)
        return c->f->C_VerifyInit(s, m, o);
    if (strcmp(fn, "C_EncryptInit") == 0)
        return c->f->C_EncryptInit(s, m, o);
    return c->f->C_DecryptInit(s, m, o);
}

/* Runs one recorded call; returns its return value, -1 for an unknown function, or sets
 * c->why for an output mismatch (returned as rv but flagged by *bad). */
static CK_RV step(ctx *c, json_t *st, int *bad)
{
    const char *fn = json_string_value(json_object_get(st, "fn"));
    CK_SESSION_HANDLE s = mapped(c, "s", num(st, "s"));
    CK_RV rv;
    *bad = 0;
    if (strcmp(fn, "C_Initialize") == 0) {
        CK_C_INITIALIZE_ARGS a;
        memset(&a, 0, sizeof a);
        a.flags = num(st, "flags");
        return c->f->C_Initialize(&a);
    }
    if (strcmp(fn, "C_Finalize") == 0)
        return c->f->C_Finalize(NULL);
    if (strcmp(fn, "C_GetSlotList") == 0) {
        CK_SLOT_ID slots[64];
        CK_ULONG n = num(st, "cap") < 64 ? num(st, "cap") : 64;
        int query = json_is_true(json_object_get(st, "query"));
        rv = c->f->C_GetSlotList((CK_BBOOL)json_is_true(json_object_get(st, "present")),
                                 query ? NULL : slots, &n);
        if (rv == CKR_OK && n != num(st, "count")) {
            *bad = 1;
            snprintf(c->why, sizeof c->why, "slot count differs");
            snprintf(c->exp, sizeof c->exp, "%lu slots", (unsigned long)num(st, "count"));
            snprintf(c->act, sizeof c->act, "%lu slots", (unsigned long)n);
        }
        for (CK_ULONG i = 0; rv == CKR_OK && !query && i < n; i++)
            remember(c, "slot", (CK_ULONG)json_integer_value(json_array_get(json_object_get(st, "slots"), i)),
                     slots[i]);
        return rv;
    }
    if (strcmp(fn, "C_GetTokenInfo") == 0) {
        CK_TOKEN_INFO info;
        return c->f->C_GetTokenInfo(mapped(c, "slot", num(st, "slot")), &info);
    }
    if (strcmp(fn, "C_GetMechanismInfo") == 0) {
        CK_MECHANISM_INFO info;
        memset(&info, 0, sizeof info);
        rv = c->f->C_GetMechanismInfo(mapped(c, "slot", num(st, "slot")), num(st, "type"), &info);
        if (rv == CKR_OK && (info.ulMinKeySize != num(st, "min") ||
                             info.ulMaxKeySize != num(st, "max") || info.flags != num(st, "flags"))) {
            *bad = 1;
            snprintf(c->why, sizeof c->why, "mechanism info differs");
            snprintf(c->exp, sizeof c->exp, "min %lu max %lu flags 0x%lx", num(st, "min"),
                     num(st, "max"), num(st, "flags"));
            snprintf(c->act, sizeof c->act, "min %lu max %lu flags 0x%lx", info.ulMinKeySize,
                     info.ulMaxKeySize, info.flags);
        }
        return rv;
    }
    if (strcmp(fn, "C_OpenSession") == 0) {
        CK_SESSION_HANDLE h = 0;
        rv = c->f->C_OpenSession(mapped(c, "slot", num(st, "slot")), num(st, "flags"), NULL, NULL, &h);
        if (rv == CKR_OK)
            remember(c, "s", num(st, "out"), h);
        return rv;
    }
    if (strcmp(fn, "C_CloseSession") == 0)
        return c->f->C_CloseSession(s);
    if (strcmp(fn, "C_Login") == 0)
        return c->f->C_Login(s, num(st, "user"), (CK_UTF8CHAR_PTR)c->pin,
                             c->pin ? (CK_ULONG)strlen(c->pin) : 0);
    if (strcmp(fn, "C_FindObjectsInit") == 0) {
        tmpl t;
        tmpl_build(c, json_object_get(st, "tmpl"), &t, 0);
        rv = c->f->C_FindObjectsInit(s, t.a, t.n);
        tmpl_free(&t);
        return rv;
    }
    if (strcmp(fn, "C_FindObjects") == 0) {
        CK_OBJECT_HANDLE o[64];
        CK_ULONG n = 0, max = num(st, "max") < 64 ? num(st, "max") : 64;
        json_t *rec = json_object_get(st, "out");
        rv = c->f->C_FindObjects(s, o, max, &n);
        if (rv == CKR_OK && n != json_array_size(rec)) {
            *bad = 1;
            snprintf(c->why, sizeof c->why, "number of objects found differs");
            snprintf(c->exp, sizeof c->exp, "%zu objects", json_array_size(rec));
            snprintf(c->act, sizeof c->act, "%lu objects", (unsigned long)n);
        }
        for (CK_ULONG i = 0; rv == CKR_OK && i < n && i < json_array_size(rec); i++)
            remember(c, "o", (CK_ULONG)json_integer_value(json_array_get(rec, i)), o[i]);
        return rv;
    }
    if (strcmp(fn, "C_FindObjectsFinal") == 0)
        return c->f->C_FindObjectsFinal(s);
    if (strcmp(fn, "C_GetAttributeValue") == 0) {
        tmpl t;
        json_t *out = json_object_get(st, "out");
        tmpl_build(c, json_object_get(st, "tmpl"), &t, 1);
        rv = c->f->C_GetAttributeValue(s, mapped(c, "o", num(st, "o")), t.a, t.n);
        for (CK_ULONG i = 0; rv == CKR_OK && !*bad && i < t.n; i++) {
            json_t *ro = json_array_get(out, i);
            char what[64];
            snprintf(what, sizeof what, "attribute 0x%lx", t.a[i].type);
            if (t.a[i].pValue == NULL && t.a[i].ulValueLen != num(ro, "l") &&
                strict_attr(t.a[i].type)) {
                *bad = 1;
                snprintf(c->why, sizeof c->why, "%s: size differs", what);
                snprintf(c->exp, sizeof c->exp, "%lu bytes", num(ro, "l"));
                snprintf(c->act, sizeof c->act, "%lu bytes", t.a[i].ulValueLen);
            } else if (t.a[i].pValue != NULL) {
                *bad = output(c, what, json_object_get(ro, "v"), t.a[i].pValue,
                              t.a[i].ulValueLen, strict_attr(t.a[i].type));
            }
        }
        tmpl_free(&t);
        return rv;
    }
    if (strcmp(fn, "C_GenerateKeyPair") == 0) {
        tmpl pub, priv;
        mech m;
        CK_OBJECT_HANDLE hp = 0, hv = 0;
        mech_build(c, json_object_get(st, "mech"), &m);
        tmpl_build(c, json_object_get(st, "pub"), &pub, 0);
        tmpl_build(c, json_object_get(st, "priv"), &priv, 0);
        rv = c->f->C_GenerateKeyPair(s, &m.m, pub.a, pub.n, priv.a, priv.n, &hp, &hv);
        if (rv == CKR_OK) {
            remember(c, "o", num(st, "out_pub"), hp);
            remember(c, "o", num(st, "out_priv"), hv);
        }
        tmpl_free(&pub);
        tmpl_free(&priv);
        free(m.param);
        return rv;
    }
    if (strcmp(fn, "C_CreateObject") == 0) {
        tmpl t;
        CK_OBJECT_HANDLE h = 0;
        tmpl_build(c, json_object_get(st, "tmpl"), &t, 0);
        rv = c->f->C_CreateObject(s, t.a, t.n, &h);
        if (rv == CKR_OK)
            remember(c, "o", num(st, "out"), h);
        tmpl_free(&t);
        return rv;
    }
    if (strcmp(fn, "C_DestroyObject") == 0)
        return c->f->C_DestroyObject(s, mapped(c, "o", num(st, "o")));
    if (strcmp(fn, "C_SignInit") == 0 || strcmp(fn, "C_VerifyInit") == 0 ||
        strcmp(fn, "C_EncryptInit") == 0 || strcmp(fn, "C_DecryptInit") == 0) {
        mech m;
        mech_build(c, json_object_get(st, "mech"), &m);
        rv = init_call(c, fn, s, &m.m, mapped(c, "o", num(st, "o")));
        free(m.param);
        return rv;
    }
    if (strcmp(fn, "C_DigestInit") == 0) {
        mech m;
        mech_build(c, json_object_get(st, "mech"), &m);
        rv = c->f->C_DigestInit(s, &m.m);
        free(m.param);
        return rv;
    }
    if (strcmp(fn, "C_Sign") == 0 || strcmp(fn, "C_Encrypt") == 0 ||
        strcmp(fn, "C_Decrypt") == 0 || strcmp(fn, "C_Digest") == 0) {
        CK_ULONG inl = 0, outl = num(st, "cap");
        uint8_t *in = input(c, json_object_get(st, "in"), &inl);
        int query = json_is_true(json_object_get(st, "query"));
        uint8_t *out = query || outl > (1u << 20) ? NULL : calloc(1, outl + 1);
        rv = io_call(c, fn, s, in, inl, out, &outl);
        if (rv == CKR_OK && query && outl < num(st, "len")) {
            *bad = 1; /* a size query may over-estimate, never under */
            snprintf(c->why, sizeof c->why, "announced output size too small");
            snprintf(c->exp, sizeof c->exp, "at least %lu bytes", num(st, "len"));
            snprintf(c->act, sizeof c->act, "%lu bytes", (unsigned long)outl);
        } else if (rv == CKR_OK && !query) {
            int strict = strcmp(fn, "C_Digest") == 0 || strcmp(fn, "C_Decrypt") == 0;
            *bad = output(c, fn + 2, json_object_get(st, "out"), out, outl, strict);
        }
        free(in);
        free(out);
        return rv;
    }
    if (strcmp(fn, "C_Verify") == 0) {
        CK_ULONG inl = 0, sl = 0;
        uint8_t *in = input(c, json_object_get(st, "in"), &inl);
        uint8_t *sig = input(c, json_object_get(st, "sig"), &sl);
        rv = c->f->C_Verify(s, in, inl, sig, sl);
        free(in);
        free(sig);
        return rv;
    }
    if (strcmp(fn, "C_GenerateRandom") == 0) {
        CK_ULONG n = num(st, "len") < (1u << 20) ? num(st, "len") : 0;
        uint8_t *b = calloc(1, n + 1);
        rv = c->f->C_GenerateRandom(s, b, n);
        free(b);
        return rv;
    }
    return (CK_RV)-1;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void psh_cf_run_p11_session(const char *module_path, const char *pin, json_t *root,
                            const char *name, const char *target, psh_cf_results *out)
{
    ctx c;
    void *dl = dlopen(module_path, RTLD_NOW | RTLD_LOCAL);
    CK_C_GetFunctionList get = NULL;
    json_t *st;
    size_t i;
    unsigned done = 0;
    double t0 = now();
    int initialized = 0;
    memset(&c, 0, sizeof c);
    c.pin = pin;
    if (dl != NULL)
        *(void **)&get = dlsym(dl, "C_GetFunctionList");
    if (get == NULL || get(&c.f) != CKR_OK || c.f == NULL) {
        psh_cf_results_add(out, name, target, PSH_CF_SKIP, NULL, 0, "cannot load the PKCS#11 module",
                           NULL, NULL, 0, 0);
        if (dl != NULL)
            dlclose(dl);
        return;
    }
    c.map = json_object();
    json_array_foreach(json_object_get(root, "steps"), i, st) {
        const char *fn = json_string_value(json_object_get(st, "fn"));
        CK_RV want = (CK_RV)json_integer_value(json_object_get(st, "rv")), got;
        char sname[64];
        int bad = 0;
        snprintf(sname, sizeof sname, "%zu %s", i + 1, fn ? fn : "?");
        if (fn == NULL) {
            psh_cf_results_add(out, name, target, PSH_CF_FAIL, sname, (int)i + 1, "step without fn",
                               NULL, NULL, done, now() - t0);
            goto exit;
        }
        got = step(&c, st, &bad);
        done++;
        if (strcmp(fn, "C_Initialize") == 0 && got == CKR_OK)
            initialized = 1;
        if (strcmp(fn, "C_Finalize") == 0 && got == CKR_OK)
            initialized = 0;
        if (got == (CK_RV)-1) {
            psh_cf_results_add(out, name, target, PSH_CF_FAIL, sname, (int)i + 1,
                               "function not replayable", NULL, NULL, done, now() - t0);
            goto exit;
        }
        if (got != want) {
            char e[64], a[64];
            snprintf(e, sizeof e, "rv 0x%lx", (unsigned long)want);
            snprintf(a, sizeof a, "rv 0x%lx", (unsigned long)got);
            psh_cf_results_add(out, name, target, PSH_CF_FAIL, sname, (int)i + 1,
                               "return value differs", e, a, done, now() - t0);
            goto exit;
        }
        if (bad) {
            psh_cf_results_add(out, name, target, PSH_CF_FAIL, sname, (int)i + 1, c.why, c.exp,
                               c.act, done, now() - t0);
            goto exit;
        }
    }
    psh_cf_results_add(out, name, target, PSH_CF_PASS, NULL, 0, NULL, NULL, NULL, done, now() - t0);
exit:
    if (initialized)
        c.f->C_Finalize(NULL);
    json_decref(c.map);
    psh_cf_subst_free(&c.sub);
    dlclose(dl);
}
