/* Our KAT format (draft-bft-rats-kat shape, docs/evidence.md): a CMW collection holding a
 * COSE_Sign1 KAT signed by the KAK and a COSE_Sign1 PAT signed by the platform key (PAK),
 * whose eat_nonce is SHA-256 of the kak-pub COSE_Key bytes in the KAT. */
#include "internal.h"

#include <stdio.h>
#include <string.h>

#include "cbor_bounded.h"
#include "cose.h"

#define NA PSH_ERR_PSA_INVALID_ARGUMENT
#define NP PSH_ERR_PSA_NOT_PERMITTED
#define SIG PSH_ERR_PSA_INVALID_SIGNATURE

/* A CMW record [media type, bstr] -> the decoded COSE_Sign1 and its claims map. */
static int open_record(psh_attest_appraisal *a, const cbor_item_t *root, const char *which,
                       cbor_item_t **tok, psh_cose_sign1 *s, cbor_item_t **claims,
                       psh_cbor_scan *scan)
{
    cbor_item_t *rec = NULL;
    cbor_item_t **e;
    const uint8_t *p;
    size_t n;
    const char *why = "record is not [\"" PSH_KAT_MEDIA_TYPE "\", bstr]";
    char name[32];
    snprintf(name, sizeof name, "%s.decode", which);
    if (psh_cbor_map_text(root, which, &rec) != 1) {
        psh_ap_fail(a, NA, name, "no \"%s\" record in the collection", which);
        return -1;
    }
    if (!cbor_isa_array(rec) || cbor_array_size(rec) != 2)
        goto bad;
    e = cbor_array_handle(rec);
    if (!psh_cbor_text_eq(e[0], PSH_KAT_MEDIA_TYPE) || psh_cbor_bytes(e[1], &p, &n) != 0)
        goto bad;
    if (psh_cbor_decode(p, n, tok, NULL, &why) != 0 || psh_cose_sign1_decode(*tok, s, &why) != 0 ||
        psh_cbor_decode(s->payload, s->payload_len, claims, scan, &why) != 0)
        goto bad;
    if (!cbor_isa_map(*claims)) {
        why = "claims are not a map";
        goto bad;
    }
    psh_ap_pass(a, name);
    return 0;
bad:
    psh_ap_fail(a, NA, name, "%s", why);
    return -1;
}

static void check_pat(psh_attest_appraisal *a, const psh_attest_policy *pol,
                      const psh_cose_sign1 *ps, const cbor_item_t *pcl, const uint8_t *kak_raw,
                      size_t kak_len)
{
    const psh_attest_anchor *pak = psh_ap_anchor(pol, ps->kid, ps->kid_len);
    cbor_item_t *v = NULL;
    const uint8_t *b = NULL;
    size_t bl = 0;
    uint8_t h[32];
    const char *why;

    if (ps->kid_len && ps->kid_len <= sizeof a->kid) {
        memcpy(a->kid, ps->kid, ps->kid_len);
        a->kid_len = ps->kid_len;
    }
    if (!psh_ap_check(a, pak != NULL, NP, "anchor", "no trusted platform key for this kid"))
        psh_ap_fail(a, SIG, "pat.signature", "unable to verify the platform token");
    else if (psh_cose_sign1_verify(ps, &pak->pk, &why) != 0)
        psh_ap_fail(a, SIG, "pat.signature", "%s", why);
    else
        psh_ap_pass(a, "pat.signature");
    if (psh_cbor_map_int(pcl, 265, &v) == 1)
        psh_ap_check(a, psh_cbor_text_eq(v, PSH_KAT_PAT_PROFILE), NP, "pat.profile",
                     "platform token names an unknown profile");
    /* Linkage: pat.eat_nonce = SHA-256(kak-pub COSE_Key as encoded in the KAT). */
    psh_att_hash(MBEDTLS_MD_SHA256, kak_raw, kak_len, h);
    psh_ap_check(a, psh_cbor_map_int(pcl, 10, &v) == 1 && psh_cbor_bytes(v, &b, &bl) == 0 &&
                        psh_ap_eq(b, bl, h, sizeof h),
                 NP, "binding", "platform token eat_nonce is not SHA-256 of the KAT's kak-pub: "
                                "the KAK is not the one this platform vouches for");
}

