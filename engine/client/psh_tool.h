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

#endif
