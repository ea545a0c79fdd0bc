/* psh-tool key commands: create, export, sign, verify, encrypt, decrypt, delete. Commands
 * that use an existing key read its policy from ListKeys to pick the algorithm, as
 * parsec-tool does, and send the request to the provider that holds the key. */
#include "client/psh_tool.h"

#include <stdio.h>
#include <string.h>

#include "util/alloc.h"

typedef struct opt_spec {
    const char *name;
    const char **value; /* NULL: a flag */
    int *flag;
} opt_spec;

/* Exactly one positional argument (*pos) plus the options in specs. */
static int parse_opts(tool_ctx *ctx, const char *cmd, const opt_spec *specs, size_t n,
                      const char **pos, const char *pos_name)
{
    *pos = NULL;
    for (int i = 0; i < ctx->argc; i++) {
        const char *a = ctx->argv[i];
        size_t s;
        if (strncmp(a, "--", 2) != 0) {
            if (*pos != NULL)
                return tool_usage("%s: unexpected argument '%s'", cmd, a);
            *pos = a;
            continue;
        }
        for (s = 0; s < n && strcmp(a, specs[s].name) != 0; s++) {
        }
        if (s == n)
            return tool_usage("%s: unknown option '%s'", cmd, a);
        if (specs[s].value == NULL) {
            *specs[s].flag = 1;
        } else {
            if (i + 1 >= ctx->argc)
                return tool_usage("%s needs a value", a);
            *specs[s].value = ctx->argv[++i];
        }
    }
    if (*pos == NULL)
        return tool_usage("%s needs %s", cmd, pos_name);
    return 0;
}

static int created(tool_ctx *ctx, const char *name, const psh_key_attributes *a)
{
    psh_status st = psh_client_generate_key(&ctx->client, name, a);
    if (st != PSH_SUCCESS)
        return tool_status("create key", st);
    printf("created key %s\n", name);
    return 0;
}

int cmd_create_ecc_key(tool_ctx *ctx)
{
    const char *name, *curve = "p256";
    int det = 0, rc;
    opt_spec specs[] = {{"--curve", &curve, NULL}, {"--deterministic", NULL, &det}};
    psh_key_attributes a;

    rc = parse_opts(ctx, "create-ecc-key", specs, 2, &name, "a key NAME");
    if (rc != 0)
        return rc;
    memset(&a, 0, sizeof a);
    if (strcmp(curve, "p256") == 0) {
        a.bits = 256;
        a.alg.hash = PSH_HASH_SHA_256;
    } else if (strcmp(curve, "p384") == 0) {
        a.bits = 384;
        a.alg.hash = PSH_HASH_SHA_384;
    } else {
        return tool_usage("--curve must be p256 or p384");
    }
    a.type = PSH_KEY_TYPE_ECC_KEY_PAIR;
    a.family = PSH_ECC_FAMILY_SECP_R1;
    a.usage = PSH_USAGE_SIGN_HASH | PSH_USAGE_VERIFY_HASH | PSH_USAGE_SIGN_MESSAGE |
              PSH_USAGE_VERIFY_MESSAGE;
    a.alg.kind = det ? PSH_ALG_DETERMINISTIC_ECDSA : PSH_ALG_ECDSA;
    rc = tool_resolve_provider(ctx, "create key");
    return rc != 0 ? rc : created(ctx, name, &a);
}

int cmd_create_rsa_key(tool_ctx *ctx)
{
    const char *name, *bits = "2048", *use = "sign";
    int pss = 0, rc;
    opt_spec specs[] = {{"--bits", &bits, NULL}, {"--for", &use, NULL}, {"--pss", NULL, &pss}};
    psh_key_attributes a;

    rc = parse_opts(ctx, "create-rsa-key", specs, 3, &name, "a key NAME");
    if (rc != 0)
        return rc;
    memset(&a, 0, sizeof a);
    if (strcmp(bits, "2048") == 0 || strcmp(bits, "3072") == 0 || strcmp(bits, "4096") == 0)
        a.bits = (uint32_t)(bits[0] == '2' ? 2048 : bits[0] == '3' ? 3072 : 4096);
    else
        return tool_usage("--bits must be 2048, 3072 or 4096");
    a.type = PSH_KEY_TYPE_RSA_KEY_PAIR;
    a.alg.hash = PSH_HASH_SHA_256;
    if (strcmp(use, "sign") == 0) {
        a.usage = PSH_USAGE_SIGN_HASH | PSH_USAGE_VERIFY_HASH | PSH_USAGE_SIGN_MESSAGE |
                  PSH_USAGE_VERIFY_MESSAGE;
        a.alg.kind = pss ? PSH_ALG_RSA_PSS : PSH_ALG_RSA_PKCS1V15_SIGN;
    } else if (strcmp(use, "encrypt") == 0) {
        if (pss)
            return tool_usage("--pss only applies to --for sign");
        a.usage = PSH_USAGE_ENCRYPT | PSH_USAGE_DECRYPT;
        a.alg.kind = PSH_ALG_RSA_OAEP;
    } else {
        return tool_usage("--for must be sign or encrypt");
    }
    rc = tool_resolve_provider(ctx, "create key");
    return rc != 0 ? rc : created(ctx, name, &a);
}

