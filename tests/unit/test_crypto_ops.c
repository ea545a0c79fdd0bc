/* The crypto operations of issue 3 end to end through psh_engine_handle (soft provider,
 * in-memory KIM): success paths, known answers from tests/data/crypto_ops.data (NIST hash,
 * RFC 4231 HMAC, McGrew-Viega GCM), each policy refusal, malformed bodies, isolation between
 * applications, GenerateRandom's limit, CanDoCrypto, and the exact ListOpcodes bytes a Parsec
 * Rust client receives (MAC served, not advertised: docs/mac-opcodes.md). */
#include "check.h"
#include "engine_util.h"

#include "can_do_crypto.pb-c.h"
#include "list_opcodes.pb-c.h"
#include "psa_aead_decrypt.pb-c.h"
#include "psa_aead_encrypt.pb-c.h"
#include "psa_asymmetric_decrypt.pb-c.h"
#include "psa_asymmetric_encrypt.pb-c.h"
#include "psa_cipher_decrypt.pb-c.h"
#include "psa_cipher_encrypt.pb-c.h"
#include "psa_export_public_key.pb-c.h"
#include "psa_generate_key.pb-c.h"
#include "psa_generate_random.pb-c.h"
#include "psa_hash_compare.pb-c.h"
#include "psa_hash_compute.pb-c.h"
#include "psa_import_key.pb-c.h"
#include "psa_mac_compute.pb-c.h"
#include "psa_mac_verify.pb-c.h"
#include "psa_raw_key_agreement.pb-c.h"

#define P 1 /* the soft provider */

/* ---- key attribute builder ---------------------------------------------------------------- */

enum { U_ENC = 1, U_DEC = 2, U_SIGNM = 4, U_VERM = 8, U_DERIVE = 16, U_EXPORT = 32 };
enum { KT_AES, KT_HMAC, KT_RSA, KT_ECC };
enum { A_NONE, A_GCM, A_CCM, A_HMAC256, A_CMAC, A_OAEP256, A_PKCS1, A_ECDH, A_CBC, A_CTR };

typedef struct alg_parts {
    PsaAlgorithm__Algorithm alg; /* the policy's Algorithm */
    PsaAlgorithm__Algorithm__None none;
    PsaAlgorithm__Algorithm__Aead aead;
    PsaAlgorithm__Algorithm__Mac mac;
    PsaAlgorithm__Algorithm__Mac__FullLength full;
    PsaAlgorithm__Algorithm__Mac__FullLength__Hmac hmac;
    PsaAlgorithm__Algorithm__Mac__FullLength__Cmac cmac;
    PsaAlgorithm__Algorithm__AsymmetricEncryption asym;
    PsaAlgorithm__Algorithm__AsymmetricEncryption__RsaOaep oaep;
    PsaAlgorithm__Algorithm__AsymmetricEncryption__RsaPkcs1v15Crypt pkcs;
    PsaAlgorithm__Algorithm__KeyAgreement ka;
} alg_parts;

typedef struct key_spec {
    PsaKeyAttributes__KeyAttributes attrs;
    PsaKeyAttributes__KeyType type;
    PsaKeyAttributes__KeyType__Aes aes;
    PsaKeyAttributes__KeyType__Hmac hmac;
    PsaKeyAttributes__KeyType__RsaKeyPair rsa;
    PsaKeyAttributes__KeyType__EccKeyPair ecc;
    PsaKeyAttributes__KeyPolicy policy;
    PsaKeyAttributes__UsageFlags usage;
    alg_parts a;
} key_spec;

/* Fills the parts for one algorithm kind; a->alg (the Algorithm oneof) points at them. */
static void alg_init(alg_parts *a, int kind)
{
    memset(a, 0, sizeof *a);
    psa_algorithm__algorithm__init(&a->alg);
    psa_algorithm__algorithm__none__init(&a->none);
    psa_algorithm__algorithm__aead__init(&a->aead);
    psa_algorithm__algorithm__mac__init(&a->mac);
    psa_algorithm__algorithm__mac__full_length__init(&a->full);
    psa_algorithm__algorithm__mac__full_length__hmac__init(&a->hmac);
    psa_algorithm__algorithm__mac__full_length__cmac__init(&a->cmac);
    psa_algorithm__algorithm__asymmetric_encryption__init(&a->asym);
    psa_algorithm__algorithm__asymmetric_encryption__rsa_oaep__init(&a->oaep);
    psa_algorithm__algorithm__asymmetric_encryption__rsa_pkcs1v15_crypt__init(&a->pkcs);
    psa_algorithm__algorithm__key_agreement__init(&a->ka);

    a->aead.variant_case = PSA_ALGORITHM__ALGORITHM__AEAD__VARIANT_AEAD_WITH_DEFAULT_LENGTH_TAG;
    a->aead.aead_with_default_length_tag = kind == A_CCM
        ? PSA_ALGORITHM__ALGORITHM__AEAD__AEAD_WITH_DEFAULT_LENGTH_TAG__CCM
        : PSA_ALGORITHM__ALGORITHM__AEAD__AEAD_WITH_DEFAULT_LENGTH_TAG__GCM;
    a->hmac.hash_alg = PSA_ALGORITHM__ALGORITHM__HASH__SHA_256;
    a->full.variant_case = kind == A_CMAC ? PSA_ALGORITHM__ALGORITHM__MAC__FULL_LENGTH__VARIANT_CMAC
                                          : PSA_ALGORITHM__ALGORITHM__MAC__FULL_LENGTH__VARIANT_HMAC;
    if (kind == A_CMAC)
        a->full.cmac = &a->cmac;
    else
        a->full.hmac = &a->hmac;
    a->mac.variant_case = PSA_ALGORITHM__ALGORITHM__MAC__VARIANT_FULL_LENGTH;
    a->mac.full_length = &a->full;
    a->oaep.hash_alg = PSA_ALGORITHM__ALGORITHM__HASH__SHA_256;
    if (kind == A_PKCS1) {
        a->asym.variant_case = PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_ENCRYPTION__VARIANT_RSA_PKCS1V15_CRYPT;
        a->asym.rsa_pkcs1v15_crypt = &a->pkcs;
    } else {
        a->asym.variant_case = PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_ENCRYPTION__VARIANT_RSA_OAEP;
        a->asym.rsa_oaep = &a->oaep;
    }
    a->ka.variant_case = PSA_ALGORITHM__ALGORITHM__KEY_AGREEMENT__VARIANT_RAW;
    a->ka.raw = PSA_ALGORITHM__ALGORITHM__KEY_AGREEMENT__RAW__ECDH;

    switch (kind) {
    case A_GCM:
    case A_CCM:
        a->alg.variant_case = PSA_ALGORITHM__ALGORITHM__VARIANT_AEAD;
        a->alg.aead = &a->aead;
        break;
    case A_HMAC256:
    case A_CMAC:
        a->alg.variant_case = PSA_ALGORITHM__ALGORITHM__VARIANT_MAC;
        a->alg.mac = &a->mac;
        break;
    case A_OAEP256:
    case A_PKCS1:
        a->alg.variant_case = PSA_ALGORITHM__ALGORITHM__VARIANT_ASYMMETRIC_ENCRYPTION;
        a->alg.asymmetric_encryption = &a->asym;
        break;
    case A_ECDH:
        a->alg.variant_case = PSA_ALGORITHM__ALGORITHM__VARIANT_KEY_AGREEMENT;
        a->alg.key_agreement = &a->ka;
        break;
    case A_CBC:
    case A_CTR:
        a->alg.variant_case = PSA_ALGORITHM__ALGORITHM__VARIANT_CIPHER;
        a->alg.cipher = kind == A_CBC ? PSA_ALGORITHM__ALGORITHM__CIPHER__CBC_PKCS7
                                      : PSA_ALGORITHM__ALGORITHM__CIPHER__CTR;
        break;
    default:
        a->alg.variant_case = PSA_ALGORITHM__ALGORITHM__VARIANT_NONE;
        a->alg.none = &a->none;
        break;
    }
}

