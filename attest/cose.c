#include "cose.h"

#include <pthread.h>
#include <string.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/entropy.h>
#include <mbedtls/platform_util.h>

#include "util/alloc.h"

size_t psh_att_hash(mbedtls_md_type_t md, const uint8_t *p, size_t n, uint8_t *out)
{
    const mbedtls_md_info_t *info = mbedtls_md_info_from_type(md);
    if (info == NULL || mbedtls_md(info, p, n, out) != 0)
        return 0;
    return mbedtls_md_get_size(info);
}

size_t psh_att_ec_size(const mbedtls_pk_context *pk)
{
    if (!mbedtls_pk_can_do(pk, MBEDTLS_PK_ECKEY))
        return 0;
    return (mbedtls_pk_ec(*pk)->grp.pbits + 7) / 8;
}

int psh_att_ecdsa_verify(const mbedtls_pk_context *pk, const uint8_t *hash, size_t hlen,
                         const uint8_t *r, size_t rlen, const uint8_t *s, size_t slen)
{
    mbedtls_mpi mr, ms;
    mbedtls_ecp_keypair *ec;
    int ok = -1;
    if (!mbedtls_pk_can_do(pk, MBEDTLS_PK_ECDSA))
        return -1;
    ec = mbedtls_pk_ec(*pk);
    mbedtls_mpi_init(&mr);
    mbedtls_mpi_init(&ms);
    if (mbedtls_mpi_read_binary(&mr, r, rlen) == 0 && mbedtls_mpi_read_binary(&ms, s, slen) == 0 &&
        mbedtls_ecdsa_verify(&ec->grp, hash, hlen, &ec->Q, &mr, &ms) == 0)
        ok = 0;
    mbedtls_mpi_free(&mr);
    mbedtls_mpi_free(&ms);
    return ok;
}

int psh_att_pk_from_point(mbedtls_pk_context *pk, mbedtls_ecp_group_id grp, const uint8_t *pt,
                          size_t len)
{
    mbedtls_ecp_keypair *ec;
    if (mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) != 0)
        return -1;
    ec = mbedtls_pk_ec(*pk);
    if (mbedtls_ecp_group_load(&ec->grp, grp) != 0 ||
        mbedtls_ecp_point_read_binary(&ec->grp, &ec->Q, pt, len) != 0 ||
        mbedtls_ecp_check_pubkey(&ec->grp, &ec->Q) != 0)
        return -1;
    return 0;
}

size_t psh_att_pk_spki(const mbedtls_pk_context *pk, uint8_t *buf, size_t size)
{
    int n = mbedtls_pk_write_pubkey_der((mbedtls_pk_context *)pk, buf, size);
    if (n <= 0)
        return 0;
    /* Mbed TLS writes at the end of the buffer. */
    memmove(buf, buf + size - (size_t)n, (size_t)n);
    return (size_t)n;
}

static int cose_curve(int64_t crv, mbedtls_ecp_group_id *g, size_t *sz)
{
    switch (crv) {
    case 1: *g = MBEDTLS_ECP_DP_SECP256R1; *sz = 32; return 0;
    case 2: *g = MBEDTLS_ECP_DP_SECP384R1; *sz = 48; return 0;
    case 3: *g = MBEDTLS_ECP_DP_SECP521R1; *sz = 66; return 0;
    default: return -1;
    }
}

