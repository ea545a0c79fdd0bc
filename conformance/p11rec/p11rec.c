/* libpsh_p11rec.so: a PKCS#11 module that records the calls made through it. Load it instead
 * of the real module; PSH_P11REC_MODULE names the real module and PSH_P11REC_OUT the trace,
 * a backend session {"kind":"pkcs11","steps":[{"fn":"C_Sign","rv":0,...}]} rewritten after
 * every call so it is whole whenever the process stops. The functions the PKCS#11 provider
 * uses are recorded with their inputs and outputs (handles as numbers, byte buffers as hex,
 * templates as {t, v, l}); the PIN is never written. Other functions pass through unrecorded.
 * psh-conform replay-p11 replays the trace (p11replay.c). */
#include <dlfcn.h>
#include <jansson.h>
#include <p11-kit/pkcs11.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static CK_FUNCTION_LIST real;  /* copy of the real module's list */
static CK_FUNCTION_LIST shim;  /* real's, with the recorded functions replaced */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static json_t *steps;
static char out_path[1024];

static json_t *hexj(const void *p, CK_ULONG n)
{
    static const char d[] = "0123456789abcdef";
    const unsigned char *b = p;
    char *s;
    json_t *j;
    if (p == NULL)
        return json_null();
    s = malloc(2 * n + 1);
    if (s == NULL)
        return json_null();
    for (CK_ULONG i = 0; i < n; i++) {
        s[2 * i] = d[b[i] >> 4];
        s[2 * i + 1] = d[b[i] & 15];
    }
    s[2 * n] = '\0';
    j = json_string(s);
    free(s);
    return j;
}

static json_t *tmpl(CK_ATTRIBUTE_PTR t, CK_ULONG n, int with_values)
{
    json_t *a = json_array();
    for (CK_ULONG i = 0; t != NULL && i < n && i < 64; i++) {
        int ok = with_values && t[i].pValue != NULL && t[i].ulValueLen != (CK_ULONG)-1;
        json_array_append_new(a, json_pack("{s:I, s:o, s:I}", "t", (json_int_t)t[i].type, "v",
                                           ok ? hexj(t[i].pValue, t[i].ulValueLen) : json_null(),
                                           "l", (json_int_t)t[i].ulValueLen));
    }
    return a;
}

static json_t *mech(CK_MECHANISM_PTR m)
{
    if (m == NULL)
        return json_null();
    if (m->mechanism == CKM_RSA_PKCS_OAEP && m->pParameter != NULL &&
        m->ulParameterLen == sizeof(CK_RSA_PKCS_OAEP_PARAMS)) {
        CK_RSA_PKCS_OAEP_PARAMS *o = m->pParameter; /* holds a pointer: fields, not bytes */
        return json_pack("{s:I, s:[I, I, I, o]}", "m", (json_int_t)m->mechanism, "oaep",
                         (json_int_t)o->hashAlg, (json_int_t)o->mgf, (json_int_t)o->source,
                         hexj(o->pSourceData, o->ulSourceDataLen));
    }
    return json_pack("{s:I, s:o}", "m", (json_int_t)m->mechanism, "p",
                     hexj(m->pParameter, m->ulParameterLen));
}

static CK_RV rec(CK_RV rv, json_t *step)
{
    json_object_set_new(step, "rv", json_integer((json_int_t)rv));
    pthread_mutex_lock(&mu);
    if (steps != NULL && out_path[0] != '\0') {
        json_t *doc;
        json_array_append(steps, step);
        doc = json_pack("{s:s, s:O}", "kind", "pkcs11", "steps", steps);
        json_dump_file(doc, out_path, JSON_COMPACT);
        json_decref(doc);
    }
    pthread_mutex_unlock(&mu);
    json_decref(step);
    return rv;
}

#define H(x) ((json_int_t)(x))