static void spec_init(key_spec *k, int type, uint32_t bits, unsigned usage, int alg)
{
    memset(k, 0, sizeof *k);
    psa_key_attributes__key_attributes__init(&k->attrs);
    psa_key_attributes__key_type__init(&k->type);
    psa_key_attributes__key_type__aes__init(&k->aes);
    psa_key_attributes__key_type__hmac__init(&k->hmac);
    psa_key_attributes__key_type__rsa_key_pair__init(&k->rsa);
    psa_key_attributes__key_type__ecc_key_pair__init(&k->ecc);
    psa_key_attributes__key_policy__init(&k->policy);
    psa_key_attributes__usage_flags__init(&k->usage);
    switch (type) {
    case KT_AES:
        k->type.variant_case = PSA_KEY_ATTRIBUTES__KEY_TYPE__VARIANT_AES;
        k->type.aes = &k->aes;
        break;
    case KT_HMAC:
        k->type.variant_case = PSA_KEY_ATTRIBUTES__KEY_TYPE__VARIANT_HMAC;
        k->type.hmac = &k->hmac;
        break;
    case KT_RSA:
        k->type.variant_case = PSA_KEY_ATTRIBUTES__KEY_TYPE__VARIANT_RSA_KEY_PAIR;
        k->type.rsa_key_pair = &k->rsa;
        break;
    default:
        k->ecc.curve_family = PSA_KEY_ATTRIBUTES__KEY_TYPE__ECC_FAMILY__SECP_R1;
        k->type.variant_case = PSA_KEY_ATTRIBUTES__KEY_TYPE__VARIANT_ECC_KEY_PAIR;
        k->type.ecc_key_pair = &k->ecc;
        break;
    }
    k->usage.encrypt = (usage & U_ENC) != 0;
    k->usage.decrypt = (usage & U_DEC) != 0;
    k->usage.sign_message = (usage & U_SIGNM) != 0;
    k->usage.verify_message = (usage & U_VERM) != 0;
    k->usage.derive = (usage & U_DERIVE) != 0;
    k->usage.export = (usage & U_EXPORT) != 0;
    alg_init(&k->a, alg);
    k->policy.key_usage_flags = &k->usage;
    k->policy.key_algorithm = &k->a.alg;
    k->attrs.key_type = &k->type;
    k->attrs.key_bits = bits;
    k->attrs.key_policy = &k->policy;
}

static psh_status generate(psh_engine *e, const char *app, const char *name, key_spec *k)
{
    PsaGenerateKey__Operation op = PSA_GENERATE_KEY__OPERATION__INIT;
    test_resp r;
    op.key_name = (char *)name;
    op.attributes = &k->attrs;
    psh_status st = call(e, P, 2, app, &op.base, &r);
    resp_free(&r);
    return st;
}

static psh_status import(psh_engine *e, const char *app, const char *name, key_spec *k,
                         const uint8_t *data, size_t len)
{
    PsaImportKey__Operation op = PSA_IMPORT_KEY__OPERATION__INIT;
    test_resp r;
    op.key_name = (char *)name;
    op.attributes = &k->attrs;
    op.data.data = (uint8_t *)data;
    op.data.len = len;
    psh_status st = call(e, P, 6, app, &op.base, &r);
    resp_free(&r);
    return st;
}

/* Every Result of a bytes-returning operation here is `bytes = 1`: one decoder for all. */
typedef struct bytes_out {
    uint8_t buf[1024];
    size_t len;
} bytes_out;

static psh_status run_bytes(psh_engine *e, uint32_t opcode, const char *app,
                            const ProtobufCMessage *op, bytes_out *out)
{
    test_resp r;
    psh_status st = call(e, P, opcode, app, op, &r);
    if (out != NULL) {
        out->len = 0;
        if (st == PSH_SUCCESS) {
            PsaGenerateRandom__Result *res =
                psa_generate_random__result__unpack(NULL, r.body_len, r.body);
            REQUIRE(res != NULL && res->random_bytes.len <= sizeof out->buf);
            if (res->random_bytes.len)
                memcpy(out->buf, res->random_bytes.data, res->random_bytes.len);
            out->len = res->random_bytes.len;
            psa_generate_random__result__free_unpacked(res, NULL);
        }
    }
    resp_free(&r);
    return st;
}

#define BIN(p, n) ((ProtobufCBinaryData){(size_t)(n), (uint8_t *)(p)})

/* ---- operation wrappers ------------------------------------------------------------------- */

static psh_status hash_compute(psh_engine *e, int alg, const uint8_t *in, size_t n, bytes_out *o)
{
    PsaHashCompute__Operation op = PSA_HASH_COMPUTE__OPERATION__INIT;
    op.alg = alg;
    op.input = BIN(in, n);
    return run_bytes(e, 15, NULL, &op.base, o);
}

static psh_status hash_compare(psh_engine *e, int alg, const uint8_t *in, size_t n,
                               const uint8_t *h, size_t hn)
{
    PsaHashCompare__Operation op = PSA_HASH_COMPARE__OPERATION__INIT;
    op.alg = alg;
    op.input = BIN(in, n);
    op.hash = BIN(h, hn);
    return run_bytes(e, 16, NULL, &op.base, NULL);
}

static psh_status mac_compute(psh_engine *e, const char *app, const char *name, alg_parts *a,
                              const uint8_t *in, size_t n, bytes_out *o)
{
    PsaMacCompute__Operation op = PSA_MAC_COMPUTE__OPERATION__INIT;
    op.key_name = (char *)name;
    op.alg = a ? &a->mac : NULL;
    op.input = BIN(in, n);
    return run_bytes(e, 22, app, &op.base, o);
}

