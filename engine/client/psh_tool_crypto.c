/* psh-tool data commands: hash, hash-compare, mac-compute/-verify, aead-encrypt/-decrypt,
 * cipher-encrypt/-decrypt, raw-key-agreement, sign-message/verify-message. Keyed commands use
 * the key's own policy algorithm unless --alg names another, and go to the key's provider.
 * Outputs are one hex line on stdout, or the raw bytes in --out FILE. */
#include "client/psh_tool.h"

#include <stdio.h>
#include <string.h>

#include "util/alloc.h"

/* ---- hash ------------------------------------------------------------------------------- */

static int hash_alg(const char *s, psh_hash *h)
{
    if (tool_parse_hash(s, h) != 0 || *h == PSH_HASH_ANY)
        return tool_usage("unknown --alg '%s' (sha224, sha256, sha384, sha512)", s);
    return 0;
}

int cmd_hash(tool_ctx *ctx)
{
    const char *alg = "sha256", *data = NULL, *file = NULL, *out = NULL;
    tool_opt opts[] = {{"--alg", &alg, NULL},
                       {"--data", &data, NULL},
                       {"--file", &file, NULL},
                       {"--out", &out, NULL}};
    uint8_t *in = NULL, *h = NULL;
    size_t in_len = 0, h_len = 0;
    psh_hash hash;
    psh_status st;
    int rc = tool_parse_args(ctx, "hash", opts, 4, NULL, 0, 0, "");

    if (rc == 0)
        rc = hash_alg(alg, &hash);
    if (rc == 0)
        rc = tool_input("hash", data, file, 1, &in, &in_len);
    if (rc == 0)
        rc = tool_resolve_provider(ctx, "hash");
    if (rc != 0)
        goto exit;
    st = psh_client_hash_compute(&ctx->client, hash, in, in_len, &h, &h_len);
    rc = st != PSH_SUCCESS ? tool_status("hash", st) : tool_output(out, h, h_len);
exit:
    psh_client_free_secret(in, in_len);
    psh_client_free(h);
    return rc;
}

int cmd_hash_compare(tool_ctx *ctx)
{
    const char *alg = "sha256", *data = NULL, *file = NULL, *want_hex = NULL;
    tool_opt opts[] = {{"--alg", &alg, NULL},
                       {"--data", &data, NULL},
                       {"--file", &file, NULL},
                       {"--hash", &want_hex, NULL}};
    uint8_t *in = NULL, *want = NULL;
    size_t in_len = 0, want_len = 0;
    psh_hash hash;
    psh_status st;
    int rc = tool_parse_args(ctx, "hash-compare", opts, 4, NULL, 0, 0, "");

    if (rc == 0)
        rc = hash_alg(alg, &hash);
    if (rc == 0 && want_hex == NULL)
        rc = tool_usage("hash-compare needs --hash HEX");
    if (rc == 0)
        rc = tool_hex_arg("--hash", want_hex, &want, &want_len);
    if (rc == 0)
        rc = tool_input("hash-compare", data, file, 1, &in, &in_len);
    if (rc == 0)
        rc = tool_resolve_provider(ctx, "hash-compare");
    if (rc != 0)
        goto exit;
    st = psh_client_hash_compare(&ctx->client, hash, in, in_len, want, want_len);
    if (st != PSH_SUCCESS)
        rc = tool_status("hash-compare", st);
    else
        printf("hash matches\n");
exit:
    psh_client_free_secret(in, in_len);
    psh_client_free(want);
    return rc;
}

/* ---- keyed commands: common set-up ------------------------------------------------------- */

enum alg_class { CLS_MAC, CLS_AEAD, CLS_CIPHER, CLS_SIGN, CLS_AGREE };

static int in_class(const psh_algorithm *a, enum alg_class c)
{
    switch (c) {
    case CLS_MAC: return a->kind == PSH_ALG_HMAC || a->kind == PSH_ALG_CMAC;
    case CLS_AEAD: return a->kind == PSH_ALG_AEAD;
    case CLS_CIPHER: return a->kind == PSH_ALG_CIPHER;
    case CLS_SIGN:
        return a->kind >= PSH_ALG_RSA_PKCS1V15_SIGN && a->kind <= PSH_ALG_DETERMINISTIC_ECDSA;
    default: return a->kind == PSH_ALG_ECDH || a->kind == PSH_ALG_FFDH;
    }
}

static const char *const class_names[] = {"MAC", "AEAD", "cipher", "signature", "key agreement"};

/* Finds the key (and its provider), then the algorithm: --alg, else the key's policy. A
 * signature policy with a wildcard hash gets the key's natural hash. */
static int key_and_alg(tool_ctx *ctx, const char *cmd, const char *name, const char *alg_s,
                       enum alg_class cls, psh_key_info *k, psh_algorithm *alg)
{
    int rc = 0;

