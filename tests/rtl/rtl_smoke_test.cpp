// The RTL engineer's smoke test of the verilated root port (DATA_W = 128):
// one host read with its completion, a 64-bit address read, a device write
// to host memory, a device read answered with CplD, a completion timeout
// with a late completion, and a malformed TLP. Expected header DWs are
// written by hand from the PCIe field definitions (fmt/type, length, IDs,
// tag, BEs, address), not computed by a codec.
#include "Vrp128.h"

#include <verilated.h>
#if RTL_SMOKE_TRACE
#include <verilated_fst_c.h>
#endif

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace {

constexpr int kLanes = 4;
constexpr uint64_t kHostMemSize = 1 << 20;

using Dws = std::vector<uint32_t>;

struct Beat {
    uint32_t lane[kLanes];
    unsigned keep;
    bool sop;
    bool eop;
};

std::vector<Beat> to_beats(const Dws &dws) {
    std::vector<Beat> beats;
    for (size_t i = 0; i < dws.size(); i += kLanes) {
        Beat b{};
        for (int l = 0; l < kLanes && i + l < dws.size(); ++l) {
            b.lane[l] = dws[i + l];
            b.keep |= 1u << l;
        }
        b.sop = (i == 0);
        b.eop = (i + kLanes >= dws.size());
        beats.push_back(b);
    }
    return beats;
}

class RtlSmoke : public ::testing::Test {
  protected:
    void SetUp() override {
        ctx_ = std::make_unique<VerilatedContext>();
        m_ = std::make_unique<Vrp128>(ctx_.get());
#if RTL_SMOKE_TRACE
        // Debug aid: a waveform per test when the model is built with tracing.
        ctx_->traceEverOn(true);
        trace_ = std::make_unique<VerilatedFstC>();
        m_->trace(trace_.get(), 99);
        trace_->open((std::string("rtl_smoke_") +
                      ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".fst")
                         .c_str());
#endif
        m_->rst_n = 0;
        m_->tx_ready = 1;
        m_->hrsp_ready = 1;
        m_->hmem_rd_ready = 1;
        m_->hmem_wr_ready = 1;
        m_->irq_ready = 1;
        step();
        step();
        m_->rst_n = 1;
    }

#if RTL_SMOKE_TRACE
    void TearDown() override {
        trace_->close();
    }
#endif

    // One clock: sample every handshake before the edge, then clock.
    void step() {
        m_->clk = 0;
        m_->eval();
#if RTL_SMOKE_TRACE
        trace_->dump(2 * cycle_);
#endif
        sample();
        m_->clk = 1;
        m_->eval();
#if RTL_SMOKE_TRACE
        trace_->dump(2 * cycle_ + 1);
#endif
        ++cycle_;
        drive();
    }

    void sample() {
        if (!m_->rst_n)
            return;
        if (m_->tx_valid && m_->tx_ready) {
            if (m_->tx_sop)
                tx_cur_.clear();
            for (int l = 0; l < kLanes; ++l)
                if (m_->tx_keep & (1u << l))
                    tx_cur_.push_back(m_->tx_data[l]);
            if (m_->tx_eop)
                tx_tlps_.push_back(tx_cur_);
        }
        if (m_->rx_valid && m_->rx_ready)
            rx_q_.pop_front();
        if (m_->hrsp_valid && m_->hrsp_ready) {
            if (m_->hrsp_sop)
                rsp_cur_.clear();
            for (int l = 0; l < kLanes; ++l)
                if (m_->hrsp_keep & (1u << l))
                    rsp_cur_.push_back(m_->hrsp_data[l]);
            if (m_->hrsp_eop) {
                rsp_status_.push_back(m_->hrsp_status);
                rsp_data_.push_back(rsp_cur_);
            }
        }
        if (m_->hreq_valid && m_->hreq_ready)
            hreq_pending_ = false;
        if (m_->hmem_rd_valid && m_->hmem_rd_ready)
            queue_host_read(m_->hmem_rd_addr, m_->hmem_rd_len_dw);
        if (m_->hmem_rdata_valid && m_->hmem_rdata_ready)
            rdata_q_.pop_front();
        if (m_->hmem_wr_valid && m_->hmem_wr_ready) {
            if (m_->hmem_wr_sop) {
                wr_addr_ = m_->hmem_wr_addr;
                wr_len_ = m_->hmem_wr_len_dw;
                wr_index_ = 0;
            }
            for (int l = 0; l < kLanes && wr_index_ < wr_len_; ++l, ++wr_index_)
                host_mem_[wr_addr_ + 4 * wr_index_] = m_->hmem_wr_data[l];
            if (m_->hmem_wr_eop)
                wrsp_pending_ = true;
        }
        if (m_->hmem_wrsp_valid && m_->hmem_wrsp_ready)
            wrsp_pending_ = false;
    }

    void drive() {
        m_->hreq_valid = hreq_pending_;
        m_->rx_valid = !rx_q_.empty();
        if (!rx_q_.empty()) {
            const Beat &b = rx_q_.front();
            for (int l = 0; l < kLanes; ++l)
                m_->rx_data[l] = b.lane[l];
            m_->rx_keep = b.keep;
            m_->rx_sop = b.sop;
            m_->rx_eop = b.eop;
        }
        m_->hmem_rdata_valid = !rdata_q_.empty();
        if (!rdata_q_.empty()) {
            const Beat &b = rdata_q_.front();
            for (int l = 0; l < kLanes; ++l)
                m_->hmem_rdata[l] = b.lane[l];
            m_->hmem_rdata_last = b.eop;
            m_->hmem_rdata_err = b.sop; // sop marks an error answer here
        }
        m_->hmem_wrsp_valid = wrsp_pending_;
        m_->hmem_wrsp_err = 0;
    }

    void queue_host_read(uint64_t addr, unsigned len) {
        if (addr + 4ull * len > kHostMemSize) {
            rdata_q_.push_back(Beat{{}, 0, true, true});
            return;
        }
        Dws dws;
        for (unsigned i = 0; i < len; ++i)
            dws.push_back(host_mem_[addr + 4 * i]);
        for (Beat b : to_beats(dws)) {
            b.sop = false;
            rdata_q_.push_back(b);
        }
    }

    void host_read(uint64_t addr, unsigned len, uint8_t fbe, uint8_t lbe) {
        m_->hreq_op = 0;
        m_->hreq_id = 7;
        m_->hreq_addr = addr;
        m_->hreq_len_dw = len;
        m_->hreq_first_be = fbe;
        m_->hreq_last_be = lbe;
        hreq_pending_ = true;
        m_->hreq_valid = 1;
    }

    void send_rx(const Dws &tlp) {
        for (const Beat &b : to_beats(tlp))
            rx_q_.push_back(b);
        drive();
    }

    // Clocks until cond() holds; fails after max cycles instead of hanging.
    template <class F> bool run_until(F cond, int max = 2000) {
        for (int i = 0; i < max; ++i) {
            if (cond())
                return true;
            step();
        }
        return cond();
    }

    std::unique_ptr<VerilatedContext> ctx_;
    std::unique_ptr<Vrp128> m_;
#if RTL_SMOKE_TRACE
    std::unique_ptr<VerilatedFstC> trace_;
#endif
    uint64_t cycle_ = 0;
    bool hreq_pending_ = false;
    Dws tx_cur_;
    std::vector<Dws> tx_tlps_;
    std::deque<Beat> rx_q_;
    Dws rsp_cur_;
    std::vector<int> rsp_status_;
    std::vector<Dws> rsp_data_;
    std::deque<Beat> rdata_q_;
    std::map<uint64_t, uint32_t> host_mem_;
    uint64_t wr_addr_ = 0;
    unsigned wr_len_ = 0;
    unsigned wr_index_ = 0;
    bool wrsp_pending_ = false;
};

TEST_F(RtlSmoke, HostMemRdBuildsTlpAndCplDReturnsData) {
    host_read(0x10000010, 2, 0xf, 0xf);
    ASSERT_TRUE(run_until([&] { return tx_tlps_.size() == 1; }));
    // MemRd 3 DW: fmt 000 type 00000 length 2; requester 00:00.0, tag 0,
    // last BE f, first BE f; address 0x10000010.
    EXPECT_EQ(tx_tlps_[0], (Dws{0x00000002, 0x000000ff, 0x10000010}));
    EXPECT_EQ(m_->tags_in_use, 1u);

    // CplD: fmt 010 type 01010 length 2; completer 01:00.0, SC, byte count 8;
    // requester 00:00.0, tag 0, lower address 0x10.
    send_rx({0x4a000002, 0x01000008, 0x00000010, 0xdeadbeef, 0x01234567});
    ASSERT_TRUE(run_until([&] { return rsp_data_.size() == 1; }));
    EXPECT_EQ(rsp_status_[0], 0);
    EXPECT_EQ(rsp_data_[0], (Dws{0xdeadbeef, 0x01234567}));
    EXPECT_TRUE(run_until([&] { return m_->idle; }));
    EXPECT_EQ(m_->cnt_unexp_cpl, 0u);
    EXPECT_EQ(m_->cnt_malformed, 0u);
}

TEST_F(RtlSmoke, HostReadAbove4GiBUses4DwHeader) {
    host_read(0x123456780ull, 1, 0x3, 0x0);
    ASSERT_TRUE(run_until([&] { return tx_tlps_.size() == 1; }));
    // fmt 001: 4 DW header, address high DW first; last BE 0 for 1 DW.
    EXPECT_EQ(tx_tlps_[0], (Dws{0x20000001, 0x00000003, 0x00000001, 0x23456780}));
}

TEST_F(RtlSmoke, NonContiguousByteEnablesAreABadRequest) {
    // 3 DW with first BE 0101: bytes not contiguous, forbidden above 2 DW.
    host_read(0x2000, 3, 0x5, 0xf);
    ASSERT_TRUE(run_until([&] { return rsp_data_.size() == 1; }));
    EXPECT_EQ(rsp_status_[0], 5); // BAD_REQ
    EXPECT_TRUE(rsp_data_[0].empty());
    EXPECT_TRUE(tx_tlps_.empty());
    EXPECT_EQ(m_->cnt_host_bad_req, 1u);
    // 2 DW, QW aligned: 0101 / 1010 are allowed and go out as they are.
    host_read(0x2008, 2, 0x5, 0xa);
    ASSERT_TRUE(run_until([&] { return tx_tlps_.size() == 1; }));
    EXPECT_EQ(tx_tlps_[0], (Dws{0x00000002, 0x000000a5, 0x00002008})); // tag 0: none was used
}

TEST_F(RtlSmoke, DeviceMemWrReachesHostMemory) {
    // MemWr: fmt 010 type 00000 length 2; requester 01:00.0, BEs ff;
    // address 0x2000; payload two DWs.
    send_rx({0x40000002, 0x010000ff, 0x00002000, 0x11223344, 0x55667788});
    ASSERT_TRUE(run_until([&] { return host_mem_.size() == 2 && m_->idle; }));
    EXPECT_EQ(host_mem_[0x2000], 0x11223344u);
    EXPECT_EQ(host_mem_[0x2004], 0x55667788u);
    EXPECT_EQ(m_->cnt_malformed, 0u);
    EXPECT_EQ(m_->cnt_unsup_req, 0u);
}

TEST_F(RtlSmoke, DeviceMemRdGetsCplDFromHostMemory) {
    host_mem_[0x3000] = 0xa0a1a2a3;
    host_mem_[0x3004] = 0xb0b1b2b3;
    host_mem_[0x3008] = 0xc0c1c2c3;
    // MemRd: length 3; requester 01:00.0, tag 5, BEs ff; address 0x3000.
    send_rx({0x00000003, 0x010005ff, 0x00003000});
    ASSERT_TRUE(run_until([&] { return tx_tlps_.size() == 1; }));
    // CplD: length 3; completer 00:00.0, SC, byte count 12; requester
    // 01:00.0, tag 5, lower address 0.
    EXPECT_EQ(tx_tlps_[0],
              (Dws{0x4a000003, 0x0000000c, 0x01000500, 0xa0a1a2a3, 0xb0b1b2b3, 0xc0c1c2c3}));
}

TEST_F(RtlSmoke, CplDCopiesTcAndAttributes) {
    host_mem_[0x3000] = 0x0badf00d;
    // MemRd: TC 5 (DW0[22:20]), IDO (DW0[18]), No Snoop (DW0[12]), length 1;
    // requester 01:00.0, tag 6, first BE f; address 0x3000.
    send_rx({0x00541001, 0x0100060f, 0x00003000});
    ASSERT_TRUE(run_until([&] { return tx_tlps_.size() == 1; }));
    // CplD with the same TC and attributes, length 1, byte count 4.
    EXPECT_EQ(tx_tlps_[0], (Dws{0x4a541001, 0x00000004, 0x01000600, 0x0badf00d}));
}

TEST_F(RtlSmoke, DeviceMemRdOutsideHostMemoryGetsUr) {
    // MemRd: length 1, tag 9, first BE f, address 0xfff00000 (outside 1 MiB).
    send_rx({0x00000001, 0x0100090f, 0xfff00000});
    ASSERT_TRUE(run_until([&] { return tx_tlps_.size() == 1; }));
    // Cpl (no data): status UR (001), byte count 4; tag 9, lower address 0.
    EXPECT_EQ(tx_tlps_[0], (Dws{0x0a000000, 0x00002004, 0x01000900}));
    EXPECT_EQ(m_->cnt_unsup_req, 1u);
}

TEST_F(RtlSmoke, TimeoutThenLateCompletionIsCounted) {
    m_->cfg_we = 1;
    m_->cfg_cpl_timeout = 100;
    m_->cfg_mrrs = 2;
    m_->cfg_msi_base = 0xfee00000;
    m_->cfg_msi_limit = 0xfeefffff;
    step();
    m_->cfg_we = 0;
    host_read(0x1000, 1, 0xf, 0);
    ASSERT_TRUE(run_until([&] { return rsp_data_.size() == 1; }, 500));
    EXPECT_EQ(rsp_status_[0], 3); // TIMEOUT
    EXPECT_EQ(rsp_data_[0], (Dws{0xffffffff}));
    EXPECT_EQ(m_->tags_in_use, 0u);
    send_rx({0x4a000001, 0x01000004, 0x00000000, 0x12345678});
    ASSERT_TRUE(run_until([&] { return m_->cnt_late_cpl == 1; }));
    EXPECT_EQ(m_->cnt_unexp_cpl, 0u);
}

TEST_F(RtlSmoke, LengthFieldDisagreeingWithPayloadIsMalformed) {
    // MemWr that says 2 DW but carries 1.
    send_rx({0x40000002, 0x010000ff, 0x00002000, 0x11223344});
    ASSERT_TRUE(run_until([&] { return m_->cnt_malformed == 1; }));
    EXPECT_TRUE(run_until([&] { return m_->idle; }));
    EXPECT_TRUE(host_mem_.empty());
}

} // namespace

