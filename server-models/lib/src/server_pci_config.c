/*
 * PCI config space (region 7): a type 0 header, BAR registers with the usual
 * sizing behaviour, and per-bit write masks. Every byte has a mask of bits
 * software may write and a mask of bits it clears by writing 1 (status
 * registers), so BAR sizing falls out of the mask: writing all ones to a BAR
 * reads back ~(size-1) plus its type bits.
 */
#include <errno.h>
#include <string.h>

#include "server_private.h"

#define CFG_COMMAND 0x04
#define CFG_STATUS 0x06
#define CFG_CACHE_LINE 0x0c
#define CFG_BAR0 0x10
#define CFG_ROM 0x30
#define CFG_CAP_PTR 0x34
#define CFG_INT_LINE 0x3c

#define CMD_WRITABLE 0x0547u /* I/O, memory, bus master, parity, SERR, INTx disable */
#define STATUS_W1C 0xf900u   /* error bits */
#define STATUS_CAP_LIST 0x0010u

uint16_t vus_cfg_r16(const struct vus_ctx *ctx, unsigned off) {
    return (uint16_t)(ctx->space[off] | ctx->space[off + 1] << 8);
}

uint32_t vus_cfg_r32(const struct vus_ctx *ctx, unsigned off) {
    return (uint32_t)vus_cfg_r16(ctx, off) | (uint32_t)vus_cfg_r16(ctx, off + 2) << 16;
}

void vus_cfg_w8(struct vus_ctx *ctx, unsigned off, uint8_t v, uint8_t wmask) {
    ctx->space[off] = v;
    ctx->cfg_wmask[off] = wmask;
}

void vus_cfg_w16(struct vus_ctx *ctx, unsigned off, uint16_t v, uint16_t wmask) {
    vus_cfg_w8(ctx, off, (uint8_t)v, (uint8_t)wmask);
    vus_cfg_w8(ctx, off + 1, (uint8_t)(v >> 8), (uint8_t)(wmask >> 8));
}

void vus_cfg_w32(struct vus_ctx *ctx, unsigned off, uint32_t v, uint32_t wmask) {
    vus_cfg_w16(ctx, off, (uint16_t)v, (uint16_t)wmask);
    vus_cfg_w16(ctx, off + 2, (uint16_t)(v >> 16), (uint16_t)(wmask >> 16));
}

void vus_cfg_init(struct vus_ctx *ctx) {
    ctx->cfg_size = VUS_CFG_SIZE_PCI;
    ctx->cap_free = 0x40;
    ctx->cap_tail = CFG_CAP_PTR;
    vus_cfg_w16(ctx, CFG_COMMAND, 0, CMD_WRITABLE);
    ctx->cfg_w1c[CFG_STATUS + 1] = (uint8_t)(STATUS_W1C >> 8);
    vus_cfg_w8(ctx, CFG_CACHE_LINE, 0, 0xff);
    vus_cfg_w8(ctx, CFG_INT_LINE, 0, 0xff);
}

static bool is_pow2(uint64_t v) {
    return v != 0 && (v & (v - 1)) == 0;
}

int vus_cfg_setup_bar(struct vus_ctx *ctx, unsigned bar, uint64_t size, uint32_t bar_flags) {
    bool io = bar_flags & VUS_BAR_IO;
    bool mem64 = bar_flags & VUS_BAR_MEM64;
    if (!is_pow2(size) || (io && (mem64 || (bar_flags & VUS_BAR_PREFETCH))) ||
        (io && (size < 4 || size > 256)) || (!io && size < 16) ||
        (!mem64 && size > 0x80000000ull) || (mem64 && bar >= VU_PCI_BAR5_REGION)) {
        return -EINVAL;
    }
    /* Neither half of a 64-bit BAR may be claimed twice. */
    if ((bar > 0 && ctx->regions[bar - 1].is_bar &&
         (ctx->regions[bar - 1].bar_flags & VUS_BAR_MEM64)) ||
        ctx->regions[bar].is_bar || (mem64 && ctx->regions[bar + 1].is_bar)) {
        return -EBUSY;
    }
    unsigned off = CFG_BAR0 + 4 * bar;
    if (io) {
        vus_cfg_w32(ctx, off, 0x1, (uint32_t) ~(size - 1) & ~0x3u);
        return 0;
    }
    uint32_t type = (mem64 ? 0x4u : 0) | (bar_flags & VUS_BAR_PREFETCH ? 0x8u : 0);
    uint32_t low_mask = size >= 0x100000000ull ? 0 : (uint32_t) ~(size - 1) & ~0xfu;
    vus_cfg_w32(ctx, off, type, low_mask);
    if (mem64) {
        vus_cfg_w32(ctx, off + 4, 0, (uint32_t) ~((size - 1) >> 32));
    }
    return 0;
}

