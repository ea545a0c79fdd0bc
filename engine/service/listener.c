/* Unix domain socket listener: a pool of threads shares one epoll set (leader/follower).
 *
 * One thread, the leader, waits in epoll_wait and runs the event loop's work under the
 * listener lock (accept, read, time out, write); the others wait on a condition variable.
 * When the loop produces a complete keyed request, the leader hands the loop to a follower
 * and serves the request itself, outside the lock: the request never changes threads, and
 * the follower's wake-up runs beside it instead of before it. The last thread that is not
 * serving never serves a keyed request: it queues it for the next thread that finishes, so
 * some thread always runs the loop, as the single event-loop thread did before.
 *
 * A connection's life (one request per connection, spec 1.1):
 *   READING  loop owned; in the deadline list (accept order == deadline order, since every
 *            connection gets the same timeout from accept). Bytes are read in stages so the
 *            loop never reads past the frame: 6 bytes (magic + hdr_size), then the rest of the
 *            header, then exactly body + auth; stage after stage while the socket has bytes.
 *            After each read psh_engine_frame_size says whether the frame already failed
 *            (reply with the default error header, close) or how long it is. Deadline or EOF
 *            first: ConnectionError reply, close.
 *   SERVED   the frame is complete and left epoll and the list: the thread that read it (or,
 *            when it is the last one looping, the next thread to finish; the queue) runs
 *            psh_engine_handle and sends what the socket takes at once. Most replies fit:
 *            the fd is closed and the connection freed.
 *   WRITING  the client is not reading its reply fast enough: the rest goes back to the loop,
 *            which writes it on EPOLLOUT under the write deadline. A client that never reads
 *            therefore holds no thread: it holds its reply, counted in pending_resp (bounded
 *            like request bytes). Over that budget the serving thread writes under the
 *            deadline itself.
 * Connections in epoll are edge-triggered and found through a slot table with generation
 * numbers, so an event a thread took before another thread closed the connection is
 * recognised as stale. Shared: everything under mu, plus three atomic counters (open
 * connections, buffered request bytes, pending reply bytes) which bound memory. */
#define PSH_LOGMODULE service
#include "service/listener.h"
#include "service/listener_sock.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/log.h"

#define PREFIX_SIZE 6          /* magic + hdr_size: enough to know the header's length */
#define ACCEPT_BATCH 64        /* accepts per wake-up, so reading connections are not starved */
#define ACCEPT_PAUSE_MS 100    /* back-off when the process is out of file descriptors */
#define FIRST_BUFFER 64        /* initial buffer; grows by doubling up to the frame size */
#define MIN_BUFFERED (64u * 1024u)
#define EVENTS_MAX 16          /* per thread and wake-up */
#define EVICT_AFTER_MS 10    /* see evict_idle */

typedef struct conn {
    int fd;
    int writing;           /* in the WRITING state */
    int in_epoll;          /* registered with the epoll set */
    uint32_t slot, gen;    /* slot table entry while READING or WRITING (gen != 0) */
    psh_peer peer;
    uint8_t *buf;          /* owned; cap bytes, counted in psh_listener.buffered */
    size_t cap;
    size_t len;
    size_t target;         /* read up to here before asking frame_size again */
    size_t need;           /* whole frame size once known, else 0 */
    uint64_t deadline_ms;  /* CLOCK_MONOTONIC */
    uint8_t *resp;         /* WRITING: owned reply (psh_engine_free_response) */
    size_t resp_len, resp_off;
    struct conn *prev, *next;
} conn;

/* A doubly linked list; reading and writing lists are in deadline order, because every
 * connection on one list gets the same timeout from the moment it joins it (on the loop). */
typedef struct clist {
    conn *head, *tail;
} clist;

/* Epoll tags: data.u64 = gen << 32 | slot for connections (gen >= 1), these for the rest. */
#define TAG_LISTEN 1u
#define TAG_STOP 2u
#define TAG_WAKE 3u

