/* parsec-tpm verification, attestation.md sec 1.6, steps 1-8, plus the nonce check Veraison
 * omits (services#447). Every check is recorded; decoding failures stop early since later
 * steps have nothing to look at. */
#include "internal.h"

#include <stdio.h>
#include <string.h>

#include "cbor_bounded.h"
#include "cose.h"
#include "tpms.h"

#define NA PSH_ERR_PSA_INVALID_ARGUMENT
#define NP PSH_ERR_PSA_NOT_PERMITTED
#define SIG PSH_ERR_PSA_INVALID_SIGNATURE

typedef struct tok {
    const uint8_t *kid, *sig, *info, *pub;
    size_t kid_len, sig_len, info_len, pub_len;
} tok;

/* Step 1: a token map with every key; `info` is certInfo (KAT) or attestInfo (PAT). */
static int get_token(psh_attest_appraisal *a, const cbor_item_t *root, const char *which,
                     const char *info_key, int want_pub, tok *t)
{
    cbor_item_t *m = NULL, *v = NULL;
    char name[32];
    snprintf(name, sizeof name, "%s.decode", which);
    memset(t, 0, sizeof *t);
    if (psh_cbor_map_text(root, which, &m) != 1 || !cbor_isa_map(m)) {
        psh_ap_fail(a, NA, name, "nil %s attestation token supplied (no \"%s\" map, or twice)",
                    strcmp(which, "kat") == 0 ? "key" : "platform", which);
        return -1;
    }
    /* Veraison only wants it non-empty; we parse TPM 2.0 structures and nothing else. */
    if (psh_cbor_map_text(m, "tpmVer", &v) != 1 || !psh_cbor_text_eq(v, "2.0")) {
        psh_ap_fail(a, NA, name, "%s: \"tpmVer\" missing or not \"2.0\"", which);
        return -1;
    }
    if (psh_cbor_map_text(m, "kid", &v) != 1 || psh_cbor_bytes(v, &t->kid, &t->kid_len) != 0) {
        psh_ap_fail(a, NA, name, "%s: missing key identifier \"kid\"", which);
        return -1;
    }
    if (psh_cbor_map_text(m, "sig", &v) != 1 || psh_cbor_bytes(v, &t->sig, &t->sig_len) != 0) {
        psh_ap_fail(a, NA, name, "%s: \"sig\" missing or not a bstr", which);
        return -1;
    }
    if (psh_cbor_map_text(m, info_key, &v) != 1 ||
        psh_cbor_bytes(v, &t->info, &t->info_len) != 0) {
        psh_ap_fail(a, NA, name, "%s: \"%s\" missing or not a bstr", which, info_key);
        return -1;
    }
    /* A missing pubArea is reported by the name check, after the certified name. */
    if (want_pub && psh_cbor_map_text(m, "pubArea", &v) == 1 &&
        psh_cbor_bytes(v, &t->pub, &t->pub_len) != 0) {
        psh_ap_fail(a, NA, name, "%s: \"pubArea\" is not a bstr", which);
        return -1;
    }
    psh_ap_pass(a, name);
    return 0;
}

/* Steps 3 and 6: verify `sig` (TPMT_SIGNATURE, ECDSA) over the TPMS_ATTEST bytes. */
static void check_sig(psh_attest_appraisal *a, const char *name, const psh_attest_anchor *ak,
                      const tok *t, const psh_tpmt_signature *s)
{
    uint8_t h[64];
    size_t hl;
    if (ak == NULL) {
        psh_ap_fail(a, NP, name, "no trust anchor to verify with");
        return;
    }
    hl = psh_att_hash((mbedtls_md_type_t)psh_tpm_hash_md(s->hash), t->info, t->info_len, h);
    if (hl == 0 || s->hash == PSH_TPM_ALG_SHA1) {
        psh_ap_fail(a, NA, name, "signature hash 0x%04x is not SHA-256/384/512", s->hash);
        return;
    }
    if (psh_att_ecdsa_verify(&ak->pk, h, hl, s->r.p, s->r.len, s->s.p, s->s.len) != 0)
        psh_ap_fail(a, SIG, name, "signature does not verify with the attestation key");
    else
        psh_ap_pass(a, name);
}

