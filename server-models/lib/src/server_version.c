/*
 * VERSION negotiation. The first message of a connection must be VERSION;
 * the reply carries the server's capabilities as json-c formats them (the
 * spaced style libvfio-user's replies show) and, when the client asks for it
 * and the server is in twin mode (legacy, queue, async and map-socket refuse
 * it), the twin socket as fd_index 0.
 */
#include <errno.h>
#include <json.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server_private.h"

struct client_caps {
    int64_t max_fds;
    int64_t max_data_xfer;
    bool twin_socket;
};

static bool get_int(struct json_object *obj, const char *key, int64_t *out, bool *bad) {
    struct json_object *jo;
    if (!json_object_object_get_ex(obj, key, &jo)) {
        return false;
    }
    if (json_object_get_type(jo) != json_type_int) {
        *bad = true;
        return false;
    }
    *out = json_object_get_int64(jo);
    return true;
}

static int parse_twin(struct json_object *caps, struct client_caps *cc) {
    struct json_object *jo, *sup;
    if (!json_object_object_get_ex(caps, VU_CAP_TWIN_SOCKET, &jo)) {
        return 0;
    }
    if (json_object_get_type(jo) != json_type_object) {
        return -EINVAL;
    }
    if (json_object_object_get_ex(jo, VU_CAP_SUPPORTED, &sup)) {
        if (json_object_get_type(sup) != json_type_boolean) {
            return -EINVAL;
        }
        cc->twin_socket = json_object_get_boolean(sup);
    }
    return 0;
}

static int parse_caps(const char *json, struct client_caps *cc) {
    struct json_object *top = json_tokener_parse(json);
    struct json_object *caps;
    bool bad = false;
    int ret = 0;
    if (top == NULL) {
        return -EINVAL;
    }
    if (!json_object_object_get_ex(top, VU_CAP_CAPABILITIES, &caps)) {
        goto out;
    }
    if (json_object_get_type(caps) != json_type_object) {
        ret = -EINVAL;
        goto out;
    }
    get_int(caps, VU_CAP_MAX_MSG_FDS, &cc->max_fds, &bad);
    get_int(caps, VU_CAP_MAX_DATA_XFER_SIZE, &cc->max_data_xfer, &bad);
    struct json_object *mig;
    if (json_object_object_get_ex(caps, VU_CAP_MIGRATION, &mig) &&
        json_object_get_type(mig) != json_type_object) {
        bad = true;
    }
    ret = bad ? -EINVAL : parse_twin(caps, cc);
out:
    json_object_put(top);
    return ret;
}

static int add_int(struct json_object *obj, const char *key, int64_t v) {
    struct json_object *jo = json_object_new_int64(v);
    if (jo == NULL) {
        return -ENOMEM;
    }
    json_object_object_add(obj, key, jo);
    return 0;
}

/* The reply JSON: libvfio-user's key order, json-c's default (spaced) style. */
static char *format_caps(const struct vus_ctx *ctx, bool twin) {
    struct json_object *top = json_object_new_object();
    struct json_object *caps = json_object_new_object();
    char *out = NULL;
    if (top == NULL || caps == NULL) {
        json_object_put(caps);
        goto done;
    }
    json_object_object_add(top, VU_CAP_CAPABILITIES, caps);
    if (add_int(caps, VU_CAP_MAX_MSG_FDS, VUS_MAX_MSG_FDS) < 0 ||
        add_int(caps, VU_CAP_MAX_DATA_XFER_SIZE, VUS_MAX_DATA_XFER_SIZE) < 0) {
        goto done;
    }
    if (ctx->cfg.migration_pgsize != 0) {
        struct json_object *mig = json_object_new_object();
        if (mig == NULL) {
            goto done;
        }
        json_object_object_add(caps, VU_CAP_MIGRATION, mig);
        if (add_int(mig, VU_CAP_PGSIZE, ctx->cfg.migration_pgsize) < 0) {
            goto done;
        }
    }
    if (twin) {
        struct json_object *tw = json_object_new_object();
        if (tw == NULL) {
            goto done;
        }
        json_object_object_add(caps, VU_CAP_TWIN_SOCKET, tw);
        json_object_object_add(tw, VU_CAP_SUPPORTED, json_object_new_boolean(1));
        if (add_int(tw, VU_CAP_FD_INDEX, 0) < 0) {
            goto done;
        }
    }
    out = strdup(json_object_to_json_string_ext(top, JSON_C_TO_STRING_SPACED));
done:
    json_object_put(top);
    return out;
}

