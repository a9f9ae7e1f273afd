/* A vfio-user server that speaks the protocol correctly up to a chosen point
 * and then breaks it on purpose (--mode NAME, listed by --help). The device
 * behind it is the smallest a client can enumerate: a type-0 config space
 * with one 4 KiB memory BAR0 that reads as a counter pattern, no
 * capabilities, no interrupts, no twin socket unless a mode offers one.
 * Unlike tests/faults/fault_peer (a relay that mutates a real server's
 * messages) it writes every message itself, so it can send what no real
 * server would: absurd counts, wrapping regions, capability loops, half
 * messages, floods. Serves one connection, then exits 0. */
#include <vfio_user/mig_states.h>
#include <vfio_user/proto.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "hostile_modes.h"

#define BAR0_SIZE 0x1000u
#define CFG_SIZE 4096u /* what the cfg-ext-* modes offer; the rest 256 */
/* Commands from the client are small: bigger means the stream is garbage. */
#define MAX_CMD_BODY (2u * 1024u * 1024u)
#define MAX_QUEUED 64
/* The migrating device: STOP_COPY|PRE_COPY, like libvfio-user's samples,
 * and 16 bytes of device state (0xa0, 0xa1, ...) handed over in STOP_COPY. */
#define MIG_FLAGS (VU_MIGRATION_STOP_COPY | VU_MIGRATION_PRE_COPY)
#define MIG_STATE_BYTES 16u
/* Exit status of the mig-die-* modes: a death the suite tells from a crash. */
#define MIG_DIE_STATUS 3

struct msg {
    struct vu_hdr hdr;
    uint8_t *body;
};

/* Receive side: every byte read goes through one framer, so a send that
 * has to wait (a flood) can keep reading without losing message bounds.
 * Replies (to our DMA commands) are skipped; commands are queued whole. */
struct rx {
    uint8_t hdr[sizeof(struct vu_hdr)];
    size_t hdr_have;
    struct msg cur;
    size_t body_have, body_len;
    bool skipping;
    struct msg queue[MAX_QUEUED];
    int head, count;
    bool eof;
};

struct server {
    enum hostile_mode mode;
    int fd;
    uint8_t cfg[CFG_SIZE];
    uint16_t next_cmd_id;
    bool fired; /* the misbehaviour that happens once has happened */
    struct rx rx;
    uint32_t mig_state;   /* enum vu_mig_state */
    uint32_t mig_left;    /* bytes of STOP_COPY data not yet read */
    uint32_t mig_written; /* bytes written in RESUMING */
};

static void put_le(uint8_t *p, uint64_t v, unsigned n) {
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static bool ext_mode(enum hostile_mode m) {
    return m == HM_CFG_EXT_LOOP || m == HM_CFG_EXT_LOW || m == HM_CFG_EXT_UNALIGNED;
}

static uint32_t cfg_size(const struct server *s) {
    return ext_mode(s->mode) ? CFG_SIZE : 256u;
}

/* The cfg-ext-* modes: a PCIe capability at 0x40 (ID 0x10, the end of the
 * list; Status bit 4 says there is a list) and a chain from 0x100 that the
 * next pointers (bits 31:20) break. */
static void init_ext_caps(uint8_t *cfg, enum hostile_mode m) {
    put_le(cfg + 0x06, 0x0010, 2);
    cfg[0x34] = 0x40;
    put_le(cfg + 0x40, 0x0002 << 16 | 0x10, 4); /* PCIe cap v2, endpoint */
    if (m == HM_CFG_EXT_LOOP) {
        put_le(cfg + 0x100, 0x14010003u, 4); /* DSN v1, next 0x140 */
        put_le(cfg + 0x140, 0x1001000bu, 4); /* VSEC v1, next 0x100 */
    } else if (m == HM_CFG_EXT_LOW) {
        put_le(cfg + 0x100, 0x0c010001u, 4); /* AER v1, next 0x0c0 */
    } else {
        put_le(cfg + 0x100, 0x14210001u, 4); /* AER v1, next 0x142 */
    }
}

static void init_config(uint8_t *cfg, enum hostile_mode m) {
    memset(cfg, 0, CFG_SIZE);
    put_le(cfg + 0x00, 0x1234, 2);     /* vendor */
    put_le(cfg + 0x02, 0x4057, 2);     /* device */
    put_le(cfg + 0x08, 0xff000001, 4); /* class ff, revision 1 */
    if (ext_mode(m))
        init_ext_caps(cfg, m);
    if (m == HM_CFG_BAR5_64)
        put_le(cfg + 0x24, 0x4, 4); /* memory, type 10b: 64-bit */
}

/* ---- Receiving ------------------------------------------------------------ */

static void close_fds(struct msghdr *mh) {
    for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < n; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            close(fd);
        }
    }
}

