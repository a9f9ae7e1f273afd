/*
 * The context: creation, device description, realize, and the run loop that
 * either accepts a client or hands one message to the dispatcher.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server_private.h"

static void vus_vlog(const struct vus_ctx *ctx, const char *fmt, va_list ap) {
    char line[512];
    vsnprintf(line, sizeof(line), fmt, ap);
    fprintf(stderr, "%s: %s\n", ctx->name, line);
}

void vus_log_err(const struct vus_ctx *ctx, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vus_vlog(ctx, fmt, ap);
    va_end(ap);
}

void vus_log_dbg(const struct vus_ctx *ctx, const char *fmt, ...) {
    if (!ctx->cfg.verbose) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vus_vlog(ctx, fmt, ap);
    va_end(ap);
}

struct vus_ctx *vus_create(const struct vus_config *cfg) {
    if (cfg == NULL || cfg->socket_path == NULL || cfg->socket_path[0] == '\0') {
        errno = EINVAL;
        return NULL;
    }
    struct vus_ctx *ctx = calloc(1, sizeof(*ctx));
    if (ctx == NULL) {
        return NULL;
    }
    ctx->cfg = *cfg;
    if ((unsigned)cfg->dma_mode > VUS_DMA_MODE_MAP_SOCKET) {
        free(ctx);
        errno = EINVAL;
        return NULL;
    }
    if (cfg->legacy_socket && cfg->dma_mode == VUS_DMA_MODE_TWIN) {
        ctx->cfg.dma_mode = VUS_DMA_MODE_LEGACY;
    }
    if (ctx->cfg.dma_queue_limit == 0) {
        ctx->cfg.dma_queue_limit = VUS_DEFAULT_DMA_QUEUE_LIMIT;
    }
    if (ctx->cfg.io_timeout_ms == 0) {
        ctx->cfg.io_timeout_ms = VUS_DEFAULT_IO_TIMEOUT_MS;
    }
    ctx->socket_path = strdup(cfg->socket_path);
    ctx->name = strdup(cfg->name != NULL ? cfg->name : "vus");
    if (ctx->socket_path == NULL || ctx->name == NULL) {
        free(ctx->socket_path);
        free(ctx->name);
        free(ctx);
        errno = ENOMEM;
        return NULL;
    }
    ctx->listen_fd = -1;
    ctx->conn_fd = -1;
    ctx->twin_fd = -1;
    ctx->q_wake_fd = -1;
    ctx->next_dma_id = 1;
    for (unsigned i = 0; i < VU_PCI_NUM_REGIONS; i++) {
        ctx->regions[i].mmap_fd = -1;
    }
    pthread_mutex_init(&ctx->lock, NULL);
    pthread_mutex_init(&ctx->dma_lock, NULL);
    vus_cfg_init(ctx);
    vus_idle_open(ctx);
    return ctx;
}

void vus_destroy(struct vus_ctx *ctx) {
    if (ctx == NULL) {
        return;
    }
    if (ctx->conn_fd >= 0) {
        /* Also prints the connection's DMA queue peak: one line for every
         * connection, however it ends. */
        vus_disconnect(ctx);
    }
    if (ctx->listen_fd >= 0) {
        close(ctx->listen_fd);
        unlink(ctx->socket_path);
    }
    for (unsigned i = 0; i < VU_PCI_NUM_IRQS; i++) {
        if (ctx->efds[i] != NULL) {
            vus_close_fds(ctx->efds[i], ctx->irq_count[i]);
            free(ctx->efds[i]);
        }
    }
    vus_mmap_close(ctx);
    vus_idle_close(ctx);
    if (ctx->q_wake_fd >= 0) {
        close(ctx->q_wake_fd);
    }
    free(ctx->maps);
    free(ctx->parked); /* emptied by the disconnect */
    free(ctx->msix_table);
    free(ctx->msix_pba);
    free(ctx->socket_path);
    free(ctx->name);
    pthread_mutex_destroy(&ctx->lock);
    pthread_mutex_destroy(&ctx->dma_lock);
    free(ctx);
}

