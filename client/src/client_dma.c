/*
 * DMA: the client's map table, DMA_MAP/DMA_UNMAP, and the service of the
 * server's DMA_READ/DMA_WRITE commands (handler or the mapped memory), whose
 * replies go out when the handler completes, possibly later.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client_internal.h"

/* ---- Map table ------------------------------------------------------------ */

int vuc_maps_add(struct vuc_ctx *ctx, const struct vuc_map *m) {
    if (ctx->nmaps == ctx->maps_cap) {
        size_t cap = ctx->maps_cap ? ctx->maps_cap * 2 : 8;
        struct vuc_map *n = realloc(ctx->maps, cap * sizeof(*n));
        if (!n)
            return -ENOMEM;
        ctx->maps = n;
        ctx->maps_cap = cap;
    }
    ctx->maps[ctx->nmaps++] = *m;
    return 0;
}

static void maps_remove_at(struct vuc_ctx *ctx, size_t i) {
    if (ctx->maps[i].sock)
        vuc_close_map_socket(ctx, (enum vuc_sock)ctx->maps[i].sock);
    ctx->maps[i] = ctx->maps[--ctx->nmaps];
}

void vuc_maps_remove(struct vuc_ctx *ctx, uint64_t iova, uint64_t size) {
    for (size_t i = 0; i < ctx->nmaps; i++) {
        if (ctx->maps[i].iova == iova && ctx->maps[i].size == size) {
            maps_remove_at(ctx, i);
            return;
        }
    }
}

static bool map_args_ok(uint64_t iova, uint64_t size, uint32_t prot) {
    return size != 0 && iova + size >= iova &&
           (prot & ~(VU_DMA_MAP_F_READ | VU_DMA_MAP_F_WRITE)) == 0;
}

int vuc_dma_map(struct vuc_ctx *ctx, uint64_t iova, uint64_t size, uint32_t prot, void *vaddr,
                int fd, uint64_t fd_offset) {
    if (!map_args_ok(iova, size, prot))
        return -EINVAL;
    struct vu_dma_map m = {.argsz = sizeof(m),
                           .flags = prot,
                           .offset = fd >= 0 ? fd_offset : 0,
                           .addr = iova,
                           .size = size};
    struct vuc_request q = {.cmd = VU_CMD_DMA_MAP,
                            .payload = &m,
                            .payload_len = sizeof(m),
                            .fds = &fd,
                            .nfds = fd >= 0 ? 1 : 0};
    int rc = vuc_call(ctx, &q, NULL, NULL);
    if (rc < 0)
        return rc;
    struct vuc_map entry = {.iova = iova, .size = size, .prot = prot, .vaddr = vaddr};
    return vuc_maps_add(ctx, &entry);
}

int vuc_dma_unmap(struct vuc_ctx *ctx, uint64_t iova, uint64_t size) {
    struct vu_dma_unmap u = {.argsz = sizeof(u), .addr = iova, .size = size};
    struct vuc_request q = {.cmd = VU_CMD_DMA_UNMAP, .payload = &u, .payload_len = sizeof(u)};
    int rc = vuc_call(ctx, &q, NULL, NULL);
    if (rc == 0)
        vuc_maps_remove(ctx, iova, size);
    return rc;
}

int vuc_dma_table_add(struct vuc_ctx *ctx, uint64_t iova, uint64_t size, uint32_t prot,
                      void *vaddr) {
    if (!map_args_ok(iova, size, prot))
        return -EINVAL;
    struct vuc_map entry = {.iova = iova, .size = size, .prot = prot, .vaddr = vaddr};
    return vuc_maps_add(ctx, &entry);
}

int vuc_dma_table_remove(struct vuc_ctx *ctx, uint64_t iova, uint64_t size) {
    for (size_t i = 0; i < ctx->nmaps; i++) {
        if (ctx->maps[i].iova == iova && ctx->maps[i].size == size) {
            maps_remove_at(ctx, i);
            return 0;
        }
    }
    return -ENOENT;
}

/* ---- Map sockets ------------------------------------------------------------ */

static const struct vuc_map *map_of_sock(const struct vuc_ctx *ctx, enum vuc_sock s) {
    for (size_t i = 0; i < ctx->nmaps; i++)
        if (ctx->maps[i].sock == (uint8_t)s)
            return &ctx->maps[i];
    return NULL;
}

/* A slot stays taken while arrivals read from its old socket are held: a
 * reply to one must not go out on a new map's socket. */
