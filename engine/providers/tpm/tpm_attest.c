/* Key attestation in the TPM provider (docs/tpm.md "Key attestation", docs/evidence.md).
 *
 * ActivateCredential (upstream, attestation.md sec 5): the attesting key is the Endorsement
 * Key from the TCG default RSA-2048 template, created on demand in the endorsement hierarchy
 * and flushed after use; its authPolicy is PolicySecret(TPM_RH_ENDORSEMENT), satisfied by a
 * policy session per request.
 *
 * Evidence (ours, mechanism 1001): parsec-tpm CBOR from TPM2_Certify + TPM2_Quote signed by
 * a restricted ECDSA P-256 AK. The AK is a primary in the owner hierarchy from a fixed
 * template, so it is the same key after every restart and TPM reset (the owner seed
 * survives both) and nothing is stored; it is created per request and flushed, since a TPM
 * without a resource manager has only 3 object slots (storage primary, attested key, AK). */
#include <stdlib.h>
#include <string.h>

#include <mbedtls/platform_util.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>

#include "attest.h"
#include "providers/tpm/tpm_internal.h"
#include "util/alloc.h"

#define PSH_LOGMODULE tpm
#include "util/log.h"

#define MEDIA_TYPE_TPM "application/vnd.parallaxsecond.key-attestation.tpm"

/* TCG EK Credential Profile, default EK template L-1 (RSA 2048): the authPolicy is
 * PolicySecret(TPM_RH_ENDORSEMENT). */
static const uint8_t ek_policy[32] = {
    0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xB3, 0xF8, 0x1A, 0x90, 0xCC, 0x8D, 0x46, 0xA5, 0xD7, 0x24,
    0xFD, 0x52, 0xD7, 0x6E, 0x06, 0x52, 0x0B, 0x64, 0xF2, 0xA1, 0xDA, 0x1B, 0x33, 0x14, 0x69, 0xAA};

static void ek_template(TPM2B_PUBLIC *t)
{
    TPMT_PUBLIC *p = &t->publicArea;
    memset(t, 0, sizeof *t);
    p->type = TPM2_ALG_RSA;
    p->nameAlg = TPM2_ALG_SHA256;
    p->objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                          TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_ADMINWITHPOLICY |
                          TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;
    p->authPolicy.size = sizeof ek_policy;
    memcpy(p->authPolicy.buffer, ek_policy, sizeof ek_policy);
    p->parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_AES;
    p->parameters.rsaDetail.symmetric.keyBits.aes = 128;
    p->parameters.rsaDetail.symmetric.mode.aes = TPM2_ALG_CFB;
    p->parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
    p->parameters.rsaDetail.keyBits = 2048;
    p->parameters.rsaDetail.exponent = 0;
    p->unique.rsa.size = 256; /* zeros, as the template says */
}

/* Restricted signing AK (the attributes of tss-esapi's create_ak plus noDA, as every object
 * of ours: its auth is empty). "parsec-harness-ak" in unique keeps it apart from the storage
 * primary and from other templates. */
static void ak_template(TPM2B_PUBLIC *t)
{
    TPMT_PUBLIC *p = &t->publicArea;
    memset(t, 0, sizeof *t);
    p->type = TPM2_ALG_ECC;
    p->nameAlg = TPM2_ALG_SHA256;
    p->objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                          TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
                          TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_NODA;
    p->parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
    p->parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
    p->parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
    p->parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
    p->parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
    memcpy(p->unique.ecc.x.buffer, "parsec-harness-ak", 17);
    p->unique.ecc.x.size = 17;
}

/* TPM codes without the handle/parameter/session number. */
static TPM2_RC code_of(TSS2_RC rc)
{
    if ((rc & TSS2_RC_LAYER_MASK) != TSS2_TPM_RC_LAYER)
        return 0;
    rc &= 0xFFFF;
    return (rc & TPM2_RC_FMT1) ? (rc & (TPM2_RC_FMT1 | 0x3F)) : rc;
}