struct psh_listener {
    psh_listener_config cfg;
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    psh_engine *engine; /* borrowed */
    int listen_fd;
    int epoll_fd;
    int stop_fd;        /* borrowed during run */
    psh_sock_file sock; /* the socket file at path, if it is ours */
    int wake_fd;        /* eventfd: queued work for idle threads, or the end of the run */
    atomic_size_t open_conns;
    atomic_size_t buffered;
    atomic_size_t pending_resp; /* reply bytes handed to the loop and not yet written */
    pthread_mutex_t mu;
    /* Under mu: the event loop's state. */
    clist reading;      /* READING connections, earliest deadline first */
    clist writing;      /* WRITING connections, earliest deadline first */
    conn **slots;       /* max_connections entries: READING and WRITING connections */
    uint32_t *free_slots;
    size_t nfree;
    uint32_t next_gen;
    uint64_t accept_paused_until;
    int accept_more;    /* the last accept batch stopped at ACCEPT_BATCH: accept again */
    conn **queue;       /* ring of qcap == max_connections entries: never overflows */
    size_t qcap, qhead, qcount;
    unsigned looping;   /* threads not serving a request; kept >= 1 while running */
    unsigned waiting;   /* threads in epoll_wait (0 or 1: the leader) */
    int leader;         /* a thread holds the loop (waits in epoll or runs a batch) */
    unsigned followers; /* threads waiting on follow_cv for the loop */
    pthread_cond_t follow_cv;
    int accepting;
    int done;           /* the run is over: no loop to hand a reply to */
    psh_status run_status;
    pthread_t *workers;
    size_t nworkers;
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void wake_all(psh_listener *l)
{
    uint64_t one = 1;
    if (write(l->wake_fd, &one, sizeof one) < 0 && errno != EAGAIN)
        LOG_ERROR("eventfd write: %s", strerror(errno));
}

psh_status psh_listener_create(const psh_listener_config *cfg, psh_engine *engine,
                               psh_listener **out, char *err, size_t err_size)
{
    psh_status status = PSH_ERR_CORRUPTION;
    psh_listener *l = NULL;
    char local_err[8];

    *out = NULL;
    if (err == NULL || err_size == 0) {
        err = local_err;
        err_size = sizeof local_err;
    }
    err[0] = '\0';
    if (cfg == NULL || engine == NULL || cfg->socket_path == NULL || cfg->timeout_ms == 0 ||
        cfg->thread_pool_size == 0 || cfg->max_connections == 0 ||
        cfg->max_buffered_bytes < MIN_BUFFERED) {
        snprintf(err, err_size, "invalid listener settings");
        status = PSH_ERR_PSA_INVALID_ARGUMENT;
        goto exit;
    }
    l = psh_calloc(1, sizeof *l);
    if (l == NULL) {
        status = PSH_ERR_PSA_INSUFFICIENT_MEMORY;
        goto exit;
    }
    l->listen_fd = -1;
    l->epoll_fd = -1;
    l->wake_fd = -1;
    l->stop_fd = -1;
    l->next_gen = 1;
    l->cfg = *cfg;
    l->cfg.socket_path = NULL;
    l->engine = engine;
    atomic_init(&l->open_conns, 0);
    atomic_init(&l->buffered, 0);
    atomic_init(&l->pending_resp, 0);
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->follow_cv, NULL);
    if (strlen(cfg->socket_path) >= sizeof l->path) {
        snprintf(err, err_size, "socket path '%s' is longer than %zu bytes", cfg->socket_path,
                 sizeof l->path - 1);
        status = PSH_ERR_PSA_INVALID_ARGUMENT;
        goto exit;
    }
    snprintf(l->path, sizeof l->path, "%s", cfg->socket_path);
    l->cfg.max_connections = psh_sock_fit_fd_limit(l->cfg.max_connections);
    l->qcap = l->cfg.max_connections;
    l->queue = psh_alloc_array(l->qcap, sizeof *l->queue);
    l->workers = psh_alloc_array(l->cfg.thread_pool_size, sizeof *l->workers);
    l->slots = psh_alloc_array(l->qcap, sizeof *l->slots);
    l->free_slots = psh_alloc_array(l->qcap, sizeof *l->free_slots);
    if (l->queue == NULL || l->workers == NULL || l->slots == NULL || l->free_slots == NULL) {
        status = PSH_ERR_PSA_INSUFFICIENT_MEMORY;
        snprintf(err, err_size, "out of memory");
        goto exit;
    }
    l->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    l->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (l->epoll_fd < 0 || l->wake_fd < 0) {
        snprintf(err, err_size, "epoll_create1/eventfd: %s", strerror(errno));
        status = PSH_ERR_PSA_GENERIC;
        goto exit;
    }
    for (size_t i = 0; i < l->qcap; i++) {
        l->slots[i] = NULL;
        l->free_slots[l->nfree++] = (uint32_t)(l->qcap - 1 - i);
    }
    status = psh_sock_bind(l->path, &l->listen_fd, &l->sock, err, err_size);
    if (status != PSH_SUCCESS)
        goto exit;
    *out = l;
    l = NULL;
exit:
    psh_listener_destroy(l);
    return status;
}

