/*
 * dmacopy: a DMA copy engine driven by a descriptor ring in client memory.
 * Register map and descriptor layout: server-models/README.md, "dmacopy".
 *
 * On a doorbell (a write to HEAD) the engine fetches each descriptor from
 * TAIL up to HEAD by DMA_READ, copies src to dst through DMA_READ/DMA_WRITE,
 * writes a completion record by DMA_WRITE, advances TAIL, and after the batch
 * raises its interrupt (MSI-X, MSI or INTx as INT_CTRL says) if a descriptor
 * asked for it. By default all of this runs inside the doorbell's
 * REGION_WRITE, as libvfio-user devices do; --dma-after-reply replies first
 * and runs it on a worker thread (needs the twin socket, or map-socket mode
 * where windows mapped with a socket keep the worker's DMA off the main
 * socket); --dma-mode async
 * replies first and runs it as a state machine on vus_dma_submit completions
 * (dmacopy_async.c), from the server loop.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmacopy.h"

void dmacopy_set_error(struct dmacopy *d, uint32_t flag, int err) {
    pthread_mutex_lock(&d->lock);
    d->status |= flag;
    if (flag == STATUS_ERROR) {
        d->status = (d->status & 0xffffu) | (uint32_t)err << 16;
    }
    pthread_mutex_unlock(&d->lock);
}

/* --migration: asked to stop (between chunks, the worker's safe point). */
static bool stop_asked(struct dmacopy *d) {
    pthread_mutex_lock(&d->lock);
    bool stop = dmacopy_mig_must_stop(d);
    pthread_mutex_unlock(&d->lock);
    return stop;
}

static int copy_data(struct dmacopy *d, const struct desc *ds, uint32_t *copied) {
    *copied = 0;
    if (ds->len > MAX_COPY) {
        return -EINVAL;
    }
    while (*copied < ds->len) {
        if (stop_asked(d)) {
            return -EINTR; /* the descriptor stays at TAIL, restarted later */
        }
        uint32_t n = ds->len - *copied < COPY_BUF ? ds->len - *copied : COPY_BUF;
        int ret = vus_dma_read(d->ctx, ds->src + *copied, d->buf, n);
        if (ret == 0 && stop_asked(d)) {
            return -EINTR; /* between the transfers: nothing written yet */
        }
        if (ret == 0) {
            ret = dmacopy_write(d, ds->dst + *copied, d->buf, n);
        }
        if (ret < 0) {
            return ret;
        }
        *copied += n;
    }
    return 0;
}

/* One descriptor; returns 0 or the errno it failed with, and whether it asked
 * for an interrupt. */
static int run_desc(struct dmacopy *d, uint64_t desc_addr, bool *want_irq) {
    struct desc ds;
    int ret = vus_dma_read(d->ctx, desc_addr, &ds, sizeof(ds));
    if (ret < 0) {
        return ret;
    }
    uint32_t copied;
    ret = copy_data(d, &ds, &copied);
    if (ret == -EINTR || stop_asked(d)) {
        return -EINTR;
    }
    pthread_mutex_lock(&d->lock);
    bool cancelled = d->cancel;
    struct completion_record rec = {
        .status = (uint32_t)-ret, .length = copied, .seq = (uint64_t)d->completed + 1};
    pthread_mutex_unlock(&d->lock);
    if (cancelled) {
        return -ECANCELED; /* no record: the memory may be gone */
    }
    if (ds.completion != 0) {
        int wret = dmacopy_write(d, ds.completion, &rec, sizeof(rec));
        ret = ret < 0 ? ret : wret;
    }
    *want_irq = *want_irq || (ds.flags & DESC_F_IRQ);
    return ret;
}

void dmacopy_raise_irq(struct dmacopy *d) {
    pthread_mutex_lock(&d->lock);
    d->int_status |= 1;
    uint32_t mode = d->int_ctrl & INT_MODE_MASK;
    pthread_mutex_unlock(&d->lock);
    static const unsigned index[] = {0, VU_PCI_INTX_IRQ, VU_PCI_MSI_IRQ, VU_PCI_MSIX_IRQ};
    if (mode == INT_NONE) {
        return;
    }
    int ret = vus_irq_trigger(d->ctx, index[mode], 0);
    if (ret < 0) {
        fprintf(stderr, "dmacopy: interrupt (mode %u) not delivered: %s\n", mode, strerror(-ret));
        dmacopy_set_error(d, STATUS_IRQ_FAILED, -ret);
    }
}

