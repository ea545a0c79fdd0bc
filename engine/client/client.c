/* The client's transport: configuration, one connection per request (spec 1.1), framing of
 * requests and validation of response headers (spec 1.3, 1.5). */
#include "psh/client.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "client/client_internal.h"
#include "util/alloc.h"
#include "wire/wire.h"

static const char *const opcode_names[] = {
    [1] = "Ping", [2] = "PsaGenerateKey", [3] = "PsaDestroyKey", [4] = "PsaSignHash",
    [5] = "PsaVerifyHash", [6] = "PsaImportKey", [7] = "PsaExportPublicKey",
    [8] = "ListProviders", [9] = "ListOpcodes", [10] = "PsaAsymmetricEncrypt",
    [11] = "PsaAsymmetricDecrypt", [12] = "PsaExportKey", [13] = "PsaGenerateRandom",
    [14] = "ListAuthenticators", [15] = "PsaHashCompute", [16] = "PsaHashCompare",
    [17] = "PsaAeadEncrypt", [18] = "PsaAeadDecrypt", [19] = "PsaRawKeyAgreement",
    [20] = "PsaCipherEncrypt", [21] = "PsaCipherDecrypt", [22] = "PsaMacCompute",
    [23] = "PsaMacVerify", [24] = "PsaSignMessage", [25] = "PsaVerifyMessage",
    [26] = "ListKeys", [27] = "ListClients", [28] = "DeleteClient", [30] = "AttestKey",
    [31] = "PrepareKeyAttestation", [32] = "CanDoCrypto",
};

const char *psh_client_opcode_name(uint32_t opcode)
{
    if (opcode >= sizeof opcode_names / sizeof opcode_names[0])
        return NULL;
    return opcode_names[opcode];
}

const char *psh_client_auth_name(uint32_t auth_type)
{
    static const char *const names[] = {"NoAuth", "Direct", "Jwt", "UnixPeerCredentials",
                                        "JwtSvid"};
    return auth_type < 5 ? names[auth_type] : NULL;
}

void psh_client_free(void *p) { psh_free(p); }

void psh_client_free_secret(void *p, size_t len) { psh_free_secret(p, len); }

psh_status psh_client_set_endpoint(psh_client *client, const char *endpoint)
{
    const char *path = endpoint;
    size_t len;

    if (endpoint == NULL)
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    if (strncmp(endpoint, "unix:", 5) == 0)
        path = endpoint + 5;
    else if (strstr(endpoint, "://") != NULL || strchr(endpoint, '/') == NULL)
        return PSH_ERR_PSA_INVALID_ARGUMENT; /* another scheme, or not a path at all */
    len = strlen(path);
    if (len == 0 || len >= sizeof client->socket_path)
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    memcpy(client->socket_path, path, len + 1);
    return PSH_SUCCESS;
}

psh_status psh_client_init(psh_client *client)
{
    const char *env = getenv("PARSEC_SERVICE_ENDPOINT");

    memset(client, 0, sizeof *client);
    memcpy(client->socket_path, PSH_CLIENT_DEFAULT_SOCKET, sizeof PSH_CLIENT_DEFAULT_SOCKET);
    client->auth_type = PSH_AUTH_UNIX_PEER_CREDENTIALS;
    client->uid = (uint32_t)getuid();
    client->timeout_ms = PSH_CLIENT_DEFAULT_TIMEOUT_MS;
    client->provider = PSH_PROVIDER_MBED_CRYPTO;
    client->max_response = PSH_CLIENT_DEFAULT_MAX_RESPONSE;
    if (env != NULL && env[0] != '\0')
        return psh_client_set_endpoint(client, env);
    return PSH_SUCCESS;
}

/* ---- transport ------------------------------------------------------------------------------ */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left before the deadline, for poll(): -1 = no deadline, 0 = expired. */
static int time_left(int64_t deadline)
{
    int64_t left;
    if (deadline < 0)
        return -1;
    left = deadline - now_ms();
    if (left <= 0)
        return 0;
    return left > 1000000 ? 1000000 : (int)left;
}

static int wait_fd(int fd, short events, int64_t deadline, short *revents)
{
    struct pollfd p = {fd, events, 0};
    for (;;) {
        int t = time_left(deadline);
        if (t == 0)
            return -1;
        int n = poll(&p, 1, t);
        if (n > 0) {
            *revents = p.revents;
            return 0;
        }
        if (n == 0 || errno != EINTR)
            return -1;
    }
}

