/* parsec-cca verification, attestation.md sec 2.3: UCCS KAT claims, CCA platform token
 * (signed by the IAK, found by instance-id), realm token (signed by the RAK it carries),
 * platform challenge = H(RAK), realm challenge = SHA-512(raw KAT bytes), KAT nonce. */
#include "internal.h"

#include <stdio.h>
#include <string.h>

#include "cbor_bounded.h"
#include "cose.h"

#define NA PSH_ERR_PSA_INVALID_ARGUMENT
#define NP PSH_ERR_PSA_NOT_PERMITTED
#define SIG PSH_ERR_PSA_INVALID_SIGNATURE

#define CCA_PLATFORM 44234
#define CCA_REALM 44241
#define CCA_RAK_PUB 44237
#define CCA_RAK_HASH 44240
#define EAT_NONCE 10
#define EAT_UEID 256
#define EAT_PROFILE 265
#define CCA_IMPL_ID 2396

/* UCCS KAT (sec 2.1): tag 601, nonce 8..64, cnf {1: COSE_Key}. Sets *nonce and *pk. */
static int check_kat(psh_attest_appraisal *a, const cbor_item_t *kat, mbedtls_pk_context *pk,
                     const uint8_t **nonce, size_t *nonce_len, int *has_private)
{
    cbor_item_t *claims = psh_cbor_untag(kat, 601), *v = NULL, *key = NULL;
    const char *why;
    if (claims == NULL || !cbor_isa_map(claims)) {
        psh_ap_fail(a, NA, "kat.uccs", "KAT is not a UCCS (expected CBOR tag 601 over a map)");
        return -1;
    }
    psh_ap_pass(a, "kat.uccs");
    if (psh_cbor_map_int(claims, EAT_NONCE, &v) != 1 || psh_cbor_bytes(v, nonce, nonce_len) != 0) {
        psh_ap_fail(a, NA, "kat.nonce_claim", "nonce claim missing");
        return -1;
    }
    if (*nonce_len < PSH_ATTEST_NONCE_MIN || *nonce_len > PSH_ATTEST_NONCE_MAX) {
        psh_ap_fail(a, NA, "kat.nonce_claim", "nonce must be 8..64 bytes, got %zu", *nonce_len);
        return -1;
    }
    psh_ap_pass(a, "kat.nonce_claim");
    if (psh_cbor_map_int(claims, 8, &v) != 1 || !cbor_isa_map(v) ||
        psh_cbor_map_int(v, 1, &key) != 1) {
        psh_ap_fail(a, NA, "kat.cnf", "cnf claim missing (or without a COSE_Key)");
        return -1;
    }
    if (psh_cose_key_decode(key, pk, has_private, &why) != 0) {
        psh_ap_fail(a, NA, "kat.cnf", "invalid key: %s", why);
        return -1;
    }
    psh_ap_pass(a, "kat.cnf");
    return 0;
}

/* A COSE_Sign1 in a bstr, and its payload decoded as a claims map. */
static int open_token(psh_attest_appraisal *a, const char *name, const cbor_item_t *bstr,
                      cbor_item_t **tok, psh_cose_sign1 *s, cbor_item_t **claims)
{
    const uint8_t *p;
    size_t n;
    const char *why = "not a bstr";
    if (psh_cbor_bytes(bstr, &p, &n) != 0 || psh_cbor_decode(p, n, tok, NULL, &why) != 0 ||
        psh_cose_sign1_decode(*tok, s, &why) != 0 ||
        psh_cbor_decode(s->payload, s->payload_len, claims, NULL, &why) != 0 ||
        !cbor_isa_map(*claims)) {
        psh_ap_fail(a, NA, name, "%s", why);
        return -1;
    }
    psh_ap_pass(a, name);
    return 0;
}

