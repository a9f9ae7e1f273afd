// The fabric's data path: TLPs in, one clock edge of every model with the
// wires between them, TLPs out.
#include "fabric.hpp"

#include <algorithm>

namespace rcsim::fabric {

Fabric::Fabric() : store_(kCapacity) {}
Fabric::~Fabric() = default;

bool Fabric::enter(At at, const tlp::Tlp &t) {
    std::deque<Fields> &wire = models_[at.model].in[at.port];
    if (wire.size() >= kWireDepth || store_.full())
        return false;
    const uint32_t h = store_.put(t);
    Fields f;
    if (!to_fields(t, h, &f)) {
        store_.release(h);
        counters_.posted_dropped++;
        counters_.tlps_in++;
        return true;
    }
    wire.push_back(f);
    counters_.tlps_in++;
    return true;
}

bool Fabric::from_host(const tlp::Tlp &t) {
    return enter(At{0, Model::kUp}, t);
}

bool Fabric::from_device(size_t d, const tlp::Tlp &t) {
    if (d >= device_at_.size())
        return false;
    return enter(device_at_[d], t);
}

bool Fabric::to_host(tlp::Tlp *t) {
    if (to_host_.empty())
        return false;
    *t = std::move(to_host_.front());
    to_host_.pop_front();
    return true;
}

bool Fabric::to_device(size_t d, tlp::Tlp *t) {
    if (d >= to_device_.size() || to_device_[d].empty())
        return false;
    *t = std::move(to_device_[d].front());
    to_device_[d].pop_front();
    return true;
}

// What a TLP in the RTL stands for: the stored one, or a completion made
// by a model.
tlp::Tlp Fabric::view(const Fields &f) const {
    const tlp::Tlp *stored = store_.get(f.hdr);
    return stored != nullptr ? *stored : made_completion(f);
}

// Egress q of model m gave up f on this edge: onto the next wire, or out.
void Fabric::leave(size_t m, unsigned q, const Fields &f) {
    const Sink &s = models_[m].sink[q];
    if (hop_)
        hop_(view(f), models_[m].name[q]);
    if (s.kind == Sink::Kind::Model) {
        models_[s.index].in[s.port].push_back(f);
        return;
    }
    tlp::Tlp t;
    if (!store_.take(f.hdr, &t))
        t = made_completion(f);
    counters_.tlps_out++;
    if (s.kind == Sink::Kind::Host)
        to_host_.push_back(std::move(t));
    else if (s.kind == Sink::Kind::Device)
        to_device_[s.index].push_back(std::move(t));
}

void Fabric::tick() {
    struct Moved {
        size_t model;
        unsigned port;
        Fields f;
    };
    std::vector<Moved> taken, left;
    for (size_t m = 0; m < models_.size(); m++) {
        ModelPorts &mp = models_[m];
        std::array<bool, Model::kPorts> ready{};
        for (unsigned p = 0; p < Model::kPorts; p++) {
            mp.model->set_in(p, mp.in[p].empty() ? nullptr : &mp.in[p].front());
            const Sink &s = mp.sink[p];
            size_t room = 0;
            if (s.kind == Sink::Kind::Model)
                room = kWireDepth - std::min(kWireDepth, models_[s.index].in[s.port].size());
            else if (s.kind == Sink::Kind::Host)
                room = kExitDepth - std::min(kExitDepth, to_host_.size());
            else if (s.kind == Sink::Kind::Device)
                room = kExitDepth - std::min(kExitDepth, to_device_[s.index].size());
            ready[p] = room > 0;
            mp.model->set_out_ready(p, ready[p]);
        }
        mp.model->eval();
        for (unsigned p = 0; p < Model::kPorts; p++) {
            Fields f;
            if (!mp.in[p].empty() && mp.model->in_ready(p))
                taken.push_back(Moved{m, p, Fields{}});
            if (ready[p] && mp.model->out(p, &f))
                left.push_back(Moved{m, p, f});
        }
        uint32_t h = 0;
        if (mp.model->done(&h))
            store_.release(h); // answered or dropped inside: never leaves
    }
    for (ModelPorts &mp : models_)
        mp.model->tick();
    for (const Moved &t : taken)
        models_[t.model].in[t.port].pop_front();
    for (const Moved &l : left)
        leave(l.model, l.port, l.f);
    add_counts();
}

// The models' 16-bit counters, widened by their change since the last tick.
void Fabric::add_counts() {
    for (ModelPorts &mp : models_) {
        const ModelCounts c = mp.model->counts();
        counters_.ur_made += uint16_t(c.ur_cpl - mp.last.ur_cpl);
        counters_.posted_dropped += uint16_t(c.p_drop - mp.last.p_drop);
        counters_.posted_dropped += uint16_t(c.bad_cls - mp.last.bad_cls);
        counters_.cpl_dropped += uint16_t(c.cpl_drop - mp.last.cpl_drop);
        mp.last = c;
    }
}

bool Fabric::idle() const {
    for (const ModelPorts &mp : models_) {
        for (unsigned p = 0; p < Model::kPorts; p++) {
            Fields f;
            if (!mp.in[p].empty() || mp.model->out(p, &f))
                return false;
        }
    }
    return true;
}

} // namespace rcsim::fabric
