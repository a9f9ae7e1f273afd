/*
 * Dirty page logging (DEVICE_FEATURE DMA_LOGGING_START/STOP/REPORT): the
 * device tracks the pages it writes through the mappings it has with an fd.
 * Message DMA never needs it, as the client sees every DMA_WRITE itself;
 * libvfio-user refuses a report on such a window (EINVAL).
 */
#include <errno.h>
#include <string.h>

#include "client_internal.h"

#define MAX_RANGES                                                                                 \
    ((VUC_FEATURE_DATA_MAX - sizeof(struct vu_dma_logging_control)) /                              \
     sizeof(struct vu_dma_logging_range))

static int logging_control(struct vuc_ctx *ctx, uint32_t feature, uint64_t page_size,
                           const struct vu_dma_logging_range *ranges, uint32_t n) {
    uint8_t data[VUC_FEATURE_DATA_MAX];
    struct vu_dma_logging_control c = {.page_size = page_size, .num_ranges = n};
    size_t len = sizeof(c) + (size_t)n * sizeof(*ranges);
    memcpy(data, &c, sizeof(c));
    if (n)
        memcpy(data + sizeof(c), ranges, (size_t)n * sizeof(*ranges));
    return vuc_feature_call(ctx, VU_DEVICE_FEATURE_SET | feature, data, len, 0, NULL);
}

int vuc_dirty_start(struct vuc_ctx *ctx, uint64_t page_size,
                    const struct vu_dma_logging_range *ranges, uint32_t n) {
    if (page_size == 0 || (page_size & (page_size - 1)) != 0 || n == 0 || n > MAX_RANGES)
        return -EINVAL;
    for (uint32_t i = 0; i < n; i++)
        if (ranges[i].length == 0 || ranges[i].iova + ranges[i].length < ranges[i].iova)
            return -EINVAL;
    return logging_control(ctx, VU_FEATURE_DMA_LOGGING_START, page_size, ranges, n);
}

int vuc_dirty_stop(struct vuc_ctx *ctx, uint64_t page_size) {
    return logging_control(ctx, VU_FEATURE_DMA_LOGGING_STOP, page_size, NULL, 0);
}

int vuc_dirty_report(struct vuc_ctx *ctx, uint64_t iova, uint64_t length, uint64_t page_size,
                     uint8_t *bitmap, size_t bitmap_len) {
    if (page_size == 0 || (page_size & (page_size - 1)) != 0 || length == 0 || iova + length < iova)
        return -EINVAL;
    uint64_t pages = length / page_size + (length % page_size != 0);
    /* Whole u64 words, as libvfio-user and the kernel's bitmaps are. */
    size_t need = (size_t)((pages + 63) / 64 * 8);
    if (bitmap_len < (pages + 7) / 8 || need > VUC_RX_META_MAX)
        return -EINVAL;
    struct vu_dma_logging_report q = {.iova = iova, .length = length, .page_size = page_size};
    vuc_id id;
    int rc = vuc_feature_call(ctx, VU_DEVICE_FEATURE_GET | VU_FEATURE_DMA_LOGGING_REPORT, &q,
                              sizeof(q), sizeof(q) + need, &id);
    if (rc < 0)
        return rc;
    const struct vuc_reply_msg *r = &vuc_req_find(ctx, id)->reply;
    size_t have = r->data_len - sizeof(q);
    size_t copy = (pages + 7) / 8;
    memcpy(bitmap, r->data + sizeof(q), copy < have ? copy : have);
    vuc_release(ctx, id);
    return 0;
}
