// The idle announcement at an admission point (sim/sched/README.md, "Idle
// announcement"): believed only when it accounts for every message, checked
// for as long as it is believed, and given up for good once broken.
#include "admission.hpp"

#include <chrono>
#include <sched.h>

namespace rcsim {

namespace {
vuc_stats stats_of(const vuc_ctx *ctx) {
    vuc_stats st;
    vuc_get_stats(ctx, &st);
    return st;
}
} // namespace

void Admission::idle_violation(const std::string &what) {
    ++counters_.idle_violations;
    ++counters_.protocol_events;
    idle_broken_ = true;
    trusting_ = false;
    const std::string v = "idle announcement broken: " + what + " (/proc from now on)";
    violations_.push_back(v);
    notes_.push_back(v);
}

// The server announced it is blocked waiting for a message, having read
// every message we sent: then it can have sent nothing more than it says,
// and all of that is readable now. Anything else is not believed; counts no
// honest server can show are a violation.
bool Admission::announced_idle() {
    if (!idle_usable() || paused())
        return false;
    const IdleAnnouncement a = idle_->read();
    if (!a.opted_in || !a.announced || a.pid != uint32_t(pid_))
        return false; // not announced, or not by the server we started
    vuc_stats st = stats_of(ctx_);
    if (a.consumed > st.msgs_sent) {
        idle_violation("it read " + std::to_string(a.consumed) + " messages, we sent " +
                       std::to_string(st.msgs_sent));
        return false;
    }
    if (a.consumed < st.msgs_sent)
        return false; // not yet at our latest message
    while (vuc_step(ctx_, 0) > 0) {
    }
    if (paused())
        return false; // the held bound: what it sent is not all read
    st = stats_of(ctx_);
    if (st.msgs_sent != a.consumed)
        return false; // the client answered something it read: the server has work
    if (st.msgs_read != a.sent) {
        idle_violation("it announced " + std::to_string(a.sent) + " messages sent while idle, " +
                       std::to_string(st.msgs_read) + " arrived");
        return false;
    }
    trusting_ = true;
    trusted_consumed_ = a.consumed;
    trusted_sent_ = a.sent;
    ++counters_.announced;
    return true;
}

// A server that opted in announces within microseconds of its last reply
// (it only has to get back to its loop's poll): yield to it a little
// before the /proc proof. Only while it owes us a reply and we owe it
// nothing: waiting for our DMA reply it blocks inside its handler, where it
// does not announce.
bool Admission::await_announcement() {
    if (!idle_usable() || !bridge_.awaits_server() || bridge_.owes_server())
        return false;
    const IdleAnnouncement a = idle_->read();
    if (!a.opted_in || a.pid != uint32_t(pid_))
        return false;
    const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(200);
    do {
        if (announced_idle())
            return true;
        sched_yield();
    } while (std::chrono::steady_clock::now() < until);
    return false;
}

// While an announcement is believed and we sent nothing since, nothing may
// arrive beyond what it announced.
void Admission::check_idle_promise() {
    if (!trusting_ || !idle_usable())
        return;
    vuc_stats st = stats_of(ctx_);
    if (st.msgs_sent != trusted_consumed_) {
        trusting_ = false; // we sent more: a new announcement is needed
        return;
    }
    if (!paused())
        while (vuc_step(ctx_, 0) > 0) {
        }
    st = stats_of(ctx_);
    if (st.msgs_read > trusted_sent_)
        idle_violation("it announced idle having sent " + std::to_string(trusted_sent_) +
                       " messages, then sent more (" + std::to_string(st.msgs_read) +
                       ") before we sent it anything");
}

} // namespace rcsim
