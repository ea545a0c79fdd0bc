/* Key attestation in the TPM provider against in-process libtpms (engine/providers/tpm/
 * tpm_attest.c), with leaks checked by ASan: ActivateCredential round trip with a credential
 * made by psh_make_credential for the name PrepareKeyAttestation returned (and refused for
 * another name, junk blobs, oversized blobs); parsec-tpm evidence accepted by psh_attest_verify
 * with the AK the provider exports and all-zero PCRs 0-7 (a fresh TPM), refused for another
 * nonce and another PCR state; the AK the same after a power cycle; the object and session
 * slots not leaked after many requests. */
#include "check.h"

#include <stdlib.h>
#include <string.h>

#include <psa/crypto.h>
#include <tss2/tss2_mu.h>

#include "attest.h"
#include "providers/tpm/tpm.h"
#include "providers/tpm/tpm_internal.h"
#include "providers/tpm/tpm_tcti.h"
#include "util/alloc.h"
#include "util/psa_lock.h"

static const psh_provider_ops *ops = &psh_tpm_provider_ops;
static psh_engine_config ecfg;
static psh_provider_config pcfg;

typedef struct key {
    psh_key_attrs attrs;
    uint8_t *id;
    size_t id_len;
} key;

static void *start(void)
{
    void *ctx = NULL;
    char err[256] = "";
    psh_status st = ops->init(&pcfg, &ecfg, &ctx, err, sizeof err);
    if (st != PSH_SUCCESS)
        fprintf(stderr, "init: %s\n", err);
    REQUIRE(st == PSH_SUCCESS && ctx != NULL);
    return ctx;
}

/* The EK as a TPMT_PUBLIC for psh_make_credential: the default template with the modulus
 * from the DER RSAPublicKey PrepareKeyAttestation returned (INTEGER after SEQUENCE header). */
static size_t ek_tpmt(const uint8_t *der, size_t der_len, uint8_t *out, size_t size)
{
    TPM2B_PUBLIC t;
    size_t off = 0;
    const uint8_t *m = NULL;
    for (size_t i = 0; i + 259 <= der_len; i++)
        if (der[i] == 0x02 && der[i + 1] == 0x82 && der[i + 2] == 0x01 && der[i + 3] == 0x01 &&
            der[i + 4] == 0x00) {
            m = der + i + 5;
            break;
        }
    if (m == NULL)
        return 0;
    memset(&t, 0, sizeof t);
    t.publicArea.type = TPM2_ALG_RSA;
    t.publicArea.nameAlg = TPM2_ALG_SHA256;
    t.publicArea.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                                    TPMA_OBJECT_SENSITIVEDATAORIGIN |
                                    TPMA_OBJECT_ADMINWITHPOLICY | TPMA_OBJECT_RESTRICTED |
                                    TPMA_OBJECT_DECRYPT;
    t.publicArea.parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_AES;
    t.publicArea.parameters.rsaDetail.symmetric.keyBits.aes = 128;
    t.publicArea.parameters.rsaDetail.symmetric.mode.aes = TPM2_ALG_CFB;
    t.publicArea.parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
    t.publicArea.parameters.rsaDetail.keyBits = 2048;
    t.publicArea.unique.rsa.size = 256;
    memcpy(t.publicArea.unique.rsa.buffer, m, 256);
    return Tss2_MU_TPMT_PUBLIC_Marshal(&t.publicArea, out, size, &off) == TSS2_RC_SUCCESS ? off
                                                                                          : 0;
}

