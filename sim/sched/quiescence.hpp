// Is a server process quiescent, i.e. will it do nothing until the harness
// sends it something? Linux shows, per thread, the syscall a sleeping thread
// is blocked in (/proc/PID/task/TID/syscall) and its scheduler state
// (/proc/PID/task/TID/stat). A process is quiescent when every thread is in
// interruptible sleep inside a wait for input:
//  - read, readv, recvfrom, recvmsg, accept, accept4: waiting on a socket,
//    pipe or eventfd the harness writes to;
//  - poll, ppoll, select, pselect6, epoll_wait, epoll_pwait(2): a main loop
//    waiting on its fds (with a finite timeout too, since many servers' loops
//    wake up periodically; such waits are flagged `timed` so a caller that
//    wants strictness can refuse them);
//  - a futex wait WITHOUT a timeout: a worker blocked on a condition variable
//    or lock can only be woken by another thread of the process, and if every
//    other thread waits for input, nothing wakes it before the harness acts.
//  - with accept_blocked_sends (the harness stopped reading a socket of the
//    server's, client max_held_bytes): write, writev, sendto, sendmsg. Such
//    a thread waits for the harness to read, which it does only after it
//    admitted what it holds: it is waiting on us. (Which fd it sends on is
//    not checked: a send blocked on anything else while a socket is paused
//    counts too.)
// Not quiescent: a running thread, one blocked in nanosleep/clock_nanosleep
// or a timed futex wait (it wakes up on its own and then works: a timer), in
// uninterruptible sleep (disk I/O), stopped, or in any other syscall.
// Reading these files needs ptrace access; where it is refused (another user,
// another PID namespace) the answer is CannotInspect and the caller falls
// back to a logged settle period.
#pragma once

#include <chrono>
#include <string>
#include <sys/types.h>
#include <vector>

namespace rcsim {

enum class Quiescence { Quiescent, Busy, Gone, CannotInspect };
const char *to_string(Quiescence q);

struct ThreadObservation {
    pid_t tid = 0;
    char state = '?';     // from stat: R, S, D, T, Z, ...
    long syscall_nr = -2; // -2: running, -1: blocked outside a syscall
    bool waiting_for_input = false;
    bool timed = false; // the wait has a finite timeout
    std::string why;    // e.g. "read", "futex wait with timeout", "running"
    // Times it got a CPU (schedstat's 3rd field) read before and after the
    // look; -1 unknown (no schedstat).
    long long runs_before = -1, runs_after = -1;
    // Its CPU time in ns (schedstat's 1st field), read with the run counts.
    long long ns_before = -1, ns_after = -1;
};

struct QuiescenceObservation {
    Quiescence state = Quiescence::Busy;
    std::vector<ThreadObservation> threads;
    std::string detail; // the first thread that is not waiting, or the error
    // The process had one thread when counted after that thread's run
    // count and CPU time were read for this look (one_look_proof()).
    bool single_thread_in_look = false;
};

struct QuiescenceOptions {
    bool accept_timed_io_waits = true; // poll/select/epoll with a finite timeout
    bool accept_blocked_sends = false; // a send blocked on a paused socket
    bool one_look = true;              // one_look_proof() may answer on its own
    std::string proc_root = "/proc";
};

// One look at every thread of `pid`.
QuiescenceObservation observe_quiescence(pid_t pid, const QuiescenceOptions &opts = {});

// How a Quiescent answer was proven (sim/sched/README.md, "One look").
enum class QuiescenceProof {
    None,     // not quiescent
    OneLook,  // a single thread, not on a CPU at any time during one look
    TwoLooks, // two looks back to back, no run count moved
    Gap,      // no run counts: two looks 200 us apart
};
const char *to_string(QuiescenceProof p);

struct QuiescenceWait {
    Quiescence result = Quiescence::Busy; // Busy here means the wall time ran out
    QuiescenceProof proof = QuiescenceProof::None;
    std::chrono::microseconds waited{0};
    unsigned observations = 0;
    QuiescenceObservation last;
};

// Whether no thread ran between two quiescent observations: the same
// threads, each with the same known run count from before its look in `a`
// to after its look in `b`. A thread seen asleep in `a` that got no CPU
// until after its look in `b` slept all along (a woken thread stays
// runnable until it runs, and `b` would have seen it runnable), so between
// the end of `a` and the start of `b` every thread was asleep waiting for
// input at once: a proof of quiescence that needs no gap between the looks.
bool unmoved(const QuiescenceObservation &a, const QuiescenceObservation &b);

// Whether one quiescent look proves quiescence on its own: the process had a
// single thread, counted after that thread's run count and CPU time were
// read, and neither moved by the end of the look. The syscall file is read
// by the kernel only while the thread is off its CPU, so the thread was off
// its CPU at that moment; had it been on a CPU at any time between the
// first read and that moment, it would have left the CPU since, adding the
// time it ran to its CPU time (the kernel updates it when a thread leaves a
// CPU); had it been on a CPU after that moment, it would have arrived on
// one, adding one to its run count. So it was off its CPU all through the
// look, and no thread could have been created meanwhile (a new thread needs
// a running one): at the moment of the syscall read the only thread of the
// process was asleep waiting for input.
bool one_look_proof(const QuiescenceObservation &o);

// Whether a thread is blocked in a send (write, writev, sendto, sendmsg)
// that is not accepted as waiting on us: it waits for a reader, not for
// time, so QuiescenceProbe::wait hands such a look back at once.
bool blocked_in_send(const QuiescenceObservation &o);

// Polls until one observation is a one-look proof (one_look_proof(), with
// `opts.one_look`), two consecutive observations are quiescent and unmoved
// (back to back), or, where run counts cannot be read, quiescent twice 200 us
// apart; or until the process is gone, cannot be inspected, or `max_wall`
// passes (result Busy: a silent or busy peer, the caller's watchdog
// decision). A busy look is followed by a short nap that grows (backoff).
QuiescenceWait wait_quiescent(pid_t pid, std::chrono::microseconds max_wall,
                              const QuiescenceOptions &opts = {});

// The same looks and waits for one process, many times: keeps the /proc
// files of the process and its threads open and reads them from offset 0
// (an open costs a path walk and permission check each time), and lists the
// threads again only when their number changes or one vanished. The
// admission points of a run use one probe.
class QuiescenceProbe {
  public:
    explicit QuiescenceProbe(pid_t pid, const QuiescenceOptions &opts = {});
    ~QuiescenceProbe();
    QuiescenceProbe(const QuiescenceProbe &) = delete;
    QuiescenceProbe &operator=(const QuiescenceProbe &) = delete;

    pid_t pid() const { return pid_; }
    void accept_blocked_sends(bool on) { opts_.accept_blocked_sends = on; }
    QuiescenceObservation observe();
    QuiescenceWait wait(std::chrono::microseconds max_wall);

  private:
    struct ThreadFiles {
        pid_t tid = 0;
        int syscall = -1, stat = -1, schedstat = -1;
    };
    QuiescenceObservation observe_after(const QuiescenceObservation *prev);
    int relist(std::string *detail);
    void close_threads();

    pid_t pid_;
    QuiescenceOptions opts_;
    std::string proc_dir_;
    int task_fd_ = -1; // /proc/PID/task: its link count is the thread count
    std::vector<ThreadFiles> threads_;
    bool relist_ = true;
    // fork_epoch() of the process that opened the files: a forked copy shares
    // their offsets, so it opens its own.
    uint64_t owner_ = UINT64_MAX;
};

} // namespace rcsim
