/*
 * The DMA map table fed by DMA_MAP / DMA_UNMAP, with libvfio-user's rules and
 * errnos: an overlapping map is refused with EINVAL (the spec says EEXIST),
 * and an unmap must match a map exactly or gets ENOENT. A map without an fd
 * is reached by DMA_READ/DMA_WRITE messages; a map with one is mmap()ed and
 * copied directly, and those writes are logged while dirty logging is on.
 *
 * MAP_SOCKET mode also takes VU_DMA_MAP_F_RCSIM_SOCKET: the one fd is the
 * map's DMA socket, kept by the entry. Its unmap shuts it at once, so a DMA
 * waiting on it on another thread wakes with EOF, but closes it only when no
 * DMA can hold its number any more (under dma_lock): closing an fd another
 * thread polls would let a new fd take its number mid-wait.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server_private.h"

#define VUS_MAX_DMA_MAPS 65536u

static bool overlaps(const struct vus_dma_map_entry *m, uint64_t addr, uint64_t size) {
    return addr < m->addr + m->size && m->addr < addr + size;
}

/* Shuts the map's socket and parks it; lock held. If the park list cannot
 * grow, the fd stays open (a leak until exit) rather than being closed under
 * a DMA that may poll it. */
static void park_socket(struct vus_ctx *ctx, struct vus_dma_map_entry *m) {
    if (m->sock < 0) {
        return;
    }
    shutdown(m->sock, SHUT_RDWR);
    if (ctx->nparked == ctx->parked_cap) {
        size_t cap = ctx->parked_cap ? ctx->parked_cap * 2 : 8;
        int *p = realloc(ctx->parked, cap * sizeof(*p));
        if (p == NULL) {
            vus_log_err(ctx, "no memory to park map socket %d: left open", m->sock);
            m->sock = -1;
            return;
        }
        ctx->parked = p;
        ctx->parked_cap = cap;
    }
    ctx->parked[ctx->nparked++] = m->sock;
    m->sock = -1;
}

static void unmap_entry(struct vus_ctx *ctx, struct vus_dma_map_entry *m) {
    free(m->dirty);
    m->dirty = NULL;
    if (m->vaddr != NULL) {
        munmap(m->vaddr, m->size);
        m->vaddr = NULL;
    }
    park_socket(ctx, m);
}

void vus_dma_maps_clear(struct vus_ctx *ctx) {
    for (size_t i = 0; i < ctx->nmaps; i++) {
        unmap_entry(ctx, &ctx->maps[i]);
    }
    ctx->nmaps = 0;
}

void vus_dma_maps_shutdown(struct vus_ctx *ctx) {
    pthread_mutex_lock(&ctx->lock);
    for (size_t i = 0; i < ctx->nmaps; i++) {
        if (ctx->maps[i].sock >= 0) {
            shutdown(ctx->maps[i].sock, SHUT_RDWR);
        }
    }
    pthread_mutex_unlock(&ctx->lock);
}

void vus_dma_close_parked(struct vus_ctx *ctx) {
    pthread_mutex_lock(&ctx->lock);
    vus_close_fds(ctx->parked, ctx->nparked);
    ctx->nparked = 0;
    pthread_mutex_unlock(&ctx->lock);
}

/* After an unmap: closes the parked sockets now unless a DMA is under way
 * (it holds dma_lock; the next DMA or the disconnect closes them). */
static void close_parked_if_idle(struct vus_ctx *ctx) {
    if (pthread_mutex_trylock(&ctx->dma_lock) == 0) {
        vus_dma_close_parked(ctx);
        pthread_mutex_unlock(&ctx->dma_lock);
    }
}

