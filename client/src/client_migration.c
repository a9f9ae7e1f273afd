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

static void feature_request(uint8_t *buf, uint32_t flags, const void *data, size_t data_len,
                            size_t reply_len, struct vuc_request *req) {
    struct vu_device_feature f = {.flags = flags};
    size_t room = data_len > reply_len ? data_len : reply_len;
    f.argsz = (uint32_t)(sizeof(f) + room);
    memcpy(buf, &f, sizeof(f));
    if (data_len)
        memcpy(buf + sizeof(f), data, data_len);
    *req = (struct vuc_request){
        .cmd = VU_CMD_DEVICE_FEATURE, .payload = buf, .payload_len = sizeof(f) + data_len};
}

int vuc_feature_call(struct vuc_ctx *ctx, uint32_t flags, const void *data, size_t data_len,
                     size_t reply_len, vuc_id *id) {
    uint8_t buf[sizeof(struct vu_device_feature) + VUC_FEATURE_DATA_MAX];
    struct vuc_request req;
    if (data_len > VUC_FEATURE_DATA_MAX)
        return -EINVAL;
    feature_request(buf, flags, data, data_len, reply_len, &req);
    return vuc_call(ctx, &req, NULL, id);
}

int vuc_feature_probe(struct vuc_ctx *ctx, uint32_t feature, uint32_t ops) {
    if (feature > VU_DEVICE_FEATURE_MASK ||
        (ops & ~(VU_DEVICE_FEATURE_GET | VU_DEVICE_FEATURE_SET)) != 0)
        return -EINVAL;
    return vuc_feature_call(ctx, VU_DEVICE_FEATURE_PROBE | ops | feature, NULL, 0, 0, NULL);
}

/* A u32 of a held reply's raw payload, or `none` when it is too short. */
static uint32_t raw_u32(const struct vuc_req *r, size_t off, uint32_t none) {
    uint32_t v;
    if (!r->rx || r->rx_len < off + sizeof(v))
        return none;
    memcpy(&v, r->rx + off, sizeof(v));
    return v;
}

static const char *feature_name(uint32_t feature) {
    return feature == VU_FEATURE_MIGRATION ? "MIGRATION" : "MIG_DEVICE_STATE";
}

/* GET of a feature with 8 bytes of data (MIGRATION, MIG_DEVICE_STATE). */
static int feature_get8(struct vuc_ctx *ctx, uint32_t feature, void *out) {
    uint8_t buf[sizeof(struct vu_device_feature)];
    struct vuc_request req;
    feature_request(buf, VU_DEVICE_FEATURE_GET | feature, NULL, 0, 8, &req);
    vuc_id id;
    bool held;
    int rc = vuc_call_keep_raw(ctx, &req, &id, &held);
    if (!held)
        return rc;
    const struct vuc_req *r = vuc_req_find(ctx, id);
    if (rc == 0)
        memcpy(out, r->reply.data, 8);
    else
        vuc_note_problem(ctx,
                         "migration: GET %s: a reply of %zu bytes (flags 0x%x) where 16 "
                         "(argsz, the GET's flags, 8 bytes of data) belong",
                         feature_name(feature), r->rx_len, raw_u32(r, 4, 0));
    vuc_release(ctx, id);
    return rc;
}

int vuc_mig_get_flags(struct vuc_ctx *ctx, uint64_t *flags) {
    struct vu_feature_migration m;
    int rc = feature_get8(ctx, VU_FEATURE_MIGRATION, &m);
    if (rc == 0)
        *flags = m.flags;
    return rc;
}

int vuc_mig_check_reported(uint32_t expected, uint32_t got) {
    if (got >= VU_MIG_STATE_COUNT)
        return -EPROTO;
    if (expected >= VU_MIG_STATE_COUNT || got == expected || got == VU_MIG_STATE_ERROR)
        return 0;
    return -EPROTO;
}

int vuc_mig_get_state(struct vuc_ctx *ctx, uint32_t *state) {
    struct vu_feature_mig_state s;
    int rc = feature_get8(ctx, VU_FEATURE_MIG_DEVICE_STATE, &s);
    if (rc < 0)
        return rc;
    uint32_t expected = ctx->mig_known ? ctx->mig_state : VU_MIG_STATE_COUNT;
    if (s.device_state >= VU_MIG_STATE_COUNT) {
        vuc_note_problem(ctx, "migration: the device says it is in state %u, which VFIO lacks",
                         s.device_state);
        return -EPROTO;
    }
    if (vuc_mig_check_reported(expected, s.device_state) < 0) {
        vuc_note_problem(ctx,
                         "migration: the device says it is in %s, but the last state it "
                         "reached was %s (no arc leads there on its own)",
                         vuc_mig_state_name(s.device_state), vuc_mig_state_name(expected));
        return -EPROTO;
    }
    ctx->mig_known = true;
    ctx->mig_state = s.device_state;
    *state = s.device_state;
    return 0;
}

