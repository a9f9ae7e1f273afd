// The verilated root port (DATA_W = 128) against the PCIe rules, driven by
// the C++ endpoint model. Expected header bytes and splits are written by
// hand from the spec's field definitions and rules, never by the codec.
#include "root_port_fixture.hpp"
#include "spec_tlp_cases.hpp"
#include "tlp_rules.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <set>

using namespace rcsim::test;
using namespace rcsim::tlp;
namespace spec = rcsim::spec;

namespace {

// ---------------------------------------------------------------- encodings

struct HostEncodeCase {
    const char *name;
    HostRequest req;
    spec::Bytes wire; // hand-written, requester ID 00:02.0, tag 0
    size_t header_dws;
};

std::vector<HostEncodeCase> host_encode_cases() {
    return {
        {"MemRd32",
         {MEM_RD, 1, 0x1000, 1, 0xf, 0xf, 0, 0, {}},
         {0x00, 0x00, 0x00, 0x01, 0x00, 0x10, 0x00, 0x0f, 0x00, 0x00, 0x10, 0x00},
         3},
        {"MemRd64AtOrAbove4GiB",
         {MEM_RD, 1, 0x123456780ull, 4, 0xf, 0xf, 0, 0, {}},
         {0x20, 0x00, 0x00, 0x04, 0x00, 0x10, 0x00, 0xff, 0x00, 0x00, 0x00, 0x01, 0x23, 0x45, 0x67,
          0x80},
         4},
        {"MemRdBelow4GiBIs3Dw",
         {MEM_RD, 1, 0xfffffff0ull, 4, 0xf, 0xf, 0, 0, {}},
         {0x00, 0x00, 0x00, 0x04, 0x00, 0x10, 0x00, 0xff, 0xff, 0xff, 0xff, 0xf0},
         3},
        {"MemWr32",
         {MEM_WR, 1, 0x2004, 2, 0xf, 0x3, 0, 0, {0x44332211, 0x00006655}},
         {0x40, 0x00, 0x00, 0x02, 0x00, 0x10, 0x00, 0x3f, 0x00, 0x00,
          0x20, 0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x00, 0x00},
         3},
        {"MemWr64",
         {MEM_WR, 1, 0x800000040ull, 1, 0xf, 0xf, 0, 0, {0xefbeadde}},
         {0x60, 0x00, 0x00, 0x01, 0x00, 0x10, 0x00, 0x0f, 0x00, 0x00,
          0x00, 0x08, 0x00, 0x00, 0x00, 0x40, 0xde, 0xad, 0xbe, 0xef},
         4},
        {"CfgRd0",
         {CFG_RD, 1, 0, 1, 0xf, 0, 0x0219, 0x04, {}},
         {0x04, 0x00, 0x00, 0x01, 0x00, 0x10, 0x00, 0x0f, 0x02, 0x19, 0x00, 0x10},
         3},
        {"CfgRd0Extended",
         {CFG_RD, 1, 0, 1, 0xf, 0, 0x00ff, 0x41, {}},
         {0x04, 0x00, 0x00, 0x01, 0x00, 0x10, 0x00, 0x0f, 0x00, 0xff, 0x01, 0x04},
         3},
        {"CfgWr0",
         {CFG_WR, 1, 0, 1, 0x3, 0, 0x0008, 0x01, {0x00000006}},
         {0x44, 0x00, 0x00, 0x01, 0x00, 0x10, 0x00, 0x03, 0x00, 0x08, 0x00, 0x04, 0x06, 0x00, 0x00,
          0x00},
         3},
    };
}

class HostEncoding : public RootPort, public ::testing::WithParamInterface<size_t> {};

TEST_P(HostEncoding, TxHeaderMatchesSpecBytes) {
    const HostEncodeCase c = host_encode_cases()[GetParam()];
    h->submit(c.req);
    ASSERT_TRUE(h->run_until([&] { return !h->tx_tlps.empty() && !h->top->tx_valid; }, 2000));
    ASSERT_EQ(h->tx_tlps.size(), 1u);
    EXPECT_EQ(h->tx_tlps[0], spec::dws_of(c.wire, c.header_dws));
    EXPECT_TRUE(h->ep.rx_errors.empty());
}

INSTANTIATE_TEST_SUITE_P(Spec, HostEncoding, ::testing::Range<size_t>(0, 8),
                         [](const ::testing::TestParamInfo<size_t> &i) {
                             return std::string(host_encode_cases()[i.param].name);
                         });

TEST_F(RootPort, SpecCplDCompletesHostRead) {
    h->ep.reply_policy = [](const Tlp &) { return Reply::Drop; };
    h->host_read(7, 0x1004, 2);
    ASSERT_TRUE(h->run_until([&] { return h->ep.requests.size() == 1; }, 2000));
    // CplD from 01:00.0, SC, byte count 8, to 00:02.0 tag 0, lower address 0x04.
    h->ep.send_wire({0x4a, 0x00, 0x00, 0x02, 0x01, 0x00, 0x00, 0x08, 0x00, 0x10,
                     0x00, 0x04, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08},
                    3);
    ASSERT_TRUE(h->wait_responses(1));
    EXPECT_EQ(h->responses[0].id, 7);
    EXPECT_EQ(h->responses[0].status, SC);
    EXPECT_EQ(h->responses[0].dws, (std::vector<uint32_t>{0x04030201, 0x08070605}));
    EXPECT_EQ(h->top->cnt_unexp_cpl, 0u);
    EXPECT_EQ(h->top->cnt_malformed, 0u);
}

TEST_F(RootPort, SpecCplURAndCAReachHost) {
    h->ep.reply_policy = [](const Tlp &) { return Reply::Drop; };
    h->host_read(1, 0x4000, 1);
    h->host_read(2, 0x4000, 1);
    ASSERT_TRUE(h->run_until([&] { return h->ep.requests.size() == 2; }, 2000));
    // Cpl UR to 00:02.0 tag 0 and Cpl CA to tag 1, byte count 4.
    h->ep.send_wire({0x0a, 0x00, 0x00, 0x00, 0x01, 0x00, 0x20, 0x04, 0x00, 0x10, 0x00, 0x00}, 3);
    h->ep.send_wire({0x0a, 0x00, 0x00, 0x00, 0x01, 0x00, 0x80, 0x04, 0x00, 0x10, 0x01, 0x00}, 3);
    ASSERT_TRUE(h->wait_responses(2));
    EXPECT_EQ(h->responses[0].status, UR);
    EXPECT_EQ(h->responses[0].dws, (std::vector<uint32_t>{0xffffffff}));
    EXPECT_EQ(h->responses[1].status, CA);
    EXPECT_EQ(h->responses[1].dws, (std::vector<uint32_t>{0xffffffff}));
}

TEST_F(RootPort, SpecInterruptMessages) {
    h->ep.send_wire(spec::kAssertIntA, 4);
    ASSERT_TRUE(h->run_until([&] { return h->top->intx == 0x1; }, 2000));
    h->ep.send_wire(spec::kMsi, 3);
    ASSERT_TRUE(h->run_until([&] { return h->irqs.size() == 1; }, 2000));
    EXPECT_EQ(h->irqs[0].addr, 0xfee00000u);
    EXPECT_EQ(h->irqs[0].data, 0x00004041u);
    // Deassert_INTA: code 0x24.
    h->ep.send_wire({0x34, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x24, 0x00, 0x00, 0x00, 0x00, 0x00,
                     0x00, 0x00, 0x00},
                    4);
    ASSERT_TRUE(h->run_until([&] { return h->top->intx == 0x0; }, 2000));
    EXPECT_TRUE(h->host_writes.empty()); // an MSI is not a memory write
    EXPECT_EQ(h->top->cnt_malformed, 0u);
    EXPECT_EQ(h->top->cnt_unsup_req, 0u);
}

// ------------------------------------------------------ completions, tags

TEST_F(RootPort, SplitCompletionReassembled) {
    h->ep.config().max_payload = 64; // one CplD per 64-byte RCB block
    h->host_read(3, 0x1010, 64);     // 256 bytes: 48 + 64 + 64 + 64 + 16
    ASSERT_TRUE(h->wait_responses(1));
    EXPECT_EQ(sent_completions().size(), 0u); // the root port sends none
    EXPECT_EQ(h->ep.sent.size(), 5u);
    EXPECT_EQ(h->responses[0].status, SC);
    EXPECT_EQ(h->responses[0].dws, ep_dws(0x1010, 64));
    EXPECT_EQ(h->top->cnt_unexp_cpl, 0u);
}

TEST_F(RootPort, LargeReadSplitByMrrsAndRcb) {
    h->ep.config().max_payload = 64;
    h->host_read(3, 0x20000, 1024); // 4 KiB: 8 MemRd of 512 B, 64 CplD
    ASSERT_TRUE(h->wait_responses(1, 50000));
    EXPECT_EQ(h->ep.requests.size(), 8u);
    EXPECT_EQ(h->ep.sent.size(), 64u);
    EXPECT_EQ(h->responses[0].status, SC);
    EXPECT_EQ(h->responses[0].dws, ep_dws(0x20000, 1024));
}

TEST_F(RootPort, CompletionsOutOfOrderAcrossTags) {
    h->ep.config().reorder_window = 4;
    h->host_read(1, 0x100, 1);
    h->host_read(2, 0x204, 3);
    h->host_read(3, 0x308, 2);
    h->host_read(4, 0x40c, 1);
    ASSERT_TRUE(h->wait_responses(4));
    ASSERT_EQ(h->ep.sent.size(), 4u);
    // Completions went out in reverse order of the requests' tags ...
    EXPECT_EQ(h->ep.sent[0].tag, h->ep.requests[3].tag);
    EXPECT_EQ(h->ep.sent[3].tag, h->ep.requests[0].tag);
    // ... and the host still gets its responses in request order.
    EXPECT_EQ(h->responses[0].id, 1);
    EXPECT_EQ(h->responses[0].dws, ep_dws(0x100, 1));
    EXPECT_EQ(h->responses[1].id, 2);
    EXPECT_EQ(h->responses[1].dws, ep_dws(0x204, 3));
    EXPECT_EQ(h->responses[2].id, 3);
    EXPECT_EQ(h->responses[2].dws, ep_dws(0x308, 2));
    EXPECT_EQ(h->responses[3].id, 4);
    EXPECT_EQ(h->responses[3].dws, ep_dws(0x40c, 1));
}

TEST_F(RootPort, PiecesOfOneReadCompleteOutOfOrder) {
    Settings s;
    s.mrrs = 128;
    make({}, s);
    h->ep.config().reorder_window = 4;
    h->host_read(9, 0x3000, 128); // 4 MemRd of 128 B, answered last first
    ASSERT_TRUE(h->wait_responses(1));
    ASSERT_EQ(h->ep.requests.size(), 4u);
    EXPECT_EQ(h->ep.sent.front().tag, h->ep.requests.back().tag);
    EXPECT_EQ(h->responses[0].status, SC);
    EXPECT_EQ(h->responses[0].dws, ep_dws(0x3000, 128));
}

TEST_F(RootPort, TagExhaustionStallsAndResumes) {
    Settings s;
    s.mrrs = 128; // a 4 KiB read needs 32 tags: all of them
    make({}, s);
    h->ep.config().reorder_window = 1000;   // hold every completion ...
    h->ep.config().reorder_flush_after = 0; // ... until flush_held()
    h->host_read(1, 0x0000, 1024);
    h->host_read(2, 0x1000, 1024);
    ASSERT_TRUE(h->run_until([&] { return h->ep.requests.size() == 32; }, 5000));
    h->run(500);
    EXPECT_EQ(h->ep.requests.size(), 32u) << "a request went out without a free tag";
    EXPECT_EQ(h->top->tags_in_use, 32u);
    std::set<uint8_t> tags;
    for (const Tlp &r : h->ep.requests)
        tags.insert(r.tag);
    EXPECT_EQ(tags.size(), 32u);
    EXPECT_LT(*tags.rbegin(), 32);
    h->ep.config().reorder_window = 0;
    h->ep.flush_held();
    ASSERT_TRUE(h->wait_responses(2, 50000));
    EXPECT_EQ(h->ep.requests.size(), 64u);
    EXPECT_EQ(h->responses[0].dws, ep_dws(0x0000, 1024));
    EXPECT_EQ(h->responses[1].dws, ep_dws(0x1000, 1024));
    ASSERT_TRUE(h->settle());
    EXPECT_EQ(h->top->tags_in_use, 0u);
}

TEST_F(RootPort, TimeoutThenLateCompletionDropped) {
    Settings s;
    s.cpl_timeout = 300;
    make({}, s);
    h->ep.reply_policy = [](const Tlp &) { return Reply::Drop; };
    h->host_read(5, 0x500, 2);
    ASSERT_TRUE(h->run_until([&] { return h->ep.requests.size() == 1; }, 2000));
    const uint64_t sent_at = h->tx_sop_cycles.at(0);
    ASSERT_TRUE(h->wait_responses(1, 2000));
    EXPECT_EQ(h->responses[0].status, TIMEOUT);
    EXPECT_EQ(h->responses[0].dws, (std::vector<uint32_t>{0xffffffff, 0xffffffff}));
    EXPECT_GE(h->responses[0].cycle - sent_at, 300u);
    EXPECT_LT(h->responses[0].cycle - sent_at, 400u);

    // The completion arrives after all: dropped and counted, no response.
    const Tlp req = h->ep.requests[0];
    h->ep.send(read_completions(req, kEpId, {1, 2, 3, 4, 5, 6, 7, 8}, 64, 128).at(0));
    ASSERT_TRUE(h->settle());
    EXPECT_EQ(h->top->cnt_late_cpl, 1u);
    EXPECT_EQ(h->top->cnt_unexp_cpl, 0u);
    EXPECT_EQ(h->responses.size(), 1u);

    // The tag works again.
    h->ep.reply_policy = nullptr;
    h->host_read(6, 0x600, 1);
    ASSERT_TRUE(h->wait_responses(2));
    EXPECT_EQ(h->responses[1].status, SC);
    EXPECT_EQ(h->responses[1].dws, ep_dws(0x600, 1));
}

TEST_F(RootPort, EndpointErrorStatusesReachHost) {
    h->ep.reply_policy = [](const Tlp &r) {
        const Reply by_addr[] = {Reply::UR, Reply::CA, Reply::Poison};
        return by_addr[(r.address >> 8) & 3];
    };
    h->host_read(1, 0x000, 1);
    h->host_read(2, 0x100, 1);
    h->host_read(3, 0x200, 2);
    ASSERT_TRUE(h->wait_responses(3));
    EXPECT_EQ(h->responses[0].status, UR);
    EXPECT_EQ(h->responses[0].dws, (std::vector<uint32_t>{0xffffffff}));
    EXPECT_EQ(h->responses[1].status, CA);
    EXPECT_EQ(h->responses[2].status, POISONED);
    EXPECT_EQ(h->responses[2].dws, ep_dws(0x200, 2)); // data as received
}

TEST_F(RootPort, ConfigWriteThenRead) {
    h->cfg_write(1, 0x0100, 0x04, 0x00000406);
    h->cfg_read(2, 0x0100, 0x04);
    h->cfg_read(3, 0x0100, 0x05);
    ASSERT_TRUE(h->wait_responses(3));
    EXPECT_EQ(h->responses[0].status, SC);
    EXPECT_TRUE(h->responses[0].dws.empty()); // CFG_WR: keep 0
    EXPECT_EQ(h->responses[1].dws, (std::vector<uint32_t>{0x00000406}));
    EXPECT_EQ(h->responses[2].dws,
              (std::vector<uint32_t>{EndpointModel::cfg_pattern(0x0100, 0x05)}));
    ASSERT_EQ(h->ep.cfg_writes.size(), 1u);
    EXPECT_EQ(h->ep.cfg_writes[0].dest_id, 0x0100);
}

// ------------------------------------------------- malformed and unsupported

TEST_F(RootPort, MemWrCrossing4KiBIsMalformed) {
    h->ep.send(Tlp::mem_write(0xff8, std::vector<uint8_t>(16, 0xee), kEpId));
    ASSERT_TRUE(h->settle());
    EXPECT_EQ(h->top->cnt_malformed, 1u);
    EXPECT_TRUE(h->host_writes.empty());
    EXPECT_EQ(h->mem.byte(0xff8), HostMemory::pattern(0xff8));
}

TEST_F(RootPort, MemWrOverMpsIsMalformed) {
    h->ep.send(Tlp::mem_write(0x2000, std::vector<uint8_t>(132, 0xee), kEpId)); // 33 DW > MPS 128
    h->ep.send(Tlp::mem_write(0x3000, std::vector<uint8_t>(128, 0xdd), kEpId)); // fits
    ASSERT_TRUE(h->settle());
    EXPECT_EQ(h->top->cnt_malformed, 1u);
    ASSERT_EQ(h->host_writes.size(), 1u);
    EXPECT_EQ(h->host_writes[0].addr, 0x3000u);
    EXPECT_EQ(h->mem.byte(0x2000), HostMemory::pattern(0x2000));
    EXPECT_EQ(h->mem.byte(0x307f), 0xdd);
}

TEST_F(RootPort, MemRdOverMrrsIsMalformed) {
    h->ep.dma_read(0x2000, 1024); // MRRS 512
    ASSERT_TRUE(h->settle());
    EXPECT_EQ(h->top->cnt_malformed, 1u);
    EXPECT_TRUE(h->ep.dma_completions.empty());
}

TEST_F(RootPort, LengthDisagreeingWithPayloadIsMalformed) {
    // MemWr32 to 0x1000 saying 2 DW but carrying 1, then saying 1 carrying 2.
    h->ep.send_dws({0x40000002, 0x010000ff, 0x00001000, 0x11111111});
    h->ep.send_dws({0x40000001, 0x0100000f, 0x00001000, 0x22222222, 0x33333333});
    ASSERT_TRUE(h->settle());
    EXPECT_EQ(h->top->cnt_malformed, 2u);
    EXPECT_TRUE(h->host_writes.empty());
}

TEST_F(RootPort, BadFmtTypeAndBrokenBeatsAreMalformed) {
    h->ep.send_dws({0x2a000000, 0x01000000, 0x00000000, 0x00000000}); // fmt 001 + Cpl type
    h->ep.send_dws({0x06000001, 0x0100000f, 0x00001000});             // reserved type
    Beat stray;                                                       // no sop, nothing open
    stray.keep = 0x1;
    stray.eop = true;
    h->ep.send_beats({stray});
    ASSERT_TRUE(h->settle());
    EXPECT_EQ(h->top->cnt_malformed, 3u);
    // Still healthy afterwards.
    h->host_read(1, 0x100, 1);
    ASSERT_TRUE(h->wait_responses(1));
    EXPECT_EQ(h->responses[0].dws, ep_dws(0x100, 1));
}

TEST_F(RootPort, MemRdCrossing4KiBIsMalformed) {
    h->ep.dma_read(0x1ff0, 32); // 0x1ff0..0x200f
    ASSERT_TRUE(h->settle());
    EXPECT_EQ(h->top->cnt_malformed, 1u);
    EXPECT_TRUE(h->ep.dma_completions.empty());
}

TEST_F(RootPort, SopInsideOpenTlpDiscardsIt) {
    // First beat of a multi-beat MemWr, then a new sop: the open TLP is
    // malformed, the complete one behind it is still written. 3 + 16 DWs
    // take two beats even at 512 bits.
    std::vector<Beat> cut =
        to_beats(Tlp::mem_write(0x7000, std::vector<uint8_t>(64, 0x11), kEpId), RCSIM_TB_W);
    ASSERT_GE(cut.size(), 2u);
    h->ep.send_beats({cut[0]});
    h->ep.send(Tlp::mem_write(0x7100, {0x22, 0x22, 0x22, 0x22}, kEpId));
    ASSERT_TRUE(h->settle());
    EXPECT_EQ(h->top->cnt_malformed, 1u);
    ASSERT_EQ(h->host_writes.size(), 1u);
    EXPECT_EQ(h->host_writes[0].addr, 0x7100u);
    EXPECT_EQ(h->mem.dw(0x7100), 0x22222222u);
}

TEST_F(RootPort, CompletionWithWrongByteCountIsUnexpected) {
    Settings s;
    s.cpl_timeout = 400;
    make({}, s);
    h->ep.reply_policy = [](const Tlp &) { return Reply::Drop; };
    h->host_read(1, 0x1004, 2);
    ASSERT_TRUE(h->run_until([&] { return h->ep.requests.size() == 1; }, 2000));
    // Byte count 12 for an 8-byte read; then one with lower address 0x08.
    h->ep.send(Tlp::completion_data(kRpId, 0, kEpId, 12, 0x04, {1, 2, 3, 4, 5, 6, 7, 8}));
    h->ep.send(Tlp::completion_data(kRpId, 0, kEpId, 8, 0x08, {1, 2, 3, 4, 5, 6, 7, 8}));
    ASSERT_TRUE(h->wait_responses(1, 2000));
    EXPECT_EQ(h->top->cnt_unexp_cpl, 2u);
    EXPECT_EQ(h->responses[0].status, TIMEOUT);
}

TEST_F(RootPort, DeviceConfigRequestGetsUR) {
    Tlp cfg = Tlp::cfg_read(0x0000, 0x00, kEpId, 0x33);
    h->ep.send(cfg);
    ASSERT_TRUE(h->settle());
    EXPECT_EQ(h->top->cnt_unsup_req, 1u);
    ASSERT_EQ(h->ep.dma_completions[0x33].size(), 1u);
    const Tlp &c = h->ep.dma_completions[0x33][0];
    EXPECT_EQ(c.type, TlpType::Cpl);
    EXPECT_EQ(c.status, CplStatus::UR);
    EXPECT_EQ(c.byte_count, 4);
    EXPECT_EQ(c.lower_address, 0);
    EXPECT_EQ(c.completer_id, kRpId);
}

TEST_F(RootPort, UnexpectedCompletionsCounted) {
    // No request outstanding: tag 7 to our ID, then tag 0 to someone else.
    h->ep.send(Tlp::completion_data(kRpId, 7, kEpId, 4, 0, {1, 2, 3, 4}));
    h->ep.send(Tlp::completion_data(0x0300, 0, kEpId, 4, 0, {1, 2, 3, 4}));
    ASSERT_TRUE(h->settle());
    EXPECT_EQ(h->top->cnt_unexp_cpl, 2u);
    EXPECT_TRUE(h->responses.empty());
}

TEST_F(RootPort, DeviceReadOutsideHostMemoryGetsUR) {
    const uint8_t tag = h->ep.dma_read(0x20000004, 8); // beyond the 1 MiB window
    ASSERT_TRUE(h->settle());
    EXPECT_EQ(h->top->cnt_unsup_req, 1u);
    ASSERT_EQ(h->ep.dma_completions[tag].size(), 1u);
    const Tlp &c = h->ep.dma_completions[tag][0];
    EXPECT_EQ(c.type, TlpType::Cpl);
    EXPECT_EQ(c.status, CplStatus::UR);
    EXPECT_EQ(c.requester_id, kEpId);
    EXPECT_EQ(c.completer_id, kRpId);
    EXPECT_EQ(c.byte_count, 8);
    EXPECT_EQ(c.lower_address, 0x04);
}

TEST_F(RootPort, DeviceWriteOutsideHostMemoryDropped) {
    h->ep.dma_write(0x20000000, {1, 2, 3, 4});
    ASSERT_TRUE(h->settle());
    EXPECT_EQ(h->top->cnt_unsup_req, 1u);
    EXPECT_TRUE(h->ep.dma_completions.empty()); // posted: no completion
    EXPECT_EQ(h->top->cnt_malformed, 0u);
}

TEST_F(RootPort, PoisonedDeviceWriteDropped) {
    Tlp w = Tlp::mem_write(0x4000, {9, 9, 9, 9}, kEpId);
    w.ep = true;
    h->ep.send(w);
    ASSERT_TRUE(h->settle());
    EXPECT_EQ(h->top->cnt_poisoned_req, 1u);
    EXPECT_EQ(h->mem.byte(0x4000), HostMemory::pattern(0x4000));
}

TEST_F(RootPort, InvalidHostRequestsGetBadReq) {
    h->host_read(1, 0x100, 0);           // length 0
    h->host_read(2, 0x100, 2, 0xf, 0x0); // multi-DW with last BE 0
    ASSERT_TRUE(h->wait_responses(2));
    EXPECT_EQ(h->responses[0].status, BAD_REQ);
    EXPECT_EQ(h->responses[1].status, BAD_REQ);
    EXPECT_EQ(h->top->cnt_host_bad_req, 2u);
    EXPECT_TRUE(h->tx_tlps.empty());
}

// ------------------------------------------------- DMA read completion splits

struct CplExpect {
    unsigned length_dw, byte_count, lower_address;
};

struct DmaSplitCase {
    const char *name;
    unsigned mps, rcb;
    uint64_t addr;
    uint32_t bytes;
    std::vector<CplExpect> cpls; // by hand from the spec: RCB-aligned ends, <= MPS
};

std::vector<DmaSplitCase> dma_split_cases() {
    return {
        {"Mps128Rcb64Offset10",
         128,
         64,
         0x1010,
         256,
         {{28, 256, 0x10}, {32, 144, 0x00}, {4, 16, 0x00}}},
        {"Mps128Rcb128Offset50",
         128,
         128,
         0x1050,
         256,
         {{12, 256, 0x50}, {32, 208, 0x00}, {20, 80, 0x00}}},
        {"Mps128Rcb64Offset50",
         128,
         64,
         0x1050,
         256,
         {{28, 256, 0x50}, {32, 144, 0x40}, {4, 16, 0x40}}},
        {"Mps256Rcb64Offset04", 256, 64, 0x2004, 504, {{63, 504, 0x04}, {63, 252, 0x00}}},
        {"Mps128Rcb64ByteOffset2", 128, 64, 0x1002, 128, {{32, 128, 0x02}, {1, 2, 0x00}}},
        {"Mps128Rcb64NineBytes", 128, 64, 0x3002, 9, {{3, 9, 0x02}}},
        {"Mps512Rcb128Aligned", 512, 128, 0x4000, 512, {{128, 512, 0x00}}},
        {"Mps128Rcb64OneByte", 128, 64, 0x5007, 1, {{1, 1, 0x07}}},
    };
}

class DmaReadSplit : public RootPort, public ::testing::WithParamInterface<size_t> {};

TEST_P(DmaReadSplit, CompletionsFollowRcbAndMps) {
    const DmaSplitCase c = dma_split_cases()[GetParam()];
    Settings s;
    s.mps = c.mps;
    s.rcb = c.rcb;
    s.mrrs = 512;
    make({}, s);
    const uint8_t tag = h->ep.dma_read(c.addr, c.bytes);
    ASSERT_TRUE(h->settle());
    const std::vector<Tlp> &got = h->ep.dma_completions[tag];
    ASSERT_EQ(got.size(), c.cpls.size());
    std::vector<uint8_t> data;
    for (size_t i = 0; i < got.size(); ++i) {
        SCOPED_TRACE(i);
        EXPECT_EQ(got[i].type, TlpType::CplD);
        EXPECT_EQ(got[i].status, CplStatus::SC);
        EXPECT_EQ(got[i].requester_id, kEpId);
        EXPECT_EQ(got[i].completer_id, kRpId);
        EXPECT_EQ(got[i].tag, tag);
        EXPECT_EQ(got[i].length_dws(), c.cpls[i].length_dw);
        EXPECT_EQ(got[i].byte_count, c.cpls[i].byte_count);
        EXPECT_EQ(got[i].lower_address, c.cpls[i].lower_address);
        const size_t skip = got[i].lower_address & 3;
        const size_t take = std::min<size_t>(got[i].payload.size() - skip, got[i].byte_count);
        data.insert(data.end(), got[i].payload.begin() + skip,
                    got[i].payload.begin() + skip + take);
    }
    data.resize(c.bytes);
    for (uint32_t i = 0; i < c.bytes; ++i)
        ASSERT_EQ(data[i], HostMemory::pattern(c.addr + i)) << "byte " << i;
    EXPECT_EQ(h->top->cnt_malformed, 0u);
}

INSTANTIATE_TEST_SUITE_P(Spec, DmaReadSplit, ::testing::Range<size_t>(0, 8),
                         [](const ::testing::TestParamInfo<size_t> &i) {
                             return std::string(dma_split_cases()[i.param].name);
                         });

// ------------------------------------------------- host requests split

TEST_F(RootPort, HostWriteSplitAtMps) {
    std::vector<uint32_t> data(100);
    for (size_t i = 0; i < data.size(); ++i)
        data[i] = 0xa0000000u + uint32_t(i);
    h->host_write(1, 0x1f80, data, 0xe, 0x3); // 400 bytes, MPS 128
    ASSERT_TRUE(h->settle());
    ASSERT_EQ(h->ep.mem_writes.size(), 4u);
    // Cut at every 128-byte boundary: 0x1f80 | 0x2000 | 0x2080 | 0x2100..0x2110.
    const uint64_t addr[] = {0x1f80, 0x2000, 0x2080, 0x2100};
    const unsigned len[] = {32, 32, 32, 4};
    const uint8_t fbe[] = {0xe, 0xf, 0xf, 0xf}, lbe[] = {0xf, 0xf, 0xf, 0x3};
    for (size_t i = 0; i < 4; ++i) {
        SCOPED_TRACE(i);
        const Tlp &w = h->ep.mem_writes[i];
        EXPECT_EQ(w.address, addr[i]);
        EXPECT_EQ(w.length_dws(), len[i]);
        EXPECT_EQ(w.first_be, fbe[i]);
        EXPECT_EQ(w.last_be, lbe[i]);
        EXPECT_EQ(w.requester_id, kRpId);
    }
    EXPECT_EQ(h->ep.mem_byte(0x1f80), EndpointModel::pattern_byte(0x1f80)); // first BE 1110
    EXPECT_EQ(h->ep.mem_byte(0x1f81), 0x00);
    EXPECT_EQ(h->ep.mem_byte(0x1f84), 0x01);
    EXPECT_EQ(h->ep.mem_byte(0x210c), 0x63);
    EXPECT_EQ(h->ep.mem_byte(0x210d), 0x00);
    EXPECT_EQ(h->ep.mem_byte(0x210e), EndpointModel::pattern_byte(0x210e)); // last BE 0011
}

TEST_F(RootPort, HostWriteOneDwPiecesCarryTheRightBe) {
    h->host_write(1, 0x107c, {0x11111111, 0x22222222}, 0xc, 0x3);
    ASSERT_TRUE(h->settle());
    ASSERT_EQ(h->ep.mem_writes.size(), 2u);
    EXPECT_EQ(h->ep.mem_writes[0].address, 0x107cu);
    EXPECT_EQ(h->ep.mem_writes[0].first_be, 0xc);
    EXPECT_EQ(h->ep.mem_writes[0].last_be, 0x0);
    EXPECT_EQ(h->ep.mem_writes[1].address, 0x1080u);
    EXPECT_EQ(h->ep.mem_writes[1].first_be, 0x3);
    EXPECT_EQ(h->ep.mem_writes[1].last_be, 0x0);
}

TEST_F(RootPort, HostReadSplitAtMrrs) {
    h->host_read(2, 0xf00, 300); // 1200 bytes, MRRS 512
    ASSERT_TRUE(h->wait_responses(1));
    ASSERT_EQ(h->ep.requests.size(), 3u);
    const uint64_t addr[] = {0xf00, 0x1000, 0x1200};
    const unsigned len[] = {64, 128, 108};
    for (size_t i = 0; i < 3; ++i) {
        SCOPED_TRACE(i);
        EXPECT_EQ(h->ep.requests[i].address, addr[i]);
        EXPECT_EQ(h->ep.requests[i].length_dws(), len[i]);
        EXPECT_EQ(h->ep.requests[i].first_be, 0xf);
        EXPECT_EQ(h->ep.requests[i].last_be, 0xf);
    }
    EXPECT_EQ(h->responses[0].dws, ep_dws(0xf00, 300));
}

TEST_F(RootPort, HostWriteOf1024DwIsOneTlpWithLengthZero) {
    Settings s;
    s.mps = 4096;
    make({}, s);
    std::vector<uint32_t> data(1024);
    for (size_t i = 0; i < data.size(); ++i)
        data[i] = uint32_t(i * 0x01010101u);
    h->host_write(1, 0x10000, data);
    ASSERT_TRUE(h->settle());
    ASSERT_EQ(h->tx_tlps.size(), 1u);
    ASSERT_EQ(h->tx_tlps[0].size(), 3u + 1024u);
    // fmt 010 type 0_0000, length field 0 = 1024 DW; BEs 1111/1111.
    EXPECT_EQ(h->tx_tlps[0][0], 0x40000000u);
    EXPECT_EQ(h->tx_tlps[0][1], 0x001000ffu);
    EXPECT_EQ(h->tx_tlps[0][2], 0x00010000u);
    EXPECT_EQ(h->ep.mem_byte(0x10000 + 4 * 1023), uint8_t(1023 * 0x01));
}

TEST_F(RootPort, DeviceWriteOf1024DwLands) {
    Settings s;
    s.mps = 4096;
    make({}, s);
    std::vector<uint8_t> data(4096);
    for (size_t i = 0; i < data.size(); ++i)
        data[i] = uint8_t(i * 3 + 1);
    h->ep.dma_write(0x30000, data);
    ASSERT_TRUE(h->settle());
    EXPECT_EQ(h->top->cnt_malformed, 0u);
    for (size_t i = 0; i < data.size(); i += 97)
        ASSERT_EQ(h->mem.byte(0x30000 + i), data[i]) << i;
    EXPECT_EQ(h->mem.byte(0x30fff), data[4095]);
}

TEST_F(RootPort, DeviceRead4KiBCompletionByteCounts) {
    Settings s;
    s.mps = 512;
    s.mrrs = 4096;
    make({}, s);
    const uint8_t tag = h->ep.dma_read(0x40000, 4096);
    ASSERT_TRUE(h->settle());
    const std::vector<Tlp> &c = h->ep.dma_completions[tag];
    ASSERT_EQ(c.size(), 8u);
    // 8 CplD of 512 B; byte count 4096 is encoded as 0.
    const uint16_t bc[] = {0, 3584, 3072, 2560, 2048, 1536, 1024, 512};
    for (size_t i = 0; i < 8; ++i) {
        SCOPED_TRACE(i);
        EXPECT_EQ(c[i].byte_count, bc[i]);
        EXPECT_EQ(c[i].length_dws(), 128u);
        EXPECT_EQ(c[i].lower_address, 0);
        EXPECT_EQ(c[i].payload[0], HostMemory::pattern(0x40000 + 512 * i));
    }
}

TEST_F(RootPort, DeviceReadAndWriteAbove4GiB) {
    h->mem.fill_pattern(0x100000000ull, 0x1000);
    h->ep.dma_write(0x100000200ull, {0xab, 0xcd});
    const uint8_t tag = h->ep.dma_read(0x100000100ull, 16);
    ASSERT_TRUE(h->settle());
    EXPECT_EQ(h->ep.sent.at(1).type, TlpType::MemRd64);
    EXPECT_EQ(h->mem.byte(0x100000200ull), 0xab);
    EXPECT_EQ(h->mem.byte(0x100000201ull), 0xcd);
    ASSERT_EQ(h->ep.dma_completions[tag].size(), 1u);
    const Tlp &c = h->ep.dma_completions[tag][0];
    EXPECT_EQ(c.byte_count, 16);
    EXPECT_EQ(c.payload.at(0), HostMemory::pattern(0x100000100ull));
    EXPECT_EQ(c.payload.at(15), HostMemory::pattern(0x10000010full));
}

TEST_F(RootPort, DeviceZeroLengthReadGetsOneDw) {
    // Length 1, first BE 0000: a zero-length read; the completion carries
    // one DW and byte count 1 (spec byte count rules).
    Tlp r = Tlp::mem_read(0x5004, 4, kEpId, 0x44);
    r.first_be = 0;
    h->ep.send(r);
    ASSERT_TRUE(h->settle());
    ASSERT_EQ(h->ep.dma_completions[0x44].size(), 1u);
    const Tlp &c = h->ep.dma_completions[0x44][0];
    EXPECT_EQ(c.type, TlpType::CplD);
    EXPECT_EQ(c.length_dws(), 1u);
    EXPECT_EQ(c.byte_count, 1);
    EXPECT_EQ(c.lower_address, 0x04);
    EXPECT_EQ(h->top->cnt_malformed, 0u);
}

TEST_F(RootPort, DeviceWriteWithDigestAccepted) {
    // TD = 1: a digest DW follows the payload; accepted and ignored.
    Tlp w = Tlp::mem_write(0x6100, {1, 2, 3, 4}, kEpId);
    w.td = true;
    w.digest = 0x12345678;
    h->ep.send(w);
    ASSERT_TRUE(h->settle());
    EXPECT_EQ(h->top->cnt_malformed, 0u);
    EXPECT_EQ(h->mem.dw(0x6100), 0x04030201u);
}

TEST_F(RootPort, HostReadAfterHostWriteSeesIt) {
    h->host_write(1, 0x9000, {0xdeadbeef, 0x01234567});
    h->host_read(2, 0x9000, 2);
    ASSERT_TRUE(h->wait_responses(1));
    EXPECT_EQ(h->responses[0].dws, (std::vector<uint32_t>{0xdeadbeef, 0x01234567}));
    ASSERT_EQ(h->ep.received.size(), 2u);
    EXPECT_EQ(h->ep.received[0].type, TlpType::MemWr32);
}

// ------------------------------------------------- interrupts and ordering

TEST_F(RootPort, MsiWindowAndIntxLevels) {
    h->ep.msi(0xfee00010, 0x00001234);
    h->ep.msi(0x00002000, 0xcafef00d); // outside the window: plain memory write
    h->ep.intx(MsgCode::AssertIntC);
    ASSERT_TRUE(h->settle());
    ASSERT_EQ(h->irqs.size(), 1u);
    EXPECT_EQ(h->irqs[0].addr, 0xfee00010u);
    EXPECT_EQ(h->irqs[0].data, 0x1234u);
    EXPECT_EQ(h->mem.dw(0x2000), 0xcafef00du);
    EXPECT_EQ(h->top->intx, 0x4);
    h->ep.intx(MsgCode::AssertIntA);
    h->ep.intx(MsgCode::DeassertIntC);
    ASSERT_TRUE(h->settle());
    EXPECT_EQ(h->top->intx, 0x1);
}

TEST_F(RootPort, MsiNeverOvertakesEarlierPostedWrite) {
    h->hmem_wrsp_latency = 100; // host memory is slow to accept writes
    std::vector<uint8_t> data(64, 0x5c);
    h->ep.dma_write(0x3000, data);
    h->ep.msi(0xfee00000, 0x77);
    ASSERT_TRUE(h->settle());
    ASSERT_EQ(h->host_writes.size(), 1u);
    ASSERT_EQ(h->irqs.size(), 1u);
    EXPECT_GT(h->irqs[0].cycle, h->host_writes[0].done_cycle);
}

TEST_F(RootPort, CompletionNeverOvertakesEarlierPostedWrite) {
    h->hmem_wrsp_latency = 100;
    h->ep.reply_policy = [](const Tlp &) { return Reply::Drop; };
    h->host_read(4, 0x800, 1);
    ASSERT_TRUE(h->run_until([&] { return h->ep.requests.size() == 1; }, 2000));
    h->ep.dma_write(0x3000, std::vector<uint8_t>(64, 0x5c));
    h->ep.send(read_completions(h->ep.requests[0], kEpId, {1, 2, 3, 4}, 64, 128).at(0));
    ASSERT_TRUE(h->wait_responses(1));
    ASSERT_EQ(h->host_writes.size(), 1u);
    ASSERT_NE(h->host_writes[0].done_cycle, 0u) << "completion delivered before the write";
    EXPECT_GT(h->responses[0].cycle, h->host_writes[0].done_cycle);
    EXPECT_EQ(h->responses[0].dws, (std::vector<uint32_t>{0x04030201}));
}

TEST_F(RootPort, DeviceWriteLandsInHostMemory) {
    std::vector<uint8_t> data(37);
    for (size_t i = 0; i < data.size(); ++i)
        data[i] = uint8_t(0x80 + i);
    h->ep.dma_write(0x6003, data);
    ASSERT_TRUE(h->settle());
    EXPECT_EQ(h->mem.byte(0x6002), HostMemory::pattern(0x6002));
    for (size_t i = 0; i < data.size(); ++i)
        EXPECT_EQ(h->mem.byte(0x6003 + i), data[i]) << i;
    EXPECT_EQ(h->mem.byte(0x6003 + 37), HostMemory::pattern(0x6003 + 37));
}

} // namespace
