/* psh_conform units: protobuf<->JSON by reflection (checked against the spec 1.6 bytes),
 * variable substitution, every matcher passing and failing, the session validator's bounds,
 * the local signature check, and the recorder's step derivation. */
#include <psa/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "conform.h"
#include "psh/engine.h"
#include "util/psa_lock.h"

static json_t *J(const char *s)
{
    json_t *j = json_loads(s, JSON_DECODE_ANY, NULL);
    if (j == NULL) {
        fprintf(stderr, "bad test JSON: %s\n", s);
        exit(1);
    }
    return j;
}

static int match(const char *m, const char *actual, json_t *vars)
{
    char err[PSH_CF_ERR];
    json_t *jm = J(m), *ja = actual ? J(actual) : NULL;
    int r = psh_cf_match(jm, ja, vars, err, sizeof err);
    json_decref(jm);
    json_decref(ja);
    return r;
}

static void test_pbjson(void)
{
    /* spec 1.6: PsaGenerateKey "my_key", RSA 2048, sign+verify hash, PKCS#1 v1.5 SHA-256 */
    static const char *spec_body =
        "0a066d795f6b657912190a0252001080101a100a0440014801120832060a040a021007";
    json_t *body = J("{\"key_name\":\"my_key\",\"attributes\":{\"key_type\":{\"rsa_key_pair\":{}},"
                     "\"key_bits\":2048,\"key_policy\":{\"key_usage_flags\":{\"sign_hash\":true,"
                     "\"verify_hash\":true},\"key_algorithm\":{\"asymmetric_signature\":"
                     "{\"rsa_pkcs1v15_sign\":{\"hash_alg\":{\"specific\":\"SHA_256\"}}}}}}}");
    const psh_cf_op *op = psh_cf_op_by_name("PsaGenerateKey");
    ProtobufCMessage *m = NULL;
    char err[PSH_CF_ERR];
    uint8_t buf[128];
    size_t n;
    char *hex;
    json_t *back;
    REQUIRE(op != NULL && op->opcode == 2);
    REQUIRE(psh_cf_json_to_pb(op->op_desc, body, &m, err, sizeof err) == 0);
    n = protobuf_c_message_pack(m, buf);
    hex = psh_cf_hex(buf, n);
    CHECK(strcmp(hex, spec_body) == 0);
    back = psh_cf_pb_to_json(m);
    CHECK(json_integer_value(psh_cf_path(back, "attributes.key_bits")) == 2048);
    CHECK(strcmp(json_string_value(psh_cf_path(
                     back, "attributes.key_policy.key_algorithm.asymmetric_signature."
                           "rsa_pkcs1v15_sign.hash_alg.specific")), "SHA_256") == 0);
    CHECK(psh_cf_path(back, "attributes.key_type.ecc_key_pair") == NULL); /* unset oneof */
    json_decref(back);
    free(hex);
    psh_cf_pb_free(m);
    json_decref(body);

    /* refusals, each with a reason */
    static const char *bad[] = {
        "{\"no_such_field\":1}",
        "{\"key_name\":5}",
        "{\"attributes\":{\"key_type\":{\"rsa_key_pair\":{},\"aes\":{}}}}",
        "{\"attributes\":{\"key_policy\":{\"key_algorithm\":{\"hash\":\"SHA_999\"}}}}",
        "{\"attributes\":{\"key_bits\":-1}}",
        "{\"attributes\":{\"key_bits\":4294967296}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *b = J(bad[i]);
        err[0] = '\0';
        m = NULL;
        CHECK(psh_cf_json_to_pb(op->op_desc, b, &m, err, sizeof err) != 0);
        CHECK(m == NULL && err[0] != '\0');
        json_decref(b);
    }
    /* bytes forms */
    {
        uint8_t *b = NULL;
        size_t bl = 0;
        json_t *v = J("{\"fill\":\"ab01\",\"count\":3}");
        CHECK(psh_cf_json_bytes(v, &b, &bl, err, sizeof err) == 0 && bl == 6 && b[4] == 0xab);
        free(b);
        json_decref(v);
        v = J("{\"text\":\"hi\"}");
        CHECK(psh_cf_json_bytes(v, &b, &bl, err, sizeof err) == 0 && bl == 2 && b[0] == 'h');
        free(b);
        json_decref(v);
        v = J("\"0g\"");
        CHECK(psh_cf_json_bytes(v, &b, &bl, err, sizeof err) != 0);
        json_decref(v);
        v = J("{\"fill\":\"00\",\"count\":100000000}");
        CHECK(psh_cf_json_bytes(v, &b, &bl, err, sizeof err) != 0); /* over the cap */
        json_decref(v);
    }
}

