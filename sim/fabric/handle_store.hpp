// The TLPs inside the fabric, kept in C++ without their payload (which
// crosses the RTL as beats) while the RTL carries only their handles
// (fabric_fields.hpp, Fields::hdr): the header fields the RTL does not carry
// (length, byte enables, attributes, TC...). Bounded: its capacity is
// the fabric's credit, a full store refuses new TLPs. Handles are 1..N
// (0 means "made by the switch, nothing stored"). A TLP stored with n
// references (a broadcast leaving by n ports) is freed at the n-th take or
// release.
#pragma once

#include "tlp.hpp"

#include <cstdint>
#include <optional>
#include <vector>

namespace rcsim::fabric {

class HandleStore {
  public:
    explicit HandleStore(size_t capacity);
    bool full() const { return free_.empty(); }
    size_t used() const { return slots_.size() - free_.size(); }
    // Stores t, less its payload, with `refs` references; its handle, or 0
    // when full.
    uint32_t put(const tlp::Tlp &t, unsigned refs = 1);
    // The stored TLP, or nullptr for 0 or a handle not in use.
    const tlp::Tlp *get(uint32_t handle) const;
    // Copies the TLP out and drops a reference; false for 0 or a handle not
    // in use.
    bool take(uint32_t handle, tlp::Tlp *out);
    // Drops a reference.
    void release(uint32_t handle);
    // Payload bytes held (0: put keeps none).
    size_t payload_bytes() const;

  private:
    struct Slot {
        tlp::Tlp tlp;
        unsigned refs = 0;
    };
    std::vector<std::optional<Slot>> slots_;
    std::vector<uint32_t> free_; // free handles, the next one last
};

} // namespace rcsim::fabric
