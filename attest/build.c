/* Evidence builders: our KAT format (PAT, KAT, CMW collection) and the parsec-tpm CBOR map
 * from raw TPM outputs; trust-anchor loading. Producers emit deterministic (CTAP2 canonical)
 * key order: shorter keys first, then bytewise. */
#include "internal.h"

#include <string.h>

#include <mbedtls/platform_util.h>

#include "cbor_bounded.h"
#include "cose.h"
#include "tpms.h"
#include "util/alloc.h"

psh_status psh_attest_anchor_from_pem(psh_attest_anchor *a, const uint8_t *pem, size_t len)
{
    uint8_t *copy = NULL;
    psh_status st = PSH_ERR_PSA_INVALID_ARGUMENT;
    memset(a->id, 0, sizeof a->id);
    a->id_len = 0;
    mbedtls_pk_init(&a->pk);
    /* mbedtls_pk_parse_public_key wants PEM NUL-terminated, with the NUL counted. */
    copy = psh_malloc(len + 1);
    if (copy == NULL)
        return PSH_ERR_PSA_INSUFFICIENT_MEMORY;
    memcpy(copy, pem, len);
    copy[len] = 0;
    if (mbedtls_pk_parse_public_key(&a->pk, copy,
                                    strstr((char *)copy, "-----BEGIN") ? len + 1 : len) != 0)
        goto exit;
    if (!mbedtls_pk_can_do(&a->pk, MBEDTLS_PK_ECKEY) && !mbedtls_pk_can_do(&a->pk, MBEDTLS_PK_RSA))
        goto exit;
    st = PSH_SUCCESS;
exit:
    psh_free(copy);
    return st;
}

void psh_attest_anchor_free(psh_attest_anchor *a)
{
    mbedtls_pk_free(&a->pk);
    a->id_len = 0;
}

psh_status psh_attest_kid_from_pk(const mbedtls_pk_context *pk, uint8_t kid[33])
{
    uint8_t spki[600];
    size_t n = psh_att_pk_spki(pk, spki, sizeof spki);
    if (n == 0)
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    kid[0] = 0x01; /* UEID type RAND */
    psh_att_hash(MBEDTLS_MD_SHA256, spki, n, kid + 1);
    return PSH_SUCCESS;
}

psh_status psh_attest_spki_from_tpmt_public(const uint8_t *pub, size_t len, uint8_t *spki,
                                            size_t size, size_t *spki_len)
{
    psh_tpmt_public t;
    mbedtls_pk_context pk;
    uint8_t pt[1 + 2 * 66], der[300];
    const char *why;
    size_t n;
    psh_status st = PSH_ERR_PSA_INVALID_ARGUMENT;
    mbedtls_ecp_group_id g;

    *spki_len = 0;
    mbedtls_pk_init(&pk);
    if (psh_tpmt_public_parse(pub, len, &t, &why) != 0 || t.type != PSH_TPM_ALG_ECC)
        goto exit;
    g = t.curve == 3 ? MBEDTLS_ECP_DP_SECP256R1 : t.curve == 4 ? MBEDTLS_ECP_DP_SECP384R1
        : t.curve == 5 ? MBEDTLS_ECP_DP_SECP521R1 : MBEDTLS_ECP_DP_NONE;
    if (g == MBEDTLS_ECP_DP_NONE || t.x.len != t.y.len || t.x.len == 0)
        goto exit;
    pt[0] = 4;
    memcpy(pt + 1, t.x.p, t.x.len);
    memcpy(pt + 1 + t.x.len, t.y.p, t.y.len);
    if (psh_att_pk_from_point(&pk, g, pt, 1 + 2 * t.x.len) != 0 ||
        (n = psh_att_pk_spki(&pk, der, sizeof der)) == 0)
        goto exit;
    st = PSH_ERR_PSA_BUFFER_TOO_SMALL;
    if (n > size)
        goto exit;
    memcpy(spki, der, n);
    *spki_len = n;
    st = PSH_SUCCESS;
exit:
    mbedtls_pk_free(&pk);
    return st;
}

psh_status psh_attest_kid_from_tpmt_public(const uint8_t *pub, size_t len, uint8_t kid[33])
{
    uint8_t spki[300];
    size_t n;
    psh_status st = psh_attest_spki_from_tpmt_public(pub, len, spki, sizeof spki, &n);
    if (st != PSH_SUCCESS)
        return st;
    kid[0] = 0x01;
    psh_att_hash(MBEDTLS_MD_SHA256, spki, n, kid + 1);
    return PSH_SUCCESS;
}

