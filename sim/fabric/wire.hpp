// The link between two ports, as the receiving model's ingress sees it: a
// buffer per ordering class (its credit), read out by the PCIe ordering
// rules, like rtl/fabric's ordering_queue: a posted TLP may pass the others
// and must be able to (a write must not wait behind a read that waits on a
// busy peer), nothing passes an older posted one, and each class keeps its
// order.
//
// A TLP with payload (Fields::pl) also brings its DWs, which the wire
// offers as beats before the model may take its header. The model fills
// one payload slot at a time per ingress and gives the slot to the next
// header with in_pl it takes, in two lanes: posted, and the others. So the
// wire commits per lane to one payload TLP at a time (the posted head; an
// eligible CPL head, else an NP head), feeds their beats (lane 0 first, one
// beat a cycle, each tagged with its lane), and offers no payload header
// its lane does not feed: a write's payload never waits behind a
// completion's whose header waits for its egress. A TLP coming from another model
// may be pushed before its payload has all arrived (append): its beats go
// on as they come.
#pragma once

#include "fabric_fields.hpp"
#include "tlp_beats.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

namespace rcsim::fabric {

class Wire {
  public:
    explicit Wire(size_t depth = 2, unsigned lanes = 4) : depth_(depth), lanes_(lanes) {}
    bool room(uint8_t cls) const { return cls < 3 && q_[cls].size() < depth_; }
    bool empty() const { return q_[0].empty() && q_[1].empty() && q_[2].empty(); }
    // Appends f in its class; false when that class is full. With f.pl,
    // `dws` is its payload, all of it when `complete`, else the beginning
    // (the rest comes by append).
    bool push(const Fields &f, std::vector<uint32_t> dws = {}, bool complete = true);
    // One more beat of the payload pushed incomplete (its eop completes
    // it); that payload's DWs so far, or nullptr when none is incomplete.
    const std::vector<uint32_t> *append(const tlp::Beat &b);
    // The TLP to offer this cycle (nullptr: none). After an offer that was
    // not taken, another class gets the next turn, so a head the receiver
    // cannot take holds no class that may pass it.
    const Fields *offer();
    // After offer(): the beat to offer this cycle (nullptr: none), and
    // whether it belongs to the NP/CPL lane (beat_np) or the posted one.
    const tlp::Beat *beat();
    bool beat_np() const { return beat_offered_ && beat_lane_ == 1; }
    // The receiver took the TLP offer() returned, or did not.
    void taken(bool yes);
    // The receiver took the beat beat() returned, or did not.
    void beat_taken(bool yes);

  private:
    struct Entry {
        uint64_t seq;
        Fields f;
        std::vector<uint32_t> dws;
        bool complete;
    };
    bool eligible(unsigned c) const;
    void commit();
    // The model's ingress lane a class's payload fills: 0 posted, 1 the others.
    static unsigned lane(unsigned c) { return c == kClsP ? 0 : 1; }

    size_t depth_;
    unsigned lanes_;
    std::array<std::deque<Entry>, 3> q_;
    uint64_t seq_ = 0;
    int offered_ = -1;                   // class offered this cycle
    int refused_ = -1;                   // class whose offer was not taken last cycle
    std::array<int, 2> feeding_{-1, -1}; // per lane: class whose head's payload is fed
    std::array<size_t, 2> fed_{};        // its beats taken so far
    unsigned beat_lane_ = 0;             // lane of the beat offered
    bool beat_offered_ = false;
    int filling_ = -1; // class whose newest entry's payload is incomplete
    tlp::Beat beat_;
};

} // namespace rcsim::fabric