static void check_kat(psh_attest_appraisal *a, const psh_attest_policy *pol,
                      const psh_cose_sign1 *ks, const cbor_item_t *kcl)
{
    cbor_item_t *v = NULL, *key = NULL;
    mbedtls_pk_context kak, ik;
    const uint8_t *nonce = NULL;
    size_t nonce_len = 0;
    int priv = 0;
    const char *why;

    mbedtls_pk_init(&kak);
    mbedtls_pk_init(&ik);
    if (psh_cbor_map_int(kcl, PSH_KAT_LABEL_KAK_PUB, &v) != 1 ||
        psh_cose_key_decode(v, &kak, &priv, &why) != 0 || priv) {
        psh_ap_fail(a, NA, "kat.kak_pub", "kak-pub (2500) missing or not a public EC2 COSE_Key");
        psh_ap_fail(a, SIG, "kat.signature", "no KAK to verify the KAT with");
    } else {
        psh_ap_pass(a, "kat.kak_pub");
        if (psh_cose_sign1_verify(ks, &kak, &why) != 0)
            psh_ap_fail(a, SIG, "kat.signature", "%s", why);
        else
            psh_ap_pass(a, "kat.signature");
    }
    if (psh_cbor_map_int(kcl, 10, &v) != 1 || psh_cbor_bytes(v, &nonce, &nonce_len) != 0 ||
        nonce_len < PSH_ATTEST_NONCE_MIN || nonce_len > PSH_ATTEST_NONCE_MAX)
        psh_ap_fail(a, NA, "kat.nonce", "eat_nonce missing or not 8..64 bytes");
    else
        psh_ap_nonce(a, pol, "kat.nonce", nonce, nonce_len);
    priv = 0;
    if (psh_cbor_map_int(kcl, 8, &v) != 1 || !cbor_isa_map(v) ||
        psh_cbor_map_int(v, 1, &key) != 1 || psh_cose_key_decode(key, &ik, &priv, &why) != 0 ||
        priv) {
        psh_ap_fail(a, NA, "kat.cnf", "cnf claim missing or not a public EC2 COSE_Key");
    } else {
        psh_ap_pass(a, "kat.cnf");
        a->key_spki_len = psh_att_pk_spki(&ik, a->key_spki, sizeof a->key_spki);
    }
    mbedtls_pk_free(&kak);
    mbedtls_pk_free(&ik);
}

void psh_verify_kat(const uint8_t *ev, size_t len, const psh_attest_policy *pol,
                    psh_attest_appraisal *a)
{
    cbor_item_t *root = NULL, *v = NULL, *ktok = NULL, *ptok = NULL, *kcl = NULL, *pcl = NULL;
    psh_cose_sign1 ks, ps;
    psh_cbor_scan kscan;
    psh_cbor_extent kx;
    const char *why;

    memset(&ks, 0, sizeof ks);
    memset(&ps, 0, sizeof ps);
    if (psh_cbor_decode(ev, len, &root, NULL, &why) != 0 || !cbor_isa_map(root)) {
        psh_ap_fail(a, NA, "decode", "%s", root ? "top level is not a map" : why);
        goto exit;
    }
    psh_ap_pass(a, "decode");
    psh_ap_check(a, psh_cbor_map_text(root, "__cmwc_t", &v) == 1 &&
                        psh_cbor_text_eq(v, PSH_KAT_CMWC_TYPE),
                 NA, "cmw.type", "collection type is not " PSH_KAT_CMWC_TYPE);
    if (open_record(a, root, "kat", &ktok, &ks, &kcl, &kscan) != 0 ||
        open_record(a, root, "pat", &ptok, &ps, &pcl, NULL) != 0)
        goto exit;
    if (psh_cbor_scan_value(ks.payload, &kscan, NULL, PSH_KAT_LABEL_KAK_PUB, &kx) != 0)
        kx.off = kx.len = 0;
    check_kat(a, pol, &ks, kcl);
    check_pat(a, pol, &ps, pcl, ks.payload + kx.off, kx.len);
    a->complete = 1;
exit:
    psh_cose_sign1_free(&ks);
    psh_cose_sign1_free(&ps);
    if (ktok) cbor_decref(&ktok);
    if (ptok) cbor_decref(&ptok);
    if (kcl) cbor_decref(&kcl);
    if (pcl) cbor_decref(&pcl);
    if (root) cbor_decref(&root);
}
