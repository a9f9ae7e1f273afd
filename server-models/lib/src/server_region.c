/*
 * REGION_READ / REGION_WRITE: bounds checks as libvfio-user makes them, then
 * config space, the MSI-X table/PBA, or the device's region callback.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "server_private.h"

static bool valid_access(struct vus_ctx *ctx, const struct vus_msg *msg,
                         const struct vu_region_access *ra) {
    if (ra->count > VUS_MAX_DATA_XFER_SIZE) {
        vus_log_err(ctx, "region access count too large (%u)", ra->count);
        return false;
    }
    if (msg->hdr.cmd == VU_CMD_REGION_WRITE && msg->body_len - sizeof(*ra) != ra->count) {
        vus_log_err(ctx, "region write count mismatch: %zu bytes for count %u",
                    msg->body_len - sizeof(*ra), ra->count);
        return false;
    }
    if (ra->region >= VU_PCI_NUM_REGIONS) {
        vus_log_err(ctx, "bad region index %u", ra->region);
        return false;
    }
    uint64_t size =
        ra->region == VU_PCI_CONFIG_REGION ? ctx->cfg_size : ctx->regions[ra->region].size;
    uint64_t end = ra->offset + ra->count;
    if (end < ra->offset || end > size) {
        vus_log_err(ctx, "out of bounds region access %#llx-%#llx (size %llx)",
                    (unsigned long long)ra->offset, (unsigned long long)end,
                    (unsigned long long)size);
        return false;
    }
    return true;
}

/* Initiate FLR was written (and FLR is advertised): as libvfio-user, the
 * device's reset callback runs with the FLR reason, outside the lock; its
 * failure fails the config write. Config space is left as it is (libvfio-user
 * does not reset it either: the driver that asked for the FLR restores it). */
static ssize_t function_level_reset(struct vus_ctx *ctx, ssize_t written) {
    vus_log_dbg(ctx, "function level reset");
    if (ctx->reset_cb == NULL) {
        return written;
    }
    int ret = ctx->reset_cb(ctx->reset_priv, VUS_RESET_PCI_FLR);
    return ret < 0 ? ret : written;
}

static ssize_t region_access(struct vus_ctx *ctx, const struct vu_region_access *ra, uint8_t *buf,
                             bool is_write) {
    if (ra->region == VU_PCI_CONFIG_REGION) {
        pthread_mutex_lock(&ctx->lock);
        ssize_t ret = vus_cfg_access(ctx, ra->offset, buf, ra->count, is_write);
        bool flr = ret >= 0 && is_write && ctx->flr_requested;
        ctx->flr_requested = false;
        pthread_mutex_unlock(&ctx->lock);
        return flr ? function_level_reset(ctx, ret) : ret;
    }
    const struct vus_region *r = &ctx->regions[ra->region];
    if (!(r->flags & (is_write ? VUS_REGION_WRITE : VUS_REGION_READ)) || r->cb == NULL) {
        return -EINVAL;
    }
    if (r->is_bar && vus_msix_covers(ctx, ra->region, ra->offset, ra->count)) {
        pthread_mutex_lock(&ctx->lock);
        ssize_t ret = vus_msix_access(ctx, ra->region, ra->offset, buf, ra->count, is_write);
        pthread_mutex_unlock(&ctx->lock);
        return ret;
    }
    return r->cb(r->priv, ra->region, ra->offset, buf, ra->count, is_write);
}

int vus_h_region_access(struct vus_ctx *ctx, struct vus_msg *msg) {
    struct vu_region_access ra;
    bool is_write = msg->hdr.cmd == VU_CMD_REGION_WRITE;
    if (msg->body_len < sizeof(ra)) {
        vus_log_err(ctx, "message size too small (%zu)", msg->body_len);
        return -EINVAL;
    }
    memcpy(&ra, msg->body, sizeof(ra));
    if (!valid_access(ctx, msg, &ra)) {
        return -EINVAL;
    }
    if (ra.count == 0) {
        return 0; /* libvfio-user answers with the bare header */
    }
    size_t out_len = sizeof(ra) + (is_write ? 0 : ra.count);
    msg->out = calloc(1, out_len);
    if (msg->out == NULL) {
        return -ENOMEM;
    }
    msg->out_len = out_len;
    memcpy(msg->out, &ra, sizeof(ra));
    uint8_t *buf = is_write ? msg->body + sizeof(ra) : msg->out + sizeof(ra);
    ssize_t ret = region_access(ctx, &ra, buf, is_write);
    if (ret != (ssize_t)ra.count) {
        free(msg->out);
        msg->out = NULL;
        msg->out_len = 0;
        return ret < 0 ? (int)ret : -EINVAL;
    }
    return 0;
}
