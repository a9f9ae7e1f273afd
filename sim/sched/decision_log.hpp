// The decision log: one JSONL file per run. Line 1 is a header that pins
// what a replay must match (scenario, server binary and argv, RTL settings,
// rcsim's version) and the policy that chose; every further line is one
// decision the harness took at a choice point, in order. A reader validates
// the file and names file:line for every defect; comparing a run with a log
// names the first decision where they part.
#pragma once

#include "sha256.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rcsim {

const char *rcsim_version();

// 64-bit FNV-1a, for payload digests in traces and logs (not for security).
uint64_t fnv1a64(const void *data, size_t len);
std::string digest_hex(uint64_t digest); // 16 lower-case hex digits

// One device's server of a topology run (issue 20), as the log pins it.
struct LogDevice {
    std::string name;
    std::vector<std::string> argv; // the socket path as "{socket}"
    std::string sha256;            // of the executable
    bool operator==(const LogDevice &o) const {
        return name == o.name && argv == o.argv && sha256 == o.sha256;
    }
};

struct LogHeader {
    static constexpr int kFormat = 1;
    std::string rcsim_version;
    std::string policy; // fifo, random:SEED, pct:SEED:DEPTH, exhaustive:BOUND, replay:FILE
    std::string scenario_path;
    std::string scenario_sha256;
    std::vector<std::string> server_argv;
    std::string server_sha256;
    std::map<std::string, std::string> rtl_settings;
    // A topology run: the topology file and every device's server, in
    // topology order (then server_argv is empty). Absent from the JSON of a
    // single-device log, which reads as before.
    std::string topology_path, topology_sha256;
    std::vector<LogDevice> devices;
};

// Kinds with their own rules (others are allowed and follow the generic one:
// when options are offered, the chosen one is among them):
//  admit  - options are the pending arrivals, non-empty; chosen among them.
//  silent - the watchdog gave up on a silent peer: chosen is "silent",
//           options name what was awaited, wall_waited_us is required.
//  settle - a server that cannot be inspected was given a settle period
//           before admitting: wall_waited_us required, chosen among options.
//  wall-wait - a scenario waited in wall-clock time for the server's own
//           timer (`within ... wall`): wall_waited_us required; outside the
//           determinism guarantee, so a replay says so.
struct Decision {
    uint64_t index = 0;
    uint64_t sim_time_ps = 0;
    std::string kind;
    std::vector<std::string> options;
    std::string chosen;
    std::optional<uint64_t> wall_waited_us;
};

struct DecisionLog {
    LogHeader header;
    std::vector<Decision> decisions;
};

// Empty if `d` is valid on its own, else the reason.
std::string validate_decision(const Decision &d);

class DecisionLogWriter {
  public:
    // Creates (truncates) `path` and writes the header. 0 or negative errno.
    static int open(const std::string &path, const LogHeader &header,
                    std::unique_ptr<DecisionLogWriter> *out, std::string *error);
    ~DecisionLogWriter();
    DecisionLogWriter(const DecisionLogWriter &) = delete;
    DecisionLogWriter &operator=(const DecisionLogWriter &) = delete;

    // Writes `d` with the next index (d.index is ignored) and flushes, so a
    // run that dies leaves every decision taken so far. Returns the index,
    // or a negative errno (-EINVAL for an invalid decision, see error).
    long long append(const Decision &d, std::string *error);
    uint64_t next_index() const { return next_index_; }

  private:
    explicit DecisionLogWriter(FILE *file) : file_(file) {}
    FILE *file_;
    uint64_t next_index_ = 0;
};

std::string header_to_json(const LogHeader &h);
std::string decision_to_json(const Decision &d);
// Adds d's record (without its wall-clock wait, which is not part of what
// happened) to a run's hash: what a run hash covers, one decision at a time.
void hash_decision(Sha256 *h, Decision d);

// Reads and validates a whole log. 0, or a negative errno with `error` as
// "path:line: reason" (-EINVAL for bad content, errno of open/read else).
int read_decision_log(const std::string &path, DecisionLog *out, std::string *error);

// Fields of `run` that differ from `log` and make a replay unfaithful
// (version, scenario hash, server argv and hash, RTL settings; the policy
// is not compared since the replay runs under replay:FILE). Empty if none.
std::vector<std::string> header_mismatches(const LogHeader &log, const LogHeader &run);

// Empty if `run` took the same decision as `logged` (index, simulated time,
// kind, options, choice; wall time is ignored), else what differs.
std::string decision_difference(const Decision &logged, const Decision &run);

struct Divergence {
    size_t index = 0; // first decision that differs or exists on one side only
    std::string what;
};
std::optional<Divergence> first_divergence(const std::vector<Decision> &logged,
                                           const std::vector<Decision> &run);

} // namespace rcsim
