/*
 * Synchronous DMA: the device blocks until every chunk's reply is in, as
 * libvfio-user's vfu_sgl_read/vfu_sgl_write do. Chunks are at most the
 * client's max_data_xfer_size and never cross a map boundary; msg_ids come
 * from a counter that lives as long as the context. Where the reply is read
 * depends on the mode: the twin socket, the main socket as libvfio-user reads
 * it (LEGACY, server_dma_legacy.c) or holding the client's commands meanwhile
 * (QUEUE, server_dma_queue.c). ASYNC refuses it: devices submit instead.
 * MAP_SOCKET sends a chunk into a map with a DMA socket on that socket and
 * reads the reply there; a failure there fails the transfer and shuts that
 * socket, never the connection.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "server_private.h"

uint16_t vus_dma_alloc_id(struct vus_ctx *ctx) {
    pthread_mutex_lock(&ctx->lock);
    uint16_t id = ctx->next_dma_id++;
    pthread_mutex_unlock(&ctx->lock);
    return id;
}

static uint32_t prot_for(enum vus_dma_dir dir) {
    /* The server reads client memory with DMA_READ: the map must allow it. */
    return dir == VUS_DMA_READ ? VU_DMA_MAP_F_READ : VU_DMA_MAP_F_WRITE;
}

/* The whole range must be mapped before any of it moves. */
int vus_dma_check_range(struct vus_ctx *ctx, enum vus_dma_dir dir, uint64_t addr, size_t len) {
    if (addr + len < addr) {
        return -EFAULT;
    }
    while (len > 0) {
        bool direct;
        int sock;
        size_t span = vus_dma_map_span(ctx, addr, len, prot_for(dir), &direct, &sock);
        if (span == 0) {
            vus_log_err(ctx, "DMA %#llx+%zu is not mapped for %s", (unsigned long long)addr, len,
                        dir == VUS_DMA_READ ? "read" : "write");
            return -EFAULT;
        }
        addr += span;
        len -= span;
    }
    return 0;
}

int vus_dma_send_chunk(struct vus_ctx *ctx, int fd, uint16_t id, enum vus_dma_dir dir,
                       uint64_t addr, const void *data, uint32_t count) {
    /* Only the main socket races; a map socket carries nothing else. */
    bool misread = ctx->cfg.dma_mode == VUS_DMA_MODE_TWIN ||
                   ctx->cfg.dma_mode == VUS_DMA_MODE_LEGACY ||
                   ctx->cfg.dma_mode == VUS_DMA_MODE_MAP_SOCKET;
    if (fd == ctx->conn_fd && misread && !ctx->warned_279) {
        ctx->warned_279 = true;
        vus_log_err(ctx, "DMA goes on the main socket (no twin socket): a client command sent "
                         "meanwhile will be misread (libvfio-user issue #279)");
    }
    struct vu_dma_access acc = {.addr = addr, .count = count};
    size_t data_len = dir == VUS_DMA_WRITE ? count : 0;
    struct vu_hdr h = {
        .msg_id = id,
        .cmd = dir == VUS_DMA_READ ? VU_CMD_DMA_READ : VU_CMD_DMA_WRITE,
        .msg_size = (uint32_t)(sizeof(h) + sizeof(acc) + data_len),
        .flags = VU_F_TYPE_COMMAND,
    };
    vus_idle_before_send(ctx);
    int ret = vus_tr_send(fd, &h, &acc, sizeof(acc), data, data_len, NULL, 0);
    if (ret < 0) {
        vus_log_err(ctx, "sending DMA command: %s", strerror(-ret));
        vus_dma_socket_failed(ctx, fd);
        return -ENOTCONN;
    }
    vus_idle_count_out(ctx);
    return 0;
}

static int recv_reply(struct vus_ctx *ctx, int fd, uint16_t id, enum vus_dma_dir dir, uint64_t addr,
                      void *data, uint32_t count) {
    if (fd == ctx->conn_fd && ctx->cfg.dma_mode == VUS_DMA_MODE_QUEUE) {
        return vus_dmaq_recv_reply(ctx, id, dir, addr, data, count);
    }
    return vus_dma_recv_reply(ctx, fd, id, dir, addr, data, count);
}

/* A chunk on a map socket: a reply that is a clean error (header alone)
 * leaves the stream in step and fails only the chunk; anything else that
 * fails shuts the socket. */
static int map_recv_reply(struct vus_ctx *ctx, int fd, uint16_t id, enum vus_dma_dir dir,
                          uint64_t addr, void *data, uint32_t count) {
    struct vu_hdr h;
    int ret = vus_tr_recv_exact(fd, &h, sizeof(h), ctx->cfg.io_timeout_ms, NULL, NULL);
    if (ret < 0) {
        vus_log_err(ctx, "DMA reply header on a map socket: %s",
                    ret == -ENOMSG ? "end of file" : strerror(-ret));
        vus_dma_socket_failed(ctx, fd);
        return ret == -ETIMEDOUT ? ret : -ENOTCONN;
    }
    vus_idle_count_in(ctx);
    ret = vus_dma_finish_reply(ctx, fd, &h, id, dir, addr, data, count);
    bool clean_error = h.msg_id == id && (h.flags & VU_F_ERROR) && h.msg_size == sizeof(h);
    if (ret < 0 && !clean_error) {
        vus_dma_socket_failed(ctx, fd);
    }
    return ret;
}

