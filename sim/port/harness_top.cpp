#include "harness_top.hpp"

#include "Vrcsim_sc.h"

#include <cerrno>
#include <systemc>
#include <verilated.h>
#include <verilated_fst_sc.h>

// libsystemc's main() calls sc_main; the harness is driven from the user's
// own main (gtest, bench, rcsim), which takes precedence, so this one only
// satisfies the linker.
int sc_main(int, char **) {
    return 1;
}

namespace rcsim {

using namespace sc_core;
using sc_dt::sc_bv;

namespace {
bool g_elaborated = false;
using Bus = sc_bv<HarnessTop::kDataWidth>;

Lanes lanes_of(const Bus &b) {
    Lanes l{};
    for (unsigned i = 0; i < HarnessTop::kLanes; ++i)
        l[i] = b.get_word(int(i));
    return l;
}
Bus bus_of(const Lanes &l) {
    Bus b;
    for (unsigned i = 0; i < HarnessTop::kLanes; ++i)
        b.set_word(int(i), l[i]);
    return b;
}
} // namespace

const char *to_string(HostStatus s) {
    switch (s) {
    case HostStatus::SC:
        return "SC";
    case HostStatus::UR:
        return "UR";
    case HostStatus::CA:
        return "CA";
    case HostStatus::Timeout:
        return "TIMEOUT";
    case HostStatus::Poisoned:
        return "POISONED";
    case HostStatus::BadReq:
        return "BAD_REQ";
    }
    return "?";
}

class HarnessTopImpl : public sc_module {
  public:
    SC_HAS_PROCESS(HarnessTopImpl);

    explicit HarnessTopImpl(sc_module_name name) : sc_module(name), rtl("rtl") {
        bind();
        SC_METHOD(clock_gen);
        SC_METHOD(on_posedge);
        sensitive << clk.posedge_event();
        dont_initialize();
    }

    Vrcsim_sc rtl;
    EdgeSink *sink = nullptr;
    RtlIn in;
    RtlIn driven; // what the signals hold
    bool driven_once = false;
    RtlOut out;
    bool gated = false;
    sc_event ungate;
    uint64_t edges = 0, skipped = 0;
    unsigned reset_left = 0;
    const std::function<bool()> *stop = nullptr;
    std::unique_ptr<VerilatedFstSc> fst;

