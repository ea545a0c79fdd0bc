/* Test helper (not the TPM provider): produces raw parsec-tpm ingredients from a real TPM
 * through ESAPI, so the verifier is checked against genuine TPM2_Certify/TPM2_Quote output.
 * Creates a restricted ECDSA P-256 AK and an ECC P-256 signing key (the attested key) as
 * primaries in the owner hierarchy, then writes into OUTDIR:
 *   ak.pub, key.pub   marshalled TPMT_PUBLIC
 *   certinfo, certsig TPMS_ATTEST and TPMT_SIGNATURE of Certify(key, AK, nonce)
 *   quote, quotesig   TPMS_ATTEST and TPMT_SIGNATURE of Quote(AK, nonce, sha256:0,1,2)
 * usage: tpm_certify_quote TCTI NONCEHEX OUTDIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_tctildr.h>

static int save(const char *dir, const char *name, const uint8_t *p, size_t n)
{
    char path[1024];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "wb");
    if (f == NULL || fwrite(p, 1, n, f) != n) {
        fprintf(stderr, "tpm_certify_quote: cannot write %s\n", path);
        if (f)
            fclose(f);
        return -1;
    }
    return fclose(f) == 0 ? 0 : -1;
}

static int save_pub(const char *dir, const char *name, const TPM2B_PUBLIC *pub)
{
    uint8_t b[sizeof(TPMT_PUBLIC)];
    size_t off = 0;
    if (Tss2_MU_TPMT_PUBLIC_Marshal(&pub->publicArea, b, sizeof b, &off) != 0)
        return -1;
    return save(dir, name, b, off);
}

static int save_sig(const char *dir, const char *name, const TPMT_SIGNATURE *s)
{
    uint8_t b[sizeof(TPMT_SIGNATURE)];
    size_t off = 0;
    if (Tss2_MU_TPMT_SIGNATURE_Marshal(s, b, sizeof b, &off) != 0)
        return -1;
    return save(dir, name, b, off);
}

static TPM2B_PUBLIC ecc_template(int restricted)
{
    TPM2B_PUBLIC t;
    memset(&t, 0, sizeof t);
    t.publicArea.type = TPM2_ALG_ECC;
    t.publicArea.nameAlg = TPM2_ALG_SHA256;
    t.publicArea.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                                    TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
                                    TPMA_OBJECT_SIGN_ENCRYPT |
                                    (restricted ? TPMA_OBJECT_RESTRICTED : 0);
    t.publicArea.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
    t.publicArea.parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
    t.publicArea.parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
    t.publicArea.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
    t.publicArea.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
    /* A distinct unique field keeps the two primaries apart. */
    t.publicArea.unique.ecc.x.size = 1;
    t.publicArea.unique.ecc.x.buffer[0] = (uint8_t)restricted;
    return t;
}

int main(int argc, char **argv)
{
    TSS2_TCTI_CONTEXT *tcti = NULL;
    ESYS_CONTEXT *ctx = NULL;
    ESYS_TR ak = ESYS_TR_NONE, key = ESYS_TR_NONE;
    TPM2B_SENSITIVE_CREATE sens;
    TPM2B_DATA outside, nonce;
    TPML_PCR_SELECTION none, sel;
    TPM2B_PUBLIC *akpub = NULL, *keypub = NULL, tmpl;
    TPM2B_ATTEST *ci = NULL, *qi = NULL;
    TPMT_SIGNATURE *cs = NULL, *qs = NULL;
    TPMT_SIG_SCHEME scheme;
    int rc = 1;

    if (argc != 4 || strlen(argv[2]) % 2 || strlen(argv[2]) / 2 > sizeof nonce.buffer) {
        fprintf(stderr, "usage: tpm_certify_quote TCTI NONCEHEX OUTDIR\n");
        return 2;
    }
    memset(&nonce, 0, sizeof nonce);
    for (size_t i = 0; i < strlen(argv[2]) / 2; i++) {
        unsigned v;
        sscanf(argv[2] + 2 * i, "%2x", &v);
        nonce.buffer[nonce.size++] = (uint8_t)v;
    }
    memset(&sens, 0, sizeof sens);
    memset(&outside, 0, sizeof outside);
    memset(&none, 0, sizeof none);
    memset(&sel, 0, sizeof sel);
    sel.count = 1;
    sel.pcrSelections[0].hash = TPM2_ALG_SHA256;
    sel.pcrSelections[0].sizeofSelect = 3;
    sel.pcrSelections[0].pcrSelect[0] = 0x07;
    memset(&scheme, 0, sizeof scheme);
    scheme.scheme = TPM2_ALG_ECDSA;
    scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;

    if (Tss2_TctiLdr_Initialize(argv[1], &tcti) != 0 || Esys_Initialize(&ctx, tcti, NULL) != 0) {
        fprintf(stderr, "tpm_certify_quote: cannot reach the TPM at %s\n", argv[1]);
        goto exit;
    }
    tmpl = ecc_template(1);
    if (Esys_CreatePrimary(ctx, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                           &sens, &tmpl, &outside, &none, &ak, &akpub, NULL, NULL, NULL) != 0)
        goto fail;
    tmpl = ecc_template(0);
    if (Esys_CreatePrimary(ctx, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                           &sens, &tmpl, &outside, &none, &key, &keypub, NULL, NULL, NULL) != 0)
        goto fail;
    if (Esys_Certify(ctx, key, ak, ESYS_TR_PASSWORD, ESYS_TR_PASSWORD, ESYS_TR_NONE, &nonce,
                     &scheme, &ci, &cs) != 0 ||
        Esys_Quote(ctx, ak, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &nonce, &scheme, &sel,
                   &qi, &qs) != 0)
        goto fail;
    if (save_pub(argv[3], "ak.pub", akpub) || save_pub(argv[3], "key.pub", keypub) ||
        save(argv[3], "certinfo", ci->attestationData, ci->size) ||
        save_sig(argv[3], "certsig", cs) ||
        save(argv[3], "quote", qi->attestationData, qi->size) || save_sig(argv[3], "quotesig", qs))
        goto exit;
    rc = 0;
    goto exit;
fail:
    fprintf(stderr, "tpm_certify_quote: a TPM command failed\n");
exit:
    if (ctx != NULL) {
        if (ak != ESYS_TR_NONE)
            Esys_FlushContext(ctx, ak);
        if (key != ESYS_TR_NONE)
            Esys_FlushContext(ctx, key);
        Esys_Finalize(&ctx);
    }
    Tss2_TctiLdr_Finalize(&tcti);
    Esys_Free(akpub);
    Esys_Free(keypub);
    Esys_Free(ci);
    Esys_Free(qi);
    Esys_Free(cs);
    Esys_Free(qs);
    return rc;
}
