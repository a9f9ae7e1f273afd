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
};

struct QuiescenceObservation {
    Quiescence state = Quiescence::Busy;
    std::vector<ThreadObservation> threads;
    std::string detail; // the first thread that is not waiting, or the error
};

struct QuiescenceOptions {
    bool accept_timed_io_waits = true; // poll/select/epoll with a finite timeout
    bool accept_blocked_sends = false; // a send blocked on a paused socket
    std::string proc_root = "/proc";
};

// One look at every thread of `pid`.
QuiescenceObservation observe_quiescence(pid_t pid, const QuiescenceOptions &opts = {});

struct QuiescenceWait {
    Quiescence result = Quiescence::Busy; // Busy here means the wall time ran out
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

// Polls until two consecutive observations are quiescent and unmoved (back
// to back), or, where run counts cannot be read, quiescent twice 200 us
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
    pid_t owner_ = 0; // a forked copy shares file offsets: it opens its own
};

} // namespace rcsim
