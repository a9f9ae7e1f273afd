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
 * and runs it on a worker thread (needs the twin socket).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_cli.h"

#define BAR0_SIZE 0x1000u
#define BAR2_SIZE 0x1000u
#define MSIX_VECTORS 4u

#define REG_RING_BASE_LO 0x00u
#define REG_RING_BASE_HI 0x04u
#define REG_RING_SIZE 0x08u
#define REG_HEAD 0x10u
#define REG_TAIL 0x14u
#define REG_STATUS 0x18u
#define REG_INT_CTRL 0x1cu
#define REG_COMPLETED 0x20u
#define REG_INT_STATUS 0x24u
#define REG_ID 0x28u

#define ID_VALUE 0x52434443u /* "CDCR" */
#define STATUS_BUSY 0x1u
#define STATUS_ERROR 0x2u
#define STATUS_IRQ_FAILED 0x4u
#define INT_MODE_MASK 0x3u
#define INT_NONE 0u
#define INT_INTX 1u
#define INT_MSI 2u
#define INT_MSIX 3u

#define DESC_SIZE 32u
#define DESC_F_IRQ 0x1u
#define MAX_RING 65536u
#define MAX_COPY (64u * 1024u * 1024u)
#define COPY_BUF (1024u * 1024u)

struct desc {
    uint64_t src;
    uint64_t dst;
    uint32_t len;
    uint32_t flags;
    uint64_t completion;
};

struct completion_record {
    uint32_t status; /* 0 or an errno */
    uint32_t length; /* bytes copied */
    uint64_t seq;    /* COMPLETED after this descriptor */
};

struct dmacopy {
    struct vus_ctx *ctx;
    pthread_mutex_t lock; /* registers; the worker and the loop thread share them */
    pthread_cond_t kick;
    pthread_t worker;
    bool after_reply;
    bool work;
    bool quit;
    uint32_t reset_int_ctrl;
    uint64_t ring_base;
    uint32_t ring_size;
    uint32_t head;
    uint32_t tail;
    uint32_t status;
    uint32_t int_ctrl;
    uint32_t completed;
    uint32_t int_status;
    uint8_t *buf;
};

static void set_error(struct dmacopy *d, uint32_t flag, int err) {
    pthread_mutex_lock(&d->lock);
    d->status |= flag;
    if (flag == STATUS_ERROR) {
        d->status = (d->status & 0xffffu) | (uint32_t)err << 16;
    }
    pthread_mutex_unlock(&d->lock);
}

static int copy_data(struct dmacopy *d, const struct desc *ds, uint32_t *copied) {
    *copied = 0;
    if (ds->len > MAX_COPY) {
        return -EINVAL;
    }
    while (*copied < ds->len) {
        uint32_t n = ds->len - *copied < COPY_BUF ? ds->len - *copied : COPY_BUF;
        int ret = vus_dma_read(d->ctx, ds->src + *copied, d->buf, n);
        if (ret == 0) {
            ret = vus_dma_write(d->ctx, ds->dst + *copied, d->buf, n);
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
    pthread_mutex_lock(&d->lock);
    struct completion_record rec = {
        .status = (uint32_t)-ret, .length = copied, .seq = (uint64_t)d->completed + 1};
    pthread_mutex_unlock(&d->lock);
    if (ds.completion != 0) {
        int wret = vus_dma_write(d->ctx, ds.completion, &rec, sizeof(rec));
        ret = ret < 0 ? ret : wret;
    }
    *want_irq = *want_irq || (ds.flags & DESC_F_IRQ);
    return ret;
}

static void raise_irq(struct dmacopy *d) {
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
        set_error(d, STATUS_IRQ_FAILED, -ret);
    }
}

static void process_ring(struct dmacopy *d) {
    bool want_irq = false;
    for (;;) {
        pthread_mutex_lock(&d->lock);
        uint32_t tail = d->tail, head = d->head, size = d->ring_size;
        uint64_t addr = d->ring_base + (uint64_t)tail * DESC_SIZE;
        bool stop = tail == head || (d->status & STATUS_ERROR);
        d->status = stop ? d->status & ~STATUS_BUSY : d->status | STATUS_BUSY;
        pthread_mutex_unlock(&d->lock);
        if (stop) {
            break;
        }
        int ret = run_desc(d, addr, &want_irq);
        pthread_mutex_lock(&d->lock);
        d->tail = (tail + 1) % size;
        d->completed++;
        pthread_mutex_unlock(&d->lock);
        if (ret < 0) {
            fprintf(stderr, "dmacopy: descriptor %u failed: %s\n", tail, strerror(-ret));
            set_error(d, STATUS_ERROR, -ret);
        }
    }
    if (want_irq) {
        raise_irq(d);
    }
}

static void *worker_main(void *arg) {
    struct dmacopy *d = arg;
    pthread_mutex_lock(&d->lock);
    while (!d->quit) {
        if (!d->work) {
            pthread_cond_wait(&d->kick, &d->lock);
            continue;
        }
        d->work = false;
        pthread_mutex_unlock(&d->lock);
        process_ring(d);
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
    if (doorbell && !d->after_reply) {
        process_ring(d); /* inside the REGION_WRITE, as libvfio-user devices do */
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
    if (why != VUS_RESET_DEVICE) {
        return 0;
    }
    pthread_mutex_lock(&d->lock);
    d->ring_base = 0;
    d->ring_size = d->head = d->tail = d->status = d->completed = d->int_status = 0;
    d->int_ctrl = d->reset_int_ctrl;
    pthread_mutex_unlock(&d->lock);
    return 0;
}

static int on_option(void *priv, const char *name, const char *value) {
    struct dmacopy *d = priv;
    if (strcmp(name, "dma-after-reply") == 0) {
        d->after_reply = true;
        return 0;
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
         "reply to the doorbell first and copy on a worker thread (needs the twin socket)"},
        {"irq", true, "interrupt mode after reset: none, intx, msi or msix (default msix)"},
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
    if (d.after_reply && o.dma_mode != VUS_DMA_MODE_TWIN) {
        fprintf(stderr,
                "dmacopy: --dma-after-reply needs the twin socket; "
                "it cannot be combined with --dma-mode %s\n",
                vus_dma_mode_name(o.dma_mode));
        return 2;
    }
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
    };
    d.ctx = d.buf != NULL ? vus_create(&cfg) : NULL;
    if (d.ctx == NULL) {
        perror("dmacopy: vus_create");
        return 1;
    }
    int ret = setup(&d);
    if (ret < 0) {
        fprintf(stderr, "dmacopy: device setup failed: %s\n", strerror(-ret));
        vus_destroy(d.ctx);
        return 1;
    }
    vus_set_reset_cb(d.ctx, on_reset, &d);
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
