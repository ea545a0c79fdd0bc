/* The TPM provider against a real TPM without a process: the in-process libtpms TCTI.
 * Every operation, with results checked independently in Mbed TLS (hashes, signatures,
 * encryption); the key cache under more keys than the TPM has slots; a power cycle (keys
 * still usable); the key record parser on damaged records; the recording TCTI's JSON. */
#include "check.h"

#include <stdlib.h>
#include <string.h>

#include <psa/crypto.h>

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

static psh_key_ref ref(key *k) { return (psh_key_ref){&k->attrs, k->id, k->id_len}; }

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

static psh_status gen(void *ctx, key *k, psa_key_type_t type, size_t bits, psa_key_usage_t usage,
                      psa_algorithm_t alg)
{
    memset(k, 0, sizeof *k);
    k->attrs = (psh_key_attrs){type, bits, usage, alg};
    return ops->generate_key(ctx, &k->attrs, &k->id, &k->id_len);
}

static void key_free(key *k) { psh_free_secret(k->id, k->id_len); memset(k, 0, sizeof *k); }

/* Verifies in Mbed TLS alone, from the exported public key. */
static psa_status_t sw_verify(void *ctx, key *k, psa_algorithm_t alg, const uint8_t *h,
                              size_t hn, const uint8_t *sig, size_t sn)
{
    uint8_t pub[600];
    size_t pl = 0;
    psa_key_attributes_t a = PSA_KEY_ATTRIBUTES_INIT;
    psa_key_id_t id = 0;
    psa_status_t s;
    psh_key_ref r = ref(k);
    if (ops->export_public_key(ctx, &r, pub, sizeof pub, &pl) != PSH_SUCCESS)
        return PSA_ERROR_GENERIC_ERROR;
    psa_set_key_type(&a, PSA_KEY_TYPE_PUBLIC_KEY_OF_KEY_PAIR(k->attrs.type));
    psa_set_key_usage_flags(&a, PSA_KEY_USAGE_VERIFY_HASH);
    psa_set_key_algorithm(&a, alg);
    psh_psa_lock();
    s = psa_import_key(&a, pub, pl, &id);
    if (s == PSA_SUCCESS)
        s = psa_verify_hash(id, alg, h, hn, sig, sn);
    psa_destroy_key(id);
    psh_psa_unlock();
    return s;
}

static void sign_and_check(void *ctx, key *k, psa_algorithm_t alg, size_t want_len)
{
    uint8_t hash[64], sig[512];
    size_t hn = PSA_HASH_LENGTH(PSA_ALG_SIGN_GET_HASH(alg)), sn = 0;
    psh_key_ref r = ref(k);
    for (size_t i = 0; i < hn; i++)
        hash[i] = (uint8_t)(i * 7 + 1);
    CHECK_EQ_INT(ops->sign_hash(ctx, &r, alg, hash, hn, sig, sizeof sig, &sn), PSH_SUCCESS);
    CHECK_EQ_INT(sn, want_len);
    CHECK_EQ_INT(sw_verify(ctx, k, alg, hash, hn, sig, sn), PSA_SUCCESS);
    CHECK_EQ_INT(ops->verify_hash(ctx, &r, alg, hash, hn, sig, sn), PSH_SUCCESS);
    sig[sn / 2] ^= 1;
    CHECK_EQ_INT(ops->verify_hash(ctx, &r, alg, hash, hn, sig, sn),
                 PSH_ERR_PSA_INVALID_SIGNATURE);
    CHECK_EQ_INT(ops->sign_hash(ctx, &r, alg, hash, hn - 1, sig, sizeof sig, &sn),
                 PSH_ERR_PSA_INVALID_ARGUMENT);
    CHECK_EQ_INT(ops->sign_hash(ctx, &r, alg, hash, hn, sig, want_len - 1, &sn),
                 PSH_ERR_PSA_BUFFER_TOO_SMALL);
}