static int connect_socket(const psh_client *client, int64_t deadline)
{
    struct sockaddr_un addr;
    size_t len = strnlen(client->socket_path, sizeof client->socket_path);
    int fd;

    if (len == 0 || len >= sizeof addr.sun_path)
        return -1;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    memcpy(addr.sun_path, client->socket_path, len);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    /* A full backlog gives EAGAIN on a non-blocking Unix socket, and nothing is pending:
     * retry until the deadline. EINPROGRESS is waited for and its result read. */
    while (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        short rev = 0;
        int err = 0;
        socklen_t elen = sizeof err;
        if (errno == EINTR)
            continue;
        if (errno == EISCONN) /* an interrupted connect completed meanwhile */
            break;
        if (errno == EAGAIN && time_left(deadline) != 0) {
            poll(NULL, 0, 10);
            continue;
        }
        if (errno == EINPROGRESS && wait_fd(fd, POLLOUT, deadline, &rev) == 0 &&
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) == 0 && err == 0)
            break;
        close(fd);
        return -1;
    }
    return fd;
}

/* Writes the frame, but stops early when the service has already answered (it may reply to
 * an early failure without reading the rest, spec 1.5) so that reply can still be read. */
static int write_frame(int fd, const uint8_t *p, size_t len, int64_t deadline)
{
    size_t off = 0;
    while (off < len) {
        short rev = 0;
        if (wait_fd(fd, POLLOUT | POLLIN, deadline, &rev) != 0)
            return -1;
        if (rev & POLLIN)
            return 0;
        if (rev & (POLLERR | POLLHUP))
            return 0; /* the reader side decides whether a reply came */
        ssize_t n = send(fd, p + off, len - off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            return 0; /* EPIPE/ECONNRESET: the reply, if any, is still readable */
        }
        off += (size_t)n;
    }
    return 0;
}

/* Reads exactly len bytes; -1 on error, timeout or end of stream. */
static int read_exact(int fd, uint8_t *p, size_t len, int64_t deadline)
{
    size_t off = 0;
    while (off < len) {
        short rev = 0;
        if (wait_fd(fd, POLLIN, deadline, &rev) != 0)
            return -1;
        ssize_t n = recv(fd, p + off, len - off, 0);
        if (n == 0)
            return -1;
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            return -1;
        }
        off += (size_t)n;
    }
    return 0;
}

psh_status psh_client_transact(const psh_client *client, const uint8_t *frame, size_t len,
                               uint8_t **resp, size_t *resp_len)
{
    psh_status st = PSH_ERR_CORRUPTION;
    uint8_t hdr_bytes[PSH_WIRE_HEADER_SIZE];
    psh_wire_header hdr;
    uint8_t *buf = NULL; /* owned here until handed to *resp */
    size_t total;
    int64_t deadline = -1;
    int fd = -1;

    *resp = NULL;
    *resp_len = 0;
    if (client == NULL || (frame == NULL && len > 0))
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    if (client->timeout_ms > 0)
        deadline = now_ms() + client->timeout_ms;
    fd = connect_socket(client, deadline);
    if (fd < 0 || write_frame(fd, frame, len, deadline) != 0 ||
        read_exact(fd, hdr_bytes, sizeof hdr_bytes, deadline) != 0) {
        st = PSH_ERR_CONNECTION_ERROR;
        goto exit;
    }
    psh_wire_header_decode(hdr_bytes, sizeof hdr_bytes, &hdr);
    /* Without the right magic and header size, body_len cannot be trusted to frame anything. */
    if (hdr.magic != PSH_WIRE_MAGIC || hdr.hdr_size != PSH_WIRE_HDR_SIZE_FIELD) {
        st = PSH_ERR_INVALID_HEADER;
        goto exit;
    }
    if (hdr.body_len > client->max_response) {
        st = PSH_ERR_RESPONSE_TOO_LARGE;
        goto exit;
    }
    total = PSH_WIRE_HEADER_SIZE + (size_t)hdr.body_len;
    buf = psh_malloc(total);
    if (buf == NULL) {
        st = PSH_ERR_PSA_INSUFFICIENT_MEMORY;
        goto exit;
    }
    memcpy(buf, hdr_bytes, sizeof hdr_bytes);
    if (read_exact(fd, buf + PSH_WIRE_HEADER_SIZE, hdr.body_len, deadline) != 0) {
        st = PSH_ERR_CONNECTION_ERROR;
        goto exit;
    }
    *resp = buf;
    *resp_len = total;
    buf = NULL;
    st = PSH_SUCCESS;
exit:
    if (fd >= 0)
        close(fd);
    psh_free(buf);
    return st;
}

