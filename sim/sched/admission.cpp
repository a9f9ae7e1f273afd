#include "admission.hpp"

#include "quiescence.hpp"

#include <cerrno>
#include <cstdint>
#include <algorithm>
#include <poll.h>
#include <sys/syscall.h>
#include <thread>

namespace rcsim {

std::string command_name(uint16_t cmd) {
    static const char *const names[] = {"0",
                                        "VERSION",
                                        "DMA_MAP",
                                        "DMA_UNMAP",
                                        "GET_INFO",
                                        "GET_REGION_INFO",
                                        "GET_REGION_IO_FDS",
                                        "GET_IRQ_INFO",
                                        "SET_IRQS",
                                        "REGION_READ",
                                        "REGION_WRITE",
                                        "DMA_READ",
                                        "DMA_WRITE",
                                        "DEVICE_RESET",
                                        "14",
                                        "REGION_WRITE_MULTI",
                                        "DEVICE_FEATURE"};
    if (cmd < sizeof names / sizeof names[0])
        return names[cmd];
    return std::to_string(cmd);
}

namespace {
using Clock = std::chrono::steady_clock;

std::string hex(uint64_t v) {
    char b[24];
    snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
    return b;
}

// Sources as Arrival::source numbers them: the eventfds sit between the
// twin socket and the map sockets (logs before map sockets number them so).
int source_of(vuc_sock s) {
    return s < VUC_SOCK_MAP0 ? int(s) : 3 + int(s - VUC_SOCK_MAP0);
}

std::string label_of(const vuc_event &ev) {
    const std::string sock = vuc_sock_name(ev.sock);
    const std::string id = " #" + std::to_string(ev.msg_id);
    switch (ev.arrival) {
    case VUC_ARR_REPLY:
        return "reply " + command_name(ev.cmd) + id + " " + sock;
    case VUC_ARR_DMA:
        return command_name(ev.cmd) + id + " " + sock + " addr=" + hex(ev.addr) +
               " count=" + std::to_string(ev.count);
    case VUC_ARR_BAD_CMD:
        return "bad command " + command_name(ev.cmd) + id + " " + sock;
    case VUC_ARR_DISCONNECT:
        return "disconnect " + sock + (ev.status == -EPROTO ? " (unframeable)" : " (EOF)");
    }
    return "?";
}

// What the client's checks threw out changes what the host sees into a bare
// UR/CA, a "refused" posted write or a device error: the report says why. A
// reply failing vuc_parse_reply (command, size or echoed fields differ from
// the request's), a server command failing validation (the client answers
// it with an error reply).
void note_refused(Bridge &bridge, const vuc_event &ev, const std::string &label) {
    const std::string err = " (errno " + std::to_string(-ev.status) + ")";
    if (ev.arrival == VUC_ARR_REPLY && ev.status < 0) {
        const std::string id = " #" + std::to_string(ev.msg_id);
        std::string req = "request" + id, why = "command, size or echoed fields";
        for (const std::string &w : bridge.awaited()) // "REGION_READ cfg #21"
            if (w.size() > id.size() && w.compare(w.size() - id.size(), id.size(), id) == 0) {
                req = w;
                const std::string cmd = command_name(ev.cmd) + " ";
                why = w.compare(0, cmd.size(), cmd) == 0 ? "size or echoed fields differ"
                                                         : "wrong command";
            }
        if (ev.error_reply && (ev.error_no == 0 || ev.error_no > 4095))
            why = "an error reply with an invalid errno " + std::to_string(ev.error_no) +
                  ": a protocol error";
        bridge.note_failure("server's " + label + " does not fit " + req + " (" + why + ")" + err);
    } else if (ev.arrival == VUC_ARR_BAD_CMD) {
        bridge.note_failure("server sent a command the client refused" + err + ": " + label);
    }
}
} // namespace

// This admission's own decisions: an admit decision's options are arrival
// labels, prefixed already; a settle, silent or deadlock one is about this
// server and says which.
void Admission::record(Decision d) {
    if (!prefix_.empty() && d.kind != "admit") {
        for (std::string &o : d.options)
            o = prefix_ + o;
        d.chosen = prefix_ + d.chosen;
    }
    commit(std::move(d));
}

void Admission::commit(Decision d) {
    if (book_) {
        book_->commit(std::move(d));
        return;
    }
    d.sim_time_ps = now_ps_ ? now_ps_() : 0;
    d.index = decided_++;
    if (log_) {
        std::string err;
        if (log_->append(d, &err) < 0)
            notes_.push_back("decision log: " + err);
    }
    hash_decision(&digest_, d);
    if (decisions_.size() >= 2 * cfg_.keep_decisions)
        decisions_.erase(decisions_.begin(), decisions_.end() - long(cfg_.keep_decisions));
    decisions_.push_back(d);
    if (on_decision_)
        on_decision_(decisions_.back());
}

void Admission::queue(const vuc_event &ev) {
    Arrival a;
    // A map socket's EOF closes that socket only (the server closes it at
    // the unmap): an arrival of its source, not the connection lost.
    a.disconnect = ev.arrival == VUC_ARR_DISCONNECT && ev.sock < VUC_SOCK_MAP0;
    a.posted = ev.arrival == VUC_ARR_DMA && ev.cmd == VU_CMD_DMA_WRITE;
    a.dma = ev.arrival == VUC_ARR_DMA;
    if (ev.arrival == VUC_ARR_DMA) // unanswered from now on, even if delayed
        bridge_.begin_dma_phase();
    a.source = source_of(ev.sock);
    a.seq = ev.seq;
    a.label = prefix_ + label_of(ev);
    note_refused(bridge_, ev, a.label);
    if ((ev.arrival == VUC_ARR_REPLY && ev.status < 0) || ev.arrival == VUC_ARR_BAD_CMD ||
        (ev.arrival == VUC_ARR_DISCONNECT && ev.status == -EPROTO))
        ++counters_.protocol_events;
    add_pending(std::move(a));
}

void Admission::add_pending(Arrival a) {
    ++by_source_[a.source];
    pending_.push_back(std::move(a));
}

bool Admission::paused() const {
    for (int s = 0; s < VUC_NSOCKS; ++s)
        if (vuc_paused(ctx_, vuc_sock(s)))
            return true;
    return false;
}

// O(1) for the usual case (the first arrival may go); a flood waiting for
// room is scanned only as far as allowed_next looks.
bool Admission::admissible_pending() const {
    if (pending_.empty())
        return false;
    const Arrival &a = pending_.front();
    if (!waits_for_room(a) && a.due <= cycle())
        return true;
    return !allowed_next().empty();
}

void Admission::drain_events() {
    vuc_event ev;
    while (vuc_next_event(ctx_, &ev) == 1) {
        if (ev.kind == VUC_EV_ARRIVED)
            queue(ev);
        else
            bridge_.on_event(ev);
    }
}

// When a reply is owed, the server's first message is the sign it is about
// to be quiescent again: waiting for it (briefly) first spares the
// quiescence check most of its backoff. Only a hint: quiescence decides.
void Admission::await_first_message() {
    if (!bridge_.awaits_server() || bridge_.owes_server())
        return;
    struct pollfd fds[VUC_NSOCKS];
    const int n = vuc_poll_fds(ctx_, fds, VUC_NSOCKS);
    if (n > 0)
        poll(fds, nfds_t(n), 5);
}

void Admission::settle() {
    dirty_ = false;
    check_idle_promise();
    if (pid_ > 0 && announced_idle())
        return;
    if (pid_ > 0) {
        await_first_message();
        if (await_announcement())
            return;
        const Clock::time_point start = Clock::now();
        const Clock::time_point deadline = start + cfg_.watchdog;
        constexpr unsigned kEagerReads = 8;
        unsigned empty_reads = 0;
        for (;;) {
            ++counters_.quiescence_waits;
            const auto left =
                std::chrono::duration_cast<std::chrono::microseconds>(deadline - Clock::now());
            if (!probe_ || probe_->pid() != pid_)
                probe_ = std::make_unique<QuiescenceProbe>(pid_);
            // A thread blocked sending to a socket we stopped reading waits
            // on us: admit what is held first (sim/sched/README.md, admission rules).
            const bool held_back = paused();
            counters_.paused += held_back;
            probe_->accept_blocked_sends(held_back);
            const QuiescenceWait w = probe_->wait(std::max(
                std::chrono::microseconds(0), std::min(left, std::chrono::microseconds(20000))));
            counters_.quiescence_wall_us += uint64_t(w.waited.count());
            counters_.one_look += w.proof == QuiescenceProof::OneLook;
            counters_.two_looks += w.proof == QuiescenceProof::TwoLooks;
            if (w.result == Quiescence::Quiescent || w.result == Quiescence::Gone)
                return; // a dead server's sockets report the death
            if (w.result == Quiescence::CannotInspect) {
                notes_.push_back("server pid " + std::to_string(pid_) + " cannot be inspected (" +
                                 w.last.detail + "): settle periods from now on");
                pid_ = 0;
                break;
            }
            if (Clock::now() >= deadline)
                return silent(
                    "server pid " + std::to_string(pid_) + " never quiescent: " + w.last.detail,
                    std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start));
            // A server thread blocked writing to us waits for the harness to
            // read: that is not work of its own, so read (into the client's
            // buffers, nothing is delivered) and look again. A send that is
            // not to us (a full pipe) would make this a busy loop: once a
            // few reads framed nothing, nap between them.
            if (blocked_in_send(w.last)) {
                if (vuc_step(ctx_, 0) > 0)
                    empty_reads = 0;
                else if (++empty_reads > kEagerReads)
                    std::this_thread::sleep_for(
                        std::chrono::microseconds(20u << std::min(empty_reads - kEagerReads, 6u)));
            }
        }
    }
    std::this_thread::sleep_for(cfg_.settle);
    ++counters_.settles;
    Decision d;
    d.kind = "settle";
    d.options = {"settled"};
    d.chosen = "settled";
    d.wall_waited_us = uint64_t(cfg_.settle.count());
    record(d);
}

