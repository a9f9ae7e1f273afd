/*
 * regs: a register file for MMIO-only tests. BAR0 (4 KiB, memory), 32-bit
 * registers, any access width (side effects apply to the bytes touched):
 *   0x000 ID          RO  0x52435247 ("GRCR" little-endian)
 *   0x004 REVISION    RO  0x00010000
 *   0x008 COUNTER     RO  u64 free-running: nanoseconds since the device was
 *                         created or reset (CLOCK_MONOTONIC); strictly grows
 *   0x010 RC          read-to-clear: a read returns the bits and clears the
 *                     bytes read; a write ORs bits in
 *   0x014 W1C         write-1-to-clear
 *   0x018 W1C_SET     write-1-to-set the W1C register; reads 0
 *   0x100-0x1ff       SCRATCH: 256 bytes of plain read/write storage
 * Anything else reads 0 and ignores writes. DEVICE_RESET and a Function Level
 * Reset (advertised in the PCIe capability) restore reset values.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "model_cli.h"

#define BAR0_SIZE 0x1000u
#define REG_ID 0x000u
#define REG_REVISION 0x004u
#define REG_COUNTER 0x008u
#define REG_RC 0x010u
#define REG_W1C 0x014u
#define REG_W1C_SET 0x018u
#define SCRATCH 0x100u
#define SCRATCH_SIZE 0x100u

#define ID_VALUE 0x52435247u
#define REVISION_VALUE 0x00010000u

struct regs {
    uint64_t epoch_ns;
    uint32_t rc;
    uint32_t w1c;
    uint8_t scratch[SCRATCH_SIZE];
};

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void reset(struct regs *r) {
    memset(r, 0, sizeof(*r));
    r->epoch_ns = now_ns();
}

/* Value of the 32-bit register at reg; mask says which bytes are read. */
static uint32_t read_reg(struct regs *r, unsigned reg, uint32_t mask) {
    uint64_t counter = now_ns() - r->epoch_ns;
    switch (reg) {
    case REG_ID:
        return ID_VALUE;
    case REG_REVISION:
        return REVISION_VALUE;
    case REG_COUNTER:
        return (uint32_t)counter;
    case REG_COUNTER + 4:
        return (uint32_t)(counter >> 32);
    case REG_RC: {
        uint32_t v = r->rc;
        r->rc &= ~mask;
        return v;
    }
    case REG_W1C:
        return r->w1c;
    default:
        return 0;
    }
}

static void write_reg(struct regs *r, unsigned reg, uint32_t v, uint32_t mask) {
    v &= mask;
    switch (reg) {
    case REG_RC:
        r->rc |= v;
        break;
    case REG_W1C:
        r->w1c &= ~v;
        break;
    case REG_W1C_SET:
        r->w1c |= v;
        break;
    default:
        break;
    }
}

/* Splits an access into the 32-bit registers it touches. */
static void reg_access(struct regs *r, uint64_t offset, uint8_t *buf, size_t count, bool is_write) {
    for (uint64_t reg = offset & ~3ull; reg < offset + count; reg += 4) {
        uint32_t mask = 0, wval = 0;
        for (unsigned b = 0; b < 4; b++) {
            uint64_t at = reg + b;
            if (at >= offset && at < offset + count) {
                mask |= 0xffu << (8 * b);
                wval |= (uint32_t)buf[at - offset] << (8 * b);
            }
        }
        if (is_write) {
            write_reg(r, (unsigned)reg, wval, mask);
            continue;
        }
        uint32_t v = read_reg(r, (unsigned)reg, mask);
        for (unsigned b = 0; b < 4; b++) {
            uint64_t at = reg + b;
            if (at >= offset && at < offset + count) {
                buf[at - offset] = (uint8_t)(v >> (8 * b));
            }
        }
    }
}

static ssize_t bar0_access(void *priv, unsigned region, uint64_t offset, void *buf, size_t count,
                           bool is_write) {
    struct regs *r = priv;
    uint8_t *b = buf;
    (void)region;
    for (size_t i = 0; i < count;) {
        uint64_t at = offset + i;
        if (at >= SCRATCH && at < SCRATCH + SCRATCH_SIZE) {
            size_t n = SCRATCH + SCRATCH_SIZE - at;
            n = n < count - i ? n : count - i;
            if (is_write) {
                memcpy(r->scratch + (at - SCRATCH), b + i, n);
            } else {
                memcpy(b + i, r->scratch + (at - SCRATCH), n);
            }
            i += n;
            continue;
        }
        /* Register space up to the scratch area (or the rest of the BAR). */
        uint64_t end = at < SCRATCH ? SCRATCH : BAR0_SIZE;
        size_t n = end - at < count - i ? (size_t)(end - at) : count - i;
        reg_access(r, at, b + i, n, is_write);
        i += n;
    }
    return (ssize_t)count;
}

static int on_reset(void *priv, enum vus_reset_reason why) {
    if (why == VUS_RESET_DEVICE || why == VUS_RESET_PCI_FLR) {
        reset(priv);
    }
    return 0;
}

int main(int argc, char **argv) {
    struct model_opts o;
    int pr = model_parse_args(argc, argv, "Register file for MMIO-only tests (BAR0).", NULL, NULL,
                              NULL, &o);
    if (pr != 0) {
        return pr > 0 ? 0 : 2;
    }
    if (!model_dma_mode_ok(&o, argv[0], true)) {
        return 2;
    }
    struct vus_config cfg = {
        .socket_path = o.socket_path,
        .name = "regs",
        .dma_mode = o.dma_mode,
        .dma_queue_limit = o.dma_queue_limit,
        .verbose = o.verbose,
        .io_timeout_ms = o.io_timeout_ms,
        .no_idle_announce = o.no_idle_announce,
        .idle_announce_lie = o.idle_announce_lie,
    };
    static struct regs r;
    reset(&r);
    struct vus_ctx *ctx = vus_create(&cfg);
    if (ctx == NULL) {
        perror("regs: vus_create");
        return 1;
    }
    const struct vus_pci_id id = {.vendor_id = 0x5243, .device_id = 0x0001, .class_code = 0xff0000};
    int ret = vus_pci_init(ctx, &id);
    if (ret == 0) {
        ret = vus_add_cap_pcie(ctx);
    }
    if (ret == 0) {
        ret = vus_pcie_advertise_flr(ctx); /* the bundled FLR-capable device */
    }
    if (ret == 0) {
        ret = vus_setup_bar(ctx, 0, BAR0_SIZE, VUS_BAR_MEM32, bar0_access, &r);
    }
    if (ret < 0) {
        fprintf(stderr, "regs: device setup failed: %s\n", strerror(-ret));
        vus_destroy(ctx);
        return 1;
    }
    vus_set_reset_cb(ctx, on_reset, &r);
    int rc = model_serve(ctx);
    vus_destroy(ctx);
    return rc;
}