/* Feeds bytes to the framer. Returns -1 on a stream it cannot frame. */
static int frame(struct rx *rx, const uint8_t *p, size_t n) {
    while (n > 0) {
        if (rx->hdr_have < sizeof(rx->hdr)) {
            size_t take = sizeof(rx->hdr) - rx->hdr_have;
            take = take < n ? take : n;
            memcpy(rx->hdr + rx->hdr_have, p, take);
            rx->hdr_have += take, p += take, n -= take;
            if (rx->hdr_have < sizeof(rx->hdr))
                return 0;
            memcpy(&rx->cur.hdr, rx->hdr, sizeof(rx->hdr));
            uint32_t size = rx->cur.hdr.msg_size;
            if (size < sizeof(rx->hdr) || size - sizeof(rx->hdr) > MAX_CMD_BODY)
                return -1;
            rx->body_len = size - sizeof(rx->hdr);
            rx->body_have = 0;
            rx->skipping =
                (rx->cur.hdr.flags & VU_F_TYPE_MASK) == VU_F_TYPE_REPLY || rx->count == MAX_QUEUED;
            rx->cur.body = rx->skipping ? NULL : calloc(1, rx->body_len + 1);
            if (!rx->skipping && !rx->cur.body)
                return -1;
        }
        size_t take = rx->body_len - rx->body_have;
        take = take < n ? take : n;
        if (!rx->skipping)
            memcpy(rx->cur.body + rx->body_have, p, take);
        rx->body_have += take, p += take, n -= take;
        if (rx->body_have < rx->body_len)
            return 0;
        if (!rx->skipping) {
            rx->queue[(rx->head + rx->count) % MAX_QUEUED] = rx->cur;
            rx->count++;
            rx->cur.body = NULL;
        }
        rx->hdr_have = 0;
    }
    return 0;
}

/* One read; wait: block until something comes. Returns -1 at EOF/error. */
static int pump(struct server *s, bool wait) {
    static _Thread_local uint8_t buf[65536];
    char ctl[CMSG_SPACE(sizeof(int) * 16)];
    struct iovec iov = {buf, sizeof buf};
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
    ssize_t n = recvmsg(s->fd, &mh, MSG_CMSG_CLOEXEC | (wait ? 0 : MSG_DONTWAIT));
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;
    if (n <= 0) {
        s->rx.eof = true;
        return -1;
    }
    close_fds(&mh);
    return frame(&s->rx, buf, (size_t)n) < 0 ? (s->rx.eof = true, -1) : 0;
}

/* The next command, or false at EOF. */
static bool next_command(struct server *s, struct msg *m) {
    while (s->rx.count == 0)
        if (pump(s, true) < 0)
            return false;
    *m = s->rx.queue[s->rx.head];
    s->rx.head = (s->rx.head + 1) % MAX_QUEUED;
    s->rx.count--;
    return true;
}

/* ---- Sending -------------------------------------------------------------- */

/* Sends all of it, reading whatever the client sends meanwhile (its replies
 * to a flood would otherwise fill our receive buffer and stop it). */
static int send_all(struct server *s, const void *buf, size_t len, int fd) {
    const uint8_t *p = buf;
    while (len > 0) {
        char ctl[CMSG_SPACE(sizeof(int))];
        struct iovec iov = {(void *)p, len};
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
        if (fd >= 0) {
            memset(ctl, 0, sizeof ctl);
            mh.msg_control = ctl;
            mh.msg_controllen = sizeof ctl;
            struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
            c->cmsg_level = SOL_SOCKET;
            c->cmsg_type = SCM_RIGHTS;
            c->cmsg_len = CMSG_LEN(sizeof(int));
            memcpy(CMSG_DATA(c), &fd, sizeof(int));
        }
        ssize_t n = sendmsg(s->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            p += n, len -= (size_t)n, fd = -1;
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EINTR)
            return -1;
        struct pollfd pfd = {s->fd, POLLIN | POLLOUT, 0};
        if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
            return -1;
        if ((pfd.revents & POLLIN) && pump(s, false) < 0)
            return -1;
        if (pfd.revents & (POLLERR | POLLHUP))
            return -1;
    }
    return 0;
}

/* copies: 2 sends the message twice in one write, so the client reads both
 * at once (a duplicate that does not depend on timing). */
static int send_copies(struct server *s, const struct vu_hdr *h, const void *body, size_t len,
                       int fd, unsigned copies) {
    size_t one = sizeof *h + len;
    uint8_t *m = malloc(one * copies);
    if (!m)
        return -1;
    for (unsigned i = 0; i < copies; i++) {
        memcpy(m + i * one, h, sizeof *h);
        if (len)
            memcpy(m + i * one + sizeof *h, body, len);
    }
    int rc = send_all(s, m, one * copies, fd);
    free(m);
    return rc;
}

