// One verilated fabric_switch (rtl/fabric/) behind plain calls: a root
// complex (UP_IS_BRIDGE 0) or a switch (1), both with 8 downstream ports
// (0..7, device k+1) and the upstream side as port 8, and the payload data
// path (PAYLOAD 1, DATA_W the harness's width, MPS and SLOTS as Fabric
// says). The generated headers stay in fabric_model.cpp.
#pragma once

#include "fabric_fields.hpp"
#include "tlp_beats.hpp"

#include <cstdint>
#include <memory>

namespace rcsim::fabric {

// The model's 16-bit wrapping counters.
struct ModelCounts {
    uint16_t ur_cpl = 0, p_drop = 0, cpl_drop = 0, bad_cls = 0;
    uint16_t pl_over = 0; // TLPs dropped whole: payload beyond MPS
};

class Model {
  public:
    static constexpr unsigned kDownPorts = 8;
    static constexpr unsigned kPorts = kDownPorts + 1;
    static constexpr unsigned kUp = kDownPorts;
    // DWs a payload beat carries (DATA_W / 32).
    static constexpr unsigned kLanes = RCSIM_HARNESS_W / 32;

    virtual ~Model() = default;
    virtual void set_link_up(uint16_t mask) = 0;
    virtual void set_present(uint8_t mask) = 0;
    // Drives ingress p with f (nullptr: nothing offered); f->pl is in_pl.
    virtual void set_in(unsigned p, const Fields *f) = 0;
    // Drives ingress p's beat port with b (nullptr: no beat), of the NP/CPL
    // lane (np) or the posted one.
    virtual void set_beat_in(unsigned p, const tlp::Beat *b, bool np) = 0;
    virtual void set_out_ready(unsigned p, bool ready) = 0;
    // Classes (bit 0 P, 1 NP, 2 CPL) egress p must not send: no credit.
    virtual void set_out_blocked(unsigned p, uint8_t classes) = 0;
    virtual void eval() = 0;
    // After eval(): whether ingress p's TLP is taken on the next edge.
    virtual bool in_ready(unsigned p) const = 0;
    // After eval(): whether ingress p's beat is taken on the next edge.
    virtual bool beat_in_ready(unsigned p) const = 0;
    // After eval(): the TLP egress p offers, if any.
    virtual bool out(unsigned p, Fields *f) const = 0;
    // After eval(): the beat egress p offers, if any. Every beat offered is
    // taken on the next edge (out_beat_ready is always high: the fabric
    // has room for a whole payload wherever a header went).
    virtual bool beat_out(unsigned p, tlp::Beat *b) const = 0;
    // After eval(): some egress offers a beat.
    virtual bool streaming() const = 0;
    // After eval(): the handle of a TLP taken that never leaves, if any.
    virtual bool done(uint32_t *hdr) const = 0;
    virtual void tick() = 0;  // a rising edge, then eval
    virtual void reset() = 0; // a cycle of rst_n low
    virtual ModelCounts counts() const = 0;
};

std::unique_ptr<Model> make_root_complex_model();
std::unique_ptr<Model> make_switch_model();

} // namespace rcsim::fabric