int tpm_in_failure_mode(tpm_ctx *ctx)
{
    TPM2B_DIGEST *r = NULL;
    TSS2_RC rc = Esys_GetRandom(ctx->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, 1, &r);
    Esys_Free(r);
    return code_of(rc) == TPM2_RC_FAILURE;
}

static TSS2_RC create_primary(tpm_ctx *ctx, ESYS_TR hierarchy, const TPM2B_PUBLIC *tmpl,
                              ESYS_TR *h, TPM2B_PUBLIC **pub)
{
    TPM2B_SENSITIVE_CREATE sens;
    TPM2B_DATA outside = {.size = 0};
    TPML_PCR_SELECTION pcr = {.count = 0};
    TSS2_RC rc;
    memset(&sens, 0, sizeof sens);
    /* Storage primary + the attested key + this one = the 3 slots of swtpm/libtpms. */
    rc = tpm_cache_make_room(ctx);
    if (rc != TSS2_RC_SUCCESS)
        return rc;
    return Esys_CreatePrimary(ctx->esys, hierarchy, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                              &sens, tmpl, &outside, &pcr, h, pub, NULL, NULL, NULL);
}

static void flush(tpm_ctx *ctx, ESYS_TR *h)
{
    if (*h != ESYS_TR_NONE)
        Esys_FlushContext(ctx->esys, *h);
    *h = ESYS_TR_NONE;
}

/* ---- ActivateCredential ------------------------------------------------------------------ */

static TSS2_RC op_prepare(tpm_ctx *ctx, ESYS_TR h, const tpm_blob *b, void *arg, psh_status *st)
{
    psh_attest_prepare_out *out = arg;
    TPM2B_NAME *name = NULL;
    TPM2B_PUBLIC tmpl, *ek_pub = NULL;
    ESYS_TR ek = ESYS_TR_NONE;
    size_t off = 0;
    TSS2_RC rc;

    rc = Esys_TR_GetName(ctx->esys, h, &name);
    if (rc != TSS2_RC_SUCCESS) {
        *st = tpm_rc_to_status(rc, "get the key's name");
        return rc;
    }
    if (name->size > sizeof out->name) {
        *st = PSH_ERR_PSA_GENERIC;
        goto exit;
    }
    memcpy(out->name, name->name, name->size);
    out->name_len = name->size;
    rc = Tss2_MU_TPMT_PUBLIC_Marshal(&b->pub.publicArea, out->pub, sizeof out->pub, &off);
    if (rc != TSS2_RC_SUCCESS) {
        *st = PSH_ERR_PSA_GENERIC;
        rc = TSS2_RC_SUCCESS;
        goto exit;
    }
    out->pub_len = off;
    ek_template(&tmpl);
    rc = create_primary(ctx, ESYS_TR_RH_ENDORSEMENT, &tmpl, &ek, &ek_pub);
    if (rc != TSS2_RC_SUCCESS) {
        *st = tpm_rc_to_status(rc, "create the EK");
        goto exit;
    }
    *st = tpm_export_public(&ek_pub->publicArea, out->ak_pub, sizeof out->ak_pub,
                            &out->ak_pub_len);
exit:
    flush(ctx, &ek);
    Esys_Free(ek_pub);
    Esys_Free(name);
    return rc;
}

psh_status tpm_attest_prepare_credential(void *ctx, const psh_key_ref *key,
                                         psh_attest_prepare_out *out)
{
    return tpm_run(ctx, key, op_prepare, out);
}

typedef struct activate_args {
    const uint8_t *blob, *secret;
    size_t blob_len, secret_len;
    uint8_t *out;
    size_t out_size, *out_len;
} activate_args;

