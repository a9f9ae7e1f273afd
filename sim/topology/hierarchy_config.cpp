#include "hierarchy_config.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

namespace rcsim::topology {

namespace {

constexpr uint16_t kId = 0x00, kCommand = 0x04, kHeaderType = 0x0c, kBar0 = 0x10;
constexpr uint16_t kBusNumbers = 0x18, kIoBase = 0x1c, kMemBase = 0x20, kPrefBase = 0x24;
constexpr uint16_t kPrefBaseUpper = 0x28, kPrefLimitUpper = 0x2c, kIoUpper = 0x30;
constexpr uint16_t kRom = 0x30;
constexpr unsigned kBars = 6;
constexpr uint32_t kRomMask = 0xfffff800u;
constexpr uint32_t kCmdIo = 1u << 0, kCmdMem = 1u << 1, kCmdMaster = 1u << 2;

std::string hex(uint64_t v, int digits = 0) {
    char b[24];
    std::snprintf(b, sizeof b, "0x%0*llx", digits, static_cast<unsigned long long>(v));
    return b;
}

std::string bdf_string(uint16_t bdf) {
    char b[16];
    std::snprintf(b, sizeof b, "%02x:%02x.%x", bdf >> 8, (bdf >> 3) & 0x1f, bdf & 7);
    return b;
}

uint16_t bdf_of(const PlannedFunction &f) {
    return make_bdf(f.bus, f.dev);
}

std::string where(const PlannedFunction &f) {
    return f.name + " at " + bdf_string(bdf_of(f));
}

bool power_of_two(uint64_t v) {
    return v != 0 && (v & (v - 1)) == 0;
}

// The accesses to one function, each failure written to *error as
// "WHO: what (0xREG): the port's words".
class Access {
  public:
    Access(ConfigPort &cfg, uint16_t bdf, std::string who, std::string *error)
        : cfg_(cfg), bdf_(bdf), who_(std::move(who)), error_(error) {}

    int rd(uint16_t reg, uint32_t *v, const std::string &what) {
        std::string why;
        const int rc = cfg_.read(bdf_, reg, v, &why);
        return rc == 0 ? 0 : failed(rc, "reading " + what + " (" + hex(reg, 2) + ")", why);
    }
    int wr(uint16_t reg, uint32_t v, const std::string &what, uint8_t be = 0xf) {
        std::string why;
        const int rc = cfg_.write(bdf_, reg, v, be, &why);
        return rc == 0 ? 0 : failed(rc, "writing " + what + " (" + hex(reg, 2) + ")", why);
    }
    // A failed access with its own words: "WHO: no device answers (UR)".
    int failed(int rc, const std::string &what, const std::string &why) {
        const int err = rc < 0 ? rc : -EIO; // a port returning > 0 is broken
        return fail(err, what + ": " + (why.empty() ? std::strerror(-err) : why));
    }
    int fail(int rc, const std::string &msg) {
        *error_ = who_ + ": " + msg;
        return rc;
    }
    ConfigPort &cfg() { return cfg_; }
    uint16_t bdf() const { return bdf_; }

