/*
 * Regions: DEVICE_GET_REGION_INFO (capability chain, re-query with the argsz
 * the server asks for) and REGION_READ/REGION_WRITE split at the server's
 * max_data_xfer_size.
 */
#include <errno.h>
#include <string.h>

#include "client_internal.h"

static int region_info_query(struct vuc_ctx *ctx, uint32_t index, uint32_t argsz, vuc_id *id) {
    struct vu_region_info q = {.argsz = argsz, .index = index};
    struct vuc_request req = {
        .cmd = VU_CMD_DEVICE_GET_REGION_INFO, .payload = &q, .payload_len = sizeof(q)};
    return vuc_call(ctx, &req, NULL, id);
}

int vuc_region_info(struct vuc_ctx *ctx, uint32_t index, struct vuc_region *out) {
    uint32_t argsz = sizeof(struct vu_region_info);
    vuc_id id;
    for (int attempt = 0;; attempt++) {
        int rc = region_info_query(ctx, index, argsz, &id);
        if (rc < 0)
            return rc;
        struct vuc_req *r = vuc_req_find(ctx, id);
        uint32_t needed = r->reply.u.region_info.argsz;
        if (needed <= argsz || r->reply.data_len > sizeof(struct vu_region_info)) {
            rc = vuc_parse_region_info(r->reply.data, r->reply.data_len, out);
            if (rc == 0)
                out->fd = vuc_take_fd(ctx, id);
            else
                vuc_note_problem(ctx,
                                 "region %u info: its mmap range wraps, a sparse mmap area "
                                 "lies outside the region, or its capability chain points "
                                 "outside the reply, loops or is cut short",
                                 index);
            vuc_release(ctx, id);
            return rc;
        }
        vuc_release(ctx, id);
        /* Asked once for what the server said it needs; asking again means
         * the server keeps moving the goalposts. */
        if (attempt > 0 || needed > VUC_RX_META_MAX) {
            vuc_note_problem(ctx, "region %u info: the server asks for argsz %u", index, needed);
            return -EPROTO;
        }
        argsz = needed;
    }
}

static uint32_t xfer_chunk(const struct vuc_ctx *ctx) {
    uint64_t c = ctx->caps.max_data_xfer_size;
    return (uint32_t)(c < VUC_RX_XFER_CAP ? c : VUC_RX_XFER_CAP);
}

int vuc_region_read(struct vuc_ctx *ctx, uint32_t region, uint64_t offset, void *buf,
                    size_t count) {
    uint32_t chunk = xfer_chunk(ctx);
    for (size_t done = 0; done < count;) {
        uint32_t n = count - done < chunk ? (uint32_t)(count - done) : chunk;
        struct vu_region_access a = {.offset = offset + done, .region = region, .count = n};
        struct vuc_request req = {
            .cmd = VU_CMD_REGION_READ, .payload = &a, .payload_len = sizeof(a)};
        vuc_id id;
        int rc = vuc_call(ctx, &req, NULL, &id);
        if (rc < 0)
            return rc;
        memcpy((uint8_t *)buf + done, vuc_req_find(ctx, id)->reply.data, n);
        vuc_release(ctx, id);
        done += n;
    }
    return 0;
}

int vuc_region_write(struct vuc_ctx *ctx, uint32_t region, uint64_t offset, const void *buf,
                     size_t count) {
    uint32_t chunk = xfer_chunk(ctx);
    for (size_t done = 0; done < count;) {
        uint32_t n = count - done < chunk ? (uint32_t)(count - done) : chunk;
        struct vu_region_access a = {.offset = offset + done, .region = region, .count = n};
        struct vuc_request req = {.cmd = VU_CMD_REGION_WRITE,
                                  .payload = &a,
                                  .payload_len = sizeof(a),
                                  .data = (const uint8_t *)buf + done,
                                  .data_len = n};
        int rc = vuc_call(ctx, &req, NULL, NULL);
        if (rc < 0)
            return rc;
        done += n;
    }
    return 0;
}
