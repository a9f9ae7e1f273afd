// Servers with their own wall-clock timers (sim/scenario/SCENARIOS.md,
// "Wall-clock waits"), against the bundled `timer` model: armed from BAR0,
// it does a DMA_WRITE and raises INTx when its timer fires, while it sleeps
// in an untimed ppoll that /proc cannot tell from idle. Only a wait in wall
// time sees that interrupt; such a wait is bounded, logged as a `wall-wait`
// decision, refused by `rcsim explore` and named by `rcsim replay`.
#include "run_command.hpp"
#include "test_files.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace {

using rcsim::test::contains;
using rcsim::test::run_command;
using rcsim::test::slurp;
using rcsim::test::TempDir;

const std::string kRcsim = RCSIM_PATH;
const std::string kTimer = std::string(RCSIM_SERVER_MODELS_DIR) + "/timer";
const std::string kScenarios = CLI_SCENARIOS_DIR;

rcsim::test::CommandResult run(const std::string &scenario,
                               const std::vector<std::string> &extra = {}) {
    std::vector<std::string> argv = {kRcsim, "run", "--server", kTimer, "--scenario", scenario};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run_command(argv);
}

// DMA address and length, then ARM (BAR0 0x00) in ms.
std::string armed(unsigned ms) {
    return "fill 0x10000000 64 pattern byte 0xee\n"
           "write bar0 0x08 8 0x10000000\n"
           "write bar0 0x10 4 64\n"
           "write bar0 0x00 4 " +
           std::to_string(ms) + "\n";
}

} // namespace

// The timer's interrupt, its DMA (bytes 0..63 written over 0xee) and the
// model's registers; the summary and the decision log mark the wait.
TEST(CliWallClock, TimerInterruptAndDmaSeenByAWallWait) {
    TempDir d;
    const std::string log = d.path + "/decisions.jsonl";
    const auto r = run(kScenarios + "/timer_wall.rcs", {"--decisions", log});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, "wall-clock waits: 1 statement(s)")) << r.out;
    EXPECT_TRUE(contains(r.out, "outside the determinism guarantee")) << r.out;
    EXPECT_TRUE(contains(r.out, "DMA_READ 0 / DMA_WRITE 1")) << r.out;
    const std::string l = slurp(log);
    EXPECT_TRUE(contains(l, "\"kind\":\"wall-wait\"")) << l;
    EXPECT_TRUE(contains(l, "\"chosen\":\"intx vector 0 came\"")) << l;
}

// The same with the DMA target in an fd-backed window: no DMA message, the
// model stores into the shared memfd.
TEST(CliWallClock, TimerDmaIntoAnFdBackedWindow) {
    const auto r =
        run(kScenarios + "/timer_wall_fd.rcs", {"--dma-window", "0x10000000+0x1000000:rw:dma0",
                                                "--dma-window", "0x20000000+0x10000:rw:fd:shm"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, "DMA_READ 0 / DMA_WRITE 0")) << r.out;
}

// A wait in simulated cycles skips idle time for free: it ends long before
// a 60 s timer, which is why the wall-clock wait exists.
TEST(CliWallClock, CycleWaitDoesNotSeeTheTimer) {
    TempDir d;
    const std::string scen =
        d.write("cycles.rcs", armed(60000) + "wait-irq intx 0 within 1000000\n");
    const auto r = run(scen);
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.out + r.err, "expected INTx vector 0 within 1000000 cycles, got none"))
        << r.out << r.err;
}

// A timer that never fires: the wait ends at its bound with a failed
// statement (exit 1), the DMA target untouched, and the log says so.
TEST(CliWallClock, TimerThatNeverFiresFailsTheStatementAtTheBound) {
    TempDir d;
    const std::string scen = d.write("never.rcs", armed(0) + "wait-irq intx 0 within 300ms wall\n");
    const std::string log = d.path + "/never.jsonl";
    const auto t0 = std::chrono::steady_clock::now();
    const auto r = run(scen, {"--decisions", log});
    const auto took = std::chrono::steady_clock::now() - t0;
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.out + r.err, "never.rcs:5: wait-irq intx 0 within 300ms wall"))
        << r.out << r.err;
    EXPECT_TRUE(
        contains(r.out + r.err, "expected INTx vector 0 within 300 ms of wall time, got none"))
        << r.out << r.err;
    EXPECT_GE(took, std::chrono::milliseconds(300));
    EXPECT_TRUE(contains(slurp(log), "\"chosen\":\"no intx vector 0 within 300 ms wall\""));
}

TEST(CliWallClock, ExploreRefusesAWallClockScenario) {
    TempDir d;
    const auto r = run_command({kRcsim, "explore", "--server", kTimer, "--scenario",
                                kScenarios + "/timer_wall.rcs", "--strategy", "random", "--runs",
                                "2", "--out", d.path + "/x"});
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_TRUE(contains(r.err, "timer_wall.rcs:12: 'wait-irq intx 0 within 10s wall' waits in "
                                "wall-clock time"))
        << r.err;
    EXPECT_TRUE(contains(r.err, "cannot be explored; use rcsim run")) << r.err;
}

// A replay of such a run says that it does not claim identity.
TEST(CliWallClock, ReplayOfAWallClockRunSaysSo) {
    TempDir d;
    const std::string log = d.path + "/run.jsonl";
    auto r = run(kScenarios + "/timer_wall.rcs", {"--schedule", "fifo", "--decisions", log});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, "not repeatable: ")) << r.out;
    EXPECT_TRUE(contains(r.out, "/timer_wall.rcs:12 waits in wall-clock time (outside the "
                                "determinism guarantee"))
        << r.out;
    r = run_command({kRcsim, "replay", log, "--server-from-log"});
    EXPECT_TRUE(contains(r.out, "the log has 1 wall-clock wait(s) (wall-wait): outside the "
                                "determinism guarantee, so identity with the log is not claimed"))
        << r.out << r.err;
    EXPECT_FALSE(contains(r.out, "the run took every decision of the log")) << r.out;
}

// A server that dies during the wait ends it at once, with the run failed
// for the death, not at the 30 s bound. A /bin/sh timer kills the model
// (SIGKILL) 1 s after its start; its own timer is never armed.
TEST(CliWallClock, ServerDeathEndsTheWait) {
    TempDir d;
    const std::string scen = d.write("dies.rcs", "wait-irq intx 0 within 30s wall\n");
    const std::string killed =
        "/bin/sh -c '(sleep 1; kill -KILL $$) & exec \"$0\" --socket \"$1\"' " + kTimer +
        " {socket}";
    const auto t0 = std::chrono::steady_clock::now();
    const auto r = run_command({kRcsim, "run", "--server", killed, "--scenario", scen});
    const auto took = std::chrono::steady_clock::now() - t0;
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.out + r.err, "the server's connection was lost)")) << r.out << r.err;
    EXPECT_TRUE(contains(r.out + r.err, "killed by signal 9")) << r.out << r.err;
    EXPECT_LT(took, std::chrono::seconds(20)) << r.out << r.err;
}