int vus_pci_init(struct vus_ctx *ctx, const struct vus_pci_id *id) {
    if (ctx->realized || id == NULL || id->class_code > 0xffffffu) {
        return -EINVAL;
    }
    ctx->pci = true;
    ctx->id = *id;
    vus_cfg_w16(ctx, 0x00, id->vendor_id, 0);
    vus_cfg_w16(ctx, 0x02, id->device_id, 0);
    vus_cfg_w8(ctx, 0x08, id->revision, 0);
    vus_cfg_w8(ctx, 0x09, (uint8_t)id->class_code, 0);
    vus_cfg_w16(ctx, 0x0a, (uint16_t)(id->class_code >> 8), 0);
    vus_cfg_w16(ctx, 0x2c, id->subsys_vendor_id, 0);
    vus_cfg_w16(ctx, 0x2e, id->subsys_id, 0);
    return 0;
}

int vus_pci_set_config_bytes(struct vus_ctx *ctx, unsigned off, const void *bytes, size_t len) {
    if (ctx->realized || bytes == NULL || off > ctx->cfg_size || len > ctx->cfg_size - off) {
        return -EINVAL;
    }
    for (size_t i = 0; i < len; i++) {
        vus_cfg_w8(ctx, off + (unsigned)i, ((const uint8_t *)bytes)[i], 0);
    }
    return 0;
}

int vus_setup_region(struct vus_ctx *ctx, unsigned index, uint64_t size, uint32_t flags,
                     vus_region_cb cb, void *priv) {
    if (ctx->realized || index >= VU_PCI_NUM_REGIONS || index == VU_PCI_CONFIG_REGION ||
        (flags & ~VUS_REGION_RW) != 0 || (size > 0 && cb == NULL)) {
        return -EINVAL;
    }
    struct vus_region *r = &ctx->regions[index];
    r->size = size;
    r->flags = flags;
    r->cb = cb;
    r->priv = priv;
    return 0;
}

int vus_setup_rom(struct vus_ctx *ctx, uint64_t size, vus_region_cb cb, void *priv) {
    if (ctx->realized || cb == NULL) {
        return -EINVAL;
    }
    int ret = vus_cfg_setup_rom(ctx, size);
    if (ret < 0) {
        return ret;
    }
    return vus_setup_region(ctx, VU_PCI_ROM_REGION, size, VUS_REGION_READ, cb, priv);
}

int vus_setup_bar(struct vus_ctx *ctx, unsigned bar, uint64_t size, uint32_t bar_flags,
                  vus_region_cb cb, void *priv) {
    if (ctx->realized || bar > VU_PCI_BAR5_REGION || cb == NULL) {
        return -EINVAL;
    }
    int ret = vus_cfg_setup_bar(ctx, bar, size, bar_flags);
    if (ret < 0) {
        return ret;
    }
    struct vus_region *r = &ctx->regions[bar];
    r->size = size;
    r->flags = VUS_REGION_RW;
    r->cb = cb;
    r->priv = priv;
    r->is_bar = true;
    r->bar_flags = bar_flags;
    return 0;
}

int vus_setup_irq(struct vus_ctx *ctx, unsigned index, uint32_t count) {
    if (ctx->realized || index >= VU_PCI_NUM_IRQS || count > 2048 ||
        (index == VU_PCI_INTX_IRQ && count > 1) ||
        ((index == VU_PCI_ERR_IRQ || index == VU_PCI_REQ_IRQ) && count > 1)) {
        return -EINVAL;
    }
    int *efds = NULL;
    if (count > 0) {
        efds = malloc(sizeof(int) * count);
        if (efds == NULL) {
            return -ENOMEM;
        }
        for (uint32_t i = 0; i < count; i++) {
            efds[i] = -1;
        }
    }
    free(ctx->efds[index]);
    ctx->efds[index] = efds;
    ctx->irq_count[index] = count;
    if (index == VU_PCI_INTX_IRQ) {
        vus_cfg_w8(ctx, 0x3d, count > 0 ? 1 : 0, 0); /* Interrupt Pin: INTA */
    }
    return 0;
}

void vus_set_reset_cb(struct vus_ctx *ctx, vus_reset_cb cb, void *priv) {
    ctx->reset_cb = cb;
    ctx->reset_priv = priv;
}

int vus_realize(struct vus_ctx *ctx) {
    if (ctx->realized) {
        return -EALREADY;
    }
    if (!ctx->pci) {
        return -EINVAL;
    }
    vus_cfg_finalize(ctx);
    int ret = vus_tr_listen(ctx);
    if (ret < 0) {
        vus_log_err(ctx, "cannot listen on %s: %s", ctx->socket_path, strerror(-ret));
        return ret;
    }
    ctx->realized = true;
    return 0;
}