static CK_RV w_Initialize(CK_VOID_PTR a)
{
    CK_C_INITIALIZE_ARGS *args = a;
    return rec(real.C_Initialize(a), json_pack("{s:s, s:I}", "fn", "C_Initialize", "flags",
                                               H(args ? args->flags : 0)));
}
static CK_RV w_Finalize(CK_VOID_PTR a)
{
    return rec(real.C_Finalize(a), json_pack("{s:s}", "fn", "C_Finalize"));
}
static CK_RV w_GetSlotList(CK_BBOOL present, CK_SLOT_ID_PTR list, CK_ULONG_PTR count)
{
    CK_ULONG in = count ? *count : 0;
    CK_RV rv = real.C_GetSlotList(present, list, count);
    json_t *slots = json_array();
    for (CK_ULONG i = 0; rv == CKR_OK && list != NULL && count != NULL && i < *count && i < in; i++)
        json_array_append_new(slots, json_integer(H(list[i])));
    return rec(rv, json_pack("{s:s, s:b, s:b, s:I, s:I, s:o}", "fn", "C_GetSlotList", "present",
                             present, "query", list == NULL, "cap", H(in), "count",
                             H(count ? *count : 0), "slots", slots));
}
static CK_RV w_GetTokenInfo(CK_SLOT_ID slot, CK_TOKEN_INFO_PTR info)
{
    return rec(real.C_GetTokenInfo(slot, info),
               json_pack("{s:s, s:I}", "fn", "C_GetTokenInfo", "slot", H(slot)));
}
static CK_RV w_GetMechanismInfo(CK_SLOT_ID slot, CK_MECHANISM_TYPE t, CK_MECHANISM_INFO_PTR info)
{
    CK_RV rv = real.C_GetMechanismInfo(slot, t, info);
    return rec(rv, json_pack("{s:s, s:I, s:I, s:I, s:I, s:I}", "fn", "C_GetMechanismInfo", "slot",
                             H(slot), "type", H(t), "min", H(rv == CKR_OK ? info->ulMinKeySize : 0),
                             "max", H(rv == CKR_OK ? info->ulMaxKeySize : 0), "flags",
                             H(rv == CKR_OK ? info->flags : 0)));
}
static CK_RV w_OpenSession(CK_SLOT_ID slot, CK_FLAGS f, CK_VOID_PTR app, CK_NOTIFY n,
                           CK_SESSION_HANDLE_PTR s)
{
    CK_RV rv = real.C_OpenSession(slot, f, app, n, s);
    return rec(rv, json_pack("{s:s, s:I, s:I, s:I}", "fn", "C_OpenSession", "slot", H(slot),
                             "flags", H(f), "out", H(rv == CKR_OK ? *s : 0)));
}
static CK_RV w_CloseSession(CK_SESSION_HANDLE s)
{
    return rec(real.C_CloseSession(s), json_pack("{s:s, s:I}", "fn", "C_CloseSession", "s", H(s)));
}
static CK_RV w_Login(CK_SESSION_HANDLE s, CK_USER_TYPE u, CK_UTF8CHAR_PTR pin, CK_ULONG len)
{
    /* the PIN is not recorded: replay takes the token's PIN from its fixture */
    return rec(real.C_Login(s, u, pin, len),
               json_pack("{s:s, s:I, s:I}", "fn", "C_Login", "s", H(s), "user", H(u)));
}
static CK_RV w_FindObjectsInit(CK_SESSION_HANDLE s, CK_ATTRIBUTE_PTR t, CK_ULONG n)
{
    return rec(real.C_FindObjectsInit(s, t, n), json_pack("{s:s, s:I, s:o}", "fn",
                                                          "C_FindObjectsInit", "s", H(s),
                                                          "tmpl", tmpl(t, n, 1)));
}
static CK_RV w_FindObjects(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE_PTR o, CK_ULONG max,
                           CK_ULONG_PTR count)
{
    CK_RV rv = real.C_FindObjects(s, o, max, count);
    json_t *a = json_array();
    for (CK_ULONG i = 0; rv == CKR_OK && i < *count && i < max; i++)
        json_array_append_new(a, json_integer(H(o[i])));
    return rec(rv, json_pack("{s:s, s:I, s:I, s:o}", "fn", "C_FindObjects", "s", H(s), "max",
                             H(max), "out", a));
}
static CK_RV w_FindObjectsFinal(CK_SESSION_HANDLE s)
{
    return rec(real.C_FindObjectsFinal(s),
               json_pack("{s:s, s:I}", "fn", "C_FindObjectsFinal", "s", H(s)));
}
static CK_RV w_GetAttributeValue(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR t,
                                 CK_ULONG n)
{
    json_t *in = tmpl(t, n, 0); /* types and the caller's buffer sizes (null = size query) */
    size_t i;
    json_t *x;
    CK_RV rv;
    json_array_foreach(in, i, x)
        json_object_set_new(x, "query", json_boolean(t[i].pValue == NULL));
    rv = real.C_GetAttributeValue(s, o, t, n);
    return rec(rv, json_pack("{s:s, s:I, s:I, s:o, s:o}", "fn", "C_GetAttributeValue", "s", H(s),
                             "o", H(o), "tmpl", in, "out", tmpl(t, n, 1)));
}
static CK_RV w_GenerateKeyPair(CK_SESSION_HANDLE s, CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR pub,
                               CK_ULONG np, CK_ATTRIBUTE_PTR priv, CK_ULONG nv,
                               CK_OBJECT_HANDLE_PTR hpub, CK_OBJECT_HANDLE_PTR hpriv)
{
    CK_RV rv = real.C_GenerateKeyPair(s, m, pub, np, priv, nv, hpub, hpriv);
    return rec(rv, json_pack("{s:s, s:I, s:o, s:o, s:o, s:I, s:I}", "fn", "C_GenerateKeyPair",
                             "s", H(s), "mech", mech(m), "pub", tmpl(pub, np, 1), "priv",
                             tmpl(priv, nv, 1), "out_pub", H(rv == CKR_OK ? *hpub : 0),
                             "out_priv", H(rv == CKR_OK ? *hpriv : 0)));
}
static CK_RV w_CreateObject(CK_SESSION_HANDLE s, CK_ATTRIBUTE_PTR t, CK_ULONG n,
                            CK_OBJECT_HANDLE_PTR o)
{
    CK_RV rv = real.C_CreateObject(s, t, n, o);
    return rec(rv, json_pack("{s:s, s:I, s:o, s:I}", "fn", "C_CreateObject", "s", H(s), "tmpl",
                             tmpl(t, n, 1), "out", H(rv == CKR_OK ? *o : 0)));
}
static CK_RV w_DestroyObject(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o)
{
    return rec(real.C_DestroyObject(s, o),
               json_pack("{s:s, s:I, s:I}", "fn", "C_DestroyObject", "s", H(s), "o", H(o)));
}

