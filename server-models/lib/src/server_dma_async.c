/*
 * Asynchronous DMA for devices that must not block: transfers queue up, one
 * chunk is on the wire at a time, and vus_step() feeds replies back in. On
 * the main socket (no twin) a reply is recognised by its type, command and
 * the id of the chunk in flight, so an async device does not lose the
 * client's commands the way a synchronous one does.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "server_private.h"

bool vus_async_pending(const struct vus_ctx *ctx) {
    return ctx->aq_head != NULL;
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
        size_t span = vus_dma_map_span(ctx, addr, job->len - job->done_bytes, prot, &direct);
        if (span == 0) {
            complete(ctx, -EFAULT);
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
    uint16_t cmd = job != NULL && job->dir == VUS_DMA_READ ? VU_CMD_DMA_READ : VU_CMD_DMA_WRITE;
    return job != NULL && job->in_flight && job->chunk_fd == fd &&
           (hdr->flags & VU_F_TYPE_MASK) == VU_F_TYPE_REPLY && hdr->msg_id == job->chunk_id &&
           hdr->cmd == cmd;
}

/* Returns a negative errno only when the connection must go. */
int vus_async_on_reply(struct vus_ctx *ctx, const struct vu_hdr *hdr, int fd) {
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
    return vus_async_on_reply(ctx, &h, ctx->twin_fd);
}

void vus_async_fail_all(struct vus_ctx *ctx, int err) {
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
