/* Recorder: a transparent proxy between any client and any service. Each request/response
 * pair becomes a step; outputs that differ from run to run (signatures, random bytes,
 * ciphertexts, exported and generated keys) become matchers and captures, and a later request
 * that sends such an output back refers to the captured variable. */
#include "conform.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "wire/wire.h"

/* What is nondeterministic in each opcode's Result, and what to call the capture. */
static const struct {
    const char *op;
    const char *field;
    const char *var;
} volatile_fields[] = {
    {"PsaSignHash", "signature", "sig"},       {"PsaSignMessage", "signature", "sig"},
    {"PsaGenerateRandom", "random_bytes", NULL}, {"PsaAsymmetricEncrypt", "ciphertext", "ct"},
    {"PsaAeadEncrypt", "ciphertext", "ct"},    {"PsaCipherEncrypt", "ciphertext", "ct"},
    {"PsaExportPublicKey", "data", "pub"},     {"PsaExportKey", "data", "key"},
    {"PsaRawKeyAgreement", "shared_secret", "secret"}, {"PsaMacCompute", "mac", "mac"},
    {"AttestKey", "output", NULL},             {"PrepareKeyAttestation", "output", NULL},
};

static const char *status_str(int st)
{
    const char *n = psh_status_name(st);
    return n ? n : "InvalidEncoding";
}

/* Replaces bytes values equal to a captured output with "${var}". */
static void refer_captures(json_t *v, json_t *captures)
{
    const char *k;
    json_t *x;
    size_t i;
    if (json_is_object(v)) {
        json_object_foreach(v, k, x) {
            json_t *var = json_is_string(x) && json_string_length(x) >= 16
                              ? json_object_get(captures, json_string_value(x))
                              : NULL;
            if (var != NULL) {
                char ref[80];
                snprintf(ref, sizeof ref, "${%s}", json_string_value(var));
                json_object_set_new(v, k, json_string(ref));
            } else {
                refer_captures(x, captures);
            }
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, x)
            refer_captures(x, captures);
    }
}

static json_t *field_matchers(const psh_cf_op *o, json_t *result, unsigned index, json_t *captures)
{
    json_t *fields = json_object(), *x;
    const char *k;
    json_object_foreach(result, k, x) {
        json_t *m = NULL;
        for (size_t i = 0; i < sizeof volatile_fields / sizeof volatile_fields[0]; i++) {
            if (strcmp(volatile_fields[i].op, o->name) != 0 || strcmp(volatile_fields[i].field, k) != 0)
                continue;
            if (json_is_string(x)) {
                size_t n = json_string_length(x) / 2;
                m = json_pack("{s:i}", "length", (json_int_t)n);
                if (volatile_fields[i].var == NULL && n >= 2)
                    json_object_set_new(m, "not_all_equal", json_true());
                if (volatile_fields[i].var != NULL && n > 0) {
                    char var[32];
                    snprintf(var, sizeof var, "%s%u", volatile_fields[i].var, index);
                    json_object_set_new(m, "capture", json_string(var));
                    json_object_set_new(captures, json_string_value(x), json_string(var));
                }
            } else {
                m = json_pack("{s:b}", "any", 1); /* attestation outputs: structure only */
            }
        }
        if (m == NULL && json_is_array(x) &&
            (strcmp(o->name, "ListOpcodes") == 0 || strcmp(o->name, "ListKeys") == 0))
            m = json_pack("{s:O}", "set", x); /* order unspecified (spec 4.2) */
        else if (m == NULL && json_is_array(x) && strcmp(o->name, "ListClients") == 0)
            m = json_pack("{s:O}", "contains", x); /* other clients may exist on replay */
        json_object_set_new(fields, k, m ? m : json_deep_copy(x));
    }
    return fields;
}

