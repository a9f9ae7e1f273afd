// The fifth #279 design, a DMA socket per mapping (issue 21): its corner
// cases explored on dmacopy --dma-mode map-socket.
//  - DMA_UNMAP of a window while the device's DMA waits on that window's
//    socket (mapsock_unmap.rcs): either order is a defined outcome, the copy
//    done or cancelled with the device's ERROR bit, never a hang, a crash or
//    a misread message;
//  - two windows in different modes at once (mapsock_mixed.rcs): a read
//    crossing the DMA on the window's own socket waits, one crossing the
//    DMA_WRITE of the main-socket window is misread (#279).
#include "explore.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

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
    // Exhaustive exploration of `scenario` (its declared windows) with
    // dmacopy and `args`.
    ExploreSummary explore_scenario(const std::string &scenario, std::vector<std::string> args,
                                    unsigned bound) {
        RunSpec spec;
        std::string err;
        EXPECT_EQ(load_run_spec(kScenarios + "/" + scenario, &spec, &err), 0) << err;
        spec.server_argv = {kDmacopy};
        spec.server_argv.insert(spec.server_argv.end(), args.begin(), args.end());
        HarnessConfig cfg;
        cfg.admission.watchdog = std::chrono::milliseconds(300);
        cfg.dma_windows = spec.dma_windows;
        std::unique_ptr<Harness> h;
        EXPECT_EQ(Harness::create(cfg, &h, &err), 0) << err;
        if (!h)
            return {};
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
};

TEST_F(SchedMapSocket, UnmapCrossingTheWindowsDmaCancelsItAndNothingHangs) {
    const ExploreSummary s = explore_scenario(
        "mapsock_unmap.rcs", {"--dma-mode", "map-socket", "--dma-after-reply"}, 2);
    EXPECT_EQ(s.errors, 0u);
    EXPECT_FALSE(s.incomplete);
    ASSERT_GE(s.runs, 2u);
    EXPECT_LT(s.failures, s.runs) << "fifo (the copy before the unmap) must pass";
    EXPECT_GE(s.failures, 1u) << "no schedule let the unmap cross the copy's DMA";
    for (const char *never : {"protocol error", "deadlock", "server crash", "completion timeout"})
        EXPECT_EQ(count(s, never), 0u) << never;
    // Each failing schedule is the device's own report of the cancelled
    // copy: STATUS.ERROR (0x2) set, checked by the scenario's last read.
    ASSERT_GE(s.classes.size(), 1u);
    for (const FailureClass &c : s.classes)
        EXPECT_NE(c.name.find("0x18"), std::string::npos) << c.name;
}

TEST_F(SchedMapSocket, MixedWindowsOnlyTheMainSocketDmaIsMisread) {
    const ExploreSummary s =
        explore_scenario("mapsock_mixed.rcs", {"--dma-mode", "map-socket"}, 2);
    EXPECT_EQ(s.errors, 0u);
    ASSERT_GE(s.runs, 2u);
    EXPECT_GE(count(s, "protocol error"), 1u) << "the read never crossed the main-socket DMA_WRITE";
    EXPECT_LT(s.failures, s.runs);
}

} // namespace
