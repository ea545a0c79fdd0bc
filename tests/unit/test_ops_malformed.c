/* Malformed and missing fields, operation by operation (tests/data/ops_malformed.data): a body
 * that is not valid protobuf for its opcode gets DeserializingBodyFailed (spec 1.5 step 15);
 * one that decodes but breaks a rule of spec 5.1 (mandatory sub-message missing, oneof unset,
 * *_NONE or unknown enum value) gets InvalidEncoding (step 16). The key named in the bodies does
 * not exist, so a status past those steps (DoesNotExist) shows the check was skipped. Each
 * case then gets the same body with a valid shape to prove the frame itself was fine. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "engine_util.h"
#include "psh/engine.h"

static psh_engine *make_engine(void)
{
    psh_engine_config cfg;
    psh_engine *e = NULL;
    char err[256];
    psh_engine_config_init(&cfg);
    cfg.auth_type = PSH_AUTH_DIRECT;
    cfg.provider_count = 1;
    psh_provider_config_init(&cfg.providers[0], PSH_PROVIDER_MBED_CRYPTO);
    if (psh_engine_create(&cfg, &e, err, sizeof err) != PSH_SUCCESS)
        fprintf(stderr, "engine: %s\n", err);
    return e;
}

/* Sends body (raw bytes) as opcode to provider with Direct auth "alice". */
static psh_status send_raw(psh_engine *e, uint8_t provider, uint32_t opcode, const uint8_t *body,
                           size_t len)
{
    psh_wire_header h;
    uint8_t *frame = NULL;
    size_t flen = 0;
    test_resp r;
    psh_status st;

    memset(&h, 0, sizeof h);
    h.magic = PSH_WIRE_MAGIC;
    h.hdr_size = PSH_WIRE_HDR_SIZE_FIELD;
    h.version_maj = 1;
    h.provider = provider;
    h.opcode = opcode;
    h.auth_type = 1;
    h.auth_len = 5;
    h.body_len = (uint32_t)len;
    if (psh_wire_build_frame(&h, body, len, (const uint8_t *)"alice", 5, &frame, &flen) !=
        PSH_SUCCESS)
        return PSH_ERR_CORRUPTION;
    st = run_frame(e, frame, flen, NULL, &r);
    /* The reply echoes the request's opcode and provider (spec 1.5: past the header checks). */
    CHECK_EQ_INT(r.hdr.opcode, opcode);
    CHECK_EQ_INT(r.hdr.provider, provider);
    CHECK_EQ_INT(r.body_len, 0);
    resp_free(&r);
    psh_free(frame);
    return st;
}

static int run_cases(psh_engine *e, const char *data_dir, int counts[2])
{
    char path[1200], line[4096], status[64], hex[2048];
    unsigned op, provider;
    int desc_off = 0, cases = 0;
    static uint8_t body[1024];
    FILE *fp;

    snprintf(path, sizeof path, "%s/ops_malformed.data", data_dir);
    fp = fopen(path, "r");
    REQUIRE(fp != NULL);
    while (fgets(line, sizeof line, fp) != NULL) {
        int n;
        size_t len = 0;
        if (line[0] == '#' || line[0] == '\n')
            continue;
        n = sscanf(line, "%u %u %63s %2047s %n", &op, &provider, status, hex, &desc_off);
        if (n != 4 || op > 255 || provider > 255) {
            fprintf(stderr, "ops_malformed.data: bad line: %s", line);
            CHECK(0);
            continue;
        }
        if (strcmp(hex, "-") != 0) {
            int got = hex_to_bytes(hex, body, sizeof body);
            REQUIRE(got >= 0);
            len = (size_t)got;
        }
        line[strcspn(line, "\n")] = '\0';
        psh_status st = send_raw(e, (uint8_t)provider, op, body, len);
        const char *name = psh_status_name(st);
        if (name == NULL || strcmp(name, status) != 0) {
            fprintf(stderr, "ops_malformed.data: %s: got %s (%d), want %s\n", line + desc_off,
                    name != NULL ? name : "?", (int)st, status);
            CHECK(0);
        } else {
            check_passed++;
        }
        counts[strcmp(status, "InvalidEncoding") == 0]++;
        cases++;
    }
    fclose(fp);
    return cases;
}

/* The same shapes made valid reach the key lookup: the frames were fine, only the fields
 * were not. */
static void test_valid_shapes_reach_lookup(psh_engine *e)
{
    static const uint8_t sign_hash[] = {0x0a, 0x01, 'k', 0x12, 0x06, 0x22, 0x04, 0x0a, 0x02,
                                        0x10, 0x07, 0x1a, 0x02, 0x00, 0x00};
    static const uint8_t destroy[] = {0x0a, 0x01, 'k'};
    static const uint8_t cipher[] = {0x0a, 0x01, 'k', 0x10, 0x08, 0x1a, 0x01, 0x00};
    static const uint8_t mac[] = {0x0a, 0x01, 'k', 0x12, 0x06, 0x0a, 0x04, 0x0a, 0x02,
                                  0x08, 0x07, 0x1a, 0x01, 'a'};
    CHECK_EQ_INT(send_raw(e, 1, 4, sign_hash, sizeof sign_hash), PSH_ERR_PSA_DOES_NOT_EXIST);
    CHECK_EQ_INT(send_raw(e, 1, 3, destroy, sizeof destroy), PSH_ERR_PSA_DOES_NOT_EXIST);
    CHECK_EQ_INT(send_raw(e, 1, 20, cipher, sizeof cipher), PSH_ERR_PSA_DOES_NOT_EXIST);
    CHECK_EQ_INT(send_raw(e, 1, 22, mac, sizeof mac), PSH_ERR_PSA_DOES_NOT_EXIST);
}

int main(int argc, char **argv)
{
    char data_dir[1024];
    int counts[2] = {0, 0};
    if (argc > 1) {
        snprintf(data_dir, sizeof data_dir, "%s", argv[1]);
    } else { /* run by hand: tests/data beside this file */
        const char *slash = strrchr(__FILE__, '/');
        int n = slash ? (int)(slash - __FILE__) : 1;
        snprintf(data_dir, sizeof data_dir, "%.*s/../data", n, slash ? __FILE__ : ".");
    }
    psh_engine *e = make_engine();
    REQUIRE(e != NULL);
    int cases = run_cases(e, data_dir, counts);
    CHECK(cases >= 100);
    CHECK(counts[0] >= 30 && counts[1] >= 50); /* both kinds well covered */
    test_valid_shapes_reach_lookup(e);
    psh_engine_destroy(e);
    CHECK_DONE();
}
