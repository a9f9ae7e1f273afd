/*
 * The non-blocking core: the context, request submission, stepping, events
 * and results. Arrivals are read and classified in client_arrivals.c; the
 * blocking calls (client_blocking.c and friends) are built on what is here.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "client_internal.h"

#define DEFAULT_MAX_MSG_FDS 8u
#define DEFAULT_TIMEOUT_MS 5000

void vuc_options_init(struct vuc_options *o) {
    memset(o, 0, sizeof(*o));
}

struct vuc_ctx *vuc_create(const struct vuc_options *opts) {
    struct vuc_ctx *ctx = calloc(1, sizeof(*ctx));
    if (!ctx)
        return NULL;
    if (opts)
        ctx->opts = *opts;
    if (ctx->opts.max_msg_fds == 0)
        ctx->opts.max_msg_fds = DEFAULT_MAX_MSG_FDS;
    if (ctx->opts.max_data_xfer_size == 0)
        ctx->opts.max_data_xfer_size = VU_DEFAULT_MAX_DATA_XFER_SIZE;
    if (ctx->opts.timeout_ms == 0)
        ctx->opts.timeout_ms = DEFAULT_TIMEOUT_MS;
    ctx->ops = &vuc_sock_transport;
    ctx->sock[0] = ctx->sock[1] = -1;
    ctx->next_id = 1;
    ctx->next_seq = 1;
    ctx->arrivals_tail = &ctx->arrivals;
    ctx->caps.max_msg_fds = VU_DEFAULT_MAX_MSG_FDS;
    ctx->caps.max_data_xfer_size = VU_DEFAULT_MAX_DATA_XFER_SIZE;
    return ctx;
}

static void rx_reset(struct vuc_ctx *ctx, struct vuc_rx *rx) {
    free(rx->body);
    vuc_close_fds(ctx, rx->fds, rx->nfds);
    memset(rx, 0, sizeof(*rx));
}

static void req_free(struct vuc_ctx *ctx, struct vuc_req *r) {
    if (r->fds)
        vuc_close_fds(ctx, r->fds, (unsigned)r->nfds);
    if (r->fd >= 0)
        close(r->fd);
    free(r->fds);
    free(r->msg);
    free(r->rx);
    free(r);
}

void vuc_destroy(struct vuc_ctx *ctx) {
    if (!ctx)
        return;
    for (int s = 0; s < 2; s++) {
        rx_reset(ctx, &ctx->rx[s]);
        if (ctx->sock[s] >= 0)
            close(ctx->sock[s]);
    }
    while (ctx->reqs) {
        struct vuc_req *r = ctx->reqs;
        ctx->reqs = r->next;
        req_free(ctx, r);
    }
    while (ctx->arrivals) {
        struct vuc_arrival *a = ctx->arrivals;
        ctx->arrivals = a->next;
        vuc_arrival_free(ctx, a);
    }
    vuc_dma_pending_free_all(ctx);
    free(ctx->events);
    free(ctx->maps);
    free(ctx);
}

void vuc_close_fds(struct vuc_ctx *ctx, int *fds, unsigned n) {
    (void)ctx;
    for (unsigned i = 0; i < n; i++) {
        if (fds[i] >= 0)
            close(fds[i]);
        fds[i] = -1;
    }
}

/* Sends block (bounded by SO_SNDTIMEO, so a peer that stops reading cannot
 * hold them forever); reads never do (MSG_DONTWAIT). A socket handed to us
 * non-blocking would turn a full buffer into a failed send. */
void vuc_set_send_timeout(const struct vuc_ctx *ctx, int fd) {
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0 && (fl & O_NONBLOCK))
        (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    if (ctx->opts.timeout_ms < 0)
        return;
    struct timeval tv = {.tv_sec = ctx->opts.timeout_ms / 1000,
                         .tv_usec = (ctx->opts.timeout_ms % 1000) * 1000};
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

int vuc_attach_fd(struct vuc_ctx *ctx, int fd) {
    if (ctx->sock[VUC_SOCK_MAIN] >= 0)
        return -EISCONN;
    if (fd < 0)
        return -EBADF;
    ctx->sock[VUC_SOCK_MAIN] = fd;
    vuc_set_send_timeout(ctx, fd);
    return 0;
}

int vuc_connect(struct vuc_ctx *ctx, const char *socket_path) {
    if (ctx->sock[VUC_SOCK_MAIN] >= 0)
        return -EISCONN;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(socket_path) >= sizeof(sa.sun_path))
        return -ENAMETOOLONG;
    strcpy(sa.sun_path, socket_path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int err = -errno;
        close(fd);
        return err;
    }
    return vuc_attach_fd(ctx, fd);
}