/* The reply to a SET decoded or not: -EPROTO with the state it names when
 * that is not `to`, else rc. */
static int set_state_outcome(struct vuc_ctx *ctx, const struct vuc_req *r, int rc, uint32_t from,
                             uint32_t to) {
    uint32_t named = raw_u32(r, sizeof(struct vu_device_feature), to);
    if (named != to) {
        vuc_note_problem(ctx, "migration: asked %s -> %s, the device answered %s",
                         vuc_mig_state_name(from), vuc_mig_state_name(to),
                         vuc_mig_state_name(named));
        return -EPROTO;
    }
    if (rc < 0)
        vuc_note_problem(ctx, "migration: asked %s -> %s, the reply (%zu bytes) is malformed",
                         vuc_mig_state_name(from), vuc_mig_state_name(to), r->rx_len);
    return rc;
}

int vuc_mig_set_state(struct vuc_ctx *ctx, uint32_t from, uint32_t to, uint64_t mig_flags) {
    if (!vuc_mig_state_reachable(from, to, mig_flags))
        return -EINVAL;
    struct vu_feature_mig_state s = {.device_state = to, .data_fd = UINT32_MAX};
    uint8_t buf[sizeof(struct vu_device_feature) + sizeof(s)];
    struct vuc_request req;
    feature_request(buf, VU_DEVICE_FEATURE_SET | VU_FEATURE_MIG_DEVICE_STATE, &s, sizeof(s), 0,
                    &req);
    /* Whatever happens now, the state is known again only once reached. */
    ctx->mig_known = false;
    vuc_id id;
    bool held;
    int rc = vuc_call_keep_raw(ctx, &req, &id, &held);
    if (!held)
        return rc;
    rc = set_state_outcome(ctx, vuc_req_find(ctx, id), rc, from, to);
    vuc_release(ctx, id);
    if (rc == 0) {
        ctx->mig_known = true;
        ctx->mig_state = to;
    }
    return rc;
}

int vuc_mig_data_read(struct vuc_ctx *ctx, void *buf, uint32_t size, uint32_t *got) {
    if (size == 0 || size > ctx->caps.max_data_xfer_size)
        return -EINVAL;
    struct vu_mig_data q = {.argsz = (uint32_t)sizeof(q) + size, .size = size};
    struct vuc_request req = {.cmd = VU_CMD_MIG_DATA_READ, .payload = &q, .payload_len = sizeof(q)};
    vuc_id id;
    bool held;
    int rc = vuc_call_keep_raw(ctx, &req, &id, &held);
    if (!held)
        return rc;
    const struct vuc_req *r = vuc_req_find(ctx, id);
    if (rc == 0) {
        memcpy(buf, r->reply.data, r->reply.data_len);
        *got = (uint32_t)r->reply.data_len;
    } else {
        vuc_note_problem(ctx,
                         "migration: MIG_DATA_READ asked %u bytes; the reply says size %u and "
                         "carries %zu",
                         size, raw_u32(r, 4, 0), r->rx_len < sizeof(q) ? 0 : r->rx_len - sizeof(q));
    }
    vuc_release(ctx, id);
    return rc;
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

int vuc_mig_data_drain(struct vuc_ctx *ctx, void *buf, size_t cap, size_t *total) {
    uint8_t *p = buf, spare;
    *total = 0;
    for (;;) {
        size_t room = cap - *total;
        uint64_t chunk = room < ctx->caps.max_data_xfer_size ? room : ctx->caps.max_data_xfer_size;
        /* Full: one byte more tells the end of the data from a device that
         * has more than the caller's bound. */
        uint32_t ask = chunk == 0 ? 1u : chunk > UINT32_MAX ? UINT32_MAX : (uint32_t)chunk;
        uint32_t got;
        int rc = vuc_mig_data_read(ctx, chunk == 0 ? &spare : p + *total, ask, &got);
        if (rc < 0)
            return rc;
        if (got == 0)
            return 0;
        if (chunk == 0) {
            vuc_note_problem(ctx,
                             "migration: the device's data goes on past %zu bytes (no read of "
                             "0 bytes ends it): stopped there",
                             cap);
            return -EFBIG;
        }
        *total += got;
    }
}
