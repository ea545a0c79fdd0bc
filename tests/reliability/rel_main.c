/* psh-rel entry point: parses the shared options and runs one sub-command. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "rel.h"

static void usage(void)
{
    fprintf(stderr,
            "usage: psh-rel COMMAND --socket PATH [options]\n"
            "  load    --clients N (64) --count N | --seconds S  [--expect FILE]\n"
            "          N concurrent clients, a mix of keyed and keyless requests; every reply\n"
            "          checked; prints requests/s, p50/p99/p999 latency, errors by status\n"
            "  churn   --state FILE --count N   key creations and deletions, journaled in FILE;\n"
            "          exits 3 when the service goes away (it is being killed on purpose)\n"
            "  verify  --state FILE   after a restart: nothing acknowledged is lost, every\n"
            "          listed key is usable, the request caught half-way is reported\n"
            "  iso     --other-uid UID   every keyed opcode across applications and uids\n"
            "  names   hostile key names (separators, NUL, 64 KiB, SQL, bad UTF-8)\n"
            "  audit   --expect FILE   (\"app key\" lines, sorted) ListKeys per application is\n"
            "          exactly FILE's keys, and each one signs and verifies\n"
            "options: --auth direct|unix (direct) --app NAME (rel) --provider ID (1) --seed N\n"
            "         --tolerate (load: clear error statuses are expected, ConnectionError is not)\n");
}

int main(int argc, char **argv)
{
    rel_opts o = {.auth = "direct", .app = "rel", .clients = 64, .count = 0, .seconds = 5,
                  .provider = 1, .other_uid = 65534, .seed = (unsigned)time(NULL)};
    if (argc < 2) {
        usage();
        return 2;
    }
    const char *cmd = argv[1];
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--tolerate") == 0) {
            o.tolerate = 1;
            continue;
        }
        if (v == NULL) {
            usage();
            return 2;
        }
        if (strcmp(a, "--socket") == 0) o.socket = v;
        else if (strcmp(a, "--auth") == 0) o.auth = v;
        else if (strcmp(a, "--app") == 0) o.app = v;
        else if (strcmp(a, "--clients") == 0) o.clients = (unsigned)strtoul(v, NULL, 10);
        else if (strcmp(a, "--count") == 0) o.count = strtoul(v, NULL, 10);
        else if (strcmp(a, "--seconds") == 0) o.seconds = strtod(v, NULL);
        else if (strcmp(a, "--state") == 0) o.state = v;
        else if (strcmp(a, "--expect") == 0) o.expect = v;
        else if (strcmp(a, "--provider") == 0) o.provider = (unsigned)strtoul(v, NULL, 10);
        else if (strcmp(a, "--other-uid") == 0) o.other_uid = (unsigned)strtoul(v, NULL, 10);
        else if (strcmp(a, "--seed") == 0) o.seed = (unsigned)strtoul(v, NULL, 10);
        else {
            usage();
            return 2;
        }
        i++;
    }
    if (o.socket == NULL || o.clients == 0 || o.clients > 4096) {
        usage();
        return 2;
    }
    if (strcmp(cmd, "load") == 0) return rel_load(&o);
    if (strcmp(cmd, "churn") == 0 && o.state) return rel_churn(&o);
    if (strcmp(cmd, "verify") == 0 && o.state) return rel_verify(&o);
    if (strcmp(cmd, "iso") == 0) return rel_iso(&o);
    if (strcmp(cmd, "names") == 0) return rel_names(&o);
    if (strcmp(cmd, "audit") == 0 && o.expect) return rel_audit(&o);
    usage();
    return 2;
}

int rel_client(psh_client *c, const rel_opts *o, const char *app)
{
    (void)psh_client_init(c); /* a bad PARSEC_SERVICE_ENDPOINT is overridden below */
    if (psh_client_set_endpoint(c, o->socket) != PSH_SUCCESS)
        return -1;
    c->timeout_ms = 20000;
    c->provider = (uint8_t)o->provider;
    if (strcmp(o->auth, "unix") == 0) {
        c->auth_type = PSH_AUTH_UNIX_PEER_CREDENTIALS;
        c->uid = (uint32_t)getuid();
    } else {
        c->auth_type = PSH_AUTH_DIRECT;
        snprintf(c->app_name, sizeof c->app_name, "%s", app);
    }
    return 0;
}

uint64_t rel_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void rel_ecc_attrs(psh_key_attributes *a)
{
    memset(a, 0, sizeof *a);
    a->type = PSH_KEY_TYPE_ECC_KEY_PAIR;
    a->family = PSH_ECC_FAMILY_SECP_R1;
    a->bits = 256;
    a->usage = PSH_USAGE_SIGN_HASH | PSH_USAGE_VERIFY_HASH | PSH_USAGE_SIGN_MESSAGE |
               PSH_USAGE_VERIFY_MESSAGE | PSH_USAGE_EXPORT;
    a->alg.kind = PSH_ALG_ECDSA;
    a->alg.hash = PSH_HASH_SHA_256;
}

psh_status rel_key_usable(const psh_client *c, const char *name)
{
    psh_algorithm alg = {.kind = PSH_ALG_ECDSA, .hash = PSH_HASH_SHA_256};
    uint8_t hash[32];
    uint8_t *sig = NULL;
    size_t sig_len = 0;
    for (size_t i = 0; i < sizeof hash; i++)
        hash[i] = (uint8_t)(i * 7 + 1);
    psh_status st = psh_client_sign_hash(c, name, &alg, hash, sizeof hash, &sig, &sig_len);
    if (st != PSH_SUCCESS)
        return st;
    st = psh_client_verify_hash(c, name, &alg, hash, sizeof hash, sig, sig_len);
    if (st == PSH_SUCCESS) {
        hash[0] ^= 1; /* a check that can fail: another hash must not verify */
        if (psh_client_verify_hash(c, name, &alg, hash, sizeof hash, sig, sig_len) !=
            PSH_ERR_PSA_INVALID_SIGNATURE)
            st = PSH_ERR_PSA_CORRUPTION_DETECTED;
    }
    psh_client_free(sig);
    return st;
}
