// Admission points: the only places where something from outside (a reply,
// a DMA command, a disconnect, an interrupt signal) enters simulated time.
// Simulated time does not move while this runs, so host load never changes
// what the RTL sees. Rules (sim/sched/README.md):
//  - after the harness sent the server anything, wait until the server is
//    quiescent (/proc: every thread blocked on input) before looking, so
//    whatever the message provoked (a reply, DMA from a worker thread, an
//    interrupt) has happened; a server that cannot be inspected gets a
//    logged settle period instead;
//  - read everything that is ready, and admit it in arrival order (fifo,
//    for now), one logged `admit` decision each;
//  - if the server owes replies and nothing came, wait (wall clock) up to
//    the watchdog; a peer silent that long gets a logged `silent` decision
//    and its requests are left to the root port's completion timeout.
#pragma once

#include "bridge.hpp"
#include "decision_log.hpp"
#include "fork_epoch.hpp"
#include "idle_channel.hpp"
#include "quiescence.hpp"
#include "scheduler.hpp"

#include "vfio_user/client.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <sys/types.h>
#include <unistd.h>
#include <vector>

namespace rcsim {

struct AdmissionConfig {
    std::chrono::milliseconds watchdog{5000};
    std::chrono::microseconds settle{5000};
    // With a scheduler: delays (in cycles) it may give the next arrival
    // instead of admitting it now (each arrival is delayed at most once).
    // Empty: no delay choices.
    std::vector<uint64_t> delay_choices;
    // decisions() keeps only the most recent (between this many and twice
    // as many; the decision log gets every one, the run hash is kept
    // running), scheduler or not: a harness in a loop of millions of
    // transactions stays flat in memory.
    size_t keep_decisions = 1024;
};

struct AdmissionCounters {
    uint64_t points = 0, admitted = 0, quiescence_waits = 0, settles = 0, silent = 0;
    uint64_t quiescence_wall_us = 0;
    uint64_t deadlocks = 0; // `deadlock` decisions (admission_deadlock.cpp)
    // Quiescence waits begun with a socket paused (the client's held bound):
    // a sender blocked on it counted as waiting on us.
    uint64_t paused = 0;
    // Arrivals the client's checks threw out (a reply that does not fit its
    // request, a command it refused, an unframeable stream) and connections
    // lost mid-run (failure_category.hpp).
    uint64_t protocol_events = 0, disconnects = 0;
    // How the server was found quiescent: by its idle announcement, by one
    // look at /proc, by two (quiescence.hpp, QuiescenceProof).
    uint64_t announced = 0, one_look = 0, two_looks = 0;
    // Idle announcements found false (the run fails; /proc from then on).
    uint64_t idle_violations = 0;
    // Field by field (several servers: the run's counts are their sum).
    AdmissionCounters &operator+=(const AdmissionCounters &o) {
        points += o.points, admitted += o.admitted, quiescence_waits += o.quiescence_waits;
        settles += o.settles, silent += o.silent, quiescence_wall_us += o.quiescence_wall_us;
        deadlocks += o.deadlocks, paused += o.paused, protocol_events += o.protocol_events;
        disconnects += o.disconnects, announced += o.announced, one_look += o.one_look;
        two_looks += o.two_looks, idle_violations += o.idle_violations;
        return *this;
    }
};

class Admission {
  public:
    Admission(vuc_ctx *ctx, Bridge &bridge, const AdmissionConfig &cfg)
        : ctx_(ctx), bridge_(bridge), cfg_(cfg) {}

    // pid <= 0: the server cannot be inspected (settle periods).
    void set_server_pid(pid_t pid) { pid_ = pid; }
    // The page of a server the harness started and offered the idle
    // announcement to (idle_channel.hpp); nullptr: /proc only. Used only
    // while the server is inspectable and opted in.
    // A copy forked from the process that set it (explore's keeper, whose
    // runs share its connection and so the server's counts) ignores it.
    void set_idle_channel(const IdleChannel *c) {
        idle_ = c;
        idle_owner_ = fork_epoch();
    }
    pid_t server_pid() const { return pid_; }
    bool inspectable() const { return pid_ > 0; }
    void set_log(DecisionLogWriter *log) { log_ = log; }
    void set_clock(std::function<uint64_t()> sim_time_ps) { now_ps_ = std::move(sim_time_ps); }
    void on_decision(std::function<void(const Decision &)> fn) { on_decision_ = std::move(fn); }
    // With a scheduler, the order of admission is its choice among the
    // arrivals that may go next (allowed_next); without, arrival order.
    void set_scheduler(Scheduler *s) { sched_ = s; }
    // Logs a choice taken elsewhere (the bridge's request gate).
    void record_choice(Decision d) { commit(std::move(d)); }
    // Several servers (issue 20): this admission's decisions go into
    // `book`'s sequence (its indices, digest, log and observer), so a run
    // has one decision sequence whichever server it is about, and its
    // arrivals are labelled `prefix` ("nic: DMA_READ #2 twin").
    void share_decisions(Admission *book, std::string prefix) {
        book_ = book;
        prefix_ = std::move(prefix);
    }
    // A migration's switch-over (Harness::adopt): this admission serves the
    // destination and goes on with `prev`'s decisions (indices, digest,
    // counters), so the log and the run hash stay one sequence.
    void continue_from(const Admission &prev) {
        decisions_ = prev.decisions_;
        digest_ = prev.digest_;
        decided_ = prev.decided_;
        counters_ = prev.counters_;
    }

