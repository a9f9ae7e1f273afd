// bench-trace-labels: what the FST's TLP labels cost. dmacopy copies by
// message DMA through the RTL (TLPs both ways on most cycles) with the FST
// and the JSONL trace on, the trace writer's label ports on beside off,
// alternating in the same run on the same harness (median of 9 copies of
// 256 KiB each way): busy simulated cycles per wall second, and per second
// of this process's CPU time (the server's share left out: it does the same
// work either way; less moved by other load on a shared machine). The FST
// and the trace go to /tmp and are removed.
// --figures: also one machine-readable line per figure (bench/figures.hpp).
#include "dmacopy_ring.hpp"
#include "figures.hpp"
#include "harness.hpp"
#include "trace_writer.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <cstring>
#include <unistd.h>
#include <vector>

namespace {

using namespace rcsim::bench;
using Clock = std::chrono::steady_clock;
constexpr int kRuns = 9;
constexpr uint32_t kCopy = 256u << 10;

double cpu_seconds() {
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

// One copy of kCopy bytes as copy n (the ring's 2 slots alternate): busy
// cycles per wall second and per CPU second. False on failure.
bool copy_rate(rcsim::Harness &h, unsigned n, std::vector<double> *wall, std::vector<double> *cpu) {
    const unsigned slot = n % 2;
    uint8_t d[32];
    descriptor(d, kSrc, kDst, kCopy);
    h.memory().write(kRing + 32 * slot, d, 32);
    const uint64_t c0 = h.cycles();
    const Clock::time_point t0 = Clock::now();
    const double cpu0 = cpu_seconds();
    if (h.mmio_write(0, 0x10, 4, (slot + 1) % 2) != rcsim::HostStatus::SC || !h.drain(50000000) ||
        h.mmio_read(0, 0x20, 4).value != n + 1)
        return false;
    const double cycles = double(h.cycles() - c0);
    wall->push_back(cycles / std::chrono::duration<double>(Clock::now() - t0).count());
    cpu->push_back(cycles / (cpu_seconds() - cpu0));
    return true;
}

} // namespace

int main(int argc, char **argv) {
    const bool figures = argc > 1 && strcmp(argv[1], "--figures") == 0;
    const std::string base = "/tmp/bench-trace-labels-" + std::to_string(getpid());
    rcsim::HarnessConfig cfg;
    cfg.fst_path = base + ".fst";
    std::unique_ptr<rcsim::Harness> h;
    std::string err;
    std::unique_ptr<rcsim::TraceWriter> tw;
    if (rcsim::Harness::create(cfg, &h, &err) < 0 ||
        !(tw = rcsim::TraceWriter::open(base + ".jsonl", &err))) {
        fprintf(stderr, "bench-trace-labels: %s\n", err.c_str());
        return 1;
    }
    tw->attach(*h);
    if (h->start_server({RCSIM_SERVER_MODELS_DIR "/dmacopy"}, &err) < 0 || h->enumerate(&err) < 0 ||
        h->mmio_write(0, 0x00, 4, uint32_t(kRing)) != rcsim::HostStatus::SC ||
        h->mmio_write(0, 0x08, 4, 2) != rcsim::HostStatus::SC) {
        fprintf(stderr, "bench-trace-labels: setup failed: %s\n%s", err.c_str(),
                h->failure_report().c_str());
        return 1;
    }
    std::vector<double> on, off, on_cpu, off_cpu;
    for (int run = 0; run < kRuns; ++run) {
        tw->set_labels(false);
        const bool a = copy_rate(*h, unsigned(2 * run), &off, &off_cpu);
        tw->set_labels(true);
        if (!a || !copy_rate(*h, unsigned(2 * run + 1), &on, &on_cpu)) {
            fprintf(stderr, "bench-trace-labels: a copy failed\n%s", h->failure_report().c_str());
            return 1;
        }
    }
    tw->close(&err);
    h->shutdown();
    h.reset(); // closes the FST
    unlink((base + ".fst").c_str());
    unlink((base + ".jsonl").c_str());
    const double a = median(on), b = median(off), ac = median(on_cpu), bc = median(off_cpu);
    printf("bench-trace-labels: dmacopy of %u KiB by message DMA, FST + JSONL trace on, median "
           "of %d copies each\n",
           kCopy >> 10, kRuns);
    printf("  labels off (baseline):  %10.0f busy cycles/s\n", b);
    printf("  labels on:              %10.0f busy cycles/s  ratio %.3f\n", a, a / b);
    printf("  per CPU second of the harness process: off %.0f, on %.0f cycles/s, ratio %.3f\n", bc,
           ac, ac / bc);
    if (figures) {
        figure("busy_cycles_dma_fst_labels", on, "cycles/s");
        figure("busy_cycles_dma_fst_nolabels", off, "cycles/s");
        figure("busy_cpu_cycles_dma_fst_labels", on_cpu, "cycles/CPU s");
        figure("busy_cpu_cycles_dma_fst_nolabels", off_cpu, "cycles/CPU s");
    }
    return 0;
}
