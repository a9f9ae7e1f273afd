// The RTL engineer's randomized datapath test of the verilated root port:
// random host reads and writes (any length 1..1024 DW, any address, any
// legal BEs) and random device DMA reads and writes, with random valid gaps
// and ready back-pressure on every port, under several MPS/MRRS/RCB
// settings. The device side here is a small model written from the spec's
// rules (completions split at RCB boundaries, in random order across tags);
// expected data comes from a fixed address pattern and a shadow copy of
// host memory, never from the RTL. Built once per data width
// (RTL_STRESS_W = 64, 128, 256 or 512).
#if RTL_STRESS_W == 64
#include "Vrp64.h"
using Model = Vrp64;
constexpr int kLanes = 2;
#elif RTL_STRESS_W == 256
#include "Vrp256.h"
using Model = Vrp256;
constexpr int kLanes = 8;
#elif RTL_STRESS_W == 512
#include "Vrp512.h"
using Model = Vrp512;
constexpr int kLanes = 16;
#else
#include "Vrp128.h"
using Model = Vrp128;
constexpr int kLanes = 4;
#endif

#include <verilated.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <iterator>
#include <map>
#include <memory>
#include <random>
#include <vector>

namespace {

using Dws = std::vector<uint32_t>;

[[maybe_unused]] uint32_t get_lane(const QData &q, int i) {
    return uint32_t(q >> (32 * i));
}
[[maybe_unused]] void set_lane(QData &q, int i, uint32_t v) {
    q &= ~(uint64_t(0xffffffff) << (32 * i));
    q |= uint64_t(v) << (32 * i);
}
template <std::size_t N> uint32_t get_lane(const VlWide<N> &w, int i) {
    return w[i];
}
template <std::size_t N> void set_lane(VlWide<N> &w, int i, uint32_t v) {
    w[i] = v;
}

constexpr uint64_t kHostMem = 1 << 20;
constexpr uint16_t kDevId = 0x0100;

// What the device returns for a host read of the DW at addr.
uint32_t pattern(uint64_t addr) {
    return uint32_t(addr * 0x9e3779b1u) ^ uint32_t(addr >> 32) ^ 0x5bd1e995u;
}

// Byte count of a request as the spec defines it (first to last enabled
// byte; a 1-DW request with no BE counts 1).
unsigned byte_count(unsigned len, unsigned fbe, unsigned lbe) {
    auto low = [](unsigned be) {
        for (unsigned i = 0; i < 4; ++i)
            if (be & (1u << i))
                return i;
        return 0u;
    };
    auto high = [](unsigned be) {
        for (int i = 3; i >= 0; --i)
            if (be & (1u << i))
                return unsigned(i) + 1;
        return 0u;
    };
    if (len == 1)
        return fbe ? high(fbe) - low(fbe) : 1;
    return (len - 1) * 4 + high(lbe) - low(fbe);
}
unsigned first_offset(unsigned fbe) {
    for (unsigned i = 0; i < 4; ++i)
        if (fbe & (1u << i))
            return i;
    return 0;
}

struct Beat {
    uint32_t lane[kLanes];
    unsigned keep;
    bool sop;
    bool eop;
    bool err;
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

struct HostReq {
    int op; // 0 read, 1 write
    uint8_t id;
    uint64_t addr;
    unsigned len;
    unsigned fbe;
    unsigned lbe;
};

struct Settings {
    unsigned mps_enc, mrrs_enc, rcb128;
    unsigned mps() const { return 128u << mps_enc; }
    unsigned mrrs() const { return 128u << mrrs_enc; }
    unsigned rcb() const { return rcb128 ? 128 : 64; }
};

// A valid/ready source that keeps valid up once raised (handshake rule).
struct Gate {
    bool on = false;
    bool decide(bool have, std::mt19937 &rng, unsigned pct) {
        if (!have)
            on = false;
        else if (!on)
            on = (rng() % 100) < pct;
        return on;
    }
};

class RtlStress : public ::testing::TestWithParam<std::tuple<unsigned, unsigned, unsigned>> {
  protected:
    void SetUp() override {
        auto [mps, mrrs, rcb] = GetParam();
        set_ = Settings{mps, mrrs, rcb};
        rng_.seed(1000 + mps * 100 + mrrs * 10 + rcb);
        ctx_ = std::make_unique<VerilatedContext>();
        m_ = std::make_unique<Model>(ctx_.get());
        m_->rst_n = 0;
        clock();
        clock();
        m_->rst_n = 1;
        m_->cfg_we = 1;
        m_->cfg_mps = set_.mps_enc;
        m_->cfg_mrrs = set_.mrrs_enc;
        m_->cfg_rcb = set_.rcb128;
        m_->cfg_cpl_timeout = 0; // the device model may be slow on purpose
        m_->cfg_rp_id = 0;
        m_->cfg_msi_base = 0xfee00000;
        m_->cfg_msi_limit = 0xfeefffff;
        clock();
        m_->cfg_we = 0;
        host_mem_.assign(kHostMem, 0);
        for (uint64_t i = 0; i < kHostMem; ++i)
            host_mem_[i] = uint8_t(i * 7 + 3);
        shadow_ = host_mem_;
    }