    if (alg_s != NULL && (rc = tool_opt_alg(alg_s, alg)) != 0)
        return rc;
    if (alg_s != NULL && !in_class(alg, cls))
        return tool_usage("%s: --alg %s is not a %s algorithm", cmd, alg_s, class_names[cls]);
    if ((rc = tool_find_key(ctx, cmd, name, k, 1)) != 0)
        return rc;
    if (alg_s != NULL)
        return 0;
    *alg = k->attributes.alg;
    if (!in_class(alg, cls))
        return tool_error("%s failed: the key's policy has no %s algorithm (give --alg)", cmd,
                          class_names[cls]);
    if (cls == CLS_SIGN && alg->hash == PSH_HASH_ANY && alg->kind != PSH_ALG_ECDSA_ANY &&
        alg->kind != PSH_ALG_RSA_PKCS1V15_SIGN_RAW) {
        uint32_t bits = k->attributes.bits;
        int ecc = k->attributes.type == PSH_KEY_TYPE_ECC_KEY_PAIR ||
                  k->attributes.type == PSH_KEY_TYPE_ECC_PUBLIC_KEY;
        alg->hash = ecc && bits > 384   ? PSH_HASH_SHA_512
                    : ecc && bits > 256 ? PSH_HASH_SHA_384
                                        : PSH_HASH_SHA_256;
    }
    return 0;
}

/* A tag, MAC or signature given as --X HEX or --X-file FILE. */
static int read_check_value(const char *cmd, const char *opt, const char *hex, const char *file,
                            uint8_t **out, size_t *len)
{
    if ((hex == NULL) == (file == NULL))
        return tool_usage("%s needs exactly one of %s HEX or %s-file FILE", cmd, opt, opt);
    if (hex != NULL)
        return tool_hex_arg(opt, hex, out, len);
    return tool_load_file(file, out, len);
}

/* ---- MAC --------------------------------------------------------------------------------- */

static int mac_cmd(tool_ctx *ctx, int verify)
{
    const char *cmd = verify ? "mac-verify" : "mac-compute";
    const char *name, *alg_s = NULL, *data = NULL, *file = NULL, *out = NULL, *mac_hex = NULL,
                      *mac_file = NULL;
    tool_opt opts[] = {{"--alg", &alg_s, NULL},     {"--data", &data, NULL},
                       {"--file", &file, NULL},     {"--out", &out, NULL},
                       {"--mac", &mac_hex, NULL},   {"--mac-file", &mac_file, NULL}};
    uint8_t *in = NULL, *mac = NULL;
    size_t in_len = 0, mac_len = 0;
    psh_key_info k;
    psh_algorithm alg;
    psh_status st;
    /* mac-compute takes --out, mac-verify takes --mac/--mac-file. */
    int rc = verify ? tool_parse_args(ctx, cmd, (tool_opt[]){opts[0], opts[1], opts[2], opts[4],
                                                            opts[5]},
                                      5, &name, 1, 1, "a key NAME")
                    : tool_parse_args(ctx, cmd, opts, 4, &name, 1, 1, "a key NAME");

    if (rc == 0 && verify)
        rc = read_check_value(cmd, "--mac", mac_hex, mac_file, &mac, &mac_len);
    if (rc == 0)
        rc = tool_input(cmd, data, file, 1, &in, &in_len);
    if (rc == 0)
        rc = key_and_alg(ctx, cmd, name, alg_s, CLS_MAC, &k, &alg);
    if (rc != 0)
        goto exit;
    if (verify) {
        st = psh_client_mac_verify(&ctx->client, name, &alg, in, in_len, mac, mac_len);
        if (st != PSH_SUCCESS)
            rc = tool_status(cmd, st);
        else
            printf("MAC valid\n");
    } else {
        st = psh_client_mac_compute(&ctx->client, name, &alg, in, in_len, &mac, &mac_len);
        rc = st != PSH_SUCCESS ? tool_status(cmd, st) : tool_output(out, mac, mac_len);
    }
exit:
    psh_client_free_secret(in, in_len);
    psh_client_free_secret(mac, mac_len);
    return rc;
}

int cmd_mac_compute(tool_ctx *ctx) { return mac_cmd(ctx, 0); }

int cmd_mac_verify(tool_ctx *ctx) { return mac_cmd(ctx, 1); }

/* ---- AEAD and ciphers ------------------------------------------------------------------------ */

