// BARs of a connected device (device_bars.hpp): region sizes and the kind
// bits of the config-space BAR registers.
#include "device_bars.hpp"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <unistd.h>

namespace rcsim {

namespace {

using topology::BarKind;
using topology::BarSpec;

constexpr unsigned kBars = 6;
constexpr uint32_t kBarRegsOffset = 0x10;

std::string failed(int rc) {
    return std::string("failed: ") + std::strerror(-rc);
}

// The size of region `index`, 0 when the device has none.
int region_size(vuc_ctx *ctx, uint32_t index, uint64_t *size, std::string *error) {
    vuc_region r;
    const int rc = vuc_region_info(ctx, index, &r);
    if (rc < 0) {
        *error = "DEVICE_GET_REGION_INFO of region " + std::to_string(index) + " " + failed(rc);
        return rc;
    }
    if (r.fd >= 0) // an mmap-able region: the mapping is not wanted here
        close(r.fd);
    *size = r.info.size;
    return 0;
}

// The six BAR registers (little endian) from config space.
int read_bar_regs(vuc_ctx *ctx, uint32_t regs[kBars], std::string *error) {
    uint8_t raw[4 * kBars];
    const int rc = vuc_region_read(ctx, VU_PCI_CONFIG_REGION, kBarRegsOffset, raw, sizeof(raw));
    if (rc < 0) {
        *error = "reading the BAR registers in config space " + failed(rc);
        return rc;
    }
    for (unsigned i = 0; i < kBars; ++i)
        regs[i] = uint32_t(raw[4 * i]) | uint32_t(raw[4 * i + 1]) << 8 |
                  uint32_t(raw[4 * i + 2]) << 16 | uint32_t(raw[4 * i + 3]) << 24;
    return 0;
}

BarKind kind_of(uint32_t reg) {
    if (reg & 1)
        return BarKind::Io;
    if (((reg >> 1) & 3) != 2)
        return BarKind::Mem32; // a 32-bit prefetchable BAR lives below 4 GiB too
    return (reg & 8) ? BarKind::Mem64Pref : BarKind::Mem64;
}

int gather_bar_regions(vuc_ctx *ctx, uint32_t nregions, std::vector<BarSpec> *out,
                       std::string *error) {
    uint32_t regs[kBars];
    int rc = read_bar_regs(ctx, regs, error);
    for (unsigned i = 0; rc == 0 && i < kBars && i < nregions; ++i) {
        uint64_t size = 0;
        rc = region_size(ctx, i, &size, error);
        if (rc < 0 || size == 0)
            continue;
        const BarKind kind = kind_of(regs[i]);
        out->push_back(BarSpec{i, kind, size});
        if (kind == BarKind::Mem64 || kind == BarKind::Mem64Pref)
            ++i; // its upper half
    }
    return rc;
}

} // namespace

int gather_device_bars(vuc_ctx *ctx, std::vector<BarSpec> *out, std::string *error) {
    vu_device_info info;
    int rc = vuc_device_get_info(ctx, &info);
    if (rc < 0) {
        *error = "DEVICE_GET_INFO " + failed(rc);
        return rc;
    }
    if (info.num_regions <= VU_PCI_CONFIG_REGION) {
        *error = "DEVICE_GET_INFO says " + std::to_string(info.num_regions) +
                 " regions: no config space (region 7)";
        return -EPROTO;
    }
    out->clear();
    rc = gather_bar_regions(ctx, info.num_regions, out, error);
    uint64_t rom = 0;
    if (rc == 0)
        rc = region_size(ctx, VU_PCI_ROM_REGION, &rom, error);
    if (rc == 0 && rom != 0)
        out->push_back(BarSpec{0, BarKind::Rom, rom});
    return rc;
}

} // namespace rcsim
