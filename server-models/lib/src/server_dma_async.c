/*
 * Asynchronous DMA for devices that must not block: transfers queue up, one
 * chunk is on the wire at a time, and vus_step() feeds replies back in. On
 * the main socket (no twin) a reply is recognised by its type, command and
 * the id of the chunk in flight, so an async device does not lose the
 * client's commands the way a synchronous one does.
 *
 * A DEVICE_RESET, or a DMA_UNMAP overlapping a submitted transfer, cancels
 * the transfers it affects before it is served: the device's interrupt
 * callback runs, their done() get -ECANCELED, and the late reply to a chunk
 * that was in flight is recognised by id and dropped when it comes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "server_private.h"

bool vus_async_pending(const struct vus_ctx *ctx) {
    return ctx->aq_head != NULL || ctx->norphans > 0;
}

static uint16_t cmd_of(enum vus_dma_dir dir) {
    return dir == VUS_DMA_READ ? VU_CMD_DMA_READ : VU_CMD_DMA_WRITE;
}

static bool is_reply(const struct vu_hdr *hdr, uint16_t id, uint16_t cmd) {
    return (hdr->flags & VU_F_TYPE_MASK) == VU_F_TYPE_REPLY && hdr->msg_id == id && hdr->cmd == cmd;
}

static int find_orphan(const struct vus_ctx *ctx, const struct vu_hdr *hdr, int fd) {
    for (size_t i = 0; i < ctx->norphans; i++) {
        const struct vus_orphan *o = &ctx->orphans[i];
        if (o->fd == fd && is_reply(hdr, o->id, o->cmd)) {
            return (int)i;
        }
    }
    return -1;
}

/* Remembers a cancelled chunk so its late reply is read and dropped; the
 * oldest is forgotten when too many are outstanding (its reply would then be
 * answered as a bad command, EINVAL). */
static void add_orphan(struct vus_ctx *ctx, const struct vus_async_dma *job) {
    if (ctx->norphans == VUS_MAX_ORPHANS) {
        memmove(ctx->orphans, ctx->orphans + 1, sizeof(ctx->orphans[0]) * (VUS_MAX_ORPHANS - 1));
        ctx->norphans--;
    }
    ctx->orphans[ctx->norphans++] =
        (struct vus_orphan){.id = job->chunk_id, .cmd = cmd_of(job->dir), .fd = job->chunk_fd};
}

static int drop_orphan_reply(struct vus_ctx *ctx, const struct vu_hdr *hdr, int fd, int i) {
    memmove(ctx->orphans + i, ctx->orphans + i + 1,
            sizeof(ctx->orphans[0]) * (ctx->norphans - (size_t)i - 1));
    ctx->norphans--;
    if (hdr->msg_size < sizeof(*hdr) || hdr->msg_size > VUS_MAX_MSG_SIZE) {
        vus_log_err(ctx, "late DMA reply msg%#hx: bad size %u", hdr->msg_id, hdr->msg_size);
        return -EPROTO;
    }
    vus_log_dbg(ctx, "late reply msg%#hx to a cancelled DMA dropped", hdr->msg_id);
    return vus_tr_drain(fd, hdr->msg_size - sizeof(*hdr), ctx->cfg.io_timeout_ms);
}

static void kick(struct vus_ctx *ctx);

static void complete(struct vus_ctx *ctx, int result) {
    struct vus_async_dma *job = ctx->aq_head;
    ctx->aq_head = job->next;
    if (ctx->aq_head == NULL) {
        ctx->aq_tail = NULL;
    }
    job->done(job->arg, result);
    free(job);
    kick(ctx);
}

/* Sends the head job's next chunk, copying mmap()ed pieces on the spot. */
static void kick(struct vus_ctx *ctx) {
    struct vus_async_dma *job = ctx->aq_head;
    if (job == NULL || job->in_flight) {
        return;
    }
    uint32_t prot = job->dir == VUS_DMA_READ ? VU_DMA_MAP_F_READ : VU_DMA_MAP_F_WRITE;
    while (job->done_bytes < job->len) {
        uint64_t addr = job->addr + job->done_bytes;
        uint8_t *buf = job->buf + job->done_bytes;
        bool direct;
        int sock;
        size_t span = vus_dma_map_span(ctx, addr, job->len - job->done_bytes, prot, &direct, &sock);
        if (span == 0) {
            complete(ctx, -EFAULT);
            return;
        }
        if (sock >= 0) {
            /* The loop does not read map sockets: synchronous DMA only. */
            vus_log_err(ctx, "asynchronous DMA into a map with a DMA socket: use vus_dma_read");
            complete(ctx, -EOPNOTSUPP);
            return;
        }
        if (direct) {
            int ret = vus_dma_copy_direct(ctx, job->dir, addr, buf, span);
            if (ret < 0) {
                complete(ctx, ret);
                return;
            }
            job->done_bytes += span;
            continue;
        }
        uint32_t n = span < ctx->client_max_data_xfer ? (uint32_t)span : ctx->client_max_data_xfer;
        job->chunk_id = vus_dma_alloc_id(ctx);
        job->chunk_len = n;
        job->chunk_fd = vus_dma_socket(ctx);
        int ret = vus_dma_send_chunk(ctx, job->chunk_fd, job->chunk_id, job->dir, addr, buf, n);
        if (ret < 0) {
            complete(ctx, ret);
            return;
        }
        job->in_flight = true;
        return;
    }
    complete(ctx, 0);
}

