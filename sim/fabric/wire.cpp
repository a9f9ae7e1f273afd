#include "wire.hpp"

#include "payload_beats.hpp"

namespace rcsim::fabric {

bool Wire::push(const Fields &f, std::vector<uint32_t> dws, bool complete) {
    if (!room(f.cls))
        return false;
    complete = complete || !f.pl;
    q_[f.cls].push_back(Entry{seq_++, f, std::move(dws), complete});
    if (!complete)
        filling_ = f.cls;
    return true;
}

// The entry pushed incomplete is its class's newest: its sender holds
// every other TLP until the payload's last beat.
const std::vector<uint32_t> *Wire::append(const tlp::Beat &b) {
    if (filling_ < 0)
        return nullptr;
    Entry &e = q_[unsigned(filling_)].back();
    append_beat(&e.dws, b, lanes_);
    if (b.eop) {
        e.complete = true;
        filling_ = -1;
    }
    return &e.dws;
}

// P whenever it has one; NP and CPL only when older than the posted head.
bool Wire::eligible(unsigned c) const {
    if (q_[c].empty())
        return false;
    return c == kClsP || q_[kClsP].empty() || q_[c].front().seq < q_[kClsP].front().seq;
}

// Picks the payload each lane feeds when it feeds none: lane 0 the posted
// head's, lane 1 an eligible CPL head's, else an NP head's (a completion
// may pass a request). A head stays eligible until taken: only a posted
// head can make it ineligible, and a new posted head is younger.
void Wire::commit() {
    if (feeding_[0] < 0 && eligible(kClsP) && q_[kClsP].front().f.pl) {
        feeding_[0] = kClsP;
        fed_[0] = 0;
    }
    if (feeding_[1] >= 0)
        return;
    for (unsigned c : {unsigned(kClsCpl), unsigned(kClsNp)}) {
        if (eligible(c) && q_[c].front().f.pl) {
            feeding_[1] = int(c);
            fed_[1] = 0;
            return;
        }
    }
}

// The oldest eligible head; if that class was refused last cycle and
// another is eligible, the oldest of the others. A payload header its lane
// does not feed is never offered: the model would give it the slot that
// lane's beats went into.
const Fields *Wire::offer() {
    commit();
    int best = -1, other = -1;
    for (unsigned c = 0; c < 3; c++) {
        if (!eligible(c) || (q_[c].front().f.pl && feeding_[lane(c)] != int(c)))
            continue;
        const uint64_t seq = q_[c].front().seq;
        if (best < 0 || seq < q_[unsigned(best)].front().seq)
            best = int(c);
        if (int(c) != refused_ && (other < 0 || seq < q_[unsigned(other)].front().seq))
            other = int(c);
    }
    offered_ = (best == refused_ && other >= 0) ? other : best;
    return offered_ < 0 ? nullptr : &q_[unsigned(offered_)].front().f;
}

// A beat of lane 0 when it has one ready, else of lane 1: one beat a cycle
// on the ingress's beat port, tagged with its lane.
const tlp::Beat *Wire::beat() {
    beat_offered_ = false;
    for (unsigned l = 0; l < 2 && !beat_offered_; l++) {
        if (feeding_[l] < 0)
            continue;
        const Entry &e = q_[unsigned(feeding_[l])].front();
        beat_offered_ = cut_beat(e.dws, e.complete, fed_[l], lanes_, &beat_);
        beat_lane_ = l;
    }
    return beat_offered_ ? &beat_ : nullptr;
}

void Wire::beat_taken(bool yes) {
    if (beat_offered_ && yes)
        fed_[beat_lane_]++;
    beat_offered_ = false;
}

void Wire::taken(bool yes) {
    if (offered_ < 0)
        return;
    if (yes) {
        if (offered_ == feeding_[lane(unsigned(offered_))])
            feeding_[lane(unsigned(offered_))] = -1;
        q_[unsigned(offered_)].pop_front();
        refused_ = -1;
    } else {
        refused_ = offered_;
    }
    offered_ = -1;
}

} // namespace rcsim::fabric
