#include "failure_category.hpp"

namespace rcsim {

namespace {
const char *const kNames[] = {
    "server crash",      "deadlock",           "quiesce stalled", "protocol error",
    "dirty page missed", "completion timeout", "data mismatch",   "other"};
} // namespace

const char *to_string(FailureCategory c) {
    switch (c) {
    case FailureCategory::None:
        return "";
    case FailureCategory::ServerCrash:
        return kNames[0];
    case FailureCategory::Deadlock:
        return kNames[1];
    case FailureCategory::QuiesceStalled:
        return kNames[2];
    case FailureCategory::ProtocolError:
        return kNames[3];
    case FailureCategory::DirtyPageMissed:
        return kNames[4];
    case FailureCategory::CompletionTimeout:
        return kNames[5];
    case FailureCategory::DataMismatch:
        return kNames[6];
    case FailureCategory::Other:
        return kNames[7];
    }
    return kNames[7];
}

const char *const *failure_category_names(size_t *count) {
    *count = sizeof kNames / sizeof kNames[0];
    return kNames;
}

FailureCategory categorize(const FailureEvidence &e) {
    if (!e.failed)
        return FailureCategory::None;
    if (e.server_died)
        return FailureCategory::ServerCrash;
    if (e.deadlocks)
        return FailureCategory::Deadlock;
    if (e.quiesce_stalled)
        return FailureCategory::QuiesceStalled;
    if (e.protocol_events)
        return FailureCategory::ProtocolError;
    if (e.dirty_page_missed)
        return FailureCategory::DirtyPageMissed;
    if (e.timeouts)
        return FailureCategory::CompletionTimeout;
    if (e.data_mismatch)
        return FailureCategory::DataMismatch;
    return FailureCategory::Other;
}

} // namespace rcsim
