// The link between two ports, as the receiving model's ingress sees it: a
// buffer per ordering class (its credit), read out by the PCIe ordering
// rules, like rtl/fabric's ordering_queue: a posted TLP may pass the others
// and must be able to (a write must not wait behind a read that waits on a
// busy peer), nothing passes an older posted one, and each class keeps its
// order.
#pragma once

#include "fabric_fields.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>

namespace rcsim::fabric {

class Wire {
  public:
    explicit Wire(size_t depth = 2) : depth_(depth) {}
    bool room(uint8_t cls) const { return cls < 3 && q_[cls].size() < depth_; }
    bool empty() const { return q_[0].empty() && q_[1].empty() && q_[2].empty(); }
    // Appends f in its class; false when that class is full.
    bool push(const Fields &f);
    // The TLP to offer this cycle (nullptr: none). After an offer that was
    // not taken, another class gets the next turn, so a head the receiver
    // cannot take holds no class that may pass it.
    const Fields *offer();
    // The receiver took the TLP offer() returned, or did not.
    void taken(bool yes);

  private:
    struct Entry {
        uint64_t seq;
        Fields f;
    };
    bool eligible(unsigned c) const;

    size_t depth_;
    std::array<std::deque<Entry>, 3> q_;
    uint64_t seq_ = 0;
    int offered_ = -1; // class offered this cycle
    int refused_ = -1; // class whose offer was not taken last cycle
};

} // namespace rcsim::fabric