static void test_keyless(void *ctx)
{
    uint8_t a[100], b[100], big[3000], h[64], w[64];
    size_t hl = 0, wl = 0;
    static const uint8_t abc_sha256[32] = {
        0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae,
        0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61,
        0xf2, 0x00, 0x15, 0xad};
    CHECK_EQ_INT(ops->generate_random(ctx, a, sizeof a), PSH_SUCCESS);
    CHECK_EQ_INT(ops->generate_random(ctx, b, sizeof b), PSH_SUCCESS);
    CHECK(memcmp(a, b, sizeof a) != 0);
    CHECK_EQ_INT(ops->hash_compute(ctx, PSA_ALG_SHA_256, (const uint8_t *)"abc", 3, h, sizeof h,
                                   &hl), PSH_SUCCESS);
    CHECK_MEM(h, hl, abc_sha256, sizeof abc_sha256);
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i ^ (i >> 8));
    /* Longer than one TPM2_Hash: the hash sequence path; checked against Mbed TLS. */
    for (int k = 0; k < 2; k++) {
        psa_algorithm_t alg = k ? PSA_ALG_SHA_384 : PSA_ALG_SHA_256;
        CHECK_EQ_INT(ops->hash_compute(ctx, alg, big, sizeof big, h, sizeof h, &hl), PSH_SUCCESS);
        psh_psa_lock();
        CHECK_EQ_INT(psa_hash_compute(alg, big, sizeof big, w, sizeof w, &wl), PSA_SUCCESS);
        psh_psa_unlock();
        CHECK_MEM(h, hl, w, wl);
        CHECK_EQ_INT(ops->hash_compare(ctx, alg, big, sizeof big, w, wl), PSH_SUCCESS);
        w[0] ^= 1;
        CHECK_EQ_INT(ops->hash_compare(ctx, alg, big, sizeof big, w, wl),
                     PSH_ERR_PSA_INVALID_SIGNATURE);
    }
    CHECK_EQ_INT(ops->hash_compute(ctx, PSA_ALG_MD5, big, 10, h, sizeof h, &hl),
                 PSH_ERR_PSA_NOT_SUPPORTED);
}

static void test_ecc(void *ctx, key *p256)
{
    key p384;
    uint8_t pub[200];
    size_t pl = 0;
    psa_algorithm_t a256 = PSA_ALG_ECDSA(PSA_ALG_SHA_256), a384 = PSA_ALG_ECDSA(PSA_ALG_SHA_384);
    psa_key_usage_t u = PSA_KEY_USAGE_SIGN_HASH | PSA_KEY_USAGE_VERIFY_HASH;
    REQUIRE(gen(ctx, p256, PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1), 256, u, a256) ==
            PSH_SUCCESS);
    psh_key_ref r = ref(p256);
    CHECK_EQ_INT(ops->export_public_key(ctx, &r, pub, sizeof pub, &pl), PSH_SUCCESS);
    CHECK(pl == 65 && pub[0] == 0x04);
    CHECK_EQ_INT(ops->export_public_key(ctx, &r, pub, 64, &pl), PSH_ERR_PSA_BUFFER_TOO_SMALL);
    sign_and_check(ctx, p256, a256, 64);
    REQUIRE(gen(ctx, &p384, PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1), 384, u, a384) ==
            PSH_SUCCESS);
    sign_and_check(ctx, &p384, a384, 96);
    key_free(&p384);
    CHECK_EQ_INT(gen(ctx, &p384, PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1), 521, u, a256),
                 PSH_ERR_PSA_NOT_SUPPORTED);
    CHECK_EQ_INT(gen(ctx, &p384, PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1), 256, u,
                     PSA_ALG_DETERMINISTIC_ECDSA(PSA_ALG_SHA_256)), PSH_ERR_PSA_NOT_SUPPORTED);
}

