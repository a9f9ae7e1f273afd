#include "hostile_runner.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

namespace hostile {

namespace {

using Clock = std::chrono::steady_clock;

// A private folder for the socket (and scenario), removed at the end.
struct TempDir {
    std::string path;
    TempDir() {
        char tmpl[] = "/tmp/rcsim-hostile-XXXXXX";
        if (mkdtemp(tmpl))
            path = tmpl;
    }
    ~TempDir() {
        if (path.empty())
            return;
        if (DIR *d = opendir(path.c_str())) {
            while (dirent *e = readdir(d))
                if (e->d_name[0] != '.')
                    unlink((path + "/" + e->d_name).c_str());
            closedir(d);
        }
        rmdir(path.c_str());
    }
};

pid_t spawn(const std::vector<std::string> &argv, int out_fd) {
    const pid_t pid = fork();
    if (pid != 0)
        return pid;
    setpgid(0, 0);
    if (out_fd >= 0) {
        dup2(out_fd, 1);
        dup2(out_fd, 2);
    } else {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
    }
    std::vector<char *> args;
    for (const std::string &a : argv)
        args.push_back(const_cast<char *>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
}

// The server, listening once its socket exists (at most 5 s).
struct Server {
    pid_t pid = -1;
    Server(const std::string &mode, const std::string &sock) {
        pid = spawn({HOSTILE_SERVER, "--mode", mode, "--socket", sock}, -1);
        const auto deadline = Clock::now() + std::chrono::seconds(5);
        struct stat st;
        while (stat(sock.c_str(), &st) < 0 && Clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    // Its exit status once it ends within wait_ms, else -1 (killed).
    int reap(int wait_ms) {
        const auto deadline = Clock::now() + std::chrono::milliseconds(wait_ms);
        int ws = 0;
        pid_t got = 0;
        while ((got = waitpid(pid, &ws, WNOHANG)) == 0 && Clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        if (got != pid) {
            kill(pid, SIGKILL);
            while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
            }
        }
        const bool ended = got == pid;
        pid = -1;
        return ended && WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
    }
    ~Server() {
        if (pid <= 0)
            return;
        kill(pid, SIGKILL);
        while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
        }
    }
};

void read_until(int fd, pid_t pid, Clock::time_point deadline, Outcome *o) {
    pollfd p = {fd, POLLIN, 0};
    for (;;) {
        const long left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) {
            o->timed_out = true;
            kill(-pid, SIGKILL);
            return;
        }
        if (poll(&p, 1, int(left)) < 0 && errno != EINTR)
            return;
        if (!(p.revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        char buf[4096];
        const ssize_t n = read(fd, buf, sizeof buf);
        if (n == 0 || (n < 0 && errno != EINTR))
            return;
        // Keep the start: a tool that floods its output is cut, not stored.
        if (n > 0 && o->output.size() < (1u << 20))
            o->output.append(buf, size_t(n));
    }
}

} // namespace

Outcome run_against(const std::string &mode, std::vector<std::string> argv, int wall_ms) {
    Outcome o;
    TempDir dir;
    const std::string sock = dir.path + "/hostile.sock";
    Server server(mode, sock);
    for (std::string &a : argv)
        if (a == "{socket}")
            a = sock;
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) < 0)
        return o;
    const pid_t pid = spawn(argv, pipefd[1]);
    close(pipefd[1]);
    read_until(pipefd[0], pid, Clock::now() + std::chrono::milliseconds(wall_ms), &o);
    close(pipefd[0]);
    if (o.timed_out)
        kill(-pid, SIGKILL);
    int ws = 0;
    rusage ru{};
    while (wait4(pid, &ws, 0, &ru) < 0 && errno == EINTR) {
    }
    o.exit_code = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
    o.max_rss_kb = ru.ru_maxrss;
    return o;
}

int with_server(const std::string &mode, const std::function<int(const std::string &)> &fn) {
    TempDir dir;
    const std::string sock = dir.path + "/hostile.sock";
    Server server(mode, sock);
    return fn(sock);
}

int with_server(const std::string &mode, const std::function<int(const std::string &)> &fn,
                int wait_ms, int *server_status) {
    TempDir dir;
    const std::string sock = dir.path + "/hostile.sock";
    Server server(mode, sock);
    const int rc = fn(sock);
    *server_status = server.reap(wait_ms);
    return rc;
}

std::string write_scenario(const std::string &text) {
    static TempDir dir; // one per test process, removed at exit
    const std::string path = dir.path + "/scenario.rcs";
    if (FILE *f = std::fopen(path.c_str(), "w")) {
        std::fputs(text.c_str(), f);
        std::fclose(f);
    }
    return path;
}

int open_fds() {
    int n = 0;
    if (DIR *d = opendir("/proc/self/fd")) {
        while (dirent *e = readdir(d))
            n += e->d_name[0] != '.';
        closedir(d);
    }
    return n - 1; // the directory's own fd
}

} // namespace hostile
