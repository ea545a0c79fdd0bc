/* Software provider over Mbed TLS PSA: key creation, every operation it serves, signatures
 * checked independently with Mbed TLS's non-PSA API, and stored key blobs treated as
 * untrusted input. argv[1] = tests/data (unused). */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>

#include "check.h"
#include "providers/soft/soft.h"
#include "psh/config.h"
#include "util/alloc.h"

#define PSH_LOGMODULE test
#include "util/log.h"

static const psh_provider_ops *ops = &psh_soft_provider_ops;
static void *ctx;

typedef struct key {
    psh_key_attrs attrs;
    uint8_t *id;
    size_t id_len;
} key;

static psh_key_ref ref(const key *k)
{
    psh_key_ref r = {&k->attrs, k->id, k->id_len};
    return r;
}

static psh_status gen(key *k, psa_key_type_t type, size_t bits, psa_key_usage_t usage,
                      psa_algorithm_t alg)
{
    memset(k, 0, sizeof *k);
    k->attrs.type = type;
    k->attrs.bits = bits;
    k->attrs.usage = usage;
    k->attrs.alg = alg;
    return ops->generate_key(ctx, &k->attrs, &k->id, &k->id_len);
}

static psh_status import(key *k, psa_key_type_t type, size_t bits, psa_key_usage_t usage,
                         psa_algorithm_t alg, const uint8_t *data, size_t len)
{
    memset(k, 0, sizeof *k);
    k->attrs.type = type;
    k->attrs.bits = bits;
    k->attrs.usage = usage;
    k->attrs.alg = alg;
    return ops->import_key(ctx, &k->attrs, data, len, &k->id, &k->id_len);
}

static void drop(key *k)
{
    psh_key_ref r = ref(k);
    if (k->id != NULL)
        CHECK_EQ_INT(ops->destroy_key(ctx, &r), PSH_SUCCESS);
    psh_free_secret(k->id, k->id_len);
    memset(k, 0, sizeof *k);
}

static void sha(psa_algorithm_t alg, const char *msg, uint8_t *out, size_t *len)
{
    REQUIRE(ops->hash_compute(ctx, alg, (const uint8_t *)msg, strlen(msg), out, 64, len) ==
            PSH_SUCCESS);
}

static void test_table(void)
{
    CHECK_EQ_INT(ops->abi_version, PSH_PROVIDER_ABI_VERSION);
    CHECK_EQ_INT(ops->id, PSH_PROVIDER_MBED_CRYPTO);
    CHECK(strcmp(ops->type_name, "MbedCrypto") == 0);
    CHECK(strcmp(ops->uuid, "1c1139dc-ad7c-47dc-ad6b-db6fdb466552") == 0);
    CHECK_EQ_INT(ops->opcode_count, 24); /* 30, 31: KAT attestation */
    for (size_t i = 1; i < ops->opcode_count; i++)
        CHECK(ops->opcodes[i - 1] < ops->opcodes[i]);
}

/* Independent ECDSA check with the non-PSA API: pub = 04||X||Y, sig = r||s. */
static int ecdsa_check(mbedtls_ecp_group_id gid, const uint8_t *pub, size_t pub_len,
                       const uint8_t *hash, size_t hash_len, const uint8_t *sig, size_t sig_len)
{
    mbedtls_ecp_group grp;
    mbedtls_ecp_point q;
    mbedtls_mpi r, s;
    int ret;
    mbedtls_ecp_group_init(&grp);
    mbedtls_ecp_point_init(&q);
    mbedtls_mpi_init(&r);
    mbedtls_mpi_init(&s);
    ret = mbedtls_ecp_group_load(&grp, gid);
    if (ret == 0)
        ret = mbedtls_ecp_point_read_binary(&grp, &q, pub, pub_len);
    if (ret == 0)
        ret = mbedtls_mpi_read_binary(&r, sig, sig_len / 2);
    if (ret == 0)
        ret = mbedtls_mpi_read_binary(&s, sig + sig_len / 2, sig_len / 2);
    if (ret == 0)
        ret = mbedtls_ecdsa_verify(&grp, hash, hash_len, &q, &r, &s);
    mbedtls_mpi_free(&r);
    mbedtls_mpi_free(&s);
    mbedtls_ecp_point_free(&q);
    mbedtls_ecp_group_free(&grp);
    return ret;
}

