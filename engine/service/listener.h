/* The Unix domain socket front end (spec 1.1): one request per connection, read in stages
 * and served by a pool of threads sharing one epoll set (leader/follower): the thread that
 * completes reading a request calls psh_engine_handle itself while another thread keeps the
 * loop; one thread always keeps it, so the bounds below hold while every other one serves.
 *
 * Bounds (also in docs/config.md):
 *   - every connection has timeout_ms from accept to deliver its whole request; then it gets
 *     a ConnectionError (15) reply and is closed, so slow or idle clients hold nothing longer;
 *   - the response write has its own timeout_ms deadline; a reply the client does not read
 *     at once is finished by the event loop, so a client that never reads holds no thread;
 *   - at most max_connections are open (reading, queued, being served or written); above that
 *     a new connection replaces the oldest one still reading if it has been reading for
 *     10 ms (idle or trickling), else it is accepted and closed at once; out of descriptors
 *     (EMFILE) the same eviction applies, else accepting pauses 100 ms;
 *   - request bytes buffered across all connections stay under max_buffered_bytes; a request
 *     that would cross it gets PsaErrorInsufficientMemory (1141) and is closed;
 *   - reply bytes waiting for slow readers stay under max_buffered_bytes too; over it the
 *     serving thread writes the reply itself under the deadline;
 *   - the work queue holds at most max_connections requests (it can never overflow).
 * Memory beyond the engine's: 2 x max_buffered_bytes + thread_pool_size replies being built
 * (each <= buffer_size_limit + header) + max_connections small connection records. */
#ifndef PSH_SERVICE_LISTENER_H
#define PSH_SERVICE_LISTENER_H

#include <stddef.h>

#include "psh/config.h"
#include "psh/engine.h"
#include "psh/status.h"

typedef struct psh_listener_config {
    const char *socket_path;   /* borrowed during create; must fit sockaddr_un (<= 107 bytes) */
    unsigned timeout_ms;       /* >= 1: per-request read deadline and response write deadline */
    unsigned thread_pool_size; /* >= 1 worker threads */
    unsigned max_connections;  /* >= 1 */
    size_t max_buffered_bytes; /* >= 64 KiB */
} psh_listener_config;

typedef struct psh_listener psh_listener; /* opaque */

/* Checks that a socket can be bound at path: nothing there, or a stale socket nobody listens
 * on. Returns PSH_SUCCESS; PSH_ERR_PSA_ALREADY_EXISTS ("socket in use": a live service
 * accepts connections there); PSH_ERR_PSA_INVALID_ARGUMENT when the path is too long or
 * holds something that is not a socket; PSH_ERR_PSA_GENERIC for other system errors. err
 * (may be NULL) gets one line. */
psh_status psh_listener_probe(const char *path, char *err, size_t err_size);

/* Binds and listens at cfg->socket_path: a stale socket there is removed first (see probe),
 * the socket file gets mode 0666 like the reference (access is controlled by the directory
 * and by authentication, spec 1.1). engine is borrowed and must outlive the listener.
 * Returns the probe statuses, PSH_ERR_PSA_INVALID_ARGUMENT for a bad cfg,
 * PSH_ERR_PSA_INSUFFICIENT_MEMORY, or PSH_ERR_PSA_GENERIC when a system call fails.
 * *out is callee-allocated (free with psh_listener_destroy) and NULL on failure. */
psh_status psh_listener_create(const psh_listener_config *cfg, psh_engine *engine,
                               psh_listener **out, char *err, size_t err_size);

/* Serves until stop_fd becomes readable (a signalfd, eventfd or pipe; it is not read).
 * Then it stops accepting, removes the socket file, lets connections still reading finish
 * or reach their deadline, serves every queued request, and joins the pool threads.
 * Call once. Returns PSH_SUCCESS, or PSH_ERR_PSA_GENERIC when the threads or epoll could
 * not be started. The calling thread is one of the thread_pool_size + 1 threads (at most
 * thread_pool_size serve at once). The caller should ignore SIGPIPE; writes use
 * MSG_NOSIGNAL anyway. */
psh_status psh_listener_run(psh_listener *l, int stop_fd);

/* Closes everything and removes the socket file if it is still the one this listener
 * created. NULL is a no-op. */
void psh_listener_destroy(psh_listener *l);

#endif
