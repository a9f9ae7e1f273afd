/*
 * QUEUE mode: synchronous DMA on the main socket that does not lose the
 * client's commands. While a chunk's reply is awaited, every message read
 * that is not that reply (type reply, the chunk's id and command) is a client
 * command: it is read whole, with its fds, and held. Held commands are served
 * in arrival order once the command whose handler did the DMA has been
 * answered (that handler may do many transfers; nothing is served in
 * between, so a device never sees a command inside its own DMA and replies
 * leave in the order the commands came).
 *
 * The queue is bounded by dma_queue_limit bytes of whole messages. A command
 * that does not fit is answered at once with an ENOBUFS error reply and not
 * run (a NO_REPLY one cannot be answered: it is logged as dropped); the DMA
 * goes on waiting. A header that fails vus_valid_header() is held as its 16
 * bytes and answered EINVAL when its turn comes, its body left in the stream
 * as the main loop would leave it.
 *
 * A DEVICE_RESET, or a DMA_UNMAP touching the transfer, is held like any
 * command, but the device is told at once (vus_set_dma_interrupt_cb) and the
 * transfer ends with ECANCELED after the chunk in flight is answered.
 *
 * The same queue holds the commands that arrive while the device quiesces
 * (server_quiesce.c); they are served once the held message is answered.
 *
 * On every disconnect and at exit the library prints the connection's peak:
 * "vus: DMA queue peak: <N> bytes (limit <L>)" (rcsim explore parses it).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server_private.h"

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool is_our_reply(const struct vu_hdr *h, uint16_t id, enum vus_dma_dir dir) {
    uint16_t cmd = dir == VUS_DMA_READ ? VU_CMD_DMA_READ : VU_CMD_DMA_WRITE;
    return (h->flags & VU_F_TYPE_MASK) == VU_F_TYPE_REPLY && h->msg_id == id && h->cmd == cmd;
}

static void append(struct vus_ctx *ctx, struct vus_held *held) {
    if (ctx->held_tail != NULL) {
        ctx->held_tail->next = held;
    } else {
        ctx->held_head = held;
    }
    ctx->held_tail = held;
    ctx->held_bytes += held->bytes;
    if (ctx->held_bytes > ctx->held_peak) {
        ctx->held_peak = ctx->held_bytes;
    }
}

/* The command does not fit: answer it now without running it. */
static int refuse(struct vus_ctx *ctx, struct vus_held *held) {
    const struct vu_hdr *h = &held->msg.hdr;
    if (h->flags & VU_F_NO_REPLY) {
        vus_log_err(ctx,
                    "msg%#hx: DMA queue full (%zu + %zu bytes > limit %zu): NO_REPLY cmd %u "
                    "dropped",
                    h->msg_id, ctx->held_bytes, held->bytes, ctx->cfg.dma_queue_limit, h->cmd);
        return 0;
    }
    vus_log_err(ctx,
                "msg%#hx: DMA queue full (%zu + %zu bytes > limit %zu): cmd %u refused "
                "with ENOBUFS",
                h->msg_id, ctx->held_bytes, held->bytes, ctx->cfg.dma_queue_limit, h->cmd);
    return vus_tr_reply(ctx, h, ENOBUFS, NULL, 0, -1);
}

static bool interrupts(const struct vus_ctx *ctx, const struct vus_msg *msg) {
    if (msg->bad_header || !ctx->sync_active) {
        return false;
    }
    return msg->hdr.cmd == VU_CMD_DEVICE_RESET ||
           vus_unmap_touches(msg, ctx->sync_addr, ctx->sync_len);
}

/* A client command whose header has been read: read the rest, hold it or
 * refuse it. A negative errno means the connection is broken. */
static int hold(struct vus_ctx *ctx, struct vus_held *held) {
    struct vus_msg *msg = &held->msg;
    msg->bad_header = !vus_valid_header(ctx, &msg->hdr);
    if (!msg->bad_header) {
        int ret = vus_msg_read_body(ctx, msg);
        if (ret < 0) {
            vus_msg_free(msg);
            free(held);
            return ret;
        }
    }
    held->bytes = sizeof(msg->hdr) + msg->body_len;
    if (held->bytes > ctx->cfg.dma_queue_limit - ctx->held_bytes) {
        int ret = refuse(ctx, held);
        vus_msg_free(msg);
        free(held);
        return ret;
    }
    vus_log_dbg(ctx, "msg%#hx: cmd %u held while a DMA reply is awaited (%zu bytes)",
                msg->hdr.msg_id, msg->hdr.cmd, held->bytes);
    if (interrupts(ctx, msg)) {
        ctx->sync_cancelled = true;
        vus_dma_interrupted(ctx, msg);
    }
    append(ctx, held);
    return 0;
}

