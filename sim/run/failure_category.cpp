#include "failure_category.hpp"

namespace rcsim {

namespace {
const char *const kNames[] = {"server crash",       "deadlock",      "protocol error",
                              "completion timeout", "data mismatch", "other"};
} // namespace

const char *to_string(FailureCategory c) {
    switch (c) {
    case FailureCategory::None:
        return "";
    case FailureCategory::ServerCrash:
        return kNames[0];
    case FailureCategory::Deadlock:
        return kNames[1];
    case FailureCategory::ProtocolError:
        return kNames[2];
    case FailureCategory::CompletionTimeout:
        return kNames[3];
    case FailureCategory::DataMismatch:
        return kNames[4];
    case FailureCategory::Other:
        return kNames[5];
    }
    return kNames[5];
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
    if (e.protocol_events)
        return FailureCategory::ProtocolError;
    if (e.timeouts)
        return FailureCategory::CompletionTimeout;
    if (e.data_mismatch)
        return FailureCategory::DataMismatch;
    return FailureCategory::Other;
}

} // namespace rcsim