    void clock() {
        m_->clk = 0;
        m_->eval();
        m_->clk = 1;
        m_->eval();
    }

    // ---------------------------------------------------------- host side
    void host_request(const HostReq &r) {
        hreq_q_.push_back(r);
        if (r.op == 1) {
            Dws d;
            for (unsigned i = 0; i < r.len; ++i)
                d.push_back(pattern(r.addr + 4 * i) ^ 0xa5a5a5a5u);
            for (const Beat &b : to_beats(d))
                hwd_q_.push_back(b);
            for (unsigned i = 0; i < r.len; ++i) {
                unsigned be = 0xf;
                if (i == 0)
                    be = r.fbe;
                else if (i == r.len - 1)
                    be = r.lbe;
                for (unsigned k = 0; k < 4; ++k)
                    if (be & (1u << k))
                        dev_expect_[r.addr + 4 * i + k] = uint8_t(d[i] >> (8 * k));
            }
        } else {
            expect_rsp_.push_back(r);
            ++reads_;
        }
    }

    HostReq random_host_req(uint8_t id) {
        HostReq r{};
        r.op = int(rng_() % 2);
        r.id = id;
        r.len = (rng_() % 4 == 0) ? 1 + rng_() % 1024 : 1 + rng_() % 40;
        r.addr = (rng_() % 2 ? 0x1'0000'0000ull : 0) + 4 * (rng_() % 0x10000) + 0x7f000;
        // any BEs for 1 DW and QW-aligned 2 DW; contiguous ones otherwise (spec)
        static const unsigned kFirst[] = {0xf, 0xe, 0xc, 0x8}, kLast[] = {0xf, 0x7, 0x3, 0x1};
        r.fbe = 1 + rng_() % 15;
        r.lbe = (r.len == 1) ? 0 : 1 + rng_() % 15;
        if (r.len > 2 || (r.len == 2 && (r.addr & 4))) {
            r.fbe = kFirst[rng_() % 4];
            r.lbe = kLast[rng_() % 4];
        }
        return r;
    }

