/*
 * Blocking calls: thin wrappers that submit through the core, wait for the
 * reply (serving DMA meanwhile) and decode it.
 */
#include <errno.h>
#include <string.h>

#include "client_internal.h"

int vuc_call(struct vuc_ctx *ctx, const struct vuc_request *req, vuc_complete_hook hook,
             vuc_id *keep) {
    vuc_id id;
    int rc = vuc_submit_hooked(ctx, req, VUC_SUBMIT_QUIET, hook, &id);
    if (rc < 0)
        return rc;
    rc = vuc_wait(ctx, id, ctx->opts.timeout_ms);
    if (keep && rc == 0)
        *keep = id;
    else
        vuc_release(ctx, id);
    return rc;
}

int vuc_call_keep_raw(struct vuc_ctx *ctx, const struct vuc_request *req, vuc_id *id, bool *held) {
    *held = false;
    int rc = vuc_submit_hooked(ctx, req, VUC_SUBMIT_QUIET, NULL, id);
    if (rc < 0)
        return rc;
    rc = vuc_wait(ctx, *id, ctx->opts.timeout_ms);
    const struct vuc_req *r = vuc_req_find(ctx, *id);
    if (rc == 0 || (rc == -EPROTO && r && r->state == REQ_DONE && r->rx)) {
        *held = true;
        return rc;
    }
    vuc_release(ctx, *id);
    return rc;
}

int vuc_device_get_info(struct vuc_ctx *ctx, struct vu_device_info *out) {
    struct vu_device_info q = {.argsz = sizeof(q)};
    struct vuc_request req = {
        .cmd = VU_CMD_DEVICE_GET_INFO, .payload = &q, .payload_len = sizeof(q)};
    vuc_id id;
    int rc = vuc_call(ctx, &req, NULL, &id);
    if (rc < 0)
        return rc;
    *out = vuc_req_find(ctx, id)->reply.u.device_info;
    vuc_release(ctx, id);
    return 0;
}

int vuc_device_reset(struct vuc_ctx *ctx) {
    struct vuc_request req = {.cmd = VU_CMD_DEVICE_RESET};
    /* A reset takes the device back to RUNNING (or wherever it likes, if it
     * fails): no more expectation of its migration state. */
    ctx->mig_known = false;
    return vuc_call(ctx, &req, NULL, NULL);
}