    sc_signal<bool> clk{"clk"}, rst_n{"rst_n"}, cfg_we{"cfg_we"}, cfg_rcb{"cfg_rcb"};
    sc_signal<uint32_t> cfg_mps{"cfg_mps"}, cfg_mrrs{"cfg_mrrs"},
        cfg_cpl_timeout{"cfg_cpl_timeout"}, cfg_rp_id{"cfg_rp_id"};
    sc_signal<uint64_t> cfg_msi_base{"cfg_msi_base"}, cfg_msi_limit{"cfg_msi_limit"};
    sc_signal<bool> hreq_valid{"hreq_valid"}, hreq_ready{"hreq_ready"};
    sc_signal<uint32_t> hreq_op{"hreq_op"}, hreq_id{"hreq_id"}, hreq_len_dw{"hreq_len_dw"},
        hreq_first_be{"hreq_first_be"}, hreq_last_be{"hreq_last_be"}, hreq_cfg_bdf{"hreq_cfg_bdf"},
        hreq_cfg_reg{"hreq_cfg_reg"};
    sc_signal<uint64_t> hreq_addr{"hreq_addr"};
    sc_signal<bool> hwd_valid{"hwd_valid"}, hwd_ready{"hwd_ready"};
    sc_signal<Bus> hwd_data{"hwd_data"};
    sc_signal<bool> hrsp_valid{"hrsp_valid"}, hrsp_ready{"hrsp_ready"}, hrsp_sop{"hrsp_sop"},
        hrsp_eop{"hrsp_eop"};
    sc_signal<uint32_t> hrsp_id{"hrsp_id"}, hrsp_status{"hrsp_status"}, hrsp_keep{"hrsp_keep"};
    sc_signal<Bus> hrsp_data{"hrsp_data"};
    sc_signal<bool> tx_valid{"tx_valid"}, tx_ready{"tx_ready"}, tx_sop{"tx_sop"}, tx_eop{"tx_eop"};
    sc_signal<uint32_t> tx_keep{"tx_keep"};
    sc_signal<Bus> tx_data{"tx_data"};
    sc_signal<bool> rx_valid{"rx_valid"}, rx_ready{"rx_ready"}, rx_sop{"rx_sop"}, rx_eop{"rx_eop"};
    sc_signal<uint32_t> rx_keep{"rx_keep"};
    sc_signal<Bus> rx_data{"rx_data"};
    sc_signal<bool> hmem_rd_valid{"hmem_rd_valid"}, hmem_rd_ready{"hmem_rd_ready"};
    sc_signal<uint64_t> hmem_rd_addr{"hmem_rd_addr"};
    sc_signal<uint32_t> hmem_rd_len_dw{"hmem_rd_len_dw"};
    sc_signal<bool> hmem_rdata_valid{"hmem_rdata_valid"}, hmem_rdata_ready{"hmem_rdata_ready"},
        hmem_rdata_last{"hmem_rdata_last"}, hmem_rdata_err{"hmem_rdata_err"};
    sc_signal<Bus> hmem_rdata{"hmem_rdata"};
    sc_signal<bool> hmem_wr_valid{"hmem_wr_valid"}, hmem_wr_ready{"hmem_wr_ready"},
        hmem_wr_sop{"hmem_wr_sop"}, hmem_wr_eop{"hmem_wr_eop"};
    sc_signal<uint64_t> hmem_wr_addr{"hmem_wr_addr"};
    sc_signal<uint32_t> hmem_wr_len_dw{"hmem_wr_len_dw"}, hmem_wr_first_be{"hmem_wr_first_be"},
        hmem_wr_last_be{"hmem_wr_last_be"};
    sc_signal<Bus> hmem_wr_data{"hmem_wr_data"};
    sc_signal<bool> hmem_wrsp_valid{"hmem_wrsp_valid"}, hmem_wrsp_ready{"hmem_wrsp_ready"},
        hmem_wrsp_err{"hmem_wrsp_err"};
    sc_signal<bool> irq_valid{"irq_valid"}, irq_ready{"irq_ready"}, idle{"idle"};
    sc_signal<uint64_t> irq_addr{"irq_addr"};
    sc_signal<uint32_t> irq_data{"irq_data"}, intx{"intx"}, tags_in_use{"tags_in_use"};
    sc_signal<uint32_t> cnt_malformed{"cnt_malformed"}, cnt_unexp_cpl{"cnt_unexp_cpl"},
        cnt_late_cpl{"cnt_late_cpl"}, cnt_unsup_req{"cnt_unsup_req"},
        cnt_poisoned_req{"cnt_poisoned_req"}, cnt_host_bad_req{"cnt_host_bad_req"};
    sc_signal<uint32_t> ann_msg_dir{"ann_msg_dir"}, ann_msg_cmd{"ann_msg_cmd"},
        ann_msg_id{"ann_msg_id"}, ann_msg_len{"ann_msg_len"}, ann_decision{"ann_decision"};
    sc_signal<uint64_t> ann_msg_addr{"ann_msg_addr"};