int vus_get_pollfds(struct vus_ctx *ctx, struct pollfd *pfds, size_t max) {
    size_t n = 0;
    if (max == 0) {
        return 0;
    }
    pfds[n++] = (struct pollfd){
        .fd = ctx->conn_fd >= 0 ? ctx->conn_fd : ctx->listen_fd,
        .events = POLLIN,
    };
    if (ctx->conn_fd >= 0 && ctx->twin_fd >= 0 && vus_async_pending(ctx) && n < max) {
        pfds[n++] = (struct pollfd){.fd = ctx->twin_fd, .events = POLLIN};
    }
    if (ctx->conn_fd >= 0 && vus_quiesce_holding(ctx) && ctx->q_wake_fd >= 0 && n < max) {
        /* vus_device_quiesced() from another thread wakes the loop. */
        pfds[n++] = (struct pollfd){.fd = ctx->q_wake_fd, .events = POLLIN};
    }
    return (int)n;
}

static bool ready(const struct pollfd *pfds, int n, int fd) {
    for (int i = 0; i < n; i++) {
        if (pfds[i].fd == fd && pfds[i].revents != 0) {
            return true;
        }
    }
    return false;
}

int vus_step(struct vus_ctx *ctx, int timeout_ms) {
    struct pollfd pfds[3];
    if (!ctx->realized) {
        return -EINVAL;
    }
    /* A quiesce completed since the last step (maybe in a done() callback). */
    int qret = vus_quiesce_resume(ctx);
    if (qret != 0) {
        return qret;
    }
    __atomic_store_n(&ctx->step_tid, gettid(), __ATOMIC_RELAXED);
    int n = vus_get_pollfds(ctx, pfds, 3);
    /* Blocking with nothing of ours to do but wait for a message (a
     * quiesce completed by another thread would wake us otherwise). */
    bool announce = timeout_ms != 0 && ctx->conn_fd >= 0 && !vus_quiesce_holding(ctx);
    if (announce) {
        vus_idle_announce(ctx);
    }
    int nready = poll(pfds, (nfds_t)n, timeout_ms);
    if (announce) {
        vus_idle_retract(ctx);
    }
    if (nready < 0) {
        return errno == EINTR ? 0 : -errno;
    }
    if (nready == 0) {
        return 0;
    }
    if (ctx->conn_fd < 0) {
        return (pfds[0].revents & POLLIN) ? vus_tr_accept(ctx) : 0;
    }
    if (ctx->twin_fd >= 0 && ready(pfds, n, ctx->twin_fd)) {
        int ret = vus_async_handle_twin(ctx);
        if (ret < 0) {
            vus_disconnect(ctx);
            return -ENOTCONN;
        }
        if (vus_dmaq_serve_held(ctx) < 0) {
            return -ENOTCONN; /* a done() callback did queued DMA */
        }
    }
    if (ctx->q_wake_fd >= 0 && ready(pfds, n, ctx->q_wake_fd)) {
        qret = vus_quiesce_resume(ctx);
        if (qret != 0) {
            return qret;
        }
    }
    if (pfds[0].revents != 0 && ctx->conn_fd >= 0) {
        int ret = vus_handle_main(ctx);
        qret = ret < 0 ? 0 : vus_quiesce_resume(ctx);
        return qret != 0 ? qret : ret;
    }
    return 1;
}

int vus_run(struct vus_ctx *ctx) {
    ctx->stop = 0;
    while (!ctx->stop) {
        int ret = vus_step(ctx, 200);
        if (ret < 0 && ret != -ENOTCONN) {
            return ret;
        }
    }
    return 0;
}

void vus_stop(struct vus_ctx *ctx) {
    ctx->stop = 1;
}

bool vus_connected(const struct vus_ctx *ctx) {
    return ctx->conn_fd >= 0 && ctx->negotiated;
}

enum vus_dma_mode vus_get_dma_mode(const struct vus_ctx *ctx) {
    return ctx->cfg.dma_mode;
}

bool vus_twin_active(const struct vus_ctx *ctx) {
    return ctx->twin_fd >= 0;
}

uint32_t vus_client_max_data_xfer_size(const struct vus_ctx *ctx) {
    return ctx->client_max_data_xfer;
}

const uint8_t *vus_config_space(const struct vus_ctx *ctx) {
    return ctx->space;
}