json_t *psh_cf_record_step(const uint8_t *req, size_t req_len, const uint8_t *resp,
                           size_t resp_len, unsigned index, json_t *captures)
{
    psh_wire_header rq, rs;
    const psh_cf_op *o = NULL;
    ProtobufCMessage *body = NULL;
    json_t *step, *expect;
    char name[64];
    int have_req = psh_wire_header_decode(req, req_len, &rq) == 0 && rq.magic == PSH_WIRE_MAGIC &&
                   (size_t)PSH_WIRE_HEADER_SIZE + rq.body_len + rq.auth_len == req_len;
    if (psh_wire_header_decode(resp, resp_len, &rs) != 0)
        return NULL;
    if (have_req)
        o = psh_cf_op_by_code(rq.opcode);
    if (o != NULL)
        body = protobuf_c_message_unpack(o->op_desc, NULL, rq.body_len, req + PSH_WIRE_HEADER_SIZE);
    expect = json_pack("{s:s}", "status", status_str(rs.status));
    if (o == NULL || body == NULL || rq.auth_type == 2 || rq.auth_type > 3 ||
        (rq.auth_type == 3 && rq.auth_len != 4)) {
        /* not expressible symbolically: keep the bytes, check the reply header */
        char *hex = psh_cf_hex(req, req_len);
        snprintf(name, sizeof name, "%u raw", index);
        step = json_pack("{s:s, s:s}", "name", name, "raw", hex ? hex : "");
        free(hex);
        json_object_set_new(expect, "header",
                            json_pack("{s:i, s:i}", "opcode", (json_int_t)rs.opcode, "provider",
                                      (json_int_t)rs.provider));
        json_object_set_new(step, "expect", expect);
        if (body != NULL)
            protobuf_c_message_free_unpacked(body, NULL);
        return step;
    }
    snprintf(name, sizeof name, "%u %s", index, o->name);
    step = json_pack("{s:s, s:s}", "name", name, "op", o->name);
    if (!o->core || rq.provider != 0)
        json_object_set_new(step, "provider", json_integer(rq.provider));
    if (rq.auth_type == 0) {
        json_object_set_new(step, "auth", json_string("none"));
    } else if (rq.auth_type == 1) {
        const uint8_t *a = req + PSH_WIRE_HEADER_SIZE + rq.body_len;
        char buf[300];
        snprintf(buf, sizeof buf, "direct:%.*s", (int)(rq.auth_len < 255 ? rq.auth_len : 255), a);
        json_object_set_new(step, "auth", json_string(buf));
    } else {
        const uint8_t *a = req + PSH_WIRE_HEADER_SIZE + rq.body_len;
        char buf[32];
        snprintf(buf, sizeof buf, "unix:%u",
                 (unsigned)(a[0] | a[1] << 8 | a[2] << 16 | (uint32_t)a[3] << 24));
        json_object_set_new(step, "auth", json_string(buf));
    }
    if (rq.session != 0)
        json_object_set_new(step, "session", json_integer((json_int_t)rq.session));
    if (json_object_get(step, "auth") == NULL)
        json_object_set_new(step, "auth", json_string("none"));
    {
        json_t *bj = psh_cf_pb_to_json(body);
        refer_captures(bj, captures);
        if (json_object_size(bj) > 0)
            json_object_set_new(step, "body", bj);
        else
            json_decref(bj);
    }
    protobuf_c_message_free_unpacked(body, NULL);
    if (rs.status == 0 && rs.body_len > 0 && resp_len == PSH_WIRE_HEADER_SIZE + rs.body_len) {
        ProtobufCMessage *r = protobuf_c_message_unpack(o->result_desc, NULL, rs.body_len,
                                                        resp + PSH_WIRE_HEADER_SIZE);
        if (r != NULL) {
            json_t *rj = psh_cf_pb_to_json(r);
            json_object_set_new(expect, "fields", field_matchers(o, rj, index, captures));
            json_decref(rj);
            protobuf_c_message_free_unpacked(r, NULL);
        }
    }
    json_object_set_new(step, "expect", expect);
    return step;
}


/* Signatures become checks: for a key whose public key the client exported, every signature
 * made with it (same application, same key generation) is verified locally at the end of the
 * session, so a replay proves the signatures, not only their length. Only what the local
 * verifier handles: RSA and SECP_R1 keys, ECDSA/deterministic ECDSA/PKCS#1 v1.5/PSS. */
static int verifiable(json_t *alg, json_t *key_type)
{
    json_t *ecc = json_object_get(key_type, "ecc_key_pair");
    const char *fam = json_string_value(json_object_get(ecc, "curve_family"));
    json_t *v = NULL;
    const char *kinds[] = {"ecdsa", "deterministic_ecdsa", "rsa_pkcs1v15_sign", "rsa_pss"};
    for (size_t i = 0; i < 4 && v == NULL; i++)
        v = json_object_get(alg, kinds[i]);
    if (v == NULL || json_object_get(json_object_get(v, "hash_alg"), "specific") == NULL)
        return 0;
    return json_object_get(key_type, "rsa_key_pair") != NULL ||
           (ecc != NULL && fam != NULL && strcmp(fam, "SECP_R1") == 0);
}