static mbedtls_md_type_t cca_hash(const cbor_item_t *it)
{
    if (it == NULL || psh_cbor_text_eq(it, "sha-256"))
        return MBEDTLS_MD_SHA256; /* the default when the claim is absent */
    if (psh_cbor_text_eq(it, "sha-384"))
        return MBEDTLS_MD_SHA384;
    if (psh_cbor_text_eq(it, "sha-512"))
        return MBEDTLS_MD_SHA512;
    return MBEDTLS_MD_NONE;
}

/* The RAK: a COSE_Key when the realm token names a profile, else a raw EC point. */
static int load_rak(const cbor_item_t *realm, const uint8_t *p, size_t n, mbedtls_pk_context *pk,
                    const char **why)
{
    cbor_item_t *v = NULL, *key = NULL;
    int priv = 0, rc;
    if (psh_cbor_map_int(realm, EAT_PROFILE, &v) == 1) {
        if (psh_cbor_decode(p, n, &key, NULL, why) != 0)
            return -1;
        rc = psh_cose_key_decode(key, pk, &priv, why);
        cbor_decref(&key);
        return rc;
    }
    *why = "RAK is not an uncompressed P-256/P-384/P-521 point";
    return psh_att_pk_from_point(pk, n == 65 ? MBEDTLS_ECP_DP_SECP256R1
                                     : n == 97 ? MBEDTLS_ECP_DP_SECP384R1
                                     : n == 133 ? MBEDTLS_ECP_DP_SECP521R1
                                                : MBEDTLS_ECP_DP_NONE,
                                 p, n);
}

/* Step 8: every software component's measurement and the platform config are among the
 * reference values (Veraison: executables unrecognized / configuration unsafe otherwise). */
static void check_refvals(psh_attest_appraisal *a, const psh_attest_policy *pol,
                          const cbor_item_t *pcl)
{
    cbor_item_t *sw = NULL, *cfg = NULL;
    const uint8_t *cp;
    size_t cl;
    int cfg_ok = 0;
    if (pol->n_cca_refs == 0) {
        psh_ap_fail(a, NP, "cca.platform.refvals", "no reference values supplied for the "
                                                   "platform claims");
        return;
    }
    if (psh_cbor_map_int(pcl, 2399, &sw) != 1 || !cbor_isa_array(sw) || cbor_array_size(sw) == 0) {
        psh_ap_fail(a, NA, "cca.platform.sw_components", "no software components claim");
    } else {
        size_t i, n = cbor_array_size(sw);
        for (i = 0; i < n; i++) {
            cbor_item_t *c = cbor_array_handle(sw)[i], *t = NULL, *v = NULL;
            const uint8_t *vp;
            size_t vl, j;
            if (psh_cbor_map_int(c, 1, &t) != 1 || !cbor_isa_string(t) ||
                psh_cbor_map_int(c, 2, &v) != 1 || psh_cbor_bytes(v, &vp, &vl) != 0)
                break;
            for (j = 0; j < pol->n_cca_refs; j++) {
                const psh_attest_cca_ref *r = &pol->cca_refs[j];
                if (!r->is_config && psh_cbor_text_eq(t, r->type) &&
                    psh_ap_eq(vp, vl, r->value, r->len))
                    break;
            }
            if (j == pol->n_cca_refs)
                break;
        }
        if (i < n)
            psh_ap_fail(a, NP, "cca.platform.sw_components",
                        "executables unrecognized: software component %zu is not a reference "
                        "measurement", i);
        else
            psh_ap_pass(a, "cca.platform.sw_components");
    }
    if (psh_cbor_map_int(pcl, 2401, &cfg) == 1 && psh_cbor_bytes(cfg, &cp, &cl) == 0) {
        for (size_t j = 0; j < pol->n_cca_refs && !cfg_ok; j++)
            cfg_ok = pol->cca_refs[j].is_config &&
                     psh_ap_eq(cp, cl, pol->cca_refs[j].value, pol->cca_refs[j].len);
    }
    psh_ap_check(a, cfg_ok, NP, "cca.platform.config",
                 "configuration unsafe: platform config is not a reference value");
}

