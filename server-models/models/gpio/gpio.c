/*
 * gpio: a model of libvfio-user's gpio-pci-idio-16 sample as gpio.jsonl
 * records it, so that transcript replays against us. BAR2 (I/O, 0x100 bytes):
 * a write at offset 0x0 (0x4) bumps a counter of output pins 0-7 (8-15) for
 * each bit set; a read at offset 0x1 (0x5) shows input pin i high when its
 * pin counter is a multiple of 3. Every other access reads zeros and is
 * ignored, and only the first byte of an access at those offsets counts,
 * as in the sample. One INTx, plus the ERR and REQ vectors libvfio-user adds.
 */
#include <stdio.h>
#include <string.h>

#include "model_cli.h"

struct gpio {
    unsigned pin[16];
};

static uint8_t input_byte(const struct gpio *g, unsigned first) {
    uint8_t v = 0;
    for (unsigned i = 0; i < 8; i++) {
        if (g->pin[first + i] % 3 == 0) {
            v |= (uint8_t)(1u << i);
        }
    }
    return v;
}

static ssize_t bar2_access(void *priv, unsigned region, uint64_t offset, void *buf, size_t count,
                           bool is_write) {
    struct gpio *g = priv;
    uint8_t *b = buf;
    (void)region;
    if (is_write) {
        if (offset == 0x0 || offset == 0x4) {
            unsigned first = offset == 0x0 ? 0 : 8;
            for (unsigned i = 0; i < 8; i++) {
                if (b[0] & (1u << i)) {
                    g->pin[first + i]++;
                }
            }
        }
        return (ssize_t)count;
    }
    memset(b, 0, count);
    if (offset == 0x1 || offset == 0x5) {
        b[0] = input_byte(g, offset == 0x1 ? 0 : 8);
    }
    return (ssize_t)count;
}

int main(int argc, char **argv) {
    struct model_opts o;
    int p = model_parse_args(argc, argv,
                             "Model of libvfio-user's gpio-pci-idio-16 sample (BAR2, INTx).", NULL,
                             NULL, NULL, &o);
    if (p != 0) {
        return p > 0 ? 0 : 2;
    }
    if (!model_dma_mode_ok(&o, argv[0], true)) {
        return 2;
    }
    struct vus_config cfg = {
        .socket_path = o.socket_path,
        .name = "gpio",
        .dma_mode = o.dma_mode,
        .dma_queue_limit = o.dma_queue_limit,
        .verbose = o.verbose,
        .io_timeout_ms = o.io_timeout_ms,
        .no_idle_announce = o.no_idle_announce,
        .idle_announce_lie = o.idle_announce_lie,
        .libvfio_user_irq_flags = true,
        .migration_pgsize = 4096, /* the sample sets up migration */
    };
    struct vus_ctx *ctx = vus_create(&cfg);
    if (ctx == NULL) {
        perror("gpio: vus_create");
        return 1;
    }
    static struct gpio g;
    const struct vus_pci_id id = {.vendor_id = 0x494f, .device_id = 0x0dc8};
    /* libvfio-user shows every BAR without a memory flag as I/O (0x1). */
    const uint8_t io_bar[4] = {1, 0, 0, 0};
    int ret = vus_pci_init(ctx, &id);
    for (unsigned bar = 0; bar < 6 && ret == 0; bar++) {
        if (bar != 2) {
            ret = vus_pci_set_config_bytes(ctx, 0x10 + 4 * bar, io_bar, sizeof(io_bar));
        }
    }
    if (ret == 0) {
        ret = vus_setup_bar(ctx, 2, 0x100, VUS_BAR_IO, bar2_access, &g);
    }
    for (unsigned irq = VU_PCI_INTX_IRQ; irq < VU_PCI_NUM_IRQS && ret == 0; irq++) {
        if (irq == VU_PCI_INTX_IRQ || irq == VU_PCI_ERR_IRQ || irq == VU_PCI_REQ_IRQ) {
            ret = vus_setup_irq(ctx, irq, 1);
        }
    }
    if (ret < 0) {
        fprintf(stderr, "gpio: device setup failed: %s\n", strerror(-ret));
        vus_destroy(ctx);
        return 1;
    }
    int rc = model_serve(ctx);
    vus_destroy(ctx);
    return rc;
}
