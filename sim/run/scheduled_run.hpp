// One scenario run under one schedule policy, on a harness elaborated by the
// caller (in a forked child when exploring): server start (or connect),
// enumeration, the scenario, shutdown; then what happened in a form the
// parent can read back from a file: outcome, failure class, run hash, the
// choices taken, the server's output.
#pragma once

#include "failure_category.hpp"
#include "harness.hpp"
#include "scenario_parser.hpp"
#include "scheduler.hpp"
#include "sha256.hpp"
#include "topology.hpp"

#include <optional>
#include <string>
#include <vector>

namespace rcsim {

struct RunSpec {
    std::string scenario; // absolute path (pinned in the log)
    Program program;
    std::vector<std::string> server_argv; // empty: connect to `socket`
    std::string socket;
    // The scenario's `dma-window` declarations (empty: the default window):
    // the harness a scheduled run forks from is created with them.
    std::vector<MemWindow> dma_windows;
    // The scenario's `topology "FILE"` (issue 20): the file (pinned in the
    // log) and its devices, whose servers every run starts (then
    // server_argv and socket are empty).
    std::string topology_path;
    topology::Topology topology;
    bool has_topology() const { return !topology_path.empty(); }
};

struct RunReport {
    int status = 2;            // 0 passed, 1 failed, 2 could not run
    std::string failure_class; // one line naming the failure ("" when passed)
    std::string details;       // the failure report with the server's output
    std::string hash;          // SHA-256 over decision records + trace records
    ChoiceShape choices;       // how many choice points, which offered a choice
    std::vector<Deviation> deviations;
    std::string divergence; // replay: the first choice that did not match
    // failure_category.hpp: "protocol error", "deadlock", ... ("" passed,
    // and for runs that could not run).
    std::string category;
    // The server's "vus: DMA queue peak: N bytes" (the largest over its
    // lines; -1: none printed, e.g. not in queue mode).
    long long queue_peak = -1;
};

// The largest N of the "vus: DMA queue peak: N bytes (limit L)" lines in a
// server's output; -1 if there is none.
long long parse_queue_peak(const std::string &server_output);

// Parses the scenario file into spec (absolute path), and the topology file
// it begins with, if any. 0 or -1 with error.
int load_run_spec(const std::string &scenario, RunSpec *spec, std::string *error);

// Runs spec under `policy`. log_path / trace_path: where the decision log and
// the JSONL trace go (empty: not written; the hash then covers the decisions
// only).
RunReport scheduled_run(Harness &h, const RunSpec &spec, const std::string &policy,
                        const std::string &log_path, const std::string &trace_path);

// One run on a harness that is connected and enumerated already (forked
// from a process that did that): DEVICE_RESET, then the scenario; the
// server is left running for the next run. The decision log, if any, holds
// this run's decisions only.
RunReport scheduled_run_after_reset(Harness &h, const RunSpec &spec, const std::string &policy,
                                    const std::string &log_path);

// The report as a small text file and back (parent <-> child).
int write_run_report(const std::string &path, const RunReport &r);
int read_run_report(const std::string &path, RunReport *r);

// SHA-256 over the decisions (wall-clock waits left out) and the bytes of
// the trace file (if any): equal for identical runs, different when a
// choice differed. decisions: the harness's running hash of them
// (Harness::decision_digest), so no run keeps its decisions in memory.
std::string run_hash(Sha256 decisions, const std::string &trace_path);
// The same over a list of decisions (what the running hash computes).
std::string run_hash(const std::vector<Decision> &decisions, const std::string &trace_path);

} // namespace rcsim