static void test_ecc(psa_ecc_family_t fam, size_t bits, mbedtls_ecp_group_id gid,
                     psa_algorithm_t hash_alg)
{
    key k;
    uint8_t hash[64], sig[PSA_SIGNATURE_MAX_SIZE], pub[PSA_EXPORT_PUBLIC_KEY_MAX_SIZE];
    size_t hash_len = 0, sig_len = 0, pub_len = 0;
    psa_algorithm_t alg = PSA_ALG_ECDSA(hash_alg);
    size_t coord = (bits + 7) / 8;

    REQUIRE(gen(&k, PSA_KEY_TYPE_ECC_KEY_PAIR(fam), bits,
                PSA_KEY_USAGE_SIGN_HASH | PSA_KEY_USAGE_VERIFY_HASH, alg) == PSH_SUCCESS);
    psh_key_ref r = ref(&k);
    CHECK_EQ_INT(ops->key_exists(ctx, &r), PSH_SUCCESS);
    sha(hash_alg, "hello", hash, &hash_len);

    CHECK_EQ_INT(ops->sign_hash(ctx, &r, alg, hash, hash_len, sig, sizeof sig, &sig_len),
                 PSH_SUCCESS);
    CHECK_EQ_INT(sig_len, 2 * coord);
    CHECK_EQ_INT(ops->verify_hash(ctx, &r, alg, hash, hash_len, sig, sig_len), PSH_SUCCESS);

    CHECK_EQ_INT(ops->export_public_key(ctx, &r, pub, sizeof pub, &pub_len), PSH_SUCCESS);
    CHECK_EQ_INT(pub_len, 1 + 2 * coord);
    CHECK_EQ_INT(pub[0], 0x04);
    CHECK_EQ_INT(ecdsa_check(gid, pub, pub_len, hash, hash_len, sig, sig_len), 0);

    /* Tampered signature / hash. */
    sig[sig_len / 3] ^= 0x01;
    CHECK_EQ_INT(ops->verify_hash(ctx, &r, alg, hash, hash_len, sig, sig_len),
                 PSH_ERR_PSA_INVALID_SIGNATURE);
    CHECK(ecdsa_check(gid, pub, pub_len, hash, hash_len, sig, sig_len) != 0);

    /* sign_hash implies sign_message (PSA 1.0). */
    CHECK_EQ_INT(ops->sign_message(ctx, &r, alg, (const uint8_t *)"hello", 5, sig, sizeof sig,
                                   &sig_len),
                 PSH_SUCCESS);
    CHECK_EQ_INT(ops->verify_message(ctx, &r, alg, (const uint8_t *)"hello", 5, sig, sig_len),
                 PSH_SUCCESS);
    CHECK_EQ_INT(ecdsa_check(gid, pub, pub_len, hash, hash_len, sig, sig_len), 0);
    CHECK_EQ_INT(ops->verify_message(ctx, &r, alg, (const uint8_t *)"hellO", 5, sig, sig_len),
                 PSH_ERR_PSA_INVALID_SIGNATURE);

    /* Policy inside the blob: no export usage, wrong algorithm, short buffer. */
    CHECK_EQ_INT(ops->export_key(ctx, &r, pub, sizeof pub, &pub_len), PSH_ERR_PSA_NOT_PERMITTED);
    CHECK_EQ_INT(ops->sign_hash(ctx, &r, PSA_ALG_ECDSA(PSA_ALG_SHA_1), hash, 20, sig,
                                sizeof sig, &sig_len),
                 PSH_ERR_PSA_NOT_PERMITTED);
    sig_len = 12345;
    CHECK_EQ_INT(ops->sign_hash(ctx, &r, alg, hash, hash_len, sig, 10, &sig_len),
                 PSH_ERR_PSA_BUFFER_TOO_SMALL);
    CHECK_EQ_INT(sig_len, 12345); /* untouched on failure */
    drop(&k);
}

static int rsa_pk_check(const uint8_t *pub, size_t pub_len, int pss, const uint8_t *hash,
                        const uint8_t *sig, size_t sig_len)
{
    mbedtls_pk_context pk;
    int ret;
    mbedtls_pk_init(&pk);
    ret = mbedtls_pk_parse_public_key(&pk, pub, pub_len);
    if (ret == 0 && mbedtls_pk_get_type(&pk) != MBEDTLS_PK_RSA)
        ret = -1;
    if (ret == 0 && !pss)
        ret = mbedtls_pk_verify(&pk, MBEDTLS_MD_SHA256, hash, 32, sig, sig_len);
    if (ret == 0 && pss) {
        mbedtls_pk_rsassa_pss_options opt = {MBEDTLS_MD_SHA256, MBEDTLS_RSA_SALT_LEN_ANY};
        ret = mbedtls_pk_verify_ext(MBEDTLS_PK_RSASSA_PSS, &opt, &pk, MBEDTLS_MD_SHA256, hash,
                                    32, sig, sig_len);
    }
    mbedtls_pk_free(&pk);
    return ret;
}

