// `rcsim explore --shard I/N` and `rcsim merge` (issue 19, "Shards
// merged"): two shards merged equal one unsharded exploration (totals,
// classes, interleavings, the minimal schedule, a replay log that fails the
// same way); pct's fifo run, which every shard repeats, counted once;
// shards of another scenario or seed, a missing or repeated shard and a
// malformed summary refused with the difference named. The summaries are
// read here with json-c, not with rcsim's reader.
#include "run_command.hpp"
#include "test_files.hpp"

#include <gtest/gtest.h>
#include <json-c/json.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace {

using rcsim::test::CommandResult;
using rcsim::test::contains;
using rcsim::test::run_command;
using rcsim::test::slurp;
using rcsim::test::TempDir;
using rcsim::test::write_file;

const std::string kRcsim = RCSIM_PATH;
const std::string kLegacy = std::string(RCSIM_SERVER_MODELS_DIR) + "/dmacopy --legacy-socket";
const std::string kRace = std::string(CLI_SCENARIOS_DIR) + "/race279.rcs";
const std::string kDemo = std::string(CLI_SCENARIOS_DIR) + "/dmacopy_demo.rcs";

// The shard comes from the command line only: a test binary run sharded
// itself (GTEST_*) or under Bazel (TEST_*) passes those on.
const std::vector<std::string> kNoShardEnv = {
    "/usr/bin/env",     "-u", "GTEST_SHARD_INDEX", "-u", "GTEST_TOTAL_SHARDS",    "-u",
    "TEST_SHARD_INDEX", "-u", "TEST_TOTAL_SHARDS", "-u", "TEST_SHARD_STATUS_FILE"};

CommandResult explore(const std::string &out, const std::vector<std::string> &extra,
                      const std::string &scenario = kRace,
                      const std::vector<std::string> &env = {}) {
    std::vector<std::string> argv = kNoShardEnv;
    argv.insert(argv.end(), env.begin(), env.end());
    argv.insert(argv.end(),
                {kRcsim, "explore", "--server", kLegacy, "--scenario", scenario, "--out", out});
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run_command(argv, 120000);
}

CommandResult merge(const std::vector<std::string> &args) {
    std::vector<std::string> argv = {kRcsim, "merge"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, 60000);
}

// The parts of explore-summary.json these tests compare.
struct Summary {
    long long runs = -1, failures = -1, errors = -1, interleavings = -1, shard = -1, count = -1;
    std::vector<std::string> classes; // "NAME x COUNT first RUN: LABEL LABEL" (minimal)
    std::vector<std::string> logs;
};

long long field(json_object *o, const char *key) {
    json_object *v = nullptr;
    return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : -1;
}

std::string text(json_object *o, const char *key) {
    json_object *v = nullptr;
    return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "";
}

json_object *member(json_object *o, const char *key) {
    json_object *v = nullptr;
    return json_object_object_get_ex(o, key, &v) ? v : nullptr;
}

Summary read_summary(const std::string &dir) {
    Summary s;
    json_object *root = json_object_from_file((dir + "/explore-summary.json").c_str());
    if (!root)
        return s;
    json_object *t = member(root, "totals"), *sh = member(root, "shard");
    s.runs = field(t, "runs");
    s.failures = field(t, "failures");
    s.errors = field(t, "errors");
    s.interleavings = static_cast<long long>(json_object_array_length(member(t, "interleavings")));
    s.shard = field(sh, "index");
    s.count = field(sh, "count");
    json_object *cs = member(root, "classes");
    for (size_t i = 0; i < json_object_array_length(cs); ++i) {
        json_object *c = json_object_array_get_idx(cs, i);
        std::string line = text(c, "name") + " x " + std::to_string(field(c, "count")) + " first " +
                           std::to_string(field(c, "first_run")) + ":";
        json_object *m = member(c, "minimal");
        for (size_t k = 0; k < json_object_array_length(m); ++k)
            line += " " + text(json_object_array_get_idx(m, k), "label");
        s.classes.push_back(line);
        s.logs.push_back(text(c, "log"));
    }
    json_object_put(root);
    return s;
}

} // namespace

