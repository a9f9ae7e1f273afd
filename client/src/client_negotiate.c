/*
 * VERSION negotiation over the core: offer our capabilities, record the
 * server's, and take the twin socket when the server hands one over.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "client_internal.h"

#define VERSION_JSON_MAX 512

/* Runs when the VERSION reply is delivered (success replies only). */
void vuc_version_hook(struct vuc_ctx *ctx, struct vuc_req *r) {
    struct vuc_server_caps caps;
    int twin_index = -1;
    int rc = vuc_version_parse(r->rx, r->reply.data_len + sizeof(struct vu_version),
                               VU_VERSION_MINOR, &caps, &twin_index);
    bool have_fd = r->fd >= 0;
    /* Not offered: whatever the server says about it, there is no twin (an fd
     * it sent anyway was closed on arrival). */
    if (!ctx->twin_offered)
        twin_index = -1;
    if (rc == 0 && twin_index >= 0 && (twin_index != 0 || !have_fd))
        rc = -EPROTO; /* agreed, but the socket is not where it says */
    if (rc == 0 && twin_index < 0 && have_fd) {
        ctx->stats.closed_fds++; /* an fd nobody asked for */
        close(r->fd);
        r->fd = -1;
    }
    if (rc < 0) {
        r->status = rc;
        return;
    }
    if (twin_index == 0) {
        ctx->sock[VUC_SOCK_TWIN] = r->fd;
        vuc_set_send_timeout(ctx, r->fd);
        r->fd = -1;
    }
    caps.twin_socket = twin_index == 0;
    ctx->caps = caps;
    ctx->negotiated = true;
}

int vuc_negotiate(struct vuc_ctx *ctx) {
    if (ctx->negotiated)
        return -EALREADY;
    uint8_t payload[sizeof(struct vu_version) + VERSION_JSON_MAX];
    struct vu_version v = {.major = VU_VERSION_MAJOR, .minor = VU_VERSION_MINOR};
    memcpy(payload, &v, sizeof(v));
    ctx->twin_offered = !ctx->opts.no_twin;
    int n = vuc_version_build(ctx->opts.max_msg_fds, ctx->opts.max_data_xfer_size,
                              ctx->twin_offered, (char *)payload + sizeof(v), VERSION_JSON_MAX);
    if (n < 0)
        return n;
    struct vuc_request q = {
        .cmd = VU_CMD_VERSION, .payload = payload, .payload_len = sizeof(v) + (size_t)n};
    return vuc_call(ctx, &q, vuc_version_hook, NULL);
}
