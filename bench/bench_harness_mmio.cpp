// bench-harness-mmio: MMIO round trips per second through the whole stack
// (host port -> verilated root port -> bridge -> vfio-user client -> regs
// server and back, with a quiescence check at each admission point) beside
// the client library alone (blocking REGION_READ) on the same connection to
// the same server in the same run. Median of 5 runs of 2000 reads each.
// --figures: also one machine-readable line per figure (bench/figures.hpp).
// The harness and its server (which inherits the affinity) run on one CPU,
// as bench-client-region-read does: a round trip across two CPUs costs
// 6 us or 65 us on this machine depending on whether the other CPU is idle
// (its wake-up), which swamps both figures and their ratio.
#include "figures.hpp"
#include "harness.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <sched.h>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kRuns = 5, kReads = 2000;

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

} // namespace

int main(int argc, char **argv) {
    const bool figures = argc > 1 && std::strcmp(argv[1], "--figures") == 0;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &one);
    const bool pinned = sched_setaffinity(0, sizeof one, &one) == 0;
    std::unique_ptr<rcsim::Harness> h;
    std::string err;
    if (rcsim::Harness::create(rcsim::HarnessConfig{}, &h, &err) < 0 ||
        h->start_server({RCSIM_SERVER_MODELS_DIR "/regs"}, &err) < 0 || h->enumerate(&err) < 0) {
        fprintf(stderr, "bench-harness-mmio: %s\n", err.c_str());
        return 1;
    }
    std::vector<double> stack, client;
    uint64_t cycles = 0;
    for (int run = 0; run < kRuns; ++run) {
        const uint64_t c0 = h->cycles();
        Clock::time_point t0 = Clock::now();
        for (int i = 0; i < kReads; ++i)
            if (h->mmio_read(0, 0x100, 4).status != rcsim::HostStatus::SC) {
                fprintf(stderr, "bench-harness-mmio: read failed\n%s", h->failure_report().c_str());
                return 1;
            }
        stack.push_back(kReads / std::chrono::duration<double>(Clock::now() - t0).count());
        cycles = (h->cycles() - c0) / kReads;

        uint8_t buf[4];
        t0 = Clock::now();
        for (int i = 0; i < kReads; ++i)
            if (vuc_region_read(h->client(), 0, 0x100, buf, 4) < 0) {
                fprintf(stderr, "bench-harness-mmio: client read failed\n");
                return 1;
            }
        client.push_back(kReads / std::chrono::duration<double>(Clock::now() - t0).count());
    }
    const double s = median(stack), c = median(client);
    printf("bench-harness-mmio: 4-byte MMIO reads, median of %d runs x %d reads, %s\n", kRuns,
           kReads, pinned ? "harness and server pinned to one CPU" : "not pinned");
    printf(
        "  whole stack (RTL + bridge + client + server): %10.0f round trips/s (%llu cycles each)\n",
        s, static_cast<unsigned long long>(cycles));
    printf("  client library alone, same server:            %10.0f round trips/s\n", c);
    printf("  ratio whole stack / client alone:             %10.3f\n", s / c);
    const rcsim::HarnessCounters k = h->counters();
    printf("  admission: %llu points, %llu quiescence waits, %.1f us each on average\n",
           static_cast<unsigned long long>(k.admission.points),
           static_cast<unsigned long long>(k.admission.quiescence_waits),
           k.admission.quiescence_waits
               ? double(k.admission.quiescence_wall_us) / double(k.admission.quiescence_waits)
               : 0.0);
    if (figures) {
        rcsim::bench::figure("mmio_stack", stack, "round trips/s");
        rcsim::bench::figure("mmio_client", client, "round trips/s");
    }
    h->shutdown();
    return 0;
}
