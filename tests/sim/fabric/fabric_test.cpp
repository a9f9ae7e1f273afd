// sim/fabric: the verilated root complex and switch wired by a plan, driven
// through the door in whole TLPs. The topology (kTopo) and every expected
// value are worked out by hand in the comments from the planning rules
// (sim/topology/README.md), the routing rules (rtl/fabric/README.md) and the
// PCIe Base Specification; the planner's own output is only checked
// against them.
#include "fabric_bench.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>
#include <vector>

namespace {

using namespace rcsim;
using fabric::Fabric;
using fabric_test::pattern;
using tlp::CplStatus;
using tlp::Tlp;
using tlp::TlpType;
using topology::Plan;

// Buses depth first: rp1 00:01.0 [01], a 01:00.0; rp2 00:02.0 [02-05],
// sw0 02:00.0 [03-05], sw0.0 03:01.0 [04], b 04:00.0, sw0.1 03:02.0 [05],
// c 05:00.0; rp3 00:03.0 [06], nothing below (link down).
const char *const kTopo = "root-port rp1\n"
                          "root-port rp2\n"
                          "root-port rp3\n"
                          "switch sw0 on rp2 ports 2\n"
                          "device a on rp1 server \"regs\"\n"
                          "device b on sw0.0 server \"regs\"\n"
                          "device c on sw0.1 server \"regs\"\n";
constexpr size_t kA = 0, kB = 1, kC = 2; // devices in plan order
constexpr uint16_t kBdfA = 0x0100, kBdfB = 0x0400, kBdfC = 0x0500;
constexpr uint16_t kRp1 = 0x0008, kRp2 = 0x0010, kRp3 = 0x0018, kSw0 = 0x0200;
constexpr uint16_t kSw0Port1 = 0x0310;
// One 4 KiB mem32 BAR each. Memory windows (1 MiB granules, larger first,
// from e0000000): rp2 (2 MiB) e0000000-e01fffff, sw0 the same, sw0.0
// e0000000-e00fffff, sw0.1 e0100000-e01fffff; rp1 e0200000-e02fffff.
constexpr uint64_t kBarA = 0xe0200000, kBarB = 0xe0000000, kBarC = 0xe0100000;
// rp3's window as software would reserve it for a hot-plug slot (by hand:
// nothing below it, so the plan leaves it closed).
constexpr uint64_t kEmptyWindow = 0xe0400000;

std::vector<uint8_t> le(uint32_t v) {
    return {uint8_t(v), uint8_t(v >> 8), uint8_t(v >> 16), uint8_t(v >> 24)};
}

class FabricTest : public fabric_test::FabricBench {
  protected:
    void SetUp() override { create(kTopo); }

    void expect_quiet() {
        run();
        EXPECT_TRUE(f_->idle());
        Tlp t;
        EXPECT_FALSE(f_->to_host(&t)) << t.describe();
        for (size_t d = 0; d < f_->devices(); d++)
            EXPECT_FALSE(f_->to_device(d, &t)) << d << ": " << t.describe();
    }

