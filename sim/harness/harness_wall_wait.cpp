// Waiting in wall-clock time for what a server does on its own timer (a
// watchdog, a periodic interrupt). Such a server sleeps in an untimed
// recvmsg while its timer runs, which /proc cannot tell from idle, so the
// admission rules alone would skip simulated time past it. Here the harness
// blocks on the server's sockets and the interrupt eventfds instead, and
// lets simulated time run only for what they bring: when and in which
// order that comes is the wall clock's doing, so the wait is recorded as a
// `wall-wait` decision, outside the determinism guarantee
// (sim/scenario/SCENARIOS.md, "Wall-clock waits").
#include "harness.hpp"

#include <cerrno>
#include <poll.h>

namespace rcsim {

namespace {
using Clock = std::chrono::steady_clock;

// Simulated time given to what one wake-up brought (a DMA message, an
// interrupt); an idle stretch of it is skipped for free.
constexpr uint64_t kWakeCycles = 10000;
} // namespace

// True when a server's sockets or the eventfds became readable before the
// deadline (every device's: with a topology, a peer's timer may be what the
// wait is for, through its DMA into the device waited on).
bool Harness::await_server_activity(Clock::time_point deadline) {
    std::vector<struct pollfd> fds;
    std::vector<HarnessDevice *> owner; // whose fd each one is
    for (const auto &d : devs_) {
        if (!d->ctx || !d->bridge || !d->admission)
            continue;
        struct pollfd socks[VUC_NSOCKS];
        const int n = vuc_poll_fds(d->ctx, socks, VUC_NSOCKS);
        for (int i = 0; i < n; ++i)
            fds.push_back(socks[i]);
        for (int fd : d->bridge->irq_fds())
            fds.push_back({fd, POLLIN, 0});
        owner.resize(fds.size(), d.get());
    }
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - Clock::now() + std::chrono::microseconds(999));
        if (left.count() <= 0)
            return false;
        const int rc = poll(fds.data(), nfds_t(fds.size()), int(left.count()));
        if (rc > 0) {
            for (size_t i = 0; i < fds.size(); ++i)
                if (fds[i].revents)
                    owner[i]->admission->note_server_activity();
            return true;
        }
        if (rc == 0 || errno != EINTR)
            return false;
    }
}

Harness::WallWait Harness::wait_irq_wall(unsigned vector, std::chrono::milliseconds limit) {
    WallWait w;
    if (!dev_->admission || !dev_->bridge)
        return w;
    const Clock::time_point start = Clock::now();
    const Clock::time_point deadline = start + limit;
    // A failure during the wait (the server died, a refused DMA) ends it:
    // the run has failed already.
    const bool failed_before = has_failures();
    // A lost connection ends it too, failure or not: its socket would wake
    // every poll until the deadline.
    const uint64_t lost_before = dev_->admission->counters().disconnects;
    for (;;) {
        if ((w.got = wait_irq(vector, kWakeCycles)))
            break;
        if (dev_->admission->counters().disconnects > lost_before) {
            w.cut_short = "the server's connection was lost";
            break;
        }
        if (!failed_before && has_failures()) {
            w.cut_short = "the harness saw a failure (below)";
            break;
        }
        if (Clock::now() >= deadline)
            break;
        if (!all_idle())
            continue; // what came is still going through the root port
        if (!await_server_activity(deadline))
            break;
    }
    w.wall_us = uint64_t(
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count());
    record_wall_wait(vector, limit, w);
    return w;
}

void Harness::record_wall_wait(unsigned vector, std::chrono::milliseconds limit,
                               const WallWait &w) {
    Decision d;
    d.kind = "wall-wait";
    const std::string irq =
        std::string(to_string(dev_->enumeration.irq_mode)) + " vector " + std::to_string(vector);
    d.options = {irq + " came",
                 "no " + irq + " within " + std::to_string(limit.count()) + " ms wall"};
    d.chosen = d.options[w.got ? 0 : 1];
    d.wall_waited_us = w.wall_us ? w.wall_us : 1; // the log requires a wait
    dev_->admission->record_choice(d);
}

} // namespace rcsim