static void test_rsa(size_t bits, int full)
{
    key k, pss, oaep, pubk, wrong;
    uint8_t hash[64], sig[PSA_SIGNATURE_MAX_SIZE], pub[PSA_EXPORT_PUBLIC_KEY_MAX_SIZE];
    uint8_t priv[4096], ct[512], pt[512];
    size_t hash_len = 0, sig_len = 0, pub_len = 0, priv_len = 0, ct_len = 0, pt_len = 0;
    psa_algorithm_t pkcs1 = PSA_ALG_RSA_PKCS1V15_SIGN(PSA_ALG_SHA_256);
    psa_algorithm_t pssalg = PSA_ALG_RSA_PSS(PSA_ALG_SHA_256);

    REQUIRE(gen(&k, PSA_KEY_TYPE_RSA_KEY_PAIR, bits,
                PSA_KEY_USAGE_SIGN_HASH | PSA_KEY_USAGE_VERIFY_HASH | PSA_KEY_USAGE_EXPORT,
                pkcs1) == PSH_SUCCESS);
    psh_key_ref r = ref(&k);
    sha(PSA_ALG_SHA_256, "message", hash, &hash_len);
    CHECK_EQ_INT(ops->sign_hash(ctx, &r, pkcs1, hash, hash_len, sig, sizeof sig, &sig_len),
                 PSH_SUCCESS);
    CHECK_EQ_INT(sig_len, bits / 8);
    CHECK_EQ_INT(ops->verify_hash(ctx, &r, pkcs1, hash, hash_len, sig, sig_len), PSH_SUCCESS);
    CHECK_EQ_INT(ops->export_public_key(ctx, &r, pub, sizeof pub, &pub_len), PSH_SUCCESS);
    /* DER RSAPublicKey: SEQUENCE { INTEGER n, INTEGER e = 65537 } */
    CHECK(pub_len > bits / 8 && pub[0] == 0x30);
    CHECK(pub_len >= 5 && memcmp(pub + pub_len - 5, "\x02\x03\x01\x00\x01", 5) == 0);
    CHECK_EQ_INT(rsa_pk_check(pub, pub_len, 0, hash, sig, sig_len), 0);
    /* Tampering: a low byte, and the top byte (may push the value above the modulus). */
    sig[sig_len - 1] ^= 0x01;
    CHECK_EQ_INT(ops->verify_hash(ctx, &r, pkcs1, hash, hash_len, sig, sig_len),
                 PSH_ERR_PSA_INVALID_SIGNATURE);
    sig[sig_len - 1] ^= 0x01;
    sig[0] ^= 0xff;
    CHECK_EQ_INT(ops->verify_hash(ctx, &r, pkcs1, hash, hash_len, sig, sig_len),
                 PSH_ERR_PSA_INVALID_SIGNATURE);
    CHECK_EQ_INT(ops->verify_hash(ctx, &r, pkcs1, hash, hash_len - 1, sig, sig_len),
                 PSH_ERR_PSA_INVALID_ARGUMENT);
    sig[0] ^= 0xff;
    if (!full) {
        drop(&k);
        return;
    }

    /* Export (RSAPrivateKey DER) and re-import with other policies. */
    CHECK_EQ_INT(ops->export_key(ctx, &r, priv, sizeof priv, &priv_len), PSH_SUCCESS);
    CHECK(priv_len > 0 && priv[0] == 0x30);
    CHECK_EQ_INT(import(&wrong, PSA_KEY_TYPE_RSA_KEY_PAIR, bits / 2, PSA_KEY_USAGE_SIGN_HASH,
                        pssalg, priv, priv_len),
                 PSH_ERR_PSA_INVALID_ARGUMENT);
    CHECK(wrong.id == NULL && wrong.id_len == 0);
    CHECK_EQ_INT(import(&pss, PSA_KEY_TYPE_RSA_KEY_PAIR, 0,
                        PSA_KEY_USAGE_SIGN_HASH | PSA_KEY_USAGE_VERIFY_HASH, pssalg, priv,
                        priv_len),
                 PSH_SUCCESS);
    CHECK_EQ_INT(pss.attrs.bits, bits); /* taken from the data */
    psh_key_ref rp = ref(&pss);
    CHECK_EQ_INT(ops->sign_hash(ctx, &rp, pssalg, hash, hash_len, sig, sizeof sig, &sig_len),
                 PSH_SUCCESS);
    CHECK_EQ_INT(rsa_pk_check(pub, pub_len, 1, hash, sig, sig_len), 0);
    CHECK_EQ_INT(ops->verify_hash(ctx, &rp, pssalg, hash, hash_len, sig, sig_len), PSH_SUCCESS);
    /* The public key alone verifies too (import of PsaExportPublicKey format). */
    CHECK_EQ_INT(import(&pubk, PSA_KEY_TYPE_RSA_PUBLIC_KEY, bits, PSA_KEY_USAGE_VERIFY_HASH,
                        pssalg, pub, pub_len),
                 PSH_SUCCESS);
    psh_key_ref rpub = ref(&pubk);
    CHECK_EQ_INT(ops->verify_hash(ctx, &rpub, pssalg, hash, hash_len, sig, sig_len), PSH_SUCCESS);
    sig[sig_len - 1] ^= 1;
    CHECK_EQ_INT(ops->verify_hash(ctx, &rpub, pssalg, hash, hash_len, sig, sig_len),
                 PSH_ERR_PSA_INVALID_SIGNATURE);

    /* OAEP round trip, with and without a label. */
    psa_algorithm_t oaepalg = PSA_ALG_RSA_OAEP(PSA_ALG_SHA_256);
    CHECK_EQ_INT(import(&oaep, PSA_KEY_TYPE_RSA_KEY_PAIR, bits,
                        PSA_KEY_USAGE_ENCRYPT | PSA_KEY_USAGE_DECRYPT, oaepalg, priv, priv_len),
                 PSH_SUCCESS);
    psh_key_ref ro = ref(&oaep);
    CHECK_EQ_INT(ops->asymmetric_encrypt(ctx, &ro, oaepalg, (const uint8_t *)"secret", 6,
                                         (const uint8_t *)"label", 5, ct, sizeof ct, &ct_len),
                 PSH_SUCCESS);
    CHECK_EQ_INT(ops->asymmetric_decrypt(ctx, &ro, oaepalg, ct, ct_len,
                                         (const uint8_t *)"label", 5, pt, sizeof pt, &pt_len),
                 PSH_SUCCESS);
    CHECK_MEM(pt, pt_len, "secret", 6);
    CHECK_EQ_INT(ops->asymmetric_decrypt(ctx, &ro, oaepalg, ct, ct_len, NULL, 0, pt, sizeof pt,
                                         &pt_len),
                 PSH_ERR_PSA_INVALID_PADDING);

    psh_zeroize(priv, sizeof priv);
    drop(&k);
    drop(&pss);
    drop(&pubk);
    drop(&oaep);
}

