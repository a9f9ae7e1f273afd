// The fabric_switch suites' bench (a switch or a root complex, NP ports
// with the upstream side last): a TLP as the model's fields, the packed
// per-port vectors read and written field by field, and the model driven a
// TLP at a time (offer, send, recv, block, idle_except; cfg_write_up and
// program_topology for the suites on program_switch_topology's hierarchy).
#pragma once

#include "clocked_model.hpp"

#include <verilated.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>

namespace rcsim::fabric_test {

// fabric_pkg's kind codes, the classes, the completion statuses.
constexpr unsigned kMem = 0, kCfg0 = 2, kCfg1 = 3, kCpl = 4;
constexpr unsigned kP = 0, kNp = 1, kCplCls = 2;
constexpr unsigned kSc = 0, kUr = 1;

struct Tlp {
    unsigned kind = 0, cls = 0, wr = 0;
    uint64_t addr = 0;
    unsigned id = 0, req_id = 0, tag = 0, be = 0;
    uint32_t data = 0;
    unsigned status = 0;
    uint32_t hdr = 0;
};

// The switch suites' hierarchy, written through cfg_write(type1, target ID,
// register, value). Root bus 0; the upstream port is 01:00.0, internal bus
// 2, buses up to 0x4f below. Downstream port k is 02:(k+1).0 with buses
// 0x10(k+1) .. 0x10(k+1)+0xf. Memory: the switch 0x8000_0000-0x8fff_ffff,
// port k 16 MiB from 0x8000_0000 + k * 16 MiB. Memory Space and Bus Master
// enabled everywhere.
template <class CfgWrite> void program_switch_topology(CfgWrite cfg_write) {
    cfg_write(false, 0x0100, 6, 0x004f0201);
    cfg_write(false, 0x0100, 8, 0x8ff08000);
    cfg_write(false, 0x0100, 1, 0x00000006);
    for (unsigned k = 0; k < 4; k++) {
        const unsigned dev = 0x0200 | ((k + 1) << 3);
        const uint32_t sec = 0x10 * (k + 1);
        cfg_write(true, dev, 6, ((sec + 0xf) << 16) | (sec << 8) | 0x02);
        const uint32_t base = 0x8000 + k * 0x100;
        cfg_write(true, dev, 8, ((base + 0xf0) << 16) | base);
        cfg_write(true, dev, 1, 0x00000006);
    }
}

// Field k of a packed per-port vector: Verilator hands out narrow vectors as
// integers and wide ones as VlWide; these two pairs cover both.
template <typename T> void put(T &sig, unsigned lsb, unsigned w, uint64_t v) {
    const uint64_t mask = (w >= 64) ? ~0ull : ((1ull << w) - 1);
    sig = static_cast<T>((static_cast<uint64_t>(sig) & ~(mask << lsb)) | ((v & mask) << lsb));
}
template <std::size_t N> void put(VlWide<N> &sig, unsigned lsb, unsigned w, uint64_t v) {
    if (lsb % 32 == 0 && (w == 32 || w == 64)) { // whole words: the random test's hot path
        sig[lsb / 32] = static_cast<uint32_t>(v);
        if (w == 64)
            sig[lsb / 32 + 1] = static_cast<uint32_t>(v >> 32);
        return;
    }
    for (unsigned i = 0; i < w; i++) {
        const unsigned b = lsb + i;
        const uint32_t bit = 1u << (b % 32);
        if ((v >> i) & 1u)
            sig[b / 32] |= bit;
        else
            sig[b / 32] &= ~bit;
    }
}
template <typename T> uint64_t get(const T &sig, unsigned lsb, unsigned w) {
    const uint64_t mask = (w >= 64) ? ~0ull : ((1ull << w) - 1);
    return (static_cast<uint64_t>(sig) >> lsb) & mask;
}
template <std::size_t N> uint64_t get(const VlWide<N> &sig, unsigned lsb, unsigned w) {
    if (lsb % 32 == 0 && (w == 32 || w == 64))
        return sig[lsb / 32] | (w == 64 ? static_cast<uint64_t>(sig[lsb / 32 + 1]) << 32 : 0);
    uint64_t v = 0;
    for (unsigned i = 0; i < w; i++) {
        const unsigned b = lsb + i;
        v |= static_cast<uint64_t>((sig[b / 32] >> (b % 32)) & 1u) << i;
    }
    return v;
}

template <class Model, unsigned NP> class SwitchBench {
  protected:
    // Nothing offered, nothing taken, nothing blocked; every link up and
    // the first four downstream ports present; then reset.
    void start_idle() {
        m_->in_valid = 0;
        m_->out_ready = 0;
        m_->out_blocked = 0;
        m_->link_up = 0x1f;
        m_->port_present = 0xf;
        m_.reset();
    }
    void tick() { m_.tick(); }

    void offer(unsigned p, const Tlp &t) {
        put(m_->in_kind, 3 * p, 3, t.kind);
        put(m_->in_cls, 2 * p, 2, t.cls);
        put(m_->in_wr, p, 1, t.wr);
        put(m_->in_addr, 64 * p, 64, t.addr);
        put(m_->in_id, 16 * p, 16, t.id);
        put(m_->in_req_id, 16 * p, 16, t.req_id);
        put(m_->in_tag, 8 * p, 8, t.tag);
        put(m_->in_be, 4 * p, 4, t.be);
        put(m_->in_data, 32 * p, 32, t.data);
        put(m_->in_status, 3 * p, 3, t.status);
        put(m_->in_hdr, 32 * p, 32, t.hdr);
        put(m_->in_valid, p, 1, 1);
        m_->eval();
    }

    // offers t on ingress p for one cycle; whether the switch took it
    bool send(unsigned p, const Tlp &t) {
        offer(p, t);
        const bool took = get(m_->in_ready, p, 1) != 0;
        done_.reset();
        if (m_->done_valid)
            done_ = m_->done_hdr;
        tick();
        put(m_->in_valid, p, 1, 0);
        m_->eval();
        return took;
    }

    // A config write from the upstream side (port NP - 1), answered SC.
    void cfg_write_up(bool type1, unsigned target, unsigned reg, uint32_t v) {
        Tlp t;
        t.kind = type1 ? kCfg1 : kCfg0;
        t.cls = kNp;
        t.wr = 1;
        t.addr = reg * 4;
        t.id = target;
        t.be = 0xf;
        t.data = v;
        ASSERT_TRUE(send(NP - 1, t));
        const auto c = recv(NP - 1);
        ASSERT_TRUE(c.has_value());
        ASSERT_EQ(c->status, kSc);
    }

    // program_switch_topology's hierarchy, written by cfg_write_up.
    void program_topology() {
        program_switch_topology([this](bool type1, unsigned target, unsigned reg, uint32_t v) {
            cfg_write_up(type1, target, reg, v);
        });
    }

    // takes the TLP egress p offers, if any
    std::optional<Tlp> recv(unsigned p) {
        m_->eval();
        if (!get(m_->out_valid, p, 1))
            return std::nullopt;
        Tlp t;
        t.kind = get(m_->out_kind, 3 * p, 3);
        t.cls = get(m_->out_cls, 2 * p, 2);
        t.wr = get(m_->out_wr, p, 1);
        t.addr = get(m_->out_addr, 64 * p, 64);
        t.id = get(m_->out_id, 16 * p, 16);
        t.req_id = get(m_->out_req_id, 16 * p, 16);
        t.tag = get(m_->out_tag, 8 * p, 8);
        t.be = get(m_->out_be, 4 * p, 4);
        t.data = get(m_->out_data, 32 * p, 32);
        t.status = get(m_->out_status, 3 * p, 3);
        t.hdr = get(m_->out_hdr, 32 * p, 32);
        put(m_->out_ready, p, 1, 1);
        tick();
        put(m_->out_ready, p, 1, 0);
        m_->eval();
        return t;
    }

    void block(unsigned p, unsigned classes) { put(m_->out_blocked, 3 * p, 3, classes); }

    bool idle_except(unsigned p) {
        m_->eval();
        for (unsigned q = 0; q < NP; q++) {
            if (q != p && get(m_->out_valid, q, 1))
                return false;
        }
        return true;
    }

    ClockedModel<Model> m_;
    std::optional<uint32_t> done_; // done_hdr of the last send, if done_valid
};

} // namespace rcsim::fabric_test
