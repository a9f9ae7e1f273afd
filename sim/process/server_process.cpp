#include "server_process.hpp"

#include "command_line.hpp"
#include "unix_sockets.hpp"

#include "process_cleanup.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <dirent.h>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <poll.h>
#include <sstream>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace rcsim {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// --- helpers ----------------------------------------------------------------

std::string join_argv(const std::vector<std::string> &argv) {
    std::string s;
    for (const std::string &a : argv) {
        if (!s.empty())
            s.push_back(' ');
        s += a;
    }
    return s;
}

int make_absolute(std::string *path) {
    if (!path->empty() && (*path)[0] == '/')
        return 0;
    char cwd[4096];
    if (getcwd(cwd, sizeof cwd) == nullptr)
        return -errno;
    *path = std::string(cwd) + "/" + *path;
    return 0;
}

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

int open_output(const std::string &path) {
    int fd = path.empty() ? memfd_create("rcsim-server-output", MFD_CLOEXEC)
                          : open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    return fd < 0 ? -errno : fd;
}

ExitStatus decode_wait_status(int wstatus) {
    ExitStatus s;
    if (WIFEXITED(wstatus)) {
        s.kind = ExitStatus::Kind::Exited;
        s.code = WEXITSTATUS(wstatus);
    } else if (WIFSIGNALED(wstatus)) {
        s.kind = ExitStatus::Kind::Signaled;
        s.signal = WTERMSIG(wstatus);
    }
    return s;
}

// What the forked child needs, prepared before fork.
struct ChildSetup {
    const char *path;
    char *const *argv;
    char *const *envp;
    int keep_fd;     // inherited by the server (ServerSpec::pass_fd), or -1
    const char *cwd; // nullptr: stay in the harness's directory
    pid_t parent;
    int input;
    int output;
    int report_fd;
};

[[noreturn]] void report_and_exit(int report_fd) {
    int err = errno;
    (void)!write(report_fd, &err, sizeof err);
    _exit(127);
}

// Runs in the forked child: only async-signal-safe calls until exec.
[[noreturn]] void exec_child(const ChildSetup &c) {
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != c.parent)
        _exit(127); // the harness died before prctl took effect
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    struct sigaction dfl;
    std::memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig)
        sigaction(sig, &dfl, nullptr); // SIGKILL/SIGSTOP fail harmlessly
    if (c.cwd != nullptr && chdir(c.cwd) < 0)
        report_and_exit(c.report_fd);
    if (dup2(c.input, 0) < 0 || dup2(c.output, 1) < 0 || dup2(c.output, 2) < 0)
        report_and_exit(c.report_fd);
        // Descriptors the harness opened without O_CLOEXEC must not reach the server.
#ifdef SYS_close_range
    syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */);
#endif
    fcntl(c.report_fd, F_SETFD, FD_CLOEXEC);
    if (c.keep_fd >= 0)
        fcntl(c.keep_fd, F_SETFD, 0);
    execve(c.path, c.argv, c.envp);
    report_and_exit(c.report_fd);
}

// Waits up to `timeout` for the pid to exit (without reaping). True if it did.
bool wait_exit_nowait(pid_t pid, int pidfd, milliseconds timeout) {
    Clock::time_point deadline = Clock::now() + timeout;
    milliseconds step(1);
    for (;;) {
        siginfo_t info;
        std::memset(&info, 0, sizeof info);
        if (waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) < 0)
            return true; // not our child any more: nothing left to wait for
        if (info.si_pid == pid)
            return true;
        Clock::time_point now = Clock::now();
        if (now >= deadline)
            return false;
        milliseconds left = std::chrono::duration_cast<milliseconds>(deadline - now);
        milliseconds nap = std::min(step, left + milliseconds(1));
        if (pidfd >= 0) {
            struct pollfd p = {pidfd, POLLIN, 0};
            poll(&p, 1, int(nap.count()));
        } else {
            std::this_thread::sleep_for(nap);
        }
        step = std::min(step * 2, milliseconds(50));
    }
}

} // namespace

std::string ExitStatus::describe() const {
    switch (kind) {
    case Kind::Running:
        return "running";
    case Kind::Exited:
        return code < 0 ? "exited (reaped elsewhere, status unknown)"
                        : "exited with status " + std::to_string(code);
    case Kind::Signaled:
        return "killed by signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
    }
    return "unknown";
}