static psh_status mac_verify(psh_engine *e, const char *app, const char *name, alg_parts *a,
                             const uint8_t *in, size_t n, const uint8_t *mac, size_t mn)
{
    PsaMacVerify__Operation op = PSA_MAC_VERIFY__OPERATION__INIT;
    op.key_name = (char *)name;
    op.alg = a ? &a->mac : NULL;
    op.input = BIN(in, n);
    op.mac = BIN(mac, mn);
    return run_bytes(e, 23, app, &op.base, NULL);
}

static psh_status aead(psh_engine *e, const char *app, const char *name, alg_parts *a, int enc,
                       const uint8_t *nonce, size_t nn, const uint8_t *ad, size_t adn,
                       const uint8_t *in, size_t n, bytes_out *o)
{
    if (enc) {
        PsaAeadEncrypt__Operation op = PSA_AEAD_ENCRYPT__OPERATION__INIT;
        op.key_name = (char *)name;
        op.alg = a ? &a->aead : NULL;
        op.nonce = BIN(nonce, nn);
        op.additional_data = BIN(ad, adn);
        op.plaintext = BIN(in, n);
        return run_bytes(e, 17, app, &op.base, o);
    }
    PsaAeadDecrypt__Operation op = PSA_AEAD_DECRYPT__OPERATION__INIT;
    op.key_name = (char *)name;
    op.alg = a ? &a->aead : NULL;
    op.nonce = BIN(nonce, nn);
    op.additional_data = BIN(ad, adn);
    op.ciphertext = BIN(in, n);
    return run_bytes(e, 18, app, &op.base, o);
}

static psh_status cipher(psh_engine *e, const char *app, const char *name, int alg, int enc,
                         const uint8_t *in, size_t n, bytes_out *o)
{
    if (enc) {
        PsaCipherEncrypt__Operation op = PSA_CIPHER_ENCRYPT__OPERATION__INIT;
        op.key_name = (char *)name;
        op.alg = alg;
        op.plaintext = BIN(in, n);
        return run_bytes(e, 20, app, &op.base, o);
    }
    PsaCipherDecrypt__Operation op = PSA_CIPHER_DECRYPT__OPERATION__INIT;
    op.key_name = (char *)name;
    op.alg = alg;
    op.ciphertext = BIN(in, n);
    return run_bytes(e, 21, app, &op.base, o);
}

static psh_status asym(psh_engine *e, const char *app, const char *name, alg_parts *a, int enc,
                       const uint8_t *in, size_t n, const char *salt, bytes_out *o)
{
    size_t sn = salt ? strlen(salt) : 0;
    if (enc) {
        PsaAsymmetricEncrypt__Operation op = PSA_ASYMMETRIC_ENCRYPT__OPERATION__INIT;
        op.key_name = (char *)name;
        op.alg = a ? &a->asym : NULL;
        op.plaintext = BIN(in, n);
        op.salt = BIN(salt, sn);
        return run_bytes(e, 10, app, &op.base, o);
    }
    PsaAsymmetricDecrypt__Operation op = PSA_ASYMMETRIC_DECRYPT__OPERATION__INIT;
    op.key_name = (char *)name;
    op.alg = a ? &a->asym : NULL;
    op.ciphertext = BIN(in, n);
    op.salt = BIN(salt, sn);
    return run_bytes(e, 11, app, &op.base, o);
}

static psh_status agree(psh_engine *e, const char *app, const char *name, int raw,
                        const uint8_t *peer, size_t n, bytes_out *o)
{
    PsaRawKeyAgreement__Operation op = PSA_RAW_KEY_AGREEMENT__OPERATION__INIT;
    op.private_key_name = (char *)name;
    op.alg = raw;
    op.peer_key = BIN(peer, n);
    return run_bytes(e, 19, app, &op.base, o);
}

static psh_status export_public(psh_engine *e, const char *app, const char *name, bytes_out *o)
{
    PsaExportPublicKey__Operation op = PSA_EXPORT_PUBLIC_KEY__OPERATION__INIT;
    op.key_name = (char *)name;
    return run_bytes(e, 7, app, &op.base, o);
}

static psh_status random_bytes(psh_engine *e, const char *app, uint64_t size, bytes_out *o)
{
    PsaGenerateRandom__Operation op = PSA_GENERATE_RANDOM__OPERATION__INIT;
    op.size = size;
    return run_bytes(e, 13, app, &op.base, o);
}

static psh_status can_do(psh_engine *e, int check, key_spec *k)
{
    CanDoCrypto__Operation op = CAN_DO_CRYPTO__OPERATION__INIT;
    op.check_type = check;
    op.attributes = k ? &k->attrs : NULL;
    return run_bytes(e, 32, "alice", &op.base, NULL);
}

static psh_engine *make_engine(size_t buffer_size_limit)
{
    psh_engine_config cfg;
    psh_engine *e = NULL;
    char err[256];
    psh_engine_config_init(&cfg);
    cfg.auth_type = PSH_AUTH_DIRECT;
    cfg.provider_count = 1;
    if (buffer_size_limit)
        cfg.buffer_size_limit = buffer_size_limit;
    psh_provider_config_init(&cfg.providers[0], PSH_PROVIDER_MBED_CRYPTO);
    if (psh_engine_create(&cfg, &e, err, sizeof err) != PSH_SUCCESS)
        fprintf(stderr, "engine: %s\n", err);
    return e;
}

/* ---- known answers (tests/data/crypto_ops.data) ------------------------------------------- */

typedef struct hexbuf {
    uint8_t b[512];
    size_t n;
} hexbuf;

static int hex(const char *s, hexbuf *h)
{
    int n = strcmp(s, "-") == 0 ? 0 : hex_to_bytes(s, h->b, sizeof h->b);
    h->n = n < 0 ? 0 : (size_t)n;
    return n >= 0;
}

static void kat_hash(psh_engine *e, int alg, const hexbuf *msg, const hexbuf *want)
{
    bytes_out o;
    CHECK_EQ_INT(hash_compute(e, alg, msg->b, msg->n, &o), PSH_SUCCESS);
    CHECK_MEM(o.buf, o.len, want->b, want->n);
    CHECK_EQ_INT(hash_compare(e, alg, msg->b, msg->n, want->b, want->n), PSH_SUCCESS);
    uint8_t bad[64];
    memcpy(bad, want->b, want->n);
    bad[0] ^= 1;
    CHECK_EQ_INT(hash_compare(e, alg, msg->b, msg->n, bad, want->n), PSH_ERR_PSA_INVALID_SIGNATURE);
    CHECK_EQ_INT(hash_compare(e, alg, msg->b, msg->n, want->b, want->n - 1),
                 PSH_ERR_PSA_INVALID_ARGUMENT);
}