namespace {

TEST_F(RtlSmoke, BadTypesAndStrayBeatAreMalformed) {
    send_rx({0x2a000000, 0x01000000, 0x00000000, 0x00000000}); // fmt 001 with Cpl type
    send_rx({0x06000001, 0x0100000f, 0x00001000});             // reserved type 00110
    rx_q_.push_back(Beat{{0x12345678}, 0x1, false, true});     // no sop, nothing open
    drive();
    // idle also means every counter is up to date
    ASSERT_TRUE(run_until([&] { return rx_q_.empty() && m_->idle; }));
    EXPECT_EQ(m_->cnt_malformed, 3u);
}

} // namespace

namespace {

// Every output of the root port is a function of its registers (README):
// changing any input between clock edges must not move any output.
class RtlSmokeComb : public RtlSmoke {
  protected:
    std::vector<uint64_t> outputs() const {
        const Vrp128 &m = *m_;
        std::vector<uint64_t> v{m.hreq_ready,
                                m.hwd_ready,
                                m.hrsp_valid,
                                m.hrsp_id,
                                m.hrsp_status,
                                m.hrsp_keep,
                                m.hrsp_sop,
                                m.hrsp_eop,
                                m.tx_valid,
                                m.tx_keep,
                                m.tx_sop,
                                m.tx_eop,
                                m.rx_ready,
                                m.hmem_rd_valid,
                                m.hmem_rd_addr,
                                m.hmem_rd_len_dw,
                                m.hmem_rdata_ready,
                                m.hmem_wr_valid,
                                m.hmem_wr_addr,
                                m.hmem_wr_len_dw,
                                m.hmem_wr_first_be,
                                m.hmem_wr_last_be,
                                m.hmem_wr_sop,
                                m.hmem_wr_eop,
                                m.hmem_wrsp_ready,
                                m.irq_valid,
                                m.irq_addr,
                                m.irq_data,
                                m.intx,
                                m.cnt_malformed,
                                m.cnt_unexp_cpl,
                                m.cnt_late_cpl,
                                m.cnt_unsup_req,
                                m.cnt_poisoned_req,
                                m.cnt_host_bad_req,
                                m.tags_in_use,
                                m.idle};
        for (int l = 0; l < kLanes; ++l) {
            v.push_back(m.hrsp_data[l]);
            v.push_back(m.tx_data[l]);
            v.push_back(m.hmem_wr_data[l]);
        }
        return v;
    }