#define INIT_FN(name)                                                                        \
    static CK_RV w_##name(CK_SESSION_HANDLE s, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k)      \
    {                                                                                        \
        return rec(real.C_##name(s, m, k), json_pack("{s:s, s:I, s:o, s:I}", "fn", "C_" #name, \
                                                     "s", H(s), "mech", mech(m), "o", H(k))); \
    }
INIT_FN(SignInit)
INIT_FN(VerifyInit)
INIT_FN(EncryptInit)
INIT_FN(DecryptInit)

static CK_RV w_DigestInit(CK_SESSION_HANDLE s, CK_MECHANISM_PTR m)
{
    return rec(real.C_DigestInit(s, m),
               json_pack("{s:s, s:I, s:o}", "fn", "C_DigestInit", "s", H(s), "mech", mech(m)));
}

/* data in, buffer out (NULL buffer = size query) */
#define IO_FN(name)                                                                           \
    static CK_RV w_##name(CK_SESSION_HANDLE s, CK_BYTE_PTR in, CK_ULONG inl, CK_BYTE_PTR out,  \
                          CK_ULONG_PTR outl)                                                   \
    {                                                                                         \
        CK_ULONG cap = outl ? *outl : 0;                                                      \
        CK_RV rv = real.C_##name(s, in, inl, out, outl);                                      \
        return rec(rv, json_pack("{s:s, s:I, s:o, s:b, s:I, s:I, s:o}", "fn", "C_" #name, "s",  \
                                 H(s), "in", hexj(in, inl), "query", out == NULL, "cap",      \
                                 H(cap), "len", H(outl ? *outl : 0), "out",                   \
                                 rv == CKR_OK && out != NULL ? hexj(out, *outl) : json_null())); \
    }