/* ---- connections (under mu unless said otherwise) ----------------------------------------- */

static void release_buffer(psh_listener *l, conn *c)
{
    if (c->buf != NULL) {
        psh_free_secret(c->buf, c->cap); /* requests carry imported keys and plaintexts */
        atomic_fetch_sub(&l->buffered, c->cap);
    }
    c->buf = NULL;
    c->cap = 0;
}

/* Closes a connection from any thread once it is out of epoll, the lists and the slots. */
static void conn_free(psh_listener *l, conn *c)
{
    release_buffer(l, c);
    if (c->resp != NULL) {
        atomic_fetch_sub(&l->pending_resp, c->resp_len - c->resp_off);
        psh_engine_free_response(c->resp);
        c->resp = NULL;
    }
    if (c->fd >= 0)
        close(c->fd);
    psh_free(c);
    atomic_fetch_sub(&l->open_conns, 1);
}

static void list_remove(clist *li, conn *c)
{
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        li->head = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    else
        li->tail = c->prev;
    c->prev = c->next = NULL;
}

static void list_push(clist *li, conn *c)
{
    c->next = NULL;
    c->prev = li->tail;
    if (li->tail != NULL)
        li->tail->next = c;
    else
        li->head = c;
    li->tail = c;
}

/* A connection joins the loop (READING or WRITING): a slot, a new generation, a list. */
static void conn_attach(psh_listener *l, conn *c)
{
    /* nfree > 0: slotted connections are open ones and slots == max_connections. */
    c->slot = l->free_slots[--l->nfree];
    c->gen = l->next_gen++;
    if (l->next_gen == 0)
        l->next_gen = 1;
    l->slots[c->slot] = c;
    list_push(c->writing ? &l->writing : &l->reading, c);
}

static int conn_watch(psh_listener *l, conn *c, uint32_t events)
{
    struct epoll_event ev = {.events = events | EPOLLET,
                             .data.u64 = (uint64_t)c->gen << 32 | c->slot};
    if (epoll_ctl(l->epoll_fd, EPOLL_CTL_ADD, c->fd, &ev) != 0)
        return -1;
    c->in_epoll = 1;
    return 0;
}

