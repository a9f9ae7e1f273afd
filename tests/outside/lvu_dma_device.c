/*
 * lvu_dma_device: a small copy engine on libvfio-user's public API, our own
 * code (not built by this project's CMake: libvfio-user is not a dependency).
 * It shows a libvfio-user device doing DMA through the client's windows:
 * directly through the mapping where the window came with an fd
 * (vfu_sgl_get / vfu_sgl_put), by DMA_READ / DMA_WRITE messages where it
 * did not (vfu_sgl_read / vfu_sgl_write). Build (LVU: a libvfio-user source
 * tree built with meson into LVU/build):
 *
 *   cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -I$LVU/include \
 *      tests/outside/lvu_dma_device.c -L$LVU/build/lib -lvfio-user \
 *      -Wl,-rpath,$LVU/build/lib -o lvu_dma_device
 *
 * Run: lvu_dma_device SOCKET. PCI 5243:0006. BAR0 (4 KiB, memory):
 *   0x00 u64 source address   0x08 u64 destination address
 *   0x10 u32 length (1..4096)
 *   0x18 u32 doorbell: 1 copies [source, +length) to the destination inside
 *        the doorbell's REGION_WRITE, then raises INTx
 *   0x1c u32 status of the last copy: 0 or an errno
 *   0x20 u32 bytes moved through fd mappings (read and written, summed)
 *   0x24 u32 bytes moved by DMA messages (likewise)
 * A range must lie in one DMA window (one scatter/gather entry).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>

#include "libvfio-user.h"

#define BAR0_SIZE 0x1000u
#define REG_SRC 0x00u
#define REG_DST 0x08u
#define REG_LEN 0x10u
#define REG_DOORBELL 0x18u
#define REG_STATUS 0x1cu
#define REG_DIRECT 0x20u
#define REG_MESSAGES 0x24u
#define MAX_LEN 0x1000u

struct device {
    uint8_t bar[BAR0_SIZE];
    uint8_t data[MAX_LEN];
};

static uint64_t get(const struct device *d, unsigned off, size_t size) {
    uint64_t v = 0;
    memcpy(&v, d->bar + off, size);
    return v;
}

static void put32(struct device *d, unsigned off, uint32_t v) {
    memcpy(d->bar + off, &v, sizeof(v));
}

static void count(struct device *d, bool direct, size_t len) {
    unsigned reg = direct ? REG_DIRECT : REG_MESSAGES;
    put32(d, reg, (uint32_t)(get(d, reg, 4) + len));
}

/* One side of the copy: through the mapping if the window has an fd, else
 * by messages. Returns 0 or an errno. */
static int transfer(vfu_ctx_t *ctx, struct device *d, uint64_t addr, size_t len, bool write) {
    dma_sg_t *sg = alloca(dma_sg_size());
    int prot = write ? PROT_WRITE : PROT_READ;
    errno = 0;
    if (vfu_addr_to_sgl(ctx, (vfu_dma_addr_t)(uintptr_t)addr, len, sg, 1, prot) != 1) {
        return errno != 0 ? errno : EFAULT; /* outside every window, or split */
    }
    struct iovec iov;
    if (vfu_sgl_get(ctx, sg, &iov, 1, 0) == 0) {
        if (write) {
            memcpy(iov.iov_base, d->data, len);
        } else {
            memcpy(d->data, iov.iov_base, len);
        }
        vfu_sgl_put(ctx, sg, &iov, 1); /* marks written pages dirty */
        count(d, true, len);
        return 0;
    }
    if (errno != EFAULT) {
        return errno;
    }
    int ret = write ? vfu_sgl_write(ctx, sg, 1, d->data, 0) : vfu_sgl_read(ctx, sg, 1, d->data, 0);
    if (ret < 0) {
        return errno;
    }
    count(d, false, len);
    return 0;
}

static void ring(vfu_ctx_t *ctx, struct device *d) {
    size_t len = (size_t)get(d, REG_LEN, 4);
    int err = EINVAL;
    if (len >= 1 && len <= MAX_LEN) {
        err = transfer(ctx, d, get(d, REG_SRC, 8), len, false);
    }
    if (err == 0) {
        err = transfer(ctx, d, get(d, REG_DST, 8), len, true);
    }
    put32(d, REG_STATUS, (uint32_t)err);
    if (vfu_irq_trigger(ctx, 0) < 0) {
        vfu_log(ctx, LOG_ERR, "INTx: %m");
    }
}

static ssize_t bar0_access(vfu_ctx_t *ctx, char *buf, size_t n, loff_t offset, bool is_write) {
    struct device *d = vfu_get_private(ctx);
    if (offset < 0 || (size_t)offset + n > BAR0_SIZE) {
        errno = EINVAL;
        return -1;
    }
    if (!is_write) {
        memcpy(buf, d->bar + offset, n);
        return (ssize_t)n;
    }
    if ((size_t)offset < REG_MESSAGES + 4 && (size_t)offset + n > REG_STATUS) {
        errno = EINVAL; /* status and counters are read-only */
        return -1;
    }
    memcpy(d->bar + offset, buf, n);
    if ((size_t)offset <= REG_DOORBELL && (size_t)offset + n > REG_DOORBELL) {
        uint64_t what = get(d, REG_DOORBELL, 4);
        put32(d, REG_DOORBELL, 0);
        if (what == 1) {
            ring(ctx, d);
        }
    }
    return (ssize_t)n;
}

/* vfu_sgl_get needs both callbacks; the device keeps no table of its own. */
static void dma_register(vfu_ctx_t *ctx, vfu_dma_info_t *info) {
    (void)ctx;
    (void)info;
}

static void dma_unregister(vfu_ctx_t *ctx, vfu_dma_info_t *info) {
    (void)ctx;
    (void)info;
}

static int setup(vfu_ctx_t *ctx) {
    if (vfu_pci_init(ctx, VFU_PCI_TYPE_CONVENTIONAL, PCI_HEADER_TYPE_NORMAL, 0) < 0) {
        return -1;
    }
    vfu_pci_set_id(ctx, 0x5243, 0x0006, 0, 0);
    if (vfu_setup_region(ctx, VFU_PCI_DEV_BAR0_REGION_IDX, BAR0_SIZE, bar0_access,
                         VFU_REGION_FLAG_RW | VFU_REGION_FLAG_MEM, NULL, 0, -1, 0) < 0) {
        return -1;
    }
    if (vfu_setup_device_dma(ctx, 16, dma_register, dma_unregister) < 0) {
        return -1;
    }
    if (vfu_setup_device_nr_irqs(ctx, VFU_DEV_INTX_IRQ, 1) < 0) {
        return -1;
    }
    return vfu_realize_ctx(ctx);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s SOCKET\n", argv[0]);
        return 2;
    }
    static struct device d;
    vfu_ctx_t *ctx = vfu_create_ctx(VFU_TRANS_SOCK, argv[1], 0, &d, VFU_DEV_TYPE_PCI);
    if (ctx == NULL) {
        perror("lvu_dma_device: vfu_create_ctx");
        return 1;
    }
    if (setup(ctx) < 0 || vfu_attach_ctx(ctx) < 0) {
        perror("lvu_dma_device: setup");
        vfu_destroy_ctx(ctx);
        return 1;
    }
    int ret;
    do {
        ret = vfu_run_ctx(ctx);
    } while (ret >= 0 || errno == EINTR);
    int rc = errno == ENOTCONN || errno == ESHUTDOWN ? 0 : 1;
    vfu_destroy_ctx(ctx);
    return rc;
}
