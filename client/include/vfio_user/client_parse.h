/*
 * Pure parsers of what a vfio-user server sends: bytes (and an fd count) in,
 * a decoded message or a negative errno out. No I/O, no allocation, no
 * context; the client core is built on them and fuzzers call them directly.
 * Decoded pointers point into the caller's buffer.
 */
#ifndef VFIO_USER_CLIENT_PARSE_H
#define VFIO_USER_CLIENT_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vfio_user/client.h"
#include "vfio_user/proto.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Most regions and IRQ types a DEVICE_GET_INFO reply may claim (QEMU's
 * vfio-user client refuses more, with the same numbers): a caller loops over
 * them, one request each. */
#define VUC_MAX_REGIONS 100u
#define VUC_MAX_IRQS 50u

/* Header: len >= 16 else -EINVAL; msg_size < 16 -> -EPROTO; msg_size >
 * max_msg_size -> -EMSGSIZE; type other than command/reply -> -EPROTO; a reply
 * with NO_REPLY -> -EPROTO. Checked before anything is allocated for the body. */
int vuc_parse_hdr(const void *buf, size_t len, uint32_t max_msg_size, struct vu_hdr *out);

static inline bool vuc_hdr_is_reply(const struct vu_hdr *h) {
    return (h->flags & VU_F_TYPE_MASK) == VU_F_TYPE_REPLY;
}

/* A decoded reply. data/payload point into the parsed buffer. */
struct vuc_reply_msg {
    int status; /* 0, or -error_no of an error reply */
    union {
        struct vu_version version;
        struct vu_device_info device_info;
        struct vu_region_info region_info;
        struct vu_irq_info irq_info;
        struct vu_region_access region;
        struct vu_dma_unmap dma_unmap;
        struct vu_device_feature feature;
        struct vu_mig_data mig_data;
    } u;
    /* REGION_READ: the bytes read. VERSION: the JSON (NUL included).
     * DEVICE_GET_REGION_INFO: the whole reply payload (info + caps).
     * DEVICE_FEATURE: the feature's data (after argsz/flags). MIG_DATA_READ:
     * the migration data. */
    const uint8_t *data;
    size_t data_len;
};

/* Decodes the reply to a request of command req_cmd whose payload was
 * req/req_len (used for the echo checks: REGION_READ/WRITE must echo
 * offset/region/count, DMA_UNMAP its 24 bytes, region/irq info its index).
 * hdr must come from vuc_parse_hdr, payload is msg_size - 16 bytes.
 * Errors: cmd differs from req_cmd -> -EPROTO; error reply with error_no 0 or
 * above 4095 -> -EPROTO; payload length wrong for the command -> -EPROTO;
 * echoed fields differ -> -EPROTO; DEVICE_GET_INFO claiming more than
 * VUC_MAX_REGIONS regions or VUC_MAX_IRQS IRQ types -> -EPROTO. An error
 * reply decodes to status
 * -error_no and returns 0. DEVICE_FEATURE: flags not echoed, more than the
 * argsz offered, GET MIGRATION/MIG_DEVICE_STATE data other than 8 bytes, a
 * DMA_LOGGING_REPORT that does not echo iova/length/page_size or whose
 * bitmap is short of one bit per page, a PROBE/SET reply that is neither
 * argsz/flags alone nor the request echoed -> -EPROTO. MIG_DATA_READ: a
 * size above the size asked, fewer bytes carried than size, or more bytes
 * carried than asked -> -EPROTO (bytes past size and within the size asked
 * are padding, as libvfio-user sends them); MIG_DATA_WRITE: anything but no payload or an echo of
 * argsz/size
 * -> -EPROTO. */
int vuc_parse_reply(const struct vu_hdr *hdr, const uint8_t *payload, size_t len, uint16_t req_cmd,
                    const uint8_t *req, size_t req_len, struct vuc_reply_msg *out);

/* Whether GET MIG_DEVICE_STATE's answer `got` can be true: `expected` is
 * the last state a SET reached (VU_MIG_STATE_COUNT: not known). A value VFIO
 * lacks, or a state other than expected except ERROR (which a device falls
 * into on its own), -> -EPROTO; else 0. */
