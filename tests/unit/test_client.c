/* The client library against a fake server on a temporary Unix socket: exact request bytes
 * (spec 1.6 worked examples) and rejection of malformed replies. argv[1] = tests/data. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "check.h"
#include "psh/client.h"

/* Spec 1.6. */
static const char *PING_REQ =
    "10 a7 c0 5e 1e 00 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01 00 "
    "00 00 00 00 00 00";
static const char *PING_RESP =
    "10 a7 c0 5e 1e 00 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 02 00 00 00 00 00 01 00 "
    "00 00 00 00 00 00 08 01";
static const char *GENKEY_REQ =
    "10 a7 c0 5e 1e 00 01 00 00 00 01 00 00 00 00 00 00 00 00 00 00 01 23 00 00 00 04 00 02 00 "
    "00 00 00 00 00 00"
    "0a 06 6d 79 5f 6b 65 79 12 19 0a 02 52 00 10 80 10 1a 10 0a 04 40 01 48 01 12 08 32 06 0a "
    "04 0a 02 10 07"
    "61 70 70 31";
/* A success reply to PsaGenerateKey on provider 1, empty body. */
static const char *GENKEY_RESP =
    "10 a7 c0 5e 1e 00 01 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 02 00 "
    "00 00 00 00 00 00";

typedef struct fake_server {
    char path[108];
    int listen_fd;
    unsigned char reply[256];
    size_t reply_len;
    int stall;                   /* never reply: wait for the client to hang up */
    int early;                   /* reply after the header, leaving the body unread */
    unsigned char request[1024]; /* what the client sent */
    size_t request_len;
    pthread_t thread;
} fake_server;

static void *serve_one(void *arg)
{
    fake_server *s = arg;
    int fd = accept(s->listen_fd, NULL, NULL);
    size_t need = 36;

    s->request_len = 0;
    if (fd < 0)
        return NULL;
    while (s->request_len < need && s->request_len < sizeof s->request) {
        ssize_t n = read(fd, s->request + s->request_len, sizeof s->request - s->request_len);
        if (n <= 0)
            break;
        s->request_len += (size_t)n;
        if (s->request_len >= 36 && s->early)
            break;
        if (s->request_len >= 36) {
            const unsigned char *h = s->request;
            size_t body = (size_t)h[22] | (size_t)h[23] << 8 | (size_t)h[24] << 16 |
                          (size_t)h[25] << 24;
            size_t auth = (size_t)h[26] | (size_t)h[27] << 8;
            need = 36 + body + auth;
        }
    }
    if (s->stall) {
        char c;
        while (read(fd, &c, 1) > 0) {
        }
    } else if (s->reply_len > 0) {
        ssize_t w = write(fd, s->reply, s->reply_len);
        (void)w;
    }
    close(fd);
    return NULL;
}

static void server_start(fake_server *s, const char *reply_hex, int stall)
{
    struct sockaddr_un addr;
    int n = reply_hex ? hex_to_bytes(reply_hex, s->reply, sizeof s->reply) : 0;

    REQUIRE(n >= 0);
    s->reply_len = (size_t)n;
    s->stall = stall;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    memcpy(addr.sun_path, s->path, strlen(s->path) + 1);
    unlink(s->path);
    s->listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
    REQUIRE(s->listen_fd >= 0);
    REQUIRE(bind(s->listen_fd, (struct sockaddr *)&addr, sizeof addr) == 0);
    REQUIRE(listen(s->listen_fd, 4) == 0);
    REQUIRE(pthread_create(&s->thread, NULL, serve_one, s) == 0);
}

static void server_stop(fake_server *s)
{
    pthread_join(s->thread, NULL);
    close(s->listen_fd);
    unlink(s->path);
}