int ServerProcess::start(const ServerSpec &spec, std::unique_ptr<ServerProcess> *out,
                         std::string *error) {
    auto fail = [&](int err, const std::string &msg) {
        *error = msg + ": " + strerror(-err);
        return err;
    };
    if (spec.argv.empty())
        return fail(-EINVAL, "no server command");
    std::unique_ptr<ServerProcess> sp(new ServerProcess());
    sp->argv_ = spec.argv;
    int rc = resolve_executable(spec.argv[0], &sp->executable_);
    if (rc < 0)
        return fail(rc, "server program `" + spec.argv[0] + "` not runnable");
    rc = make_absolute(&sp->executable_); // it must survive the child's chdir
    if (rc < 0)
        return fail(rc, "cannot resolve `" + sp->executable_ + "`");
    sp->output_fd_ = open_output(spec.output_path);
    if (sp->output_fd_ < 0)
        return fail(sp->output_fd_, "cannot open server output file `" + spec.output_path + "`");
    // stdin is a pipe nobody writes to, held open while the server runs: a
    // server that reads it (libvfio-user's `null` sample waits for a key
    // press and exits at EOF) sees a terminal nobody types into.
    int input[2] = {-1, -1};
    int report[2];
    if (pipe2(input, O_CLOEXEC) < 0 || pipe2(report, O_CLOEXEC) < 0) {
        int err = -errno;
        if (input[0] >= 0) {
            close(input[0]);
            close(input[1]);
        }
        return fail(err, "cannot set up the server's descriptors");
    }
    std::vector<char *> cargv;
    for (const std::string &a : sp->argv_)
        cargv.push_back(const_cast<char *>(a.c_str()));
    cargv.push_back(nullptr);

    // The environment with what the spec drops and adds.
    std::vector<std::string> env;
    for (char **e = environ; *e != nullptr; ++e) {
        bool drop = false;
        for (const std::string &name : spec.env_drop)
            drop = drop ||
                   (std::strncmp(*e, name.c_str(), name.size()) == 0 && (*e)[name.size()] == '=');
        if (!drop)
            env.emplace_back(*e);
    }
    env.insert(env.end(), spec.env_add.begin(), spec.env_add.end());
    std::vector<char *> cenv;
    for (const std::string &e : env)
        cenv.push_back(const_cast<char *>(e.c_str()));
    cenv.push_back(nullptr);

    ChildSetup setup{sp->executable_.c_str(),
                     cargv.data(),
                     cenv.data(),
                     spec.pass_fd >= 3 ? spec.pass_fd : -1,
                     spec.cwd.empty() ? nullptr : spec.cwd.c_str(),
                     getpid(),
                     input[0],
                     sp->output_fd_,
                     report[1]};
    pid_t pid = fork();
    if (pid == 0) {
        close(report[0]);
        exec_child(setup);
    }
    int fork_err = -errno;
    close(input[0]);
    sp->input_fd_ = input[1];
    close(report[1]);
    if (pid < 0) {
        close(report[0]);
        return fail(fork_err, "cannot fork the server");
    }
    int child_err = 0;
    ssize_t n;
    do {
        n = read(report[0], &child_err, sizeof child_err);
    } while (n < 0 && errno == EINTR);
    close(report[0]);
    sp->pid_ = pid;
    if (n == ssize_t(sizeof child_err)) {
        int wstatus;
        while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
        }
        sp->status_ = decode_wait_status(wstatus);
        return fail(-child_err, "cannot start server `" + sp->executable_ + "`" +
                                    (spec.cwd.empty() ? "" : " in `" + spec.cwd + "`"));
    }
    sp->pidfd_ = open_pidfd(pid);
    cleanup_register(CleanupKind::Server, pid);
    *out = std::move(sp);
    return 0;
}

ServerProcess::~ServerProcess() {
    stop(milliseconds(500));
    if (pidfd_ >= 0)
        close(pidfd_);
    if (input_fd_ >= 0)
        close(input_fd_);
    if (output_fd_ >= 0)
        close(output_fd_);
}

// ECHILD: not our child. A run forked from the process that started the
// server (explore's keeper, sim/explore/explore.cpp) sees its server that way while
// it is alive; a zombie or a vanished pid is dead.
static bool alive_elsewhere(pid_t pid) {
    if (kill(pid, 0) < 0)
        return false;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", int(pid));
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    char buf[512];
    const size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    const char *close_paren = strrchr(buf, ')');
    return close_paren && close_paren[1] == ' ' && close_paren[2] != 'Z' && close_paren[2] != 'X';
}