void dmacopy_process_ring(struct dmacopy *d) {
    bool want_irq = false;
    for (;;) {
        pthread_mutex_lock(&d->lock);
        uint32_t tail = d->tail, head = d->head, size = d->ring_size;
        uint64_t addr = d->ring_base + (uint64_t)tail * DESC_SIZE;
        bool stop = tail == head || (d->status & STATUS_ERROR) || dmacopy_mig_must_stop(d);
        d->status = stop ? d->status & ~STATUS_BUSY : d->status | STATUS_BUSY;
        d->mig.inflight = !stop;
        pthread_mutex_unlock(&d->lock);
        if (stop) {
            break;
        }
        int ret = run_desc(d, addr, &want_irq);
        pthread_mutex_lock(&d->lock);
        if (ret == -EINTR) {
            /* Stopped at a safe point: the descriptor stays in flight. */
            d->status &= ~STATUS_BUSY;
            pthread_mutex_unlock(&d->lock);
            break;
        }
        d->mig.inflight = false;
        bool cancelled = d->cancel;
        if (cancelled) {
            /* The descriptor stays at TAIL, uncompleted; no interrupt. */
            d->cancel = false;
            d->status &= ~STATUS_BUSY;
        } else {
            d->tail = (tail + 1) % size;
            d->completed++;
        }
        pthread_mutex_unlock(&d->lock);
        if (cancelled) {
            return;
        }
        if (ret < 0) {
            fprintf(stderr, "dmacopy: descriptor %u failed: %s\n", tail, strerror(-ret));
            dmacopy_set_error(d, STATUS_ERROR, -ret);
        }
    }
    if (want_irq) {
        dmacopy_raise_irq(d);
    }
}

static void *worker_main(void *arg) {
    struct dmacopy *d = arg;
    pthread_mutex_lock(&d->lock);
    while (!d->quit) {
        if (!d->work || dmacopy_mig_must_stop(d)) {
            pthread_cond_wait(&d->kick, &d->lock);
            continue;
        }
        d->work = false;
        d->mig.busy = true;
        pthread_mutex_unlock(&d->lock);
        dmacopy_process_ring(d);
        pthread_mutex_lock(&d->lock);
        d->mig.busy = false;
        pthread_mutex_unlock(&d->lock);
        dmacopy_mig_engine_idle(d);
        pthread_mutex_lock(&d->lock);
    }
    pthread_mutex_unlock(&d->lock);
    return NULL;
}

static uint32_t read_reg(struct dmacopy *d, unsigned reg) {
    switch (reg) {
    case REG_RING_BASE_LO:
        return (uint32_t)d->ring_base;
    case REG_RING_BASE_HI:
        return (uint32_t)(d->ring_base >> 32);
    case REG_RING_SIZE:
        return d->ring_size;
    case REG_HEAD:
        return d->head;
    case REG_TAIL:
        return d->tail;
    case REG_STATUS:
        return d->status;
    case REG_INT_CTRL:
        return d->int_ctrl;
    case REG_COMPLETED:
        return d->completed;
    case REG_INT_STATUS:
        return d->int_status;
    case REG_ID:
        return ID_VALUE;
    default:
        return 0;
    }
}

static uint32_t merge(uint32_t old, uint32_t v, uint32_t mask) {
    return (old & ~mask) | (v & mask);
}

/* Returns true when the write rang the doorbell. Lock held. */
static bool write_reg(struct dmacopy *d, unsigned reg, uint32_t v, uint32_t mask) {
    switch (reg) {
    case REG_RING_BASE_LO:
        d->ring_base = (d->ring_base & ~0xffffffffull) | merge((uint32_t)d->ring_base, v, mask);
        break;
    case REG_RING_BASE_HI:
        d->ring_base = (d->ring_base & 0xffffffffull) |
                       (uint64_t)merge((uint32_t)(d->ring_base >> 32), v, mask) << 32;
        break;
    case REG_RING_SIZE:
        d->ring_size = merge(d->ring_size, v, mask);
        d->head = d->tail = 0;
        break;
    case REG_HEAD:
        v = merge(d->head, v, mask);
        if (d->ring_size == 0 || d->ring_size > MAX_RING || v >= d->ring_size) {
            d->status = (d->status & 0xffffu) | STATUS_ERROR | (uint32_t)EINVAL << 16;
            return false;
        }
        d->head = v;
        return true;
    case REG_STATUS:
        v &= mask & (STATUS_ERROR | STATUS_IRQ_FAILED);
        d->status &= ~v;
        if (v & STATUS_ERROR) {
            d->status &= 0xffffu;
        }
        break;
    case REG_INT_CTRL:
        d->int_ctrl = merge(d->int_ctrl, v, mask) & INT_MODE_MASK;
        break;
    case REG_INT_STATUS:
        d->int_status &= ~(v & mask);
        break;
    default:
        break;
    }
    return false;
}