IO_FN(Sign)
IO_FN(Encrypt)
IO_FN(Decrypt)
IO_FN(Digest)

static CK_RV w_Verify(CK_SESSION_HANDLE s, CK_BYTE_PTR in, CK_ULONG inl, CK_BYTE_PTR sig,
                      CK_ULONG sl)
{
    return rec(real.C_Verify(s, in, inl, sig, sl),
               json_pack("{s:s, s:I, s:o, s:o}", "fn", "C_Verify", "s", H(s), "in", hexj(in, inl),
                         "sig", hexj(sig, sl)));
}
static CK_RV w_GenerateRandom(CK_SESSION_HANDLE s, CK_BYTE_PTR out, CK_ULONG n)
{
    CK_RV rv = real.C_GenerateRandom(s, out, n);
    return rec(rv, json_pack("{s:s, s:I, s:I}", "fn", "C_GenerateRandom", "s", H(s), "len", H(n)));
}

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list)
{
    static void *dl;
    CK_C_GetFunctionList get;
    CK_FUNCTION_LIST_PTR r = NULL;
    const char *path = getenv("PSH_P11REC_MODULE"), *out = getenv("PSH_P11REC_OUT");
    if (list == NULL)
        return CKR_ARGUMENTS_BAD;
    if (dl == NULL) {
        if (path == NULL || (dl = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL)
            return CKR_GENERAL_ERROR;
        *(void **)&get = dlsym(dl, "C_GetFunctionList");
        if (get == NULL || get(&r) != CKR_OK || r == NULL)
            return CKR_GENERAL_ERROR;
        real = *r;
        shim = *r;
        snprintf(out_path, sizeof out_path, "%s", out ? out : "");
        steps = json_array();
        shim.C_Initialize = w_Initialize;
        shim.C_Finalize = w_Finalize;
        shim.C_GetSlotList = w_GetSlotList;
        shim.C_GetTokenInfo = w_GetTokenInfo;
        shim.C_GetMechanismInfo = w_GetMechanismInfo;
        shim.C_OpenSession = w_OpenSession;
        shim.C_CloseSession = w_CloseSession;
        shim.C_Login = w_Login;
        shim.C_FindObjectsInit = w_FindObjectsInit;
        shim.C_FindObjects = w_FindObjects;
        shim.C_FindObjectsFinal = w_FindObjectsFinal;
        shim.C_GetAttributeValue = w_GetAttributeValue;
        shim.C_GenerateKeyPair = w_GenerateKeyPair;
        shim.C_CreateObject = w_CreateObject;
        shim.C_DestroyObject = w_DestroyObject;
        shim.C_SignInit = w_SignInit;
        shim.C_Sign = w_Sign;
        shim.C_VerifyInit = w_VerifyInit;
        shim.C_Verify = w_Verify;
        shim.C_EncryptInit = w_EncryptInit;
        shim.C_Encrypt = w_Encrypt;
        shim.C_DecryptInit = w_DecryptInit;
        shim.C_Decrypt = w_Decrypt;
        shim.C_DigestInit = w_DigestInit;
        shim.C_Digest = w_Digest;
        shim.C_GenerateRandom = w_GenerateRandom;
    }
    *list = &shim;
    return CKR_OK;
}
