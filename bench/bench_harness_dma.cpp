// bench-harness-dma: dmacopy message-DMA throughput through the RTL (each
// DMA_READ/DMA_WRITE split into MemRd/MemWr TLPs, host memory behind the
// root port's memory port) beside the client library alone serving the same
// copy from a plain buffer (a second dmacopy process, no RTL), same run.
// Copies of 1 MiB, median of 5. Then the simulated clock: cycles/s while
// the copy streams (busy) beside simulated cycles per wall second while
// idle (waits of 10^5 cycles with nothing in flight: edges skipped).
// --figures: also one machine-readable line per figure (bench/figures.hpp).
#include "dmacopy_ring.hpp"
#include "figures.hpp"
#include "harness.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <unistd.h>
#include <vector>

namespace {

using namespace rcsim::bench;

using Clock = std::chrono::steady_clock;
constexpr int kRuns = 5;

int client_only(std::vector<double> *out) {
    std::unique_ptr<rcsim::ServerProcess> srv;
    std::string err;
    const std::string sock = "/tmp/rcsim-bench-dma-" + std::to_string(getpid()) + ".sock";
    rcsim::ServerSpec spec;
    spec.argv = {RCSIM_SERVER_MODELS_DIR "/dmacopy", "--socket", sock};
    if (rcsim::ServerProcess::start(spec, &srv, &err) < 0 ||
        srv->wait_listening(sock, std::chrono::milliseconds(5000), &err) < 0) {
        fprintf(stderr, "bench-harness-dma: %s\n", err.c_str());
        return -1;
    }
    vuc_ctx *ctx = vuc_create(nullptr);
    std::vector<uint8_t> mem(kSize, 0);
    if (vuc_connect(ctx, sock.c_str()) < 0 || vuc_negotiate(ctx) < 0 ||
        vuc_dma_map(ctx, kBase, kSize, VU_DMA_MAP_F_READ | VU_DMA_MAP_F_WRITE, mem.data(), -1, 0) <
            0) {
        fprintf(stderr, "bench-harness-dma: client setup failed\n");
        vuc_destroy(ctx);
        return -1;
    }
    const uint32_t ring_lo = uint32_t(kRing), size = 2;
    vuc_region_write(ctx, 0, 0x00, &ring_lo, 4);
    vuc_region_write(ctx, 0, 0x08, &size, 4);
    for (int run = 0; run < kRuns; ++run) {
        const unsigned slot = unsigned(run) % 2;
        descriptor(&mem[kRing - kBase + 32 * slot], kSrc, kDst, kBytes);
        const uint32_t head = (slot + 1) % 2;
        const Clock::time_point t0 = Clock::now();
        if (vuc_region_write(ctx, 0, 0x10, &head, 4) < 0) {
            fprintf(stderr, "bench-harness-dma: client doorbell failed\n");
            vuc_destroy(ctx);
            return -1;
        }
        out->push_back(kBytes / 1e6 / std::chrono::duration<double>(Clock::now() - t0).count());
    }
    vuc_destroy(ctx);
    srv->stop();
    return 0;
}

} // namespace

// Simulated cycles per wall second of waits on an idle harness, the way a
// test waits (run_cycles), median of kRuns runs of 2000 waits.
std::vector<double> idle_rates(rcsim::Harness &h) {
    std::vector<double> out;
    constexpr uint64_t kWait = 100000;
    for (int run = 0; run < kRuns; ++run) {
        const uint64_t c0 = h.cycles();
        const Clock::time_point t0 = Clock::now();
        for (int i = 0; i < 2000; ++i)
            h.run_cycles(kWait);
        out.push_back(double(h.cycles() - c0) /
                      std::chrono::duration<double>(Clock::now() - t0).count());
    }
    return out;
}

int main(int argc, char **argv) {
    const bool figures = argc > 1 && strcmp(argv[1], "--figures") == 0;
    std::unique_ptr<rcsim::Harness> h;
    std::string err;
    if (rcsim::Harness::create(rcsim::HarnessConfig{}, &h, &err) < 0 ||
        h->start_server({RCSIM_SERVER_MODELS_DIR "/dmacopy"}, &err) < 0 || h->enumerate(&err) < 0) {
        fprintf(stderr, "bench-harness-dma: %s\n", err.c_str());
        return 1;
    }
    std::vector<uint8_t> src(kBytes);
    for (size_t i = 0; i < src.size(); ++i)
        src[i] = uint8_t(i * 13 + 1);
    h->memory().write(kSrc, src.data(), src.size());
    if (h->mmio_write(0, 0x00, 4, uint32_t(kRing)) != rcsim::HostStatus::SC ||
        h->mmio_write(0, 0x08, 4, 2) != rcsim::HostStatus::SC) {
        fprintf(stderr, "bench-harness-dma: ring setup failed\n");
        return 1;
    }
    std::vector<double> rtl, client, busy;
    uint64_t cycles = 0;
    for (int run = 0; run < kRuns; ++run) {
        const uint64_t c0 = h->cycles();
        const Clock::time_point t0 = Clock::now();
        if (!copy_via_rtl(*h, unsigned(run))) {
            fprintf(stderr, "bench-harness-dma: copy failed\n%s", h->failure_report().c_str());
            return 1;
        }
        const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
        rtl.push_back(kBytes / 1e6 / secs);
        cycles = h->cycles() - c0;
        busy.push_back(double(cycles) / secs);
    }
    if (h->memory().compare(kDst, src.data(), src.size())) {
        fprintf(stderr, "bench-harness-dma: copied data differs\n");
        return 1;
    }
    const std::vector<double> idle = idle_rates(*h);
    h->shutdown();
    if (client_only(&client) < 0)
        return 1;
    const double r = median(rtl), c = median(client);
    printf("bench-harness-dma: dmacopy of %u KiB by message DMA, median of %d runs\n", kBytes >> 10,
           kRuns);
    printf("  through the RTL (MPS 256, MRRS 512, %u-bit):  %9.2f MB/s (%llu cycles per copy)\n",
           rcsim::HarnessTop::kDataWidth, r, static_cast<unsigned long long>(cycles));
    printf("  client library alone (no RTL):                 %9.2f MB/s\n", c);
    printf("  ratio RTL / client alone:                      %9.3f\n", r / c);
    printf("  simulated clock through the RTL (busy):        %9.0f cycles/s\n", median(busy));
    printf("  simulated clock idle (waits, edges skipped):   %9.0f cycles/s (%.0fx busy)\n",
           median(idle), median(idle) / median(busy));
    if (figures) {
        rcsim::bench::figure("dma_rtl", rtl, "MB/s");
        rcsim::bench::figure("dma_rtl_client", client, "MB/s");
        rcsim::bench::figure("busy_cycles_dma", busy, "cycles/s");
        rcsim::bench::figure("idle_cycles", idle, "cycles/s");
    }
    return 0;
}
