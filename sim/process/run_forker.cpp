#include "run_forker.hpp"

#include "process_cleanup.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fcntl.h>
#include <iostream>
#include <poll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace rcsim {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr int kExitOnException = 70; // EX_SOFTWARE
constexpr int kExitSetupFailed = 71; // EX_OSERR

struct Child {
    size_t index = 0;
    pid_t pid = -1;
    int pidfd = -1;
    int output_fd = -1;
    Clock::time_point started;
};

int open_pidfd(pid_t pid) {
#ifdef SYS_pidfd_open
    int fd = int(syscall(SYS_pidfd_open, pid, 0));
    if (fd >= 0)
        fcntl(fd, F_SETFD, FD_CLOEXEC);
    return fd;
#else
    (void)pid;
    return -1;
#endif
}

[[noreturn]] void child_main(const RunBody &body, size_t index, int output_fd) {
    setpgid(0, 0);
    cleanup_forget_inherited();
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(output_fd, 1) < 0 || dup2(output_fd, 2) < 0)
        _exit(kExitSetupFailed);
    // Line buffering keeps what was printed before a crash. glibc ignores a
    // switch to _IOLBF without a buffer on a stream already in use, so give it one.
    static char line_buffer[8192];
    std::setvbuf(stdout, line_buffer, _IOLBF, sizeof line_buffer);
    int code = kExitOnException;
    try {
        code = body(index) & 0xff;
    } catch (const std::exception &e) {
        std::fprintf(stderr, "run %zu: uncaught exception: %s\n", index, e.what());
    } catch (...) {
        std::fprintf(stderr, "run %zu: uncaught exception of unknown type\n", index);
    }
    std::cout.flush();
    std::cerr.flush();
    std::fflush(nullptr);
    // _exit: the parent's atexit handlers and static destructors (the
    // elaborated model) belong to the parent.
    _exit(code);
}

RunResult fork_failed(size_t index, int err) {
    RunResult r;
    r.outcome = RunResult::Outcome::ForkFailed;
    r.output = "run " + std::to_string(index) + ": cannot start child: " + strerror(err);
    return r;
}

// Starts one child, or returns false with `failed` filled in.
bool launch(const RunBody &body, size_t index, Child *c, RunResult *failed) {
    c->index = index;
    c->output_fd = memfd_create("rcsim-run-output", MFD_CLOEXEC);
    if (c->output_fd < 0) {
        *failed = fork_failed(index, errno);
        return false;
    }
    std::cout.flush();
    std::cerr.flush();
    std::fflush(nullptr); // or the child would print the parent's buffer again
    c->started = Clock::now();
    c->pid = fork();
    if (c->pid == 0)
        child_main(body, index, c->output_fd);
    if (c->pid < 0) {
        *failed = fork_failed(index, errno);
        close(c->output_fd);
        return false;
    }
    setpgid(c->pid, c->pid); // also here, so a kill at the limit cannot race the child's own
    cleanup_register(CleanupKind::Run, c->pid);
    c->pidfd = open_pidfd(c->pid);
    return true;
}