static int add_map(struct vus_ctx *ctx, const struct vu_dma_map *req, uint32_t prot, int fd,
                   bool is_sock) {
    if (ctx->nmaps == VUS_MAX_DMA_MAPS) {
        return -ENOSPC;
    }
    for (size_t i = 0; i < ctx->nmaps; i++) {
        if (overlaps(&ctx->maps[i], req->addr, req->size)) {
            vus_log_err(ctx,
                        "new DMA region [%#llx, %#llx) overlaps with DMA region [%#llx, %#llx)",
                        (unsigned long long)req->addr, (unsigned long long)(req->addr + req->size),
                        (unsigned long long)ctx->maps[i].addr,
                        (unsigned long long)(ctx->maps[i].addr + ctx->maps[i].size));
            return -EINVAL;
        }
    }
    if (ctx->nmaps == ctx->maps_cap) {
        size_t cap = ctx->maps_cap ? ctx->maps_cap * 2 : 16;
        struct vus_dma_map_entry *m = realloc(ctx->maps, cap * sizeof(*m));
        if (m == NULL) {
            return -ENOMEM;
        }
        ctx->maps = m;
        ctx->maps_cap = cap;
    }
    struct vus_dma_map_entry e = {.addr = req->addr, .size = req->size, .prot = prot, .sock = -1};
    if (is_sock) {
        e.sock = fd; /* no memory to map: DMA goes as messages on it */
    } else if (fd >= 0) {
        int mprot = (prot & VU_DMA_MAP_F_READ ? PROT_READ : 0) |
                    (prot & VU_DMA_MAP_F_WRITE ? PROT_WRITE : 0);
        void *p = mmap(NULL, req->size, mprot, MAP_SHARED, fd, (off_t)req->offset);
        if (p == MAP_FAILED) {
            return -errno;
        }
        e.vaddr = p;
    }
    int ret = vus_dirty_map_added(ctx, &e); /* logging on: the new map is logged too */
    if (ret < 0) {
        e.sock = -1; /* still the message's: closed with it */
        unmap_entry(ctx, &e);
        return ret;
    }
    ctx->maps[ctx->nmaps++] = e;
    return 0;
}

/* The fd of a socket map must be an AF_UNIX stream socket (meant: the
 * client's end of a socketpair; one not connected fails its first DMA). */
static int check_map_socket(struct vus_ctx *ctx, const struct vus_msg *msg) {
    if (msg->nfds != 1) {
        vus_log_err(ctx, "DMA map with the socket flag: %zu fds, expected 1", msg->nfds);
        return -EINVAL;
    }
    int type = 0, domain = 0;
    socklen_t tl = sizeof(type), dl = sizeof(domain);
    if (getsockopt(msg->fds[0], SOL_SOCKET, SO_TYPE, &type, &tl) < 0 ||
        getsockopt(msg->fds[0], SOL_SOCKET, SO_DOMAIN, &domain, &dl) < 0 || type != SOCK_STREAM ||
        domain != AF_UNIX) {
        vus_log_err(ctx, "DMA map with the socket flag: the fd is not an AF_UNIX stream socket");
        return -EINVAL;
    }
    return 0;
}

int vus_h_dma_map(struct vus_ctx *ctx, struct vus_msg *msg) {
    struct vu_dma_map req;
    if (msg->body_len < sizeof(req)) {
        return -EINVAL;
    }
    memcpy(&req, msg->body, sizeof(req));
    uint32_t prot = req.flags & (VU_DMA_MAP_F_READ | VU_DMA_MAP_F_WRITE);
    /* Other modes do not know the flag: "bad flags", as libvfio-user. */
    bool is_sock = ctx->cfg.dma_mode == VUS_DMA_MODE_MAP_SOCKET &&
                   (req.flags & VU_DMA_MAP_F_RCSIM_SOCKET) != 0;
    uint32_t known = prot | (is_sock ? VU_DMA_MAP_F_RCSIM_SOCKET : 0);
    if (req.argsz < sizeof(req) || (req.flags & ~known) != 0 || req.size == 0 ||
        req.addr + req.size < req.addr || msg->nfds > 1) {
        vus_log_err(ctx, "bad DMA map argsz=%u flags=%#x size=%#llx fds=%zu", req.argsz, req.flags,
                    (unsigned long long)req.size, msg->nfds);
        return -EINVAL;
    }
    int ret = is_sock ? check_map_socket(ctx, msg) : 0;
    if (ret < 0) {
        return ret;
    }
    pthread_mutex_lock(&ctx->lock);
    ret = add_map(ctx, &req, prot, msg->nfds == 1 ? msg->fds[0] : -1, is_sock);
    pthread_mutex_unlock(&ctx->lock);
    if (ret == 0 && is_sock) {
        msg->fds[0] = -1; /* the map keeps it */
    }
    return ret;
}

