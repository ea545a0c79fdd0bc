/* Regression: fuzz_wire_diff found that a body holding protobuf field number 0 (here inside
 * KeyAttributes, as an over-long varint key 80 00) reached the provider. The wire format
 * forbids field 0; the request must fail decoding (DeserializingBodyFailed). */
#include "check.h"
#include "engine_util.h"

int main(void)
{
    psh_engine_config cfg;
    psh_engine *e = NULL;
    unsigned char f[128];
    test_resp r;
    int n = hex_to_bytes("10a7c05e1e00010000000100000000000000000000012300000004000200000000000000"
                         "0a066d795f6b657912190a026a00800000" "1a100a0440014801120832060a040a021007"
                         "61707031", f, sizeof f);
    psh_engine_config_init(&cfg);
    cfg.auth_type = PSH_AUTH_DIRECT;
    cfg.provider_count = 1;
    psh_provider_config_init(&cfg.providers[0], PSH_PROVIDER_MBED_CRYPTO);
    REQUIRE(psh_engine_create(&cfg, &e, NULL, 0) == PSH_SUCCESS);
    REQUIRE(n == 36 + 35 + 4);
    CHECK_EQ_INT(run_frame(e, f, (size_t)n, NULL, &r), PSH_ERR_DESERIALIZING_BODY_FAILED);
    resp_free(&r);
    /* Field 0 at the top level of a Ping body, and the largest legal field number skipped. */
    uint8_t *frame;
    size_t len;
    frame = build_frame(0, 1, 0, NULL, 0, NULL, &len);
    uint8_t bad[64], good[64];
    memcpy(bad, frame, 36);
    memcpy(good, frame, 36);
    psh_free(frame);
    bad[22] = 2; memcpy(bad + 36, "\x00\x00", 2);
    CHECK_EQ_INT(run_frame(e, bad, 38, NULL, &r), PSH_ERR_DESERIALIZING_BODY_FAILED);
    resp_free(&r);
    good[22] = 6; memcpy(good + 36, "\xf8\xff\xff\xff\x0f\x01", 6); /* field 2^29-1, varint 1 */
    CHECK_EQ_INT(run_frame(e, good, 42, NULL, &r), PSH_SUCCESS);
    resp_free(&r);
    psh_engine_destroy(e);
    CHECK_DONE();
}