/* What a failed chunk on map socket fd means for the transfer: cancelled
 * when its map went away meanwhile; a broken socket is a reset one. */
static int map_failure(struct vus_ctx *ctx, uint64_t addr, int fd, int ret) {
    if (vus_dma_map_socket_gone(ctx, addr, fd)) {
        return -ECANCELED;
    }
    return ret == -ENOTCONN ? -ECONNRESET : ret;
}

/* Whether the caller is the loop's thread (or no loop ran yet). */
static bool on_step_thread(struct vus_ctx *ctx) {
    pid_t loop = __atomic_load_n(&ctx->step_tid, __ATOMIC_RELAXED);
    return loop == 0 || loop == gettid();
}

static int xfer_span(struct vus_ctx *ctx, enum vus_dma_dir dir, uint64_t addr, uint8_t *buf,
                     size_t span, int sock) {
    int fd = sock >= 0 ? sock : vus_dma_socket(ctx);
    if (fd == ctx->conn_fd && ctx->cfg.dma_mode == VUS_DMA_MODE_ASYNC) {
        vus_log_err(ctx, "synchronous DMA by messages in async mode: use vus_dma_submit");
        return -EOPNOTSUPP;
    }
    if (fd == ctx->conn_fd && !on_step_thread(ctx)) {
        /* Two readers of one stream tear its messages apart: worse than
         * #279's misread, and nothing a client could be tested against. */
        vus_log_err(ctx, "DMA by messages on the main socket from a thread other than the "
                         "loop's, which reads that socket too: refused (use the twin socket "
                         "or a map with its own socket)");
        return -EOPNOTSUPP;
    }
    while (span > 0) {
        uint32_t n = span < ctx->client_max_data_xfer ? (uint32_t)span : ctx->client_max_data_xfer;
        if (ctx->sync_cancelled) {
            return -ECANCELED; /* the rest of the transfer is not sent */
        }
        uint16_t id = vus_dma_alloc_id(ctx);
        int ret = vus_dma_send_chunk(ctx, fd, id, dir, addr, buf, n);
        if (ret == 0) {
            ret = sock >= 0 ? map_recv_reply(ctx, fd, id, dir, addr, buf, n)
                            : recv_reply(ctx, fd, id, dir, addr, buf, n);
        }
        if (ret < 0) {
            return sock >= 0 ? map_failure(ctx, addr, fd, ret) : ret;
        }
        addr += n;
        buf += n;
        span -= n;
    }
    return 0;
}

static int xfer(struct vus_ctx *ctx, enum vus_dma_dir dir, uint64_t addr, uint8_t *buf,
                size_t len) {
    if (len == 0) {
        return 0;
    }
    if (!vus_quiesce_allows_dma(ctx)) {
        return -EBUSY;
    }
    pthread_mutex_lock(&ctx->dma_lock);
    if (ctx->cfg.dma_mode == VUS_DMA_MODE_MAP_SOCKET) {
        vus_dma_close_parked(ctx); /* no other DMA can be polling them now */
    }
    int ret = vus_connected(ctx) ? vus_dma_check_range(ctx, dir, addr, len) : -ENOTCONN;
    ctx->sync_active = true;
    ctx->sync_addr = addr;
    ctx->sync_len = len;
    ctx->sync_cancelled = false;
    while (ret == 0 && len > 0 && !ctx->sync_cancelled) {
        bool direct;
        int sock;
        size_t span = vus_dma_map_span(ctx, addr, len, prot_for(dir), &direct, &sock);
        if (span == 0) {
            ret = -EFAULT; /* unmapped since the check */
            break;
        }
        ret = direct ? vus_dma_copy_direct(ctx, dir, addr, buf, span)
                     : xfer_span(ctx, dir, addr, buf, span, sock);
        addr += span;
        buf += span;
        len -= span;
    }
    if (ctx->sync_cancelled && ret != -ENOTCONN && ret != -ETIMEDOUT) {
        ret = -ECANCELED; /* whatever the chunk in flight brought back */
    }
    ctx->sync_active = false;
    ctx->sync_cancelled = false;
    pthread_mutex_unlock(&ctx->dma_lock);
    return ret;
}

int vus_dma_read(struct vus_ctx *ctx, uint64_t addr, void *buf, size_t len) {
    return xfer(ctx, VUS_DMA_READ, addr, buf, len);
}

int vus_dma_write(struct vus_ctx *ctx, uint64_t addr, const void *buf, size_t len) {
    /* Only read from buf: DMA_WRITE sends it. */
    return xfer(ctx, VUS_DMA_WRITE, addr, (uint8_t *)(uintptr_t)buf, len);
}