static int send_msg(struct server *s, uint16_t id, uint16_t cmd, uint32_t flags, uint32_t err,
                    const void *body, size_t len, int fd) {
    struct vu_hdr h = {.msg_id = id,
                       .cmd = cmd,
                       .msg_size = (uint32_t)(sizeof h + len),
                       .flags = flags,
                       .error_no = err};
    return send_copies(s, &h, body, len, fd, 1);
}

static int reply(struct server *s, const struct msg *req, const void *body, size_t len, int fd) {
    return send_msg(s, req->hdr.msg_id, req->hdr.cmd, VU_F_TYPE_REPLY, 0, body, len, fd);
}

static int reply_twice(struct server *s, const struct msg *req, const void *body, size_t len) {
    struct vu_hdr h = {.msg_id = req->hdr.msg_id,
                       .cmd = req->hdr.cmd,
                       .msg_size = (uint32_t)(sizeof h + len),
                       .flags = VU_F_TYPE_REPLY};
    return send_copies(s, &h, body, len, -1, 2);
}

static int reply_error(struct server *s, const struct msg *req, uint32_t err) {
    return send_msg(s, req->hdr.msg_id, req->hdr.cmd, VU_F_TYPE_REPLY | VU_F_ERROR, err, NULL, 0,
                    -1);
}

/* The header of a reply promising `len` bytes, then nothing: a stall. */
static int reply_header_only(struct server *s, const struct msg *req, size_t len) {
    struct vu_hdr h = {.msg_id = req->hdr.msg_id,
                       .cmd = req->hdr.cmd,
                       .msg_size = (uint32_t)(sizeof h + len),
                       .flags = VU_F_TYPE_REPLY};
    return send_all(s, &h, sizeof h, -1);
}

/* Stays connected and silent until the client gives up (EOF). */
static int stall(struct server *s) {
    while (pump(s, true) == 0)
        ;
    return -1;
}

/* ---- The device, and where each mode breaks it ------------------------- */

static int on_version(struct server *s, const struct msg *m) {
    char json[512];
    const char *fmt;
    switch (s->mode) {
    case HM_VERSION_BAD_JSON:
        fmt = "{\"capabilities\":{\"max_msg_fds\":8,";
        break;
    case HM_VERSION_HUGE_FDS:
        fmt = "{\"capabilities\":{\"max_msg_fds\":4294967295,\"max_data_xfer_size\":1048576}}";
        break;
    case HM_VERSION_HUGE_XFER:
        fmt = "{\"capabilities\":{\"max_data_xfer_size\":18446744073709551615}}";
        break;
    case HM_VERSION_TWIN_NO_FD:
    case HM_VERSION_TWIN_LOOP:
        fmt = "{\"capabilities\":{\"twin_socket\":{\"supported\":true,\"fd_index\":0}}}";
        break;
    case HM_VERSION_TWIN_BAD_INDEX:
        fmt = "{\"capabilities\":{\"twin_socket\":{\"supported\":true,\"fd_index\":3}}}";
        break;
    case HM_VERSION_STALL:
        return reply_header_only(s, m, 64) < 0 ? -1 : stall(s);
    case HM_VERSION_EOF:
        return -1;
    case HM_VERSION_CRASH:
        /* A crash that takes a moment (a core dump, a dying runtime): the
         * client sees the EOF before the process is gone. */
        fprintf(stderr, "hostile_server: crashing on VERSION\n");
        close(s->fd);
        usleep(100 * 1000);
        abort();
    default:
        fmt = hostile_mode_migrates(s->mode)
                  ? "{\"capabilities\":{\"max_msg_fds\":8,\"max_data_xfer_size\":1048576,"
                    "\"migration\":{\"pgsize\":4096}}}"
                  : "{\"capabilities\":{\"max_msg_fds\":8,\"max_data_xfer_size\":1048576}}";
    }
    struct vu_version v = {.major = VU_VERSION_MAJOR, .minor = VU_VERSION_MINOR};
    uint8_t body[sizeof v + sizeof json];
    size_t n = strlen(fmt) + 1;
    memcpy(body, &v, sizeof v);
    memcpy(body + sizeof v, fmt, n);
    /* The loop: our end of the main socket, handed back as the twin. */
    int fd = s->mode == HM_VERSION_TWIN_LOOP || s->mode == HM_VERSION_TWIN_BAD_INDEX ? s->fd : -1;
    if (s->mode == HM_VERSION_DUP)
        return reply_twice(s, m, body, sizeof v + n);
    return reply(s, m, body, sizeof v + n, fd);
}

static int on_device_info(struct server *s, const struct msg *m) {
    struct vu_device_info i = {.argsz = sizeof i,
                               .flags = VU_DEV_F_PCI | VU_DEV_F_RESET,
                               .num_regions = VU_PCI_NUM_REGIONS,
                               .num_irqs = VU_PCI_NUM_IRQS};
    if (s->mode == HM_INFO_REGIONS_2G)
        i.num_regions = 0x80000000u;
    if (s->mode == HM_INFO_IRQS_2G)
        i.num_irqs = 0x80000000u;
    if (s->mode == HM_INFO_EOF)
        return -1;
    if (s->mode == HM_INFO_STALL)
        return reply_header_only(s, m, sizeof i) < 0 ? -1 : stall(s);
    return reply(s, m, &i, sizeof i, -1);
}

