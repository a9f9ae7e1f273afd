// The mmap-able areas of the device's regions, mapped as a VMM maps them
// into a guest: the server listed them in DEVICE_GET_REGION_INFO (sparse
// mmap capability) and sent the fd backing the region. The bridge serves a
// MemRd/MemWr that lies wholly inside one area from the mapping, with no
// REGION_READ/REGION_WRITE (sim/bridge/README.md, "Mapped areas"). Only
// memory BARs ever consult the mappings: I/O BARs go by messages always.
#pragma once

#include "vfio_user/client.h"

#include <cstdint>
#include <string>
#include <vector>

namespace rcsim {

class BarMappings {
  public:
    BarMappings() = default;
    ~BarMappings();
    BarMappings(const BarMappings &) = delete;
    BarMappings &operator=(const BarMappings &) = delete;

    // Maps every area of region `index` as `info` (a parsed reply) describes
    // it; takes info.fd (closed once mapped, the mappings stay). A region
    // without the MMAP flag is left alone (0, the fd closed). A bad offer
    // (no fd, an area not page aligned, an fd shorter than the region's
    // offset + area, an fd mmap refuses) is -EPROTO or mmap's errno, with
    // `error` naming the region, the area and what is wrong.
    int map_region(unsigned index, vuc_region &info, std::string *error);

    // Where [offset, offset+len) of region `index` lives in this process,
    // or nullptr when it is not wholly inside one mapped area.
    uint8_t *find(unsigned index, uint64_t offset, uint64_t len) const;

    size_t areas() const { return areas_.size(); }
    // "BAR2 [0x0,+0x1000)" for each mapped area, in mapping order.
    std::vector<std::string> describe() const;

  private:
    struct Area {
        unsigned index;
        uint64_t offset, size; // within the region
        uint8_t *base;
    };
    std::vector<Area> areas_;
};

} // namespace rcsim
