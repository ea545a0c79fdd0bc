/* Structural comparison of TPM responses through tpm2-tss's unmarshalling (tss2-mu): the
 * response parameters of the commands below must unmarshal completely on both sides, and
 * the fields that do not depend on the TPM's seeds or RNG must be equal (key type, name
 * algorithm, attributes and parameters of a public area; signature scheme and hash; ticket
 * tags and hierarchies; sizes). Keys, nonces, names and random bytes are matched, not
 * compared. Used by tpmreplay.c before its byte-level substitution. */
#include "conform.h"

#include <stdio.h>
#include <string.h>

#ifdef PSH_CF_HAVE_TCTILDR
#include <tss2/tss2_mu.h>

#define ST_SESSIONS 0x8002

typedef enum { P_DIGEST, P_NAME, P_PRIVATE, P_PUBLIC, P_CREATION_DATA, P_TK_CREATION,
               P_SIGNATURE, P_TK_VERIFIED, P_RSA, P_ECC_POINT, P_NONCE, P_END } ptype;

static const struct {
    uint32_t cc;
    int handles; /* response handles before the parameters */
    ptype params[6];
} layouts[] = {
    {0x131, 1, {P_PUBLIC, P_CREATION_DATA, P_DIGEST, P_TK_CREATION, P_NAME, P_END}}, /* CreatePrimary */
    {0x153, 0, {P_PRIVATE, P_PUBLIC, P_CREATION_DATA, P_DIGEST, P_TK_CREATION, P_END}}, /* Create */
    {0x157, 1, {P_NAME, P_END}},                                  /* Load */
    {0x15D, 0, {P_SIGNATURE, P_END}},                             /* Sign */
    {0x159, 0, {P_RSA, P_END}},                                   /* RSA_Decrypt */
    {0x173, 0, {P_PUBLIC, P_NAME, P_NAME, P_END}},                /* ReadPublic */
    {0x174, 0, {P_RSA, P_END}},                                   /* RSA_Encrypt */
    {0x176, 1, {P_NONCE, P_END}},                                 /* StartAuthSession */
    {0x177, 0, {P_TK_VERIFIED, P_END}},                           /* VerifySignature */
    {0x17B, 0, {P_DIGEST, P_END}},                                /* GetRandom */
    {0x193, 0, {P_ECC_POINT, P_END}},                             /* ECDH_ZGen */
};

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Unmarshals one parameter of type t at *off; fills a printable summary of the fields that
 * must be equal on both sides. */
static int take(ptype t, const uint8_t *b, size_t end, size_t *off, char *sum, size_t n)
{
    TSS2_RC rc = TSS2_RC_SUCCESS;
    sum[0] = '\0';
    switch (t) {
    case P_DIGEST: {
        TPM2B_DIGEST v = {0};
        rc = Tss2_MU_TPM2B_DIGEST_Unmarshal(b, end, off, &v);
        snprintf(sum, n, "digest size %u", v.size);
        break;
    }
    case P_NONCE: {
        TPM2B_NONCE v = {0};
        rc = Tss2_MU_TPM2B_NONCE_Unmarshal(b, end, off, &v);
        snprintf(sum, n, "nonce size %u", v.size);
        break;
    }
    case P_NAME: {
        TPM2B_NAME v = {0};
        rc = Tss2_MU_TPM2B_NAME_Unmarshal(b, end, off, &v);
        snprintf(sum, n, "name size %u alg %02x%02x", v.size, v.size > 1 ? v.name[0] : 0,
                 v.size > 1 ? v.name[1] : 0);
        break;
    }
    case P_PRIVATE: {
        TPM2B_PRIVATE v = {0};
        rc = Tss2_MU_TPM2B_PRIVATE_Unmarshal(b, end, off, &v);
        snprintf(sum, n, "private blob"); /* size depends on the key: matched */
        break;
    }
    case P_PUBLIC: {
        TPM2B_PUBLIC v;
        memset(&v, 0, sizeof v);
        rc = Tss2_MU_TPM2B_PUBLIC_Unmarshal(b, end, off, &v);
        {
            /* the whole parameters union (schemes, key bits, curve, exponent), unmarshalled
             * into zeroed memory on both sides, so a digest of its bytes compares it */
            const uint8_t *pp = (const uint8_t *)&v.publicArea.parameters;
            uint32_t h = 2166136261u;
            for (size_t i = 0; i < sizeof v.publicArea.parameters; i++)
                h = (h ^ pp[i]) * 16777619u;
            snprintf(sum, n, "public type 0x%x nameAlg 0x%x attributes 0x%x policy %u "
                             "parameters #%08x",
                     v.publicArea.type, v.publicArea.nameAlg, v.publicArea.objectAttributes,
                     v.publicArea.authPolicy.size, (unsigned)h);
        }
        break;
    }
    case P_CREATION_DATA: {
        TPM2B_CREATION_DATA v;
        memset(&v, 0, sizeof v);
        rc = Tss2_MU_TPM2B_CREATION_DATA_Unmarshal(b, end, off, &v);
        snprintf(sum, n, "creation data locality %u parentNameAlg 0x%x",
                 v.creationData.locality, v.creationData.parentNameAlg);
        break;
    }
    case P_TK_CREATION: {
        TPMT_TK_CREATION v = {0};
        rc = Tss2_MU_TPMT_TK_CREATION_Unmarshal(b, end, off, &v);
        snprintf(sum, n, "creation ticket tag 0x%x hierarchy 0x%x", v.tag, v.hierarchy);
        break;
    }
    case P_TK_VERIFIED: {
        TPMT_TK_VERIFIED v = {0};
        rc = Tss2_MU_TPMT_TK_VERIFIED_Unmarshal(b, end, off, &v);
        snprintf(sum, n, "verified ticket tag 0x%x hierarchy 0x%x", v.tag, v.hierarchy);
        break;
    }
    case P_SIGNATURE: {
        TPMT_SIGNATURE v;
        memset(&v, 0, sizeof v);
        rc = Tss2_MU_TPMT_SIGNATURE_Unmarshal(b, end, off, &v);
        if (v.sigAlg == TPM2_ALG_ECDSA)
            snprintf(sum, n, "signature ECDSA hash 0x%x r %u s %u", v.signature.ecdsa.hash,
                     v.signature.ecdsa.signatureR.size, v.signature.ecdsa.signatureS.size);
        else if (v.sigAlg == TPM2_ALG_RSASSA || v.sigAlg == TPM2_ALG_RSAPSS)
            snprintf(sum, n, "signature 0x%x hash 0x%x size %u", v.sigAlg, v.signature.rsassa.hash,
                     v.signature.rsassa.sig.size);
        else
            snprintf(sum, n, "signature 0x%x", v.sigAlg);
        break;
    }
    case P_RSA: {
        TPM2B_PUBLIC_KEY_RSA v = {0};
        rc = Tss2_MU_TPM2B_PUBLIC_KEY_RSA_Unmarshal(b, end, off, &v);
        snprintf(sum, n, "rsa buffer size %u", v.size);
        break;
    }
    case P_ECC_POINT: {
        TPM2B_ECC_POINT v;
        memset(&v, 0, sizeof v);
        rc = Tss2_MU_TPM2B_ECC_POINT_Unmarshal(b, end, off, &v);
        snprintf(sum, n, "ecc point x %u y %u", v.point.x.size, v.point.y.size);
        break;
    }
    case P_END:
        break;
    }
    return rc == TSS2_RC_SUCCESS ? 0 : -1;
}

