/*
 * The context: creation, connection, accessors, and the one send path every
 * message goes through (trace hook, SO_SNDTIMEO, shutdown on a torn send).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
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
    if (ctx->opts.max_held_bytes == 0)
        ctx->opts.max_held_bytes = DEFAULT_MAX_HELD_BYTES;
    ctx->ops = &vuc_sock_transport;
    for (int s = 0; s < VUC_NSOCKS; s++)
        ctx->sock[s] = -1;
    ctx->next_id = 1;
    ctx->next_seq = 1;
    ctx->arrivals_tail = &ctx->arrivals;
    ctx->caps.max_msg_fds = VU_DEFAULT_MAX_MSG_FDS;
    ctx->caps.max_data_xfer_size = VU_DEFAULT_MAX_DATA_XFER_SIZE;
    return ctx;
}

/* Drops what is buffered and marks the socket closed. held stays: it
 * counts arrivals still queued, which subtract it when delivered. */
void vuc_rx_free(struct vuc_ctx *ctx, struct vuc_rx *rx) {
    size_t held = rx->held;
    free(rx->ra);
    free(rx->body);
    vuc_close_fds(ctx, rx->fds, rx->nfds);
    vuc_close_fds(ctx, rx->park_fds, rx->park_nfds);
    memset(rx, 0, sizeof(*rx));
    rx->held = held;
    rx->closed = true;
}

void vuc_destroy(struct vuc_ctx *ctx) {
    if (!ctx)
        return;
    for (int s = 0; s < VUC_NSOCKS; s++) {
        vuc_rx_free(ctx, &ctx->rx[s]);
        if (ctx->sock[s] >= 0)
            close(ctx->sock[s]);
    }
    while (ctx->reqs) {
        struct vuc_req *r = ctx->reqs;
        ctx->reqs = r->next;
        vuc_req_free(ctx, r);
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
 * hold them forever); reads block only when asked to. A socket handed to us
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

/* The blocking calls wait for a reply in recvmsg bounded by SO_RCVTIMEO
 * instead of poll + recvmsg (client_step.c). 0 means forever to the kernel,
 * and is set too: the fd may come with a timeout of its own. */
static void set_recv_timeout(struct vuc_ctx *ctx, int fd) {
    int ms = ctx->opts.timeout_ms < 0 ? 0 : ctx->opts.timeout_ms;
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
    ctx->main_rcvtimeo_set = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0;
    ctx->main_rcvtimeo_ms = ctx->opts.timeout_ms < 0 ? -1 : ms;
}

int vuc_attach_fd(struct vuc_ctx *ctx, int fd) {
    if (ctx->sock[VUC_SOCK_MAIN] >= 0)
        return -EISCONN;
    if (fd < 0)
        return -EBADF;
    ctx->sock[VUC_SOCK_MAIN] = fd;
    vuc_set_send_timeout(ctx, fd);
    set_recv_timeout(ctx, fd);
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

const char *vuc_sock_name(enum vuc_sock s) {
    _Static_assert(VUC_NSOCKS == 10, "a name for every socket");
    static const char *const names[VUC_NSOCKS] = {"main", "twin", "map0", "map1", "map2",
                                                  "map3", "map4", "map5", "map6", "map7"};
    return (int)s >= 0 && (int)s < VUC_NSOCKS ? names[s] : "?";
}

bool vuc_has_twin(const struct vuc_ctx *ctx) {
    return ctx->sock[VUC_SOCK_TWIN] >= 0;
}

void vuc_get_stats(const struct vuc_ctx *ctx, struct vuc_stats *out) {
    *out = ctx->stats;
}

void vuc_note_problem(struct vuc_ctx *ctx, const char *fmt, ...) {
    if (ctx->problem[0])
        return; /* the first one caused the rest */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->problem, sizeof(ctx->problem), fmt, ap);
    va_end(ap);
}

const char *vuc_protocol_problem(const struct vuc_ctx *ctx) {
    return ctx->problem[0] ? ctx->problem : NULL;
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

/* ---- Sending ----------------------------------------------------------- */

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
    if ((int)s < 0 || (int)s >= VUC_NSOCKS || ctx->sock[s] < 0 || ctx->rx[s].closed)
        return -ENOTCONN;
    int rc = ctx->ops->send(ctx->sock[s], iov, iovcnt, fds, nfds);
    if (rc == 0)
        ctx->stats.msgs_sent++;
    if (rc == 0 && ctx->trace_fn)
        trace_sent(ctx, s, iov, iovcnt, nfds);
    /* Part of the message may be out: the stream cannot be framed any more.
     * Shutting it down turns this into a disconnect the reader reports. */
    if (rc == -ETIMEDOUT)
        shutdown(ctx->sock[s], SHUT_RDWR);
    return rc;
}
