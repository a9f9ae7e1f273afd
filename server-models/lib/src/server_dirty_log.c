/*
 * Dirty page logging as libvfio-user does it (lib/dma.c and the DMA logging
 * part of lib/libvfio-user.c are the behaviour to match, the recording
 * tests/transcripts/dirty_logging.jsonl its wire form). Only fd-backed maps
 * are logged: the server stores into them without a message, so only it
 * knows which pages changed; message-mode DMA is seen by the client itself.
 * Each logged map has one bit per page of the page size the client started
 * logging with; a REPORT hands the bits over in the client's page size and
 * clears them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "server_private.h"

int vus_setup_dirty_logging(struct vus_ctx *ctx) {
    if (ctx->realized)
        return -EBUSY;
    ctx->dirty_offered = true;
    return 0;
}

bool vus_dirty_logging_active(const struct vus_ctx *ctx) {
    return ctx->dirty_pgsize != 0;
}

/* libvfio-user's get_bitmap_size(): whole u64s of bits; a region smaller
 * than a page, or page size 0, is EINVAL. */
static ssize_t bitmap_bytes(uint64_t size, uint64_t pgsize) {
    if (pgsize == 0 || size < pgsize)
        return -EINVAL;
    uint64_t pages = size / pgsize + (size % pgsize != 0);
    return (ssize_t)((pages + 63) / 64 * 8);
}

int vus_dirty_map_added(struct vus_ctx *ctx, struct vus_dma_map_entry *m) {
    if (ctx->dirty_pgsize == 0 || m->vaddr == NULL)
        return 0;
    ssize_t n = bitmap_bytes(m->size, ctx->dirty_pgsize);
    if (n < 0)
        return (int)n;
    m->dirty = calloc(1, (size_t)n);
    return m->dirty != NULL ? 0 : -ENOMEM;
}

void vus_dirty_reset(struct vus_ctx *ctx) {
    for (size_t i = 0; i < ctx->nmaps; i++) {
        free(ctx->maps[i].dirty);
        ctx->maps[i].dirty = NULL;
    }
    ctx->dirty_pgsize = 0;
}

void vus_dirty_mark_map(const struct vus_ctx *ctx, struct vus_dma_map_entry *m, uint64_t addr,
                        size_t len) {
    if (m->dirty == NULL || len == 0)
        return;
    uint64_t off = addr - m->addr;
    uint64_t first = off / ctx->dirty_pgsize;
    uint64_t end = (off + len + ctx->dirty_pgsize - 1) / ctx->dirty_pgsize;
    for (uint64_t p = first; p < end; p++)
        m->dirty[p / 8] |= (uint8_t)(1u << (p % 8));
}

void vus_dma_mark_dirty(struct vus_ctx *ctx, uint64_t addr, size_t len) {
    uint64_t end = addr + len < addr ? UINT64_MAX : addr + len;
    pthread_mutex_lock(&ctx->lock);
    for (size_t i = 0; i < ctx->nmaps; i++) {
        struct vus_dma_map_entry *m = &ctx->maps[i];
        uint64_t lo = addr > m->addr ? addr : m->addr;
        uint64_t hi = end < m->addr + m->size ? end : m->addr + m->size;
        if (lo < hi)
            vus_dirty_mark_map(ctx, m, lo, (size_t)(hi - lo));
    }
    pthread_mutex_unlock(&ctx->lock);
}

int vus_dma_ptr(struct vus_ctx *ctx, uint64_t addr, size_t len, uint32_t prot, void **out) {
    if (!vus_quiesce_allows_dma(ctx))
        return -EBUSY;
    int ret = 0;
    pthread_mutex_lock(&ctx->lock);
    const struct vus_dma_map_entry *m = vus_dma_find_map(ctx, addr);
    if (m == NULL || len > m->size - (addr - m->addr))
        ret = -EFAULT;
    else if (m->vaddr == NULL)
        ret = -EOPNOTSUPP;
    else if ((m->prot & prot) != prot)
        ret = -EACCES;
    else
        *out = (uint8_t *)m->vaddr + (addr - m->addr);
    pthread_mutex_unlock(&ctx->lock);
    return ret;
}

/* SET replies echo the request, as libvfio-user's do; its argsz must cover
 * what was sent. */
static int echo(struct vus_msg *msg, const struct vu_device_feature *f) {
    if (f->argsz < msg->body_len)
        return -EINVAL;
    msg->out = malloc(msg->body_len);
    if (msg->out == NULL)
        return -ENOMEM;
    memcpy(msg->out, msg->body, msg->body_len);
    msg->out_len = msg->body_len;
    return 0;
}

static int start_logging(struct vus_ctx *ctx, uint64_t pgsize) {
    if (ctx->dirty_pgsize != 0)
        return ctx->dirty_pgsize == pgsize ? 0 : -EINVAL;
    ctx->dirty_pgsize = pgsize;
    for (size_t i = 0; i < ctx->nmaps; i++) {
        int ret = vus_dirty_map_added(ctx, &ctx->maps[i]);
        if (ret < 0) {
            vus_dirty_reset(ctx);
            return ret;
        }
    }
    return 0;
}

