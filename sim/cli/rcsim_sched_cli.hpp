// What `rcsim explore`, `rcsim replay` and `rcsim run --schedule` share:
// their options, the run spec and harness built from them, and one run in
// this process (rcsim_explore.cpp; the replay's own rules: rcsim_replay.cpp).
#pragma once

#include "client_style.hpp"
#include "dma_reply_gate.hpp"
#include "explore.hpp"
#include "harness.hpp"
#include "scheduled_run.hpp"

#include <cstdint>
#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace rcsim {

// Exit status of a replay (rcsim replay, rcsim run --schedule replay:LOG)
// whose run did not follow its log: it reproduced nothing.
constexpr int kExitDiverged = 3;

struct SchedOptions {
    std::string server, socket, scenario, schedule = "fifo", log, wave, trace, junit;
    std::string html; // rcsim report's page of the run (explore: of each class's minimal run)
    std::string out = "rcsim-explore";
    ExploreOptions explore;
    bool no_idle_announce = false;
    bool no_twin = false, force = false, have_shard = false, runs_given = false;
    bool migration_choices = false;
    bool server_from_log = false; // replay: start the server the log names
    unsigned watchdog_ms = 300;
    std::vector<uint64_t> delays;
    uint32_t cpl_timeout = 50000;
    IrqPreference irq = IrqPreference::Auto;
    DmaChoiceConfig dma;
    ClientStyle client = ClientStyle::Async;
    BarAccess bar_access = BarAccess::Mapping;
    // The options given on the command line, by name (replay: these and
    // only these override the log's settings).
    std::set<std::string> given;
};

// Parses argv; returns -1 to go on, else the exit status (help: 0, a bad
// option: 2, reported). Words that are not options go to `rest` (if any).
int parse_sched_options(const char *cmd, SchedOptions &o, int argc, char **argv,
                        std::vector<std::string> *rest, void (*usage)(FILE *));

// The scenario (loaded) and the server command of `o` (argv[0] made
// absolute, as the log pins it). -1 to go on, else the exit status.
int make_spec(const char *cmd, const SchedOptions &o, RunSpec *spec);

// `base` with the settings of `o`: all of them, or (only_given) those given
// on the command line.
HarnessConfig harness_config(const SchedOptions &o, HarnessConfig base, bool only_given);

// One run in this process; prints the outcome, the divergence (replay) and
// the run hash. Returns the exit status (kExitDiverged for a replay that
// did not follow its log, unless the run could not run at all).
int single_run(const char *cmd, const SchedOptions &o, const HarnessConfig &cfg,
               const RunSpec &spec, const std::string &policy);

// `rcsim run --schedule replay:LOG`: the log's pinned settings, scenario,
// server argv and hash against this run's (rcsim_replay.cpp). -1 to go on,
// else the exit status (2: refused, reported one line per field).
int check_replay_setup(const char *cmd, const std::string &log_path, const SchedOptions &o,
                       const HarnessConfig &run, const RunSpec &spec);

// The JUnit report of an exploration (rcsim explore, rcsim merge): one
// failed test case per failure class, or one passed case.
void write_explore_junit(const std::string &path, const std::string &scenario,
                         const std::string &strategy, const ExploreSummary &s);

} // namespace rcsim
