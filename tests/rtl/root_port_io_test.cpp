// I/O requests of the root port (host op IO_RD / IO_WR): the IORd/IOWr
// headers against the PCIe Base Specification's field definitions, and
// their completions (CplD for IORd, Cpl for the non-posted IOWr) with each
// status. Expected DWs and wire bytes are written by hand.
#include "root_port_fixture.hpp"

#include <gtest/gtest.h>

using namespace rcsim::test;
using namespace rcsim::tlp;

namespace {

// DW0 of an IORd: Fmt 000b (3 DW, no data), Type 00010b, TC 0, Attr 0,
// TH/TD/EP/AT 0, Length 1.
constexpr uint32_t kIoRdDw0 = 0x02000001;
// DW0 of an IOWr: Fmt 010b (3 DW, with data), Type 00010b, Length 1.
constexpr uint32_t kIoWrDw0 = 0x42000001;

TEST_F(RootPort, IoReadHeaderFields) {
    // Address bits 1:0 are not sent: the byte enables select the bytes.
    h->io_read(1, 0x1236, 0xc);
    ASSERT_TRUE(h->run_until([&] { return !h->tx_tlps.empty() && !h->top->tx_valid; }, 2000));
    ASSERT_EQ(h->tx_tlps.size(), 1u);
    // DW1: requester 00:02.0 (0x0010), tag 0, Last DW BE 0000b, First DW BE 1100b.
    EXPECT_EQ(h->tx_tlps[0], (std::vector<uint32_t>{kIoRdDw0, 0x0010000c, 0x00001234}));
    EXPECT_TRUE(h->ep.rx_errors.empty());
}

TEST_F(RootPort, IoWriteHeaderFieldsAndPayload) {
    h->io_write(1, 0x0cf8, 0x11223344, 0xf);
    ASSERT_TRUE(h->run_until([&] { return !h->tx_tlps.empty() && !h->top->tx_valid; }, 2000));
    ASSERT_EQ(h->tx_tlps.size(), 1u);
    EXPECT_EQ(h->tx_tlps[0], (std::vector<uint32_t>{kIoWrDw0, 0x0010000f, 0x00000cf8, 0x11223344}));
}

TEST_F(RootPort, IoWriteTakesATagLikeAnyNonPostedRequest) {
    h->ep.reply_policy = [](const Tlp &) { return Reply::Drop; };
    h->host_read(1, 0x1000, 1);
    h->io_write(2, 0x2000, 0x55, 0x1);
    ASSERT_TRUE(h->run_until([&] { return h->tx_tlps.size() == 2 && !h->top->tx_valid; }, 2000));
    // The MemRd took tag 0, the IOWr tag 1: DW1 = 0x0010_01_01.
    EXPECT_EQ(h->tx_tlps[1], (std::vector<uint32_t>{kIoWrDw0, 0x00100101, 0x00002000, 0x00000055}));
    EXPECT_EQ(h->top->tags_in_use, 2u);
}

TEST_F(RootPort, SpecCplDCompletesIoRead) {
    h->ep.reply_policy = [](const Tlp &) { return Reply::Drop; };
    h->io_read(9, 0x3000, 0xf);
    ASSERT_TRUE(h->run_until([&] { return h->ep.requests.size() == 1; }, 2000));
    // CplD from 01:00.0, SC, Byte Count 4, to 00:02.0 tag 0, Lower Address 0.
    h->ep.send_wire({0x4a, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00, 0x04, 0x00, 0x10, 0x00, 0x00, 0x78,
                     0x56, 0x34, 0x12},
                    3);
    ASSERT_TRUE(h->wait_responses(1));
    EXPECT_EQ(h->responses[0].id, 9);
    EXPECT_EQ(h->responses[0].status, SC);
    EXPECT_EQ(h->responses[0].dws, (std::vector<uint32_t>{0x12345678}));
    EXPECT_EQ(h->top->cnt_unexp_cpl, 0u);
    EXPECT_EQ(h->top->cnt_malformed, 0u);
}

TEST_F(RootPort, SpecCplCompletesIoWrite) {
    h->ep.reply_policy = [](const Tlp &) { return Reply::Drop; };
    h->io_write(4, 0x3000, 0x1, 0x1);
    ASSERT_TRUE(h->run_until([&] { return h->ep.io_writes.size() == 1; }, 2000));
    // Cpl (no data) SC, Byte Count 4, to 00:02.0 tag 0.
    h->ep.send_wire({0x0a, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x04, 0x00, 0x10, 0x00, 0x00}, 3);
    ASSERT_TRUE(h->wait_responses(1));
    EXPECT_EQ(h->responses[0].id, 4);
    EXPECT_EQ(h->responses[0].status, SC);
    EXPECT_TRUE(h->responses[0].dws.empty()); // a write's response has keep = 0
    EXPECT_EQ(h->top->cnt_unexp_cpl, 0u);
}

TEST_F(RootPort, SpecCplURAndCAReachHostForIo) {
    h->ep.reply_policy = [](const Tlp &) { return Reply::Drop; };
    h->io_read(1, 0x3000);
    h->io_write(2, 0x3004, 0x7);
    ASSERT_TRUE(h->run_until([&] { return h->ep.received.size() == 2; }, 2000));
    // Cpl UR (status 001b) to tag 0, Cpl CA (status 100b) to tag 1.
    h->ep.send_wire({0x0a, 0x00, 0x00, 0x00, 0x01, 0x00, 0x20, 0x04, 0x00, 0x10, 0x00, 0x00}, 3);
    h->ep.send_wire({0x0a, 0x00, 0x00, 0x00, 0x01, 0x00, 0x80, 0x04, 0x00, 0x10, 0x01, 0x00}, 3);
    ASSERT_TRUE(h->wait_responses(2));
    EXPECT_EQ(h->responses[0].status, UR);
    EXPECT_EQ(h->responses[0].dws, (std::vector<uint32_t>{0xffffffff}));
    EXPECT_EQ(h->responses[1].status, CA);
    EXPECT_TRUE(h->responses[1].dws.empty());
}

TEST_F(RootPort, IoRequestsTimeOut) {
    Settings s;
    s.cpl_timeout = 200;
    make({}, s);
    h->ep.reply_policy = [](const Tlp &) { return Reply::Drop; };
    h->io_read(1, 0x3000);
    h->io_write(2, 0x3000, 0x1);
    ASSERT_TRUE(h->wait_responses(2, 4000));
    EXPECT_EQ(h->responses[0].status, TIMEOUT);
    EXPECT_EQ(h->responses[0].dws, (std::vector<uint32_t>{0xffffffff}));
    EXPECT_EQ(h->responses[1].status, TIMEOUT);
    EXPECT_TRUE(h->responses[1].dws.empty());
}

TEST_F(RootPort, CplDForIoWriteIsUnexpected) {
    Settings s;
    s.cpl_timeout = 300;
    make({}, s);
    h->ep.reply_policy = [](const Tlp &) { return Reply::Drop; };
    h->io_write(1, 0x3000, 0x1);
    ASSERT_TRUE(h->run_until([&] { return h->ep.io_writes.size() == 1; }, 2000));
    // A CplD (with data) cannot complete a write: dropped, counted.
    h->ep.send_wire({0x4a, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00, 0x04, 0x00, 0x10, 0x00, 0x00, 0x01,
                     0x02, 0x03, 0x04},
                    3);
    ASSERT_TRUE(h->wait_responses(1, 4000));
    EXPECT_EQ(h->top->cnt_unexp_cpl, 1u);
    EXPECT_EQ(h->responses[0].status, TIMEOUT);
}

TEST_F(RootPort, CplDWithByteCountOtherThanFourIsUnexpectedForIoRead) {
    Settings s;
    s.cpl_timeout = 300;
    make({}, s);
    h->ep.reply_policy = [](const Tlp &) { return Reply::Drop; };
    h->io_read(1, 0x3000);
    ASSERT_TRUE(h->run_until([&] { return h->ep.requests.size() == 1; }, 2000));
    // Byte Count 2: I/O completions must carry 4 (PCIe Base Spec 2.2.9).
    h->ep.send_wire({0x4a, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00, 0x02, 0x00, 0x10, 0x00, 0x00, 0x01,
                     0x02, 0x03, 0x04},
                    3);
    ASSERT_TRUE(h->wait_responses(1, 4000));
    EXPECT_EQ(h->top->cnt_unexp_cpl, 1u);
    EXPECT_EQ(h->responses[0].status, TIMEOUT);
}

TEST_F(RootPort, IoWriteThenReadThroughEndpoint) {
    // The endpoint's I/O DW at 0x2000 reads 0x10002000 until written.
    h->io_write(1, 0x2000, 0xaabbccdd, 0x6);
    h->io_read(2, 0x2000);
    ASSERT_TRUE(h->wait_responses(2));
    EXPECT_EQ(h->responses[0].status, SC);
    EXPECT_EQ(h->responses[1].status, SC);
    // Bytes 1 and 2 written (0xcc, 0xbb), bytes 0 and 3 kept.
    EXPECT_EQ(h->responses[1].dws, (std::vector<uint32_t>{0x10bbcc00}));
    ASSERT_EQ(h->ep.io_writes.size(), 1u);
    EXPECT_EQ(h->ep.io_writes[0].first_be, 0x6);
    EXPECT_EQ(h->ep.io_writes[0].last_be, 0x0);
}

TEST_F(RootPort, InvalidIoRequestsGetBadReq) {
    h->submit({IO_RD, 1, 0x100000000ull, 1, 0xf, 0, 0, 0, {}}); // I/O addresses are 32 bits
    h->submit({IO_RD, 2, 0x1000, 2, 0xf, 0xf, 0, 0, {}});       // length must be 1
    h->submit({IO_WR, 3, 0x100000000ull, 1, 0xf, 0, 0, 0, {1}});
    h->submit({HostOp(6), 4, 0x1000, 1, 0xf, 0, 0, 0, {}}); // 6, 7: no such op
    h->submit({HostOp(7), 5, 0x1000, 1, 0xf, 0, 0, 0, {1}});
    h->io_read(6, 0x1000); // the port still works after them
    ASSERT_TRUE(h->wait_responses(6));
    for (unsigned i = 0; i < 5; ++i) {
        EXPECT_EQ(h->responses[i].id, i + 1);
        EXPECT_EQ(h->responses[i].status, BAD_REQ) << i;
    }
    EXPECT_EQ(h->responses[5].status, SC);
    EXPECT_EQ(h->top->cnt_host_bad_req, 5u);
    EXPECT_EQ(h->tx_tlps.size(), 1u);
}

} // namespace
