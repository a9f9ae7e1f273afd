// Enumeration planning: bus numbers, windows and BAR addresses worked out by
// hand in the comments from the rules in sim/topology/README.md ("Planning")
// and the harness's ranges (memory e0000000 + 256 MiB, prefetchable
// 8_0000_0000 + 32 GiB, I/O 1000..ffff).
#include "enumeration_plan.hpp"
#include "topology_parser.hpp"

#include <gtest/gtest.h>

#include <cerrno>

namespace {

using namespace rcsim::topology;

Topology topo(const std::string &text) {
    Topology t;
    TopologyError e;
    EXPECT_EQ(parse_topology(text, "t.topo", &t, &e), 0) << e.to_string();
    return t;
}

Plan plan_ok(const std::string &text, const DeviceBars &bars) {
    Plan p;
    std::string error;
    EXPECT_EQ(plan_enumeration(topo(text), bars, PlanRanges{}, &p, &error), 0) << error;
    return p;
}

const PlannedFunction &fn(const Plan &p, const std::string &name) {
    for (const PlannedFunction &f : p.functions)
        if (f.name == name)
            return f;
    ADD_FAILURE() << "no function " << name;
    static const PlannedFunction none;
    return none;
}

void expect_bridge(const Plan &p, const char *name, unsigned bus, unsigned dev, unsigned sec,
                   unsigned sub) {
    const PlannedFunction &f = fn(p, name);
    EXPECT_TRUE(f.bridge()) << name;
    EXPECT_EQ(f.bus, bus) << name;
    EXPECT_EQ(f.dev, dev) << name;
    EXPECT_EQ(f.primary, bus) << name;
    EXPECT_EQ(f.secondary, sec) << name;
    EXPECT_EQ(f.subordinate, sub) << name;
}

void expect_window(const Window &w, uint64_t base, uint64_t limit, const char *what) {
    EXPECT_EQ(w.base, base) << what;
    EXPECT_EQ(w.limit, limit) << what;
}

void expect_closed(const Window &w, const Window &closed, const char *what) {
    EXPECT_FALSE(w.open()) << what;
    expect_window(w, closed.base, closed.limit, what);
}

void expect_device(const Plan &p, const char *name, unsigned bus,
                   const std::vector<uint64_t> &addrs) {
    const PlannedFunction &f = fn(p, name);
    EXPECT_FALSE(f.bridge()) << name;
    EXPECT_EQ(f.bus, bus) << name;
    EXPECT_EQ(f.dev, 0u) << name;
    ASSERT_EQ(f.bars.size(), addrs.size()) << name;
    for (size_t k = 0; k < addrs.size(); ++k)
        EXPECT_EQ(f.bars[k].addr, addrs[k]) << name << " bar #" << k;
}

std::string plan_error(const std::string &text, const DeviceBars &bars, int want) {
    Plan p;
    std::string error;
    EXPECT_EQ(plan_enumeration(topo(text), bars, PlanRanges{}, &p, &error), want);
    return error;
}

const std::string kTwoPorts = "root-port rp1\nroot-port rp2\n"
                              "device nic on rp1 server \"dmacopy --dma-mode twin\"\n"
                              "device nvme on rp2 server \"regs\"\n";

TEST(EnumerationPlan, OneRootPortOneBar) {
    // A 16 KiB mem32 BAR behind rp1: rp1's window rounds 0x4000 up to 1 MiB
    // and starts the memory range: e0000000-e00fffff, the BAR at e0000000.
    const Plan p = plan_ok("root-port rp1\ndevice nic on rp1 server \"x\"\n",
                           {{"nic", {{0, BarKind::Mem32, 0x4000}}}});
    ASSERT_EQ(p.functions.size(), 2u);
    expect_bridge(p, "rp1", 0, 1, 1, 1);
    expect_window(fn(p, "rp1").mem, 0xe0000000, 0xe00fffff, "rp1 mem");
    expect_closed(fn(p, "rp1").pref, kClosedPref, "rp1 pref");
    expect_closed(fn(p, "rp1").io, kClosedIo, "rp1 io");
    expect_device(p, "nic", 1, {0xe0000000});
    EXPECT_EQ(fn(p, "nic").server, "x");
    EXPECT_EQ(p.last_bus, 1u);
}

TEST(EnumerationPlan, TwoRootPortsLargerWindowFirst) {
    // rp1: nic 16K -> window 1M (align 1M); rp2: nvme 2M -> window 2M
    // (align 2M). Larger alignment first: rp2 e0000000-e01fffff, then rp1
    // e0200000-e02fffff. Buses: rp1 00:01.0 -> 01, rp2 00:02.0 -> 02.
    const Plan p = plan_ok(kTwoPorts, {{"nic", {{0, BarKind::Mem32, 0x4000}}},
                                       {"nvme", {{0, BarKind::Mem32, 0x200000}}}});
    ASSERT_EQ(p.functions.size(), 4u);
    // Depth first: rp1, nic, rp2, nvme.
    EXPECT_EQ(p.functions[0].name, "rp1");
    EXPECT_EQ(p.functions[1].name, "nic");
    EXPECT_EQ(p.functions[2].name, "rp2");
    EXPECT_EQ(p.functions[3].name, "nvme");
    expect_bridge(p, "rp1", 0, 1, 1, 1);
    expect_bridge(p, "rp2", 0, 2, 2, 2);
    expect_window(fn(p, "rp2").mem, 0xe0000000, 0xe01fffff, "rp2 mem");
    expect_window(fn(p, "rp1").mem, 0xe0200000, 0xe02fffff, "rp1 mem");
    expect_device(p, "nvme", 2, {0xe0000000});
    expect_device(p, "nic", 1, {0xe0200000});
}

const std::string kSwitch = "root-port rp1\nroot-port rp2\n"
                            "switch sw on rp2 ports 3\n"
                            "device a on rp1 server \"x\"\n"
                            "device b on sw.0 server \"x\"\n"
                            "device c on sw.2 server \"x\"\n";

DeviceBars switch_bars() {
    return {{"a", {{0, BarKind::Mem32, 0x1000}}},
            {"b", {{0, BarKind::Mem32, 0x100000}, {1, BarKind::Mem32, 0x1000}}},
            {"c", {{0, BarKind::Mem32, 0x400000}, {2, BarKind::Io, 0x100}}}};
}

TEST(EnumerationPlan, SwitchBusesDepthFirst) {
    // rp1 00:01.0 -> bus 1 (a). rp2 00:02.0 -> bus 2; the switch's upstream
    // port 02:00.0 -> bus 3 (internal); its ports are devices 1..3 there:
    // sw.0 03:01.0 -> 4 (b), sw.1 03:02.0 -> 5 (empty), sw.2 03:03.0 -> 6
    // (c). Subordinates: sw and rp2 end at 6.
    const Plan p = plan_ok(kSwitch, switch_bars());
    ASSERT_EQ(p.functions.size(), 9u);
    expect_bridge(p, "rp1", 0, 1, 1, 1);
    expect_bridge(p, "rp2", 0, 2, 2, 6);
    expect_bridge(p, "sw", 2, 0, 3, 6);
    EXPECT_EQ(fn(p, "sw").kind, FunctionKind::SwitchUp);
    expect_bridge(p, "sw.0", 3, 1, 4, 4);
    expect_bridge(p, "sw.1", 3, 2, 5, 5);
    expect_bridge(p, "sw.2", 3, 3, 6, 6);
    EXPECT_EQ(fn(p, "sw.2").kind, FunctionKind::SwitchDown);
    EXPECT_EQ(p.last_bus, 6u);
}

TEST(EnumerationPlan, SwitchWindowsNest) {
    // sw.0: b's 1M at +0, its 4K at +0x100000; 0x101000 rounds to 2M.
    // sw.2: c's 4M -> 4M (align 4M); I/O: 0x100 -> 4K.
    // sw (upstream): sw.2 (align 4M) at +0, sw.0 at +0x400000: 6M, align 4M.
    // rp2 holds the same 6M; rp1: a's 4K -> 1M.
    // Memory range: rp2 (align 4M) e0000000-e05fffff, rp1 e0600000-e06fffff.
    // Inside: sw e0000000-e05fffff, sw.2 e0000000-e03fffff (c at e0000000),
    // sw.0 e0400000-e05fffff (b at e0400000 and e0500000), a at e0600000.
    // I/O range: rp2, sw, sw.2 all 1000-1fff, c's I/O BAR at 1000.
    const Plan p = plan_ok(kSwitch, switch_bars());
    expect_window(fn(p, "rp2").mem, 0xe0000000, 0xe05fffff, "rp2 mem");
    expect_window(fn(p, "sw").mem, 0xe0000000, 0xe05fffff, "sw mem");
    expect_window(fn(p, "sw.2").mem, 0xe0000000, 0xe03fffff, "sw.2 mem");
    expect_window(fn(p, "sw.0").mem, 0xe0400000, 0xe05fffff, "sw.0 mem");
    expect_window(fn(p, "rp1").mem, 0xe0600000, 0xe06fffff, "rp1 mem");
    expect_device(p, "c", 6, {0xe0000000, 0x1000});
    expect_device(p, "b", 4, {0xe0400000, 0xe0500000});
    expect_device(p, "a", 1, {0xe0600000});
    expect_window(fn(p, "rp2").io, 0x1000, 0x1fff, "rp2 io");
    expect_window(fn(p, "sw").io, 0x1000, 0x1fff, "sw io");
    expect_window(fn(p, "sw.2").io, 0x1000, 0x1fff, "sw.2 io");
    // Nothing of a kind below: closed, as type1_header resets it.
    expect_closed(fn(p, "rp1").io, kClosedIo, "rp1 io");
    expect_closed(fn(p, "sw.0").io, kClosedIo, "sw.0 io");
    for (const char *empty : {"sw.1"}) {
        expect_closed(fn(p, empty).mem, kClosedMem, empty);
        expect_closed(fn(p, empty).pref, kClosedPref, empty);
        expect_closed(fn(p, empty).io, kClosedIo, empty);
    }
    for (const char *b : {"rp1", "rp2", "sw", "sw.0", "sw.1", "sw.2"})
        expect_closed(fn(p, b).pref, kClosedPref, b);
}

TEST(EnumerationPlan, PrefetchableAbove4G) {
    // rp1: gpu 256M + 1M prefetchable -> +0 and +0x10000000, 0x10100000
    // (a multiple of 1M), align 256M; its 4K mem32 -> memory window 1M.
    // rp2: nic 16K prefetchable -> 1M, align 1M.
    // Prefetchable range: rp1 8_0000_0000-8_100f_ffff, rp2 8_1010_0000-
    // 8_101f_ffff. gpu at 8_0000_0000 and 8_1000_0000, nic at 8_1010_0000.
    const Plan p = plan_ok("root-port rp1\nroot-port rp2\ndevice gpu on rp1 server \"x\"\n"
                           "device nic on rp2 server \"x\"\n",
                           {{"gpu",
                             {{0, BarKind::Mem64Pref, 0x10000000},
                              {2, BarKind::Mem64Pref, 0x100000},
                              {4, BarKind::Mem32, 0x1000}}},
                            {"nic", {{0, BarKind::Mem64Pref, 0x4000}}}});
    expect_window(fn(p, "rp1").pref, 0x800000000, 0x8100fffff, "rp1 pref");
    expect_window(fn(p, "rp2").pref, 0x810100000, 0x8101fffff, "rp2 pref");
    expect_window(fn(p, "rp1").mem, 0xe0000000, 0xe00fffff, "rp1 mem");
    expect_closed(fn(p, "rp2").mem, kClosedMem, "rp2 mem");
    expect_device(p, "gpu", 1, {0x800000000, 0x810000000, 0xe0000000});
    expect_device(p, "nic", 2, {0x810100000});
}

TEST(EnumerationPlan, Mem64NonPrefetchableStaysBelow4G) {
    // A 64-bit BAR without prefetch goes in the 32-bit memory window.
    const Plan p = plan_ok("root-port rp1\ndevice d on rp1 server \"x\"\n",
                           {{"d", {{0, BarKind::Mem64, 0x200000}}}});
    expect_window(fn(p, "rp1").mem, 0xe0000000, 0xe01fffff, "rp1 mem");
    expect_closed(fn(p, "rp1").pref, kClosedPref, "rp1 pref");
    expect_device(p, "d", 1, {0xe0000000});
}

TEST(EnumerationPlan, IoWindowsPerRootPort) {
    // Each port's I/O window is at least 4K: rp1 1000-1fff (d1's 0x100 at
    // 1000), rp2 2000-2fff (d2's 0x20 at 2000); equal windows keep port order.
    const Plan p = plan_ok("root-port rp1\nroot-port rp2\ndevice d1 on rp1 server \"x\"\n"
                           "device d2 on rp2 server \"x\"\n",
                           {{"d1", {{0, BarKind::Io, 0x100}}}, {"d2", {{5, BarKind::Io, 0x20}}}});
    expect_window(fn(p, "rp1").io, 0x1000, 0x1fff, "rp1 io");
    expect_window(fn(p, "rp2").io, 0x2000, 0x2fff, "rp2 io");
    expect_closed(fn(p, "rp1").mem, kClosedMem, "rp1 mem");
    expect_device(p, "d1", 1, {0x1000});
    expect_device(p, "d2", 2, {0x2000});
}

TEST(EnumerationPlan, RomInTheMemoryWindow) {
    // ROM 64K (align 64K) before the 16K BAR: ROM e0000000, BAR e0010000.
    const Plan p = plan_ok("root-port rp1\ndevice d on rp1 server \"x\"\n",
                           {{"d", {{0, BarKind::Mem32, 0x4000}, {0, BarKind::Rom, 0x10000}}}});
    expect_window(fn(p, "rp1").mem, 0xe0000000, 0xe00fffff, "rp1 mem");
    expect_device(p, "d", 1, {0xe0010000, 0xe0000000});
}

TEST(EnumerationPlan, NoBarsAllClosed) {
    const Plan p = plan_ok("root-port rp1\ndevice d on rp1 server \"x\"\n", {{"d", {}}});
    // fff00000 > 000fffff; ffffffff_fff00000 > 0_000fffff; fffff000 > 00000fff.
    expect_window(fn(p, "rp1").mem, 0xfff00000, 0x000fffff, "mem");
    expect_window(fn(p, "rp1").pref, 0xfffffffffff00000, 0x00000000000fffff, "pref");
    expect_window(fn(p, "rp1").io, 0xfffff000, 0x00000fff, "io");
    EXPECT_FALSE(fn(p, "rp1").mem.open());
    EXPECT_FALSE(fn(p, "rp1").pref.open());
    EXPECT_FALSE(fn(p, "rp1").io.open());
}

TEST(EnumerationPlan, BarTooBigForTheRange) {
    // 512 MiB does not fit the 256 MiB memory range.
    EXPECT_EQ(plan_error("root-port rp1\ndevice big on rp1 server \"x\"\n",
                         {{"big", {{0, BarKind::Mem32, 0x20000000}}}}, -ENOSPC),
              "device 'big' does not fit: the memory window of root port 'rp1' needs "
              "0x20000000 bytes aligned to 0x20000000 (largest below: BAR 0, mem32, 0x20000000 "
              "bytes), 0x10000000 bytes are left from 0xe0000000 in the memory range "
              "0xe0000000-0xefffffff");
}

TEST(EnumerationPlan, WindowsTogetherTooBig) {
    // rp1 e0000000-e7ffffff and rp2 e8000000-efffffff fill the range; rp3's
    // 1M window for c has nothing left at f0000000.
    EXPECT_EQ(plan_error("root-port rp1\nroot-port rp2\nroot-port rp3\n"
                         "device a on rp1 server \"x\"\ndevice b on rp2 server \"x\"\n"
                         "device c on rp3 server \"x\"\n",
                         {{"a", {{0, BarKind::Mem32, 0x8000000}}},
                          {"b", {{0, BarKind::Mem32, 0x8000000}}},
                          {"c", {{0, BarKind::Mem32, 0x4000}}}},
                         -ENOSPC),
              "device 'c' does not fit: the memory window of root port 'rp3' needs 0x100000 "
              "bytes aligned to 0x100000 (largest below: BAR 0, mem32, 0x4000 bytes), 0x0 bytes "
              "are left from 0xf0000000 in the memory range 0xe0000000-0xefffffff");
}

TEST(EnumerationPlan, NamesTheLargestBarBehindASwitch) {
    // Behind rp1's switch: x (64K of I/O) and y (4K): 0x10000 + 0x1000 >
    // the 0xf000 bytes of I/O space; the error names x, the larger.
    EXPECT_EQ(plan_error("root-port rp1\nswitch s on rp1 ports 2\n"
                         "device y on s.0 server \"x\"\ndevice x on s.1 server \"x\"\n",
                         {{"x", {{0, BarKind::Io, 0x10000}}}, {"y", {{0, BarKind::Io, 0x1000}}}},
                         -ENOSPC),
              "device 'x' does not fit: the I/O window of root port 'rp1' needs 0x11000 bytes "
              "aligned to 0x10000 (largest below: BAR 0, io, 0x10000 bytes), 0xf000 bytes are "
              "left from 0x1000 in the I/O range 0x1000-0xffff");
}

TEST(EnumerationPlan, TooManyBuses) {
    // 28 eight-port switches (9 buses each) and 8 root ports need 260 buses.
    // rp1, rp2: a switch s with a switch u on each of its 8 ports: 1 + 1 +
    // 8 * 10 = 82 buses (1..82, 83..164); rp3: 4 of them: 1 + 1 + 4 * 10 + 4
    // = 46 (165..210); rp4..rp7: a plain switch, 10 each (211..250); rp8
    // 251, its switch's internal bus 252 (0xfc), ports .0 .1 .2 take
    // 253..255 and port .3 (fc:04.0) would need 256.
    std::string text;
    for (int r = 1; r <= 8; ++r)
        text += "root-port rp" + std::to_string(r) + "\n";
    for (int r = 1; r <= 8; ++r)
        text += "switch s" + std::to_string(r) + " on rp" + std::to_string(r) + " ports 8\n";
    for (int r = 1; r <= 3; ++r)
        for (int k = 0; k < (r == 3 ? 4 : 8); ++k)
            text += "switch u" + std::to_string(r) + std::to_string(k) + " on s" +
                    std::to_string(r) + "." + std::to_string(k) + " ports 8\n";
    text += "device d on s8.7 server \"x\"\n";
    EXPECT_EQ(plan_error(text, {{"d", {}}}, -ERANGE),
              "too many buses: s8.3 at fc:04.0 would need bus 256 (the last is 255)");
}

TEST(EnumerationPlan, BadBars) {
    const std::string one = "root-port rp1\ndevice a on rp1 server \"x\"\n";
    EXPECT_EQ(plan_error(one, {}, -EINVAL), "no BARs given for device 'a'");
    EXPECT_EQ(plan_error(one, {{"a", {}}, {"b", {}}}, -EINVAL),
              "BARs given for 'b', not a device of the topology");
    EXPECT_EQ(plan_error(one, {{"a", {{0, BarKind::Mem32, 0x3000}}}}, -EINVAL),
              "device 'a' BAR 0: size 0x3000 is not a power of two in 0x10..0x80000000 (mem32)");
    EXPECT_EQ(plan_error(one, {{"a", {{1, BarKind::Io, 2}}}}, -EINVAL),
              "device 'a' BAR 1: size 0x2 is not a power of two in 0x4..0x10000 (io)");
    EXPECT_EQ(plan_error(one, {{"a", {{0, BarKind::Rom, 0x400}}}}, -EINVAL),
              "device 'a' ROM: size 0x400 is not a power of two in 0x800..0x80000000 (rom)");
    EXPECT_EQ(plan_error(one, {{"a", {{5, BarKind::Mem64, 0x1000}}}}, -EINVAL),
              "device 'a' BAR 5: no such BAR (mem64 takes BARs 0..4)");
    EXPECT_EQ(plan_error(one, {{"a", {{6, BarKind::Mem32, 0x1000}}}}, -EINVAL),
              "device 'a' BAR 6: no such BAR (mem32 takes BARs 0..5)");
    // A 64-bit BAR 0 takes BAR 1 as well.
    EXPECT_EQ(plan_error(one,
                         {{"a", {{0, BarKind::Mem64Pref, 0x1000}, {1, BarKind::Mem32, 0x1000}}}},
                         -EINVAL),
              "device 'a' BAR 1: overlaps another BAR of the device");
    EXPECT_EQ(
        plan_error(one, {{"a", {{0, BarKind::Rom, 0x800}, {0, BarKind::Rom, 0x800}}}}, -EINVAL),
        "device 'a' ROM: a second ROM");
}

TEST(EnumerationPlan, TopologyBuiltByHand) {
    // What the parser refuses is refused here too, for a caller that builds
    // the tree itself.
    Topology t = topo("root-port rp1\ndevice a on rp1 server \"x\"\n");
    Node b = t.nodes[1];
    b.name = "b";
    t.nodes.push_back(b);
    Plan p;
    std::string error;
    EXPECT_EQ(plan_enumeration(t, {{"a", {}}, {"b", {}}}, PlanRanges{}, &p, &error), -EINVAL);
    EXPECT_EQ(error, "device 'b': its port already holds 'a'");
    t.nodes[2].parent = 2;
    EXPECT_EQ(plan_enumeration(t, {{"a", {}}, {"b", {}}}, PlanRanges{}, &p, &error), -EINVAL);
    EXPECT_EQ(error, "device 'b': its parent is not a node declared before it");
    t.nodes[2].parent = 1;
    EXPECT_EQ(plan_enumeration(t, {{"a", {}}, {"b", {}}}, PlanRanges{}, &p, &error), -EINVAL);
    EXPECT_EQ(error, "device 'b': no such port on 'a'");
    t.nodes[2].parent = 0;
    t.nodes[2].parent_port = 0;
    EXPECT_EQ(plan_enumeration(t, {{"a", {}}, {"b", {}}}, PlanRanges{}, &p, &error), -EINVAL);
    EXPECT_EQ(error, "device 'b': no such port on 'rp1'");
}

} // namespace
