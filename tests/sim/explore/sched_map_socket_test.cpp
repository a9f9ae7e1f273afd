// The fifth #279 design, a DMA socket per mapping (issue 21): its corner
// cases explored on dmacopy --dma-mode map-socket.
//  - DMA_UNMAP of a window while the device's DMA waits on that window's
//    socket (mapsock_unmap.rcs): either order is a defined outcome, the copy
//    done or cancelled with the device's ERROR bit, never a hang, a crash or
//    a misread message;
//  - two windows in different modes at once (mapsock_mixed.rcs): a read
//    crossing the DMA on the window's own socket waits, one crossing the
//    DMA_WRITE of the main-socket window is misread (#279).
// Each test elaborates its own harness (its scenario's windows): ctest runs
// each in a process of its own.
#include "explore.hpp"
#include "run_forker.hpp"
#include "run_settings.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace {

using namespace rcsim;

const std::string kScenarios = RCSIM_SCENARIOS_DIR;
const std::string kDmacopy = RCSIM_SERVER_MODELS_DIR "/dmacopy";

class SchedMapSocket : public ::testing::Test {
  protected:
    void SetUp() override {
        char d[] = "/tmp/rcsim-mapsock-XXXXXX";
        ASSERT_NE(mkdtemp(d), nullptr);
        dir = d;
    }
    void TearDown() override {
        if (!std::getenv("RCSIM_KEEP_LOGS"))
            std::system(("rm -rf '" + dir + "'").c_str());
    }
    // Exhaustive exploration of `scenario` (its declared windows, or with
    // no_sockets the same windows without their sockets) with dmacopy and
    // `args`.
    ExploreSummary explore_scenario(const std::string &scenario, std::vector<std::string> args,
                                    unsigned bound, bool unmap_choices = false,
                                    bool no_sockets = false) {
        std::string err;
        EXPECT_EQ(load_run_spec(kScenarios + "/" + scenario, &spec, &err), 0) << err;
        for (const Statement &st : spec.program.statements) { // as rcsim explore takes them
            MemWindow w;
            if (st.op != Op::DmaWindow)
                continue;
            EXPECT_EQ(parse_dma_window(st.window, &w), "");
            spec.dma_windows.push_back(w);
        }
        spec.server_argv = {kDmacopy};
        spec.server_argv.insert(spec.server_argv.end(), args.begin(), args.end());
        HarnessConfig cfg;
        cfg.admission.watchdog = std::chrono::milliseconds(300);
        cfg.dma_windows = spec.dma_windows;
        cfg.dma_choices.unmap = unmap_choices;
        EXPECT_EQ(Harness::create(cfg, &h, &err), 0) << err;
        if (!h)
            return {};
        if (no_sockets)
            h->set_window_sockets(false);
        ExploreOptions o;
        o.strategy = "exhaustive";
        o.bound = bound;
        o.jobs = 2;
        o.shrink = false;
        o.out_dir = dir;
        const ExploreSummary s = explore(*h, spec, o);
        std::printf("%s", format_summary(s, "rcsim replay").c_str());
        return s;
    }
    static size_t count(const ExploreSummary &s, const std::string &category) {
        const auto it = s.categories.find(category);
        return it == s.categories.end() ? 0 : it->second;
    }

    std::string dir;
    RunSpec spec;
    std::unique_ptr<Harness> h;
};

TEST_F(SchedMapSocket, UnmapCrossingTheWindowsDmaCancelsItAndNothingHangs) {
    const ExploreSummary s = explore_scenario(
        "mapsock_unmap.rcs", {"--dma-mode", "map-socket", "--dma-after-reply"}, 1, true);
    EXPECT_EQ(s.errors, 0u);
    EXPECT_FALSE(s.incomplete);
    ASSERT_GE(s.runs, 2u);
    EXPECT_LT(s.failures, s.runs) << "fifo (no unmap) must pass";
    EXPECT_GE(s.failures, 1u) << "no schedule unmapped a window under its DMA";
    for (const char *never : {"protocol error", "deadlock", "server crash", "completion timeout"})
        EXPECT_EQ(count(s, never), 0u) << never;
    // Each failing schedule is the device's own report of the cut copy:
    // STATUS.ERROR (bit 1) with the errno in bits 31:16, ECANCELED (125,
    // 0x7d) for the DMA waiting on the unmapped window's socket.
    ASSERT_GE(s.classes.size(), 1u);
    // The host side had taken that DMA up: its reply went nowhere, and the
    // report says so.
    for (const FailureClass &c : s.classes) {
        EXPECT_NE(c.name.find("got 0x007d0002"), std::string::npos) << c.name;
        EXPECT_NE(c.details.find("bridge: 1 DMA served after its map socket closed"),
                  std::string::npos)
            << c.details;
    }
}