/* Every truncation, bad magic/version, length mismatch: an error status, never a crash. */
static void test_corrupt_blobs(void)
{
    key k;
    uint8_t hash[32] = {1}, sig[PSA_SIGNATURE_MAX_SIZE], *bad;
    size_t sig_len = 0;
    psa_algorithm_t alg = PSA_ALG_ECDSA(PSA_ALG_SHA_256);

    REQUIRE(gen(&k, PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1), 256,
                PSA_KEY_USAGE_SIGN_HASH, alg) == PSH_SUCCESS);
    /* Pinned header: "PSHK" | 1 | type | bits | usage | alg | material_len = 32. */
    uint8_t want[23];
    REQUIRE(hex_to_bytes("5053484b 01 1271 00010000 00100000 09060006 20000000", want, 23) == 23);
    CHECK_EQ_INT(k.id_len, 23 + 32);
    CHECK(k.id_len >= 23 && memcmp(k.id, want, 23) == 0);

    bad = malloc(k.id_len + 1);
    REQUIRE(bad != NULL);
    for (size_t n = 0; n < k.id_len; n++) {
        memcpy(bad, k.id, n);
        psh_key_ref r = {&k.attrs, n ? bad : NULL, n};
        psh_status s = ops->sign_hash(ctx, &r, alg, hash, 32, sig, sizeof sig, &sig_len);
        CHECK(s != PSH_SUCCESS);
        CHECK_EQ_INT(ops->key_exists(ctx, &r), PSH_ERR_INVALID_ENCODING);
    }
    struct {
        size_t off;
        uint8_t val;
        psh_status want;
    } edits[] = {
        {0, 'X', PSH_ERR_INVALID_ENCODING},   /* magic */
        {4, 2, PSH_ERR_INVALID_ENCODING},     /* version */
        {4, 0, PSH_ERR_INVALID_ENCODING},
        {19, 33, PSH_ERR_INVALID_ENCODING},   /* material_len != bytes left */
        {22, 0x80, PSH_ERR_INVALID_ENCODING}, /* huge material_len */
        {8, 0, PSH_ERR_INVALID_ENCODING},     /* bits 0 */
        {10, 1, PSH_ERR_INVALID_ENCODING},    /* bits over the cap */
    };
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        memcpy(bad, k.id, k.id_len);
        bad[edits[i].off] = edits[i].val;
        psh_key_ref r = {&k.attrs, bad, k.id_len};
        CHECK_EQ_INT(ops->sign_hash(ctx, &r, alg, hash, 32, sig, sizeof sig, &sig_len),
                     edits[i].want);
    }
    /* One byte appended. */
    memcpy(bad, k.id, k.id_len);
    bad[k.id_len] = 0;
    psh_key_ref r = {&k.attrs, bad, k.id_len + 1};
    CHECK_EQ_INT(ops->sign_hash(ctx, &r, alg, hash, 32, sig, sizeof sig, &sig_len),
                 PSH_ERR_INVALID_ENCODING);
    /* Blob and KIM attributes disagree (type). */
    psh_key_attrs other = k.attrs;
    other.type = PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_K1);
    psh_key_ref ro = {&other, k.id, k.id_len};
    CHECK_EQ_INT(ops->sign_hash(ctx, &ro, alg, hash, 32, sig, sizeof sig, &sig_len),
                 PSH_ERR_PSA_DATA_INVALID);
    /* Bits changed to 384 in the blob: material no longer fits, Mbed TLS refuses it. */
    memcpy(bad, k.id, k.id_len);
    bad[7] = 0x80;
    bad[8] = 0x01;
    psh_key_ref rb = {NULL, bad, k.id_len};
    CHECK_EQ_INT(ops->sign_hash(ctx, &rb, alg, hash, 32, sig, sizeof sig, &sig_len),
                 PSH_ERR_PSA_DATA_INVALID);
    /* Every single-bit flip: any status, no crash, no leak. */
    for (size_t i = 0; i < k.id_len * 8; i += 7) {
        memcpy(bad, k.id, k.id_len);
        bad[i / 8] ^= (uint8_t)(1u << (i % 8));
        psh_key_ref rf = {NULL, bad, k.id_len};
        (void)ops->sign_hash(ctx, &rf, alg, hash, 32, sig, sizeof sig, &sig_len);
        (void)ops->destroy_key(ctx, &rf);
    }
    psh_zeroize(bad, k.id_len + 1);
    free(bad);
    drop(&k);
}