    uint32_t cfg_read(uint16_t bdf, uint16_t off) {
        const Tlp c = cfg_host(Tlp::cfg_read(bdf, off, 0x0000, 0x11));
        EXPECT_EQ(c.type, TlpType::CplD);
        EXPECT_EQ(c.status, CplStatus::SC);
        EXPECT_EQ(c.requester_id, 0x0000);
        EXPECT_EQ(c.completer_id, bdf);
        EXPECT_EQ(c.tag, 0x11);
        EXPECT_EQ(c.byte_count, 4);
        EXPECT_EQ(c.payload.size(), 4u);
        if (c.payload.size() < 4)
            return 0;
        return uint32_t(c.payload[0]) | uint32_t(c.payload[1]) << 8 | uint32_t(c.payload[2]) << 16 |
               uint32_t(c.payload[3]) << 24;
    }
};

TEST_F(FabricTest, PlanAndDevicesAreTheHandWorkedOnes) {
    ASSERT_EQ(f_->devices(), 3u);
    EXPECT_EQ(f_->device_bdf(kA), kBdfA);
    EXPECT_EQ(f_->device_bdf(kB), kBdfB);
    EXPECT_EQ(f_->device_bdf(kC), kBdfC);
    std::vector<uint64_t> bars;
    for (const topology::PlannedFunction &fn : plan_.functions) {
        if (!fn.bridge())
            bars.push_back(fn.bars.at(0).addr);
    }
    EXPECT_EQ(bars, (std::vector<uint64_t>{kBarA, kBarB, kBarC}));
    EXPECT_TRUE(f_->idle());
}

TEST_F(FabricTest, RootPortsAreQemusPcieRootPorts) {
    EXPECT_EQ(cfg_read(kRp1, 0x00), 0x000c1b36u);
    EXPECT_EQ(cfg_read(kRp1, 0x08), 0x06040000u); // PCI-to-PCI bridge
    EXPECT_EQ(cfg_read(kRp3, 0x00), 0x000c1b36u); // link down, still there
    // 00:04.0: the model has it, the topology does not: UR from the host
    // bridge (00:00.0)
    const Tlp c = cfg_host(Tlp::cfg_read(0x0020, 0x00, 0x0000, 0x12));
    EXPECT_EQ(c.type, TlpType::Cpl);
    EXPECT_EQ(c.status, CplStatus::UR);
    EXPECT_EQ(c.completer_id, 0x0000);
    EXPECT_EQ(c.tag, 0x12);
    EXPECT_EQ(f_->counters().ur_made, 1u);
    expect_quiet();
}

TEST_F(FabricTest, EnumerationReachesTheSwitchThroughItsRootPort) {
    enumerate();
    EXPECT_EQ(cfg_read(kRp2, 0x18), 0x00050200u);
    EXPECT_EQ(cfg_read(kRp2, 0x20), 0xe010e000u);
    // through rp2 as Type 0 on bus 2: the upstream port, QEMU's x3130
    EXPECT_EQ(cfg_read(kSw0, 0x00), 0x8232104cu);
    EXPECT_EQ(cfg_read(kSw0, 0x18), 0x00050302u);
    // as Type 1 to bus 3, device 2: sw0's second downstream port
    EXPECT_EQ(cfg_read(kSw0Port1, 0x00), 0x8233104cu);
    EXPECT_EQ(cfg_read(kSw0Port1, 0x18), 0x00050503u);
    EXPECT_EQ(cfg_read(kSw0Port1, 0x20), 0xe010e010u);
    EXPECT_EQ(f_->counters().ur_made, 0u);
    expect_quiet();
}

TEST_F(FabricTest, DeviceConfigReadIsAnsweredByTheDevice) {
    enumerate();
    host_sends(Tlp::cfg_read(kBdfB, 0x00, 0x0000, 0x31));
    const Tlp r = device_gets(kB);
    EXPECT_EQ(r.type, TlpType::CfgRd0);
    EXPECT_EQ(r.dest_id, kBdfB);
    EXPECT_EQ(r.register_number, 0);
    EXPECT_EQ(r.requester_id, 0x0000);
    EXPECT_EQ(r.tag, 0x31);
    EXPECT_EQ(hops_, (std::vector<std::string>{"rp2", "sw0.0"}));
    Tlp none;
    EXPECT_FALSE(f_->to_device(kA, &none));
    EXPECT_FALSE(f_->to_device(kC, &none));
    // b answers 1af4:1000
    const Tlp cpl = Tlp::completion_data(0x0000, 0x31, kBdfB, 4, 0, le(0x10001af4));
    device_sends(kB, cpl);
    EXPECT_EQ(host_gets(), cpl);
    // a, directly below rp1
    host_sends(Tlp::cfg_read(kBdfA, 0x10, 0x0000, 0x32));
    const Tlp ra = device_gets(kA);
    EXPECT_EQ(ra.type, TlpType::CfgRd0);
    EXPECT_EQ(ra.dest_id, kBdfA);
    EXPECT_EQ(ra.register_number, 4);
    expect_quiet();
    // every TLP that went in came out (config answered by the ports, the
    // device's read and its completion): 48 + 2 + 1 each way
    EXPECT_EQ(f_->counters().tlps_in, 51u);
    EXPECT_EQ(f_->counters().tlps_out, 51u);
}

TEST_F(FabricTest, HostMemWrOf64BytesArrivesIntact) {
    enumerate();
    const Tlp w = Tlp::mem_write(kBarC + 0x40, pattern(64, 3), 0x0000, 0);
    host_sends(w);
    EXPECT_EQ(device_gets(kC), w);
    expect_quiet();
}

TEST_F(FabricTest, DeviceMemRdOfHostMemoryGoesToTheHost) {
    enumerate();
    const Tlp r = Tlp::mem_read(0x12340000, 64, kBdfB, 0x41);
    device_sends(kB, r);
    EXPECT_EQ(host_gets(), r);
    EXPECT_EQ(hops_, (std::vector<std::string>{"sw0", "host"}));
    expect_quiet();
}

TEST_F(FabricTest, PeerMemWrThroughTheRootComplex) {
    enumerate();
    const Tlp w = Tlp::mem_write(kBarB + 0x100, pattern(64, 9), kBdfA, 0);
    device_sends(kA, w);
    EXPECT_EQ(device_gets(kB), w);
    EXPECT_EQ(hops_, (std::vector<std::string>{"rp2", "sw0.0"}));
    expect_quiet();
}

TEST_F(FabricTest, PeerMemWrInsideTheSwitchNeverReachesTheHost) {
    enumerate();
    const Tlp w = Tlp::mem_write(kBarC + 0x200, pattern(64, 1), kBdfB, 0);
    device_sends(kB, w);
    EXPECT_EQ(device_gets(kC), w);
    EXPECT_EQ(hops_, (std::vector<std::string>{"sw0.1"}));
    expect_quiet();
}

TEST_F(FabricTest, PeerCompletionReturnsToTheRequester) {
    enumerate();
    const Tlp r = Tlp::mem_read(kBarC + 0x10, 8, kBdfB, 0x51);
    device_sends(kB, r);
    EXPECT_EQ(device_gets(kC), r);
    const Tlp cpl = Tlp::completion_data(kBdfB, 0x51, kBdfC, 8, 0x10, pattern(8, 5));
    device_sends(kC, cpl);
    EXPECT_EQ(device_gets(kB), cpl);
    EXPECT_EQ(hops_, (std::vector<std::string>{"sw0.1", "sw0.0"}));
    expect_quiet();
}

TEST_F(FabricTest, ReadIntoAWindowWithNothingBehindItIsUr) {
    enumerate();
    cfg_write(kRp3, 0x20, 0xe040e040); // rp3: e0400000-e04fffff, link down
    hops_.clear();
    device_sends(kA, Tlp::mem_read(kEmptyWindow + 0x84, 64, kBdfA, 0x61));
    const Tlp c = device_gets(kA);
    EXPECT_EQ(c.type, TlpType::Cpl);
    EXPECT_EQ(c.status, CplStatus::UR);
    EXPECT_EQ(c.requester_id, kBdfA);
    EXPECT_EQ(c.completer_id, kRp1); // the ingress port's function
    EXPECT_EQ(c.tag, 0x61);
    EXPECT_EQ(c.byte_count, 64);      // all of the read remained
    EXPECT_EQ(c.lower_address, 0x04); // 0xe0400084's low 7 bits
    EXPECT_EQ(f_->counters().ur_made, 1u);
    // a write there: dropped, counted, and kept for the report, its header
    // only (the harness fails the run on it)
    device_sends(kA, Tlp::mem_write(kEmptyWindow, pattern(4, 0), kBdfA, 0));
    expect_quiet();
    EXPECT_EQ(f_->counters().posted_dropped, 1u);
    EXPECT_EQ(f_->counters().ur_made, 1u);
    ASSERT_EQ(f_->dropped().size(), 1u);
    EXPECT_EQ(f_->dropped()[0].type, TlpType::MemWr32);
    EXPECT_EQ(f_->dropped()[0].address, 0xe0400000u);
    EXPECT_EQ(f_->dropped()[0].requester_id, kBdfA);
    EXPECT_EQ(f_->dropped()[0].length, 1u);
    EXPECT_TRUE(f_->dropped()[0].payload.empty());
    Tlp once;
    EXPECT_TRUE(f_->take_dropped(&once));
    EXPECT_EQ(once.address, 0xe0400000u);
    EXPECT_FALSE(f_->take_dropped(&once)); // handed out once
}

TEST_F(FabricTest, PostedWritesThenAReadLeaveInOrder) {
    enumerate();
    std::vector<Tlp> sent;
    for (unsigned k = 0; k < 3; k++)
        sent.push_back(Tlp::mem_write(kBarB + 4 * k, le(k), 0x0000, 0));
    sent.push_back(Tlp::mem_read(kBarB, 4, 0x0000, 0x71));
    for (const Tlp &t : sent)
        host_sends(t);
    run();
    for (const Tlp &want : sent) {
        Tlp got;
        ASSERT_TRUE(f_->to_device(kB, &got));
        EXPECT_EQ(got, want);
    }
    expect_quiet();
}

TEST_F(FabricTest, APostedWritePassesReadsStuckBehindABusyDevice) {
    enumerate();
    // b takes nothing: reads pile up at its exit (16), in sw0.0's NP queue
    // (4), on the wire into sw0 (2 NP), in rp2's NP queue (4) and on the
    // host's entry wire (2 NP): 28, then the host's NP credit is gone
    unsigned reads = 0;
    for (unsigned k = 0; k < 300; k++) {
        if (f_->from_host(Tlp::mem_read(kBarB + 4 * reads, 4, 0x0000, uint8_t(reads))))
            reads++;
        f_->tick();
    }
    EXPECT_EQ(reads, 28u);
    EXPECT_EQ(f_->stored(), 12u); // the 16 at b's exit have left the fabric
    // a write to c on the same path (the host, rp2, sw0) still gets through
    const Tlp w = Tlp::mem_write(kBarC, pattern(64, 2), 0x0000, 0);
    EXPECT_TRUE(f_->from_host(w));
    for (unsigned k = 0; k < 50; k++)
        f_->tick();
    Tlp got;
    ASSERT_TRUE(f_->to_device(kC, &got));
    EXPECT_EQ(got, w);
    // b catches up: every read, in order
    for (unsigned k = 0; k < reads; k++) {
        for (unsigned t = 0; t < 20 && !f_->to_device(kB, &got); t++)
            f_->tick();
        EXPECT_EQ(got.tag, k);
        EXPECT_EQ(got.address, kBarB + 4 * k);
    }
    expect_quiet();
}

// A device behind sw0 writes to host memory while the host takes nothing:
// the root complex's host exit fills (16 TLPs), then its queue, then the
// wire from sw0 (2) and sw0's own queue; the device is refused. For every
// count of writes around that capacity, the last ones may sit in sw0's
// queue with sw0's entry wires empty and its way up blocked. When the host
// takes again every write that entered comes out: a model whose classes
// were blocked by a full wire is driven again when the wire drains, though
// nothing new enters it.
TEST_F(FabricTest, WritesStuckBehindAFullWireDrainWhenTheHostTakesAgain) {
    for (size_t count = 16; count <= 40; count++) {
        SCOPED_TRACE("writes offered: " + std::to_string(count));
        std::string error;
        ASSERT_EQ(Fabric::create(plan_, &f_, &error), 0) << error;
        enumerate();
        size_t sent = 0;
        for (size_t k = 0; k < count; k++) {
            const std::vector<uint8_t> data = pattern(64, uint8_t(k));
            const Tlp w = Tlp::mem_write(0x10000000 + 64 * k, data.data(), 64, kBdfB);
            unsigned tries = 0;
            while (!f_->from_device(kB, w) && tries++ < 20)
                f_->tick();
            sent += tries <= 20;
        }
        for (unsigned k = 0; k < 50; k++)
            f_->tick(); // nothing enters, nothing leaves
        size_t got = 0;
        Tlp t;
        for (unsigned k = 0; k < 500 && got < sent; k++) {
            while (f_->to_host(&t))
                ++got;
            f_->tick();
        }
        EXPECT_EQ(got, sent);
        expect_quiet();
    }
}

TEST_F(FabricTest, ABroadcastFromTheHostReachesEveryDevice) {
    enumerate();
    Tlp m;
    m.type = TlpType::Msg;
    m.msg_routing = 0x3; // broadcast from the root complex
    m.msg_code = 0x19;   // PME_Turn_Off
    m.length = 0;
    m.first_be = 0;
    host_sends(m);
    run();
    for (size_t d : {kA, kB, kC}) {
        Tlp got;
        ASSERT_TRUE(f_->to_device(d, &got)) << d;
        EXPECT_EQ(got, m) << d;
    }
    EXPECT_EQ(f_->stored(), 0u); // freed with its last copy
    EXPECT_EQ(f_->counters().tlps_out, 48u + 3u);
    // from a device, a broadcast goes nowhere: UR, posted, dropped, freed
    device_sends(kB, m);
    expect_quiet();
    EXPECT_EQ(f_->counters().posted_dropped, 1u);
    EXPECT_EQ(f_->stored(), 0u);
}

TEST_F(FabricTest, AFullEntryRefusesUntilTheFabricMoves) {
    const Tlp r = Tlp::cfg_read(kRp1, 0, 0x0000, 1);
    unsigned taken = 0;
    while (taken < 10 && f_->from_host(r))
        taken++;
    EXPECT_EQ(taken, Fabric::kWireDepth);
    EXPECT_FALSE(f_->idle());
    f_->tick();
    EXPECT_TRUE(f_->from_host(r));
    run();
    Tlp c;
    for (unsigned k = 0; k < 3; k++)
        EXPECT_TRUE(f_->to_host(&c)) << k;
    expect_quiet();
}

TEST_F(FabricTest, APlanTheModelsCannotHoldIsRefusedByName) {
    Plan bad = plan_;
    bad.functions[0].dev = 9; // rp1 at 00:09.0: a root complex has ports 1..8
    std::unique_ptr<Fabric> f;
    std::string error;
    EXPECT_EQ(Fabric::create(bad, &f, &error), -EINVAL);
    EXPECT_NE(error.find("'rp1' at 00:09.0"), std::string::npos) << error;
    EXPECT_EQ(f, nullptr);
    // a device whose parent index points below itself (a hand-built plan)
    bad = plan_;
    bad.functions[1].parent = 5;
    EXPECT_EQ(Fabric::create(bad, &f, &error), -EINVAL);
    EXPECT_NE(error.find("'a' at 01:00.0 is not below"), std::string::npos) << error;
    // two devices on rp1's link
    bad = plan_;
    bad.functions.insert(bad.functions.begin() + 2, bad.functions[1]);
    bad.functions[2].name = "a2";
    EXPECT_EQ(Fabric::create(bad, &f, &error), -EINVAL);
    EXPECT_NE(error.find("the link below 'rp1' already holds a device"), std::string::npos)
        << error;
}

TEST_F(FabricTest, AnUnknownDeviceIndexIsRefused) {
    Tlp t;
    EXPECT_FALSE(f_->from_device(3, Tlp::mem_write(kBarA, pattern(4, 0), kBdfA, 0)));
    EXPECT_FALSE(f_->to_device(3, &t));
    EXPECT_EQ(f_->device_bdf(3), 0u);
    EXPECT_EQ(f_->counters().tlps_in, 0u);
}

} // namespace