static void kat_hmac(psh_engine *e, int idx, const hexbuf *key, const hexbuf *msg,
                     const hexbuf *want)
{
    key_spec k;
    bytes_out o;
    char name[32];
    snprintf(name, sizeof name, "kat-hmac-%d", idx);
    spec_init(&k, KT_HMAC, 0, U_SIGNM | U_VERM, A_HMAC256);
    CHECK_EQ_INT(import(e, "alice", name, &k, key->b, key->n), PSH_SUCCESS);
    CHECK_EQ_INT(mac_compute(e, "alice", name, &k.a, msg->b, msg->n, &o), PSH_SUCCESS);
    CHECK_MEM(o.buf, o.len, want->b, want->n);
    CHECK_EQ_INT(mac_verify(e, "alice", name, &k.a, msg->b, msg->n, want->b, want->n),
                 PSH_SUCCESS);
    o.buf[31] ^= 0x80;
    CHECK_EQ_INT(mac_verify(e, "alice", name, &k.a, msg->b, msg->n, o.buf, o.len),
                 PSH_ERR_PSA_INVALID_SIGNATURE);
}

static void kat_gcm(psh_engine *e, int idx, const hexbuf *key, const hexbuf *nonce,
                    const hexbuf *ad, const hexbuf *pt, const hexbuf *want)
{
    key_spec k;
    bytes_out o, back;
    char name[32];
    snprintf(name, sizeof name, "kat-gcm-%d", idx);
    spec_init(&k, KT_AES, 128, U_ENC | U_DEC, A_GCM);
    CHECK_EQ_INT(import(e, "alice", name, &k, key->b, key->n), PSH_SUCCESS);
    CHECK_EQ_INT(aead(e, "alice", name, &k.a, 1, nonce->b, nonce->n, ad->b, ad->n, pt->b, pt->n,
                      &o),
                 PSH_SUCCESS);
    CHECK_MEM(o.buf, o.len, want->b, want->n); /* ciphertext || tag */
    CHECK_EQ_INT(aead(e, "alice", name, &k.a, 0, nonce->b, nonce->n, ad->b, ad->n, o.buf, o.len,
                      &back),
                 PSH_SUCCESS);
    CHECK_MEM(back.buf, back.len, pt->b, pt->n);
    o.buf[o.len - 1] ^= 1; /* tag */
    CHECK_EQ_INT(aead(e, "alice", name, &k.a, 0, nonce->b, nonce->n, ad->b, ad->n, o.buf, o.len,
                      &back),
                 PSH_ERR_PSA_INVALID_SIGNATURE);
}

static void test_known_answers(psh_engine *e, const char *data_dir)
{
    char path[1024], line[2048], kind[16], f[5][600];
    int counts[3] = {0, 0, 0}, idx = 0;
    snprintf(path, sizeof path, "%s/crypto_ops.data", data_dir);
    FILE *fp = fopen(path, "r");
    REQUIRE(fp != NULL);
    while (fgets(line, sizeof line, fp) != NULL) {
        hexbuf h[5];
        int n = sscanf(line, "%15s %599s %599s %599s %599s %599s", kind, f[0], f[1], f[2], f[3],
                       f[4]);
        if (n < 1 || kind[0] == '#')
            continue;
        idx++;
        if (strcmp(kind, "hash") == 0 && n == 4) {
            REQUIRE(hex(f[1], &h[0]) && hex(f[2], &h[1]));
            kat_hash(e, atoi(f[0]), &h[0], &h[1]);
            counts[0]++;
        } else if (strcmp(kind, "hmac") == 0 && n == 5) {
            REQUIRE(hex(f[1], &h[0]) && hex(f[2], &h[1]) && hex(f[3], &h[2]));
            REQUIRE(atoi(f[0]) == PSA_ALGORITHM__ALGORITHM__HASH__SHA_256);
            kat_hmac(e, idx, &h[0], &h[1], &h[2]);
            counts[1]++;
        } else if (strcmp(kind, "gcm") == 0 && n == 6) {
            for (int i = 0; i < 5; i++)
                REQUIRE(hex(f[i], &h[i]));
            kat_gcm(e, idx, &h[0], &h[1], &h[2], &h[3], &h[4]);
            counts[2]++;
        } else {
            fprintf(stderr, "crypto_ops.data: bad line: %s", line);
            CHECK(0);
        }
    }
    fclose(fp);
    CHECK_EQ_INT(counts[0], 4); /* SHA-224/256/384/512 */
    CHECK_EQ_INT(counts[1], 2); /* RFC 4231 cases 1 and 2 */
    CHECK_EQ_INT(counts[2], 2);
}

/* ---- success paths ------------------------------------------------------------------------ */

static void test_cipher(psh_engine *e)
{
    key_spec k;
    bytes_out ct, pt;
    const uint8_t msg[] = "seventeen bytes!!";
    spec_init(&k, KT_AES, 128, U_ENC | U_DEC, A_CBC);
    REQUIRE(generate(e, "alice", "aes-cbc", &k) == PSH_SUCCESS);
    CHECK_EQ_INT(cipher(e, "alice", "aes-cbc", k.a.alg.cipher, 1, msg, 17, &ct), PSH_SUCCESS);
    CHECK_EQ_INT(ct.len, 16 + 32); /* IV || two padded blocks */
    CHECK_EQ_INT(cipher(e, "alice", "aes-cbc", k.a.alg.cipher, 0, ct.buf, ct.len, &pt),
                 PSH_SUCCESS);
    CHECK_MEM(pt.buf, pt.len, msg, 17);
    /* Refusals: empty plaintext, another mode, no mode at all. */
    CHECK_EQ_INT(cipher(e, "alice", "aes-cbc", k.a.alg.cipher, 1, msg, 0, &ct),
                 PSH_ERR_PSA_INVALID_ARGUMENT);
    CHECK_EQ_INT(cipher(e, "alice", "aes-cbc", PSA_ALGORITHM__ALGORITHM__CIPHER__CTR, 1, msg, 17,
                        &ct),
                 PSH_ERR_PSA_NOT_PERMITTED);
    CHECK_EQ_INT(cipher(e, "alice", "aes-cbc", PSA_ALGORITHM__ALGORITHM__CIPHER__CIPHER_NONE, 1,
                        msg, 17, &ct),
                 PSH_ERR_INVALID_ENCODING);
    CHECK_EQ_INT(cipher(e, "alice", "aes-cbc", 99, 1, msg, 17, &ct), PSH_ERR_INVALID_ENCODING);
    /* Bad padding. */
    uint8_t bad[32];
    memset(bad, 0x11, sizeof bad);
    CHECK_EQ_INT(cipher(e, "alice", "aes-cbc", k.a.alg.cipher, 0, bad, sizeof bad, &pt),
                 PSH_ERR_PSA_INVALID_PADDING);
    /* Encrypt-only key: decrypt lacks its usage flag. */
    spec_init(&k, KT_AES, 128, U_ENC, A_CTR);
    REQUIRE(generate(e, "alice", "aes-ctr-enc", &k) == PSH_SUCCESS);
    CHECK_EQ_INT(cipher(e, "alice", "aes-ctr-enc", k.a.alg.cipher, 1, msg, 17, &ct), PSH_SUCCESS);
    CHECK_EQ_INT(ct.len, 16 + 17);
    CHECK_EQ_INT(cipher(e, "alice", "aes-ctr-enc", k.a.alg.cipher, 0, ct.buf, ct.len, &pt),
                 PSH_ERR_PSA_NOT_PERMITTED);
}