static void test_activate(void *ctx, key *k)
{
    psh_key_ref r = {&k->attrs, k->id, k->id_len};
    psh_attest_prepare_out *p = psh_calloc(1, sizeof *p);
    uint8_t ek[600], blob[256], sec[512], cred[64], secret[32], other[34];
    size_t ek_len, blob_len = 0, sec_len = 0, cred_len = 0;
    REQUIRE(p != NULL);
    memset(secret, 0x3C, sizeof secret);
    CHECK(ops->attest_prepare_credential(ctx, &r, p) == PSH_SUCCESS);
    CHECK(p->name_len == 34 && p->name[0] == 0x00 && p->name[1] == 0x0B);
    {
        uint8_t name[66];
        size_t nl = 0;
        CHECK(psh_attest_tpm_name(p->pub, p->pub_len, name, &nl) == PSH_SUCCESS);
        CHECK(nl == p->name_len && memcmp(name, p->name, nl) == 0);
    }
    ek_len = ek_tpmt(p->ak_pub, p->ak_pub_len, ek, sizeof ek);
    REQUIRE(ek_len > 0);
    CHECK(psh_make_credential(ek, ek_len, p->name, p->name_len, secret, sizeof secret, blob,
                              sizeof blob, &blob_len, sec, sizeof sec, &sec_len) == PSH_SUCCESS);
    for (int i = 0; i < 5; i++) { /* sessions and the EK slot are released every time */
        cred_len = 0;
        CHECK(ops->attest_activate_credential(ctx, &r, blob, blob_len, sec, sec_len, cred,
                                              sizeof cred, &cred_len) == PSH_SUCCESS);
        CHECK(cred_len == sizeof secret && memcmp(cred, secret, sizeof secret) == 0);
    }
    memcpy(other, p->name, sizeof other);
    other[5] ^= 1;
    CHECK(psh_make_credential(ek, ek_len, other, sizeof other, secret, sizeof secret, blob,
                              sizeof blob, &blob_len, sec, sizeof sec, &sec_len) == PSH_SUCCESS);
    for (int i = 0; i < 5; i++)
        CHECK(ops->attest_activate_credential(ctx, &r, blob, blob_len, sec, sec_len, cred,
                                              sizeof cred, &cred_len) ==
              PSH_ERR_PSA_INVALID_ARGUMENT);
    memset(blob, 0x5A, 52);
    memset(sec, 0xA5, 256);
    for (int i = 0; i < 5; i++)
        CHECK(ops->attest_activate_credential(ctx, &r, blob, 52, sec, 256, cred, sizeof cred,
                                              &cred_len) == PSH_ERR_PSA_INVALID_ARGUMENT);
    CHECK(ops->attest_activate_credential(ctx, &r, blob, 0, sec, 256, cred, sizeof cred,
                                          &cred_len) == PSH_ERR_PSA_INVALID_ARGUMENT);
    CHECK(ops->attest_activate_credential(ctx, &r, blob, 52, sec, 1000, cred, sizeof cred,
                                          &cred_len) == PSH_ERR_PSA_INVALID_ARGUMENT);
    psh_free(p);
}

static psh_status verify(const psh_attest_anchor_out *a, const uint8_t *ev, size_t len,
                         const uint8_t *nonce, size_t nonce_len, uint8_t pcr7)
{
    static psh_attest_appraisal ap;
    psh_attest_anchor anchor;
    psh_attest_pcr_ref refs[8];
    psh_attest_policy pol;
    psh_status st;
    memset(&anchor, 0, sizeof anchor);
    memset(&pol, 0, sizeof pol);
    memset(refs, 0, sizeof refs);
    for (int i = 0; i < 8; i++) {
        refs[i].alg = 0x000B;
        refs[i].pcr = (uint8_t)i;
        refs[i].digest_len = 32;
    }
    refs[7].digest[0] = pcr7;
    st = psh_attest_anchor_from_pem(&anchor, a->spki, a->spki_len);
    if (st == PSH_SUCCESS) {
        pol.nonce = nonce;
        pol.nonce_len = nonce_len;
        pol.anchors = &anchor;
        pol.n_anchors = 1;
        pol.pcrs = refs;
        pol.n_pcrs = 8;
        st = psh_attest_verify(PSH_ATTEST_PARSEC_TPM, ev, len, &pol, &ap);
    }
    psh_attest_anchor_free(&anchor);
    return st;
}

