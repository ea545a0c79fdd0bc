/* KAT evidence from the soft provider (engine/providers/soft/soft_attest.c): verified by our
 * verifier with the PAK the provider exports; a stale nonce, a flipped byte, another key's
 * expectations and an RSA key are refused; the PAK survives a provider restart on the same KIM
 * path (a provider-private file, 0600) and an in-memory KIM never writes one. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/pk.h>

#include "attest.h"
#include "check.h"
#include "providers/soft/soft.h"
#include "psh/config.h"
#include "util/alloc.h"

static const psh_provider_ops *ops = &psh_soft_provider_ops;

typedef struct key {
    psh_key_attrs attrs;
    uint8_t *id;
    size_t id_len;
} key;

static void *start(const char *kim_path)
{
    psh_provider_config pcfg;
    psh_engine_config ecfg;
    char err[256] = "";
    void *ctx = NULL;
    psh_provider_config_init(&pcfg, PSH_PROVIDER_MBED_CRYPTO);
    psh_engine_config_init(&ecfg);
    snprintf(ecfg.kim_path, sizeof ecfg.kim_path, "%s", kim_path);
    REQUIRE(ops->init(&pcfg, &ecfg, &ctx, err, sizeof err) == PSH_SUCCESS);
    return ctx;
}

static psh_status verify(const psh_attest_anchor_out *a, const uint8_t *ev, size_t len,
                         const uint8_t *nonce, size_t nonce_len, psh_attest_appraisal *ap)
{
    psh_attest_anchor anchor;
    psh_attest_policy pol;
    psh_status st;
    memset(&anchor, 0, sizeof anchor);
    memset(&pol, 0, sizeof pol);
    st = psh_attest_anchor_from_pem(&anchor, a->spki, a->spki_len);
    if (st == PSH_SUCCESS) {
        pol.nonce = nonce;
        pol.nonce_len = nonce_len;
        pol.anchors = &anchor;
        pol.n_anchors = 1;
        st = psh_attest_verify(PSH_ATTEST_KAT, ev, len, &pol, ap);
    }
    psh_attest_anchor_free(&anchor);
    return st;
}

int main(void)
{
    char path[] = "/tmp/psh-attest-soft-XXXXXX";
    char kim[128], keys[160];
    static psh_attest_appraisal ap;
    psh_attest_anchor_out a1, a2;
    uint8_t nonce[32], other[32], pub[200];
    size_t pub_len = 0;
    uint8_t *ev = NULL;
    size_t ev_len = 0;
    const char *media = NULL;
    key k, r;
    struct stat sb;
    void *ctx;

    REQUIRE(mkdtemp(path) != NULL);
    snprintf(kim, sizeof kim, "%s/kim.sqlite3", path);
    snprintf(keys, sizeof keys, "%s.soft-attest.pem", kim);
    memset(nonce, 0xA5, sizeof nonce);
    memset(other, 0x5A, sizeof other);

    ctx = start(kim);
    memset(&k, 0, sizeof k);
    k.attrs.type = PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1);
    k.attrs.bits = 256;
    k.attrs.usage = PSA_KEY_USAGE_SIGN_HASH;
    k.attrs.alg = PSA_ALG_ECDSA(PSA_ALG_SHA_256);
    REQUIRE(ops->generate_key(ctx, &k.attrs, &k.id, &k.id_len) == PSH_SUCCESS);
    psh_key_ref kr = {&k.attrs, k.id, k.id_len};

    memset(&a1, 0, sizeof a1);
    CHECK(ops->attest_anchor(ctx, &a1) == PSH_SUCCESS);
    CHECK(a1.kid_len == 33 && a1.spki_len > 60);
    CHECK(strcmp(a1.media_type, "application/cmw+cbor") == 0);
    CHECK(stat(keys, &sb) == 0 && (sb.st_mode & 0777) == 0600);

    CHECK(ops->attest_evidence(ctx, &kr, nonce, sizeof nonce, &ev, &ev_len, &media) ==
          PSH_SUCCESS);
    CHECK(strcmp(media, "application/cmw+cbor") == 0);
    CHECK(verify(&a1, ev, ev_len, nonce, sizeof nonce, &ap) == PSH_SUCCESS);
    CHECK(psh_attest_verified(&ap));
    /* The attested key in the appraisal is k's public key. */
    CHECK(ops->export_public_key(ctx, &kr, pub, sizeof pub, &pub_len) == PSH_SUCCESS);
    CHECK(ap.key_spki_len > pub_len &&
          memcmp(ap.key_spki + ap.key_spki_len - pub_len, pub, pub_len) == 0);
    CHECK(verify(&a1, ev, ev_len, other, sizeof other, &ap) != PSH_SUCCESS);
    CHECK(psh_attest_failed(&ap, "kat.nonce") != NULL);
    for (size_t i = 40; i < ev_len; i += 37) {
        ev[i] ^= 1;
        CHECK(verify(&a1, ev, ev_len, nonce, sizeof nonce, &ap) != PSH_SUCCESS);
        ev[i] ^= 1;
    }
    psh_free(ev);
    ev = NULL;

    /* RSA keys have no EC2 COSE_Key: NotSupported. */
    memset(&r, 0, sizeof r);
    r.attrs.type = PSA_KEY_TYPE_RSA_KEY_PAIR;
    r.attrs.bits = 1024;
    r.attrs.usage = PSA_KEY_USAGE_SIGN_HASH;
    r.attrs.alg = PSA_ALG_RSA_PKCS1V15_SIGN(PSA_ALG_SHA_256);
    if (ops->generate_key(ctx, &r.attrs, &r.id, &r.id_len) == PSH_SUCCESS) {
        psh_key_ref rr = {&r.attrs, r.id, r.id_len};
        CHECK(ops->attest_evidence(ctx, &rr, nonce, sizeof nonce, &ev, &ev_len, &media) ==
              PSH_ERR_PSA_NOT_SUPPORTED);
        CHECK(ev == NULL);
        psh_free_secret(r.id, r.id_len);
    }

    /* Restart on the same KIM path: the same PAK. */
    ops->fini(ctx);
    ctx = start(kim);
    memset(&a2, 0, sizeof a2);
    CHECK(ops->attest_anchor(ctx, &a2) == PSH_SUCCESS);
    CHECK(a2.spki_len == a1.spki_len && memcmp(a2.spki, a1.spki, a1.spki_len) == 0);
    CHECK(memcmp(a2.kid, a1.kid, 33) == 0);
    CHECK(ops->attest_evidence(ctx, &kr, nonce, sizeof nonce, &ev, &ev_len, &media) ==
          PSH_SUCCESS);
    CHECK(verify(&a1, ev, ev_len, nonce, sizeof nonce, &ap) == PSH_SUCCESS);
    psh_free(ev);
    ev = NULL;
    ops->fini(ctx);

    /* A damaged key file is a storage failure, never silently replaced. */
    {
        FILE *f = fopen(keys, "w");
        REQUIRE(f != NULL);
        fputs("not a key\n", f);
        fclose(f);
    }
    ctx = start(kim);
    CHECK(ops->attest_anchor(ctx, &a2) == PSH_ERR_PSA_STORAGE_FAILURE);
    ops->fini(ctx);
    unlink(keys);

    /* In-memory KIM: keys in memory only. */
    ctx = start(":memory:");
    CHECK(ops->attest_anchor(ctx, &a2) == PSH_SUCCESS);
    CHECK(memcmp(a2.kid, a1.kid, 33) != 0);
    CHECK(access(keys, F_OK) != 0);
    ops->fini(ctx);

    psh_free_secret(k.id, k.id_len);
    rmdir(path);
    CHECK_DONE();
}
