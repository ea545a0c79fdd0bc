/* The engine in-process with the soft provider and an in-memory KIM: spec 1.5 rows from
 * step 8 on, the spec 1.6 worked frames, key operations and isolation between applications. */
#include "check.h"
#include "engine_util.h"

#include "list_keys.pb-c.h"
#include "list_opcodes.pb-c.h"
#include "list_providers.pb-c.h"
#include "delete_client.pb-c.h"
#include "list_clients.pb-c.h"
#include "psa_destroy_key.pb-c.h"
#include "psa_export_public_key.pb-c.h"
#include "psa_generate_key.pb-c.h"
#include "psa_sign_hash.pb-c.h"
#include "psa_verify_hash.pb-c.h"

#include <psa/crypto.h>

static psh_engine *make_engine(psh_auth_type auth, const char *admin)
{
    psh_engine_config cfg;
    psh_engine *e = NULL;
    char err[256];
    psh_engine_config_init(&cfg);
    cfg.auth_type = auth;
    cfg.provider_count = 1;
    psh_provider_config_init(&cfg.providers[0], PSH_PROVIDER_MBED_CRYPTO);
    if (admin) {
        cfg.admin_count = 1;
        snprintf(cfg.admins[0], sizeof cfg.admins[0], "%s", admin);
    }
    if (psh_engine_create(&cfg, &e, err, sizeof err) != PSH_SUCCESS)
        fprintf(stderr, "engine: %s\n", err);
    return e;
}

/* ECDSA P-256 key attributes; the nested messages live in the caller's struct. */
typedef struct ecc_attrs {
    PsaKeyAttributes__KeyAttributes attrs;
    PsaKeyAttributes__KeyType type;
    PsaKeyAttributes__KeyType__EccKeyPair ecc;
    PsaKeyAttributes__KeyPolicy policy;
    PsaKeyAttributes__UsageFlags usage;
    PsaAlgorithm__Algorithm alg;
    PsaAlgorithm__Algorithm__AsymmetricSignature sig;
    PsaAlgorithm__Algorithm__AsymmetricSignature__Ecdsa ecdsa;
    PsaAlgorithm__Algorithm__AsymmetricSignature__SignHash sh;
} ecc_attrs;

static void ecc_attrs_init(ecc_attrs *a, int sign, int verify)
{
    psa_key_attributes__key_attributes__init(&a->attrs);
    psa_key_attributes__key_type__init(&a->type);
    psa_key_attributes__key_type__ecc_key_pair__init(&a->ecc);
    psa_key_attributes__key_policy__init(&a->policy);
    psa_key_attributes__usage_flags__init(&a->usage);
    psa_algorithm__algorithm__init(&a->alg);
    psa_algorithm__algorithm__asymmetric_signature__init(&a->sig);
    psa_algorithm__algorithm__asymmetric_signature__ecdsa__init(&a->ecdsa);
    psa_algorithm__algorithm__asymmetric_signature__sign_hash__init(&a->sh);
    a->ecc.curve_family = PSA_KEY_ATTRIBUTES__KEY_TYPE__ECC_FAMILY__SECP_R1;
    a->type.variant_case = PSA_KEY_ATTRIBUTES__KEY_TYPE__VARIANT_ECC_KEY_PAIR;
    a->type.ecc_key_pair = &a->ecc;
    a->sh.variant_case = PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_SIGNATURE__SIGN_HASH__VARIANT_SPECIFIC;
    a->sh.specific = PSA_ALGORITHM__ALGORITHM__HASH__SHA_256;
    a->ecdsa.hash_alg = &a->sh;
    a->sig.variant_case = PSA_ALGORITHM__ALGORITHM__ASYMMETRIC_SIGNATURE__VARIANT_ECDSA;
    a->sig.ecdsa = &a->ecdsa;
    a->alg.variant_case = PSA_ALGORITHM__ALGORITHM__VARIANT_ASYMMETRIC_SIGNATURE;
    a->alg.asymmetric_signature = &a->sig;
    a->usage.sign_hash = sign;
    a->usage.verify_hash = verify;
    a->policy.key_usage_flags = &a->usage;
    a->policy.key_algorithm = &a->alg;
    a->attrs.key_type = &a->type;
    a->attrs.key_bits = 256;
    a->attrs.key_policy = &a->policy;
}

