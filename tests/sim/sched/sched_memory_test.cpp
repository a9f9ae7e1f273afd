// Issue 14 item 8: a long run with a scheduler installed (as `rcsim run`
// always installs fifo) stays flat in memory. Before, every decision was
// kept twice (the admission's list and the scheduler's choices) for the run
// hash, and `poll cfg ... every 1` grew about 5 MB/s. Now decisions stream
// to the log, the harness keeps a bounded window and a running hash, the
// scheduler keeps its deviations only; the run hash is the one of the old
// list (checked here against the log's records).
// One elaboration per test process, one forked child (and server) per run.
#include "decision_log.hpp"
#include "harness.hpp"
#include "run_forker.hpp"
#include "scheduled_run.hpp"
#include "scheduler.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>

#if defined(__SANITIZE_ADDRESS__)
// ASan keeps freed memory in a quarantine (256 MB by default), which would
// show as RSS growth that is no one's leak: a small one keeps the bound
// meaningful under the sanitizer build too.
extern "C" const char *__asan_default_options() {
    return "quarantine_size_mb=4";
}
#endif

namespace {

using namespace rcsim;

#if defined(__SANITIZE_ADDRESS__)
constexpr uint64_t kReads = 20000; // ASan: several times slower per read
#else
constexpr uint64_t kReads = 100000;
#endif
constexpr uint64_t kWarmup = 5000;

// The bound on growth after the warm-up: before the fix 10^5 decisions grew
// RSS by about 60 MB (2 * 10^4 under ASan: about 15 MB).
constexpr long kGrowthLimitKib = 4096;

long rss_kib() {
    std::ifstream f("/proc/self/status");
    for (std::string line; std::getline(f, line);)
        if (line.compare(0, 6, "VmRSS:") == 0)
            return std::atol(line.c_str() + 6);
    return -1;
}

class SchedMemory : public ::testing::Test {
  protected:
    void SetUp() override {
        char d[] = "/tmp/rcsim-schedmem-XXXXXX";
        ASSERT_NE(mkdtemp(d), nullptr);
        dir = d;
        HarnessConfig cfg;
        cfg.admission.watchdog = std::chrono::milliseconds(5000);
        std::string err;
        ASSERT_EQ(Harness::create(cfg, &h, &err), 0) << err;
    }
    void TearDown() override { std::system(("rm -rf '" + dir + "'").c_str()); }

    bool reads(uint64_t n) {
        for (uint64_t i = 0; i < n; ++i)
            if (h->cfg_read(0, 2).status != HostStatus::SC)
                return false;
        return true;
    }

    // In the child: fifo scheduler and a decision log, kReads config reads;
    // writes RSS after the warm-up, RSS at the end, the decisions so far,
    // the running hash and the hash of the log's first records.
    int body(const std::string &out_path) {
        std::unique_ptr<Scheduler> s;
        std::string err;
        if (Scheduler::create("fifo", &s, &err) < 0)
            return 3;
        const std::string log = dir + "/decisions.jsonl";
        h->set_scheduler(s.get());
        h->set_decision_log(log);
        if (h->start_server({RCSIM_SERVER_MODELS_DIR "/regs"}, &err) < 0 || h->enumerate(&err) < 0)
            return 4;
        if (!reads(kWarmup))
            return 5;
        const long warm = rss_kib();
        long peak = warm;
        for (uint64_t done = kWarmup; done < kReads; done += 5000) {
            if (!reads(5000))
                return 6;
            peak = std::max(peak, rss_kib());
        }
        const uint64_t decided = h->decisions().back().index + 1;
        const std::string running = run_hash(h->decision_digest(), "");
        const uint64_t points = s->choice_count();
        h->shutdown();
        DecisionLog logged;
        if (read_decision_log(log, &logged, &err) < 0 || logged.decisions.size() < decided)
            return 7;
        logged.decisions.resize(decided);
        std::ofstream out(out_path);
        out << warm << "\n"
            << peak << "\n"
            << decided << "\n"
            << points << "\n"
            << running << "\n"
            << run_hash(logged.decisions, "") << "\n"
            << h->decisions().size() << "\n";
        return 0;
    }

    std::string dir;
    std::unique_ptr<Harness> h;
};

TEST_F(SchedMemory, LongFifoRunStaysFlatAndKeepsItsRunHash) {
    const std::string out = dir + "/out.txt";
    RunLimits lim;
    lim.wall_limit = std::chrono::milliseconds(100000);
    const RunResult r = run_in_child([&](size_t) { return body(out); }, 0, lim);
    ASSERT_TRUE(r.passed()) << r.describe() << "\n" << r.output;
    std::ifstream in(out);
    long warm = 0, peak = 0;
    uint64_t decided = 0, points = 0;
    std::string running, listed;
    size_t kept = 0;
    in >> warm >> peak >> decided >> points >> running >> listed >> kept;
    ASSERT_TRUE(in) << "child wrote no outcome";
    std::cout << kReads << " reads, " << decided << " decisions, " << points
              << " choice points: RSS " << warm << " KiB after " << kWarmup << ", peak " << peak
              << " KiB\n";
    // Every read is admitted by one scheduler choice (its reply), plus set-up.
    EXPECT_GE(points, kReads);
    EXPECT_GE(decided, kReads);
    EXPECT_LT(peak - warm, kGrowthLimitKib)
        << "RSS grew from " << warm << " KiB to " << peak << " KiB over " << kReads << " reads";
    // The running hash is the hash of every decision, as listed in the log.
    EXPECT_EQ(running, listed);
    EXPECT_LE(kept, 2048u); // the window of AdmissionConfig::keep_decisions (1024)
}

} // namespace
