/* psh-tool argument helpers for the newer commands: a parser with 0..N positionals, algorithm
 * and usage names, key-type names, and "--data HEX | --file FILE | stdin" inputs. Every
 * failure prints one line naming the bad argument and returns the usage exit code. */
#include "client/psh_tool.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/alloc.h"

int tool_parse_args(tool_ctx *ctx, const char *cmd, const tool_opt *opts, size_t n,
                    const char **pos, size_t pos_min, size_t pos_max, const char *pos_name)
{
    size_t npos = 0;

    for (size_t p = 0; p < pos_max; p++)
        pos[p] = NULL;
    for (int i = 0; i < ctx->argc; i++) {
        const char *a = ctx->argv[i];
        size_t s;
        if (strncmp(a, "--", 2) != 0 || strcmp(a, "-") == 0) {
            if (npos == pos_max)
                return tool_usage("%s: unexpected argument '%s'", cmd, a);
            pos[npos++] = a;
            continue;
        }
        for (s = 0; s < n && strcmp(a, opts[s].name) != 0; s++) {
        }
        if (s == n)
            return tool_usage("%s: unknown option '%s'", cmd, a);
        if (opts[s].value == NULL) {
            *opts[s].flag = 1;
        } else {
            if (i + 1 >= ctx->argc)
                return tool_usage("%s needs a value", a);
            *opts[s].value = ctx->argv[++i];
        }
    }
    if (npos < pos_min)
        return tool_usage("%s needs %s", cmd, pos_name);
    return 0;
}

/* ---- names ------------------------------------------------------------------------------ */

static const struct {
    const char *name;
    psh_hash hash;
} hashes[] = {
    {"sha224", PSH_HASH_SHA_224}, {"sha256", PSH_HASH_SHA_256}, {"sha384", PSH_HASH_SHA_384},
    {"sha512", PSH_HASH_SHA_512}, {"sha1", PSH_HASH_SHA_1},     {"any", PSH_HASH_ANY},
};

int tool_parse_hash(const char *s, psh_hash *out)
{
    for (size_t i = 0; i < sizeof hashes / sizeof hashes[0]; i++) {
        if (strcmp(s, hashes[i].name) == 0) {
            *out = hashes[i].hash;
            return 0;
        }
    }
    return -1;
}

/* "<prefix><hash>" with hash from the table above. */
static int hashed(const char *s, const char *prefix, psh_alg_kind kind, psh_algorithm *out)
{
    size_t n = strlen(prefix);
    if (strncmp(s, prefix, n) != 0 || tool_parse_hash(s + n, &out->hash) != 0)
        return -1;
    out->kind = kind;
    return 0;
}

static const struct {
    const char *name;
    psh_alg_kind kind;
    uint32_t cipher;
} plain_algs[] = {
    {"none", PSH_ALG_NONE, 0},
    {"cmac", PSH_ALG_CMAC, 0},
    {"gcm", PSH_ALG_AEAD, PSH_AEAD_GCM},
    {"ccm", PSH_ALG_AEAD, PSH_AEAD_CCM},
    {"chacha20-poly1305", PSH_ALG_AEAD, PSH_AEAD_CHACHA20_POLY1305},
    {"ctr", PSH_ALG_CIPHER, PSH_CIPHER_CTR},
    {"cfb", PSH_ALG_CIPHER, PSH_CIPHER_CFB},
    {"ofb", PSH_ALG_CIPHER, PSH_CIPHER_OFB},
    {"ecb", PSH_ALG_CIPHER, PSH_CIPHER_ECB_NO_PADDING},
    {"cbc-nopad", PSH_ALG_CIPHER, PSH_CIPHER_CBC_NO_PADDING},
    {"cbc-pkcs7", PSH_ALG_CIPHER, PSH_CIPHER_CBC_PKCS7},
    {"ecdsa-any", PSH_ALG_ECDSA_ANY, 0},
    {"rsa-pkcs1-raw", PSH_ALG_RSA_PKCS1V15_SIGN_RAW, 0},
    {"rsa-pkcs1-crypt", PSH_ALG_RSA_PKCS1V15_CRYPT, 0},
    {"ecdh", PSH_ALG_ECDH, 0},
    {"ffdh", PSH_ALG_FFDH, 0},
};

int tool_parse_alg(const char *s, psh_algorithm *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < sizeof plain_algs / sizeof plain_algs[0]; i++) {
        if (strcmp(s, plain_algs[i].name) == 0) {
            out->kind = plain_algs[i].kind;
            out->cipher = plain_algs[i].cipher;
            return 0;
        }
    }
    if (hashed(s, "hmac-", PSH_ALG_HMAC, out) == 0 ||
        hashed(s, "det-ecdsa-", PSH_ALG_DETERMINISTIC_ECDSA, out) == 0 ||
        hashed(s, "ecdsa-", PSH_ALG_ECDSA, out) == 0 ||
        hashed(s, "rsa-pkcs1-", PSH_ALG_RSA_PKCS1V15_SIGN, out) == 0 ||
        hashed(s, "rsa-pss-", PSH_ALG_RSA_PSS, out) == 0 ||
        hashed(s, "rsa-oaep-", PSH_ALG_RSA_OAEP, out) == 0 || hashed(s, "hash-", PSH_ALG_HASH, out) == 0)
        return (out->kind == PSH_ALG_HMAC || out->kind == PSH_ALG_RSA_OAEP ||
                out->kind == PSH_ALG_HASH) && out->hash == PSH_HASH_ANY
                   ? -1 /* these have no wildcard form */
                   : 0;
    return -1;
}

