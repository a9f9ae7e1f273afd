/*
 * The DMA mode's names, for command lines and logs. What each mode does
 * lives with the code it changes: VERSION (which modes offer the twin
 * socket), server_dma.c (synchronous DMA), server_dma_queue.c (QUEUE),
 * server_dma_async.c (ASYNC) and server_dma_map.c (MAP_SOCKET's DMA_MAP).
 */
#include <errno.h>
#include <string.h>

#include "server_private.h"

static const char *const mode_names[] = {
    [VUS_DMA_MODE_TWIN] = "twin",
    [VUS_DMA_MODE_LEGACY] = "legacy",
    [VUS_DMA_MODE_QUEUE] = "queue",
    [VUS_DMA_MODE_ASYNC] = "async",
    [VUS_DMA_MODE_MAP_SOCKET] = "map-socket",
};

const char *vus_dma_mode_name(enum vus_dma_mode mode) {
    return (unsigned)mode < sizeof(mode_names) / sizeof(mode_names[0]) ? mode_names[mode] : NULL;
}

int vus_dma_mode_parse(const char *name, enum vus_dma_mode *out) {
    for (unsigned m = 0; name != NULL && m < sizeof(mode_names) / sizeof(mode_names[0]); m++) {
        if (strcmp(name, mode_names[m]) == 0) {
            *out = (enum vus_dma_mode)m;
            return 0;
        }
    }
    return -EINVAL;
}

void vus_set_dma_interrupt_cb(struct vus_ctx *ctx, vus_dma_interrupt_cb cb, void *arg) {
    ctx->dma_intr_cb = cb;
    ctx->dma_intr_arg = arg;
}

/* A well-formed DMA_UNMAP whose range overlaps [addr, addr+len), or that
 * unmaps everything. A malformed one touches nothing: it will fail. */
bool vus_unmap_touches(const struct vus_msg *msg, uint64_t addr, size_t len) {
    struct vu_dma_unmap req;
    if (msg->bad_header || msg->hdr.cmd != VU_CMD_DMA_UNMAP || msg->body_len < sizeof(req)) {
        return false;
    }
    memcpy(&req, msg->body, sizeof(req));
    if (req.flags == VU_DMA_UNMAP_F_ALL) {
        return true;
    }
    uint64_t end = addr + len;
    uint64_t uend = req.addr + req.size < req.addr ? UINT64_MAX : req.addr + req.size;
    return len > 0 && req.size > 0 && req.addr < end && addr < uend;
}

void vus_dma_interrupted(struct vus_ctx *ctx, const struct vus_msg *msg) {
    enum vus_dma_interrupt why =
        msg->hdr.cmd == VU_CMD_DEVICE_RESET ? VUS_DMA_INTR_RESET : VUS_DMA_INTR_UNMAP;
    vus_log_err(ctx, "msg%#hx: %s while DMA is unanswered: the DMA is cancelled", msg->hdr.msg_id,
                why == VUS_DMA_INTR_RESET ? "DEVICE_RESET" : "DMA_UNMAP");
    if (ctx->dma_intr_cb != NULL) {
        ctx->dma_intr_cb(ctx->dma_intr_arg, why);
    }
}