    void scramble_inputs(uint32_t seed) {
        std::mt19937 rng(seed);
        auto r = [&rng] { return uint32_t(rng()); };
        Vrp128 &m = *m_;
        m.rst_n = r() & 1;
        m.cfg_we = r() & 1;
        m.cfg_mps = r() & 7;
        m.cfg_mrrs = r() & 7;
        m.cfg_rcb = r() & 1;
        m.cfg_cpl_timeout = r();
        m.cfg_rp_id = r() & 0xffff;
        m.cfg_msi_base = r();
        m.cfg_msi_limit = r();
        m.hreq_valid = r() & 1;
        m.hreq_op = r() & 3;
        m.hreq_id = r() & 0xff;
        m.hreq_addr = uint64_t(r()) << 32 | r();
        m.hreq_len_dw = r() & 0x7ff;
        m.hreq_first_be = r() & 0xf;
        m.hreq_last_be = r() & 0xf;
        m.hreq_cfg_bdf = r() & 0xffff;
        m.hreq_cfg_reg = r() & 0x3ff;
        m.hwd_valid = r() & 1;
        m.hrsp_ready = r() & 1;
        m.tx_ready = r() & 1;
        m.rx_valid = r() & 1;
        m.rx_keep = r() & 0xf;
        m.rx_sop = r() & 1;
        m.rx_eop = r() & 1;
        m.hmem_rd_ready = r() & 1;
        m.hmem_rdata_valid = r() & 1;
        m.hmem_rdata_last = r() & 1;
        m.hmem_rdata_err = r() & 1;
        m.hmem_wr_ready = r() & 1;
        m.hmem_wrsp_valid = r() & 1;
        m.hmem_wrsp_err = r() & 1;
        m.irq_ready = r() & 1;
        m.ann_msg_dir = r() & 3;
        m.ann_decision = r();
        for (int l = 0; l < kLanes; ++l) {
            m.hwd_data[l] = r();
            m.rx_data[l] = r();
            m.hmem_rdata[l] = r();
        }
    }

