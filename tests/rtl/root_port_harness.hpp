// Owns a verilated rcsim_root_port_wrap, clocks it, plays host (request and
// response ports), host memory (memory port) and interrupt sink, and runs an
// EndpointModel on the TLP ports. Every wait is bounded in cycles.
#pragma once

#include "endpoint_model.hpp"
#include "host_memory.hpp"
#include "tlp_beats.hpp"

// RCSIM_TB_TRACE=1 in targets whose model is verilated with --trace-fst.
#include <verilated.h>
#if RCSIM_TB_TRACE
#include <verilated_fst_c.h>
#endif

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace rcsim::test {

using Lanes = std::array<uint32_t, tlp::kMaxLanes>;

template <std::size_t N> void put_lanes(VlWide<N> &w, const Lanes &l) {
    for (std::size_t i = 0; i < N; ++i)
        w[i] = l[i];
}
inline void put_lanes(QData &q, const Lanes &l) {
    q = uint64_t(l[1]) << 32 | l[0];
}
template <std::size_t N> Lanes get_lanes(const VlWide<N> &w) {
    Lanes l{};
    for (std::size_t i = 0; i < N; ++i)
        l[i] = w[i];
    return l;
}
inline Lanes get_lanes(const QData &q) {
    return Lanes{uint32_t(q), uint32_t(q >> 32)};
}

enum HostOp : uint8_t { MEM_RD = 0, MEM_WR = 1, CFG_RD = 2, CFG_WR = 3, IO_RD = 4, IO_WR = 5 };
enum HostStatus : uint8_t { SC = 0, UR = 1, CA = 2, TIMEOUT = 3, POISONED = 4, BAD_REQ = 5 };

struct HostRequest {
    HostOp op;
    uint8_t id;
    uint64_t addr = 0;
    unsigned len_dw = 1;
    uint8_t first_be = 0xf;
    uint8_t last_be = 0xf;
    uint16_t bdf = 0;
    uint16_t reg = 0;
    std::vector<uint32_t> data; // MEM_WR / CFG_WR / IO_WR
};

struct HostResponse {
    uint8_t id;
    uint8_t status;
    std::vector<uint32_t> dws;
    uint64_t cycle; // eop
};

struct IrqEvent {
    uint64_t addr;
    uint32_t data;
    uint64_t cycle;
};

struct HostWrite {
    uint64_t addr;
    unsigned len_dw;
    bool err;
    uint64_t done_cycle; // cycle its response was taken (visible in memory)
};

struct Settings {
    unsigned mps = 128, mrrs = 512, rcb = 64;
    uint32_t cpl_timeout = 50000;
    uint16_t rp_id = 0x0000;
    uint64_t msi_base = 0xfee00000, msi_limit = 0xfeefffff;
};

inline uint8_t size_code(unsigned bytes) {
    uint8_t c = 0;
    while ((128u << c) < bytes && c < 5)
        ++c;
    return c;
}

template <class V, unsigned W> class RootPortHarness {
    // Declared first: the model must die before its context.
    std::unique_ptr<VerilatedContext> ctx_;
#if RCSIM_TB_TRACE
    std::unique_ptr<VerilatedFstC> trace_;
#endif

  public:
    static constexpr unsigned kLanes = W / 32;

    explicit RootPortHarness(EndpointConfig ep_cfg = {}, const char *fst_path = nullptr)
        : ctx_(std::make_unique<VerilatedContext>()), ep(W, ep_cfg) {
        ctx_->debug(0);
        ctx_->randReset(0);
#if RCSIM_TB_TRACE
        if (fst_path)
            ctx_->traceEverOn(true);
#endif
        top = std::make_unique<V>(ctx_.get(), "top");
#if RCSIM_TB_TRACE
        if (fst_path) {
            trace_ = std::make_unique<VerilatedFstC>();
            top->trace(trace_.get(), 99);
            trace_->open(fst_path);
        }
#else
        (void)fst_path;
#endif
        mem.add_window(0, 1 << 20);
        mem.add_window(0x100000000ull, 1 << 16);
        reset();
    }

    ~RootPortHarness() {
#if RCSIM_TB_TRACE
        if (trace_)
            trace_->close();
#endif
        top->final();
    }

    std::unique_ptr<V> top;
    EndpointModel ep;
    HostMemory mem;
    uint64_t cycle = 0;
    std::vector<HostResponse> responses;
    std::vector<IrqEvent> irqs;
    std::vector<HostWrite> host_writes;         // memory-port writes, in order
    std::vector<std::vector<uint32_t>> tx_tlps; // every TLP sent, as DWs
    std::vector<uint64_t> tx_sop_cycles;
    std::vector<tlp::Beat> tx_beats;
    unsigned hmem_wrsp_latency = 0;
    unsigned hmem_rdata_latency = 0;
    // Back-pressure: the ready input is low on cycles where cycle % N == 0
    // (0 = always ready).
    unsigned hrsp_stall_every = 0, irq_stall_every = 0, hmem_stall_every = 0;

    void reset() {
        top->rst_n = 0;
        for (int i = 0; i < 3; ++i)
            step();
        top->rst_n = 1;
        step();
    }

    void configure(const Settings &s) {
        top->cfg_mps = size_code(s.mps);
        top->cfg_mrrs = size_code(s.mrrs);
        top->cfg_rcb = s.rcb == 128;
        top->cfg_cpl_timeout = s.cpl_timeout;
        top->cfg_rp_id = s.rp_id;
        top->cfg_msi_base = s.msi_base;
        top->cfg_msi_limit = s.msi_limit;
        top->cfg_we = 1;
        step();
        top->cfg_we = 0;
    }

    // ---- host side
    void submit(HostRequest r) {
        host_q_.push_back(std::move(r));
    }
    void host_read(uint8_t id, uint64_t addr, unsigned len_dw, uint8_t fbe = 0xf,
                   uint8_t lbe = 0xf) {
        submit({MEM_RD, id, addr, len_dw, fbe, lbe, 0, 0, {}});
    }
    void host_write(uint8_t id, uint64_t addr, std::vector<uint32_t> dws, uint8_t fbe = 0xf,
                    uint8_t lbe = 0xf) {
        const unsigned n = unsigned(dws.size());
        submit({MEM_WR, id, addr, n, fbe, lbe, 0, 0, std::move(dws)});
    }
    void cfg_read(uint8_t id, uint16_t bdf, uint16_t reg) {
        submit({CFG_RD, id, 0, 1, 0xf, 0, bdf, reg, {}});
    }
    void cfg_write(uint8_t id, uint16_t bdf, uint16_t reg, uint32_t v, uint8_t fbe = 0xf) {
        submit({CFG_WR, id, 0, 1, fbe, 0, bdf, reg, {v}});
    }
    void io_read(uint8_t id, uint64_t addr, uint8_t fbe = 0xf) {
        submit({IO_RD, id, addr, 1, fbe, 0, 0, 0, {}});
    }
    void io_write(uint8_t id, uint64_t addr, uint32_t v, uint8_t fbe = 0xf) {
        submit({IO_WR, id, addr, 1, fbe, 0, 0, 0, {v}});
    }

    // Runs until done() or max_cycles more cycles; returns done().
    bool run_until(const std::function<bool()> &done, uint64_t max_cycles) {
        for (uint64_t i = 0; i < max_cycles; ++i) {
            if (done())
                return true;
            step();
        }
        return done();
    }
    bool wait_responses(size_t n, uint64_t max_cycles = 20000) {
        return run_until([&] { return responses.size() >= n; }, max_cycles);
    }
    // Everything delivered and the root port idle for a few cycles in a row
    // (a margin, so a counter update right after `idle` rises is not missed).
    bool settle(uint64_t max_cycles = 20000) {
        unsigned quiet = 0;
        return run_until(
            [&] {
                const bool now = top->idle && ep.idle() && host_q_.empty() && hwd_q_.empty() &&
                                 rd_jobs_.empty() && wrsp_q_.empty() && !top->tx_valid;
                quiet = now ? quiet + 1 : 0;
                return quiet >= 4;
            },
            max_cycles);
    }
    size_t host_pending() const {
        return host_q_.size();
    }
    void run(uint64_t n) {
        for (uint64_t i = 0; i < n; ++i)
            step();
    }

    void step() {
        drive_inputs();
        top->clk = 0;
        top->eval();
        dump();
        const Sampled s = sample();
        top->clk = 1;
        top->eval();
        ++cycle;
        dump();
        apply(s);
        ep.tick(cycle);
    }

  private:
    struct Sampled {
        bool hreq = false, hwd = false, hrsp = false, tx = false, rx = false;
        bool rd = false, rdata = false, wr = false, wrsp = false, irq = false;
        tlp::Beat tx_beat;
        uint8_t rsp_id = 0, rsp_status = 0;
        Lanes rsp_data{};
        uint16_t rsp_keep = 0;
        bool rsp_sop = false, rsp_eop = false;
        uint64_t rd_addr = 0;
        unsigned rd_len = 0;
        uint64_t wr_addr = 0;
        unsigned wr_len = 0;
        uint8_t wr_fbe = 0, wr_lbe = 0;
        Lanes wr_data{};
        bool wr_sop = false, wr_eop = false;
        uint64_t irq_addr = 0;
        uint32_t irq_data = 0;
    };
    struct RdJob {
        uint64_t due;
        uint64_t addr;
        unsigned len;
        unsigned beat = 0;
    };
    struct Wrsp {
        uint64_t due;
        bool err;
        size_t index;
    };

    void drive_inputs() {
        drive_host_request();
        top->hwd_valid = !hwd_q_.empty();
        if (!hwd_q_.empty())
            put_lanes(top->hwd_data, hwd_q_.front());
        top->hrsp_ready = ready(hrsp_stall_every);
        top->tx_ready = ep.tx_ready(cycle);
        const tlp::Beat *b = ep.rx_beat();
        top->rx_valid = b != nullptr;
        if (b) {
            put_lanes(top->rx_data, b->lanes);
            top->rx_keep = b->keep;
            top->rx_sop = b->sop;
            top->rx_eop = b->eop;
        }
        top->hmem_rd_ready = ready(hmem_stall_every);
        drive_rdata();
        top->hmem_wr_ready = ready(hmem_stall_every + 1);
        top->hmem_wrsp_valid = !wrsp_q_.empty() && wrsp_q_.front().due <= cycle;
        top->hmem_wrsp_err = !wrsp_q_.empty() && wrsp_q_.front().err;
        top->irq_ready = ready(irq_stall_every);
    }

    bool ready(unsigned every) const {
        return every <= 1 || cycle % every != 0;
    }

    void drive_host_request() {
        top->hreq_valid = !host_q_.empty();
        if (host_q_.empty())
            return;
        const HostRequest &r = host_q_.front();
        top->hreq_op = r.op;
        top->hreq_id = r.id;
        top->hreq_addr = r.addr;
        top->hreq_len_dw = r.len_dw;
        top->hreq_first_be = r.first_be;
        top->hreq_last_be = r.last_be;
        top->hreq_cfg_bdf = r.bdf;
        top->hreq_cfg_reg = r.reg;
    }

    void drive_rdata() {
        top->hmem_rdata_valid = 0;
        if (rd_jobs_.empty() || rd_jobs_.front().due > cycle)
            return;
        const RdJob &j = rd_jobs_.front();
        const bool err = !mem.contains(j.addr, uint64_t(j.len) * 4);
        const unsigned beats = (j.len + kLanes - 1) / kLanes;
        Lanes l{};
        for (unsigned i = 0; i < kLanes && !err; ++i) {
            const unsigned k = j.beat * kLanes + i;
            if (k < j.len)
                l[i] = mem.dw(j.addr + 4ull * k);
        }
        top->hmem_rdata_valid = 1;
        put_lanes(top->hmem_rdata, l);
        top->hmem_rdata_err = err;
        top->hmem_rdata_last = err || j.beat + 1 == beats;
    }

    Sampled sample() {
        Sampled s;
        s.hreq = top->hreq_valid && top->hreq_ready;
        s.hwd = top->hwd_valid && top->hwd_ready;
        s.hrsp = top->hrsp_valid && top->hrsp_ready;
        if (s.hrsp) {
            s.rsp_id = top->hrsp_id;
            s.rsp_status = top->hrsp_status;
            s.rsp_data = get_lanes(top->hrsp_data);
            s.rsp_keep = top->hrsp_keep;
            s.rsp_sop = top->hrsp_sop;
            s.rsp_eop = top->hrsp_eop;
        }
        s.tx = top->tx_valid && top->tx_ready;
        if (s.tx) {
            s.tx_beat.lanes = get_lanes(top->tx_data);
            s.tx_beat.keep = top->tx_keep;
            s.tx_beat.sop = top->tx_sop;
            s.tx_beat.eop = top->tx_eop;
        }
        s.rx = top->rx_valid && top->rx_ready;
        s.rd = top->hmem_rd_valid && top->hmem_rd_ready;
        s.rd_addr = top->hmem_rd_addr;
        s.rd_len = top->hmem_rd_len_dw;
        s.rdata = top->hmem_rdata_valid && top->hmem_rdata_ready;
        s.wr = top->hmem_wr_valid && top->hmem_wr_ready;
        if (s.wr) {
            s.wr_addr = top->hmem_wr_addr;
            s.wr_len = top->hmem_wr_len_dw;
            s.wr_fbe = top->hmem_wr_first_be;
            s.wr_lbe = top->hmem_wr_last_be;
            s.wr_data = get_lanes(top->hmem_wr_data);
            s.wr_sop = top->hmem_wr_sop;
            s.wr_eop = top->hmem_wr_eop;
        }
        s.wrsp = top->hmem_wrsp_valid && top->hmem_wrsp_ready;
        s.irq = top->irq_valid && top->irq_ready;
        s.irq_addr = top->irq_addr;
        s.irq_data = top->irq_data;
        return s;
    }

    void apply(const Sampled &s) {
        if (s.hreq)
            accept_host_request();
        if (s.hwd)
            hwd_q_.pop_front();
        if (s.hrsp)
            take_response(s);
        if (s.tx)
            take_tx(s.tx_beat);
        if (s.rx)
            ep.rx_beat_taken(cycle);
        if (s.rd)
            rd_jobs_.push_back({cycle + hmem_rdata_latency, s.rd_addr, s.rd_len});
        if (s.rdata)
            advance_rdata();
        if (s.wr)
            take_write_beat(s);
        if (s.wrsp)
            finish_write();
        if (s.irq)
            irqs.push_back({s.irq_addr, s.irq_data, cycle});
    }

    void accept_host_request() {
        const HostRequest r = std::move(host_q_.front());
        host_q_.pop_front();
        if ((r.op & 1) == 0) // bit 0 of the op: the request carries write data
            return;
        const unsigned beats = r.op != MEM_WR ? 1 : (r.len_dw + kLanes - 1) / kLanes;
        for (unsigned b = 0; b < beats; ++b) {
            Lanes l{};
            for (unsigned i = 0; i < kLanes; ++i) {
                const size_t k = size_t(b) * kLanes + i;
                if (k < r.data.size())
                    l[i] = r.data[k];
            }
            hwd_q_.push_back(l);
        }
    }

    void take_response(const Sampled &s) {
        if (s.rsp_sop)
            cur_rsp_ = HostResponse{s.rsp_id, s.rsp_status, {}, 0};
        for (unsigned i = 0; i < kLanes; ++i)
            if (s.rsp_keep & (1u << i))
                cur_rsp_.dws.push_back(s.rsp_data[i]);
        if (s.rsp_eop) {
            cur_rsp_.cycle = cycle;
            responses.push_back(cur_rsp_);
        }
    }

    void take_tx(const tlp::Beat &b) {
        tx_beats.push_back(b);
        if (b.sop) {
            tx_tlps.emplace_back();
            tx_sop_cycles.push_back(cycle);
        }
        if (!tx_tlps.empty())
            for (unsigned i = 0; i < kLanes; ++i)
                if (b.keep & (1u << i))
                    tx_tlps.back().push_back(b.lanes[i]);
        ep.tx_beat(b, cycle);
    }

    void advance_rdata() {
        RdJob &j = rd_jobs_.front();
        const bool err = !mem.contains(j.addr, uint64_t(j.len) * 4);
        const unsigned beats = (j.len + kLanes - 1) / kLanes;
        if (err || ++j.beat == beats)
            rd_jobs_.pop_front();
    }

    void take_write_beat(const Sampled &s) {
        if (s.wr_sop) {
            wr_addr_ = s.wr_addr;
            wr_len_ = s.wr_len;
            wr_fbe_ = s.wr_fbe;
            wr_lbe_ = s.wr_lbe;
            wr_dws_.clear();
        }
        for (unsigned i = 0; i < kLanes && wr_dws_.size() < wr_len_; ++i)
            wr_dws_.push_back(s.wr_data[i]);
        if (!s.wr_eop)
            return;
        const bool err = !mem.contains(wr_addr_, uint64_t(wr_len_) * 4);
        host_writes.push_back({wr_addr_, wr_len_, err, 0});
        pending_writes_.push_back({wr_addr_, wr_dws_, wr_fbe_, wr_len_ == 1 ? wr_fbe_ : wr_lbe_});
        wrsp_q_.push_back({cycle + hmem_wrsp_latency, err, host_writes.size() - 1});
    }

    // Memory changes when the write's response is taken, so a reader that
    // sees the response has also seen the data.
    void finish_write() {
        const Wrsp w = wrsp_q_.front();
        wrsp_q_.pop_front();
        const PendingWrite p = std::move(pending_writes_.front());
        pending_writes_.pop_front();
        if (!w.err)
            mem.write_dws(p.addr, p.dws, p.fbe, p.lbe);
        host_writes[w.index].done_cycle = cycle;
    }

    void dump() {
#if RCSIM_TB_TRACE
        if (trace_)
            trace_->dump(ctx_->time());
#endif
        ctx_->timeInc(1);
    }

    struct PendingWrite {
        uint64_t addr;
        std::vector<uint32_t> dws;
        uint8_t fbe, lbe;
    };

    std::deque<HostRequest> host_q_;
    std::deque<Lanes> hwd_q_;
    HostResponse cur_rsp_{};
    std::deque<RdJob> rd_jobs_;
    std::deque<Wrsp> wrsp_q_;
    std::deque<PendingWrite> pending_writes_;
    uint64_t wr_addr_ = 0;
    unsigned wr_len_ = 0;
    uint8_t wr_fbe_ = 0, wr_lbe_ = 0;
    std::vector<uint32_t> wr_dws_;
};

} // namespace rcsim::test
