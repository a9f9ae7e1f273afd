#include "host_port_driver.hpp"

namespace rcsim {

uint8_t HostPortDriver::submit(HostRequest r) {
    // Labels of responses not yet taken are skipped, so a label is never
    // shared by two requests in flight.
    uint8_t label = next_label_;
    while (waiting_.count(label) || done_.count(label))
        ++label;
    next_label_ = uint8_t(label + 1);
    if (r.op != HostOp::MemWr)
        waiting_[label] = true;
    reqs_.emplace_back(label, std::move(r));
    return label;
}

std::optional<HostResponse> HostPortDriver::take_response(uint8_t label) {
    auto it = done_.find(label);
    if (it == done_.end())
        return std::nullopt;
    HostResponse r = std::move(it->second);
    done_.erase(it);
    return r;
}

void HostPortDriver::accept_request() {
    const HostRequest &r = reqs_.front().second;
    if (unsigned(r.op) & 1) { // MemWr, CfgWr, IoWr carry data
        const unsigned beats = r.op != HostOp::MemWr ? 1 : (r.len_dw + lanes_ - 1) / lanes_;
        for (unsigned b = 0; b < beats; ++b) {
            Lanes l{};
            for (unsigned i = 0; i < lanes_; ++i) {
                const size_t k = size_t(b) * lanes_ + i;
                if (k < r.data.size())
                    l[i] = r.data[k];
            }
            wdata_.push_back(l);
        }
    }
    reqs_.pop_front();
}

void HostPortDriver::take_beat(const RtlOut &out) {
    if (out.hrsp_sop) {
        cur_ = HostResponse{static_cast<HostStatus>(out.hrsp_status), {}};
        cur_label_ = out.hrsp_id;
    }
    for (unsigned i = 0; i < lanes_; ++i)
        if (out.hrsp_keep & (1u << i))
            cur_.dws.push_back(out.hrsp_data[i]);
    if (out.hrsp_eop) {
        waiting_.erase(cur_label_);
        done_[cur_label_] = std::move(cur_);
    }
}

void HostPortDriver::on_edge(const RtlOut &out, RtlIn &in) {
    if (in.hreq_valid && out.hreq_ready)
        accept_request();
    if (in.hwd_valid && out.hwd_ready)
        wdata_.pop_front();
    if (in.hrsp_ready && out.hrsp_valid)
        take_beat(out);
    if (in.irq_ready && out.irq_valid)
        msi_.push_back({out.irq_addr, out.irq_data, cycle_});
    for (unsigned i = 0; i < 4; ++i)
        if ((out.intx & ~intx_) & (1u << i))
            ++intx_rises_[i];
    intx_ = out.intx;
    drive(in);
}

void HostPortDriver::drive(RtlIn &in) const {
    in.hrsp_ready = true;
    in.irq_ready = true;
    in.hreq_valid = !reqs_.empty();
    if (!reqs_.empty()) {
        const auto &[label, r] = reqs_.front();
        in.hreq_op = r.op;
        in.hreq_id = label;
        in.hreq_addr = r.addr;
        in.hreq_len_dw = r.len_dw;
        in.hreq_first_be = r.first_be;
        in.hreq_last_be = r.last_be;
        in.hreq_cfg_bdf = r.bdf;
        in.hreq_cfg_reg = r.reg;
    }
    in.hwd_valid = !wdata_.empty();
    if (!wdata_.empty())
        in.hwd_data = wdata_.front();
}

} // namespace rcsim
