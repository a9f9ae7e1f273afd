/*
 * wide: the parts of configuration space the other models leave out, so CI
 * reaches every enumeration path: a 64-bit prefetchable BAR of 4 GiB (placed
 * above 4 GiB), an expansion ROM with known bytes, extended capabilities.
 *   BAR0 (4 KiB, 32-bit memory): 0x000 ID RO 0x45444957 ("WIDE"); the rest
 *        reads 0, writes are ignored.
 *   BAR2 (4 GiB, 64-bit prefetchable memory, BAR3 its upper half):
 *        0x0-0xf 16 bytes of scratch (read/write); every other DW reads its
 *        own offset (the DW at 0x12345678 reads 0x12345678), writes ignored.
 *   ROM (2 KiB, region 6, read-only): bytes 0x55 0xaa (the ROM signature),
 *        then byte i reads i & 0xff.
 *   Config: PCIe capability (4 KiB config space), then extended caps
 *        0x100 Device Serial Number (ID 0x0003 v1, next 0x140), serial
 *              0x0123456789abcdef (lower DW at 0x104, upper at 0x108)
 *        0x140 Vendor-Specific (ID 0x000b v1, next 0): VSEC ID 0x0001 rev 1
 *              length 0xc, data DW 0x45444957 at 0x148
 * DEVICE_RESET clears the scratch.
 */
#include <stdio.h>
#include <string.h>

#include "model_cli.h"

#define BAR0_SIZE 0x1000u
#define BAR2_SIZE 0x100000000ull
#define ROM_SIZE 0x800u
#define SCRATCH_SIZE 16u
#define ID_VALUE 0x45444957u

struct wide {
    uint8_t scratch[SCRATCH_SIZE];
};

static uint8_t byte_of(uint32_t v, uint64_t at) {
    return (uint8_t)(v >> (8 * (at & 3)));
}

static ssize_t bar0_access(void *priv, unsigned region, uint64_t offset, void *buf, size_t count,
                           bool is_write) {
    uint8_t *b = buf;
    (void)priv;
    (void)region;
    for (size_t i = 0; !is_write && i < count; i++) {
        uint64_t at = offset + i;
        b[i] = at < 4 ? byte_of(ID_VALUE, at) : 0;
    }
    return (ssize_t)count;
}

static ssize_t bar2_access(void *priv, unsigned region, uint64_t offset, void *buf, size_t count,
                           bool is_write) {
    struct wide *w = priv;
    uint8_t *b = buf;
    (void)region;
    for (size_t i = 0; i < count; i++) {
        uint64_t at = offset + i;
        if (at < SCRATCH_SIZE && is_write) {
            w->scratch[at] = b[i];
        } else if (at < SCRATCH_SIZE) {
            b[i] = w->scratch[at];
        } else if (!is_write) {
            b[i] = byte_of((uint32_t)(at & ~3ull), at);
        }
    }
    return (ssize_t)count;
}

static ssize_t rom_access(void *priv, unsigned region, uint64_t offset, void *buf, size_t count,
                          bool is_write) {
    uint8_t *b = buf;
    (void)priv;
    (void)region;
    (void)is_write; /* the library refuses writes to a read-only region */
    for (size_t i = 0; i < count; i++) {
        uint64_t at = offset + i;
        b[i] = at == 0 ? 0x55 : at == 1 ? 0xaa : (uint8_t)at;
    }
    return (ssize_t)count;
}

static int on_reset(void *priv, enum vus_reset_reason why) {
    if (why == VUS_RESET_DEVICE) {
        memset(priv, 0, sizeof(struct wide));
    }
    return 0;
}

/* Little-endian DWs of the extended capabilities at 0x100 and 0x140. */
static int add_ext_caps(struct vus_ctx *ctx) {
    const uint32_t dsn[3] = {0x14010003u, 0x89abcdefu, 0x01234567u};
    const uint32_t vsec[3] = {0x0001000bu, 0x00c10001u, ID_VALUE};
    uint8_t bytes[12];
    for (unsigned i = 0; i < 12; i++) {
        bytes[i] = (uint8_t)(dsn[i / 4] >> (8 * (i % 4)));
    }
    int ret = vus_pci_set_config_bytes(ctx, 0x100, bytes, sizeof(bytes));
    for (unsigned i = 0; i < 12; i++) {
        bytes[i] = (uint8_t)(vsec[i / 4] >> (8 * (i % 4)));
    }
    return ret == 0 ? vus_pci_set_config_bytes(ctx, 0x140, bytes, sizeof(bytes)) : ret;
}

static int setup(struct vus_ctx *ctx, struct wide *w) {
    const struct vus_pci_id id = {.vendor_id = 0x5243, .device_id = 0x0005, .class_code = 0xff0000};
    int ret = vus_pci_init(ctx, &id);
    ret = ret ? ret : vus_add_cap_pcie(ctx);
    ret = ret ? ret : add_ext_caps(ctx);
    ret = ret ? ret : vus_setup_bar(ctx, 0, BAR0_SIZE, VUS_BAR_MEM32, bar0_access, w);
    ret = ret ? ret
              : vus_setup_bar(ctx, 2, BAR2_SIZE, VUS_BAR_MEM64 | VUS_BAR_PREFETCH, bar2_access, w);
    return ret ? ret : vus_setup_rom(ctx, ROM_SIZE, rom_access, w);
}

int main(int argc, char **argv) {
    struct model_opts o;
    int pr = model_parse_args(argc, argv,
                              "64-bit BAR above 4 GiB, expansion ROM, extended capabilities.", NULL,
                              NULL, NULL, &o);
    if (pr != 0) {
        return pr > 0 ? 0 : 2;
    }
    if (!model_dma_mode_ok(&o, argv[0], true)) {
        return 2;
    }
    struct vus_config cfg = {
        .socket_path = o.socket_path,
        .name = "wide",
        .dma_mode = o.dma_mode,
        .dma_queue_limit = o.dma_queue_limit,
        .verbose = o.verbose,
        .io_timeout_ms = o.io_timeout_ms,
        .no_idle_announce = o.no_idle_announce,
        .idle_announce_lie = o.idle_announce_lie,
    };
    static struct wide w;
    struct vus_ctx *ctx = vus_create(&cfg);
    if (ctx == NULL) {
        perror("wide: vus_create");
        return 1;
    }
    int ret = setup(ctx, &w);
    if (ret < 0) {
        fprintf(stderr, "wide: device setup failed: %s\n", strerror(-ret));
        vus_destroy(ctx);
        return 1;
    }
    vus_set_reset_cb(ctx, on_reset, &w);
    int rc = model_serve(ctx);
    vus_destroy(ctx);
    return rc;
}