/* Finds where the parameters of a success response start and end. */
static int params(const uint8_t *r, size_t len, int handles, size_t *start, size_t *end)
{
    size_t off = 10 + 4 * (size_t)handles;
    if (len < off)
        return -1;
    if ((r[0] << 8 | r[1]) == ST_SESSIONS) {
        uint32_t psize;
        if (len < off + 4)
            return -1;
        psize = be32(r + off);
        off += 4;
        if (psize > len - off)
            return -1;
        *start = off;
        *end = off + psize;
    } else {
        *start = off;
        *end = len;
    }
    return 0;
}

int psh_cf_tpm_compare_struct(uint32_t cc, const uint8_t *rec, size_t rl, const uint8_t *rep,
                              size_t pl, char *why, size_t n, char *exp, size_t en, char *act,
                              size_t an)
{
    size_t k, rs, re, ps, pe;
    for (k = 0; k < sizeof layouts / sizeof layouts[0] && layouts[k].cc != cc; k++)
        ;
    if (k == sizeof layouts / sizeof layouts[0] || rl < 10 || pl < 10 || be32(rec + 6) != 0)
        return 0; /* not described, or an error response (header only) */
    if (params(rec, rl, layouts[k].handles, &rs, &re) != 0) {
        snprintf(why, n, "recorded response is not a TPM response for this command");
        return 1;
    }
    if (params(rep, pl, layouts[k].handles, &ps, &pe) != 0) {
        snprintf(why, n, "response parameters do not fit the response");
        return 1;
    }
    for (int i = 0; layouts[k].params[i] != P_END; i++) {
        char a[200], b[200];
        if (take(layouts[k].params[i], rec, re, &rs, a, sizeof a) != 0) {
            snprintf(why, n, "recorded parameter %d does not unmarshal", i + 1);
            return 1;
        }
        if (take(layouts[k].params[i], rep, pe, &ps, b, sizeof b) != 0) {
            snprintf(why, n, "response parameter %d does not unmarshal (tss2-mu)", i + 1);
            snprintf(exp, en, "%s", a);
            snprintf(act, an, "bytes that do not unmarshal");
            return 1;
        }
        if (strcmp(a, b) != 0) {
            snprintf(why, n, "response parameter %d differs in a field compared exactly", i + 1);
            snprintf(exp, en, "%s", a);
            snprintf(act, an, "%s", b);
            return 1;
        }
    }
    if (ps != pe) {
        snprintf(why, n, "%zu bytes left after the response parameters", pe - ps);
        return 1;
    }
    return 0;
}
#else
int psh_cf_tpm_compare_struct(uint32_t cc, const uint8_t *rec, size_t rl, const uint8_t *rep,
                              size_t pl, char *why, size_t n, char *exp, size_t en, char *act,
                              size_t an)
{
    (void)cc, (void)rec, (void)rl, (void)rep, (void)pl, (void)why, (void)n;
    (void)exp, (void)en, (void)act, (void)an;
    return 0;
}
#endif
