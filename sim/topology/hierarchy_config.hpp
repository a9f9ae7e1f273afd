// Programming an enumeration plan (enumeration_plan.hpp) into a hierarchy
// through config accesses (sim/topology/README.md, "Programming"): bus
// numbers, BAR sizing, bridge windows and BAR addresses. The accesses go
// through a ConfigPort the harness implements with config TLPs through the
// fabric's RTL; here they are plain calls, so the room stays free of RTL.
#pragma once

#include "enumeration_plan.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace rcsim::topology {

// The IDs the fabric's bridges answer with (rtl/fabric/README.md): root
// ports as QEMU's pcie-root-port, switch ports as QEMU's x3130.
constexpr uint16_t kRootPortVendor = 0x1b36, kRootPortDevice = 0x000c;
constexpr uint16_t kSwitchVendor = 0x104c;
constexpr uint16_t kSwitchUpDevice = 0x8232, kSwitchDownDevice = 0x8233;

// Bus:device.function as a config request carries it.
constexpr uint16_t make_bdf(unsigned bus, unsigned dev, unsigned fn = 0) {
    return uint16_t((bus & 0xffu) << 8 | (dev & 0x1fu) << 3 | (fn & 7u));
}

// What the harness gives: config requests through the hierarchy.
class ConfigPort {
  public:
    virtual ~ConfigPort() = default;
    // Dword config accesses to bus:dev.fn (make_bdf), `reg` the byte offset,
    // dword aligned; `byte_enables` bits 0..3 are the bytes of the dword.
    // Return 0, or a negative errno (-EIO for a UR or CA completion,
    // -ETIMEDOUT) with *error saying what happened.
    virtual int read(uint16_t bdf, uint16_t reg, uint32_t *value, std::string *error) = 0;
    virtual int write(uint16_t bdf, uint16_t reg, uint32_t value, uint8_t byte_enables,
                      std::string *error) = 0;
};

// Phase 1. Every bridge of the plan in plan order (each before what lies
// below it, so its bus numbers route the next requests): checks its IDs and
// header type against its kind, writes its bus numbers (0x18) and reads
// them back. Then every device: something answers at its BDF (Vendor ID
// not 0xffff). Returns 0; -ENODEV for a function missing or of the wrong
// kind; the port's error for a failed access; -EIO for bus numbers that do
// not read back. `error` names the function: "rp2 at 00:02.0: ...".
int program_buses(const Plan &p, ConfigPort &cfg, std::string *error);

// Phase 2, for one device once the buses are programmed: sizes its BARs the
// way the PCI spec says (decoding off meanwhile, all ones written, read
// back, the original restored; 64-bit pairs; I/O; the Expansion ROM at 0x30
// with 0xfffff800), into the list plan_enumeration takes. A 32-bit
// prefetchable BAR is listed as Mem32 (it goes in the memory window).
// Returns 0; -ENODEV when the function is not a type 0 header; -EINVAL for
// a BAR that reads back nonsense (a size not a power of two, a reserved
// type, a 64-bit BAR 5); the port's error for a failed access. A refused
// ROM sizing write (-EIO) means no usable ROM, as in the single-device
// harness. `error` starts with bus:dev.fn.
int size_bars(ConfigPort &cfg, uint16_t bdf, std::vector<BarSpec> *out, std::string *error);

// Phase 2 for every device of the plan: `out` gets one entry per device,
// ready for plan_enumeration; errors start with the device's name.
int size_all_bars(const Plan &p, ConfigPort &cfg, DeviceBars *out, std::string *error);

// Phase 3. Every bridge: its windows (memory 0x20; prefetchable 0x24, 0x28,
// 0x2c; I/O 0x1c, 0x30; a closed window written with type1_header's reset
// values), then Command (Memory Space when the memory or prefetchable
// window is open, I/O Space when the I/O window is, Bus Master always so
// DMA and peer-to-peer pass; other bits kept). Then every device's BARs at
// their planned addresses (64-bit: both halves; the ROM with its enable bit
// off). Devices' Command registers are left alone: the harness's
// per-device enumeration sets them. Returns 0 or the port's error, `error`
// naming the function and the register.
int program_windows(const Plan &p, ConfigPort &cfg, std::string *error);

} // namespace rcsim::topology
