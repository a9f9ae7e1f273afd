// Host memory behind the root port's memory port: a few windows of bytes.
// An access touching anything outside a window is an error (the root port
// answers UR / drops the write), never a crash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace rcsim::test {

class HostMemory {
  public:
    void add_window(uint64_t base, std::size_t bytes, uint8_t fill = 0);
    bool contains(uint64_t addr, uint64_t bytes) const;
    uint8_t byte(uint64_t addr) const; // 0 outside
    void set_byte(uint64_t addr, uint8_t v);
    uint32_t dw(uint64_t addr) const; // little-endian
    // Writes `dws` at DW address `addr` with first/last byte enables; false
    // (nothing written) when outside.
    bool write_dws(uint64_t addr, const std::vector<uint32_t> &dws, uint8_t first_be,
                   uint8_t last_be);
    void fill_pattern(uint64_t base, std::size_t bytes);
    static uint8_t pattern(uint64_t addr) { return uint8_t(addr ^ (addr >> 8) ^ (addr >> 16)); }

  private:
    struct Window {
        uint64_t base;
        std::vector<uint8_t> bytes;
    };
    Window *find(uint64_t addr);
    const Window *find(uint64_t addr) const;
    std::vector<Window> windows_;
};

} // namespace rcsim::test
