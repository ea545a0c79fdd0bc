/* LD_PRELOAD shim for swtpm in test_rel_backend.sh: sets SO_REUSEADDR before every bind().
 * swtpm 0.7 binds its TCP ports without it, so after it is SIGKILLed with a client connected
 * the server side of that connection sits in TIME_WAIT for 60 s and a restart on the same
 * port (the one psh-service's TCTI string names) fails with EADDRINUSE. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stddef.h>
#include <dlfcn.h>
#include <sys/socket.h>

int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
    static int (*real_bind)(int, const struct sockaddr *, socklen_t);
    int one = 1;
    if (real_bind == NULL)
        real_bind = (int (*)(int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "bind");
    if (real_bind == NULL)
        return -1;
    if (addr != NULL && addr->sa_family != AF_UNIX)
        (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    return real_bind(fd, addr, len);
}