std::string read_output(int fd, size_t max_bytes, bool *truncated) {
    struct stat st;
    if (fstat(fd, &st) < 0)
        return {};
    size_t size = size_t(st.st_size);
    *truncated = size > max_bytes;
    std::string text(std::min(size, max_bytes), '\0');
    size_t got = 0;
    while (got < text.size()) {
        ssize_t n = pread(fd, &text[got], text.size() - got, off_t(got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += size_t(n);
    }
    text.resize(got);
    return text;
}

bool has_exited(pid_t pid) {
    siginfo_t info;
    std::memset(&info, 0, sizeof info);
    return waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) < 0 || info.si_pid == pid;
}

// Reaps a child that has exited or is being killed; the group goes first,
// while the unreaped leader still reserves its id.
RunResult reap(Child &c, bool timed_out, const RunLimits &limits) {
    if (c.pid > 1) { // never kill(-1): that would signal every process we may signal
        kill(-c.pid, SIGKILL);
        if (timed_out)
            kill(c.pid, SIGKILL);
    }
    int wstatus = 0;
    pid_t r;
    do {
        r = waitpid(c.pid, &wstatus, 0);
    } while (r < 0 && errno == EINTR);
    cleanup_unregister(CleanupKind::Run, c.pid);
    RunResult res;
    res.pid = c.pid;
    res.wall = std::chrono::duration_cast<milliseconds>(Clock::now() - c.started);
    if (timed_out) {
        res.outcome = RunResult::Outcome::TimedOut;
        res.signal = SIGKILL;
    } else if (r == c.pid && WIFEXITED(wstatus)) {
        res.outcome = RunResult::Outcome::Exited;
        res.exit_code = WEXITSTATUS(wstatus);
    } else if (r == c.pid && WIFSIGNALED(wstatus)) {
        res.outcome = RunResult::Outcome::Signaled;
        res.signal = WTERMSIG(wstatus);
    } else {
        res.outcome = RunResult::Outcome::ForkFailed;
        res.output = "child was reaped elsewhere\n";
    }
    res.output += read_output(c.output_fd, limits.max_output_bytes, &res.output_truncated);
    if (c.pidfd >= 0)
        close(c.pidfd);
    close(c.output_fd);
    return res;
}

// Sleeps until a child may have exited or the nearest deadline; pidfds make
// it wake at once, otherwise it naps briefly.
void wait_for_event(const std::vector<Child> &running, Clock::time_point nearest) {
    std::vector<struct pollfd> fds;
    bool all_pidfds = true;
    for (const Child &c : running) {
        if (c.pidfd >= 0)
            fds.push_back({c.pidfd, POLLIN, 0});
        else
            all_pidfds = false;
    }
    auto left = std::chrono::duration_cast<milliseconds>(nearest - Clock::now()) + milliseconds(1);
    int timeout = int(std::max<long long>(0, left.count()));
    if (!all_pidfds)
        timeout = std::min(timeout, 5);
    poll(fds.data(), fds.size(), timeout);
}

} // namespace

std::string RunResult::describe() const {
    switch (outcome) {
    case Outcome::Exited:
        return "exit " + std::to_string(exit_code);
    case Outcome::Signaled:
        return "signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
    case Outcome::TimedOut:
        return "timed out after " + std::to_string(wall.count()) + " ms, killed";
    case Outcome::ForkFailed:
        return "not run: " + output;
    }
    return "unknown";
}

RunResult run_in_child(const RunBody &body, size_t run_index, const RunLimits &limits) {
    std::vector<RunResult> all = run_children(
        1, 1, [&](size_t) { return body(run_index); }, limits);
    return all.front();
}

std::vector<RunResult> run_children(size_t runs, size_t max_parallel, const RunBody &body,
                                    const RunLimits &limits) {
    std::vector<RunResult> results(runs);
    std::vector<Child> running;
    size_t next = 0;
    max_parallel = std::max<size_t>(max_parallel, 1);
    while (next < runs || !running.empty()) {
        while (next < runs && running.size() < max_parallel) {
            Child c;
            if (launch(body, next, &c, &results[next]))
                running.push_back(c);
            ++next;
        }
        if (running.empty())
            continue;
        Clock::time_point now = Clock::now();
        Clock::time_point nearest = Clock::time_point::max();
        for (auto it = running.begin(); it != running.end();) {
            Clock::time_point deadline = it->started + limits.wall_limit;
            bool timed_out = now >= deadline;
            if (timed_out || has_exited(it->pid)) {
                results[it->index] = reap(*it, timed_out && !has_exited(it->pid), limits);
                it = running.erase(it);
                continue;
            }
            nearest = std::min(nearest, deadline);
            ++it;
        }
        if (!running.empty() && (next >= runs || running.size() >= max_parallel))
            wait_for_event(running, nearest);
    }
    return results;
}

} // namespace rcsim