// random, 8 runs from seed 5: shards 0/2 and 1/2 merged are the unsharded
// exploration. Recorded: runs 3, 5 and 8 (1-based) fail, all in one class;
// shard 0 finds it first at run 3, shard 1 at run 8 (its 4th), so the class
// is in both shards and the merge keeps shard 0's instance.
TEST(CliShardMerge, TwoRandomShardsMergedEqualOneExploration) {
    TempDir d;
    const std::vector<std::string> opts = {"--strategy", "random", "--runs", "8", "--seed", "5"};
    std::vector<std::string> s0 = opts, s1 = opts;
    s0.insert(s0.end(), {"--shard", "0/2"});
    s1.insert(s1.end(), {"--shard", "1/2"});
    const CommandResult all = explore(d.path + "/all", opts);
    ASSERT_EQ(all.exit_code, 1) << "#279 is found in 8 runs\n" << all.out << all.err;
    ASSERT_EQ(explore(d.path + "/s0", s0).exit_code, 1);
    const CommandResult one = explore(d.path + "/s1", s1);
    ASSERT_EQ(one.exit_code, 1) << one.out << one.err;
    EXPECT_TRUE(contains(one.out, "first failure at run 8")) << "global run numbers\n" << one.out;
    const std::string junit = d.path + "/merged.xml";
    const CommandResult m =
        merge({"--junit", junit, d.path + "/merged", d.path + "/s0", d.path + "/s1"});
    ASSERT_EQ(m.exit_code, 1) << m.out << m.err;
    EXPECT_TRUE(contains(m.out, "explore: 8 runs, 3 failed, 0 could not run")) << m.out;
    EXPECT_TRUE(contains(m.out, "first failure at run 3")) << m.out;

    const Summary a = read_summary(d.path + "/all"), b = read_summary(d.path + "/merged");
    EXPECT_EQ(a.runs, 8);
    EXPECT_EQ(b.runs, 8);
    EXPECT_EQ(a.failures, 3);
    EXPECT_EQ(b.failures, 3);
    EXPECT_EQ(b.errors, 0);
    EXPECT_EQ(b.interleavings, a.interleavings);
    EXPECT_EQ(b.shard, 0);
    EXPECT_EQ(b.count, 1);
    ASSERT_EQ(a.classes.size(), 1u) << "one failure class: the STATUS read of race279.rcs:20";
    EXPECT_EQ(b.classes, a.classes);
    EXPECT_TRUE(contains(b.classes[0], "race279.rcs:20")) << b.classes[0];
    EXPECT_TRUE(contains(b.classes[0], " x 3 first 3:")) << b.classes[0];
    EXPECT_EQ(b.logs, std::vector<std::string>{"failure-1.jsonl"});
    EXPECT_TRUE(contains(slurp(junit), "race279.rcs:20")) << slurp(junit);

    // The copied log fails the same way when replayed.
    const CommandResult r = run_command(
        {kRcsim, "replay", "--server-from-log", d.path + "/merged/failure-1.jsonl"}, 60000);
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, "race279.rcs:20")) << r.out;
}

// pct: the fifo run that measures K runs in every shard and counts once:
// 3 runs plus the fifo run, 4 in all, merged as unsharded.
TEST(CliShardMerge, PctFifoRunCountedOnce) {
    TempDir d;
    const std::vector<std::string> opts = {"--strategy", "pct", "--runs", "3", "--no-shrink"};
    std::vector<std::string> s0 = opts, s1 = opts;
    s0.insert(s0.end(), {"--shard", "0/2"});
    s1.insert(s1.end(), {"--shard", "1/2"});
    explore(d.path + "/all", opts);
    explore(d.path + "/s0", s0);
    explore(d.path + "/s1", s1);
    EXPECT_EQ(read_summary(d.path + "/s0").runs, 3) << "fifo, pct runs 0 and 2";
    EXPECT_EQ(read_summary(d.path + "/s1").runs, 2) << "fifo, pct run 1";
    merge({d.path + "/merged", d.path + "/s0", d.path + "/s1"});
    const Summary a = read_summary(d.path + "/all"), b = read_summary(d.path + "/merged");
    EXPECT_EQ(a.runs, 4);
    EXPECT_EQ(b.runs, 4);
    EXPECT_EQ(b.failures, a.failures);
    EXPECT_EQ(b.interleavings, a.interleavings);
    EXPECT_EQ(b.classes, a.classes);
}

