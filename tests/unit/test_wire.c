/* Header codec against the worked bytes of spec 1.6, and the frame checks of spec 1.5
 * steps 1-7 (wire level). The engine-level rows of the table are in test_engine.c. */
#include "check.h"

#include "wire/wire.h"

static const char *PING_REQ =
    "10a7c05e1e00010000000000000000000000000000000000000000000100000000000000";
static const char *PING_RESP =
    "10a7c05e1e000100000000000000000000000000000002000000000001000000000000000801";
static const char *GEN_HDR =
    "10a7c05e1e00010000000100000000000000000000012300000004000200000000000000";

static void test_worked_bytes(void)
{
    unsigned char buf[128], out[PSH_WIRE_HEADER_SIZE];
    psh_wire_header h;
    int n;

    n = hex_to_bytes(PING_REQ, buf, sizeof buf);
    REQUIRE(n == 36);
    REQUIRE(psh_wire_header_decode(buf, (size_t)n, &h) == 0);
    CHECK_EQ_INT(h.magic, 0x5EC0A710u);
    CHECK_EQ_INT(h.hdr_size, 30);
    CHECK_EQ_INT(h.version_maj, 1);
    CHECK_EQ_INT(h.version_min, 0);
    CHECK_EQ_INT(h.opcode, 1);
    CHECK_EQ_INT(h.body_len, 0);
    psh_wire_header_encode(&h, out);
    CHECK_MEM(out, sizeof out, buf, 36);

    n = hex_to_bytes(PING_RESP, buf, sizeof buf);
    REQUIRE(n == 38);
    REQUIRE(psh_wire_header_decode(buf, (size_t)n, &h) == 0);
    CHECK_EQ_INT(h.body_len, 2);
    CHECK_EQ_INT(h.status, 0);
    /* What we build for a Ping reply equals the reference's bytes. */
    psh_wire_header req, resp;
    psh_wire_header_decode((const unsigned char *)buf, 36, &req);
    req.body_len = 0;
    psh_wire_response_header(&req, 0, 2, &resp);
    psh_wire_header_encode(&resp, out);
    CHECK_MEM(out, sizeof out, buf, 36);

    n = hex_to_bytes(GEN_HDR, buf, sizeof buf);
    REQUIRE(n == 36);
    psh_wire_header_decode(buf, 36, &h);
    CHECK_EQ_INT(h.provider, 1);
    CHECK_EQ_INT(h.auth_type, 1);
    CHECK_EQ_INT(h.body_len, 35);
    CHECK_EQ_INT(h.auth_len, 4);
    CHECK_EQ_INT(h.opcode, 2);
    psh_wire_header_encode(&h, out);
    CHECK_MEM(out, sizeof out, buf, 36);

    CHECK(psh_wire_header_decode(buf, 35, &h) == -1);
}

static void test_default_header(void)
{
    psh_wire_header h;
    unsigned char out[PSH_WIRE_HEADER_SIZE];
    psh_wire_default_header(PSH_ERR_INVALID_HEADER, &h);
    psh_wire_header_encode(&h, out);
    CHECK_EQ_INT(h.opcode, 1);
    CHECK_EQ_INT(h.session, 0);
    CHECK_EQ_INT(h.provider, 0);
    CHECK_EQ_INT(out[32], 17);
    CHECK_EQ_INT(out[33], 0);
}

