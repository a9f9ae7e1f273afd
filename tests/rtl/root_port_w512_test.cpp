// The root port verilated with DATA_W = 512: the beat packing with 16 lanes,
// where a whole small TLP fits one beat and keep runs past its low byte.
// Expected header DWs are written from the spec's field layout by hand.
#include "tb_model.hpp"

#include <gtest/gtest.h>

#include <vector>

using namespace rcsim::test;
using namespace rcsim::tlp;

namespace {

std::vector<uint32_t> counting_dws(unsigned n, uint32_t first) {
    std::vector<uint32_t> d(n);
    for (unsigned i = 0; i < n; ++i)
        d[i] = first + i;
    return d;
}

TEST(RootPortW512, MemWrOf13DwIsOneFullBeat) {
    Harness h;
    h.configure(Settings{});
    // 3 DW header + 13 DW payload = 16 DWs: one beat, keep 0xffff, sop and eop.
    h.host_write(1, 0x2000, counting_dws(13, 0xa000), 0xf, 0xf);
    ASSERT_TRUE(h.settle());
    ASSERT_EQ(h.tx_beats.size(), 1u);
    const Beat &b = h.tx_beats[0];
    EXPECT_TRUE(b.sop && b.eop);
    EXPECT_EQ(b.keep, 0xffff);
    // MemWr32, length 13; requester 00:00.0, tag 0, last BE f, first BE f.
    EXPECT_EQ(b.lanes[0], 0x4000000du);
    EXPECT_EQ(b.lanes[1], 0x000000ffu);
    EXPECT_EQ(b.lanes[2], 0x00002000u);
    EXPECT_EQ(b.lanes[3], 0xa000u);
    EXPECT_EQ(b.lanes[8], 0xa005u);
    EXPECT_EQ(b.lanes[15], 0xa00cu);
}

TEST(RootPortW512, MemWrOf14DwSpillsOneDw) {
    Harness h;
    h.configure(Settings{});
    h.host_write(1, 0x3000, counting_dws(14, 0xb000), 0xf, 0x3);
    ASSERT_TRUE(h.settle());
    ASSERT_EQ(h.tx_beats.size(), 2u);
    EXPECT_TRUE(h.tx_beats[0].sop && !h.tx_beats[0].eop);
    EXPECT_EQ(h.tx_beats[0].keep, 0xffff);
    EXPECT_EQ(h.tx_beats[0].lanes[0], 0x4000000eu);
    EXPECT_EQ(h.tx_beats[0].lanes[1], 0x0000003fu);
    EXPECT_EQ(h.tx_beats[0].lanes[15], 0xb00cu);
    EXPECT_TRUE(!h.tx_beats[1].sop && h.tx_beats[1].eop);
    EXPECT_EQ(h.tx_beats[1].keep, 0x1);
    EXPECT_EQ(h.tx_beats[1].lanes[0], 0xb00du);
}

TEST(RootPortW512, DeviceWritesFillingHighLanesLand) {
    Harness h;
    h.configure(Settings{});
    // 52 bytes: 3 + 13 DWs, one beat with all 16 keep bits; 36 bytes: 3 + 9
    // DWs, keep 0x0fff. Every byte must reach host memory.
    std::vector<uint8_t> a(52), b(36);
    for (size_t i = 0; i < a.size(); ++i)
        a[i] = uint8_t(0x10 + i);
    for (size_t i = 0; i < b.size(); ++i)
        b[i] = uint8_t(0x80 + i);
    h.ep.dma_write(0x4000, a);
    h.ep.dma_write(0x5000, b);
    ASSERT_TRUE(h.settle());
    EXPECT_EQ(h.top->cnt_malformed, 0u);
    ASSERT_EQ(h.host_writes.size(), 2u);
    EXPECT_EQ(h.mem.byte(0x4000), 0x10);
    EXPECT_EQ(h.mem.byte(0x4000 + 32), 0x30); // lane 11 of the beat
    EXPECT_EQ(h.mem.byte(0x4000 + 51), 0x43); // lane 15
    EXPECT_EQ(h.mem.byte(0x4000 + 52), 0x00); // nothing past the TLP
    EXPECT_EQ(h.mem.byte(0x5000 + 35), 0xa3);
    EXPECT_EQ(h.mem.byte(0x5000 + 36), 0x00);
}

TEST(RootPortW512, ReadOf16DwIsOneResponseBeat) {
    Harness h;
    h.configure(Settings{});
    h.host_read(1, 0x1000, 16);
    ASSERT_TRUE(h.wait_responses(1));
    ASSERT_EQ(h.responses[0].dws.size(), 16u);
    for (unsigned i = 0; i < 16; ++i) {
        uint32_t d = 0;
        for (unsigned k = 0; k < 4; ++k)
            d |= uint32_t(EndpointModel::pattern_byte(0x1000 + 4 * i + k)) << (8 * k);
        ASSERT_EQ(h.responses[0].dws[i], d) << i;
    }
    // The endpoint's CplD: 3 DW header + 16 DW payload = two beats on RX.
    ASSERT_EQ(h.ep.requests.size(), 1u);
    EXPECT_EQ(h.ep.requests[0].length_dws(), 16u);
}

} // namespace