/* Leaves the loop: out of epoll, the list and the slot table. */
static void conn_detach(psh_listener *l, conn *c)
{
    if (c->in_epoll)
        epoll_ctl(l->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
    c->in_epoll = 0;
    list_remove(c->writing ? &l->writing : &l->reading, c);
    l->slots[c->slot] = NULL;
    l->free_slots[l->nfree++] = c->slot;
    c->gen = 0;
}

static conn *conn_lookup(psh_listener *l, uint64_t tag)
{
    uint32_t slot = (uint32_t)tag, gen = (uint32_t)(tag >> 32);
    if (gen == 0 || slot >= l->qcap || l->slots[slot] == NULL || l->slots[slot]->gen != gen)
        return NULL; /* closed since this event was taken */
    return l->slots[slot];
}

/* The status a request that stopped short gets: an early failure the bytes so far already
 * show (e.g. bad magic), else ConnectionError (spec 1.5 steps 2, 6, 7). */
static psh_status short_status(psh_listener *l, const conn *c)
{
    size_t need = 0;
    psh_status st = c->len > 0 ? psh_engine_frame_size(l->engine, c->buf, c->len, &need)
                               : PSH_SUCCESS;
    return st != PSH_SUCCESS ? st : PSH_ERR_CONNECTION_ERROR;
}

/* Best-effort default-header reply, then close. The 36 bytes fit an empty socket buffer, so
 * a non-blocking send does not lose them unless the peer is gone. */
static void conn_fail(psh_listener *l, conn *c, psh_status status)
{
    uint8_t hdr[PSH_WIRE_HEADER_SIZE];
    psh_engine_error_response(status, hdr);
    if (send(c->fd, hdr, sizeof hdr, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
        LOG_DEBUG("fd %d: error reply %d not sent: %s", c->fd, (int)status, strerror(errno));
    else
        LOG_DEBUG("fd %d: early reply %d", c->fd, (int)status);
    conn_detach(l, c);
    conn_free(l, c);
}

/* A complete keyed request: queued; the thread that read it serves it after its batch if
 * another thread is looping, else the next thread that finishes serving does. */
static void enqueue(psh_listener *l, conn *c)
{
    conn_detach(l, c);
    /* qcount < qcap: every queued item is an open connection and qcap == max_connections. */
    l->queue[(l->qhead + l->qcount) % l->qcap] = c;
    l->qcount++;
}

/* Grows the buffer towards c->target, charging the shared budget first. */
static int grow_buffer(psh_listener *l, conn *c)
{
    size_t new_cap = c->cap * 2;
    if (new_cap < FIRST_BUFFER)
        new_cap = FIRST_BUFFER;
    if (new_cap > c->target || new_cap < c->cap)
        new_cap = c->target;
    size_t extra = new_cap - c->cap;
    size_t before = atomic_fetch_add(&l->buffered, extra);
    if (before + extra > l->cfg.max_buffered_bytes) {
        atomic_fetch_sub(&l->buffered, extra);
        return -1;
    }
    uint8_t *p = psh_realloc(c->buf, new_cap);
    if (p == NULL) {
        atomic_fetch_sub(&l->buffered, extra);
        return -1;
    }
    c->buf = p;
    c->cap = new_cap;
    return 0;
}

/* Core discovery operations (Ping, ListProviders, ListOpcodes, ListAuthenticators) touch no
 * storage and no provider and answer in microseconds with a few hundred bytes: serving them
 * on the event loop saves two thread hand-offs, most of their cost. */
static int is_inline_opcode(const conn *c)
{
    uint32_t op;
    if (c->len < PSH_WIRE_HEADER_SIZE || c->buf[10] != 0)
        return 0;
    op = (uint32_t)c->buf[28] | (uint32_t)c->buf[29] << 8 | (uint32_t)c->buf[30] << 16 |
         (uint32_t)c->buf[31] << 24;
    return op == 1 || op == 8 || op == 9 || op == 14;
}

static void serve(psh_listener *l, conn *c, int on_loop);

static void serve_inline(psh_listener *l, conn *c)
{
    conn_detach(l, c);
    serve(l, c, 1); /* under mu; never blocks: a reply the client does not read goes to WRITING */
}

/* After new bytes: decide the next read target, or fail, or queue the frame for serving.
 * Returns 1 while c is still reading, 0 when c left the loop (failed, served or queued). */
static int advance(psh_listener *l, conn *c)
{
    if (c->need == 0) {
        size_t need = 0;
        psh_status st = psh_engine_frame_size(l->engine, c->buf, c->len, &need);
        if (st != PSH_SUCCESS) {
            conn_fail(l, c, st);
            return 0;
        }
        if (need == 0) {
            /* Not decidable yet: first the 6-byte prefix, then all hdr_size header bytes. */
            if (c->len < PREFIX_SIZE) {
                c->target = PREFIX_SIZE;
            } else {
                c->target = PREFIX_SIZE + ((size_t)c->buf[4] | (size_t)c->buf[5] << 8);
                if (c->len >= c->target) { /* a whole header and still undecided */
                    conn_fail(l, c, PSH_ERR_INVALID_HEADER);
                    return 0;
                }
            }
            return 1;
        }
        if (need < c->len || need < PSH_WIRE_HEADER_SIZE) {
            conn_fail(l, c, PSH_ERR_INVALID_HEADER);
            return 0;
        }
        if (need > l->cfg.max_buffered_bytes) {
            conn_fail(l, c, PSH_ERR_BODY_SIZE_EXCEEDS_LIMIT);
            return 0;
        }
        c->need = need;
        c->target = need;
    }
    if (c->len == c->need) {
        if (is_inline_opcode(c))
            serve_inline(l, c);
        else
            enqueue(l, c);
        return 0;
    }
    return 1;
}

/* Reads stage after stage while the socket has bytes, so a request that has fully arrived
 * costs no further epoll round trips. Never reads past the frame, so it is bounded by the
 * frame size. Returns 1 when c is still reading and waits for more bytes (EAGAIN), 0 when
 * c left the loop. */
static int conn_readable(psh_listener *l, conn *c)
{
    for (;;) {
        if (c->cap < c->target && c->len == c->cap && grow_buffer(l, c) != 0) {
            LOG_WARN("request buffer budget (%zu bytes) exhausted; refusing a request",
                     l->cfg.max_buffered_bytes);
            conn_fail(l, c, PSH_ERR_PSA_INSUFFICIENT_MEMORY);
            return 0;
        }
        size_t room = (c->cap < c->target ? c->cap : c->target) - c->len;
        ssize_t n = recv(c->fd, c->buf + c->len, room, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 1;
            LOG_DEBUG("fd %d: recv: %s", c->fd, strerror(errno));
            conn_detach(l, c);
            conn_free(l, c);
            return 0;
        }
        if (n == 0) { /* the client stopped sending before the frame was complete */
            conn_fail(l, c, short_status(l, c));
            return 0;
        }
        c->len += (size_t)n;
        if (!advance(l, c))
            return 0;
    }
}

/* At max_connections, a new connection takes the place of the oldest one still reading if
 * that one has had EVICT_AFTER_MS: a local client sends its request in microseconds, so it is
 * idle or trickling, and a flood of such connections cannot lock well-behaved clients out
 * until the deadline. Returns 1 when a slot was freed. */
static int evict_idle(psh_listener *l)
{
    conn *old = l->reading.head;
    uint64_t accepted_at;
    if (old == NULL)
        return 0;
    accepted_at = old->deadline_ms - l->cfg.timeout_ms;
    if (now_ms() < accepted_at + EVICT_AFTER_MS)
        return 0;
    LOG_DEBUG("max_connections (%u) reached: closing the oldest idle connection (fd %d)",
              l->cfg.max_connections, old->fd);
    conn_fail(l, old, PSH_ERR_CONNECTION_ERROR);
    return 1;
}

/* The listening socket is edge-triggered: accept until EAGAIN, in batches (accept_more). */
static void accept_some(psh_listener *l)
{
    l->accept_more = 0;
    if (l->listen_fd < 0 || l->accept_paused_until != 0)
        return;
    for (int i = 0;; i++) {
        if (i == ACCEPT_BATCH) {
            l->accept_more = 1;
            return;
        }
        int fd = accept4(l->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if ((errno == EMFILE || errno == ENFILE) && evict_idle(l))
                continue; /* an idle connection gave its descriptor back: try again */
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                /* Level-triggered epoll would spin on the pending connection: back off. */
                LOG_WARN("accept: %s; pausing accepts for %d ms", strerror(errno),
                         ACCEPT_PAUSE_MS);
                l->accept_paused_until = now_ms() + ACCEPT_PAUSE_MS;
            } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
                LOG_ERROR("accept: %s", strerror(errno));
            }
            return;
        }
        if (atomic_load(&l->open_conns) >= l->cfg.max_connections && !evict_idle(l)) {
            LOG_DEBUG("max_connections (%u) reached: closing a new connection",
                      l->cfg.max_connections);
            close(fd);
            continue;
        }
        conn *c = psh_calloc(1, sizeof *c);
        if (c == NULL) {
            close(fd);
            continue;
        }
        c->fd = fd;
        c->target = PREFIX_SIZE;
        c->deadline_ms = now_ms() + l->cfg.timeout_ms;
        struct ucred cred;
        socklen_t cred_len = sizeof cred;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cred_len) == 0 &&
            cred_len == sizeof cred) {
            c->peer.has_credentials = 1;
            c->peer.uid = cred.uid;
            c->peer.gid = cred.gid;
            c->peer.pid = cred.pid;
        }
        atomic_fetch_add(&l->open_conns, 1);
        conn_attach(l, c);
        /* A local client usually sends its request before the loop gets to accept it: read
         * now, and a request that is complete already never enters the epoll set. */
        if (!conn_readable(l, c))
            continue;
        if (conn_watch(l, c, EPOLLIN) != 0) {
            conn_detach(l, c);
            conn_free(l, c);
        }
    }
}

