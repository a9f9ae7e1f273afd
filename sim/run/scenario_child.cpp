// A forked child per scenario when `rcsim run` has several: SystemC cannot
// elaborate twice in one process.
#include "process_cleanup.hpp"
#include "scenario_session.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

namespace rcsim {

namespace {

using Clock = std::chrono::steady_clock;

Outcome child_error(const std::string &msg, Clock::time_point t0) {
    std::fprintf(stderr, "rcsim run: %s\n", msg.c_str());
    Outcome o;
    o.status = 2;
    o.message = msg;
    o.details = msg + "\n";
    o.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    return o;
}

bool write_all(int fd, const void *p, size_t n) {
    const char *c = static_cast<const char *>(p);
    while (n) {
        const ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        c += w;
        n -= size_t(w);
    }
    return true;
}

std::string read_all(int fd) {
    std::string s;
    char buf[4096];
    for (;;) {
        const ssize_t r = read(fd, buf, sizeof(buf));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return s;
        s.append(buf, size_t(r));
    }
}

// In the child nothing may unwind past here: an exception would climb into
// the parent's copy of main() and run the parent's code a second time.
Outcome run_scenario_guarded(const SessionOptions &opt, const std::string &file,
                             Clock::time_point t0) {
    try {
        return run_scenario(opt, file);
    } catch (const std::exception &e) {
        return child_error(file + ": internal error: " + e.what(), t0);
    } catch (...) {
        return child_error(file + ": internal error (an exception of unknown type)", t0);
    }
}

} // namespace

// The child sends back its outcome as "status\nseconds\nmessage-length\n"
// followed by the message and the details; its own output goes straight to
// our stdout and stderr.
Outcome run_scenario_in_child(const SessionOptions &opt, const std::string &file) {
    const Clock::time_point t0 = Clock::now();
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return child_error(std::string("pipe: ") + std::strerror(errno), t0);
    std::fflush(stdout);
    std::fflush(stderr);
    const pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return child_error(std::string("fork: ") + std::strerror(errno), t0);
    }
    if (pid == 0) {
        cleanup_forget_inherited();
        close(p[0]);
        const Outcome o = run_scenario_guarded(opt, file, t0);
        char head[96];
        const int n = std::snprintf(head, sizeof(head), "%d\n%.6f\n%zu\n", o.status, o.seconds,
                                    o.message.size());
        const bool ok = write_all(p[1], head, size_t(n)) &&
                        write_all(p[1], o.message.data(), o.message.size()) &&
                        write_all(p[1], o.details.data(), o.details.size());
        std::fflush(stdout);
        std::fflush(stderr);
        _exit(ok ? 0 : 3);
    }
    cleanup_register(CleanupKind::Run, pid);
    close(p[1]);
    const std::string msg = read_all(p[0]);
    close(p[0]);
    int ws = 0;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR) {
    }
    cleanup_unregister(CleanupKind::Run, pid);
    Outcome o;
    int status = 0;
    double secs = 0;
    size_t mlen = 0;
    int used = 0;
    if (WIFEXITED(ws) && WEXITSTATUS(ws) == 0 &&
        std::sscanf(msg.c_str(), "%d\n%lf\n%zu\n%n", &status, &secs, &mlen, &used) == 3 &&
        size_t(used) + mlen <= msg.size()) {
        o.status = status;
        o.seconds = secs;
        o.message = msg.substr(size_t(used), mlen);
        o.details = msg.substr(size_t(used) + mlen);
        return o;
    }
    const std::string how = WIFSIGNALED(ws)
                                ? "killed by signal " + std::to_string(WTERMSIG(ws))
                                : "exited with status " + std::to_string(WEXITSTATUS(ws));
    return child_error("the run of " + file + " " + how + " before reporting", t0);
}

} // namespace rcsim
