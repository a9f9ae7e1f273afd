// The C++ TLP codec against hand-written encodings from the PCIe spec's field
// definitions (spec_tlp_cases.hpp), the packing of TLP-PACKING.md, and the
// spec's byte count / RCB / MPS / 4 KiB rules with hand-computed results.
#include "spec_tlp_cases.hpp"
#include "tlp.hpp"
#include "tlp_beats.hpp"
#include "tlp_rules.hpp"

#include <gtest/gtest.h>

#include <array>
#include <random>

using namespace rcsim::tlp;
namespace spec = rcsim::spec;

namespace {

struct EncodeCase {
    const char *name;
    Tlp tlp;
    const spec::Bytes *wire;
};

Tlp with_tag_tc_attr_ep() {
    Tlp t = Tlp::mem_read(0x100, 4, 0x0000, 0x11);
    t.tc = 3;
    t.attr = 3;
    t.ep = true;
    return t;
}

std::vector<EncodeCase> encode_cases() {
    const std::vector<uint8_t> cpld_data = {1, 2, 3, 4, 5, 6, 7, 8};
    Tlp ur_req = Tlp::mem_read(0x4000, 4, 0x0000, 0x09);
    Tlp ca_req = Tlp::mem_read(0x4000, 4, 0x0000, 0x0a);
    return {
        {"MemRd32", Tlp::mem_read(0x1000, 4, 0x0100, 0x05), &spec::kMemRd32},
        {"MemRd64", Tlp::mem_read(0x123456780ull, 16, 0x0000, 0x1a), &spec::kMemRd64},
        {"MemRd32High", Tlp::mem_read(0xfffffff0ull, 16, 0x0000, 0x1a), &spec::kMemRd32High},
        {"MemWr32", Tlp::mem_write(0x2004, {0x11, 0x22, 0x33, 0x44, 0x55, 0x66}, 0, 0),
         &spec::kMemWr32},
        {"MemWr32Unaligned", Tlp::mem_write(0x3001, {0xaa, 0xbb}, 0, 0), &spec::kMemWr32Unaligned},
        {"MemWr64", Tlp::mem_write(0x800000040ull, {0xde, 0xad, 0xbe, 0xef}, 0x0100, 0),
         &spec::kMemWr64},
        {"CfgRd0", Tlp::cfg_read(0x0219, 0x10, 0x0000, 0x07), &spec::kCfgRd0},
        {"CfgRd0Ext", Tlp::cfg_read(0x00ff, 0x104, 0x0000, 0x08), &spec::kCfgRd0Ext},
        {"CfgWr0", Tlp::cfg_write(0x0008, 0x04, 0x0006, 0x0000, 0x03, 0x3), &spec::kCfgWr0},
        {"CplD", Tlp::completion_data(0x0000, 0x05, 0x0100, 8, 0x04, cpld_data), &spec::kCplD},
        {"CplDSplit",
         Tlp::completion_data(0x0000, 0x05, 0x0100, 0x123, 0x40, {0xaa, 0xbb, 0xcc, 0xdd}),
         &spec::kCplDSplit},
        {"CplUR", Tlp::completion(ur_req, 0x0100, CplStatus::UR), &spec::kCplUR},
        {"CplCA", Tlp::completion(ca_req, 0x0100, CplStatus::CA), &spec::kCplCA},
        {"AssertIntA", Tlp::intx(MsgCode::AssertIntA, 0x0100), &spec::kAssertIntA},
        {"DeassertIntB", Tlp::intx(MsgCode::DeassertIntB, 0x0100), &spec::kDeassertIntB},
        {"Msi", Tlp::mem_write(0xfee00000, {0x41, 0x40, 0x00, 0x00}, 0x0100, 0), &spec::kMsi},
        {"MemRdAttrs", with_tag_tc_attr_ep(), &spec::kMemRdAttrs},
    };
}

class SpecEncoding : public ::testing::TestWithParam<size_t> {};

TEST_P(SpecEncoding, EncodesToSpecBytesAndBack) {
    const EncodeCase c = encode_cases()[GetParam()];
    SCOPED_TRACE(c.name);
    EXPECT_EQ(encode_wire(c.tlp), *c.wire);
    const Decoded d = decode_wire(*c.wire);
    ASSERT_TRUE(d.ok()) << d.error;
    EXPECT_EQ(encode_wire(*d.tlp), *c.wire);
    EXPECT_EQ(d.tlp->type, c.tlp.type);
    // The DW vector: header DWs big-endian, payload DWs little-endian.
    EXPECT_EQ(encode_dws(c.tlp), spec::dws_of(*c.wire, c.tlp.header_dws()));
}

INSTANTIATE_TEST_SUITE_P(Table, SpecEncoding, ::testing::Range<size_t>(0, 17),
                         [](const ::testing::TestParamInfo<size_t> &i) {
                             return std::string(encode_cases()[i.param].name);
                         });

TEST(TlpCodec, DwVectorByteOrderWrittenOut) {
    const Tlp t = Tlp::mem_write(0x2004, {0x11, 0x22, 0x33, 0x44, 0x55, 0x66}, 0, 0);
    const std::vector<uint32_t> want = {0x40000002, 0x0000003f, 0x00002004, 0x44332211, 0x00006655};
    EXPECT_EQ(encode_dws(t), want);
}

TEST(TlpCodec, DecodesFieldsOfSpecBytes) {
    Decoded d = decode_wire(spec::kMemRd64);
    ASSERT_TRUE(d.ok()) << d.error;
    EXPECT_EQ(d.tlp->type, TlpType::MemRd64);
    EXPECT_EQ(d.tlp->address, 0x123456780ull);
    EXPECT_EQ(d.tlp->length, 4);
    EXPECT_EQ(d.tlp->tag, 0x1a);
    EXPECT_EQ(d.tlp->first_be, 0xf);
    EXPECT_EQ(d.tlp->last_be, 0xf);

    d = decode_wire(spec::kCfgRd0);
    ASSERT_TRUE(d.ok()) << d.error;
    EXPECT_EQ(d.tlp->type, TlpType::CfgRd0);
    EXPECT_EQ(d.tlp->dest_id, 0x0219); // bus 2, device 3, function 1
    EXPECT_EQ(d.tlp->register_number * 4, 0x10);

    d = decode_wire(spec::kCplDSplit);
    ASSERT_TRUE(d.ok()) << d.error;
    EXPECT_EQ(d.tlp->completer_id, 0x0100);
    EXPECT_EQ(d.tlp->byte_count, 0x123);
    EXPECT_EQ(d.tlp->lower_address, 0x40);
    EXPECT_EQ(d.tlp->status, CplStatus::SC);
    EXPECT_EQ(d.tlp->payload, (std::vector<uint8_t>{0xaa, 0xbb, 0xcc, 0xdd}));

    d = decode_wire(spec::kCplUR);
    ASSERT_TRUE(d.ok()) << d.error;
    EXPECT_EQ(d.tlp->status, CplStatus::UR);
    EXPECT_EQ(d.tlp->tag, 0x09);

    d = decode_wire(spec::kAssertIntA);
    ASSERT_TRUE(d.ok()) << d.error;
    EXPECT_EQ(d.tlp->type, TlpType::Msg);
    EXPECT_EQ(d.tlp->msg_code, 0x20);
    EXPECT_EQ(d.tlp->msg_routing, 4);

    d = decode_wire(spec::kMemRdAttrs);
    ASSERT_TRUE(d.ok()) << d.error;
    EXPECT_EQ(d.tlp->tc, 3);
    EXPECT_TRUE(d.tlp->ep);
    EXPECT_EQ(d.tlp->attr, 3);

    d = decode_wire(spec::kMemWr32Unaligned);
    ASSERT_TRUE(d.ok()) << d.error;
    EXPECT_EQ(d.tlp->first_byte_address(), 0x3001u);
    EXPECT_EQ(d.tlp->enabled_bytes(), (std::vector<uint8_t>{0xaa, 0xbb}));
}

TEST(TlpCodec, IoRequestsToSpecBytesAndBack) {
    // IORd: Fmt 000b Type 00010b, Length 1; requester 00:02.0, tag 5, Last
    // DW BE 0000b, First DW BE 0011b; address 0x1234 (DW aligned).
    const std::vector<uint8_t> rd = {0x02, 0x00, 0x00, 0x01, 0x00, 0x10,
                                     0x05, 0x03, 0x00, 0x00, 0x12, 0x34};
    EXPECT_EQ(encode_wire(Tlp::io_read(0x1234, 0x3, 0x0010, 5)), rd);
    // IOWr: Fmt 010b, the data DW in address order.
    const std::vector<uint8_t> wr = {0x42, 0x00, 0x00, 0x01, 0x00, 0x10, 0x05, 0x0f,
                                     0x00, 0x00, 0x12, 0x34, 0xaa, 0xbb, 0xcc, 0xdd};
    EXPECT_EQ(encode_wire(Tlp::io_write(0x1234, 0xf, 0xddccbbaa, 0x0010, 5)), wr);
    Decoded d = decode_wire(wr);
    ASSERT_TRUE(d.ok()) << d.error;
    EXPECT_EQ(d.tlp->type, TlpType::IoWr);
    EXPECT_TRUE(d.tlp->is_io());
    EXPECT_FALSE(d.tlp->is_posted());
    EXPECT_EQ(d.tlp->address, 0x1234u);
    EXPECT_EQ(d.tlp->first_be, 0xf);
    // A completion for an I/O request carries Byte Count 4, Lower Address 0.
    const Tlp c = Tlp::completion(*d.tlp, 0x0100, CplStatus::UR);
    EXPECT_EQ(c.byte_count, 4);
    EXPECT_EQ(c.lower_address, 0);
}

TEST(TlpCodec, RejectsBadFmtType) {
    // fmt 001 with the completion type: no such TLP.
    Decoded d = decode_dws({0x2a000000, 0, 0, 0});
    EXPECT_FALSE(d.ok());
    EXPECT_NE(d.error.find("bad fmt/type"), std::string::npos) << d.error;
    // type 0_0110 is reserved.
    d = decode_dws({0x06000001, 0, 0});
    EXPECT_FALSE(d.ok());
    EXPECT_NE(d.error.find("bad fmt/type"), std::string::npos) << d.error;
    // fmt 100 is a TLP prefix, which rcsim does not model.
    d = decode_dws({0x90000000, 0, 0});
    EXPECT_FALSE(d.ok());
}

// The header alone, as a 128-bit port's first beat has it: a CplD of 8 DW
// whose payload has not arrived. DW0 4a000008: fmt 010 (3 DW, data), type
// 0_1010, length 8; DW1 01000020: completer 01:00.0, SC, byte count 32;
// DW2 00000340: requester 00:00.0, tag 3, lower address 0x40.
TEST(TlpCodec, DecodesTheHeaderBeforeThePayload) {
    const uint32_t beat[4] = {0x4a000008, 0x01000020, 0x00000340, 0xdeadbeef};
    Decoded d = decode_header(beat, 4);
    ASSERT_TRUE(d.ok()) << d.error;
    EXPECT_EQ(d.tlp->type, TlpType::CplD);
    EXPECT_EQ(d.tlp->length_dws(), 8u);
    EXPECT_EQ(d.tlp->completer_id, 0x0100);
    EXPECT_EQ(d.tlp->status, CplStatus::SC);
    EXPECT_EQ(d.tlp->byte_count, 32);
    EXPECT_EQ(d.tlp->requester_id, 0x0000);
    EXPECT_EQ(d.tlp->tag, 3);
    EXPECT_EQ(d.tlp->lower_address, 0x40);
    EXPECT_TRUE(d.tlp->payload.empty());
    EXPECT_FALSE(decode_dws(std::vector<uint32_t>(beat, beat + 4)).ok()) << "the whole TLP is not";
    // A 4 DW header (MemRd64) cut at 3 DW is truncated.
    const uint32_t rd64[3] = {0x20000001, 0x0000000f, 0x00000001};
    d = decode_header(rd64, 3);
    EXPECT_FALSE(d.ok());
    EXPECT_NE(d.error.find("truncated header"), std::string::npos) << d.error;
    EXPECT_FALSE(decode_header(beat, 0).ok());
}

TEST(TlpCodec, RejectsTruncatedHeader) {
    EXPECT_FALSE(decode_dws({}).ok());
    Decoded d = decode_dws({0x20000001, 0x0000000f, 0x00000001}); // 4 DW header, 3 given
    EXPECT_FALSE(d.ok());
    EXPECT_NE(d.error.find("truncated header"), std::string::npos) << d.error;
    d = decode_wire(spec::Bytes(spec::kCfgRd0.begin(), spec::kCfgRd0.begin() + 8));
    EXPECT_FALSE(d.ok());
    EXPECT_FALSE(decode_wire({0x00, 0x00, 0x00}).ok()); // not whole DWs
}

TEST(TlpCodec, RejectsLengthDisagreeingWithPayload) {
    // MemWr32, length 2, only 1 payload DW.
    Decoded d = decode_dws({0x40000002, 0x000000ff, 0x00001000, 0x11223344});
    EXPECT_FALSE(d.ok());
    EXPECT_NE(d.error.find("length disagrees"), std::string::npos) << d.error;
    // Same header with 3 payload DWs.
    d = decode_dws({0x40000002, 0x000000ff, 0x00001000, 1, 2, 3});
    EXPECT_FALSE(d.ok());
    // A read carries no payload: a trailing DW is malformed.
    d = decode_dws({0x00000001, 0x0000000f, 0x00001000, 0xdeadbeef});
    EXPECT_FALSE(d.ok());
    // A TLP built with a wrong length on purpose encodes as such.
    Tlp t = Tlp::mem_write(0x1000, {1, 2, 3, 4}, 0, 0);
    t.length = 3;
    EXPECT_FALSE(decode_dws(encode_dws(t)).ok());
}

TEST(TlpCodec, LengthZeroMeans1024AndDigestIsAccepted) {
    std::vector<uint32_t> dws = {0x40000000, 0x000000ff, 0x00000000};
    dws.resize(3 + 1024, 0x01020304);
    Decoded d = decode_dws(dws);
    ASSERT_TRUE(d.ok()) << d.error;
    EXPECT_EQ(d.tlp->length_dws(), 1024u);
    EXPECT_EQ(d.tlp->payload.size(), 4096u);
    EXPECT_EQ(d.tlp->payload[0], 0x04);

    // TD = 1 (DW0 bit 15): one digest DW after the payload.
    d = decode_dws({0x40008001, 0x0000000f, 0x00001000, 0x11111111, 0xabcdef01});
    ASSERT_TRUE(d.ok()) << d.error;
    EXPECT_TRUE(d.tlp->td);
    EXPECT_EQ(d.tlp->payload.size(), 4u);
    EXPECT_EQ(d.tlp->digest, 0xabcdef01u);
    EXPECT_FALSE(decode_dws({0x40008001, 0x0000000f, 0x00001000, 0x11111111}).ok());
}

// ------------------------------------------------------------------ beats

TEST(TlpBeats, PackingExampleW128) {
    // TLP-PACKING.md: W=128, 3 DW MemWr with 2 DW payload: beat 0 = H0 H1 H2
    // P0, beat 1 = P1 with keep 0001 and eop.
    const std::vector<uint32_t> dws = {0x40000002, 0x000000ff, 0x00001000, 0xa0a0a0a0, 0xb1b1b1b1};
    const std::vector<Beat> b = dws_to_beats(dws, 128);
    ASSERT_EQ(b.size(), 2u);
    EXPECT_TRUE(b[0].sop);
    EXPECT_FALSE(b[0].eop);
    EXPECT_EQ(b[0].keep, 0xf);
    EXPECT_EQ(b[0].lanes[0], 0x40000002u);
    EXPECT_EQ(b[0].lanes[2], 0x00001000u);
    EXPECT_EQ(b[0].lanes[3], 0xa0a0a0a0u);
    EXPECT_FALSE(b[1].sop);
    EXPECT_TRUE(b[1].eop);
    EXPECT_EQ(b[1].keep, 0x1);
    EXPECT_EQ(b[1].lanes[0], 0xb1b1b1b1u);
}

TEST(TlpBeats, W64AndW256) {
    const std::vector<uint32_t> dws = {1, 2, 3, 4, 5};
    std::vector<Beat> b = dws_to_beats(dws, 64);
    ASSERT_EQ(b.size(), 3u);
    EXPECT_EQ(b[0].keep, 0x3);
    EXPECT_EQ(b[1].lanes[0], 3u);
    EXPECT_EQ(b[1].lanes[1], 4u);
    EXPECT_EQ(b[2].keep, 0x1);
    EXPECT_TRUE(b[2].eop && !b[2].sop);
    b = dws_to_beats(dws, 256);
    ASSERT_EQ(b.size(), 1u);
    EXPECT_TRUE(b[0].sop && b[0].eop);
    EXPECT_EQ(b[0].keep, 0x1f);
    // 4 DW, no data, W=128: exactly one full beat.
    b = dws_to_beats({1, 2, 3, 4}, 128);
    ASSERT_EQ(b.size(), 1u);
    EXPECT_EQ(b[0].keep, 0xf);
    EXPECT_TRUE(b[0].sop && b[0].eop);
}

// BeatQueue makes the beats one at a time; the beats are written out by
// hand from the packing rule (DW k in beat k / lanes, lane k % lanes).
TEST(TlpBeats, QueueTwoTlpsW128) {
    BeatQueue q(128);
    EXPECT_TRUE(q.empty());
    q.add({0x40000002, 0x000000ff, 0x00001000, 0xa0a0a0a0, 0xb1b1b1b1}); // 2 beats
    q.add({0x4a000001, 0x01000004, 0x00000000, 0xc2c2c2c2});             // 1 beat
    EXPECT_EQ(q.beats(), 3u);
    ASSERT_FALSE(q.empty());
    Beat b = q.front();
    EXPECT_TRUE(b.sop);
    EXPECT_FALSE(b.eop);
    EXPECT_EQ(b.keep, 0xf);
    EXPECT_EQ(b.lanes[0], 0x40000002u);
    EXPECT_EQ(b.lanes[3], 0xa0a0a0a0u);
    q.pop();
    b = q.front();
    EXPECT_FALSE(b.sop);
    EXPECT_TRUE(b.eop);
    EXPECT_EQ(b.keep, 0x1);
    EXPECT_EQ(b.lanes[0], 0xb1b1b1b1u);
    EXPECT_EQ(b.lanes[1], 0u); // no DW of the next TLP shares the beat
    q.pop();
    b = q.front();
    EXPECT_TRUE(b.sop && b.eop);
    EXPECT_EQ(b.keep, 0xf);
    EXPECT_EQ(b.lanes[0], 0x4a000001u);
    EXPECT_EQ(b.lanes[3], 0xc2c2c2c2u);
    EXPECT_EQ(q.taken(), 2u);
    q.pop();
    EXPECT_TRUE(q.empty());
    EXPECT_EQ(q.taken(), 3u);
    // Added once empty: a fresh TLP at sop.
    q.add({7, 8, 9});
    ASSERT_FALSE(q.empty());
    EXPECT_TRUE(q.front().sop && q.front().eop);
    EXPECT_EQ(q.front().keep, 0x7);
    EXPECT_EQ(q.front().lanes[2], 9u);
}

TEST(TlpBeats, QueueW64AddedWhileTaking) {
    BeatQueue q(64);
    q.add({1, 2, 3});
    EXPECT_EQ(q.front().keep, 0x3);
    q.pop();
    q.add({4}); // appended behind the beat in progress
    EXPECT_EQ(q.front().lanes[0], 3u);
    EXPECT_EQ(q.front().keep, 0x1);
    EXPECT_TRUE(q.front().eop && !q.front().sop);
    q.pop();
    EXPECT_EQ(q.front().lanes[0], 4u);
    EXPECT_TRUE(q.front().sop && q.front().eop);
    q.pop();
    EXPECT_TRUE(q.empty());
    EXPECT_THROW(BeatQueue(96), std::invalid_argument);
}

TEST(TlpBeats, QueueMatchesVectorEveryWidth) {
    std::vector<uint8_t> data(300);
    for (size_t i = 0; i < data.size(); ++i)
        data[i] = uint8_t(i * 7);
    const Tlp a = Tlp::mem_write(0x1234567801ull, data, 0x0100, 0);
    const Tlp b = Tlp::mem_read(0x1000, 64, 0x0100, 3);
    for (unsigned w : {64u, 128u, 256u, 512u}) {
        std::vector<Beat> want = to_beats(a, w);
        const std::vector<Beat> second = to_beats(b, w);
        want.insert(want.end(), second.begin(), second.end());
        BeatQueue q(w);
        q.add(a);
        q.add(b);
        ASSERT_EQ(q.beats(), want.size()) << w;
        for (const Beat &x : want) {
            ASSERT_FALSE(q.empty());
            EXPECT_EQ(q.front(), x) << w;
            q.pop();
        }
        EXPECT_TRUE(q.empty());
    }
}

TEST(TlpBeats, MemWriteFromPointerEqualsVector) {
    const uint8_t bytes[5] = {0x11, 0x22, 0x33, 0x44, 0x55};
    const Tlp t = Tlp::mem_write(0x1002, bytes, sizeof(bytes), 0x0100);
    // Bytes 0x1002..0x1006: DW 0x1000 (its bytes 2, 3: first BE 1100) and DW
    // 0x1004 (its bytes 0..2: last BE 0111).
    EXPECT_EQ(t.length_dws(), 2u);
    EXPECT_EQ(t.first_be, 0xc);
    EXPECT_EQ(t.last_be, 0x7);
    const std::vector<uint8_t> want = {0, 0, 0x11, 0x22, 0x33, 0x44, 0x55, 0};
    EXPECT_EQ(t.payload, want);
}

TEST(TlpBeats, W512) {
    // 16 lanes: a 3 DW MemWr with 13 DW payload fills one beat exactly; one
    // more payload DW spills into lane 0 of a second beat.
    std::vector<uint32_t> dws(16);
    for (uint32_t k = 0; k < 16; ++k)
        dws[k] = 0x100 + k;
    std::vector<Beat> b = dws_to_beats(dws, 512);
    ASSERT_EQ(b.size(), 1u);
    EXPECT_TRUE(b[0].sop && b[0].eop);
    EXPECT_EQ(b[0].keep, 0xffff);
    EXPECT_EQ(b[0].lanes[0], 0x100u);
    EXPECT_EQ(b[0].lanes[8], 0x108u);
    EXPECT_EQ(b[0].lanes[15], 0x10fu);
    dws.push_back(0x110);
    b = dws_to_beats(dws, 512);
    ASSERT_EQ(b.size(), 2u);
    EXPECT_TRUE(b[0].sop && !b[0].eop);
    EXPECT_EQ(b[0].keep, 0xffff);
    EXPECT_TRUE(!b[1].sop && b[1].eop);
    EXPECT_EQ(b[1].keep, 0x1);
    EXPECT_EQ(b[1].lanes[0], 0x110u);
    // 9 DWs: keep runs past the low byte of the mask.
    b = dws_to_beats({1, 2, 3, 4, 5, 6, 7, 8, 9}, 512);
    ASSERT_EQ(b.size(), 1u);
    EXPECT_EQ(b[0].keep, 0x1ff);
    EXPECT_EQ(b[0].lanes[8], 9u);
}

TEST(TlpBeats, W512AssemblerCountsTheHighLanes) {
    // MemWr32 of 11 DW at 0x1000 (header by hand: fmt 010, length 11, BEs
    // ff): 14 DWs in one beat, keep 0x3fff.
    BeatAssembler a(512);
    Beat b;
    b.sop = b.eop = true;
    b.keep = 0x3fff;
    b.lanes[0] = 0x4000000b;
    b.lanes[1] = 0x000000ff;
    b.lanes[2] = 0x00001000;
    for (unsigned k = 3; k < 14; ++k)
        b.lanes[k] = 0xd0 + k;
    std::optional<Decoded> r = a.push(b);
    ASSERT_TRUE(r && r->ok()) << (r ? r->error : "no result");
    ASSERT_EQ(r->tlp->payload.size(), 44u);
    EXPECT_EQ(r->tlp->payload[40], 0xdd); // DW 13, little-endian
    // a hole in the high byte of keep is refused like one in the low byte
    b.keep = 0xbfff;
    r = a.push(b);
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->ok());
    // short keep before eop: 15 lanes of 16
    b.keep = 0x7fff;
    b.eop = false;
    r = a.push(b);
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->ok());
}

