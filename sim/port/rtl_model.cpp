#include "rtl_model.hpp"

#include "Vrcsim_cc.h"

#include <cerrno>
#include <type_traits>
#include <verilated.h>
#include <verilated_fst_c.h>

namespace rcsim {

namespace {
// A bus of up to 64 bits is a QData/IData in the verilated model, a wider
// one a VlWide; both are copied lane by lane.
template <typename W> void read_lanes(const W &w, Lanes &l) {
    if constexpr (std::is_integral_v<W>) {
        for (unsigned i = 0; i < RtlModel::kLanes; ++i)
            l[i] = uint32_t(uint64_t(w) >> (32 * i));
    } else {
        for (unsigned i = 0; i < RtlModel::kLanes; ++i)
            l[i] = w[i];
    }
}
template <typename W> void write_lanes(W &w, const Lanes &l) {
    if constexpr (std::is_integral_v<W>) {
        uint64_t v = 0;
        for (unsigned i = 0; i < RtlModel::kLanes; ++i)
            v |= uint64_t(l[i]) << (32 * i);
        w = W(v);
    } else {
        for (unsigned i = 0; i < RtlModel::kLanes; ++i)
            w[i] = l[i];
    }
}
// A label's first character goes to the port's top byte, where GTKWave's
// ASCII display starts reading.
template <typename W> void write_label(W &w, const Label &label) {
    static_assert(sizeof(W) == kLabelChars, "the wrapper's LABEL_CHARS is kLabelChars");
    for (unsigned word = 0; word < kLabelChars / 4; ++word) {
        const unsigned top = kLabelChars - 1 - 4 * word; // the word's top byte
        w[word] = uint32_t(uint8_t(label[top - 3])) << 24 |
                  uint32_t(uint8_t(label[top - 2])) << 16 | uint32_t(uint8_t(label[top - 1])) << 8 |
                  uint8_t(label[top]);
    }
}
template <typename P, typename V> void put(P &port, V v) {
    port = static_cast<std::remove_reference_t<P>>(v);
}
// A port narrower than its field: the model's code takes the bits above
// the port's width to be zero, so they are cut here (as the SystemC
// wrapper's signals did), whatever a caller put in the field.
template <unsigned Bits, typename P, typename V> void put_bits(P &port, V v) {
    port = static_cast<std::remove_reference_t<P>>(uint64_t(v) & ((uint64_t(1) << Bits) - 1));
}
} // namespace

class RtlModelImpl {
  public:
    RtlModelImpl() : ctx(std::make_unique<VerilatedContext>()) {
        // The model is verilated single-threaded, but a context defaults to
        // one thread per CPU and starts an idle worker pool for the rest.
        // Runs are forked from this process (run_forker): a second thread
        // there can hold an allocator lock at fork() and leave the child
        // stuck on it (seen under ASan).
        ctx->threads(1);
        ctx->traceEverOn(true);
        // The FST's scope keeps the name the SystemC module had, so the
        // GTKWave save files (waveforms/) still find every signal.
        rtl = std::make_unique<Vrcsim_cc>(ctx.get(), "top.rtl");
    }
    ~RtlModelImpl() {
        if (fst)
            fst->close();
        rtl->final();
    }