int cmd_delete_key(tool_ctx *ctx)
{
    const char *name;
    psh_key_info k;
    psh_status st;
    int rc = parse_opts(ctx, "delete-key", NULL, 0, &name, "a key NAME");

    if (rc != 0)
        return rc;
    /* The key's own provider when ListKeys knows it; else the default, and the service
     * gives the answer. */
    if (!ctx->provider_set && tool_find_key(ctx, "delete key", name, &k, 0) != 0) {
        rc = tool_resolve_provider(ctx, "delete key");
        if (rc != 0)
            return rc;
    }
    st = psh_client_destroy_key(&ctx->client, name);
    if (st != PSH_SUCCESS)
        return tool_status("delete key", st);
    printf("deleted key %s\n", name);
    return 0;
}

int cmd_export_public_key(tool_ctx *ctx)
{
    const char *name, *out = NULL, *err = NULL;
    opt_spec specs[] = {{"--out", &out, NULL}};
    psh_key_info k;
    uint8_t *data = NULL;
    char *pem = NULL;
    size_t len = 0;
    psh_status st;
    int rc = parse_opts(ctx, "export-public-key", specs, 1, &name, "a key NAME");

    if (rc == 0)
        rc = tool_find_key(ctx, "export public key", name, &k, 1);
    if (rc != 0)
        return rc;
    st = psh_client_export_public_key(&ctx->client, name, &data, &len);
    if (st != PSH_SUCCESS)
        return tool_status("export public key", st);
    if (tool_public_key_pem(&k.attributes, data, len, &pem, &err) != 0) {
        rc = tool_error("export public key failed: %s", err);
    } else if (out != NULL) {
        if (tool_write_file(out, (const uint8_t *)pem, strlen(pem)) != 0)
            rc = tool_error("cannot write %s", out);
    } else {
        fputs(pem, stdout);
    }
    psh_client_free(pem);
    psh_client_free(data);
    return rc;
}

/* ---- signatures ----------------------------------------------------------------------------- */

static int is_ecdsa(psh_alg_kind k)
{
    return k == PSH_ALG_ECDSA || k == PSH_ALG_DETERMINISTIC_ECDSA || k == PSH_ALG_ECDSA_ANY;
}

static psh_hash default_hash(const psh_key_attributes *a)
{
    int ecc = a->type == PSH_KEY_TYPE_ECC_KEY_PAIR || a->type == PSH_KEY_TYPE_ECC_PUBLIC_KEY;
    if (ecc && a->bits > 384)
        return PSH_HASH_SHA_512;
    if (ecc && a->bits > 256)
        return PSH_HASH_SHA_384;
    return PSH_HASH_SHA_256;
}

static psh_hash hash_for_len(size_t len)
{
    switch (len) {
    case 28: return PSH_HASH_SHA_224;
    case 32: return PSH_HASH_SHA_256;
    case 48: return PSH_HASH_SHA_384;
    case 64: return PSH_HASH_SHA_512;
    default: return PSH_HASH_ANY;
    }
}

/* Picks the signature algorithm from the key's policy and produces the digest to sign:
 * from --hash as given, or by hashing --file with the policy's hash. *digest is
 * callee-allocated (psh_client_free). */
