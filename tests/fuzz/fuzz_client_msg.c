/*
 * Everything a server can send the client, through the client's pure
 * parsers in the order the client core applies them: header, then a reply
 * (decoded against a request, with the fd count checked) or a server command
 * (DMA_READ/DMA_WRITE, looked up in a map table).
 *
 * Input: byte 0 = flags (bits 0-1: fds arriving with the message, bit 2:
 * twin socket offered), byte 1 = length R of the request the reply answers,
 * R bytes of that request's payload, then the message as it came off the
 * socket (header and payload). The request comes from the input so the echo
 * checks are reached too.
 */
#include <stdint.h>
#include <string.h>

#include "vfio_user/client_parse.h"

#define MAX_MSG (1u << 20)
#define MAX_XFER (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_reply(const struct vu_hdr *h, const uint8_t *payload, size_t len,
                        const uint8_t *req, size_t req_len, unsigned nfds, bool twin) {
    struct vuc_reply_msg r;
    memset(&r, 0, sizeof(r));
    if (vuc_parse_reply(h, payload, len, h->cmd, req, req_len, &r) < 0 || r.status != 0) {
        return;
    }
    (void)(nfds <= vuc_reply_fds_allowed(h->cmd, &r, twin));
    if (h->cmd == VU_CMD_VERSION) {
        struct vuc_server_caps caps;
        int twin_index = -1;
        memset(&caps, 0, sizeof(caps));
        (void)vuc_version_parse(payload, len, VU_VERSION_MINOR, &caps, &twin_index);
    }
    if (h->cmd == VU_CMD_DEVICE_GET_REGION_INFO) {
        struct vuc_region region;
        memset(&region, 0, sizeof(region));
        (void)vuc_parse_region_info(payload, len, &region);
    }
    if (r.data != NULL && r.data_len > 0) {
        /* The decoded view must lie inside the payload: touch both ends. */
        volatile uint8_t first = r.data[0], last = r.data[r.data_len - 1];
        (void)first, (void)last;
    }
}

static void check_server_cmd(const struct vu_hdr *h, const uint8_t *payload, size_t len) {
    static uint8_t mem[2][4096];
    const struct vuc_map maps[2] = {
        {.iova = 0x10000000, .size = sizeof(mem[0]), .prot = VU_DMA_MAP_F_READ, .vaddr = mem[0]},
        {.iova = 0x10001000,
         .size = sizeof(mem[1]),
         .prot = VU_DMA_MAP_F_READ | VU_DMA_MAP_F_WRITE,
         .vaddr = mem[1]},
    };
    struct vuc_server_cmd c;
    if (vuc_parse_server_cmd(h, payload, len, MAX_XFER, &c) < 0) {
        return;
    }
    uint32_t need = c.cmd == VU_CMD_DMA_READ ? VU_DMA_MAP_F_READ : VU_DMA_MAP_F_WRITE;
    int i = vuc_map_lookup(maps, 2, c.addr, c.count, need);
    if (i < 0) {
        return;
    }
    /* What the client core then does: copy inside the found mapping only. */
    uint8_t *at = maps[i].vaddr + (c.addr - maps[i].iova);
    if (c.cmd == VU_CMD_DMA_WRITE) {
        memcpy(at, c.data, c.count);
    } else {
        volatile uint8_t edge = at[c.count - 1];
        (void)edge;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) {
        return 0;
    }
    unsigned nfds = data[0] & 3u;
    bool twin = (data[0] & 4u) != 0;
    size_t req_len = data[1];
    if (size < 2 + req_len) {
        return 0;
    }
    const uint8_t *req = data + 2;
    const uint8_t *msg = req + req_len;
    size_t msg_len = size - 2 - req_len;

    struct vu_hdr h;
    if (vuc_parse_hdr(msg, msg_len, MAX_MSG, &h) < 0) {
        return 0;
    }
    /* The client reads exactly msg_size bytes; a shorter input is a short read. */
    if (h.msg_size > msg_len) {
        return 0;
    }
    const uint8_t *payload = msg + sizeof(h);
    size_t len = h.msg_size - sizeof(h);
    if (vuc_hdr_is_reply(&h)) {
        check_reply(&h, payload, len, req, req_len, nfds, twin);
    } else {
        check_server_cmd(&h, payload, len);
    }
    return 0;
}
