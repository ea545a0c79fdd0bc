/* Private to the listener: the socket file it binds and removes, and fitting
 * max_connections to the descriptor limit. */
#ifndef PSH_SERVICE_LISTENER_SOCK_H
#define PSH_SERVICE_LISTENER_SOCK_H

#include <stddef.h>
#include <sys/types.h>

#include "psh/status.h"

typedef struct psh_sock_file {
    int bound; /* the socket file at the path is the one we bound (dev/ino recorded) */
    dev_t dev;
    ino_t ino;
} psh_sock_file;

/* Probes (psh_listener_probe), removes a stale socket, binds and listens at path with mode
 * 0666. *listen_fd is set as soon as a socket exists (the caller closes it on failure). */
psh_status psh_sock_bind(const char *path, int *listen_fd, psh_sock_file *f, char *err,
                         size_t err_size);
/* Removes the socket file only if it is still the one we bound (a newer service may own
 * the path by now). */
void psh_sock_unlink_own(const char *path, psh_sock_file *f);
/* Raises RLIMIT_NOFILE to max_connections + 64 if it can; else returns a lowered
 * max_connections that fits (keeping 64 descriptors, or half of a limit of 128 or less,
 * for everything else) and warns. */
unsigned psh_sock_fit_fd_limit(unsigned max_connections);

#endif