void Admission::gather() {
    check_idle_promise();
    while (vuc_step(ctx_, 0) > 0) {
    }
    drain_events();
    for (const IrqSignal &s : bridge_.read_irq_fds())
        add_pending({true, false, false, false, 2, 0, false, 0, s,
                     std::string("irq ") + to_string(bridge_.irq_mode()) + " vector " +
                         std::to_string(s.vector) + " count " + std::to_string(s.count)});
}

// Waits for the server's fds (and the eventfds) up to the watchdog.
bool Admission::wait_for_server() {
    std::vector<struct pollfd> fds(VUC_NSOCKS);
    const int n = vuc_poll_fds(ctx_, fds.data(), VUC_NSOCKS);
    fds.resize(size_t(n > 0 ? n : 0));
    for (int fd : bridge_.irq_fds())
        fds.push_back({fd, POLLIN, 0});
    const Clock::time_point start = Clock::now();
    const int ms = int(cfg_.watchdog.count());
    int rc;
    do {
        rc = poll(fds.data(), nfds_t(fds.size()), ms);
    } while (rc < 0 && errno == EINTR);
    if (rc > 0)
        return true;
    silent("no reply within the watchdog",
           std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start));
    return false;
}

void Admission::silent(const std::string &why, std::chrono::microseconds waited) {
    ++counters_.silent;
    Decision d;
    d.kind = "silent";
    d.options = bridge_.awaited();
    if (d.options.empty())
        d.options = {why};
    d.chosen = "silent";
    d.wall_waited_us = uint64_t(waited.count());
    record(d);
    notes_.push_back("silent server: " + why);
    bridge_.abandon_outstanding();
}

