// bench-harness-memory: peak memory of the harness process over 10^6 MMIO
// reads through the whole stack (regs server), beside its memory after the
// first 10^3 (the baseline, same run). Anything kept per transaction shows
// as growth; the target is flat (within 10%). Memory is VmHWM/VmRSS from
// /proc/self/status, in KiB. A fifo scheduler is installed, as `rcsim run`
// always does (each read is then one scheduler choice and one decision:
// 10^6 decisions; issue 14 item 8), unless --no-scheduler.
// Arguments: [--figures] [--no-scheduler] [READS] (default 10^6).
#include "figures.hpp"
#include "harness.hpp"
#include "scheduler.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

namespace {

// A "VmRSS:   1234 kB" line of /proc/self/status, in KiB; -1 if absent.
long status_kib(const char *field) {
    std::ifstream f("/proc/self/status");
    std::string line;
    const size_t n = std::strlen(field);
    while (std::getline(f, line))
        if (line.compare(0, n, field) == 0 && line.size() > n && line[n] == ':')
            return std::atol(line.c_str() + n + 1);
    return -1;
}

bool reads(rcsim::Harness &h, uint64_t n) {
    for (uint64_t i = 0; i < n; ++i)
        if (h.mmio_read(0, 0x100 + 4 * (i % 16), 4).status != rcsim::HostStatus::SC)
            return false;
    return true;
}

} // namespace

int main(int argc, char **argv) {
    bool figures = false, scheduler = true;
    uint64_t total = 1000000;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--figures") == 0)
            figures = true;
        else if (std::strcmp(argv[i], "--no-scheduler") == 0)
            scheduler = false;
        else
            total = std::strtoull(argv[i], nullptr, 10);
    }
    const uint64_t first = 1000;
    if (total < 2 * first) {
        std::fprintf(stderr,
                     "usage: bench-harness-memory [--figures] [--no-scheduler] [READS >= 2000]\n");
        return 2;
    }
    std::unique_ptr<rcsim::Harness> h;
    std::unique_ptr<rcsim::Scheduler> fifo;
    std::string err;
    if (scheduler && rcsim::Scheduler::create("fifo", &fifo, &err) < 0) {
        std::fprintf(stderr, "bench-harness-memory: %s\n", err.c_str());
        return 1;
    }
    if (rcsim::Harness::create(rcsim::HarnessConfig{}, &h, &err) < 0) {
        std::fprintf(stderr, "bench-harness-memory: %s\n", err.c_str());
        return 1;
    }
    h->set_scheduler(fifo.get());
    if (h->start_server({RCSIM_SERVER_MODELS_DIR "/regs"}, &err) < 0 || h->enumerate(&err) < 0) {
        std::fprintf(stderr, "bench-harness-memory: %s\n", err.c_str());
        return 1;
    }
    const auto t0 = std::chrono::steady_clock::now();
    if (!reads(*h, first)) {
        std::fprintf(stderr, "bench-harness-memory: read failed\n%s", h->failure_report().c_str());
        return 1;
    }
    const long after_first = status_kib("VmRSS");
    // Peak from here on: the high-water mark would include set-up spikes.
    long peak = after_first;
    for (uint64_t done = first; done < total;) {
        const uint64_t step = std::min<uint64_t>(total - done, 10000);
        if (!reads(*h, step)) {
            std::fprintf(stderr, "bench-harness-memory: read failed\n%s",
                         h->failure_report().c_str());
            return 1;
        }
        done += step;
        peak = std::max(peak, status_kib("VmRSS"));
    }
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("bench-harness-memory: %llu 4-byte MMIO reads through the whole stack (regs), "
                "%s, %.1f s\n",
                static_cast<unsigned long long>(total),
                fifo ? "fifo scheduler installed" : "no scheduler", secs);
    if (fifo)
        std::printf("  scheduler choices: %llu, decisions: %llu\n",
                    static_cast<unsigned long long>(fifo->choice_count()),
                    static_cast<unsigned long long>(h->decisions().back().index + 1));
    std::printf("  RSS after %llu reads:        %8ld KiB\n", static_cast<unsigned long long>(first),
                after_first);
    std::printf("  peak RSS (sampled every 10^4 reads): %8ld KiB (ratio %.3f)\n", peak,
                double(peak) / double(after_first));
    std::printf("  VmHWM (whole process life):  %8ld KiB\n", status_kib("VmHWM"));
    if (figures) {
        rcsim::bench::figure("rss_first", {double(after_first)}, "KiB");
        rcsim::bench::figure("rss_peak", {double(peak)}, "KiB");
    }
    h->shutdown();
    return 0;
}
