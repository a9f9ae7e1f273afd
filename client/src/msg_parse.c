/*
 * Pure decoding of what a server sends: header, replies per command, server
 * commands (DMA_READ/DMA_WRITE), DMA range checks. Every length is checked
 * before a field is read; a table per command says how long its reply is.
 */
#include <errno.h>
#include <string.h>

#include "vfio_user/client_parse.h"

#define HDR_SIZE sizeof(struct vu_hdr)
/* Errno values above this are not errnos (Linux's MAX_ERRNO). */
#define MAX_ERRNO 4095u

int vuc_parse_hdr(const void *buf, size_t len, uint32_t max_msg_size, struct vu_hdr *out) {
    if (len < HDR_SIZE)
        return -EINVAL;
    memcpy(out, buf, HDR_SIZE);
    if (out->msg_size < HDR_SIZE)
        return -EPROTO;
    if (out->msg_size > max_msg_size)
        return -EMSGSIZE;
    uint32_t type = out->flags & VU_F_TYPE_MASK;
    if (type != VU_F_TYPE_COMMAND && type != VU_F_TYPE_REPLY)
        return -EPROTO;
    if (type == VU_F_TYPE_REPLY && (out->flags & VU_F_NO_REPLY))
        return -EPROTO;
    return 0;
}

/* ---- Replies: one decoder per command --------------------------------- */

typedef int (*reply_decoder)(const uint8_t *p, size_t len, const uint8_t *req, size_t req_len,
                             struct vuc_reply_msg *out);

static int decode_empty(const uint8_t *p, size_t len, const uint8_t *req, size_t req_len,
                        struct vuc_reply_msg *out) {
    (void)p, (void)req, (void)req_len, (void)out;
    return len == 0 ? 0 : -EPROTO;
}

static int decode_version(const uint8_t *p, size_t len, const uint8_t *req, size_t req_len,
                          struct vuc_reply_msg *out) {
    (void)req, (void)req_len;
    if (len < sizeof(struct vu_version) + 1)
        return -EPROTO;
    memcpy(&out->u.version, p, sizeof(out->u.version));
    out->data = p + sizeof(struct vu_version);
    out->data_len = len - sizeof(struct vu_version);
    return 0;
}

static int decode_device_info(const uint8_t *p, size_t len, const uint8_t *req, size_t req_len,
                              struct vuc_reply_msg *out) {
    (void)req, (void)req_len;
    if (len != sizeof(struct vu_device_info))
        return -EPROTO;
    memcpy(&out->u.device_info, p, len);
    /* Counts a caller loops over: QEMU's bounds, so a server claiming 2^31
     * regions cannot keep a client asking for ever. */
    if (out->u.device_info.num_regions > VUC_MAX_REGIONS ||
        out->u.device_info.num_irqs > VUC_MAX_IRQS)
        return -EPROTO;
    return 0;
}

static int decode_region_info(const uint8_t *p, size_t len, const uint8_t *req, size_t req_len,
                              struct vuc_reply_msg *out) {
    struct vu_region_info q;
    if (len < sizeof(struct vu_region_info) || req_len < sizeof(q))
        return -EPROTO;
    memcpy(&q, req, sizeof(q));
    memcpy(&out->u.region_info, p, sizeof(out->u.region_info));
    if (out->u.region_info.index != q.index)
        return -EPROTO;
    /* The server may not send more than the argsz we offered. */
    if (len > q.argsz && len > sizeof(struct vu_region_info))
        return -EPROTO;
    out->data = p;
    out->data_len = len;
    return 0;
}

static int decode_irq_info(const uint8_t *p, size_t len, const uint8_t *req, size_t req_len,
                           struct vuc_reply_msg *out) {
    struct vu_irq_info q;
    if (len != sizeof(struct vu_irq_info) || req_len < sizeof(q))
        return -EPROTO;
    memcpy(&q, req, sizeof(q));
    memcpy(&out->u.irq_info, p, len);
    return out->u.irq_info.index == q.index ? 0 : -EPROTO;
}

static int echo_region_access(const uint8_t *p, const uint8_t *req, size_t req_len,
                              struct vuc_reply_msg *out) {
    struct vu_region_access q;
    if (req_len < sizeof(q))
        return -EPROTO;
    memcpy(&q, req, sizeof(q));
    memcpy(&out->u.region, p, sizeof(out->u.region));
    if (q.offset != out->u.region.offset || q.region != out->u.region.region ||
        q.count != out->u.region.count)
        return -EPROTO;
    return 0;
}

