// Exploration: many runs of one scenario under different schedules, each in
// a forked child of a process that elaborated once (run_forker), each with a
// fresh server process. Strategies: random (random:SEED+i), pct (a fifo run
// first measures how many choice points offer a choice, K; then
// pct:SEED+i:DEPTH:K) and exhaustive (every plan with at most BOUND
// deviations from fifo, each exactly once, breadth first: a run's plan is
// extended only at choice points after its last deviation). A failing
// schedule is shrunk (one deviation dropped at a time while the run still
// fails the same way) and its minimal log is written for `rcsim replay`.
#pragma once

#include "scheduled_run.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace rcsim {

struct ExploreOptions {
    std::string strategy = "random"; // random | pct | exhaustive
    size_t runs = 100;               // random, pct (exhaustive: an upper limit)
    unsigned bound = 2;              // exhaustive: deviations per run
    unsigned depth = 1;              // pct: priority-change points
    uint64_t seed = 1;
    size_t jobs = 1;
    size_t shard = 0, shards = 1; // run i belongs to shard i % shards
    std::string out_dir;          // logs of failures (created); required
    bool shrink = true;
    bool stop_at_first_failure = false;
    bool progress = false; // a line on stderr every few runs
    // One server for many runs, DEVICE_RESET before each (a keeper process
    // starts it and enumerates once; a fresh one after a failing run). One
    // run at a time. Off: a fresh server process per run.
    bool device_reset = false;
    std::chrono::milliseconds run_limit{60000};
};

struct FailureClass {
    std::string name;
    std::string category; // failure_category.hpp, of its first run
    size_t count = 0;
    // 1-based index of its first failing run in the whole exploration (the
    // same in a shard as unsharded: pct's fifo run is 1, random run i is
    // i + 1; exhaustive counts breadth first over the unsplit levels).
    size_t first_run = 0;
    std::string policy;              // of the first failing run
    std::vector<Deviation> original; // its deviations
    std::vector<Deviation> minimal;  // after shrinking
    size_t shrink_runs = 0;
    std::string log_path; // the minimal schedule's decision log
    std::string details;  // its failure report (with the server's output)
    std::string note;     // how --reset device's finding fared with a fresh server
};

// The runs every shard repeats (pct's fifo run; exhaustive's levels above
// the bound): a merge of shards counts them once.
struct ExplorePrelude {
    size_t runs = 0, failures = 0, errors = 0;
    std::map<std::string, size_t> categories; // failing runs per failure category
    std::map<std::string, size_t> classes;    // failing runs per failure class
};

struct ExploreSummary {
    size_t runs = 0, failures = 0, errors = 0;
    size_t first_failure_run = 0; // 1-based, as FailureClass::first_run; 0: none
    bool incomplete = false;      // exhaustive stopped by `runs` before the end
    size_t branching = 0;         // choice points with a choice, in the fifo run (pct, exhaustive)
    std::set<std::string> hashes; // distinct interleavings seen
    std::vector<FailureClass> classes;
    std::vector<std::string> errors_seen;     // runs that could not run (first few)
    std::map<std::string, size_t> categories; // failing runs per failure category
    long long queue_peak = -1;                // largest "vus: DMA queue peak" of any run (-1: none)
    double seconds = 0;
    ExplorePrelude prelude; // included in the counts above
};

ExploreSummary explore(Harness &h, const RunSpec &spec, const ExploreOptions &opt);

// Why `program` cannot be explored, or "": a wall-clock wait (`within ...
// wall`) makes what a run admits, and when, the host's timing, so runs are
// neither comparable by hash nor replayable by choice index.
std::string unexplorable(const Program &program);

// The summary as printed: counts, failures by class, and per class the replay
// command (`replay_command` + the log path) and the server's output.
std::string format_summary(const ExploreSummary &s, const std::string &replay_command);

} // namespace rcsim
