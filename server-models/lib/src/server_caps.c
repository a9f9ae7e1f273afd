/*
 * The capability list: PCI Express (v2 endpoint; Device Control carries MPS
 * and MRRS), MSI (64-bit, per-vector masking) and MSI-X (table and PBA in
 * BARs, served here so the device's BAR callback never sees them).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "server_private.h"

#define CAP_ID_MSI 0x05
#define CAP_ID_PCIE 0x10
#define CAP_ID_MSIX 0x11
#define PCIE_DEVCAP_FLR (1u << 28) /* Function Level Reset Capability */

#define PCIE_CAP_SIZE 0x3c
#define MSI_CAP_SIZE 0x18
#define MSIX_CAP_SIZE 0x0c
#define MSIX_ENTRY_SIZE 16u

int vus_cap_alloc(struct vus_ctx *ctx, uint8_t id, uint8_t size) {
    if (ctx->realized || (unsigned)ctx->cap_free + size > VUS_CFG_SIZE_PCI) {
        return -ENOSPC;
    }
    unsigned off = ctx->cap_free;
    vus_cfg_w8(ctx, off, id, 0);
    vus_cfg_w8(ctx, off + 1, 0, 0);
    ctx->space[ctx->cap_tail] = (uint8_t)off;
    ctx->cap_tail = (uint8_t)(off + 1);
    ctx->cap_free = (uint8_t)((off + size + 3) & ~3u);
    ctx->space[0x06] |= 0x10; /* Status: Capabilities List */
    return (int)off;
}

int vus_add_cap_pcie(struct vus_ctx *ctx) {
    if (ctx->pcie_off != 0) {
        return -EEXIST;
    }
    int off = vus_cap_alloc(ctx, CAP_ID_PCIE, PCIE_CAP_SIZE);
    if (off < 0) {
        return off;
    }
    unsigned o = (unsigned)off;
    vus_cfg_w16(ctx, o + 0x02, 0x0002, 0);      /* version 2, endpoint */
    vus_cfg_w32(ctx, o + 0x04, 0x00008002u, 0); /* MPS up to 512 B, role-based errors */
    vus_cfg_w16(ctx, o + 0x08, 0x2810, 0x78ff); /* MRRS 512, MPS 128, RO + no snoop on */
    vus_cfg_w16(ctx, o + 0x0a, 0, 0);           /* Device Status */
    ctx->cfg_w1c[o + 0x0a] = 0x0f;              /* error detected bits */
    vus_cfg_w32(ctx, o + 0x0c, 0x00000011u, 0); /* Link Cap: 2.5 GT/s, x1 */
    vus_cfg_w16(ctx, o + 0x10, 0, 0x00cb);      /* Link Control */
    vus_cfg_w16(ctx, o + 0x12, 0x0011, 0);      /* Link Status: 2.5 GT/s, x1 */
    vus_cfg_w32(ctx, o + 0x2c, 0x00000002u, 0); /* Link Cap 2: 2.5 GT/s supported */
    vus_cfg_w16(ctx, o + 0x30, 0x0001, 0);      /* Link Control 2: target 2.5 GT/s */
    ctx->pcie_off = (uint8_t)o;
    ctx->cfg_size = VUS_CFG_SIZE_PCIE;
    return 0;
}

int vus_pcie_advertise_flr(struct vus_ctx *ctx) {
    if (ctx->pcie_off == 0) {
        return -ENOENT;
    }
    if (ctx->realized) {
        return -EBUSY;
    }
    unsigned devcap = ctx->pcie_off + 0x04u;
    vus_cfg_w32(ctx, devcap, vus_cfg_r32(ctx, devcap) | PCIE_DEVCAP_FLR, 0);
    return 0;
}

int vus_add_cap_msi(struct vus_ctx *ctx, unsigned nvec) {
    if (ctx->msi_off != 0) {
        return -EEXIST;
    }
    if (nvec == 0 || nvec > 32 || (nvec & (nvec - 1)) != 0) {
        return -EINVAL;
    }
    int ret = vus_setup_irq(ctx, VU_PCI_MSI_IRQ, nvec);
    if (ret < 0) {
        return ret;
    }
    int off = vus_cap_alloc(ctx, CAP_ID_MSI, MSI_CAP_SIZE);
    if (off < 0) {
        return off;
    }
    unsigned o = (unsigned)off;
    unsigned mmc = 0;
    while ((1u << mmc) < nvec) {
        mmc++;
    }
    vus_cfg_w16(ctx, o + 0x02, (uint16_t)(0x0180u | mmc << 1), 0x0071);
    vus_cfg_w32(ctx, o + 0x04, 0, 0xfffffffcu);
    vus_cfg_w32(ctx, o + 0x08, 0, 0xffffffffu);
    vus_cfg_w16(ctx, o + 0x0c, 0, 0xffff);
    vus_cfg_w32(ctx, o + 0x10, 0, nvec == 32 ? 0xffffffffu : (1u << nvec) - 1);
    vus_cfg_w32(ctx, o + 0x14, 0, 0);
    ctx->msi_off = (uint8_t)o;
    ctx->msi_nvec = nvec;
    return 0;
}