int psh_cose_key_decode(const cbor_item_t *key, mbedtls_pk_context *pk, int *has_private,
                        const char **why)
{
    cbor_item_t *v = NULL;
    int64_t kty, crv;
    const uint8_t *x, *y;
    size_t xl, yl, sz;
    mbedtls_ecp_group_id g;
    uint8_t pt[1 + 2 * 66];

    *has_private = 0;
    if (key == NULL || !cbor_isa_map(key)) {
        *why = "COSE_Key is not a map";
        return -1;
    }
    if (psh_cbor_map_int(key, 1, &v) != 1 || psh_cbor_int(v, &kty) != 0 || kty != 2) {
        *why = "COSE_Key kty is not EC2";
        return -1;
    }
    if (psh_cbor_map_int(key, -1, &v) != 1 || psh_cbor_int(v, &crv) != 0 ||
        cose_curve(crv, &g, &sz) != 0) {
        *why = "COSE_Key crv missing or not P-256/P-384/P-521";
        return -1;
    }
    if (psh_cbor_map_int(key, -2, &v) != 1 || psh_cbor_bytes(v, &x, &xl) != 0 || xl != sz ||
        psh_cbor_map_int(key, -3, &v) != 1 || psh_cbor_bytes(v, &y, &yl) != 0 || yl != sz) {
        *why = "COSE_Key x/y missing or of the wrong size";
        return -1;
    }
    if (psh_cbor_map_int(key, -4, &v) != 0)
        *has_private = 1;
    pt[0] = 0x04;
    memcpy(pt + 1, x, sz);
    memcpy(pt + 1 + sz, y, sz);
    if (psh_att_pk_from_point(pk, g, pt, 1 + 2 * sz) != 0) {
        *why = "COSE_Key point is not on the curve";
        return -1;
    }
    return 0;
}

void psh_cose_key_encode(psh_cbuf *w, const mbedtls_pk_context *pk)
{
    const mbedtls_ecp_keypair *ec = mbedtls_pk_ec(*pk);
    uint8_t pt[1 + 2 * 66];
    size_t n = 0, sz = psh_att_ec_size(pk);
    int crv = sz == 32 ? 1 : sz == 48 ? 2 : sz == 66 ? 3 : 0;
    if (crv == 0 || mbedtls_ecp_point_write_binary(&ec->grp, &ec->Q, MBEDTLS_ECP_PF_UNCOMPRESSED,
                                                   &n, pt, sizeof pt) != 0 || n != 1 + 2 * sz) {
        w->err = 1;
        return;
    }
    psh_cbuf_head(w, 5, 4);
    psh_cbuf_int(w, 1);
    psh_cbuf_int(w, 2);
    psh_cbuf_int(w, -1);
    psh_cbuf_int(w, crv);
    psh_cbuf_int(w, -2);
    psh_cbuf_bytes(w, pt + 1, sz);
    psh_cbuf_int(w, -3);
    psh_cbuf_bytes(w, pt + 1 + sz, sz);
}

/* --- COSE_Sign1 -------------------------------------------------------------------------- */

int psh_cose_sign1_decode(const cbor_item_t *item, psh_cose_sign1 *s, const char **why)
{
    cbor_item_t **a, *v;
    const char *w2;
    memset(s, 0, sizeof *s);
    if (item != NULL && cbor_isa_tag(item)) {
        item = psh_cbor_untag(item, 18);
        if (item == NULL) {
            *why = "COSE_Sign1 carries a tag other than 18";
            return -1;
        }
    }
    if (item == NULL || !cbor_isa_array(item) || cbor_array_size(item) != 4) {
        *why = "COSE_Sign1 is not a 4-element array";
        return -1;
    }
    a = cbor_array_handle(item);
    if (psh_cbor_bytes(a[0], &s->protected_p, &s->protected_len) != 0 || !cbor_isa_map(a[1]) ||
        psh_cbor_bytes(a[2], &s->payload, &s->payload_len) != 0 ||
        psh_cbor_bytes(a[3], &s->sig, &s->sig_len) != 0) {
        *why = "COSE_Sign1 fields have the wrong types (detached payloads are refused)";
        return -1;
    }
    if (s->protected_len == 0 ||
        psh_cbor_decode(s->protected_p, s->protected_len, &s->protected_map, NULL, &w2) != 0 ||
        !cbor_isa_map(s->protected_map)) {
        *why = "COSE_Sign1 protected header is not a CBOR map";
        return -1;
    }
    if (psh_cbor_map_int(s->protected_map, 1, &v) != 1 || psh_cbor_int(v, &s->alg) != 0) {
        *why = "COSE_Sign1 protected header has no alg";
        return -1;
    }
    if (psh_cbor_map_int(a[1], 1, &v) != 0) {
        *why = "COSE_Sign1 alg in the unprotected header";
        return -1;
    }
    if (psh_cbor_map_int(s->protected_map, 4, &v) == 1 ||
        psh_cbor_map_int(a[1], 4, &v) == 1) {
        if (psh_cbor_bytes(v, &s->kid, &s->kid_len) != 0) {
            *why = "COSE_Sign1 kid is not a bstr";
            return -1;
        }
    }
    return 0;
}