  private:
    void bind() {
        rtl.clk(clk);
        rtl.rst_n(rst_n);
        rtl.cfg_we(cfg_we);
        rtl.cfg_mps(cfg_mps);
        rtl.cfg_mrrs(cfg_mrrs);
        rtl.cfg_rcb(cfg_rcb);
        rtl.cfg_cpl_timeout(cfg_cpl_timeout);
        rtl.cfg_rp_id(cfg_rp_id);
        rtl.cfg_msi_base(cfg_msi_base);
        rtl.cfg_msi_limit(cfg_msi_limit);
        rtl.hreq_valid(hreq_valid);
        rtl.hreq_ready(hreq_ready);
        rtl.hreq_op(hreq_op);
        rtl.hreq_id(hreq_id);
        rtl.hreq_addr(hreq_addr);
        rtl.hreq_len_dw(hreq_len_dw);
        rtl.hreq_first_be(hreq_first_be);
        rtl.hreq_last_be(hreq_last_be);
        rtl.hreq_cfg_bdf(hreq_cfg_bdf);
        rtl.hreq_cfg_reg(hreq_cfg_reg);
        rtl.hwd_valid(hwd_valid);
        rtl.hwd_ready(hwd_ready);
        rtl.hwd_data(hwd_data);
        rtl.hrsp_valid(hrsp_valid);
        rtl.hrsp_ready(hrsp_ready);
        rtl.hrsp_id(hrsp_id);
        rtl.hrsp_status(hrsp_status);
        rtl.hrsp_data(hrsp_data);
        rtl.hrsp_keep(hrsp_keep);
        rtl.hrsp_sop(hrsp_sop);
        rtl.hrsp_eop(hrsp_eop);
        rtl.tx_valid(tx_valid);
        rtl.tx_ready(tx_ready);
        rtl.tx_data(tx_data);
        rtl.tx_keep(tx_keep);
        rtl.tx_sop(tx_sop);
        rtl.tx_eop(tx_eop);
        rtl.rx_valid(rx_valid);
        rtl.rx_ready(rx_ready);
        rtl.rx_data(rx_data);
        rtl.rx_keep(rx_keep);
        rtl.rx_sop(rx_sop);
        rtl.rx_eop(rx_eop);
        rtl.hmem_rd_valid(hmem_rd_valid);
        rtl.hmem_rd_ready(hmem_rd_ready);
        rtl.hmem_rd_addr(hmem_rd_addr);
        rtl.hmem_rd_len_dw(hmem_rd_len_dw);
        rtl.hmem_rdata_valid(hmem_rdata_valid);
        rtl.hmem_rdata_ready(hmem_rdata_ready);
        rtl.hmem_rdata(hmem_rdata);
        rtl.hmem_rdata_last(hmem_rdata_last);
        rtl.hmem_rdata_err(hmem_rdata_err);
        rtl.hmem_wr_valid(hmem_wr_valid);
        rtl.hmem_wr_ready(hmem_wr_ready);
        rtl.hmem_wr_addr(hmem_wr_addr);
        rtl.hmem_wr_len_dw(hmem_wr_len_dw);
        rtl.hmem_wr_first_be(hmem_wr_first_be);
        rtl.hmem_wr_last_be(hmem_wr_last_be);
        rtl.hmem_wr_data(hmem_wr_data);
        rtl.hmem_wr_sop(hmem_wr_sop);
        rtl.hmem_wr_eop(hmem_wr_eop);
        rtl.hmem_wrsp_valid(hmem_wrsp_valid);
        rtl.hmem_wrsp_ready(hmem_wrsp_ready);
        rtl.hmem_wrsp_err(hmem_wrsp_err);
        rtl.irq_valid(irq_valid);
        rtl.irq_ready(irq_ready);
        rtl.irq_addr(irq_addr);
        rtl.irq_data(irq_data);
        rtl.intx(intx);
        rtl.cnt_malformed(cnt_malformed);
        rtl.cnt_unexp_cpl(cnt_unexp_cpl);
        rtl.cnt_late_cpl(cnt_late_cpl);
        rtl.cnt_unsup_req(cnt_unsup_req);
        rtl.cnt_poisoned_req(cnt_poisoned_req);
        rtl.cnt_host_bad_req(cnt_host_bad_req);
        rtl.tags_in_use(tags_in_use);
        rtl.idle(idle);
        rtl.ann_msg_dir(ann_msg_dir);
        rtl.ann_msg_cmd(ann_msg_cmd);
        rtl.ann_msg_id(ann_msg_id);
        rtl.ann_msg_addr(ann_msg_addr);
        rtl.ann_msg_len(ann_msg_len);
        rtl.ann_decision(ann_decision);
    }