static void test_rsa(void *ctx)
{
    key k;
    uint8_t ct[256], pt[256];
    size_t cl = 0, pl = 0;
    const uint8_t msg[] = "attack at dawn";
    psa_algorithm_t oaep = PSA_ALG_RSA_OAEP(PSA_ALG_SHA_256);
    psa_key_usage_t u = PSA_KEY_USAGE_SIGN_HASH | PSA_KEY_USAGE_VERIFY_HASH |
                        PSA_KEY_USAGE_ENCRYPT | PSA_KEY_USAGE_DECRYPT;
    REQUIRE(gen(ctx, &k, PSA_KEY_TYPE_RSA_KEY_PAIR, 2048, u,
                PSA_ALG_RSA_PKCS1V15_SIGN(PSA_ALG_SHA_256)) == PSH_SUCCESS);
    psh_key_ref r = ref(&k);
    sign_and_check(ctx, &k, PSA_ALG_RSA_PKCS1V15_SIGN(PSA_ALG_SHA_256), 256);
    sign_and_check(ctx, &k, PSA_ALG_RSA_PSS(PSA_ALG_SHA_256), 256);
    sign_and_check(ctx, &k, PSA_ALG_RSA_PSS(PSA_ALG_SHA_384), 256);
    for (int i = 0; i < 3; i++) {
        psa_algorithm_t alg = i == 0 ? PSA_ALG_RSA_PKCS1V15_CRYPT : oaep;
        const char *label = i == 2 ? "label\0" : NULL;
        size_t ll = i == 2 ? 6 : 0;
        CHECK_EQ_INT(ops->asymmetric_encrypt(ctx, &r, alg, msg, sizeof msg, (const uint8_t *)label,
                                             ll, ct, sizeof ct, &cl), PSH_SUCCESS);
        CHECK_EQ_INT(cl, 256);
        CHECK_EQ_INT(ops->asymmetric_decrypt(ctx, &r, alg, ct, cl, (const uint8_t *)label, ll,
                                             pt, sizeof pt, &pl), PSH_SUCCESS);
        CHECK_MEM(pt, pl, msg, sizeof msg);
        ct[10] ^= 0x40;
        CHECK(ops->asymmetric_decrypt(ctx, &r, alg, ct, cl, (const uint8_t *)label, ll, pt,
                                      sizeof pt, &pl) != PSH_SUCCESS);
    }
    /* The TPM takes only zero-terminated OAEP labels. */
    CHECK_EQ_INT(ops->asymmetric_encrypt(ctx, &r, oaep, msg, sizeof msg, (const uint8_t *)"ab", 2,
                                         ct, sizeof ct, &cl), PSH_ERR_PSA_NOT_SUPPORTED);
    key_free(&k);
}