/* Reads the next header on the main socket within the DMA's deadline. */
static int next_header(struct vus_ctx *ctx, int64_t deadline, struct vus_msg *msg) {
    int timeout = -1;
    if (ctx->cfg.io_timeout_ms >= 0) {
        int64_t left = deadline - now_ms();
        timeout = left > 0 ? (int)left : 0;
    }
    int ret =
        vus_tr_recv_exact(ctx->conn_fd, &msg->hdr, sizeof(msg->hdr), timeout, msg->fds, &msg->nfds);
    if (ret >= 0) {
        vus_idle_count_in(ctx);
    }
    return ret;
}

static int broken(struct vus_ctx *ctx, int ret) {
    vus_log_err(ctx, "waiting for a DMA reply: %s, dropping the client", strerror(-ret));
    vus_dma_break_connection(ctx);
    return ret == -ETIMEDOUT ? ret : -ENOTCONN;
}

int vus_dmaq_recv_reply(struct vus_ctx *ctx, uint16_t id, enum vus_dma_dir dir, uint64_t addr,
                        void *data, uint32_t count) {
    /* The client has io_timeout_ms to answer, however many commands it sends
     * meanwhile. */
    int64_t deadline = now_ms() + (ctx->cfg.io_timeout_ms > 0 ? ctx->cfg.io_timeout_ms : 0);
    for (;;) {
        struct vus_held *held = calloc(1, sizeof(*held));
        if (held == NULL) {
            return broken(ctx, -ENOMEM);
        }
        held->msg.out_fd = -1;
        int ret = next_header(ctx, deadline, &held->msg);
        if (ret == 0 && is_our_reply(&held->msg.hdr, id, dir)) {
            struct vu_hdr h = held->msg.hdr;
            vus_msg_free(&held->msg);
            free(held);
            return vus_dma_finish_reply(ctx, ctx->conn_fd, &h, id, dir, addr, data, count);
        }
        if (ret == 0 && vus_async_claims_reply(ctx, &held->msg.hdr, ctx->conn_fd)) {
            vus_close_fds(held->msg.fds, held->msg.nfds);
            ret = vus_async_on_reply(ctx, &held->msg.hdr, ctx->conn_fd);
            free(held);
            if (ret < 0) {
                return broken(ctx, ret);
            }
            continue;
        }
        if (ret == 0) {
            ret = hold(ctx, held); /* owns held from here */
        } else {
            vus_msg_free(&held->msg);
            free(held);
        }
        if (ret < 0) {
            return broken(ctx, ret);
        }
    }
}

/* A command read while a quiesce is pending: the message the device
 * quiesces for is answered first, then these, in order. */
int vus_dmaq_hold(struct vus_ctx *ctx, struct vus_msg *msg) {
    struct vus_held *held = calloc(1, sizeof(*held));
    if (held == NULL) {
        return -ENOMEM;
    }
    held->msg = *msg;
    *msg = (struct vus_msg){.out_fd = -1};
    return hold(ctx, held);
}

int vus_dmaq_serve_held(struct vus_ctx *ctx) {
    while (ctx->held_head != NULL && ctx->conn_fd >= 0 && !vus_quiesce_holding(ctx)) {
        struct vus_held *held = ctx->held_head;
        ctx->held_head = held->next;
        if (ctx->held_head == NULL) {
            ctx->held_tail = NULL;
        }
        ctx->held_bytes -= held->bytes;
        int ret = vus_msg_serve(ctx, &held->msg);
        vus_msg_free(&held->msg);
        free(held);
        if (ret < 0) {
            vus_disconnect(ctx);
            return -ENOTCONN;
        }
    }
    return 1;
}

static void print_peak(struct vus_ctx *ctx) {
    if (ctx->cfg.dma_mode == VUS_DMA_MODE_QUEUE) {
        fprintf(stderr, "vus: DMA queue peak: %zu bytes (limit %zu)\n", ctx->held_peak,
                ctx->cfg.dma_queue_limit);
        fflush(stderr);
    }
    ctx->held_peak = 0;
}

void vus_dmaq_end_connection(struct vus_ctx *ctx) {
    while (ctx->held_head != NULL) {
        struct vus_held *held = ctx->held_head;
        ctx->held_head = held->next;
        vus_msg_free(&held->msg);
        free(held);
    }
    ctx->held_tail = NULL;
    ctx->held_bytes = 0;
    print_peak(ctx);
}
