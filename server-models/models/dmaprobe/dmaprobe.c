/*
 * dmaprobe: the register layout of the dma_server recorded in
 * tests/transcripts, so recorded exchanges and ours compare side by side.
 * BAR0 (4 KiB, memory):
 *   0x00 u64 DMA address      0x08 u64 length
 *   0x10 u64 doorbell: 1 = DMA_READ [address, +length) into the scratch
 *        buffer, 2 = DMA_WRITE the scratch buffer there; the DMA runs inside
 *        the doorbell's REGION_WRITE, as in libvfio-user devices
 *   0x18 u64 status of the last doorbell: 0 or an errno
 *   0x100.. scratch buffer (readable and writable)
 * The registers survive a client disconnect (race279_next_client.jsonl reads
 * the status a previous client left); DEVICE_RESET clears them.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "model_cli.h"

#define BAR0_SIZE 0x1000u
#define REG_ADDR 0x00u
#define REG_LEN 0x08u
#define REG_DOORBELL 0x10u
#define REG_STATUS 0x18u
#define SCRATCH 0x100u
#define SCRATCH_SIZE (BAR0_SIZE - SCRATCH)

struct probe {
    struct vus_ctx *ctx;
    uint8_t bar[BAR0_SIZE]; /* registers as stored, and the scratch buffer */
};

static uint64_t get64(const struct probe *p, unsigned off) {
    uint64_t v;
    memcpy(&v, p->bar + off, sizeof(v));
    return v;
}

static void put64(struct probe *p, unsigned off, uint64_t v) {
    memcpy(p->bar + off, &v, sizeof(v));
}

static void ring(struct probe *p, uint64_t what) {
    uint64_t addr = get64(p, REG_ADDR);
    uint64_t len = get64(p, REG_LEN);
    int ret = -EINVAL;
    if (len <= SCRATCH_SIZE && what == 1) {
        ret = vus_dma_read(p->ctx, addr, p->bar + SCRATCH, len);
    } else if (len <= SCRATCH_SIZE && what == 2) {
        ret = vus_dma_write(p->ctx, addr, p->bar + SCRATCH, len);
    }
    put64(p, REG_STATUS, (uint64_t)-ret);
    fprintf(stderr, "dmaprobe: doorbell %llu addr %#llx len %llu -> status %d\n",
            (unsigned long long)what, (unsigned long long)addr, (unsigned long long)len, -ret);
}

static ssize_t bar0_access(void *priv, unsigned region, uint64_t offset, void *buf, size_t count,
                           bool is_write) {
    struct probe *p = priv;
    (void)region;
    if (!is_write) {
        memcpy(buf, p->bar + offset, count);
        return (ssize_t)count;
    }
    bool doorbell = offset <= REG_DOORBELL && offset + count > REG_DOORBELL;
    bool status = offset < REG_STATUS + 8 && offset + count > REG_STATUS;
    if (status) {
        return -EINVAL; /* read-only */
    }
    memcpy(p->bar + offset, buf, count);
    if (doorbell) {
        uint64_t what = get64(p, REG_DOORBELL);
        put64(p, REG_DOORBELL, 0);
        ring(p, what);
    }
    return (ssize_t)count;
}

static int on_reset(void *priv, enum vus_reset_reason why) {
    struct probe *p = priv;
    if (why == VUS_RESET_DEVICE) {
        memset(p->bar, 0, sizeof(p->bar));
    }
    return 0;
}

int main(int argc, char **argv) {
    struct model_opts o;
    int pr = model_parse_args(argc, argv, "DMA probe with the recorded dma_server's BAR0 layout.",
                              NULL, NULL, NULL, &o);
    if (pr != 0) {
        return pr > 0 ? 0 : 2;
    }
    if (!model_dma_mode_ok(&o, argv[0], false)) {
        return 2;
    }
    struct vus_config cfg = {
        .socket_path = o.socket_path,
        .name = "dmaprobe",
        .dma_mode = o.dma_mode,
        .dma_queue_limit = o.dma_queue_limit,
        .verbose = o.verbose,
        .io_timeout_ms = o.io_timeout_ms,
        .no_idle_announce = o.no_idle_announce,
        .idle_announce_lie = o.idle_announce_lie,
        .libvfio_user_irq_flags = true,
    };
    static struct probe p;
    p.ctx = vus_create(&cfg);
    if (p.ctx == NULL) {
        perror("dmaprobe: vus_create");
        return 1;
    }
    const struct vus_pci_id id = {.vendor_id = 0x5243, .device_id = 0x0002, .class_code = 0xff0000};
    int ret = vus_pci_init(p.ctx, &id);
    if (ret == 0) {
        ret = vus_setup_bar(p.ctx, 0, BAR0_SIZE, VUS_BAR_MEM32, bar0_access, &p);
    }
    if (ret == 0) {
        ret = vus_setup_irq(p.ctx, VU_PCI_INTX_IRQ, 1);
    }
    if (ret < 0) {
        fprintf(stderr, "dmaprobe: device setup failed: %s\n", strerror(-ret));
        vus_destroy(p.ctx);
        return 1;
    }
    vus_set_reset_cb(p.ctx, on_reset, &p);
    int rc = model_serve(p.ctx);
    vus_destroy(p.ctx);
    return rc;
}