static int decode_region_read(const uint8_t *p, size_t len, const uint8_t *req, size_t req_len,
                              struct vuc_reply_msg *out) {
    if (len < sizeof(struct vu_region_access))
        return -EPROTO;
    int rc = echo_region_access(p, req, req_len, out);
    if (rc < 0)
        return rc;
    if (len - sizeof(struct vu_region_access) != out->u.region.count)
        return -EPROTO;
    out->data = p + sizeof(struct vu_region_access);
    out->data_len = out->u.region.count;
    return 0;
}

static int decode_region_write(const uint8_t *p, size_t len, const uint8_t *req, size_t req_len,
                               struct vuc_reply_msg *out) {
    if (len != sizeof(struct vu_region_access))
        return -EPROTO;
    return echo_region_access(p, req, req_len, out);
}

static int decode_dma_unmap(const uint8_t *p, size_t len, const uint8_t *req, size_t req_len,
                            struct vuc_reply_msg *out) {
    if (len != sizeof(struct vu_dma_unmap) || req_len < sizeof(struct vu_dma_unmap))
        return -EPROTO;
    memcpy(&out->u.dma_unmap, p, len);
    struct vu_dma_unmap q;
    memcpy(&q, req, sizeof(q));
    return q.addr == out->u.dma_unmap.addr && q.size == out->u.dma_unmap.size ? 0 : -EPROTO;
}

/* DEVICE_FEATURE: the reply echoes the request's flags and carries the
 * feature's data within the argsz we offered. PROBE and SET replies carry no
 * data or echo the request (libvfio-user echoes it); GET of MIGRATION and
 * MIG_DEVICE_STATE has exactly 8 bytes of data; GET of DMA_LOGGING_REPORT
 * echoes iova, length and page_size and has a bitmap of at least one bit per
 * page. */
static int decode_feature_get(const struct vu_device_feature *q, const uint8_t *p, size_t len,
                              const uint8_t *req, size_t req_len) {
    uint32_t feature = q->flags & VU_DEVICE_FEATURE_MASK;
    if (feature == VU_FEATURE_MIGRATION || feature == VU_FEATURE_MIG_DEVICE_STATE)
        return len == sizeof(*q) + 8 ? 0 : -EPROTO;
    if (feature != VU_FEATURE_DMA_LOGGING_REPORT)
        return 0;
    struct vu_dma_logging_report want, got;
    size_t head = sizeof(*q) + sizeof(want);
    if (req_len < head || len < head)
        return -EPROTO;
    memcpy(&want, req + sizeof(*q), sizeof(want));
    memcpy(&got, p + sizeof(*q), sizeof(got));
    if (memcmp(&want, &got, sizeof(want)) != 0 || want.page_size == 0)
        return -EPROTO;
    uint64_t pages = want.length / want.page_size + (want.length % want.page_size != 0);
    return len - head >= (pages + 7) / 8 ? 0 : -EPROTO;
}

static int decode_feature(const uint8_t *p, size_t len, const uint8_t *req, size_t req_len,
                          struct vuc_reply_msg *out) {
    struct vu_device_feature q;
    if (req_len < sizeof(q) || len < sizeof(q))
        return -EPROTO;
    memcpy(&q, req, sizeof(q));
    memcpy(&out->u.feature, p, sizeof(q));
    if (out->u.feature.flags != q.flags || len > (q.argsz > req_len ? q.argsz : req_len))
        return -EPROTO;
    out->data = p + sizeof(q);
    out->data_len = len - sizeof(q);
    if (q.flags & (VU_DEVICE_FEATURE_PROBE | VU_DEVICE_FEATURE_SET))
        return len == sizeof(q) || (len == req_len && memcmp(p, req, len) == 0) ? 0 : -EPROTO;
    return decode_feature_get(&q, p, len, req, req_len);
}

/* MIG_DATA_READ: at most the size asked, and at least the bytes it says.
 * libvfio-user sends its whole buffer whatever `size` says (migration_source
 * seq 53: msg_size 1048 with size 0 at the end of the data), so the bytes
 * past `size` are padding, not data; but never more than was asked. */
static int decode_mig_data_read(const uint8_t *p, size_t len, const uint8_t *req, size_t req_len,
                                struct vuc_reply_msg *out) {
    struct vu_mig_data q;
    if (req_len < sizeof(q) || len < sizeof(q))
        return -EPROTO;
    memcpy(&q, req, sizeof(q));
    memcpy(&out->u.mig_data, p, sizeof(q));
    size_t carried = len - sizeof(q);
    if (out->u.mig_data.size > q.size || carried < out->u.mig_data.size || carried > q.size)
        return -EPROTO;
    out->data = p + sizeof(q);
    out->data_len = out->u.mig_data.size;
    return 0;
}

