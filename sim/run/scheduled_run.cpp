#include "scheduled_run.hpp"

#include "run_verdict.hpp"
#include "scenario_runner.hpp"
#include "sha256.hpp"
#include "topology_file.hpp"
#include "trace_writer.hpp"

#include <algorithm>
#include <climits>
#include <cstring>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

namespace rcsim {

long long parse_queue_peak(const std::string &server_output) {
    static const std::string kKey = "vus: DMA queue peak: ";
    long long peak = -1;
    for (size_t at = server_output.find(kKey); at != std::string::npos;
         at = server_output.find(kKey, at + 1)) {
        const char *p = server_output.c_str() + at + kKey.size();
        char *end = nullptr;
        const long long n = std::strtoll(p, &end, 10);
        if (end != p && std::strncmp(end, " bytes", 6) == 0)
            peak = std::max(peak, n);
    }
    return peak;
}

int load_run_spec(const std::string &scenario, RunSpec *spec, std::string *error) {
    char abs[PATH_MAX];
    if (!realpath(scenario.c_str(), abs)) {
        *error = "cannot find scenario " + scenario;
        return -1;
    }
    spec->scenario = abs;
    std::string text;
    if (read_scenario_file(spec->scenario, &text, error) < 0) {
        *error = "cannot read scenario " + scenario + ": " + *error;
        return -1;
    }
    ParseError perr;
    if (parse_scenario(text, spec->scenario, read_scenario_file, &spec->program, &perr) < 0) {
        *error = perr.to_string();
        return -1;
    }
    const std::vector<Statement> &st = spec->program.statements;
    if (st.empty() || st.front().op != Op::Topology)
        return 0;
    spec->topology_path = st.front().command;
    return read_topology(spec->topology_path, &spec->topology, error) < 0 ? -1 : 0;
}

std::string run_hash(const std::vector<Decision> &decisions, const std::string &trace_path) {
    Sha256 h;
    for (const Decision &d : decisions)
        hash_decision(&h, d);
    return run_hash(h, trace_path);
}

std::string run_hash(Sha256 h, const std::string &trace_path) {
    // The trace this run wrote; a --trace naming a device (/dev/zero would
    // never end) or a FIFO is not read back.
    struct stat st {};
    if (!trace_path.empty() && stat(trace_path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
        std::ifstream in(trace_path, std::ios::binary);
        char buf[65536];
        while (in.read(buf, sizeof buf) || in.gcount() > 0)
            h.update(buf, size_t(in.gcount()));
    }
    return to_hex(h.finish());
}

namespace {

// A server we start is fresh for every run; one we only connect to has
// served earlier runs: DEVICE_RESET puts its device back first.
int start(Harness &h, const RunSpec &spec, std::string *err) {
    // This run's shared windows are its own (run_forker forks every run).
    int rc = h.memory().renew_shared(err);
    if (rc < 0)
        return rc;
    if (spec.has_topology()) {
        h.set_log_topology(spec.topology_path);
        return h.start_topology(spec.topology, err);
    }
    rc = spec.server_argv.empty() ? h.connect(spec.socket, err)
                                  : h.start_server(spec.server_argv, err);
    if (rc < 0)
        return rc;
    if (spec.server_argv.empty() && (rc = vuc_device_reset(h.client())) < 0) {
        *err = std::string("DEVICE_RESET refused: ") + strerror(-rc);
        return rc;
    }
    return h.enumerate(err);
}

} // namespace

namespace {

// The scenario on a connected, enumerated harness; r gets the outcome.
void run_program(Harness &h, const RunSpec &spec, RunReport &r) {
    ScenarioRunner runner(h);
    const Verdict v = run_and_judge(h, runner, spec.program);
    r.status = v.passed ? 0 : 1;
    r.failure_class = v.failure_class;
    r.category = v.category;
    r.details = v.details;
}

// After shutdown: the servers' output is complete (the queue peak line
// comes at its disconnect or exit). Several devices: the largest of any.
void read_queue_peak(Harness &h, RunReport &r) {
    const size_t selected = h.selected_device();
    for (size_t d = 0; d < h.devices(); ++d) {
        h.select_device(d);
        if (h.server())
            r.queue_peak = std::max(r.queue_peak, parse_queue_peak(h.server()->captured_output()));
    }
    h.select_device(selected);
}

void finish_report(const Scheduler &sched, const Sha256 &decisions, const std::string &trace_path,
                   RunReport &r) {
    r.choices = sched.shape();
    r.deviations = sched.deviations();
    if (sched.replay_divergence())
        r.divergence = *sched.replay_divergence();
    r.hash = run_hash(decisions, trace_path);
}

} // namespace

RunReport scheduled_run(Harness &h, const RunSpec &spec, const std::string &policy,
                        const std::string &log_path, const std::string &trace_path) {
    RunReport r;
    std::unique_ptr<Scheduler> sched;
    std::string err;
    if (Scheduler::create(policy, &sched, &err) < 0) {
        r.failure_class = "bad schedule: " + err;
        r.details = r.failure_class + "\n";
        return r;
    }
    std::unique_ptr<TraceWriter> trace;
    if (!trace_path.empty()) {
        trace = TraceWriter::open(trace_path, &err);
        if (!trace) {
            r.failure_class = "trace: " + err;
            return r;
        }
        trace->attach(h);
    }
    h.set_scheduler(sched.get());
    h.set_decision_log(log_path);
    h.set_log_scenario(spec.scenario);
    if (start(h, spec, &err) < 0) {
        r.failure_class = "setup: " + err.substr(0, err.find('\n'));
        r.details = err + "\n" + h.failure_report();
    } else {
        if (trace)
            trace->on_enumerated(h.enumeration());
        run_program(h, spec, r);
    }
    const Sha256 decisions = h.decision_digest(); // shutdown's decisions are not the run's
    h.shutdown();
    read_queue_peak(h, r);
    if (trace) {
        trace->detach();
        trace->close(&err);
    }
    finish_report(*sched, decisions, trace_path, r);
    h.set_scheduler(nullptr);
    return r;
}

RunReport scheduled_run_after_reset(Harness &h, const RunSpec &spec, const std::string &policy,
                                    const std::string &log_path) {
    RunReport r;
    std::unique_ptr<Scheduler> sched;
    std::string err;
    if (Scheduler::create(policy, &sched, &err) < 0) {
        r.failure_class = "bad schedule: " + err;
        return r;
    }
    h.set_scheduler(sched.get());
    h.set_log_scenario(spec.scenario);
    if (!log_path.empty() && h.reopen_decision_log(log_path, &err) < 0) {
        r.failure_class = "decision log: " + err;
        return r;
    }
    const int rc = vuc_device_reset(h.client());
    if (rc < 0) {
        r.failure_class = std::string("setup: DEVICE_RESET refused: ") + strerror(-rc);
        r.details = r.failure_class + "\n" + h.failure_report();
    } else {
        run_program(h, spec, r);
    }
    finish_report(*sched, h.decision_digest(), "", r);
    return r;
}

// status / hash / deviations / their labels / options per choice / divergence / class /
// category / queue peak, one per line, then the details to the end of the file.
int write_run_report(const std::string &path, const RunReport &r) {
    std::ofstream out(path, std::ios::trunc);
    std::string labels;
    for (const Deviation &d : r.deviations)
        labels += (labels.empty() ? "" : "\t") + d.label;
    out << r.status << "\n"
        << r.hash << "\n"
        << plan_to_string(r.deviations) << "\n"
        << labels << "\n"
        << r.choices.to_string() << "\n"
        << r.divergence << "\n"
        << r.failure_class << "\n"
        << r.category << "\n"
        << r.queue_peak << "\n"
        << r.details;
    out.flush();
    return out ? 0 : -1;
}

int read_run_report(const std::string &path, RunReport *r) {
    std::ifstream in(path);
    std::string status, devs, labels, opts;
    if (!std::getline(in, status) || !std::getline(in, r->hash) || !std::getline(in, devs) ||
        !std::getline(in, labels) || !std::getline(in, opts) || !std::getline(in, r->divergence) ||
        !std::getline(in, r->failure_class) || !std::getline(in, r->category))
        return -1;
    std::string peak;
    if (!std::getline(in, peak))
        return -1;
    r->queue_peak = std::atoll(peak.c_str());
    r->status = std::atoi(status.c_str());
    if (parse_plan(devs, &r->deviations) < 0)
        return -1;
    std::istringstream ls(labels);
    for (Deviation &d : r->deviations)
        std::getline(ls, d.label, '\t');
    if (ChoiceShape::parse(opts, &r->choices) < 0)
        return -1;
    std::ostringstream rest;
    rest << in.rdbuf();
    r->details = rest.str();
    return 0;
}

} // namespace rcsim
