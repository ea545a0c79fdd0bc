/* Evidence we build ourselves, with keys generated here: our KAT format (psh_kat_sign) and
 * parsec-tpm evidence assembled from software-made TPMS_ATTEST structures signed by a
 * software "AK" (psh_tpm_evidence_build). Each verifies; a flipped byte anywhere, a stale
 * nonce, a swapped key and a wrong trust anchor are each rejected. */
#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>

#include "attest_util.h"
#include "cose.h"

static void gen(mbedtls_pk_context *pk, mbedtls_ecp_group_id g)
{
    mbedtls_pk_init(pk);
    REQUIRE(mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) == 0);
    REQUIRE(mbedtls_ecp_gen_key(g, mbedtls_pk_ec(*pk), psh_att_rng, NULL) == 0);
}

/* An anchor holding the public part of pk. */
static void anchor_of(psh_attest_anchor *a, mbedtls_pk_context *pk)
{
    uint8_t der[300];
    int n = mbedtls_pk_write_pubkey_der(pk, der, sizeof der);
    REQUIRE(n > 0);
    memset(a, 0, sizeof *a);
    REQUIRE(psh_attest_anchor_from_pem(a, der + sizeof der - n, (size_t)n) == PSH_SUCCESS);
}

/* Flips each byte and requires the verifier never to accept. */
static int every_flip_rejected(psh_attest_format f, const uint8_t *ev, size_t n,
                               const psh_attest_policy *p)
{
    uint8_t *c = malloc(n);
    psh_attest_appraisal a;
    int ok = 1;
    for (size_t i = 0; i < n && ok; i++) {
        for (int k = 0; k < 1; k++) {
            memcpy(c, ev, n);
            c[i] ^= k ? 0x80 : 0x01;
            if (psh_attest_verify(f, c, n, p, &a) == PSH_SUCCESS || psh_attest_verified(&a)) {
                fprintf(stderr, "  flip at %zu (^%02x) accepted\n", i, k ? 0x80 : 1);
                ok = 0;
            }
        }
    }
    free(c);
    return ok;
}