static void test_ping(psh_client *c, fake_server *s)
{
    unsigned char want[64];
    int want_len = hex_to_bytes(PING_REQ, want, sizeof want);
    uint8_t maj = 9, min = 9;

    server_start(s, PING_RESP, 0);
    CHECK_EQ_INT(psh_client_ping(c, &maj, &min), PSH_SUCCESS);
    server_stop(s);
    CHECK_EQ_INT(maj, 1);
    CHECK_EQ_INT(min, 0);
    CHECK_MEM(s->request, s->request_len, want, (size_t)want_len);
}

static void test_bad_replies(psh_client *c, fake_server *s)
{
    char hex[200];
    uint8_t maj = 9, min = 9;
    uint8_t *resp = NULL;
    size_t resp_len = 7;
    unsigned char ping[36];

    REQUIRE(hex_to_bytes(PING_REQ, ping, sizeof ping) == 36);

    /* Bad magic. */
    snprintf(hex, sizeof hex, "11%s", PING_RESP + 2);
    server_start(s, hex, 0);
    CHECK_EQ_INT(psh_client_ping(c, &maj, &min), PSH_ERR_INVALID_HEADER);
    server_stop(s);
    CHECK_EQ_INT(maj, 0);

    /* Truncated: the header promises 2 body bytes, one arrives, then the stream ends. */
    snprintf(hex, sizeof hex, "%.*s", (int)strlen(PING_RESP) - 3, PING_RESP);
    server_start(s, hex, 0);
    CHECK_EQ_INT(psh_client_ping(c, &maj, &min), PSH_ERR_CONNECTION_ERROR);
    server_stop(s);

    /* Truncated inside the header. */
    server_start(s, "10 a7 c0 5e 1e 00 01", 0);
    CHECK_EQ_INT(psh_client_ping(c, &maj, &min), PSH_ERR_CONNECTION_ERROR);
    server_stop(s);

    /* A body of 4 GiB - 1 claimed: refused before any allocation or read. */
    server_start(s,
                 "10 a7 c0 5e 1e 00 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 ff ff ff ff "
                 "00 00 01 00 00 00 00 00 00 00",
                 0);
    CHECK_EQ_INT(psh_client_transact(c, ping, sizeof ping, &resp, &resp_len),
                 PSH_ERR_RESPONSE_TOO_LARGE);
    server_stop(s);
    CHECK(resp == NULL);
    CHECK_EQ_INT(resp_len, 0);

    /* A reply for another opcode (ListProviders = 8) is not an answer to Ping. */
    snprintf(hex, sizeof hex, "%.84s08%s", PING_RESP, PING_RESP + 86);
    server_start(s, hex, 0);
    CHECK_EQ_INT(psh_client_ping(c, &maj, &min), PSH_ERR_INVALID_HEADER);
    server_stop(s);

    /* Wire version 2.0. */
    snprintf(hex, sizeof hex, "%.18s02%s", PING_RESP, PING_RESP + 20);
    server_start(s, hex, 0);
    CHECK_EQ_INT(psh_client_ping(c, &maj, &min), PSH_ERR_WIRE_PROTOCOL_VERSION_NOT_SUPPORTED);
    server_stop(s);

    /* A status value not in spec section 3 (1144) reads as InvalidEncoding. */
    server_start(s,
                 "10 a7 c0 5e 1e 00 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 "
                 "00 00 01 00 00 00 78 04 00 00",
                 0);
    CHECK_EQ_INT(psh_client_ping(c, &maj, &min), PSH_ERR_INVALID_ENCODING);
    server_stop(s);

    /* No reply at all within the deadline. */
    c->timeout_ms = 200;
    server_start(s, NULL, 1);
    CHECK_EQ_INT(psh_client_ping(c, &maj, &min), PSH_ERR_CONNECTION_ERROR);
    server_stop(s);
    c->timeout_ms = 5000;
}

static void rsa_sign_attrs(psh_key_attributes *a)
{
    memset(a, 0, sizeof *a);
    a->type = PSH_KEY_TYPE_RSA_KEY_PAIR;
    a->bits = 2048;
    a->usage = PSH_USAGE_SIGN_HASH | PSH_USAGE_VERIFY_HASH;
    a->alg.kind = PSH_ALG_RSA_PKCS1V15_SIGN;
    a->alg.hash = PSH_HASH_SHA_256;
}