static int aead_cmd(tool_ctx *ctx, int encrypt)
{
    const char *cmd = encrypt ? "aead-encrypt" : "aead-decrypt";
    const char *name, *alg_s = NULL, *data = NULL, *file = NULL, *out = NULL, *nonce_hex = NULL,
                      *ad_hex = NULL;
    tool_opt opts[] = {{"--alg", &alg_s, NULL},       {"--data", &data, NULL},
                       {"--file", &file, NULL},       {"--out", &out, NULL},
                       {"--nonce", &nonce_hex, NULL}, {"--ad", &ad_hex, NULL}};
    uint8_t *in = NULL, *res = NULL, *nonce = NULL, *ad = NULL;
    size_t in_len = 0, res_len = 0, nonce_len = 0, ad_len = 0;
    psh_key_info k;
    psh_algorithm alg;
    psh_status st;
    int rc = tool_parse_args(ctx, cmd, opts, 6, &name, 1, 1, "a key NAME");

    if (rc == 0 && nonce_hex == NULL)
        rc = tool_usage("%s needs --nonce HEX", cmd);
    if (rc == 0)
        rc = tool_hex_arg("--nonce", nonce_hex, &nonce, &nonce_len);
    if (rc == 0 && ad_hex != NULL)
        rc = tool_hex_arg("--ad", ad_hex, &ad, &ad_len);
    if (rc == 0)
        rc = tool_input(cmd, data, file, 1, &in, &in_len);
    if (rc == 0)
        rc = key_and_alg(ctx, cmd, name, alg_s, CLS_AEAD, &k, &alg);
    if (rc != 0)
        goto exit;
    if (encrypt)
        st = psh_client_aead_encrypt(&ctx->client, name, &alg, nonce, nonce_len, ad, ad_len, in,
                                     in_len, &res, &res_len);
    else
        st = psh_client_aead_decrypt(&ctx->client, name, &alg, nonce, nonce_len, ad, ad_len, in,
                                     in_len, &res, &res_len);
    rc = st != PSH_SUCCESS ? tool_status(cmd, st) : tool_output(out, res, res_len);
exit:
    psh_client_free_secret(in, in_len);
    psh_client_free_secret(res, res_len);
    psh_client_free(nonce);
    psh_client_free(ad);
    return rc;
}

int cmd_aead_encrypt(tool_ctx *ctx) { return aead_cmd(ctx, 1); }

int cmd_aead_decrypt(tool_ctx *ctx) { return aead_cmd(ctx, 0); }

static int cipher_cmd(tool_ctx *ctx, int encrypt)
{
    const char *cmd = encrypt ? "cipher-encrypt" : "cipher-decrypt";
    const char *name, *alg_s = NULL, *data = NULL, *file = NULL, *out = NULL;
    tool_opt opts[] = {{"--alg", &alg_s, NULL},
                       {"--data", &data, NULL},
                       {"--file", &file, NULL},
                       {"--out", &out, NULL}};
    uint8_t *in = NULL, *res = NULL;
    size_t in_len = 0, res_len = 0;
    psh_key_info k;
    psh_algorithm alg;
    psh_status st;
    int rc = tool_parse_args(ctx, cmd, opts, 4, &name, 1, 1, "a key NAME");

    if (rc == 0)
        rc = tool_input(cmd, data, file, 1, &in, &in_len);
    if (rc == 0)
        rc = key_and_alg(ctx, cmd, name, alg_s, CLS_CIPHER, &k, &alg);
    if (rc != 0)
        goto exit;
    if (encrypt)
        st = psh_client_cipher_encrypt(&ctx->client, name, alg.cipher, in, in_len, &res, &res_len);
    else
        st = psh_client_cipher_decrypt(&ctx->client, name, alg.cipher, in, in_len, &res, &res_len);
    rc = st != PSH_SUCCESS ? tool_status(cmd, st) : tool_output(out, res, res_len);
exit:
    psh_client_free_secret(in, in_len);
    psh_client_free_secret(res, res_len);
    return rc;
}

int cmd_cipher_encrypt(tool_ctx *ctx) { return cipher_cmd(ctx, 1); }

int cmd_cipher_decrypt(tool_ctx *ctx) { return cipher_cmd(ctx, 0); }

/* ---- key agreement ----------------------------------------------------------------------- */