/* MIG_DATA_WRITE: the header alone (libvfio-user), or an echo of argsz/size. */
static int decode_mig_data_write(const uint8_t *p, size_t len, const uint8_t *req, size_t req_len,
                                 struct vuc_reply_msg *out) {
    (void)out;
    if (len == 0)
        return 0;
    return len == sizeof(struct vu_mig_data) && req_len >= len && memcmp(p, req, len) == 0
               ? 0
               : -EPROTO;
}

/* Commands whose reply we do not decode field by field: any payload. */
static int decode_opaque(const uint8_t *p, size_t len, const uint8_t *req, size_t req_len,
                         struct vuc_reply_msg *out) {
    (void)req, (void)req_len;
    out->data = p;
    out->data_len = len;
    return 0;
}

static const reply_decoder reply_decoders[VU_CMD_MAX] = {
    [VU_CMD_VERSION] = decode_version,
    [VU_CMD_DMA_MAP] = decode_empty,
    [VU_CMD_DMA_UNMAP] = decode_dma_unmap,
    [VU_CMD_DEVICE_GET_INFO] = decode_device_info,
    [VU_CMD_DEVICE_GET_REGION_INFO] = decode_region_info,
    [VU_CMD_DEVICE_GET_REGION_IO_FDS] = decode_opaque,
    [VU_CMD_DEVICE_GET_IRQ_INFO] = decode_irq_info,
    [VU_CMD_DEVICE_SET_IRQS] = decode_empty,
    [VU_CMD_REGION_READ] = decode_region_read,
    [VU_CMD_REGION_WRITE] = decode_region_write,
    [VU_CMD_DEVICE_RESET] = decode_empty,
    [VU_CMD_REGION_WRITE_MULTI] = decode_opaque,
    [VU_CMD_DEVICE_FEATURE] = decode_feature,
    [VU_CMD_MIG_DATA_READ] = decode_mig_data_read,
    [VU_CMD_MIG_DATA_WRITE] = decode_mig_data_write,
};

int vuc_parse_reply(const struct vu_hdr *hdr, const uint8_t *payload, size_t len, uint16_t req_cmd,
                    const uint8_t *req, size_t req_len, struct vuc_reply_msg *out) {
    memset(out, 0, sizeof(*out));
    if (!vuc_hdr_is_reply(hdr) || hdr->cmd != req_cmd || len != hdr->msg_size - HDR_SIZE)
        return -EPROTO;
    if (hdr->flags & VU_F_ERROR) {
        if (hdr->error_no == 0 || hdr->error_no > MAX_ERRNO)
            return -EPROTO;
        out->status = -(int)hdr->error_no;
        return 0;
    }
    /* Commands outside the table are ones we never send: anything goes. */
    reply_decoder dec = req_cmd < VU_CMD_MAX ? reply_decoders[req_cmd] : NULL;
    return dec ? dec(payload, len, req, req_len, out)
               : decode_opaque(payload, len, req, req_len, out);
}

unsigned vuc_reply_fds_allowed(uint16_t cmd, const struct vuc_reply_msg *r, bool twin_offered) {
    if (r->status != 0)
        return 0;
    switch (cmd) {
    case VU_CMD_VERSION:
        return twin_offered ? 1 : 0;
    case VU_CMD_DEVICE_GET_REGION_INFO:
        return (r->u.region_info.flags & VU_REGION_F_MMAP) ? 1 : 0;
    case VU_CMD_DEVICE_GET_REGION_IO_FDS:
        if (r->data_len < sizeof(struct vu_region_io_fds))
            return 0;
        struct vu_region_io_fds io;
        memcpy(&io, r->data, sizeof(io));
        return io.count;
    default:
        return 0;
    }
}

/* ---- Server commands -------------------------------------------------- */

static int decode_dma_fields(const uint8_t *p, size_t len, bool is_write,
                             struct vuc_server_cmd *out) {
    const size_t wide = sizeof(struct vu_dma_access), narrow = sizeof(struct vu_dma_access_qemu);
    if (len >= wide) {
        struct vu_dma_access a;
        memcpy(&a, p, wide);
        if ((!is_write && len == wide) || (is_write && a.count == len - wide)) {
            out->addr = a.addr;
            out->count = a.count;
            out->data = is_write ? p + wide : NULL;
            return 0;
        }
    }
    if (len >= narrow) {
        struct vu_dma_access_qemu a;
        memcpy(&a, p, narrow);
        if ((!is_write && len == narrow) || (is_write && a.count == len - narrow)) {
            out->qemu_layout = true;
            out->addr = a.addr;
            out->count = a.count;
            out->data = is_write ? p + narrow : NULL;
            return 0;
        }
    }
    return -EINVAL;
}

