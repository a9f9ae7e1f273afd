// Simulated cycles per second of the verilated root port (DATA_W = 128)
// under back-to-back 8-byte MMIO reads answered by the C++ endpoint model,
// beside the same model and testbench clocked idle (the baseline), with the
// ratio. Median of several runs, with min and max. --figures: also one
// machine-readable line per figure (bench/figures.hpp).
#include "Vrp128.h"
#include "figures.hpp"
#include "root_port_harness.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

using namespace rcsim::test;
using Harness = RootPortHarness<Vrp128, 128>;
using Clock = std::chrono::steady_clock;

namespace {

constexpr uint64_t kCycles = 500000;
constexpr int kRuns = 7;
constexpr size_t kOutstanding = 4; // the root port's HOST_SLOTS

struct Run {
    double cycles_per_s;
    uint64_t reads;
};

Run idle_run() {
    Harness h;
    h.configure(Settings{});
    const Clock::time_point t0 = Clock::now();
    h.run(kCycles);
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    return {double(kCycles) / s, 0};
}

Run mmio_run() {
    Harness h;
    h.configure(Settings{});
    uint64_t issued = 0;
    const Clock::time_point t0 = Clock::now();
    for (uint64_t c = 0; c < kCycles; ++c) {
        if (h.host_pending() == 0 && issued - h.responses.size() < kOutstanding) {
            h.host_read(uint8_t(issued), 0x1000 + 8 * (issued % 512), 2);
            ++issued;
        }
        h.step();
    }
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    for (const HostResponse &r : h.responses) {
        if (r.status != SC || r.dws.size() != 2) {
            std::fprintf(stderr, "bench-rtl-cycles: bad MMIO read response (status %u)\n",
                         r.status);
            std::exit(1);
        }
    }
    return {double(kCycles) / s, h.responses.size()};
}

struct Stats {
    double median, min, max;
};

Stats stats(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return {v[v.size() / 2], v.front(), v.back()};
}

} // namespace

int main(int argc, char **argv) {
    const bool figures = argc > 1 && std::strcmp(argv[1], "--figures") == 0;
    std::printf("bench-rtl-cycles: rcsim_root_port_wrap DATA_W=128 verilated --cc, C++ endpoint "
                "model, %d runs x %llu cycles\n",
                kRuns, static_cast<unsigned long long>(kCycles));
    std::printf("build: CMAKE_BUILD_TYPE=%s, CXX flags \"%s\", Verilator %s, verilator args "
                "\"%s\"\n",
                RCSIM_BUILD_TYPE, RCSIM_CXX_FLAGS, Verilated::productVersion(),
                RCSIM_VERILATOR_ARGS);
    std::vector<double> idle, mmio;
    uint64_t reads = 0;
    for (int i = 0; i < kRuns; ++i) {
        idle.push_back(idle_run().cycles_per_s);
        const Run r = mmio_run();
        mmio.push_back(r.cycles_per_s);
        reads = r.reads;
    }
    const Stats si = stats(idle), sm = stats(mmio);
    std::printf("baseline, clocked idle:          %8.3f Mcycles/s (min %.3f, max %.3f)\n",
                si.median / 1e6, si.min / 1e6, si.max / 1e6);
    std::printf("back-to-back 8-byte MMIO reads:  %8.3f Mcycles/s (min %.3f, max %.3f)\n",
                sm.median / 1e6, sm.min / 1e6, sm.max / 1e6);
    std::printf("  %llu reads per run = %.1f cycles per read, %.0f reads/s (median run)\n",
                static_cast<unsigned long long>(reads), double(kCycles) / double(reads),
                sm.median * double(reads) / double(kCycles));
    std::printf("ratio MMIO / idle: %.3f\n", sm.median / si.median);
    if (figures) {
        rcsim::bench::figure("busy_cycles_rtl_mmio", mmio, "cycles/s");
        rcsim::bench::figure("clocked_idle_cycles_rtl", idle, "cycles/s");
    }
    return 0;
}
