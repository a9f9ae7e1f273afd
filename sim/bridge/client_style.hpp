// How the harness's vfio-user client treats a DMA command of the server that
// arrives while one of its own requests awaits its reply (issue 8).
//  - Async (the default, rcsim's behaviour before issue 8): serves it at
//    once, as a client with an event loop does.
//  - Sync: sets it aside, unanswered, until no request of its own is
//    outstanding, then serves the set-aside commands in arrival order, as a
//    simple client that waits for each reply before reading anything else.
//    With a device that does DMA inside its doorbell write and waits for
//    the reply, both sides then wait for each other: admission.cpp reports
//    that as a deadlock (sim/sched/README.md).
#pragma once

#include <string>

namespace rcsim {

enum class ClientStyle { Async, Sync };

inline const char *to_string(ClientStyle s) {
    return s == ClientStyle::Sync ? "sync" : "async";
}

// "sync" / "async" -> style; false for anything else.
inline bool parse_client_style(const std::string &text, ClientStyle *out) {
    if (text != "sync" && text != "async")
        return false;
    *out = text == "sync" ? ClientStyle::Sync : ClientStyle::Async;
    return true;
}

} // namespace rcsim
