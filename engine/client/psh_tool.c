/* psh-tool: a command-line client for a Parsec-compatible service, modelled on parsec-tool.
 * Global options may appear anywhere on the line; the first other word is the command. */
#include "client/psh_tool.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

static const char usage_text[] =
    "usage: psh-tool [--socket PATH] [--auth none|direct|unix] [--app NAME] [--provider ID]\n"
    "                [--timeout MS] COMMAND [ARGS]\n"
    "commands:\n"
    "  ping | list-providers | list-opcodes | list-authenticators | list-keys\n"
    "  list-clients | delete-client APP\n"
    "  create-ecc-key NAME [--curve p256|p384] [--deterministic]\n"
    "  create-rsa-key NAME [--bits 2048|3072|4096] [--for sign|encrypt] [--pss]\n"
    "  export-public-key NAME [--out FILE]\n"
    "  sign NAME (--hash HEX | --file FILE) [--der] [--out FILE]\n"
    "  verify NAME (--hash HEX | --file FILE) (--signature HEX | --sig-file FILE) [--der]\n"
    "  encrypt NAME (--data HEX | --file FILE) [--out FILE]\n"
    "  decrypt NAME (--data HEX | --file FILE) [--out FILE]\n"
    "  generate-random SIZE\n"
    "  delete-key NAME\n"
    "  create-key NAME --type aes|hmac|chacha20|ecc|rsa [--bits N | --curve p256|p384]\n"
    "             [--alg ALG] [--usage FLAGS]\n"
    "  create-aes-key NAME [--bits 128|192|256] [--alg ALG] [--usage FLAGS]\n"
    "  create-hmac-key NAME [--bits N] [--alg hmac-sha256] [--usage FLAGS]\n"
    "  import-key NAME --type TYPE (--file PEM|DER|RAW | --hex HEX) [--alg ALG] [--usage FLAGS]\n"
    "             [--curve p256|p384]   TYPE: aes hmac chacha20 raw ecc-pair ecc-public\n"
    "                                         rsa-pair rsa-public\n"
    "  export-key NAME [--format hex|raw|pem] [--out FILE]\n"
    "  hash [--alg sha224|sha256|sha384|sha512] [--data HEX | --file FILE] [--out FILE]\n"
    "  hash-compare [--alg H] --hash HEX [--data HEX | --file FILE]\n"
    "  mac-compute NAME [--alg hmac-sha256|cmac] [--data HEX | --file FILE] [--out FILE]\n"
    "  mac-verify NAME [--alg A] (--mac HEX | --mac-file FILE) [--data HEX | --file FILE]\n"
    "  aead-encrypt NAME --nonce HEX [--ad HEX] [--alg gcm|ccm|chacha20-poly1305]\n"
    "               [--data HEX | --file FILE] [--out FILE]      (output: ciphertext || tag)\n"
    "  aead-decrypt NAME --nonce HEX [--ad HEX] [--alg A] [--data HEX | --file FILE] [--out FILE]\n"
    "  cipher-encrypt NAME [--alg cbc-pkcs7|ctr|...] [--data HEX | --file FILE] [--out FILE]\n"
    "               (output: IV || ciphertext)\n"
    "  cipher-decrypt NAME [--alg A] [--data HEX | --file FILE] [--out FILE]\n"
    "  raw-key-agreement NAME (--peer-file PEM|DER | --peer-hex POINT) [--out FILE]\n"
    "  sign-message NAME [--alg A] [--data HEX | --file FILE] [--der] [--out FILE]\n"
    "  verify-message NAME [--alg A] [--data HEX | --file FILE] (--signature HEX | --sig-file F)\n"
    "               [--der]\n"
    "  prepare-attestation NAME | activate-credential NAME (--cred-file F | --blob H --secret H)\n"
    "  attestation-key NAME [--out PEM] | attest NAME --nonce HEX [--out FILE]   (psh_tool_attest.c)\n"
    "  can-do-crypto --type TYPE [--check use|generate|import|derive] [--bits N | --curve C]\n"
    "               [--alg ALG] [--usage FLAGS]\n"
    "ALG: ecdsa-sha256, det-ecdsa-sha384, rsa-pkcs1-sha256, rsa-pss-sha256, rsa-oaep-sha256,\n"
    "     rsa-pkcs1-crypt, hmac-sha256, cmac, gcm, ccm, chacha20-poly1305, cbc-pkcs7, cbc-nopad,\n"
    "     ctr, ecb, ecdh, ...   FLAGS: comma list of export, encrypt, decrypt, sign, verify,\n"
    "     sign-hash, verify-hash, sign-message, verify-message, derive, copy, cache\n"
    "Without --data/--file, data commands read stdin.\n";