static void test_subst_and_match(void)
{
    json_t *vars = J("{\"n\":7,\"s\":\"ab\"}"), *in, *out;
    char err[PSH_CF_ERR];
    in = J("{\"a\":\"${n}\",\"b\":\"x${s}y${n}\",\"c\":[\"${s}\"]}");
    out = psh_cf_subst(in, vars, err, sizeof err);
    REQUIRE(out != NULL);
    CHECK(json_integer_value(json_object_get(out, "a")) == 7); /* whole string keeps the type */
    CHECK(strcmp(json_string_value(json_object_get(out, "b")), "xaby7") == 0);
    CHECK(strcmp(json_string_value(json_array_get(json_object_get(out, "c"), 0)), "ab") == 0);
    json_decref(out);
    json_decref(in);
    in = J("\"${nope}\"");
    CHECK(psh_cf_subst(in, vars, err, sizeof err) == NULL && strstr(err, "nope") != NULL);
    json_decref(in);

    CHECK(match("\"AbCd\"", "\"abcd\"", vars) == 0);            /* hex ignores case */
    CHECK(match("\"Text\"", "\"text\"", vars) != 0);            /* text does not */
    CHECK(match("{\"length\":2}", "\"abcd\"", vars) == 0);
    CHECK(match("{\"length\":3}", "\"abcd\"", vars) != 0);
    CHECK(match("{\"min_length\":2,\"max_length\":2}", "[1,2]", vars) == 0);
    CHECK(match("{\"regex\":\"^a.c$\"}", "\"abc\"", vars) == 0);
    CHECK(match("{\"regex\":\"^a.c$\"}", "\"abcd\"", vars) != 0);
    CHECK(match("{\"not_all_equal\":true}", "\"0001\"", vars) == 0);
    CHECK(match("{\"not_all_equal\":true}", "\"0000\"", vars) != 0);
    CHECK(match("{\"not_all_equal\":true}", "\"00\"", vars) != 0);
    CHECK(match("{\"contains\":[1,9]}", "[9,8,1]", vars) == 0);
    CHECK(match("{\"contains\":2}", "[9,8,1]", vars) != 0);
    CHECK(match("{\"excludes\":2}", "[9,8,1]", vars) == 0);
    CHECK(match("{\"set\":[1,8,9]}", "[9,8,1]", vars) == 0);
    CHECK(match("{\"set\":[1,8]}", "[9,8,1]", vars) != 0);
    CHECK(match("{\"not_equals\":\"00ff\"}", "\"00fe\"", vars) == 0);
    CHECK(match("{\"not_equals\":\"00ff\"}", "\"00FF\"", vars) != 0);
    CHECK(match("{\"any\":true}", NULL, vars) != 0);
    CHECK(match("{\"absent\":true}", NULL, vars) == 0);
    CHECK(match("{\"absent\":true}", "1", vars) != 0);
    CHECK(match("{\"fields\":{\"a.b\":2}}", "{\"a\":{\"b\":2}}", vars) == 0);
    CHECK(match("{\"fields\":{\"a.b\":3}}", "{\"a\":{\"b\":2}}", vars) != 0);
    CHECK(match("{\"bogus\":1}", "1", vars) != 0);
    CHECK(match("{\"capture\":\"c\",\"length\":1}", "\"ff\"", vars) == 0);
    CHECK(strcmp(json_string_value(json_object_get(vars, "c")), "ff") == 0);
    {
        json_t *root = J("{\"p\":[{\"q\":[5,6]}]}");
        CHECK(json_integer_value(psh_cf_path(root, "p[0].q[1]")) == 6);
        CHECK(psh_cf_path(root, "p[1].q") == NULL);
        CHECK(psh_cf_path(root, "p[0.q") == NULL);
        json_decref(root);
    }
    json_decref(vars);
}

