// The BARs as enumeration assigned them: where each BAR lives in the
// host's memory or I/O space, so the bridge can turn a TLP address into a
// (region, offset) pair for REGION_READ/REGION_WRITE. MemRd/MemWr decode
// against memory BARs, IORd/IOWr against I/O BARs. Decoding also honours
// the Command register's Memory Space and I/O Space Enable bits, which the
// bridge snoops. Entry 6 (kRom) is the expansion ROM: its index is the
// vfio-user region index VFIO_PCI_ROM_REGION_INDEX, as BARn's is n;
// enumeration enters it only with the ROM BAR's enable bit set.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

namespace rcsim {

struct Bar {
    bool present = false; // implemented and assigned
    bool io = false;
    bool is64 = false;
    bool prefetchable = false;
    uint64_t base = 0;
    uint64_t size = 0;
};

struct BarHit {
    unsigned index;
    uint64_t offset;
};

class BarMap {
  public:
    static constexpr unsigned kBars = 6;    // BAR registers 0x10..0x24
    static constexpr unsigned kRom = 6;     // the expansion ROM (0x30)
    static constexpr unsigned kEntries = 7; // BARs and the ROM

    void set(unsigned index, const Bar &bar) { bars_.at(index) = bar; }
    const Bar &get(unsigned index) const { return bars_.at(index); }
    void set_memory_enabled(bool on) { memory_enabled_ = on; }
    bool memory_enabled() const { return memory_enabled_; }
    void set_io_enabled(bool on) { io_enabled_ = on; }
    bool io_enabled() const { return io_enabled_; }

    // The BAR holding [addr, addr+len), nullopt if none (or memory space is
    // disabled, or the range runs past the BAR's end).
    std::optional<BarHit> decode(uint64_t addr, uint64_t len) const;
    // The same for I/O space: the I/O BAR holding [addr, addr+len).
    std::optional<BarHit> decode_io(uint64_t addr, uint64_t len) const;

  private:
    std::array<Bar, kEntries> bars_{};
    bool memory_enabled_ = false;
    bool io_enabled_ = false;
};

} // namespace rcsim