static void add_signature_checks(json_t *steps)
{
    json_t *keys = json_object(), *sigs = json_array(), *st, *x;
    size_t i, j;
    json_array_foreach(steps, i, st) {
        const char *op = json_string_value(json_object_get(st, "op"));
        const char *auth = json_string_value(json_object_get(st, "auth"));
        const char *kn = json_string_value(psh_cf_path(st, "body.key_name"));
        const char *status = json_string_value(psh_cf_path(st, "expect.status"));
        char id[600];
        json_t *k;
        if (op == NULL || kn == NULL || status == NULL || strcmp(status, "Success") != 0)
            continue;
        snprintf(id, sizeof id, "%s|%s", auth ? auth : "", kn);
        k = json_object_get(keys, id);
        if (strcmp(op, "PsaGenerateKey") == 0 || strcmp(op, "PsaImportKey") == 0) {
            k = json_pack("{s:O?, s:n}", "key_type", psh_cf_path(st, "body.attributes.key_type"),
                          "pub");
            json_object_set_new(keys, id, k);
        } else if (strcmp(op, "PsaDestroyKey") == 0) {
            json_object_del(keys, id);
        } else if (k != NULL && strcmp(op, "PsaExportPublicKey") == 0) {
            x = psh_cf_path(st, "expect.fields.data.capture");
            if (json_is_string(x))
                json_object_set(k, "pub", x);
            /* signatures made before the export wait in "pending" for it */
            json_array_foreach(json_object_get(k, "pending"), j, x)
                json_object_set(x, "public_key_var", json_object_get(k, "pub"));
        } else if (k != NULL &&
                   (strcmp(op, "PsaSignHash") == 0 || strcmp(op, "PsaSignMessage") == 0)) {
            json_t *sv = psh_cf_path(st, "expect.fields.signature.capture");
            json_t *alg = psh_cf_path(st, "body.alg");
            json_t *data = psh_cf_path(st, op[7] == 'H' ? "body.hash" : "body.message");
            json_t *sig;
            if (!json_is_string(sv) || data == NULL ||
                !verifiable(alg, json_object_get(k, "key_type")))
                continue;
            sig = json_pack("{s:O, s:O, s:s, s:O}", "alg", alg, "signature", sv, "input",
                            op[7] == 'H' ? "hash" : "message", "data", data);
            if (json_is_string(json_object_get(k, "pub")))
                json_object_set(sig, "public_key_var", json_object_get(k, "pub"));
            if (json_object_get(k, "pending") == NULL)
                json_object_set_new(k, "pending", json_array());
            json_array_append(json_object_get(k, "pending"), sig);
            json_array_append_new(sigs, sig);
        }
    }
    json_array_foreach(sigs, i, x) {
        char name[96], ref[80], sref[80];
        const char *pv = json_string_value(json_object_get(x, "public_key_var"));
        const char *sv = json_string_value(json_object_get(x, "signature"));
        json_t *chk;
        if (pv == NULL || sv == NULL)
            continue;
        snprintf(name, sizeof name, "%s verifies locally", sv);
        snprintf(ref, sizeof ref, "${%s}", pv);
        snprintf(sref, sizeof sref, "${%s}", sv);
        chk = json_pack("{s:s, s:s, s:s, s:O, s:s}", "name", name, "check", "verify_signature",
                        "public_key", ref, "alg", json_object_get(x, "alg"), "signature", sref);
        json_object_set(chk, json_string_value(json_object_get(x, "input")),
                        json_object_get(x, "data"));
        json_array_append_new(steps, chk);
    }
    json_decref(sigs);
    json_decref(keys);
}

/* ---- the proxy -------------------------------------------------------------------------------- */

static volatile sig_atomic_t stop_flag;
static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

