/* psh-service: the Parsec-compatible daemon. Reads config.toml, starts the engine, serves the
 * Unix socket until SIGTERM/SIGINT, then stops cleanly and exits 0. Every start-up failure is
 * one line "psh-service: <reason>" on stderr and a non-zero exit. */
#define PSH_LOGMODULE service
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "psh/engine.h"
#include "service/config.h"
#include "service/listener.h"
#include "util/log.h"

#ifndef PSH_VERSION
#define PSH_VERSION "0.0.0"
#endif

#define EXIT_USAGE 2

static void usage(FILE *f)
{
    fprintf(f,
            "usage: psh-service [--config PATH]\n"
            "  -c, --config PATH  Parsec-style config.toml (default ./config.toml)\n"
            "      --version      print the version and exit\n"
            "  -h, --help         print this help and exit\n"
            "Stops cleanly on SIGTERM or SIGINT. Log levels: core_settings.log_level, or the\n"
            "PSH_LOG environment variable (e.g. PSH_LOG=all+warn,service+debug), which wins.\n");
}

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("psh-service: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return EXIT_FAILURE;
}

/* Returns 0 and sets *config_path, or an exit code (< 0: exit 0 after --help/--version). */
static int parse_args(int argc, char **argv, const char **config_path)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--config") == 0 || strcmp(a, "-c") == 0) {
            if (i + 1 >= argc) {
                fail("%s needs a path (try --help)", a);
                return EXIT_USAGE;
            }
            *config_path = argv[++i];
        } else if (strncmp(a, "--config=", 9) == 0) {
            *config_path = a + 9;
        } else if (strcmp(a, "--version") == 0) {
            printf("psh-service %s\n", PSH_VERSION);
            return -1;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return -1;
        } else {
            fail("unknown argument '%s' (try --help)", a);
            return EXIT_USAGE;
        }
    }
    return 0;
}

/* core_settings.log_level applies unless PSH_LOG is set; Parsec's "trace" is our "debug". */
static void apply_log_level(const char *level)
{
    char spec[32];
    if (level[0] == '\0' || getenv("PSH_LOG") != NULL)
        return;
    (void)psh_log_enabled("service", PSH_LOG_ERROR); /* read PSH_LOG once before overriding */
    snprintf(spec, sizeof spec, "all+%s", strcmp(level, "trace") == 0 ? "debug" : level);
    psh_log_configure(spec);
}

/* SIGTERM/SIGINT are blocked in every thread and read through a signalfd by the listener.
 * SIGPIPE is ignored (writes also use MSG_NOSIGNAL); SIGHUP is ignored: no reload. */
static int setup_signals(void)
{
    sigset_t set;
    signal(SIGPIPE, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
        return -1;
    return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

int main(int argc, char **argv)
{
    static psh_service_config cfg; /* ~30 KiB: kept off the stack */
    const char *config_path = "config.toml";
    char err[512] = "";
    psh_engine *engine = NULL;
    psh_listener *listener = NULL;
    int rc = EXIT_FAILURE;
    int sfd = -1;

    int r = parse_args(argc, argv, &config_path);
    if (r != 0)
        return r < 0 ? EXIT_SUCCESS : r;
    if (psh_service_config_load(config_path, &cfg, err, sizeof err) != PSH_SUCCESS) {
        rc = fail("%s", err);
        goto exit;
    }
    for (unsigned i = 0; i < cfg.warning_count && i < PSH_SERVICE_WARNINGS_MAX; i++)
        fprintf(stderr, "psh-service: warning: %s: %s\n", config_path, cfg.warnings[i]);
    if (cfg.warning_count > PSH_SERVICE_WARNINGS_MAX)
        fprintf(stderr, "psh-service: warning: %s: %u more warnings\n", config_path,
                cfg.warning_count - PSH_SERVICE_WARNINGS_MAX);
    if (geteuid() == 0 && !cfg.allow_root) {
        rc = fail("refusing to run as root (set core_settings.allow_root = true to allow it)");
        goto exit;
    }
    apply_log_level(cfg.log_level);
    sfd = setup_signals();
    if (sfd < 0) {
        rc = fail("cannot set up signal handling");
        goto exit;
    }
    /* Before opening the key store: two services must never share one KIM file. */
    if (psh_listener_probe(cfg.socket_path, err, sizeof err) != PSH_SUCCESS) {
        rc = fail("%s", err);
        goto exit;
    }
    if (psh_engine_create(&cfg.engine, &engine, err, sizeof err) != PSH_SUCCESS) {
        rc = fail("cannot start the engine: %s", err[0] ? err : "unknown error");
        goto exit;
    }
    psh_service_config_wipe(&cfg); /* the engine has what it needs */
    psh_listener_config lc = {
        .socket_path = cfg.socket_path,
        .timeout_ms = cfg.timeout_ms,
        .thread_pool_size = cfg.thread_pool_size,
        .max_connections = cfg.max_connections,
        .max_buffered_bytes = cfg.max_buffered_bytes,
    };
    if (psh_listener_create(&lc, engine, &listener, err, sizeof err) != PSH_SUCCESS) {
        rc = fail("%s", err[0] ? err : "cannot create the listener");
        goto exit;
    }
    fprintf(stderr, "psh-service: listening on %s\n", cfg.socket_path);
    if (psh_listener_run(listener, sfd) != PSH_SUCCESS) {
        rc = fail("the listener stopped on an error");
        goto exit;
    }
    rc = EXIT_SUCCESS;
exit:
    psh_listener_destroy(listener);
    psh_engine_destroy(engine);
    psh_service_config_wipe(&cfg);
    if (sfd >= 0)
        close(sfd);
    return rc;
}
