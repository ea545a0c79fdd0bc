/* The listener's socket file and descriptor budget (see listener.h for the public probe). */
#define PSH_LOGMODULE service
#include "service/listener_sock.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "service/listener.h"
#include "util/log.h"

static int fill_addr(const char *path, struct sockaddr_un *sa)
{
    memset(sa, 0, sizeof *sa);
    sa->sun_family = AF_UNIX;
    if (strlen(path) == 0 || strlen(path) >= sizeof sa->sun_path)
        return -1;
    memcpy(sa->sun_path, path, strlen(path));
    return 0;
}

psh_status psh_listener_probe(const char *path, char *err, size_t err_size)
{
    psh_status status = PSH_ERR_CORRUPTION;
    struct sockaddr_un sa;
    struct stat st;
    int fd = -1;
    char local_err[8];

    if (err == NULL || err_size == 0) {
        err = local_err;
        err_size = sizeof local_err;
    }
    if (fill_addr(path, &sa) != 0) {
        snprintf(err, err_size, "socket path '%s' is empty or longer than %zu bytes", path,
                 sizeof sa.sun_path - 1);
        status = PSH_ERR_PSA_INVALID_ARGUMENT;
        goto exit;
    }
    if (lstat(path, &st) != 0) {
        if (errno == ENOENT) {
            status = PSH_SUCCESS;
            goto exit;
        }
        snprintf(err, err_size, "cannot inspect socket path %s: %s", path, strerror(errno));
        status = PSH_ERR_PSA_GENERIC;
        goto exit;
    }
    if (!S_ISSOCK(st.st_mode)) {
        snprintf(err, err_size, "%s exists and is not a socket; not removing it", path);
        status = PSH_ERR_PSA_INVALID_ARGUMENT;
        goto exit;
    }
    /* Non-blocking so a live service with a full backlog (EAGAIN) cannot stall us. */
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, err_size, "socket: %s", strerror(errno));
        status = PSH_ERR_PSA_GENERIC;
        goto exit;
    }
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 || errno == EAGAIN ||
        errno == EINPROGRESS) {
        snprintf(err, err_size, "socket in use: another service is listening on %s", path);
        status = PSH_ERR_PSA_ALREADY_EXISTS;
        goto exit;
    }
    if (errno != ECONNREFUSED) {
        snprintf(err, err_size, "cannot check socket %s: %s", path, strerror(errno));
        status = PSH_ERR_PSA_GENERIC;
        goto exit;
    }
    status = PSH_SUCCESS; /* stale: nobody listens there; create removes it */
exit:
    if (fd >= 0)
        close(fd);
    return status;
}

/* Removes the socket file only if it is still the one we bound (a newer service may own
 * the path by now). */
void psh_sock_unlink_own(const char *path, psh_sock_file *f)
{
    struct stat st;
    if (!f->bound)
        return;
    f->bound = 0;
    if (lstat(path, &st) == 0 && st.st_dev == f->dev && st.st_ino == f->ino)
        unlink(path);
}

psh_status psh_sock_bind(const char *path, int *listen_fd, psh_sock_file *f, char *err,
                         size_t err_size)
{
    struct sockaddr_un sa;
    struct stat st;
    psh_status status = psh_listener_probe(path, err, err_size);
    if (status != PSH_SUCCESS)
        return status;
    fill_addr(path, &sa);
    if (unlink(path) != 0 && errno != ENOENT) {
        snprintf(err, err_size, "cannot remove stale socket %s: %s", path, strerror(errno));
        return PSH_ERR_PSA_GENERIC;
    }
    *listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (*listen_fd < 0 || bind(*listen_fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        snprintf(err, err_size, "cannot bind %s: %s", path, strerror(errno));
        return errno == EADDRINUSE ? PSH_ERR_PSA_ALREADY_EXISTS : PSH_ERR_PSA_GENERIC;
    }
    if (lstat(path, &st) == 0) {
        f->bound = 1;
        f->dev = st.st_dev;
        f->ino = st.st_ino;
    }
    /* 0666 as the reference: who may talk is decided by the directory's mode and by the
     * authenticator, not by the socket file (spec 1.1). */
    if (chmod(path, 0666) != 0 || listen(*listen_fd, SOMAXCONN) != 0) {
        snprintf(err, err_size, "cannot listen on %s: %s", path, strerror(errno));
        return PSH_ERR_PSA_GENERIC;
    }
    return PSH_SUCCESS;
}

/* max_connections sockets plus a few for epoll, the database and the provider libraries. */
unsigned psh_sock_fit_fd_limit(unsigned max_connections)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)max_connections + 64;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
        return max_connections;
    rlim_t old = rl.rlim_cur;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ? want : rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        rl.rlim_cur = old;
    if (rl.rlim_cur < want) {
        /* Keep 64 descriptors (or half of a small limit) for everything else. */
        rlim_t keep = rl.rlim_cur > 128 ? 64 : rl.rlim_cur / 2;
        unsigned fit = rl.rlim_cur > keep + 1 ? (unsigned)(rl.rlim_cur - keep) : 1;
        LOG_WARN("file descriptor limit %llu: max_connections lowered from %u to %u",
                 (unsigned long long)rl.rlim_cur, max_connections, fit);
        return fit;
    }
    return max_connections;
}