/* ---- serving ------------------------------------------------------------------------------ */

/* Writes all of data before deadline_ms; gives up (logged) on timeout or a vanished peer. */
static void write_deadline(int fd, const uint8_t *data, size_t len, uint64_t deadline_ms)
{
    size_t off = 0;
    while (off < len) {
        ssize_t n = send(fd, data + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            off += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            LOG_DEBUG("fd %d: response not delivered: %s", fd, strerror(errno));
            return;
        }
        uint64_t now = now_ms();
        if (now >= deadline_ms) {
            LOG_INFO("fd %d: response write timed out after %zu of %zu bytes", fd, off, len);
            return;
        }
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        if (poll(&p, 1, (int)(deadline_ms - now)) < 0 && errno != EINTR)
            return;
    }
}

/* Sends what the socket takes now. Returns bytes sent, or -1 when the peer is gone. */
static ssize_t send_some(int fd, const uint8_t *data, size_t len)
{
    size_t off = 0;
    while (off < len) {
        ssize_t n = send(fd, data + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            off += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            break;
        } else {
            LOG_DEBUG("fd %d: response not delivered: %s", fd, strerror(errno));
            return -1;
        }
    }
    return (ssize_t)off;
}

/* The loop takes over a reply the client has not read yet (under mu). */
static void start_writing(psh_listener *l, conn *c)
{
    c->writing = 1;
    c->deadline_ms = now_ms() + l->cfg.timeout_ms;
    conn_attach(l, c);
    if (conn_watch(l, c, EPOLLOUT) != 0) {
        LOG_DEBUG("fd %d: cannot wait for the reader: %s", c->fd, strerror(errno));
        conn_detach(l, c);
        conn_free(l, c);
    }
}