static ssize_t bar0_access(void *priv, unsigned region, uint64_t offset, void *buf, size_t count,
                           bool is_write) {
    struct dmacopy *d = priv;
    uint8_t *b = buf;
    bool doorbell = false;
    (void)region;
    pthread_mutex_lock(&d->lock);
    for (uint64_t reg = offset & ~3ull; reg < offset + count; reg += 4) {
        uint32_t mask = 0, v = is_write ? 0 : read_reg(d, (unsigned)reg);
        for (unsigned i = 0; i < 4; i++) {
            uint64_t at = reg + i;
            if (at < offset || at >= offset + count) {
                continue;
            }
            mask |= 0xffu << (8 * i);
            if (is_write) {
                v |= (uint32_t)b[at - offset] << (8 * i);
            } else {
                b[at - offset] = (uint8_t)(v >> (8 * i));
            }
        }
        if (is_write) {
            doorbell = write_reg(d, (unsigned)reg, v, mask) || doorbell;
        }
    }
    if (doorbell && d->after_reply) {
        d->work = true;
        pthread_cond_signal(&d->kick);
    }
    pthread_mutex_unlock(&d->lock);
    if (doorbell && d->async) {
        dmacopy_async_doorbell(d); /* submits and returns: the reply goes at once */
    } else if (doorbell && !d->after_reply) {
        dmacopy_process_ring(d); /* inside the REGION_WRITE, as libvfio-user devices do */
    }
    return (ssize_t)count;
}

/* BAR2 holds only the MSI-X table and PBA, which the library serves. */
static ssize_t bar2_access(void *priv, unsigned region, uint64_t offset, void *buf, size_t count,
                           bool is_write) {
    (void)priv;
    (void)region;
    (void)offset;
    if (!is_write) {
        memset(buf, 0, count);
    }
    return (ssize_t)count;
}

static int on_reset(void *priv, enum vus_reset_reason why) {
    struct dmacopy *d = priv;
    pthread_mutex_lock(&d->lock);
    /* The library puts the migration state back to RUNNING. */
    d->mig.running = true;
    d->mig.inflight = false;
    if (why == VUS_RESET_LOST_CONN) {
        d->mig.paused = false; /* a held message went with the client */
        d->mig.q_pending = false;
    }
    if (why != VUS_RESET_DEVICE) {
        pthread_mutex_unlock(&d->lock);
        return 0;
    }
    d->ring_base = 0;
    d->ring_size = d->head = d->tail = d->status = d->completed = d->int_status = 0;
    d->int_ctrl = d->reset_int_ctrl;
    pthread_mutex_unlock(&d->lock);
    return 0;
}

/* A DEVICE_RESET or DMA_UNMAP came while our DMA was unanswered (QUEUE and
 * ASYNC modes): record ECANCELED and stop the ring. A reset then clears the
 * registers anyway; after an unmap STATUS shows it. */
static void on_dma_interrupt(void *priv, enum vus_dma_interrupt why) {
    struct dmacopy *d = priv;
    fprintf(stderr, "dmacopy: %s during DMA: ring stopped (ECANCELED)\n",
            why == VUS_DMA_INTR_RESET ? "DEVICE_RESET" : "DMA_UNMAP");
    pthread_mutex_lock(&d->lock);
    d->cancel = true;
    d->status = (d->status & 0xffffu) | STATUS_ERROR | (uint32_t)ECANCELED << 16;
    pthread_mutex_unlock(&d->lock);
}

static int on_option(void *priv, const char *name, const char *value) {
    struct dmacopy *d = priv;
    if (strcmp(name, "dma-after-reply") == 0) {
        d->after_reply = true;
        return 0;
    }
    if (strcmp(name, "irq") != 0) {
        return dmacopy_mig_option(d, name, value);
    }
    static const char *const modes[] = {"none", "intx", "msi", "msix"};
    for (uint32_t m = 0; m < 4; m++) {
        if (strcmp(value, modes[m]) == 0) {
            d->reset_int_ctrl = m;
            return 0;
        }
    }
    return -1;
}

static int setup(struct dmacopy *d) {
    const struct vus_pci_id id = {.vendor_id = 0x5243, .device_id = 0x0003, .class_code = 0x088000};
    int ret = vus_pci_init(d->ctx, &id);
    ret = ret ? ret : vus_add_cap_pcie(d->ctx);
    ret = ret ? ret : vus_setup_bar(d->ctx, 0, BAR0_SIZE, VUS_BAR_MEM32, bar0_access, d);
    ret = ret ? ret : vus_setup_bar(d->ctx, 2, BAR2_SIZE, VUS_BAR_MEM64, bar2_access, d);
    ret = ret ? ret : vus_add_cap_msi(d->ctx, 1);
    ret = ret ? ret : vus_add_cap_msix(d->ctx, MSIX_VECTORS, 2, 0x000, 2, 0x800);
    ret = ret ? ret : vus_setup_irq(d->ctx, VU_PCI_INTX_IRQ, 1);
    return ret;
}

