#include "endpoint_model.hpp"

#include "tlp_rules.hpp"

#include <algorithm>

namespace rcsim::test {

using namespace rcsim::tlp;

EndpointModel::EndpointModel(unsigned width_bits, EndpointConfig cfg)
    : width_(width_bits), cfg_(cfg), assembler_(width_bits) {}

bool EndpointModel::tx_ready(uint64_t cycle) const {
    return cfg_.tx_stall_every <= 1 || cycle % cfg_.tx_stall_every != 0;
}

void EndpointModel::tx_beat(const Beat &beat, uint64_t cycle) {
    std::optional<Decoded> r = assembler_.push(beat);
    if (!r)
        return;
    if (!r->ok()) {
        rx_errors.push_back(r->error);
        return;
    }
    handle(*r->tlp, cycle);
}

void EndpointModel::handle(const Tlp &t, uint64_t cycle) {
    received.push_back(t);
    if (t.is_completion()) {
        dma_completions[t.tag].push_back(t);
        return;
    }
    if (t.type == TlpType::MemWr32 || t.type == TlpType::MemWr64) {
        mem_writes.push_back(t);
        apply_write(t);
        return;
    }
    if (t.type == TlpType::CfgWr0 || t.type == TlpType::IoWr) {
        (t.is_io() ? io_writes : cfg_writes).push_back(t);
        apply_write(t);
    } else if (t.is_read()) {
        requests.push_back(t);
    } else {
        return; // messages toward the device: recorded only
    }
    std::vector<Tlp> reply = answer(t);
    if (reply.empty())
        return;
    if (cfg_.reorder_window > 1 && t.is_read()) {
        held_.push_back(std::move(reply));
        last_held_ = cycle;
        if (held_.size() >= cfg_.reorder_window)
            flush_held();
        return;
    }
    if (cfg_.cpl_delay == 0) {
        queue(std::move(reply), cycle);
        return;
    }
    pending_.push_back({cycle + cfg_.cpl_delay, std::move(reply)});
}

std::vector<Tlp> EndpointModel::answer(const Tlp &req) {
    const Reply how = reply_policy ? reply_policy(req) : Reply::Normal;
    if (how == Reply::Drop)
        return {};
    if (how == Reply::UR || how == Reply::CA)
        return {Tlp::completion(req, cfg_.id, how == Reply::UR ? CplStatus::UR : CplStatus::CA)};
    if (req.type == TlpType::CfgWr0 || req.type == TlpType::IoWr)
        return {Tlp::completion(req, cfg_.id, CplStatus::SC)};
    std::vector<Tlp> out;
    if (req.type == TlpType::CfgRd0) {
        const uint32_t v = cfg_value(req.dest_id, req.register_number);
        out.push_back(Tlp::completion_data(
            req.requester_id, req.tag, cfg_.id, 4, 0,
            {uint8_t(v), uint8_t(v >> 8), uint8_t(v >> 16), uint8_t(v >> 24)}));
    } else if (req.type == TlpType::IoRd) {
        // I/O completions: byte count 4, lower address 0 (PCIe 2.2.9).
        const uint32_t v = io_value(uint32_t(req.address));
        out.push_back(Tlp::completion_data(
            req.requester_id, req.tag, cfg_.id, 4, 0,
            {uint8_t(v), uint8_t(v >> 8), uint8_t(v >> 16), uint8_t(v >> 24)}));
    } else {
        std::vector<uint8_t> data(req.request_bytes());
        for (size_t i = 0; i < data.size(); ++i)
            data[i] = mem_byte(req.first_byte_address() + i);
        out = read_completions(req, cfg_.id, data, cfg_.rcb, cfg_.max_payload);
    }
    if (how == Reply::Poison)
        for (Tlp &c : out)
            c.ep = true;
    return out;
}

void EndpointModel::apply_write(const Tlp &t) {
    if (t.type == TlpType::CfgWr0) {
        const uint32_t key = uint32_t(t.dest_id) << 16 | t.register_number;
        uint32_t v = cfg_value(t.dest_id, t.register_number);
        for (unsigned b = 0; b < 4; ++b)
            if (t.first_be & (1u << b))
                v = (v & ~(0xffu << (8 * b))) | uint32_t(t.payload.at(b)) << (8 * b);
        cfg_space_[key] = v;
        return;
    }
    if (t.type == TlpType::IoWr) {
        const uint32_t key = uint32_t(t.address) & ~3u;
        uint32_t v = io_value(key);
        for (unsigned b = 0; b < 4; ++b)
            if (t.first_be & (1u << b))
                v = (v & ~(0xffu << (8 * b))) | uint32_t(t.payload.at(b)) << (8 * b);
        io_space_[key] = v;
        return;
    }
    const uint64_t base = t.first_byte_address();
    const std::vector<uint8_t> bytes = t.enabled_bytes();
    // Byte enables are contiguous for every write the root port may send.
    for (size_t i = 0; i < bytes.size(); ++i)
        mem_[base + i] = bytes[i];
}

uint8_t EndpointModel::mem_byte(uint64_t addr) const {
    auto it = mem_.find(addr);
    return it == mem_.end() ? pattern_byte(addr) : it->second;
}

uint32_t EndpointModel::io_value(uint32_t addr) const {
    auto it = io_space_.find(addr & ~3u);
    return it == io_space_.end() ? io_pattern(addr) : it->second;
}

uint32_t EndpointModel::cfg_value(uint16_t bdf, uint16_t reg) const {
    auto it = cfg_space_.find(uint32_t(bdf) << 16 | reg);
    return it == cfg_space_.end() ? cfg_pattern(bdf, reg) : it->second;
}

void EndpointModel::queue(std::vector<Tlp> tlps, uint64_t due) {
    for (Tlp &t : tlps) {
        out_.push_back({due, to_beats(t, width_)});
        sent.push_back(std::move(t));
    }
}

void EndpointModel::flush_held() {
    for (auto it = held_.rbegin(); it != held_.rend(); ++it)
        queue(std::move(*it), now_);
    held_.clear();
}

void EndpointModel::tick(uint64_t cycle) {
    now_ = cycle;
    if (!held_.empty() && cfg_.reorder_flush_after &&
        cycle - last_held_ >= cfg_.reorder_flush_after)
        flush_held();
    // Keep completion order among requests with the same delay.
    std::vector<Pending> later;
    for (Pending &p : pending_) {
        if (p.due <= cycle)
            queue(std::move(p.tlps), cycle);
        else
            later.push_back(std::move(p));
    }
    pending_ = std::move(later);
}

const Beat *EndpointModel::rx_beat() const {
    if (out_.empty() || out_.front().due > now_)
        return nullptr;
    return &out_.front().beats[out_pos_];
}

void EndpointModel::rx_beat_taken(uint64_t cycle) {
    if (++out_pos_ < out_.front().beats.size())
        return;
    rx_eop_cycles.push_back(cycle);
    out_.pop_front();
    out_pos_ = 0;
}

void EndpointModel::send(const Tlp &t, unsigned delay) {
    queue({t}, now_ + delay);
}

void EndpointModel::send_dws(const std::vector<uint32_t> &dws, unsigned delay) {
    out_.push_back({now_ + delay, dws_to_beats(dws, width_)});
}

void EndpointModel::send_beats(const std::vector<Beat> &beats, unsigned delay) {
    out_.push_back({now_ + delay, beats});
}

void EndpointModel::send_wire(const std::vector<uint8_t> &bytes, size_t header_dws,
                              unsigned delay) {
    std::vector<uint32_t> dws;
    for (size_t i = 0; i + 4 <= bytes.size(); i += 4)
        dws.push_back(i / 4 < header_dws ? header_dw_from_bytes(&bytes[i])
                                         : payload_dw_from_bytes(&bytes[i]));
    send_dws(dws, delay);
}

uint8_t EndpointModel::dma_read(uint64_t addr, uint32_t bytes) {
    const uint8_t tag = next_tag_++;
    send(Tlp::mem_read(addr, bytes, cfg_.id, tag));
    return tag;
}

void EndpointModel::dma_write(uint64_t addr, const std::vector<uint8_t> &data) {
    send(Tlp::mem_write(addr, data, cfg_.id));
}

void EndpointModel::msi(uint64_t addr, uint32_t data) {
    send(Tlp::mem_write(
        addr, {uint8_t(data), uint8_t(data >> 8), uint8_t(data >> 16), uint8_t(data >> 24)},
        cfg_.id));
}

void EndpointModel::intx(MsgCode code) {
    send(Tlp::intx(code, cfg_.id));
}

} // namespace rcsim::test
