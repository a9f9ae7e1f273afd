// bench-topology-race: schedules per second of exploring the two-device
// race (issue 20): tests/scenarios/two_writers.rcs (two dmacopy devices on
// two root ports write one buffer), as `rcsim explore --scenario
// two_writers.rcs --strategy random --delays 200 --reset process --jobs 1
// --no-shrink` runs it. Baseline in the same run: the single-device race
// explored the same way, tests/scenarios/race279.rcs on dmacopy
// --legacy-socket (random, --delays 200, a server process per run, jobs 1,
// no shrink). Also, for the reading of that ratio, race279.rcs on dmacopy
// (twin socket, where every schedule passes) the same way: a #279 failing
// run waits out the 300 ms watchdog (the server never answers the crossing
// read), passing runs do not. Three rounds of 60 runs of each, every round
// the same schedules (random:1 .. random:60, explore's default seed), so
// that the rounds differ only in the machine's timing: with other seeds a
// different count of #279 failures, each with its watchdog wait, moves the
// baseline by nearly 2x (4.4 to 7.9 schedules/s in a trial). The order is reversed every other
// round; each round's exploration runs in a child of its own (SystemC elaborates once per process,
// and the configurations need different harnesses: the topology's fabric, the single root port).
// Beside the rates, how many runs found each race (the failure category of the race: data mismatch
// for the two writers, protocol error for #279); a run that could not run
// or failed some other way fails the bench.
// --figures: also one machine-readable line per figure (bench/figures.hpp).
#include "explore.hpp"
#include "figures.hpp"
#include "run_forker.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace rcsim;

constexpr int kRounds = 3;
constexpr size_t kRuns = 60;

struct Config {
    const char *name, *scenario, *race_category;
    const char *server_flag; // race279: dmacopy's mode ("" its default), else null
    const char *rate_key, *found_key;
    std::vector<double> rates, found;
};

// In the child: one exploration, then "RESULT runs seconds found".
int measure(const Config &c, const std::string &dir) {
    RunSpec spec;
    std::string err;
    if (load_run_spec(std::string(RCSIM_SCENARIOS_DIR "/") + c.scenario, &spec, &err) < 0) {
        std::fprintf(stderr, "bench-topology-race: %s\n", err.c_str());
        return 1;
    }
    if (c.server_flag) {
        spec.server_argv = {RCSIM_SERVER_MODELS_DIR "/dmacopy"};
        if (*c.server_flag)
            spec.server_argv.push_back(c.server_flag);
    }
    // What rcsim explore's defaults and --delays 200 make of the harness.
    HarnessConfig cfg;
    cfg.admission.watchdog = std::chrono::milliseconds(300);
    cfg.admission.delay_choices = {200};
    if (!spec.dma_windows.empty())
        cfg.dma_windows = spec.dma_windows;
    std::unique_ptr<Harness> h;
    if (Harness::create(cfg, &h, &err) < 0) {
        std::fprintf(stderr, "bench-topology-race: %s\n", err.c_str());
        return 1;
    }
    ExploreOptions o;
    o.strategy = "random";
    o.runs = kRuns;
    o.jobs = 1;
    o.shrink = false;
    o.device_reset = false; // a topology's servers start afresh every run
    o.out_dir = dir;
    const ExploreSummary s = explore(*h, spec, o);
    const auto race = s.categories.find(c.race_category);
    const size_t found = race == s.categories.end() ? 0 : race->second;
    if (s.errors || s.failures != found || s.runs != kRuns) {
        std::fprintf(stderr,
                     "bench-topology-race: %s: %zu runs, %zu failed (%zu %s), %zu could "
                     "not run\n%s",
                     c.name, s.runs, s.failures, found, c.race_category, s.errors,
                     format_summary(s, "rcsim replay").c_str());
        return 1;
    }
    std::printf("RESULT %zu %.6f %zu\n", s.runs, s.seconds, found);
    std::fflush(stdout);
    return 0;
}

bool collect(const RunResult &r, Config *c) {
    const size_t at = r.output.find("RESULT ");
    if (!r.passed() || at == std::string::npos)
        return false;
    std::istringstream in(r.output.substr(at + 7));
    double runs = 0, seconds = 0, found = 0;
    if (!(in >> runs >> seconds >> found) || seconds <= 0)
        return false;
    c->rates.push_back(runs / seconds);
    c->found.push_back(found);
    return true;
}

} // namespace

int main(int argc, char **argv) {
    const bool figures = argc > 1 && std::strcmp(argv[1], "--figures") == 0;
    // Topology files name their servers by program name, found on PATH: the
    // bundled models first, as `rcsim` puts them.
    const char *path = std::getenv("PATH");
    const std::string with_models =
        std::string(RCSIM_SERVER_MODELS_DIR) + (path ? std::string(":") + path : "");
    setenv("PATH", with_models.c_str(), 1);
    char dir[] = "/tmp/rcsim-bench-topology-race-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    Config cs[] = {
        {"two_writers.rcs (2 devices)",
         "two_writers.rcs",
         "data mismatch",
         nullptr,
         "explore_two_writers",
         "explore_two_writers_found",
         {},
         {}},
        {"race279.rcs on dmacopy --legacy-socket (1 device)",
         "race279.rcs",
         "protocol error",
         "--legacy-socket",
         "explore_race279_delays",
         "explore_race279_delays_found",
         {},
         {}},
        {"race279.rcs on dmacopy, twin socket (1 device)",
         "race279.rcs",
         "protocol error",
         "",
         "explore_race279_twin_delays",
         "explore_race279_twin_delays_found",
         {},
         {}},
    };
    constexpr size_t kConfigs = sizeof cs / sizeof cs[0];
    RunLimits lim;
    lim.wall_limit = std::chrono::milliseconds(120000);
    int status = 0;
    for (int round = 0; round < kRounds && status == 0; ++round)
        for (size_t i = 0; i < kConfigs; ++i) {
            Config &c = cs[round % 2 ? kConfigs - 1 - i : i];
            const RunResult r = run_in_child([&](size_t) { return measure(c, dir); }, 0, lim);
            if (!collect(r, &c)) {
                std::fprintf(stderr, "bench-topology-race: %s: %s\n%s", c.name,
                             r.describe().c_str(), r.output.c_str());
                status = 1;
                break;
            }
        }
    std::system((std::string("rm -rf ") + dir).c_str());
    if (status)
        return status;
    std::printf("bench-topology-race: explore, random, --delays 200, --reset process, jobs 1, no "
                "shrink; median of %d rounds x %zu runs\n",
                kRounds, kRuns);
    for (const Config &c : cs) {
        std::printf("  %-50s %6.2f schedules/s [", c.name, bench::median(c.rates));
        for (size_t i = 0; i < c.rates.size(); ++i)
            std::printf("%s%.2f", i ? " " : "", c.rates[i]);
        std::printf("]; runs that found the race:");
        for (double f : c.found)
            std::printf(" %.0f/%zu", f, kRuns);
        std::printf("\n");
    }
    std::printf("ratios (same run): two_writers / race279 --legacy-socket %.3f; two_writers / "
                "race279 twin socket (no failing run) %.3f\n",
                bench::median(cs[0].rates) / bench::median(cs[1].rates),
                bench::median(cs[0].rates) / bench::median(cs[2].rates));
    const std::string found_unit = "runs of " + std::to_string(kRuns) + " that found the race";
    if (figures)
        for (const Config &c : cs) {
            bench::figure(c.rate_key, c.rates, "schedules/s");
            bench::figure(c.found_key, c.found, found_unit.c_str());
        }
    return 0;
}
