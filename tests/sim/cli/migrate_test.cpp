// `migrate` (sim/scenario/SCENARIOS.md, "Live migration") run by `rcsim
// run`: a device moved to a second server process mid-scenario, and what a
// run says when either end breaks the protocol, refuses, stalls or dies.
// Expected outcomes written by hand from the bad-input list and
// tests/hostile/README.md's description of each mode.
#include "run_command.hpp"
#include "test_files.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace {

using rcsim::test::contains;
using rcsim::test::run_command;
using rcsim::test::TempDir;

const std::string kRcsim = RCSIM_PATH;
const std::string kModels = RCSIM_SERVER_MODELS_DIR;
const std::string kScenarios = CLI_SCENARIOS_DIR;
const std::string kHostile = HOSTILE_SERVER;

rcsim::test::CommandResult run(const std::string &server, const std::string &scenario,
                               const std::vector<std::string> &extra = {}) {
    std::vector<std::string> argv = {kRcsim, "run", "--server", server, "--scenario", scenario};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run_command(argv);
}

// The hostile device's BAR0 reads as its offsets (tests/hostile/README.md):
// a read on either side of the migration shows which server answers.
const char kHostileScenario[] = "read bar0 0x4 4 -> expect 0x07060504\n"
                                "migrate\n"
                                "read bar0 0x8 4 -> expect 0x0b0a0908\n";

struct BadEnd {
    const char *mode;
    const char *step; // the failure names it
    const char *category;
};

// Source and destination run the same mode; the destination is set up
// first (GET MIGRATION, SET RESUMING), so a mode that breaks those shows
// there.
const BadEnd kBadEnds[] = {
    {"mig-feature-fails", "destination: GET MIGRATION: the destination cannot migrate", "other"},
    {"mig-bad-state",
     "source: SET STOP_COPY: the reply to DEVICE_FEATURE SET MIG_DEVICE_STATE "
     "STOP_COPY broke the protocol",
     "protocol error"},
    {"mig-illegal-jump",
     "source: SET PRE_COPY: after DEVICE_FEATURE SET MIG_DEVICE_STATE PRE_COPY the "
     "device reports state 4 (RESUMING)",
     "protocol error"},
    {"mig-state-bogus",
     "source: GET MIG_DEVICE_STATE: DEVICE_FEATURE GET MIG_DEVICE_STATE: the device "
     "reports state 9, which VFIO does not have",
     "protocol error"},
    {"mig-data-overflow",
     "pre-copy round 1: source MIG_DATA_READ: the reply to MIG_DATA_READ 1048576 broke the "
     "protocol",
     "protocol error"},
    {"mig-data-size-lies",
     "pre-copy round 1: source MIG_DATA_READ: the reply to MIG_DATA_READ 1048576 "
     "broke the protocol",
     "protocol error"},
    {"mig-quiesce-stall",
     "source: SET STOP_COPY: no reply to DEVICE_FEATURE SET MIG_DEVICE_STATE "
     "STOP_COPY within 1000000 cycles (the source never answered a command it quiesces for: a "
     "quiesce that does not complete)",
     "quiesce stalled"},
    {"mig-die-source",
     "stop-copy: source MIG_DATA_READ: the server refused MIG_DATA_READ 1048576: "
     "Connection reset by peer (errno 104) (the source server died)",
     "server crash"},
    {"mig-die-dest",
     "stop-copy: destination MIG_DATA_WRITE: 16 bytes refused: Connection reset by "
     "peer (the destination server died)",
     "server crash"},
    {"mig-write-refused",
     "stop-copy: destination MIG_DATA_WRITE: 16 bytes refused: Invalid argument", "other"},
};

class MigrateBadEnd : public ::testing::TestWithParam<BadEnd> {};

} // namespace