static int remove_map(struct vus_ctx *ctx, uint64_t addr, uint64_t size) {
    for (size_t i = 0; i < ctx->nmaps; i++) {
        if (ctx->maps[i].addr == addr && ctx->maps[i].size == size) {
            unmap_entry(ctx, &ctx->maps[i]);
            ctx->maps[i] = ctx->maps[--ctx->nmaps];
            return 0;
        }
    }
    return -ENOENT;
}

int vus_h_dma_unmap(struct vus_ctx *ctx, struct vus_msg *msg) {
    struct vu_dma_unmap req;
    if (msg->body_len < sizeof(req)) {
        return -EINVAL;
    }
    memcpy(&req, msg->body, sizeof(req));
    if (req.argsz < sizeof(req) || req.argsz > VUS_MAX_DATA_XFER_SIZE ||
        (req.flags != 0 && req.flags != VU_DMA_UNMAP_F_ALL) ||
        (req.flags == VU_DMA_UNMAP_F_ALL && (req.addr != 0 || req.size != 0))) {
        return -EINVAL; /* dirty-page bitmaps are not supported */
    }
    pthread_mutex_lock(&ctx->lock);
    int ret = 0;
    if (req.flags == VU_DMA_UNMAP_F_ALL) {
        vus_dma_maps_clear(ctx);
    } else {
        ret = remove_map(ctx, req.addr, req.size);
    }
    pthread_mutex_unlock(&ctx->lock);
    if (ret < 0) {
        return ret;
    }
    if (ctx->cfg.dma_mode == VUS_DMA_MODE_MAP_SOCKET) {
        close_parked_if_idle(ctx);
    }
    msg->out = malloc(sizeof(req));
    if (msg->out == NULL) {
        return -ENOMEM;
    }
    memcpy(msg->out, &req, sizeof(req));
    msg->out_len = sizeof(req);
    return 0;
}

struct vus_dma_map_entry *vus_dma_find_map(struct vus_ctx *ctx, uint64_t addr) {
    for (size_t i = 0; i < ctx->nmaps; i++) {
        if (addr >= ctx->maps[i].addr && addr - ctx->maps[i].addr < ctx->maps[i].size) {
            return &ctx->maps[i];
        }
    }
    return NULL;
}

size_t vus_dma_map_span(struct vus_ctx *ctx, uint64_t addr, size_t len, uint32_t prot, bool *direct,
                        int *sock) {
    size_t span = 0;
    *direct = false;
    *sock = -1;
    pthread_mutex_lock(&ctx->lock);
    const struct vus_dma_map_entry *m = vus_dma_find_map(ctx, addr);
    if (m != NULL && (m->prot & prot) == prot) {
        uint64_t left = m->size - (addr - m->addr);
        span = left < len ? (size_t)left : len;
        *direct = m->vaddr != NULL;
        *sock = m->sock;
    }
    pthread_mutex_unlock(&ctx->lock);
    return span;
}

/* The caller holds dma_lock, so sock is parked, not closed, if unmapped:
 * no new map can have been given its number. */
bool vus_dma_map_socket_gone(struct vus_ctx *ctx, uint64_t addr, int sock) {
    pthread_mutex_lock(&ctx->lock);
    const struct vus_dma_map_entry *m = vus_dma_find_map(ctx, addr);
    bool gone = m == NULL || m->sock != sock;
    pthread_mutex_unlock(&ctx->lock);
    return gone;
}
/* Copies under the lock so a concurrent DMA_UNMAP cannot pull the memory
 * away mid-copy. */
int vus_dma_copy_direct(struct vus_ctx *ctx, enum vus_dma_dir dir, uint64_t addr, void *buf,
                        size_t len) {
    int ret = -EFAULT;
    pthread_mutex_lock(&ctx->lock);
    struct vus_dma_map_entry *m = vus_dma_find_map(ctx, addr);
    if (m != NULL && m->vaddr != NULL && len <= m->size - (addr - m->addr)) {
        uint8_t *p = (uint8_t *)m->vaddr + (addr - m->addr);
        if (dir == VUS_DMA_READ) {
            memcpy(buf, p, len);
        } else {
            memcpy(p, buf, len);
            vus_dirty_mark_map(ctx, m, addr, len);
        }
        ret = 0;
    }
    pthread_mutex_unlock(&ctx->lock);
    return ret;
}
