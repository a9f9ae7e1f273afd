#include "server_process.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "unix_sockets.hpp"

namespace rcsim::test {

std::string server_models_dir() {
    return RCSIM_SERVER_MODELS_DIR;
}

ServerProcess::ServerProcess(std::vector<std::string> argv) {
    char tmpl[] = "/tmp/rcsim-server-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) {
        error_ = std::string("mkdtemp: ") + strerror(errno);
        return;
    }
    dir_ = tmpl;
    sock_ = dir_ + "/dev.sock";
    bool placed = false;
    for (auto &a : argv) {
        auto at = a.find("{sock}");
        if (at != std::string::npos) {
            a.replace(at, 6, sock_);
            placed = true;
        }
    }
    if (!placed) {
        argv.push_back("--socket");
        argv.push_back(sock_);
    }
    // RCSIM_SERVER_WRAPPER (e.g. "valgrind -q --log-file=/tmp/vg.%p") runs the
    // server under a tool; words are split on spaces.
    if (const char *w = getenv("RCSIM_SERVER_WRAPPER")) {
        std::vector<std::string> pre;
        std::string word;
        for (const char *p = w;; p++) {
            if (*p == ' ' || *p == '\0') {
                if (!word.empty())
                    pre.push_back(word);
                word.clear();
                if (*p == '\0')
                    break;
            } else {
                word += *p;
            }
        }
        argv.insert(argv.begin(), pre.begin(), pre.end());
        if (!pre.empty() && pre[0].find('/') == std::string::npos)
            argv[0] = "/usr/bin/" + pre[0];
    }
    std::vector<char *> cargv;
    for (auto &a : argv)
        cargv.push_back(a.data());
    cargv.push_back(nullptr);
    std::string log = dir_ + "/server.log";
    pid_ = fork();
    if (pid_ == 0) {
        // Keep the server's log out of the test output unless asked for.
        if (getenv("RCSIM_SERVER_LOG_TO_STDERR") == nullptr) {
            FILE *f = freopen(log.c_str(), "w", stderr);
            (void)f;
        }
        execv(cargv[0], cargv.data());
        _exit(127);
    }
    if (pid_ < 0) {
        error_ = std::string("fork: ") + strerror(errno);
        return;
    }
    // Wait for the listener, not for the socket file: the file appears at
    // bind() and the server calls listen() after it, and a connect() in
    // between is refused (ECONNREFUSED). On a loaded machine the server can be
    // scheduled out between the two calls for tens of milliseconds. Asked of
    // the kernel (/proc/net/unix), not by connecting: the server would take a
    // probe as its one client, and in QUEUE mode print a peak line for it that
    // tests count. Any listener on our path is the server's, since the
    // directory is new; no owner check, so a wrapper that forks still works.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
        if (!alive()) {
            error_ = "server exited before listening: " + argv[0];
            return;
        }
        int listening = rcsim::unix_socket_listening(sock_);
        if (listening < 0) {
            error_ = std::string("cannot read /proc/net/unix: ") + strerror(-listening);
            return;
        }
        if (listening == 1) {
            ready_ = true;
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    error_ = "server did not listen on its socket within 5 s";
}

bool ServerProcess::alive() {
    if (pid_ <= 0)
        return false;
    int st;
    pid_t r = waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
        pid_ = -1;
        return false;
    }
    return true;
}

std::string ServerProcess::log_text() const {
    std::string out;
    FILE *f = fopen((dir_ + "/server.log").c_str(), "r");
    if (f == nullptr)
        return out;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        out.append(buf, n);
    fclose(f);
    return out;
}

ServerProcess::~ServerProcess() {
    stop();
    if (!sock_.empty())
        unlink(sock_.c_str());
    if (!dir_.empty()) {
        unlink((dir_ + "/server.log").c_str());
        rmdir(dir_.c_str());
    }
}

void ServerProcess::stop() {
    if (pid_ > 0) {
        kill(pid_, SIGTERM);
        // Give it 2 s to leave on its own, then make sure.
        for (int i = 0; i < 200; i++) {
            int st;
            if (waitpid(pid_, &st, WNOHANG) == pid_) {
                pid_ = -1;
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        if (pid_ > 0) {
            kill(pid_, SIGKILL);
            int st;
            waitpid(pid_, &st, 0);
            pid_ = -1;
        }
    }
}

} // namespace rcsim::test