    void restore_inputs() {
        m_->rst_n = 1;
        m_->cfg_we = 0;
        m_->tx_ready = 1;
        m_->hrsp_ready = 1;
        m_->hmem_rd_ready = 1;
        m_->hmem_wr_ready = 1;
        m_->irq_ready = 1;
        m_->hwd_valid = 0;
        m_->hreq_op = 0;
        m_->hreq_id = 7;
        m_->hreq_addr = req_addr_;
        m_->hreq_len_dw = 24;
        m_->hreq_first_be = 0xf;
        m_->hreq_last_be = 0xf;
        drive();
        m_->eval();
    }

    uint64_t req_addr_ = 0x4000;
};

TEST_F(RtlSmokeComb, NoInputReachesAnOutputBetweenEdges) {
    host_read(req_addr_, 24, 0xf, 0xf);
    Dws wr{0x40000010, 0x010000ff, 0x00002000};
    for (uint32_t i = 0; i < 16; ++i)
        wr.push_back(i);
    send_rx(wr);
    send_rx({0x00000010, 0x010003ff, 0x00003000}); // device read, 16 DW
    int checked = 0;
    bool answered = false;
    for (int c = 0; c < 300; ++c) {
        step();
        // answer the host read (MemRd, 24 DW, within MPS) once it went out
        for (const Dws &t : tx_tlps_) {
            if (!answered && t.size() == 3 && t[0] == 0x00000018) {
                Dws cpl{0x4a000018, 0x01000060, 0x00000000};
                for (uint32_t i = 0; i < 24; ++i)
                    cpl.push_back(0x1000 + i);
                send_rx(cpl);
                answered = true;
            }
        }
        const std::vector<uint64_t> before = outputs();
        for (uint32_t s = 1; s <= 4; ++s) {
            scramble_inputs(uint32_t(c) * 977u + s);
            m_->eval();
            ASSERT_EQ(outputs(), before) << "cycle " << c << " scramble " << s;
        }
        restore_inputs();
        ASSERT_EQ(outputs(), before);
        ++checked;
    }
    EXPECT_EQ(checked, 300);
    // the traffic really ran: the write landed and the read was answered
    EXPECT_EQ(host_mem_[0x2000 + 4 * 15], 15u);
    ASSERT_EQ(rsp_data_.size(), 1u);
    EXPECT_EQ(rsp_data_[0][23], 0x1000u + 23);
    EXPECT_EQ(m_->cnt_malformed, 0u);
}

} // namespace

