/* psh-tool internals, shared by the psh_tool*.c files. Exit codes: 0 success, 1 a failed
 * operation (service status, I/O, conversion), 2 bad arguments. Every error is one line on
 * stderr starting "psh-tool: ". */
#ifndef PSH_TOOL_H
#define PSH_TOOL_H

#include <stddef.h>
#include <stdint.h>

#include "psh/client.h"

#define TOOL_EXIT_FAIL 1
#define TOOL_EXIT_USAGE 2

typedef struct tool_ctx {
    psh_client client;
    int socket_set;   /* --socket given: PARSEC_SERVICE_ENDPOINT is not used */
    int provider_set; /* --provider given: it overrides the default and a key's own provider */
    int argc;         /* the command's own arguments, command name excluded */
    char **argv;
} tool_ctx;

/* "psh-tool: <fmt>" on stderr; return the exit code to use. */
int tool_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int tool_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "psh-tool: <what> failed: <StatusName> (<n>)"; returns 1. */
int tool_status(const char *what, psh_status st);

/* Fills ctx->client.provider with the default provider unless --provider was given:
 * the first ListProviders entry that is not core. Returns 0 or an exit code. */
int tool_resolve_provider(tool_ctx *ctx, const char *what);
/* Looks name up with ListKeys. Returns 0 and fills *out (out->name is not set) and points
 * ctx->client.provider at the key's provider unless --provider was given. Otherwise, when
 * required, prints "<what> failed: <status>" and returns the exit code; when not required,
 * prints nothing and returns -1. */
int tool_find_key(tool_ctx *ctx, const char *what, const char *name, psh_key_info *out,
                  int required);

/* Parses an unsigned decimal in [min, max]; 0 on success. */
int tool_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out);
/* Hex (upper or lower case, even length) into a callee-allocated buffer (free with
 * psh_client_free); 0 on success. */
int tool_hex_decode(const char *hex, uint8_t **out, size_t *out_len);
void tool_print_hex(const uint8_t *p, size_t len); /* one line on stdout */
/* Whole file, capped at 64 MiB, callee-allocated (free with psh_client_free); 0 on success. */
int tool_read_file(const char *path, uint8_t **out, size_t *out_len);
int tool_write_file(const char *path, const uint8_t *p, size_t len);
/* Digest of a file: hash is SHA_224/256/384/512; out must hold 64 bytes. */
int tool_hash_file(const char *path, psh_hash hash, uint8_t *out, size_t *out_len);
size_t tool_hash_size(psh_hash hash); /* 0 for an unsupported hash */

/* PSA public-key export format -> PEM SubjectPublicKeyInfo (callee-allocated string, free
 * with psh_client_free). Returns 0 or -1 with a reason in err. */
int tool_public_key_pem(const psh_key_attributes *attr, const uint8_t *data, size_t len,
                        char **pem, const char **err);
/* ECDSA raw r||s <-> DER ECDSA-Sig-Value; outputs callee-allocated (psh_client_free). */
int tool_ecdsa_raw_to_der(const uint8_t *raw, size_t len, uint8_t **der, size_t *der_len);
int tool_ecdsa_der_to_raw(const uint8_t *der, size_t len, size_t n, uint8_t **raw,
                          size_t *raw_len);

/* Text forms used by list-keys. */
void tool_format_key_type(const psh_key_attributes *a, char *buf, size_t size);
void tool_format_alg(const psh_algorithm *a, char *buf, size_t size);
void tool_format_usage(uint32_t usage, char *buf, size_t size);

/* Commands (psh_tool_keys.c). */
int cmd_create_ecc_key(tool_ctx *ctx);
int cmd_create_rsa_key(tool_ctx *ctx);
int cmd_delete_key(tool_ctx *ctx);
int cmd_export_public_key(tool_ctx *ctx);
int cmd_sign(tool_ctx *ctx);
int cmd_verify(tool_ctx *ctx);
int cmd_encrypt(tool_ctx *ctx);
int cmd_decrypt(tool_ctx *ctx);
int cmd_generate_random(tool_ctx *ctx);

/* ---- argument helpers for the newer commands (psh_tool_args.c) --------------------------- */

typedef struct tool_opt {
    const char *name;
    const char **value; /* NULL: a flag */
    int *flag;
} tool_opt;

/* Options from opts anywhere on the line, and pos_min..pos_max positionals into pos[]
 * (unset ones are NULL). "-" counts as a positional. Returns 0 or the usage exit code. */
