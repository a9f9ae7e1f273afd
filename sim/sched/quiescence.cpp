#include "quiescence.hpp"

#include "fork_epoch.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <linux/futex.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>

namespace rcsim {

namespace {

// How a waiting syscall says whether it has a timeout.
enum class TimeoutArg {
    None,        // never times out
    IntMs,       // int milliseconds, negative = forever
    Pointer,     // struct timespec/timeval pointer, NULL = forever
    FutexWaitOp, // futex: a wait op, timeout pointer in arg 3
};

struct WaitingSyscall {
    long nr;
    const char *name;
    TimeoutArg timeout;
    int timeout_arg; // index among the six args
};

// Syscalls that exist only on some architectures are compiled in where the
// libc headers define them.
const WaitingSyscall kWaitingSyscalls[] = {
    {SYS_read, "read", TimeoutArg::None, 0},
    {SYS_readv, "readv", TimeoutArg::None, 0},
    {SYS_recvfrom, "recvfrom", TimeoutArg::None, 0},
    {SYS_recvmsg, "recvmsg", TimeoutArg::None, 0},
    {SYS_accept4, "accept4", TimeoutArg::None, 0},
#ifdef SYS_accept
    {SYS_accept, "accept", TimeoutArg::None, 0},
#endif
#ifdef SYS_poll
    {SYS_poll, "poll", TimeoutArg::IntMs, 2},
#endif
    {SYS_ppoll, "ppoll", TimeoutArg::Pointer, 2},
#ifdef SYS_select
    {SYS_select, "select", TimeoutArg::Pointer, 4},
#endif
    {SYS_pselect6, "pselect6", TimeoutArg::Pointer, 4},
#ifdef SYS_epoll_wait
    {SYS_epoll_wait, "epoll_wait", TimeoutArg::IntMs, 3},
#endif
    {SYS_epoll_pwait, "epoll_pwait", TimeoutArg::IntMs, 3},
#ifdef SYS_epoll_pwait2
    {SYS_epoll_pwait2, "epoll_pwait2", TimeoutArg::Pointer, 3},
#endif
    {SYS_futex, "futex", TimeoutArg::FutexWaitOp, 3},
#ifdef SYS_futex_waitv
    {SYS_futex_waitv, "futex_waitv", TimeoutArg::Pointer, 3},
#endif
};

const WaitingSyscall *find_waiting(long nr) {
    for (const WaitingSyscall &w : kWaitingSyscalls) {
        if (w.nr == nr)
            return &w;
    }
    return nullptr;
}

bool futex_op_waits(unsigned long op) {
    unsigned long cmd = op & ~static_cast<unsigned long>(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    return cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET || cmd == FUTEX_LOCK_PI ||
           cmd == FUTEX_WAIT_REQUEUE_PI || cmd == 13 /* FUTEX_LOCK_PI2 */;
}

// Reads a small /proc file from its start into buf (NUL-terminated).
// 0 or negative errno.
int pread_small(int fd, char *buf, size_t size) {
    ssize_t n;
    do {
        n = pread(fd, buf, size - 1, 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    buf[n] = '\0';
    return 0;
}

// The syscall file is read with lseek + read, not pread: a process
// observing itself then shows read (a wait for input) in state R, i.e.
// busy, instead of a syscall that is no wait at all.
int reread_small(int fd, char *buf, size_t size) {
    if (lseek(fd, 0, SEEK_SET) < 0)
        return -errno;
    ssize_t n;
    do {
        n = read(fd, buf, size - 1);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    buf[n] = '\0';
    return 0;
}

// schedstat: "run_ns wait_ns runs"; both -1 when it cannot be read.
void read_sched(int fd, long long *ns, long long *runs) {
    *ns = *runs = -1;
    char buf[96];
    if (fd < 0 || pread_small(fd, buf, sizeof buf) < 0)
        return;
    char *p = buf;
    char *end = nullptr;
    const long long run_ns = std::strtoll(p, &end, 10);
    if (end == p || *end != ' ')
        return;
    p = end;
    std::strtoull(p, &p, 10);
    if (*p != ' ')
        return;
    const long long count = std::strtoll(p, &end, 10);
    if (end == p)
        return;
    *ns = run_ns;
    *runs = count;
}

// The state letter after the command name, which may itself hold ')'.
char parse_stat_state(const char *stat) {
    const char *close = std::strrchr(stat, ')');
    return (close != nullptr && close[1] == ' ' && close[2] != '\0') ? close[2] : '?';
}

bool is_send(long nr) {
    return nr == SYS_write || nr == SYS_writev || nr == SYS_sendto || nr == SYS_sendmsg;
}

// Classifies a parsed syscall line; fills waiting_for_input/timed/why.
void classify_syscall(ThreadObservation *t, const unsigned long args[6],
                      const QuiescenceOptions &opts) {
    const WaitingSyscall *w = find_waiting(t->syscall_nr);
    if (w == nullptr && is_send(t->syscall_nr)) {
        t->why = opts.accept_blocked_sends ? "send to a paused socket" : "send";
        t->waiting_for_input = opts.accept_blocked_sends;
        return;
    }
    if (w == nullptr) {
        t->why = "in syscall " + std::to_string(t->syscall_nr);
#ifdef SYS_nanosleep
        if (t->syscall_nr == SYS_nanosleep)
            t->why = "in nanosleep";
#endif
        if (t->syscall_nr == SYS_clock_nanosleep)
            t->why = "in clock_nanosleep";
        return;
    }
    unsigned long targ = args[w->timeout_arg];
    switch (w->timeout) {
    case TimeoutArg::None:
        break;
    case TimeoutArg::IntMs:
        t->timed = static_cast<int>(targ) >= 0;
        break;
    case TimeoutArg::Pointer:
        t->timed = targ != 0;
        break;
    case TimeoutArg::FutexWaitOp:
        if (!futex_op_waits(args[1])) {
            t->why = "futex (not a wait)";
            return;
        }
        t->timed = targ != 0;
        t->why = t->timed ? "futex wait with timeout" : "futex wait";
        t->waiting_for_input = !t->timed;
        return;
    }
    t->why = std::string(w->name) + (t->timed ? " with timeout" : "");
    bool strict_timed = w->nr == SYS_futex;
#ifdef SYS_futex_waitv
    strict_timed = strict_timed || w->nr == SYS_futex_waitv;
#endif
    t->waiting_for_input = !t->timed || (!strict_timed && opts.accept_timed_io_waits);
}

// Parses "running", "-1 sp pc" or "NR a0 a1 a2 a3 a4 a5 sp pc".
void parse_syscall(ThreadObservation *t, const char *text, const QuiescenceOptions &opts) {
    if (std::strncmp(text, "running", 7) == 0) {
        t->syscall_nr = -2;
        t->why = "running";
        return;
    }
    char *end = nullptr;
    t->syscall_nr = std::strtol(text, &end, 10);
    if (end == text) {
        t->syscall_nr = -2;
        t->why = "unreadable syscall line";
        return;
    }
    if (t->syscall_nr < 0) {
        t->why = "blocked outside a syscall";
        return;
    }
    unsigned long args[6] = {0, 0, 0, 0, 0, 0};
    const char *p = end;
    for (unsigned long &a : args) {
        a = std::strtoul(p, &end, 16);
        p = end;
    }
    classify_syscall(t, args, opts);
}

std::vector<pid_t> list_tasks(const std::string &task_dir, int *err) {
    std::vector<pid_t> tids;
    DIR *d = opendir(task_dir.c_str());
    if (d == nullptr) {
        *err = -errno;
        return tids;
    }
    while (struct dirent *e = readdir(d)) {
        if (e->d_name[0] >= '0' && e->d_name[0] <= '9')
            tids.push_back(pid_t(std::atoi(e->d_name)));
    }
    closedir(d);
    std::sort(tids.begin(), tids.end());
    *err = 0;
    return tids;
}

QuiescenceObservation finish(QuiescenceObservation obs, Quiescence state, std::string detail) {
    obs.state = state;
    obs.detail = std::move(detail);
    return obs;
}

int open_ro(const std::string &path) {
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

void close_fd(int *fd) {
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

bool refused(int rc) {
    return rc == -EACCES || rc == -EPERM;
}

} // namespace

bool blocked_in_send(const QuiescenceObservation &o) {
    for (const ThreadObservation &t : o.threads)
        if (is_send(t.syscall_nr) && !t.waiting_for_input)
            return true;
    return false;
}

const char *to_string(QuiescenceProof p) {
    switch (p) {
    case QuiescenceProof::None:
        return "none";
    case QuiescenceProof::OneLook:
        return "one look";
    case QuiescenceProof::TwoLooks:
        return "two looks";
    case QuiescenceProof::Gap:
        return "two looks apart";
    }
    return "unknown";
}

const char *to_string(Quiescence q) {
    switch (q) {
    case Quiescence::Quiescent:
        return "quiescent";
    case Quiescence::Busy:
        return "busy";
    case Quiescence::Gone:
        return "gone";
    case Quiescence::CannotInspect:
        return "cannot inspect";
    }
    return "unknown";
}

QuiescenceProbe::QuiescenceProbe(pid_t pid, const QuiescenceOptions &opts)
    : pid_(pid), opts_(opts), proc_dir_(opts.proc_root + "/" + std::to_string(pid)) {}

QuiescenceProbe::~QuiescenceProbe() {
    close_threads();
    close_fd(&task_fd_);
}

void QuiescenceProbe::close_threads() {
    for (ThreadFiles &t : threads_) {
        close_fd(&t.syscall);
        close_fd(&t.stat);
        close_fd(&t.schedstat);
    }
    threads_.clear();
}

// Lists the threads again and opens their files (schedstat may be missing:
// no run counts then). 0, -ENOENT (gone), or another negative errno.
int QuiescenceProbe::relist(std::string *detail) {
    const std::string task_dir = proc_dir_ + "/task";
    int rc = 0;
    const std::vector<pid_t> tids = list_tasks(task_dir, &rc);
    close_threads();
    if (rc < 0) {
        *detail = task_dir + ": " + strerror(-rc);
        return rc;
    }
    for (pid_t tid : tids) {
        const std::string base = task_dir + "/" + std::to_string(tid);
        ThreadFiles f;
        f.tid = tid;
        f.syscall = open_ro(base + "/syscall");
        if (refused(f.syscall)) {
            *detail = base + "/syscall: " + strerror(-f.syscall);
            return f.syscall;
        }
        f.stat = open_ro(base + "/stat");
        f.schedstat = open_ro(base + "/schedstat");
        threads_.push_back(f); // a thread gone meanwhile fails its read below
    }
    relist_ = false;
    return 0;
}

namespace {

// Observes one thread; returns the verdict it forces on the process, or
// Quiescent if this thread alone does not spoil quiescence. Run counts are
// read before and after the look (see unmoved()).
Quiescence observe_thread(int syscall_fd, int stat_fd, int schedstat_fd,
                          const QuiescenceOptions &opts, ThreadObservation *t,
                          std::string *detail) {
    char buf[256];
    if (t->runs_before < 0) // not known from the previous look's end
        read_sched(schedstat_fd, &t->ns_before, &t->runs_before);
    const int rc = syscall_fd < 0 ? syscall_fd : reread_small(syscall_fd, buf, sizeof buf);
    if (refused(rc)) {
        *detail = "thread " + std::to_string(t->tid) + " syscall: " + strerror(-rc);
        return Quiescence::CannotInspect;
    }
    if (rc < 0 && stat_fd >= 0 && pread_small(stat_fd, buf, sizeof buf) == 0 &&
        (parse_stat_state(buf) == 'Z' || parse_stat_state(buf) == 'X')) {
        t->state = parse_stat_state(buf);
        t->why = "exited";
        return Quiescence::Quiescent; // a dead thread does no work
    }
    if (rc < 0) {
        t->why = "vanished";
        *detail = "thread " + std::to_string(t->tid) + " vanished during the check";
        return Quiescence::Busy;
    }
    parse_syscall(t, buf, opts);
    if (stat_fd >= 0 && pread_small(stat_fd, buf, sizeof buf) == 0)
        t->state = parse_stat_state(buf);
    if (t->runs_before >= 0)
        read_sched(schedstat_fd, &t->ns_after, &t->runs_after);
    if (t->state == 'Z' || t->state == 'X') {
        t->why = "exited";
        return Quiescence::Quiescent; // a dead thread does no work
    }
    if (t->waiting_for_input && t->state == 'S')
        return Quiescence::Quiescent;
    if (t->waiting_for_input)
        t->why += std::string(" but state ") + t->state;
    *detail = "thread " + std::to_string(t->tid) + ": " + t->why;
    return Quiescence::Busy;
}

} // namespace

QuiescenceObservation QuiescenceProbe::observe() {
    return observe_after(nullptr);
}

// A run count read at the end of the previous look was read before this
// look too: it serves as this look's `runs_before` (one read less).
QuiescenceObservation QuiescenceProbe::observe_after(const QuiescenceObservation *prev) {
    QuiescenceObservation obs;
    if (owner_ != fork_epoch()) {
        close_threads();
        close_fd(&task_fd_);
        relist_ = true;
        owner_ = fork_epoch();
    }
    // The thread count without formatting a stat file: /proc/PID/task has
    // two links plus one per thread (a file system that does not count
    // them, as in tests, gives no count: the threads are listed every time).
    const std::string task_dir = proc_dir_ + "/task";
    if (task_fd_ < 0 && (task_fd_ = open_ro(task_dir)) < 0) {
        const int err = task_fd_;
        task_fd_ = -1;
        if (err == -ENOENT || err == -ESRCH)
            return finish(std::move(obs), Quiescence::Gone, "no process " + std::to_string(pid_));
        return finish(std::move(obs), Quiescence::CannotInspect, task_dir + ": " + strerror(-err));
    }
    // A lone thread's run count and CPU time are read before the threads
    // are counted (one_look_proof()); a carried count was read at the end
    // of the previous look, before it too. A relist below may change the
    // thread list after this: each carried thread is checked by index and tid.
    const bool carry = prev != nullptr && prev->threads.size() == threads_.size();
    ThreadObservation lone;
    if (!relist_ && threads_.size() == 1) {
        lone.tid = threads_[0].tid;
        if (carry && prev->threads[0].tid == lone.tid) {
            lone.runs_before = prev->threads[0].runs_after;
            lone.ns_before = prev->threads[0].ns_after;
        } else {
            read_sched(threads_[0].schedstat, &lone.ns_before, &lone.runs_before);
        }
    }
    struct stat st;
    if (fstat(task_fd_, &st) < 0) {
        const int err = errno;
        if (err == ENOENT || err == ESRCH)
            return finish(std::move(obs), Quiescence::Gone, "no process " + std::to_string(pid_));
        return finish(std::move(obs), Quiescence::CannotInspect, task_dir + ": " + strerror(err));
    }
    const long nthreads = st.st_nlink >= 2 ? long(st.st_nlink) - 2 : -1;
    int rc = 0;
    if (relist_ || nthreads < 0 || size_t(nthreads) != threads_.size()) {
        std::string detail;
        rc = relist(&detail);
        if (rc == -ENOENT || rc == -ESRCH)
            return finish(std::move(obs), Quiescence::Gone, "no process " + std::to_string(pid_));
        if (rc < 0)
            return finish(std::move(obs), Quiescence::CannotInspect, detail);
    }
    const bool lone_counted = rc == 0 && lone.tid != 0 && nthreads == 1 && threads_.size() == 1 &&
                              threads_[0].tid == lone.tid;
    if (nthreads < 0)
        relist_ = true; // no thread count to go by: list them every time
    obs.threads.reserve(threads_.size());
    obs.single_thread_in_look = lone_counted;
    Quiescence verdict = Quiescence::Quiescent;
    std::string detail;
    for (size_t i = 0; i < threads_.size(); ++i) {
        const ThreadFiles &f = threads_[i];
        ThreadObservation t;
        t.tid = f.tid;
        if (lone_counted) {
            t = lone;
        } else if (carry && i < prev->threads.size() && prev->threads[i].tid == f.tid) {
            t.runs_before = prev->threads[i].runs_after;
            t.ns_before = prev->threads[i].ns_after;
        }
        Quiescence q = observe_thread(f.syscall, f.stat, f.schedstat, opts_, &t, &detail);
        obs.threads.push_back(std::move(t));
        if (q == Quiescence::CannotInspect)
            return finish(std::move(obs), q, detail);
        if (f.tid == pid_ && obs.threads.back().why == "exited")
            return finish(std::move(obs), Quiescence::Gone,
                          "process " + std::to_string(pid_) + " has exited");
        if (obs.threads.back().why == "vanished")
            relist_ = true;
        if (q == Quiescence::Busy && verdict == Quiescence::Quiescent)
            verdict = Quiescence::Busy; // keep looking: CannotInspect wins
    }
    if (threads_.empty())
        return finish(std::move(obs), Quiescence::Gone, "process has no threads left");
    return finish(std::move(obs), verdict, verdict == Quiescence::Busy ? detail : "");
}

QuiescenceObservation observe_quiescence(pid_t pid, const QuiescenceOptions &opts) {
    return QuiescenceProbe(pid, opts).observe();
}

bool unmoved(const QuiescenceObservation &a, const QuiescenceObservation &b) {
    if (a.threads.size() != b.threads.size() || a.threads.empty())
        return false;
    for (size_t i = 0; i < a.threads.size(); ++i) {
        const ThreadObservation &x = a.threads[i], &y = b.threads[i];
        if (x.tid != y.tid || x.runs_before < 0 || x.runs_before != y.runs_after)
            return false;
    }
    return true;
}

bool one_look_proof(const QuiescenceObservation &o) {
    if (o.state != Quiescence::Quiescent || !o.single_thread_in_look || o.threads.size() != 1)
        return false;
    const ThreadObservation &t = o.threads[0];
    return t.state == 'S' && t.waiting_for_input && t.runs_before >= 0 &&
           t.runs_before == t.runs_after && t.ns_before >= 0 && t.ns_before == t.ns_after;
}

namespace {
bool counted(const QuiescenceObservation &o) {
    for (const ThreadObservation &t : o.threads)
        if (t.runs_before < 0 || t.runs_after < 0)
            return false;
    return !o.threads.empty();
}
} // namespace

QuiescenceWait wait_quiescent(pid_t pid, std::chrono::microseconds max_wall,
                              const QuiescenceOptions &opts) {
    return QuiescenceProbe(pid, opts).wait(max_wall);
}

QuiescenceWait QuiescenceProbe::wait(std::chrono::microseconds max_wall) {
    using Clock = std::chrono::steady_clock;
    const Clock::time_point start = Clock::now();
    const std::chrono::microseconds max_nap(2000);
    // Without run counts: two looks a little apart (a thread between two
    // blocking calls can be caught sleeping once, rarely twice).
    const std::chrono::microseconds confirm_gap(200);
    std::chrono::microseconds nap(20);
    constexpr unsigned kYieldingLooks = 8;
    unsigned busy_looks = 0;
    QuiescenceWait w;
    QuiescenceObservation prev;
    for (;;) {
        QuiescenceObservation obs = observe_after(w.observations ? &prev : nullptr);
        ++w.observations;
        w.waited = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
        const Quiescence q = obs.state;
        const bool again = q == Quiescence::Quiescent && prev.state == Quiescence::Quiescent;
        // Run counts prove it back to back; without them the gap slept
        // after the first look stands in.
        const bool one_look = opts_.one_look && one_look_proof(obs);
        const bool proven = again && (counted(prev) ? counted(obs) && unmoved(prev, obs) : true);
        w.last = obs;
        if (q == Quiescence::Gone || q == Quiescence::CannotInspect || proven || one_look) {
            w.result = q;
            if (q == Quiescence::Quiescent)
                w.proof = one_look        ? QuiescenceProof::OneLook
                          : counted(prev) ? QuiescenceProof::TwoLooks
                                          : QuiescenceProof::Gap;
            return w;
        }
        // A thread blocked writing to us waits for the harness to read, not
        // for time: looking again cannot change it, so hand it back to the
        // caller at once (Admission::settle reads, then looks again).
        if (q == Quiescence::Busy && blocked_in_send(obs)) {
            w.result = Quiescence::Busy;
            return w;
        }
        if (w.waited >= max_wall) {
            w.result = Quiescence::Busy;
            if (q == Quiescence::Quiescent)
                w.last.detail = "quiescent only once before the wall time ran out";
            return w;
        }
        if (q == Quiescence::Quiescent && !counted(obs)) {
            std::this_thread::sleep_for(confirm_gap);
        } else if (q != Quiescence::Quiescent || again) {
            // Busy, or a thread ran between two quiescent looks: let it
            // work. A server finishing a reply is back in its wait within
            // microseconds: the first few looks only yield the CPU (one look
            // takes a few us itself), then the naps grow.
            if (++busy_looks <= kYieldingLooks) {
                sched_yield();
            } else {
                std::this_thread::sleep_for(nap);
                nap = std::min(nap * 2, max_nap);
            }
        } // else quiescent once, with run counts: look again at once
        prev = std::move(obs);
    }
}

} // namespace rcsim
