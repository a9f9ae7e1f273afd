// `rcsim merge OUT SHARD_DIR...`: the --out directories of the shards of one
// exploration (rcsim explore --shard I/N, each on its own CI machine) made
// into one result: one summary, one JUnit file, the replay logs (the work
// is sim/explore/shard_merge.hpp's).
#include "rcsim_commands.hpp"
#include "rcsim_sched_cli.hpp"

#include "shard_merge.hpp"

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace rcsim {

namespace {

void merge_usage(FILE *f) {
    std::fprintf(f,
                 "usage: rcsim merge [--junit FILE] OUT SHARD_DIR...\n"
                 "  Merges the --out directories of `rcsim explore --shard I/N` (every I of one\n"
                 "  N, same scenario and settings) into OUT: explore-summary.json, the replay\n"
                 "  log of each failure class (failure-N.jsonl), and the summary printed as\n"
                 "  explore prints it. Failure classes are de-duplicated by name; each keeps\n"
                 "  the instance an unsharded exploration would have found first; the runs\n"
                 "  every shard repeats (pct's fifo run, exhaustive's levels above --bound)\n"
                 "  count once.\n"
                 "  --junit FILE      JUnit report: one test case per failure class (or one pass)\n"
                 "Exit status: 0 no failure, 1 failures found, 2 usage error, a malformed\n"
                 "summary, or shards that are not one exploration (each difference named).\n");
}

// The same directory under two names is the same directory.
std::string canonical(const std::string &dir) {
    char buf[PATH_MAX];
    return realpath(dir.c_str(), buf) ? std::string(buf) : dir;
}

int parse_merge_args(int argc, char **argv, std::string *junit, std::vector<std::string> *dirs) {
    for (int i = 0; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--help" || a == "-h") {
            merge_usage(stdout);
            return 0;
        }
        if (a == "--junit") {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "rcsim merge: --junit needs a value\n");
                return 2;
            }
            *junit = argv[++i];
            continue;
        }
        if (!a.empty() && a[0] == '-') {
            std::fprintf(stderr, "rcsim merge: unknown option %s\n", a.c_str());
            merge_usage(stderr);
            return 2;
        }
        dirs->push_back(a);
    }
    if (dirs->size() < 2) {
        std::fprintf(stderr, "rcsim merge: wants OUT and at least one SHARD_DIR\n");
        merge_usage(stderr);
        return 2;
    }
    return -1;
}

} // namespace

int rcsim_merge(int argc, char **argv) {
    std::string junit;
    std::vector<std::string> dirs;
    int rc = parse_merge_args(argc, argv, &junit, &dirs);
    if (rc >= 0)
        return rc;
    const std::string out = dirs[0];
    dirs.erase(dirs.begin());
    std::vector<ShardRecord> shards(dirs.size());
    for (size_t i = 0; i < dirs.size(); ++i) {
        if (canonical(dirs[i]) == canonical(out)) {
            std::fprintf(stderr, "rcsim merge: OUT %s is also a shard directory\n", out.c_str());
            return 2;
        }
        const std::string err = read_shard_summary(dirs[i], &shards[i]);
        if (!err.empty()) {
            std::fprintf(stderr, "rcsim merge: %s\n", err.c_str());
            return 2;
        }
    }
    const std::vector<std::string> refusals = shard_refusals(shards, dirs);
    if (!refusals.empty()) {
        std::fprintf(stderr, "rcsim merge: these shards are not one exploration:\n");
        for (const std::string &r : refusals)
            std::fprintf(stderr, "  %s\n", r.c_str());
        return 2;
    }
    ShardRecord merged = merge_shards(shards);
    const std::string err = publish_merge(out, &merged);
    if (!err.empty()) {
        std::fprintf(stderr, "rcsim merge: %s\n", err.c_str());
        return 2;
    }
    const ExploreSummary &s = merged.summary;
    std::printf("merged %zu shard(s) into %s\n%s", dirs.size(), out.c_str(),
                format_summary(s, "rcsim replay").c_str());
    if (!junit.empty())
        write_explore_junit(junit, merged.setup["scenario"], merged.setup["strategy"], s);
    return s.failures ? 1 : s.errors ? 2 : 0;
}

} // namespace rcsim