// The arrivals that may be admitted next without a reordering the fabric or
// the protocol forbids: each source (main socket, twin socket, eventfds, each
// map socket) keeps its own order (a server's commands and replies on one socket are
// read in order); nothing passes an earlier DMA_WRITE (a posted write: no
// read, completion or MSI passes it); a disconnect passes nothing. The first
// arrival is always allowed, and first, unless it is delayed (a delayed
// arrival holds back what may not pass it). Only the first arrival of each
// source can be allowed, and nothing after a posted one: the scan stops
// there, so a flood of thousands of arrivals is not scanned per decision.
// A DMA command past the bridge's budget (dma_room) is not allowed yet and
// holds back its source (and, a DMA_WRITE, everything).
std::vector<size_t> Admission::allowed_next() const {
    std::vector<size_t> ok;
    const uint64_t now = cycle();
    unsigned present = 0; // sources with something pending
    for (unsigned s = 0; s < kSources; ++s)
        present |= by_source_[s] ? 1u << s : 0u;
    unsigned seen = 0; // sources met so far (bit per source)
    for (size_t i = 0; i < pending_.size() && seen != present; ++i) {
        const Arrival &a = pending_[i];
        const unsigned bit = 1u << a.source;
        if (!(seen & bit) && !(i > 0 && a.disconnect) && a.due <= now && !waits_for_room(a))
            ok.push_back(i);
        seen |= bit;
        if (a.posted)
            break;
    }
    return ok;
}