int tool_parse_args(tool_ctx *ctx, const char *cmd, const tool_opt *opts, size_t n,
                    const char **pos, size_t pos_min, size_t pos_max, const char *pos_name);
/* Algorithm names: ecdsa-<h>, det-ecdsa-<h>, ecdsa-any, rsa-pkcs1-<h>, rsa-pkcs1-raw,
 * rsa-pss-<h>, rsa-oaep-<h>, rsa-pkcs1-crypt, hmac-<h>, cmac, gcm, ccm, chacha20-poly1305,
 * ctr, cfb, ofb, ecb, cbc-nopad, cbc-pkcs7, ecdh, ffdh, hash-<h>, none; <h> = sha224, sha256,
 * sha384, sha512, sha1 or any (where a wildcard exists). tool_parse_alg returns 0/-1;
 * the tool_opt_* forms print the one-line error and return the usage exit code. */
int tool_parse_alg(const char *s, psh_algorithm *out);
int tool_parse_hash(const char *s, psh_hash *out);
int tool_opt_alg(const char *s, psh_algorithm *out);
int tool_opt_usage(const char *s, uint32_t *out); /* comma list */
int tool_opt_type(const char *s, psh_key_type *out);
int tool_opt_curve(const char *s, uint32_t *bits);
int tool_is_symmetric(psh_key_type t);
/* Fills a->alg (unless have_alg) and a->usage (unless have_usage) with what the type and
 * algorithm are normally used for. */
void tool_default_policy(psh_key_attributes *a, int have_alg, int have_usage);
/* Hex that may be empty (empty -> NULL, 0). 0 on success. */
int tool_hex_decode_any(const char *hex, uint8_t **out, size_t *out_len);
/* Input from --data HEX, --file FILE ("-" = stdin) or, when stdin_ok and neither is given,
 * stdin. *out: psh_client_free_secret(out, len). Returns 0 or an exit code (message printed). */
int tool_input(const char *what, const char *hex, const char *file, int stdin_ok, uint8_t **out,
               size_t *out_len);
int tool_load_file(const char *path, uint8_t **out, size_t *out_len); /* prints the error */
int tool_hex_arg(const char *opt, const char *hex, uint8_t **out, size_t *out_len);
/* Writes to the file when out is set, else one hex line on stdout. 0 or an exit code. */
int tool_output(const char *out, const uint8_t *p, size_t len);

/* Key material conversions (psh_tool_pem.c). *out: psh_client_free_secret. */
int tool_key_from_file(psh_key_attributes *a, const uint8_t *file, size_t len, uint8_t **out,
                       size_t *out_len, const char **err);
int tool_private_key_pem(const psh_key_attributes *a, const uint8_t *data, size_t len, char **pem,
                         const char **err);
/* Peer public key for key agreement: PEM/DER SubjectPublicKeyInfo, or already a raw point. */
int tool_peer_point(const uint8_t *file, size_t len, uint8_t **out, size_t *out_len,
                    const char **err);

/* Commands (psh_tool_sym.c, psh_tool_crypto.c). */
int cmd_create_key(tool_ctx *ctx);
int cmd_create_aes_key(tool_ctx *ctx);
int cmd_create_hmac_key(tool_ctx *ctx);
int cmd_import_key(tool_ctx *ctx);
int cmd_export_key(tool_ctx *ctx);
int cmd_can_do_crypto(tool_ctx *ctx);
int cmd_hash(tool_ctx *ctx);
int cmd_hash_compare(tool_ctx *ctx);
int cmd_mac_compute(tool_ctx *ctx);
int cmd_mac_verify(tool_ctx *ctx);
int cmd_aead_encrypt(tool_ctx *ctx);
int cmd_aead_decrypt(tool_ctx *ctx);
int cmd_cipher_encrypt(tool_ctx *ctx);
int cmd_cipher_decrypt(tool_ctx *ctx);
int cmd_raw_key_agreement(tool_ctx *ctx);
int cmd_sign_message(tool_ctx *ctx);
int cmd_verify_message(tool_ctx *ctx);

/* Commands (psh_tool_attest.c). */
int cmd_prepare_attestation(tool_ctx *ctx);
int cmd_activate_credential(tool_ctx *ctx);
int cmd_attestation_key(tool_ctx *ctx);
int cmd_attest(tool_ctx *ctx);

#endif
