// The scheduler's headline tests (issue 7) on dmacopy and
// tests/scenarios/race279.rcs: the doorbell's DMA runs inside its
// REGION_WRITE and the STATUS read right after it may cross that DMA.
//  - on the main socket (--legacy-socket, libvfio-user before the #279 fix)
//    random and pct exploration find the failure without being told the
//    schedule; the shrunk log replays it 100 times out of 100; fifo passes;
//  - with the twin socket every schedule of exhaustive:2 and 1000 random
//    schedules pass;
//  - the run hash: same seed, same hash; different choices, different hash.
// One elaboration per test process, one forked child (and server) per run.
#include "../../common/sanitizer_scale.hpp"
#include "explore.hpp"
#include "run_forker.hpp"

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

namespace {

using namespace rcsim;

const std::string kRace = RCSIM_SCENARIOS_DIR "/race279.rcs";
const std::string kDmacopy = RCSIM_SERVER_MODELS_DIR "/dmacopy";

class Sched : public ::testing::Test {
  protected:
    void SetUp() override {
        char d[] = "/tmp/rcsim-sched-XXXXXX";
        ASSERT_NE(mkdtemp(d), nullptr);
        dir = d;
        HarnessConfig cfg;
        cfg.admission.watchdog = std::chrono::milliseconds(300);
        cfg.no_twin = no_twin;
        cfg.admission.delay_choices = delays;
        std::string err;
        ASSERT_EQ(Harness::create(cfg, &h, &err), 0) << err;
    }
    void TearDown() override {
        if (!std::getenv("RCSIM_KEEP_LOGS"))
            std::system(("rm -rf '" + dir + "'").c_str());
    }
    void load(const std::string &scenario, std::vector<std::string> argv) {
        std::string err;
        ASSERT_EQ(load_run_spec(scenario, &spec, &err), 0) << err;
        spec.server_argv = std::move(argv);
    }
    ExploreOptions options(const std::string &strategy) const {
        ExploreOptions o;
        o.strategy = strategy;
        o.jobs = 2;
        o.out_dir = dir + "/" + strategy;
        return o;
    }
    // Runs each policy in a forked child; the reports in order.
    std::vector<RunReport> runs(const std::vector<std::string> &policies, bool traced = false) {
        const std::vector<RunResult> res = run_children(
            policies.size(), 2,
            [&](size_t i) {
                const std::string base = dir + "/r" + std::to_string(i);
                const RunReport r = scheduled_run(*h, spec, policies[i], base + ".log.jsonl",
                                                  traced ? base + ".trace.jsonl" : "");
                write_run_report(base + ".report", r);
                return r.status;
            },
            RunLimits{});
        std::vector<RunReport> out(policies.size());
        for (size_t i = 0; i < res.size(); ++i) {
            EXPECT_EQ(res[i].outcome, RunResult::Outcome::Exited) << res[i].describe();
            EXPECT_EQ(read_run_report(dir + "/r" + std::to_string(i) + ".report", &out[i]), 0);
        }
        return out;
    }
    // Runs until the first failure for each of 20 seeds; the mean.
    double mean_runs_to_failure(const std::string &strategy, size_t limit) {
        size_t total = 0;
        for (uint64_t s = 0; s < 20; ++s) {
            ExploreOptions o = options(strategy);
            o.seed = 1000 * s + 1;
            o.runs = limit;
            o.shrink = false;
            o.stop_at_first_failure = true;
            const ExploreSummary sum = explore(*h, spec, o);
            EXPECT_GE(sum.first_failure_run, 1u)
                << strategy << " seed " << o.seed << " found nothing in " << limit << " runs";
            EXPECT_EQ(sum.classes.size(), 1u);
            total += sum.first_failure_run ? sum.first_failure_run : limit;
        }
        return double(total) / 20;
    }