/* Expansion ROM BAR (0x30): address bits 31:11 writable down to the size,
 * bit 0 the ROM enable; a ROM is at least 2 KiB (PCI 3.0, 6.2.5.2). */
int vus_cfg_setup_rom(struct vus_ctx *ctx, uint64_t size) {
    if (!is_pow2(size) || size < 0x800 || size > 0x80000000ull) {
        return -EINVAL;
    }
    vus_cfg_w32(ctx, CFG_ROM, 0, ((uint32_t) ~(size - 1) & 0xfffff800u) | 0x1u);
    return 0;
}

void vus_cfg_finalize(struct vus_ctx *ctx) {
    memcpy(ctx->cfg_reset, ctx->space, sizeof(ctx->space));
}

void vus_cfg_reset(struct vus_ctx *ctx) {
    memcpy(ctx->space, ctx->cfg_reset, sizeof(ctx->space));
    for (unsigned v = 0; v < ctx->msix_nvec; v++) {
        memset(ctx->msix_table + 16 * v, 0, 12);
        ctx->msix_table[16 * v + 12] = 1; /* vectors come out of reset masked */
    }
    if (ctx->msix_pba != NULL) {
        memset(ctx->msix_pba, 0, ((ctx->msix_nvec + 63) / 64) * 8);
    }
}

/* Keeps MSI Multiple Message Enable within what the capability offers. */
static void clamp_msi_mme(struct vus_ctx *ctx) {
    if (ctx->msi_off == 0) {
        return;
    }
    unsigned ctl = ctx->msi_off + 2;
    uint16_t v = vus_cfg_r16(ctx, ctl);
    unsigned mmc = (v >> 1) & 7;
    unsigned mme = (v >> 4) & 7;
    if (mme > mmc) {
        v = (uint16_t)((v & ~0x70u) | (mmc << 4));
        ctx->space[ctl] = (uint8_t)v;
    }
}

/* 1 when a write of [off, +count) sets Initiate FLR (bit 15 of the PCIe
 * capability's Device Control, at cap + 0x08), 0 when it does not, -EINVAL
 * when it does but Device Capabilities (cap + 0x04) bit 28 does not
 * advertise FLR: libvfio-user refuses that write so. */
static int flr_written(const struct vus_ctx *ctx, uint64_t off, const uint8_t *buf, size_t count) {
    if (ctx->pcie_off == 0) {
        return 0;
    }
    uint64_t at = ctx->pcie_off + 0x09u; /* Device Control's upper byte */
    if (at < off || at >= off + count || !(buf[at - off] & 0x80u)) {
        return 0;
    }
    if (!(vus_cfg_r32(ctx, ctx->pcie_off + 0x04u) & (1u << 28))) {
        return -EINVAL;
    }
    return 1;
}

/* Caller holds ctx->lock. */
ssize_t vus_cfg_access(struct vus_ctx *ctx, uint64_t off, uint8_t *buf, size_t count,
                       bool is_write) {
    if (off > ctx->cfg_size || count > ctx->cfg_size - off) {
        return -EINVAL;
    }
    if (!is_write) {
        memcpy(buf, ctx->space + off, count);
        return (ssize_t)count;
    }
    int flr = flr_written(ctx, off, buf, count);
    if (flr < 0) {
        return flr;
    }
    ctx->flr_requested = flr > 0;
    for (size_t i = 0; i < count; i++) {
        size_t at = off + i;
        uint8_t wm = ctx->cfg_wmask[at];
        uint8_t v = (uint8_t)((ctx->space[at] & ~wm) | (buf[i] & wm));
        v = (uint8_t)(v & ~(buf[i] & ctx->cfg_w1c[at]));
        ctx->space[at] = v;
    }
    clamp_msi_mme(ctx);
    vus_irq_after_cfg_write(ctx);
    return (ssize_t)count;
}