int tool_opt_alg(const char *s, psh_algorithm *out)
{
    if (tool_parse_alg(s, out) != 0)
        return tool_usage("unknown --alg '%s' (e.g. ecdsa-sha256, rsa-pss-sha256, "
                          "rsa-oaep-sha256, hmac-sha256, cmac, gcm, ccm, chacha20-poly1305, "
                          "cbc-pkcs7, ctr, ecdh)",
                          s);
    return 0;
}

static const struct {
    const char *name;
    uint32_t bits;
} usages[] = {
    {"export", PSH_USAGE_EXPORT},
    {"copy", PSH_USAGE_COPY},
    {"cache", PSH_USAGE_CACHE},
    {"encrypt", PSH_USAGE_ENCRYPT},
    {"decrypt", PSH_USAGE_DECRYPT},
    {"sign-message", PSH_USAGE_SIGN_MESSAGE},
    {"verify-message", PSH_USAGE_VERIFY_MESSAGE},
    {"sign-hash", PSH_USAGE_SIGN_HASH},
    {"verify-hash", PSH_USAGE_VERIFY_HASH},
    {"derive", PSH_USAGE_DERIVE},
    {"sign", PSH_USAGE_SIGN_HASH | PSH_USAGE_SIGN_MESSAGE},
    {"verify", PSH_USAGE_VERIFY_HASH | PSH_USAGE_VERIFY_MESSAGE},
};

int tool_opt_usage(const char *s, uint32_t *out)
{
    uint32_t u = 0;
    const char *p = s;

    while (*p != '\0') {
        size_t n = strcspn(p, ","), i;
        for (i = 0; i < sizeof usages / sizeof usages[0]; i++)
            if (strlen(usages[i].name) == n && strncmp(p, usages[i].name, n) == 0)
                break;
        if (i == sizeof usages / sizeof usages[0])
            return tool_usage("unknown --usage flag '%.*s' (export, copy, cache, encrypt, decrypt, "
                              "sign, verify, sign-hash, verify-hash, sign-message, "
                              "verify-message, derive)",
                              (int)n, p);
        u |= usages[i].bits;
        p += n;
        if (*p == ',')
            p++;
    }
    if (u == 0)
        return tool_usage("--usage needs at least one flag");
    *out = u;
    return 0;
}

static const struct {
    const char *name;
    psh_key_type type;
} types[] = {
    {"aes", PSH_KEY_TYPE_AES},
    {"hmac", PSH_KEY_TYPE_HMAC},
    {"chacha20", PSH_KEY_TYPE_CHACHA20},
    {"raw", PSH_KEY_TYPE_RAW_DATA},
    {"derive", PSH_KEY_TYPE_DERIVE},
    {"ecc-pair", PSH_KEY_TYPE_ECC_KEY_PAIR},
    {"ecc", PSH_KEY_TYPE_ECC_KEY_PAIR},
    {"ecc-public", PSH_KEY_TYPE_ECC_PUBLIC_KEY},
    {"rsa-pair", PSH_KEY_TYPE_RSA_KEY_PAIR},
    {"rsa", PSH_KEY_TYPE_RSA_KEY_PAIR},
    {"rsa-public", PSH_KEY_TYPE_RSA_PUBLIC_KEY},
};

int tool_opt_type(const char *s, psh_key_type *out)
{
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        if (strcmp(s, types[i].name) == 0) {
            *out = types[i].type;
            return 0;
        }
    }
    return tool_usage("unknown --type '%s' (aes, hmac, chacha20, raw, ecc-pair, ecc-public, "
                      "rsa-pair, rsa-public)",
                      s);
}

int tool_opt_curve(const char *s, uint32_t *bits)
{
    if (strcmp(s, "p256") == 0)
        *bits = 256;
    else if (strcmp(s, "p384") == 0)
        *bits = 384;
    else if (strcmp(s, "p521") == 0)
        *bits = 521;
    else
        return tool_usage("--curve must be p256, p384 or p521");
    return 0;
}

int tool_is_symmetric(psh_key_type t)
{
    return t == PSH_KEY_TYPE_AES || t == PSH_KEY_TYPE_HMAC || t == PSH_KEY_TYPE_CHACHA20 ||
           t == PSH_KEY_TYPE_RAW_DATA || t == PSH_KEY_TYPE_DERIVE || t == PSH_KEY_TYPE_DES ||
           t == PSH_KEY_TYPE_CAMELLIA;
}