bool vuc_connected(const struct vuc_ctx *ctx) {
    return ctx->sock[VUC_SOCK_MAIN] >= 0 && !ctx->rx[VUC_SOCK_MAIN].closed;
}

const struct vuc_server_caps *vuc_get_server_caps(const struct vuc_ctx *ctx) {
    return ctx->negotiated ? &ctx->caps : NULL;
}

bool vuc_has_twin(const struct vuc_ctx *ctx) {
    return ctx->sock[VUC_SOCK_TWIN] >= 0;
}

void vuc_get_stats(const struct vuc_ctx *ctx, struct vuc_stats *out) {
    *out = ctx->stats;
}

uint32_t vuc_rx_limit(const struct vuc_ctx *ctx) {
    uint64_t xfer = ctx->caps.max_data_xfer_size;
    if (xfer > VUC_RX_XFER_CAP)
        xfer = VUC_RX_XFER_CAP;
    if (xfer < ctx->opts.max_data_xfer_size)
        xfer = ctx->opts.max_data_xfer_size;
    if (xfer < VUC_RX_META_MAX)
        xfer = VUC_RX_META_MAX;
    return (uint32_t)(xfer + VUC_HDR_SIZE + sizeof(struct vu_region_access));
}

/* ---- Events ------------------------------------------------------------ */

int vuc_push_event(struct vuc_ctx *ctx, const struct vuc_event *ev) {
    if (ctx->ev_count == ctx->ev_cap) {
        size_t cap = ctx->ev_cap ? ctx->ev_cap * 2 : 16;
        struct vuc_event *n = malloc(cap * sizeof(*n));
        if (!n)
            return -ENOMEM;
        for (size_t i = 0; i < ctx->ev_count; i++)
            n[i] = ctx->events[(ctx->ev_head + i) % ctx->ev_cap];
        free(ctx->events);
        ctx->events = n;
        ctx->ev_cap = cap;
        ctx->ev_head = 0;
    }
    ctx->events[(ctx->ev_head + ctx->ev_count) % ctx->ev_cap] = *ev;
    ctx->ev_count++;
    return 0;
}

int vuc_next_event(struct vuc_ctx *ctx, struct vuc_event *ev) {
    if (ctx->ev_count == 0)
        return 0;
    *ev = ctx->events[ctx->ev_head];
    ctx->ev_head = (ctx->ev_head + 1) % ctx->ev_cap;
    ctx->ev_count--;
    return 1;
}

/* ---- Requests ---------------------------------------------------------- */

struct vuc_req *vuc_req_find(struct vuc_ctx *ctx, vuc_id id) {
    for (struct vuc_req *r = ctx->reqs; r; r = r->next)
        if (r->id == id)
            return r;
    return NULL;
}

static bool msg_id_busy(const struct vuc_ctx *ctx, uint16_t msg_id) {
    for (const struct vuc_req *r = ctx->reqs; r; r = r->next)
        if (r->msg_id == msg_id && r->state != REQ_DONE)
            return true;
    return false;
}

static size_t outstanding(const struct vuc_ctx *ctx) {
    size_t n = 0;
    for (const struct vuc_req *r = ctx->reqs; r; r = r->next)
        n += r->state != REQ_DONE;
    return n;
}

/* Callers make sure a 16-bit msg_id is free (see vuc_submit_hooked). */
static vuc_id alloc_id(struct vuc_ctx *ctx) {
    while (msg_id_busy(ctx, (uint16_t)ctx->next_id))
        ctx->next_id++;
    return ctx->next_id++;
}

static int dup_fds(const int *fds, size_t n, int **out) {
    *out = NULL;
    if (n == 0)
        return 0;
    *out = malloc(n * sizeof(int));
    if (!*out)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        (*out)[i] = fds[i] < 0 ? -1 : fcntl(fds[i], F_DUPFD_CLOEXEC, 0);
        if ((*out)[i] < 0) {
            int err = fds[i] < 0 ? -EBADF : -errno;
            for (size_t j = 0; j < i; j++)
                close((*out)[j]);
            free(*out);
            *out = NULL;
            return err;
        }
    }
    return 0;
}

