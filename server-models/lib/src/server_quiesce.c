/*
 * Quiesce as libvfio-user has it (lib/libvfio-user.c: command_needs_quiesce,
 * get_request, vfu_device_quiesced): before a command that changes what the
 * device may touch (its DMA maps, its reset, its migration state) the device
 * is asked to stop its DMA. It says "done" (0) or "later" (-EBUSY); later,
 * the message waits unanswered and the client's further commands wait behind
 * it until vus_device_quiesced(). Differences from libvfio-user, on purpose:
 * vus_device_quiesced(ctx, err != 0) answers the held message with err
 * (libvfio-user drops it unanswered, leaving the client waiting for ever),
 * the held message is handled from the loop (vus_step), not inside
 * vus_device_quiesced, so the device may call it from any thread, and DMA
 * replies keep being read while the device quiesces (an async device needs
 * them to reach a safe point).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "server_private.h"

/* Device Control in the PCIe capability (Initiate FLR lives there). */
#define PCIE_DEVCTL 8u

void vus_set_quiesce_cb(struct vus_ctx *ctx, vus_quiesce_cb cb, void *priv) {
    ctx->quiesce_cb = cb;
    ctx->quiesce_priv = priv;
    if (cb != NULL && ctx->q_wake_fd < 0) {
        /* Without it a quiesce finished from another thread waits for the
         * next message or poll timeout. */
        ctx->q_wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    }
}

void vus_set_unquiesce_cb(struct vus_ctx *ctx, vus_unquiesce_cb cb, void *priv) {
    ctx->unquiesce_cb = cb;
    ctx->unquiesce_priv = priv;
}

/* libvfio-user's list, quirks included: a DEVICE_FEATURE quiesces when its
 * flags have SET or bit 1 (MIG_DEVICE_STATE's number) and not PROBE, so a
 * GET of MIG_DEVICE_STATE quiesces and a logging REPORT does not; a config
 * write quiesces only when it starts exactly at Device Control. */
static bool needs_quiesce(const struct vus_ctx *ctx, const struct vus_msg *msg) {
    switch (msg->hdr.cmd) {
    case VU_CMD_DMA_MAP:
    case VU_CMD_DMA_UNMAP:
    case VU_CMD_DEVICE_RESET:
        return true;
    case VU_CMD_REGION_WRITE: {
        struct vu_region_access acc;
        if (msg->body_len < sizeof(acc))
            return false;
        memcpy(&acc, msg->body, sizeof(acc));
        return acc.region == VU_PCI_CONFIG_REGION && acc.offset == ctx->pcie_off + PCIE_DEVCTL;
    }
    case VU_CMD_DEVICE_FEATURE: {
        struct vu_device_feature f;
        if (msg->body_len < sizeof(f))
            return false;
        memcpy(&f, msg->body, sizeof(f));
        return (f.flags & (VU_DEVICE_FEATURE_SET | VU_FEATURE_MIG_DEVICE_STATE)) != 0 &&
               !(f.flags & VU_DEVICE_FEATURE_PROBE);
    }
    default:
        return false;
    }
}

static void set_quiesced(struct vus_ctx *ctx, bool on) {
    pthread_mutex_lock(&ctx->lock);
    ctx->q_quiesced = on;
    ctx->q_thread = pthread_self();
    pthread_mutex_unlock(&ctx->lock);
}

int vus_quiesce_before(struct vus_ctx *ctx, struct vus_msg *msg) {
    if (ctx->quiesce_cb == NULL || !needs_quiesce(ctx, msg))
        return 0;
    int ret = ctx->quiesce_cb(ctx->quiesce_priv);
    if (ret >= 0) {
        vus_log_dbg(ctx, "msg%#hx: device quiesced immediately", msg->hdr.msg_id);
        set_quiesced(ctx, true);
        return 0;
    }
    if (ret != -EBUSY) {
        vus_log_err(ctx, "msg%#hx: device failed to quiesce: %s", msg->hdr.msg_id, strerror(-ret));
        return ret;
    }
    struct vus_msg *held = malloc(sizeof(*held));
    if (held == NULL)
        return -ENOMEM;
    *held = *msg;
    *msg = (struct vus_msg){.out_fd = -1};
    vus_log_dbg(ctx, "msg%#hx: device will quiesce asynchronously", held->hdr.msg_id);
    pthread_mutex_lock(&ctx->lock);
    ctx->q_msg = held;
    ctx->q_done = false;
    ctx->q_err = 0;
    pthread_mutex_unlock(&ctx->lock);
    return 1;
}