// Without a scheduler: arrival order, every pending arrival listed (the
// log format before the scheduler). With one: its choice among allowed_next.
size_t Admission::next_to_admit(Decision *d) {
    d->kind = "admit";
    if (!sched_) {
        // The first kListed pending arrivals and a count of the rest: listing
        // all of a flood in every decision is quadratic in time and memory
        // (10,000 DMA_READs: 1 GB of decision log in 20 s, 2,600 decisions).
        constexpr size_t kListed = 16;
        size_t pick = 0;
        if (waits_for_room(pending_.front())) { // what other sources may pass
            const std::vector<size_t> ok = allowed_next();
            if (ok.empty())
                return SIZE_MAX;
            pick = ok[0];
        }
        for (size_t i = 0; i < pending_.size() && i < kListed; ++i)
            d->options.push_back(pending_[i].label);
        if (pending_.size() > kListed)
            d->options.push_back("(" + std::to_string(pending_.size() - kListed) +
                                 " more pending)");
        d->chosen = pending_[pick].label;
        return pick;
    }
    const std::vector<size_t> ok = allowed_next();
    if (ok.empty())
        return SIZE_MAX;
    for (size_t i : ok)
        d->options.push_back(pending_[i].label);
    Arrival &first = pending_[ok[0]];
    if (!first.delayed)
        for (uint64_t c : cfg_.delay_choices)
            d->options.push_back("delay " + first.label + " by " + std::to_string(c) + " cycles");
    const size_t c = sched_->choose("admit", d->options);
    d->chosen = d->options[c];
    if (c < ok.size())
        return ok[c];
    first.delayed = true;
    first.due = cycle() + cfg_.delay_choices[c - ok.size()];
    return SIZE_MAX - 1; // delayed, nothing admitted
}

bool Admission::delaying() const {
    const uint64_t now = cycle();
    for (const Arrival &a : pending_)
        if (a.due > now)
            return true;
    return false;
}

bool Admission::due_now() const {
    const uint64_t now = cycle();
    for (const Arrival &a : pending_)
        if (a.delayed && a.due <= now)
            return true;
    return false;
}

unsigned Admission::admit_all() {
    unsigned n = 0;
    const bool was_paused = paused();
    while (!pending_.empty()) {
        Decision d;
        const size_t pick = next_to_admit(&d);
        if (pick == SIZE_MAX)
            break; // only delayed arrivals (and what may not pass them) left
        record(d);
        if (pick == SIZE_MAX - 1)
            continue;
        const Arrival a = pending_[pick];
        pending_.erase(pending_.begin() + long(pick));
        --by_source_[a.source];
        if (a.irq) {
            bridge_.inject_irq(a.signal.vector);
        } else {
            const int rc = vuc_deliver(ctx_, a.seq);
            if (rc < 0)
                notes_.push_back("deliver " + a.label + " failed: errno " + std::to_string(-rc));
            if (a.disconnect) {
                ++counters_.disconnects;
                bridge_.note_failure("server " + a.label + ": connection lost mid-run");
            }
        }
        // Replies complete requests: their events come now, in order.
        vuc_event ev;
        while (vuc_next_event(ctx_, &ev) == 1) {
            if (ev.kind == VUC_EV_ARRIVED)
                queue(ev);
            else
                bridge_.on_event(ev);
        }
        ++n;
    }
    // A socket read again: its server may be sending on, so let it come to
    // rest before the next read (which arrivals come then is its doing,
    // not the wall clock's).
    if (was_paused && !paused())
        dirty_ = true;
    counters_.admitted += n;
    return n;
}

// Rounds per point are bounded: a server that keeps sending (an interrupt
// storm, endless bad commands) cannot hold simulated time still for ever;
// the rest waits for the next point, one edge later.
constexpr unsigned kMaxRoundsPerPoint = 64;

unsigned Admission::point() {
    ++counters_.points;
    unsigned admitted = 0;
    unsigned empty_wakeups = 0;
    for (unsigned round = 0; round < kMaxRoundsPerPoint; ++round) {
        if (dirty_)
            settle();
        gather();
        if (!pending_.empty()) {
            const unsigned n = admit_all();
            admitted += n;
            if (n) {
                empty_wakeups = 0;
                continue;
            }
        }
        if (delaying())
            break; // simulated time has to reach the delayed arrival first
        if (!bridge_.awaits_server() || bridge_.owes_server())
            break;
        if (bridge_.sets_aside() && deadlocked())
            break;
        if (++empty_wakeups > 100) {
            silent("server fds readable but nothing could be read", {});
            break;
        }
        if (!wait_for_server())
            break;
        dirty_ = true; // something came: let the server finish first
    }
    // The server is quiescent with none of its DMA in flight: its DMA
    // exchange is over, requests the scheduler held go out now.
    if (!bridge_.owes_server() && !bridge_.sets_aside() && !dirty_ && pending_.empty())
        bridge_.end_dma_phase();
    return admitted;
}

} // namespace rcsim