/* Step 4-5: certified name == nameAlg || H(pubArea); key created in and bound to the TPM. */
static void check_kat_key(psh_attest_appraisal *a, const tok *kat, const psh_tpms_attest *ci)
{
    psh_tpmt_public pub;
    const char *why;
    uint8_t h[64], name[2 + 64];
    size_t hl;

    if (ci->name.len == 4) {
        psh_ap_fail(a, NA, "kat.name", "certified name is a handle: no digest information in "
                                       "certify info");
        return;
    }
    if (kat->pub == NULL) {
        psh_ap_fail(a, NA, "kat.pubarea", "\"pubArea\" missing: the certified key is unknown");
        return;
    }
    if (psh_tpmt_public_parse(kat->pub, kat->pub_len, &pub, &why) != 0) {
        psh_ap_fail(a, NA, "kat.pubarea", "%s", why);
        return;
    }
    psh_ap_pass(a, "kat.pubarea");
    hl = psh_att_hash((mbedtls_md_type_t)psh_tpm_hash_md(pub.name_alg), kat->pub, kat->pub_len,
                      h);
    name[0] = (uint8_t)(pub.name_alg >> 8);
    name[1] = (uint8_t)pub.name_alg;
    memcpy(name + 2, h, hl);
    psh_ap_check(a, hl != 0 && psh_ap_eq(ci->name.p, ci->name.len, name, 2 + hl), NA,
                 "kat.name", "certified name differs from nameAlg || H(pubArea)");
    psh_ap_check(a, pub.type == PSH_TPM_ALG_ECC, NP, "kat.key_type",
                 "attested key is not an ECC key");
    psh_ap_check(a, (pub.attributes & PSH_TPMA_FIXED_TPM) &&
                        (pub.attributes & PSH_TPMA_SENSITIVE_DATA_ORIGIN),
                 NP, "kat.key_attributes",
                 "attested key lacks fixedTPM or sensitiveDataOrigin (imported or exportable)");
    if (pub.type == PSH_TPM_ALG_ECC) {
        mbedtls_pk_context pk;
        uint8_t pt[1 + 2 * 66];
        mbedtls_ecp_group_id g = pub.curve == 3 ? MBEDTLS_ECP_DP_SECP256R1
                                 : pub.curve == 4 ? MBEDTLS_ECP_DP_SECP384R1
                                 : pub.curve == 5 ? MBEDTLS_ECP_DP_SECP521R1
                                                  : MBEDTLS_ECP_DP_NONE;
        mbedtls_pk_init(&pk);
        pt[0] = 4;
        if (pub.x.len == pub.y.len && pub.x.len <= 66) {
            memcpy(pt + 1, pub.x.p, pub.x.len);
            memcpy(pt + 1 + pub.x.len, pub.y.p, pub.y.len);
        }
        if (g == MBEDTLS_ECP_DP_NONE || pub.x.len != pub.y.len ||
            psh_att_pk_from_point(&pk, g, pt, 1 + 2 * pub.x.len) != 0)
            psh_ap_fail(a, NA, "kat.key_point", "pubArea ECC point invalid or curve unsupported");
        else
            a->key_spki_len = psh_att_pk_spki(&pk, a->key_spki, sizeof a->key_spki);
        mbedtls_pk_free(&pk);
    }
}

/* Step 7: H(concatenated reference digests of the selected PCRs) == pcrDigest. */
static void check_pcrs(psh_attest_appraisal *a, const psh_attest_policy *pol,
                       const psh_tpms_attest *q, uint16_t sig_hash)
{
    mbedtls_md_context_t ctx;
    const mbedtls_md_info_t *info;
    uint8_t h[64];
    uint16_t alg;
    int ok = 1;

    if (q->n_banks != 1) {
        psh_ap_fail(a, NA, "pat.pcr_bank", "quote selects %u PCR banks; one is expected",
                    q->n_banks);
        return;
    }
    alg = q->bank[0].hash;
    if (!psh_ap_check(a, alg == sig_hash, NA, "pat.pcr_bank",
                      "mismatch in hash algo: PCR bank differs from the signature hash"))
        return;
    if (pol->n_pcrs == 0) {
        psh_ap_fail(a, NP, "pat.pcrs", "no reference PCR values supplied");
        return;
    }
    info = mbedtls_md_info_from_type((mbedtls_md_type_t)psh_tpm_hash_md(alg));
    mbedtls_md_init(&ctx);
    if (info == NULL || mbedtls_md_setup(&ctx, info, 0) != 0 || mbedtls_md_starts(&ctx) != 0) {
        mbedtls_md_free(&ctx);
        psh_ap_fail(a, NA, "pat.pcrs", "PCR bank hash 0x%04x unsupported", alg);
        return;
    }
    for (unsigned pcr = 0; ok && pcr < 8u * q->bank[0].size; pcr++) {
        const psh_attest_pcr_ref *ref = NULL;
        if (!(q->bank[0].select[pcr / 8] & (1u << (pcr % 8))))
            continue;
        for (size_t i = 0; i < pol->n_pcrs; i++) {
            if (pol->pcrs[i].pcr == pcr && pol->pcrs[i].alg == alg)
                ref = &pol->pcrs[i];
        }
        if (ref == NULL || ref->digest_len != psh_tpm_hash_size(alg)) {
            psh_ap_fail(a, NP, "pat.pcrs", "no reference value for PCR %u in bank 0x%04x", pcr,
                        alg);
            ok = 0;
        } else {
            mbedtls_md_update(&ctx, ref->digest, ref->digest_len);
        }
    }
    if (ok) {
        mbedtls_md_finish(&ctx, h);
        psh_ap_check(a, psh_ap_eq(q->pcr_digest.p, q->pcr_digest.len, h,
                                  mbedtls_md_get_size(info)),
                     NP, "pat.pcrs", "PCR digest does not match the reference values");
    }
    mbedtls_md_free(&ctx);
}