int main(void)
{
    void *ctx;
    key k, rsa;
    psh_attest_anchor_out a1, a2;
    uint8_t nonce[64], *ev = NULL;
    size_t ev_len = 0;
    const char *media = NULL;

    psh_engine_config_init(&ecfg);
    psh_provider_config_init(&pcfg, PSH_PROVIDER_TPM);
    snprintf(pcfg.tcti, sizeof pcfg.tcti, "libtpms");
    REQUIRE(psh_psa_init() == PSH_SUCCESS);
    psh_tcti_libtpms_wipe();
    ctx = start();

    memset(&rsa, 0, sizeof rsa);
    rsa.attrs = (psh_key_attrs){PSA_KEY_TYPE_RSA_KEY_PAIR, 2048,
                                PSA_KEY_USAGE_DECRYPT | PSA_KEY_USAGE_ENCRYPT,
                                PSA_ALG_RSA_OAEP(PSA_ALG_SHA_256)};
    REQUIRE(ops->generate_key(ctx, &rsa.attrs, &rsa.id, &rsa.id_len) == PSH_SUCCESS);
    test_activate(ctx, &rsa);

    memset(&k, 0, sizeof k);
    k.attrs = (psh_key_attrs){PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1), 256,
                              PSA_KEY_USAGE_SIGN_HASH, PSA_ALG_ECDSA(PSA_ALG_SHA_256)};
    REQUIRE(ops->generate_key(ctx, &k.attrs, &k.id, &k.id_len) == PSH_SUCCESS);
    psh_key_ref r = {&k.attrs, k.id, k.id_len};
    memset(&a1, 0, sizeof a1);
    CHECK(ops->attest_anchor(ctx, &a1) == PSH_SUCCESS);
    CHECK(a1.kid_len == 33 && a1.spki_len == 91);
    for (size_t n = 8; n <= 64; n += 28) { /* 8, 36, 64-byte nonces */
        memset(nonce, (int)n, n);
        CHECK(ops->attest_evidence(ctx, &r, nonce, n, &ev, &ev_len, &media) == PSH_SUCCESS);
        CHECK(strcmp(media, "application/vnd.parallaxsecond.key-attestation.tpm") == 0);
        CHECK(verify(&a1, ev, ev_len, nonce, n, 0) == PSH_SUCCESS);
        nonce[0] ^= 1;
        CHECK(verify(&a1, ev, ev_len, nonce, n, 0) != PSH_SUCCESS);
        CHECK(verify(&a1, ev, ev_len, nonce, n, 1) != PSH_SUCCESS);
        psh_free(ev);
        ev = NULL;
    }
    /* The RSA key's evidence also verifies up to the attributes check (not ECC). */
    {
        psh_key_ref rr = {&rsa.attrs, rsa.id, rsa.id_len};
        CHECK(ops->attest_evidence(ctx, &rr, nonce, 32, &ev, &ev_len, &media) == PSH_SUCCESS);
        CHECK(verify(&a1, ev, ev_len, nonce, 32, 0) != PSH_SUCCESS);
        psh_free(ev);
        ev = NULL;
    }
    /* Many requests: no object or session slot leaks (libtpms has 3 objects, 3 sessions). */
    for (int i = 0; i < 20; i++) {
        CHECK(ops->attest_evidence(ctx, &r, nonce, 32, &ev, &ev_len, &media) == PSH_SUCCESS);
        psh_free(ev);
        ev = NULL;
    }

    /* Power cycle: the same AK (an owner primary from a fixed template). */
    ops->fini(ctx);
    ctx = start();
    memset(&a2, 0, sizeof a2);
    CHECK(ops->attest_anchor(ctx, &a2) == PSH_SUCCESS);
    CHECK(a2.spki_len == a1.spki_len && memcmp(a2.spki, a1.spki, a1.spki_len) == 0);
    CHECK(ops->attest_evidence(ctx, &r, nonce, 32, &ev, &ev_len, &media) == PSH_SUCCESS);
    CHECK(verify(&a1, ev, ev_len, nonce, 32, 0) == PSH_SUCCESS);
    psh_free(ev);
    test_activate(ctx, &rsa);

    ops->fini(ctx);
    psh_free_secret(k.id, k.id_len);
    psh_free_secret(rsa.id, rsa.id_len);
    CHECK_DONE();
}