void vus_quiesce_after(struct vus_ctx *ctx) {
    if (!ctx->q_quiesced)
        return;
    set_quiesced(ctx, false);
    if (ctx->unquiesce_cb != NULL)
        ctx->unquiesce_cb(ctx->unquiesce_priv);
}

int vus_device_quiesced(struct vus_ctx *ctx, int err) {
    pthread_mutex_lock(&ctx->lock);
    bool pending = ctx->q_msg != NULL && !ctx->q_done;
    if (pending) {
        ctx->q_done = true;
        ctx->q_err = err < 0 ? -err : err;
    }
    pthread_mutex_unlock(&ctx->lock);
    if (!pending) {
        vus_log_err(ctx, "vus_device_quiesced() with no quiesce pending");
        return -EINVAL;
    }
    uint64_t one = 1;
    if (ctx->q_wake_fd >= 0 && write(ctx->q_wake_fd, &one, sizeof(one)) < 0) {
        vus_log_dbg(ctx, "quiesce wake-up not written"); /* the next step sees q_done */
    }
    return 0;
}

bool vus_quiesce_pending(const struct vus_ctx *ctx) {
    struct vus_ctx *c = (struct vus_ctx *)ctx; /* the lock, not the state, changes */
    pthread_mutex_lock(&c->lock);
    bool pending = c->q_msg != NULL && !c->q_done;
    pthread_mutex_unlock(&c->lock);
    return pending;
}

bool vus_quiesce_holding(const struct vus_ctx *ctx) {
    return ctx->q_msg != NULL; /* written by the loop thread only */
}

/* The held message, once the device is quiesced (or failed to). */
static struct vus_msg *take_done(struct vus_ctx *ctx, int *err) {
    struct vus_msg *msg = NULL;
    pthread_mutex_lock(&ctx->lock);
    if (ctx->q_msg != NULL && ctx->q_done) {
        msg = ctx->q_msg;
        *err = ctx->q_err;
        ctx->q_msg = NULL;
        ctx->q_done = false;
    }
    pthread_mutex_unlock(&ctx->lock);
    return msg;
}

int vus_quiesce_resume(struct vus_ctx *ctx) {
    if (ctx->q_wake_fd >= 0) {
        uint64_t v;
        if (read(ctx->q_wake_fd, &v, sizeof(v)) < 0) {
            /* EAGAIN: nothing was signalled */
        }
    }
    int err = 0;
    struct vus_msg *msg = take_done(ctx, &err);
    if (msg == NULL)
        return 0;
    if (err != 0) {
        vus_log_err(ctx, "msg%#hx: device quiesced with error %s", msg->hdr.msg_id, strerror(err));
    }
    /* Quiesced either way until the reply is out; then the unquiesce
     * callback tells the device it may go on. */
    set_quiesced(ctx, true);
    int ret = vus_msg_run(ctx, msg, -err);
    vus_msg_free(msg);
    free(msg);
    if (ret < 0) {
        vus_disconnect(ctx);
        return -ENOTCONN;
    }
    return vus_dmaq_serve_held(ctx) < 0 ? -ENOTCONN : 1;
}

bool vus_quiesce_allows_dma(struct vus_ctx *ctx) {
    pthread_mutex_lock(&ctx->lock);
    bool ok = !ctx->q_quiesced || pthread_equal(ctx->q_thread, pthread_self());
    pthread_mutex_unlock(&ctx->lock);
    if (!ok)
        vus_log_err(ctx, "DMA refused: the device is quiesced (EBUSY)");
    return ok;
}

void vus_quiesce_drop(struct vus_ctx *ctx) {
    pthread_mutex_lock(&ctx->lock);
    struct vus_msg *msg = ctx->q_msg;
    ctx->q_msg = NULL;
    ctx->q_done = false;
    ctx->q_quiesced = false;
    pthread_mutex_unlock(&ctx->lock);
    if (msg != NULL) {
        vus_msg_free(msg);
        free(msg);
    }
}