static void test_kat(mbedtls_ecp_group_id g_kak, int flips)
{
    mbedtls_pk_context pak, kak, ik, other;
    psh_attest_anchor pak_a, other_a;
    psh_attest_appraisal a;
    uint8_t nonce[32], stale[32], *ev = NULL, *ev2 = NULL, spki[300];
    size_t n = 0, n2 = 0, sl;
    psh_attest_policy p;

    gen(&pak, MBEDTLS_ECP_DP_SECP384R1);
    gen(&kak, g_kak);
    gen(&ik, MBEDTLS_ECP_DP_SECP256R1);
    gen(&other, MBEDTLS_ECP_DP_SECP256R1);
    anchor_of(&pak_a, &pak);
    anchor_of(&other_a, &other);
    REQUIRE(psh_att_random(nonce, sizeof nonce) == 0);
    memcpy(stale, nonce, sizeof stale);
    stale[0] ^= 0xff;
    p = (psh_attest_policy){nonce, sizeof nonce, &pak_a, 1, NULL, 0, NULL, 0};

    REQUIRE(psh_kat_sign(&pak, &kak, &ik, nonce, sizeof nonce, &ev, &n) == PSH_SUCCESS);
    CHECK_EQ_INT(psh_attest_verify(PSH_ATTEST_KAT, ev, n, &p, &a), PSH_SUCCESS);
    dump_failures("kat", &a);
    sl = psh_att_pk_spki(&ik, spki, sizeof spki);
    CHECK_MEM(a.key_spki, a.key_spki_len, spki, sl);
    {
        char *js = psh_attest_appraisal_json(&a);
        CHECK(js != NULL && strstr(js, "\"verdict\": \"affirming\"") != NULL);
        free(js);
    }
    /* The platform key is found by its kid too. */
    REQUIRE(psh_attest_kid_from_pk(&pak, pak_a.id) == PSH_SUCCESS);
    pak_a.id_len = 33;
    CHECK_EQ_INT(psh_attest_verify(PSH_ATTEST_KAT, ev, n, &p, &a), PSH_SUCCESS);
    pak_a.id_len = 0;

    if (flips)
        CHECK(every_flip_rejected(PSH_ATTEST_KAT, ev, n, &p));
    /* Stale nonce. */
    p.nonce = stale;
    CHECK_EQ_INT(psh_attest_verify(PSH_ATTEST_KAT, ev, n, &p, &a), PSH_ERR_PSA_NOT_PERMITTED);
    CHECK(failed_with(&a, "kat.nonce", "differs"));
    p.nonce = nonce;
    /* Wrong platform anchor. */
    p.anchors = &other_a;
    CHECK_EQ_INT(psh_attest_verify(PSH_ATTEST_KAT, ev, n, &p, &a), PSH_ERR_PSA_INVALID_SIGNATURE);
    CHECK(failed_with(&a, "pat.signature", NULL));
    p.anchors = &pak_a;
    /* Swapped KAK: a KAT signed by another key, with a PAT vouching for the original KAK. */
    {
        uint8_t *k = NULL, *pt = NULL;
        size_t kl, pl;
        REQUIRE(psh_kat_build_kat(&other, &ik, nonce, sizeof nonce, &k, &kl) == PSH_SUCCESS);
        REQUIRE(psh_kat_build_pat(&pak, &kak, &pt, &pl) == PSH_SUCCESS);
        REQUIRE(psh_kat_build_cab(k, kl, pt, pl, &ev2, &n2) == PSH_SUCCESS);
        CHECK_EQ_INT(psh_attest_verify(PSH_ATTEST_KAT, ev2, n2, &p, &a),
                     PSH_ERR_PSA_NOT_PERMITTED);
        CHECK(failed_with(&a, "binding", "not the one this platform vouches for"));
        CHECK(passed(&a, "kat.signature") && passed(&a, "pat.signature"));
        psh_free(ev2);
        ev2 = NULL;
        /* Swapped attested key: the KAT payload names `other` but keeps the old signature. */
        psh_free(k);
        REQUIRE(psh_kat_build_kat(&kak, &other, nonce, sizeof nonce, &k, &kl) == PSH_SUCCESS);
        {
            cbor_item_t *orig = NULL, *swap = NULL;
            psh_cose_sign1 so, ss;
            const char *why;
            uint8_t *kat_old = NULL;
            size_t ko;
            psh_cbuf w = {0};
            REQUIRE(psh_kat_build_kat(&kak, &ik, nonce, sizeof nonce, &kat_old, &ko) ==
                    PSH_SUCCESS);
            REQUIRE(psh_cbor_decode(kat_old, ko, &orig, NULL, &why) == 0);
            REQUIRE(psh_cbor_decode(k, kl, &swap, NULL, &why) == 0);
            REQUIRE(psh_cose_sign1_decode(orig, &so, &why) == 0);
            REQUIRE(psh_cose_sign1_decode(swap, &ss, &why) == 0);
            psh_cbuf_head(&w, 6, 18);
            psh_cbuf_head(&w, 4, 4);
            psh_cbuf_bytes(&w, so.protected_p, so.protected_len);
            psh_cbuf_head(&w, 5, 0);
            psh_cbuf_bytes(&w, ss.payload, ss.payload_len);
            psh_cbuf_bytes(&w, so.sig, so.sig_len);
            REQUIRE(!w.err);
            REQUIRE(psh_kat_build_cab(w.p, w.len, pt, pl, &ev2, &n2) == PSH_SUCCESS);
            CHECK_EQ_INT(psh_attest_verify(PSH_ATTEST_KAT, ev2, n2, &p, &a),
                         PSH_ERR_PSA_INVALID_SIGNATURE);
            CHECK(failed_with(&a, "kat.signature", "does not verify"));
            psh_cbuf_free(&w);
            psh_cose_sign1_free(&so);
            psh_cose_sign1_free(&ss);
            cbor_decref(&orig);
            cbor_decref(&swap);
            psh_free(kat_old);
        }
        psh_free(k);
        psh_free(pt);
    }
    psh_free(ev2);
    ev2 = NULL;
    /* Nonce outside 8..64 bytes is refused by the builder. */
    CHECK_EQ_INT(psh_kat_sign(&pak, &kak, &ik, nonce, 7, &ev2, &n2), PSH_ERR_PSA_INVALID_ARGUMENT);
    psh_free(ev2);
    psh_free(ev);
    psh_attest_anchor_free(&pak_a);
    psh_attest_anchor_free(&other_a);
    mbedtls_pk_free(&pak);
    mbedtls_pk_free(&kak);
    mbedtls_pk_free(&ik);
    mbedtls_pk_free(&other);
}

