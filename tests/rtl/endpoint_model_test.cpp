// The endpoint model on its own (no RTL): what it answers, in which order,
// and what it records, so RTL test failures point at the RTL.
#include "endpoint_model.hpp"
#include "tlp_rules.hpp"

#include <gtest/gtest.h>

using namespace rcsim::test;
using namespace rcsim::tlp;

namespace {

// Feeds `t` into the endpoint's TX side, then drains what it sends back
// within `cycles` cycles.
std::vector<Tlp> exchange(EndpointModel &ep, const std::vector<Tlp> &in, uint64_t cycles = 100) {
    uint64_t c = 0;
    for (const Tlp &t : in)
        for (const Beat &b : to_beats(t, ep.width()))
            ep.tx_beat(b, c);
    std::vector<Tlp> out;
    BeatAssembler a(ep.width());
    for (; c < cycles; ++c) {
        ep.tick(c);
        if (const Beat *b = ep.rx_beat()) {
            const Beat copy = *b;
            ep.rx_beat_taken(c);
            if (std::optional<Decoded> d = a.push(copy)) {
                EXPECT_TRUE(d->ok()) << d->error;
                if (d->ok())
                    out.push_back(*d->tlp);
            }
        }
    }
    return out;
}

TEST(EndpointModel, AnswersReadWithSplitCompletions) {
    EndpointConfig cfg;
    cfg.max_payload = 64;
    EndpointModel ep(128, cfg);
    const std::vector<Tlp> out = exchange(ep, {Tlp::mem_read(0x1010, 256, 0x0000, 3)});
    ASSERT_EQ(out.size(), 5u); // 48 + 64 + 64 + 64 + 16 bytes
    EXPECT_EQ(out[0].byte_count, 256);
    EXPECT_EQ(out[0].lower_address, 0x10);
    EXPECT_EQ(out[4].byte_count, 16);
    EXPECT_EQ(out[0].completer_id, 0x0100);
    EXPECT_EQ(out[0].payload[0], EndpointModel::pattern_byte(0x1010));
}

TEST(EndpointModel, ReordersAcrossTags) {
    EndpointConfig cfg;
    cfg.reorder_window = 3;
    EndpointModel ep(128, cfg);
    const std::vector<Tlp> out =
        exchange(ep, {Tlp::mem_read(0x0, 4, 0, 1), Tlp::mem_read(0x4, 4, 0, 2),
                      Tlp::mem_read(0x8, 4, 0, 3)});
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(out[0].tag, 3);
    EXPECT_EQ(out[1].tag, 2);
    EXPECT_EQ(out[2].tag, 1);
}

TEST(EndpointModel, DelayDropAndErrorReplies) {
    EndpointConfig cfg;
    cfg.cpl_delay = 50;
    EndpointModel ep(128, cfg);
    ep.reply_policy = [](const Tlp &r) {
        return r.tag == 1 ? Reply::Drop : r.tag == 2 ? Reply::UR : Reply::Poison;
    };
    EXPECT_TRUE(exchange(ep, {Tlp::mem_read(0x0, 4, 0, 1)}).empty());
    EXPECT_TRUE(exchange(ep, {Tlp::mem_read(0x0, 4, 0, 2)}, 40).empty()); // not yet
    EndpointModel ep2(128, cfg);
    ep2.reply_policy = ep.reply_policy;
    std::vector<Tlp> out = exchange(ep2, {Tlp::mem_read(0x0, 4, 0, 2)}, 60);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].type, TlpType::Cpl);
    EXPECT_EQ(out[0].status, CplStatus::UR);
    out = exchange(ep2, {Tlp::mem_read(0x0, 4, 0, 3)}, 60);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(out[0].ep);
}

TEST(EndpointModel, RecordsWritesAndServesThem) {
    EndpointModel ep(64);
    exchange(ep, {Tlp::mem_write(0x2001, {0xaa, 0xbb, 0xcc}, 0, 0),
                  Tlp::cfg_write(0x0100, 0x10, 0x12345678, 0, 1, 0x3)});
    ASSERT_EQ(ep.mem_writes.size(), 1u);
    EXPECT_EQ(ep.mem_byte(0x2000), EndpointModel::pattern_byte(0x2000));
    EXPECT_EQ(ep.mem_byte(0x2001), 0xaa);
    EXPECT_EQ(ep.mem_byte(0x2003), 0xcc);
    EXPECT_EQ(ep.cfg_value(0x0100, 4),
              (EndpointModel::cfg_pattern(0x0100, 4) & 0xffff0000u) | 0x5678u);
    // The CfgWr got a completion without data.
    EXPECT_EQ(ep.sent.size(), 1u);
    EXPECT_EQ(ep.sent[0].type, TlpType::Cpl);
}

TEST(EndpointModel, OriginatesDmaMsiIntxAndRawTlps) {
    EndpointModel ep(128);
    EXPECT_EQ(ep.dma_read(0x100000000ull, 8), 0);
    ep.msi(0xfee00000, 0x41);
    ep.intx(MsgCode::AssertIntB);
    const std::vector<Tlp> out = exchange(ep, {}, 20);
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(out[0].type, TlpType::MemRd64);
    EXPECT_EQ(out[1].type, TlpType::MemWr32);
    EXPECT_EQ(out[2].msg_code, 0x21);
}

} // namespace
