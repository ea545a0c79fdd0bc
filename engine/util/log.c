#define PSH_LOGMODULE log
#include "util/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RULES 16

static struct {
    char module[24];
    enum psh_log_level level;
} rules[MAX_RULES];
static int rule_count;
static enum psh_log_level default_level = PSH_LOG_ERROR;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static enum psh_log_level parse_level(const char *s)
{
    static const char *names[] = {"none", "error", "warn", "info", "debug"};
    for (int i = 0; i < 5; i++)
        if (strcmp(s, names[i]) == 0)
            return (enum psh_log_level)i;
    return PSH_LOG_ERROR;
}

void psh_log_configure(const char *spec)
{
    char buf[256];
    rule_count = 0;
    default_level = PSH_LOG_ERROR;
    if (spec == NULL)
        return;
    snprintf(buf, sizeof buf, "%s", spec);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
        char *plus = strchr(tok, '+');
        if (plus == NULL)
            continue;
        *plus = '\0';
        enum psh_log_level lvl = parse_level(plus + 1);
        if (strcmp(tok, "all") == 0) {
            default_level = lvl;
        } else if (rule_count < MAX_RULES) {
            snprintf(rules[rule_count].module, sizeof rules[rule_count].module, "%s", tok);
            rules[rule_count++].level = lvl;
        }
    }
}

static void configure_from_env(void)
{
    psh_log_configure(getenv("PSH_LOG"));
}

int psh_log_enabled(const char *module, enum psh_log_level level)
{
    pthread_once(&once, configure_from_env);
    for (int i = 0; i < rule_count; i++)
        if (strcmp(rules[i].module, module) == 0)
            return level <= rules[i].level;
    return level <= default_level;
}

void psh_log_write(const char *module, enum psh_log_level level, const char *file, int line,
                   const char *fmt, ...)
{
    static const char *tags[] = {"", "ERROR", "WARN", "INFO", "DEBUG"};
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *base = strrchr(file, '/');
    /* One fprintf per line so concurrent workers do not interleave within a line. */
    fprintf(stderr, "psh %s [%s] %s:%d %s\n", tags[level], module, base ? base + 1 : file, line, msg);
}