    // -------------------------------------------------------- device model
    void on_tx_tlp(const Dws &t) {
        const unsigned fmt = t[0] >> 29, type = (t[0] >> 24) & 0x1f;
        const unsigned len = (t[0] & 0x3ff) ? (t[0] & 0x3ff) : 1024;
        const bool four = fmt & 1;
        const uint64_t addr = four ? (uint64_t(t[2]) << 32 | (t[3] & ~3u)) : (t[2] & ~3u);
        const unsigned fbe = t[1] & 0xf, lbe = (t[1] >> 4) & 0xf;
        const unsigned tag = (t[1] >> 8) & 0xff;
        ASSERT_EQ(t[1] >> 16, 0u) << "requester/completer ID must be 00:00.0";
        if (type == 0 && (fmt & 2)) { // MemWr from the host
            ASSERT_EQ(t.size(), (four ? 4u : 3u) + len);
            EXPECT_LE(len * 4, set_.mps());
            EXPECT_LE((addr & 0xfff) + 4 * len, 0x1000u) << "crosses 4 KiB";
            EXPECT_EQ(four, addr >= 0x100000000ull);
            if (len == 1) {
                EXPECT_EQ(lbe, 0u);
            }
            for (unsigned i = 0; i < len; ++i) {
                unsigned be = (i == 0) ? fbe : (i == len - 1) ? lbe : 0xf;
                if (i > 0 && i < len - 1) {
                    EXPECT_EQ(be, 0xfu);
                }
                for (unsigned k = 0; k < 4; ++k)
                    if (be & (1u << k))
                        dev_mem_[addr + 4 * i + k] = uint8_t(t[(four ? 4 : 3) + i] >> (8 * k));
            }
            return;
        }
        if (type == 0) { // MemRd from the host: answer in RCB-aligned pieces
            ASSERT_EQ(t.size(), four ? 4u : 3u);
            EXPECT_LE(len * 4, set_.mrrs());
            EXPECT_LE((addr & 0xfff) + 4 * len, 0x1000u) << "crosses 4 KiB";
            EXPECT_EQ(four, addr >= 0x100000000ull);
            unsigned bytes = byte_count(len, fbe, len == 1 ? 0 : lbe);
            uint64_t dw = addr / 4;
            unsigned left = len;
            bool first = true;
            while (left) {
                // next RCB boundary, or one further, or all at random; never
                // over MPS, and a cut always on an RCB boundary
                const unsigned rcb_dw = set_.rcb() / 4, mps_dw = set_.mps() / 4;
                unsigned n = rcb_dw - unsigned(dw % rcb_dw);
                if (rng_() % 2)
                    n += rcb_dw;
                if (rng_() % 4 == 0)
                    n = left;
                n = std::min(n, left);
                if (n > mps_dw)
                    n = unsigned((dw + mps_dw) / rcb_dw * rcb_dw - dw);
                unsigned la = unsigned(dw * 4) & 0x7f;
                if (first)
                    la |= first_offset(fbe);
                Dws c{0x4a000000u | (n & 0x3ff), (uint32_t(kDevId) << 16) | (bytes & 0xfff),
                      (tag << 8) | la};
                for (unsigned i = 0; i < n; ++i)
                    c.push_back(pattern((dw + i) * 4));
                cpl_by_tag_[tag].push_back(c);
                bytes -= first ? n * 4 - first_offset(fbe) : n * 4;
                dw += n;
                left -= n;
                first = false;
            }
            return;
        }
        if (type == 0x0a) { // completion for a device DMA read
            dma_cpls_[(t[2] >> 8) & 0xff].push_back(t);
            return;
        }
        ADD_FAILURE() << "unexpected TLP DW0 " << std::hex << t[0];
    }

    // A device DMA request; the shadow copy says what host memory must hold.
    void device_dma(bool write) {
        unsigned max_dw = (write ? set_.mps() : set_.mrrs()) / 4;
        unsigned len = 1 + rng_() % max_dw;
        uint64_t addr = 4 * (rng_() % (kHostMem / 4));
        if ((addr & 0xfff) + 4 * len > 0x1000)
            addr &= ~uint64_t(0xfff);
        if (addr + 4 * len > kHostMem)
            addr -= 0x1000;
        unsigned fbe = 1 + rng_() % 15, lbe = (len == 1) ? 0 : 1 + rng_() % 15;
        uint8_t tag = dma_tag_++;
        Dws t{(write ? 0x40000000u : 0u) | (len & 0x3ff),
              (uint32_t(kDevId) << 16) | (uint32_t(tag) << 8) | (lbe << 4) | fbe, uint32_t(addr)};
        if (write) {
            for (unsigned i = 0; i < len; ++i) {
                uint32_t v = uint32_t(rng_());
                t.push_back(v);
                unsigned be = (i == 0) ? fbe : (i == len - 1) ? lbe : 0xf;
                for (unsigned k = 0; k < 4; ++k)
                    if (be & (1u << k))
                        shadow_[addr + 4 * i + k] = uint8_t(v >> (8 * k));
            }
        } else {
            DmaRead r{addr, len, fbe, lbe, {}};
            for (unsigned i = 0; i < len; ++i) {
                uint32_t v = 0;
                for (unsigned k = 0; k < 4; ++k)
                    v |= uint32_t(shadow_[addr + 4 * i + k]) << (8 * k);
                r.data.push_back(v);
            }
            dma_reads_[tag] = r;
        }
        for (const Beat &b : to_beats(t))
            rx_q_.push_back(b);
    }