static void test_generate_key(psh_client *c, fake_server *s)
{
    unsigned char want[128];
    int want_len = hex_to_bytes(GENKEY_REQ, want, sizeof want);
    psh_key_attributes a;
    psh_client direct = *c;
    uint8_t *body = NULL;
    size_t body_len = 0;

    rsa_sign_attrs(&a);
    direct.auth_type = PSH_AUTH_DIRECT;
    strcpy(direct.app_name, "app1");
    direct.provider = 1;

    REQUIRE(psh_client_encode_generate_key("my_key", &a, &body, &body_len) == PSH_SUCCESS);
    CHECK_MEM(body, body_len, want + 36, (size_t)0x23);
    psh_client_free(body);

    server_start(s, GENKEY_RESP, 0);
    CHECK_EQ_INT(psh_client_generate_key(&direct, "my_key", &a), PSH_SUCCESS);
    server_stop(s);
    CHECK_MEM(s->request, s->request_len, want, (size_t)want_len);

    /* An early failure answers with the default header (opcode Ping, provider 0). */
    server_start(s,
                 "10 a7 c0 5e 1e 00 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 "
                 "00 00 01 00 00 00 11 00 00 00",
                 0);
    CHECK_EQ_INT(psh_client_generate_key(&direct, "my_key", &a), PSH_ERR_INVALID_HEADER);
    server_stop(s);

    /* An echoed failure status comes back as the return value. */
    server_start(s,
                 "10 a7 c0 5e 1e 00 01 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 "
                 "00 00 02 00 00 00 73 04 00 00",
                 0);
    CHECK_EQ_INT(psh_client_generate_key(&direct, "my_key", &a), PSH_ERR_PSA_ALREADY_EXISTS);
    server_stop(s);
}

/* A ListKeys result holding the spec 1.6 attributes as the reference echoes them. */
static const char *LIST_KEYS_RESP =
    "10 a7 c0 5e 1e 00 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 2b 00 00 00 00 00 1a 00 "
    "00 00 00 00 00 00"
    "0a 29 08 01 12 06 6d 79 5f 6b 65 79 1a 1d 0a 02 52 00 10 80 10 1a 14 0a 08 30 01 38 01 40 "
    "01 48 01 12 08 32 06 0a 04 0a 02 10 07";

static void test_list_keys(psh_client *c, fake_server *s)
{
    psh_key_info *keys = NULL;
    size_t n = 0;

    server_start(s, LIST_KEYS_RESP, 0);
    CHECK_EQ_INT(psh_client_list_keys(c, &keys, &n), PSH_SUCCESS);
    server_stop(s);
    REQUIRE(n == 1);
    CHECK(strcmp(keys[0].name, "my_key") == 0);
    CHECK_EQ_INT(keys[0].provider_id, 1);
    CHECK_EQ_INT(keys[0].attributes.type, PSH_KEY_TYPE_RSA_KEY_PAIR);
    CHECK_EQ_INT(keys[0].attributes.bits, 2048);
    CHECK_EQ_INT(keys[0].attributes.usage, PSH_USAGE_SIGN_HASH | PSH_USAGE_VERIFY_HASH |
                                               PSH_USAGE_SIGN_MESSAGE | PSH_USAGE_VERIFY_MESSAGE);
    CHECK_EQ_INT(keys[0].attributes.alg.kind, PSH_ALG_RSA_PKCS1V15_SIGN);
    CHECK_EQ_INT(keys[0].attributes.alg.hash, PSH_HASH_SHA_256);
    psh_client_free_key_infos(keys, n);
}

/* A service may answer an oversized request before reading it (spec 1.5 step 5); the client
 * must stop writing and still return that answer rather than block or fail. */