    bool no_twin = false;
    std::vector<uint64_t> delays; // delay choices offered at each admission
    std::string dir;
    std::unique_ptr<Harness> h;
    RunSpec spec;
};

// ---- 1. discovery (main socket)

TEST_F(Sched, RandomFindsRace279Within10Runs) {
    load(kRace, {kDmacopy, "--legacy-socket"});
    const double mean = mean_runs_to_failure("random", 10);
    std::printf("random: mean runs to the #279 failure over 20 seeds: %.2f\n", mean);
    EXPECT_LE(mean, 4.0);
}

TEST_F(Sched, PctFindsRace279Within10Runs) {
    load(kRace, {kDmacopy, "--legacy-socket"});
    const double mean = mean_runs_to_failure("pct", 10);
    std::printf("pct (depth 1; the fifo run that measures K counts): mean runs to the #279 "
                "failure over 20 seeds: %.2f\n",
                mean);
    EXPECT_LE(mean, 4.0);
}

// ---- 2. replay of the shrunk log, 100 of 100

TEST_F(Sched, ShrunkRace279LogReplays100Of100) {
    load(kRace, {kDmacopy, "--legacy-socket"});
    ExploreOptions o = options("random");
    o.runs = 10;
    o.seed = 7;
    const ExploreSummary sum = explore(*h, spec, o);
    ASSERT_EQ(sum.classes.size(), 1u) << format_summary(sum, "rcsim replay");
    const FailureClass &c = sum.classes[0];
    EXPECT_NE(c.name.find("race279.rcs:20"), std::string::npos) << c.name;
    ASSERT_EQ(c.minimal.size(), 1u) << "one deviation: the STATUS read sent during the DMA";
    DecisionLog log;
    std::string err;
    ASSERT_EQ(read_decision_log(c.log_path, &log, &err), 0) << err;
    size_t sent_now = 0;
    for (const Decision &d : log.decisions)
        if (d.kind == "mmio" && d.chosen.rfind("send ", 0) == 0) {
            ++sent_now;
            EXPECT_NE(d.chosen.find("addr=0xe0000018"), std::string::npos) << d.chosen;
        }
    EXPECT_EQ(sent_now, 1u);

    // 30 under the sanitizers (tests/common/sanitizer_scale.hpp).
    const std::vector<RunReport> rs =
        runs(std::vector<std::string>(rcsim_test::scaled(100, 30), "replay:" + c.log_path));
    std::set<std::string> hashes;
    for (size_t i = 0; i < rs.size(); ++i) {
        EXPECT_EQ(rs[i].status, 1) << "replay " << i << " passed";
        EXPECT_EQ(rs[i].failure_class, c.name) << "replay " << i;
        EXPECT_EQ(rs[i].divergence, "") << "replay " << i;
        hashes.insert(rs[i].hash);
    }
    EXPECT_EQ(hashes.size(), 1u) << "100 replays, one interleaving";
}

// The command: `rcsim replay LOG` reproduces and says it followed the log;
// a log pinning another scenario is refused unless --force.
int command(const std::string &cmd, std::string *out) {
    FILE *p = popen((cmd + " 2>&1").c_str(), "r");
    if (!p)
        return -1;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0)
        out->append(buf, n);
    const int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

TEST_F(Sched, ReplayCommandReproducesAndRefusesAnotherSetup) {
    load(kRace, {kDmacopy, "--legacy-socket"});
    std::string out;
    const std::string log = dir + "/plan.jsonl";
    ASSERT_EQ(command(std::string(RCSIM_BIN) + " run --server '" + kDmacopy +
                          " --legacy-socket' --scenario " + kRace +
                          " --schedule random:1 --watchdog-ms 300 --decisions " + log,
                      &out),
              1)
        << out;
    out.clear();
    EXPECT_EQ(
        command(std::string(RCSIM_BIN) + " replay " + log + " --server-from-log --watchdog-ms 300",
                &out),
        1)
        << out;
    EXPECT_NE(out.find("the run took every decision of the log"), std::string::npos) << out;

    // Another scenario hash in the header: refused, then --force runs it.
    std::ifstream in(log);
    std::stringstream text;
    text << in.rdbuf();
    std::string s = text.str();
    const size_t at = s.find("\"sha256\":\"") + 10;
    s[at] = s[at] == '0' ? '1' : '0';
    const std::string bad = dir + "/bad.jsonl";
    std::ofstream(bad) << s;
    out.clear();
    EXPECT_EQ(command(std::string(RCSIM_BIN) + " replay " + bad + " --server-from-log", &out), 2)
        << out;
    EXPECT_NE(out.find("mismatch"), std::string::npos) << out;
    out.clear();
    EXPECT_EQ(command(std::string(RCSIM_BIN) + " replay " + bad +
                          " --server-from-log --force --watchdog-ms 300",
                      &out),
              1)
        << out;

    // A log whose crossing choice says something this run never offers:
    // the replay names the first decision where it parts.
    std::string d = text.str();
    const size_t send = d.find("\"chosen\":\"send ");
    ASSERT_NE(send, std::string::npos);
    d.replace(send, 15, "\"chosen\":\"sent ");
    const size_t opt = d.rfind("\"send ", send);
    d.replace(opt, 6, "\"sent ");
    const std::string edited = dir + "/edited.jsonl";
    std::ofstream(edited) << d;
    out.clear();
    EXPECT_EQ(command(std::string(RCSIM_BIN) + " replay " + edited +
                          " --server-from-log --force --watchdog-ms 300",
                      &out),
              3)
        << out;
    EXPECT_NE(out.find("replay diverged: choice"), std::string::npos) << out;
    EXPECT_NE(out.find("the run parts from the log at decision"), std::string::npos) << out;
}

// "Identical" (DESIGN, Determinism): two replays of one log give the same
// JSONL trace, byte for byte, and the same FST value changes (fst2vcd's
// output without the $date block, which holds the wall-clock date).
std::string slurp(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string vcd_without_date(const std::string &fst, std::string *out) {
    std::string vcd;
    if (command("fst2vcd " + fst, &vcd) != 0) {
        *out += vcd;
        return "";
    }
    const size_t a = vcd.find("$date"), b = vcd.find("$end", a);
    if (a != std::string::npos && b != std::string::npos)
        vcd.erase(a, b - a);
    return vcd;
}

TEST_F(Sched, TwoReplaysGiveTheSameTraceAndFstValueChanges) {
    load(kRace, {kDmacopy, "--legacy-socket"});
    std::string out;
    const std::string log = dir + "/plan.jsonl";
    // Decision 63 is the crossing (60 before enumeration sized the ROM BAR
    // and read 0x100: three more config accesses).
    const std::string run = std::string(RCSIM_BIN) + " run --server '" + kDmacopy +
                            " --legacy-socket' --scenario " + kRace +
                            " --schedule plan:63=1 --watchdog-ms 300 --decisions " + log;
    ASSERT_EQ(command(run, &out), 1) << out;
    for (const char *n : {"a", "b"}) {
        out.clear();
        EXPECT_EQ(command(std::string(RCSIM_BIN) + " replay " + log +
                              " --server-from-log --watchdog-ms 300 --wave " + dir + "/" + n +
                              ".fst --trace " + dir + "/" + n + ".jsonl",
                          &out),
                  1)
            << out;
    }
    const std::string ta = slurp(dir + "/a.jsonl"), tb = slurp(dir + "/b.jsonl");
    EXPECT_GT(ta.size(), 1000u);
    EXPECT_TRUE(ta == tb) << "JSONL traces of two replays differ";
    EXPECT_NE(ta.find("\"decision\":\"mmio\""), std::string::npos)
        << "the crossing choice is traced";
    const std::string va = vcd_without_date(dir + "/a.fst", &out);
    const std::string vb = vcd_without_date(dir + "/b.fst", &out);
    EXPECT_GT(va.size(), 1000u) << out;
    EXPECT_TRUE(va == vb) << "FST value changes of two replays differ";
}

// ---- 3. fifo passes on the main socket

TEST_F(Sched, FifoPassesRace279OnTheMainSocket) {
    load(kRace, {kDmacopy, "--legacy-socket"});
    const std::vector<RunReport> rs = runs({"fifo", "fifo", "fifo", "fifo"});
    for (const RunReport &r : rs) {
        EXPECT_EQ(r.status, 0) << r.failure_class << "\n" << r.details;
        EXPECT_TRUE(r.deviations.empty());
        EXPECT_EQ(r.hash, rs[0].hash);
    }
}

// ---- 4. the fixed server: every schedule passes

// With a delay choice (200 cycles) at every admission besides the crossing
// choice, the scenario has some 66 binary choice points.
class SchedDelays : public Sched {
  protected:
    SchedDelays() { delays = {200}; }
};

// Bound 2 is some 2,200 runs: over two minutes under the sanitizers on a
// slow CI machine, so they check bound 1 (every single deviation, ~67 runs).
TEST_F(SchedDelays, TwinSocketPassesExhaustiveBound2) {
    load(kRace, {kDmacopy});
    ExploreOptions o = options("exhaustive");
    o.bound = unsigned(rcsim_test::scaled(2, 1));
    o.runs = SIZE_MAX;
    const ExploreSummary sum = explore(*h, spec, o);
    std::printf("exhaustive:%u on the twin socket with delays {200}: %zu runs (%zu choice "
                "points offer a choice in the fifo run), %zu interleavings, %.1f s\n",
                o.bound, sum.runs, sum.branching, sum.hashes.size(), sum.seconds);
    EXPECT_FALSE(sum.incomplete);
    EXPECT_EQ(sum.failures, 0u) << format_summary(sum, "rcsim replay");
    EXPECT_EQ(sum.errors, 0u) << format_summary(sum, "rcsim replay");
    ASSERT_GE(sum.branching, 60u);
    // Level 1 alone is 1 + branching runs; level 2 adds one per pair.
    if (o.bound == 1)
        EXPECT_EQ(sum.runs, 1 + sum.branching);
    else
        EXPECT_GE(sum.runs, 1 + sum.branching + sum.branching * (sum.branching - 1) / 4);
    EXPECT_EQ(sum.hashes.size(), sum.runs) << "every schedule is a different interleaving";
}

// 1000 runs in the normal build, 150 under the sanitizers (see above).
TEST_F(SchedDelays, TwinSocketPasses1000RandomSchedules) {
    load(kRace, {kDmacopy});
    ExploreOptions o = options("random");
    o.runs = rcsim_test::scaled(1000, 150);
    const ExploreSummary sum = explore(*h, spec, o);
    std::printf("random x%zu on the twin socket with delays {200}: %.1f s (%.1f runs/s, jobs "
                "2), %zu interleavings\n",
                o.runs, sum.seconds, double(sum.runs) / sum.seconds, sum.hashes.size());
    EXPECT_EQ(sum.runs, o.runs);
    EXPECT_EQ(sum.failures, 0u) << format_summary(sum, "rcsim replay");
    EXPECT_EQ(sum.errors, 0u) << format_summary(sum, "rcsim replay");
    // Nearly every random schedule with delays is a different interleaving.
    EXPECT_GE(sum.hashes.size(), o.runs - o.runs / 100);
}

// On the main socket with delays the failure is still found, and shrinking
// by labels gets back to the one deviation that matters (removing a delay
// renumbers the choice points after it).
TEST_F(SchedDelays, Race279WithDelaysShrinksToTheCrossingAlone) {
    load(kRace, {kDmacopy, "--legacy-socket"});
    ExploreOptions o = options("random");
    o.runs = 10;
    o.seed = 2;
    const ExploreSummary sum = explore(*h, spec, o);
    ASSERT_EQ(sum.classes.size(), 1u) << format_summary(sum, "rcsim replay");
    const FailureClass &c = sum.classes[0];
    EXPECT_GT(c.original.size(), 5u) << "random took many delays";
    ASSERT_EQ(c.minimal.size(), 1u) << format_summary(sum, "rcsim replay");
    EXPECT_EQ(c.minimal[0].label.rfind("send MemRd32", 0), 0u) << c.minimal[0].label;
    const std::vector<RunReport> rs = runs({"replay:" + c.log_path, "replay:" + c.log_path});
    for (const RunReport &r : rs) {
        EXPECT_EQ(r.status, 1);
        EXPECT_EQ(r.failure_class, c.name);
        EXPECT_EQ(r.divergence, "");
    }
}

// Reordering admissions is offered only where the protocol allows it:
// dmacopy --dma-after-reply answers the doorbell at once and DMAs from a
// worker thread on the twin socket, so the doorbell's reply (main) and the
// first DMA_READ (twin) are pending together and either may go first. A
// correct server passes every such order; no option ever sits behind an
// earlier arrival of its own source.
TEST_F(Sched, ReorderedAdmissionsOfACorrectServerPass) {
    load(RCSIM_SCENARIOS_DIR "/dmacopy_demo.rcs", {kDmacopy, "--dma-after-reply"});
    std::vector<std::string> p;
    for (unsigned s = 1; s <= 16; ++s)
        p.push_back("random:" + std::to_string(s));
    const std::vector<RunReport> rs = runs(p);
    size_t reordered = 0, multi = 0;
    for (size_t i = 0; i < rs.size(); ++i) {
        EXPECT_EQ(rs[i].status, 0) << p[i] << ": " << rs[i].failure_class << "\n" << rs[i].details;
        DecisionLog log;
        std::string err;
        ASSERT_EQ(read_decision_log(dir + "/r" + std::to_string(i) + ".log.jsonl", &log, &err), 0)
            << err;
        for (const Decision &d : log.decisions) {
            if (d.kind != "admit" || d.options.size() < 2)
                continue;
            ++multi;
            reordered += d.chosen != d.options[0];
            std::set<std::string> sources;
            for (const std::string &o : d.options) {
                const std::string src = o.rfind("irq ", 0) == 0                ? "irq"
                                        : o.find(" twin") != std::string::npos ? "twin"
                                                                               : "main";
                EXPECT_TRUE(sources.insert(src).second)
                    << "two options from the " << src << " source: " << o;
            }
        }
    }
    EXPECT_GE(multi, 1u) << "no admission offered a choice";
    EXPECT_GE(reordered, 1u) << "16 seeds never took the later arrival first";
}

// One server for many runs (--reset device): a keeper process starts it and
// enumerates once, each run forks from there and sends DEVICE_RESET. The
// twin socket passes; on the main socket the failure is found, confirmed
// with a fresh server, shrunk and logged for a replay that reproduces it.
TEST_F(Sched, DeviceResetModeFindsRace279AndItsLogReplays) {
    load(kRace, {kDmacopy});
    ExploreOptions o = options("random");
    o.device_reset = true;
    o.runs = 50;
    ExploreSummary sum = explore(*h, spec, o);
    std::printf("--reset device, twin socket: %zu runs in %.2f s (%.1f runs/s, one at a time)\n",
                sum.runs, sum.seconds, double(sum.runs) / sum.seconds);
    EXPECT_EQ(sum.runs, 50u);
    EXPECT_EQ(sum.failures, 0u) << format_summary(sum, "rcsim replay");
    EXPECT_EQ(sum.errors, 0u) << format_summary(sum, "rcsim replay");

    load(kRace, {kDmacopy, "--legacy-socket"});
    o = options("random");
    o.device_reset = true;
    o.runs = 10;
    sum = explore(*h, spec, o);
    ASSERT_GE(sum.failures, 1u) << format_summary(sum, "rcsim replay");
    EXPECT_EQ(sum.errors, 0u) << format_summary(sum, "rcsim replay");
    ASSERT_EQ(sum.classes.size(), 1u) << format_summary(sum, "rcsim replay");
    const FailureClass &c = sum.classes[0];
    ASSERT_EQ(c.minimal.size(), 1u) << format_summary(sum, "rcsim replay");
    ASSERT_FALSE(c.log_path.empty());
    const std::vector<RunReport> rs = runs({"replay:" + c.log_path, "replay:" + c.log_path});
    for (const RunReport &r : rs) {
        EXPECT_EQ(r.status, 1);
        EXPECT_EQ(r.failure_class, c.name);
        EXPECT_EQ(r.divergence, "");
    }
}

// Exhaustive exploration with --reset device numbers choice points from the
// reset on, a fresh server's run from enumeration on: the failure found must
// still be confirmed with a fresh server (by the labels of the options taken)
// and get a replay log, not be written off as state carried between runs.
TEST_F(Sched, DeviceResetExhaustiveFailureIsConfirmedWithAFreshServer) {
    load(kRace, {kDmacopy, "--legacy-socket"});
    ExploreOptions o = options("exhaustive");
    o.device_reset = true;
    o.bound = 1;
    o.runs = 20;
    const ExploreSummary sum = explore(*h, spec, o);
    ASSERT_EQ(sum.classes.size(), 1u) << format_summary(sum, "rcsim replay");
    const FailureClass &c = sum.classes[0];
    EXPECT_EQ(c.note.find("passes"), std::string::npos) << c.note;
    ASSERT_FALSE(c.log_path.empty()) << format_summary(sum, "rcsim replay");
    ASSERT_EQ(c.minimal.size(), 1u) << format_summary(sum, "rcsim replay");
    const RunReport r = runs({"replay:" + c.log_path})[0];
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.failure_class, c.name);
}

// ---- 5. run hashes (decision records + JSONL trace records)

TEST_F(Sched, SameSeedSameHashDifferentChoicesDifferentHash) {
    load(kRace, {kDmacopy});
    std::vector<std::string> p;
    for (unsigned s = 1; s <= 6; ++s)
        p.push_back("random:" + std::to_string(s)), p.push_back("random:" + std::to_string(s));
    const std::vector<RunReport> rs = runs(p, true);
    bool differing_seen = false;
    for (size_t i = 0; i < rs.size(); i += 2) {
        EXPECT_EQ(rs[i].hash, rs[i + 1].hash) << p[i];
        EXPECT_EQ(rs[i].deviations, rs[i + 1].deviations) << p[i];
        for (size_t j = 0; j < i; j += 2) {
            if (rs[i].deviations == rs[j].deviations)
                continue;
            differing_seen = true;
            EXPECT_NE(rs[i].hash, rs[j].hash) << p[i] << " and " << p[j] << " chose differently";
        }
    }
    EXPECT_TRUE(differing_seen) << "seeds 1..6 all made the same choices";
}

// ---- 6. an outside libvfio-user server

TEST_F(Sched, OutsideServerRaceFoundOnlyWithoutTwinSocket) {
    const char *bin = std::getenv("RCSIM_OUTSIDE_DMA_SERVER");
    const char *scn = std::getenv("RCSIM_OUTSIDE_DMA_SCENARIO");
    if (!bin)
        GTEST_SKIP() << "set RCSIM_OUTSIDE_DMA_SERVER (a libvfio-user server started as BINARY "
                        "SOCKET) and optionally RCSIM_OUTSIDE_DMA_SCENARIO (a scenario for its "
                        "registers; default tests/scenarios/dmaprobe_race279.rcs)";
    if (!scn)
        scn = RCSIM_SCENARIOS_DIR "/dmaprobe_race279.rcs";
    // The twin socket is the client's offer: one harness per process, so
    // each half runs through the command (`rcsim explore`).
    const std::string base = std::string(RCSIM_BIN) + " explore --server '" + bin +
                             " {socket}' --scenario " + scn +
                             " --strategy random --runs 40 --jobs 2 --watchdog-ms 300 --out ";
    std::string out;
    EXPECT_EQ(command(base + dir + "/legacy --no-twin", &out), 1) << out;
    EXPECT_NE(out.find("failure class 1:"), std::string::npos) << out;
    EXPECT_NE(out.find("replay: rcsim replay " + dir + "/legacy/failure-1.jsonl"),
              std::string::npos)
        << out;
    std::printf("without the twin socket:\n%s", out.c_str());
    // The log pins that the twin socket was not offered: the replay fails too.
    out.clear();
    EXPECT_EQ(command(std::string(RCSIM_BIN) + " replay " + dir +
                          "/legacy/failure-1.jsonl --server-from-log",
                      &out),
              1)
        << out;
    out.clear();
    EXPECT_EQ(command(base + dir + "/twin", &out), 0) << out;
    EXPECT_NE(out.find(" 0 failed"), std::string::npos) << out;
    std::printf("with the twin socket:\n%s", out.c_str());
}

} // namespace
