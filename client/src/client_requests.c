/*
 * Requests and events: submission (now or deferred), msg_id allocation,
 * completion when a reply is delivered, results, release.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client_internal.h"

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

void vuc_req_free(struct vuc_ctx *ctx, struct vuc_req *r) {
    if (r->fds)
        vuc_close_fds(ctx, r->fds, (unsigned)r->nfds);
    if (r->fd >= 0)
        close(r->fd);
    free(r->fds);
    free(r->msg);
    free(r->rx);
    free(r);
}

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
        vuc_req_free(ctx, r);
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
        vuc_req_free(ctx, r);
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
        vuc_req_free(ctx, r);
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
    if (r->state == REQ_SENT || r->state == REQ_ARRIVED) {
        /* Its reply may still come: keep the msg_id busy until then. */
        r->abandoned = true;
        r->quiet = true;
        return;
    }
    req_unlink(ctx, r);
    vuc_req_free(ctx, r);
}
