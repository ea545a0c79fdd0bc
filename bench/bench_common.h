/* Shared by the benchmarks that start psh-service: timing helpers, and spawning the service on
 * a config written into a temp dir. Header-only (static inline) because every bench_*.c is its
 * own executable. */
#ifndef PSH_BENCH_COMMON_H
#define PSH_BENCH_COMMON_H

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "psh/client.h"

#define MAX_ROUNDS 32

static inline double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* n <= MAX_ROUNDS. */
static inline double median(const double *v, int n)
{
    double s[MAX_ROUNDS];
    memcpy(s, v, (size_t)n * sizeof *v);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* The directory part of path, written into buf. */
static inline const char *dir_of(const char *path, char *buf, size_t n)
{
    char *slash;
    snprintf(buf, n, "%s", path);
    slash = strrchr(buf, '/');
    if (slash == NULL)
        return ".";
    *slash = '\0';
    return buf;
}

/* Writes DIR/config.toml (socket SOCK, UnixPeerCredentials, SQLite KIM in DIR, two worker
 * threads, then PROVIDER_TOML: the [[provider]] tables) and starts SERVICE on it with stderr
 * in DIR/service.log. Returns its pid, or -1; the caller waits for it to answer. */
static inline pid_t bench_spawn_service(const char *service, const char *dir, const char *sock,
                                        int timeout_ms, const char *provider_toml)
{
    char conf[PATH_MAX], log[PATH_MAX];
    FILE *f;
    pid_t pid;
    snprintf(conf, sizeof conf, "%s/config.toml", dir);
    snprintf(log, sizeof log, "%s/service.log", dir);
    f = fopen(conf, "w");
    if (f == NULL)
        return -1;
    fprintf(f,
            "[core_settings]\nallow_root = true\nthread_pool_size = 2\n\n"
            "[listener]\nlistener_type = \"DomainSocket\"\ntimeout = %d\n"
            "socket_path = \"%s\"\n\n"
            "[authenticator]\nauth_type = \"UnixPeerCredentials\"\n\n"
            "[[key_manager]]\nname = \"sqlite-manager\"\nmanager_type = \"SQLite\"\n"
            "sqlite_db_path = \"%s/kim.sqlite3\"\n\n%s",
            timeout_ms, sock, dir, provider_toml);
    fclose(f);
    pid = fork();
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0)
            dup2(fd, 2);
        execl(service, service, "--config", conf, (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* Waits up to tries x 10 ms for the service to answer c's Ping; kills it and returns -1 if it
 * never does, else returns pid. */
static inline pid_t bench_wait_service(pid_t pid, psh_client *c, int tries)
{
    if (pid < 0)
        return -1;
    for (int i = 0; i < tries; i++) {
        uint8_t maj, min;
        usleep(10000);
        if (psh_client_ping(c, &maj, &min) == PSH_SUCCESS)
            return pid;
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
}

/* The TPM provider service of bench_tpm and bench_attest_tpm: socket DIR/parsec.sock, c set up
 * to talk to provider 3 there. */
static inline pid_t bench_start_tpm_service(const char *service, const char *dir,
                                            const char *tcti, psh_client *c)
{
    char sock[PATH_MAX], provider[PATH_MAX + 160];
    snprintf(sock, sizeof sock, "%s/parsec.sock", dir);
    snprintf(provider, sizeof provider,
             "[[provider]]\nprovider_type = \"Tpm\"\nkey_info_manager = \"sqlite-manager\"\n"
             "tcti = \"%s\"\nowner_hierarchy_auth = \"\"\n",
             tcti);
    psh_client_init(c);
    psh_client_set_endpoint(c, sock);
    c->provider = 3;
    return bench_wait_service(bench_spawn_service(service, dir, sock, 5000, provider), c, 500);
}

#endif