static struct vuc_req *req_build(struct vuc_ctx *ctx, const struct vuc_request *q) {
    size_t len = VUC_HDR_SIZE + q->payload_len + q->data_len;
    if (len > UINT32_MAX)
        return NULL;
    struct vuc_req *r = calloc(1, sizeof(*r));
    uint8_t *msg = malloc(len);
    if (!r || !msg) {
        free(r);
        free(msg);
        return NULL;
    }
    r->id = alloc_id(ctx);
    r->msg_id = (uint16_t)r->id;
    r->cmd = q->cmd;
    r->fd = -1;
    r->msg = msg;
    r->msg_len = len;
    r->payload_len = q->payload_len;
    struct vu_hdr h = {
        .msg_id = r->msg_id, .cmd = q->cmd, .msg_size = (uint32_t)len, .flags = VU_F_TYPE_COMMAND};
    memcpy(msg, &h, sizeof(h));
    if (q->payload_len)
        memcpy(msg + VUC_HDR_SIZE, q->payload, q->payload_len);
    if (q->data_len)
        memcpy(msg + VUC_HDR_SIZE + q->payload_len, q->data, q->data_len);
    return r;
}

void vuc_set_trace(struct vuc_ctx *ctx, vuc_trace_fn fn, void *opaque) {
    ctx->trace_fn = fn;
    ctx->trace_opaque = opaque;
}

/* Hands a message about to be sent to the trace hook in one piece. */
static void trace_sent(struct vuc_ctx *ctx, enum vuc_sock s, const struct iovec *iov, int iovcnt,
                       size_t nfds) {
    size_t len = 0;
    for (int i = 0; i < iovcnt; i++)
        len += iov[i].iov_len;
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf || len < VUC_HDR_SIZE) {
        free(buf);
        return;
    }
    for (size_t off = 0, i = 0; i < (size_t)iovcnt; off += iov[i].iov_len, i++)
        memcpy(buf + off, iov[i].iov_base, iov[i].iov_len);
    struct vu_hdr h;
    memcpy(&h, buf, sizeof(h));
    ctx->trace_fn(ctx->trace_opaque, s, true, &h, buf + VUC_HDR_SIZE, len - VUC_HDR_SIZE,
                  (unsigned)nfds);
    free(buf);
}

int vuc_send_msg(struct vuc_ctx *ctx, enum vuc_sock s, const struct iovec *iov, int iovcnt,
                 const int *fds, size_t nfds) {
    if (ctx->sock[s] < 0 || ctx->rx[s].closed)
        return -ENOTCONN;
    int rc = ctx->ops->send(ctx->sock[s], iov, iovcnt, fds, nfds);
    if (rc == 0 && ctx->trace_fn)
        trace_sent(ctx, s, iov, iovcnt, nfds);
    /* Part of the message may be out: the stream cannot be framed any more.
     * Shutting it down turns this into a disconnect the reader reports. */
    if (rc == -ETIMEDOUT)
        shutdown(ctx->sock[s], SHUT_RDWR);
    return rc;
}

static int req_transmit(struct vuc_ctx *ctx, struct vuc_req *r) {
    struct iovec iov = {.iov_base = r->msg, .iov_len = r->msg_len};
    int rc = vuc_send_msg(ctx, VUC_SOCK_MAIN, &iov, 1, r->fds, r->nfds);
    if (r->fds) {
        vuc_close_fds(ctx, r->fds, (unsigned)r->nfds);
        free(r->fds);
        r->fds = NULL;
        r->nfds = 0;
    }
    if (rc == 0)
        r->state = REQ_SENT;
    return rc;
}

static void req_unlink(struct vuc_ctx *ctx, struct vuc_req *r) {
    for (struct vuc_req **p = &ctx->reqs; *p; p = &(*p)->next) {
        if (*p == r) {
            *p = r->next;
            return;
        }
    }
}

