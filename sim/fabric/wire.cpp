#include "wire.hpp"

namespace rcsim::fabric {

bool Wire::push(const Fields &f) {
    if (!room(f.cls))
        return false;
    q_[f.cls].push_back(Entry{seq_++, f});
    return true;
}

// P whenever it has one; NP and CPL only when older than the posted head.
bool Wire::eligible(unsigned c) const {
    if (q_[c].empty())
        return false;
    return c == kClsP || q_[kClsP].empty() || q_[c].front().seq < q_[kClsP].front().seq;
}

// The oldest eligible head; if that class was refused last cycle and
// another is eligible, the oldest of the others.
const Fields *Wire::offer() {
    int best = -1, other = -1;
    for (unsigned c = 0; c < 3; c++) {
        if (!eligible(c))
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

void Wire::taken(bool yes) {
    if (offered_ < 0)
        return;
    if (yes) {
        q_[unsigned(offered_)].pop_front();
        refused_ = -1;
    } else {
        refused_ = offered_;
    }
    offered_ = -1;
}

} // namespace rcsim::fabric