static void check_tokens(psh_attest_appraisal *a, const psh_attest_policy *pol,
                         const cbor_item_t *pat, const uint8_t *kat_raw, size_t kat_len)
{
    cbor_item_t *coll = psh_cbor_untag(pat, 399), *pb = NULL, *rb = NULL, *v = NULL;
    cbor_item_t *ptok = NULL, *rtok = NULL, *pcl = NULL, *rcl = NULL;
    psh_cose_sign1 ps, rs;
    mbedtls_pk_context rak;
    const psh_attest_anchor *iak;
    const uint8_t *inst = NULL, *rak_p = NULL, *ch = NULL;
    size_t inst_len = 0, rak_n = 0, ch_len = 0;
    uint8_t h[64];
    size_t hl;
    const char *why;

    memset(&ps, 0, sizeof ps);
    memset(&rs, 0, sizeof rs);
    mbedtls_pk_init(&rak);
    if (coll == NULL || !cbor_isa_map(coll) || psh_cbor_map_int(coll, CCA_PLATFORM, &pb) != 1 ||
        psh_cbor_map_int(coll, CCA_REALM, &rb) != 1) {
        psh_ap_fail(a, NA, "pat.collection",
                    "PAT is not a CCA token collection (tag 399 {44234, 44241})");
        goto exit;
    }
    psh_ap_pass(a, "pat.collection");
    if (open_token(a, "cca.platform.decode", pb, &ptok, &ps, &pcl) != 0 ||
        open_token(a, "cca.realm.decode", rb, &rtok, &rs, &rcl) != 0)
        goto exit;
    /* Step 2-3: the IAK by instance-id, then the platform signature. */
    if (psh_cbor_map_int(pcl, EAT_UEID, &v) == 1 && psh_cbor_bytes(v, &inst, &inst_len) == 0 &&
        inst_len <= sizeof a->kid) {
        memcpy(a->kid, inst, inst_len);
        a->kid_len = inst_len;
    }
    psh_ap_check(a, inst != NULL && psh_ap_ueid_ok(inst, inst_len), NA, "cca.instance_id",
                 "platform instance-id missing or not a valid UEID");
    iak = psh_ap_anchor(pol, inst, inst_len);
    if (!psh_ap_check(a, iak != NULL, NP, "anchor", "no endorsed IAK for this instance-id")) {
        psh_ap_fail(a, SIG, "cca.platform.signature", "unable to verify platform token");
    } else if (psh_cose_sign1_verify(&ps, &iak->pk, &why) != 0) {
        psh_ap_fail(a, SIG, "cca.platform.signature", "unable to verify platform token: %s", why);
    } else {
        psh_ap_pass(a, "cca.platform.signature");
    }
    check_refvals(a, pol, pcl);
    /* Step 4: the realm token with the RAK it carries. */
    if (psh_cbor_map_int(rcl, CCA_RAK_PUB, &v) != 1 || psh_cbor_bytes(v, &rak_p, &rak_n) != 0 ||
        load_rak(rcl, rak_p, rak_n, &rak, &why) != 0) {
        psh_ap_fail(a, NA, "cca.realm.rak", "realm public key claim: %s",
                    rak_p == NULL ? "missing" : why);
        goto exit;
    }
    psh_ap_pass(a, "cca.realm.rak");
    if (psh_cose_sign1_verify(&rs, &rak, &why) != 0)
        psh_ap_fail(a, SIG, "cca.realm.signature", "%s", why);
    else
        psh_ap_pass(a, "cca.realm.signature");
    /* Step 5: platform challenge = H_{44240}(RAK bytes). */
    v = NULL;
    psh_cbor_map_int(rcl, CCA_RAK_HASH, &v);
    hl = psh_att_hash(cca_hash(v), rak_p, rak_n, h);
    psh_ap_check(a, hl != 0 && psh_cbor_map_int(pcl, EAT_NONCE, &v) == 1 &&
                        psh_cbor_bytes(v, &ch, &ch_len) == 0 && psh_ap_eq(ch, ch_len, h, hl),
                 NP, "cca.platform.challenge",
                 "platform challenge is not the hash of the realm attestation key");
    /* Step 6: realm challenge = SHA-512(KAT bytes as embedded). */
    hl = psh_att_hash(MBEDTLS_MD_SHA512, kat_raw, kat_len, h);
    psh_ap_check(a, hl == 64 && psh_cbor_map_int(rcl, EAT_NONCE, &v) == 1 &&
                        psh_cbor_bytes(v, &ch, &ch_len) == 0 && psh_ap_eq(ch, ch_len, h, hl),
                 NP, "cca.realm.challenge",
                 "realm challenge is not SHA-512 of the KAT: the KAT is not bound to this realm");
    a->complete = 1;
exit:
    mbedtls_pk_free(&rak);
    psh_cose_sign1_free(&ps);
    psh_cose_sign1_free(&rs);
    if (ptok) cbor_decref(&ptok);
    if (rtok) cbor_decref(&rtok);
    if (pcl) cbor_decref(&pcl);
    if (rcl) cbor_decref(&rcl);
}

