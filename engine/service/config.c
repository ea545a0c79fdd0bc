/* Service config: defaults, secret decoding, file loading. The TOML walk is config_toml.cpp. */
#define PSH_LOGMODULE service
#include "service/config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/hex.h"
#include "util/alloc.h"
#include "util/log.h"

void psh_service_config_init(psh_service_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    psh_engine_config_init(&cfg->engine);
    snprintf(cfg->engine.kim_path, sizeof cfg->engine.kim_path, "%s", PSH_SERVICE_DEFAULT_KIM);
    snprintf(cfg->socket_path, sizeof cfg->socket_path, "%s", PSH_SERVICE_DEFAULT_SOCKET);
    cfg->timeout_ms = 200;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (cpus < 1)
        cpus = 1;
    if (cpus > (long)PSH_SERVICE_THREADS_MAX)
        cpus = PSH_SERVICE_THREADS_MAX;
    cfg->thread_pool_size = (unsigned)cpus;
    cfg->max_connections = PSH_SERVICE_CONNECTIONS_DEFAULT;
    cfg->max_buffered_bytes = PSH_SERVICE_BUFFERED_DEFAULT;
    cfg->idle_listener_sleep_ms = 10;
}

void psh_service_config_wipe(psh_service_config *cfg)
{
    psh_engine_config_wipe(&cfg->engine);
}

void psh_service_config_warn(psh_service_config *cfg, const char *fmt, ...)
{
    if (cfg->warning_count < PSH_SERVICE_WARNINGS_MAX) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(cfg->warnings[cfg->warning_count], PSH_SERVICE_WARNING_LEN, fmt, ap);
        va_end(ap);
        LOG_WARN("config: %s", cfg->warnings[cfg->warning_count]);
    }
    cfg->warning_count++;
}

psh_status psh_service_decode_secret(const char *s, size_t len, uint8_t *out, size_t out_size,
                                     size_t *out_len)
{
    psh_status status = PSH_ERR_CORRUPTION;
    *out_len = 0;
    if (len >= 4 && memcmp(s, "hex:", 4) == 0) {
        const char *hex = s + 4;
        size_t hex_len = len - 4;
        if (hex_len % 2 != 0) {
            status = PSH_ERR_INVALID_ENCODING;
            goto exit;
        }
        if (hex_len / 2 > out_size) {
            status = PSH_ERR_PSA_BUFFER_TOO_SMALL;
            goto exit;
        }
        for (size_t i = 0; i < hex_len / 2; i++) {
            int hi = psh_hex_nibble(hex[2 * i]), lo = psh_hex_nibble(hex[2 * i + 1]);
            if (hi < 0 || lo < 0) {
                status = PSH_ERR_INVALID_ENCODING;
                goto exit;
            }
            out[i] = (uint8_t)(hi << 4 | lo);
        }
        *out_len = hex_len / 2;
    } else {
        /* "str:" strips the prefix; no prefix means the whole value is the secret. */
        if (len >= 4 && memcmp(s, "str:", 4) == 0) {
            s += 4;
            len -= 4;
        }
        if (len > out_size) {
            status = PSH_ERR_PSA_BUFFER_TOO_SMALL;
            goto exit;
        }
        memcpy(out, s, len);
        *out_len = len;
    }
    status = PSH_SUCCESS;
exit:
    if (status != PSH_SUCCESS)
        psh_zeroize(out, out_size); /* no half-decoded secret left behind */
    return status;
}

/* Reads the whole file, refusing anything but a regular file of at most the cap.
 * *text is callee-allocated: free with psh_free_secret(*text, *len) (it may hold PINs). */
static psh_status read_config_file(const char *path, char **text, size_t *len, char *err,
                                   size_t err_size)
{
    psh_status status = PSH_ERR_CORRUPTION;
    char *buf = NULL;
    size_t got = 0;
    int fd = -1;
    struct stat st;

    *text = NULL;
    *len = 0;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        snprintf(err, err_size, "cannot open config file %s: %s", path, strerror(errno));
        status = PSH_ERR_PSA_DOES_NOT_EXIST;
        goto exit;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, err_size, "config file %s is not a regular file", path);
        status = PSH_ERR_PSA_INVALID_ARGUMENT;
        goto exit;
    }
    if (st.st_size > (off_t)PSH_SERVICE_CONFIG_FILE_MAX) {
        snprintf(err, err_size, "config file %s is larger than %u bytes", path,
                 PSH_SERVICE_CONFIG_FILE_MAX);
        status = PSH_ERR_PSA_INVALID_ARGUMENT;
        goto exit;
    }
    /* One spare byte detects a file that grew past the cap after fstat. */
    buf = psh_malloc(PSH_SERVICE_CONFIG_FILE_MAX + 1);
    if (buf == NULL) {
        snprintf(err, err_size, "out of memory reading %s", path);
        status = PSH_ERR_PSA_INSUFFICIENT_MEMORY;
        goto exit;
    }
    for (;;) {
        ssize_t n = read(fd, buf + got, PSH_SERVICE_CONFIG_FILE_MAX + 1 - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(err, err_size, "cannot read config file %s: %s", path, strerror(errno));
            status = PSH_ERR_PSA_DOES_NOT_EXIST;
            goto exit;
        }
        if (n == 0)
            break;
        got += (size_t)n;
        if (got > PSH_SERVICE_CONFIG_FILE_MAX) {
            snprintf(err, err_size, "config file %s is larger than %u bytes", path,
                     PSH_SERVICE_CONFIG_FILE_MAX);
            status = PSH_ERR_PSA_INVALID_ARGUMENT;
            goto exit;
        }
    }
    *text = buf;
    *len = got;
    buf = NULL;
    status = PSH_SUCCESS;
exit:
    if (buf != NULL)
        psh_free_secret(buf, PSH_SERVICE_CONFIG_FILE_MAX + 1);
    if (fd >= 0)
        close(fd);
    return status;
}

psh_status psh_service_config_load(const char *path, psh_service_config *out, char *err,
                                   size_t err_size)
{
    psh_status status = PSH_ERR_CORRUPTION;
    char *text = NULL;
    size_t len = 0;
    char local_err[8];

    if (err == NULL || err_size == 0) {
        err = local_err;
        err_size = sizeof local_err;
    }
    err[0] = '\0';
    psh_service_config_init(out);
    status = read_config_file(path, &text, &len, err, err_size);
    if (status != PSH_SUCCESS)
        goto exit;
    char parse_err[256];
    status = psh_service_config_parse(text, len, out, parse_err, sizeof parse_err);
    if (status != PSH_SUCCESS)
        snprintf(err, err_size, "%s: %s", path, parse_err);
exit:
    if (text != NULL)
        psh_free_secret(text, PSH_SERVICE_CONFIG_FILE_MAX + 1);
    return status;
}
