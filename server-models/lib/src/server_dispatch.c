/*
 * Reading client commands from the main socket and dispatching them through
 * a table of handlers. Header checks follow libvfio-user in order and effect:
 * a bad header gets an EINVAL error reply (unless its flags say NO_REPLY) and
 * its body, if any, is NOT consumed, so the following bytes are read as the
 * next header. That is how libvfio-user misparses the stream in the #279 race
 * (see server.h), and the transcripts pin it down.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server_private.h"

typedef int (*vus_handler)(struct vus_ctx *ctx, struct vus_msg *msg);

/* Commands a client may send once VERSION is done. Anything else, including
 * VERSION again and REGION_WRITE_MULTI, gets EINVAL as libvfio-user answers
 * it ("bad command N"); DEVICE_FEATURE and MIG_DATA_* get EINVAL from their
 * handlers when the device set up no migration. */
static const vus_handler handlers[VU_CMD_MAX] = {
    [VU_CMD_DMA_MAP] = vus_h_dma_map,
    [VU_CMD_DMA_UNMAP] = vus_h_dma_unmap,
    [VU_CMD_DEVICE_GET_INFO] = vus_h_device_get_info,
    [VU_CMD_DEVICE_GET_REGION_INFO] = vus_h_region_info,
    [VU_CMD_DEVICE_GET_REGION_IO_FDS] = vus_h_region_io_fds,
    [VU_CMD_DEVICE_GET_IRQ_INFO] = vus_h_irq_info,
    [VU_CMD_DEVICE_SET_IRQS] = vus_h_set_irqs,
    [VU_CMD_REGION_READ] = vus_h_region_access,
    [VU_CMD_REGION_WRITE] = vus_h_region_access,
    [VU_CMD_DEVICE_RESET] = vus_h_device_reset,
    [VU_CMD_DEVICE_FEATURE] = vus_h_device_feature,
    [VU_CMD_MIG_DATA_READ] = vus_h_mig_data_read,
    [VU_CMD_MIG_DATA_WRITE] = vus_h_mig_data_write,
};

bool vus_valid_header(const struct vus_ctx *ctx, const struct vu_hdr *h) {
    if ((h->flags & VU_F_TYPE_MASK) != VU_F_TYPE_COMMAND) {
        vus_log_err(ctx, "msg%#hx: not a command req", h->msg_id);
        return false;
    }
    if (h->msg_size < sizeof(*h)) {
        vus_log_err(ctx, "msg%#hx: bad size %u in header", h->msg_id, h->msg_size);
        return false;
    }
    if (h->msg_size == sizeof(*h) && h->cmd != VU_CMD_DEVICE_RESET) {
        vus_log_err(ctx, "msg%#hx: no payload for cmd%u", h->msg_id, h->cmd);
        return false;
    }
    if (h->msg_size > VUS_MAX_MSG_SIZE) {
        vus_log_err(ctx, "msg%#hx: size of %u is too large", h->msg_id, h->msg_size);
        return false;
    }
    return true;
}

void vus_disconnect(struct vus_ctx *ctx) {
    /* Wake a DMA worker blocked on the sockets, then wait for it to leave. */
    if (ctx->conn_fd >= 0) {
        shutdown(ctx->conn_fd, SHUT_RDWR);
    }
    if (ctx->twin_fd >= 0) {
        shutdown(ctx->twin_fd, SHUT_RDWR);
    }
    vus_dma_maps_shutdown(ctx);
    pthread_mutex_lock(&ctx->dma_lock);
    ctx->negotiated = false; /* a done() callback must not start new DMA */
    vus_async_fail_all(ctx, -ENOTCONN);
    vus_dmaq_end_connection(ctx);
    vus_quiesce_drop(ctx);
    vus_tr_close_client(ctx);
    pthread_mutex_lock(&ctx->lock);
    vus_dma_maps_clear(ctx);
    vus_dirty_reset(ctx);
    vus_irq_reset(ctx);
    pthread_mutex_unlock(&ctx->lock);
    vus_dma_close_parked(ctx); /* the map sockets, DMA being excluded */
    pthread_mutex_unlock(&ctx->dma_lock);
    vus_migration_reset(ctx);
    if (ctx->reset_cb != NULL) {
        ctx->reset_cb(ctx->reset_priv, VUS_RESET_LOST_CONN);
    }
    vus_log_dbg(ctx, "client disconnected, waiting for next");
}

void vus_msg_free(struct vus_msg *msg) {
    vus_close_fds(msg->fds, msg->nfds);
    msg->nfds = 0;
    free(msg->body);
    msg->body = NULL;
    free(msg->out);
    msg->out = NULL;
    if (msg->out_fd >= 0) {
        close(msg->out_fd);
        msg->out_fd = -1;
    }
}

static int drop_client(struct vus_ctx *ctx, struct vus_msg *msg) {
    vus_msg_free(msg);
    vus_disconnect(ctx);
    return -ENOTCONN;
}

