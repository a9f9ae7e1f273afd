#include "dma_refusals.hpp"

#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace rcsim {

namespace {

std::string hex(uint64_t v) {
    char b[24];
    std::snprintf(b, sizeof b, "0x%" PRIx64, v);
    return b;
}

} // namespace

void DmaRefusals::record(const vuc_dma_refusal &r) {
    if (listed_.size() < kListed)
        listed_.push_back({total_, describe(r)});
    ++total_;
}

void DmaRefusals::set_unmapped(const std::string &name, bool unmapped) {
    unmapped_.erase(std::remove(unmapped_.begin(), unmapped_.end(), name), unmapped_.end());
    if (unmapped)
        unmapped_.push_back(name);
}

uint64_t DmaRefusals::take() {
    const uint64_t n = total_ - expected_;
    expected_ = total_;
    listed_.clear();
    return n;
}

std::vector<std::string> DmaRefusals::describe_unexpected() const {
    std::vector<std::string> v;
    for (const Listed &l : listed_)
        v.push_back(l.text);
    const uint64_t left = unexpected() - listed_.size();
    if (left > 0)
        v.push_back("... and " + std::to_string(left) + " more refused DMA command(s)");
    return v;
}

std::string DmaRefusals::describe(const vuc_dma_refusal &r) const {
    return std::string(r.cmd == VU_CMD_DMA_WRITE ? "DMA_WRITE" : "DMA_READ") + " #" +
           std::to_string(r.msg_id) + " " + vuc_sock_name(r.sock) + " addr=" + hex(r.addr) +
           " count=" + std::to_string(r.count) + " refused (" + std::strerror(-r.err) +
           "): " + nearest_window(r.addr, r.count);
}

// Where the access lies against the window nearest to its first byte.
std::string DmaRefusals::nearest_window(uint64_t addr, uint64_t count) const {
    if (count > 0 && addr + count < addr)
        return "the range wraps around the address space";
    const MemWindow *best = nullptr;
    uint64_t best_gap = UINT64_MAX;
    for (const MemWindow &w : windows_) {
        const uint64_t gap = addr < w.base      ? w.base - addr
                             : w.contains(addr) ? 0
                                                : addr - (w.base + w.size);
        if (gap < best_gap) {
            best_gap = gap;
            best = &w;
        }
    }
    if (!best)
        return "no DMA window is mapped";
    const std::string win =
        "window " + best->name + " [" + hex(best->base) + ", " + hex(best->base + best->size) + ")";
    if (addr < best->base)
        return hex(best->base - addr) + " bytes below " + win;
    if (!best->contains(addr))
        return hex(addr - (best->base + best->size)) + " bytes above the end of " + win;
    if (count > best->size - (addr - best->base))
        return "runs " + hex(count - (best->size - (addr - best->base))) +
               " bytes past the end of " + win;
    if (std::find(unmapped_.begin(), unmapped_.end(), best->name) != unmapped_.end())
        return "inside " + win + ", unmapped by the scenario (dma-unmap)";
    return "inside " + win + ", which lacks the permission (or is no longer mapped)";
}

} // namespace rcsim
