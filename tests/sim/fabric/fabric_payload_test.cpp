// sim/fabric's payload data path: every payload crosses the verilated
// models as beats (PAYLOAD 1, DATA_W the harness's width, MPS 4096, 16
// slots a model) and the store keeps none of it. The topology and every
// expected value are worked out by hand in the comments (planning rules of
// sim/topology/README.md, fabric_switch's payload rules of
// rtl/fabric/README.md); payload bytes are fixed patterns made here.
#include "fabric_bench.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

namespace {

using namespace rcsim;
using fabric::Fabric;
using fabric_test::pattern;
using tlp::Tlp;
using tlp::TlpType;

// Buses depth first: rp1 00:01.0 [01-04], sw0 01:00.0 [02-04], sw0.0
// 02:01.0 [03], b 03:00.0, sw0.1 02:02.0 [04], c 04:00.0; rp2..rp6
// 00:02.0..00:06.0 with d2..d6 alone on buses 05..09.
const char *const kTopo = "root-port rp1\n"
                          "root-port rp2\n"
                          "root-port rp3\n"
                          "root-port rp4\n"
                          "root-port rp5\n"
                          "root-port rp6\n"
                          "switch sw0 on rp1 ports 2\n"
                          "device b on sw0.0 server \"regs\"\n"
                          "device c on sw0.1 server \"regs\"\n"
                          "device d2 on rp2 server \"regs\"\n"
                          "device d3 on rp3 server \"regs\"\n"
                          "device d4 on rp4 server \"regs\"\n"
                          "device d5 on rp5 server \"regs\"\n"
                          "device d6 on rp6 server \"regs\"\n";
constexpr size_t kB = 0, kC = 1, kD2 = 2, kD3 = 3; // devices in plan order
constexpr uint16_t kBdfC = 0x0400;
// One 4 KiB mem32 BAR each; windows in 1 MiB granules from e0000000, the
// larger first: rp1 (2 MiB) e0000000-e01fffff with sw0.0 e0000000 (b) and
// sw0.1 e0100000 (c), then rp2..rp6 one MiB each from e0200000.
constexpr uint64_t kBarB = 0xe0000000, kBarC = 0xe0100000, kBarD2 = 0xe0200000;
constexpr uint64_t kBarD3 = 0xe0300000, kBarD4 = 0xe0400000, kBarD5 = 0xe0500000;

class FabricPayload : public fabric_test::FabricBench {
  protected:
    void SetUp() override {
        // a full MPS payload takes 4096 / 16 = 256 beats a hop at 128 bits
        // (512 at 64)
        max_ticks_ = 4000;
        create(kTopo);
        enumerate();
    }