static void test_aead_policy(psh_engine *e)
{
    key_spec k, other;
    bytes_out o;
    uint8_t nonce[12] = {0}, msg[5] = "hello";
    spec_init(&k, KT_AES, 256, U_ENC, A_GCM);
    REQUIRE(generate(e, "alice", "gcm-enc-only", &k) == PSH_SUCCESS);
    CHECK_EQ_INT(aead(e, "alice", "gcm-enc-only", &k.a, 1, nonce, 12, NULL, 0, msg, 5, &o),
                 PSH_SUCCESS);
    CHECK_EQ_INT(o.len, 5 + 16);
    CHECK_EQ_INT(aead(e, "alice", "gcm-enc-only", &k.a, 0, nonce, 12, NULL, 0, o.buf, o.len, &o),
                 PSH_ERR_PSA_NOT_PERMITTED); /* no decrypt flag */
    alg_init(&other.a, A_CCM);
    CHECK_EQ_INT(aead(e, "alice", "gcm-enc-only", &other.a, 1, nonce, 12, NULL, 0, msg, 5, &o),
                 PSH_ERR_PSA_NOT_PERMITTED); /* another algorithm */
    CHECK_EQ_INT(aead(e, "alice", "gcm-enc-only", NULL, 1, nonce, 12, NULL, 0, msg, 5, &o),
                 PSH_ERR_INVALID_ENCODING); /* alg missing */
    other.a.aead.aead_with_default_length_tag =
        PSA_ALGORITHM__ALGORITHM__AEAD__AEAD_WITH_DEFAULT_LENGTH_TAG__AEAD_WITH_DEFAULT_LENGTH_TAG_NONE;
    CHECK_EQ_INT(aead(e, "alice", "gcm-enc-only", &other.a, 1, nonce, 12, NULL, 0, msg, 5, &o),
                 PSH_ERR_INVALID_ENCODING);
    other.a.aead.variant_case = PSA_ALGORITHM__ALGORITHM__AEAD__VARIANT__NOT_SET;
    CHECK_EQ_INT(aead(e, "alice", "gcm-enc-only", &other.a, 1, nonce, 12, NULL, 0, msg, 5, &o),
                 PSH_ERR_INVALID_ENCODING);
    /* Wrong key type: an HMAC key whose policy names GCM. */
    spec_init(&k, KT_HMAC, 256, U_ENC | U_DEC, A_GCM);
    REQUIRE(generate(e, "alice", "hmac-with-gcm", &k) == PSH_SUCCESS);
    CHECK_EQ_INT(aead(e, "alice", "hmac-with-gcm", &k.a, 1, nonce, 12, NULL, 0, msg, 5, &o),
                 PSH_ERR_PSA_INVALID_ARGUMENT);
    CHECK_EQ_INT(aead(e, "alice", "no-such-key", &k.a, 1, nonce, 12, NULL, 0, msg, 5, &o),
                 PSH_ERR_PSA_DOES_NOT_EXIST);
}

static void test_mac_policy(psh_engine *e)
{
    key_spec k;
    alg_parts cmac;
    bytes_out o;
    const uint8_t msg[3] = "abc";
    spec_init(&k, KT_HMAC, 256, U_SIGNM, A_HMAC256);
    REQUIRE(generate(e, "alice", "hmac-sign-only", &k) == PSH_SUCCESS);
    CHECK_EQ_INT(mac_compute(e, "alice", "hmac-sign-only", &k.a, msg, 3, &o), PSH_SUCCESS);
    CHECK_EQ_INT(o.len, 32);
    CHECK_EQ_INT(mac_verify(e, "alice", "hmac-sign-only", &k.a, msg, 3, o.buf, o.len),
                 PSH_ERR_PSA_NOT_PERMITTED); /* no verify_message */
    alg_init(&cmac, A_CMAC);
    CHECK_EQ_INT(mac_compute(e, "alice", "hmac-sign-only", &cmac, msg, 3, &o),
                 PSH_ERR_PSA_NOT_PERMITTED); /* another algorithm */
    CHECK_EQ_INT(mac_compute(e, "alice", "hmac-sign-only", NULL, msg, 3, &o),
                 PSH_ERR_INVALID_ENCODING);
    cmac.mac.variant_case = PSA_ALGORITHM__ALGORITHM__MAC__VARIANT__NOT_SET;
    CHECK_EQ_INT(mac_compute(e, "alice", "hmac-sign-only", &cmac, msg, 3, &o),
                 PSH_ERR_INVALID_ENCODING);
    /* Wrong key type: an AES key whose policy names HMAC. */
    spec_init(&k, KT_AES, 128, U_SIGNM | U_VERM, A_HMAC256);
    REQUIRE(generate(e, "alice", "aes-with-hmac", &k) == PSH_SUCCESS);
    CHECK_EQ_INT(mac_compute(e, "alice", "aes-with-hmac", &k.a, msg, 3, &o),
                 PSH_ERR_PSA_INVALID_ARGUMENT);
    /* CMAC on AES: served. */
    spec_init(&k, KT_AES, 128, U_SIGNM | U_VERM, A_CMAC);
    REQUIRE(generate(e, "alice", "aes-cmac", &k) == PSH_SUCCESS);
    CHECK_EQ_INT(mac_compute(e, "alice", "aes-cmac", &k.a, msg, 3, &o), PSH_SUCCESS);
    CHECK_EQ_INT(o.len, 16);
    CHECK_EQ_INT(mac_verify(e, "alice", "aes-cmac", &k.a, msg, 3, o.buf, o.len), PSH_SUCCESS);
}