int cmd_raw_key_agreement(tool_ctx *ctx)
{
    const char *name, *alg_s = NULL, *peer_file = NULL, *peer_hex = NULL, *out = NULL,
                      *err = NULL;
    tool_opt opts[] = {{"--alg", &alg_s, NULL},
                       {"--peer-file", &peer_file, NULL},
                       {"--peer-hex", &peer_hex, NULL},
                       {"--out", &out, NULL}};
    uint8_t *raw = NULL, *peer = NULL, *secret = NULL;
    size_t raw_len = 0, peer_len = 0, secret_len = 0;
    psh_key_info k;
    psh_algorithm alg;
    psh_status st;
    int rc = tool_parse_args(ctx, "raw-key-agreement", opts, 4, &name, 1, 1, "a key NAME");

    if (rc == 0 && (peer_file == NULL) == (peer_hex == NULL))
        rc = tool_usage("raw-key-agreement needs exactly one of --peer-file FILE or --peer-hex HEX");
    if (rc == 0 && peer_hex != NULL)
        rc = tool_hex_arg("--peer-hex", peer_hex, &peer, &peer_len);
    if (rc == 0 && peer_file != NULL) {
        rc = tool_load_file(peer_file, &raw, &raw_len);
        if (rc == 0 && tool_peer_point(raw, raw_len, &peer, &peer_len, &err) != 0)
            rc = tool_error("raw-key-agreement: %s: %s", peer_file, err);
    }
    if (rc == 0)
        rc = key_and_alg(ctx, "raw-key-agreement", name, alg_s, CLS_AGREE, &k, &alg);
    if (rc != 0)
        goto exit;
    st = psh_client_raw_key_agreement(&ctx->client, name, &alg, peer, peer_len, &secret,
                                      &secret_len);
    rc = st != PSH_SUCCESS ? tool_status("raw-key-agreement", st)
                           : tool_output(out, secret, secret_len);
exit:
    psh_client_free(raw);
    psh_client_free(peer);
    psh_client_free_secret(secret, secret_len);
    return rc;
}

/* ---- message signatures ------------------------------------------------------------------- */

static int is_ecdsa_kind(psh_alg_kind k)
{
    return k == PSH_ALG_ECDSA || k == PSH_ALG_DETERMINISTIC_ECDSA || k == PSH_ALG_ECDSA_ANY;
}

static int message_cmd(tool_ctx *ctx, int verify)
{
    const char *cmd = verify ? "verify-message" : "sign-message";
    const char *name, *alg_s = NULL, *data = NULL, *file = NULL, *out = NULL, *sig_hex = NULL,
                      *sig_file = NULL;
    int der = 0;
    tool_opt opts[] = {{"--alg", &alg_s, NULL},       {"--data", &data, NULL},
                       {"--file", &file, NULL},       {"--der", NULL, &der},
                       {"--out", &out, NULL},         {"--signature", &sig_hex, NULL},
                       {"--sig-file", &sig_file, NULL}};
    uint8_t *in = NULL, *sig = NULL, *conv = NULL;
    size_t in_len = 0, sig_len = 0, conv_len = 0;
    psh_key_info k;
    psh_algorithm alg;
    psh_status st;
    int rc = verify ? tool_parse_args(ctx, cmd, (tool_opt[]){opts[0], opts[1], opts[2], opts[3],
                                                            opts[5], opts[6]},
                                      6, &name, 1, 1, "a key NAME")
                    : tool_parse_args(ctx, cmd, opts, 5, &name, 1, 1, "a key NAME");

    if (rc == 0 && verify && (sig_hex == NULL) == (sig_file == NULL))
        rc = tool_usage("%s needs exactly one of --signature HEX or --sig-file FILE", cmd);
    if (rc == 0 && verify)
        rc = sig_hex != NULL ? tool_hex_arg("--signature", sig_hex, &sig, &sig_len)
                             : tool_load_file(sig_file, &sig, &sig_len);
    if (rc == 0)
        rc = tool_input(cmd, data, file, 1, &in, &in_len);
    if (rc == 0)
        rc = key_and_alg(ctx, cmd, name, alg_s, CLS_SIGN, &k, &alg);
    if (rc == 0 && der && !is_ecdsa_kind(alg.kind))
        rc = tool_usage("--der applies to ECDSA only");
    if (rc != 0)
        goto exit;
    if (verify) {
        if (der && tool_ecdsa_der_to_raw(sig, sig_len, (k.attributes.bits + 7) / 8, &conv,
                                         &conv_len) != 0) {
            rc = tool_usage("the signature is not a DER ECDSA-Sig-Value for this key");
            goto exit;
        }
        st = psh_client_verify_message(&ctx->client, name, &alg, in, in_len, der ? conv : sig,
                                       der ? conv_len : sig_len);
        if (st != PSH_SUCCESS)
            rc = tool_status(cmd, st);
        else
            printf("signature valid\n");
        goto exit;
    }
    st = psh_client_sign_message(&ctx->client, name, &alg, in, in_len, &sig, &sig_len);
    if (st != PSH_SUCCESS) {
        rc = tool_status(cmd, st);
        goto exit;
    }
    if (der && tool_ecdsa_raw_to_der(sig, sig_len, &conv, &conv_len) != 0) {
        rc = tool_error("%s failed: the service returned a malformed ECDSA signature", cmd);
        goto exit;
    }
    rc = tool_output(out, der ? conv : sig, der ? conv_len : sig_len);
exit:
    psh_client_free_secret(in, in_len);
    psh_client_free(sig);
    psh_client_free(conv);
    return rc;
}

int cmd_sign_message(tool_ctx *ctx) { return message_cmd(ctx, 0); }

int cmd_verify_message(tool_ctx *ctx) { return message_cmd(ctx, 1); }