int main(int argc, char **argv) {
    static struct dmacopy d = {.reset_int_ctrl = INT_MSIX};
    static const struct model_option extra[] = {
        {"dma-after-reply", false,
         "reply to the doorbell first and copy on a worker thread (needs the twin socket, or "
         "--dma-mode map-socket: windows mapped with a socket keep its DMA off the main "
         "socket)"},
        {"irq", true, "interrupt mode after reset: none, intx, msi or msix (default msix)"},
        {"migration", false,
         "offer migration v2 (STOP_COPY, PRE_COPY) and dirty page logging; quiesce before "
         "maps, resets and state changes"},
        {"mig-bug", true,
         "with --migration, a bug real devices have had: unmarked-write (fd-window writes "
         "not logged) or drop-inflight (the descriptor in flight at stop counted done)"},
        {"quiesce-never", false,
         "with --migration, the quiesce callback says EBUSY and never finishes (bad device)"},
        {NULL, false, NULL},
    };
    struct model_opts o;
    int pr = model_parse_args(argc, argv, "DMA copy engine with a descriptor ring.", extra,
                              on_option, &d, &o);
    if (pr != 0) {
        return pr > 0 ? 0 : 2;
    }
    if (!model_dma_mode_ok(&o, argv[0], true)) {
        return 2;
    }
    if ((d.mig.bug != MIG_BUG_NONE || d.mig.quiesce_never) && !d.mig.on) {
        fprintf(stderr, "dmacopy: --mig-bug and --quiesce-never need --migration\n");
        return 2;
    }
    if (d.after_reply && o.dma_mode != VUS_DMA_MODE_TWIN && o.dma_mode != VUS_DMA_MODE_MAP_SOCKET) {
        fprintf(stderr,
                "dmacopy: --dma-after-reply needs the twin socket or map sockets; "
                "it cannot be combined with --dma-mode %s\n",
                vus_dma_mode_name(o.dma_mode));
        return 2;
    }
    d.async = o.dma_mode == VUS_DMA_MODE_ASYNC;
    d.int_ctrl = d.reset_int_ctrl;
    d.buf = malloc(COPY_BUF);
    pthread_mutex_init(&d.lock, NULL);
    pthread_cond_init(&d.kick, NULL);
    struct vus_config cfg = {
        .socket_path = o.socket_path,
        .name = "dmacopy",
        .dma_mode = o.dma_mode,
        .dma_queue_limit = o.dma_queue_limit,
        .verbose = o.verbose,
        .io_timeout_ms = o.io_timeout_ms,
        .no_idle_announce = o.no_idle_announce,
        .idle_announce_lie = o.idle_announce_lie,
        /* VERSION says migration {pgsize}, as libvfio-user's does for a
         * device with migration; nothing changes without --migration. */
        .migration_pgsize = d.mig.on ? 4096u : 0u,
    };
    d.ctx = d.buf != NULL ? vus_create(&cfg) : NULL;
    if (d.ctx == NULL) {
        perror("dmacopy: vus_create");
        return 1;
    }
    int ret = setup(&d);
    ret = ret ? ret : dmacopy_mig_setup(&d);
    if (ret < 0) {
        fprintf(stderr, "dmacopy: device setup failed: %s\n", strerror(-ret));
        vus_destroy(d.ctx);
        return 1;
    }
    vus_set_reset_cb(d.ctx, on_reset, &d);
    vus_set_dma_interrupt_cb(d.ctx, on_dma_interrupt, &d);
    if (d.after_reply) {
        vus_idle_announce_off(d.ctx); /* the worker's DMA is work of its own */
    }
    if (d.after_reply && pthread_create(&d.worker, NULL, worker_main, &d) != 0) {
        fprintf(stderr, "dmacopy: cannot start the worker thread\n");
        return 1;
    }
    int rc = model_serve(d.ctx);
    if (d.after_reply) {
        pthread_mutex_lock(&d.lock);
        d.quit = true;
        pthread_cond_signal(&d.kick);
        pthread_mutex_unlock(&d.lock);
        pthread_join(d.worker, NULL);
    }
    vus_destroy(d.ctx);
    free(d.buf);
    return rc;
}