static void test_sessions(void)
{
    char err[PSH_CF_ERR], big[12000];
    psh_cf_session *s = NULL;
    static const char *bad[] = {
        "[]",
        "{\"steps\":[{\"op\":\"Ping\"}]}",
        "{\"name\":\"x\",\"steps\":[]}",
        "{\"name\":\"x\",\"name\":\"y\",\"steps\":[{\"op\":\"Ping\"}]}",
        "{\"name\":\"x\",\"steps\":[{\"op\":\"Pong\"}]}",
        "{\"name\":\"x\",\"steps\":[{\"op\":\"Ping\",\"raw\":\"00\"}]}",
        "{\"name\":\"x\",\"steps\":[{\"op\":\"Ping\",\"expect\":{\"status\":\"Fine\"}}]}",
        "{\"name\":\"x\",\"steps\":[{\"op\":\"Ping\",\"expect\":{\"fields\":{\"a\":{\"lenght\":1}}}}]}",
        "{\"name\":\"x\",\"bogus\":1,\"steps\":[{\"op\":\"Ping\"}]}",
        "{\"name\":\"x\",\"steps\":[{\"raw\":\"0z\"}]}",
        "{\"name\":\"x\",\"steps\":[{\"check\":\"verify_signature\"}]}",
        "{\"name\":\"x\",\"steps\":[{\"op\":\"PsaSignHash\",\"body\":{\"hash\":\"zz\"}}]}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        CHECK(psh_cf_session_parse((const uint8_t *)bad[i], strlen(bad[i]), "t", &s, err,
                                   sizeof err) != 0);
        CHECK(s == NULL && err[0] != '\0');
    }
    /* nesting beyond the cap */
    {
        size_t n = 0;
        n += (size_t)snprintf(big, sizeof big, "{\"name\":\"x\",\"vars\":{\"v\":");
        for (int i = 0; i < 40; i++)
            big[n++] = '[';
        for (int i = 0; i < 40; i++)
            big[n++] = ']';
        n += (size_t)snprintf(big + n, sizeof big - n, "},\"steps\":[{\"op\":\"Ping\"}]}");
        CHECK(psh_cf_session_parse((const uint8_t *)big, n, "t", &s, err, sizeof err) != 0);
        CHECK(strstr(err, "nesting") != NULL);
    }
    {
        const char *ok = "{\"name\":\"ok\",\"steps\":[{\"op\":\"PsaGenerateRandom\",\"body\":"
                         "{\"size\":\"${n}\"},\"expect\":{\"fields\":{\"random_bytes\":"
                         "{\"length\":8}}}}]}";
        CHECK(psh_cf_session_parse((const uint8_t *)ok, strlen(ok), "t", &s, err, sizeof err) == 0);
        CHECK(s != NULL && strcmp(s->name, "ok") == 0);
        psh_cf_session_free(s);
    }
}

static void test_verify(void)
{
    psa_key_attributes_t a = PSA_KEY_ATTRIBUTES_INIT;
    psa_key_id_t id = 0;
    uint8_t pub[65], sig[64], hash[32];
    size_t pl = 0, sl = 0;
    char err[PSH_CF_ERR];
    json_t *alg = J("{\"ecdsa\":{\"hash_alg\":{\"specific\":\"SHA_256\"}}}");
    memset(hash, 0x5a, sizeof hash);
    REQUIRE(psh_psa_init() == PSH_SUCCESS);
    psh_psa_lock();
    psa_set_key_type(&a, PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1));
    psa_set_key_bits(&a, 256);
    psa_set_key_usage_flags(&a, PSA_KEY_USAGE_SIGN_HASH);
    psa_set_key_algorithm(&a, PSA_ALG_ECDSA(PSA_ALG_SHA_256));
    CHECK(psa_generate_key(&a, &id) == PSA_SUCCESS);
    CHECK(psa_export_public_key(id, pub, sizeof pub, &pl) == PSA_SUCCESS);
    CHECK(psa_sign_hash(id, PSA_ALG_ECDSA(PSA_ALG_SHA_256), hash, 32, sig, sizeof sig, &sl) ==
          PSA_SUCCESS);
    psa_destroy_key(id);
    psh_psa_unlock();
    CHECK(psh_cf_verify_signature(alg, pub, pl, hash, 32, 0, sig, sl, err, sizeof err) ==
          PSH_SUCCESS);
    sig[10] ^= 1;
    CHECK(psh_cf_verify_signature(alg, pub, pl, hash, 32, 0, sig, sl, err, sizeof err) ==
          PSH_ERR_PSA_INVALID_SIGNATURE);
    CHECK(psh_cf_verify_signature(alg, pub, 10, hash, 32, 0, sig, sl, err, sizeof err) !=
          PSH_SUCCESS);
    json_decref(alg);
}