namespace {

// Robustness: 400 random, mostly broken TLPs (random fmt/type, lengths that
// disagree, missing sop/eop, sop in the middle, random keep) must leave the
// root port drained and working: no hang, and a host read still completes.
TEST_F(RtlSmoke, GarbageOnReceivePortNeverWedgesTheRootPort) {
    std::mt19937 rng(4242);
    static const uint32_t kDw0[] = {0x00000000, 0x20000000, 0x40000000, 0x60000000,
                                    0x0a000000, 0x4a000000, 0x34000000, 0x30000000,
                                    0x04000000, 0x44000000, 0x02000000, 0x4c000000};
    for (int t = 0; t < 400; ++t) {
        Dws tlp;
        unsigned n = 1 + rng() % 12;
        if (rng() % 8 == 0)
            n = 1 + rng() % 300;
        uint32_t dw0 = kDw0[rng() % 12] | (rng() % 4 == 0 ? (rng() & 0x00fffbff) : 0);
        dw0 |= (rng() % 2) ? n - 3 : rng() & 0x3ff; // length right or wrong
        tlp.push_back(dw0);
        for (unsigned i = 1; i < n; ++i)
            tlp.push_back(rng() % 3 ? uint32_t(rng()) : 0x00000000);
        std::vector<Beat> beats = to_beats(tlp);
        for (Beat &b : beats) {
            if (rng() % 20 == 0)
                b.sop = !b.sop;
            if (rng() % 20 == 0)
                b.eop = !b.eop;
            if (b.eop && rng() % 10 == 0)
                b.keep = (1u << (1 + rng() % kLanes)) - 1;
            rx_q_.push_back(b);
        }
    }
    // a last 1-DW TLP with sop and eop closes whatever is still open
    rx_q_.push_back(Beat{{0x06000000}, 0x1, true, true});
    drive();
    ASSERT_TRUE(run_until([&] { return rx_q_.empty() && m_->idle && !wrsp_pending_; }, 200000))
        << "receive path wedged";
    std::printf("garbage: malformed %u unexp %u late %u unsup %u poisoned %u\n", m_->cnt_malformed,
                m_->cnt_unexp_cpl, m_->cnt_late_cpl, m_->cnt_unsup_req, m_->cnt_poisoned_req);
    EXPECT_GT(m_->cnt_malformed, 100u);
    EXPECT_EQ(m_->tags_in_use, 0u);
    // whatever it did with the garbage, the root port still serves the host
    const size_t before = rsp_data_.size();
    const size_t tx_before = tx_tlps_.size();
    host_read(0x10000020, 1, 0xf, 0);
    ASSERT_TRUE(run_until([&] { return tx_tlps_.size() == tx_before + 1; }));
    const uint32_t tag = (tx_tlps_.back()[1] >> 8) & 0xff;
    send_rx({0x4a000001, 0x01000004, (tag << 8) | 0x20, 0x600dcafe});
    ASSERT_TRUE(run_until([&] { return rsp_data_.size() == before + 1; }));
    EXPECT_EQ(rsp_status_.back(), 0);
    EXPECT_EQ(rsp_data_.back(), (Dws{0x600dcafe}));
    EXPECT_TRUE(run_until([&] { return m_->idle; }));
    EXPECT_EQ(m_->tags_in_use, 0u);
}

} // namespace

