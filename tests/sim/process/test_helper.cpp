// Stand-in server for the sim_* suites. The first argument picks a behaviour;
// every mode that blocks prints "ready" once set up, so a test can wait for
// that before observing it. Nothing here is clever: each mode is the plain
// syscall a test expects to see in /proc.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <poll.h>
#include <string>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <thread>
#include <time.h>
#include <unistd.h>

namespace {

int g_pipe[2];

void ready() {
    std::printf("ready\n");
    std::fflush(stdout);
}

[[noreturn]] void block_in_read() {
    char c;
    for (;;)
        (void)!read(g_pipe[0], &c, 1);
}

int listen_on(const char *path, int delay_ms) {
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path, sizeof addr.sun_path - 1);
    unlink(path);
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) < 0 ||
        listen(fd, 4) < 0) {
        std::perror("listen");
        return 2;
    }
    ready();
    for (;;) {
        int c = accept(fd, nullptr, nullptr);
        if (c >= 0)
            close(c);
    }
}

int worker_on_condvar(bool timed) {
    static std::mutex m;
    static std::condition_variable cv;
    static bool go = false;
    std::thread([timed] {
        std::unique_lock<std::mutex> lock(m);
        if (timed)
            cv.wait_for(lock, std::chrono::hours(1), [] { return go; });
        else
            cv.wait(lock, [] { return go; });
    }).detach();
    ready();
    block_in_read();
}

int thread_in_nanosleep() {
    std::thread([] {
        struct timespec ts = {3600, 0};
        nanosleep(&ts, nullptr);
    }).detach();
    ready();
    block_in_read();
}

int spin() {
    ready();
    volatile unsigned long n = 0;
    for (;;)
        n = n + 1;
}

int sleep_loop() {
    ready();
    for (;;) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, nullptr);
    }
}

int block_poll(int timeout_ms) {
    ready();
    struct pollfd p = {g_pipe[0], POLLIN, 0};
    for (;;)
        poll(&p, 1, timeout_ms);
}

int block_epoll() {
    int ep = epoll_create1(0);
    struct epoll_event ev {};
    ev.events = EPOLLIN;
    epoll_ctl(ep, EPOLL_CTL_ADD, g_pipe[0], &ev);
    ready();
    for (;;)
        epoll_wait(ep, &ev, 1, -1);
}

int block_recv() {
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    ready();
    char c;
    for (;;)
        recv(sv[0], &c, 1, 0);
}

int ignore_term() {
    signal(SIGTERM, SIG_IGN);
    ready();
    block_in_read();
}

int print_args(int argc, char **argv) {
    for (int i = 2; i < argc; ++i)
        std::printf("[%s]\n", argv[i]);
    return 0;
}

int usage() {
    std::fprintf(stderr, "usage: sim_test_helper MODE [ARGS]\n");
    return 64;
}

} // namespace

int main(int argc, char **argv) {
    if (argc < 2 || pipe(g_pipe) < 0)
        return usage();
    std::string mode = argv[1];
    if (mode == "listen" && argc >= 3)
        return listen_on(argv[2], argc >= 4 ? std::atoi(argv[3]) : 0);
    if (mode == "listen-in" && argc >= 4) { // binds a name relative to DIR
        if (chdir(argv[2]) < 0)
            return 2;
        return listen_on(argv[3], 0);
    }
    if (mode == "exit-message" && argc >= 4) {
        std::fprintf(stderr, "%s\n", argv[3]);
        return std::atoi(argv[2]);
    }
    if (mode == "exit-at-stdin-eof") { // like libvfio-user's null sample
        ready();
        char c;
        while (read(0, &c, 1) > 0) {
        }
        return 3;
    }
    if (mode == "block-read") {
        ready();
        block_in_read();
    }
    if (mode == "block-poll")
        return block_poll(-1);
    if (mode == "poll-timeout")
        return block_poll(3600 * 1000);
    if (mode == "block-epoll")
        return block_epoll();
    if (mode == "block-recv")
        return block_recv();
    if (mode == "condvar")
        return worker_on_condvar(false);
    if (mode == "timed-condvar")
        return worker_on_condvar(true);
    if (mode == "thread-nanosleep")
        return thread_in_nanosleep();
    if (mode == "spin")
        return spin();
    if (mode == "sleep-loop")
        return sleep_loop();
    if (mode == "ignore-term")
        return ignore_term();
    if (mode == "print-args")
        return print_args(argc, argv);
    return usage();
}