ExitStatus ServerProcess::poll_exit() {
    if (!status_.running() || pid_ <= 1)
        return status_;
    int wstatus = 0;
    pid_t r = waitpid(pid_, &wstatus, WNOHANG);
    if (r == pid_) {
        status_ = decode_wait_status(wstatus);
    } else if (r < 0 && errno == ECHILD && !alive_elsewhere(pid_)) {
        status_.kind = ExitStatus::Kind::Exited;
        status_.code = -1;
    }
    return status_;
}

ExitStatus ServerProcess::wait_exit(milliseconds timeout) {
    if (pid_ <= 1 || !poll_exit().running())
        return status_;
    wait_exit_nowait(pid_, pidfd_, timeout);
    return poll_exit();
}

int ServerProcess::wait_listening(const std::string &socket_path, milliseconds timeout,
                                  std::string *error) {
    Clock::time_point deadline = Clock::now() + timeout;
    milliseconds step(1);
    for (;;) {
        if (!poll_exit().running()) {
            *error = failure_report("server exited before listening on " + socket_path);
            return -ECHILD;
        }
        int listening = unix_socket_listening(socket_path, pid_);
        if (listening < 0) {
            *error = "cannot read /proc/net/unix: " + std::string(strerror(-listening));
            return listening;
        }
        if (listening == 1)
            return 0;
        if (Clock::now() >= deadline) {
            *error = failure_report("server not listening on " + socket_path + " after " +
                                    std::to_string(timeout.count()) + " ms");
            return -ETIMEDOUT;
        }
        wait_exit_nowait(pid_, pidfd_, step); // wakes early if the server dies
        step = std::min(step * 2, milliseconds(20));
    }
}

// The server itself even if it left our group (setsid), and its group.
// Never with pid_ <= 1: kill(-1) would signal every process we may signal.
void ServerProcess::signal_all(int sig) const {
    if (pid_ <= 1)
        return;
    kill(pid_, sig);
    kill(-pid_, sig);
}

ExitStatus ServerProcess::stop(milliseconds grace) {
    if (pid_ <= 1 || !poll_exit().running()) {
        cleanup_unregister(CleanupKind::Server, pid_);
        return status_;
    }
    // The server leads its own process group: signal the group so helpers it
    // forked go too. The leader is not reaped until the end, so the group id
    // cannot be reused meanwhile. A helper that left the group (setsid) is
    // found as a descendant now, while its parent still links it to us.
    const std::vector<pid_t> helpers = descendants_of(pid_);
    signal_all(SIGTERM);
    if (!wait_exit_nowait(pid_, pidfd_, grace))
        signal_all(SIGKILL);
    wait_exit_nowait(pid_, pidfd_, milliseconds(10000));
    signal_all(SIGKILL); // stragglers of the group that ignored SIGTERM
    int wstatus = 0;
    pid_t r;
    do {
        r = waitpid(pid_, &wstatus, 0);
    } while (r < 0 && errno == EINTR);
    if (r == pid_) {
        status_ = decode_wait_status(wstatus);
    } else {
        status_.kind = ExitStatus::Kind::Exited;
        status_.code = -1;
    }
    for (pid_t p : helpers) {
        kill(p, SIGKILL);
        waitpid(p, nullptr, WNOHANG); // ours to reap only where we are its subreaper
    }
    cleanup_unregister(CleanupKind::Server, pid_);
    return status_;
}

std::string ServerProcess::captured_output(size_t max_bytes) const {
    struct stat st;
    if (output_fd_ < 0 || fstat(output_fd_, &st) < 0)
        return {};
    size_t size = size_t(st.st_size);
    size_t start = size > max_bytes ? size - max_bytes : 0;
    std::string text(size - start, '\0');
    size_t got = 0;
    while (got < text.size()) {
        ssize_t n = pread(output_fd_, &text[got], text.size() - got, off_t(start + got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += size_t(n);
    }
    text.resize(got);
    return start > 0 ? "[... " + std::to_string(start) + " bytes cut ...]\n" + text : text;
}

std::string ServerProcess::failure_report(const std::string &what) const {
    std::string out = captured_output();
    std::string report = what + ": server `" + join_argv(argv_) + "` (pid " + std::to_string(pid_) +
                         ") " + status_.describe();
    if (out.empty())
        return report + "; it wrote nothing to stdout/stderr";
    return report + "; its output:\n" + out;
}

} // namespace rcsim