static void test_symmetric(void)
{
    key aes, cbc, mac;
    uint8_t nonce[12] = {9}, ct[128], pt[128], out[64];
    size_t ct_len = 0, pt_len = 0, out_len = 0;
    const uint8_t msg[] = "attack at dawn";
    psa_algorithm_t gcm = PSA_ALG_GCM;

    REQUIRE(gen(&aes, PSA_KEY_TYPE_AES, 256, PSA_KEY_USAGE_ENCRYPT | PSA_KEY_USAGE_DECRYPT, gcm) ==
            PSH_SUCCESS);
    psh_key_ref r = ref(&aes);
    CHECK_EQ_INT(ops->aead_encrypt(ctx, &r, gcm, nonce, 12, (const uint8_t *)"ad", 2, msg,
                                   sizeof msg, ct, sizeof ct, &ct_len),
                 PSH_SUCCESS);
    CHECK_EQ_INT(ct_len, sizeof msg + 16); /* tag appended */
    CHECK_EQ_INT(ops->aead_decrypt(ctx, &r, gcm, nonce, 12, (const uint8_t *)"ad", 2, ct, ct_len,
                                   pt, sizeof pt, &pt_len),
                 PSH_SUCCESS);
    CHECK_MEM(pt, pt_len, msg, sizeof msg);
    ct[0] ^= 1;
    CHECK_EQ_INT(ops->aead_decrypt(ctx, &r, gcm, nonce, 12, (const uint8_t *)"ad", 2, ct, ct_len,
                                   pt, sizeof pt, &pt_len),
                 PSH_ERR_PSA_INVALID_SIGNATURE);
    CHECK_EQ_INT(ops->export_public_key(ctx, &r, out, sizeof out, &out_len),
                 PSH_ERR_PSA_INVALID_ARGUMENT);

    psa_algorithm_t cbcalg = PSA_ALG_CBC_PKCS7;
    REQUIRE(gen(&cbc, PSA_KEY_TYPE_AES, 128, PSA_KEY_USAGE_ENCRYPT | PSA_KEY_USAGE_DECRYPT,
                cbcalg) == PSH_SUCCESS);
    psh_key_ref rc = ref(&cbc);
    CHECK_EQ_INT(ops->cipher_encrypt(ctx, &rc, cbcalg, msg, sizeof msg, ct, sizeof ct, &ct_len),
                 PSH_SUCCESS);
    CHECK_EQ_INT(ct_len, 16 + 16); /* IV || one padded block */
    CHECK_EQ_INT(ops->cipher_decrypt(ctx, &rc, cbcalg, ct, ct_len, pt, sizeof pt, &pt_len),
                 PSH_SUCCESS);
    CHECK_MEM(pt, pt_len, msg, sizeof msg);

    /* HMAC-SHA-256, RFC 4231 test case 2. */
    uint8_t want[32];
    psa_algorithm_t hmac = PSA_ALG_HMAC(PSA_ALG_SHA_256);
    const char *data = "what do ya want for nothing?";
    REQUIRE(hex_to_bytes("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
                         want, sizeof want) == 32);
    CHECK_EQ_INT(import(&mac, PSA_KEY_TYPE_HMAC, 0,
                        PSA_KEY_USAGE_SIGN_MESSAGE | PSA_KEY_USAGE_VERIFY_MESSAGE, hmac,
                        (const uint8_t *)"Jefe", 4),
                 PSH_SUCCESS);
    CHECK_EQ_INT(mac.attrs.bits, 32);
    psh_key_ref rm = ref(&mac);
    CHECK_EQ_INT(ops->mac_compute(ctx, &rm, hmac, (const uint8_t *)data, strlen(data), out,
                                  sizeof out, &out_len),
                 PSH_SUCCESS);
    CHECK_MEM(out, out_len, want, 32);
    CHECK_EQ_INT(ops->mac_verify(ctx, &rm, hmac, (const uint8_t *)data, strlen(data), want, 32),
                 PSH_SUCCESS);
    want[31] ^= 1;
    CHECK_EQ_INT(ops->mac_verify(ctx, &rm, hmac, (const uint8_t *)data, strlen(data), want, 32),
                 PSH_ERR_PSA_INVALID_SIGNATURE);

    drop(&aes);
    drop(&cbc);
    drop(&mac);
}

