/*
 * Device-level commands: DEVICE_GET_INFO, DEVICE_GET_REGION_INFO,
 * DEVICE_GET_REGION_IO_FDS and DEVICE_RESET. Replies are laid out as
 * libvfio-user lays them out for a PCI device (9 regions, 5 IRQ indices).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "server_private.h"

static int set_out(struct vus_msg *msg, const void *data, size_t len) {
    msg->out = malloc(len);
    if (msg->out == NULL) {
        return -ENOMEM;
    }
    memcpy(msg->out, data, len);
    msg->out_len = len;
    return 0;
}

int vus_h_device_get_info(struct vus_ctx *ctx, struct vus_msg *msg) {
    struct vu_device_info in;
    (void)ctx;
    if (msg->body_len < sizeof(in)) {
        return -EINVAL;
    }
    memcpy(&in, msg->body, sizeof(in));
    if (in.argsz < sizeof(in)) {
        return -EINVAL;
    }
    struct vu_device_info out = {
        .argsz = sizeof(out),
        .flags = VU_DEV_F_PCI | VU_DEV_F_RESET,
        .num_regions = VU_PCI_NUM_REGIONS,
        .num_irqs = VU_PCI_NUM_IRQS,
    };
    return set_out(msg, &out, sizeof(out));
}

/* Laid out as libvfio-user lays it out: argsz says what the whole answer
 * needs; the reply is that long or as long as the client's argsz, whichever
 * is shorter; the caps (and the fd) come only when they fit. */
int vus_h_region_info(struct vus_ctx *ctx, struct vus_msg *msg) {
    struct vu_region_info in;
    if (msg->body_len < sizeof(in)) {
        return -EINVAL;
    }
    memcpy(&in, msg->body, sizeof(in));
    if (in.argsz < sizeof(in) || in.index >= VU_PCI_NUM_REGIONS) {
        return -EINVAL;
    }
    struct vu_region_info out = {.argsz = sizeof(out), .index = in.index};
    const struct vus_region *r = NULL;
    if (in.index == VU_PCI_CONFIG_REGION) {
        out.size = ctx->cfg_size;
        out.flags = VU_REGION_F_READ | VU_REGION_F_WRITE;
    } else {
        r = &ctx->regions[in.index];
        out.size = r->size;
        out.flags = (r->flags & VUS_REGION_READ ? VU_REGION_F_READ : 0) |
                    (r->flags & VUS_REGION_WRITE ? VU_REGION_F_WRITE : 0);
    }
    size_t caps = r != NULL ? vus_mmap_caps_size(r) : 0;
    if (caps == 0) {
        return set_out(msg, &out, sizeof(out));
    }
    out.argsz = (uint32_t)(sizeof(out) + caps);
    out.flags |= VU_REGION_F_MMAP;
    out.offset = r->mmap_offset;
    bool fits = in.argsz >= out.argsz;
    if (fits) {
        out.flags |= VU_REGION_F_CAPS;
        out.cap_offset = sizeof(out);
        msg->out_fd = fcntl(r->mmap_fd, F_DUPFD_CLOEXEC, 0);
        if (msg->out_fd < 0) {
            return -errno;
        }
    }
    size_t len = in.argsz < out.argsz ? in.argsz : out.argsz;
    msg->out = calloc(1, len);
    if (msg->out == NULL) {
        return -ENOMEM;
    }
    msg->out_len = len;
    memcpy(msg->out, &out, sizeof(out));
    if (fits) {
        vus_mmap_write_caps(r, msg->out);
    }
    return 0;
}

/* No region offers ioeventfds: the answer is the header with count 0. */
int vus_h_region_io_fds(struct vus_ctx *ctx, struct vus_msg *msg) {
    struct vu_region_io_fds in;
    (void)ctx;
    if (msg->body_len < sizeof(in)) {
        return -EINVAL;
    }
    memcpy(&in, msg->body, sizeof(in));
    if (in.argsz < sizeof(in) || in.index >= VU_PCI_NUM_REGIONS || in.flags != 0) {
        return -EINVAL;
    }
    struct vu_region_io_fds out = {.argsz = sizeof(out), .index = in.index};
    return set_out(msg, &out, sizeof(out));
}

/* A function-level reset: config space and MSI/MSI-X state go back to their
 * reset values; the client's eventfds and DMA maps stay (they belong to it). */
int vus_h_device_reset(struct vus_ctx *ctx, struct vus_msg *msg) {
    (void)msg;
    pthread_mutex_lock(&ctx->lock);
    vus_cfg_reset(ctx);
    ctx->intx_masked = false;
    ctx->intx_pending = false;
    vus_dirty_reset(ctx); /* libvfio-user keeps logging across a reset; see README */
    pthread_mutex_unlock(&ctx->lock);
    vus_migration_reset(ctx);
    if (ctx->reset_cb != NULL) {
        return ctx->reset_cb(ctx->reset_priv, VUS_RESET_DEVICE);
    }
    return 0;
}
