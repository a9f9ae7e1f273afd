// The #279 design space, measured (issue 8): `rcsim explore --matrix`'s
// cells on dmacopy, each explored exhaustively (bound 2, a fresh server per
// run) on tests/scenarios/race279.rcs:
//  - async client: legacy (DMA on the main socket, the recorded #279
//    behaviour) shows protocol errors; queue, async and twin show none, and
//    no failure at all;
//  - queue mode's peak of queued bytes grows strictly with the posted
//    writes that cross the doorbell's DMA (race279_writes2.rcs, 8);
//  - sync client, DMA inside the doorbell write: every mode whose DMA waits
//    synchronously for its reply (legacy, queue, twin) deadlocks in every
//    schedule; async (the doorbell returns at once) does not.
// One test per process (SystemC elaborates once), the cells it needs each.
#include "matrix.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>

namespace {

using namespace rcsim;

const std::string kScenarios = RCSIM_SCENARIOS_DIR;
const std::string kDmacopy = RCSIM_SERVER_MODELS_DIR "/dmacopy";

class SchedMatrix : public ::testing::Test {
  protected:
    void SetUp() override {
        char d[] = "/tmp/rcsim-matrix-XXXXXX";
        ASSERT_NE(mkdtemp(d), nullptr);
        dir = d;
        HarnessConfig cfg;
        cfg.admission.watchdog = std::chrono::milliseconds(300);
        std::string err;
        ASSERT_EQ(Harness::create(cfg, &h, &err), 0) << err;
        o.server_argv = {kDmacopy};
        o.scenario = kScenarios + "/race279.rcs";
        o.out_dir = dir;
        o.bound = 2;
        o.jobs = 2;
    }
    void TearDown() override {
        if (!std::getenv("RCSIM_KEEP_LOGS"))
            std::system(("rm -rf '" + dir + "'").c_str());
    }
    MatrixResult run() {
        const MatrixResult r = run_matrix(*h, o);
        std::printf("%s", format_matrix(r, false, "rcsim replay").c_str());
        EXPECT_EQ(matrix_errors(r), 0u) << "cells that could not run";
        return r;
    }
    static const MatrixCell &cell(const MatrixResult &r, const std::string &mode) {
        for (const MatrixCell &c : r.cells)
            if (c.mode == mode)
                return c;
        static const MatrixCell none;
        ADD_FAILURE() << "no cell for " << mode;
        return none;
    }

    std::string dir;
    std::unique_ptr<Harness> h;
    MatrixOptions o;
};

TEST_F(SchedMatrix, AsyncClientOnlyLegacyShowsProtocolErrors) {
    o.clients = {ClientStyle::Async};
    const MatrixResult r = run();
    ASSERT_EQ(r.cells.size(), 5u) << "legacy, queue, async, twin, map-socket";
    const MatrixCell &legacy = cell(r, "legacy");
    // Both schedules of the race: the STATUS read held until the DMA is
    // answered (fifo, passes) and sent while it is not (#279).
    EXPECT_EQ(legacy.summary.runs, 2u);
    EXPECT_GE(legacy.count("protocol error"), 1u);
    // map-socket: the race's window (dma0) on a socket of its own, so the
    // doorbell's DMA_READ never shares the main socket with the STATUS read.
    for (const std::string mode : {"queue", "async", "twin", "map-socket"}) {
        const MatrixCell &c = cell(r, mode);
        EXPECT_GE(c.summary.runs, 2u) << mode << ": the crossing schedule was not explored";
        EXPECT_EQ(c.count("protocol error"), 0u) << mode;
        EXPECT_EQ(c.summary.failures, 0u) << mode;
    }
}

TEST_F(SchedMatrix, QueuePeakGrowsStrictlyWithTheCrossingWrites) {
    o.modes = {};
    o.clients = {};
    o.queue_scenarios = {kScenarios + "/race279_writes2.rcs", kScenarios + "/race279_writes8.rcs"};
    const MatrixResult r = run();
    ASSERT_EQ(r.queue_cells.size(), 2u);
    const MatrixCell &two = r.queue_cells[0], &eight = r.queue_cells[1];
    EXPECT_EQ(two.summary.failures, 0u);
    EXPECT_EQ(eight.summary.failures, 0u);
    // By hand, from the wire format: a 4-byte REGION_WRITE is a 16-byte
    // header, 16 bytes of offset/region/count and the 4 data bytes (36);
    // a REGION_READ is 32. Both writes cross the DMA in every schedule, the
    // STATUS read in the schedule that sends it during the DMA.
    EXPECT_EQ(two.summary.queue_peak, 2 * 36 + 32);
    EXPECT_GT(eight.summary.queue_peak, two.summary.queue_peak);
}

TEST_F(SchedMatrix, SyncClientDeadlocksUnlessTheServersDmaIsAsync) {
    o.clients = {ClientStyle::Sync};
    const MatrixResult r = run();
    ASSERT_EQ(r.cells.size(), 5u);
    // A socket per mapping changes nothing for a client that serves no DMA
    // while its doorbell write waits: the server waits inside that write.
    for (const std::string mode : {"legacy", "queue", "twin", "map-socket"}) {
        const MatrixCell &c = cell(r, mode);
        EXPECT_GE(c.summary.runs, 1u) << mode;
        EXPECT_EQ(c.count("deadlock"), c.summary.runs) << mode << ": every schedule deadlocks";
        ASSERT_EQ(c.summary.classes.size(), 1u) << mode;
        EXPECT_EQ(c.summary.classes[0].name.rfind("deadlock: the host waits for REGION_WRITE "
                                                  "reply, the server waits for the reply to "
                                                  "DMA_READ ",
                                                  0),
                  0u)
            << c.summary.classes[0].name;
        EXPECT_FALSE(c.summary.classes[0].log_path.empty()) << "no replay log";
    }
    const MatrixCell &async = cell(r, "async");
    EXPECT_GE(async.summary.runs, 1u);
    EXPECT_EQ(async.count("deadlock"), 0u);
    EXPECT_EQ(async.summary.failures, 0u);
}

} // namespace
