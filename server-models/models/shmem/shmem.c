/*
 * shmem: a memory BAR with an mmap-able area, backed by a memfd (the sparse
 * mmap path of a VMM). BAR0 is 8 KiB, memory, 32-bit:
 *   0x0000-0x0fff  SHARED  plain read/write memory, offered for mmap (one
 *                          sparse area): a client that maps it loads and
 *                          stores there with no message
 *   0x1000         WRITES  RO u32: REGION_WRITEs this device served (any
 *                          offset); a store into the mapping does not count
 *   0x1004-0x1fff          plain read/write memory, by messages only
 * REGION_READ/REGION_WRITE are served from the same memfd bytes the mapping
 * shows, so both paths agree byte for byte. DEVICE_RESET and FLR zero the
 * BAR (a client's mapping stays: VFIO does not revoke it on reset).
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "model_cli.h"

#define BAR0_SIZE 0x2000u
#define SHARED_SIZE 0x1000u
#define REG_WRITES 0x1000u

struct shmem {
    int fd;
    uint8_t *mem; /* the memfd, mapped: what a client's mapping shows */
    uint32_t writes;
};

static void put_writes(struct shmem *s) {
    memcpy(s->mem + REG_WRITES, &s->writes, sizeof(s->writes));
}

static bool touches_writes(uint64_t offset, size_t count) {
    return offset < REG_WRITES + 4 && REG_WRITES < offset + count;
}

static ssize_t bar0_access(void *priv, unsigned region, uint64_t offset, void *buf, size_t count,
                           bool is_write) {
    struct shmem *s = priv;
    (void)region;
    if (!is_write) {
        memcpy(buf, s->mem + offset, count);
        return (ssize_t)count;
    }
    s->writes++;
    for (size_t i = 0; i < count; i++) {
        if (!touches_writes(offset + i, 1)) {
            s->mem[offset + i] = ((const uint8_t *)buf)[i];
        }
    }
    put_writes(s);
    return (ssize_t)count;
}

static int on_reset(void *priv, enum vus_reset_reason why) {
    struct shmem *s = priv;
    if (why == VUS_RESET_DEVICE || why == VUS_RESET_PCI_FLR) {
        memset(s->mem, 0, BAR0_SIZE);
        s->writes = 0;
    }
    return 0;
}

static int open_memory(struct shmem *s) {
    s->fd = memfd_create("shmem-bar0", MFD_CLOEXEC);
    if (s->fd < 0 || ftruncate(s->fd, BAR0_SIZE) < 0) {
        return -1;
    }
    void *p = mmap(NULL, BAR0_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, 0);
    if (p == MAP_FAILED) {
        return -1;
    }
    s->mem = p;
    return 0;
}

static int setup_device(struct vus_ctx *ctx, struct shmem *s) {
    const struct vus_pci_id id = {.vendor_id = 0x5243, .device_id = 0x0007, .class_code = 0x050000};
    const struct vus_mmap_area shared = {.offset = 0, .size = SHARED_SIZE};
    int ret = vus_pci_init(ctx, &id);
    if (ret == 0) {
        ret = vus_add_cap_pcie(ctx);
    }
    if (ret == 0) {
        ret = vus_setup_bar(ctx, 0, BAR0_SIZE, VUS_BAR_MEM32, bar0_access, s);
    }
    if (ret == 0) {
        ret = vus_bar_set_mmap(ctx, 0, s->fd, 0, &shared, 1);
    }
    return ret;
}

int main(int argc, char **argv) {
    struct model_opts o;
    int pr = model_parse_args(argc, argv, "A memory BAR with an mmap-able area (BAR0, memfd).",
                              NULL, NULL, NULL, &o);
    if (pr != 0) {
        return pr > 0 ? 0 : 2;
    }
    if (!model_dma_mode_ok(&o, argv[0], true)) {
        return 2;
    }
    static struct shmem s;
    if (open_memory(&s) < 0) {
        perror("shmem: BAR0 memory");
        return 1;
    }
    struct vus_config cfg = {
        .socket_path = o.socket_path,
        .name = "shmem",
        .dma_mode = o.dma_mode,
        .dma_queue_limit = o.dma_queue_limit,
        .verbose = o.verbose,
        .io_timeout_ms = o.io_timeout_ms,
        .no_idle_announce = o.no_idle_announce,
        .idle_announce_lie = o.idle_announce_lie,
    };
    struct vus_ctx *ctx = vus_create(&cfg);
    if (ctx == NULL) {
        perror("shmem: vus_create");
        return 1;
    }
    int ret = setup_device(ctx, &s);
    if (ret < 0) {
        fprintf(stderr, "shmem: device setup failed: %s\n", strerror(-ret));
        vus_destroy(ctx);
        return 1;
    }
    vus_set_reset_cb(ctx, on_reset, &s);
    int rc = model_serve(ctx);
    vus_destroy(ctx);
    return rc;
}