static void test_keyless(void)
{
    uint8_t h[64], want[32], rnd[32] = {0}, zero[32] = {0};
    size_t n = 0;
    REQUIRE(hex_to_bytes("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", want,
                         32) == 32);
    CHECK_EQ_INT(ops->hash_compute(ctx, PSA_ALG_SHA_256, (const uint8_t *)"abc", 3, h, sizeof h,
                                   &n),
                 PSH_SUCCESS);
    CHECK_MEM(h, n, want, 32);
    CHECK_EQ_INT(ops->hash_compare(ctx, PSA_ALG_SHA_256, (const uint8_t *)"abc", 3, want, 32),
                 PSH_SUCCESS);
    CHECK_EQ_INT(ops->hash_compare(ctx, PSA_ALG_SHA_256, (const uint8_t *)"abd", 3, want, 32),
                 PSH_ERR_PSA_INVALID_SIGNATURE);
    CHECK_EQ_INT(ops->hash_compare(ctx, PSA_ALG_SHA_256, (const uint8_t *)"abc", 3, want, 31),
                 PSH_ERR_PSA_INVALID_ARGUMENT);
    CHECK_EQ_INT(ops->hash_compute(ctx, PSA_ALG_SHA_256, (const uint8_t *)"abc", 3, h, 16, &n),
                 PSH_ERR_PSA_BUFFER_TOO_SMALL);
    CHECK_EQ_INT(ops->hash_compute(ctx, PSA_ALG_GCM, (const uint8_t *)"abc", 3, h, sizeof h, &n),
                 PSH_ERR_PSA_INVALID_ARGUMENT);
    CHECK_EQ_INT(ops->generate_random(ctx, rnd, sizeof rnd), PSH_SUCCESS);
    CHECK(memcmp(rnd, zero, sizeof rnd) != 0);
}

static void test_ecdh(void)
{
    key a, b;
    uint8_t pa[65], pb[65], sa[32], sb[32];
    size_t la = 0, lb = 0, na = 0, nb = 0;
    psa_key_type_t t = PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1);
    REQUIRE(gen(&a, t, 256, PSA_KEY_USAGE_DERIVE, PSA_ALG_ECDH) == PSH_SUCCESS);
    REQUIRE(gen(&b, t, 256, PSA_KEY_USAGE_DERIVE, PSA_ALG_ECDH) == PSH_SUCCESS);
    psh_key_ref ra = ref(&a), rb = ref(&b);
    CHECK_EQ_INT(ops->export_public_key(ctx, &ra, pa, sizeof pa, &la), PSH_SUCCESS);
    CHECK_EQ_INT(ops->export_public_key(ctx, &rb, pb, sizeof pb, &lb), PSH_SUCCESS);
    CHECK_EQ_INT(ops->raw_key_agreement(ctx, &ra, PSA_ALG_ECDH, pb, lb, sa, sizeof sa, &na),
                 PSH_SUCCESS);
    CHECK_EQ_INT(ops->raw_key_agreement(ctx, &rb, PSA_ALG_ECDH, pa, la, sb, sizeof sb, &nb),
                 PSH_SUCCESS);
    CHECK_MEM(sa, na, sb, nb);
    CHECK_EQ_INT(ops->raw_key_agreement(ctx, &ra, PSA_ALG_ECDH, pb, lb - 1, sa, sizeof sa, &na),
                 PSH_ERR_PSA_INVALID_ARGUMENT);
    psh_zeroize(sa, sizeof sa);
    psh_zeroize(sb, sizeof sb);
    drop(&a);
    drop(&b);
}

