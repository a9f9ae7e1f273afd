#include "bar_map.hpp"

namespace rcsim {

std::optional<BarHit> BarMap::decode(uint64_t addr, uint64_t len) const {
    if (!memory_enabled_)
        return std::nullopt;
    for (unsigned i = 0; i < kEntries; ++i) {
        const Bar &b = bars_[i];
        if (!b.present || b.io || addr < b.base)
            continue;
        const uint64_t off = addr - b.base;
        if (off < b.size && len <= b.size - off)
            return BarHit{i, off};
    }
    return std::nullopt;
}

std::optional<BarHit> BarMap::decode_io(uint64_t addr, uint64_t len) const {
    if (!io_enabled_)
        return std::nullopt;
    for (unsigned i = 0; i < kBars; ++i) {
        const Bar &b = bars_[i];
        if (!b.present || !b.io || addr < b.base)
            continue;
        const uint64_t off = addr - b.base;
        if (off < b.size && len <= b.size - off)
            return BarHit{i, off};
    }
    return std::nullopt;
}

} // namespace rcsim
