// The plan as text: the lspci -tv tree and the lspci -v style listing of
// sim/topology/README.md ("Rendering"), compared with text written by hand.
#include "enumeration_plan.hpp"
#include "topology_parser.hpp"
#include "topology_render.hpp"

#include <gtest/gtest.h>

namespace {

using namespace rcsim::topology;

Plan plan_of(const std::string &text, const DeviceBars &bars) {
    Topology t;
    TopologyError e;
    EXPECT_EQ(parse_topology(text, "t.topo", &t, &e), 0) << e.to_string();
    Plan p;
    std::string error;
    EXPECT_EQ(plan_enumeration(t, bars, PlanRanges{}, &p, &error), 0) << error;
    return p;
}

TEST(TopologyRender, TreeOfTheReadmeExample) {
    // rp1..rp3 are 00:01.0..00:03.0; sw0's upstream port is 03:00.0 with
    // its internal bus 04, its ports 04:01.0..04:04.0 own buses 05..08.
    const Plan p = plan_of("root-port rp1\nroot-port rp2\nroot-port rp3\n"
                           "switch sw0 on rp3 ports 4\n"
                           "device nic on rp1 server \"dmacopy --dma-mode twin\"\n"
                           "device nvme on rp2 server \"regs\"\n"
                           "device d0 on sw0.0 server \"regs\"\n",
                           {{"nic", {}}, {"nvme", {}}, {"d0", {}}});
    EXPECT_EQ(render_tree(p),
              "-[0000:00]-+-01.0-[01]----00.0  nic\n"
              "           +-02.0-[02]----00.0  nvme\n"
              "           \\-03.0-[03-08]----00.0-[04-08]--+-01.0-[05]----00.0  d0\n"
              "                                           +-02.0-[06]--\n"
              "                                           +-03.0-[07]--\n"
              "                                           \\-04.0-[08]--\n");
}

TEST(TopologyRender, TreeKeepsTheBranchOfAnOpenSibling) {
    // The switch below rp1 is not the last root port: its second line keeps
    // rp1's branch as '|' in column 12.
    const Plan p = plan_of("root-port rp1\nroot-port rp2\nswitch sw on rp1 ports 2\n"
                           "device x on sw.0 server \"x\"\ndevice y on sw.1 server \"x\"\n"
                           "device z on rp2 server \"x\"\n",
                           {{"x", {}}, {"y", {}}, {"z", {}}});
    EXPECT_EQ(render_tree(p), "-[0000:00]-+-01.0-[01-04]----00.0-[02-04]--+-01.0-[03]----00.0  x\n"
                              "           |                               \\-02.0-[04]----00.0  y\n"
                              "           \\-02.0-[05]----00.0  z\n");
}

TEST(TopologyRender, TreeOfOneRootPort) {
    // One function on a bus: "--" instead of a branch.
    const Plan p = plan_of("root-port r\ndevice d on r server \"x\"\n", {{"d", {}}});
    EXPECT_EQ(render_tree(p), "-[0000:00]---01.0-[01]----00.0  d\n");
}

TEST(TopologyRender, Listing) {
    // gpu: ROM 64K (align 64K) at e0000000, BAR 2 (16K) at e0010000: memory
    // window e0000000-e00fffff; BAR 0, 256M prefetchable, at 8_0000_0000;
    // BAR 3, 128 bytes of I/O, at 1000 in the window 1000-1fff. The empty
    // rp2 gets bus 02 and no window.
    const Plan p = plan_of("root-port rp1\nroot-port rp2\n"
                           "device gpu on rp1 server \"regs --bars big\"\n",
                           {{"gpu",
                             {{0, BarKind::Mem64Pref, 0x10000000},
                              {2, BarKind::Mem32, 0x4000},
                              {3, BarKind::Io, 0x80},
                              {0, BarKind::Rom, 0x10000}}}});
    EXPECT_EQ(render_listing(p),
              "00:01.0 root port rp1\n"
              "\tBus: primary=00, secondary=01, subordinate=01\n"
              "\tI/O behind bridge: 00001000-00001fff [size=4K]\n"
              "\tMemory behind bridge: e0000000-e00fffff [size=1M]\n"
              "\tPrefetchable memory behind bridge: 0000000800000000-000000080fffffff "
              "[size=256M]\n"
              "00:02.0 root port rp2\n"
              "\tBus: primary=00, secondary=02, subordinate=02\n"
              "\tI/O behind bridge: [disabled]\n"
              "\tMemory behind bridge: [disabled]\n"
              "\tPrefetchable memory behind bridge: [disabled]\n"
              "01:00.0 device gpu: server \"regs --bars big\"\n"
              "\tRegion 0: Memory at 800000000 (64-bit, prefetchable) [size=256M]\n"
              "\tRegion 2: Memory at e0010000 (32-bit, non-prefetchable) [size=16K]\n"
              "\tRegion 3: I/O ports at 1000 [size=128]\n"
              "\tExpansion ROM at e0000000 [size=64K]\n");
    EXPECT_EQ(render_tree(p), "-[0000:00]-+-01.0-[01]----00.0  gpu\n"
                              "           \\-02.0-[02]--\n");
}

TEST(TopologyRender, ListingOfASwitch) {
    // A switch's two functions by bus: the upstream port on 01, its port on
    // the internal bus 02 as device 1, the device on 03. d's 2M 64-bit BAR
    // without prefetch: the same 2M memory window e0000000-e01fffff on all
    // three bridges.
    const Plan p = plan_of("root-port rp1\nswitch sw on rp1 ports 1\n"
                           "device d on sw.0 server \"x\"\n",
                           {{"d", {{0, BarKind::Mem64, 0x200000}}}});
    EXPECT_EQ(render_listing(p),
              "00:01.0 root port rp1\n"
              "\tBus: primary=00, secondary=01, subordinate=03\n"
              "\tI/O behind bridge: [disabled]\n"
              "\tMemory behind bridge: e0000000-e01fffff [size=2M]\n"
              "\tPrefetchable memory behind bridge: [disabled]\n"
              "01:00.0 switch upstream port sw\n"
              "\tBus: primary=01, secondary=02, subordinate=03\n"
              "\tI/O behind bridge: [disabled]\n"
              "\tMemory behind bridge: e0000000-e01fffff [size=2M]\n"
              "\tPrefetchable memory behind bridge: [disabled]\n"
              "02:01.0 switch downstream port sw.0\n"
              "\tBus: primary=02, secondary=03, subordinate=03\n"
              "\tI/O behind bridge: [disabled]\n"
              "\tMemory behind bridge: e0000000-e01fffff [size=2M]\n"
              "\tPrefetchable memory behind bridge: [disabled]\n"
              "03:00.0 device d: server \"x\"\n"
              "\tRegion 0: Memory at e0000000 (64-bit, non-prefetchable) [size=2M]\n");
}

} // namespace
