/*
 * Migration v2 and dirty page logging over DEVICE_FEATURE, and the migration
 * data over MIG_DATA_READ/MIG_DATA_WRITE (QEMU's docs/interop/vfio-user.rst;
 * the states and arcs are VFIO's, linux/vfio.h "enum vfio_device_mig_state").
 * A SET may name any state VFIO's combination arcs reach from the current
 * one (RUNNING -> RESUMING passes STOP inside the server, as libvfio-user's
 * migration_dest recording does it); one they do not reach is refused
 * before anything is sent.
 */
#include <errno.h>
#include <string.h>

#include "client_internal.h"
#include "vfio_user/mig_states.h"

static const char *const state_names[VU_MIG_STATE_COUNT] = {
    [VU_MIG_STATE_ERROR] = "ERROR",       [VU_MIG_STATE_STOP] = "STOP",
    [VU_MIG_STATE_RUNNING] = "RUNNING",   [VU_MIG_STATE_STOP_COPY] = "STOP_COPY",
    [VU_MIG_STATE_RESUMING] = "RESUMING", [VU_MIG_STATE_RUNNING_P2P] = "RUNNING_P2P",
    [VU_MIG_STATE_PRE_COPY] = "PRE_COPY", [VU_MIG_STATE_PRE_COPY_P2P] = "PRE_COPY_P2P",
};

const char *vuc_mig_state_name(uint32_t state) {
    return state < VU_MIG_STATE_COUNT ? state_names[state] : "?";
}

bool vuc_mig_arc_allowed(uint32_t from, uint32_t to, uint64_t mig_flags) {
    if (to >= VU_MIG_STATE_COUNT)
        return false;
    return (vu_mig_arcs_from(from, mig_flags) >> to) & 1u;
}

bool vuc_mig_state_reachable(uint32_t from, uint32_t to, uint64_t mig_flags) {
    return vu_mig_next_step(from, to, mig_flags) != VU_MIG_STATE_ERROR;
}

int vuc_feature_call(struct vuc_ctx *ctx, uint32_t flags, const void *data, size_t data_len,
                     size_t reply_len, vuc_id *id) {
    uint8_t buf[sizeof(struct vu_device_feature) + VUC_FEATURE_DATA_MAX];
    struct vu_device_feature f = {.flags = flags};
    size_t room = data_len > reply_len ? data_len : reply_len;
    if (data_len > sizeof(buf) - sizeof(f))
        return -EINVAL;
    f.argsz = (uint32_t)(sizeof(f) + room);
    memcpy(buf, &f, sizeof(f));
    if (data_len)
        memcpy(buf + sizeof(f), data, data_len);
    struct vuc_request req = {
        .cmd = VU_CMD_DEVICE_FEATURE, .payload = buf, .payload_len = sizeof(f) + data_len};
    return vuc_call(ctx, &req, NULL, id);
}

int vuc_feature_probe(struct vuc_ctx *ctx, uint32_t feature, uint32_t ops) {
    if (feature > VU_DEVICE_FEATURE_MASK ||
        (ops & ~(VU_DEVICE_FEATURE_GET | VU_DEVICE_FEATURE_SET)) != 0)
        return -EINVAL;
    return vuc_feature_call(ctx, VU_DEVICE_FEATURE_PROBE | ops | feature, NULL, 0, 0, NULL);
}

/* GET of a feature with 8 bytes of data (MIGRATION, MIG_DEVICE_STATE). */
static int feature_get8(struct vuc_ctx *ctx, uint32_t feature, void *out) {
    vuc_id id;
    int rc = vuc_feature_call(ctx, VU_DEVICE_FEATURE_GET | feature, NULL, 0, 8, &id);
    if (rc < 0)
        return rc;
    memcpy(out, vuc_req_find(ctx, id)->reply.data, 8);
    vuc_release(ctx, id);
    return 0;
}

int vuc_mig_get_flags(struct vuc_ctx *ctx, uint64_t *flags) {
    struct vu_feature_migration m;
    int rc = feature_get8(ctx, VU_FEATURE_MIGRATION, &m);
    if (rc == 0)
        *flags = m.flags;
    return rc;
}

int vuc_mig_get_state(struct vuc_ctx *ctx, uint32_t *state) {
    struct vu_feature_mig_state s;
    int rc = feature_get8(ctx, VU_FEATURE_MIG_DEVICE_STATE, &s);
    if (rc < 0)
        return rc;
    if (s.device_state >= VU_MIG_STATE_COUNT) {
        vuc_note_problem(ctx, "migration: the device says it is in state %u, which VFIO lacks",
                         s.device_state);
        return -EPROTO;
    }
    *state = s.device_state;
    return 0;
}

int vuc_mig_set_state(struct vuc_ctx *ctx, uint32_t from, uint32_t to, uint64_t mig_flags) {
    if (!vuc_mig_state_reachable(from, to, mig_flags))
        return -EINVAL;
    struct vu_feature_mig_state s = {.device_state = to, .data_fd = UINT32_MAX};
    vuc_id id;
    int rc = vuc_feature_call(ctx, VU_DEVICE_FEATURE_SET | VU_FEATURE_MIG_DEVICE_STATE, &s,
                              sizeof(s), 0, &id);
    if (rc < 0)
        return rc;
    const struct vuc_reply_msg *r = &vuc_req_find(ctx, id)->reply;
    struct vu_feature_mig_state got = s;
    if (r->data_len == sizeof(got))
        memcpy(&got, r->data, sizeof(got));
    vuc_release(ctx, id);
    if (got.device_state != to) {
        vuc_note_problem(ctx, "migration: asked %s -> %s, the device answered %s",
                         vuc_mig_state_name(from), vuc_mig_state_name(to),
                         vuc_mig_state_name(got.device_state));
        return -EPROTO;
    }
    return 0;
}

int vuc_mig_data_read(struct vuc_ctx *ctx, void *buf, uint32_t size, uint32_t *got) {
    if (size == 0 || size > ctx->caps.max_data_xfer_size)
        return -EINVAL;
    struct vu_mig_data q = {.argsz = (uint32_t)sizeof(q) + size, .size = size};
    struct vuc_request req = {.cmd = VU_CMD_MIG_DATA_READ, .payload = &q, .payload_len = sizeof(q)};
    vuc_id id;
    int rc = vuc_call(ctx, &req, NULL, &id);
    if (rc < 0)
        return rc;
    const struct vuc_reply_msg *r = &vuc_req_find(ctx, id)->reply;
    memcpy(buf, r->data, r->data_len);
    *got = (uint32_t)r->data_len;
    vuc_release(ctx, id);
    return 0;
}

int vuc_mig_data_write(struct vuc_ctx *ctx, const void *buf, uint32_t size) {
    if (size == 0 || size > ctx->caps.max_data_xfer_size)
        return -EINVAL;
    struct vu_mig_data q = {.argsz = (uint32_t)sizeof(q) + size, .size = size};
    struct vuc_request req = {.cmd = VU_CMD_MIG_DATA_WRITE,
                              .payload = &q,
                              .payload_len = sizeof(q),
                              .data = buf,
                              .data_len = size};
    return vuc_call(ctx, &req, NULL, NULL);
}
