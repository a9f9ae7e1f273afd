// "Elaborate once, fork a child per run": SystemC can elaborate only once per
// process, so a runner elaborates, then forks a child for each test or
// exploration run. The child inherits the elaborated model, runs one
// callable and exits with its return value; the parent collects exit status
// or signal, the child's stdout+stderr, and kills a child that outlives its
// wall-time limit (with its whole process group).
// Fork from a single-threaded point (the SystemC kernel is single-threaded):
// a child forked while another thread holds a lock inherits it held.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace rcsim {

struct RunResult {
    enum class Outcome { Exited, Signaled, TimedOut, ForkFailed };
    Outcome outcome = Outcome::ForkFailed;
    int exit_code = 0; // Exited
    int signal = 0;    // Signaled (TimedOut children are SIGKILLed)
    pid_t pid = -1;
    std::chrono::milliseconds wall{0};
    std::string output; // stdout and stderr of the child, interleaved
    bool output_truncated = false;

    bool passed() const { return outcome == Outcome::Exited && exit_code == 0; }
    std::string
    describe() const; // "exit 0", "signal 11 (Segmentation fault)", "timed out after 500 ms"
};

struct RunLimits {
    std::chrono::milliseconds wall_limit{10000};
    size_t max_output_bytes = 1 << 20; // the head is kept
};

// The child's body: its return value is the child's exit status (0..255).
// An exception escaping it is printed and exits with status 70.
using RunBody = std::function<int(size_t run_index)>;

RunResult run_in_child(const RunBody &body, size_t run_index, const RunLimits &limits);

// Runs body(0) .. body(runs-1), each in its own child, with at most
// `max_parallel` (>= 1) alive at once. Results are in run-index order.
std::vector<RunResult> run_children(size_t runs, size_t max_parallel, const RunBody &body,
                                    const RunLimits &limits);

} // namespace rcsim