static int dispatch(struct vus_ctx *ctx, struct vus_msg *msg) {
    vus_handler h = msg->hdr.cmd < VU_CMD_MAX ? handlers[msg->hdr.cmd] : NULL;
    if (h == NULL) {
        vus_log_err(ctx, "bad command %u", msg->hdr.cmd);
        return -EINVAL;
    }
    int ret = h(ctx, msg);
    if (ret < 0) {
        vus_log_dbg(ctx, "msg%#hx: cmd %u failed: %s", msg->hdr.msg_id, msg->hdr.cmd,
                    strerror(-ret));
    }
    return ret;
}

int vus_msg_read_body(struct vus_ctx *ctx, struct vus_msg *msg) {
    msg->body_len = msg->hdr.msg_size - sizeof(msg->hdr);
    if (msg->body_len == 0) {
        return 0;
    }
    msg->body = malloc(msg->body_len);
    if (msg->body == NULL) {
        return -ENOMEM;
    }
    int ret = vus_tr_recv_exact(ctx->conn_fd, msg->body, msg->body_len, ctx->cfg.io_timeout_ms,
                                NULL, NULL);
    if (ret < 0) {
        vus_log_err(ctx, "msg%#hx: short body: %s", msg->hdr.msg_id, strerror(-ret));
    }
    return ret;
}

static int reply(struct vus_ctx *ctx, struct vus_msg *msg, int ret) {
    if (msg->hdr.flags & VU_F_NO_REPLY) {
        return 0;
    }
    int sret =
        vus_tr_reply(ctx, &msg->hdr, ret < 0 ? -ret : 0, msg->out, msg->out_len, msg->out_fd);
    if (sret < 0) {
        vus_log_err(ctx, "failed to reply: %s", strerror(-sret));
    }
    return sret;
}

int vus_msg_run(struct vus_ctx *ctx, struct vus_msg *msg, int err) {
    int ret = err;
    if (ret == 0) {
        vus_async_interrupt(ctx, msg);
        ret = dispatch(ctx, msg);
    }
    int sret = reply(ctx, msg, ret);
    vus_quiesce_after(ctx);
    return sret;
}

int vus_msg_serve(struct vus_ctx *ctx, struct vus_msg *msg) {
    if (msg->bad_header) {
        /* Answered as when it was read; its body was left in the stream. */
        if (msg->hdr.flags & VU_F_NO_REPLY) {
            return 0;
        }
        return vus_tr_reply(ctx, &msg->hdr, EINVAL, NULL, 0, -1);
    }
    int q = vus_quiesce_before(ctx, msg);
    if (q > 0) {
        return 0; /* held, unanswered, until the device has quiesced */
    }
    return vus_msg_run(ctx, msg, q);
}

/* One message from the main socket, then whatever QUEUE mode held while the
 * handler waited for its DMA, so replies leave in the order the commands
 * arrived. */
int vus_handle_main(struct vus_ctx *ctx) {
    struct vus_msg msg = {.out_fd = -1};
    int ret = vus_tr_recv_exact(ctx->conn_fd, &msg.hdr, sizeof(msg.hdr), ctx->cfg.io_timeout_ms,
                                msg.fds, &msg.nfds);
    if (ret < 0) {
        if (ret != -ENOMSG) {
            vus_log_err(ctx, "failed to receive request header: %s", strerror(-ret));
        }
        return drop_client(ctx, &msg);
    }
    vus_idle_count_in(ctx);
    vus_idle_lie(ctx);
    if (vus_async_claims_reply(ctx, &msg.hdr, ctx->conn_fd)) {
        vus_close_fds(msg.fds, msg.nfds);
        ret = vus_async_on_reply(ctx, &msg.hdr, ctx->conn_fd);
        return ret < 0 ? drop_client(ctx, &msg) : vus_dmaq_serve_held(ctx);
    }
    if (vus_quiesce_holding(ctx)) {
        /* Not handled before the message the device quiesces for. */
        ret = vus_dmaq_hold(ctx, &msg);
        return ret < 0 ? drop_client(ctx, &msg) : 1;
    }
    if (!vus_valid_header(ctx, &msg.hdr)) {
        msg.bad_header = true;
        if (vus_msg_serve(ctx, &msg) < 0 || !ctx->negotiated) {
            return drop_client(ctx, &msg);
        }
        vus_msg_free(&msg);
        return 1;
    }
    if (vus_msg_read_body(ctx, &msg) < 0) {
        return drop_client(ctx, &msg);
    }
    if (!ctx->negotiated) {
        ret = vus_version_negotiate(ctx, &msg);
        if (ret < 0) {
            return drop_client(ctx, &msg);
        }
        vus_msg_free(&msg);
        return 1;
    }
    if (vus_msg_serve(ctx, &msg) < 0) {
        return drop_client(ctx, &msg);
    }
    vus_msg_free(&msg);
    return vus_dmaq_serve_held(ctx);
}