static void test_asymmetric(psh_engine *e)
{
    key_spec k;
    alg_parts pkcs;
    bytes_out ct, pt;
    const uint8_t msg[] = "attack at dawn";
    spec_init(&k, KT_RSA, 1024, U_ENC | U_DEC, A_OAEP256);
    REQUIRE(generate(e, "alice", "rsa-oaep", &k) == PSH_SUCCESS);
    CHECK_EQ_INT(asym(e, "alice", "rsa-oaep", &k.a, 1, msg, 14, "label", &ct), PSH_SUCCESS);
    CHECK_EQ_INT(ct.len, 128);
    CHECK_EQ_INT(asym(e, "alice", "rsa-oaep", &k.a, 0, ct.buf, ct.len, "label", &pt), PSH_SUCCESS);
    CHECK_MEM(pt.buf, pt.len, msg, 14);
    CHECK_EQ_INT(asym(e, "alice", "rsa-oaep", &k.a, 0, ct.buf, ct.len, "other", &pt),
                 PSH_ERR_PSA_INVALID_PADDING);
    CHECK_EQ_INT(asym(e, "alice", "rsa-oaep", &k.a, 1, msg, 14, NULL, &ct), PSH_SUCCESS);
    CHECK_EQ_INT(asym(e, "alice", "rsa-oaep", &k.a, 0, ct.buf, ct.len, NULL, &pt), PSH_SUCCESS);
    CHECK_MEM(pt.buf, pt.len, msg, 14);
    alg_init(&pkcs, A_PKCS1);
    CHECK_EQ_INT(asym(e, "alice", "rsa-oaep", &pkcs, 1, msg, 14, NULL, &ct),
                 PSH_ERR_PSA_NOT_PERMITTED);
    CHECK_EQ_INT(asym(e, "alice", "rsa-oaep", NULL, 1, msg, 14, NULL, &ct),
                 PSH_ERR_INVALID_ENCODING);
    pkcs.oaep.hash_alg = PSA_ALGORITHM__ALGORITHM__HASH__HASH_NONE;
    pkcs.asym.variant_case = PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_ENCRYPTION__VARIANT_RSA_OAEP;
    pkcs.asym.rsa_oaep = &pkcs.oaep;
    CHECK_EQ_INT(asym(e, "alice", "rsa-oaep", &pkcs, 1, msg, 14, NULL, &ct),
                 PSH_ERR_INVALID_ENCODING);
    /* PKCS#1 v1.5 key that may only encrypt. */
    spec_init(&k, KT_RSA, 1024, U_ENC, A_PKCS1);
    REQUIRE(generate(e, "alice", "rsa-pkcs1-enc", &k) == PSH_SUCCESS);
    CHECK_EQ_INT(asym(e, "alice", "rsa-pkcs1-enc", &k.a, 1, msg, 14, NULL, &ct), PSH_SUCCESS);
    CHECK_EQ_INT(asym(e, "alice", "rsa-pkcs1-enc", &k.a, 0, ct.buf, ct.len, NULL, &pt),
                 PSH_ERR_PSA_NOT_PERMITTED);
    /* Wrong key type: an ECC key whose policy names OAEP. */
    spec_init(&k, KT_ECC, 256, U_ENC | U_DEC, A_OAEP256);
    REQUIRE(generate(e, "alice", "ecc-with-oaep", &k) == PSH_SUCCESS);
    CHECK_EQ_INT(asym(e, "alice", "ecc-with-oaep", &k.a, 1, msg, 14, NULL, &ct),
                 PSH_ERR_PSA_INVALID_ARGUMENT);
}

static void test_key_agreement(psh_engine *e)
{
    key_spec k;
    bytes_out pa, pb, sa, sb;
    const int ecdh = PSA_ALGORITHM__ALGORITHM__KEY_AGREEMENT__RAW__ECDH;
    spec_init(&k, KT_ECC, 256, U_DERIVE, A_ECDH);
    REQUIRE(generate(e, "alice", "ecdh-a", &k) == PSH_SUCCESS);
    REQUIRE(generate(e, "alice", "ecdh-b", &k) == PSH_SUCCESS);
    REQUIRE(export_public(e, "alice", "ecdh-a", &pa) == PSH_SUCCESS);
    REQUIRE(export_public(e, "alice", "ecdh-b", &pb) == PSH_SUCCESS);
    CHECK_EQ_INT(agree(e, "alice", "ecdh-a", ecdh, pb.buf, pb.len, &sa), PSH_SUCCESS);
    CHECK_EQ_INT(agree(e, "alice", "ecdh-b", ecdh, pa.buf, pa.len, &sb), PSH_SUCCESS);
    CHECK_EQ_INT(sa.len, 32);
    CHECK_MEM(sa.buf, sa.len, sb.buf, sb.len);
    CHECK_EQ_INT(agree(e, "alice", "ecdh-a", ecdh, pb.buf, 10, &sa), PSH_ERR_PSA_INVALID_ARGUMENT);
    CHECK_EQ_INT(agree(e, "alice", "ecdh-a", PSA_ALGORITHM__ALGORITHM__KEY_AGREEMENT__RAW__FFDH,
                       pb.buf, pb.len, &sa),
                 PSH_ERR_PSA_NOT_PERMITTED);
    CHECK_EQ_INT(agree(e, "alice", "ecdh-a", PSA_ALGORITHM__ALGORITHM__KEY_AGREEMENT__RAW__RAW_NONE,
                       pb.buf, pb.len, &sa),
                 PSH_ERR_INVALID_ENCODING);
    spec_init(&k, KT_ECC, 256, U_ENC, A_ECDH); /* no derive flag */
    REQUIRE(generate(e, "alice", "ecdh-no-derive", &k) == PSH_SUCCESS);
    CHECK_EQ_INT(agree(e, "alice", "ecdh-no-derive", ecdh, pb.buf, pb.len, &sa),
                 PSH_ERR_PSA_NOT_PERMITTED);
    spec_init(&k, KT_AES, 128, U_DERIVE, A_ECDH); /* wrong key type */
    REQUIRE(generate(e, "alice", "aes-with-ecdh", &k) == PSH_SUCCESS);
    CHECK_EQ_INT(agree(e, "alice", "aes-with-ecdh", ecdh, pb.buf, pb.len, &sa),
                 PSH_ERR_PSA_INVALID_ARGUMENT);
}