/* An external signer as a PKCS#11 provider would wrap C_Sign(CKM_ECDSA): raw r || s. It counts
 * its calls and can be told to fail. */
typedef struct ext_signer {
    mbedtls_pk_context *key;
    int calls, fail;
} ext_signer;

static int ext_sign(void *ctx, const uint8_t *hash, size_t hl, uint8_t *sig, size_t sl)
{
    ext_signer *e = ctx;
    e->calls++;
    if (e->fail)
        return -1;
    return psh_att_mbedtls_signer(e->key, hash, hl, sig, sl);
}

static void test_kat_external_signer(void)
{
    mbedtls_pk_context pak, kak, ik;
    psh_attest_anchor pak_a;
    psh_attest_appraisal a;
    ext_signer ks, ps;
    uint8_t nonce[8] = "nonce-08", *k = NULL, *p = NULL, *ev = NULL;
    size_t kl, pl, n;
    psh_attest_policy pol;

    gen(&pak, MBEDTLS_ECP_DP_SECP256R1);
    gen(&kak, MBEDTLS_ECP_DP_SECP384R1);
    gen(&ik, MBEDTLS_ECP_DP_SECP256R1);
    anchor_of(&pak_a, &pak);
    ks = (ext_signer){&kak, 0, 0};
    ps = (ext_signer){&pak, 0, 0};
    /* Only the public halves go to the builder; the private keys stay behind the callbacks. */
    CHECK_EQ_INT(psh_kat_build_kat_ext(ext_sign, &ks, &kak, &ik, nonce, 8, &k, &kl), PSH_SUCCESS);
    CHECK_EQ_INT(psh_kat_build_pat_ext(ext_sign, &ps, &pak, &kak, &p, &pl), PSH_SUCCESS);
    CHECK_EQ_INT(ks.calls, 1);
    CHECK_EQ_INT(ps.calls, 1);
    REQUIRE(psh_kat_build_cab(k, kl, p, pl, &ev, &n) == PSH_SUCCESS);
    pol = (psh_attest_policy){nonce, 8, &pak_a, 1, NULL, 0, NULL, 0};
    CHECK_EQ_INT(psh_attest_verify(PSH_ATTEST_KAT, ev, n, &pol, &a), PSH_SUCCESS);
    dump_failures("kat ext", &a);
    psh_free(k);
    /* A failing signer yields an error and no output. */
    ks.fail = 1;
    k = (uint8_t *)&ks;
    CHECK_EQ_INT(psh_kat_build_kat_ext(ext_sign, &ks, &kak, &ik, nonce, 8, &k, &kl),
                 PSH_ERR_PSA_GENERIC);
    CHECK(k == NULL && kl == 0);
    psh_free(p);
    psh_free(ev);
    psh_attest_anchor_free(&pak_a);
    mbedtls_pk_free(&pak);
    mbedtls_pk_free(&kak);
    mbedtls_pk_free(&ik);
}

/* --- parsec-tpm evidence made in software ------------------------------------------------ */

static size_t put16(uint8_t *b, uint16_t v) { b[0] = (uint8_t)(v >> 8); b[1] = (uint8_t)v; return 2; }
static size_t put32(uint8_t *b, uint32_t v) { put16(b, (uint16_t)(v >> 16)); put16(b + 2, (uint16_t)v); return 4; }

