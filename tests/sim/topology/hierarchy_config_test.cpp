// Programming a plan through config accesses: a fake hierarchy models type 1
// headers (rtl/fabric/README.md: reset values and write masks) and devices
// with BARs given as their write masks, and routes a request below bus 0
// only through bridges whose bus numbers cover it (else UR), so programming
// out of order fails. Expected register values are worked out by hand in
// the comments from sim/topology/README.md and the PCI-to-PCI bridge
// register layout.
#include "hierarchy_config.hpp"
#include "topology_parser.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <map>

namespace {

using namespace rcsim::topology;

struct Fn {
    std::array<uint32_t, 16> regs{}; // dwords 0x00..0x3c
    std::array<uint32_t, 16> mask{}; // writable bits
    int parent = -1;                 // BDF of the bridge above, -1 on bus 0
};

struct Write {
    uint16_t bdf, reg;
    uint32_t value;
    uint8_t be;
};

struct Fault {
    uint16_t bdf, reg;
    bool write;
    int rc;
    std::string why;
};

class FakeHierarchy : public ConfigPort {
  public:
    std::map<uint16_t, Fn> fns;
    std::vector<Write> writes;
    std::vector<Fault> faults;
    unsigned reads = 0;

    int read(uint16_t bdf, uint16_t reg, uint32_t *value, std::string *error) override {
        ++reads;
        Fn *f = nullptr;
        const int rc = access(bdf, reg, false, &f, error);
        if (rc == 0)
            *value = reg < 0x40 ? f->regs[reg / 4] : 0;
        return rc;
    }
    int write(uint16_t bdf, uint16_t reg, uint32_t value, uint8_t be, std::string *error) override {
        Fn *f = nullptr;
        const int rc = access(bdf, reg, true, &f, error);
        if (rc != 0 || reg >= 0x40)
            return rc;
        writes.push_back(Write{bdf, reg, value, be});
        uint32_t m = 0;
        for (unsigned b = 0; b < 4; ++b)
            m |= (be >> b & 1u) ? 0xffu << (8 * b) : 0;
        m &= f->mask[reg / 4];
        f->regs[reg / 4] = (f->regs[reg / 4] & ~m) | (value & m);
        return 0;
    }

    // The last write to bdf:reg; fails the test when there was none.
    Write last(uint16_t bdf, uint16_t reg) const {
        for (size_t k = writes.size(); k-- > 0;)
            if (writes[k].bdf == bdf && writes[k].reg == reg)
                return writes[k];
        ADD_FAILURE() << "no write to " << std::hex << bdf << " reg " << reg;
        return Write{bdf, reg, 0xdeadbeef, 0};
    }
    unsigned writes_to(uint16_t bdf, uint16_t reg) const {
        unsigned n = 0;
        for (const Write &w : writes)
            n += w.bdf == bdf && w.reg == reg;
        return n;
    }
    uint32_t reg(uint16_t bdf, uint16_t r) { return fns.at(bdf).regs[r / 4]; }