psh_status psh_attest_tpm_name(const uint8_t *pub, size_t len, uint8_t name[66],
                               size_t *name_len)
{
    psh_tpmt_public t;
    const char *why;
    size_t hl;
    *name_len = 0;
    if (psh_tpmt_public_parse(pub, len, &t, &why) != 0)
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    hl = psh_att_hash((mbedtls_md_type_t)psh_tpm_hash_md(t.name_alg), pub, len, name + 2);
    if (hl == 0)
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    name[0] = (uint8_t)(t.name_alg >> 8);
    name[1] = (uint8_t)t.name_alg;
    *name_len = 2 + hl;
    return PSH_SUCCESS;
}

static psh_status finish(psh_cbuf *w, uint8_t **out, size_t *out_len)
{
    *out = psh_cbuf_take(w, out_len);
    return *out != NULL ? PSH_SUCCESS : PSH_ERR_PSA_INSUFFICIENT_MEMORY;
}

psh_status psh_kat_build_pat(mbedtls_pk_context *pak, const mbedtls_pk_context *kak_pub,
                             uint8_t **out, size_t *out_len)
{
    return psh_kat_build_pat_ext(psh_att_mbedtls_signer, pak, pak, kak_pub, out, out_len);
}

psh_status psh_kat_build_pat_ext(psh_attest_sign_fn sign, void *ctx,
                                 const mbedtls_pk_context *pak,
                                 const mbedtls_pk_context *kak_pub, uint8_t **out,
                                 size_t *out_len)
{
    psh_cbuf key = {0}, claims = {0};
    uint8_t h[32], kid[33];
    psh_status st = PSH_ERR_PSA_INVALID_ARGUMENT;

    *out = NULL;
    *out_len = 0;
    if (psh_att_ec_size(pak) == 0 || psh_att_ec_size(kak_pub) == 0 ||
        psh_attest_kid_from_pk(pak, kid) != PSH_SUCCESS)
        goto exit;
    psh_cose_key_encode(&key, kak_pub);
    if (key.err)
        goto exit;
    psh_att_hash(MBEDTLS_MD_SHA256, key.p, key.len, h);
    /* {10: binding, 256: ueid, 265: profile} in canonical order. */
    psh_cbuf_head(&claims, 5, 3);
    psh_cbuf_int(&claims, 10);
    psh_cbuf_bytes(&claims, h, sizeof h);
    psh_cbuf_int(&claims, 256);
    psh_cbuf_bytes(&claims, kid, sizeof kid);
    psh_cbuf_int(&claims, 265);
    psh_cbuf_text(&claims, PSH_KAT_PAT_PROFILE);
    if (claims.err)
        goto exit;
    st = psh_cose_sign1_sign_ext(sign, ctx, pak, kid, sizeof kid, claims.p, claims.len, out,
                                 out_len) == 0
             ? PSH_SUCCESS : PSH_ERR_PSA_GENERIC;
exit:
    psh_cbuf_free(&key);
    psh_cbuf_free(&claims);
    return st;
}

psh_status psh_kat_build_kat(mbedtls_pk_context *kak, const mbedtls_pk_context *ik_pub,
                             const uint8_t *nonce, size_t nonce_len, uint8_t **out,
                             size_t *out_len)
{
    return psh_kat_build_kat_ext(psh_att_mbedtls_signer, kak, kak, ik_pub, nonce, nonce_len, out,
                                 out_len);
}

psh_status psh_kat_build_kat_ext(psh_attest_sign_fn sign, void *ctx,
                                 const mbedtls_pk_context *kak,
                                 const mbedtls_pk_context *ik_pub, const uint8_t *nonce,
                                 size_t nonce_len, uint8_t **out, size_t *out_len)
{
    psh_cbuf claims = {0};
    psh_status st = PSH_ERR_PSA_INVALID_ARGUMENT;

    *out = NULL;
    *out_len = 0;
    if (nonce == NULL || nonce_len < PSH_ATTEST_NONCE_MIN || nonce_len > PSH_ATTEST_NONCE_MAX ||
        psh_att_ec_size(kak) == 0 || psh_att_ec_size(ik_pub) == 0)
        goto exit;
    /* {8: {1: COSE_Key(ik)}, 10: nonce, 2500: COSE_Key(kak)} */
    psh_cbuf_head(&claims, 5, 3);
    psh_cbuf_int(&claims, 8);
    psh_cbuf_head(&claims, 5, 1);
    psh_cbuf_int(&claims, 1);
    psh_cose_key_encode(&claims, ik_pub);
    psh_cbuf_int(&claims, 10);
    psh_cbuf_bytes(&claims, nonce, nonce_len);
    psh_cbuf_int(&claims, PSH_KAT_LABEL_KAK_PUB);
    psh_cose_key_encode(&claims, kak);
    if (claims.err)
        goto exit;
    st = psh_cose_sign1_sign_ext(sign, ctx, kak, NULL, 0, claims.p, claims.len, out, out_len) == 0
             ? PSH_SUCCESS : PSH_ERR_PSA_GENERIC;
exit:
    psh_cbuf_free(&claims);
    return st;
}