int vus_dma_submit(struct vus_ctx *ctx, enum vus_dma_dir dir, uint64_t addr, void *buf, size_t len,
                   vus_dma_done_cb done, void *arg) {
    if (done == NULL || (dir != VUS_DMA_READ && dir != VUS_DMA_WRITE) || (buf == NULL && len)) {
        return -EINVAL;
    }
    if (!vus_connected(ctx)) {
        return -ENOTCONN;
    }
    if (!vus_quiesce_allows_dma(ctx)) {
        return -EBUSY;
    }
    int ret = vus_dma_check_range(ctx, dir, addr, len);
    if (ret < 0) {
        return ret;
    }
    struct vus_async_dma *job = calloc(1, sizeof(*job));
    if (job == NULL) {
        return -ENOMEM;
    }
    *job = (struct vus_async_dma){
        .dir = dir, .addr = addr, .buf = buf, .len = len, .done = done, .arg = arg};
    if (ctx->aq_tail != NULL) {
        ctx->aq_tail->next = job;
    } else {
        ctx->aq_head = job;
    }
    ctx->aq_tail = job;
    kick(ctx);
    return 0;
}

bool vus_async_claims_reply(struct vus_ctx *ctx, const struct vu_hdr *hdr, int fd) {
    const struct vus_async_dma *job = ctx->aq_head;
    if (job != NULL && job->in_flight && job->chunk_fd == fd &&
        is_reply(hdr, job->chunk_id, cmd_of(job->dir))) {
        return true;
    }
    return find_orphan(ctx, hdr, fd) >= 0;
}

/* Returns a negative errno only when the connection must go. */
int vus_async_on_reply(struct vus_ctx *ctx, const struct vu_hdr *hdr, int fd) {
    int orphan = find_orphan(ctx, hdr, fd);
    if (orphan >= 0) {
        return drop_orphan_reply(ctx, hdr, fd, orphan);
    }
    struct vus_async_dma *job = ctx->aq_head;
    if (job == NULL || !job->in_flight) {
        vus_log_err(ctx, "DMA reply msg%#hx with no DMA outstanding", hdr->msg_id);
        return -EPROTO;
    }
    uint64_t addr = job->addr + job->done_bytes;
    int ret = vus_dma_finish_reply(ctx, fd, hdr, job->chunk_id, job->dir, addr,
                                   job->buf + job->done_bytes, job->chunk_len);
    job->in_flight = false;
    if (ret < 0) {
        bool client_error = (hdr->flags & VU_F_ERROR) && hdr->msg_id == job->chunk_id;
        complete(ctx, ret);
        return client_error ? 0 : -EPROTO;
    }
    job->done_bytes += job->chunk_len;
    kick(ctx);
    return 0;
}

int vus_async_handle_twin(struct vus_ctx *ctx) {
    struct vu_hdr h;
    int ret = vus_tr_recv_exact(ctx->twin_fd, &h, sizeof(h), ctx->cfg.io_timeout_ms, NULL, NULL);
    if (ret < 0) {
        vus_log_err(ctx, "twin socket: %s", strerror(-ret));
        return ret;
    }
    vus_idle_count_in(ctx);
    return vus_async_on_reply(ctx, &h, ctx->twin_fd);
}

static bool job_affected(const struct vus_async_dma *job, const struct vus_msg *msg) {
    return msg->hdr.cmd == VU_CMD_DEVICE_RESET || vus_unmap_touches(msg, job->addr, job->len);
}

void vus_async_interrupt(struct vus_ctx *ctx, const struct vus_msg *msg) {
    if (msg->hdr.cmd != VU_CMD_DEVICE_RESET && msg->hdr.cmd != VU_CMD_DMA_UNMAP) {
        return;
    }
    struct vus_async_dma *cancelled = NULL, **tail = &cancelled, **link = &ctx->aq_head;
    ctx->aq_tail = NULL;
    while (*link != NULL) {
        struct vus_async_dma *job = *link;
        if (!job_affected(job, msg)) {
            ctx->aq_tail = job;
            link = &job->next;
            continue;
        }
        *link = job->next;
        job->next = NULL;
        *tail = job;
        tail = &job->next;
        if (job->in_flight) {
            add_orphan(ctx, job);
        }
    }
    if (cancelled == NULL) {
        return;
    }
    /* The device hears of it first, then its transfers end, then the
     * command is served. */
    vus_dma_interrupted(ctx, msg);
    while (cancelled != NULL) {
        struct vus_async_dma *job = cancelled;
        cancelled = job->next;
        job->done(job->arg, -ECANCELED);
        free(job);
    }
    kick(ctx); /* an unaffected job may now be at the head */
}

void vus_async_fail_all(struct vus_ctx *ctx, int err) {
    ctx->norphans = 0;
    while (ctx->aq_head != NULL) {
        struct vus_async_dma *job = ctx->aq_head;
        ctx->aq_head = job->next;
        if (ctx->aq_head == NULL) {
            ctx->aq_tail = NULL;
        }
        job->done(job->arg, err);
        free(job);
    }
}