/* A region whose caps chain is broken: one cap at 32 pointing at itself, or
 * a cap offset far past the end of the reply. */
static int region_bad_caps(struct server *s, const struct msg *m, struct vu_region_info *r) {
    uint8_t body[sizeof *r + sizeof(struct vu_region_cap_type)];
    struct vu_region_cap_type t = {
        .header = {.id = VU_REGION_CAP_TYPE, .version = 1, .next = sizeof *r}, .type = 1};
    r->flags |= VU_REGION_F_CAPS;
    r->cap_offset = s->mode == HM_REGION_CAPS_LOOP ? sizeof *r : 0x10000;
    r->argsz = sizeof body;
    memcpy(body, r, sizeof *r);
    memcpy(body + sizeof *r, &t, sizeof t);
    return reply(s, m, body, sizeof body, -1);
}

/* BAR0 offered for mmap at an offset where offset + size wraps. */
static int region_wrap(struct server *s, const struct msg *m, struct vu_region_info *r) {
    int fd = memfd_create("hostile-bar0", MFD_CLOEXEC);
    if (fd < 0)
        return -1;
    r->flags |= VU_REGION_F_MMAP;
    r->offset = 0xfffffffffffff000ull;
    int rc = reply(s, m, r, sizeof *r, fd);
    close(fd);
    return rc;
}

/* The fd a bad mmap offer sends: an empty memfd (mmap-fd-short), a memfd
 * sealed against writes (mmap-fd-unmappable: a shared writable mapping is
 * refused), else a memfd as large as BAR0. */
static int mmap_offer_fd(const struct server *s) {
    int fd = memfd_create("hostile-bar0", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0 || s->mode == HM_MMAP_FD_SHORT)
        return fd;
    if (ftruncate(fd, BAR0_SIZE) < 0 ||
        (s->mode == HM_MMAP_FD_UNMAPPABLE && fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE) < 0)) {
        close(fd);
        return -1;
    }
    return fd;
}

/* BAR0 offered for mmap in a way a client must refuse: an area outside the
 * region or not page aligned, no fd, an fd too short or not mappable. */
static int region_bad_mmap(struct server *s, const struct msg *m, struct vu_region_info *r,
                           uint32_t argsz) {
    struct vu_region_cap_sparse_mmap cap = {
        .header = {.id = VU_REGION_CAP_SPARSE_MMAP, .version = 1}, .nr_areas = 1};
    struct vu_sparse_mmap_area a = {.offset = 0, .size = BAR0_SIZE};
    if (s->mode == HM_MMAP_AREA_OUTSIDE)
        a.offset = BAR0_SIZE;
    if (s->mode == HM_MMAP_UNALIGNED)
        a = (struct vu_sparse_mmap_area){.offset = 0x10, .size = 0x100};
    uint8_t body[sizeof *r + sizeof cap + sizeof a];
    r->flags |= VU_REGION_F_MMAP;
    r->argsz = sizeof body;
    if (argsz < sizeof body) /* as libvfio-user: the size needed, no caps */
        return reply(s, m, r, sizeof *r, -1);
    r->flags |= VU_REGION_F_CAPS;
    r->cap_offset = sizeof *r;
    memcpy(body, r, sizeof *r);
    memcpy(body + sizeof *r, &cap, sizeof cap);
    memcpy(body + sizeof *r + sizeof cap, &a, sizeof a);
    int fd = s->mode == HM_MMAP_NO_FD ? -1 : mmap_offer_fd(s);
    if (s->mode != HM_MMAP_NO_FD && fd < 0)
        return -1;
    int rc = reply(s, m, body, sizeof body, fd);
    if (fd >= 0)
        close(fd);
    return rc;
}

static int on_region_info(struct server *s, const struct msg *m) {
    struct vu_region_info q = {0};
    memcpy(&q, m->body, m->hdr.msg_size - sizeof m->hdr < sizeof q ? 0 : sizeof q);
    struct vu_region_info r = {.argsz = sizeof r, .index = q.index};
    if (q.index == VU_PCI_BAR0_REGION) {
        r.size = BAR0_SIZE;
        r.flags = VU_REGION_F_READ | VU_REGION_F_WRITE;
    } else if (q.index == VU_PCI_CONFIG_REGION) {
        r.size = cfg_size(s);
        r.flags = VU_REGION_F_READ | VU_REGION_F_WRITE;
    }
    bool first = q.index == VU_PCI_BAR0_REGION;
    switch (first ? s->mode : HM_OK) {
    case HM_REGION_CAPS_LOOP:
    case HM_REGION_CAPS_OUTSIDE:
        return region_bad_caps(s, m, &r);
    case HM_REGION_WRAP:
        return region_wrap(s, m, &r);
    case HM_MMAP_AREA_OUTSIDE:
    case HM_MMAP_NO_FD:
    case HM_MMAP_FD_SHORT:
    case HM_MMAP_UNALIGNED:
    case HM_MMAP_FD_UNMAPPABLE:
        return region_bad_mmap(s, m, &r, q.argsz);
    case HM_REGION_EOF:
        return -1;
    case HM_REGION_ERRNO0:
        return reply_error(s, m, 0);
    case HM_REGION_ERRNO_BIG:
        return reply_error(s, m, 5000);
    case HM_REGION_DUP:
        return reply_twice(s, m, &r, sizeof r);
    default:
        break;
    }
    return reply(s, m, &r, sizeof r, -1);
}