static TSS2_RC op_activate(tpm_ctx *ctx, ESYS_TR h, const tpm_blob *b, void *arg,
                           psh_status *st)
{
    activate_args *a = arg;
    TPM2B_ID_OBJECT blob;
    TPM2B_ENCRYPTED_SECRET secret;
    TPM2B_PUBLIC tmpl;
    TPM2B_DIGEST *cred = NULL;
    TPMT_SYM_DEF sym = {.algorithm = TPM2_ALG_NULL};
    ESYS_TR ek = ESYS_TR_NONE, sess = ESYS_TR_NONE;
    const char *what = "create the EK";
    TSS2_RC rc;
    (void)b;

    memset(&blob, 0, sizeof blob);
    memset(&secret, 0, sizeof secret);
    blob.size = (UINT16)a->blob_len;
    memcpy(blob.credential, a->blob, a->blob_len);
    secret.size = (UINT16)a->secret_len;
    memcpy(secret.secret, a->secret, a->secret_len);
    ek_template(&tmpl);
    rc = create_primary(ctx, ESYS_TR_RH_ENDORSEMENT, &tmpl, &ek, NULL);
    if (rc != TSS2_RC_SUCCESS)
        goto exit;
    what = "start the EK policy session";
    rc = Esys_StartAuthSession(ctx->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                               ESYS_TR_NONE, NULL, TPM2_SE_POLICY, &sym, TPM2_ALG_SHA256, &sess);
    if (rc != TSS2_RC_SUCCESS)
        goto exit;
    /* The session ends with the ActivateCredential that uses it (ESAPI sets continueSession
     * by default; swtpm has only 3 session slots). A failed command leaves it: flushed below. */
    rc = Esys_TRSess_SetAttributes(ctx->esys, sess, 0, TPMA_SESSION_CONTINUESESSION);
    if (rc != TSS2_RC_SUCCESS)
        goto exit;
    what = "TPM2_PolicySecret(endorsement)";
    rc = Esys_PolicySecret(ctx->esys, ESYS_TR_RH_ENDORSEMENT, sess, ESYS_TR_PASSWORD,
                           ESYS_TR_NONE, ESYS_TR_NONE, NULL, NULL, NULL, 0, NULL, NULL);
    if (rc != TSS2_RC_SUCCESS)
        goto exit;
    what = "TPM2_ActivateCredential";
    rc = Esys_ActivateCredential(ctx->esys, h, ek, ESYS_TR_PASSWORD, sess, ESYS_TR_NONE, &blob,
                                 &secret, &cred);
    if (rc == TSS2_RC_SUCCESS) {
        sess = ESYS_TR_NONE; /* ended with the command */
        if (cred->size > a->out_size) {
            *st = PSH_ERR_PSA_BUFFER_TOO_SMALL;
        } else {
            memcpy(a->out, cred->buffer, cred->size);
            *a->out_len = cred->size;
            *st = PSH_SUCCESS;
        }
        mbedtls_platform_zeroize(cred, sizeof *cred);
    }
exit:
    if (rc != TSS2_RC_SUCCESS) {
        TPM2_RC code = code_of(rc);
        *st = tpm_rc_to_status(rc, what);
        /* attestation.md sec 5: BadAuth -> GenericError; Value/Size -> InvalidArgument. A
         * blob whose HMAC does not verify (integrity) is the caller's bad argument too. */
        if (code == TPM2_RC_FAILURE && !tpm_in_failure_mode(ctx))
            code = TPM2_RC_VALUE; /* libtpms: a secret that does not decrypt (see tpm_internal.h) */
        if (code == TPM2_RC_BAD_AUTH)
            *st = PSH_ERR_PSA_GENERIC;
        else if (code == TPM2_RC_INTEGRITY || code == TPM2_RC_VALUE || code == TPM2_RC_SIZE)
            *st = PSH_ERR_PSA_INVALID_ARGUMENT;
    }
    flush(ctx, &sess);
    flush(ctx, &ek);
    Esys_Free(cred);
    return rc;
}

psh_status tpm_attest_activate_credential(void *ctx, const psh_key_ref *key,
                                          const uint8_t *blob, size_t blob_len,
                                          const uint8_t *secret, size_t secret_len, uint8_t *out,
                                          size_t out_size, size_t *out_len)
{
    activate_args a = {blob, secret, blob_len, secret_len, out, out_size, out_len};
    /* Sizes the TPM2B types cannot carry are malformed requests, not TPM errors. */
    if (blob_len == 0 || blob_len > sizeof(((TPM2B_ID_OBJECT *)0)->credential) ||
        secret_len == 0 || secret_len > sizeof(((TPM2B_ENCRYPTED_SECRET *)0)->secret))
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    return tpm_run(ctx, key, op_activate, &a);
}

