#include "bar_mappings.hpp"

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace rcsim {

namespace {

constexpr uint64_t kPage = 4096;

std::string hex(uint64_t v) {
    char b[24];
    std::snprintf(b, sizeof b, "0x%" PRIx64, v);
    return b;
}

std::string region_name(unsigned index) {
    return index <= VU_PCI_BAR5_REGION ? "BAR" + std::to_string(index)
                                       : "region " + std::to_string(index);
}

std::string area_name(const vu_sparse_mmap_area &a) {
    return "[" + hex(a.offset) + ",+" + hex(a.size) + ")";
}

// The areas a reply offers: its sparse list, or the whole region when the
// server gave no list (VFIO's meaning of MMAP without the capability).
std::vector<vu_sparse_mmap_area> offered_areas(const vuc_region &r) {
    if (r.nr_areas == 0)
        return {vu_sparse_mmap_area{0, r.info.size}};
    return std::vector<vu_sparse_mmap_area>(r.areas, r.areas + r.nr_areas_stored);
}

// Why the area cannot be mapped from an fd of `fd_size` bytes (-1: not a
// regular file, its size says nothing), or "".
std::string area_problem(const vuc_region &r, const vu_sparse_mmap_area &a, int64_t fd_size) {
    if (a.size == 0 || a.offset % kPage || a.size % kPage || r.info.offset % kPage)
        return "is not page aligned (4 KiB) at fd offset " + hex(r.info.offset);
    if (a.offset > r.info.size || a.size > r.info.size - a.offset)
        return "lies outside the region (size " + hex(r.info.size) + ")";
    const uint64_t end = r.info.offset + a.offset + a.size;
    if (end < r.info.offset)
        return "wraps the fd offset";
    if (fd_size >= 0 && uint64_t(fd_size) < end)
        return "ends at fd offset " + hex(end) + " but the fd has only " + hex(uint64_t(fd_size)) +
               " bytes (an access there would raise SIGBUS)";
    return {};
}

} // namespace

BarMappings::~BarMappings() {
    for (const Area &a : areas_)
        munmap(a.base, a.size);
}

int BarMappings::map_region(unsigned index, vuc_region &info, std::string *error) {
    const int fd = info.fd;
    info.fd = -1;
    struct FdCloser {
        int fd;
        ~FdCloser() {
            if (fd >= 0)
                close(fd);
        }
    } closer{fd};
    if (!(info.info.flags & VU_REGION_F_MMAP) || info.info.size == 0)
        return 0;
    const std::string what = region_name(index) + "'s mmap offer";
    if (fd < 0) {
        *error = what + " has the MMAP flag but the reply carried no fd";
        return -EPROTO;
    }
    if (info.nr_areas > info.nr_areas_stored) {
        *error = what + " lists " + std::to_string(info.nr_areas) + " areas, more than " +
                 std::to_string(VUC_MAX_SPARSE_AREAS);
        return -EPROTO;
    }
    struct stat st {};
    if (fstat(fd, &st) < 0) {
        const int e = errno;
        *error = what + ": fstat of its fd failed: " + strerror(e);
        return -e;
    }
    const int64_t fd_size = S_ISREG(st.st_mode) ? int64_t(st.st_size) : -1;
    const int prot = (info.info.flags & VU_REGION_F_READ ? PROT_READ : 0) |
                     (info.info.flags & VU_REGION_F_WRITE ? PROT_WRITE : 0);
    for (const vu_sparse_mmap_area &a : offered_areas(info)) {
        const std::string why = area_problem(info, a, fd_size);
        if (!why.empty()) {
            *error = what + ": area " + area_name(a) + " " + why;
            return -EPROTO;
        }
        void *p = mmap(nullptr, a.size, prot, MAP_SHARED, fd, off_t(info.info.offset + a.offset));
        if (p == MAP_FAILED) {
            const int e = errno;
            *error = what + ": area " + area_name(a) + " cannot be mapped: " + strerror(e);
            return -e;
        }
        areas_.push_back({index, a.offset, a.size, static_cast<uint8_t *>(p)});
    }
    return 0;
}

uint8_t *BarMappings::find(unsigned index, uint64_t offset, uint64_t len) const {
    for (const Area &a : areas_)
        if (a.index == index && offset >= a.offset && len <= a.size &&
            offset - a.offset <= a.size - len)
            return a.base + (offset - a.offset);
    return nullptr;
}

std::vector<std::string> BarMappings::describe() const {
    std::vector<std::string> out;
    for (const Area &a : areas_)
        out.push_back(region_name(a.index) + " [" + hex(a.offset) + ",+" + hex(a.size) + ")");
    return out;
}

} // namespace rcsim