static void test_import(void *ctx, key *p256)
{
    key pubk, privk;
    uint8_t pub[200], hash[32], sig[64], priv[32], der[1300];
    size_t pl = 0, sn = 0, dl = 0;
    psa_algorithm_t a256 = PSA_ALG_ECDSA(PSA_ALG_SHA_256);
    psa_key_attributes_t pa = PSA_KEY_ATTRIBUTES_INIT;
    psa_key_id_t id = 0;
    psh_key_ref r = ref(p256);

    memset(hash, 0x5a, sizeof hash);
    REQUIRE(ops->export_public_key(ctx, &r, pub, sizeof pub, &pl) == PSH_SUCCESS);
    REQUIRE(ops->sign_hash(ctx, &r, a256, hash, 32, sig, sizeof sig, &sn) == PSH_SUCCESS);
    /* Public key import: verifies the TPM key's signature, cannot sign. */
    memset(&pubk, 0, sizeof pubk);
    pubk.attrs = (psh_key_attrs){PSA_KEY_TYPE_ECC_PUBLIC_KEY(PSA_ECC_FAMILY_SECP_R1), 0,
                                 PSA_KEY_USAGE_VERIFY_HASH, a256};
    CHECK_EQ_INT(ops->import_key(ctx, &pubk.attrs, pub, pl, &pubk.id, &pubk.id_len), PSH_SUCCESS);
    CHECK_EQ_INT(pubk.attrs.bits, 256);
    r = ref(&pubk);
    CHECK_EQ_INT(ops->verify_hash(ctx, &r, a256, hash, 32, sig, sn), PSH_SUCCESS);
    CHECK_EQ_INT(ops->sign_hash(ctx, &r, a256, hash, 32, sig, sizeof sig, &sn),
                 PSH_ERR_PSA_INVALID_ARGUMENT);
    key_free(&pubk);
    pub[10] ^= 1; /* off the curve */
    pubk.attrs = (psh_key_attrs){PSA_KEY_TYPE_ECC_PUBLIC_KEY(PSA_ECC_FAMILY_SECP_R1), 0,
                                 PSA_KEY_USAGE_VERIFY_HASH, a256};
    CHECK_EQ_INT(ops->import_key(ctx, &pubk.attrs, pub, pl, &pubk.id, &pubk.id_len),
                 PSH_ERR_PSA_INVALID_ARGUMENT);

    /* Private ECC key from Mbed TLS, imported with TPM2_Import: the TPM signs with it. */
    psa_set_key_type(&pa, PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1));
    psa_set_key_bits(&pa, 256);
    psa_set_key_usage_flags(&pa, PSA_KEY_USAGE_EXPORT);
    psh_psa_lock();
    REQUIRE(psa_generate_key(&pa, &id) == PSA_SUCCESS);
    REQUIRE(psa_export_key(id, priv, sizeof priv, &dl) == PSA_SUCCESS);
    psa_destroy_key(id);
    psh_psa_unlock();
    memset(&privk, 0, sizeof privk);
    privk.attrs = (psh_key_attrs){PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1), 256,
                                  PSA_KEY_USAGE_SIGN_HASH, a256};
    CHECK_EQ_INT(ops->import_key(ctx, &privk.attrs, priv, dl, &privk.id, &privk.id_len),
                 PSH_SUCCESS);
    if (privk.id != NULL)
        sign_and_check(ctx, &privk, a256, 64);
    key_free(&privk);

    /* Private RSA key (DER RSAPrivateKey). */
    psa_set_key_type(&pa, PSA_KEY_TYPE_RSA_KEY_PAIR);
    psa_set_key_bits(&pa, 2048);
    psh_psa_lock();
    REQUIRE(psa_generate_key(&pa, &id) == PSA_SUCCESS);
    REQUIRE(psa_export_key(id, der, sizeof der, &dl) == PSA_SUCCESS);
    psa_destroy_key(id);
    psh_psa_unlock();
    privk.attrs = (psh_key_attrs){PSA_KEY_TYPE_RSA_KEY_PAIR, 0, PSA_KEY_USAGE_SIGN_HASH,
                                  PSA_ALG_RSA_PKCS1V15_SIGN(PSA_ALG_SHA_256)};
    CHECK_EQ_INT(ops->import_key(ctx, &privk.attrs, der, dl, &privk.id, &privk.id_len),
                 PSH_SUCCESS);
    CHECK_EQ_INT(privk.attrs.bits, 2048);
    if (privk.id != NULL)
        sign_and_check(ctx, &privk, PSA_ALG_RSA_PKCS1V15_SIGN(PSA_ALG_SHA_256), 256);
    key_free(&privk);
    mbedtls_platform_zeroize(der, sizeof der);
}

/* More keys than the TPM has object slots, used in turn: the LRU cache flushes. */
static void test_cache(void *ctx)
{
    key k[5];
    psa_algorithm_t a256 = PSA_ALG_ECDSA(PSA_ALG_SHA_256);
    for (int i = 0; i < 5; i++)
        REQUIRE(gen(ctx, &k[i], PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1), 256,
                    PSA_KEY_USAGE_SIGN_HASH, a256) == PSH_SUCCESS);
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < 5; i++)
            sign_and_check(ctx, &k[(i * 3 + round) % 5], a256, 64);
    for (int i = 0; i < 5; i++) {
        psh_key_ref r = ref(&k[i]);
        CHECK_EQ_INT(ops->destroy_key(ctx, &r), PSH_SUCCESS);
        key_free(&k[i]);
    }
}