/* ---- Evidence (parsec-tpm) --------------------------------------------------------------- */

/* The quoted PCRs: SHA-256 bank (the bank hash must equal the AK's signature hash), PCRs 0-7
 * unless PSH_TPM_ATTEST_PCRS lists others ("0,1,2,10"). */
static void pcr_selection(TPML_PCR_SELECTION *sel)
{
    const char *env = getenv("PSH_TPM_ATTEST_PCRS");
    uint32_t mask = 0xFF;
    memset(sel, 0, sizeof *sel);
    if (env != NULL && env[0] != '\0') {
        const char *p = env;
        uint32_t m = 0;
        while (*p != '\0') {
            char *end = NULL;
            unsigned long v = strtoul(p, &end, 10);
            if (end == p || v > 23)
                break;
            m |= 1u << v;
            p = (*end == ',') ? end + 1 : end;
            if (*end != ',' && *end != '\0')
                break;
        }
        if (m != 0)
            mask = m;
    }
    sel->count = 1;
    sel->pcrSelections[0].hash = TPM2_ALG_SHA256;
    sel->pcrSelections[0].sizeofSelect = 3;
    sel->pcrSelections[0].pcrSelect[0] = (uint8_t)(mask & 0xFF);
    sel->pcrSelections[0].pcrSelect[1] = (uint8_t)((mask >> 8) & 0xFF);
    sel->pcrSelections[0].pcrSelect[2] = (uint8_t)((mask >> 16) & 0xFF);
}

typedef struct evidence_args {
    const uint8_t *nonce;
    size_t nonce_len;
    uint8_t **out;
    size_t *out_len;
    psh_attest_anchor_out *anchor; /* set: only the AK's public key is wanted */
} evidence_args;

/* Marshalled buffers for the CBOR builder. */
typedef struct ev_bufs {
    uint8_t ak_pub[sizeof(TPMT_PUBLIC)], key_pub[sizeof(TPMT_PUBLIC)];
    uint8_t kat_sig[sizeof(TPMT_SIGNATURE)], pat_sig[sizeof(TPMT_SIGNATURE)];
    size_t ak_pub_len, key_pub_len, kat_sig_len, pat_sig_len;
    uint8_t kid[33];
} ev_bufs;

static psh_status anchor_from_ak(const uint8_t *pub, size_t len, psh_attest_anchor_out *a)
{
    psh_status st = psh_attest_spki_from_tpmt_public(pub, len, a->spki, sizeof a->spki,
                                                     &a->spki_len);
    if (st == PSH_SUCCESS)
        st = psh_attest_kid_from_tpmt_public(pub, len, a->kid);
    if (st == PSH_SUCCESS)
        a->kid_len = 33;
    a->media_type = MEDIA_TYPE_TPM;
    return st;
}

