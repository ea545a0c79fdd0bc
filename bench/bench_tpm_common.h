/* Shared by the benchmarks that run psh-service with the TPM provider against a swtpm
 * (bench_tpm, bench_attest_tpm): timing helpers and starting the service on a temp dir. */
#ifndef PSH_BENCH_TPM_COMMON_H
#define PSH_BENCH_TPM_COMMON_H

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

static inline double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define MAX_ROUNDS 32

static inline int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static inline double median(const double *v, int n)
{
    double s[MAX_ROUNDS];
    memcpy(s, v, (size_t)n * sizeof *v);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

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


/* Writes DIR/config.toml (TPM provider on TCTI), starts SERVICE with it, and returns its pid
 * once *c answers a Ping; -1 when it does not come up. */
static inline pid_t start_service(const char *service, const char *dir, const char *tcti,
                           psh_client *c)
{
    char conf[PATH_MAX], log[PATH_MAX], sock[PATH_MAX];
    FILE *f;
    pid_t pid;
    snprintf(conf, sizeof conf, "%s/config.toml", dir);
    snprintf(log, sizeof log, "%s/service.log", dir);
    snprintf(sock, sizeof sock, "%s/parsec.sock", dir);
    f = fopen(conf, "w");
    if (f == NULL)
        return -1;
    fprintf(f,
            "[core_settings]\nallow_root = true\nthread_pool_size = 2\n\n"
            "[listener]\nlistener_type = \"DomainSocket\"\ntimeout = 5000\n"
            "socket_path = \"%s\"\n\n"
            "[authenticator]\nauth_type = \"UnixPeerCredentials\"\n\n"
            "[[key_manager]]\nname = \"sqlite-manager\"\nmanager_type = \"SQLite\"\n"
            "sqlite_db_path = \"%s/kim.sqlite3\"\n\n"
            "[[provider]]\nprovider_type = \"Tpm\"\nkey_info_manager = \"sqlite-manager\"\n"
            "tcti = \"%s\"\nowner_hierarchy_auth = \"\"\n",
            sock, dir, tcti);
    fclose(f);
    pid = fork();
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0)
            dup2(fd, 2);
        execl(service, service, "--config", conf, (char *)NULL);
        _exit(127);
    }
    psh_client_init(c);
    psh_client_set_endpoint(c, sock);
    c->provider = 3;
    for (int i = 0; i < 500; i++) {
        uint8_t maj, min;
        usleep(10000);
        if (psh_client_ping(c, &maj, &min) == PSH_SUCCESS)
            return pid;
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
}


#endif