psh_status psh_kat_build_cab(const uint8_t *kat, size_t kat_len, const uint8_t *pat,
                             size_t pat_len, uint8_t **out, size_t *out_len)
{
    psh_cbuf w = {0};
    *out = NULL;
    *out_len = 0;
    if (kat == NULL || pat == NULL || kat_len == 0 || pat_len == 0)
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    psh_cbuf_head(&w, 5, 3);
    psh_cbuf_text(&w, "kat");
    psh_cbuf_head(&w, 4, 2);
    psh_cbuf_text(&w, PSH_KAT_MEDIA_TYPE);
    psh_cbuf_bytes(&w, kat, kat_len);
    psh_cbuf_text(&w, "pat");
    psh_cbuf_head(&w, 4, 2);
    psh_cbuf_text(&w, PSH_KAT_MEDIA_TYPE);
    psh_cbuf_bytes(&w, pat, pat_len);
    psh_cbuf_text(&w, "__cmwc_t");
    psh_cbuf_text(&w, PSH_KAT_CMWC_TYPE);
    return finish(&w, out, out_len);
}

psh_status psh_kat_sign(mbedtls_pk_context *pak, mbedtls_pk_context *kak,
                        const mbedtls_pk_context *ik_pub, const uint8_t *nonce,
                        size_t nonce_len, uint8_t **out, size_t *out_len)
{
    uint8_t *k = NULL, *p = NULL;
    size_t kl = 0, pl = 0;
    psh_status st;
    *out = NULL;
    *out_len = 0;
    st = psh_kat_build_kat(kak, ik_pub, nonce, nonce_len, &k, &kl);
    if (st == PSH_SUCCESS)
        st = psh_kat_build_pat(pak, kak, &p, &pl);
    if (st == PSH_SUCCESS)
        st = psh_kat_build_cab(k, kl, p, pl, out, out_len);
    psh_free(k);
    psh_free(p);
    return st;
}

psh_status psh_tpm_evidence_build(const psh_tpm_evidence_parts *p, uint8_t **out,
                                  size_t *out_len)
{
    psh_cbuf w = {0};
    *out = NULL;
    *out_len = 0;
    if (p == NULL || p->kid == NULL || p->kat_sig == NULL || p->pub_area == NULL ||
        p->cert_info == NULL || p->pat_sig == NULL || p->attest_info == NULL)
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    /* CTAP2 canonical: kat < pat; kid, sig, tpmVer, pubArea, certInfo; kid, sig, tpmVer,
     * attestInfo (attestation.md sec 1.1). */
    psh_cbuf_head(&w, 5, 2);
    psh_cbuf_text(&w, "kat");
    psh_cbuf_head(&w, 5, 5);
    psh_cbuf_text(&w, "kid");
    psh_cbuf_bytes(&w, p->kid, p->kid_len);
    psh_cbuf_text(&w, "sig");
    psh_cbuf_bytes(&w, p->kat_sig, p->kat_sig_len);
    psh_cbuf_text(&w, "tpmVer");
    psh_cbuf_text(&w, "2.0");
    psh_cbuf_text(&w, "pubArea");
    psh_cbuf_bytes(&w, p->pub_area, p->pub_area_len);
    psh_cbuf_text(&w, "certInfo");
    psh_cbuf_bytes(&w, p->cert_info, p->cert_info_len);
    psh_cbuf_text(&w, "pat");
    psh_cbuf_head(&w, 5, 4);
    psh_cbuf_text(&w, "kid");
    psh_cbuf_bytes(&w, p->kid, p->kid_len);
    psh_cbuf_text(&w, "sig");
    psh_cbuf_bytes(&w, p->pat_sig, p->pat_sig_len);
    psh_cbuf_text(&w, "tpmVer");
    psh_cbuf_text(&w, "2.0");
    psh_cbuf_text(&w, "attestInfo");
    psh_cbuf_bytes(&w, p->attest_info, p->attest_info_len);
    return finish(&w, out, out_len);
}