static int on_irq_info(struct server *s, const struct msg *m) {
    struct vu_irq_info q = {0};
    memcpy(&q, m->body, m->hdr.msg_size - sizeof m->hdr < sizeof q ? 0 : sizeof q);
    struct vu_irq_info r = {.argsz = sizeof r, .flags = VU_IRQ_INFO_F_EVENTFD, .index = q.index};
    return reply(s, m, &r, sizeof r, -1);
}

static int config_read(struct server *s, const struct vu_region_access *a, uint8_t *out) {
    if (a->offset > cfg_size(s) || a->count > cfg_size(s) - a->offset)
        return -1;
    memcpy(out, s->cfg + a->offset, a->count);
    return 0;
}

static void config_write(struct server *s, const struct vu_region_access *a, const uint8_t *d) {
    uint32_t v = 0;
    for (unsigned i = 0; i < a->count && i < 4; i++)
        v |= (uint32_t)d[i] << (8 * i);
    if (a->offset == 0x10 && a->count == 4) { /* BAR0: a 4 KiB memory BAR */
        /* cfg-bar-not-pow2: bit 13 reads back 0, a mask no power of two has */
        uint32_t mask = s->mode == HM_CFG_BAR_NOT_POW2 ? 0xffffd000u : ~(BAR0_SIZE - 1);
        put_le(s->cfg + 0x10, v & mask, 4);
    } else if (a->offset == 0x24 && a->count == 4 && s->mode == HM_CFG_BAR5_64) {
        put_le(s->cfg + 0x24, (v & ~0xfffu) | 0x4, 4);
    } else if (a->offset == 0x30 && a->count == 4 && s->mode == HM_CFG_ROM_NOT_POW2) {
        put_le(s->cfg + 0x30, v & 0xffffe801u, 4); /* bit 12 stuck at 0 */
    } else if (a->offset == 0x04 && a->count <= 2) {
        memcpy(s->cfg + 0x04, d, a->count);
    }
}

/* The server's own commands, sent on the main socket before it answers the
 * first BAR0 read. */
static int send_dma(struct server *s, uint16_t cmd, uint64_t addr, uint64_t count) {
    size_t data = cmd == VU_CMD_DMA_WRITE ? count : 0;
    uint8_t *body = calloc(1, sizeof(struct vu_dma_access) + data);
    if (!body)
        return -1;
    struct vu_dma_access a = {.addr = addr, .count = count};
    memcpy(body, &a, sizeof a);
    int rc = send_msg(s, s->next_cmd_id++, cmd, VU_F_TYPE_COMMAND, 0, body, sizeof a + data, -1);
    free(body);
    return rc;
}

static int misbehave_on_bar_read(struct server *s, const struct msg *m, size_t len) {
    const struct hostile_flood *f = hostile_flood_of(s->mode);
    for (unsigned i = 0; f && i < f->count; i++) {
        int rc = f->cmd == VU_CMD_DMA_READ || f->cmd == VU_CMD_DMA_WRITE
                     ? send_dma(s, f->cmd, f->addr, f->bytes)
                     : send_msg(s, s->next_cmd_id++, f->cmd, VU_F_TYPE_COMMAND, 0, NULL, 0, -1);
        if (rc < 0)
            return -1;
    }
    switch (s->mode) {
    case HM_READ_ERRNO0:
        return reply_error(s, m, 0);
    case HM_READ_ERRNO_BIG:
        return reply_error(s, m, 5000);
    case HM_READ_STALL:
        return reply_header_only(s, m, len) < 0 ? -1 : stall(s);
    case HM_READ_EOF: { /* half the reply, then gone */
        struct vu_hdr h = {m->hdr.msg_id, m->hdr.cmd, (uint32_t)(sizeof h + len), VU_F_TYPE_REPLY,
                           0};
        send_all(s, &h, sizeof h, -1);
        send_all(s, m->body, sizeof(struct vu_region_access) / 2, -1);
        return -1;
    }
    case HM_ENUM_EOF:
        return -1;
    default:
        return 1; /* answer as usual */
    }
}