/* TPMT_PUBLIC of an ECC P-256 signing key, as the TPM would marshal it. */
static size_t make_pub(mbedtls_pk_context *ik, uint8_t *b)
{
    uint8_t pt[65];
    size_t n = 0, pl = 0;
    mbedtls_ecp_keypair *ec = mbedtls_pk_ec(*ik);
    REQUIRE(mbedtls_ecp_point_write_binary(&ec->grp, &ec->Q, MBEDTLS_ECP_PF_UNCOMPRESSED, &pl, pt,
                                           sizeof pt) == 0);
    n += put16(b + n, 0x0023);
    n += put16(b + n, 0x000B);
    n += put32(b + n, 0x00040072);
    n += put16(b + n, 0);          /* authPolicy */
    n += put16(b + n, 0x0010);     /* symmetric NULL */
    n += put16(b + n, 0x0018);     /* ECDSA */
    n += put16(b + n, 0x000B);
    n += put16(b + n, 0x0003);     /* NIST P-256 */
    n += put16(b + n, 0x0010);     /* kdf NULL */
    n += put16(b + n, 32);
    memcpy(b + n, pt + 1, 32);
    n += 32;
    n += put16(b + n, 32);
    memcpy(b + n, pt + 33, 32);
    return n + 32;
}

/* TPMS_ATTEST header + CERTIFY or QUOTE body. */
static size_t make_attest(uint8_t *b, uint16_t type, const uint8_t *nonce, size_t nl,
                          const uint8_t *name, size_t name_len, const uint8_t *pcr_digest)
{
    size_t n = 0;
    n += put32(b + n, 0xFF544347);
    n += put16(b + n, type);
    n += put16(b + n, 34);
    memset(b + n, 0x11, 34); /* qualifiedSigner */
    b[n] = 0;
    b[n + 1] = 0x0B;
    n += 34;
    n += put16(b + n, (uint16_t)nl);
    memcpy(b + n, nonce, nl);
    n += nl;
    memset(b + n, 0, 17 + 8); /* clockInfo, firmwareVersion */
    n += 25;
    if (type == 0x8017) {
        n += put16(b + n, (uint16_t)name_len);
        memcpy(b + n, name, name_len);
        n += name_len;
        n += put16(b + n, (uint16_t)name_len);
        memcpy(b + n, name, name_len); /* qualifiedName: opaque here */
        n += name_len;
    } else {
        n += put32(b + n, 1);
        n += put16(b + n, 0x000B);
        b[n++] = 3;
        b[n++] = 0x07; /* PCR 0,1,2 */
        b[n++] = 0;
        b[n++] = 0;
        n += put16(b + n, 32);
        memcpy(b + n, pcr_digest, 32);
        n += 32;
    }
    return n;
}

static size_t tpm_sign(mbedtls_pk_context *ak, const uint8_t *msg, size_t ml, uint8_t *sig)
{
    uint8_t h[32];
    mbedtls_mpi r, s;
    size_t n = 0;
    mbedtls_ecp_keypair *ec = mbedtls_pk_ec(*ak);
    mbedtls_mpi_init(&r);
    mbedtls_mpi_init(&s);
    psh_att_hash(MBEDTLS_MD_SHA256, msg, ml, h);
    REQUIRE(mbedtls_ecdsa_sign(&ec->grp, &r, &s, &ec->d, h, 32, psh_att_rng, NULL) == 0);
    n += put16(sig + n, 0x0018);
    n += put16(sig + n, 0x000B);
    n += put16(sig + n, 32);
    mbedtls_mpi_write_binary(&r, sig + n, 32);
    n += 32;
    n += put16(sig + n, 32);
    mbedtls_mpi_write_binary(&s, sig + n, 32);
    n += 32;
    mbedtls_mpi_free(&r);
    mbedtls_mpi_free(&s);
    return n;
}