TEST(TlpBeats, RoundTripEveryWidth) {
    std::vector<uint8_t> data(300);
    for (size_t i = 0; i < data.size(); ++i)
        data[i] = uint8_t(i * 7);
    const Tlp t = Tlp::mem_write(0x1234567801ull, data, 0x0100, 0);
    for (unsigned w : {64u, 128u, 256u, 512u}) {
        BeatAssembler a(w);
        std::optional<Decoded> r;
        const std::vector<Beat> beats = to_beats(t, w);
        for (size_t i = 0; i < beats.size(); ++i) {
            r = a.push(beats[i]);
            EXPECT_EQ(r.has_value(), i + 1 == beats.size());
        }
        ASSERT_TRUE(r && r->ok()) << w;
        EXPECT_EQ(r->tlp->enabled_bytes(), data);
        EXPECT_EQ(r->tlp->first_byte_address(), 0x1234567801ull);
    }
}

TEST(TlpBeats, AssemblerRejectsBrokenStreams) {
    BeatAssembler a(128);
    Beat b;
    b.keep = 0x7;
    b.eop = true;
    std::optional<Decoded> r = a.push(b); // no sop
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->ok());

    b.sop = true;
    b.keep = 0x5; // hole
    r = a.push(b);
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->ok());

    b.keep = 0x7;
    b.eop = false; // short keep before eop
    r = a.push(b);
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->ok());

    b.keep = 0xf; // a good start, then a second sop
    r = a.push(b);
    EXPECT_FALSE(r);
    r = a.push(b);
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->ok());

    // Recovers: a whole CplD decodes after the garbage.
    const Tlp c = Tlp::completion_data(0, 5, 0x100, 4, 0, {1, 2, 3, 4});
    for (const Beat &x : to_beats(c, 128))
        r = a.push(x);
    ASSERT_TRUE(r && r->ok()) << (r ? r->error : "");
    EXPECT_EQ(*r->tlp, c);
}