static void test_early_reply(psh_client *c, fake_server *s)
{
    size_t body_len = 8u << 20;
    uint8_t *body = calloc(1, body_len), *frame = NULL, *resp = NULL;
    size_t frame_len = 0, resp_len = 0;

    REQUIRE(body != NULL);
    REQUIRE(psh_client_build_request(c, 1, PSH_OP_PSA_GENERATE_RANDOM, 0, body, body_len, &frame,
                                     &frame_len) == PSH_SUCCESS);
    s->early = 1;
    server_start(s,
                 "10 a7 c0 5e 1e 00 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 "
                 "00 00 01 00 00 00 14 00 00 00",
                 0);
    CHECK_EQ_INT(psh_client_transact(c, frame, frame_len, &resp, &resp_len), PSH_SUCCESS);
    server_stop(s);
    s->early = 0;
    CHECK_EQ_INT(resp_len, 36);
    if (resp_len == 36)
        CHECK_EQ_INT(resp[32], 20); /* BodySizeExceedsLimit */
    psh_client_free(resp);
    psh_client_free(frame);
    free(body);
}

static void test_unix_auth(psh_client *c, fake_server *s)
{
    psh_client u = *c;
    uint8_t *frame = NULL;
    size_t frame_len = 0;

    u.auth_type = PSH_AUTH_UNIX_PEER_CREDENTIALS;
    u.uid = 1000;
    REQUIRE(psh_client_build_request(&u, 1, PSH_OP_PSA_DESTROY_KEY, 1, NULL, 0, &frame,
                                     &frame_len) == PSH_SUCCESS);
    CHECK_EQ_INT(frame_len, 40);
    CHECK_EQ_INT(frame[21], 3);
    CHECK_EQ_INT(frame[26], 4);
    CHECK_MEM(frame + 36, (size_t)4, "\xe8\x03\x00\x00", (size_t)4);
    psh_client_free(frame);
    /* Core operations that need no identity go out as NoAuth. */
    REQUIRE(psh_client_build_request(&u, 0, PSH_OP_PING, 0, NULL, 0, &frame, &frame_len) ==
            PSH_SUCCESS);
    CHECK_EQ_INT(frame_len, 36);
    CHECK_EQ_INT(frame[21], 0);
    psh_client_free(frame);
    (void)s;
}

static void test_endpoint(void)
{
    psh_client c;

    setenv("PARSEC_SERVICE_ENDPOINT", "unix:/tmp/some.sock", 1);
    CHECK_EQ_INT(psh_client_init(&c), PSH_SUCCESS);
    CHECK(strcmp(c.socket_path, "/tmp/some.sock") == 0);
    CHECK_EQ_INT(c.auth_type, PSH_AUTH_UNIX_PEER_CREDENTIALS);
    CHECK_EQ_INT(c.uid, getuid());
    setenv("PARSEC_SERVICE_ENDPOINT", "tcp://host:1", 1);
    CHECK_EQ_INT(psh_client_init(&c), PSH_ERR_PSA_INVALID_ARGUMENT);
    CHECK(strcmp(c.socket_path, PSH_CLIENT_DEFAULT_SOCKET) == 0);
    unsetenv("PARSEC_SERVICE_ENDPOINT");
    CHECK_EQ_INT(psh_client_init(&c), PSH_SUCCESS);
    CHECK(strcmp(c.socket_path, PSH_CLIENT_DEFAULT_SOCKET) == 0);
}

int main(int argc, char **argv)
{
    static fake_server s;
    psh_client c;

    (void)argc;
    (void)argv;
    test_endpoint();
    psh_client_init(&c);
    snprintf(s.path, sizeof s.path, "/tmp/psh-test-client-%d.sock", (int)getpid());
    REQUIRE(psh_client_set_endpoint(&c, s.path) == PSH_SUCCESS);
    c.timeout_ms = 5000;

    test_ping(&c, &s);
    test_bad_replies(&c, &s);
    test_generate_key(&c, &s);
    test_unix_auth(&c, &s);
    test_list_keys(&c, &s);
    test_early_reply(&c, &s);
    CHECK_DONE();
}
