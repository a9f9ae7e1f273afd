// Host memory moved to the destination in rounds, as QEMU's RAM migration
// does it: every page in use first, then the pages marked dirty, each
// copy remembered by round; after the stop-copy the two memories compared
// page by page.
#pragma once

#include "host_memory.hpp"
#include "migration.hpp"

#include <map>
#include <set>
#include <vector>

namespace rcsim {

class MemoryRounds {
  public:
    MemoryRounds(const HostMemory &source, HostMemory &dest) : src_(source), dst_(dest) {}
    // Every page in use; returns how many.
    uint64_t copy_all(unsigned round);
    uint64_t copy(const std::set<uint64_t> &pages, unsigned round);
    // The pages whose bytes differ, ascending.
    std::vector<MissedPage> compare() const;

  private:
    void copy_page(uint64_t index, unsigned round);
    const HostMemory &src_;
    HostMemory &dst_;
    std::map<uint64_t, unsigned> round_of_; // page index -> last round copied
};

} // namespace rcsim