/* The ranges are not looked at: libvfio-user logs every fd-backed map. */
int vus_h_dirty_start(struct vus_ctx *ctx, struct vus_msg *msg, const struct vu_device_feature *f) {
    struct vu_dma_logging_control ctl;
    if (msg->body_len < sizeof(*f) + sizeof(ctl))
        return -EINVAL;
    memcpy(&ctl, msg->body + sizeof(*f), sizeof(ctl));
    int ret = echo(msg, f);
    if (ret < 0)
        return ret;
    if (ctl.page_size == 0)
        return -EINVAL;
    pthread_mutex_lock(&ctx->lock);
    ret = start_logging(ctx, ctl.page_size);
    pthread_mutex_unlock(&ctx->lock);
    if (ret == 0)
        vus_log_dbg(ctx, "dirty pages: logging with page size %llu",
                    (unsigned long long)ctl.page_size);
    return ret;
}

int vus_h_dirty_stop(struct vus_ctx *ctx, struct vus_msg *msg, const struct vu_device_feature *f) {
    int ret = echo(msg, f);
    if (ret < 0)
        return ret;
    pthread_mutex_lock(&ctx->lock);
    vus_dirty_reset(ctx);
    pthread_mutex_unlock(&ctx->lock);
    return 0;
}

static bool any_bit(const uint8_t *bits, uint64_t first, uint64_t end) {
    for (uint64_t p = first; p < end; p++)
        if (bits[p / 8] & (1u << (p % 8)))
            return true;
    return false;
}

/* Client bit j covers bytes [j*cp, (j+1)*cp) of the map: set when any
 * logged page there is dirty (several client bits share one logged page
 * when the client's pages are smaller, as libvfio-user's "extend"). */
static void convert(const uint8_t *snap, uint64_t size, uint64_t sp, uint64_t cp, uint8_t *out) {
    uint64_t nclient = size / cp + (size % cp != 0);
    for (uint64_t j = 0; j < nclient; j++) {
        uint64_t lo = j * cp, hi = lo + cp < size ? lo + cp : size;
        if (any_bit(snap, lo / sp, (hi + sp - 1) / sp))
            out[j / 8] |= (uint8_t)(1u << (j % 8));
    }
}

/* Lock held. The errnos in libvfio-user's order: translation, logging on,
 * page size, message map. */
static int take_bitmap(struct vus_ctx *ctx, const struct vu_dma_logging_report *rep, uint8_t *out) {
    struct vus_dma_map_entry *m = vus_dma_find_map(ctx, rep->iova);
    if (m == NULL || rep->length > m->size - (rep->iova - m->addr))
        return -ENOENT;
    if (m->addr != rep->iova || m->size != rep->length)
        return -ENOTSUP; /* libvfio-user reports whole maps only */
    if (ctx->dirty_pgsize == 0) {
        vus_log_err(ctx, "dirty page logging not enabled");
        return -EINVAL;
    }
    if ((rep->page_size & (rep->page_size - 1)) != 0) {
        vus_log_err(ctx, "bad client page size %llu", (unsigned long long)rep->page_size);
        return -EINVAL;
    }
    if (m->dirty == NULL) {
        vus_log_err(ctx, "region [%#llx-%#llx] isn't accessed directly",
                    (unsigned long long)m->addr, (unsigned long long)(m->addr + m->size));
        return -EINVAL;
    }
    size_t n = (size_t)bitmap_bytes(m->size, ctx->dirty_pgsize);
    uint8_t *snap = malloc(n);
    if (snap == NULL)
        return -ENOMEM;
    memcpy(snap, m->dirty, n);
    memset(m->dirty, 0, n);
    convert(snap, m->size, ctx->dirty_pgsize, rep->page_size, out);
    free(snap);
    return 0;
}

int vus_h_dirty_report(struct vus_ctx *ctx, struct vus_msg *msg,
                       const struct vu_device_feature *f) {
    struct vu_dma_logging_report rep;
    const size_t head = sizeof(*f) + sizeof(rep);
    if (msg->body_len < head)
        return -EINVAL;
    memcpy(&rep, msg->body + sizeof(*f), sizeof(rep));
    ssize_t n = bitmap_bytes(rep.length, rep.page_size);
    if (n < 0 || f->argsz < head + (size_t)n)
        return -EINVAL;
    msg->out = calloc(1, head + (size_t)n);
    if (msg->out == NULL)
        return -ENOMEM;
    pthread_mutex_lock(&ctx->lock);
    int ret = take_bitmap(ctx, &rep, msg->out + head);
    pthread_mutex_unlock(&ctx->lock);
    if (ret < 0)
        return ret;
    struct vu_device_feature out = {.argsz = (uint32_t)(head + (size_t)n), .flags = f->flags};
    memcpy(msg->out, &out, sizeof(out));
    memcpy(msg->out + sizeof(out), &rep, sizeof(rep));
    msg->out_len = head + (size_t)n;
    return 0;
}