void psh_cose_sign1_free(psh_cose_sign1 *s)
{
    if (s->protected_map != NULL)
        cbor_decref(&s->protected_map);
    memset(s, 0, sizeof *s);
}

static mbedtls_md_type_t cose_alg_md(int64_t alg)
{
    switch (alg) {
    case PSH_COSE_ES256: return MBEDTLS_MD_SHA256;
    case PSH_COSE_ES384: return MBEDTLS_MD_SHA384;
    case PSH_COSE_ES512: return MBEDTLS_MD_SHA512;
    default: return MBEDTLS_MD_NONE;
    }
}

/* Hashes Sig_structure = ["Signature1", body_protected, external_aad = h'', payload] without
 * materialising it. */
static int sig_structure_hash(mbedtls_md_type_t md, const uint8_t *prot, size_t plen,
                              const uint8_t *payload, size_t paylen, uint8_t *out, size_t *olen)
{
    mbedtls_md_context_t ctx;
    psh_cbuf w = {0};
    int rc = -1;
    const mbedtls_md_info_t *info = mbedtls_md_info_from_type(md);
    mbedtls_md_init(&ctx);
    if (info == NULL || mbedtls_md_setup(&ctx, info, 0) != 0 || mbedtls_md_starts(&ctx) != 0)
        goto exit;
    psh_cbuf_head(&w, 4, 4);
    psh_cbuf_text(&w, "Signature1");
    psh_cbuf_head(&w, 2, plen);
    if (w.err || mbedtls_md_update(&ctx, w.p, w.len) != 0 ||
        mbedtls_md_update(&ctx, prot, plen) != 0)
        goto exit;
    w.len = 0;
    psh_cbuf_bytes(&w, "", 0);
    psh_cbuf_head(&w, 2, paylen);
    if (w.err || mbedtls_md_update(&ctx, w.p, w.len) != 0 ||
        mbedtls_md_update(&ctx, payload, paylen) != 0 || mbedtls_md_finish(&ctx, out) != 0)
        goto exit;
    *olen = mbedtls_md_get_size(info);
    rc = 0;
exit:
    psh_cbuf_free(&w);
    mbedtls_md_free(&ctx);
    return rc;
}

int psh_cose_sign1_verify(const psh_cose_sign1 *s, const mbedtls_pk_context *pk,
                          const char **why)
{
    uint8_t h[64];
    size_t hl = 0, sz = psh_att_ec_size(pk);
    mbedtls_md_type_t md = cose_alg_md(s->alg);
    if (md == MBEDTLS_MD_NONE) {
        *why = "COSE alg is not ES256/ES384/ES512";
        return -1;
    }
    if (sz == 0 || s->sig_len != 2 * sz) {
        *why = "COSE signature length does not match the key's curve";
        return -1;
    }
    if (sig_structure_hash(md, s->protected_p, s->protected_len, s->payload, s->payload_len, h,
                           &hl) != 0) {
        *why = "hash failure";
        return -1;
    }
    if (psh_att_ecdsa_verify(pk, h, hl, s->sig, sz, s->sig + sz, sz) != 0) {
        *why = "COSE_Sign1 signature does not verify";
        return -1;
    }
    return 0;
}

