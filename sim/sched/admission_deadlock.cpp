// Deadlock: requests of ours await their replies while the server waits for
// replies to DMA commands the sync client set aside (client_style.hpp). The
// server cannot answer before it has its DMA reply, the client will not
// serve the DMA before it has its answer: nothing can happen any more, and
// waiting the watchdog out would only cost wall time. Found at an admission
// point with nothing else to do: the server quiescent, nothing readable,
// nothing of ours under way (no DMA of the server going through the RTL, no
// reply held for a later cycle, no delayed arrival). Recorded as a
// `deadlock` decision and a `deadlock:` note naming what each side waits
// for; our requests are abandoned (the root port's completion timeout
// answers the host), and then, nothing of ours being outstanding, the
// set-aside commands are served (Bridge::abandon_outstanding), as a client
// that gave up on its requests would: the run goes on and ends quickly.
#include "admission.hpp"

#include "quiescence.hpp"

#include <poll.h>

#include <cerrno>
#include <string>

namespace rcsim {

namespace {

std::string joined(const std::vector<std::string> &items, const std::string &tail) {
    std::string s;
    for (size_t i = 0; i < items.size(); ++i)
        s += (i == 0 ? "" : i + 1 == items.size() ? " and " : ", ") + items[i] + tail;
    return s;
}

} // namespace

// Whether the server's sockets or the interrupt eventfds have anything to
// read, waiting up to timeout_ms.
bool Admission::readable_now(int timeout_ms) {
    std::vector<struct pollfd> fds(VUC_NSOCKS);
    const int n = vuc_poll_fds(ctx_, fds.data(), VUC_NSOCKS);
    fds.resize(size_t(n > 0 ? n : 0));
    for (int fd : bridge_.irq_fds())
        fds.push_back({fd, POLLIN, 0});
    int rc;
    do {
        rc = poll(fds.data(), nfds_t(fds.size()), timeout_ms);
    } while (rc < 0 && errno == EINTR);
    return rc > 0;
}

// Called with requests of ours outstanding, DMA commands set aside, none of
// our DMA work under way and nothing admitted or delayed.
bool Admission::deadlocked() {
    if (pid_ > 0) {
        // Quiescent now (not only when last looked at): a thread of its own
        // (a worker, a timer) could still answer.
        const QuiescenceWait w = wait_quiescent(pid_, std::chrono::microseconds(20000));
        if (w.result != Quiescence::Quiescent)
            return false; // busy, gone or not inspectable: the watchdog decides
        if (readable_now(0))
            return false;
    } else if (readable_now(int(cfg_.watchdog.count()))) {
        return false; // a server we cannot inspect had the watchdog's time
    }
    deadlock();
    return true;
}

void Admission::deadlock() {
    ++counters_.deadlocks;
    const std::vector<std::string> ours = bridge_.awaited();
    const std::vector<std::string> theirs = bridge_.set_aside();
    const std::string what = "deadlock: the host waits for " + joined(ours, " reply") +
                             ", the server waits for the reply to " + joined(theirs, "") +
                             " (held: sync client)";
    Decision d;
    d.kind = "deadlock";
    d.options = {what};
    d.chosen = what;
    record(d);
    notes_.push_back(what);
    deadlocks_.push_back(what);
    bridge_.abandon_outstanding("(deadlock)");
}

} // namespace rcsim