static void test_records(void *ctx, key *p256)
{
    uint8_t buf[2048], out[200], hash[32] = {0}, sig[64];
    size_t ol = 0, sn = 0;
    key bad = *p256;
    psh_key_ref r;
    REQUIRE(p256->id_len <= sizeof buf);
    bad.id = buf;
    for (size_t cut = 0; cut < p256->id_len; cut += 7) { /* every truncation is refused */
        memcpy(buf, p256->id, p256->id_len);
        bad.id_len = cut;
        r = ref(&bad);
        CHECK(ops->export_public_key(ctx, &r, out, sizeof out, &ol) != PSH_SUCCESS);
        CHECK(ops->key_exists(ctx, &r) != PSH_SUCCESS);
        CHECK(ops->key_exists(ctx, &r) != PSH_ERR_PSA_DOES_NOT_EXIST);
    }
    memcpy(buf, p256->id, p256->id_len);
    bad.id_len = p256->id_len;
    buf[0] = 'X';
    r = ref(&bad);
    CHECK_EQ_INT(ops->export_public_key(ctx, &r, out, sizeof out, &ol), PSH_ERR_INVALID_ENCODING);
    /* A flipped bit in the TPM-wrapped private part: the TPM's integrity check refuses it. */
    memcpy(buf, p256->id, p256->id_len);
    buf[p256->id_len - 5] ^= 1;
    r = ref(&bad);
    CHECK_EQ_INT(ops->key_exists(ctx, &r), PSH_SUCCESS);
    CHECK(ops->sign_hash(ctx, &r, PSA_ALG_ECDSA(PSA_ALG_SHA_256), hash, 32, sig, sizeof sig,
                         &sn) != PSH_SUCCESS);
    /* The record must agree with the KIM's attributes. */
    memcpy(buf, p256->id, p256->id_len);
    bad.attrs.bits = 384;
    r = ref(&bad);
    CHECK_EQ_INT(ops->sign_hash(ctx, &r, PSA_ALG_ECDSA(PSA_ALG_SHA_384), out, 48, sig,
                                sizeof sig, &sn), PSH_ERR_PSA_DATA_INVALID);
}

static void test_can_do(void *ctx)
{
    psh_key_attrs a = {PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1), 256,
                       PSA_KEY_USAGE_SIGN_HASH, PSA_ALG_ECDSA(PSA_ALG_SHA_256)};
    CHECK_EQ_INT(ops->can_do(ctx, PSH_CHECK_GENERATE, &a), PSH_SUCCESS);
    a.bits = 521;
    CHECK_EQ_INT(ops->can_do(ctx, PSH_CHECK_GENERATE, &a), PSH_ERR_PSA_NOT_SUPPORTED);
    a.bits = 256;
    a.alg = PSA_ALG_ECDSA(PSA_ALG_ANY_HASH); /* a policy may leave the hash open */
    CHECK_EQ_INT(ops->can_do(ctx, PSH_CHECK_GENERATE, &a), PSH_SUCCESS);
    a.alg = PSA_ALG_ECDSA_ANY;
    CHECK_EQ_INT(ops->can_do(ctx, PSH_CHECK_GENERATE, &a), PSH_ERR_PSA_NOT_SUPPORTED);
    a.alg = PSA_ALG_ECDSA(PSA_ALG_SHA_512);
    CHECK_EQ_INT(ops->can_do(ctx, PSH_CHECK_USE, &a), PSH_ERR_PSA_NOT_SUPPORTED);
    a = (psh_key_attrs){PSA_KEY_TYPE_RSA_KEY_PAIR, 3072, 0, PSA_ALG_RSA_OAEP(PSA_ALG_SHA_256)};
    CHECK_EQ_INT(ops->can_do(ctx, PSH_CHECK_GENERATE, &a), PSH_SUCCESS);
    a = (psh_key_attrs){PSA_KEY_TYPE_AES, 128, 0, PSA_ALG_GCM};
    CHECK_EQ_INT(ops->can_do(ctx, PSH_CHECK_USE, &a), PSH_ERR_PSA_NOT_SUPPORTED);
    a = (psh_key_attrs){PSA_KEY_TYPE_RSA_PUBLIC_KEY, 0, 0, PSA_ALG_RSA_PSS(PSA_ALG_SHA_256)};
    CHECK_EQ_INT(ops->can_do(ctx, PSH_CHECK_IMPORT, &a), PSH_SUCCESS);
    CHECK_EQ_INT(ops->can_do(ctx, PSH_CHECK_DERIVE, &a), PSH_ERR_PSA_NOT_SUPPORTED);
}

