// `rcsim merge`: the shards of one exploration (`rcsim explore --shard I/N`
// on several machines) made into the summary one unsharded exploration
// would have given: the runs every shard repeats (the prelude) counted
// once, failure classes de-duplicated by name (the failure's signature),
// each class the instance with the smallest global first run (the one an
// unsharded exploration finds and shrinks), its replay log copied over.
#pragma once

#include "shard_summary.hpp"

#include <string>
#include <vector>

namespace rcsim {

// Refusals, one line each: setups that differ (each difference named, as
// "setup NAME: DIR_A has "X", DIR_B has "Y""), shard counts that differ,
// an index given twice or missing. Empty: the shards make one exploration.
// `dirs[i]` names `shards[i]` in the lines.
std::vector<std::string> shard_refusals(const std::vector<ShardRecord> &shards,
                                        const std::vector<std::string> &dirs);

// The merged record (shard 0 of 1); class log paths still point into the
// shards' directories. The shards must have no refusals.
ShardRecord merge_shards(const std::vector<ShardRecord> &shards);

// Copies each class's replay log into `out` (created) as failure-N.jsonl
// (N its place in the merged order), points the class at it, and writes
// out/explore-summary.json. "" on success, else why not.
std::string publish_merge(const std::string &out, ShardRecord *merged);

} // namespace rcsim