static int sign_input(const char *what, const psh_key_attributes *attr, const char *hash_hex,
                      const char *file, psh_algorithm *alg, uint8_t **digest, size_t *len)
{
    psh_hash h;

    *digest = NULL;
    *len = 0;
    *alg = attr->alg;
    if (alg->kind < PSH_ALG_RSA_PKCS1V15_SIGN || alg->kind > PSH_ALG_DETERMINISTIC_ECDSA)
        return tool_error("%s failed: the key's policy has no signature algorithm", what);
    if ((hash_hex == NULL) == (file == NULL))
        return tool_usage("%s needs exactly one of --hash HEX or --file FILE", what);
    if (hash_hex != NULL) {
        if (tool_hex_decode(hash_hex, digest, len) != 0)
            return tool_usage("--hash must be non-empty hex");
        if (alg->hash == PSH_HASH_ANY && alg->kind != PSH_ALG_ECDSA_ANY &&
            alg->kind != PSH_ALG_RSA_PKCS1V15_SIGN_RAW) {
            alg->hash = hash_for_len(*len);
            if (alg->hash == PSH_HASH_ANY) {
                psh_client_free(*digest);
                *digest = NULL;
                return tool_usage("--hash length does not match a SHA-2 digest");
            }
        }
        return 0;
    }
    h = alg->hash != PSH_HASH_ANY ? alg->hash : default_hash(attr);
    if (alg->kind != PSH_ALG_ECDSA_ANY && alg->kind != PSH_ALG_RSA_PKCS1V15_SIGN_RAW)
        alg->hash = h;
    if (tool_hash_size(h) == 0)
        return tool_error("%s failed: cannot hash with %s locally", what,
                          psh_client_hash_name(h) ? psh_client_hash_name(h) : "?");
    *digest = psh_malloc(64);
    if (*digest == NULL)
        return tool_error("out of memory");
    if (tool_hash_file(file, h, *digest, len) != 0) {
        psh_client_free(*digest);
        *digest = NULL;
        return tool_error("cannot read %s", file);
    }
    return 0;
}

int cmd_sign(tool_ctx *ctx)
{
    const char *name, *hash_hex = NULL, *file = NULL, *out = NULL;
    int der = 0;
    opt_spec specs[] = {
        {"--hash", &hash_hex, NULL}, {"--file", &file, NULL}, {"--out", &out, NULL},
        {"--der", NULL, &der}};
    psh_key_info k;
    psh_algorithm alg;
    uint8_t *digest = NULL, *sig = NULL, *der_sig = NULL;
    size_t digest_len = 0, sig_len = 0, der_len = 0;
    psh_status st;
    int rc = parse_opts(ctx, "sign", specs, 4, &name, "a key NAME");

    if (rc == 0 && (hash_hex == NULL) == (file == NULL))
        rc = tool_usage("sign needs exactly one of --hash HEX or --file FILE");
    if (rc == 0)
        rc = tool_find_key(ctx, "sign", name, &k, 1);
    if (rc == 0 && der && !is_ecdsa(k.attributes.alg.kind))
        rc = tool_usage("--der applies to ECDSA keys only");
    if (rc == 0)
        rc = sign_input("sign", &k.attributes, hash_hex, file, &alg, &digest, &digest_len);
    if (rc != 0)
        goto exit;
    st = psh_client_sign_hash(&ctx->client, name, &alg, digest, digest_len, &sig, &sig_len);
    if (st != PSH_SUCCESS) {
        rc = tool_status("sign", st);
        goto exit;
    }
    if (der) {
        if (tool_ecdsa_raw_to_der(sig, sig_len, &der_sig, &der_len) != 0) {
            rc = tool_error("sign failed: the service returned a malformed ECDSA signature");
            goto exit;
        }
    }
    if (out != NULL) {
        if (tool_write_file(out, der ? der_sig : sig, der ? der_len : sig_len) != 0)
            rc = tool_error("cannot write %s", out);
    } else {
        tool_print_hex(der ? der_sig : sig, der ? der_len : sig_len);
    }
exit:
    psh_client_free(digest);
    psh_client_free(sig);
    psh_client_free(der_sig);
    return rc;
}

static int read_signature(const char *sig_hex, const char *sig_file, uint8_t **sig, size_t *len)
{
    if ((sig_hex == NULL) == (sig_file == NULL))
        return tool_usage("verify needs exactly one of --signature HEX or --sig-file FILE");
    if (sig_hex != NULL) {
        if (tool_hex_decode(sig_hex, sig, len) != 0)
            return tool_usage("--signature must be non-empty hex");
        return 0;
    }
    if (tool_read_file(sig_file, sig, len) != 0)
        return tool_error("cannot read %s", sig_file);
    return 0;
}