static bool map_sock_taken(const struct vuc_ctx *ctx, enum vuc_sock s) {
    return ctx->sock[s] >= 0 || ctx->rx[s].held > 0 || map_of_sock(ctx, s) != NULL;
}

void vuc_close_map_socket(struct vuc_ctx *ctx, enum vuc_sock s) {
    if (ctx->sock[s] >= 0)
        close(ctx->sock[s]);
    ctx->sock[s] = -1;
    vuc_rx_free(ctx, &ctx->rx[s]);
    for (struct vuc_dma_pending *p = ctx->dma_pending; p; p = p->next)
        if (p->sock == s)
            p->sock_gone = true;
}

int vuc_dma_table_add_socket(struct vuc_ctx *ctx, uint64_t iova, uint64_t size, uint32_t prot,
                             void *vaddr, int *peer_fd) {
    if (!map_args_ok(iova, size, prot) || !peer_fd)
        return -EINVAL;
    int s = VUC_SOCK_MAP0;
    while (s < VUC_NSOCKS && map_sock_taken(ctx, (enum vuc_sock)s))
        s++;
    if (s == VUC_NSOCKS)
        return -ENOSPC;
    int sp[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
        return -errno;
    struct vuc_map entry = {
        .iova = iova, .size = size, .prot = prot, .vaddr = vaddr, .sock = (uint8_t)s};
    int rc = vuc_maps_add(ctx, &entry);
    if (rc < 0) {
        close(sp[0]);
        close(sp[1]);
        return rc;
    }
    vuc_set_send_timeout(ctx, sp[0]);
    memset(&ctx->rx[s], 0, sizeof(ctx->rx[s]));
    ctx->sock[s] = sp[0];
    *peer_fd = sp[1];
    return s;
}

static void remove_by_sock(struct vuc_ctx *ctx, enum vuc_sock s) {
    for (size_t i = 0; i < ctx->nmaps; i++) {
        if (ctx->maps[i].sock == (uint8_t)s) {
            maps_remove_at(ctx, i);
            return;
        }
    }
}

int vuc_dma_map_socket(struct vuc_ctx *ctx, uint64_t iova, uint64_t size, uint32_t prot,
                       void *vaddr) {
    int peer = -1;
    int s = vuc_dma_table_add_socket(ctx, iova, size, prot, vaddr, &peer);
    if (s < 0)
        return s;
    struct vu_dma_map m = {
        .argsz = sizeof(m), .flags = prot | VU_DMA_MAP_F_RCSIM_SOCKET, .addr = iova, .size = size};
    struct vuc_request q = {
        .cmd = VU_CMD_DMA_MAP, .payload = &m, .payload_len = sizeof(m), .fds = &peer, .nfds = 1};
    int rc = vuc_call(ctx, &q, NULL, NULL);
    close(peer); /* the request sent a copy: the server holds the only end */
    if (rc < 0) {
        remove_by_sock(ctx, (enum vuc_sock)s);
        return rc;
    }
    return s;
}

static const char *dma_cmd_name(uint16_t cmd) {
    return cmd == VU_CMD_DMA_READ ? "DMA_READ" : "DMA_WRITE";
}

/* Ranges here are parsed commands and table entries: neither wraps. */
static bool map_holds(const struct vuc_map *m, uint64_t addr, uint64_t count) {
    return addr >= m->iova && addr - m->iova <= m->size && count <= m->size - (addr - m->iova);
}

static bool map_overlaps(const struct vuc_map *m, uint64_t addr, uint64_t count) {
    return addr < m->iova + m->size && m->iova < addr + count;
}

static int check_on_map_sock(struct vuc_ctx *ctx, enum vuc_sock s, uint16_t msg_id,
                             const struct vuc_server_cmd *c) {
    const struct vuc_map *m = map_of_sock(ctx, s);
    if (!m)
        return -EFAULT; /* unmapped while the command was held */
    if (map_holds(m, c->addr, c->count))
        return 0;
    vuc_note_problem(ctx,
                     "%s #%u on %s for 0x%" PRIx64 "+%" PRIu64 ", outside %s's window [0x%" PRIx64
                     ", 0x%" PRIx64 ")",
                     dma_cmd_name(c->cmd), msg_id, vuc_sock_name(s), c->addr, c->count,
                     vuc_sock_name(s), m->iova, m->iova + m->size);
    return -EPROTO;
}

int vuc_dma_check_sock(struct vuc_ctx *ctx, enum vuc_sock s, uint16_t msg_id,
                       const struct vuc_server_cmd *c) {
    if (s >= VUC_SOCK_MAP0)
        return check_on_map_sock(ctx, s, msg_id, c);
    for (size_t i = 0; i < ctx->nmaps; i++) {
        const struct vuc_map *m = &ctx->maps[i];
        if (!m->sock || !map_overlaps(m, c->addr, c->count))
            continue;
        vuc_note_problem(ctx,
                         "%s #%u for 0x%" PRIx64 "+%" PRIu64
                         " on the %s socket: that window's DMA goes on its own socket (%s)",
                         dma_cmd_name(c->cmd), msg_id, c->addr, c->count, vuc_sock_name(s),
                         vuc_sock_name((enum vuc_sock)m->sock));
        return -EPROTO;
    }
    return 0;
}

/* ---- Serving the server's DMA commands ------------------------------------ */

void vuc_set_dma_handler(struct vuc_ctx *ctx, vuc_dma_fn fn, void *opaque) {
    ctx->dma_fn = fn;
    ctx->dma_opaque = opaque;
}

void vuc_set_dma_refused_handler(struct vuc_ctx *ctx, vuc_dma_refused_fn fn, void *opaque) {
    ctx->dma_refused_fn = fn;
    ctx->dma_refused_opaque = opaque;
}

int vuc_send_error_reply(struct vuc_ctx *ctx, enum vuc_sock s, const struct vu_hdr *cmd, int err) {
    struct vu_hdr h = {.msg_id = cmd->msg_id,
                       .cmd = cmd->cmd,
                       .msg_size = sizeof(h),
                       .flags = VU_F_TYPE_REPLY | VU_F_ERROR,
                       .error_no = (uint32_t)(err < 0 ? -err : err)};
    struct iovec iov = {.iov_base = &h, .iov_len = sizeof(h)};
    return vuc_send_msg(ctx, s, &iov, 1, NULL, 0);
}

/* Without a handler: a DMA_READ's data already points into the memory given
 * at map time (pending_new); a DMA_WRITE's payload, read into the message
 * body, is stored there (client/README.md: why not read straight into it). */
static int serve_from_memory(struct vuc_dma_op *op) {
    if (!op->map_vaddr)
        return -EFAULT;
    uint8_t *mem = op->map_vaddr + (op->addr - op->map_iova);
    if (op->cmd == VU_CMD_DMA_WRITE && op->data != mem)
        memcpy(mem, op->data, op->count);
    return 0;
}

static void pending_free(struct vuc_dma_pending *p) {
    free(p->reply);
    free(p->cmd_body);
    free(p);
}

/* DMA_READ data: a handler fills a buffer of its own; without one the reply
 * is sent straight from the mapped memory, no bounce buffer. */
static uint8_t *read_buffer(const struct vuc_ctx *ctx, struct vuc_dma_pending *p) {
    if (!ctx->dma_fn && p->op.map_vaddr)
        return p->op.map_vaddr + (p->op.addr - p->op.map_iova);
    p->reply = malloc(p->op.count);
    return p->reply;
}

static struct vuc_dma_pending *pending_new(const struct vuc_ctx *ctx, struct vuc_arrival *a,
                                           const struct vuc_map *m) {
    const struct vuc_server_cmd *c = &a->scmd;
    struct vuc_dma_pending *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->sock = a->sock;
    /* Held past its map socket's close: nothing may go out for it. */
    p->sock_gone = a->sock >= VUC_SOCK_MAP0 && ctx->sock[a->sock] < 0;
    p->no_reply = a->hdr.flags & VU_F_NO_REPLY;
    p->fields = c->qemu_layout ? sizeof(struct vu_dma_access_qemu) : sizeof(struct vu_dma_access);
    p->op = (struct vuc_dma_op){.cmd = c->cmd,
                                .msg_id = a->hdr.msg_id,
                                .on_twin = a->sock == VUC_SOCK_TWIN,
                                .sock = a->sock,
                                .qemu_layout = c->qemu_layout,
                                .addr = c->addr,
                                .count = c->count,
                                .map_iova = m->iova,
                                .map_vaddr = m->vaddr};
    if (c->cmd == VU_CMD_DMA_READ) {
        p->op.data = read_buffer(ctx, p);
        if (!p->op.data) {
            free(p);
            return NULL;
        }
    } else {
        /* op.data points into the received payload: keep it. */
        p->cmd_body = a->body;
        a->body = NULL;
        p->op.data = (uint8_t *)c->data;
    }
    return p;
}

void vuc_serve_dma(struct vuc_ctx *ctx, struct vuc_arrival *a) {
    const struct vuc_server_cmd *c = &a->scmd;
    uint32_t need = c->cmd == VU_CMD_DMA_READ ? VU_DMA_MAP_F_READ : VU_DMA_MAP_F_WRITE;
    /* Checked again: maps may have changed since it arrived. */
    int idx = vuc_dma_check_sock(ctx, a->sock, a->hdr.msg_id, c);
    if (idx == 0)
        idx = vuc_map_lookup(ctx->maps, ctx->nmaps, c->addr, c->count, need);
    struct vuc_dma_pending *p = idx < 0 ? NULL : pending_new(ctx, a, &ctx->maps[idx]);
    if (!p) {
        const int err = idx < 0 ? idx : -ENOMEM;
        ctx->stats.dma_errors++;
        if (!(a->hdr.flags & VU_F_NO_REPLY))
            (void)vuc_send_error_reply(ctx, a->sock, &a->hdr, err);
        if (ctx->dma_refused_fn) {
            const struct vuc_dma_refusal r = {.cmd = c->cmd,
                                              .msg_id = a->hdr.msg_id,
                                              .on_twin = a->sock == VUC_SOCK_TWIN,
                                              .sock = a->sock,
                                              .addr = c->addr,
                                              .count = c->count,
                                              .err = err};
            ctx->dma_refused_fn(ctx->dma_refused_opaque, &r);
        }
        return;
    }
    if (c->qemu_layout)
        ctx->stats.qemu_layout_dma++;
    p->next = ctx->dma_pending;
    ctx->dma_pending = p;
    int rc = ctx->dma_fn ? ctx->dma_fn(ctx->dma_opaque, &p->op) : serve_from_memory(&p->op);
    if (rc != VUC_DMA_PENDING)
        (void)vuc_dma_complete(ctx, &p->op, rc > 0 ? -EINVAL : rc);
}

static int send_dma_reply(struct vuc_ctx *ctx, struct vuc_dma_pending *p) {
    const struct vuc_dma_op *op = &p->op;
    size_t data = op->cmd == VU_CMD_DMA_READ ? op->count : 0;
    struct vu_hdr h = {.msg_id = op->msg_id,
                       .cmd = op->cmd,
                       .msg_size = (uint32_t)(VUC_HDR_SIZE + p->fields + data),
                       .flags = VU_F_TYPE_REPLY};
    uint8_t fields[sizeof(struct vu_dma_access)];
    if (op->qemu_layout) {
        struct vu_dma_access_qemu f = {.addr = op->addr, .count = (uint32_t)op->count};
        memcpy(fields, &f, sizeof(f));
    } else {
        struct vu_dma_access f = {.addr = op->addr, .count = op->count};
        memcpy(fields, &f, sizeof(f));
    }
    struct iovec iov[3] = {{.iov_base = &h, .iov_len = sizeof(h)},
                           {.iov_base = fields, .iov_len = p->fields},
                           {.iov_base = op->data, .iov_len = data}};
    return vuc_send_msg(ctx, p->sock, iov, data ? 3 : 2, NULL, 0);
}

int vuc_dma_complete(struct vuc_ctx *ctx, struct vuc_dma_op *op, int err) {
    struct vuc_dma_pending **pp = &ctx->dma_pending;
    while (*pp && &(*pp)->op != op)
        pp = &(*pp)->next;
    struct vuc_dma_pending *p = *pp;
    if (!p)
        return -ENOENT;
    *pp = p->next;
    int rc = 0;
    /* A DMA whose map socket went answers nothing: neither count. */
    if (!p->sock_gone && err < 0)
        ctx->stats.dma_errors++;
    else if (!p->sock_gone)
        ctx->stats.dma_served++;
    if (p->sock_gone) {
        rc = -ENOTCONN;
    } else if (!p->no_reply) {
        struct vu_hdr cmd = {.msg_id = op->msg_id, .cmd = op->cmd};
        rc = err < 0 ? vuc_send_error_reply(ctx, p->sock, &cmd, err) : send_dma_reply(ctx, p);
    }
    pending_free(p);
    return rc;
}

void vuc_dma_pending_free_all(struct vuc_ctx *ctx) {
    while (ctx->dma_pending) {
        struct vuc_dma_pending *p = ctx->dma_pending;
        ctx->dma_pending = p->next;
        pending_free(p);
    }
}