void psh_verify_cca(const uint8_t *ev, size_t len, const psh_attest_policy *pol,
                    psh_attest_appraisal *a)
{
    cbor_item_t *root = NULL, *kat = NULL, *pat = NULL;
    psh_cbor_scan scan;
    psh_cbor_extent kx;
    mbedtls_pk_context ik;
    const uint8_t *nonce = NULL;
    size_t nonce_len = 0;
    int priv = 0;
    const char *why;

    mbedtls_pk_init(&ik);
    if (psh_cbor_decode(ev, len, &root, &scan, &why) != 0 || !cbor_isa_map(root)) {
        psh_ap_fail(a, NA, "decode", "%s", root ? "top level is not a map" : why);
        goto exit;
    }
    psh_ap_pass(a, "decode");
    if (psh_cbor_map_text(root, "kat", &kat) != 1 ||
        psh_cbor_scan_value(ev, &scan, "kat", 0, &kx) != 0) {
        psh_ap_fail(a, NA, "kat.decode", "nil key attestation token supplied");
        goto exit;
    }
    if (psh_cbor_map_text(root, "pat", &pat) != 1) {
        psh_ap_fail(a, NA, "pat.decode", "nil platform attestation token supplied");
        goto exit;
    }
    if (check_kat(a, kat, &ik, &nonce, &nonce_len, &priv) != 0)
        goto exit;
    psh_ap_check(a, !priv, NP, "kat.cnf.public_only",
                 "cnf COSE_Key carries a private part (d)");
    a->key_spki_len = psh_att_pk_spki(&ik, a->key_spki, sizeof a->key_spki);
    check_tokens(a, pol, pat, ev + kx.off, kx.len);
    /* Step 7: the KAT nonce is the one the challenger issued. */
    psh_ap_nonce(a, pol, "kat.nonce", nonce, nonce_len);
exit:
    mbedtls_pk_free(&ik);
    if (root != NULL)
        cbor_decref(&root);
}

psh_status psh_attest_cca_kat_check(const uint8_t *kat, size_t len, psh_attest_appraisal *a)
{
    cbor_item_t *root = NULL;
    mbedtls_pk_context ik;
    const uint8_t *nonce;
    size_t nonce_len;
    int priv;
    const char *why;

    memset(a, 0, sizeof *a);
    a->format = PSH_ATTEST_PARSEC_CCA;
    mbedtls_pk_init(&ik);
    if (len > PSH_ATTEST_MAX_EVIDENCE || psh_cbor_decode(kat, len, &root, NULL, &why) != 0) {
        psh_ap_fail(a, NA, "kat.decode", "%s", len > PSH_ATTEST_MAX_EVIDENCE ? "too large" : why);
    } else if (check_kat(a, root, &ik, &nonce, &nonce_len, &priv) == 0) {
        a->key_spki_len = psh_att_pk_spki(&ik, a->key_spki, sizeof a->key_spki);
        a->complete = 1;
    }
    mbedtls_pk_free(&ik);
    if (root != NULL)
        cbor_decref(&root);
    return a->status;
}