    // The client sent the server something (from the client's trace hook).
    void note_sent() { dirty_ = true; }
    // The server's fds became readable while simulated time had nothing to
    // do (a wall-clock wait): let it come to rest, then look.
    void note_server_activity() { dirty_ = true; }
    // Whether an admission point can change anything right now: something
    // was sent since the server was last seen quiescent, or replies are owed
    // and nothing of ours is keeping the server busy.
    bool needed() const {
        if (dirty_ || due_now() || admissible_pending())
            return true;
        if (delaying()) // a delayed arrival: time has to move first
            return false;
        return (bridge_.awaits_server() && !bridge_.owes_server()) ||
               (bridge_.holds_requests() && !bridge_.owes_server());
    }
    // A delayed arrival waits for its cycle (the clock must run, not skip).
    bool delaying() const;
    void set_cycles(std::function<uint64_t()> cycles) { cycles_ = std::move(cycles); }

    // Runs one admission point; returns how many arrivals were admitted.
    unsigned point();

    const AdmissionCounters &counters() const { return counters_; }
    // The most recent decisions (AdmissionConfig::keep_decisions).
    const std::vector<Decision> &decisions() const { return decisions_; }
    // SHA-256 state over every decision so far (hash_decision), to finish
    // or extend: a run hash without keeping the run's decisions.
    const Sha256 &decision_digest() const { return digest_; }
    const std::vector<std::string> &notes() const { return notes_; }
    // The `deadlock:` notes, one per deadlock found.
    const std::vector<std::string> &deadlocks() const { return deadlocks_; }
    // Idle announcements the server broke, each a failure of the run.
    const std::vector<std::string> &violations() const { return violations_; }

  private:
    struct Arrival {
        bool irq = false;
        bool disconnect = false;
        bool posted = false; // a DMA_WRITE command: nothing passes it
        bool dma = false;    // a DMA command: waits for the bridge's dma_room
        int source = 0;      // 0 main socket, 1 twin socket, 2 eventfds, 3.. map sockets
        uint64_t due = 0;    // cycle before which it is not admitted (a delay)
        bool delayed = false;
        uint64_t seq = 0;
        IrqSignal signal{0, 0};
        std::string label;
    };
    void settle();
    // admission_idle.cpp: the idle announcement believed, checked, broken.
    bool announced_idle();
    bool await_announcement();
    void check_idle_promise();
    void idle_violation(const std::string &what);
    void await_first_message();
    void gather();
    bool wait_for_server();
    void silent(const std::string &why, std::chrono::microseconds waited);
    // admission_deadlock.cpp: both sides wait for each other (the sync
    // client set the server's DMA aside): records it, abandons our requests.
    bool deadlocked();
    bool readable_now(int timeout_ms);
    void deadlock();
    unsigned admit_all();
    size_t next_to_admit(Decision *d);
    bool due_now() const;
    uint64_t cycle() const { return cycles_ ? cycles_() : 0; }
    std::vector<size_t> allowed_next() const;
    // An arrival waits only for the bridge's room (a DMA command past its
    // budget) or its delay; something pending may go now.
    bool waits_for_room(const Arrival &a) const { return a.dma && !bridge_.dma_room(); }
    bool admissible_pending() const;
    bool paused() const;
    void add_pending(Arrival a);
    void queue(const vuc_event &ev);
    void record(Decision d);
    void commit(Decision d);
    void drain_events();

    vuc_ctx *ctx_;
    Bridge &bridge_;
    AdmissionConfig cfg_;
    pid_t pid_ = 0;
    std::unique_ptr<QuiescenceProbe> probe_; // pid_'s /proc files, kept open
    DecisionLogWriter *log_ = nullptr;
    std::function<uint64_t()> now_ps_;
    std::function<void(const Decision &)> on_decision_;
    Scheduler *sched_ = nullptr;
    std::function<uint64_t()> cycles_;
    bool dirty_ = false;
    std::vector<Arrival> pending_;
    // Sources: main, twin, eventfds, then one per map socket.
    static constexpr unsigned kSources = 3 + VUC_MAX_MAP_SOCKETS;
    size_t by_source_[kSources] = {}; // pending_ per source: scans stop early
    AdmissionCounters counters_;
    std::vector<Decision> decisions_;
    Sha256 digest_;
    uint64_t decided_ = 0; // decisions so far: the next one's index
    std::vector<std::string> notes_;
    std::vector<std::string> deadlocks_;
    const IdleChannel *idle_ = nullptr;
    uint64_t idle_owner_ = 0; // fork_epoch() when set
    bool idle_usable() const {
        return idle_ != nullptr && !idle_broken_ && fork_epoch() == idle_owner_;
    }
    bool idle_broken_ = false;
    // An announcement believed: until the harness sends anything more, the
    // server may send nothing beyond `sent`.
    bool trusting_ = false;
    uint64_t trusted_consumed_ = 0, trusted_sent_ = 0;
    std::vector<std::string> violations_;
    Admission *book_ = nullptr;
    std::string prefix_;
};

// "REGION_READ", "DMA_WRITE", ... (the number for unknown commands).
std::string command_name(uint16_t cmd);

} // namespace rcsim
