// DMA commands the client refused because no DMA window covers them (or
// the range wraps, or the window lacks the permission): on a real machine
// an IOMMU fault, i.e. a device bug. A run fails on every refusal that the
// scenario did not expect with `expect-dma-refused N` (sim/scenario/SCENARIOS.md);
// each is named in the report with the window nearest to it. Memory stays
// bounded: the first kListed are described, the rest only counted.
#pragma once

#include "host_memory.hpp"

#include <vfio_user/client.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace rcsim {

class DmaRefusals {
  public:
    static constexpr size_t kListed = 16;

    explicit DmaRefusals(std::vector<MemWindow> windows) : windows_(std::move(windows)) {}

    void record(const vuc_dma_refusal &r);
    // Window `name` was unmapped (or mapped again) at run time: a refusal
    // inside it says so.
    void set_unmapped(const std::string &name, bool unmapped);
    uint64_t total() const { return total_; }
    // Refused since the last take(); they count as expected from now on.
    uint64_t take();
    uint64_t unexpected() const { return total_ - expected_; }
    // "DMA_READ #3 twin addr=0x... count=... refused (Bad address): 0x... lies
    // 0x... below window dma0 [0x..., 0x...)" for the unexpected ones.
    std::vector<std::string> describe_unexpected() const;

  private:
    std::string describe(const vuc_dma_refusal &r) const;
    std::string nearest_window(uint64_t addr, uint64_t count) const;

    std::vector<MemWindow> windows_;
    std::vector<std::string> unmapped_; // names
    struct Listed {
        uint64_t index; // 0-based among all refusals
        std::string text;
    };
    std::vector<Listed> listed_; // the first kListed after the last take()
    uint64_t total_ = 0, expected_ = 0;
};

} // namespace rcsim