static psh_status generate(psh_engine *e, const char *app, const char *name, ecc_attrs *a)
{
    PsaGenerateKey__Operation op = PSA_GENERATE_KEY__OPERATION__INIT;
    test_resp r;
    op.key_name = (char *)name;
    op.attributes = &a->attrs;
    psh_status st = call(e, 1, 2, app, &op.base, &r);
    resp_free(&r);
    return st;
}

static psh_status sign(psh_engine *e, const char *app, const char *name, ecc_attrs *a,
                       uint8_t *sig, size_t *sig_len)
{
    PsaSignHash__Operation op = PSA_SIGN_HASH__OPERATION__INIT;
    uint8_t hash[32];
    test_resp r;
    memset(hash, 0x5a, sizeof hash);
    op.key_name = (char *)name;
    op.alg = &a->sig;
    op.hash.data = hash;
    op.hash.len = sizeof hash;
    psh_status st = call(e, 1, 4, app, &op.base, &r);
    if (st == PSH_SUCCESS && sig != NULL) {
        PsaSignHash__Result *res = psa_sign_hash__result__unpack(NULL, r.body_len, r.body);
        REQUIRE(res != NULL);
        memcpy(sig, res->signature.data, res->signature.len);
        *sig_len = res->signature.len;
        psa_sign_hash__result__free_unpacked(res, NULL);
    }
    resp_free(&r);
    return st;
}

static psh_status verify(psh_engine *e, const char *app, const char *name, ecc_attrs *a,
                         const uint8_t *sig, size_t sig_len)
{
    PsaVerifyHash__Operation op = PSA_VERIFY_HASH__OPERATION__INIT;
    uint8_t hash[32];
    test_resp r;
    memset(hash, 0x5a, sizeof hash);
    op.key_name = (char *)name;
    op.alg = &a->sig;
    op.hash.data = hash;
    op.hash.len = sizeof hash;
    op.signature.data = (uint8_t *)sig;
    op.signature.len = sig_len;
    psh_status st = call(e, 1, 5, app, &op.base, &r);
    resp_free(&r);
    return st;
}

static psh_status destroy(psh_engine *e, const char *app, const char *name)
{
    PsaDestroyKey__Operation op = PSA_DESTROY_KEY__OPERATION__INIT;
    test_resp r;
    op.key_name = (char *)name;
    psh_status st = call(e, 1, 3, app, &op.base, &r);
    resp_free(&r);
    return st;
}

static size_t list_key_count(psh_engine *e, const char *app)
{
    test_resp r;
    size_t n = 0;
    if (call(e, 0, 26, app, NULL, &r) == PSH_SUCCESS) {
        ListKeys__Result *res = list_keys__result__unpack(NULL, r.body_len, r.body);
        if (res != NULL) {
            n = res->n_keys;
            list_keys__result__free_unpacked(res, NULL);
        }
    }
    resp_free(&r);
    return n;
}

static void test_ping_bytes(psh_engine *e)
{
    unsigned char req[64], want[64];
    int n = hex_to_bytes("10a7c05e1e00010000000000000000000000000000000000000000000100000000000000", req, sizeof req);
    int m = hex_to_bytes("10a7c05e1e000100000000000000000000000000000002000000000001000000000000000801", want, sizeof want);
    test_resp r;
    CHECK_EQ_INT(run_frame(e, req, (size_t)n, NULL, &r), PSH_SUCCESS);
    CHECK_MEM(r.frame, r.len, want, (size_t)m);
    resp_free(&r);
}

/* The spec 1.6 PsaGenerateKey frame, then ListKeys echoes the attributes with the implied
 * message flags (the 0.27.0 converter's bytes). */