/* Spec 1.5 steps 1-7 on raw bytes. */
static void test_frame_checks(void)
{
    unsigned char base[64], f[64];
    psh_wire_request wr;
    size_t need;
    int n = hex_to_bytes(PING_REQ, base, sizeof base);
    REQUIRE(n == 36);

    memcpy(f, base, 36);
    CHECK_EQ_INT(psh_wire_parse_request(f, 36, 1 << 20, &wr), PSH_SUCCESS);

    memcpy(f, base, 36); f[0] ^= 1; /* step 1: magic */
    CHECK_EQ_INT(psh_wire_parse_request(f, 36, 1 << 20, &wr), PSH_ERR_INVALID_HEADER);
    /* A bad magic is known after 4 bytes: nothing more is read. */
    CHECK_EQ_INT(psh_wire_frame_size(f, 4, 1 << 20, &need), PSH_ERR_INVALID_HEADER);

    memcpy(f, base, 36); f[4] = 29; /* step 2: hdr_size, checked once hdr_size bytes arrived */
    CHECK_EQ_INT(psh_wire_parse_request(f, 36, 1 << 20, &wr), PSH_ERR_INVALID_HEADER);
    memcpy(f, base, 36); f[4] = 0xff; f[5] = 0xff; /* huge hdr_size on a short stream */
    CHECK_EQ_INT(psh_wire_parse_request(f, 36, 1 << 20, &wr), PSH_ERR_CONNECTION_ERROR);

    memcpy(f, base, 36); f[6] = 2; /* step 3: version */
    CHECK_EQ_INT(psh_wire_parse_request(f, 36, 1 << 20, &wr),
                 PSH_ERR_WIRE_PROTOCOL_VERSION_NOT_SUPPORTED);
    memcpy(f, base, 36); f[7] = 1;
    CHECK_EQ_INT(psh_wire_parse_request(f, 36, 1 << 20, &wr),
                 PSH_ERR_WIRE_PROTOCOL_VERSION_NOT_SUPPORTED);

    memcpy(f, base, 36); f[34] = 1; /* step 4: reserved */
    CHECK_EQ_INT(psh_wire_parse_request(f, 36, 1 << 20, &wr), PSH_ERR_INVALID_HEADER);
    memcpy(f, base, 36); f[35] = 1;
    CHECK_EQ_INT(psh_wire_parse_request(f, 36, 1 << 20, &wr), PSH_ERR_INVALID_HEADER);

    memcpy(f, base, 36); f[22] = 0x01; f[23] = 0x00; f[24] = 0x10; /* step 5: 1 MiB + 1 */
    CHECK_EQ_INT(psh_wire_parse_request(f, 36, 1 << 20, &wr), PSH_ERR_BODY_SIZE_EXCEEDS_LIMIT);
    /* The limit is configurable. */
    memcpy(f, base, 36); f[22] = 11;
    CHECK_EQ_INT(psh_wire_parse_request(f, 36, 10, &wr), PSH_ERR_BODY_SIZE_EXCEEDS_LIMIT);

    memcpy(f, base, 36); f[22] = 4; /* step 6: body shorter than body_len */
    CHECK_EQ_INT(psh_wire_parse_request(f, 38, 1 << 20, &wr), PSH_ERR_CONNECTION_ERROR);
    memcpy(f, base, 36); f[26] = 4; /* step 7: auth shorter than auth_len */
    CHECK_EQ_INT(psh_wire_parse_request(f, 36, 1 << 20, &wr), PSH_ERR_CONNECTION_ERROR);

    /* A truncated header of every length is a short read or "need more". */
    for (size_t len = 0; len < 36; len++) {
        CHECK_EQ_INT(psh_wire_parse_request(base, len, 1 << 20, &wr), PSH_ERR_CONNECTION_ERROR);
        CHECK_EQ_INT(psh_wire_frame_size(base, len, 1 << 20, &need), PSH_SUCCESS);
        CHECK_EQ_INT(need, 0);
    }
    CHECK_EQ_INT(psh_wire_frame_size(base, 36, 1 << 20, &need), PSH_SUCCESS);
    CHECK_EQ_INT(need, 36);

    /* Body and auth views point inside the frame. */
    memcpy(f, base, 36); f[22] = 2; f[26] = 3;
    memcpy(f + 36, "\x08\x01" "abc", 5);
    CHECK_EQ_INT(psh_wire_parse_request(f, 41, 1 << 20, &wr), PSH_SUCCESS);
    CHECK(wr.body == f + 36 && wr.body_len == 2);
    CHECK(wr.auth == f + 38 && wr.auth_len == 3);
}

/* Every header byte lands in its own field at its spec 1.3 offset and back: bytes 0..35
 * hold distinct values, so a swapped, shifted or dropped byte shows (the codec reads fixed
 * offsets, not a reader, since the fuzz-rate fix). */
static void test_every_offset(void)
{
    unsigned char buf[PSH_WIRE_HEADER_SIZE], out[PSH_WIRE_HEADER_SIZE];
    psh_wire_header h;
    for (int i = 0; i < PSH_WIRE_HEADER_SIZE; i++)
        buf[i] = (unsigned char)(0xA0 + i);
    REQUIRE(psh_wire_header_decode(buf, sizeof buf, &h) == 0);
    CHECK(h.magic == 0xA3A2A1A0u);
    CHECK(h.hdr_size == 0xA5A4);
    CHECK(h.version_maj == 0xA6 && h.version_min == 0xA7);
    CHECK(h.flags == 0xA9A8);
    CHECK(h.provider == 0xAA);
    CHECK(h.session == 0xB2B1B0AFAEADACABull);
    CHECK(h.content_type == 0xB3 && h.accept_type == 0xB4 && h.auth_type == 0xB5);
    CHECK(h.body_len == 0xB9B8B7B6u);
    CHECK(h.auth_len == 0xBBBA);
    CHECK(h.opcode == 0xBFBEBDBCu);
    CHECK(h.status == 0xC1C0);
    CHECK(h.reserved1 == 0xC2 && h.reserved2 == 0xC3);
    memset(out, 0, sizeof out);
    psh_wire_header_encode(&h, out);
    CHECK_MEM(out, sizeof out, buf, sizeof buf);
    CHECK(psh_wire_header_decode(NULL, 36, &h) == -1);
}

int main(void)
{
    test_worked_bytes();
    test_every_offset();
    test_default_header();
    test_frame_checks();
    CHECK_DONE();
}
