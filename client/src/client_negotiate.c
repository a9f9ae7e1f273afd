/*
 * VERSION negotiation over the core: offer our capabilities, record the
 * server's, and take the twin socket when the server hands one over.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "client_internal.h"

#define VERSION_JSON_MAX 512

/* The path a socket is bound to (its own with getsockname, its peer's with
 * getpeername); 0 when it has one, else -1 (unnamed: a socketpair). */
static int socket_path(int fd, bool peer, struct sockaddr_un *a) {
    socklen_t len = sizeof(*a);
    memset(a, 0, sizeof(*a));
    int rc = peer ? getpeername(fd, (struct sockaddr *)a, &len)
                  : getsockname(fd, (struct sockaddr *)a, &len);
    if (rc < 0 || a->sun_family != AF_UNIX || len <= offsetof(struct sockaddr_un, sun_path) ||
        a->sun_path[0] == '\0')
        return -1;
    return 0;
}

/* A twin socket must be a socket, and not our main connection again: the
 * same socket, or its other end, would make us read our own commands as the
 * server's. The other end is found by the kernel's sock_diag, or, where
 * that is not allowed, by its name: bound to the path we connected to, as
 * an accepted connection is (a socketpair twin is unnamed).
 * Returns 0 or -EPROTO with the problem noted. */
static int check_twin(struct vuc_ctx *ctx, int twin) {
    int main_fd = ctx->sock[VUC_SOCK_MAIN];
    struct stat t, m;
    if (fstat(twin, &t) < 0 || !S_ISSOCK(t.st_mode)) {
        vuc_note_problem(ctx, "the twin socket the server sent is not a socket");
        return -EPROTO;
    }
    if (fstat(main_fd, &m) < 0)
        return -errno;
    if (t.st_dev == m.st_dev && t.st_ino == m.st_ino) {
        vuc_note_problem(ctx, "the twin socket the server sent is our own main socket (a loop)");
        return -EPROTO;
    }
    uint64_t peer = 0;
    if (vuc_unix_peer_ino(twin, &peer) == 0 && t.st_dev == m.st_dev && peer == (uint64_t)m.st_ino) {
        vuc_note_problem(ctx, "the twin socket the server sent is its end of our main socket "
                              "(a loop: we would answer our own commands)");
        return -EPROTO;
    }
    struct sockaddr_un twin_local, main_peer;
    if (socket_path(twin, false, &twin_local) == 0 && socket_path(main_fd, true, &main_peer) == 0 &&
        strcmp(twin_local.sun_path, main_peer.sun_path) == 0) {
        vuc_note_problem(ctx, "the twin socket the server sent is its end of our main socket "
                              "(a loop: we would answer our own commands)");
        return -EPROTO;
    }
    return 0;
}

/* Runs when the VERSION reply is delivered (success replies only). */
void vuc_version_hook(struct vuc_ctx *ctx, struct vuc_req *r) {
    struct vuc_server_caps caps;
    int twin_index = -1;
    int rc = vuc_version_parse(r->rx, r->reply.data_len + sizeof(struct vu_version),
                               VU_VERSION_MINOR, &caps, &twin_index);
    bool have_fd = r->fd >= 0;
    if (rc == -EPROTO)
        vuc_note_problem(ctx, "VERSION reply: capabilities JSON malformed, or a capability of "
                              "the wrong type or out of range");
    /* Not offered: whatever the server says about it, there is no twin (an fd
     * it sent anyway was closed on arrival). */
    if (!ctx->twin_offered)
        twin_index = -1;
    if (rc == 0 && twin_index >= 0 && (twin_index != 0 || !have_fd)) {
        vuc_note_problem(ctx, "twin socket agreed at fd_index %d, but %s", twin_index,
                         have_fd ? "only one fd came" : "no fd came");
        rc = -EPROTO; /* agreed, but the socket is not where it says */
    }
    if (rc == 0 && twin_index == 0)
        rc = check_twin(ctx, r->fd);
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
    uint64_t dropped = ctx->stats.dropped_replies;
    int rc = vuc_call(ctx, &q, vuc_version_hook, NULL);
    /* A second VERSION reply read with the first: the server's idea of the
     * conversation is not ours. (One read later is the caller's to see, in
     * vuc_protocol_problem() or a VUC_EV_PROTOCOL event.) */
    if (rc == 0 && ctx->stats.dropped_replies != dropped)
        rc = -EPROTO;
    return rc;
}