// ------------------------------------------------------------------ rules

TEST(TlpRules, ByteCountTableOneDw) {
    // Spec: byte count for length 1 from first BE (x = don't care).
    EXPECT_EQ(read_byte_count(1, 0b1001, 0), 4u); // 1xx1
    EXPECT_EQ(read_byte_count(1, 0b1111, 0), 4u);
    EXPECT_EQ(read_byte_count(1, 0b0101, 0), 3u); // 01x1
    EXPECT_EQ(read_byte_count(1, 0b1010, 0), 3u); // 1x10
    EXPECT_EQ(read_byte_count(1, 0b0011, 0), 2u);
    EXPECT_EQ(read_byte_count(1, 0b0110, 0), 2u);
    EXPECT_EQ(read_byte_count(1, 0b1100, 0), 2u);
    EXPECT_EQ(read_byte_count(1, 0b0001, 0), 1u);
    EXPECT_EQ(read_byte_count(1, 0b0010, 0), 1u);
    EXPECT_EQ(read_byte_count(1, 0b0100, 0), 1u);
    EXPECT_EQ(read_byte_count(1, 0b1000, 0), 1u);
    EXPECT_EQ(read_byte_count(1, 0b0000, 0), 1u); // zero-length read
}

TEST(TlpRules, ByteCountTableMultiDw) {
    // Spec: length * 4 minus the bytes first BE skips at the front and last
    // BE skips at the back.
    EXPECT_EQ(read_byte_count(4, 0b0001, 0b1000), 16u);
    EXPECT_EQ(read_byte_count(4, 0b0011, 0b0100), 15u);
    EXPECT_EQ(read_byte_count(4, 0b1111, 0b0010), 14u);
    EXPECT_EQ(read_byte_count(4, 0b1111, 0b0001), 13u);
    EXPECT_EQ(read_byte_count(4, 0b1110, 0b1111), 15u);
    EXPECT_EQ(read_byte_count(4, 0b1110, 0b0111), 14u);
    EXPECT_EQ(read_byte_count(4, 0b0110, 0b0011), 13u);
    EXPECT_EQ(read_byte_count(4, 0b1110, 0b0001), 12u);
    EXPECT_EQ(read_byte_count(4, 0b0100, 0b1000), 14u);
    EXPECT_EQ(read_byte_count(4, 0b1000, 0b0001), 10u);
    EXPECT_EQ(read_byte_count(1024, 0xf, 0xf), 4096u);
}