int vuc_submit_hooked(struct vuc_ctx *ctx, const struct vuc_request *req, unsigned flags,
                      vuc_complete_hook hook, vuc_id *id) {
    if (!vuc_connected(ctx))
        return -ENOTCONN;
    if (req->nfds > ctx->caps.max_msg_fds && req->cmd != VU_CMD_VERSION)
        return -EINVAL;
    if (req->payload_len + req->data_len > UINT32_MAX - VUC_HDR_SIZE)
        return -EMSGSIZE;
    /* Every outstanding request holds a distinct 16-bit msg_id. */
    if (outstanding(ctx) >= UINT16_MAX)
        return -EAGAIN;
    struct vuc_req *r = req_build(ctx, req);
    if (!r)
        return -ENOMEM;
    int rc = dup_fds(req->fds, req->nfds, &r->fds);
    if (rc < 0) {
        req_free(ctx, r);
        return rc;
    }
    r->nfds = req->nfds;
    r->quiet = flags & VUC_SUBMIT_QUIET;
    r->hook = hook;
    r->state = REQ_DEFERRED;
    r->next = ctx->reqs;
    ctx->reqs = r;
    if (!(flags & VUC_SUBMIT_DEFER) && (rc = req_transmit(ctx, r)) < 0) {
        req_unlink(ctx, r);
        req_free(ctx, r);
        return rc;
    }
    *id = r->id;
    return 0;
}

int vuc_submit(struct vuc_ctx *ctx, const struct vuc_request *req, unsigned flags, vuc_id *id) {
    return vuc_submit_hooked(ctx, req, flags & VUC_SUBMIT_DEFER, NULL, id);
}

int vuc_submit_region_read(struct vuc_ctx *ctx, uint32_t region, uint64_t offset, uint32_t count,
                           unsigned flags, vuc_id *id) {
    struct vu_region_access a = {.offset = offset, .region = region, .count = count};
    struct vuc_request q = {.cmd = VU_CMD_REGION_READ, .payload = &a, .payload_len = sizeof(a)};
    return vuc_submit(ctx, &q, flags, id);
}

int vuc_submit_region_write(struct vuc_ctx *ctx, uint32_t region, uint64_t offset, const void *buf,
                            uint32_t count, unsigned flags, vuc_id *id) {
    struct vu_region_access a = {.offset = offset, .region = region, .count = count};
    struct vuc_request q = {.cmd = VU_CMD_REGION_WRITE,
                            .payload = &a,
                            .payload_len = sizeof(a),
                            .data = buf,
                            .data_len = count};
    return vuc_submit(ctx, &q, flags, id);
}

int vuc_send(struct vuc_ctx *ctx, vuc_id id) {
    struct vuc_req *r = vuc_req_find(ctx, id);
    if (!r)
        return -ENOENT;
    if (r->state != REQ_DEFERRED)
        return -EALREADY;
    return req_transmit(ctx, r);
}

/* Completes a request (delivery of its reply, or a failure) and reports it. */
static void req_finish(struct vuc_ctx *ctx, struct vuc_req *r, int status) {
    r->state = REQ_DONE;
    r->status = status;
    if (r->abandoned) {
        req_unlink(ctx, r);
        req_free(ctx, r);
        return;
    }
    if (!r->quiet) {
        struct vuc_event ev = {.kind = VUC_EV_COMPLETED,
                               .id = r->id,
                               .status = status,
                               .cmd = r->cmd,
                               .msg_id = r->msg_id};
        vuc_push_event(ctx, &ev);
    }
}

void vuc_fail_all(struct vuc_ctx *ctx, int status) {
    for (struct vuc_req *r = ctx->reqs, *next; r; r = next) {
        next = r->next;
        if (r->state == REQ_DEFERRED || r->state == REQ_SENT)
            req_finish(ctx, r, status);
    }
}

void vuc_req_complete(struct vuc_ctx *ctx, struct vuc_arrival *a) {
    struct vuc_req *r = vuc_req_find(ctx, a->req_id);
    if (!r || r->state != REQ_ARRIVED)
        return;
    r->rx = a->body;
    r->rx_len = a->body_len;
    a->body = NULL;
    r->reply = a->reply;
    int status = a->status < 0 ? a->status : a->reply.status;
    if (status == 0 && a->nfds > 0) {
        r->fd = a->fds[0];
        a->fds[0] = -1;
    }
    r->status = status;
    if (r->hook && status == 0)
        r->hook(ctx, r);
    req_finish(ctx, r, r->status);
}

int vuc_get_result(struct vuc_ctx *ctx, vuc_id id, struct vuc_result *out) {
    struct vuc_req *r = vuc_req_find(ctx, id);
    if (!r)
        return -ENOENT;
    if (r->state != REQ_DONE)
        return -EBUSY;
    memset(out, 0, sizeof(*out));
    out->status = r->status;
    out->cmd = r->cmd;
    out->fd = r->fd;
    if (r->rx) {
        out->payload = r->rx;
        out->payload_len = r->rx_len;
        out->data = r->reply.data;
        out->data_len = r->reply.data_len;
    }
    return 0;
}