    // A method, not a thread: no coroutine switch per clock edge. The gate is
    // looked at only before a rising edge, so edges stay on the period grid.
    void clock_gen() {
        const sc_time half(double(HarnessTop::kPeriodPs) / 2, SC_PS);
        if (!clk.read()) {
            if (gated) {
                next_trigger(ungate);
                return;
            }
            clk.write(true);
        } else {
            clk.write(false);
        }
        next_trigger(half);
    }

    void sample() {
        out.hreq_ready = hreq_ready.read();
        out.hwd_ready = hwd_ready.read();
        out.hrsp_valid = hrsp_valid.read();
        out.hrsp_sop = hrsp_sop.read();
        out.hrsp_eop = hrsp_eop.read();
        out.hrsp_id = uint8_t(hrsp_id.read());
        out.hrsp_status = uint8_t(hrsp_status.read());
        out.hrsp_keep = uint8_t(hrsp_keep.read());
        if (out.hrsp_valid) // wide buses are read only when they carry something
            out.hrsp_data = lanes_of(hrsp_data.read());
        out.tx_valid = tx_valid.read();
        if (out.tx_valid)
            out.tx.lanes = lanes_of(tx_data.read());
        out.tx.keep = uint8_t(tx_keep.read());
        out.tx.sop = tx_sop.read();
        out.tx.eop = tx_eop.read();
        out.rx_ready = rx_ready.read();
        out.hmem_rd_valid = hmem_rd_valid.read();
        out.hmem_rd_addr = hmem_rd_addr.read();
        out.hmem_rd_len_dw = hmem_rd_len_dw.read();
        out.hmem_rdata_ready = hmem_rdata_ready.read();
        out.hmem_wr_valid = hmem_wr_valid.read();
        out.hmem_wr_sop = hmem_wr_sop.read();
        out.hmem_wr_eop = hmem_wr_eop.read();
        out.hmem_wr_addr = hmem_wr_addr.read();
        out.hmem_wr_len_dw = hmem_wr_len_dw.read();
        out.hmem_wr_first_be = uint8_t(hmem_wr_first_be.read());
        out.hmem_wr_last_be = uint8_t(hmem_wr_last_be.read());
        if (out.hmem_wr_valid)
            out.hmem_wr_data = lanes_of(hmem_wr_data.read());
        out.hmem_wrsp_ready = hmem_wrsp_ready.read();
        out.irq_valid = irq_valid.read();
        out.irq_addr = irq_addr.read();
        out.irq_data = irq_data.read();
        out.intx = uint8_t(intx.read());
        out.idle = idle.read();
        out.tags_in_use = tags_in_use.read();
        out.cnt_malformed = cnt_malformed.read();
        out.cnt_unexp_cpl = cnt_unexp_cpl.read();
        out.cnt_late_cpl = cnt_late_cpl.read();
        out.cnt_unsup_req = cnt_unsup_req.read();
        out.cnt_poisoned_req = cnt_poisoned_req.read();
        out.cnt_host_bad_req = cnt_host_bad_req.read();
    }

