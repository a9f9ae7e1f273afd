// Several devices (issue 20) end to end: a topology's servers started, the
// fabric's RTL between the root port and their bridges, the hierarchy
// enumerated through config TLPs, MMIO to each device, and peer-to-peer
// DMA: dmacopy copying host memory into a regs device's scratch. Expected
// addresses by hand from the planner's rules (sim/topology/README.md):
// root ports in declaration order at 00:01.0, 00:02.0; buses depth first;
// 1 MiB memory windows placed upward from 0xe0000000 in plan order.
#include "harness_fixture.hpp"
#include "topology_parser.hpp"

#include <gtest/gtest.h>

#include <cstring>

namespace {

using rcsim::Harness;
using rcsim::HarnessConfig;
using rcsim::HostStatus;

const std::string kModels = RCSIM_SERVER_MODELS_DIR;

// The fixture's teardown (shutdown, the failure report on failure); each
// test starts its own topology instead of the fixture's single server.
class Topology : public rcsim::HarnessFixture {
  protected:
    std::vector<std::string> server_argv() const override { return {}; }
    void SetUp() override {}
    void start(const std::string &text, const std::vector<rcsim::MemWindow> &extra = {}) {
        rcsim::topology::Topology t;
        rcsim::topology::TopologyError perr;
        ASSERT_EQ(rcsim::topology::parse_topology(text, "test.topo", &t, &perr), 0);
        HarnessConfig cfg;
        for (const rcsim::MemWindow &w : extra)
            cfg.dma_windows.push_back(w);
        std::string err;
        ASSERT_EQ(Harness::create(cfg, &h, &err), 0) << err;
        ASSERT_EQ(h->start_topology(t, &err), 0) << err << "\n" << h->failure_report();
    }
};

// Two regs on two root ports: the root ports answer as QEMU's
// pcie-root-port, their bus numbers and windows are what the plan says,
// and each device answers its own MMIO.
TEST_F(Topology, TwoRootPortsEachWithADevice) {
    start("root-port rp1\nroot-port rp2\n"
          "device a on rp1 server \"" +
          kModels + "/regs\"\ndevice b on rp2 server \"" + kModels + "/regs\"\n");
    ASSERT_EQ(h->devices(), 2u);
    EXPECT_EQ(h->device_name(0), "a");
    EXPECT_EQ(h->device_name(1), "b");
    EXPECT_EQ(h->find_device("b"), 1);
    EXPECT_EQ(h->find_device("c"), -1);
    // 00:01.0 and 00:02.0: Vendor 1b36, Device 000c; bus numbers
    // (subordinate, secondary, primary) 1,1,0 and 2,2,0.
    EXPECT_EQ(h->cfg_read_at(0x0008, 0x00, 4).value, 0x000c1b36u);
    EXPECT_EQ(h->cfg_read_at(0x0010, 0x00, 4).value, 0x000c1b36u);
    EXPECT_EQ(h->cfg_read_at(0x0008, 0x18, 4).value, 0x00010100u);
    EXPECT_EQ(h->cfg_read_at(0x0010, 0x18, 4).value, 0x00020200u);
    // Memory windows (0x20: limit[31:20] << 16 | base[31:20]): rp1
    // 0xe0000000-0xe00fffff, rp2 0xe0100000-0xe01fffff.
    EXPECT_EQ(h->cfg_read_at(0x0008, 0x20, 4).value, 0xe000e000u);
    EXPECT_EQ(h->cfg_read_at(0x0010, 0x20, 4).value, 0xe010e010u);
    // Memory Space and Bus Master on in both root ports.
    EXPECT_EQ(h->cfg_read_at(0x0008, 0x04, 2).value & 0x6u, 0x6u);
    h->select_device(0);
    EXPECT_EQ(h->enumeration().vendor_id, 0x5243);
    EXPECT_EQ(h->enumeration().bars[0].base, 0xe0000000u);
    h->select_device(1);
    EXPECT_EQ(h->enumeration().bars[0].base, 0xe0100000u);
    // The regs ID register, then each device's scratch its own.
    EXPECT_EQ(h->mmio_read(0, 0x000, 4).value, 0x52435247u);
    EXPECT_EQ(h->mmio_write(0, 0x100, 4, 0x22222222u), HostStatus::SC);
    h->select_device(0);
    EXPECT_EQ(h->mmio_write(0, 0x100, 4, 0x11111111u), HostStatus::SC);
    EXPECT_EQ(h->mmio_read(0, 0x100, 4).value, 0x11111111u);
    h->select_device(1);
    EXPECT_EQ(h->mmio_read(0, 0x100, 4).value, 0x22222222u);
    EXPECT_FALSE(h->has_failures()) << h->failure_report();
}

// A device behind a switch: the switch's ports answer with QEMU's x3130
// IDs and the device behind it is reached through two bridges.
TEST_F(Topology, ADeviceBehindASwitch) {
    start("root-port rp1\nswitch sw on rp1 ports 2\n"
          "device d on sw.1 server \"" +
          kModels + "/regs\"\n");
    // Depth first, every downstream port a bus of its own, empty or not:
    // rp1 00:01.0 (buses 1..4), sw upstream 01:00.0 (2..4), sw.0 02:01.0
    // (3, nothing behind it), sw.1 02:02.0 (4), d at 04:00.0.
    EXPECT_EQ(h->cfg_read_at(0x0008, 0x18, 4).value, 0x00040100u);
    EXPECT_EQ(h->cfg_read_at(0x0100, 0x00, 4).value, 0x8232104cu);
    EXPECT_EQ(h->cfg_read_at(0x0100, 0x18, 4).value, 0x00040201u);
    EXPECT_EQ(h->cfg_read_at(0x0208, 0x00, 4).value, 0x8233104cu);
    EXPECT_EQ(h->cfg_read_at(0x0208, 0x18, 4).value, 0x00030302u);
    EXPECT_EQ(h->cfg_read_at(0x0210, 0x00, 4).value, 0x8233104cu);
    EXPECT_EQ(h->cfg_read_at(0x0210, 0x18, 4).value, 0x00040402u);
    EXPECT_EQ(h->cfg_read_at(0x0400, 0x00, 4).value, 0x00015243u);
    EXPECT_EQ(h->mmio_read(0, 0x000, 4).value, 0x52435247u);
    EXPECT_EQ(h->mmio_write(0, 0x104, 4, 0xa5a5a5a5u), HostStatus::SC);
    EXPECT_EQ(h->mmio_read(0, 0x104, 4).value, 0xa5a5a5a5u);
    // Nothing behind sw.0: a config read on its secondary bus 3 gets UR
    // (the port's link is down), a timeout never.
    EXPECT_EQ(h->cfg_read_at(0x0300, 0x00, 4).status, HostStatus::UR);
    EXPECT_FALSE(h->has_failures()) << h->failure_report();
}

// Peer-to-peer: dmacopy (on rp1) copies 256 bytes of host memory into the
// regs device's scratch (on rp2, BAR0 + 0x100): DMA_READs from host
// memory, DMA_WRITEs into the peer's BAR that become MemWr TLPs through
// the fabric and a REGION_WRITE on the regs server.
TEST_F(Topology, DmacopyCopiesIntoAPeersBar) {
    start("root-port rp1\nroot-port rp2\n"
          "device copier on rp1 server \"" +
          kModels + "/dmacopy\"\ndevice target on rp2 server \"" + kModels + "/regs\"\n");
    h->select_device(1);
    const uint64_t scratch = h->enumeration().bars[0].base + 0x100;
    ASSERT_EQ(scratch, 0xe0100100u); // rp1's window holds dmacopy's two BARs
    uint8_t src[256];
    uint32_t seed = 77;
    for (uint8_t &b : src) {
        seed = seed * 1103515245u + 12345u;
        b = uint8_t(seed >> 16);
    }
    constexpr uint64_t kRing = 0x10000000, kSrc = 0x10100000;
    h->memory().write(kSrc, src, sizeof src);
    const uint64_t desc[4] = {kSrc, scratch, 256u | (1ull << 32), 0};
    h->memory().write(kRing, desc, sizeof desc);
    h->select_device(0);
    ASSERT_EQ(h->mmio_write(0, 0x00, 4, uint32_t(kRing)), HostStatus::SC); // RING_LO
    ASSERT_EQ(h->mmio_write(0, 0x04, 4, 0), HostStatus::SC);               // RING_HI
    ASSERT_EQ(h->mmio_write(0, 0x08, 4, 16), HostStatus::SC);              // RING_SIZE
    ASSERT_EQ(h->mmio_write(0, 0x10, 4, 1), HostStatus::SC);               // HEAD
    ASSERT_TRUE(h->wait_irq(0, 2000000)) << h->failure_report();
    EXPECT_EQ(h->mmio_read(0, 0x18, 4).value & 0x3u, 0u); // STATUS: not busy, no error
    h->select_device(1);
    for (unsigned i = 0; i < 256; i += 4) {
        uint32_t want = 0;
        std::memcpy(&want, src + i, 4);
        ASSERT_EQ(h->mmio_read(0, 0x100 + i, 4).value, want) << "scratch offset " << i;
    }
    EXPECT_GT(h->counters().bridge.dma_writes, 0u);
    EXPECT_FALSE(h->has_failures()) << h->failure_report();
}

// A peer-to-peer read into a bridge window with nothing behind it: rp3
// has no device, so its window stays closed; the test opens it as a host
// could (0xe0200000-0xe02fffff: 0x20 = 0xe020e020; Command Memory Space and
// Bus Master), maps a DMA window there (so dmacopy's server and our client
// let the DMA go out) and dmacopy reads from it. The root complex routes the MemRd
// to rp3, whose link is down: a UR completion comes back to dmacopy's
// bridge, the DMA fails with EFAULT (sim/bridge/README.md: UR -> EFAULT)
// and STATUS says ERROR, errno 14 in bits 31:16.
TEST_F(Topology, PeerReadIntoAWindowWithNothingBehindItIsUr) {
    start("root-port rp1\nroot-port rp2\nroot-port rp3\n"
          "device copier on rp1 server \"" +
              kModels + "/dmacopy\"\ndevice target on rp2 server \"" + kModels + "/regs\"\n",
          {{0xe0200000u, 0x100000u, rcsim::MemPerm::ReadWrite, "gap"}});
    ASSERT_EQ(h->cfg_write_at(0x0018, 0x20, 4, 0xe020e020u), HostStatus::SC);
    ASSERT_EQ(h->cfg_write_at(0x0018, 0x04, 2, 0x0006u), HostStatus::SC);
    constexpr uint64_t kRing = 0x10000000;
    const uint64_t desc[4] = {0xe0200000u, 0x10200000u, 64u | (1ull << 32), 0};
    h->memory().write(kRing, desc, sizeof desc);
    h->select_device(0);
    ASSERT_EQ(h->mmio_write(0, 0x00, 4, uint32_t(kRing)), HostStatus::SC);
    ASSERT_EQ(h->mmio_write(0, 0x04, 4, 0), HostStatus::SC);
    ASSERT_EQ(h->mmio_write(0, 0x08, 4, 16), HostStatus::SC);
    ASSERT_EQ(h->mmio_write(0, 0x10, 4, 1), HostStatus::SC);
    ASSERT_TRUE(h->wait_irq(0, 2000000)) << h->failure_report();
    EXPECT_EQ(h->mmio_read(0, 0x18, 4).value & 0xffff0003u, 0x000e0002u);
    EXPECT_EQ(h->counters().bridge.dma_errors, 1u);
    EXPECT_EQ(h->counters().bridge.p2p_bytes_read, 0u);
    EXPECT_FALSE(h->has_failures()) << h->failure_report();
}

} // namespace