/* More keys than cache slots: eviction, then reuse of an evicted key. */
static void test_cache(void)
{
    enum { N = 40 };
    key k[N];
    uint8_t out[32], first[32];
    size_t n = 0;
    psa_algorithm_t hmac = PSA_ALG_HMAC(PSA_ALG_SHA_256);
    for (int i = 0; i < N; i++)
        REQUIRE(gen(&k[i], PSA_KEY_TYPE_HMAC, 256, PSA_KEY_USAGE_SIGN_MESSAGE, hmac) ==
                PSH_SUCCESS);
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < N; i++) {
            psh_key_ref r = ref(&k[i]);
            CHECK_EQ_INT(ops->mac_compute(ctx, &r, hmac, (const uint8_t *)"x", 1, out, sizeof out,
                                          &n),
                         PSH_SUCCESS);
            if (i == 0 && round == 0)
                memcpy(first, out, 32);
            if (i == 0 && round == 1)
                CHECK_MEM(out, n, first, 32);
        }
    for (int i = 0; i < N; i++)
        drop(&k[i]);
}

/* Several threads share keys (more than the cache holds): every call still succeeds. */
enum { T_KEYS = 24, T_THREADS = 4, T_ITER = 150 };
static key tkeys[T_KEYS];
static int thread_failures[T_THREADS];

static void *worker(void *arg)
{
    int t = (int)(intptr_t)arg;
    uint8_t out[32], ref0[32];
    size_t n = 0;
    psa_algorithm_t hmac = PSA_ALG_HMAC(PSA_ALG_SHA_256);
    for (int i = 0; i < T_ITER; i++) {
        int k = (i * 7 + t * 5) % T_KEYS;
        psh_key_ref r = ref(&tkeys[k]);
        if (ops->mac_compute(ctx, &r, hmac, (const uint8_t *)"x", 1, out, sizeof out, &n) !=
                PSH_SUCCESS ||
            ops->mac_verify(ctx, &r, hmac, (const uint8_t *)"x", 1, out, n) != PSH_SUCCESS)
            thread_failures[t]++;
        if (k == 0) {
            memcpy(ref0, out, sizeof ref0);
            (void)ref0;
        }
    }
    return NULL;
}

static void test_threads(void)
{
    pthread_t th[T_THREADS];
    psa_algorithm_t hmac = PSA_ALG_HMAC(PSA_ALG_SHA_256);
    for (int i = 0; i < T_KEYS; i++)
        REQUIRE(gen(&tkeys[i], PSA_KEY_TYPE_HMAC, 256,
                    PSA_KEY_USAGE_SIGN_MESSAGE | PSA_KEY_USAGE_VERIFY_MESSAGE, hmac) == PSH_SUCCESS);
    for (int t = 0; t < T_THREADS; t++)
        REQUIRE(pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t) == 0);
    for (int t = 0; t < T_THREADS; t++) {
        pthread_join(th[t], NULL);
        CHECK_EQ_INT(thread_failures[t], 0);
    }
    for (int i = 0; i < T_KEYS; i++)
        drop(&tkeys[i]);
}