int vuc_mig_check_reported(uint32_t expected, uint32_t got);

/* How many fds a decoded reply may carry: VERSION 1 when the twin socket was
 * offered, DEVICE_GET_REGION_INFO 1 when the region is mappable,
 * GET_REGION_IO_FDS its count, else 0. Extra fds must be closed. */
unsigned vuc_reply_fds_allowed(uint16_t cmd, const struct vuc_reply_msg *r, bool twin_offered);

/* A decoded server-to-client command. */
struct vuc_server_cmd {
    uint16_t cmd;
    bool qemu_layout; /* {u64 addr, u32 count} instead of {u64, u64} */
    uint64_t addr;
    uint64_t count;
    const uint8_t *data; /* DMA_WRITE: count bytes */
};

/* DMA_READ: payload exactly 16 bytes ({u64 addr, u64 count}) or 12 (QEMU's
 * {u64 addr, u32 count}). DMA_WRITE: 16 + count or 12 + count32. The two
 * layouts can never both fit one length (see README), so the choice is
 * unambiguous. count 0 or count > max_xfer -> -EINVAL; addr + count wraps ->
 * -EFAULT; other lengths -> -EINVAL; other commands -> -EINVAL (what
 * libvfio-user answers to a command it does not know). */
int vuc_parse_server_cmd(const struct vu_hdr *hdr, const uint8_t *payload, size_t len,
                         uint64_t max_xfer, struct vuc_server_cmd *out);

/* One DMA mapping as the client recorded it. */
struct vuc_map {
    uint64_t iova;
    uint64_t size;
    uint32_t prot; /* VU_DMA_MAP_F_READ/WRITE: what the device may do */
    uint8_t *vaddr;
    /* 0: DMA comes as messages on the main or twin socket; otherwise the
     * socket of its own (VUC_SOCK_MAP0 + slot, VU_DMA_MAP_F_RCSIM_SOCKET). */
    uint8_t sock;
};

/* Finds the one mapping holding [addr, addr+count) with prot need
 * (VU_DMA_MAP_F_READ for DMA_READ, _WRITE for DMA_WRITE). Returns its index,
 * or -EFAULT (not inside one mapping, or the mapping lacks the permission). */
int vuc_map_lookup(const struct vuc_map *maps, size_t n, uint64_t addr, uint64_t count,
                   uint32_t need);

/* The VERSION JSON we offer, built with json-c: {"capabilities":{
 * "max_msg_fds":N,"max_data_xfer_size":N[,"twin_socket":{"supported":true}]}}.
 * Writes it NUL-terminated into buf; returns its length with the NUL, or
 * -ENOSPC / -ENOMEM. */
int vuc_version_build(uint32_t max_msg_fds, uint32_t max_data_xfer_size, bool offer_twin, char *buf,
                      size_t cap);

/* Decodes a VERSION reply (the whole payload: major, minor, JSON). major must
 * be 0 and minor <= proposed_minor (-ENOTSUP otherwise); the JSON must be a
 * NUL-terminated object with a "capabilities" object (-EPROTO otherwise);
 * known capabilities must have the right JSON type and range (-EPROTO).
 * *twin_fd_index is -1 unless the server agreed to the twin socket. */
int vuc_version_parse(const uint8_t *payload, size_t len, uint16_t proposed_minor,
                      struct vuc_server_caps *caps, int *twin_fd_index);

/* Decodes the capability chain of a DEVICE_GET_REGION_INFO reply payload
 * (struct vu_region_info then caps, len bytes) into out (fd set to -1).
 * Caps are walked only when flags has CAPS; cap_offset/next must lie inside
 * the payload, after the 32-byte info, strictly increasing (no loops), each
 * cap whole: -EPROTO otherwise. Unknown cap ids are skipped. */
/* Also -EPROTO: a mappable region whose offset + size wraps, a sparse area
 * outside the region. */
int vuc_parse_region_info(const uint8_t *payload, size_t len, struct vuc_region *out);

#ifdef __cplusplus
}
#endif

#endif /* VFIO_USER_CLIENT_PARSE_H */
