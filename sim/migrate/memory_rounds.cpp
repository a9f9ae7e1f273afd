#include "memory_rounds.hpp"

#include <cstdio>

namespace rcsim {

namespace {
constexpr size_t kPage = HostMemory::kPageSize;

std::string hex(uint64_t v) {
    char b[24];
    snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
    return b;
}
} // namespace

void MemoryRounds::copy_page(uint64_t index, unsigned round) {
    uint8_t page[kPage];
    src_.read(index * kPage, page, kPage);
    dst_.write(index * kPage, page, kPage);
    round_of_[index] = round;
}

uint64_t MemoryRounds::copy_all(unsigned round) {
    const std::vector<uint64_t> pages = src_.pages_in_use();
    for (uint64_t index : pages)
        copy_page(index, round);
    return pages.size();
}

uint64_t MemoryRounds::copy(const std::set<uint64_t> &pages, unsigned round) {
    for (uint64_t index : pages)
        copy_page(index, round);
    return pages.size();
}

std::vector<MissedPage> MemoryRounds::compare() const {
    std::set<uint64_t> all;
    for (uint64_t i : src_.pages_in_use())
        all.insert(i);
    for (uint64_t i : dst_.pages_in_use())
        all.insert(i);
    std::vector<MissedPage> missed;
    uint8_t a[kPage], b[kPage];
    for (uint64_t index : all) {
        src_.read(index * kPage, a, kPage);
        dst_.read(index * kPage, b, kPage);
        MissedPage m;
        for (size_t i = 0; i < kPage; ++i) {
            if (a[i] == b[i])
                continue;
            if (m.bytes_differ++ == 0) {
                m.first_offset = i;
                m.source_byte = a[i];
                m.dest_byte = b[i];
            }
        }
        if (m.bytes_differ == 0)
            continue;
        m.addr = index * kPage;
        if (const MemWindow *w = src_.find_window(m.addr)) {
            m.window = w->name;
            m.shared = w->shared;
        }
        const auto it = round_of_.find(index);
        m.copied_in_round = it == round_of_.end() ? 0 : it->second;
        missed.push_back(m);
    }
    return missed;
}

std::string MissedPage::describe() const {
    std::string who =
        window.empty() ? "outside every DMA window"
        : shared       ? "window " + window + " (fd-backed: the device did not report it)"
                       : "window " + window +
                       " (by messages: the harness did not mark it, which must never happen)";
    return "dirty page missed: page " + hex(addr) + " in " + who + ": " +
           std::to_string(bytes_differ) + " byte(s) differ, the first at +" + hex(first_offset) +
           " (source " + hex(source_byte) + ", destination " + hex(dest_byte) +
           "); written after the copy of round " + std::to_string(copied_in_round) +
           " and never reported";
}

} // namespace rcsim