  public:
    // Writes only what changed since the last drive: most inputs hold their
    // value for many cycles, and every sc_signal write (an sc_bv above all)
    // costs more than the comparison.
    void drive() {
        const bool all = !driven_once;
        const RtlIn &o = driven;
#define RCSIM_DRIVE(sig, field, expr)                                                              \
    if (all || !(in.field == o.field))                                                             \
        sig.write(expr);
        rst_n.write(reset_left == 0);
        RCSIM_DRIVE(cfg_we, cfg_we, in.cfg_we)
        RCSIM_DRIVE(cfg_mps, cfg.mps_code, in.cfg.mps_code)
        RCSIM_DRIVE(cfg_mrrs, cfg.mrrs_code, in.cfg.mrrs_code)
        RCSIM_DRIVE(cfg_rcb, cfg.rcb128, in.cfg.rcb128)
        RCSIM_DRIVE(cfg_cpl_timeout, cfg.cpl_timeout, in.cfg.cpl_timeout)
        RCSIM_DRIVE(cfg_rp_id, cfg.rp_id, in.cfg.rp_id)
        RCSIM_DRIVE(cfg_msi_base, cfg.msi_base, in.cfg.msi_base)
        RCSIM_DRIVE(cfg_msi_limit, cfg.msi_limit, in.cfg.msi_limit)
        RCSIM_DRIVE(hreq_valid, hreq_valid, in.hreq_valid)
        RCSIM_DRIVE(hreq_op, hreq_op, uint32_t(in.hreq_op))
        RCSIM_DRIVE(hreq_id, hreq_id, in.hreq_id)
        RCSIM_DRIVE(hreq_addr, hreq_addr, in.hreq_addr)
        RCSIM_DRIVE(hreq_len_dw, hreq_len_dw, in.hreq_len_dw)
        RCSIM_DRIVE(hreq_first_be, hreq_first_be, in.hreq_first_be)
        RCSIM_DRIVE(hreq_last_be, hreq_last_be, in.hreq_last_be)
        RCSIM_DRIVE(hreq_cfg_bdf, hreq_cfg_bdf, in.hreq_cfg_bdf)
        RCSIM_DRIVE(hreq_cfg_reg, hreq_cfg_reg, in.hreq_cfg_reg)
        RCSIM_DRIVE(hwd_valid, hwd_valid, in.hwd_valid)
        RCSIM_DRIVE(hwd_data, hwd_data, bus_of(in.hwd_data))
        RCSIM_DRIVE(hrsp_ready, hrsp_ready, in.hrsp_ready)
        RCSIM_DRIVE(tx_ready, tx_ready, in.tx_ready)
        RCSIM_DRIVE(rx_valid, rx_valid, in.rx_valid)
        RCSIM_DRIVE(rx_data, rx.lanes, bus_of(in.rx.lanes))
        RCSIM_DRIVE(rx_keep, rx.keep, in.rx.keep)
        RCSIM_DRIVE(rx_sop, rx.sop, in.rx.sop)
        RCSIM_DRIVE(rx_eop, rx.eop, in.rx.eop)
        RCSIM_DRIVE(hmem_rd_ready, hmem_rd_ready, in.hmem_rd_ready)
        RCSIM_DRIVE(hmem_rdata_valid, hmem_rdata_valid, in.hmem_rdata_valid)
        RCSIM_DRIVE(hmem_rdata, hmem_rdata, bus_of(in.hmem_rdata))
        RCSIM_DRIVE(hmem_rdata_last, hmem_rdata_last, in.hmem_rdata_last)
        RCSIM_DRIVE(hmem_rdata_err, hmem_rdata_err, in.hmem_rdata_err)
        RCSIM_DRIVE(hmem_wr_ready, hmem_wr_ready, in.hmem_wr_ready)
        RCSIM_DRIVE(hmem_wrsp_valid, hmem_wrsp_valid, in.hmem_wrsp_valid)
        RCSIM_DRIVE(hmem_wrsp_err, hmem_wrsp_err, in.hmem_wrsp_err)
        RCSIM_DRIVE(irq_ready, irq_ready, in.irq_ready)
        RCSIM_DRIVE(ann_msg_dir, ann_msg_dir, in.ann_msg_dir)
        RCSIM_DRIVE(ann_msg_cmd, ann_msg_cmd, in.ann_msg_cmd)
        RCSIM_DRIVE(ann_msg_id, ann_msg_id, in.ann_msg_id)
        RCSIM_DRIVE(ann_msg_addr, ann_msg_addr, in.ann_msg_addr)
        RCSIM_DRIVE(ann_msg_len, ann_msg_len, in.ann_msg_len)
        RCSIM_DRIVE(ann_decision, ann_decision, in.ann_decision)
#undef RCSIM_DRIVE
        driven = in;
        driven_once = true;
    }

