// What `rcsim explore` leaves in its --out directory for `rcsim merge`:
// explore-summary.json, the exploration's setup (everything that decides
// which runs it makes and what they do), which shard of how many it was,
// its totals, the runs every shard repeats (its prelude) and its failure
// classes with their replay logs named relative to the directory. One
// function writes it, one reads it back; anything malformed in a file read
// back is refused with the field named.
#pragma once

#include "explore.hpp"
#include "run_settings.hpp"

#include <cstddef>
#include <string>

namespace rcsim {

constexpr const char *kShardSummaryFile = "explore-summary.json";
constexpr const char *kShardSummaryFormat = "rcsim-explore-summary";
constexpr int kShardSummaryVersion = 1;
// Each class carries its failure report (the server's output): generous.
constexpr size_t kMaxShardSummaryBytes = size_t(64) << 20;

struct ShardRecord {
    // Equal in every shard of one exploration (shard, jobs, output paths
    // and progress are not in it).
    Settings setup;
    size_t index = 0, count = 1;
    // Class log paths: relative to the directory (write), or that joined to
    // the directory the record was read from (read).
    ExploreSummary summary;
};

// The setup of an exploration: scenario (path as given and SHA-256 of its
// bytes), server argv or socket, strategy, runs, seed, depth, bound, reset
// mode, shrinking, stop at first, and the pinned harness settings
// ("setting NAME"). "" on success, else why not (the scenario unreadable).
std::string exploration_setup(const std::string &scenario, const RunSpec &spec,
                              const ExploreOptions &opt, const Settings &pinned, Settings *out);

// Writes DIR/explore-summary.json; class log paths must be inside DIR.
// "" on success, else why not.
std::string write_shard_summary(const std::string &dir, const ShardRecord &record);

// Reads DIR/explore-summary.json. "" on success, else the reason naming the
// file and the field.
std::string read_shard_summary(const std::string &dir, ShardRecord *record);

} // namespace rcsim