    void check_dma_read(uint8_t tag) {
        const DmaRead &r = dma_reads_[tag];
        const auto &cpls = dma_cpls_[tag];
        ASSERT_FALSE(cpls.empty()) << "no completion for DMA tag " << int(tag);
        Dws data;
        unsigned bytes = byte_count(r.len, r.fbe, r.lbe);
        uint64_t next = r.addr + first_offset(r.fbe);
        for (size_t i = 0; i < cpls.size(); ++i) {
            const Dws &c = cpls[i];
            unsigned n = (c[0] & 0x3ff) ? (c[0] & 0x3ff) : 1024;
            EXPECT_EQ(c[0] & 0xfffffc00u, 0x4a000000u);
            EXPECT_EQ(c[1], bytes & 0xfff) << "completer 0, SC, byte count";
            EXPECT_EQ(c[2], (uint32_t(kDevId) << 16) | (uint32_t(tag) << 8) | (next & 0x7f));
            EXPECT_LE(n * 4, set_.mps());
            ASSERT_EQ(c.size(), 3 + n);
            uint64_t end = (next & ~3ull) + 4 * n;
            if (i + 1 < cpls.size()) {
                EXPECT_EQ(end % set_.rcb(), 0u) << "a CplD but the last ends at an RCB boundary";
            }
            data.insert(data.end(), c.begin() + 3, c.end());
            bytes -= unsigned(end - next);
            next = end;
        }
        EXPECT_EQ(data, r.data);
    }

    // ----------------------------------------------------------- one cycle
    void step() {
        // inputs
        m_->hreq_valid = g_hreq_.decide(!hreq_q_.empty(), rng_, 50);
        if (!hreq_q_.empty()) {
            const HostReq &r = hreq_q_.front();
            m_->hreq_op = r.op;
            m_->hreq_id = r.id;
            m_->hreq_addr = r.addr;
            m_->hreq_len_dw = r.len;
            m_->hreq_first_be = r.fbe;
            m_->hreq_last_be = r.lbe;
        }
        drive_beat(g_hwd_, hwd_q_, m_->hwd_valid, m_->hwd_data, nullptr, 70);
        m_->rx_valid = g_rx_.decide(!rx_q_.empty(), rng_, 70);
        if (!rx_q_.empty()) {
            const Beat &b = rx_q_.front();
            for (int l = 0; l < kLanes; ++l)
                set_lane(m_->rx_data, l, b.lane[l]);
            m_->rx_keep = b.keep;
            m_->rx_sop = b.sop;
            m_->rx_eop = b.eop;
        }
        m_->hmem_rdata_valid = g_rdata_.decide(!rdata_q_.empty(), rng_, 70);
        if (!rdata_q_.empty()) {
            const Beat &b = rdata_q_.front();
            for (int l = 0; l < kLanes; ++l)
                set_lane(m_->hmem_rdata, l, b.lane[l]);
            m_->hmem_rdata_last = b.eop;
            m_->hmem_rdata_err = b.err;
        }
        m_->hmem_wrsp_valid = g_wrsp_.decide(wrsp_pending_ > 0, rng_, 60);
        m_->hmem_wrsp_err = 0;
        m_->tx_ready = (rng_() % 100) < 70;
        m_->hrsp_ready = (rng_() % 100) < 70;
        m_->hmem_rd_ready = (rng_() % 100) < 70;
        m_->hmem_wr_ready = (rng_() % 100) < 70;
        m_->irq_ready = 1;
        m_->clk = 0;
        m_->eval();
        sample();
        m_->clk = 1;
        m_->eval();
        ++cycle_;
        // device: release a completion, tags in random order
        if (!cpl_by_tag_.empty() && rx_q_.size() < 8 && rng_() % 3 == 0) {
            auto it = cpl_by_tag_.begin();
            std::advance(it, rng_() % cpl_by_tag_.size());
            for (const Beat &b : to_beats(it->second.front()))
                rx_q_.push_back(b);
            it->second.pop_front();
            if (it->second.empty())
                cpl_by_tag_.erase(it);
        }
    }

