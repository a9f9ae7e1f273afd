// Enumeration planning (sim/topology/README.md, "Planning"): from the tree
// and every device's BARs as sizing found them, the bus numbers, bridge
// windows and BAR addresses software programs. A pure function: no RTL, no
// processes; an error is a return value with a message naming the device.
#pragma once

#include "topology.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace rcsim::topology {

// Mem32 and Mem64 (non-prefetchable) go in the 32-bit memory window,
// Mem64Pref in the 64-bit prefetchable window, Io in the I/O window, Rom
// (the Expansion ROM) in the memory window.
enum class BarKind { Mem32, Mem64, Mem64Pref, Io, Rom };
const char *to_string(BarKind k);

// One BAR as enumeration sized it. `index` is the BAR number (0..5; a 64-bit
// BAR also takes index + 1), ignored for the ROM. `size` is a power of two:
// memory at least 16 bytes, I/O at least 4, the ROM at least 2 KiB.
struct BarSpec {
    unsigned index = 0;
    BarKind kind = BarKind::Mem32;
    uint64_t size = 0;
};

// Every device of the topology by name, with its BARs (maybe none).
using DeviceBars = std::map<std::string, std::vector<BarSpec>>;

// The address ranges the root complex hands out: those of the single-device
// harness (sim/harness/harness.hpp, HarnessConfig).
struct PlanRanges {
    uint64_t mem_base = 0xe0000000ull, mem_size = 0x10000000ull;
    uint64_t pref_base = 0x800000000ull, pref_size = 0x800000000ull;
    uint64_t io_base = 0x1000, io_size = 0xf000;
};

// Window granularities of the bridges (rtl/fabric/README.md).
constexpr uint64_t kMemGranule = 1ull << 20;
constexpr uint64_t kPrefGranule = 1ull << 20;
constexpr uint64_t kIoGranule = 1ull << 12;

// An inclusive window; closed when base > limit.
struct Window {
    uint64_t base = 0, limit = 0;
    bool open() const { return base <= limit; }
};

// Closed windows as type1_header resets them (what software writes to close
// one): memory fff00000 > 000fffff, prefetchable ffffffff_fff00000 >
// 00000000_000fffff, I/O fffff000 > 00000fff.
constexpr Window kClosedMem{0xfff00000ull, 0x000fffffull};
constexpr Window kClosedPref{0xfffffffffff00000ull, 0x00000000000fffffull};
constexpr Window kClosedIo{0xfffff000ull, 0x00000fffull};

struct PlannedBar {
    BarSpec spec;
    uint64_t addr = 0;
};

// A root port, a switch's upstream port (named as the switch), a switch's
// downstream port (named SWITCH.K) or a device. Every function is function 0.
enum class FunctionKind { RootPort, SwitchUp, SwitchDown, Device };

struct PlannedFunction {
    FunctionKind kind = FunctionKind::Device;
    std::string name;
    unsigned bus = 0, dev = 0;
    int parent = -1; // index in Plan::functions of the bridge above, -1 on bus 0
    // bridges
    unsigned primary = 0, secondary = 0, subordinate = 0;
    Window mem = kClosedMem, pref = kClosedPref, io = kClosedIo;
    // devices
    std::string server;
    std::vector<PlannedBar> bars; // as given, in the order given
    bool bridge() const { return kind != FunctionKind::Device; }
};

// Functions in depth-first order (each bridge before what lies below it,
// siblings by device number): the order enumeration programs them in.
struct Plan {
    std::vector<PlannedFunction> functions;
    unsigned last_bus = 0;
};

// Plans the enumeration of `t` (rules: sim/topology/README.md). Returns 0;
// -EINVAL for BARs that are not valid (or missing, or for a device the
// topology does not have); -ERANGE when the buses run out; -ENOSPC when a
// window cannot be placed. `error` names the device or bridge.
int plan_enumeration(const Topology &t, const DeviceBars &bars, const PlanRanges &ranges, Plan *out,
                     std::string *error);

} // namespace rcsim::topology
