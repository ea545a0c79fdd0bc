/* psh-tool key commands with a full policy on the line: create-key (and the create-aes-key /
 * create-hmac-key shorthands), import-key, export-key, can-do-crypto. The policy defaults to
 * what the key type is normally used for (tool_default_policy); --alg and --usage replace it. */
#include "client/psh_tool.h"

#include <stdio.h>
#include <string.h>

#include "util/alloc.h"

/* --type/--bits/--curve/--alg/--usage into attributes. bits_default applies when neither
 * --bits nor --curve is given (0 = leave it to the data). */
typedef struct policy_args {
    const char *type, *bits, *curve, *alg, *usage;
} policy_args;

static int build_attrs(const policy_args *p, psh_key_type fixed, uint32_t bits_default,
                       psh_key_attributes *a)
{
    unsigned long bits = 0;
    int rc;

    memset(a, 0, sizeof *a);
    a->type = fixed;
    if (p->type != NULL && (rc = tool_opt_type(p->type, &a->type)) != 0)
        return rc;
    if (a->type == PSH_KEY_TYPE_UNSET)
        return tool_usage("--type is required (aes, hmac, chacha20, ecc-pair, rsa-pair, ...)");
    if (p->bits != NULL && p->curve != NULL)
        return tool_usage("give --bits or --curve, not both");
    if (p->curve != NULL) {
        if (a->type != PSH_KEY_TYPE_ECC_KEY_PAIR && a->type != PSH_KEY_TYPE_ECC_PUBLIC_KEY)
            return tool_usage("--curve applies to ECC keys only");
        if ((rc = tool_opt_curve(p->curve, &a->bits)) != 0)
            return rc;
    } else if (p->bits != NULL) {
        if (tool_parse_uint(p->bits, 8, 16384, &bits) != 0)
            return tool_usage("--bits must be a number from 8 to 16384");
        a->bits = (uint32_t)bits;
    } else {
        a->bits = bits_default;
    }
    if (a->type == PSH_KEY_TYPE_ECC_KEY_PAIR || a->type == PSH_KEY_TYPE_ECC_PUBLIC_KEY)
        a->family = PSH_ECC_FAMILY_SECP_R1;
    if (p->alg != NULL && (rc = tool_opt_alg(p->alg, &a->alg)) != 0)
        return rc;
    if (p->usage != NULL && (rc = tool_opt_usage(p->usage, &a->usage)) != 0)
        return rc;
    tool_default_policy(a, p->alg != NULL, p->usage != NULL);
    return 0;
}

static uint32_t default_bits(psh_key_type t)
{
    switch (t) {
    case PSH_KEY_TYPE_RSA_KEY_PAIR: return 2048;
    case PSH_KEY_TYPE_ECC_KEY_PAIR: return 256;
    default: return 256;
    }
}

static int create_common(tool_ctx *ctx, const char *cmd, psh_key_type fixed)
{
    policy_args p = {NULL, NULL, NULL, NULL, NULL};
    tool_opt opts[] = {{"--type", &p.type, NULL},   {"--bits", &p.bits, NULL},
                       {"--curve", &p.curve, NULL}, {"--alg", &p.alg, NULL},
                       {"--usage", &p.usage, NULL}};
    const char *name;
    psh_key_attributes a;
    psh_key_type t = fixed;
    psh_status st;
    int rc;

    /* The shorthands fix the type: --type is not theirs to take. */
    rc = tool_parse_args(ctx, cmd, opts + (fixed != PSH_KEY_TYPE_UNSET),
                         fixed != PSH_KEY_TYPE_UNSET ? 4 : 5, &name, 1, 1, "a key NAME");
    if (rc != 0)
        return rc;
    if (p.type != NULL && (rc = tool_opt_type(p.type, &t)) != 0)
        return rc;
    if ((rc = build_attrs(&p, fixed, default_bits(t), &a)) != 0)
        return rc;
    if (a.type == PSH_KEY_TYPE_ECC_PUBLIC_KEY || a.type == PSH_KEY_TYPE_RSA_PUBLIC_KEY)
        return tool_usage("%s: a public key cannot be generated; use import-key", cmd);
    rc = tool_resolve_provider(ctx, "create key");
    if (rc != 0)
        return rc;
    st = psh_client_generate_key(&ctx->client, name, &a);
    if (st != PSH_SUCCESS)
        return tool_status("create key", st);
    printf("created key %s\n", name);
    return 0;
}

int cmd_create_key(tool_ctx *ctx) { return create_common(ctx, "create-key", PSH_KEY_TYPE_UNSET); }

int cmd_create_aes_key(tool_ctx *ctx)
{
    return create_common(ctx, "create-aes-key", PSH_KEY_TYPE_AES);
}

int cmd_create_hmac_key(tool_ctx *ctx)
{
    return create_common(ctx, "create-hmac-key", PSH_KEY_TYPE_HMAC);
}

