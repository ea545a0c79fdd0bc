/* Input: the text of a config.toml (spec section 8), any bytes, not NUL-terminated.
 * Invariants: the parser never throws, never reads past len, and on failure leaves the
 * config at its defaults; a parsed config holds in-range values. */
#include "fuzz_common.h"

#include "service/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static psh_service_config cfg; /* large: keep it off the fuzzer's stack */
    char err[256];
    psh_status st;

    fuzz_setup();
    st = psh_service_config_parse((const char *)data, size, &cfg, err, sizeof err);
    if (st == PSH_SUCCESS) {
        if (cfg.engine.provider_count > PSH_MAX_PROVIDERS ||
            cfg.engine.admin_count > PSH_MAX_ADMINS ||
            cfg.thread_pool_size > PSH_SERVICE_THREADS_MAX ||
            cfg.timeout_ms > PSH_SERVICE_TIMEOUT_MAX_MS ||
            cfg.max_connections > PSH_SERVICE_CONNECTIONS_MAX ||
            cfg.engine.body_len_limit > PSH_SERVICE_BODY_LIMIT_MAX ||
            cfg.engine.buffer_size_limit > PSH_SERVICE_BODY_LIMIT_MAX ||
            memchr(cfg.socket_path, '\0', sizeof cfg.socket_path) == NULL ||
            memchr(cfg.engine.kim_path, '\0', sizeof cfg.engine.kim_path) == NULL) {
            fprintf(stderr, "fuzz_config: parsed config out of range\n");
            abort();
        }
        for (size_t i = 0; i < cfg.engine.provider_count; i++)
            if (cfg.engine.providers[i].user_pin_len > PSH_SECRET_MAX ||
                cfg.engine.providers[i].owner_hierarchy_auth_len > PSH_SECRET_MAX ||
                cfg.engine.providers[i].endorsement_hierarchy_auth_len > PSH_SECRET_MAX)
                abort();
    } else if (memchr(err, '\0', sizeof err) == NULL) {
        abort(); /* the reason must be one terminated line */
    }
    psh_service_config_wipe(&cfg);
    return 0;
}
