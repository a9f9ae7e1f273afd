/*
 * VERSION negotiation JSON, built and parsed with json-c. Pure functions:
 * the core sends what vuc_version_build writes and hands the reply payload
 * to vuc_version_parse.
 */
#include <errno.h>
#include <string.h>

#include <json-c/json.h>

#include "vfio_user/client_parse.h"

static int add_u64(json_object *o, const char *key, uint64_t v) {
    json_object *n = json_object_new_int64((int64_t)v);
    if (!n || json_object_object_add(o, key, n) != 0) {
        json_object_put(n);
        return -ENOMEM;
    }
    return 0;
}

static json_object *build_caps(uint32_t max_msg_fds, uint32_t max_xfer, bool offer_twin) {
    json_object *caps = json_object_new_object();
    if (!caps)
        return NULL;
    if (add_u64(caps, VU_CAP_MAX_MSG_FDS, max_msg_fds) < 0 ||
        add_u64(caps, VU_CAP_MAX_DATA_XFER_SIZE, max_xfer) < 0)
        goto fail;
    if (offer_twin) {
        json_object *twin = json_object_new_object();
        if (!twin || json_object_object_add(caps, VU_CAP_TWIN_SOCKET, twin) != 0) {
            json_object_put(twin);
            goto fail;
        }
        if (json_object_object_add(twin, VU_CAP_SUPPORTED, json_object_new_boolean(1)) != 0)
            goto fail;
    }
    return caps;
fail:
    json_object_put(caps);
    return NULL;
}

int vuc_version_build(uint32_t max_msg_fds, uint32_t max_data_xfer_size, bool offer_twin, char *buf,
                      size_t cap) {
    json_object *root = json_object_new_object();
    json_object *caps = build_caps(max_msg_fds, max_data_xfer_size, offer_twin);
    if (!root || !caps || json_object_object_add(root, VU_CAP_CAPABILITIES, caps) != 0) {
        json_object_put(caps);
        json_object_put(root);
        return -ENOMEM;
    }
    const char *s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN);
    size_t n = strlen(s) + 1;
    int rc = n <= cap ? (int)n : -ENOSPC;
    if (rc > 0)
        memcpy(buf, s, n);
    json_object_put(root);
    return rc;
}

/* ---- Reply -------------------------------------------------------------- */

/* A non-negative integer capability; absent keeps *v. */
static int get_u64(json_object *o, const char *key, uint64_t max, uint64_t *v) {
    json_object *n;
    if (!json_object_object_get_ex(o, key, &n))
        return 0;
    if (!json_object_is_type(n, json_type_int))
        return -EPROTO;
    errno = 0;
    int64_t x = json_object_get_int64(n);
    if (x < 0 || (uint64_t)x > max || errno != 0)
        return -EPROTO;
    *v = (uint64_t)x;
    return 0;
}

static int get_bool(json_object *o, const char *key, bool *v) {
    json_object *n;
    if (!json_object_object_get_ex(o, key, &n))
        return 0;
    if (!json_object_is_type(n, json_type_boolean))
        return -EPROTO;
    *v = json_object_get_boolean(n);
    return 0;
}

static int get_object(json_object *o, const char *key, json_object **out) {
    *out = NULL;
    if (!json_object_object_get_ex(o, key, out))
        return 0;
    return json_object_is_type(*out, json_type_object) ? 0 : -EPROTO;
}

static int parse_twin(json_object *caps, int *twin_fd_index) {
    json_object *twin;
    int rc = get_object(caps, VU_CAP_TWIN_SOCKET, &twin);
    if (rc < 0 || !twin)
        return rc;
    bool supported = false;
    uint64_t idx = 0;
    if (get_bool(twin, VU_CAP_SUPPORTED, &supported) < 0 ||
        get_u64(twin, VU_CAP_FD_INDEX, 255, &idx) < 0)
        return -EPROTO;
    if (supported)
        *twin_fd_index = (int)idx;
    return 0;
}

static int parse_caps(json_object *caps, struct vuc_server_caps *c, int *twin_fd_index) {
    uint64_t fds = c->max_msg_fds;
    json_object *mig;
    if (get_u64(caps, VU_CAP_MAX_MSG_FDS, UINT32_MAX, &fds) < 0 ||
        get_u64(caps, VU_CAP_MAX_DATA_XFER_SIZE, UINT32_MAX, &c->max_data_xfer_size) < 0 ||
        get_u64(caps, VU_CAP_MAX_DMA_MAPS, UINT32_MAX, &c->max_dma_maps) < 0 ||
        get_u64(caps, VU_CAP_PGSIZES, UINT64_MAX, &c->pgsizes) < 0 ||
        get_bool(caps, VU_CAP_WRITE_MULTIPLE, &c->write_multiple) < 0 ||
        get_object(caps, VU_CAP_MIGRATION, &mig) < 0)
        return -EPROTO;
    if (mig && get_u64(mig, VU_CAP_PGSIZE, UINT64_MAX, &c->migration_pgsize) < 0)
        return -EPROTO;
    if (c->max_data_xfer_size == 0)
        return -EPROTO;
    c->max_msg_fds = (uint32_t)fds;
    return parse_twin(caps, twin_fd_index);
}

int vuc_version_parse(const uint8_t *payload, size_t len, uint16_t proposed_minor,
                      struct vuc_server_caps *caps, int *twin_fd_index) {
    memset(caps, 0, sizeof(*caps));
    caps->max_msg_fds = VU_DEFAULT_MAX_MSG_FDS;
    caps->max_data_xfer_size = VU_DEFAULT_MAX_DATA_XFER_SIZE;
    *twin_fd_index = -1;
    struct vu_version v;
    if (len < sizeof(v) + 1)
        return -EPROTO;
    memcpy(&v, payload, sizeof(v));
    if (v.major != VU_VERSION_MAJOR || v.minor > proposed_minor)
        return -ENOTSUP;
    caps->major = v.major;
    caps->minor = v.minor;
    const char *json = (const char *)payload + sizeof(v);
    size_t jlen = len - sizeof(v);
    if (json[jlen - 1] != '\0' || strlen(json) != jlen - 1)
        return -EPROTO;
    json_object *root = json_tokener_parse(json);
    json_object *c = NULL;
    int rc = -EPROTO;
    if (root && json_object_is_type(root, json_type_object) &&
        get_object(root, VU_CAP_CAPABILITIES, &c) == 0 && c)
        rc = parse_caps(c, caps, twin_fd_index);
    json_object_put(root);
    return rc;
}