TEST_F(SchedMapSocket, TwinSocketServesTheDmaAfterItsWindowsUnmap) {
    // The same windows without sockets, the same worker, the twin socket:
    // every schedule "passes", and the one that unmaps the ring under the
    // descriptor fetch (the first deviation, as in the map-socket run)
    // serves that DMA_READ after the server answered the unmap.
    const ExploreSummary s =
        explore_scenario("mapsock_unmap.rcs", {"--dma-after-reply"}, 1, true, true);
    EXPECT_EQ(s.errors, 0u);
    ASSERT_GE(s.runs, 2u);
    EXPECT_EQ(s.failures, 0u);
    const std::string trace = dir + "/unmapped.trace.jsonl";
    const std::vector<RunResult> res = run_children(
        1, 1,
        [&](size_t) {
            return scheduled_run(*h, spec, "plan:64=1", dir + "/unmapped.log.jsonl", trace).status;
        },
        RunLimits{});
    ASSERT_EQ(res.size(), 1u);
    EXPECT_EQ(res[0].outcome, RunResult::Outcome::Exited) << res[0].describe();
    std::ifstream in(trace);
    long unmap_reply = -1, fetch_reply = -1;
    long n = 0;
    for (std::string line; std::getline(in, line); ++n) {
        if (line.find("\"cmd\":\"DMA_UNMAP\"") != std::string::npos &&
            line.find("\"type\":\"reply\"") != std::string::npos)
            unmap_reply = n;
        if (line.find("\"sock\":\"twin\",\"dir\":\"c2s\",\"cmd\":\"DMA_READ\"") !=
                std::string::npos &&
            line.find("\"addr\":\"0x10000000\"") != std::string::npos && fetch_reply < 0)
            fetch_reply = n;
    }
    ASSERT_GE(unmap_reply, 0) << "the schedule did not unmap";
    ASSERT_GE(fetch_reply, 0) << "the descriptor fetch was never answered";
    EXPECT_GT(fetch_reply, unmap_reply) << "the DMA into the ring came before its unmap";
}

TEST_F(SchedMapSocket, SynchronousDeviceFinishesItsDmaBeforeTheUnmap) {
    // Without the worker the server reads the DMA_UNMAP only after the
    // doorbell's copy: every schedule completes the copy.
    const ExploreSummary s =
        explore_scenario("mapsock_unmap.rcs", {"--dma-mode", "map-socket"}, 1, true);
    EXPECT_EQ(s.errors, 0u);
    ASSERT_GE(s.runs, 2u) << "the unmap choice was never offered";
    EXPECT_EQ(s.failures, 0u);
}

TEST_F(SchedMapSocket, MixedWindowsOnlyTheMainSocketDmaIsMisread) {
    const ExploreSummary s = explore_scenario("mapsock_mixed.rcs", {"--dma-mode", "map-socket"}, 2);
    EXPECT_EQ(s.errors, 0u);
    ASSERT_GE(s.runs, 2u);
    EXPECT_EQ(count(s, "protocol error"), 1u) << "the read never crossed the main-socket DMA_WRITE";
    EXPECT_EQ(s.failures, 1u);
    EXPECT_LT(s.failures, s.runs);
    // The copy's DMA ids count from 1: the descriptor (1) and the source (2)
    // are read on dma0's socket, the destination (3) written on the main
    // socket; the server took the crossing read for the reply to the third.
    ASSERT_EQ(s.classes.size(), 1u);
    EXPECT_NE(s.classes[0].details.find(", expected 0x3\n"), std::string::npos)
        << s.classes[0].details;
}

} // namespace
