// bench-trace-labels: what the FST's TLP labels cost. dmacopy copies by
// message DMA through the RTL (TLPs both ways on most cycles) with the FST
// and the JSONL trace on, the trace writer's label ports on beside off: busy
// simulated cycles per wall second and per second of the harness process's
// CPU time (the server's share left out: it does the same work either way).
// The FST writer compresses its buffered changes in blocks, about one
// second of CPU every few copies, landing on whichever copy fills the
// buffer; so each sample is a whole child process (this program with --on
// or --off): 4 copies of 256 KiB, timed from the first doorbell to the FST
// closed (every flush included). Children alternate on, off, off, on, ...
// (6 of each); the figures are medians. Files go to /tmp and are removed.
// --figures: also one machine-readable line per figure (bench/figures.hpp).
// --no-fst: the same without the FST (JSONL only), where the writer builds
// no labels whatever set_labels says: the untraced case, on should equal off.
#include "dmacopy_ring.hpp"
#include "figures.hpp"
#include "harness.hpp"
#include "trace_writer.hpp"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <unistd.h>
#include <vector>

namespace {

using namespace rcsim::bench;
using Clock = std::chrono::steady_clock;
constexpr int kChildren = 6, kCopies = 4;
constexpr uint32_t kCopy = 256u << 10;

double cpu_seconds() {
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

// One copy of kCopy bytes as copy n (the ring's 2 slots alternate).
bool copy(rcsim::Harness &h, unsigned n) {
    const unsigned slot = n % 2;
    uint8_t d[32];
    descriptor(d, kSrc, kDst, kCopy);
    h.memory().write(kRing + 32 * slot, d, 32);
    return h.mmio_write(0, 0x10, 4, (slot + 1) % 2) == rcsim::HostStatus::SC && h.drain(50000000) &&
           h.mmio_read(0, 0x20, 4).value == n + 1;
}

// Child: prints "cycles wall_seconds cpu_seconds".
int child(bool labels, bool fst) {
    const std::string base = "/tmp/bench-trace-labels-" + std::to_string(getpid());
    rcsim::HarnessConfig cfg;
    if (fst)
        cfg.fst_path = base + ".fst";
    std::unique_ptr<rcsim::Harness> h;
    std::string err;
    std::unique_ptr<rcsim::TraceWriter> tw;
    if (rcsim::Harness::create(cfg, &h, &err) < 0 ||
        !(tw = rcsim::TraceWriter::open(base + ".jsonl", &err))) {
        fprintf(stderr, "bench-trace-labels: %s\n", err.c_str());
        return 1;
    }
    tw->set_labels(labels);
    tw->attach(*h);
    if (h->start_server({RCSIM_SERVER_MODELS_DIR "/dmacopy"}, &err) < 0 || h->enumerate(&err) < 0 ||
        h->mmio_write(0, 0x00, 4, uint32_t(kRing)) != rcsim::HostStatus::SC ||
        h->mmio_write(0, 0x08, 4, 2) != rcsim::HostStatus::SC) {
        fprintf(stderr, "bench-trace-labels: setup failed: %s\n%s", err.c_str(),
                h->failure_report().c_str());
        return 1;
    }
    const uint64_t c0 = h->cycles();
    const Clock::time_point t0 = Clock::now();
    const double cpu0 = cpu_seconds();
    for (unsigned n = 0; n < kCopies; ++n)
        if (!copy(*h, n)) {
            fprintf(stderr, "bench-trace-labels: a copy failed\n%s", h->failure_report().c_str());
            return 1;
        }
    const uint64_t cycles = h->cycles() - c0;
    tw->close(&err);
    h->shutdown();
    h.reset(); // closes the FST: its last flush
    printf("%llu %f %f\n", static_cast<unsigned long long>(cycles),
           std::chrono::duration<double>(Clock::now() - t0).count(), cpu_seconds() - cpu0);
    unlink((base + ".fst").c_str());
    unlink((base + ".jsonl").c_str());
    return 0;
}

} // namespace

int main(int argc, char **argv) {
    bool figures = false, fst = true;
    for (int i = 1; i < argc; ++i) {
        figures |= strcmp(argv[i], "--figures") == 0;
        fst &= strcmp(argv[i], "--no-fst") != 0;
    }
    if (argc > 1 && (strcmp(argv[1], "--on") == 0 || strcmp(argv[1], "--off") == 0))
        return child(strcmp(argv[1], "--on") == 0, fst);
    std::vector<double> on, off, on_cpu, off_cpu;
    for (int i = 0; i < 2 * kChildren; ++i) {
        const bool labels = (i % 4 == 0) || (i % 4 == 3); // on, off, off, on, ...
        const std::string cmd =
            std::string(argv[0]) + (labels ? " --on" : " --off") + (fst ? "" : " --no-fst");
        FILE *p = popen(cmd.c_str(), "r");
        unsigned long long cycles = 0;
        double wall = 0, cpu = 0;
        const bool ok =
            p && fscanf(p, "%llu %lf %lf", &cycles, &wall, &cpu) == 3 && wall > 0 && cpu > 0;
        if (p)
            pclose(p);
        if (!ok) {
            fprintf(stderr, "bench-trace-labels: a child failed\n");
            return 1;
        }
        (labels ? on : off).push_back(double(cycles) / wall);
        (labels ? on_cpu : off_cpu).push_back(double(cycles) / cpu);
    }
    const double a = median(on), b = median(off), ac = median(on_cpu), bc = median(off_cpu);
    printf("bench-trace-labels: dmacopy, %d copies of %u KiB per process, %s; median of %d "
           "processes each\n",
           kCopies, kCopy >> 10,
           fst ? "FST + JSONL trace on, FST closed inside the timing"
               : "no FST (JSONL trace only): labels are never built",
           kChildren);
    printf("  labels off (baseline):  %10.0f busy cycles/s, %10.0f per CPU s\n", b, bc);
    printf("  labels on:              %10.0f busy cycles/s, %10.0f per CPU s; ratios %.3f, %.3f\n",
           a, ac, a / b, ac / bc);
    if (figures && fst) {
        figure("busy_cycles_dma_fst_labels", on, "cycles/s");
        figure("busy_cycles_dma_fst_nolabels", off, "cycles/s");
        figure("busy_cpu_cycles_dma_fst_labels", on_cpu, "cycles/CPU s");
        figure("busy_cpu_cycles_dma_fst_nolabels", off_cpu, "cycles/CPU s");
    }
    return 0;
}