    std::unique_ptr<VerilatedContext> ctx;
    std::unique_ptr<Vrcsim_cc> rtl;
    std::unique_ptr<VerilatedFstC> fst;
    uint32_t labels_gen = 0; // the RtlIn::ann_labels_gen last copied
};

RtlModel::RtlModel() : impl_(std::make_unique<RtlModelImpl>()) {}
RtlModel::~RtlModel() = default;

void RtlModel::sample(RtlOut &out) const {
    const Vrcsim_cc &m = *impl_->rtl;
    out.hreq_ready = m.hreq_ready;
    out.hwd_ready = m.hwd_ready;
    out.hrsp_valid = m.hrsp_valid;
    out.hrsp_sop = m.hrsp_sop;
    out.hrsp_eop = m.hrsp_eop;
    out.hrsp_id = uint8_t(m.hrsp_id);
    out.hrsp_status = uint8_t(m.hrsp_status);
    out.hrsp_keep = decltype(out.hrsp_keep)(m.hrsp_keep);
    if (out.hrsp_valid) // wide buses are read only when they carry something
        read_lanes(m.hrsp_data, out.hrsp_data);
    out.tx_valid = m.tx_valid;
    if (out.tx_valid)
        read_lanes(m.tx_data, out.tx.lanes);
    out.tx.keep = decltype(out.tx.keep)(m.tx_keep);
    out.tx.sop = m.tx_sop;
    out.tx.eop = m.tx_eop;
    out.rx_ready = m.rx_ready;
    out.hmem_rd_valid = m.hmem_rd_valid;
    out.hmem_rd_addr = m.hmem_rd_addr;
    out.hmem_rd_len_dw = m.hmem_rd_len_dw;
    out.hmem_rdata_ready = m.hmem_rdata_ready;
    out.hmem_wr_valid = m.hmem_wr_valid;
    out.hmem_wr_sop = m.hmem_wr_sop;
    out.hmem_wr_eop = m.hmem_wr_eop;
    out.hmem_wr_addr = m.hmem_wr_addr;
    out.hmem_wr_len_dw = m.hmem_wr_len_dw;
    out.hmem_wr_first_be = uint8_t(m.hmem_wr_first_be);
    out.hmem_wr_last_be = uint8_t(m.hmem_wr_last_be);
    if (out.hmem_wr_valid)
        read_lanes(m.hmem_wr_data, out.hmem_wr_data);
    out.hmem_wrsp_ready = m.hmem_wrsp_ready;
    out.irq_valid = m.irq_valid;
    out.irq_addr = m.irq_addr;
    out.irq_data = m.irq_data;
    out.intx = uint8_t(m.intx);
    out.idle = m.idle;
    out.tags_in_use = m.tags_in_use;
    out.cnt_malformed = m.cnt_malformed;
    out.cnt_unexp_cpl = m.cnt_unexp_cpl;
    out.cnt_late_cpl = m.cnt_late_cpl;
    out.cnt_unsup_req = m.cnt_unsup_req;
    out.cnt_poisoned_req = m.cnt_poisoned_req;
    out.cnt_host_bad_req = m.cnt_host_bad_req;
}

// Plain stores into the model's input fields: no signal, no update phase.
void RtlModel::drive(const RtlIn &in, bool rst_n) {
    Vrcsim_cc &m = *impl_->rtl;
    put(m.rst_n, rst_n);
    put(m.cfg_we, in.cfg_we);
    put_bits<3>(m.cfg_mps, in.cfg.mps_code);
    put_bits<3>(m.cfg_mrrs, in.cfg.mrrs_code);
    put(m.cfg_rcb, in.cfg.rcb128);
    put(m.cfg_cpl_timeout, in.cfg.cpl_timeout);
    put(m.cfg_rp_id, in.cfg.rp_id);
    put(m.cfg_msi_base, in.cfg.msi_base);
    put(m.cfg_msi_limit, in.cfg.msi_limit);
    put(m.hreq_valid, in.hreq_valid);
    put_bits<3>(m.hreq_op, uint8_t(in.hreq_op));
    put(m.hreq_id, in.hreq_id);
    put(m.hreq_addr, in.hreq_addr);
    put_bits<11>(m.hreq_len_dw, in.hreq_len_dw);
    put_bits<4>(m.hreq_first_be, in.hreq_first_be);
    put_bits<4>(m.hreq_last_be, in.hreq_last_be);
    put(m.hreq_cfg_bdf, in.hreq_cfg_bdf);
    put_bits<10>(m.hreq_cfg_reg, in.hreq_cfg_reg);
    put(m.hwd_valid, in.hwd_valid);
    if (in.hwd_valid) // data buses are written only when they carry something
        write_lanes(m.hwd_data, in.hwd_data);
    put(m.hrsp_ready, in.hrsp_ready);
    put(m.tx_ready, in.tx_ready);
    put(m.rx_valid, in.rx_valid);
    if (in.rx_valid)
        write_lanes(m.rx_data, in.rx.lanes);
    put_bits<RtlModel::kLanes>(m.rx_keep, in.rx.keep);
    put(m.rx_sop, in.rx.sop);
    put(m.rx_eop, in.rx.eop);
    put(m.hmem_rd_ready, in.hmem_rd_ready);
    put(m.hmem_rdata_valid, in.hmem_rdata_valid);
    if (in.hmem_rdata_valid)
        write_lanes(m.hmem_rdata, in.hmem_rdata);
    put(m.hmem_rdata_last, in.hmem_rdata_last);
    put(m.hmem_rdata_err, in.hmem_rdata_err);
    put(m.hmem_wr_ready, in.hmem_wr_ready);
    put(m.hmem_wrsp_valid, in.hmem_wrsp_valid);
    put(m.hmem_wrsp_err, in.hmem_wrsp_err);
    put(m.irq_ready, in.irq_ready);
    put_bits<2>(m.ann_msg_dir, in.ann_msg_dir);
    put_bits<4>(m.ann_msg_sock, in.ann_msg_sock);
    put(m.ann_msg_cmd, in.ann_msg_cmd);
    put(m.ann_msg_id, in.ann_msg_id);
    put(m.ann_msg_addr, in.ann_msg_addr);
    put(m.ann_msg_len, in.ann_msg_len);
    put(m.ann_decision, in.ann_decision);
    if (in.ann_labels_gen == impl_->labels_gen)
        return;
    impl_->labels_gen = in.ann_labels_gen;
    write_label(m.ann_tx_tlp, in.ann_tx_tlp);
    write_label(m.ann_rx_tlp, in.ann_rx_tlp);
    write_label(m.ann_host_req, in.ann_host_req);
    write_label(m.ann_host_rsp, in.ann_host_rsp);
    write_label(m.ann_fabric_tlp, in.ann_fabric_tlp);
}

void RtlModel::rise(uint64_t time_ps) {
    impl_->rtl->clk = 1;
    impl_->rtl->eval();
    if (impl_->fst)
        impl_->fst->dump(time_ps);
}

void RtlModel::fall(uint64_t time_ps) {
    impl_->rtl->clk = 0;
    impl_->rtl->eval();
    if (impl_->fst)
        impl_->fst->dump(time_ps);
}

void RtlModel::settle() {
    impl_->rtl->eval();
}

bool RtlModel::tracing() const {
    return impl_->fst != nullptr;
}

int RtlModel::trace_fst(const std::string &path, std::string *error) {
    if (impl_->fst) {
        *error = "an FST trace is already open";
        return -EALREADY;
    }
    impl_->fst = std::make_unique<VerilatedFstC>();
    impl_->rtl->trace(impl_->fst.get(), 99);
    impl_->fst->open(path.c_str());
    if (!impl_->fst->isOpen()) {
        impl_->fst.reset();
        *error = "cannot open FST file " + path;
        return -EIO;
    }
    return 0;
}

} // namespace rcsim
