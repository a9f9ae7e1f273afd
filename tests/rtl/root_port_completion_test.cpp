// Completion handling at the edges: byte enables in host reads, mixed
// statuses across the pieces of a split read, partial timeouts, attributes
// echoed in the root port's completions, MSI window bounds, settings
// applied to later requests. Expected values follow the spec rules by hand.
#include "root_port_fixture.hpp"
#include "tlp_rules.hpp"

#include <gtest/gtest.h>

using namespace rcsim::test;
using namespace rcsim::tlp;

namespace {

// The endpoint's bytes with the disabled ones as the endpoint sends them (0).
std::vector<uint32_t> masked(const EndpointModel &ep, uint64_t first_byte, uint64_t end,
                             uint64_t dw_addr, unsigned len_dw) {
    std::vector<uint32_t> v(len_dw, 0);
    for (uint64_t a = first_byte; a < end; ++a)
        v[(a - dw_addr) / 4] |= uint32_t(ep.mem_byte(a)) << (8 * (a % 4));
    return v;
}

TEST_F(RootPort, HostReadOneDwWithByteEnables) {
    h->host_read(1, 0x1004, 1, 0x6, 0x0);
    ASSERT_TRUE(h->wait_responses(1));
    ASSERT_EQ(h->ep.requests.size(), 1u);
    EXPECT_EQ(h->ep.requests[0].first_be, 0x6);
    EXPECT_EQ(h->ep.requests[0].last_be, 0x0);
    // The endpoint answered byte count 2, lower address 0x05.
    EXPECT_EQ(h->ep.sent.at(0).byte_count, 2);
    EXPECT_EQ(h->ep.sent.at(0).lower_address, 0x05);
    EXPECT_EQ(h->responses[0].status, SC);
    EXPECT_EQ(h->responses[0].dws, masked(h->ep, 0x1005, 0x1007, 0x1004, 1));
    EXPECT_EQ(h->top->cnt_unexp_cpl, 0u);
}

TEST_F(RootPort, HostReadMultiDwWithByteEnables) {
    h->host_read(1, 0x2004, 4, 0xc, 0x3); // bytes 0x2006 .. 0x2011
    ASSERT_TRUE(h->wait_responses(1));
    EXPECT_EQ(h->ep.sent.at(0).byte_count, 12);
    EXPECT_EQ(h->ep.sent.at(0).lower_address, 0x06);
    EXPECT_EQ(h->responses[0].status, SC);
    EXPECT_EQ(h->responses[0].dws, masked(h->ep, 0x2006, 0x2012, 0x2004, 4));
}

TEST_F(RootPort, SplitHostReadCarriesByteEnablesToItsEnds) {
    Settings s;
    s.mrrs = 128;
    make({}, s);
    h->host_read(1, 0x1f8, 4, 0xe, 0x7); // pieces [0x1f8, 0x200) and [0x200, 0x208)
    ASSERT_TRUE(h->wait_responses(1));
    ASSERT_EQ(h->ep.requests.size(), 2u);
    EXPECT_EQ(h->ep.requests[0].address, 0x1f8u);
    EXPECT_EQ(h->ep.requests[0].first_be, 0xe);
    EXPECT_EQ(h->ep.requests[0].last_be, 0xf);
    EXPECT_EQ(h->ep.requests[1].address, 0x200u);
    EXPECT_EQ(h->ep.requests[1].first_be, 0xf);
    EXPECT_EQ(h->ep.requests[1].last_be, 0x7);
    EXPECT_EQ(h->ep.sent.at(0).byte_count, 7);
    EXPECT_EQ(h->ep.sent.at(0).lower_address, 0x79);
    EXPECT_EQ(h->ep.sent.at(1).byte_count, 7);
    EXPECT_EQ(h->responses[0].status, SC);
    EXPECT_EQ(h->responses[0].dws, masked(h->ep, 0x1f9, 0x207, 0x1f8, 4));
}

TEST_F(RootPort, OneDwLastPieceOfReadUsesLastBe) {
    h->host_read(1, 0x1fc, 2, 0xf, 0x1); // MRRS 512: cut at 0x200
    ASSERT_TRUE(h->wait_responses(1));
    ASSERT_EQ(h->ep.requests.size(), 2u);
    EXPECT_EQ(h->ep.requests[1].address, 0x200u);
    EXPECT_EQ(h->ep.requests[1].first_be, 0x1);
    EXPECT_EQ(h->ep.requests[1].last_be, 0x0);
    EXPECT_EQ(h->ep.sent.at(1).byte_count, 1);
    EXPECT_EQ(h->responses[0].status, SC);
    EXPECT_EQ(h->responses[0].dws, masked(h->ep, 0x1fc, 0x201, 0x1fc, 2));
}

class SplitReadStatus : public RootPort {
  protected:
    // A 256-byte host read that MRRS 128 cuts into two MemRd, the second
    // answered per `second`.
    void run_split(Reply second, uint32_t timeout = 50000) {
        Settings s;
        s.mrrs = 128;
        s.cpl_timeout = timeout;
        make({}, s);
        h->ep.reply_policy = [second](const Tlp &r) {
            return r.address == 0x3080 ? second : Reply::Normal;
        };
        h->host_read(1, 0x3000, 64);
    }
};

TEST_F(SplitReadStatus, URInOnePieceMakesAllOnes) {
    run_split(Reply::UR);
    ASSERT_TRUE(h->wait_responses(1));
    EXPECT_EQ(h->responses[0].status, UR);
    EXPECT_EQ(h->responses[0].dws, std::vector<uint32_t>(64, 0xffffffff));
}

TEST_F(SplitReadStatus, CAInOnePiece) {
    run_split(Reply::CA);
    ASSERT_TRUE(h->wait_responses(1));
    EXPECT_EQ(h->responses[0].status, CA);
}

TEST_F(SplitReadStatus, PoisonedPieceKeepsData) {
    run_split(Reply::Poison);
    ASSERT_TRUE(h->wait_responses(1));
    EXPECT_EQ(h->responses[0].status, POISONED);
    EXPECT_EQ(h->responses[0].dws, ep_dws(0x3000, 64));
}

TEST_F(SplitReadStatus, MissingPieceTimesOutAndArrivesLate) {
    run_split(Reply::Drop, 300);
    ASSERT_TRUE(h->wait_responses(1, 2000));
    EXPECT_EQ(h->responses[0].status, TIMEOUT);
    EXPECT_EQ(h->responses[0].dws, std::vector<uint32_t>(64, 0xffffffff));
    ASSERT_EQ(h->ep.requests.size(), 2u);
    EXPECT_EQ(h->top->tags_in_use, 0u);
    // The missing piece, split in two CplDs, now arrives: both are late.
    std::vector<uint8_t> data(128, 0x5a);
    for (const Tlp &c : read_completions(h->ep.requests[1], kEpId, data, 64, 64))
        h->ep.send(c);
    ASSERT_TRUE(h->settle());
    EXPECT_EQ(h->top->cnt_late_cpl, 2u);
    EXPECT_EQ(h->top->cnt_unexp_cpl, 0u);
    EXPECT_EQ(h->responses.size(), 1u);
}

TEST_F(RootPort, ConfigReadTimesOut) {
    Settings s;
    s.cpl_timeout = 200;
    make({}, s);
    h->ep.reply_policy = [](const Tlp &) { return Reply::Drop; };
    h->cfg_read(1, 0x0100, 0);
    ASSERT_TRUE(h->wait_responses(1, 2000));
    EXPECT_EQ(h->responses[0].status, TIMEOUT);
    EXPECT_EQ(h->responses[0].dws, (std::vector<uint32_t>{0xffffffff}));
}

TEST_F(RootPort, ConfigWriteURReachesHost) {
    h->ep.reply_policy = [](const Tlp &) { return Reply::UR; };
    h->cfg_write(1, 0x0100, 0x04, 0x6);
    ASSERT_TRUE(h->wait_responses(1));
    EXPECT_EQ(h->responses[0].status, UR);
}

TEST_F(RootPort, CompletionWithTagBeyondTableIsUnexpected) {
    h->ep.send(Tlp::completion_data(kRpId, 200, kEpId, 4, 0, {1, 2, 3, 4}));
    ASSERT_TRUE(h->settle());
    EXPECT_EQ(h->top->cnt_unexp_cpl, 1u);
}

TEST_F(RootPort, RootPortCompletionEchoesTcAndAttributes) {
    // Completions carry the request's TC and Attr (relaxed ordering, no
    // snoop, ID-based ordering).
    Tlp r = Tlp::mem_read(0x4400, 8, kEpId, 0x21);
    r.tc = 5;
    r.attr = 7;
    h->ep.send(r);
    ASSERT_TRUE(h->settle());
    ASSERT_EQ(h->ep.dma_completions[0x21].size(), 1u);
    const Tlp &c = h->ep.dma_completions[0x21][0];
    EXPECT_EQ(c.tc, 5);
    EXPECT_EQ(c.attr, 7);
    EXPECT_EQ(c.byte_count, 8);
}

TEST_F(RootPort, MsiWindowBoundsAreInclusive) {
    Settings s;
    s.msi_base = 0x8000;
    s.msi_limit = 0x80fc; // inclusive: a write to exactly the limit is an MSI
    make({}, s);
    h->ep.msi(0x7ffc, 0x1); // below: memory
    h->ep.msi(0x8000, 0x2); // base: interrupt
    h->ep.msi(0x80fc, 0x3); // last DW: interrupt
    h->ep.msi(0x8100, 0x4); // above: memory
    ASSERT_TRUE(h->settle());
    ASSERT_EQ(h->irqs.size(), 2u);
    EXPECT_EQ(h->irqs[0].addr, 0x8000u);
    EXPECT_EQ(h->irqs[0].data, 0x2u);
    EXPECT_EQ(h->irqs[1].addr, 0x80fcu);
    EXPECT_EQ(h->mem.dw(0x7ffc), 0x1u);
    EXPECT_EQ(h->mem.dw(0x8100), 0x4u);
    EXPECT_EQ(h->mem.dw(0x8000), HostMemory::pattern(0x8000) |
                                     uint32_t(HostMemory::pattern(0x8001)) << 8 |
                                     uint32_t(HostMemory::pattern(0x8002)) << 16 |
                                     uint32_t(HostMemory::pattern(0x8003)) << 24);
}

TEST_F(RootPort, NewMpsAppliesToLaterRequests) {
    std::vector<uint32_t> data(64, 0x11111111);
    h->host_write(1, 0x5000, data); // MPS 128: two MemWr
    ASSERT_TRUE(h->settle());
    Settings s;
    s.rp_id = kRpId;
    s.mps = 256;
    h->configure(s);
    h->host_write(2, 0x6000, data); // MPS 256: one MemWr
    ASSERT_TRUE(h->settle());
    ASSERT_EQ(h->ep.mem_writes.size(), 3u);
    EXPECT_EQ(h->ep.mem_writes[2].length_dws(), 64u);
}

TEST_F(RootPort, DeviceReadAtMrrsAcceptedOneDwMoreMalformed) {
    h->ep.dma_read(0x2000, 512);   // 128 DW = MRRS
    h->ep.dma_read(0x2002, 512);   // 129 DW: over MRRS
    const uint8_t ok = 0, bad = 1; // dma_read tags in order
    ASSERT_TRUE(h->settle());
    EXPECT_EQ(h->top->cnt_malformed, 1u);
    EXPECT_FALSE(h->ep.dma_completions[ok].empty());
    EXPECT_TRUE(h->ep.dma_completions[bad].empty());
}

TEST_F(RootPort, DeviceReadStraddlingHostMemoryEndGetsUR) {
    h->mem.add_window(0x200000, 0x800); // ends at 0x200800, inside a 4 KiB page
    const uint8_t tag = h->ep.dma_read(0x2007f0, 32);
    ASSERT_TRUE(h->settle());
    EXPECT_EQ(h->top->cnt_unsup_req, 1u);
    EXPECT_EQ(h->top->cnt_malformed, 0u);
    ASSERT_EQ(h->ep.dma_completions[tag].size(), 1u);
    const Tlp &c = h->ep.dma_completions[tag][0];
    EXPECT_EQ(c.type, TlpType::Cpl);
    EXPECT_EQ(c.status, CplStatus::UR);
    EXPECT_EQ(c.byte_count, 32);
    EXPECT_EQ(c.lower_address, 0x70);
}

TEST_F(RootPort, DeviceWriteStraddlingHostMemoryEndDropped) {
    h->mem.add_window(0x200000, 0x800);
    h->ep.dma_write(0x2007f8, std::vector<uint8_t>(16, 0x99));
    ASSERT_TRUE(h->settle());
    EXPECT_EQ(h->top->cnt_unsup_req, 1u);
    EXPECT_EQ(h->mem.byte(0x2007f8), 0x00);
    EXPECT_TRUE(h->ep.dma_completions.empty());
}

TEST_F(RootPort, CplWithoutDataForReadIsUnexpected) {
    Settings s;
    s.cpl_timeout = 300;
    make({}, s);
    h->ep.reply_policy = [](const Tlp &) { return Reply::Drop; };
    h->host_read(1, 0x1000, 1);
    ASSERT_TRUE(h->run_until([&] { return h->ep.requests.size() == 1; }, 2000));
    h->ep.send(Tlp::completion(h->ep.requests[0], kEpId, CplStatus::SC));
    ASSERT_TRUE(h->wait_responses(1, 2000));
    EXPECT_EQ(h->top->cnt_unexp_cpl, 1u);
    EXPECT_EQ(h->responses[0].status, TIMEOUT);
}

TEST_F(RootPort, CplDLongerThanByteCountIsUnexpected) {
    Settings s;
    s.cpl_timeout = 300;
    make({}, s);
    h->ep.reply_policy = [](const Tlp &) { return Reply::Drop; };
    h->host_read(1, 0x1000, 2);
    ASSERT_TRUE(h->run_until([&] { return h->ep.requests.size() == 1; }, 2000));
    // Byte count 8 but 3 DW of data.
    h->ep.send(Tlp::completion_data(kRpId, 0, kEpId, 8, 0, std::vector<uint8_t>(12, 7)));
    ASSERT_TRUE(h->wait_responses(1, 2000));
    EXPECT_EQ(h->top->cnt_unexp_cpl, 1u);
    EXPECT_EQ(h->responses[0].status, TIMEOUT);
}

TEST_F(RootPort, ReceiveBackPressureLosesNothing) {
    Settings s;
    s.mps = 512;
    make({}, s);
    h->hmem_wrsp_latency = 200; // host memory accepts one write per ~200 cycles
    for (unsigned i = 0; i < 24; ++i)
        h->ep.dma_write(0x50000 + 0x200 * i, std::vector<uint8_t>(512, uint8_t(i + 1)));
    bool stalled = false;
    ASSERT_TRUE(h->run_until(
        [&] {
            stalled = stalled || !h->top->rx_ready;
            return h->host_writes.size() == 24 && h->ep.idle();
        },
        20000));
    ASSERT_TRUE(h->settle());
    EXPECT_TRUE(stalled) << "the receive buffer never filled; the test lost its point";
    for (unsigned i = 0; i < 24; ++i) {
        EXPECT_EQ(h->mem.byte(0x50000 + 0x200 * i), uint8_t(i + 1)) << i;
        EXPECT_EQ(h->mem.byte(0x501ff + 0x200 * i), uint8_t(i + 1)) << i;
    }
    EXPECT_EQ(h->top->cnt_malformed, 0u);
}

} // namespace