static int vmessage(int code, const char *fmt, va_list ap)
{
    fputs("psh-tool: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    return code;
}

int tool_usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage(TOOL_EXIT_USAGE, fmt, ap);
    va_end(ap);
    return TOOL_EXIT_USAGE;
}

int tool_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage(TOOL_EXIT_FAIL, fmt, ap);
    va_end(ap);
    return TOOL_EXIT_FAIL;
}

int tool_status(const char *what, psh_status st)
{
    const char *name = psh_status_name(st);
    return tool_error("%s failed: %s (%d)", what, name != NULL ? name : "UnknownStatus", (int)st);
}

int tool_resolve_provider(tool_ctx *ctx, const char *what)
{
    psh_provider_info *p = NULL;
    size_t n = 0;
    psh_status st;
    int rc = TOOL_EXIT_FAIL;

    if (ctx->provider_set)
        return 0;
    st = psh_client_list_providers(&ctx->client, &p, &n);
    if (st != PSH_SUCCESS)
        return tool_status(what, st);
    for (size_t i = 0; i < n; i++) {
        if (p[i].id != PSH_PROVIDER_CORE && p[i].id <= 255) {
            ctx->client.provider = (uint8_t)p[i].id;
            rc = 0;
            break;
        }
    }
    psh_client_free_providers(p, n);
    if (rc != 0)
        return tool_error("%s failed: the service has no provider other than core", what);
    return 0;
}

int tool_find_key(tool_ctx *ctx, const char *what, const char *name, psh_key_info *out,
                  int required)
{
    psh_key_info *keys = NULL;
    size_t n = 0;
    psh_status st;
    int found = 0;

    memset(out, 0, sizeof *out);
    st = psh_client_list_keys(&ctx->client, &keys, &n);
    if (st != PSH_SUCCESS)
        return required ? tool_status(what, st) : -1;
    for (size_t i = 0; i < n && !found; i++) {
        if (strcmp(keys[i].name, name) != 0)
            continue;
        if (ctx->provider_set && keys[i].provider_id != ctx->client.provider)
            continue;
        out->provider_id = keys[i].provider_id;
        out->attributes = keys[i].attributes;
        found = 1;
    }
    psh_client_free_key_infos(keys, n);
    /* Same status the service gives for a name the caller does not own (spec 6.1). */
    if (!found)
        return required ? tool_status(what, PSH_ERR_PSA_DOES_NOT_EXIST) : -1;
    if (!ctx->provider_set)
        ctx->client.provider = (uint8_t)out->provider_id;
    return 0;
}

/* ---- core commands -------------------------------------------------------------------------- */

static int no_args(tool_ctx *ctx, const char *cmd)
{
    if (ctx->argc > 0)
        return tool_usage("%s: unexpected argument '%s'", cmd, ctx->argv[0]);
    return 0;
}

static int cmd_ping(tool_ctx *ctx)
{
    uint8_t maj = 0, min = 0;
    psh_status st;
    int rc = no_args(ctx, "ping");

    if (rc != 0)
        return rc;
    st = psh_client_ping(&ctx->client, &maj, &min);
    if (st != PSH_SUCCESS)
        return tool_status("ping", st);
    printf("wire protocol version %u.%u\n", maj, min);
    return 0;
}

static int cmd_list_providers(tool_ctx *ctx)
{
    psh_provider_info *p = NULL;
    size_t n = 0;
    psh_status st;
    int rc = no_args(ctx, "list-providers");

    if (rc != 0)
        return rc;
    st = psh_client_list_providers(&ctx->client, &p, &n);
    if (st != PSH_SUCCESS)
        return tool_status("list-providers", st);
    for (size_t i = 0; i < n; i++)
        printf("%u\t%s\t%u.%u.%u\t%s\t%s\n", p[i].id, p[i].uuid, p[i].version_maj,
               p[i].version_min, p[i].version_rev, p[i].vendor, p[i].description);
    psh_client_free_providers(p, n);
    return 0;
}

static int cmd_list_opcodes(tool_ctx *ctx)
{
    uint32_t *ops = NULL;
    size_t n = 0;
    psh_status st;
    int rc = no_args(ctx, "list-opcodes");

    if (rc == 0)
        rc = tool_resolve_provider(ctx, "list-opcodes");
    if (rc != 0)
        return rc;
    st = psh_client_list_opcodes(&ctx->client, ctx->client.provider, &ops, &n);
    if (st != PSH_SUCCESS)
        return tool_status("list-opcodes", st);
    for (size_t i = 0; i < n; i++) {
        const char *name = psh_client_opcode_name(ops[i]);
        printf("%u\t%s\n", ops[i], name != NULL ? name : "Unknown");
    }
    psh_client_free(ops);
    return 0;
}