static TSS2_RC op_evidence(tpm_ctx *ctx, ESYS_TR h, const tpm_blob *b, void *arg,
                           psh_status *st)
{
    evidence_args *e = arg;
    ev_bufs *buf = NULL;
    TPM2B_PUBLIC tmpl, *ak_pub = NULL;
    TPM2B_DATA qual;
    TPMT_SIG_SCHEME scheme = {.scheme = TPM2_ALG_ECDSA};
    TPML_PCR_SELECTION sel;
    TPM2B_ATTEST *cert = NULL, *quote = NULL;
    TPMT_SIGNATURE *csig = NULL, *qsig = NULL;
    ESYS_TR ak = ESYS_TR_NONE;
    const char *what = "create the AK";
    TSS2_RC rc;

    *st = PSH_ERR_PSA_INSUFFICIENT_MEMORY;
    if ((buf = psh_calloc(1, sizeof *buf)) == NULL)
        return TSS2_RC_SUCCESS;
    ak_template(&tmpl);
    rc = create_primary(ctx, ESYS_TR_RH_OWNER, &tmpl, &ak, &ak_pub);
    if (rc != TSS2_RC_SUCCESS)
        goto exit;
    rc = Tss2_MU_TPMT_PUBLIC_Marshal(&ak_pub->publicArea, buf->ak_pub, sizeof buf->ak_pub,
                                     &buf->ak_pub_len);
    if (rc != TSS2_RC_SUCCESS)
        goto marshal;
    if (e->anchor != NULL) {
        *st = anchor_from_ak(buf->ak_pub, buf->ak_pub_len, e->anchor);
        goto exit;
    }
    scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
    qual.size = (UINT16)e->nonce_len;
    memcpy(qual.buffer, e->nonce, e->nonce_len);
    what = "TPM2_Certify";
    rc = Esys_Certify(ctx->esys, h, ak, ESYS_TR_PASSWORD, ESYS_TR_PASSWORD, ESYS_TR_NONE, &qual,
                      &scheme, &cert, &csig);
    if (rc != TSS2_RC_SUCCESS)
        goto exit;
    pcr_selection(&sel);
    what = "TPM2_Quote";
    rc = Esys_Quote(ctx->esys, ak, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &qual, &scheme,
                    &sel, &quote, &qsig);
    if (rc != TSS2_RC_SUCCESS)
        goto exit;
    if ((rc = Tss2_MU_TPMT_PUBLIC_Marshal(&b->pub.publicArea, buf->key_pub, sizeof buf->key_pub,
                                          &buf->key_pub_len)) != TSS2_RC_SUCCESS ||
        (rc = Tss2_MU_TPMT_SIGNATURE_Marshal(csig, buf->kat_sig, sizeof buf->kat_sig,
                                             &buf->kat_sig_len)) != TSS2_RC_SUCCESS ||
        (rc = Tss2_MU_TPMT_SIGNATURE_Marshal(qsig, buf->pat_sig, sizeof buf->pat_sig,
                                             &buf->pat_sig_len)) != TSS2_RC_SUCCESS)
        goto marshal;
    *st = psh_attest_kid_from_tpmt_public(buf->ak_pub, buf->ak_pub_len, buf->kid);
    if (*st == PSH_SUCCESS) {
        psh_tpm_evidence_parts parts = {
            buf->kid, sizeof buf->kid, buf->kat_sig, buf->kat_sig_len, buf->key_pub,
            buf->key_pub_len, cert->attestationData, cert->size, buf->pat_sig,
            buf->pat_sig_len, quote->attestationData, quote->size};
        *st = psh_tpm_evidence_build(&parts, e->out, e->out_len);
    }
    goto exit;
marshal:
    LOG_ERROR("cannot marshal a TPM structure: %s", Tss2_RC_Decode(rc));
    *st = PSH_ERR_PSA_GENERIC;
    rc = TSS2_RC_SUCCESS;
exit:
    if (rc != TSS2_RC_SUCCESS)
        *st = tpm_rc_to_status(rc, what);
    flush(ctx, &ak);
    Esys_Free(ak_pub);
    Esys_Free(cert);
    Esys_Free(quote);
    Esys_Free(csig);
    Esys_Free(qsig);
    psh_free(buf);
    return rc;
}

psh_status tpm_attest_anchor(void *ctx, psh_attest_anchor_out *out)
{
    evidence_args e = {NULL, 0, NULL, NULL, out};
    return tpm_run(ctx, NULL, op_evidence, &e);
}

psh_status tpm_attest_evidence(void *ctx, const psh_key_ref *key, const uint8_t *nonce,
                               size_t nonce_len, uint8_t **ev, size_t *ev_len,
                               const char **media_type)
{
    evidence_args e = {nonce, nonce_len, ev, ev_len, NULL};
    psh_status st;
    *ev = NULL;
    *ev_len = 0;
    if (nonce_len > sizeof(((TPM2B_DATA *)0)->buffer))
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    st = tpm_run(ctx, key, op_evidence, &e);
    if (st != PSH_SUCCESS) {
        psh_free(*ev);
        *ev = NULL;
        *ev_len = 0;
    }
    *media_type = MEDIA_TYPE_TPM;
    return st;
}
