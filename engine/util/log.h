/* Per-module logging. A file defines PSH_LOGMODULE before including this header.
 * Run-time levels come from PSH_LOG, e.g. "all+warn,wire+debug"; default is "all+error".
 * Never log key material, PINs or auth bytes. */
#ifndef PSH_UTIL_LOG_H
#define PSH_UTIL_LOG_H

#ifndef PSH_LOGMODULE
#error "define PSH_LOGMODULE before including util/log.h"
#endif

enum psh_log_level { PSH_LOG_NONE = 0, PSH_LOG_ERROR, PSH_LOG_WARN, PSH_LOG_INFO, PSH_LOG_DEBUG };

/* Build-time ceiling: messages above it compile to nothing. */
#ifndef PSH_LOG_CEILING
#define PSH_LOG_CEILING PSH_LOG_DEBUG
#endif

int psh_log_enabled(const char *module, enum psh_log_level level);
void psh_log_write(const char *module, enum psh_log_level level, const char *file, int line,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Re-reads the level settings (tests call it after changing PSH_LOG). */
void psh_log_configure(const char *spec);

#define PSH_STR2(x) #x
#define PSH_STR(x) PSH_STR2(x)
#define PSH_LOG_AT(lvl, ...)                                                            \
    do {                                                                                \
        if ((lvl) <= PSH_LOG_CEILING && psh_log_enabled(PSH_STR(PSH_LOGMODULE), (lvl))) \
            psh_log_write(PSH_STR(PSH_LOGMODULE), (lvl), __FILE__, __LINE__, __VA_ARGS__); \
    } while (0)
#define LOG_ERROR(...) PSH_LOG_AT(PSH_LOG_ERROR, __VA_ARGS__)
#define LOG_WARN(...) PSH_LOG_AT(PSH_LOG_WARN, __VA_ARGS__)
#define LOG_INFO(...) PSH_LOG_AT(PSH_LOG_INFO, __VA_ARGS__)
#define LOG_DEBUG(...) PSH_LOG_AT(PSH_LOG_DEBUG, __VA_ARGS__)

#endif