static void test_generate_worked_frame(psh_engine *e)
{
    unsigned char f[128], attrs[64];
    int n = hex_to_bytes(
        "10a7c05e1e00010000000100000000000000000000012300000004000200000000000000"
        "0a066d795f6b657912190a025200108010" "1a100a0440014801120832060a040a021007" "61707031",
        f, sizeof f);
    int an = hex_to_bytes("0a025200108010" "1a140a083001380140014801120832060a040a021007", attrs,
                          sizeof attrs);
    test_resp r;
    REQUIRE(n == 36 + 35 + 4);
    CHECK_EQ_INT(run_frame(e, f, (size_t)n, NULL, &r), PSH_SUCCESS);
    CHECK_EQ_INT(r.hdr.opcode, 2);
    CHECK_EQ_INT(r.hdr.provider, 1);
    CHECK_EQ_INT(r.hdr.body_len, 0);
    resp_free(&r);

    CHECK_EQ_INT(call(e, 0, 26, "app1", NULL, &r), PSH_SUCCESS);
    ListKeys__Result *res = list_keys__result__unpack(NULL, r.body_len, r.body);
    REQUIRE(res != NULL && res->n_keys == 1);
    CHECK(strcmp(res->keys[0]->name, "my_key") == 0);
    CHECK_EQ_INT(res->keys[0]->provider_id, 1);
    uint8_t packed[64];
    size_t plen = psa_key_attributes__key_attributes__get_packed_size(res->keys[0]->attributes);
    REQUIRE(plen <= sizeof packed);
    psa_key_attributes__key_attributes__pack(res->keys[0]->attributes, packed);
    CHECK_MEM(packed, plen, attrs, (size_t)an);
    list_keys__result__free_unpacked(res, NULL);
    resp_free(&r);
    CHECK_EQ_INT(destroy(e, "app1", "my_key"), PSH_SUCCESS);
}

typedef struct step_case {
    const char *desc;
    int off;        /* header byte to patch, -1 none */
    uint8_t val;
    uint32_t opcode;
    uint8_t provider;
    const char *auth; /* Direct auth bytes (NULL = NoAuth) */
    const char *body_hex;
    psh_status want;
    int default_header;
} step_case;