int cmd_import_key(tool_ctx *ctx)
{
    policy_args p = {NULL, NULL, NULL, NULL, NULL};
    const char *name, *file = NULL, *hex = NULL, *err = NULL;
    tool_opt opts[] = {{"--type", &p.type, NULL},   {"--bits", &p.bits, NULL},
                       {"--curve", &p.curve, NULL}, {"--alg", &p.alg, NULL},
                       {"--usage", &p.usage, NULL}, {"--file", &file, NULL},
                       {"--hex", &hex, NULL}};
    uint8_t *raw = NULL, *data = NULL;
    size_t raw_len = 0, data_len = 0;
    psh_key_attributes a;
    psh_status st;
    int rc = tool_parse_args(ctx, "import-key", opts, 7, &name, 1, 1, "a key NAME");

    if (rc == 0 && p.type == NULL)
        rc = tool_usage("import-key needs --type (aes, hmac, chacha20, raw, ecc-pair, "
                        "ecc-public, rsa-pair, rsa-public)");
    if (rc == 0 && (file == NULL) == (hex == NULL))
        rc = tool_usage("import-key needs exactly one of --file FILE or --hex HEX");
    /* Bits come from the data; only an ECC --hex import needs --curve to name the curve. */
    if (rc == 0)
        rc = build_attrs(&p, PSH_KEY_TYPE_UNSET, 0, &a);
    if (rc == 0 && hex != NULL && tool_hex_decode(hex, &raw, &raw_len) != 0)
        rc = tool_usage("--hex is not valid hex (even number of 0-9a-f digits, not empty)");
    if (rc == 0 && file != NULL)
        rc = tool_load_file(file, &raw, &raw_len);
    if (rc != 0)
        goto exit;
    if (tool_is_symmetric(a.type) || hex != NULL) {
        if (raw_len == 0) {
            rc = tool_usage("import-key: the key data is empty");
            goto exit;
        }
        if (tool_is_symmetric(a.type))
            a.bits = (uint32_t)(raw_len * 8);
        data = raw;
        data_len = raw_len;
        raw = NULL;
        raw_len = 0;
    } else if (tool_key_from_file(&a, raw, raw_len, &data, &data_len, &err) != 0) {
        rc = tool_error("import-key: %s: %s", file, err);
        goto exit;
    }
    /* The default hash of an ECC policy follows the curve, now known from the file. */
    tool_default_policy(&a, p.alg != NULL, p.usage != NULL);
    rc = tool_resolve_provider(ctx, "import key");
    if (rc != 0)
        goto exit;
    st = psh_client_import_key(&ctx->client, name, &a, data, data_len);
    if (st != PSH_SUCCESS) {
        rc = tool_status("import key", st);
        goto exit;
    }
    printf("imported key %s\n", name);
exit:
    psh_client_free_secret(raw, raw_len);
    psh_client_free_secret(data, data_len);
    return rc;
}

int cmd_export_key(tool_ctx *ctx)
{
    const char *name, *format = "hex", *out = NULL, *err = NULL;
    tool_opt opts[] = {{"--format", &format, NULL}, {"--out", &out, NULL}};
    psh_key_info k;
    uint8_t *data = NULL;
    size_t len = 0;
    char *pem = NULL;
    psh_status st;
    int rc = tool_parse_args(ctx, "export-key", opts, 2, &name, 1, 1, "a key NAME");

    if (rc == 0 && strcmp(format, "hex") != 0 && strcmp(format, "raw") != 0 &&
        strcmp(format, "pem") != 0)
        rc = tool_usage("--format must be hex, raw or pem");
    if (rc == 0 && strcmp(format, "raw") == 0 && out == NULL)
        rc = tool_usage("--format raw needs --out FILE");
    if (rc == 0)
        rc = tool_find_key(ctx, "export key", name, &k, 1);
    if (rc != 0)
        return rc;
    st = psh_client_export_key(&ctx->client, name, &data, &len);
    if (st != PSH_SUCCESS)
        return tool_status("export key", st);
    if (strcmp(format, "pem") == 0) {
        if (tool_private_key_pem(&k.attributes, data, len, &pem, &err) != 0)
            rc = tool_error("export key failed: %s", err);
        else if (out == NULL)
            fputs(pem, stdout);
        else
            rc = tool_output(out, (const uint8_t *)pem, strlen(pem));
    } else {
        rc = tool_output(out, data, len);
    }
    if (pem != NULL)
        psh_client_free_secret(pem, strlen(pem));
    psh_client_free_secret(data, len);
    return rc;
}

int cmd_can_do_crypto(tool_ctx *ctx)
{
    policy_args p = {NULL, NULL, NULL, NULL, NULL};
    const char *check = "use";
    tool_opt opts[] = {{"--check", &check, NULL}, {"--type", &p.type, NULL},
                       {"--bits", &p.bits, NULL}, {"--curve", &p.curve, NULL},
                       {"--alg", &p.alg, NULL},   {"--usage", &p.usage, NULL}};
    static const char *const checks[] = {"use", "generate", "import", "derive"};
    psh_key_attributes a;
    psh_key_type t = PSH_KEY_TYPE_UNSET;
    psh_can_do_check c = PSH_CAN_DO_USE;
    psh_status st;
    size_t i;
    int rc = tool_parse_args(ctx, "can-do-crypto", opts, 6, NULL, 0, 0, "");

    if (rc != 0)
        return rc;
    for (i = 0; i < 4 && strcmp(check, checks[i]) != 0; i++) {
    }
    if (i == 4)
        return tool_usage("--check must be use, generate, import or derive");
    c = (psh_can_do_check)(i + 1);
    if (p.type == NULL)
        return tool_usage("can-do-crypto needs --type");
    if ((rc = tool_opt_type(p.type, &t)) != 0)
        return rc;
    if ((rc = build_attrs(&p, PSH_KEY_TYPE_UNSET, default_bits(t), &a)) != 0)
        return rc;
    rc = tool_resolve_provider(ctx, "can-do-crypto");
    if (rc != 0)
        return rc;
    st = psh_client_can_do_crypto(&ctx->client, c, &a);
    if (st != PSH_SUCCESS) {
        const char *n = psh_status_name(st);
        printf("no: %s\n", n != NULL ? n : "UnknownStatus");
        return TOOL_EXIT_FAIL;
    }
    printf("yes\n");
    return 0;
}
