/*
 * Reading the reply to a server-to-client DMA command, exactly as
 * libvfio-user reads it. On the twin socket nothing else can arrive, so this
 * is simply careful. Without a twin socket (legacy mode, or a client that did
 * not ask for it) the command goes out on the main socket and the next header
 * there is taken as the reply: a client command that crossed it on the wire
 * is consumed here and lost. That is the #279 race, reproduced on purpose
 * (server.h explains it; race279.jsonl records libvfio-user doing it):
 *  - only the 16-byte header is read before the checks, so a failed check
 *    leaves the rest of that message in the stream for the main loop, which
 *    then parses it as headers;
 *  - the id is checked first (EPROTO), then the type (EINVAL), then an error
 *    reply's errno (clamped to 1..4096), then the size;
 *  - none of these resets the connection; only EOF, a short body or a
 *    timeout (ours: libvfio-user would block for ever) do.
 * On a map socket (MAP_SOCKET mode) those reset that socket alone.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "server_private.h"

/* Socket the server's DMA commands go out on. */
int vus_dma_socket(const struct vus_ctx *ctx) {
    return ctx->twin_fd >= 0 ? ctx->twin_fd : ctx->conn_fd;
}

/* Makes the loop thread see EOF and drop the client; safe from any thread. */
void vus_dma_break_connection(struct vus_ctx *ctx) {
    if (ctx->conn_fd >= 0) {
        shutdown(ctx->conn_fd, SHUT_RDWR);
    }
    if (ctx->twin_fd >= 0) {
        shutdown(ctx->twin_fd, SHUT_RDWR);
    }
}

bool vus_dma_is_map_socket(const struct vus_ctx *ctx, int fd) {
    return fd >= 0 && fd != ctx->conn_fd && fd != ctx->twin_fd;
}

void vus_dma_socket_failed(struct vus_ctx *ctx, int fd) {
    if (vus_dma_is_map_socket(ctx, fd)) {
        shutdown(fd, SHUT_RDWR); /* parked and closed at its unmap */
        return;
    }
    vus_dma_break_connection(ctx);
}

static const char *what_goes(const struct vus_ctx *ctx, int fd) {
    return vus_dma_is_map_socket(ctx, fd) ? "shutting the map socket" : "dropping the client";
}

int vus_dma_finish_reply(struct vus_ctx *ctx, int fd, const struct vu_hdr *h, uint16_t id,
                         enum vus_dma_dir dir, uint64_t addr, void *data, uint32_t count) {
    if (h->msg_id != id) {
        vus_log_err(ctx, "DMA reply: id %#hx, expected %#hx", h->msg_id, id);
        return -EPROTO;
    }
    if ((h->flags & VU_F_TYPE_MASK) != VU_F_TYPE_REPLY) {
        return -EINVAL;
    }
    if (h->flags & VU_F_ERROR) {
        uint32_t e = h->error_no;
        return e == 0 || e > VUS_MAX_ERROR_NO ? -EINVAL : -(int)e;
    }
    if (h->msg_size < sizeof(*h) || h->msg_size > VUS_MAX_MSG_SIZE) {
        return -EINVAL;
    }
    size_t have = h->msg_size - sizeof(*h);
    size_t want = sizeof(struct vu_dma_access) + (dir == VUS_DMA_READ ? count : 0);
    if (have == 0) {
        return -EINVAL; /* nothing to compare addr/count with */
    }
    /* Reads at most what it expects; a longer reply leaves its tail behind. */
    uint8_t acc[sizeof(struct vu_dma_access)];
    size_t first = have < sizeof(acc) ? have : sizeof(acc);
    int ret = vus_tr_recv_exact(fd, acc, first, ctx->cfg.io_timeout_ms, NULL, NULL);
    if (ret == 0 && have < want) {
        ret = -ECONNRESET; /* short reply: libvfio-user resets */
    }
    if (ret == 0 && dir == VUS_DMA_READ) {
        ret = vus_tr_recv_exact(fd, data, count, ctx->cfg.io_timeout_ms, NULL, NULL);
    }
    if (ret < 0) {
        vus_log_err(ctx, "DMA reply: %s, %s", strerror(-ret), what_goes(ctx, fd));
        vus_dma_socket_failed(ctx, fd);
        return ret == -ETIMEDOUT ? ret : -ENOTCONN;
    }
    struct vu_dma_access got;
    memcpy(&got, acc, sizeof(got));
    if (got.addr != addr || got.count != count) {
        vus_log_err(ctx, "bad reply to DMA transfer: request:%#llx,%u reply:%#llx,%llu",
                    (unsigned long long)addr, count, (unsigned long long)got.addr,
                    (unsigned long long)got.count);
        return -EINVAL;
    }
    return 0;
}

int vus_dma_recv_reply(struct vus_ctx *ctx, int fd, uint16_t id, enum vus_dma_dir dir,
                       uint64_t addr, void *data, uint32_t count) {
    struct vu_hdr h;
    int ret = vus_tr_recv_exact(fd, &h, sizeof(h), ctx->cfg.io_timeout_ms, NULL, NULL);
    if (ret < 0) {
        vus_log_err(ctx, "DMA reply header: %s, %s", strerror(-ret), what_goes(ctx, fd));
        vus_dma_socket_failed(ctx, fd);
        return ret == -ETIMEDOUT ? ret : -ENOTCONN;
    }
    vus_idle_count_in(ctx);
    return vus_dma_finish_reply(ctx, fd, &h, id, dir, addr, data, count);
}