static void test_keyless(psh_engine *e)
{
    bytes_out a, b;
    test_resp r;
    CHECK_EQ_INT(random_bytes(e, NULL, 32, &a), PSH_SUCCESS); /* keyless: no auth needed */
    CHECK_EQ_INT(a.len, 32);
    CHECK_EQ_INT(random_bytes(e, "alice", 32, &b), PSH_SUCCESS);
    CHECK(memcmp(a.buf, b.buf, 32) != 0);
    CHECK_EQ_INT(random_bytes(e, NULL, 0, &a), PSH_SUCCESS);
    CHECK_EQ_INT(a.len, 0);
    CHECK_EQ_INT(hash_compute(e, PSA_ALGORITHM__ALGORITHM__HASH__HASH_NONE,
                              (const uint8_t *)"abc", 3, &a),
                 PSH_ERR_INVALID_ENCODING);
    CHECK_EQ_INT(hash_compute(e, 77, (const uint8_t *)"abc", 3, &a), PSH_ERR_INVALID_ENCODING);
    /* Keyless operations go to a crypto provider, not the core one. */
    PsaHashCompute__Operation op = PSA_HASH_COMPUTE__OPERATION__INIT;
    op.alg = PSA_ALGORITHM__ALGORITHM__HASH__SHA_256;
    CHECK_EQ_INT(call(e, 0, 15, NULL, &op.base, &r), PSH_ERR_PSA_NOT_SUPPORTED);
    resp_free(&r);
}

static void test_random_limit(void)
{
    psh_engine *e = make_engine(4096);
    bytes_out o;
    REQUIRE(e != NULL);
    CHECK_EQ_INT(random_bytes(e, NULL, 4097, &o), PSH_ERR_RESPONSE_TOO_LARGE);
    CHECK_EQ_INT(random_bytes(e, NULL, UINT64_MAX, &o), PSH_ERR_RESPONSE_TOO_LARGE);
    CHECK_EQ_INT(random_bytes(e, NULL, 1000, &o), PSH_SUCCESS);
    CHECK_EQ_INT(o.len, 1000);
    /* The exact limit: the bytes fit, the protobuf framing around them does not. */
    CHECK_EQ_INT(random_bytes(e, NULL, 4096, &o), PSH_ERR_RESPONSE_TOO_LARGE);
    psh_engine_destroy(e);
}

/* ---- malformed bodies --------------------------------------------------------------------- */

static void test_garbage_bodies(psh_engine *e)
{
    static const uint32_t opcodes[] = {10, 11, 13, 15, 16, 17, 18, 19, 20, 21, 22, 23, 32};
    static const uint8_t garbage[] = {0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01};
    for (size_t i = 0; i < sizeof opcodes / sizeof opcodes[0]; i++) {
        psh_wire_header h;
        uint8_t *frame = NULL;
        size_t len = 0;
        test_resp r;
        memset(&h, 0, sizeof h);
        h.magic = PSH_WIRE_MAGIC;
        h.hdr_size = PSH_WIRE_HDR_SIZE_FIELD;
        h.version_maj = 1;
        h.provider = P;
        h.auth_type = 1;
        h.body_len = sizeof garbage;
        h.auth_len = 5;
        h.opcode = opcodes[i];
        REQUIRE(psh_wire_build_frame(&h, garbage, sizeof garbage, (const uint8_t *)"alice", 5,
                                     &frame, &len) == PSH_SUCCESS);
        CHECK_EQ_INT(run_frame(e, frame, len, NULL, &r), PSH_ERR_DESERIALIZING_BODY_FAILED);
        resp_free(&r);
        psh_free(frame);
    }
}

/* ---- isolation ---------------------------------------------------------------------------- */

static void test_isolation(psh_engine *e)
{
    key_spec k;
    bytes_out o;
    uint8_t nonce[12] = {0}, msg[16] = {1}, peer[65] = {4};
    /* Every keyed operation by bob on alice's keys: the keys do not exist for him. */
    spec_init(&k, KT_AES, 128, U_ENC | U_DEC, A_GCM);
    CHECK_EQ_INT(aead(e, "bob", "kat-gcm-1", &k.a, 1, nonce, 12, NULL, 0, msg, 16, &o),
                 PSH_ERR_PSA_DOES_NOT_EXIST);
    CHECK_EQ_INT(aead(e, "bob", "kat-gcm-1", &k.a, 0, nonce, 12, NULL, 0, msg, 16, &o),
                 PSH_ERR_PSA_DOES_NOT_EXIST);
    CHECK_EQ_INT(cipher(e, "bob", "aes-cbc", PSA_ALGORITHM__ALGORITHM__CIPHER__CBC_PKCS7, 1, msg,
                        16, &o),
                 PSH_ERR_PSA_DOES_NOT_EXIST);
    CHECK_EQ_INT(cipher(e, "bob", "aes-cbc", PSA_ALGORITHM__ALGORITHM__CIPHER__CBC_PKCS7, 0, msg,
                        16, &o),
                 PSH_ERR_PSA_DOES_NOT_EXIST);
    spec_init(&k, KT_HMAC, 0, 0, A_HMAC256);
    CHECK_EQ_INT(mac_compute(e, "bob", "hmac-sign-only", &k.a, msg, 16, &o),
                 PSH_ERR_PSA_DOES_NOT_EXIST);
    CHECK_EQ_INT(mac_verify(e, "bob", "hmac-sign-only", &k.a, msg, 16, msg, 16),
                 PSH_ERR_PSA_DOES_NOT_EXIST);
    spec_init(&k, KT_RSA, 0, 0, A_OAEP256);
    CHECK_EQ_INT(asym(e, "bob", "rsa-oaep", &k.a, 1, msg, 16, NULL, &o),
                 PSH_ERR_PSA_DOES_NOT_EXIST);
    CHECK_EQ_INT(asym(e, "bob", "rsa-oaep", &k.a, 0, msg, 16, NULL, &o),
                 PSH_ERR_PSA_DOES_NOT_EXIST);
    CHECK_EQ_INT(agree(e, "bob", "ecdh-a", PSA_ALGORITHM__ALGORITHM__KEY_AGREEMENT__RAW__ECDH,
                       peer, sizeof peer, &o),
                 PSH_ERR_PSA_DOES_NOT_EXIST);
    /* And the same name under bob's own namespace is his key, not alice's. */
    spec_init(&k, KT_AES, 128, U_ENC | U_DEC, A_CBC);
    REQUIRE(generate(e, "bob", "aes-cbc", &k) == PSH_SUCCESS);
    CHECK_EQ_INT(cipher(e, "alice", "aes-cbc", k.a.alg.cipher, 1, msg, 16, &o), PSH_SUCCESS);
    bytes_out back;
    psh_status st = cipher(e, "bob", "aes-cbc", k.a.alg.cipher, 0, o.buf, o.len, &back);
    /* Another key: bad padding, or (rarely) valid padding around other bytes. */
    CHECK(st == PSH_ERR_PSA_INVALID_PADDING ||
          (st == PSH_SUCCESS && (back.len != 16 || memcmp(back.buf, msg, 16) != 0)));
    /* No identity at all: keyed operations need one. */
    spec_init(&k, KT_AES, 128, U_ENC | U_DEC, A_GCM);
    CHECK_EQ_INT(aead(e, NULL, "kat-gcm-1", &k.a, 1, nonce, 12, NULL, 0, msg, 16, &o),
                 PSH_ERR_NOT_AUTHENTICATED);
}