int vuc_take_fd(struct vuc_ctx *ctx, vuc_id id) {
    struct vuc_req *r = vuc_req_find(ctx, id);
    if (!r)
        return -ENOENT;
    int fd = r->fd;
    r->fd = -1;
    return fd;
}

void vuc_release(struct vuc_ctx *ctx, vuc_id id) {
    struct vuc_req *r = vuc_req_find(ctx, id);
    if (!r)
        return;
    if (r->state != REQ_DONE) {
        /* Its reply may still come: keep the msg_id busy until then. */
        r->abandoned = true;
        r->quiet = true;
        return;
    }
    req_unlink(ctx, r);
    req_free(ctx, r);
}

/* ---- Stepping ------------------------------------------------------------ */

int vuc_poll_fds(const struct vuc_ctx *ctx, struct pollfd *fds, int max) {
    int n = 0;
    for (int s = 0; s < 2 && n < max; s++) {
        if (ctx->sock[s] < 0 || ctx->rx[s].closed)
            continue;
        fds[n].fd = ctx->sock[s];
        fds[n].events = POLLIN;
        fds[n].revents = 0;
        n++;
    }
    return n;
}

static int deliver_all(struct vuc_ctx *ctx) {
    while (ctx->arrivals) {
        int rc = vuc_deliver(ctx, ctx->arrivals->seq);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* max_msgs bounds the messages read per socket: vuc_step drains what is
 * ready; vuc_wait takes one at a time so it can stop at its own reply
 * without a last read that finds nothing. */
static int step_some(struct vuc_ctx *ctx, int timeout_ms, int max_msgs) {
    struct pollfd pfd[2];
    int n = vuc_poll_fds(ctx, pfd, 2);
    if (n == 0)
        return vuc_connected(ctx) ? 0 : -ENOTCONN;
    int rc;
    do {
        rc = poll(pfd, (nfds_t)n, timeout_ms);
    } while (rc < 0 && errno == EINTR);
    if (rc < 0)
        return -errno;
    int arrived = 0;
    for (int i = 0; i < n; i++) {
        if (!pfd[i].revents)
            continue;
        enum vuc_sock s = pfd[i].fd == ctx->sock[VUC_SOCK_MAIN] ? VUC_SOCK_MAIN : VUC_SOCK_TWIN;
        rc = vuc_read_socket(ctx, s, max_msgs);
        if (rc < 0)
            return rc;
        arrived += rc;
    }
    if (!ctx->hold && (rc = deliver_all(ctx)) < 0)
        return rc;
    return arrived;
}

int vuc_step(struct vuc_ctx *ctx, int timeout_ms) {
    return step_some(ctx, timeout_ms, INT_MAX);
}

void vuc_set_hold(struct vuc_ctx *ctx, bool hold) {
    ctx->hold = hold;
    if (!hold)
        deliver_all(ctx);
}

int vuc_deliver(struct vuc_ctx *ctx, uint64_t seq) {
    struct vuc_arrival **p = &ctx->arrivals;
    while (*p && (*p)->seq != seq)
        p = &(*p)->next;
    struct vuc_arrival *a = *p;
    if (!a)
        return -ENOENT;
    *p = a->next;
    if (ctx->arrivals_tail == &a->next)
        ctx->arrivals_tail = p;
    int rc = vuc_deliver_arrival(ctx, a);
    vuc_arrival_free(ctx, a);
    return rc;
}

int vuc_wait(struct vuc_ctx *ctx, vuc_id id, int timeout_ms) {
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        struct vuc_req *r = vuc_req_find(ctx, id);
        if (!r)
            return -ENOENT;
        int rc = deliver_all(ctx);
        if (rc < 0)
            return rc;
        if (r->state == REQ_DONE)
            return r->status;
        int left = -1;
        if (timeout_ms >= 0) {
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            long el = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
            if (el >= timeout_ms)
                return -ETIMEDOUT;
            left = timeout_ms - (int)el;
        }
        bool held = ctx->hold;
        ctx->hold = false;
        rc = step_some(ctx, left, 1);
        ctx->hold = held;
        if (rc < 0 && r->state != REQ_DONE)
            return rc;
    }
}