/* Reads one request frame (as much as the header announces, or what arrives in 2 s). */
static int read_request(int fd, uint8_t **out, size_t *out_len)
{
    size_t cap = 4096, len = 0, want = PSH_WIRE_HEADER_SIZE;
    uint8_t *buf = malloc(cap);
    if (buf == NULL)
        return -1;
    while (len < want) {
        struct pollfd p = {fd, POLLIN, 0};
        ssize_t n;
        if (poll(&p, 1, 2000) <= 0)
            break;
        if (len == cap) {
            uint8_t *b = cap > (4u << 20) ? NULL : realloc(buf, cap * 2);
            if (b == NULL)
                break;
            buf = b;
            cap *= 2;
        }
        n = read(fd, buf + len, (want > cap ? cap : want) - len);
        if (n <= 0)
            break;
        len += (size_t)n;
        if (len >= PSH_WIRE_HEADER_SIZE && want == PSH_WIRE_HEADER_SIZE) {
            psh_wire_header h;
            psh_wire_header_decode(buf, len, &h);
            if (h.magic != PSH_WIRE_MAGIC || h.hdr_size != PSH_WIRE_HDR_SIZE_FIELD ||
                h.body_len > (4u << 20))
                break; /* malformed: forward what we have, the service answers it */
            want = PSH_WIRE_HEADER_SIZE + (size_t)h.body_len + h.auth_len;
        }
    }
    *out = buf;
    *out_len = len;
    return len > 0 ? 0 : -1;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0) {
            if (w < 0 && errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int psh_cf_record(const char *listen_path, const char *upstream_path, const char *out_path,
                  const char *name, unsigned long max_requests)
{
    struct sockaddr_un addr;
    int ls;
    psh_client up;
    json_t *steps = json_array(), *captures = json_object(), *doc;
    unsigned long count = 0;
    int first_provider = -1, rc = 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    psh_client_init(&up);
    if (psh_client_set_endpoint(&up, upstream_path) != PSH_SUCCESS) {
        fprintf(stderr, "psh-conform record: bad upstream %s\n", upstream_path);
        return -1;
    }
    up.max_response = 64u << 20;
    ls = socket(AF_UNIX, SOCK_STREAM, 0);
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    if (ls < 0 || strlen(listen_path) >= sizeof addr.sun_path) {
        fprintf(stderr, "psh-conform record: bad listen path\n");
        if (ls >= 0)
            close(ls);
        return -1;
    }
    strcpy(addr.sun_path, listen_path);
    unlink(listen_path);
    if (bind(ls, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(ls, 16) != 0) {
        fprintf(stderr, "psh-conform record: cannot listen on %s: %s\n", listen_path,
                strerror(errno));
        close(ls);
        return -1;
    }
    while (!stop_flag && (max_requests == 0 || count < max_requests)) {
        struct pollfd p = {ls, POLLIN, 0};
        uint8_t *req = NULL, *resp = NULL;
        size_t rl = 0, sl = 0;
        int c;
        if (poll(&p, 1, 200) <= 0)
            continue;
        c = accept(ls, NULL, NULL);
        if (c < 0)
            continue;
        if (read_request(c, &req, &rl) == 0 &&
            psh_client_transact(&up, req, rl, &resp, &sl) == PSH_SUCCESS) {
            json_t *st = psh_cf_record_step(req, rl, resp, sl, (unsigned)count + 1, captures);
            write_all(c, resp, sl);
            if (st != NULL) {
                json_t *pv = json_object_get(st, "provider");
                if (first_provider < 0 && pv != NULL && json_integer_value(pv) != 0)
                    first_provider = (int)json_integer_value(pv);
                json_array_append_new(steps, st);
            }
            count++;
        }
        psh_client_free(resp);
        free(req);
        close(c);
    }
    close(ls);
    unlink(listen_path);
    add_signature_checks(steps);
    /* the first crypto provider becomes the session's; steps to it drop their provider */
    if (first_provider > 0) {
        size_t i;
        json_t *st;
        json_array_foreach(steps, i, st)
            if (json_integer_value(json_object_get(st, "provider")) == first_provider)
                json_object_del(st, "provider");
    }
    doc = json_pack("{s:s, s:s, s:o, s:o}", "name", name, "description",
                    "recorded by psh-conform record", "provider",
                    first_provider > 0 ? json_string(psh_cf_provider_short_name(first_provider))
                                       : json_string("core"),
                    "steps", steps);
    if (json_dump_file(doc, out_path, JSON_INDENT(2)) != 0) {
        fprintf(stderr, "psh-conform record: cannot write %s\n", out_path);
        rc = -1;
    } else {
        fprintf(stderr, "psh-conform record: %lu requests -> %s\n", count, out_path);
    }
    json_decref(doc);
    json_decref(captures);
    return rc;
}