// Shards of another scenario, another seed; a shard missing, a shard twice.
TEST(CliShardMerge, ShardsOfDifferentExplorationsRefused) {
    TempDir d;
    const std::vector<std::string> base = {"--strategy", "random", "--runs", "2", "--no-shrink"};
    auto with = [&](std::vector<std::string> v, const std::vector<std::string> &more) {
        v.insert(v.end(), more.begin(), more.end());
        return v;
    };
    explore(d.path + "/s0", with(base, {"--shard", "0/2"}));
    explore(d.path + "/s1seed", with(base, {"--shard", "1/2", "--seed", "5"}));
    explore(d.path + "/s1demo", with(base, {"--shard", "1/2"}), kDemo);

    CommandResult r = merge({d.path + "/m", d.path + "/s0", d.path + "/s1seed"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(
        contains(r.err, "setup seed: " + d.path + "/s0 has \"1\", " + d.path + "/s1seed has \"5\""))
        << r.err;

    r = merge({d.path + "/m", d.path + "/s0", d.path + "/s1demo"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, "setup scenario: ")) << r.err;
    EXPECT_TRUE(contains(r.err, "dmacopy_demo.rcs")) << r.err;
    EXPECT_TRUE(contains(r.err, "setup scenario sha256: ")) << r.err;
    EXPECT_FALSE(contains(r.err, "setup seed")) << r.err;

    r = merge({d.path + "/m", d.path + "/s0"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, "shard 1/2 missing")) << r.err;

    explore(d.path + "/s1of3", with(base, {"--shard", "1/3"}));
    r = merge({d.path + "/m", d.path + "/s0", d.path + "/s1of3"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, "shard count: " + d.path + "/s0 is one of 2, " + d.path +
                                    "/s1of3 one of 3"))
        << r.err;

    std::system(("cp -r '" + d.path + "/s0' '" + d.path + "/s0again'").c_str());
    r = merge({d.path + "/m", d.path + "/s0", d.path + "/s0again"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(
        contains(r.err, "shard 0/2 given twice: " + d.path + "/s0 and " + d.path + "/s0again"))
        << r.err;
    EXPECT_FALSE(contains(slurp(d.path + "/m/explore-summary.json"), "{")) << "nothing merged";
}

// A truncated summary, a field of the wrong type, a log path out of the
// shard's directory, not an object, no file: refused, naming the file (and
// the field).
TEST(CliShardMerge, MalformedSummaryRefused) {
    TempDir d;
    // Seed 1's first run fails (recorded): one class, its log failure-1.jsonl.
    explore(d.path + "/s0", {"--strategy", "random", "--runs", "1", "--no-shrink"});
    const std::string good = slurp(d.path + "/s0/explore-summary.json");
    ASSERT_TRUE(contains(good, "\"interleavings\"")) << good;
    ASSERT_TRUE(contains(good, "\"failure-1.jsonl\"")) << good;
    const std::string bad = d.path + "/bad";
    std::system(("mkdir '" + bad + "'").c_str());
    const std::string file = bad + "/explore-summary.json";

    write_file(file, good.substr(0, good.size() / 2));
    CommandResult r = merge({d.path + "/m", bad});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, file + ": truncated JSON")) << r.err;

    std::string t = good;
    t.replace(t.find("\"runs\"", t.find("\"totals\"")), 6, "\"runs\": \"many\", \"old_runs\"");
    write_file(file, t);
    r = merge({d.path + "/m", bad});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, file + ": field \"totals.runs\" must be a int")) << r.err;

    t = good;
    t.replace(t.find("\"failure-1.jsonl\""), 17, "\"../s0/failure-1.jsonl\"");
    write_file(file, t);
    r = merge({d.path + "/m", bad});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, file + ": field \"classes[].log\"")) << r.err;
    EXPECT_TRUE(contains(r.err, "'../s0/failure-1.jsonl' is not failure-N.jsonl")) << r.err;

    write_file(file, "[]");
    r = merge({d.path + "/m", bad});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, file + ": not a JSON object")) << r.err;

    r = merge({d.path + "/m", d.path + "/nothing-here"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, d.path + "/nothing-here/explore-summary.json: ")) << r.err;
}

// Bazel's sharding variables: the shard, and the status file touched (Bazel
// reads it as "this test knows sharding"); an index past the count refused.
TEST(CliShardMerge, BazelShardVariables) {
    TempDir d;
    const std::string status = d.path + "/status";
    const CommandResult r =
        explore(d.path + "/b", {"--strategy", "random", "--runs", "4", "--no-shrink"}, kRace,
                {"TEST_SHARD_INDEX=1", "TEST_TOTAL_SHARDS=2", "TEST_SHARD_STATUS_FILE=" + status});
    EXPECT_TRUE(contains(r.out, "explore: 2 runs")) << "runs 1 and 3 of 4\n" << r.out << r.err;
    const Summary s = read_summary(d.path + "/b");
    EXPECT_EQ(s.shard, 1);
    EXPECT_EQ(s.count, 2);
    EXPECT_EQ(s.runs, 2);
    EXPECT_EQ(access(status.c_str(), F_OK), 0) << status << " not touched";

    const CommandResult bad = explore(d.path + "/c", {"--strategy", "random", "--runs", "1"}, kRace,
                                      {"TEST_SHARD_INDEX=2", "TEST_TOTAL_SHARDS=2"});
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_TRUE(contains(bad.err, "bad TEST_SHARD_INDEX/TEST_TOTAL_SHARDS: 2/2")) << bad.err;
}