static int cmd_list_authenticators(tool_ctx *ctx)
{
    psh_authenticator_info *a = NULL;
    size_t n = 0;
    psh_status st;
    int rc = no_args(ctx, "list-authenticators");

    if (rc != 0)
        return rc;
    st = psh_client_list_authenticators(&ctx->client, &a, &n);
    if (st != PSH_SUCCESS)
        return tool_status("list-authenticators", st);
    for (size_t i = 0; i < n; i++) {
        const char *name = psh_client_auth_name(a[i].id);
        printf("%u\t%s\t%u.%u.%u\t%s\n", a[i].id, name != NULL ? name : "Unknown",
               a[i].version_maj, a[i].version_min, a[i].version_rev, a[i].description);
    }
    psh_client_free_authenticators(a, n);
    return 0;
}

static int cmd_list_keys(tool_ctx *ctx)
{
    psh_key_info *k = NULL;
    size_t n = 0;
    psh_status st;
    char type[64], alg[96], usage[160];
    int rc = no_args(ctx, "list-keys");

    if (rc != 0)
        return rc;
    st = psh_client_list_keys(&ctx->client, &k, &n);
    if (st != PSH_SUCCESS)
        return tool_status("list-keys", st);
    for (size_t i = 0; i < n; i++) {
        tool_format_key_type(&k[i].attributes, type, sizeof type);
        tool_format_alg(&k[i].attributes.alg, alg, sizeof alg);
        tool_format_usage(k[i].attributes.usage, usage, sizeof usage);
        printf("%s\t%u\t%s\t%u\t%s\t%s\n", k[i].name, k[i].provider_id, type,
               k[i].attributes.bits, alg, usage);
    }
    psh_client_free_key_infos(k, n);
    return 0;
}

static int cmd_list_clients(tool_ctx *ctx)
{
    char **c = NULL;
    size_t n = 0;
    psh_status st;
    int rc = no_args(ctx, "list-clients");

    if (rc != 0)
        return rc;
    st = psh_client_list_clients(&ctx->client, &c, &n);
    if (st != PSH_SUCCESS)
        return tool_status("list-clients", st);
    for (size_t i = 0; i < n; i++)
        printf("%s\n", c[i]);
    psh_client_free_strings(c, n);
    return 0;
}

static int cmd_delete_client(tool_ctx *ctx)
{
    psh_status st;

    if (ctx->argc != 1)
        return tool_usage("delete-client needs exactly one application name");
    st = psh_client_delete_client(&ctx->client, ctx->argv[0]);
    if (st != PSH_SUCCESS)
        return tool_status("delete-client", st);
    printf("deleted client %s\n", ctx->argv[0]);
    return 0;
}

/* ---- option parsing ------------------------------------------------------------------------ */

static const struct {
    const char *name;
    int (*fn)(tool_ctx *);
} commands[] = {
    {"ping", cmd_ping},
    {"list-providers", cmd_list_providers},
    {"list-opcodes", cmd_list_opcodes},
    {"list-authenticators", cmd_list_authenticators},
    {"list-keys", cmd_list_keys},
    {"list-clients", cmd_list_clients},
    {"delete-client", cmd_delete_client},
    {"create-ecc-key", cmd_create_ecc_key},
    {"create-rsa-key", cmd_create_rsa_key},
    {"export-public-key", cmd_export_public_key},
    {"sign", cmd_sign},
    {"verify", cmd_verify},
    {"encrypt", cmd_encrypt},
    {"decrypt", cmd_decrypt},
    {"generate-random", cmd_generate_random},
    {"delete-key", cmd_delete_key},
    {"create-key", cmd_create_key},
    {"create-aes-key", cmd_create_aes_key},
    {"create-hmac-key", cmd_create_hmac_key},
    {"import-key", cmd_import_key},
    {"export-key", cmd_export_key},
    {"can-do-crypto", cmd_can_do_crypto},
    {"hash", cmd_hash},
    {"hash-compare", cmd_hash_compare},
    {"mac-compute", cmd_mac_compute},
    {"mac-verify", cmd_mac_verify},
    {"aead-encrypt", cmd_aead_encrypt},
    {"aead-decrypt", cmd_aead_decrypt},
    {"cipher-encrypt", cmd_cipher_encrypt},
    {"cipher-decrypt", cmd_cipher_decrypt},
    {"raw-key-agreement", cmd_raw_key_agreement},
    {"sign-message", cmd_sign_message},
    {"verify-message", cmd_verify_message},
    {"prepare-attestation", cmd_prepare_attestation}, {"activate-credential", cmd_activate_credential}, {"attestation-key", cmd_attestation_key}, {"attest", cmd_attest},
};