    template <class T>
    void drive_beat(Gate &g, std::deque<Beat> &q, CData &valid, T &data, CData *last,
                    unsigned pct) {
        valid = g.decide(!q.empty(), rng_, pct);
        if (q.empty())
            return;
        for (int l = 0; l < kLanes; ++l)
            set_lane(data, l, q.front().lane[l]);
        if (last)
            *last = q.front().eop;
    }

    void sample() {
        if (m_->hreq_valid && m_->hreq_ready)
            hreq_q_.pop_front();
        if (m_->hwd_valid && m_->hwd_ready)
            hwd_q_.pop_front();
        if (m_->rx_valid && m_->rx_ready)
            rx_q_.pop_front();
        if (m_->hmem_rdata_valid && m_->hmem_rdata_ready)
            rdata_q_.pop_front();
        if (m_->hmem_wrsp_valid && m_->hmem_wrsp_ready)
            --wrsp_pending_;
        if (m_->tx_valid && m_->tx_ready) {
            if (m_->tx_sop)
                tx_cur_.clear();
            for (int l = 0; l < kLanes; ++l)
                if (m_->tx_keep & (1u << l))
                    tx_cur_.push_back(get_lane(m_->tx_data, l));
            if (m_->tx_eop)
                on_tx_tlp(tx_cur_);
        }
        if (m_->hrsp_valid && m_->hrsp_ready) {
            if (m_->hrsp_sop)
                rsp_cur_.clear();
            for (int l = 0; l < kLanes; ++l)
                if (m_->hrsp_keep & (1u << l))
                    rsp_cur_.push_back(get_lane(m_->hrsp_data, l));
            if (m_->hrsp_eop)
                check_response(m_->hrsp_id, m_->hrsp_status);
        }
        if (m_->hmem_rd_valid && m_->hmem_rd_ready) {
            uint64_t a = m_->hmem_rd_addr;
            unsigned n = m_->hmem_rd_len_dw;
            Dws d;
            for (unsigned i = 0; i < n; ++i) {
                uint32_t v = 0;
                for (unsigned k = 0; k < 4; ++k)
                    v |= uint32_t(host_mem_.at(a + 4 * i + k)) << (8 * k);
                d.push_back(v);
            }
            for (Beat b : to_beats(d)) {
                b.err = false;
                rdata_q_.push_back(b);
            }
        }
        if (m_->hmem_wr_valid && m_->hmem_wr_ready) {
            if (m_->hmem_wr_sop) {
                wr_addr_ = m_->hmem_wr_addr;
                wr_len_ = m_->hmem_wr_len_dw;
                wr_fbe_ = m_->hmem_wr_first_be;
                wr_lbe_ = m_->hmem_wr_last_be;
                wr_i_ = 0;
            }
            for (int l = 0; l < kLanes && wr_i_ < wr_len_; ++l, ++wr_i_) {
                unsigned be = (wr_i_ == 0) ? wr_fbe_ : (wr_i_ == wr_len_ - 1) ? wr_lbe_ : 0xf;
                uint32_t v = get_lane(m_->hmem_wr_data, l);
                for (unsigned k = 0; k < 4; ++k)
                    if (be & (1u << k))
                        host_mem_.at(wr_addr_ + 4 * wr_i_ + k) = uint8_t(v >> (8 * k));
            }
            if (m_->hmem_wr_eop)
                ++wrsp_pending_;
        }
    }

