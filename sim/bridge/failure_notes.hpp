// Failure notes with identical repeats collapsed: a flood the harness cannot
// answer once printed the same "DMA reply could not be sent" line 140,000
// times (2 MB). A note that came before only counts; the report shows it
// once with "(repeated N times)". Distinct notes are bounded too: past
// kMaxDistinct only their number is kept, so the report's size is bounded
// whatever a server does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace rcsim {

class FailureNotes {
  public:
    static constexpr size_t kMaxDistinct = 256;
    static constexpr size_t kMaxNoteBytes = 4096; // a longer note is cut

    void add(std::string what);
    bool empty() const { return notes_.empty(); }
    // Distinct notes in the order first seen, each with " (repeated N
    // times)" when it came N more times, then "(N more distinct failures
    // not listed)" if any were only counted.
    std::vector<std::string> lines() const;

  private:
    std::vector<std::pair<std::string, uint64_t>> notes_; // note, repeats
    std::unordered_map<std::string, size_t> index_;
    uint64_t unlisted_ = 0;
};

// 139999 -> "139,999".
std::string with_thousands(uint64_t n);

} // namespace rcsim
