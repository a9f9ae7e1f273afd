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
     "pre-copy round 1: source MIG_DATA_READ: the server refused "
     "MIG_DATA_READ 1048576: Protocol error (errno 71)",
     "protocol error"},
    {"mig-data-size-lies",
     "pre-copy round 1: source MIG_DATA_READ: the reply to MIG_DATA_READ 1048576 "
     "broke the protocol",
     "protocol error"},
    {"mig-quiesce-stall",
     "source: SET STOP_COPY: no reply to DEVICE_FEATURE SET MIG_DEVICE_STATE "
     "STOP_COPY within 1000000 cycles (the source never finished the state change: a quiesce "
     "that does not complete)",
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
