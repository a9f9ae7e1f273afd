// bench-explore: schedules per second of exploration on the #279 race
// scenario (tests/scenarios/race279.rcs on dmacopy): each run a forked child
// of one elaborated process, with a fresh server process. Baseline in the
// same run: the same forked runs of the scenario without a scheduler
// (arrival order, nothing held, no per-run report), so the ratio is what
// scheduling, logging and reporting cost. Then --reset device (one server,
// DEVICE_RESET per run) beside the process restart, and the mean runs to the
// first #279 failure for random and pct over 20 seeds (main socket).
// --figures: only --reset device beside the process restart (3 rounds of
// 200 runs each, jobs 1), with machine-readable lines (bench/figures.hpp).
#include "explore.hpp"
#include "figures.hpp"
#include "run_forker.hpp"
#include "scenario_runner.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

using namespace rcsim;
using Clock = std::chrono::steady_clock;

double explore_rate(Harness &h, const RunSpec &spec, size_t runs, size_t jobs,
                    const std::string &dir, bool device_reset = false) {
    ExploreOptions o;
    o.device_reset = device_reset;
    o.strategy = "random";
    o.runs = runs;
    o.jobs = jobs;
    o.shrink = false;
    o.out_dir = dir;
    const ExploreSummary s = explore(h, spec, o);
    if (s.failures || s.errors)
        std::fprintf(stderr, "bench-explore: %zu failures, %zu errors on the twin socket\n",
                     s.failures, s.errors);
    return double(s.runs) / s.seconds;
}

// The baseline: fork, start the server, enumerate, run the scenario, stop.
double plain_rate(Harness &h, const RunSpec &spec, size_t runs, size_t jobs) {
    const Clock::time_point t0 = Clock::now();
    const std::vector<RunResult> r = run_children(
        runs, jobs,
        [&](size_t) {
            std::string err;
            if (h.start_server(spec.server_argv, &err) < 0 || h.enumerate(&err) < 0)
                return 2;
            ScenarioRunner runner(h);
            ScenarioFailure f;
            const bool ok = runner.run(spec.program, &f);
            h.shutdown();
            return ok ? 0 : 1;
        },
        RunLimits{});
    size_t failed = 0;
    for (const RunResult &x : r)
        failed += !x.passed();
    if (failed)
        std::fprintf(stderr, "bench-explore: %zu baseline runs failed\n", failed);
    return double(runs) / std::chrono::duration<double>(Clock::now() - t0).count();
}

double mean_runs_to_failure(Harness &h, const RunSpec &spec, const std::string &strategy,
                            const std::string &dir) {
    size_t total = 0;
    for (uint64_t s = 0; s < 20; ++s) {
        ExploreOptions o;
        o.strategy = strategy;
        o.runs = 50;
        o.jobs = 2;
        o.seed = 1000 * s + 1;
        o.shrink = false;
        o.stop_at_first_failure = true;
        o.out_dir = dir;
        const ExploreSummary sum = explore(h, spec, o);
        total += sum.first_failure_run ? sum.first_failure_run : 50;
    }
    return double(total) / 20;
}

} // namespace

int main(int argc, char **argv) {
    const bool figures = argc > 1 && std::strcmp(argv[1], "--figures") == 0;
    HarnessConfig cfg;
    cfg.admission.watchdog = std::chrono::milliseconds(300);
    std::unique_ptr<Harness> h;
    std::string err;
    RunSpec twin;
    if (Harness::create(cfg, &h, &err) < 0 ||
        load_run_spec(RCSIM_SCENARIOS_DIR "/race279.rcs", &twin, &err) < 0) {
        std::fprintf(stderr, "bench-explore: %s\n", err.c_str());
        return 1;
    }
    twin.server_argv = {RCSIM_SERVER_MODELS_DIR "/dmacopy"};
    RunSpec legacy = twin;
    legacy.server_argv.push_back("--legacy-socket");
    char dir[] = "/tmp/rcsim-bench-explore-XXXXXX";
    if (!mkdtemp(dir))
        return 1;

    if (figures) {
        std::vector<double> dev, base;
        for (int round = 0; round < 3; ++round) {
            base.push_back(explore_rate(*h, twin, 200, 1, dir));
            dev.push_back(explore_rate(*h, twin, 200, 1, dir, true));
        }
        std::printf("bench-explore: race279.rcs on dmacopy (twin socket), random, jobs 1, 3 "
                    "rounds of 200 runs\n");
        rcsim::bench::figure("explore_device_reset", dev, "schedules/s");
        rcsim::bench::figure("explore_process_restart", base, "schedules/s");
        std::system((std::string("rm -rf ") + dir).c_str());
        return 0;
    }
    std::printf("bench-explore: race279.rcs on dmacopy (twin socket), a forked child per run\n");
    for (size_t jobs : {size_t(1), size_t(2)}) {
        const double base = plain_rate(*h, twin, 300, jobs);
        const double rnd = explore_rate(*h, twin, 300, jobs, dir);
        std::printf("  jobs %zu: random schedules/s %.1f; baseline (same runs, no scheduler) "
                    "runs/s %.1f; ratio %.2f\n",
                    jobs, rnd, base, rnd / base);
    }
    {
        const double base = explore_rate(*h, twin, 300, 1, dir);
        const double dev = explore_rate(*h, twin, 300, 1, dir, true);
        std::printf("  jobs 1: random schedules/s with --reset device (one server, DEVICE_RESET "
                    "per run) %.1f; baseline: with a server process per run %.1f; ratio %.2f\n",
                    dev, base, dev / base);
    }
    const double mr = mean_runs_to_failure(*h, legacy, "random", dir);
    const double mp = mean_runs_to_failure(*h, legacy, "pct", dir);
    std::printf("  mean runs to the #279 failure over 20 seeds (--legacy-socket): random %.2f, "
                "pct:SEED:1 %.2f (its first run is the fifo run that measures K)\n",
                mr, mp);
    std::system((std::string("rm -rf ") + dir).c_str());
    return 0;
}
