/*
 * mmap-able areas of a memory BAR: what vus_bar_set_mmap accepts and how
 * DEVICE_GET_REGION_INFO lists them (VFIO's sparse mmap capability).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "server_private.h"

#define VUS_PAGE_SIZE 4096u

static bool page_aligned(uint64_t v) {
    return (v & (VUS_PAGE_SIZE - 1)) == 0;
}

static bool valid_area(const struct vus_region *r, const struct vus_mmap_area *a) {
    return a->size > 0 && page_aligned(a->offset) && page_aligned(a->size) && a->offset < r->size &&
           a->size <= r->size - a->offset;
}

static bool valid_areas(const struct vus_region *r, const struct vus_mmap_area *areas,
                        size_t nr_areas) {
    if (areas == NULL || nr_areas == 0 || nr_areas > VUS_MAX_MMAP_AREAS) {
        return false;
    }
    for (size_t i = 0; i < nr_areas; i++) {
        if (!valid_area(r, &areas[i])) {
            return false;
        }
    }
    return true;
}

int vus_bar_set_mmap(struct vus_ctx *ctx, unsigned bar, int fd, uint64_t fd_offset,
                     const struct vus_mmap_area *areas, size_t nr_areas) {
    if (ctx->realized || bar > VU_PCI_BAR5_REGION || fd < 0 || !page_aligned(fd_offset)) {
        return -EINVAL;
    }
    struct vus_region *r = &ctx->regions[bar];
    if (!r->is_bar || (r->bar_flags & VUS_BAR_IO) || !valid_areas(r, areas, nr_areas)) {
        return -EINVAL;
    }
    if (r->mmap_fd >= 0) {
        return -EEXIST;
    }
    int own = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (own < 0) {
        return -errno;
    }
    r->mmap_fd = own;
    r->mmap_offset = fd_offset;
    r->nr_mmap_areas = nr_areas;
    memcpy(r->mmap_areas, areas, nr_areas * sizeof(*areas));
    return 0;
}

size_t vus_mmap_caps_size(const struct vus_region *r) {
    if (r->mmap_fd < 0) {
        return 0;
    }
    return sizeof(struct vu_region_cap_sparse_mmap) +
           r->nr_mmap_areas * sizeof(struct vu_sparse_mmap_area);
}

void vus_mmap_write_caps(const struct vus_region *r, uint8_t *out) {
    struct vu_region_cap_sparse_mmap cap = {
        .header = {.id = VU_REGION_CAP_SPARSE_MMAP, .version = 1, .next = 0},
        .nr_areas = (uint32_t)r->nr_mmap_areas,
    };
    uint8_t *p = out + sizeof(struct vu_region_info);
    memcpy(p, &cap, sizeof(cap));
    p += sizeof(cap);
    for (size_t i = 0; i < r->nr_mmap_areas; i++) {
        struct vu_sparse_mmap_area a = {.offset = r->mmap_areas[i].offset,
                                        .size = r->mmap_areas[i].size};
        memcpy(p + i * sizeof(a), &a, sizeof(a));
    }
}

void vus_mmap_close(struct vus_ctx *ctx) {
    for (unsigned i = 0; i < VU_PCI_NUM_REGIONS; i++) {
        if (ctx->regions[i].mmap_fd >= 0) {
            close(ctx->regions[i].mmap_fd);
            ctx->regions[i].mmap_fd = -1;
        }
    }
}