namespace {

// The completion timeout must fire even while completions keep the
// completion tracker busy without a pause (here: a flood of completions
// for a tag we never used, each counted unexpected).
TEST_F(RtlSmoke, TimeoutFiresDuringACompletionFlood) {
    m_->cfg_we = 1;
    m_->cfg_cpl_timeout = 100;
    m_->cfg_mrrs = 2;
    m_->cfg_msi_base = 0xfee00000;
    m_->cfg_msi_limit = 0xfeefffff;
    step();
    m_->cfg_we = 0;
    host_read(0x1000, 1, 0xf, 0);
    ASSERT_TRUE(run_until([&] { return tx_tlps_.size() == 1; }));
    // CplD to 00:00.0, tag 0x77 (never used: NUM_TAGS is 32), 1 DW.
    for (int i = 0; i < 1000; ++i)
        send_rx({0x4a000001, 0x01000004, 0x00007700, uint32_t(i)});
    ASSERT_TRUE(run_until([&] { return rsp_data_.size() == 1; }, 5000));
    EXPECT_EQ(rsp_status_[0], 3); // TIMEOUT
    EXPECT_FALSE(rx_q_.empty()) << "the timeout came only after the flood ended";
    ASSERT_TRUE(run_until([&] { return rx_q_.empty() && m_->idle; }, 20000));
    EXPECT_EQ(m_->cnt_unexp_cpl, 1000u);
}

} // namespace