TEST(TlpRules, LowerAddress) {
    EXPECT_EQ(completion_lower_address(0x1004, 0b1100), 0x06);
    EXPECT_EQ(completion_lower_address(0x10fc, 0b1000), 0x7f);
    EXPECT_EQ(completion_lower_address(0x1080, 0b1111), 0x00);
    EXPECT_EQ(completion_lower_address(0x1044, 0b0000), 0x44);
}

TEST(TlpRules, Crosses4k) {
    EXPECT_FALSE(crosses_4k(0xffc, 4));
    EXPECT_TRUE(crosses_4k(0xffc, 8));
    EXPECT_FALSE(crosses_4k(0x1000, 4096));
    EXPECT_TRUE(crosses_4k(0x1001, 4096));
    EXPECT_FALSE(crosses_4k(0xfff, 0));
    EXPECT_TRUE(crosses_4k(0x7ffffff80ull, 0x100));
}

TEST(TlpRules, SplitCompletionsTable) {
    using P = std::vector<Piece>;
    // RCB 64, MPS 128 from 0x1010: first ends at the RCB boundary 0x1080.
    EXPECT_EQ(split_completions(0x1010, 256, 64, 128),
              (P{{0x1010, 112}, {0x1080, 128}, {0x1100, 16}}));
    // Finest split: one completion per RCB block.
    EXPECT_EQ(split_completions(0x1010, 256, 64, 64),
              (P{{0x1010, 48}, {0x1040, 64}, {0x1080, 64}, {0x10c0, 64}, {0x1100, 16}}));
    // RCB 128, MPS 256, unaligned start and end.
    EXPECT_EQ(split_completions(0x2002, 300, 128, 256), (P{{0x2002, 254}, {0x2100, 46}}));
    // 128 bytes from 0x1002 span 33 DW: too big for MPS 128 in one go.
    EXPECT_EQ(split_completions(0x1002, 128, 64, 128), (P{{0x1002, 126}, {0x1080, 2}}));
    EXPECT_EQ(split_completions(0x1000, 4, 64, 128), (P{{0x1000, 4}}));
    EXPECT_EQ(split_completions(0x1000, 128, 64, 128), (P{{0x1000, 128}}));
}