static void test_tpm_soft(void)
{
    mbedtls_pk_context ak, ik, ik2;
    psh_attest_anchor ak_a;
    psh_attest_appraisal a;
    psh_attest_pcr_ref pcrs[3];
    psh_tpm_evidence_parts parts;
    uint8_t pub[120], pub2[120], name[34], ci[200], qi[200], ks[80], ps[80], kid[33];
    uint8_t nonce[16] = "fresh-nonce-0001", zeros[96] = {0}, digest[32], *ev = NULL;
    uint8_t stale[16] = "fresh-nonce-0002";
    size_t publ, pub2l, cil, qil, ksl, psl, n = 0;
    psh_attest_policy p = {nonce, 16, &ak_a, 1, pcrs, 3, NULL, 0};

    gen(&ak, MBEDTLS_ECP_DP_SECP256R1);
    gen(&ik, MBEDTLS_ECP_DP_SECP256R1);
    gen(&ik2, MBEDTLS_ECP_DP_SECP256R1);
    anchor_of(&ak_a, &ak);
    REQUIRE(psh_attest_kid_from_pk(&ak, kid) == PSH_SUCCESS);
    memset(pcrs, 0, sizeof pcrs);
    for (int i = 0; i < 3; i++) {
        pcrs[i].alg = 0x000B;
        pcrs[i].pcr = (uint8_t)i;
        pcrs[i].digest_len = 32;
    }
    psh_att_hash(MBEDTLS_MD_SHA256, zeros, sizeof zeros, digest);
    publ = make_pub(&ik, pub);
    /* The AK kid a TPM provider derives from a TPMT_PUBLIC equals the one from the key. */
    {
        uint8_t k1[33], k2[33], ak_pub[120];
        size_t akl = make_pub(&ak, ak_pub);
        CHECK_EQ_INT(psh_attest_kid_from_tpmt_public(ak_pub, akl, k1), PSH_SUCCESS);
        REQUIRE(psh_attest_kid_from_pk(&ak, k2) == PSH_SUCCESS);
        CHECK_MEM(k1, 33, k2, 33);
        CHECK_EQ_INT(psh_attest_kid_from_tpmt_public(ak_pub, akl - 1, k1),
                     PSH_ERR_PSA_INVALID_ARGUMENT);
    }
    pub2l = make_pub(&ik2, pub2);
    name[0] = 0;
    name[1] = 0x0B;
    psh_att_hash(MBEDTLS_MD_SHA256, pub, publ, name + 2);
    {
        uint8_t nm[66];
        size_t nl;
        CHECK_EQ_INT(psh_attest_tpm_name(pub, publ, nm, &nl), PSH_SUCCESS);
        CHECK_MEM(nm, nl, name, 34);
    }
    cil = make_attest(ci, 0x8017, nonce, 16, name, 34, NULL);
    qil = make_attest(qi, 0x8018, nonce, 16, NULL, 0, digest);
    ksl = tpm_sign(&ak, ci, cil, ks);
    psl = tpm_sign(&ak, qi, qil, ps);
    parts = (psh_tpm_evidence_parts){kid, 33, ks, ksl, pub, publ, ci, cil, ps, psl, qi, qil};
    REQUIRE(psh_tpm_evidence_build(&parts, &ev, &n) == PSH_SUCCESS);
    CHECK_EQ_INT(psh_attest_verify(PSH_ATTEST_PARSEC_TPM, ev, n, &p, &a), PSH_SUCCESS);
    dump_failures("tpm soft", &a);
    CHECK(every_flip_rejected(PSH_ATTEST_PARSEC_TPM, ev, n, &p));
    /* Stale nonce. */
    p.nonce = stale;
    psh_attest_verify(PSH_ATTEST_PARSEC_TPM, ev, n, &p, &a);
    CHECK(failed_with(&a, "kat.nonce", NULL) && failed_with(&a, "pat.nonce", NULL));
    p.nonce = nonce;
    /* Different PCR state. */
    pcrs[1].digest[0] = 0xAA;
    psh_attest_verify(PSH_ATTEST_PARSEC_TPM, ev, n, &p, &a);
    CHECK(failed_with(&a, "pat.pcrs", "does not match"));
    pcrs[1].digest[0] = 0;
    psh_free(ev);
    /* Swapped key: another pubArea under the same certInfo. */
    parts.pub_area = pub2;
    parts.pub_area_len = pub2l;
    REQUIRE(psh_tpm_evidence_build(&parts, &ev, &n) == PSH_SUCCESS);
    psh_attest_verify(PSH_ATTEST_PARSEC_TPM, ev, n, &p, &a);
    CHECK(failed_with(&a, "kat.name", "differs"));
    psh_free(ev);
    psh_attest_anchor_free(&ak_a);
    mbedtls_pk_free(&ak);
    mbedtls_pk_free(&ik);
    mbedtls_pk_free(&ik2);
}