static int on_region_read(struct server *s, const struct msg *m) {
    struct vu_region_access a = {0};
    if (m->hdr.msg_size - sizeof m->hdr >= sizeof a)
        memcpy(&a, m->body, sizeof a);
    size_t len = sizeof a + a.count;
    if (a.count > MAX_CMD_BODY)
        return reply_error(s, m, EINVAL);
    if (a.region == VU_PCI_BAR0_REGION && !s->fired) {
        s->fired = true;
        int rc = misbehave_on_bar_read(s, m, len);
        if (rc <= 0)
            return rc;
    }
    uint8_t *body = calloc(1, len);
    if (!body)
        return -1;
    memcpy(body, &a, sizeof a);
    int rc = 0;
    if (a.region == VU_PCI_CONFIG_REGION)
        rc = config_read(s, &a, body + sizeof a);
    else if (a.region != VU_PCI_BAR0_REGION || a.offset > BAR0_SIZE ||
             a.count > BAR0_SIZE - a.offset)
        rc = -1;
    for (uint32_t i = 0; a.region == VU_PCI_BAR0_REGION && rc == 0 && i < a.count; i++)
        body[sizeof a + i] = (uint8_t)(a.offset + i);
    bool twice = s->mode == HM_READ_DUP && a.region == VU_PCI_BAR0_REGION;
    if (rc < 0)
        rc = reply_error(s, m, EINVAL);
    else
        rc = twice ? reply_twice(s, m, body, len) : reply(s, m, body, len, -1);
    free(body);
    return rc;
}

static int on_region_write(struct server *s, const struct msg *m) {
    struct vu_region_access a = {0};
    size_t len = m->hdr.msg_size - sizeof m->hdr;
    if (len < sizeof a)
        return reply_error(s, m, EINVAL);
    memcpy(&a, m->body, sizeof a);
    if (a.count != len - sizeof a)
        return reply_error(s, m, EINVAL);
    if (a.region == VU_PCI_CONFIG_REGION)
        config_write(s, &a, m->body + sizeof a);
    return reply(s, m, &a, sizeof a, -1);
}

static int on_dma_unmap(struct server *s, const struct msg *m) {
    struct vu_dma_unmap u = {0};
    if (m->hdr.msg_size - sizeof m->hdr >= sizeof u)
        memcpy(&u, m->body, sizeof u);
    return reply(s, m, &u, sizeof u, -1);
}

/* ---- Migration v2 (the mig-* modes) ------------------------------------ */

static int reply_feature(struct server *s, const struct msg *m, uint32_t flags, const void *data,
                         size_t len) {
    uint8_t body[sizeof(struct vu_device_feature) + 16];
    struct vu_device_feature f = {.argsz = (uint32_t)(sizeof f + len), .flags = flags};
    memcpy(body, &f, sizeof f);
    if (len)
        memcpy(body + sizeof f, data, len);
    return reply(s, m, body, sizeof f + len, -1);
}

static int mig_get_state(struct server *s, const struct msg *m, uint32_t flags) {
    struct vu_feature_mig_state st = {.device_state = s->mig_state, .data_fd = 0};
    if (s->mode == HM_MIG_ILLEGAL_JUMP && s->mig_state == VU_MIG_STATE_PRE_COPY)
        st.device_state = VU_MIG_STATE_RESUMING;
    if (s->mode == HM_MIG_STATE_BOGUS)
        st.device_state = 9;
    return reply_feature(s, m, flags, &st, sizeof st);
}

/* A SET along VFIO's arcs (a combination through STOP is fine; what no
 * path reaches is refused with EINVAL, as libvfio-user does), echoed. */
static int mig_set_state(struct server *s, const struct msg *m, uint32_t flags, size_t len) {
    struct vu_feature_mig_state st;
    if (len < sizeof(struct vu_device_feature) + sizeof st)
        return reply_error(s, m, EINVAL);
    memcpy(&st, m->body + sizeof(struct vu_device_feature), sizeof st);
    uint32_t to = st.device_state;
    if (vu_mig_next_step(s->mig_state, to, MIG_FLAGS) == VU_MIG_STATE_ERROR)
        return reply_error(s, m, EINVAL);
    bool stopping = to == VU_MIG_STATE_STOP || to == VU_MIG_STATE_STOP_COPY;
    if (s->mode == HM_MIG_QUIESCE_STALL && stopping)
        return stall(s); /* the device never finishes quiescing */
    if (to == VU_MIG_STATE_STOP_COPY && s->mig_state != VU_MIG_STATE_STOP_COPY)
        s->mig_left = MIG_STATE_BYTES;
    if (to == VU_MIG_STATE_RESUMING)
        s->mig_written = 0;
    s->mig_state = to;
    if (s->mode == HM_MIG_BAD_STATE && to == VU_MIG_STATE_STOP_COPY)
        st.device_state = VU_MIG_STATE_RUNNING;
    return reply_feature(s, m, flags, &st, sizeof st);
}