static void test_processing_order(psh_engine *e)
{
    static const step_case cases[] = {
        {"8a content type", 19, 1, 1, 0, NULL, "", PSH_ERR_CONTENT_TYPE_NOT_SUPPORTED, 1},
        {"8b accept type", 20, 1, 1, 0, NULL, "", PSH_ERR_ACCEPT_TYPE_NOT_SUPPORTED, 1},
        {"8c auth type 5", 21, 5, 1, 0, NULL, "", PSH_ERR_AUTHENTICATOR_DOES_NOT_EXIST, 1},
        {"8d opcode 29", -1, 0, 29, 0, NULL, "", PSH_ERR_OPCODE_DOES_NOT_EXIST, 1},
        {"8d opcode 0", -1, 0, 0, 0, NULL, "", PSH_ERR_OPCODE_DOES_NOT_EXIST, 1},
        {"8d opcode 0x10001", -1, 0, 0x10001, 0, NULL, "", PSH_ERR_OPCODE_DOES_NOT_EXIST, 1},
        {"8e provider 6", -1, 0, 1, 6, NULL, "", PSH_ERR_PROVIDER_DOES_NOT_EXIST, 1},
        {"9 JWT auth not registered", 21, 2, 1, 0, NULL, "", PSH_ERR_AUTHENTICATOR_NOT_REGISTERED, 0},
        {"9 peer creds not registered", 21, 3, 1, 0, NULL, "", PSH_ERR_AUTHENTICATOR_NOT_REGISTERED, 0},
        {"10 empty Direct name", 21, 1, 1, 0, NULL, "", PSH_ERR_AUTHENTICATION_ERROR, 0},
        {"10 non-UTF-8 Direct name", -1, 0, 1, 0, "\xff\xfe", "", PSH_ERR_AUTHENTICATION_ERROR, 0},
        {"11 provider not running", -1, 0, 2, 2, "a", "", PSH_ERR_PROVIDER_NOT_REGISTERED, 0},
        {"12 core op to provider 1", -1, 0, 1, 1, NULL, "", PSH_ERR_PSA_NOT_SUPPORTED, 0},
        {"12 crypto op to core", -1, 0, 2, 0, "a", "", PSH_ERR_PSA_NOT_SUPPORTED, 0},
        {"14 admin op without auth", -1, 0, 27, 0, NULL, "", PSH_ERR_NOT_AUTHENTICATED, 0},
        {"14 admin op by non-admin", -1, 0, 27, 0, "mallory", "", PSH_ERR_ADMIN_OPERATION, 0},
        {"15 mangled ping body", -1, 0, 1, 0, NULL, "ffffffff", PSH_ERR_DESERIALIZING_BODY_FAILED, 0},
        {"15 truncated field", -1, 0, 3, 1, "a", "0a05616263", PSH_ERR_DESERIALIZING_BODY_FAILED, 0},
        {"15 key name not UTF-8", -1, 0, 3, 1, "a", "0a02c328", PSH_ERR_DESERIALIZING_BODY_FAILED, 0},
        {"16 key name with NUL", -1, 0, 3, 1, "a", "0a0362006f", PSH_ERR_INVALID_ENCODING, 0},
        {"16 generate without attributes", -1, 0, 2, 1, "a", "0a016b", PSH_ERR_INVALID_ENCODING, 0},
        {"16 unset algorithm oneof", -1, 0, 4, 1, "a", "0a016b1200", PSH_ERR_INVALID_ENCODING, 0},
        {"16 HASH_NONE in signature", -1, 0, 4, 1, "a", "0a016b120622040a021000", PSH_ERR_INVALID_ENCODING, 0},
        {"16 unknown enum value", -1, 0, 4, 1, "a", "0a016b120622040a021063", PSH_ERR_INVALID_ENCODING, 0},
        {"17 keyed op without auth", -1, 0, 3, 1, NULL, "0a016b", PSH_ERR_NOT_AUTHENTICATED, 0},
        {"17 ListKeys without auth", -1, 0, 26, 0, NULL, "", PSH_ERR_NOT_AUTHENTICATED, 0},
        {"18 unknown key", -1, 0, 3, 1, "a", "0a016b", PSH_ERR_PSA_DOES_NOT_EXIST, 0},
        {"flags are ignored", 8, 0xff, 1, 0, NULL, "", PSH_SUCCESS, 0},
        {"status in request ignored", 32, 7, 1, 0, NULL, "", PSH_SUCCESS, 0},
        {"unknown fields skipped", -1, 0, 1, 0, NULL, "f8070a", PSH_SUCCESS, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const step_case *c = &cases[i];
        uint8_t body[64], *frame;
        size_t len;
        int blen = hex_to_bytes(c->body_hex, body, sizeof body);
        psh_wire_header h;
        test_resp r;
        memset(&h, 0, sizeof h);
        h.magic = PSH_WIRE_MAGIC;
        h.hdr_size = 30;
        h.version_maj = 1;
        h.provider = c->provider;
        h.session = 0x1122334455667788ull;
        h.auth_type = c->auth ? 1 : 0;
        h.body_len = (uint32_t)blen;
        h.auth_len = (uint16_t)(c->auth ? strlen(c->auth) : 0);
        h.opcode = c->opcode;
        psh_wire_build_frame(&h, body, (size_t)blen, (const uint8_t *)c->auth, h.auth_len, &frame,
                             &len);
        if (c->off >= 0)
            frame[c->off] = c->val;
        psh_status st = run_frame(e, frame, len, NULL, &r);
        if (st != c->want)
            fprintf(stderr, "case '%s': got %d want %d\n", c->desc, st, c->want);
        CHECK_EQ_INT(st, c->want);
        CHECK_EQ_INT(r.hdr.status, c->want);
        if (c->default_header) {
            CHECK_EQ_INT(r.hdr.opcode, 1);
            CHECK_EQ_INT(r.hdr.session, 0);
            CHECK_EQ_INT(r.hdr.provider, 0);
        } else {
            CHECK_EQ_INT(r.hdr.opcode, c->opcode);
            CHECK(r.hdr.session == 0x1122334455667788ull);
        }
        if (st != PSH_SUCCESS)
            CHECK_EQ_INT(r.hdr.body_len, 0);
        resp_free(&r);
        psh_free(frame);
    }
}

static void test_sign_verify_isolation(psh_engine *e)
{
    ecc_attrs a;
    uint8_t sig[128];
    size_t sig_len = 0;
    ecc_attrs_init(&a, 1, 1);

    CHECK_EQ_INT(generate(e, "alice", "k1", &a), PSH_SUCCESS);
    CHECK_EQ_INT(generate(e, "alice", "k1", &a), PSH_ERR_PSA_ALREADY_EXISTS);
    CHECK_EQ_INT(sign(e, "alice", "k1", &a, sig, &sig_len), PSH_SUCCESS);
    CHECK_EQ_INT(sig_len, 64);
    CHECK_EQ_INT(verify(e, "alice", "k1", &a, sig, sig_len), PSH_SUCCESS);
    sig[10] ^= 1;
    CHECK_EQ_INT(verify(e, "alice", "k1", &a, sig, sig_len), PSH_ERR_PSA_INVALID_SIGNATURE);
    sig[10] ^= 1;

    /* Bob sees nothing of alice's, and may use the same name for his own key. */
    CHECK_EQ_INT(list_key_count(e, "bob"), 0);
    CHECK_EQ_INT(sign(e, "bob", "k1", &a, NULL, NULL), PSH_ERR_PSA_DOES_NOT_EXIST);
    CHECK_EQ_INT(verify(e, "bob", "k1", &a, sig, sig_len), PSH_ERR_PSA_DOES_NOT_EXIST);
    CHECK_EQ_INT(destroy(e, "bob", "k1"), PSH_ERR_PSA_DOES_NOT_EXIST);
    CHECK_EQ_INT(generate(e, "bob", "k1", &a), PSH_SUCCESS);
    CHECK_EQ_INT(verify(e, "bob", "k1", &a, sig, sig_len), PSH_ERR_PSA_INVALID_SIGNATURE);
    CHECK_EQ_INT(list_key_count(e, "alice"), 1);
    CHECK_EQ_INT(list_key_count(e, "bob"), 1);

    /* Policy: a verify-only key cannot sign; a different hash is not permitted. */
    ecc_attrs vo;
    ecc_attrs_init(&vo, 0, 1);
    CHECK_EQ_INT(generate(e, "alice", "verify-only", &vo), PSH_SUCCESS);
    CHECK_EQ_INT(sign(e, "alice", "verify-only", &vo, NULL, NULL), PSH_ERR_PSA_NOT_PERMITTED);
    ecc_attrs other = a;
    ecc_attrs_init(&other, 1, 1);
    other.sh.specific = PSA_ALGORITHM__ALGORITHM__HASH__SHA_384;
    CHECK_EQ_INT(sign(e, "alice", "k1", &other, NULL, NULL), PSH_ERR_PSA_NOT_PERMITTED);

    /* Admin operations: only the admin may list or delete clients; DeleteClient removes only
     * that client's keys. */
    test_resp r;
    CHECK_EQ_INT(call(e, 0, 27, "alice", NULL, &r), PSH_ERR_ADMIN_OPERATION);
    resp_free(&r);
    CHECK_EQ_INT(call(e, 0, 27, "root-admin", NULL, &r), PSH_SUCCESS);
    ListClients__Result *lc = list_clients__result__unpack(NULL, r.body_len, r.body);
    REQUIRE(lc != NULL);
    CHECK_EQ_INT(lc->n_clients, 2);
    CHECK(lc->n_clients == 2 && strcmp(lc->clients[0], "alice") == 0 &&
          strcmp(lc->clients[1], "bob") == 0);
    list_clients__result__free_unpacked(lc, NULL);
    resp_free(&r);
    DeleteClient__Operation dc = DELETE_CLIENT__OPERATION__INIT;
    dc.client = (char *)"bob";
    CHECK_EQ_INT(call(e, 0, 28, "mallory", &dc.base, &r), PSH_ERR_ADMIN_OPERATION);
    resp_free(&r);
    CHECK_EQ_INT(list_key_count(e, "bob"), 1);
    CHECK_EQ_INT(call(e, 0, 28, "root-admin", &dc.base, &r), PSH_SUCCESS);
    resp_free(&r);
    CHECK_EQ_INT(list_key_count(e, "bob"), 0);
    CHECK_EQ_INT(list_key_count(e, "alice"), 2);

    CHECK_EQ_INT(destroy(e, "alice", "k1"), PSH_SUCCESS);
    CHECK_EQ_INT(destroy(e, "alice", "k1"), PSH_ERR_PSA_DOES_NOT_EXIST);
    CHECK_EQ_INT(destroy(e, "alice", "verify-only"), PSH_SUCCESS);
}

static void test_list_opcodes_providers(psh_engine *e)
{
    ListOpcodes__Operation op = LIST_OPCODES__OPERATION__INIT;
    test_resp r;
    op.provider_id = 0;
    CHECK_EQ_INT(call(e, 0, 9, NULL, &op.base, &r), PSH_SUCCESS);
    ListOpcodes__Result *res = list_opcodes__result__unpack(NULL, r.body_len, r.body);
    REQUIRE(res != NULL);
    CHECK_EQ_INT(res->n_opcodes, 5);
    list_opcodes__result__free_unpacked(res, NULL);
    resp_free(&r);
    op.provider_id = 3;
    CHECK_EQ_INT(call(e, 0, 9, NULL, &op.base, &r), PSH_ERR_PROVIDER_NOT_REGISTERED);
    resp_free(&r);
    op.provider_id = 9;
    CHECK_EQ_INT(call(e, 0, 9, NULL, &op.base, &r), PSH_ERR_PROVIDER_DOES_NOT_EXIST);
    resp_free(&r);

    CHECK_EQ_INT(call(e, 0, 8, NULL, NULL, &r), PSH_SUCCESS);
    ListProviders__Result *lp = list_providers__result__unpack(NULL, r.body_len, r.body);
    REQUIRE(lp != NULL && lp->n_providers == 2);
    CHECK(strcmp(lp->providers[0]->uuid, "1c1139dc-ad7c-47dc-ad6b-db6fdb466552") == 0);
    CHECK_EQ_INT(lp->providers[0]->id, 1);
    CHECK(strcmp(lp->providers[1]->uuid, "47049873-2a43-4845-9d72-831eab668784") == 0);
    CHECK_EQ_INT(lp->providers[1]->id, 0);
    list_providers__result__free_unpacked(lp, NULL);
    resp_free(&r);
}

static void test_peer_credentials(void)
{
    psh_engine *e = make_engine(PSH_AUTH_UNIX_PEER_CREDENTIALS, NULL);
    psh_peer me = {1, 1000, 1000, 42};
    uint8_t *f;
    size_t len;
    test_resp r;
    REQUIRE(e != NULL);
    f = build_frame(0, 26, 3, "\xe8\x03\x00\x00", 4, NULL, &len);
    CHECK_EQ_INT(run_frame(e, f, len, &me, &r), PSH_SUCCESS);
    resp_free(&r);
    me.uid = 1001; /* claims uid 1000 from a uid-1001 socket */
    CHECK_EQ_INT(run_frame(e, f, len, &me, &r), PSH_ERR_AUTHENTICATION_ERROR);
    resp_free(&r);
    CHECK_EQ_INT(run_frame(e, f, len, NULL, &r), PSH_ERR_AUTHENTICATION_ERROR);
    resp_free(&r);
    psh_free(f);
    f = build_frame(0, 26, 3, "\xe8\x03\x00", 3, NULL, &len);
    me.uid = 1000;
    CHECK_EQ_INT(run_frame(e, f, len, &me, &r), PSH_ERR_AUTHENTICATION_ERROR);
    resp_free(&r);
    psh_free(f);
    /* Direct is not registered when UnixPeerCredentials is configured. */
    f = build_frame(0, 26, 1, "1000", 4, NULL, &len);
    CHECK_EQ_INT(run_frame(e, f, len, &me, &r), PSH_ERR_AUTHENTICATOR_NOT_REGISTERED);
    resp_free(&r);
    psh_free(f);
    psh_engine_destroy(e);
}

int main(void)
{
    psh_engine *e = make_engine(PSH_AUTH_DIRECT, "root-admin");
    REQUIRE(e != NULL);
    test_ping_bytes(e);
    test_generate_worked_frame(e);
    test_processing_order(e);
    test_sign_verify_isolation(e);
    test_list_opcodes_providers(e);
    psh_engine_destroy(e);
    test_peer_credentials();
    CHECK_DONE();
}
