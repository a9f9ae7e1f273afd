// The TLPs inside the fabric, kept whole in C++ while the RTL carries only
// their handles (fabric_fields.hpp, Fields::hdr). Bounded: its capacity is
// the fabric's credit, a full store refuses new TLPs. Handles are 1..N
// (0 means "made by the switch, nothing stored").
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
    // Stores t; its handle, or 0 when full.
    uint32_t put(const tlp::Tlp &t);
    // The stored TLP, or nullptr for 0 or a handle not in use.
    const tlp::Tlp *get(uint32_t handle) const;
    // Takes the TLP out and frees its handle; false for 0 or one not in use.
    bool take(uint32_t handle, tlp::Tlp *out);
    void release(uint32_t handle);

  private:
    std::vector<std::optional<tlp::Tlp>> slots_;
    std::vector<uint32_t> free_; // free handles, the next one last
};

} // namespace rcsim::fabric