static int on_feature(struct server *s, const struct msg *m) {
    struct vu_device_feature f = {0};
    size_t len = m->hdr.msg_size - sizeof m->hdr;
    if (!hostile_mode_migrates(s->mode))
        return reply_error(s, m, ENOSYS);
    if (len < sizeof f)
        return reply_error(s, m, EINVAL);
    memcpy(&f, m->body, sizeof f);
    uint32_t feature = f.flags & VU_DEVICE_FEATURE_MASK;
    bool get = f.flags & VU_DEVICE_FEATURE_GET, set = f.flags & VU_DEVICE_FEATURE_SET;
    bool known =
        feature == VU_FEATURE_MIGRATION || feature == VU_FEATURE_MIG_DEVICE_STATE ||
        (feature >= VU_FEATURE_DMA_LOGGING_START && feature <= VU_FEATURE_DMA_LOGGING_REPORT);
    if (!known)
        return reply_error(s, m, EINVAL);
    if (f.flags & VU_DEVICE_FEATURE_PROBE)
        return reply_feature(s, m, f.flags, NULL, 0);
    if (feature == VU_FEATURE_MIGRATION && get) {
        uint64_t mf = MIG_FLAGS;
        return s->mode == HM_MIG_FEATURE_FAILS ? reply_error(s, m, EIO)
                                               : reply_feature(s, m, f.flags, &mf, sizeof mf);
    }
    if (feature == VU_FEATURE_MIG_DEVICE_STATE && get)
        return mig_get_state(s, m, f.flags);
    if (feature == VU_FEATURE_MIG_DEVICE_STATE && set)
        return mig_set_state(s, m, f.flags, len);
    /* Logging starts and stops (echoed), but there is no fd-backed window
     * to report on: libvfio-user's answer then is EINVAL (dirty_logging
     * seq 42-43). */
    if ((feature == VU_FEATURE_DMA_LOGGING_START || feature == VU_FEATURE_DMA_LOGGING_STOP) && set)
        return reply(s, m, m->body, len, -1);
    return reply_error(s, m, EINVAL);
}

/* Writes a MIG_DATA_READ reply: `size` said, `carried` bytes of state. */
static int mig_data_reply(struct server *s, const struct msg *m, uint32_t size, uint32_t carried) {
    uint8_t *body = calloc(1, sizeof(struct vu_mig_data) + carried);
    if (!body)
        return -1;
    struct vu_mig_data d = {.argsz = (uint32_t)sizeof d + size, .size = size};
    memcpy(body, &d, sizeof d);
    uint32_t done = MIG_STATE_BYTES - s->mig_left;
    for (uint32_t i = 0; i < carried; i++)
        body[sizeof d + i] = (uint8_t)(0xa0 + done + i);
    int rc = reply(s, m, body, sizeof d + carried, -1);
    free(body);
    return rc;
}

static int on_mig_data_read(struct server *s, const struct msg *m) {
    struct vu_mig_data q = {0};
    if (m->hdr.msg_size - sizeof m->hdr < sizeof q)
        return reply_error(s, m, EINVAL);
    memcpy(&q, m->body, sizeof q);
    bool stop_copy = s->mig_state == VU_MIG_STATE_STOP_COPY;
    if ((!stop_copy && s->mig_state != VU_MIG_STATE_PRE_COPY) || q.size == 0 ||
        q.size > MAX_CMD_BODY)
        return reply_error(s, m, EINVAL);
    if (s->mode == HM_MIG_DIE_SOURCE && stop_copy)
        exit(MIG_DIE_STATUS);
    uint32_t n = stop_copy ? (q.size < s->mig_left ? q.size : s->mig_left) : 0;
    switch (s->mode) {
    case HM_MIG_DATA_OVERFLOW:
        return mig_data_reply(s, m, q.size + 16, q.size + 16);
    case HM_MIG_DATA_SIZE_LIES:
        return mig_data_reply(s, m, 16, 8);
    case HM_MIG_DATA_EXCESS:
        return mig_data_reply(s, m, 16, q.size + 64);
    case HM_MIG_DATA_ENDLESS:
        return mig_data_reply(s, m, stop_copy ? q.size : 0, stop_copy ? q.size : 0);
    default:
        break;
    }
    int rc = mig_data_reply(s, m, n, n);
    s->mig_left -= n;
    return rc;
}

/* RESUMING takes the 16 bytes of state; more is refused (EINVAL), as
 * libvfio-user's sample refuses data past its end (migration_dest seq 42). */