  private:
    void on_posedge() {
        ++edges;
        sample();
        if (reset_left > 0) {
            --reset_left;
        } else if (sink) {
            const bool was_cfg = in.cfg_we;
            sink->on_edge(out, in);
            if (was_cfg)
                in.cfg_we = false;
        }
        drive();
        if (stop && (*stop)())
            sc_pause(); // sc_start returns after this delta
    }
};

int HarnessTop::create(std::unique_ptr<HarnessTop> *out, std::string *error) {
    if (g_elaborated) {
        *error = "SystemC elaborates once per process: a HarnessTop already exists "
                 "(run one harness per process, e.g. with run_forker)";
        return -EALREADY;
    }
    g_elaborated = true;
    // The model is verilated single-threaded, but a context defaults to one
    // thread per CPU and starts an idle worker pool for the rest. Runs are
    // forked from this process (run_forker): a second thread there can hold
    // an allocator lock at fork() and leave the child stuck on it (seen
    // under ASan: a forked run waited for ever in the allocator).
    Verilated::threadContextp()->threads(1);
    Verilated::traceEverOn(true);
    std::unique_ptr<HarnessTop> t(new HarnessTop());
    t->impl_ = std::make_unique<HarnessTopImpl>("top");
    t->impl_->drive();
    *out = std::move(t);
    return 0;
}

HarnessTop::~HarnessTop() {
    if (impl_ && impl_->fst)
        impl_->fst->close();
}

void HarnessTop::set_sink(EdgeSink *sink) {
    impl_->sink = sink;
}

void HarnessTop::reset(unsigned cycles) {
    impl_->reset_left = cycles;
    impl_->drive();
    run(cycles + 1);
}

void HarnessTop::configure(const RtlSettings &s) {
    impl_->in.cfg = s;
    impl_->in.cfg_we = true;
    impl_->drive();
}

void HarnessTop::set_annotation(uint8_t dir, uint16_t cmd, uint16_t id, uint64_t addr,
                                uint32_t len) {
    RtlIn &in = impl_->in;
    in.ann_msg_dir = dir;
    in.ann_msg_cmd = cmd;
    in.ann_msg_id = id;
    in.ann_msg_addr = addr;
    in.ann_msg_len = len;
}

void HarnessTop::set_decision_annotation(uint32_t index) {
    impl_->in.ann_decision = index;
}

void HarnessTop::run(uint64_t n, const std::function<bool()> *stop) {
    if (n == 0)
        return;
    if (impl_->gated) {
        impl_->gated = false;
        impl_->ungate.notify(SC_ZERO_TIME);
    }
    impl_->stop = stop;
    sc_start(sc_time(double(n * kPeriodPs), SC_PS));
    impl_->stop = nullptr;
}

void HarnessTop::skip(uint64_t n) {
    if (n == 0)
        return;
    impl_->gated = true;
    impl_->skipped += n;
    sc_start(sc_time(double(n * kPeriodPs), SC_PS));
}

uint64_t HarnessTop::cycles() const {
    return impl_->edges + impl_->skipped;
}

uint64_t HarnessTop::edges() const {
    return impl_->edges;
}

uint64_t HarnessTop::time_ps() const {
    return sc_time_stamp().value();
}

const RtlOut &HarnessTop::last_out() const {
    return impl_->out;
}

int HarnessTop::trace_fst(const std::string &path, std::string *error) {
    if (impl_->fst) {
        *error = "an FST trace is already open";
        return -EALREADY;
    }
    // Verilator's SystemC tracer wants the design elaborated and started.
    sc_start(SC_ZERO_TIME);
    impl_->fst = std::make_unique<VerilatedFstSc>();
    impl_->rtl.trace(impl_->fst.get(), 99);
    impl_->fst->open(path.c_str());
    if (!impl_->fst->isOpen()) {
        impl_->fst.reset();
        *error = "cannot open FST file " + path;
        return -EIO;
    }
    return 0;
}

} // namespace rcsim
