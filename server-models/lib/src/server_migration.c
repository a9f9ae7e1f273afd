/*
 * Migration v2 as libvfio-user offers it (lib/migration.c is the behaviour
 * to match, the recordings tests/transcripts/migration_*.jsonl its wire
 * form): DEVICE_FEATURE MIGRATION (GET), MIG_DEVICE_STATE (GET, SET along
 * VFIO's arcs, combination transitions walked one arc at a time), and the
 * device's data through MIG_DATA_READ / MIG_DATA_WRITE. The dirty page
 * logging features are routed to server_dirty_log.c when the device offers
 * them (vus_setup_dirty_logging).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "server_private.h"
#include "vfio_user/mig_states.h"

int vus_setup_migration(struct vus_ctx *ctx, uint64_t flags, const struct vus_migration_ops *ops,
                        void *priv) {
    const uint64_t known = VU_MIGRATION_STOP_COPY | VU_MIGRATION_P2P | VU_MIGRATION_PRE_COPY;
    if (ctx->realized)
        return -EBUSY;
    if (!(flags & VU_MIGRATION_STOP_COPY) || (flags & ~known) || ops == NULL ||
        ops->transition == NULL || ops->read_data == NULL || ops->write_data == NULL)
        return -EINVAL;
    ctx->mig_flags = flags;
    ctx->mig_ops = *ops;
    ctx->mig_priv = priv;
    ctx->mig_state = VU_MIG_STATE_RUNNING;
    return 0;
}

enum vu_mig_state vus_migration_state(const struct vus_ctx *ctx) {
    return ctx->mig_state;
}

void vus_migration_reset(struct vus_ctx *ctx) {
    ctx->mig_state = VU_MIG_STATE_RUNNING;
}

/* The reply: the request's argsz/flags, then `len` bytes of data. */
static int feature_reply(struct vus_msg *msg, const struct vu_device_feature *f, const void *data,
                         size_t len) {
    struct vu_device_feature out = *f;
    if (len)
        out.argsz = (uint32_t)(sizeof(out) + len);
    msg->out = malloc(sizeof(out) + len);
    if (msg->out == NULL)
        return -ENOMEM;
    memcpy(msg->out, &out, sizeof(out));
    if (len)
        memcpy(msg->out + sizeof(out), data, len);
    msg->out_len = sizeof(out) + len;
    return 0;
}

/* Which operations each feature has here: MIGRATION is GET-only,
 * MIG_DEVICE_STATE GET and SET, the logging ones as libvfio-user has them
 * (START and STOP SET, REPORT GET); nothing else. */
static uint32_t feature_ops(const struct vus_ctx *ctx, uint32_t feature) {
    if (ctx->dirty_offered && feature == VU_FEATURE_DMA_LOGGING_REPORT)
        return VU_DEVICE_FEATURE_GET;
    if (ctx->dirty_offered &&
        (feature == VU_FEATURE_DMA_LOGGING_START || feature == VU_FEATURE_DMA_LOGGING_STOP))
        return VU_DEVICE_FEATURE_SET;
    if (ctx->mig_flags == 0)
        return 0;
    if (feature == VU_FEATURE_MIGRATION)
        return VU_DEVICE_FEATURE_GET;
    if (feature == VU_FEATURE_MIG_DEVICE_STATE)
        return VU_DEVICE_FEATURE_GET | VU_DEVICE_FEATURE_SET;
    return 0;
}

/* One arc at a time towards `to`, the device told of each. */
static int walk_to(struct vus_ctx *ctx, uint32_t to) {
    while (ctx->mig_state != to) {
        uint32_t step = vu_mig_next_step(ctx->mig_state, to, ctx->mig_flags);
        if (step == VU_MIG_STATE_ERROR) {
            vus_log_err(ctx, "migration: no way from state %u to %u", ctx->mig_state, to);
            return -EINVAL;
        }
        int ret = ctx->mig_ops.transition(ctx->mig_priv, ctx->mig_state, step);
        if (ret < 0) {
            vus_log_err(ctx, "migration: transition %u -> %u failed: %s", ctx->mig_state, step,
                        strerror(-ret));
            return ret;
        }
        ctx->mig_state = step;
    }
    return 0;
}

static int set_state(struct vus_ctx *ctx, struct vus_msg *msg, const struct vu_device_feature *f) {
    struct vu_feature_mig_state st;
    if (msg->body_len < sizeof(*f) + sizeof(st))
        return -EINVAL;
    memcpy(&st, msg->body + sizeof(*f), sizeof(st));
    int ret = walk_to(ctx, st.device_state);
    if (ret < 0)
        return ret;
    return feature_reply(msg, f, &st, sizeof(st));
}