psh_status psh_client_build_request(const psh_client *client, uint8_t provider, uint32_t opcode,
                                    int needs_auth, const uint8_t *body, size_t body_len,
                                    uint8_t **frame, size_t *frame_len)
{
    psh_wire_header h;
    uint8_t uid_bytes[4];
    const uint8_t *auth = NULL; /* borrowed */
    size_t auth_len = 0;

    *frame = NULL;
    *frame_len = 0;
    if (client == NULL)
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    memset(&h, 0, sizeof h);
    h.magic = PSH_WIRE_MAGIC;
    h.hdr_size = PSH_WIRE_HDR_SIZE_FIELD;
    h.version_maj = PSH_WIRE_VERSION_MAJ;
    h.version_min = PSH_WIRE_VERSION_MIN;
    h.provider = provider;
    h.opcode = opcode;
    h.body_len = (uint32_t)body_len;
    if (needs_auth && client->auth_type == PSH_AUTH_DIRECT) {
        auth = (const uint8_t *)client->app_name;
        auth_len = strnlen(client->app_name, sizeof client->app_name);
        h.auth_type = PSH_AUTH_DIRECT;
    } else if (needs_auth && client->auth_type == PSH_AUTH_UNIX_PEER_CREDENTIALS) {
        for (int i = 0; i < 4; i++)
            uid_bytes[i] = (uint8_t)(client->uid >> (8 * i));
        auth = uid_bytes;
        auth_len = sizeof uid_bytes;
        h.auth_type = PSH_AUTH_UNIX_PEER_CREDENTIALS;
    }
    h.auth_len = (uint16_t)auth_len;
    return psh_wire_build_frame(&h, body, body_len, auth, auth_len, frame, frame_len);
}

/* Checks a reply against the request it answers; returns the status to report. */
static psh_status check_response(const psh_wire_header *r, uint8_t provider, uint32_t opcode,
                                 size_t frame_len)
{
    int early = r->status != 0 && r->opcode == PSH_OP_PING && r->provider == 0;
    int echo = r->opcode == opcode && r->provider == provider;

    if (r->magic != PSH_WIRE_MAGIC || r->hdr_size != PSH_WIRE_HDR_SIZE_FIELD)
        return PSH_ERR_INVALID_HEADER;
    if (r->version_maj != PSH_WIRE_VERSION_MAJ || r->version_min != PSH_WIRE_VERSION_MIN)
        return PSH_ERR_WIRE_PROTOCOL_VERSION_NOT_SUPPORTED;
    if ((!echo && !early) || r->session != 0 || frame_len != PSH_WIRE_HEADER_SIZE + r->body_len)
        return PSH_ERR_INVALID_HEADER;
    if (r->content_type != PSH_CONTENT_TYPE_PROTOBUF)
        return PSH_ERR_CONTENT_TYPE_NOT_SUPPORTED;
    if (!psh_status_is_known(r->status))
        return PSH_ERR_INVALID_ENCODING; /* what the reference client does (spec 3) */
    return (psh_status)r->status;
}

psh_status psh_client_call(const psh_client *client, uint8_t provider, uint32_t opcode,
                           int needs_auth, const uint8_t *body, size_t body_len,
                           uint8_t **resp_body, size_t *resp_body_len, psh_status *status)
{
    psh_status st = PSH_ERR_CORRUPTION;
    uint8_t *frame = NULL; /* owned */
    uint8_t *resp = NULL;  /* owned */
    uint8_t *out = NULL;   /* owned until handed to *resp_body */
    size_t frame_len = 0, resp_len = 0;
    psh_wire_header rh;

    *resp_body = NULL;
    *resp_body_len = 0;
    st = psh_client_build_request(client, provider, opcode, needs_auth, body, body_len, &frame,
                                  &frame_len);
    if (st != PSH_SUCCESS)
        goto exit;
    st = psh_client_transact(client, frame, frame_len, &resp, &resp_len);
    if (st != PSH_SUCCESS)
        goto exit;
    psh_wire_header_decode(resp, resp_len, &rh);
    st = check_response(&rh, provider, opcode, resp_len);
    if (st != PSH_SUCCESS)
        goto exit;
    if (rh.body_len > 0) {
        out = psh_malloc(rh.body_len);
        if (out == NULL) {
            st = PSH_ERR_PSA_INSUFFICIENT_MEMORY;
            goto exit;
        }
        memcpy(out, resp + PSH_WIRE_HEADER_SIZE, rh.body_len);
    }
    *resp_body = out;
    *resp_body_len = rh.body_len;
    out = NULL;
exit:
    psh_free(frame);
    if (resp != NULL)
        psh_free_secret(resp, resp_len); /* may carry exported keys or plaintext */
    psh_free(out);
    if (status != NULL)
        *status = st;
    return st;
}
