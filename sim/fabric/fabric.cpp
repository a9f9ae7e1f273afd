// The fabric's data path: TLPs in, one clock edge of every model with the
// wires between them, TLPs out.
#include "fabric.hpp"

#include "payload_beats.hpp"

namespace rcsim::fabric {

Fabric::Fabric() : store_(kCapacity) {}
Fabric::~Fabric() = default;

bool Fabric::enter(At at, const tlp::Tlp &t) {
    Wire &wire = models_[at.model].in[at.port];
    Fields f;
    if (!to_fields(t, 1, &f)) { // not routed here: taken and counted
        if (t.is_posted()) {
            counters_.posted_dropped++;
            note_dropped(t);
        } else {
            counters_.np_unrouted++; // no completion comes: the requester times out
        }
        counters_.tlps_in++;
        return true;
    }
    if (!wire.room(f.cls) || store_.full())
        return false;
    const bool bcast = f.kind == kKindMsgBcast && at.model == 0 && at.port == Model::kUp;
    f.hdr = store_.put(t, bcast ? bcast_refs_ : 1); // the payload stays out of the store
    wire.push(f, f.pl ? payload_dws(t) : std::vector<uint32_t>{});
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

// What a TLP in the RTL stands for: the stored one with the payload that
// crossed the RTL, or a completion made by a model.
tlp::Tlp Fabric::view(const Fields &f, const std::vector<uint32_t> &dws) const {
    const tlp::Tlp *stored = store_.get(f.hdr);
    if (stored == nullptr)
        return made(f);
    tlp::Tlp t = *stored;
    restore_payload(&t, f, dws);
    return t;
}

// A completion a model made. For a memory read's UR, the spec's byte count
// (what remained: all of it) and lower address come from the read itself.
tlp::Tlp Fabric::made(const Fields &f) const {
    const auto read = ur_reads_.find(uint32_t(f.id) << 8 | f.tag);
    if (f.wr || f.status == uint8_t(tlp::CplStatus::SC) || read == ur_reads_.end())
        return made_completion(f);
    return tlp::Tlp::completion(read->second, f.req_id, static_cast<tlp::CplStatus>(f.status));
}

// A model took the TLP behind `handle` and will not send it on.
void Fabric::consumed(uint32_t handle) {
    const tlp::Tlp *t = store_.get(handle);
    if (t != nullptr && t->is_memory() && t->is_read())
        ur_reads_[uint32_t(t->requester_id) << 8 | t->tag] = *t;
    if (t != nullptr && t->is_posted())
        note_dropped(*t);
    store_.release(handle);
}

void Fabric::note_dropped(const tlp::Tlp &t) {
    tlp::Tlp header = t;
    header.payload.clear(); // lost; the report needs the header only
    if (dropped_kept_.size() < kDroppedKept)
        dropped_kept_.push_back(header);
    dropped_new_.push_back(std::move(header));
}

bool Fabric::take_dropped(tlp::Tlp *t) {
    if (dropped_new_.empty())
        return false;
    *t = std::move(dropped_new_.front());
    dropped_new_.pop_front();
    return true;
}

// Egress q of model m gave up f's header on this edge: onto the next wire,
// its payload (if any) to follow beat by beat.
void Fabric::leave(size_t m, unsigned q, const Fields &f) {
    ModelPorts &mp = models_[m];
    const Sink &s = mp.sink[q];
    if (s.kind == Sink::Kind::Model)
        models_[s.index].in[s.port].push(f, {}, !f.pl); // room was checked (drive)
    if (!f.pl) {
        left_whole(m, q, f, {});
        return;
    }
    mp.leaving[q].f = f;
    mp.leaving[q].dws.clear();
}

// A beat of the payload leaving egress q of model m.
void Fabric::beat_left(size_t m, unsigned q, const tlp::Beat &b) {
    ModelPorts &mp = models_[m];
    const Sink &s = mp.sink[q];
    Leaving &l = mp.leaving[q];
    const std::vector<uint32_t> *dws = &l.dws;
    if (s.kind == Sink::Kind::Model)
        dws = models_[s.index].in[s.port].append(b);
    else
        append_beat(&l.dws, b, Model::kLanes);
    if (b.eop && dws != nullptr)
        left_whole(m, q, l.f, *dws);
}

// The whole TLP behind f (header, and payload dws) has left egress q of
// model m: traced, and out when that egress is an exit.
void Fabric::left_whole(size_t m, unsigned q, const Fields &f, const std::vector<uint32_t> &dws) {
    const Sink &s = models_[m].sink[q];
    if (hop_)
        hop_(view(f, dws), models_[m].name[q]);
    if (s.kind == Sink::Kind::Model)
        return;
    tlp::Tlp t;
    if (store_.take(f.hdr, &t)) {
        restore_payload(&t, f, dws);
    } else {
        t = made(f);
        ur_reads_.erase(uint32_t(f.id) << 8 | f.tag);
    }
    counters_.tlps_out++;
    if (s.kind == Sink::Kind::Host)
        to_host_.push_back(std::move(t));
    else if (s.kind == Sink::Kind::Device)
        to_device_[s.index].push_back(std::move(t));
}

// Sets one model's inputs: each ingress wire's offer (a header, a payload
// beat), and for each egress whether its sink has room (a wire: per class,
// by out_blocked).
void Fabric::drive(ModelPorts &mp, std::array<bool, Model::kPorts> *ready) {
    mp.blocked_any = false;
    for (unsigned p = 0; p < Model::kPorts; p++) {
        mp.model->set_in(p, mp.in[p].offer());
        const tlp::Beat *b = mp.in[p].beat();
        mp.model->set_beat_in(p, b, mp.in[p].beat_np());
        const Sink &s = mp.sink[p];
        uint8_t blocked = 0;
        bool room = false;
        if (s.kind == Sink::Kind::Model) {
            const Wire &w = models_[s.index].in[s.port];
            for (uint8_t c = 0; c < 3; c++)
                blocked |= uint8_t(w.room(c) ? 0 : 1u << c);
            room = blocked != 7;
        } else if (s.kind == Sink::Kind::Host) {
            room = to_host_.size() < kExitDepth;
        } else if (s.kind == Sink::Kind::Device) {
            room = to_device_[s.index].size() < kExitDepth;
        }
        (*ready)[p] = room;
        mp.blocked_any = mp.blocked_any || blocked != 0;
        mp.model->set_out_ready(p, room);
        mp.model->set_out_blocked(p, blocked);
    }
}

// Model m's inputs for this edge, and what it will do on it.
void Fabric::decide(size_t m) {
    ModelPorts &mp = models_[m];
    std::array<bool, Model::kPorts> ready{};
    drive(mp, &ready);
    mp.model->eval();
    for (unsigned p = 0; p < Model::kPorts; p++) {
        Fields f;
        if (ready[p] && mp.model->out(p, &f))
            left_.push_back(Left{m, p, f});
        tlp::Beat b;
        if (mp.model->beat_out(p, &b))
            beats_left_.push_back(BeatLeft{m, p, b});
        took_[m].hdr[p] = mp.model->in_ready(p);
        took_[m].beat[p] = mp.model->beat_in_ready(p);
    }
    uint32_t h = 0;
    if (mp.model->done(&h))
        consumed(h); // answered or dropped inside: never leaves
}

// Model m's edge, and its entry wires told what it took.
void Fabric::edge(size_t m) {
    models_[m].model->tick();
    for (unsigned p = 0; p < Model::kPorts; p++) {
        Wire &w = models_[m].in[p];
        w.beat_taken(took_[m].beat[p]);
        w.taken(took_[m].hdr[p]);
    }
}

void Fabric::tick() {
    left_.clear();
    beats_left_.clear();
    took_.resize(models_.size());
    quiet_.resize(models_.size());
    for (size_t m = 0; m < models_.size(); m++) {
        // Nothing waiting to enter, nothing inside, no beat going out: the
        // edge would change no register (the arbiter moves only on a
        // transfer), so the model is not evaluated (bench-topology: most
        // edges).
        quiet_[m] = model_quiet(models_[m]);
        if (!quiet_[m])
            decide(m);
    }
    // every model decided on the same state; now the edge, then the wires
    for (size_t m = 0; m < models_.size(); m++) {
        if (!quiet_[m])
            edge(m);
    }
    // headers first: a payload's first beat leaves an edge after its header
    for (const Left &l : left_)
        leave(l.model, l.port, l.f);
    for (const BeatLeft &b : beats_left_)
        beat_left(b.model, b.port, b.b);
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
        counters_.payload_overrun += uint16_t(c.pl_over - mp.last.pl_over);
        mp.last = c;
    }
}

bool Fabric::model_quiet(const ModelPorts &mp) {
    if (mp.blocked_any || mp.model->streaming())
        return false;
    for (unsigned p = 0; p < Model::kPorts; p++) {
        Fields f;
        if (!mp.in[p].empty() || mp.model->out(p, &f))
            return false;
    }
    return true;
}

bool Fabric::drained() const {
    if (!to_host_.empty())
        return false;
    for (const auto &q : to_device_)
        if (!q.empty())
            return false;
    return idle();
}

bool Fabric::idle() const {
    for (const ModelPorts &mp : models_)
        if (!model_quiet(mp))
            return false;
    return true;
}

} // namespace rcsim::fabric