// The correct hostile device migrates: its 16 bytes of state move, the
// destination answers the read after it.
TEST(CliMigrate, HostileDeviceInModeMigOkMigratesAndTheDestinationAnswers) {
    TempDir d;
    const std::string sc = d.write("m.rcs", kHostileScenario);
    const auto r = run(kHostile + " --mode mig-ok --in-place --socket {socket}", sc);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, "PASS")) << r.out;
}

// Each bad end: exit 1, the step named, the category, within a bound. A
// scheduled run (`--schedule fifo`) prints the category.
TEST_P(MigrateBadEnd, FailsNamingTheStepWithinABound) {
    const BadEnd &b = GetParam();
    TempDir d;
    const std::string sc = d.write("m.rcs", kHostileScenario);
    const auto t0 = std::chrono::steady_clock::now();
    const auto r = run(kHostile + " --mode " + b.mode + " --in-place --socket {socket}", sc,
                       {"--schedule", "fifo"});
    const auto secs =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - t0)
            .count();
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, "rcsim: FAIL")) << r.out;
    EXPECT_TRUE(contains(r.out, b.step)) << r.out;
    EXPECT_TRUE(contains(r.out, std::string("failure category: ") + b.category + "\n")) << r.out;
    EXPECT_LT(secs, 30) << "a bad end must not hold the run past its bounds";
}

INSTANTIATE_TEST_SUITE_P(Modes, MigrateBadEnd, ::testing::ValuesIn(kBadEnds),
                         [](const ::testing::TestParamInfo<BadEnd> &i) {
                             std::string n = i.param.mode;
                             for (char &c : n)
                                 if (c == '-')
                                     c = '_';
                             return n;
                         });

// ---- the bundled dmacopy with migration (server-models/README.md,
// "Migration"), tests/scenarios/dmacopy_migrate.rcs: the ring is rung and
// the device migrated at once.

namespace {

struct Variant {
    const char *name;
    const char *flags;   // after `dmacopy --migration`
    const char *outcome; // "" passes, else a line the failure has
};

// Written from the model's table: the synchronous engine runs the whole
// ring inside the doorbell's REGION_WRITE, before the migration's first
// message is read, so neither bug can show there; the worker thread and
// the async engine are in the ring when the migration starts.
const Variant kVariants[] = {
    {"sync", "", ""},
    {"sync_unmarked_write", "--mig-bug unmarked-write", ""},
    {"sync_drop_inflight", "--mig-bug drop-inflight", ""},
    {"worker", "--dma-after-reply", ""},
    {"worker_unmarked_write", "--dma-after-reply --mig-bug unmarked-write",
     "dirty page missed: page 0x20000000 in window shm (fd-backed: the device did not report "
     "it)"},
    {"worker_drop_inflight", "--dma-after-reply --mig-bug drop-inflight",
     "expect-mem 0x20000000 64K pattern random 17"},
    {"async", "--dma-mode async", ""},
    {"async_unmarked_write", "--dma-mode async --mig-bug unmarked-write",
     "dirty page missed: page 0x20000000 in window shm (fd-backed: the device did not report "
     "it)"},
    {"async_drop_inflight", "--dma-mode async --mig-bug drop-inflight",
     "expect-mem 0x20000000 64K pattern random 17"},
};

class DmacopyMigrates : public ::testing::TestWithParam<Variant> {};

} // namespace

TEST_P(DmacopyMigrates, AsTheModelsTableSays) {
    const Variant &v = GetParam();
    const auto r =
        run(kModels + "/dmacopy --migration " + v.flags, kScenarios + "/dmacopy_migrate.rcs");
    if (*v.outcome == '\0') {
        EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
        return;
    }
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.err, v.outcome)) << r.err;
}

INSTANTIATE_TEST_SUITE_P(Variants, DmacopyMigrates, ::testing::ValuesIn(kVariants),
                         [](const ::testing::TestParamInfo<Variant> &i) { return i.param.name; });