int cmd_verify(tool_ctx *ctx)
{
    const char *name, *hash_hex = NULL, *file = NULL, *sig_hex = NULL, *sig_file = NULL;
    int der = 0;
    opt_spec specs[] = {{"--hash", &hash_hex, NULL},      {"--file", &file, NULL},
                        {"--signature", &sig_hex, NULL}, {"--sig-file", &sig_file, NULL},
                        {"--der", NULL, &der}};
    psh_key_info k;
    psh_algorithm alg;
    uint8_t *digest = NULL, *sig = NULL, *raw = NULL;
    size_t digest_len = 0, sig_len = 0, raw_len = 0;
    psh_status st;
    int rc = parse_opts(ctx, "verify", specs, 5, &name, "a key NAME");

    if (rc == 0 && (hash_hex == NULL) == (file == NULL))
        rc = tool_usage("verify needs exactly one of --hash HEX or --file FILE");
    if (rc == 0 && (sig_hex == NULL) == (sig_file == NULL))
        rc = tool_usage("verify needs exactly one of --signature HEX or --sig-file FILE");
    if (rc == 0)
        rc = tool_find_key(ctx, "verify", name, &k, 1);
    if (rc == 0 && der && !is_ecdsa(k.attributes.alg.kind))
        rc = tool_usage("--der applies to ECDSA keys only");
    if (rc == 0)
        rc = sign_input("verify", &k.attributes, hash_hex, file, &alg, &digest, &digest_len);
    if (rc == 0)
        rc = read_signature(sig_hex, sig_file, &sig, &sig_len);
    if (rc != 0)
        goto exit;
    if (der) {
        size_t n = (k.attributes.bits + 7) / 8;
        if (tool_ecdsa_der_to_raw(sig, sig_len, n, &raw, &raw_len) != 0) {
            rc = tool_usage("the signature is not a DER ECDSA-Sig-Value for this key");
            goto exit;
        }
    }
    st = psh_client_verify_hash(&ctx->client, name, &alg, digest, digest_len, der ? raw : sig,
                                der ? raw_len : sig_len);
    if (st != PSH_SUCCESS) {
        rc = tool_status("verify", st);
        goto exit;
    }
    printf("signature valid\n");
exit:
    psh_client_free(digest);
    psh_client_free(sig);
    psh_client_free(raw);
    return rc;
}

/* ---- encryption and random ----------------------------------------------------------------- */

static int crypt_cmd(tool_ctx *ctx, int encrypt)
{
    const char *cmd = encrypt ? "encrypt" : "decrypt";
    const char *name, *data_hex = NULL, *file = NULL, *out = NULL;
    opt_spec specs[] = {
        {"--data", &data_hex, NULL}, {"--file", &file, NULL}, {"--out", &out, NULL}};
    psh_key_info k;
    uint8_t *in = NULL, *res = NULL;
    size_t in_len = 0, res_len = 0;
    psh_status st;
    int rc = parse_opts(ctx, cmd, specs, 3, &name, "a key NAME");

    if (rc == 0 && (data_hex == NULL) == (file == NULL))
        rc = tool_usage("%s needs exactly one of --data HEX or --file FILE", cmd);
    if (rc == 0)
        rc = tool_find_key(ctx, cmd, name, &k, 1);
    if (rc == 0 && k.attributes.alg.kind != PSH_ALG_RSA_OAEP &&
        k.attributes.alg.kind != PSH_ALG_RSA_PKCS1V15_CRYPT)
        rc = tool_error("%s failed: the key's policy has no encryption algorithm", cmd);
    if (rc == 0 && data_hex != NULL && tool_hex_decode(data_hex, &in, &in_len) != 0)
        rc = tool_usage("--data must be non-empty hex");
    if (rc == 0 && file != NULL && tool_read_file(file, &in, &in_len) != 0)
        rc = tool_error("cannot read %s", file);
    if (rc != 0)
        goto exit;
    if (encrypt)
        st = psh_client_asymmetric_encrypt(&ctx->client, name, &k.attributes.alg, in, in_len, NULL,
                                           0, &res, &res_len);
    else
        st = psh_client_asymmetric_decrypt(&ctx->client, name, &k.attributes.alg, in, in_len, NULL,
                                           0, &res, &res_len);
    if (st != PSH_SUCCESS) {
        rc = tool_status(cmd, st);
        goto exit;
    }
    if (out != NULL) {
        if (tool_write_file(out, res, res_len) != 0)
            rc = tool_error("cannot write %s", out);
    } else {
        tool_print_hex(res, res_len);
    }
exit:
    psh_client_free_secret(in, in_len);
    psh_client_free_secret(res, res_len);
    return rc;
}

int cmd_encrypt(tool_ctx *ctx) { return crypt_cmd(ctx, 1); }

int cmd_decrypt(tool_ctx *ctx) { return crypt_cmd(ctx, 0); }

int cmd_generate_random(tool_ctx *ctx)
{
    const char *size_s;
    unsigned long size;
    uint8_t *r = NULL;
    size_t len = 0;
    psh_status st;
    int rc = parse_opts(ctx, "generate-random", NULL, 0, &size_s, "SIZE");

    if (rc != 0)
        return rc;
    if (tool_parse_uint(size_s, 1, 16ul * 1024 * 1024, &size) != 0)
        return tool_usage("generate-random SIZE must be from 1 to 16777216 bytes");
    rc = tool_resolve_provider(ctx, "generate-random");
    if (rc != 0)
        return rc;
    st = psh_client_generate_random(&ctx->client, size, &r, &len);
    if (st != PSH_SUCCESS)
        return tool_status("generate-random", st);
    tool_print_hex(r, len);
    psh_client_free_secret(r, len);
    return 0;
}