static int check_request(struct vus_ctx *ctx, const struct vus_msg *msg, struct client_caps *cc) {
    if (msg->hdr.cmd != VU_CMD_VERSION) {
        vus_log_err(ctx, "msg%#hx: invalid cmd %hu (expected VERSION)", msg->hdr.msg_id,
                    msg->hdr.cmd);
        return -EINVAL;
    }
    if (msg->nfds != 0 || msg->body_len < sizeof(struct vu_version)) {
        vus_log_err(ctx, "msg%#hx: bad VERSION (%zu fds, %zu bytes)", msg->hdr.msg_id, msg->nfds,
                    msg->body_len);
        return -EINVAL;
    }
    struct vu_version v;
    memcpy(&v, msg->body, sizeof(v));
    if (v.major != VU_VERSION_MAJOR) {
        vus_log_err(ctx, "unsupported client major %hu", v.major);
        return -EINVAL;
    }
    size_t jlen = msg->body_len - sizeof(v);
    if (jlen > 0) {
        const char *json = (const char *)msg->body + sizeof(v);
        if (json[jlen - 1] != '\0' || parse_caps(json, cc) < 0) {
            vus_log_err(ctx, "failed to parse client JSON");
            return -EINVAL;
        }
    }
    if (cc->max_fds < 0 || cc->max_fds > 1024 || cc->max_data_xfer <= 0 ||
        cc->max_data_xfer > INT32_MAX) {
        vus_log_err(ctx, "refusing client max_msg_fds %lld / max_data_xfer_size %lld",
                    (long long)cc->max_fds, (long long)cc->max_data_xfer);
        return -EINVAL;
    }
    return 0;
}

/* Returns 0 when negotiated; otherwise the client got an error reply and the
 * caller drops it (libvfio-user fails the attach the same way). */
int vus_version_negotiate(struct vus_ctx *ctx, struct vus_msg *msg) {
    struct client_caps cc = {
        .max_fds = VU_DEFAULT_MAX_MSG_FDS,
        .max_data_xfer = VU_DEFAULT_MAX_DATA_XFER_SIZE,
    };
    int ret = check_request(ctx, msg, &cc);
    if (ret < 0) {
        vus_tr_reply(ctx, &msg->hdr, -ret, NULL, 0, -1);
        return ret;
    }
    bool twin = cc.twin_socket && cc.max_fds > 0 && ctx->cfg.dma_mode == VUS_DMA_MODE_TWIN;
    int pair[2] = {-1, -1};
    if (twin && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0) {
        ret = -errno;
        vus_tr_reply(ctx, &msg->hdr, -ret, NULL, 0, -1);
        return ret;
    }
    char *json = format_caps(ctx, twin);
    if (json == NULL) {
        vus_close_fds(pair, 2);
        vus_tr_reply(ctx, &msg->hdr, ENOMEM, NULL, 0, -1);
        return -ENOMEM;
    }
    struct vu_version sv;
    memcpy(&sv, msg->body, sizeof(sv));
    sv.major = VU_VERSION_MAJOR;
    sv.minor = sv.minor < VU_VERSION_MINOR ? sv.minor : VU_VERSION_MINOR;
    struct vu_hdr h = {
        .msg_id = msg->hdr.msg_id,
        .cmd = VU_CMD_VERSION,
        .msg_size = (uint32_t)(sizeof(h) + sizeof(sv) + strlen(json) + 1),
        .flags = VU_F_TYPE_REPLY,
    };
    ret = vus_tr_send(ctx->conn_fd, &h, &sv, sizeof(sv), json, strlen(json) + 1, &pair[0],
                      twin ? 1 : 0);
    free(json);
    if (pair[0] >= 0) {
        close(pair[0]);
    }
    if (ret >= 0) {
        vus_idle_count_out(ctx);
    }
    if (ret < 0) {
        if (pair[1] >= 0) {
            close(pair[1]);
        }
        return ret;
    }
    ctx->twin_fd = pair[1];
    ctx->client_max_fds = (uint32_t)cc.max_fds;
    ctx->client_max_data_xfer = (uint32_t)cc.max_data_xfer;
    ctx->negotiated = true;
    vus_log_dbg(ctx, "negotiated v0.%u, twin socket %s, client max_data_xfer_size %u", sv.minor,
                twin ? "on" : "off", ctx->client_max_data_xfer);
    return 0;
}