/* ---- CanDoCrypto -------------------------------------------------------------------------- */

static void test_can_do(psh_engine *e)
{
    key_spec k;
    enum { NONE = 0, USE = 1, GENERATE = 2, IMPORT = 3, DERIVE = 4 };
    spec_init(&k, KT_AES, 128, U_ENC | U_DEC, A_GCM);
    CHECK_EQ_INT(can_do(e, USE, &k), PSH_SUCCESS);
    CHECK_EQ_INT(can_do(e, GENERATE, &k), PSH_SUCCESS);
    CHECK_EQ_INT(can_do(e, IMPORT, &k), PSH_SUCCESS);
    CHECK_EQ_INT(can_do(e, NONE, &k), PSH_ERR_INVALID_ENCODING);
    CHECK_EQ_INT(can_do(e, 9, &k), PSH_ERR_INVALID_ENCODING);
    CHECK_EQ_INT(can_do(e, DERIVE, &k), PSH_ERR_PSA_NOT_SUPPORTED);
    CHECK_EQ_INT(can_do(e, USE, NULL), PSH_ERR_INVALID_ENCODING);
    k.attrs.key_bits = 100; /* no such AES size */
    CHECK_EQ_INT(can_do(e, GENERATE, &k), PSH_ERR_PSA_NOT_SUPPORTED);
    CHECK_EQ_INT(can_do(e, USE, &k), PSH_ERR_PSA_NOT_SUPPORTED);
    spec_init(&k, KT_AES, 128, 0, A_GCM); /* no use flag */
    CHECK_EQ_INT(can_do(e, USE, &k), PSH_ERR_PSA_NOT_SUPPORTED);
    CHECK_EQ_INT(can_do(e, GENERATE, &k), PSH_ERR_PSA_NOT_SUPPORTED);
    spec_init(&k, KT_AES, 128, U_ENC, A_NONE); /* alg None */
    CHECK_EQ_INT(can_do(e, USE, &k), PSH_ERR_PSA_NOT_SUPPORTED);
    CHECK_EQ_INT(can_do(e, GENERATE, &k), PSH_SUCCESS); /* None: no USE check */
    CHECK_EQ_INT(can_do(e, IMPORT, &k), PSH_SUCCESS);
    spec_init(&k, KT_AES, 128, U_SIGNM, A_HMAC256); /* mismatch: 1134, not 1133 (spec 6.4) */
    CHECK_EQ_INT(can_do(e, USE, &k), PSH_ERR_PSA_NOT_SUPPORTED);
    CHECK_EQ_INT(can_do(e, IMPORT, &k), PSH_ERR_PSA_NOT_SUPPORTED);
    spec_init(&k, KT_HMAC, 0, U_SIGNM | U_VERM, A_HMAC256); /* bits 0 = any size */
    CHECK_EQ_INT(can_do(e, USE, &k), PSH_SUCCESS);
    CHECK_EQ_INT(can_do(e, IMPORT, &k), PSH_SUCCESS);
    CHECK_EQ_INT(can_do(e, GENERATE, &k), PSH_ERR_PSA_NOT_SUPPORTED); /* generate needs a size */
    spec_init(&k, KT_ECC, 256, U_DERIVE, A_ECDH); /* derive only: not a USE flag */
    CHECK_EQ_INT(can_do(e, USE, &k), PSH_ERR_PSA_NOT_SUPPORTED);
    spec_init(&k, KT_RSA, 2048, U_ENC | U_DEC, A_OAEP256);
    CHECK_EQ_INT(can_do(e, GENERATE, &k), PSH_SUCCESS);
    k.type.variant_case = PSA_KEY_ATTRIBUTES__KEY_TYPE__VARIANT__NOT_SET;
    CHECK_EQ_INT(can_do(e, USE, &k), PSH_ERR_INVALID_ENCODING);
}

/* ---- ListOpcodes: what a parsec-interface 0.27-0.30 client receives ---------------------- */

/* The Rust client's Opcode enum (spec section 2): everything but 22, 23 and 29. */
static int rust_client_knows(uint32_t op)
{
    return op >= 1 && op <= 32 && op != 22 && op != 23 && op != 29;
}

static void test_list_opcodes_bytes(psh_engine *e)
{
    /* ListOpcodes.Result{opcodes} packed: field 1, wire type 2, length, one varint each. */
    static const uint8_t want_soft[] = {0x0a, 0x16, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                                        0x0a, 0x0b, 0x0c, 0x0d, 0x0f, 0x10, 0x11, 0x12,
                                        0x13, 0x14, 0x15, 0x18, 0x19, 0x1e, 0x1f, 0x20};
    static const uint8_t want_core[] = {0x0a, 0x05, 0x01, 0x08, 0x09, 0x0e, 0x1a};
    ListOpcodes__Operation op = LIST_OPCODES__OPERATION__INIT;
    test_resp r;

    op.provider_id = 1;
    CHECK_EQ_INT(call(e, 0, 9, NULL, &op.base, &r), PSH_SUCCESS);
    CHECK_MEM(r.body, r.body_len, want_soft, sizeof want_soft);
    ListOpcodes__Result *res = list_opcodes__result__unpack(NULL, r.body_len, r.body);
    REQUIRE(res != NULL);
    for (size_t i = 0; i < res->n_opcodes; i++)
        CHECK(rust_client_knows(res->opcodes[i]));
    list_opcodes__result__free_unpacked(res, NULL);
    resp_free(&r);

    op.provider_id = 0;
    CHECK_EQ_INT(call(e, 0, 9, NULL, &op.base, &r), PSH_SUCCESS);
    CHECK_MEM(r.body, r.body_len, want_core, sizeof want_core);
    resp_free(&r);
}

int main(int argc, char **argv)
{
    char data_dir[1024];
    if (argc > 1) {
        snprintf(data_dir, sizeof data_dir, "%s", argv[1]);
    } else { /* run by hand: tests/data beside this file */
        const char *slash = strrchr(__FILE__, '/');
        int n = slash ? (int)(slash - __FILE__) : 1;
        snprintf(data_dir, sizeof data_dir, "%.*s/../data", n, slash ? __FILE__ : ".");
    }
    psh_engine *e = make_engine(0);
    REQUIRE(e != NULL);
    test_known_answers(e, data_dir);
    test_cipher(e);
    test_aead_policy(e);
    test_mac_policy(e);
    test_asymmetric(e);
    test_key_agreement(e);
    test_keyless(e);
    test_garbage_bodies(e);
    test_isolation(e);
    test_can_do(e);
    test_list_opcodes_bytes(e);
    psh_engine_destroy(e);
    test_random_limit();
    CHECK_DONE();
}