TEST(TlpRules, SplitRequestTable) {
    using P = std::vector<Piece>;
    EXPECT_EQ(split_request(0xf80, 1024, 512), (P{{0xf80, 128}, {0x1000, 512}, {0x1200, 384}}));
    EXPECT_EQ(split_request(0x1ff0, 64, 128), (P{{0x1ff0, 16}, {0x2000, 48}}));
    EXPECT_EQ(split_request(0x800, 8192, 4096), (P{{0x800, 2048}, {0x1000, 4096}, {0x2000, 2048}}));
    EXPECT_EQ(split_request(0x1000, 8, 128), (P{{0x1000, 8}}));
}

TEST(TlpRules, ReadCompletions) {
    const Tlp req = Tlp::mem_read(0x1000, 256, 0x0000, 0x21);
    std::vector<uint8_t> data(256);
    for (size_t i = 0; i < data.size(); ++i)
        data[i] = uint8_t(i);
    std::vector<Tlp> c = read_completions(req, 0x0100, data, 64, 64);
    ASSERT_EQ(c.size(), 4u);
    const uint16_t bc[] = {256, 192, 128, 64};
    const uint8_t la[] = {0x00, 0x40, 0x00, 0x40};
    for (size_t i = 0; i < 4; ++i) {
        EXPECT_EQ(c[i].type, TlpType::CplD);
        EXPECT_EQ(c[i].tag, 0x21);
        EXPECT_EQ(c[i].byte_count, bc[i]);
        EXPECT_EQ(c[i].lower_address, la[i]);
        EXPECT_EQ(c[i].length, 16);
        EXPECT_EQ(c[i].payload[0], uint8_t(64 * i));
    }
    // 10 bytes from 0x1006: 3 DW, lower address 0x06, two pad bytes first.
    const Tlp odd = Tlp::mem_read(0x1006, 10, 0x0000, 0x22);
    EXPECT_EQ(odd.length, 3);
    EXPECT_EQ(odd.first_be, 0xc);
    EXPECT_EQ(odd.last_be, 0xf);
    c = read_completions(odd, 0x0100, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 64, 128);
    ASSERT_EQ(c.size(), 1u);
    EXPECT_EQ(c[0].byte_count, 10);
    EXPECT_EQ(c[0].lower_address, 0x06);
    EXPECT_EQ(c[0].length, 3);
    EXPECT_EQ(c[0].payload, (std::vector<uint8_t>{0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
}

} // namespace

namespace {

// Hostile input: random DW vectors, wire bytes and beats never throw, and
// every rejection carries a reason. Accepted TLPs re-encode to the input.
TEST(TlpCodecHostile, RandomInputDecodesOrFailsWithReason) {
    std::mt19937 rng(4242);
    unsigned accepted = 0;
    for (int i = 0; i < 20000; ++i) {
        std::vector<uint32_t> dws(rng() % 12);
        for (uint32_t &d : dws)
            d = rng();
        if (!dws.empty() && (i & 1)) // steer half of them to real fmt/type pairs
            dws[0] = (dws[0] & 0x00ff83f0) | ((i >> 1) % 4) << 29 |
                     uint32_t(std::array<uint8_t, 4>{0x00, 0x04, 0x0a, 0x14}[(i >> 3) % 4]) << 24 |
                     uint32_t(rng() % 4);
        Decoded d;
        ASSERT_NO_THROW(d = decode_dws(dws));
        if (d.ok()) {
            ++accepted;
            EXPECT_EQ(encode_dws(*d.tlp).size(), dws.size());
        } else {
            EXPECT_FALSE(d.error.empty());
        }
        std::vector<uint8_t> bytes(rng() % 40);
        for (uint8_t &b : bytes)
            b = uint8_t(rng());
        ASSERT_NO_THROW(d = decode_wire(bytes));
        EXPECT_TRUE(d.ok() || !d.error.empty());
    }
    EXPECT_GT(accepted, 100u); // the steering reaches the decoder's accept path

    BeatAssembler a(128);
    for (int i = 0; i < 20000; ++i) {
        Beat b;
        for (uint32_t &l : b.lanes)
            l = rng();
        b.keep = Keep(rng());
        b.sop = rng() & 1;
        b.eop = rng() & 1;
        std::optional<Decoded> r;
        ASSERT_NO_THROW(r = a.push(b));
        if (r) {
            EXPECT_TRUE(r->ok() || !r->error.empty());
        }
    }
}

} // namespace
