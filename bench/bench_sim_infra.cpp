// bench-sim-infra: the costs the harness pays at every admission point and on
// the DMA path, each beside a baseline measured in the same run:
//  - one quiescence check of an idle server (1 and 8 threads), against one
//    open/read/close of /proc/PID/stat (the least a /proc look can cost);
//  - wait_quiescent on an idle server (two confirmed looks), with a fresh
//    probe and with one probe kept across waits (what admission does);
//  - run_forker: trivial runs per second (one at a time), against bare
//    fork + _exit + waitpid;
//  - host memory dma_write + dma_read through a window in TLP-sized (256 B)
//    and page-sized (4 KiB) pieces, against memcpy into a flat buffer.
// Prints the median of several runs and the ratio of medians.
#include "host_memory.hpp"
#include "quiescence.hpp"
#include "run_forker.hpp"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <pthread.h>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kRuns = 7;

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

template <typename F> double seconds_of(F &&f) {
    Clock::time_point t0 = Clock::now();
    f();
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

int g_block_fd = -1;

void *block_forever(void *) {
    char c;
    for (;;)
        (void)!read(g_block_fd, &c, 1);
    return nullptr;
}

// An idle "server": `threads` threads all blocked in read on a pipe.
pid_t start_idle_child(int threads) {
    int p[2];
    if (pipe(p) < 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        g_block_fd = p[0];
        for (int i = 1; i < threads; ++i) {
            pthread_t t;
            pthread_create(&t, nullptr, block_forever, nullptr);
        }
        block_forever(nullptr);
    }
    close(p[0]);
    close(p[1]);
    return pid;
}

void stop_child(pid_t pid) {
    if (pid <= 1)
        return;
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
}

double stat_read_us(pid_t pid, int n) {
    std::string path = "/proc/" + std::to_string(pid) + "/stat";
    char buf[512];
    return 1e6 * seconds_of([&] {
               for (int i = 0; i < n; ++i) {
                   int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
                   (void)!read(fd, buf, sizeof buf);
                   close(fd);
               }
           }) /
           n;
}

double check_us(pid_t pid, int n, bool *all_quiescent) {
    return 1e6 * seconds_of([&] {
               for (int i = 0; i < n; ++i) {
                   if (rcsim::observe_quiescence(pid).state != rcsim::Quiescence::Quiescent)
                       *all_quiescent = false;
               }
           }) /
           n;
}

void bench_quiescence(int threads) {
    pid_t pid = start_idle_child(threads);
    if (pid < 0 || rcsim::wait_quiescent(pid, std::chrono::seconds(10)).result !=
                       rcsim::Quiescence::Quiescent) {
        std::printf("quiescence (%d threads): idle child never quiescent, skipped\n", threads);
        stop_child(pid);
        return;
    }
    const int n = 500;
    std::vector<double> base, check;
    bool all_quiescent = true;
    for (int r = 0; r < kRuns; ++r) {
        base.push_back(stat_read_us(pid, n));
        check.push_back(check_us(pid, n, &all_quiescent));
    }
    std::printf("quiescence check, %d thread(s): %.1f us/check  baseline /proc/PID/stat read: "
                "%.1f us  ratio %.1fx%s\n",
                threads, median(check), median(base), median(check) / median(base),
                all_quiescent ? "" : "  (WARNING: some checks not quiescent)");
    std::vector<double> waits;
    for (int r = 0; r < kRuns; ++r) {
        rcsim::QuiescenceWait w = rcsim::wait_quiescent(pid, std::chrono::seconds(10));
        waits.push_back(double(w.waited.count()));
    }
    std::printf("wait_quiescent on the idle child, %d thread(s): %.0f us (fresh probe: opens "
                "the files)\n",
                threads, median(waits));
    // What an admission point pays: one probe kept across waits; the one-look
    // proof (one thread only) and two looks.
    for (const bool one_look : {true, false}) {
        rcsim::QuiescenceOptions opts;
        opts.one_look = one_look;
        rcsim::QuiescenceProbe probe(pid, opts);
        std::vector<double> kept;
        rcsim::QuiescenceProof proof = rcsim::QuiescenceProof::None;
        for (int r = 0; r < kRuns; ++r) {
            bool quiet = true;
            kept.push_back(1e6 * seconds_of([&] {
                               for (int i = 0; i < n; ++i) {
                                   const rcsim::QuiescenceWait w =
                                       probe.wait(std::chrono::seconds(10));
                                   quiet &= w.result == rcsim::Quiescence::Quiescent;
                                   proof = w.proof;
                               }
                           }) /
                           n);
            if (!quiet)
                std::printf("  (WARNING: a kept-probe wait was not quiescent)\n");
        }
        std::printf("QuiescenceProbe::wait on the idle child, %d thread(s), probe kept, one look "
                    "%s: %.1f us (proof: %s)\n",
                    threads, one_look ? "allowed" : "off", median(kept), rcsim::to_string(proof));
    }
    stop_child(pid);
}

void bench_host_memory(size_t piece) {
    const size_t total = 64u << 20;
    rcsim::HostMemory mem;
    rcsim::MemWindow w;
    w.base = 0x1'0000'0000ULL;
    w.size = total;
    w.name = "bench";
    mem.add_window(w);
    std::vector<uint8_t> src(piece, 0x5a), dst(piece), flat(total);
    std::vector<double> base, model;
    bool ok = true;
    for (int r = 0; r < kRuns; ++r) {
        base.push_back(seconds_of([&] {
            for (size_t off = 0; off < total; off += piece) {
                std::memcpy(flat.data() + off, src.data(), piece);
                std::memcpy(dst.data(), flat.data() + off, piece);
            }
        }));
        model.push_back(seconds_of([&] {
            for (size_t off = 0; off < total; off += piece) {
                ok &= mem.dma_write(w.base + off, src.data(), piece) == rcsim::MemStatus::Ok;
                ok &= mem.dma_read(w.base + off, dst.data(), piece) == rcsim::MemStatus::Ok;
            }
        }));
    }
    double mb = 2.0 * double(total) / 1e6; // bytes written + read
    std::printf(
        "host memory, %zu B pieces: %.0f MB/s  baseline memcpy: %.0f MB/s  time ratio %.2f%s\n",
        piece, mb / median(model), mb / median(base), median(model) / median(base),
        ok ? "" : "  (WARNING: accesses refused)");
}

void bench_run_forker() {
    const int n = 200;
    std::vector<double> base, forker;
    bool ok = true;
    for (int r = 0; r < 3; ++r) {
        base.push_back(seconds_of([&] {
            for (int i = 0; i < n; ++i) {
                pid_t pid = fork();
                if (pid == 0)
                    _exit(0);
                if (pid > 0)
                    waitpid(pid, nullptr, 0);
            }
        }));
        forker.push_back(seconds_of([&] {
            rcsim::RunLimits limits;
            for (const rcsim::RunResult &res : rcsim::run_children(
                     n, 2, [](size_t) { return 0; }, limits))
                ok &= res.passed();
        }));
    }
    std::printf("run_forker, trivial runs (J=1): %.0f runs/s  baseline fork+waitpid (serial): "
                "%.0f runs/s  time ratio %.2f%s\n",
                n / median(forker), n / median(base), median(forker) / median(base),
                ok ? "" : "  (WARNING: runs failed)");
}

} // namespace

int main() {
    bench_quiescence(1);
    bench_quiescence(8);
    bench_run_forker();
    bench_host_memory(256);
    bench_host_memory(4096);
    return 0;
}