int vuc_parse_server_cmd(const struct vu_hdr *hdr, const uint8_t *payload, size_t len,
                         uint64_t max_xfer, struct vuc_server_cmd *out) {
    memset(out, 0, sizeof(*out));
    out->cmd = hdr->cmd;
    if (vuc_hdr_is_reply(hdr) || len != hdr->msg_size - HDR_SIZE)
        return -EINVAL;
    if (hdr->cmd != VU_CMD_DMA_READ && hdr->cmd != VU_CMD_DMA_WRITE)
        return -EINVAL;
    int rc = decode_dma_fields(payload, len, hdr->cmd == VU_CMD_DMA_WRITE, out);
    if (rc < 0)
        return rc;
    if (out->count == 0 || out->count > max_xfer)
        return -EINVAL;
    if (out->addr + out->count < out->addr)
        return -EFAULT;
    return 0;
}

int vuc_map_lookup(const struct vuc_map *maps, size_t n, uint64_t addr, uint64_t count,
                   uint32_t need) {
    if (count == 0 || addr + count < addr)
        return -EFAULT;
    for (size_t i = 0; i < n; i++) {
        const struct vuc_map *m = &maps[i];
        if (m->size == 0 || addr < m->iova || addr - m->iova > m->size ||
            count > m->size - (addr - m->iova))
            continue;
        return (m->prot & need) == need ? (int)i : -EFAULT;
    }
    return -EFAULT;
}

/* ---- Region info capability chain ------------------------------------ */

static int decode_sparse(const uint8_t *p, size_t len, uint32_t off, struct vuc_region *out) {
    struct vu_region_cap_sparse_mmap cap;
    if (len - off < sizeof(cap))
        return -EPROTO;
    memcpy(&cap, p + off, sizeof(cap));
    size_t room = (len - off - sizeof(cap)) / sizeof(struct vu_sparse_mmap_area);
    if (cap.nr_areas > room)
        return -EPROTO;
    for (uint32_t i = 0; i < cap.nr_areas; i++) { /* every area inside the region */
        struct vu_sparse_mmap_area a;
        memcpy(&a, p + off + sizeof(cap) + i * sizeof(a), sizeof(a));
        if (a.offset > out->info.size || a.size > out->info.size - a.offset)
            return -EPROTO;
    }
    out->nr_areas = cap.nr_areas;
    out->nr_areas_stored =
        cap.nr_areas < VUC_MAX_SPARSE_AREAS ? cap.nr_areas : VUC_MAX_SPARSE_AREAS;
    memcpy(out->areas, p + off + sizeof(cap),
           out->nr_areas_stored * sizeof(struct vu_sparse_mmap_area));
    return 0;
}

static int decode_type(const uint8_t *p, size_t len, uint32_t off, struct vuc_region *out) {
    struct vu_region_cap_type cap;
    if (len - off < sizeof(cap))
        return -EPROTO;
    memcpy(&cap, p + off, sizeof(cap));
    out->has_type = true;
    out->type = cap.type;
    out->subtype = cap.subtype;
    return 0;
}

int vuc_parse_region_info(const uint8_t *payload, size_t len, struct vuc_region *out) {
    memset(out, 0, sizeof(*out));
    out->fd = -1;
    if (len < sizeof(struct vu_region_info))
        return -EPROTO;
    memcpy(&out->info, payload, sizeof(out->info));
    /* The mmap range [offset, offset + size) of the fd must exist. */
    if ((out->info.flags & VU_REGION_F_MMAP) &&
        out->info.offset + out->info.size < out->info.offset)
        return -EPROTO;
    if (!(out->info.flags & VU_REGION_F_CAPS) || out->info.cap_offset == 0)
        return 0;
    /* The caps may not have fit the argsz we offered: nothing to walk yet. */
    if (len == sizeof(struct vu_region_info) && out->info.argsz > len)
        return 0;
    uint32_t off = out->info.cap_offset, prev = 0;
    while (off != 0) {
        struct vu_info_cap_hdr h;
        if (off < sizeof(struct vu_region_info) || off <= prev || off > len ||
            len - off < sizeof(h))
            return -EPROTO;
        memcpy(&h, payload + off, sizeof(h));
        int rc = 0;
        if (h.id == VU_REGION_CAP_SPARSE_MMAP)
            rc = decode_sparse(payload, len, off, out);
        else if (h.id == VU_REGION_CAP_TYPE)
            rc = decode_type(payload, len, off, out);
        if (rc < 0)
            return rc;
        prev = off;
        off = h.next;
    }
    return 0;
}