static bool msix_fits(const struct vus_ctx *ctx, unsigned bar, uint32_t off, uint64_t len) {
    if (bar > VU_PCI_BAR5_REGION || (off & 7) != 0) {
        return false;
    }
    const struct vus_region *r = &ctx->regions[bar];
    return r->is_bar && !(r->bar_flags & VUS_BAR_IO) && (uint64_t)off + len <= r->size;
}

int vus_add_cap_msix(struct vus_ctx *ctx, unsigned nvec, unsigned table_bar, uint32_t table_off,
                     unsigned pba_bar, uint32_t pba_off) {
    if (ctx->msix_off != 0) {
        return -EEXIST;
    }
    uint64_t tlen = (uint64_t)nvec * MSIX_ENTRY_SIZE;
    uint64_t plen = ((nvec + 63u) / 64u) * 8u;
    if (nvec == 0 || nvec > 2048 || !msix_fits(ctx, table_bar, table_off, tlen) ||
        !msix_fits(ctx, pba_bar, pba_off, plen) ||
        (table_bar == pba_bar && table_off < pba_off + plen && pba_off < table_off + tlen)) {
        return -EINVAL;
    }
    int ret = vus_setup_irq(ctx, VU_PCI_MSIX_IRQ, nvec);
    if (ret < 0) {
        return ret;
    }
    ctx->msix_table = calloc(1, tlen);
    ctx->msix_pba = calloc(1, plen);
    if (ctx->msix_table == NULL || ctx->msix_pba == NULL) {
        return -ENOMEM;
    }
    int off = vus_cap_alloc(ctx, CAP_ID_MSIX, MSIX_CAP_SIZE);
    if (off < 0) {
        return off;
    }
    unsigned o = (unsigned)off;
    vus_cfg_w16(ctx, o + 0x02, (uint16_t)(nvec - 1), 0xc000);
    vus_cfg_w32(ctx, o + 0x04, table_off | table_bar, 0);
    vus_cfg_w32(ctx, o + 0x08, pba_off | pba_bar, 0);
    ctx->msix_off = (uint8_t)o;
    ctx->msix_nvec = nvec;
    ctx->msix_table_bar = table_bar;
    ctx->msix_table_off = table_off;
    ctx->msix_pba_bar = pba_bar;
    ctx->msix_pba_off = pba_off;
    for (unsigned v = 0; v < nvec; v++) {
        ctx->msix_table[MSIX_ENTRY_SIZE * v + 12] = 1; /* masked after reset */
    }
    return 0;
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen) {
    return a < b + blen && b < a + alen;
}

bool vus_msix_covers(const struct vus_ctx *ctx, unsigned bar, uint64_t off, size_t count) {
    if (ctx->msix_nvec == 0) {
        return false;
    }
    uint64_t tlen = (uint64_t)ctx->msix_nvec * MSIX_ENTRY_SIZE;
    uint64_t plen = ((ctx->msix_nvec + 63u) / 64u) * 8u;
    return (bar == ctx->msix_table_bar && overlaps(off, count, ctx->msix_table_off, tlen)) ||
           (bar == ctx->msix_pba_bar && overlaps(off, count, ctx->msix_pba_off, plen));
}

/* Caller holds ctx->lock. Accesses must lie wholly in the table or the PBA;
 * the PBA is read-only, and only bit 0 of Vector Control is writable. */
ssize_t vus_msix_access(struct vus_ctx *ctx, unsigned bar, uint64_t off, uint8_t *buf, size_t count,
                        bool is_write) {
    uint64_t tlen = (uint64_t)ctx->msix_nvec * MSIX_ENTRY_SIZE;
    uint64_t plen = ((ctx->msix_nvec + 63u) / 64u) * 8u;
    if (bar == ctx->msix_pba_bar && off >= ctx->msix_pba_off &&
        off + count <= ctx->msix_pba_off + plen) {
        if (!is_write) {
            memcpy(buf, ctx->msix_pba + (off - ctx->msix_pba_off), count);
        }
        return (ssize_t)count;
    }
    if (bar != ctx->msix_table_bar || off < ctx->msix_table_off ||
        off + count > ctx->msix_table_off + tlen) {
        return -EINVAL;
    }
    uint64_t rel = off - ctx->msix_table_off;
    if (!is_write) {
        memcpy(buf, ctx->msix_table + rel, count);
        return (ssize_t)count;
    }
    for (size_t i = 0; i < count; i++) {
        uint64_t at = rel + i;
        unsigned field = (unsigned)(at % MSIX_ENTRY_SIZE);
        uint8_t v = buf[i];
        if (field >= 12) {
            v = field == 12 ? (uint8_t)(v & 1) : 0;
        }
        ctx->msix_table[at] = v;
    }
    unsigned first = (unsigned)(rel / MSIX_ENTRY_SIZE);
    unsigned last = (unsigned)((rel + count - 1) / MSIX_ENTRY_SIZE);
    for (unsigned v = first; v <= last; v++) {
        vus_msix_after_table_write(ctx, v);
    }
    return (ssize_t)count;
}
