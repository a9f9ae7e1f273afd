/*
 * Stepping: the fds to poll, reading what is ready, holding and delivering
 * arrivals, and the wait loop under every blocking call.
 */
#include <errno.h>
#include <limits.h>
#include <time.h>

#include "client_internal.h"

/* ---- Stepping ------------------------------------------------------------ */

int vuc_poll_fds(const struct vuc_ctx *ctx, struct pollfd *fds, int max) {
    int n = 0;
    for (int s = 0; s < VUC_NSOCKS && n < max; s++) {
        if (ctx->sock[s] < 0 || ctx->rx[s].closed)
            continue;
        fds[n].fd = ctx->sock[s];
        /* A paused socket stays in its place (callers index by position)
         * but asks for nothing: its readiness must not wake a wait. */
        fds[n].events = vuc_paused(ctx, (enum vuc_sock)s) ? 0 : POLLIN;
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
/* Messages parked at the held bound are framed once there is room, whether
 * or not the socket has more to read. */
static int frame_parked(struct vuc_ctx *ctx, int max_msgs) {
    int arrived = 0;
    for (int s = 0; s < VUC_NSOCKS; s++) {
        if (!ctx->rx[s].parked || vuc_paused(ctx, (enum vuc_sock)s))
            continue;
        int rc = vuc_read_socket(ctx, (enum vuc_sock)s, max_msgs, false);
        if (rc < 0)
            return rc;
        arrived += rc;
    }
    return arrived;
}

/* The socket fd belongs to, or -1 when none does any more (a map socket
 * closed since vuc_poll_fds listed it). */
static int sock_of_fd(const struct vuc_ctx *ctx, int fd) {
    for (int s = 0; s < VUC_NSOCKS; s++)
        if (ctx->sock[s] == fd)
            return s;
    return -1;
}

static int step_some(struct vuc_ctx *ctx, int timeout_ms, int max_msgs) {
    struct pollfd pfd[VUC_NSOCKS];
    int n = vuc_poll_fds(ctx, pfd, VUC_NSOCKS);
    if (n == 0)
        return vuc_connected(ctx) ? 0 : -ENOTCONN;
    int arrived = frame_parked(ctx, max_msgs);
    if (arrived < 0)
        return arrived;
    int rc;
    do {
        rc = poll(pfd, (nfds_t)n, arrived ? 0 : timeout_ms);
    } while (rc < 0 && errno == EINTR);
    if (rc < 0)
        return -errno;
    for (int i = 0; i < n; i++) {
        const int s = sock_of_fd(ctx, pfd[i].fd);
        if (!pfd[i].revents || s < 0)
            continue;
        rc = vuc_read_socket(ctx, (enum vuc_sock)s, max_msgs, false);
        if (rc < 0)
            return rc;
        arrived += rc;
    }
    if (!ctx->hold && (rc = deliver_all(ctx)) < 0)
        return rc;
    return arrived;
}

/* A wait of timeout_ms can be one blocking recvmsg, without poll, when the
 * main socket is the only one to watch and its SO_RCVTIMEO is that long. */
static bool can_block_on_main(const struct vuc_ctx *ctx, int timeout_ms) {
    if (!ctx->main_rcvtimeo_set || ctx->main_rcvtimeo_ms != timeout_ms ||
        ctx->sock[VUC_SOCK_MAIN] < 0 || ctx->rx[VUC_SOCK_MAIN].closed)
        return false;
    for (int s = VUC_SOCK_TWIN; s < VUC_NSOCKS; s++)
        if (ctx->sock[s] >= 0 && !ctx->rx[s].closed)
            return false;
    return true;
}

static int step_blocking(struct vuc_ctx *ctx, int max_msgs) {
    int arrived = vuc_read_socket(ctx, VUC_SOCK_MAIN, max_msgs, true);
    if (arrived < 0)
        return arrived;
    int rc = ctx->hold ? 0 : deliver_all(ctx);
    return rc < 0 ? rc : arrived;
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
    ctx->rx[a->sock].held -= a->held;
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
        ctx->hold_lifted = held;
        rc = can_block_on_main(ctx, left) ? step_blocking(ctx, 1) : step_some(ctx, left, 1);
        ctx->hold = held;
        ctx->hold_lifted = false;
        if (rc < 0 && r->state != REQ_DONE)
            return rc;
    }
}
