// The failure categories of issue 8: one per failing run, from what the
// harness saw and how the scenario failed, so that exploration can count
// failures by kind (sim/run/README.md, "Failure categories"). When a run shows
// evidence of several, the one most likely to be the cause of the others
// wins:
//   server crash > deadlock > quiesce stalled > protocol error >
//   dirty page missed > completion timeout > data mismatch > other
// A server that died explains everything after it; a deadlock ends in
// abandoned requests (completion timeouts) and late replies; a misparsed
// stream leaves requests unanswered (timeouts) and data unwritten; a
// timeout leaves a read without data; a wrong value is the bare symptom.
// A migration adds two (issue 17): a state change the device never finished
// (its quiesce) stalls everything behind it; a page written and not
// reported is lost data that later reads only show as a wrong value.
#pragma once

#include <cstdint>
#include <string>

namespace rcsim {

enum class FailureCategory {
    None, // the run passed
    ServerCrash,
    Deadlock,
    QuiesceStalled,
    ProtocolError,
    DirtyPageMissed,
    CompletionTimeout,
    DataMismatch,
    Other,
};

// "server crash", "deadlock", "quiesce stalled", "protocol error", "dirty
// page missed", "completion timeout", "data mismatch", "other" ("" for
// None).
const char *to_string(FailureCategory c);
// The names above in precedence order (strongest first).
const char *const *failure_category_names(size_t *count);

// What one run left behind (scheduled_run.cpp gathers it).
struct FailureEvidence {
    bool failed = false;            // the run failed at all
    bool server_died = false;       // the server process ended mid-run, or (a server
                                    // we did not start) its connection did
    uint64_t deadlocks = 0;         // `deadlock` decisions
    uint64_t protocol_events = 0;   // replies nobody asked for or that did not fit,
                                    // commands refused, error replies EPROTO/EBADMSG/EINVAL
    uint64_t timeouts = 0;          // requests abandoned, silent decisions, host
                                    // accesses that ended in the completion timeout
    bool data_mismatch = false;     // an expectation saw another value or other bytes
    bool quiesce_stalled = false;   // a migration state change never answered
    bool dirty_page_missed = false; // a migration's memory check found a page differ
};

FailureCategory categorize(const FailureEvidence &e);

} // namespace rcsim