static int on_mig_data_write(struct server *s, const struct msg *m) {
    struct vu_mig_data q = {0};
    size_t len = m->hdr.msg_size - sizeof m->hdr;
    if (len < sizeof q)
        return reply_error(s, m, EINVAL);
    memcpy(&q, m->body, sizeof q);
    if (s->mig_state != VU_MIG_STATE_RESUMING || q.size != len - sizeof q)
        return reply_error(s, m, EINVAL);
    if (s->mode == HM_MIG_DIE_DEST)
        exit(MIG_DIE_STATUS);
    if (s->mode == HM_MIG_WRITE_REFUSED || q.size > MIG_STATE_BYTES - s->mig_written)
        return reply_error(s, m, EINVAL);
    s->mig_written += q.size;
    return reply(s, m, NULL, 0, -1);
}

static int dispatch(struct server *s, const struct msg *m) {
    switch (m->hdr.cmd) {
    case VU_CMD_VERSION:
        return on_version(s, m);
    case VU_CMD_DEVICE_GET_INFO:
        return on_device_info(s, m);
    case VU_CMD_DEVICE_GET_REGION_INFO:
        return on_region_info(s, m);
    case VU_CMD_DEVICE_GET_IRQ_INFO:
        return on_irq_info(s, m);
    case VU_CMD_REGION_READ:
        return on_region_read(s, m);
    case VU_CMD_REGION_WRITE:
        return on_region_write(s, m);
    case VU_CMD_DMA_UNMAP:
        return on_dma_unmap(s, m);
    case VU_CMD_DMA_MAP:
        if (s->mode == HM_DMA_MAP_REFUSED)
            return reply_error(s, m, EPERM);
        return reply(s, m, NULL, 0, -1);
    case VU_CMD_DEVICE_FEATURE:
        return on_feature(s, m);
    case VU_CMD_MIG_DATA_READ:
        return on_mig_data_read(s, m);
    case VU_CMD_MIG_DATA_WRITE:
        return on_mig_data_write(s, m);
    case VU_CMD_DEVICE_RESET:
        s->mig_state = VU_MIG_STATE_RUNNING; /* a reset ends any migration */
        return reply(s, m, NULL, 0, -1);
    case VU_CMD_DEVICE_SET_IRQS:
        return reply(s, m, NULL, 0, -1);
    default:
        return reply_error(s, m, ENOSYS);
    }
}

/* ---- Main ----------------------------------------------------------------- */

/* Bound under a temporary name and renamed once listening, so a client
 * that sees PATH can connect (a socket bound but not yet listening refuses). */
/* Bound under a temporary name and renamed, so the path appears only once
 * it listens (the suite waits for the file); `in_place` binds the path
 * itself, as servers do, for a harness that watches /proc/net/unix. */
static int listen_on(const char *path, bool in_place) {
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (strlen(path) + 4 >= sizeof a.sun_path)
        return -1;
    if (in_place) {
        snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0 && (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 1) < 0)) {
            close(fd);
            return -1;
        }
        return fd;
    }
    snprintf(a.sun_path, sizeof a.sun_path, "%s.tmp", path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    unlink(a.sun_path);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 1) < 0 ||
        rename(a.sun_path, path) < 0) {
        if (fd >= 0)
            close(fd);
        unlink(a.sun_path);
        return -1;
    }
    return fd;
}

static void serve(struct server *s) {
    struct msg m;
    while (next_command(s, &m)) {
        int rc = (m.hdr.flags & VU_F_TYPE_MASK) == VU_F_TYPE_COMMAND ? dispatch(s, &m) : 0;
        free(m.body);
        if (rc < 0)
            return;
    }
}

static void usage(FILE *f) {
    fprintf(f, "usage: hostile_server --mode NAME --socket PATH [--in-place]\n"
               "  --in-place  bind PATH itself (default: bind PATH.tmp, rename once listening)\n"
               "modes:\n");
    hostile_list_modes(f);
}

int main(int argc, char **argv) {
    const char *mode = "ok", *path = NULL;
    bool in_place = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--in-place") == 0)
            in_place = true;
        else if (strcmp(argv[i], "--mode") == 0 && i + 1 < argc)
            mode = argv[++i];
        else if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc)
            path = argv[++i];
        else {
            usage(strcmp(argv[i], "--help") == 0 ? stdout : stderr);
            return strcmp(argv[i], "--help") == 0 ? 0 : 2;
        }
    }
    struct server s = {.fd = -1, .mig_state = VU_MIG_STATE_RUNNING};
    if (!path || hostile_mode_parse(mode, &s.mode) < 0) {
        usage(stderr);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    init_config(s.cfg, s.mode);
    int lfd = listen_on(path, in_place);
    if (lfd < 0) {
        perror("hostile_server: listen");
        return 2;
    }
    s.fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    close(lfd);
    unlink(path);
    if (s.fd < 0)
        return 2;
    serve(&s);
    close(s.fd);
    while (s.rx.count > 0) {
        free(s.rx.queue[s.rx.head].body);
        s.rx.head = (s.rx.head + 1) % MAX_QUEUED;
        s.rx.count--;
    }
    free(s.rx.cur.body);
    return 0;
}