static void test_recorder(void)
{
    const char *path = "/tmp/psh-test-tpm-record.json";
    char text[65536];
    size_t n;
    uint8_t rnd[8];
    FILE *f;
    void *ctx;
    setenv("PSH_TPM_RECORD", path, 1);
    ctx = start();
    unsetenv("PSH_TPM_RECORD");
    CHECK_EQ_INT(ops->generate_random(ctx, rnd, sizeof rnd), PSH_SUCCESS);
    ops->fini(ctx);
    f = fopen(path, "r");
    REQUIRE(f != NULL);
    n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    remove(path);
    text[n] = '\0';
    CHECK(strncmp(text, "{\"kind\":\"tpm\",\"steps\":[", 23) == 0);
    /* TPM2_GetRandom(8): 80 01, size 12, code 0x17b, 8 bytes. */
    CHECK(strstr(text, "{\"command\":\"80010000000c0000017b0008\",\"response\":\"80010000") != NULL);
    CHECK(n > 3 && strcmp(text + n - 3, "]}\n") == 0);
}

int main(void)
{
    void *ctx;
    key p256;
    TSS2_TCTI_CONTEXT *t = NULL;
    uint8_t hash[32], sig[64];
    size_t sn = 0;

    psh_engine_config_init(&ecfg);
    psh_provider_config_init(&pcfg, PSH_PROVIDER_TPM);
    snprintf(pcfg.tcti, sizeof pcfg.tcti, "libtpms");
    REQUIRE(psh_psa_init() == PSH_SUCCESS);
    psh_tcti_libtpms_wipe();

    ctx = start();
    /* One libtpms TPM per process. */
    CHECK(psh_tcti_libtpms_new(&t) != TSS2_RC_SUCCESS && t == NULL);
    test_keyless(ctx);
    test_ecc(ctx, &p256);
    test_rsa(ctx);
    test_import(ctx, &p256);
    test_cache(ctx);
    test_records(ctx, &p256);
    test_can_do(ctx);

    /* Power cycle (TPM Reset on the same NV state): the primary comes back from its
     * template and the key record loads and signs again. */
    memset(hash, 0x33, sizeof hash);
    ops->fini(ctx);
    ctx = start();
    psh_key_ref r = ref(&p256);
    CHECK_EQ_INT(ops->sign_hash(ctx, &r, PSA_ALG_ECDSA(PSA_ALG_SHA_256), hash, 32, sig,
                                sizeof sig, &sn), PSH_SUCCESS);
    CHECK_EQ_INT(sw_verify(ctx, &p256, PSA_ALG_ECDSA(PSA_ALG_SHA_256), hash, 32, sig, sn),
                 PSA_SUCCESS);
    ops->fini(ctx);

    test_recorder();

    /* A fresh TPM (new seeds): the old record no longer loads under the new primary. */
    psh_tcti_libtpms_wipe();
    ctx = start();
    CHECK(ops->sign_hash(ctx, &r, PSA_ALG_ECDSA(PSA_ALG_SHA_256), hash, 32, sig, sizeof sig,
                         &sn) != PSH_SUCCESS);
    ops->fini(ctx);
    psh_tcti_libtpms_wipe();
    key_free(&p256);
    CHECK_DONE();
}