int psh_att_mbedtls_signer(void *ctx, const uint8_t *hash, size_t hash_len, uint8_t *sig,
                           size_t sig_len)
{
    mbedtls_pk_context *pk = ctx;
    mbedtls_ecp_keypair *ec;
    mbedtls_mpi r, s;
    size_t sz = psh_att_ec_size(pk);
    mbedtls_md_type_t md = hash_len == 32 ? MBEDTLS_MD_SHA256 : hash_len == 48 ? MBEDTLS_MD_SHA384
                                                                                 : MBEDTLS_MD_SHA512;
    int rc = -1;
    if (sz == 0 || sig_len != 2 * sz)
        return -1;
    ec = mbedtls_pk_ec(*pk);
    mbedtls_mpi_init(&r);
    mbedtls_mpi_init(&s);
    if (mbedtls_ecdsa_sign_det_ext(&ec->grp, &r, &s, &ec->d, hash, hash_len, md, psh_att_rng,
                                   NULL) == 0 &&
        mbedtls_mpi_write_binary(&r, sig, sz) == 0 && mbedtls_mpi_write_binary(&s, sig + sz, sz) == 0)
        rc = 0;
    mbedtls_mpi_free(&r);
    mbedtls_mpi_free(&s);
    return rc;
}

int psh_cose_sign1_sign_ext(psh_attest_sign_fn sign, void *ctx, const mbedtls_pk_context *pub,
                            const uint8_t *kid, size_t kid_len, const uint8_t *payload,
                            size_t payload_len, uint8_t **out, size_t *out_len)
{
    psh_cbuf prot = {0}, w = {0};
    uint8_t h[64], sig[2 * 66];
    size_t hl = 0, sz = psh_att_ec_size(pub);
    int64_t alg = sz == 32 ? PSH_COSE_ES256 : sz == 48 ? PSH_COSE_ES384 : PSH_COSE_ES512;
    int rc = -1;

    *out = NULL;
    *out_len = 0;
    if (sz == 0 || sign == NULL)
        goto exit;
    psh_cbuf_head(&prot, 5, kid_len ? 2 : 1);
    psh_cbuf_int(&prot, 1);
    psh_cbuf_int(&prot, alg);
    if (kid_len) {
        psh_cbuf_int(&prot, 4);
        psh_cbuf_bytes(&prot, kid, kid_len);
    }
    if (prot.err || sig_structure_hash(cose_alg_md(alg), prot.p, prot.len, payload, payload_len,
                                       h, &hl) != 0)
        goto exit;
    if (sign(ctx, h, hl, sig, 2 * sz) != 0)
        goto exit;
    psh_cbuf_head(&w, 6, 18);
    psh_cbuf_head(&w, 4, 4);
    psh_cbuf_bytes(&w, prot.p, prot.len);
    psh_cbuf_head(&w, 5, 0);
    psh_cbuf_bytes(&w, payload, payload_len);
    psh_cbuf_bytes(&w, sig, 2 * sz);
    *out = psh_cbuf_take(&w, out_len);
    rc = *out == NULL ? -1 : 0;
exit:
    mbedtls_platform_zeroize(h, sizeof h);
    psh_cbuf_free(&prot);
    psh_cbuf_free(&w);
    return rc;
}

/* --- randomness -------------------------------------------------------------------------- */

static pthread_mutex_t rng_mu = PTHREAD_MUTEX_INITIALIZER;
static mbedtls_entropy_context rng_entropy;
static mbedtls_ctr_drbg_context rng_drbg;
static int rng_ready;

int psh_att_random(uint8_t *out, size_t n)
{
    int rc = -1;
    pthread_mutex_lock(&rng_mu);
    if (!rng_ready) {
        mbedtls_entropy_init(&rng_entropy);
        mbedtls_ctr_drbg_init(&rng_drbg);
        if (mbedtls_ctr_drbg_seed(&rng_drbg, mbedtls_entropy_func, &rng_entropy,
                                  (const unsigned char *)"psh-attest", 10) != 0)
            goto exit;
        rng_ready = 1;
    }
    while (n > 0) {
        size_t chunk = n > MBEDTLS_CTR_DRBG_MAX_REQUEST ? MBEDTLS_CTR_DRBG_MAX_REQUEST : n;
        if (mbedtls_ctr_drbg_random(&rng_drbg, out, chunk) != 0)
            goto exit;
        out += chunk;
        n -= chunk;
    }
    rc = 0;
exit:
    pthread_mutex_unlock(&rng_mu);
    return rc;
}

int psh_att_rng(void *ctx, unsigned char *out, size_t n)
{
    (void)ctx;
    return psh_att_random(out, n) == 0 ? 0 : MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
}
