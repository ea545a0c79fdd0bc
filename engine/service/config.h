/* The service's configuration: Parsec's config.toml (spec section 8) read into the engine's
 * config plus the settings only the daemon uses (socket, timeouts, threads, bounds).
 * Parsing is done by toml++ behind a C API (config_toml.cpp); the decoding helpers that need
 * no TOML live in config.c so tests can reach them directly. */
#ifndef PSH_SERVICE_CONFIG_H
#define PSH_SERVICE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "psh/config.h"
#include "psh/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PSH_SERVICE_DEFAULT_SOCKET "/run/parsec/parsec.sock"
#define PSH_SERVICE_DEFAULT_KIM \
    "/var/lib/parsec/kim-mappings/sqlite/sqlite-key-info-manager.sqlite3"

/* Bounds the parser enforces (documented in docs/config.md). */
#define PSH_SERVICE_CONFIG_FILE_MAX (1u << 20)      /* config.toml larger than this: error */
#define PSH_SERVICE_TIMEOUT_MAX_MS 3600000u         /* listener.timeout: 1 .. 1 hour */
#define PSH_SERVICE_THREADS_MAX 256u                /* core_settings.thread_pool_size */
#define PSH_SERVICE_CONNECTIONS_DEFAULT 1024u       /* listener.max_connections */
#define PSH_SERVICE_CONNECTIONS_MAX 65536u
#define PSH_SERVICE_BODY_LIMIT_MAX (32u << 20)      /* body_len_limit, buffer_size_limit */
#define PSH_SERVICE_BUFFERED_DEFAULT (64u << 20)    /* request bytes held by the listener */
#define PSH_SERVICE_WARNINGS_MAX 8
#define PSH_SERVICE_WARNING_LEN 160

typedef struct psh_service_config {
    psh_engine_config engine;            /* holds PINs/auth: psh_engine_config_wipe when done */
    char socket_path[PSH_PATH_MAX];      /* listener.socket_path */
    unsigned timeout_ms;                 /* listener.timeout: per-request read and write deadline */
    unsigned thread_pool_size;           /* core_settings.thread_pool_size; default = CPUs */
    int allow_root;                      /* core_settings.allow_root */
    unsigned max_connections;            /* listener.max_connections (our extension) */
    size_t max_buffered_bytes;           /* request bytes buffered across connections */
    char log_level[16];                  /* core_settings.log_level, "" = not set */
    int log_timestamp;                   /* accepted for compatibility */
    int log_error_details;               /* accepted for compatibility */
    unsigned idle_listener_sleep_ms;     /* accepted; unused (the listener uses epoll) */
    /* Non-fatal findings (unknown keys, ignored settings), one line each, NUL-terminated. */
    unsigned warning_count;              /* may exceed PSH_SERVICE_WARNINGS_MAX; extra dropped */
    char warnings[PSH_SERVICE_WARNINGS_MAX][PSH_SERVICE_WARNING_LEN];
} psh_service_config;

/* Fills every default: engine defaults (psh_engine_config_init), socket /run/parsec/parsec.sock,
 * timeout 200 ms, thread_pool_size = online CPUs (1..256), max_connections 1024, 64 MiB
 * buffered, KIM path PSH_SERVICE_DEFAULT_KIM. */
void psh_service_config_init(psh_service_config *cfg);

/* Parses config.toml text (borrowed; need not be NUL-terminated). On success *out is fully
 * filled (defaults for absent keys) and out->warnings lists unknown keys. On failure *out is
 * wiped back to defaults and err (may be NULL) holds one line naming the offending key.
 * Returns PSH_SUCCESS; PSH_ERR_INVALID_ENCODING for any TOML syntax error, wrong type, missing
 * required key, out-of-range or over-long value, or inconsistent setting;
 * PSH_ERR_PSA_NOT_SUPPORTED for a setting Parsec knows but this engine does not implement
 * (JwtSvid, OnDisk KIM, CryptoAuthLib, TrustedService);
 * PSH_ERR_PSA_INSUFFICIENT_MEMORY when allocation fails. Never throws. */
psh_status psh_service_config_parse(const char *text, size_t len, psh_service_config *out,
                                    char *err, size_t err_size);

/* Reads the file at path (at most PSH_SERVICE_CONFIG_FILE_MAX bytes; the read buffer is wiped
 * before it is freed) and parses it. Returns the statuses of psh_service_config_parse, plus
 * PSH_ERR_PSA_DOES_NOT_EXIST when the file cannot be opened or read and
 * PSH_ERR_PSA_INVALID_ARGUMENT when it is too large or not a regular file. */
psh_status psh_service_config_load(const char *path, psh_service_config *out, char *err,
                                   size_t err_size);

/* Decodes a PIN or hierarchy auth value per spec 8: "hex:<hex digits>" gives the decoded
 * bytes (even count, either case), "str:<rest>" the rest literally, anything else the whole
 * string literally. Writes at most out_size bytes. Returns PSH_SUCCESS,
 * PSH_ERR_INVALID_ENCODING for bad hex, PSH_ERR_PSA_BUFFER_TOO_SMALL when it does not fit.
 * *out_len is 0 on failure. */
psh_status psh_service_decode_secret(const char *s, size_t len, uint8_t *out, size_t out_size,
                                     size_t *out_len);

/* Appends one warning line to cfg (printf-style); counts it even when the table is full. */
void psh_service_config_warn(psh_service_config *cfg, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Wipes the secrets the config holds (PINs, hierarchy auth). */
void psh_service_config_wipe(psh_service_config *cfg);

#ifdef __cplusplus
}
#endif
#endif