/* Allocation failure at every point (curl-style torture over the psh_malloc hooks): the
 * builders and the verifier fail cleanly (no crash, no leak, no half-written output) and
 * never report success for an evidence they could not fully check. */
static long fail_at, n_allocs;
static void *t_malloc(size_t n, void *c) { (void)c; return ++n_allocs == fail_at ? NULL : malloc(n); }
static void *t_realloc(void *p, size_t n, void *c) { (void)c; return ++n_allocs == fail_at ? NULL : realloc(p, n); }
static void t_free(void *p, void *c) { (void)c; free(p); }

static void test_alloc_failures(void)
{
    static const psh_allocator torture = {t_malloc, t_realloc, t_free, NULL};
    mbedtls_pk_context pak, kak, ik;
    psh_attest_anchor pak_a;
    psh_attest_appraisal a;
    uint8_t nonce[16] = "alloc-torture-01", *ev = NULL, *good = NULL;
    size_t n = 0, gn = 0;
    psh_attest_policy pol;
    long total;
    int builds_ok = 0, verifies_ok = 0;

    gen(&pak, MBEDTLS_ECP_DP_SECP256R1);
    gen(&kak, MBEDTLS_ECP_DP_SECP256R1);
    gen(&ik, MBEDTLS_ECP_DP_SECP256R1);
    anchor_of(&pak_a, &pak);
    pol = (psh_attest_policy){nonce, sizeof nonce, &pak_a, 1, NULL, 0, NULL, 0};
    REQUIRE(psh_kat_sign(&pak, &kak, &ik, nonce, sizeof nonce, &good, &gn) == PSH_SUCCESS);
    /* Count the allocations of one build + verify, then fail each in turn. */
    fail_at = -1;
    n_allocs = 0;
    psh_set_allocator(&torture);
    psh_kat_sign(&pak, &kak, &ik, nonce, sizeof nonce, &ev, &n);
    psh_free(ev);
    psh_attest_verify(PSH_ATTEST_KAT, good, gn, &pol, &a);
    total = n_allocs;
    for (fail_at = 1; fail_at <= total; fail_at++) {
        psh_status st;
        n_allocs = 0;
        ev = (uint8_t *)&n;
        st = psh_kat_sign(&pak, &kak, &ik, nonce, sizeof nonce, &ev, &n);
        if (st == PSH_SUCCESS) {
            builds_ok++;
            psh_free(ev);
        } else if (ev != NULL || n != 0) {
            CHECK(0 && "failed build left an output");
        }
        n_allocs = 0;
        st = psh_attest_verify(PSH_ATTEST_KAT, good, gn, &pol, &a);
        CHECK((st == PSH_SUCCESS) == (psh_attest_verified(&a) != 0));
        verifies_ok += st == PSH_SUCCESS;
    }
    psh_set_allocator(NULL);
    fprintf(stderr, "  alloc torture: %ld allocation points, %d builds and %d verifies survived "
                    "a failed allocation\n", total, builds_ok, verifies_ok);
    CHECK(total > 5);
    psh_free(good);
    psh_attest_anchor_free(&pak_a);
    mbedtls_pk_free(&pak);
    mbedtls_pk_free(&kak);
    mbedtls_pk_free(&ik);
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    test_kat(MBEDTLS_ECP_DP_SECP256R1, 1);
    test_kat(MBEDTLS_ECP_DP_SECP521R1, 0); /* ES512 KAK; flips covered above (slow curve) */
    test_kat_external_signer();
    test_alloc_failures();
    test_tpm_soft();
    CHECK_DONE();
}
