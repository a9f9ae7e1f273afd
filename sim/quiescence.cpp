#include "quiescence.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <linux/futex.h>
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

// Reads a small /proc file into buf (NUL-terminated). 0 or negative errno.
int read_small(const std::string &path, char *buf, size_t size) {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n;
    do {
        n = read(fd, buf, size - 1);
    } while (n < 0 && errno == EINTR);
    int err = n < 0 ? -errno : 0;
    close(fd);
    if (err < 0)
        return err;
    buf[n] = '\0';
    return 0;
}

// The state letter after the command name, which may itself hold ')'.
char parse_stat_state(const char *stat) {
    const char *close = std::strrchr(stat, ')');
    return (close != nullptr && close[1] == ' ' && close[2] != '\0') ? close[2] : '?';
}

// Classifies a parsed syscall line; fills waiting_for_input/timed/why.
void classify_syscall(ThreadObservation *t, const unsigned long args[6],
                      const QuiescenceOptions &opts) {
    const WaitingSyscall *w = find_waiting(t->syscall_nr);
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

// Observes one thread; returns the verdict it forces on the process, or
// Quiescent if this thread alone does not spoil quiescence.
Quiescence observe_thread(const std::string &task_dir, pid_t tid, const QuiescenceOptions &opts,
                          ThreadObservation *t, std::string *detail) {
    std::string base = task_dir + "/" + std::to_string(tid);
    char buf[256];
    t->tid = tid;
    int rc = read_small(base + "/syscall", buf, sizeof buf);
    if (rc == -EACCES || rc == -EPERM) {
        *detail = base + "/syscall: " + strerror(-rc);
        return Quiescence::CannotInspect;
    }
    if (rc < 0) {
        *detail = "thread " + std::to_string(tid) + " vanished during the check";
        return Quiescence::Busy;
    }
    parse_syscall(t, buf, opts);
    if (read_small(base + "/stat", buf, sizeof buf) == 0)
        t->state = parse_stat_state(buf);
    if (t->state == 'Z' || t->state == 'X') {
        t->why = "exited";
        return Quiescence::Quiescent; // a dead thread does no work
    }
    if (t->waiting_for_input && t->state == 'S')
        return Quiescence::Quiescent;
    if (t->waiting_for_input)
        t->why += std::string(" but state ") + t->state;
    *detail = "thread " + std::to_string(tid) + ": " + t->why;
    return Quiescence::Busy;
}

} // namespace

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

QuiescenceObservation observe_quiescence(pid_t pid, const QuiescenceOptions &opts) {
    QuiescenceObservation obs;
    std::string proc_dir = opts.proc_root + "/" + std::to_string(pid);
    char buf[256];
    int rc = read_small(proc_dir + "/stat", buf, sizeof buf);
    if (rc == -ENOENT || rc == -ESRCH)
        return finish(std::move(obs), Quiescence::Gone, "no process " + std::to_string(pid));
    if (rc < 0)
        return finish(std::move(obs), Quiescence::CannotInspect,
                      proc_dir + "/stat: " + strerror(-rc));
    char main_state = parse_stat_state(buf);
    if (main_state == 'Z' || main_state == 'X')
        return finish(std::move(obs), Quiescence::Gone,
                      "process " + std::to_string(pid) + " has exited");
    std::string task_dir = proc_dir + "/task";
    std::vector<pid_t> tids = list_tasks(task_dir, &rc);
    if (rc == -ENOENT)
        return finish(std::move(obs), Quiescence::Gone, "no process " + std::to_string(pid));
    if (rc < 0)
        return finish(std::move(obs), Quiescence::CannotInspect, task_dir + ": " + strerror(-rc));
    obs.threads.reserve(tids.size());
    Quiescence verdict = Quiescence::Quiescent;
    std::string detail;
    for (pid_t tid : tids) {
        ThreadObservation t;
        Quiescence q = observe_thread(task_dir, tid, opts, &t, &detail);
        obs.threads.push_back(std::move(t));
        if (q == Quiescence::CannotInspect)
            return finish(std::move(obs), q, detail);
        if (q == Quiescence::Busy && verdict == Quiescence::Quiescent)
            verdict = Quiescence::Busy; // keep looking: CannotInspect wins
    }
    if (tids.empty())
        return finish(std::move(obs), Quiescence::Gone, "process has no threads left");
    return finish(std::move(obs), verdict, verdict == Quiescence::Busy ? detail : "");
}

QuiescenceWait wait_quiescent(pid_t pid, std::chrono::microseconds max_wall,
                              const QuiescenceOptions &opts) {
    using Clock = std::chrono::steady_clock;
    const Clock::time_point start = Clock::now();
    const std::chrono::microseconds max_nap(2000);
    // Two looks a little apart: a thread between two blocking calls can be
    // caught sleeping once, rarely twice.
    const std::chrono::microseconds confirm_gap(200);
    std::chrono::microseconds nap(50);
    QuiescenceWait w;
    unsigned quiescent_in_a_row = 0;
    for (;;) {
        w.last = observe_quiescence(pid, opts);
        ++w.observations;
        w.waited = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
        Quiescence q = w.last.state;
        if (q == Quiescence::Gone || q == Quiescence::CannotInspect) {
            w.result = q;
            return w;
        }
        quiescent_in_a_row = q == Quiescence::Quiescent ? quiescent_in_a_row + 1 : 0;
        if (quiescent_in_a_row >= 2) {
            w.result = Quiescence::Quiescent;
            return w;
        }
        if (w.waited >= max_wall) {
            w.result = Quiescence::Busy;
            if (q == Quiescence::Quiescent)
                w.last.detail = "quiescent only once before the wall time ran out";
            return w;
        }
        std::this_thread::sleep_for(quiescent_in_a_row > 0 ? confirm_gap : nap);
        nap = std::min(nap * 2, max_nap);
    }
}

} // namespace rcsim