/* A reply frame: header with opcode/status and a body. */
static size_t reply(uint8_t *out, uint32_t opcode, uint16_t status, const uint8_t *body,
                    size_t blen)
{
    memset(out, 0, 36);
    out[0] = 0x10, out[1] = 0xa7, out[2] = 0xc0, out[3] = 0x5e, out[4] = 30, out[6] = 1;
    out[10] = 1;
    out[22] = (uint8_t)blen;
    out[28] = (uint8_t)opcode;
    out[32] = (uint8_t)status, out[33] = (uint8_t)(status >> 8);
    if (blen > 0)
        memcpy(out + 36, body, blen);
    return 36 + blen;
}

static void test_record(void)
{
    json_t *captures = json_object(), *req, *st;
    uint8_t *frame = NULL, resp[200], body[70];
    size_t flen = 0, rlen;
    char err[PSH_CF_ERR], *dump;
    /* PsaSignHash reply: signature = 64 bytes of 0x11 (field 1, length 64) */
    req = J("{\"op\":\"PsaSignHash\",\"auth\":\"direct:alice\",\"body\":{\"key_name\":\"k\","
            "\"alg\":{\"ecdsa\":{\"hash_alg\":{\"specific\":\"SHA_256\"}}},\"hash\":\"aa\"}}");
    REQUIRE(psh_cf_build_request(req, 1, &frame, &flen, err, sizeof err) == 0);
    body[0] = 0x0a, body[1] = 64;
    memset(body + 2, 0x11, 64);
    rlen = reply(resp, 4, 0, body, 66);
    st = psh_cf_record_step(frame, flen, resp, rlen, 3, captures);
    REQUIRE(st != NULL);
    CHECK(strcmp(json_string_value(json_object_get(st, "auth")), "direct:alice") == 0);
    CHECK(json_integer_value(psh_cf_path(st, "expect.fields.signature.length")) == 64);
    CHECK(strcmp(json_string_value(psh_cf_path(st, "expect.fields.signature.capture")), "sig3") == 0);
    json_decref(st);
    free(frame);
    json_decref(req);
    /* a later verify that sends the signature back refers to the capture */
    {
        char b[400];
        snprintf(b, sizeof b, "{\"op\":\"PsaVerifyHash\",\"auth\":\"direct:alice\",\"body\":"
                              "{\"key_name\":\"k\",\"hash\":\"aa\",\"signature\":\"%s\"}}",
                 "11111111111111111111111111111111111111111111111111111111111111111111111111111111"
                 "111111111111111111111111111111111111111111111111");
        req = J(b);
    }
    REQUIRE(psh_cf_build_request(req, 1, &frame, &flen, err, sizeof err) == 0);
    rlen = reply(resp, 5, 1149, NULL, 0);
    st = psh_cf_record_step(frame, flen, resp, rlen, 4, captures);
    REQUIRE(st != NULL);
    CHECK(strcmp(json_string_value(psh_cf_path(st, "body.signature")), "${sig3}") == 0);
    CHECK(strcmp(json_string_value(psh_cf_path(st, "expect.status")),
                 "PsaErrorInvalidSignature") == 0);
    json_decref(st);
    free(frame);
    json_decref(req);
    /* a frame that is not a symbolic request stays raw, with the reply header checked */
    {
        uint8_t junk[40] = {1, 2, 3};
        rlen = reply(resp, 1, 17, NULL, 0);
        st = psh_cf_record_step(junk, sizeof junk, resp, rlen, 5, captures);
        REQUIRE(st != NULL);
        dump = json_dumps(st, JSON_COMPACT);
        CHECK(json_is_string(json_object_get(st, "raw")));
        CHECK(strcmp(json_string_value(psh_cf_path(st, "expect.status")), "InvalidHeader") == 0);
        free(dump);
        json_decref(st);
    }
    json_decref(captures);
}

int main(void)
{
    test_pbjson();
    test_subst_and_match();
    test_sessions();
    test_verify();
    test_record();
    CHECK_DONE();
}