static int get_data(struct vus_ctx *ctx, struct vus_msg *msg, const struct vu_device_feature *f) {
    if (f->argsz < sizeof(*f) + 8)
        return -EINVAL; /* no room for the 8 bytes (server_info seq 52) */
    uint32_t feature = f->flags & VU_DEVICE_FEATURE_MASK;
    if (feature == VU_FEATURE_MIGRATION) {
        struct vu_feature_migration m = {.flags = ctx->mig_flags};
        return feature_reply(msg, f, &m, sizeof(m));
    }
    struct vu_feature_mig_state st = {.device_state = ctx->mig_state, .data_fd = 0};
    return feature_reply(msg, f, &st, sizeof(st));
}

int vus_h_device_feature(struct vus_ctx *ctx, struct vus_msg *msg) {
    struct vu_device_feature f;
    if (msg->body_len < sizeof(f))
        return -EINVAL;
    memcpy(&f, msg->body, sizeof(f));
    const uint32_t ops = f.flags & (VU_DEVICE_FEATURE_GET | VU_DEVICE_FEATURE_SET);
    const uint32_t known = VU_DEVICE_FEATURE_MASK | VU_DEVICE_FEATURE_GET | VU_DEVICE_FEATURE_SET |
                           VU_DEVICE_FEATURE_PROBE;
    const uint32_t have = feature_ops(ctx, f.flags & VU_DEVICE_FEATURE_MASK);
    if ((f.flags & ~known) || ops == 0 || (ops & ~have) != 0)
        return -EINVAL;
    if (f.flags & VU_DEVICE_FEATURE_PROBE)
        return feature_reply(msg, &f, NULL, 0);
    if (ops == (VU_DEVICE_FEATURE_GET | VU_DEVICE_FEATURE_SET))
        return -EINVAL;
    switch (f.flags & VU_DEVICE_FEATURE_MASK) {
    case VU_FEATURE_DMA_LOGGING_START:
        return vus_h_dirty_start(ctx, msg, &f);
    case VU_FEATURE_DMA_LOGGING_STOP:
        return vus_h_dirty_stop(ctx, msg, &f);
    case VU_FEATURE_DMA_LOGGING_REPORT:
        return vus_h_dirty_report(ctx, msg, &f);
    default:
        return ops == VU_DEVICE_FEATURE_SET ? set_state(ctx, msg, &f) : get_data(ctx, msg, &f);
    }
}

int vus_h_mig_data_read(struct vus_ctx *ctx, struct vus_msg *msg) {
    struct vu_mig_data q;
    if (msg->body_len < sizeof(q))
        return -EINVAL;
    memcpy(&q, msg->body, sizeof(q));
    if (ctx->mig_flags == 0 ||
        (ctx->mig_state != VU_MIG_STATE_PRE_COPY && ctx->mig_state != VU_MIG_STATE_STOP_COPY &&
         ctx->mig_state != VU_MIG_STATE_PRE_COPY_P2P) ||
        q.size == 0 || q.size > vus_client_max_data_xfer_size(ctx))
        return -EINVAL;
    msg->out = malloc(sizeof(q) + q.size);
    if (msg->out == NULL)
        return -ENOMEM;
    ssize_t n = ctx->mig_ops.read_data(ctx->mig_priv, msg->out + sizeof(q), q.size);
    if (n < 0 || (size_t)n > q.size)
        return n < 0 ? (int)n : -EIO;
    struct vu_mig_data out = {.argsz = (uint32_t)(sizeof(q) + (size_t)n), .size = (uint32_t)n};
    memcpy(msg->out, &out, sizeof(out));
    msg->out_len = sizeof(out) + (size_t)n;
    return 0;
}

int vus_h_mig_data_write(struct vus_ctx *ctx, struct vus_msg *msg) {
    struct vu_mig_data q;
    if (msg->body_len < sizeof(q))
        return -EINVAL;
    memcpy(&q, msg->body, sizeof(q));
    if (ctx->mig_flags == 0 || ctx->mig_state != VU_MIG_STATE_RESUMING || q.size == 0 ||
        msg->body_len - sizeof(q) != q.size)
        return -EINVAL;
    ssize_t n = ctx->mig_ops.write_data(ctx->mig_priv, msg->body + sizeof(q), q.size);
    if (n < 0)
        return (int)n;
    return (size_t)n == q.size ? 0 : -EINVAL;
}