/* Consumes one global option (and its value) at argv[*i]; returns 1 if it was one, 0 if not.
 * A bad value sets *rc to the usage exit code. */
static int global_option(tool_ctx *ctx, int argc, char **argv, int *i, int *rc)
{
    const char *opt = argv[*i];
    const char *val;
    unsigned long v;

    if (strcmp(opt, "--socket") != 0 && strcmp(opt, "--auth") != 0 &&
        strcmp(opt, "--app") != 0 && strcmp(opt, "--provider") != 0 &&
        strcmp(opt, "--timeout") != 0)
        return 0;
    if (*i + 1 >= argc) {
        *rc = tool_usage("%s needs a value", opt);
        return 1;
    }
    val = argv[++*i];
    if (strcmp(opt, "--socket") == 0) {
        ctx->socket_set = 1;
        if (psh_client_set_endpoint(&ctx->client, val) != PSH_SUCCESS)
            *rc = tool_usage("--socket must be a path (or unix:PATH) shorter than %d bytes",
                             PSH_CLIENT_SOCKET_PATH_MAX);
    } else if (strcmp(opt, "--auth") == 0) {
        if (strcmp(val, "none") == 0)
            ctx->client.auth_type = PSH_AUTH_NONE;
        else if (strcmp(val, "direct") == 0)
            ctx->client.auth_type = PSH_AUTH_DIRECT;
        else if (strcmp(val, "unix") == 0)
            ctx->client.auth_type = PSH_AUTH_UNIX_PEER_CREDENTIALS;
        else
            *rc = tool_usage("--auth must be none, direct or unix");
    } else if (strcmp(opt, "--app") == 0) {
        size_t len = strlen(val);
        if (len == 0 || len >= sizeof ctx->client.app_name)
            *rc = tool_usage("--app must be 1 to %zu bytes", sizeof ctx->client.app_name - 1);
        else
            memcpy(ctx->client.app_name, val, len + 1);
    } else if (strcmp(opt, "--provider") == 0) {
        if (tool_parse_uint(val, 0, 255, &v) != 0) {
            *rc = tool_usage("--provider must be a provider id from 0 to 255");
        } else {
            ctx->client.provider = (uint8_t)v;
            ctx->provider_set = 1;
        }
    } else {
        if (tool_parse_uint(val, 0, 86400000, &v) != 0)
            *rc = tool_usage("--timeout must be milliseconds from 0 to 86400000");
        else
            ctx->client.timeout_ms = (uint32_t)v;
    }
    return 1;
}

int main(int argc, char **argv)
{
    static tool_ctx ctx;
    char **rest = NULL;
    int nrest = 0, rc = 0, env_bad;
    int (*fn)(tool_ctx *) = NULL;

    env_bad = psh_client_init(&ctx.client) != PSH_SUCCESS;
    rest = psh_calloc((size_t)argc + 1, sizeof *rest);
    if (rest == NULL)
        return tool_error("out of memory");
    for (int i = 1; i < argc && rc == 0; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage_text, stdout);
            psh_free(rest);
            return 0;
        }
        if (!global_option(&ctx, argc, argv, &i, &rc))
            rest[nrest++] = argv[i];
    }
    if (rc != 0)
        goto exit;
    if (nrest == 0) {
        rc = tool_usage("no command given (try --help)");
        goto exit;
    }
    for (size_t c = 0; c < sizeof commands / sizeof commands[0]; c++)
        if (strcmp(rest[0], commands[c].name) == 0)
            fn = commands[c].fn;
    if (fn == NULL) {
        rc = tool_usage("unknown command '%s' (try --help)", rest[0]);
        goto exit;
    }
    if (ctx.client.auth_type == PSH_AUTH_DIRECT && ctx.client.app_name[0] == '\0') {
        rc = tool_usage("--auth direct needs --app NAME");
        goto exit;
    }
    /* A bad PARSEC_SERVICE_ENDPOINT only matters when --socket did not replace it. */
    if (env_bad && !ctx.socket_set) {
        rc = tool_usage("PARSEC_SERVICE_ENDPOINT must be unix:/path/to/socket");
        goto exit;
    }
    ctx.argc = nrest - 1;
    ctx.argv = rest + 1;
    rc = fn(&ctx);
exit:
    psh_free(rest);
    fflush(stdout);
    return rc;
}