/* Runs the engine on a complete request and delivers the reply. on_loop: called under mu
 * by the loop (inline opcodes); else by a serving thread without mu, which may hand the
 * rest of a reply to the loop or, over the pending-reply budget or after the run, write it
 * itself. */
static void serve(psh_listener *l, conn *c, int on_loop)
{
    uint8_t *resp = NULL;
    size_t resp_len = 0;
    uint8_t fallback[PSH_WIRE_HEADER_SIZE];

    psh_engine_handle(l->engine, c->buf, c->len, &c->peer, &resp, &resp_len);
    release_buffer(l, c); /* the request may hold secrets: the engine saw it; drop it now */
    if (resp == NULL) {
        /* 36 bytes fit an empty socket buffer. */
        psh_engine_error_response(PSH_ERR_PSA_INSUFFICIENT_MEMORY, fallback);
        (void)send_some(c->fd, fallback, sizeof fallback);
        conn_free(l, c);
        return;
    }
    ssize_t sent = send_some(c->fd, resp, resp_len);
    if (sent < 0 || (size_t)sent == resp_len) {
        psh_engine_free_response(resp);
        conn_free(l, c);
        return;
    }
    size_t rest = resp_len - (size_t)sent;
    size_t before = atomic_fetch_add(&l->pending_resp, rest);
    if (before + rest <= l->cfg.max_buffered_bytes) {
        c->resp = resp;
        c->resp_len = resp_len;
        c->resp_off = (size_t)sent;
        if (on_loop) {
            start_writing(l, c);
            return;
        }
        pthread_mutex_lock(&l->mu);
        int closed = l->done;
        if (!closed) {
            start_writing(l, c);
            if (l->waiting > 0)
                wake_all(l); /* the leader's epoll timeout does not know this deadline yet */
        }
        pthread_mutex_unlock(&l->mu);
        if (!closed)
            return;
        c->resp = NULL; /* no loop any more: write it here */
    }
    atomic_fetch_sub(&l->pending_resp, rest);
    if (on_loop) {
        LOG_INFO("fd %d: reply budget full; dropping an unread reply", c->fd);
    } else {
        LOG_DEBUG("fd %d: reply budget full or stopping; writing it here", c->fd);
        write_deadline(c->fd, resp + sent, rest, now_ms() + l->cfg.timeout_ms);
    }
    psh_engine_free_response(resp);
    conn_free(l, c);
}

/* EPOLLOUT on a WRITING connection. */
static void conn_writable(psh_listener *l, conn *c)
{
    ssize_t n = send_some(c->fd, c->resp + c->resp_off, c->resp_len - c->resp_off);
    if (n > 0) {
        atomic_fetch_sub(&l->pending_resp, (size_t)n);
        c->resp_off += (size_t)n;
    }
    if (n < 0 || c->resp_off == c->resp_len) {
        conn_detach(l, c);
        conn_free(l, c);
    }
}

/* ---- the loop (every thread) --------------------------------------------------------------- */

static void stop_accepting(psh_listener *l)
{
    if (l->stop_fd >= 0)
        epoll_ctl(l->epoll_fd, EPOLL_CTL_DEL, l->stop_fd, NULL);
    l->stop_fd = -1;
    if (l->listen_fd >= 0) {
        epoll_ctl(l->epoll_fd, EPOLL_CTL_DEL, l->listen_fd, NULL);
        close(l->listen_fd);
        l->listen_fd = -1;
    }
    l->accepting = 0;
    l->accept_more = 0;
    l->accept_paused_until = 0;
    psh_sock_unlink_own(l->path, &l->sock);
}

