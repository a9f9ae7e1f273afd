#include "run_verdict.hpp"

#include "failure_category.hpp"

#include <cctype>

namespace rcsim {

namespace {

// One line (a message may go on with detail lines, e.g. each page a
// migration missed): runs failing the same way share it.
std::string class_of(const ScenarioFailure &f) {
    const std::string file = f.loc.file.substr(f.loc.file.rfind('/') + 1);
    return file + ":" + std::to_string(f.loc.line) + ": " + f.source + ": " +
           f.message.substr(0, f.message.find('\n'));
}

// A deadlock note without its message ids ("REGION_WRITE #5" ->
// "REGION_WRITE"): one class however the ids ran.
std::string without_ids(const std::string &note) {
    std::string out;
    for (size_t i = 0; i < note.size(); ++i) {
        if (note[i] == ' ' && i + 1 < note.size() && note[i + 1] == '#') {
            size_t j = i + 2;
            while (j < note.size() && isdigit(static_cast<unsigned char>(note[j])))
                ++j;
            i = j - 1;
            continue;
        }
        out += note[i];
    }
    return out;
}

// The evidence for the failure category, read before shutdown (the
// server's death is a failure only while it is meant to run).
FailureEvidence evidence(Harness &h, const ScenarioFailure *f) {
    FailureEvidence e;
    const HarnessCounters c = h.counters();
    e.failed = true;
    // Every device's server (several with a topology), the selected one
    // restored after.
    const size_t selected = h.selected_device();
    for (size_t d = 0; d < h.devices(); ++d) {
        h.select_device(d);
        e.server_died = e.server_died ||
                        (h.server() ? !h.server_state().running() : c.admission.disconnects > 0);
    }
    h.select_device(selected);
    e.deadlocks = c.admission.deadlocks;
    e.protocol_events = c.bridge.protocol_events + c.admission.protocol_events;
    e.timeouts = c.bridge.abandoned + c.admission.silent;
    if (f && f->kind == ScenarioFailure::Kind::Status && f->status == HostStatus::Timeout)
        ++e.timeouts;
    // A posted write the fabric dropped: bytes the sender believes delivered
    // are not where it sent them.
    e.data_mismatch = (f && f->kind == ScenarioFailure::Kind::Value) || c.fabric_posted_dropped > 0;
    e.quiesce_stalled = f && f->kind == ScenarioFailure::Kind::QuiesceStalled;
    e.dirty_page_missed = f && f->kind == ScenarioFailure::Kind::DirtyPageMissed;
    if (f && f->kind == ScenarioFailure::Kind::ServerDied)
        e.server_died = true;
    if (f && f->kind == ScenarioFailure::Kind::ProtocolError)
        ++e.protocol_events;
    return e;
}

} // namespace

Verdict run_and_judge(Harness &h, ScenarioRunner &runner, const Program &program) {
    Verdict v;
    v.scenario_failed = !runner.run(program, &v.failure);
    v.passed = !v.scenario_failed && !h.has_failures();
    if (v.passed)
        return v;
    if (v.scenario_failed) {
        v.failure_class = class_of(v.failure);
        v.details = v.failure.report();
    } else {
        v.failure_class = "harness: " + without_ids(h.first_failure());
        v.details = "every statement passed, but the harness reported problems\n";
    }
    // A deadlock is the cause of whatever the scenario saw after it.
    if (!h.deadlocks().empty())
        v.failure_class = without_ids(h.deadlocks().front());
    v.category = to_string(categorize(evidence(h, v.scenario_failed ? &v.failure : nullptr)));
    v.details += h.failure_report(); // with the server's output and state
    return v;
}

} // namespace rcsim