    void expect_drained() {
        run();
        EXPECT_TRUE(f_->drained());
        EXPECT_EQ(f_->stored(), 0u);
    }
};

TEST_F(FabricPayload, PlanAndCreditAreTheHandWorkedOnes) {
    std::vector<uint64_t> bars;
    for (const topology::PlannedFunction &fn : plan_.functions) {
        if (!fn.bridge())
            bars.push_back(fn.bars.at(0).addr);
    }
    EXPECT_EQ(bars,
              (std::vector<uint64_t>{kBarB, kBarC, kBarD2, kBarD3, kBarD4, kBarD5, 0xe0600000}));
    EXPECT_EQ(f_->device_bdf(kC), kBdfC);
    EXPECT_EQ(Fabric::kMps, 4096u); // the harness's largest MPS
    EXPECT_EQ(Fabric::kSlots, 16u);
}

// Host to c: through the root complex (rp1) and the switch (sw0.1), 256
// beats a hop at 128 bits, every byte as sent.
TEST_F(FabricPayload, AFullMpsWriteFromTheHostArrivesWhole) {
    const Tlp w = Tlp::mem_write(kBarC, pattern(4096, 0x21), 0x0000, 0);
    ASSERT_EQ(w.length_dws(), 1024u);
    host_sends(w);
    const Tlp got = device_gets(kC);
    EXPECT_EQ(got, w);
    ASSERT_EQ(got.payload.size(), 4096u);
    EXPECT_EQ(got.payload[0], 0x21);
    EXPECT_EQ(got.payload[1], 0x28);
    EXPECT_EQ(got.payload[4095], 0x1a); // 0x21 + 7 * 4095 = 0x701a
    EXPECT_EQ(hops_, (std::vector<std::string>{"rp1", "sw0.1"}));
    expect_drained();
}

// d2 to b, peer to peer: in at rp2, out at rp1 onto the wire into sw0,
// out at sw0.0.
TEST_F(FabricPayload, AFullMpsPeerWriteCrossesBothModels) {
    const Tlp w = Tlp::mem_write(kBarB, pattern(4096, 0x5a), 0x0500, 0);
    device_sends(kD2, w);
    const Tlp got = device_gets(kB);
    EXPECT_EQ(got, w);
    ASSERT_EQ(got.payload.size(), 4096u);
    EXPECT_EQ(got.payload[4095], 0x53); // 0x5a + 0x6ff9 = 0x7053
    EXPECT_EQ(hops_, (std::vector<std::string>{"rp1", "sw0.0"}));
    expect_drained();
}

// The host reads 512 bytes of c; c's CplD carries them back up through
// sw0 and the root complex.
TEST_F(FabricPayload, ACompletionWithDataReachesTheHost) {
    host_sends(Tlp::mem_read(kBarC + 0x200, 512, 0x0000, 0x42));
    const Tlp r = device_gets(kC);
    EXPECT_EQ(r.type, TlpType::MemRd32);
    const Tlp cpl = Tlp::completion_data(0x0000, 0x42, kBdfC, 512, 0, pattern(512, 0x80));
    device_sends(kC, cpl);
    const Tlp got = host_gets();
    EXPECT_EQ(got, cpl);
    ASSERT_EQ(got.payload.size(), 512u);
    EXPECT_EQ(got.payload[511], 0x79); // 0x80 + 7 * 511 = 0xe79
    expect_drained();
}

// 3 DW: one beat with three lanes kept at 128 bits (two beats at 64): the
// length and the bytes stay.
TEST_F(FabricPayload, ThreeDwKeepTheirLength) {
    const std::vector<uint8_t> data{0x11, 0x12, 0x13, 0x14, 0x21, 0x22,
                                    0x23, 0x24, 0x31, 0x32, 0x33, 0x34};
    const Tlp w = Tlp::mem_write(kBarD3 + 0x10, data, 0x0000, 0);
    host_sends(w);
    const Tlp got = device_gets(kD3);
    EXPECT_EQ(got.length, 3u);
    EXPECT_EQ(got.payload, data);
    EXPECT_EQ(got, w);
    expect_drained();
}

// While writes are inside, the store holds their headers and no payload
// byte: what comes out crossed the RTL.
TEST_F(FabricPayload, TheStoreHoldsNoPayload) {
    for (unsigned k = 0; k < 4; k++)
        host_sends(Tlp::mem_write((k % 2 ? kBarD4 : kBarD5) + 256 * k, pattern(256, uint8_t(k)),
                                  0x0000, 0));
    size_t most = 0;
    for (unsigned k = 0; k < 400 && !f_->idle(); k++) {
        most = std::max(most, f_->stored());
        EXPECT_EQ(f_->stored_payload_bytes(), 0u) << "tick " << k;
        f_->tick();
    }
    EXPECT_GE(most, 1u);
    for (unsigned k = 0; k < 4; k++) {
        Tlp got;
        ASSERT_TRUE(f_->to_device(k % 2 ? 4 : 5, &got)) << k;
        EXPECT_EQ(got.payload, pattern(256, uint8_t(k))) << k;
    }
    expect_drained();
}

// A broadcast with data (a vendor-defined message) shares one slot a model
// and reaches all seven devices, freed with its last copy.
TEST_F(FabricPayload, ABroadcastWithDataReachesEveryDevice) {
    Tlp m;
    m.type = TlpType::MsgD;
    m.msg_routing = 0x3; // broadcast from the root complex
    m.msg_code = 0x7f;   // Vendor_Defined Type 1
    m.length = 2;
    m.first_be = 0;
    m.payload = {1, 2, 3, 4, 5, 6, 7, 8};
    host_sends(m);
    run();
    for (size_t d = 0; d < 7; d++) {
        Tlp got;
        ASSERT_TRUE(f_->to_device(d, &got)) << d;
        EXPECT_EQ(got, m) << d;
        EXPECT_EQ(got.payload, (std::vector<uint8_t>{1, 2, 3, 4, 5, 6, 7, 8})) << d;
    }
    expect_drained();
}

// More payload than MPS is a malformed TLP: the root complex's model drops
// it whole (rtl/fabric/README.md), counted as an overrun and as a posted
// drop the harness reports; nothing reaches d2.
TEST_F(FabricPayload, AnOversizedPayloadIsDroppedWhole) {
    const size_t bytes = Fabric::kMps + 4 * fabric::Model::kLanes;
    host_sends(Tlp::mem_write(kBarD2, pattern(bytes, 1), 0x0000, 0));
    run();
    EXPECT_EQ(f_->counters().payload_overrun, 1u);
    EXPECT_EQ(f_->counters().posted_dropped, 1u);
    ASSERT_EQ(f_->dropped().size(), 1u);
    EXPECT_EQ(f_->dropped()[0].address, kBarD2);
    Tlp got;
    EXPECT_FALSE(f_->to_device(kD2, &got));
    expect_drained();
}

// The devices d2..d6 take nothing; the host writes 64 bytes to each in
// turn (write i to d(2 + i % 5)). Each exit fills (16 each: writes 0..79),
// then the writes wait in the root complex's queues, each holding a slot:
// 80..95 (d2 gets 4, its queue's depth, the others 3), all 16 slots. Write
// 96's beats find no slot; it and 97 wait on the host's entry wire (2 a
// class); 98 is refused. (Without the slot limit 96..99 would fill the
// queues to 4 each and 102 would go in.) 98 in all, none lost: when the devices take,
// each gets its own in order, every byte as sent.
TEST_F(FabricPayload, WritesBeyondTheSlotsWaitAndDrainInOrder) {
    auto write = [](unsigned i) {
        const uint64_t bar[] = {kBarD2, kBarD3, kBarD4, kBarD5, 0xe0600000};
        return Tlp::mem_write(bar[i % 5] + 64 * (i / 5), pattern(64, uint8_t(i)), 0x0000, 0);
    };
    unsigned sent = 0;
    for (unsigned k = 0; k < 3000; k++) {
        if (f_->from_host(write(sent)))
            sent++;
        f_->tick();
    }
    EXPECT_EQ(sent, 98u);
    EXPECT_EQ(f_->stored_payload_bytes(), 0u);
    std::vector<unsigned> next{0, 1, 2, 3, 4}; // the write each device gets next
    for (unsigned k = 0; k < 3000 && !f_->drained(); k++) {
        for (size_t d = 0; d < 5; d++) {
            Tlp got;
            while (f_->to_device(kD2 + d, &got)) {
                EXPECT_EQ(got, write(next[d])) << "device d" << d + 2;
                next[d] += 5;
            }
        }
        f_->tick();
    }
    // d2 got 0, 5, ..., 95, d3 1..96, d4 2..97 (20 each), d5 3..93 and d6
    // 4..94 (19 each): 98
    EXPECT_EQ(next, (std::vector<unsigned>{100, 101, 102, 98, 99}));
    expect_drained();
}

} // namespace