static int next_timeout(psh_listener *l, uint64_t now)
{
    uint64_t until = UINT64_MAX;
    if (l->accept_more)
        return 0;
    if (l->reading.head != NULL)
        until = l->reading.head->deadline_ms;
    if (l->writing.head != NULL && l->writing.head->deadline_ms < until)
        until = l->writing.head->deadline_ms;
    if (l->accept_paused_until != 0 && l->accept_paused_until < until)
        until = l->accept_paused_until;
    if (until == UINT64_MAX)
        return -1;
    return until <= now ? 0 : (int)(until - now);
}

static void expire(psh_listener *l, uint64_t now)
{
    while (l->reading.head != NULL && l->reading.head->deadline_ms <= now) {
        conn *c = l->reading.head;
        LOG_DEBUG("fd %d: request deadline passed after %zu bytes", c->fd, c->len);
        conn_fail(l, c, short_status(l, c));
    }
    while (l->writing.head != NULL && l->writing.head->deadline_ms <= now) {
        conn *c = l->writing.head;
        LOG_INFO("fd %d: response write timed out after %zu of %zu bytes", c->fd, c->resp_off,
                 c->resp_len);
        conn_detach(l, c);
        conn_free(l, c);
    }
    if (l->accept_paused_until != 0 && l->accept_paused_until <= now) {
        l->accept_paused_until = 0;
        l->accept_more = 1; /* edge-triggered: the connections that waited sent no new edge */
    }
}

/* Connections still owned by the loop or queued, once no thread runs (end of run, destroy). */
static void drop_all(psh_listener *l)
{
    while (l->reading.head != NULL)
        conn_fail(l, l->reading.head, PSH_ERR_CONNECTION_ERROR);
    while (l->writing.head != NULL) {
        conn *c = l->writing.head;
        conn_detach(l, c);
        conn_free(l, c);
    }
    while (l->qcount > 0) {
        conn_free(l, l->queue[l->qhead]);
        l->qhead = (l->qhead + 1) % l->qcap;
        l->qcount--;
    }
}

static void handle_event(psh_listener *l, const struct epoll_event *ev)
{
    conn *c;
    switch (ev->data.u64) {
    case TAG_STOP:
        if (l->accepting) {
            LOG_INFO("stopping: no new connections, finishing in-flight requests");
            stop_accepting(l);
        }
        return;
    case TAG_LISTEN:
        accept_some(l);
        return;
    case TAG_WAKE: /* queued work or the end: both are looked at after the batch */
        return;
    default:
        c = conn_lookup(l, ev->data.u64);
        if (c == NULL)
            return;
        if (c->writing)
            conn_writable(l, c);
        else
            (void)conn_readable(l, c);
    }
}

/* The run is over once nothing is accepted, read, queued, served or written any more. */
static int finished(psh_listener *l)
{
    return !l->accepting && l->reading.head == NULL && l->writing.head == NULL &&
           l->qcount == 0 && l->looping == l->nworkers + 1;
}

static void end_run(psh_listener *l)
{
    l->done = 1;
    wake_all(l); /* never read from now on: the leader sees it and leaves */
    pthread_cond_broadcast(&l->follow_cv);
}

/* Each thread's life (leader/follower): one thread, the leader, waits in epoll and runs the
 * loop's work under mu; the others wait on follow_cv. A leader with a complete keyed request
 * hands the loop to a follower and serves the request itself outside mu, unless it is the
 * last thread looping: then the request waits in the queue for the next thread that
 * finishes. Only one thread waits in epoll, so the loop stays on one warm thread between
 * keyed requests and inline requests never change threads. */
