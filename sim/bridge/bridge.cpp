#include "bridge.hpp"

#include <unistd.h>

namespace rcsim {

Bridge::Bridge(vuc_ctx *ctx, BarMap &bars, unsigned lanes, uint16_t device_bdf)
    : ctx_(ctx), bars_(bars), lanes_(lanes), device_bdf_(device_bdf), tx_asm_(lanes * 32) {
    for (unsigned t = 0; t < 256; ++t)
        free_tags_.push_back(uint8_t(t));
    vuc_set_dma_handler(ctx_, &Bridge::dma_trampoline, this);
}

Bridge::~Bridge() {
    for (int fd : irq_fds_)
        close(fd);
}

void Bridge::on_edge(const RtlOut &out, RtlIn &in) {
    if (dma_hooks_)
        dma_hooks_->tick();
    if (in.tx_ready && out.tx_valid)
        take_tx_beat(out.tx);
    if (in.rx_valid && out.rx_ready) {
        --rx_beats_;
        rx_.front().beats.pop();
        if (rx_.front().beats.empty()) {
            const bool peer_write = rx_.front().peer_write;
            const uint64_t job = rx_.front().job, bytes = rx_.front().bytes;
            rx_.pop_front();
            if (peer_write) {
                counters_.p2p_bytes_written += bytes;
                finish_piece(job, 0);
            }
        }
    }
    issue_reads();
    // Completions always drain (rtl/README.md: tx_ready never waits on rx).
    in.tx_ready = true;
    in.rx_valid = !rx_.empty();
    if (!rx_.empty())
        in.rx = rx_.front().beats.front();
}

void Bridge::take_tx_beat(const tlp::Beat &b) {
    std::optional<tlp::Decoded> d = tx_asm_.push(b);
    if (!d)
        return;
    if (!d->ok()) {
        ++counters_.unexpected_tlps;
        note_failure("root port sent an undecodable TLP: " + d->error);
        return;
    }
    const tlp::Tlp &t = *d->tlp;
    if (t.type == tlp::TlpType::MemWr32 || t.type == tlp::TlpType::MemWr64)
        posted_dws_taken_ += t.length_dws();
    dispatch(t);
}

// Whether the scheduler keeps a host request back (see gate_requests).
bool Bridge::hold(const tlp::Tlp &t) {
    const bool request = t.type == tlp::TlpType::MemRd32 || t.type == tlp::TlpType::MemRd64 ||
                         t.type == tlp::TlpType::MemWr32 || t.type == tlp::TlpType::MemWr64 ||
                         t.type == tlp::TlpType::CfgRd0 || t.type == tlp::TlpType::CfgWr0 ||
                         t.is_io();
    // A peer's request (several devices) is never the host's to hold: a
    // device's DMA into this device's BAR goes to the server at once.
    if (!gate_ || !request || t.requester_id != host_requester_)
        return false;
    if (held_.empty() && (!dma_phase_ || t.is_posted() || gate_(t)))
        return false;
    held_.push_back(t);
    return true;
}

void Bridge::end_dma_phase() {
    dma_phase_ = false;
    std::deque<tlp::Tlp> go;
    go.swap(held_);
    for (const tlp::Tlp &t : go)
        dispatch(t);
}

void Bridge::dispatch(const tlp::Tlp &t) {
    if (hold(t))
        return;
    switch (t.type) {
    case tlp::TlpType::MemRd32:
    case tlp::TlpType::MemRd64:
        return mmio_read(t);
    case tlp::TlpType::MemWr32:
    case tlp::TlpType::MemWr64:
        return mmio_write(t);
    case tlp::TlpType::CfgRd0:
        return cfg_read(t);
    case tlp::TlpType::CfgWr0:
        return cfg_write(t);
    case tlp::TlpType::IoRd:
        return io_read(t);
    case tlp::TlpType::IoWr:
        return io_write(t);
    case tlp::TlpType::Cpl:
    case tlp::TlpType::CplD:
        return dma_completion(t);
    default:
        ++counters_.unexpected_tlps;
        note_failure("root port sent a TLP the device side does not take: " + t.describe());
    }
}

BridgeCounters &BridgeCounters::operator+=(const BridgeCounters &o) {
    mmio_reads += o.mmio_reads;
    mmio_writes += o.mmio_writes;
    cfg_reads += o.cfg_reads;
    cfg_writes += o.cfg_writes;
    io_reads += o.io_reads;
    io_writes += o.io_writes;
    mapped_reads += o.mapped_reads;
    mapped_writes += o.mapped_writes;
    ur_completions += o.ur_completions;
    ca_completions += o.ca_completions;
    mmio_write_errors += o.mmio_write_errors;
    mmio_write_refusals_expected += o.mmio_write_refusals_expected;
    rom_writes_dropped += o.rom_writes_dropped;
    unexpected_tlps += o.unexpected_tlps;
    dma_reads += o.dma_reads;
    dma_writes += o.dma_writes;
    dma_errors += o.dma_errors;
    dma_bytes_read += o.dma_bytes_read;
    dma_bytes_written += o.dma_bytes_written;
    p2p_bytes_read += o.p2p_bytes_read;
    p2p_bytes_written += o.p2p_bytes_written;
    peer_reads_timed_out += o.peer_reads_timed_out;
    late_peer_completions += o.late_peer_completions;
    irqs_injected += o.irqs_injected;
    intx_acks += o.intx_acks;
    abandoned += o.abandoned;
    protocol_events += o.protocol_events;
    set_aside += o.set_aside;
    dma_replies_lost += o.dma_replies_lost;
    return *this;
}

void Bridge::inject(const tlp::Tlp &t) {
    RxEntry e(lanes_ * 32);
    e.beats.add(t);
    rx_beats_ += e.beats.beats();
    rx_.push_back(std::move(e));
}

void Bridge::track(vuc_id id, Pending p) {
    pending_.emplace(id, std::move(p));
}

void Bridge::on_event(const vuc_event &ev) {
    if (ev.kind == VUC_EV_COMPLETED)
        complete(ev.id);
    else if (ev.kind == VUC_EV_PROTOCOL) {
        ++counters_.protocol_events;
        note_failure("server sent a reply nobody asked for (dropped, -EPROTO)");
    }
}

void Bridge::complete(vuc_id id) {
    auto it = pending_.find(id);
    if (it == pending_.end()) {
        vuc_release(ctx_, id); // abandoned earlier: the late reply is dropped
        return;
    }
    const Pending p = std::move(it->second);
    pending_.erase(it);
    vuc_result r{};
    if (vuc_get_result(ctx_, id, &r) < 0)
        r.status = -EIO;
    if (p.kind == Kind::AwaitedCmd)
        command_results_[id] = {r.status, r.data ? std::vector<uint8_t>(r.data, r.data + r.data_len)
                                                 : std::vector<uint8_t>{}};
    else
        finish(p, r);
    vuc_release(ctx_, id);
    take_up_set_aside();
}

std::vector<std::string> Bridge::awaited() const {
    std::vector<std::string> v;
    for (const auto &[id, p] : pending_)
        v.push_back(p.what + " #" + std::to_string(uint16_t(id)));
    return v;
}

void Bridge::abandon_outstanding(const std::string &why) {
    for (const auto &[id, p] : pending_) {
        ++counters_.abandoned;
        note_failure("no reply to " + p.what + " #" + std::to_string(uint16_t(id)) + " " + why +
                     ": left to the completion timeout");
        vuc_release(ctx_, id);
    }
    pending_.clear();
    take_up_set_aside(); // nothing of ours is outstanding any more
}

bool Bridge::idle() const {
    return rx_.empty() && pending_.empty() && jobs_.empty() && held_.empty() && !tx_asm_.in_tlp() &&
           set_aside_.empty() && !(dma_hooks_ && dma_hooks_->holding());
}

} // namespace rcsim