  private:
    ConfigPort &cfg_;
    uint16_t bdf_;
    std::string who_;
    std::string *error_;
};

// ---- phase 1: bus numbers ----

struct BridgeIds {
    uint16_t vendor, device;
    const char *what;
};

BridgeIds ids_of(FunctionKind k) {
    switch (k) {
    case FunctionKind::RootPort:
        return {kRootPortVendor, kRootPortDevice, "a root port"};
    case FunctionKind::SwitchUp:
        return {kSwitchVendor, kSwitchUpDevice, "a switch upstream port"};
    case FunctionKind::SwitchDown:
    case FunctionKind::Device:
        break;
    }
    return {kSwitchVendor, kSwitchDownDevice, "a switch downstream port"};
}

// Reads the IDs; a failed read or Vendor ID ffff is nothing there.
int read_ids(Access &a, const char *thing, uint32_t *id) {
    std::string why;
    const int rc = a.cfg().read(a.bdf(), kId, id, &why);
    if (rc != 0)
        return a.fail(rc < 0 ? rc : -EIO,
                      std::string("no ") + thing + " answers (" +
                          (why.empty() ? std::strerror(rc < 0 ? -rc : EIO) : why) + ")");
    if ((*id & 0xffff) == 0xffff)
        return a.fail(-ENODEV, std::string("no ") + thing + " answers (Vendor ID 0xffff)");
    return 0;
}

int check_bridge(Access &a, FunctionKind kind) {
    const BridgeIds want = ids_of(kind);
    char ids[16];
    std::snprintf(ids, sizeof ids, "%04x:%04x", want.vendor, want.device);
    const std::string expected = std::string(", expected ") + ids + " (" + want.what + ")";
    uint32_t id = 0, hdr = 0;
    int rc = read_ids(a, "bridge", &id);
    if (rc < 0)
        return rc;
    if ((id & 0xffff) != want.vendor)
        return a.fail(-ENODEV, "Vendor ID " + hex(id & 0xffff, 4) + expected);
    if ((id >> 16) != want.device)
        return a.fail(-ENODEV, "Device ID " + hex(id >> 16, 4) + expected);
    rc = a.rd(kHeaderType, &hdr, "the header type");
    if (rc < 0)
        return rc;
    // Bit 7 only says multi-function: the layout is bits 6:0.
    if (((hdr >> 16) & 0x7f) != 1)
        return a.fail(-ENODEV,
                      "header type " + hex((hdr >> 16) & 0x7f, 2) + ", expected 0x01 (a bridge)");
    return 0;
}

int program_bridge_buses(Access &a, const PlannedFunction &f) {
    int rc = check_bridge(a, f.kind);
    if (rc < 0)
        return rc;
    // Byte 3 is the Secondary Latency Timer, 0 in PCIe.
    const uint32_t buses =
        (f.primary & 0xffu) | (f.secondary & 0xffu) << 8 | (f.subordinate & 0xffu) << 16;
    uint32_t back = 0;
    rc = a.wr(kBusNumbers, buses, "bus numbers");
    rc = rc < 0 ? rc : a.rd(kBusNumbers, &back, "bus numbers");
    if (rc < 0)
        return rc;
    if ((back & 0xffffff) != buses)
        return a.fail(-EIO,
                      "bus numbers read back " + hex(back, 8) + " after writing " + hex(buses, 8));
    return 0;
}

// ---- phase 2: BAR sizing ----

// Writes all ones to `reg`, reads what sticks, puts the original back.
int probe(Access &a, uint16_t reg, uint32_t ones, uint32_t *got, const std::string &what) {
    uint32_t orig = 0;
    int rc = a.rd(reg, &orig, what);
    rc = rc < 0 ? rc : a.wr(reg, ones, what);
    rc = rc < 0 ? rc : a.rd(reg, got, what);
    return rc < 0 ? rc : a.wr(reg, orig, what);
}

std::string bar_name(unsigned i) {
    return "BAR " + std::to_string(i);
}

int check_size(Access &a, const std::string &what, uint64_t mask, uint64_t size) {
    if (power_of_two(size))
        return 0;
    return a.fail(-EINVAL, what + ": size mask " + hex(mask) + " gives size " + hex(size) +
                               ", not a power of two");
}

// An I/O BAR: bits 31:2 give the size; a device decoding 16 bits of I/O
// may hardwire 31:16 to 0 (PCI Local Bus 3.0, 6.2.5.1).
int io_bar(Access &a, unsigned i, uint32_t got, std::vector<BarSpec> *out) {
    uint32_t mask = got & ~3u;
    if (mask == 0)
        return 0;
    if ((mask >> 16) == 0)
        mask |= 0xffff0000u;
    const uint64_t size = uint64_t(uint32_t(~mask)) + 1;
    const int rc = check_size(a, bar_name(i) + " (I/O)", mask, size);
    if (rc == 0)
        out->push_back(BarSpec{i, BarKind::Io, size});
    return rc;
}

// A 64-bit memory BAR i and its upper half i + 1.
int mem64_bar(Access &a, unsigned i, uint32_t got, std::vector<BarSpec> *out) {
    const std::string what = bar_name(i) + " (64-bit)";
    if (i + 1 == kBars)
        return a.fail(-EINVAL, what + ": BAR 5 has no next BAR for its upper half");
    uint32_t hi = 0;
    const int rc = probe(a, uint16_t(kBar0 + 4 * (i + 1)), 0xffffffffu, &hi, bar_name(i + 1));
    if (rc < 0)
        return rc;
    const uint64_t mask = uint64_t(hi) << 32 | (got & ~0xfu);
    if (mask == 0)
        return 0;
    const uint64_t size = ~mask + 1;
    if (check_size(a, what, mask, size) < 0)
        return -EINVAL;
    out->push_back(BarSpec{i, (got & 8) ? BarKind::Mem64Pref : BarKind::Mem64, size});
    return 0;
}

// Sizes BAR i; *step is how many BAR slots it took.
int one_bar(Access &a, unsigned i, std::vector<BarSpec> *out, unsigned *step) {
    *step = 1;
    uint32_t got = 0;
    const int rc = probe(a, uint16_t(kBar0 + 4 * i), 0xffffffffu, &got, bar_name(i));
    if (rc < 0)
        return rc;
    if (got & 1)
        return io_bar(a, i, got, out);
    const unsigned type = (got >> 1) & 3;
    if (type == 2) {
        *step = 2;
        return mem64_bar(a, i, got, out);
    }
    const uint32_t mask = got & ~0xfu;
    if (mask == 0)
        return 0; // not implemented
    if (type != 0)
        return a.fail(-EINVAL, bar_name(i) + ": memory type " + std::to_string(type) +
                                   " is reserved (" + hex(got, 8) + ")");
    const uint64_t size = uint64_t(uint32_t(~mask)) + 1;
    if (check_size(a, bar_name(i) + " (32-bit)", mask, size) < 0)
        return -EINVAL;
    out->push_back(BarSpec{i, BarKind::Mem32, size});
    return 0;
}

int rom_bar(Access &a, std::vector<BarSpec> *out) {
    uint32_t orig = 0, got = 0;
    int rc = a.rd(kRom, &orig, "the Expansion ROM");
    if (rc < 0)
        return rc;
    // As the single-device harness does: a device that refuses the sizing
    // write has no ROM to use (libvfio-user takes few values there).
    std::string why;
    rc = a.cfg().write(a.bdf(), kRom, kRomMask, 0xf, &why);
    if (rc == -EIO)
        return 0;
    if (rc != 0)
        return a.failed(rc, "writing the Expansion ROM (0x30)", why);
    rc = a.rd(kRom, &got, "the Expansion ROM");
    rc = rc < 0 ? rc : a.wr(kRom, orig, "the Expansion ROM");
    if (rc < 0)
        return rc;
    const uint32_t mask = got & kRomMask;
    if (mask == 0)
        return 0;
    const uint64_t size = uint64_t(uint32_t(~mask)) + 1;
    if (check_size(a, "the Expansion ROM", mask, size) < 0)
        return -EINVAL;
    out->push_back(BarSpec{0, BarKind::Rom, size});
    return 0;
}

int all_bars(Access &a, std::vector<BarSpec> *out) {
    for (unsigned i = 0, step = 1; i < kBars; i += step) {
        const int rc = one_bar(a, i, out, &step);
        if (rc < 0)
            return rc;
    }
    return rom_bar(a, out);
}

int size_device(Access &a, std::vector<BarSpec> *out) {
    out->clear();
    uint32_t hdr = 0, cmd = 0;
    int rc = a.rd(kHeaderType, &hdr, "the header type");
    if (rc < 0)
        return rc;
    if (((hdr >> 16) & 0x7f) != 0)
        return a.fail(-ENODEV,
                      "header type " + hex((hdr >> 16) & 0x7f, 2) + ", expected 0x00 (a device)");
    rc = a.rd(kCommand, &cmd, "Command");
    if (rc < 0)
        return rc;
    // No decoding while a BAR holds all ones (PCI Local Bus 3.0, 6.2.5.1).
    const uint32_t decode = cmd & (kCmdIo | kCmdMem);
    if (decode && (rc = a.wr(kCommand, cmd & 0xffff & ~decode, "Command", 0x3)) < 0)
        return rc;
    if (!decode)
        return all_bars(a, out);
    rc = all_bars(a, out);
    if (rc < 0) { // put decoding back anyway; the first failure is the one to tell
        std::string ignored;
        a.cfg().write(a.bdf(), kCommand, cmd & 0xffff, 0x3, &ignored);
        return rc;
    }
    return a.wr(kCommand, cmd & 0xffff, "Command", 0x3);
}

// ---- phase 3: windows and BARs ----

// Address bits 31:20 of base and limit in bits 15:4 of each half.
uint32_t mem_reg(const Window &w) {
    return uint32_t((w.base >> 16) & 0xfff0) | uint32_t((w.limit >> 16) & 0xfff0) << 16;
}

// Address bits 15:12 of base and limit in bits 7:4 of each byte.
uint32_t io_reg(const Window &w) {
    return uint32_t((w.base >> 8) & 0xf0) | uint32_t((w.limit >> 8) & 0xf0) << 8;
}

uint32_t io_upper_reg(const Window &w) {
    return uint32_t((w.base >> 16) & 0xffff) | uint32_t((w.limit >> 16) & 0xffff) << 16;
}

int check_window(Access &a, const Window &w, uint64_t top, const char *what) {
    if (!w.open() || w.limit <= top)
        return 0;
    return a.fail(-ERANGE, std::string("the ") + what + " window " + hex(w.base) + "-" +
                               hex(w.limit) + " is past what the bridge decodes (" + hex(top) +
                               ")");
}

// Low halves before upper ones: from the reset values (upper base all
// ones, upper limit 0) the window stays closed until its last write.
int program_bridge_windows(Access &a, const PlannedFunction &f) {
    int rc = check_window(a, f.mem, 0xffffffffull, "memory");
    rc = rc < 0 ? rc : check_window(a, f.io, 0xffffffffull, "I/O");
    rc = rc < 0 ? rc : a.wr(kMemBase, mem_reg(f.mem), "the memory window");
    rc = rc < 0 ? rc : a.wr(kPrefBase, mem_reg(f.pref), "the prefetchable window");
    rc = rc < 0 ? rc : a.wr(kPrefBaseUpper, uint32_t(f.pref.base >> 32), "the prefetchable base");
    rc =
        rc < 0 ? rc : a.wr(kPrefLimitUpper, uint32_t(f.pref.limit >> 32), "the prefetchable limit");
    // Bytes 2-3 are Secondary Status (RW1C): not written.
    rc = rc < 0 ? rc : a.wr(kIoBase, io_reg(f.io), "the I/O window", 0x3);
    rc = rc < 0 ? rc : a.wr(kIoUpper, io_upper_reg(f.io), "the I/O window's upper halves");
    if (rc < 0)
        return rc;
    uint32_t cmd = 0;
    if ((rc = a.rd(kCommand, &cmd, "Command")) < 0)
        return rc;
    cmd = (cmd & 0xffff & ~(kCmdIo | kCmdMem | kCmdMaster)) | kCmdMaster;
    cmd |= (f.mem.open() || f.pref.open()) ? kCmdMem : 0;
    cmd |= f.io.open() ? kCmdIo : 0;
    return a.wr(kCommand, cmd, "Command", 0x3);
}

int program_bar(Access &a, const PlannedBar &b) {
    if (b.spec.kind == BarKind::Rom) // enabled later, with the device
        return a.wr(kRom, uint32_t(b.addr) & kRomMask, "the Expansion ROM");
    const uint16_t reg = uint16_t(kBar0 + 4 * b.spec.index);
    const std::string name = bar_name(b.spec.index);
    const int rc = a.wr(reg, uint32_t(b.addr), name);
    if (rc < 0 || (b.spec.kind != BarKind::Mem64 && b.spec.kind != BarKind::Mem64Pref))
        return rc;
    return a.wr(uint16_t(reg + 4), uint32_t(b.addr >> 32), name + "'s upper half");
}

} // namespace

int program_buses(const Plan &p, ConfigPort &cfg, std::string *error) {
    for (const PlannedFunction &f : p.functions) {
        Access a(cfg, bdf_of(f), where(f), error);
        const int rc = f.bridge() ? program_bridge_buses(a, f) : 0;
        if (rc < 0)
            return rc;
    }
    for (const PlannedFunction &f : p.functions) {
        Access a(cfg, bdf_of(f), where(f), error);
        uint32_t id = 0;
        const int rc = f.bridge() ? 0 : read_ids(a, "device", &id);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int size_bars(ConfigPort &cfg, uint16_t bdf, std::vector<BarSpec> *out, std::string *error) {
    Access a(cfg, bdf, bdf_string(bdf), error);
    return size_device(a, out);
}

int size_all_bars(const Plan &p, ConfigPort &cfg, DeviceBars *out, std::string *error) {
    DeviceBars bars;
    for (const PlannedFunction &f : p.functions) {
        if (f.bridge())
            continue;
        Access a(cfg, bdf_of(f), where(f), error);
        const int rc = size_device(a, &bars[f.name]);
        if (rc < 0)
            return rc;
    }
    *out = std::move(bars);
    return 0;
}

int program_windows(const Plan &p, ConfigPort &cfg, std::string *error) {
    for (const PlannedFunction &f : p.functions) {
        Access a(cfg, bdf_of(f), where(f), error);
        const int rc = f.bridge() ? program_bridge_windows(a, f) : 0;
        if (rc < 0)
            return rc;
    }
    for (const PlannedFunction &f : p.functions) {
        Access a(cfg, bdf_of(f), where(f), error);
        for (const PlannedBar &b : f.bars) {
            const int rc = program_bar(a, b);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

} // namespace rcsim::topology