static int parse_attest(psh_attest_appraisal *a, const char *which, const tok *t,
                        psh_tpmt_signature *s, psh_tpms_attest *at)
{
    const char *why;
    char name[32];
    snprintf(name, sizeof name, "%s.structures", which);
    if (psh_tpmt_signature_parse(t->sig, t->sig_len, s, &why) != 0 ||
        psh_tpms_attest_parse(t->info, t->info_len, at, &why) != 0) {
        psh_ap_fail(a, NA, name, "%s", why);
        return -1;
    }
    psh_ap_pass(a, name);
    return 0;
}

void psh_verify_tpm(const uint8_t *ev, size_t len, const psh_attest_policy *pol,
                    psh_attest_appraisal *a)
{
    cbor_item_t *root = NULL;
    const char *why;
    tok kat, pat;
    psh_tpmt_signature ks, ps;
    psh_tpms_attest ci, qi;
    const psh_attest_anchor *ak = NULL;
    int kat_ok, pat_ok;

    if (psh_cbor_decode(ev, len, &root, NULL, &why) != 0 || !cbor_isa_map(root)) {
        psh_ap_fail(a, NA, "decode", "%s", root ? "top level is not a map" : why);
        goto exit;
    }
    psh_ap_pass(a, "decode");
    kat_ok = get_token(a, root, "kat", "certInfo", 1, &kat) == 0;
    pat_ok = get_token(a, root, "pat", "attestInfo", 0, &pat) == 0;
    if (kat_ok || pat_ok) {
        const tok *t = kat_ok ? &kat : &pat;
        if (t->kid_len <= sizeof a->kid) {
            memcpy(a->kid, t->kid, t->kid_len);
            a->kid_len = t->kid_len;
        }
        psh_ap_check(a, psh_ap_ueid_ok(t->kid, t->kid_len), NA, "kid.ueid",
                     "kid is not a valid UEID");
        /* Step 2: the endorsed AK, by kid. */
        ak = psh_ap_anchor(pol, t->kid, t->kid_len);
        psh_ap_check(a, ak != NULL, NP, "anchor", "no endorsed attestation key for this kid");
    }
    if (kat_ok && pat_ok)
        psh_ap_check(a, psh_ap_eq(kat.kid, kat.kid_len, pat.kid, pat.kid_len), NA, "kid.match",
                     "KID mismatch between KAT and PAT");
    if (kat_ok && parse_attest(a, "kat", &kat, &ks, &ci) == 0) {
        check_sig(a, "kat.signature", ak, &kat, &ks);
        psh_ap_check(a, ci.magic == PSH_TPM_GENERATED, NA, "kat.magic",
                     "certInfo magic is not TPM_GENERATED_VALUE");
        psh_ap_check(a, ci.type == PSH_TPM_ST_ATTEST_CERTIFY, NA, "kat.type",
                     "certInfo is not TPM_ST_ATTEST_CERTIFY");
        psh_ap_nonce(a, pol, "kat.nonce", ci.extra_data.p, ci.extra_data.len);
        if (ci.type == PSH_TPM_ST_ATTEST_CERTIFY)
            check_kat_key(a, &kat, &ci);
    }
    if (pat_ok && parse_attest(a, "pat", &pat, &ps, &qi) == 0) {
        check_sig(a, "pat.signature", ak, &pat, &ps);
        psh_ap_check(a, qi.magic == PSH_TPM_GENERATED, NA, "pat.magic",
                     "attestInfo magic is not TPM_GENERATED_VALUE");
        if (psh_ap_check(a, qi.type == PSH_TPM_ST_ATTEST_QUOTE, NA, "pat.type",
                         "attestInfo is not TPM_ST_ATTEST_QUOTE"))
            check_pcrs(a, pol, &qi, ps.hash);
        /* Both TPMS_ATTEST carry the same nonce (sec 1.5 step 5). */
        psh_ap_nonce(a, pol, "pat.nonce", qi.extra_data.p, qi.extra_data.len);
    }
    if (!kat_ok || !pat_ok)
        goto exit;
    a->complete = 1;
exit:
    if (root != NULL)
        cbor_decref(&root);
}