static void test_can_do(void)
{
    psh_key_attrs a = {PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1), 256,
                       PSA_KEY_USAGE_SIGN_HASH, PSA_ALG_ECDSA(PSA_ALG_SHA_256)};
    CHECK_EQ_INT(ops->can_do(ctx, PSH_CHECK_GENERATE, &a), PSH_SUCCESS);
    CHECK_EQ_INT(ops->can_do(ctx, PSH_CHECK_USE, &a), PSH_SUCCESS);
    CHECK_EQ_INT(ops->can_do(ctx, PSH_CHECK_DERIVE, &a), PSH_ERR_PSA_NOT_SUPPORTED);
    a.bits = 255;
    CHECK_EQ_INT(ops->can_do(ctx, PSH_CHECK_GENERATE, &a), PSH_ERR_PSA_NOT_SUPPORTED);
    a.bits = 0;
    CHECK_EQ_INT(ops->can_do(ctx, PSH_CHECK_IMPORT, &a), PSH_SUCCESS);
    CHECK_EQ_INT(ops->can_do(ctx, PSH_CHECK_GENERATE, &a), PSH_ERR_PSA_NOT_SUPPORTED);
    psh_key_attrs rsa = {PSA_KEY_TYPE_RSA_KEY_PAIR, 8192, 0, PSA_ALG_NONE};
    CHECK_EQ_INT(ops->can_do(ctx, PSH_CHECK_GENERATE, &rsa), PSH_ERR_PSA_NOT_SUPPORTED);
    rsa.bits = 2048;
    CHECK_EQ_INT(ops->can_do(ctx, PSH_CHECK_GENERATE, &rsa), PSH_SUCCESS);
    rsa.alg = PSA_ALG_ECDSA(PSA_ALG_SHA_256);
    CHECK_EQ_INT(ops->can_do(ctx, PSH_CHECK_USE, &rsa), PSH_ERR_PSA_NOT_SUPPORTED);
    rsa.alg = PSA_ALG_RSA_PSS(PSA_ALG_SHA_384);
    CHECK_EQ_INT(ops->can_do(ctx, PSH_CHECK_USE, &rsa), PSH_SUCCESS);
    psh_key_attrs aes = {PSA_KEY_TYPE_AES, 100, 0, PSA_ALG_GCM};
    CHECK_EQ_INT(ops->can_do(ctx, PSH_CHECK_GENERATE, &aes), PSH_ERR_PSA_NOT_SUPPORTED);
    aes.bits = 128;
    CHECK_EQ_INT(ops->can_do(ctx, PSH_CHECK_USE, &aes), PSH_SUCCESS);
    psh_key_attrs x = {PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_MONTGOMERY), 255,
                       PSA_KEY_USAGE_DERIVE, PSA_ALG_ECDH};
    CHECK_EQ_INT(ops->can_do(ctx, PSH_CHECK_GENERATE, &x), PSH_SUCCESS);
    x.alg = PSA_ALG_ECDSA(PSA_ALG_SHA_256);
    CHECK_EQ_INT(ops->can_do(ctx, PSH_CHECK_USE, &x), PSH_ERR_PSA_NOT_SUPPORTED);
}

static void test_bad_creation(void)
{
    key k;
    CHECK_EQ_INT(gen(&k, PSA_KEY_TYPE_ECC_PUBLIC_KEY(PSA_ECC_FAMILY_SECP_R1), 256,
                     PSA_KEY_USAGE_VERIFY_HASH, PSA_ALG_ECDSA(PSA_ALG_SHA_256)),
                 PSH_ERR_PSA_INVALID_ARGUMENT);
    CHECK(k.id == NULL && k.id_len == 0);
    CHECK_EQ_INT(gen(&k, PSA_KEY_TYPE_AES, 100, PSA_KEY_USAGE_ENCRYPT, PSA_ALG_GCM),
                 PSH_ERR_PSA_INVALID_ARGUMENT);
    CHECK_EQ_INT(import(&k, PSA_KEY_TYPE_RSA_KEY_PAIR, 0, PSA_KEY_USAGE_SIGN_HASH,
                        PSA_ALG_RSA_PKCS1V15_SIGN(PSA_ALG_SHA_256), (const uint8_t *)"\x30\x03",
                        2),
                 PSH_ERR_PSA_INVALID_ARGUMENT);
    CHECK_EQ_INT(import(&k, PSA_KEY_TYPE_AES, 256, PSA_KEY_USAGE_ENCRYPT, PSA_ALG_GCM,
                        (const uint8_t *)"0123456789abcdef", 16),
                 PSH_ERR_PSA_INVALID_ARGUMENT);
    CHECK(k.id == NULL);
}

int main(int argc, char **argv)
{
    psh_provider_config pcfg;
    psh_engine_config ecfg;
    char err[256] = "";
    (void)argc;
    (void)argv;

    psh_provider_config_init(&pcfg, PSH_PROVIDER_MBED_CRYPTO);
    psh_engine_config_init(&ecfg);
    REQUIRE(ops->init(&pcfg, &ecfg, &ctx, err, sizeof err) == PSH_SUCCESS);
    REQUIRE(ctx != NULL);

    test_table();
    test_keyless();
    test_ecc(PSA_ECC_FAMILY_SECP_R1, 256, MBEDTLS_ECP_DP_SECP256R1, PSA_ALG_SHA_256);
    test_ecc(PSA_ECC_FAMILY_SECP_R1, 384, MBEDTLS_ECP_DP_SECP384R1, PSA_ALG_SHA_384);
    test_rsa(2048, 1);
    test_rsa(3072, 0);
    psh_log_configure("all+none"); /* the corrupt blobs below are logged one by one */
    test_corrupt_blobs();
    psh_log_configure(getenv("PSH_LOG"));
    test_symmetric();
    test_ecdh();
    test_cache();
    test_threads();
    test_can_do();
    test_bad_creation();

    ops->fini(ctx);
    CHECK_DONE();
}
