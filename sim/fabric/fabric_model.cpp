#include "fabric_model.hpp"

#include <Vfabric_rc.h>
#include <Vfabric_sw.h>
#include <verilated.h>

#include <algorithm>

namespace rcsim::fabric {

namespace {

// Field k of a packed per-port vector: Verilator hands out vectors up to 64
// bits as integers and wider ones as VlWide.
template <typename T> void put_bits(T &sig, unsigned lsb, unsigned w, uint64_t v) {
    const uint64_t mask = (w >= 64) ? ~0ull : ((1ull << w) - 1);
    sig = static_cast<T>((static_cast<uint64_t>(sig) & ~(mask << lsb)) | ((v & mask) << lsb));
}
// Word by word: the per-port vectors are wide (9 ports), and this runs for
// every field of every port a model is driven on.
template <std::size_t N> void put_bits(VlWide<N> &sig, unsigned lsb, unsigned w, uint64_t v) {
    while (w > 0) {
        const unsigned off = lsb % 32, n = std::min(w, 32 - off);
        const uint32_t mask = (n == 32 ? ~0u : ((1u << n) - 1)) << off;
        sig[lsb / 32] = (sig[lsb / 32] & ~mask) | ((uint32_t(v) << off) & mask);
        v >>= n;
        lsb += n;
        w -= n;
    }
}
template <typename T> uint64_t get_bits(const T &sig, unsigned lsb, unsigned w) {
    const uint64_t mask = (w >= 64) ? ~0ull : ((1ull << w) - 1);
    return (static_cast<uint64_t>(sig) >> lsb) & mask;
}
template <std::size_t N> uint64_t get_bits(const VlWide<N> &sig, unsigned lsb, unsigned w) {
    uint64_t v = 0;
    for (unsigned got = 0; got < w;) {
        const unsigned off = (lsb + got) % 32, n = std::min(w - got, 32 - off);
        const uint64_t bits = (sig[(lsb + got) / 32] >> off) & (n == 32 ? ~0u : ((1u << n) - 1));
        v |= bits << got;
        got += n;
    }
    return v;
}

template <class V> class VerilatedModel : public Model {
  public:
    VerilatedModel()
        : ctx_(std::make_unique<VerilatedContext>()), m_(std::make_unique<V>(ctx_.get())) {
        m_->clk = 0;
        m_->in_valid = 0;
        m_->out_ready = 0;
        m_->out_blocked = 0;
        m_->in_pl = 0;
        m_->in_beat_valid = 0;
        m_->out_beat_ready = (1u << kPorts) - 1; // every beat is taken
    }
    ~VerilatedModel() override { m_->final(); }
    VerilatedModel(const VerilatedModel &) = delete;
    VerilatedModel &operator=(const VerilatedModel &) = delete;

    void set_link_up(uint16_t mask) override { m_->link_up = mask; }
    void set_present(uint8_t mask) override { m_->port_present = mask; }

    void set_in(unsigned p, const Fields *f) override {
        put_bits(m_->in_valid, p, 1, f != nullptr);
        if (f == nullptr)
            return;
        put_bits(m_->in_kind, 3 * p, 3, f->kind);
        put_bits(m_->in_cls, 2 * p, 2, f->cls);
        put_bits(m_->in_wr, p, 1, f->wr);
        put_bits(m_->in_addr, 64 * p, 64, f->addr);
        put_bits(m_->in_id, 16 * p, 16, f->id);
        put_bits(m_->in_req_id, 16 * p, 16, f->req_id);
        put_bits(m_->in_tag, 8 * p, 8, f->tag);
        put_bits(m_->in_be, 4 * p, 4, f->be);
        put_bits(m_->in_data, 32 * p, 32, f->data);
        put_bits(m_->in_status, 3 * p, 3, f->status);
        put_bits(m_->in_hdr, 32 * p, 32, f->hdr);
        put_bits(m_->in_pl, p, 1, f->pl);
    }

    void set_beat_in(unsigned p, const tlp::Beat *b, bool np) override {
        put_bits(m_->in_beat_valid, p, 1, b != nullptr);
        if (b == nullptr)
            return;
        for (unsigned j = 0; j < kLanes; j++)
            m_->in_beat_data[kLanes * p + j] = b->lanes[j];
        put_bits(m_->in_beat_keep, kLanes * p, kLanes, b->keep);
        put_bits(m_->in_beat_eop, p, 1, b->eop);
        put_bits(m_->in_beat_np, p, 1, np);
    }

    void set_out_ready(unsigned p, bool ready) override { put_bits(m_->out_ready, p, 1, ready); }
    void set_out_blocked(unsigned p, uint8_t classes) override {
        put_bits(m_->out_blocked, 3 * p, 3, classes);
    }
    void eval() override { m_->eval(); }
    bool in_ready(unsigned p) const override { return get_bits(m_->in_ready, p, 1) != 0; }
    bool beat_in_ready(unsigned p) const override { return get_bits(m_->in_beat_ready, p, 1) != 0; }

    bool out(unsigned p, Fields *f) const override {
        if (!get_bits(m_->out_valid, p, 1))
            return false;
        f->kind = uint8_t(get_bits(m_->out_kind, 3 * p, 3));
        f->cls = uint8_t(get_bits(m_->out_cls, 2 * p, 2));
        f->wr = get_bits(m_->out_wr, p, 1) != 0;
        f->addr = get_bits(m_->out_addr, 64 * p, 64);
        f->id = uint16_t(get_bits(m_->out_id, 16 * p, 16));
        f->req_id = uint16_t(get_bits(m_->out_req_id, 16 * p, 16));
        f->tag = uint8_t(get_bits(m_->out_tag, 8 * p, 8));
        f->be = uint8_t(get_bits(m_->out_be, 4 * p, 4));
        f->data = uint32_t(get_bits(m_->out_data, 32 * p, 32));
        f->status = uint8_t(get_bits(m_->out_status, 3 * p, 3));
        f->hdr = uint32_t(get_bits(m_->out_hdr, 32 * p, 32));
        f->pl = get_bits(m_->out_pl, p, 1) != 0;
        return true;
    }

    bool beat_out(unsigned p, tlp::Beat *b) const override {
        if (!get_bits(m_->out_beat_valid, p, 1))
            return false;
        for (unsigned j = 0; j < kLanes; j++)
            b->lanes[j] = m_->out_beat_data[kLanes * p + j];
        b->keep = tlp::Keep(get_bits(m_->out_beat_keep, kLanes * p, kLanes));
        b->sop = get_bits(m_->out_beat_sop, p, 1) != 0;
        b->eop = get_bits(m_->out_beat_eop, p, 1) != 0;
        return true;
    }

    bool streaming() const override { return m_->out_beat_valid != 0; }

    bool done(uint32_t *hdr) const override {
        if (!m_->done_valid)
            return false;
        *hdr = m_->done_hdr;
        return true;
    }

    // The falling edge is not evaluated: nothing is clocked on it and no
    // output depends on clk, so the outputs are settled after the rising
    // edge's eval, and the next eval (the next edge's inputs) sees clk low.
    // Every eval() runs all the input-driven logic once (bench-topology:
    // a third of the model's cost went to the falling edge).
    void tick() override {
        m_->clk = 1;
        m_->eval();
        m_->clk = 0;
    }

    void reset() override {
        m_->rst_n = 0;
        tick();
        m_->rst_n = 1;
        m_->eval();
    }

    ModelCounts counts() const override {
        return ModelCounts{m_->cnt_ur_cpl, m_->cnt_p_drop, m_->cnt_cpl_drop, m_->cnt_bad_cls,
                           m_->cnt_pl_over};
    }

  private:
    std::unique_ptr<VerilatedContext> ctx_;
    std::unique_ptr<V> m_;
};

} // namespace

std::unique_ptr<Model> make_root_complex_model() {
    return std::make_unique<VerilatedModel<Vfabric_rc>>();
}

std::unique_ptr<Model> make_switch_model() {
    return std::make_unique<VerilatedModel<Vfabric_sw>>();
}

} // namespace rcsim::fabric