static void participate(psh_listener *l)
{
    struct epoll_event evs[EVENTS_MAX];
    uint64_t drain;
    int is_leader = 0;
    pthread_mutex_lock(&l->mu);
    for (;;) {
        if (!l->done && finished(l))
            end_run(l);
        if (l->done)
            break;
        if (l->qcount > 0 && l->looping > 1) {
            conn *c = l->queue[l->qhead];
            l->qhead = (l->qhead + 1) % l->qcap;
            l->qcount--;
            l->looping--;
            if (is_leader) {
                is_leader = 0;
                l->leader = 0;
            }
            if (!l->leader && l->followers > 0)
                pthread_cond_signal(&l->follow_cv); /* looping > 0: someone takes the loop */
            pthread_mutex_unlock(&l->mu);
            serve(l, c, 0);
            pthread_mutex_lock(&l->mu);
            l->looping++;
            continue;
        }
        if (!is_leader) {
            if (l->leader) {
                l->followers++;
                pthread_cond_wait(&l->follow_cv, &l->mu);
                l->followers--;
                continue;
            }
            is_leader = 1;
            l->leader = 1;
        }
        if (l->accept_more) { /* then look at the queue again before sleeping */
            accept_some(l);
            continue;
        }
        int timeout = next_timeout(l, now_ms());
        l->waiting++;
        pthread_mutex_unlock(&l->mu);
        int n = epoll_wait(l->epoll_fd, evs, EVENTS_MAX, timeout);
        int err = errno;
        pthread_mutex_lock(&l->mu);
        l->waiting--;
        if (n < 0 && err != EINTR) {
            LOG_ERROR("epoll_wait: %s", strerror(err));
            l->run_status = PSH_ERR_PSA_GENERIC;
            end_run(l);
            break;
        }
        for (int i = 0; i < n; i++) {
            if (evs[i].data.u64 == TAG_WAKE && !l->done &&
                read(l->wake_fd, &drain, sizeof drain) < 0 && errno != EAGAIN)
                LOG_DEBUG("eventfd read: %s", strerror(errno));
            handle_event(l, &evs[i]);
        }
        expire(l, now_ms());
    }
    if (is_leader)
        l->leader = 0;
    pthread_mutex_unlock(&l->mu);
}

static void *worker_main(void *arg)
{
    participate(arg);
    return NULL;
}

psh_status psh_listener_run(psh_listener *l, int stop_fd)
{
    struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.u64 = TAG_LISTEN};
    sigset_t all, old;

    if (epoll_ctl(l->epoll_fd, EPOLL_CTL_ADD, l->listen_fd, &ev) != 0)
        return PSH_ERR_PSA_GENERIC;
    ev.events = EPOLLIN; /* level: every thread sees the stop until one removes it */
    ev.data.u64 = TAG_STOP;
    if (epoll_ctl(l->epoll_fd, EPOLL_CTL_ADD, stop_fd, &ev) != 0)
        return PSH_ERR_PSA_GENERIC;
    ev.data.u64 = TAG_WAKE; /* level: the end of the run is never read, so all see it */
    if (epoll_ctl(l->epoll_fd, EPOLL_CTL_ADD, l->wake_fd, &ev) != 0)
        return PSH_ERR_PSA_GENERIC;
    l->stop_fd = stop_fd;
    l->accepting = 1;
    l->accept_more = 1; /* connections may have queued since bind */
    l->run_status = PSH_SUCCESS;
    /* thread_pool_size threads may serve at once, as before: this thread plus the pool, one
     * of them always looping. Pool threads get every signal blocked (the caller's stop_fd). */
    l->looping = 1;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_mutex_lock(&l->mu);
    for (unsigned i = 0; i < l->cfg.thread_pool_size; i++) {
        if (pthread_create(&l->workers[i], NULL, worker_main, l) != 0) {
            LOG_ERROR("cannot start worker thread %u", i);
            l->run_status = PSH_ERR_PSA_GENERIC;
            stop_accepting(l); /* serve what was accepted with the threads there are */
            break;
        }
        l->nworkers++;
        l->looping++;
    }
    pthread_mutex_unlock(&l->mu);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    participate(l);
    for (size_t i = 0; i < l->nworkers; i++)
        pthread_join(l->workers[i], NULL);
    l->nworkers = 0;
    pthread_mutex_lock(&l->mu);
    stop_accepting(l);
    drop_all(l); /* only after an epoll failure */
    pthread_mutex_unlock(&l->mu);
    return l->run_status;
}

void psh_listener_destroy(psh_listener *l)
{
    if (l == NULL)
        return;
    if (l->queue != NULL && l->slots != NULL)
        drop_all(l); /* only if run never ran */
    if (l->listen_fd >= 0)
        close(l->listen_fd);
    psh_sock_unlink_own(l->path, &l->sock);
    if (l->epoll_fd >= 0)
        close(l->epoll_fd);
    if (l->wake_fd >= 0)
        close(l->wake_fd);
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->follow_cv);
    psh_free(l->queue);
    psh_free(l->workers);
    psh_free(l->slots);
    psh_free(l->free_slots);
    psh_free(l);
}