// The category of a missed page, from a scheduled run (which prints it),
// and the destination's interrupt set-up: MSI-X programmed again on it.
TEST(CliMigrate, AMissedPageIsItsOwnCategory) {
    const auto r = run(kModels + "/dmacopy --migration --dma-mode async --mig-bug unmarked-write",
                       kScenarios + "/dmacopy_migrate.rcs", {"--schedule", "fifo"});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, "failure category: dirty page missed\n")) << r.out;
    EXPECT_TRUE(contains(r.out, "written after the copy of round 0 and never reported")) << r.out;
}

// A device whose quiesce never completes: the state change is never
// answered, the run ends at the bound with its own category.
TEST(CliMigrate, AQuiesceThatNeverCompletesIsReportedAsSuch) {
    const auto r = run(kModels + "/dmacopy --migration --dma-after-reply --quiesce-never",
                       kScenarios + "/dmacopy_migrate.rcs", {"--schedule", "fifo"});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, "failure category: quiesce stalled\n")) << r.out;
    EXPECT_TRUE(contains(r.out, "a quiesce that does not complete")) << r.out;
}

// ---- exploration (tests/scenarios/dmacopy_migrate_race.rcs): under fifo
// the one descriptor is done before the migration starts, so every bug
// needs a schedule that holds the device's DMA past it.

namespace {

rcsim::test::CommandResult explore(const std::string &flags, unsigned bound,
                                   const std::string &out) {
    return run_command({kRcsim, "explore", "--server", kModels + "/dmacopy --migration " + flags,
                        "--scenario", kScenarios + "/dmacopy_migrate_race.rcs", "--strategy",
                        "exhaustive", "--bound", std::to_string(bound), "--dma-choices", "hold",
                        "--hold-cycles", "2000,20000", "--migration-choices", "--out", out});
}

} // namespace

// The correct device passes every schedule up to the bound: 66 of them
// with the async engine (the README's experiment table, bound 2).
TEST(CliMigrateExplore, TheCorrectModelPassesEveryScheduleUpToBound2) {
    TempDir d;
    const auto r = explore("--dma-mode async", 2, d.path + "/out");
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, "explore: 66 runs, 0 failed, 0 could not run")) << r.out;
}

// An fd-window write left out of the dirty report: found, shrunk to the
// one deviation that matters (the descriptor fetch's reply held past the
// migration's full copy), and the log replays to the same failure.
TEST(CliMigrateExplore, AnUnmarkedWriteIsFoundShrunkAndReplayed) {
    TempDir d;
    const auto r = explore("--dma-mode async --mig-bug unmarked-write", 1, d.path + "/out");
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, "explore: 8 runs, 4 failed")) << r.out;
    EXPECT_TRUE(contains(r.out, "failures by category: dirty page missed 4")) << r.out;
    EXPECT_TRUE(contains(r.out, "shrunk to 1 deviation(s) from fifo")) << r.out;
    EXPECT_TRUE(contains(r.out, "hold the reply to DMA_READ #1 main addr=0x10000000 count=32 "
                                "2000 cycles"))
        << r.out;
    const auto p =
        run_command({kRcsim, "replay", d.path + "/out/failure-1.jsonl", "--server-from-log"});
    EXPECT_EQ(p.exit_code, 1) << p.out << p.err;
    EXPECT_TRUE(contains(p.out, "failure category: dirty page missed\n")) << p.out;
    EXPECT_TRUE(contains(p.out, "dirty page missed: page 0x20000000 in window shm")) << p.out;
}

// The descriptor in flight dropped at stop: two held DMA reads put the
// stop in the middle of the descriptor; the destination never copies it.
TEST(CliMigrateExplore, ADroppedInFlightDescriptorIsFoundAndShrunkToTwoDeviations) {
    TempDir d;
    const auto r = explore("--dma-mode async --mig-bug drop-inflight", 2, d.path + "/out");
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, "explore: 66 runs, 16 failed")) << r.out;
    EXPECT_TRUE(contains(r.out, "failures by category: data mismatch 16")) << r.out;
    EXPECT_TRUE(contains(r.out, "shrunk to 2 deviation(s) from fifo")) << r.out;
}