    void check_response(uint8_t id, unsigned status) {
        ASSERT_FALSE(expect_rsp_.empty()) << "response without a read";
        HostReq r = expect_rsp_.front();
        expect_rsp_.pop_front();
        EXPECT_EQ(id, r.id) << "responses come in request order";
        EXPECT_EQ(status, 0u);
        Dws want;
        for (unsigned i = 0; i < r.len; ++i)
            want.push_back(pattern(r.addr + 4 * i));
        EXPECT_EQ(rsp_cur_, want) << "read id " << int(id) << " len " << r.len;
    }

    bool drained() {
        return hreq_q_.empty() && hwd_q_.empty() && rx_q_.empty() && rdata_q_.empty() &&
               cpl_by_tag_.empty() && wrsp_pending_ == 0 && m_->idle;
    }

    struct DmaRead {
        uint64_t addr;
        unsigned len, fbe, lbe;
        Dws data;
    };

    Settings set_{};
    std::mt19937 rng_;
    std::unique_ptr<VerilatedContext> ctx_;
    std::unique_ptr<Model> m_;
    uint64_t cycle_ = 0;
    Gate g_hreq_, g_hwd_, g_rx_, g_rdata_, g_wrsp_;
    std::deque<HostReq> hreq_q_;
    std::deque<Beat> hwd_q_, rx_q_, rdata_q_;
    std::deque<HostReq> expect_rsp_;
    std::map<unsigned, std::deque<Dws>> cpl_by_tag_;
    std::map<uint64_t, uint8_t> dev_mem_, dev_expect_;
    std::vector<uint8_t> host_mem_, shadow_;
    std::map<uint8_t, DmaRead> dma_reads_;
    std::map<uint8_t, std::vector<Dws>> dma_cpls_;
    uint8_t dma_tag_ = 0;
    int wrsp_pending_ = 0;
    int reads_ = 0;
    Dws tx_cur_, rsp_cur_;
    uint64_t wr_addr_ = 0;
    unsigned wr_len_ = 0, wr_fbe_ = 0, wr_lbe_ = 0, wr_i_ = 0;
};

TEST_P(RtlStress, RandomTrafficKeepsEveryByte) {
    constexpr int kHostReqs = 200;
    constexpr int kDmaReqs = 200;
    for (int i = 0; i < kHostReqs; ++i)
        host_request(random_host_req(uint8_t(i)));
    for (int i = 0; i < kDmaReqs; ++i)
        device_dma(rng_() % 2);
    uint64_t limit = 400000;
    while (!drained() && cycle_ < limit && !HasFatalFailure())
        step();
    ASSERT_TRUE(drained()) << "not drained after " << cycle_ << " cycles";
    std::printf("cycles %llu, host reads %d, host write bytes %zu, dma reads %zu\n",
                (unsigned long long)cycle_, reads_, dev_expect_.size(), dma_reads_.size());
    EXPECT_TRUE(expect_rsp_.empty());
    EXPECT_EQ(dev_mem_, dev_expect_) << "host writes as the device saw them";
    EXPECT_TRUE(host_mem_ == shadow_) << "device writes in host memory";
    for (const auto &[tag, r] : dma_reads_)
        check_dma_read(tag);
    EXPECT_EQ(m_->cnt_malformed, 0u);
    EXPECT_EQ(m_->cnt_unexp_cpl, 0u);
    EXPECT_EQ(m_->cnt_late_cpl, 0u);
    EXPECT_EQ(m_->cnt_unsup_req, 0u);
    EXPECT_EQ(m_->tags_in_use, 0u);
}

// (MPS, MRRS, RCB) encodings: smallest, mixed, largest.
INSTANTIATE_TEST_SUITE_P(Settings, RtlStress,
                         ::testing::Values(std::make_tuple(0u, 0u, 0u), std::make_tuple(1u, 2u, 1u),
                                           std::make_tuple(2u, 1u, 0u),
                                           std::make_tuple(5u, 5u, 1u)));

} // namespace
