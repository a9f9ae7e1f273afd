#include "host_memory.hpp"

namespace rcsim::test {

void HostMemory::add_window(uint64_t base, std::size_t bytes, uint8_t fill) {
    windows_.push_back({base, std::vector<uint8_t>(bytes, fill)});
}

HostMemory::Window *HostMemory::find(uint64_t addr) {
    for (Window &w : windows_)
        if (addr >= w.base && addr - w.base < w.bytes.size())
            return &w;
    return nullptr;
}

const HostMemory::Window *HostMemory::find(uint64_t addr) const {
    for (const Window &w : windows_)
        if (addr >= w.base && addr - w.base < w.bytes.size())
            return &w;
    return nullptr;
}

bool HostMemory::contains(uint64_t addr, uint64_t bytes) const {
    const Window *w = find(addr);
    return w && bytes <= w->bytes.size() - (addr - w->base);
}

uint8_t HostMemory::byte(uint64_t addr) const {
    const Window *w = find(addr);
    return w ? w->bytes[addr - w->base] : 0;
}

void HostMemory::set_byte(uint64_t addr, uint8_t v) {
    if (Window *w = find(addr))
        w->bytes[addr - w->base] = v;
}

uint32_t HostMemory::dw(uint64_t addr) const {
    return byte(addr) | uint32_t(byte(addr + 1)) << 8 | uint32_t(byte(addr + 2)) << 16 |
           uint32_t(byte(addr + 3)) << 24;
}

bool HostMemory::write_dws(uint64_t addr, const std::vector<uint32_t> &dws, uint8_t first_be,
                           uint8_t last_be) {
    if (dws.empty() || !contains(addr, dws.size() * 4))
        return false;
    for (std::size_t i = 0; i < dws.size(); ++i) {
        uint8_t be = 0xf;
        if (i == 0)
            be = first_be;
        else if (i == dws.size() - 1)
            be = last_be;
        for (unsigned b = 0; b < 4; ++b)
            if (be & (1u << b))
                set_byte(addr + 4 * i + b, uint8_t(dws[i] >> (8 * b)));
    }
    return true;
}

void HostMemory::fill_pattern(uint64_t base, std::size_t bytes) {
    for (std::size_t i = 0; i < bytes; ++i)
        set_byte(base + i, pattern(base + i));
}

} // namespace rcsim::test