void tool_default_policy(psh_key_attributes *a, int have_alg, int have_usage)
{
    int ecc = a->type == PSH_KEY_TYPE_ECC_KEY_PAIR || a->type == PSH_KEY_TYPE_ECC_PUBLIC_KEY;
    int pub = a->type == PSH_KEY_TYPE_ECC_PUBLIC_KEY || a->type == PSH_KEY_TYPE_RSA_PUBLIC_KEY;

    if (!have_alg) {
        memset(&a->alg, 0, sizeof a->alg);
        switch (a->type) {
        case PSH_KEY_TYPE_AES: a->alg.kind = PSH_ALG_AEAD; a->alg.cipher = PSH_AEAD_GCM; break;
        case PSH_KEY_TYPE_CHACHA20:
            a->alg.kind = PSH_ALG_AEAD;
            a->alg.cipher = PSH_AEAD_CHACHA20_POLY1305;
            break;
        case PSH_KEY_TYPE_HMAC: a->alg.kind = PSH_ALG_HMAC; a->alg.hash = PSH_HASH_SHA_256; break;
        case PSH_KEY_TYPE_RSA_KEY_PAIR:
        case PSH_KEY_TYPE_RSA_PUBLIC_KEY:
            a->alg.kind = PSH_ALG_RSA_PKCS1V15_SIGN;
            a->alg.hash = PSH_HASH_SHA_256;
            break;
        default:
            if (ecc) {
                a->alg.kind = PSH_ALG_ECDSA;
                a->alg.hash = a->bits > 384   ? PSH_HASH_SHA_512
                              : a->bits > 256 ? PSH_HASH_SHA_384
                                              : PSH_HASH_SHA_256;
            } else {
                a->alg.kind = PSH_ALG_NONE;
            }
        }
    }
    if (have_usage)
        return;
    switch (a->alg.kind) {
    case PSH_ALG_AEAD:
    case PSH_ALG_CIPHER:
    case PSH_ALG_RSA_OAEP:
    case PSH_ALG_RSA_PKCS1V15_CRYPT:
        a->usage = pub ? PSH_USAGE_ENCRYPT : PSH_USAGE_ENCRYPT | PSH_USAGE_DECRYPT;
        break;
    case PSH_ALG_HMAC:
    case PSH_ALG_CMAC: a->usage = PSH_USAGE_SIGN_MESSAGE | PSH_USAGE_VERIFY_MESSAGE; break;
    case PSH_ALG_ECDH:
    case PSH_ALG_FFDH: a->usage = PSH_USAGE_DERIVE; break;
    case PSH_ALG_NONE:
    case PSH_ALG_HASH: a->usage = PSH_USAGE_EXPORT; break;
    default:
        a->usage = PSH_USAGE_VERIFY_HASH | PSH_USAGE_VERIFY_MESSAGE;
        if (!pub)
            a->usage |= PSH_USAGE_SIGN_HASH | PSH_USAGE_SIGN_MESSAGE;
    }
}

/* ---- inputs ----------------------------------------------------------------------------- */

int tool_hex_decode_any(const char *hex, uint8_t **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    if (hex[0] == '\0')
        return 0;
    return tool_hex_decode(hex, out, out_len);
}

int tool_input(const char *what, const char *hex, const char *file, int stdin_ok, uint8_t **out,
               size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    if (hex != NULL && file != NULL)
        return tool_usage("%s: give only one of --data HEX or --file FILE", what);
    if (hex != NULL) {
        if (tool_hex_decode_any(hex, out, out_len) != 0)
            return tool_usage("%s: --data is not valid hex (even number of 0-9a-f digits)", what);
        return 0;
    }
    if (file == NULL && !stdin_ok)
        return tool_usage("%s needs --data HEX or --file FILE", what);
    if (file == NULL || strcmp(file, "-") == 0)
        file = "/dev/stdin";
    return tool_load_file(file, out, out_len);
}

int tool_load_file(const char *path, uint8_t **out, size_t *out_len)
{
    errno = 0;
    if (tool_read_file(path, out, out_len) != 0)
        return tool_error("cannot read %s: %s", path,
                          errno != 0 ? strerror(errno) : "read failed or over 64 MiB");
    return 0;
}

int tool_output(const char *out, const uint8_t *p, size_t len)
{
    if (out == NULL) {
        tool_print_hex(p, len);
        return 0;
    }
    errno = 0;
    if (tool_write_file(out, p, len) != 0)
        return tool_error("cannot write %s: %s", out, errno != 0 ? strerror(errno) : "failed");
    return 0;
}

int tool_hex_arg(const char *opt, const char *hex, uint8_t **out, size_t *out_len)
{
    if (tool_hex_decode_any(hex, out, out_len) != 0)
        return tool_usage("%s is not valid hex (even number of 0-9a-f digits)", opt);
    return 0;
}
