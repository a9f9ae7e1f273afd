// The idle announcement (sim/sched/README.md, "Idle announcement"): a
// bundled model the harness started announces idle and admission believes
// it instead of /proc; with the announcement off (the model's flag or the
// harness's setting) the /proc proof decides (one look: regs has one
// thread); a model with a thread of its own does not opt in; a model that
// lies is caught, fails the run and is looked at through /proc from then
// on, with every read still answered. The decisions and the run hash are
// the same whichever proof was used.
// One elaboration per test process, one forked child (and server) per run.
#include "harness.hpp"
#include "run_forker.hpp"
#include "scheduled_run.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace {

using namespace rcsim;

constexpr int kReads = 200;

struct Outcome {
    uint64_t points = 0, announced = 0, one_look = 0, two_looks = 0, violations = 0;
    int failed = -1; // has_failures() at the end
    std::string hash, first_failure;
};

class SchedIdle : public ::testing::Test {
  protected:
    void TearDown() override {
        if (!dir.empty())
            std::system(("rm -rf '" + dir + "'").c_str());
    }
    void make(bool offer) {
        char d[] = "/tmp/rcsim-schedidle-XXXXXX";
        ASSERT_NE(mkdtemp(d), nullptr);
        dir = d;
        HarnessConfig cfg;
        cfg.idle_announce = offer;
        cfg.admission.watchdog = std::chrono::milliseconds(5000);
        std::string err;
        ASSERT_EQ(Harness::create(cfg, &h, &err), 0) << err;
    }

    // In a child: the server, kReads config reads (each a REGION_READ and
    // its reply), then the counters, the failure state and the run hash.
    int body(const std::vector<std::string> &argv, const std::string &out_path) {
        std::string err;
        if (h->start_server(argv, &err) < 0 || h->enumerate(&err) < 0) {
            fprintf(stderr, "%s\n", err.c_str());
            return 4;
        }
        for (int i = 0; i < kReads; ++i)
            if (h->cfg_read(0, 2).status != HostStatus::SC)
                return 5;
        const AdmissionCounters a = h->counters().admission;
        std::ofstream out(out_path);
        out << a.points << " " << a.announced << " " << a.one_look << " " << a.two_looks << " "
            << a.idle_violations << " " << int(h->has_failures()) << " "
            << run_hash(h->decision_digest(), "") << "\n"
            << h->first_failure() << "\n";
        h->shutdown();
        return 0;
    }

    Outcome run(const std::vector<std::string> &argv) {
        const std::string path = dir + "/out.txt";
        std::remove(path.c_str());
        RunLimits lim;
        lim.wall_limit = std::chrono::milliseconds(60000);
        const RunResult r = run_in_child([&](size_t) { return body(argv, path); }, 0, lim);
        EXPECT_TRUE(r.passed()) << r.describe() << "\n" << r.output;
        Outcome o;
        std::ifstream in(path);
        in >> o.points >> o.announced >> o.one_look >> o.two_looks >> o.violations >> o.failed >>
            o.hash;
        in.ignore();
        std::getline(in, o.first_failure);
        EXPECT_TRUE(in) << "the child wrote no outcome\n" << r.output;
        return o;
    }

    std::string dir;
    std::unique_ptr<Harness> h;
};

const std::string kRegs = RCSIM_SERVER_MODELS_DIR "/regs";

// Most admission points after a read are settled by the announcement: the
// only other ones are the set-up's first and any that caught regs before
// it got back to its poll for 200 us.
TEST_F(SchedIdle, RegsAnnouncingIsBelievedWithoutProc) {
    make(true);
    const Outcome on = run({kRegs});
    EXPECT_GE(on.announced, uint64_t(kReads) * 9 / 10) << on.points << " points";
    EXPECT_EQ(on.violations, 0u);
    EXPECT_EQ(on.failed, 0) << on.first_failure;
    // The same harness, the model's announcement off: /proc, one look (one
    // thread), the same decisions.
    const Outcome off = run({kRegs, "--no-idle-announce"});
    EXPECT_EQ(off.announced, 0u);
    EXPECT_GE(off.one_look, uint64_t(kReads) * 9 / 10);
    EXPECT_EQ(off.failed, 0) << off.first_failure;
    EXPECT_EQ(off.hash, on.hash);
    EXPECT_EQ(off.points, on.points);
}

// Not offered (HarnessConfig::idle_announce false, `--no-idle-announce` of
// rcsim): regs cannot announce; same decisions as when it does.
TEST_F(SchedIdle, NotOfferedMeansProc) {
    make(false);
    const Outcome o = run({kRegs});
    EXPECT_EQ(o.announced, 0u);
    EXPECT_GT(o.one_look + o.two_looks, 0u);
    EXPECT_EQ(o.failed, 0) << o.first_failure;
}

// dmacopy --dma-after-reply copies on a worker thread: it does not opt in,
// and /proc (two looks: two threads) decides.
TEST_F(SchedIdle, ModelWithAWorkerThreadDoesNotOptIn) {
    make(true);
    const Outcome o = run({RCSIM_SERVER_MODELS_DIR "/dmacopy", "--dma-after-reply"});
    EXPECT_EQ(o.announced, 0u);
    EXPECT_GT(o.two_looks, 0u);
    EXPECT_EQ(o.failed, 0) << o.first_failure;
}

// A liar (announces idle on reading a request, then answers 2 ms later):
// a reply arrives while its announcement is believed and before we sent
// anything more, which no idle server can do. One violation, the run fails with it, /proc from then
// on (no announcement believed after), every read answered, no hang.
TEST_F(SchedIdle, LyingModelIsCaughtAndTheRunFails) {
    make(true);
    const Outcome o = run({kRegs, "--idle-announce-lie"});
    EXPECT_EQ(o.violations, 1u);
    EXPECT_EQ(o.failed, 1);
    EXPECT_NE(o.first_failure.find("idle announcement broken"), std::string::npos)
        << o.first_failure;
    // Believed only until the first lie the counts expose (a reply the
    // harness waits for; one it does not wait for before sending again,
    // during enumeration, drops the belief first): a few, not 200.
    EXPECT_LT(o.announced, 10u);
    EXPECT_GE(o.one_look + o.two_looks, uint64_t(kReads) * 9 / 10);
}

} // namespace