  private:
    int access(uint16_t bdf, uint16_t reg, bool write, Fn **f, std::string *error) {
        for (const Fault &x : faults)
            if (x.bdf == bdf && x.reg == reg && x.write == write) {
                *error = x.why;
                return x.rc;
            }
        *f = reachable(bdf);
        if (*f)
            return 0;
        *error = "UR";
        return -EIO;
    }
    Fn *reachable(uint16_t bdf) {
        auto it = fns.find(bdf);
        if (it == fns.end())
            return nullptr;
        if (it->second.parent < 0)
            return (bdf >> 8) == 0 ? &it->second : nullptr;
        Fn *up = reachable(uint16_t(it->second.parent));
        if (!up)
            return nullptr;
        const unsigned bus = bdf >> 8, sec = (up->regs[6] >> 8) & 0xff;
        const unsigned sub = (up->regs[6] >> 16) & 0xff;
        return sec <= bus && bus <= sub ? &it->second : nullptr;
    }
};

// A type 1 header at its reset values (rtl/fabric/README.md, type1_header).
Fn bridge(uint16_t vendor, uint16_t device, int parent) {
    Fn f;
    f.parent = parent;
    f.regs[0] = uint32_t(device) << 16 | vendor;
    f.mask[1] = 0x00000547; // Command: I/O, Mem, BM, Parity, SERR, INTx disable
    f.regs[3] = 0x00010000; // header type 1
    f.mask[6] = 0x00ffffff; // bus numbers
    f.regs[7] = 0x000001f1; // I/O limit 0x01, base 0xf1
    f.mask[7] = 0x0000f0f0;
    f.regs[8] = 0x0000fff0; // memory limit 0, base fff0
    f.mask[8] = 0xfff0fff0;
    f.regs[9] = 0x0001fff1; // prefetchable limit 0x0001, base 0xfff1
    f.mask[9] = 0xfff0fff0;
    f.regs[10] = 0xffffffff;
    f.mask[10] = 0xffffffff;
    f.mask[11] = 0xffffffff;
    f.regs[12] = 0x0000ffff;
    f.mask[12] = 0xffffffff;
    return f;
}

Fn root_port(int parent = -1) {
    return bridge(0x1b36, 0x000c, parent);
}

// A type 0 header; BARs are set with set_bar (dword 4 + index, 12 the ROM).
Fn device(int parent) {
    Fn f;
    f.parent = parent;
    f.regs[0] = 0x11e8abcd;
    f.mask[1] = 0x00000547;
    return f;
}

void set_bar(Fn *f, unsigned dword, uint32_t value, uint32_t mask) {
    f->regs[dword] = value;
    f->mask[dword] = mask;
}

Topology topo(const std::string &text) {
    Topology t;
    TopologyError e;
    EXPECT_EQ(parse_topology(text, "t.topo", &t, &e), 0) << e.to_string();
    return t;
}

Plan plan_of(const Topology &t, const DeviceBars &bars) {
    Plan p;
    std::string error;
    EXPECT_EQ(plan_enumeration(t, bars, PlanRanges{}, &p, &error), 0) << error;
    return p;
}

// rp1 (00:01.0) over nic (01:00.0); rp2 (00:02.0) over switch sw0: upstream
// 02:00.0, downstream sw0.0 03:01.0 over d0 (04:00.0), sw0.1 03:02.0 empty.
const std::string kTopo = "root-port rp1\nroot-port rp2\n"
                          "switch sw0 on rp2 ports 2\n"
                          "device nic on rp1 server \"regs\"\n"
                          "device d0 on sw0.0 server \"regs\"\n";

constexpr uint16_t kRp1 = make_bdf(0, 1), kRp2 = make_bdf(0, 2), kSwUp = make_bdf(2, 0);
constexpr uint16_t kSw0 = make_bdf(3, 1), kSw1 = make_bdf(3, 2);
constexpr uint16_t kNic = make_bdf(1, 0), kD0 = make_bdf(4, 0);

// The fake of kTopo: nic with a 16 KiB 32-bit BAR 0 and a 256 MiB 64-bit
// prefetchable BAR 2; d0 with a 1 MiB 32-bit BAR 0, a 128-byte I/O BAR 1, a
// 2 MiB 64-bit prefetchable BAR 2 and a 64 KiB ROM.
FakeHierarchy fake_topo() {
    FakeHierarchy h;
    h.fns[kRp1] = root_port();
    h.fns[kRp2] = root_port();
    h.fns[kSwUp] = bridge(0x104c, 0x8232, kRp2);
    h.fns[kSw0] = bridge(0x104c, 0x8233, kSwUp);
    h.fns[kSw1] = bridge(0x104c, 0x8233, kSwUp);
    Fn nic = device(kRp1);
    set_bar(&nic, 4, 0, 0xffffc000);
    set_bar(&nic, 6, 0xc, 0xf0000000);
    set_bar(&nic, 7, 0, 0xffffffff);
    h.fns[kNic] = nic;
    Fn d0 = device(kSw0);
    set_bar(&d0, 4, 0, 0xfff00000);
    set_bar(&d0, 5, 1, 0xffffff80);
    set_bar(&d0, 6, 0xc, 0xffe00000);
    set_bar(&d0, 7, 0, 0xffffffff);
    set_bar(&d0, 12, 0, 0xffff0001);
    h.fns[kD0] = d0;
    return h;
}

DeviceBars no_bars() {
    return {{"nic", {}}, {"d0", {}}};
}

void expect_write(const FakeHierarchy &h, uint16_t bdf, uint16_t reg, uint32_t value,
                  uint8_t be = 0xf) {
    const Write w = h.last(bdf, reg);
    EXPECT_EQ(w.value, value) << std::hex << "bdf " << bdf << " reg " << reg;
    EXPECT_EQ(w.be, be) << std::hex << "bdf " << bdf << " reg " << reg;
}

TEST(HierarchyConfig, BusesOfTwoRootPortsAndASwitch) {
    FakeHierarchy h = fake_topo();
    // Buses need no BARs: every device's list empty.
    const Plan p = plan_of(topo(kTopo), no_bars());
    std::string error;
    ASSERT_EQ(program_buses(p, h, &error), 0) << error;
    // 0x18 = subordinate << 16 | secondary << 8 | primary, depth first:
    // rp1 0/1/1, rp2 0/2/5, sw0 2/3/5, sw0.0 3/4/4, sw0.1 3/5/5.
    ASSERT_EQ(h.writes.size(), 5u);
    const Write want[] = {{kRp1, 0x18, 0x00010100, 0xf},
                          {kRp2, 0x18, 0x00050200, 0xf},
                          {kSwUp, 0x18, 0x00050302, 0xf},
                          {kSw0, 0x18, 0x00040403, 0xf},
                          {kSw1, 0x18, 0x00050503, 0xf}};
    for (size_t k = 0; k < 5; ++k) {
        EXPECT_EQ(h.writes[k].bdf, want[k].bdf) << k;
        EXPECT_EQ(h.writes[k].reg, want[k].reg) << k;
        EXPECT_EQ(h.writes[k].value, want[k].value) << k;
        EXPECT_EQ(h.writes[k].be, want[k].be) << k;
    }
}

TEST(HierarchyConfig, BusesBeforeAnythingReachesBelow) {
    // Without program_buses nothing below bus 0 answers: the fake routes.
    FakeHierarchy h = fake_topo();
    std::vector<BarSpec> bars;
    std::string error;
    EXPECT_EQ(size_bars(h, kNic, &bars, &error), -EIO);
    EXPECT_EQ(error, "01:00.0: reading the header type (0x0c): UR");
}

TEST(HierarchyConfig, SizesEveryKindOfBar) {
    FakeHierarchy h;
    const uint16_t bdf = make_bdf(0, 3);
    Fn d = device(-1);
    d.regs[1] = 0x00000002;                  // Memory Space on: off while sizing
    set_bar(&d, 4, 0xe0004000, 0xffffc000);  // BAR 0: 32-bit, 16 KiB
    set_bar(&d, 5, 0x0000000c, 0x00000000);  // BAR 1: 64-bit prefetchable,
    set_bar(&d, 6, 0x00000004, 0xfffffffe);  //   8 GiB: no low address bit
    set_bar(&d, 7, 0x00002001, 0x0000ff00);  // BAR 3: I/O, 256 B, 16-bit decode
    set_bar(&d, 8, 0x00000000, 0x00000000);  // BAR 4: none
    set_bar(&d, 9, 0x00000008, 0xfff00000);  // BAR 5: 32-bit prefetchable, 1 MiB
    set_bar(&d, 12, 0x00000000, 0xffff0001); // ROM: 64 KiB
    h.fns[bdf] = d;
    const Fn before = d;
    std::vector<BarSpec> bars;
    std::string error;
    ASSERT_EQ(size_bars(h, bdf, &bars, &error), 0) << error;
    // ffffc000 -> 0x4000; fffffffe_00000000 -> 0x2_0000_0000; ffffff00
    // (ff00 widened) -> 0x100; fff00000 -> 0x100000; ffff0000 -> 0x10000.
    ASSERT_EQ(bars.size(), 5u);
    const BarSpec want[] = {{0, BarKind::Mem32, 0x4000},
                            {1, BarKind::Mem64Pref, 0x200000000ull},
                            {3, BarKind::Io, 0x100},
                            {5, BarKind::Mem32, 0x100000},
                            {0, BarKind::Rom, 0x10000}};
    for (size_t k = 0; k < 5; ++k) {
        EXPECT_EQ(bars[k].index, want[k].index) << k;
        EXPECT_EQ(bars[k].kind, want[k].kind) << k;
        EXPECT_EQ(bars[k].size, want[k].size) << k;
    }
    // Every register as it was; decoding off, then back on.
    for (unsigned r = 0; r < 16; ++r)
        EXPECT_EQ(h.fns[bdf].regs[r], before.regs[r]) << "dword " << r;
    EXPECT_EQ(h.writes.front().reg, 0x04);
    EXPECT_EQ(h.writes.front().value, 0x0000u);
    EXPECT_EQ(h.writes.front().be, 0x3);
    expect_write(h, bdf, 0x04, 0x0002, 0x3);
    // The ROM sized with its enable bit off.
    EXPECT_EQ(h.writes_to(bdf, 0x30), 2u);
    bool saw_rom_mask = false;
    for (const Write &w : h.writes)
        saw_rom_mask |= w.reg == 0x30 && w.value == 0xfffff800;
    EXPECT_TRUE(saw_rom_mask);
}

TEST(HierarchyConfig, SizesMem64NotPrefetchableAndIo32) {
    FakeHierarchy h;
    const uint16_t bdf = make_bdf(0, 3);
    Fn d = device(-1);
    set_bar(&d, 4, 0x00000001, 0xfffffff0); // BAR 0: I/O, 16 B, 32-bit decode
    set_bar(&d, 8, 0x00000004, 0xffff0000); // BARs 4+5: 64-bit, 64 KiB
    set_bar(&d, 9, 0x00000000, 0xffffffff);
    h.fns[bdf] = d;
    std::vector<BarSpec> bars;
    std::string error;
    ASSERT_EQ(size_bars(h, bdf, &bars, &error), 0) << error;
    ASSERT_EQ(bars.size(), 2u);
    EXPECT_EQ(bars[0].kind, BarKind::Io);
    EXPECT_EQ(bars[0].size, 0x10u);
    EXPECT_EQ(bars[1].index, 4u);
    EXPECT_EQ(bars[1].kind, BarKind::Mem64);
    EXPECT_EQ(bars[1].size, 0x10000u);
    // Command was 0: never written.
    EXPECT_EQ(h.writes_to(bdf, 0x04), 0u);
}

TEST(HierarchyConfig, SizingRefusesNonsense) {
    const uint16_t bdf = make_bdf(0, 3);
    std::vector<BarSpec> bars;
    std::string error;
    {
        FakeHierarchy h;
        h.fns[bdf] = device(-1);
        set_bar(&h.fns[bdf], 4, 0, 0xff00f000); // a hole in the mask
        EXPECT_EQ(size_bars(h, bdf, &bars, &error), -EINVAL);
        EXPECT_EQ(error, "00:03.0: BAR 0 (32-bit): size mask 0xff00f000 gives size 0xff1000, not a "
                         "power of two");
    }
    {
        FakeHierarchy h;
        h.fns[bdf] = device(-1);
        set_bar(&h.fns[bdf], 9, 4, 0xfffff000); // BAR 5 says 64-bit
        EXPECT_EQ(size_bars(h, bdf, &bars, &error), -EINVAL);
        EXPECT_EQ(error, "00:03.0: BAR 5 (64-bit): BAR 5 has no next BAR for its upper half");
    }
    {
        FakeHierarchy h;
        h.fns[bdf] = device(-1);
        set_bar(&h.fns[bdf], 4, 6, 0xfffff000); // type 3
        EXPECT_EQ(size_bars(h, bdf, &bars, &error), -EINVAL);
        EXPECT_EQ(error, "00:03.0: BAR 0: memory type 3 is reserved (0xfffff006)");
    }
    {
        FakeHierarchy h;
        h.fns[bdf] = root_port(); // its 0x18 is bus numbers, not a BAR
        EXPECT_EQ(size_bars(h, bdf, &bars, &error), -ENODEV);
        EXPECT_EQ(error, "00:03.0: header type 0x01, expected 0x00 (a device)");
        EXPECT_TRUE(h.writes.empty());
    }
}

TEST(HierarchyConfig, RefusedRomSizingIsNoRom) {
    FakeHierarchy h;
    const uint16_t bdf = make_bdf(0, 3);
    h.fns[bdf] = device(-1);
    set_bar(&h.fns[bdf], 4, 0, 0xfffff000);
    set_bar(&h.fns[bdf], 12, 0, 0xffff0001);
    h.faults.push_back(Fault{bdf, 0x30, true, -EIO, "UR"});
    std::vector<BarSpec> bars;
    std::string error;
    ASSERT_EQ(size_bars(h, bdf, &bars, &error), 0) << error;
    ASSERT_EQ(bars.size(), 1u);
    EXPECT_EQ(bars[0].kind, BarKind::Mem32);
    EXPECT_EQ(bars[0].size, 0x1000u);
}

// The whole flow on kTopo. By hand (sim/topology/README.md, "Planning"):
// - rp1: memory 1 MiB (nic's 16 KiB rounded), prefetchable 256 MiB.
// - sw0.0 = sw0 = rp2: memory d0's 1 MiB BAR 0 + 64 KiB ROM -> 2 MiB,
//   prefetchable 2 MiB, I/O 4 KiB; sw0.1 all closed.
// - memory range e0000000: both windows aligned 1 MiB, the larger first:
//   rp2 e0000000-e01fffff, rp1 e0200000-e02fffff.
// - prefetchable 8_0000_0000: rp1 (256 MiB alignment) first
//   8_0000_0000-8_0fff_ffff, rp2 8_1000_0000-8_101f_ffff.
// - I/O: rp2 1000-1fff; rp1 closed.
// - nic: BAR 0 e0200000, BAR 2 8_0000_0000. d0: BAR 0 e0000000, ROM
//   e0100000, BAR 1 (I/O) 1000, BAR 2 8_1000_0000.
TEST(HierarchyConfig, WindowsOfAHandComputedPlan) {
    FakeHierarchy h = fake_topo();
    const Topology t = topo(kTopo);
    std::string error;
    ASSERT_EQ(program_buses(plan_of(t, no_bars()), h, &error), 0) << error;
    DeviceBars bars;
    ASSERT_EQ(size_all_bars(plan_of(t, no_bars()), h, &bars, &error), 0) << error;
    const Plan p = plan_of(t, bars);
    h.writes.clear();
    ASSERT_EQ(program_windows(p, h, &error), 0) << error;

    // Memory 0x20: limit[31:20] << 20 | base[31:20] << 4.
    // Prefetchable 0x24 the same from the low 32 bits, 0x28/0x2c the upper.
    // I/O 0x1c (bytes 0-1): limit[15:12] << 12 | base[15:12] << 4.
    expect_write(h, kRp1, 0x20, 0xe020e020);
    expect_write(h, kRp1, 0x24, 0x0ff00000);
    expect_write(h, kRp1, 0x28, 0x00000008);
    expect_write(h, kRp1, 0x2c, 0x00000008);
    expect_write(h, kRp1, 0x1c, 0x00f0, 0x3); // closed
    expect_write(h, kRp1, 0x30, 0x0000ffff);
    expect_write(h, kRp1, 0x04, 0x0006, 0x3); // Mem + BM
    for (uint16_t b : {kRp2, kSwUp, kSw0}) {
        expect_write(h, b, 0x20, 0xe010e000);
        expect_write(h, b, 0x24, 0x10101000);
        expect_write(h, b, 0x28, 0x00000008);
        expect_write(h, b, 0x2c, 0x00000008);
        expect_write(h, b, 0x1c, 0x1010, 0x3);
        expect_write(h, b, 0x30, 0x00000000);
        expect_write(h, b, 0x04, 0x0007, 0x3); // I/O + Mem + BM
    }
    expect_write(h, kNic, 0x10, 0xe0200000);
    expect_write(h, kNic, 0x18, 0x00000000);
    expect_write(h, kNic, 0x1c, 0x00000008);
    expect_write(h, kD0, 0x10, 0xe0000000);
    expect_write(h, kD0, 0x14, 0x00001000);
    expect_write(h, kD0, 0x18, 0x10000000);
    expect_write(h, kD0, 0x1c, 0x00000008);
    expect_write(h, kD0, 0x30, 0xe0100000); // enable bit off
    EXPECT_EQ(h.writes_to(kNic, 0x04), 0u);
    EXPECT_EQ(h.writes_to(kD0, 0x04), 0u);
    // What the bridge decodes now (read back through the write masks).
    EXPECT_EQ(h.reg(kSw0, 0x24), 0x10111001u);
    EXPECT_EQ(h.reg(kSw0, 0x1c), 0x00001111u);
}

TEST(HierarchyConfig, ClosedWindowsWrittenClosed) {
    FakeHierarchy h;
    h.fns[kRp1] = root_port();
    h.fns[kNic] = device(kRp1);
    // Left open by someone before: every window must be written closed.
    Fn &rp = h.fns[kRp1];
    rp.regs[7] = 0x00002121;
    rp.regs[8] = 0xe000e000;
    rp.regs[9] = 0x00010001;
    rp.regs[10] = 0x00000008;
    rp.regs[11] = 0x00000008;
    rp.regs[12] = 0x00000000;
    rp.regs[1] = 0x0003;
    const Plan p = plan_of(topo("root-port rp1\ndevice nic on rp1 server \"x\"\n"), {{"nic", {}}});
    std::string error;
    ASSERT_EQ(program_buses(p, h, &error), 0) << error;
    ASSERT_EQ(program_windows(p, h, &error), 0) << error;
    // type1_header's reset values: memory fff0 > 0000, prefetchable
    // ffffffff_fff0 > 0_0000, I/O ffff_f0 > 0000_00.
    expect_write(h, kRp1, 0x20, 0x0000fff0);
    expect_write(h, kRp1, 0x24, 0x0000fff0);
    expect_write(h, kRp1, 0x28, 0xffffffff);
    expect_write(h, kRp1, 0x2c, 0x00000000);
    expect_write(h, kRp1, 0x1c, 0x00f0, 0x3);
    expect_write(h, kRp1, 0x30, 0x0000ffff);
    expect_write(h, kRp1, 0x04, 0x0004, 0x3); // Bus Master only
    EXPECT_EQ(h.reg(kRp1, 0x1c), 0x000001f1u);
    EXPECT_EQ(h.reg(kRp1, 0x20), 0x0000fff0u);
    EXPECT_EQ(h.reg(kRp1, 0x24), 0x0001fff1u);
}

TEST(HierarchyConfig, WrongBridgeNamed) {
    const Plan p = plan_of(topo(kTopo), no_bars());
    std::string error;
    {
        FakeHierarchy h = fake_topo();
        h.fns[kRp2].regs[0] = 0x12341b36;
        EXPECT_EQ(program_buses(p, h, &error), -ENODEV);
        EXPECT_EQ(error, "rp2 at 00:02.0: Device ID 0x1234, expected 1b36:000c (a root port)");
        EXPECT_EQ(h.writes_to(kRp2, 0x18), 0u);
    }
    {
        FakeHierarchy h = fake_topo();
        h.fns[kSw1].regs[0] = 0x82338086;
        EXPECT_EQ(program_buses(p, h, &error), -ENODEV);
        EXPECT_EQ(error, "sw0.1 at 03:02.0: Vendor ID 0x8086, expected 104c:8233 (a switch "
                         "downstream port)");
    }
    {
        FakeHierarchy h = fake_topo();
        h.fns[kSwUp].regs[3] = 0x00000000;
        EXPECT_EQ(program_buses(p, h, &error), -ENODEV);
        EXPECT_EQ(error, "sw0 at 02:00.0: header type 0x00, expected 0x01 (a bridge)");
    }
}

TEST(HierarchyConfig, MissingDeviceNamed) {
    const Plan p = plan_of(topo(kTopo), no_bars());
    std::string error;
    {
        FakeHierarchy h = fake_topo();
        h.fns.erase(kD0);
        EXPECT_EQ(program_buses(p, h, &error), -EIO);
        EXPECT_EQ(error, "d0 at 04:00.0: no device answers (UR)");
    }
    {
        FakeHierarchy h = fake_topo();
        h.fns[kNic].regs[0] = 0xffffffff;
        EXPECT_EQ(program_buses(p, h, &error), -ENODEV);
        EXPECT_EQ(error, "nic at 01:00.0: no device answers (Vendor ID 0xffff)");
    }
}

TEST(HierarchyConfig, PortErrorsNameTheFunction) {
    const Topology t = topo(kTopo);
    std::string error;
    {
        FakeHierarchy h = fake_topo();
        h.faults.push_back(Fault{kSwUp, 0x18, true, -EIO, "CA completion"});
        EXPECT_EQ(program_buses(plan_of(t, no_bars()), h, &error), -EIO);
        EXPECT_EQ(error, "sw0 at 02:00.0: writing bus numbers (0x18): CA completion");
    }
    {
        FakeHierarchy h = fake_topo();
        ASSERT_EQ(program_buses(plan_of(t, no_bars()), h, &error), 0) << error;
        h.faults.push_back(Fault{kD0, 0x14, false, -EIO, "UR"});
        DeviceBars bars;
        EXPECT_EQ(size_all_bars(plan_of(t, no_bars()), h, &bars, &error), -EIO);
        EXPECT_EQ(error, "d0 at 04:00.0: reading BAR 1 (0x14): UR");
    }
    {
        FakeHierarchy h = fake_topo();
        ASSERT_EQ(program_buses(plan_of(t, no_bars()), h, &error), 0) << error;
        DeviceBars bars;
        ASSERT_EQ(size_all_bars(plan_of(t, no_bars()), h, &bars, &error), 0) << error;
        h.faults.push_back(Fault{kD0, 0x1c, true, -ETIMEDOUT, "no completion in 1000 cycles"});
        EXPECT_EQ(program_windows(plan_of(t, bars), h, &error), -ETIMEDOUT);
        EXPECT_EQ(error,
                  "d0 at 04:00.0: writing BAR 2's upper half (0x1c): no completion in 1000 cycles");
    }
    {
        FakeHierarchy h = fake_topo();
        h.faults.push_back(Fault{kRp1, 0x20, true, -EIO, ""}); // a port with no words
        EXPECT_EQ(program_windows(plan_of(t, no_bars()), h, &error), -EIO);
        EXPECT_EQ(error, "rp1 at 00:01.0: writing the memory window (0x20): " +
                             std::string(std::strerror(EIO)));
    }
}

} // namespace
