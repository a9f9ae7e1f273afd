// bench-rtl-bare: the honest ceiling. One harness session (dmacopy server,
// enumeration, 2000 4-byte MMIO reads, one 1 MiB message-DMA copy) runs
// with an observer that records the inputs the root port sampled on every
// edge. The same inputs are then replayed into a bare verilated model
// (RtlModel: no SystemC, no sockets, no components, no allocation on the
// hot path), whose outputs must match the harness's edge for edge, and the
// replay of the MMIO and of the DMA stretch is timed. The harness itself is
// timed on more copies and reads after the recording (observer detached).
// Both figures are simulated cycles per wall second, so "harness overhead"
// is a ratio measured in one run. --figures: machine-readable lines too.
#include "dmacopy_ring.hpp"
#include "figures.hpp"
#include "harness.hpp"
#include "rtl_model.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <sys/resource.h>
#include <vector>

namespace {

using namespace rcsim::bench;

using Clock = std::chrono::steady_clock;
constexpr int kRuns = 5, kReads = 2000;

double cpu_seconds() {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

// What identifies the root port's outputs on one edge (the payload of a
// data bus only while it is valid, as the top copies it).
uint64_t fingerprint(const rcsim::RtlOut &o) {
    uint64_t h = 0xcbf29ce484222325ull;
    auto mix = [&h](uint64_t v) { h = (h ^ v) * 0x100000001b3ull; };
    mix(uint64_t(o.hreq_ready) | uint64_t(o.hwd_ready) << 1 | uint64_t(o.hrsp_valid) << 2 |
        uint64_t(o.tx_valid) << 3 | uint64_t(o.rx_ready) << 4 | uint64_t(o.hmem_rd_valid) << 5 |
        uint64_t(o.hmem_wr_valid) << 6 | uint64_t(o.irq_valid) << 7 | uint64_t(o.idle) << 8);
    if (o.tx_valid)
        for (unsigned i = 0; i < rcsim::RtlModel::kLanes; ++i)
            mix(o.tx.lanes[i]);
    if (o.hmem_wr_valid)
        for (unsigned i = 0; i < rcsim::RtlModel::kLanes; ++i)
            mix(o.hmem_wr_data[i]);
    mix(o.hmem_rd_addr);
    mix(o.tags_in_use);
    return h;
}

// Records every edge's sampled inputs and an output fingerprint.
class Recorder : public rcsim::HarnessObserver {
  public:
    std::vector<rcsim::RtlIn> ins;
    std::vector<uint64_t> outs;
    void on_message(enum vuc_sock, bool, const struct vu_hdr &, const uint8_t *, size_t,
                    unsigned) override {}
    void on_edge(const rcsim::RtlOut &out, rcsim::RtlIn &in) override {
        ins.push_back(in);
        outs.push_back(fingerprint(out));
    }
    void on_decision(const rcsim::Decision &) override {}
};

bool reads(rcsim::Harness &h) {
    for (int i = 0; i < kReads; ++i)
        if (h.mmio_read(0, 0x20, 4).status != rcsim::HostStatus::SC)
            return false;
    return true;
}

// The edges before the observer was attached, as Harness::create drives
// them: reset held for 4 edges, one edge out of reset, one that latches the
// link settings.
void replay_create(rcsim::RtlModel &m, const rcsim::HarnessConfig &cfg) {
    rcsim::RtlIn in;
    for (int i = 0; i < 5; ++i) {
        m.drive(in, i == 4);
        m.rise(0);
        m.fall(0);
    }
    uint8_t mrrs = 0;
    while ((128u << mrrs) < cfg.mrrs && mrrs < 5)
        ++mrrs;
    in.cfg.mps_code = 0;
    in.cfg.mrrs_code = mrrs;
    in.cfg.rcb128 = cfg.rcb == 128;
    in.cfg.cpl_timeout = cfg.cpl_timeout;
    in.cfg.rp_id = cfg.rp_id;
    in.cfg_we = true;
    m.drive(in, true);
    m.rise(0);
    m.fall(0);
}

// Replays edges [from, to); with `check` compares the outputs before every
// edge with the harness's. Returns the first differing edge, or `to`.
size_t replay(rcsim::RtlModel &m, const Recorder &r, size_t from, size_t to, bool check) {
    rcsim::RtlOut out;
    for (size_t i = from; i < to; ++i) {
        m.sample(out);
        if (check && fingerprint(out) != r.outs[i])
            return i;
        m.drive(r.ins[i], true);
        m.rise(0);
        m.fall(0);
    }
    return to;
}

struct Stretch {
    size_t from, to;
};

// Edges per wall second of the bare model over `s`, after replaying what
// came before it untimed; median of kRuns fresh models.
std::vector<double> bare_rates(const Recorder &r, const rcsim::HarnessConfig &cfg, Stretch s) {
    std::vector<double> rates;
    for (int run = 0; run < kRuns; ++run) {
        rcsim::RtlModel m;
        m.settle();
        replay_create(m, cfg);
        replay(m, r, 0, s.from, false);
        const Clock::time_point t0 = Clock::now();
        replay(m, r, s.from, s.to, false);
        rates.push_back(double(s.to - s.from) / seconds_since(t0));
    }
    return rates;
}

} // namespace

int main(int argc, char **argv) {
    const bool figures = argc > 1 && strcmp(argv[1], "--figures") == 0;
    const rcsim::HarnessConfig cfg{};
    std::unique_ptr<rcsim::Harness> h;
    std::string err;
    Recorder rec;
    rec.ins.reserve(400000);
    rec.outs.reserve(400000);
    if (rcsim::Harness::create(cfg, &h, &err) < 0) {
        fprintf(stderr, "bench-rtl-bare: %s\n", err.c_str());
        return 1;
    }
    h->set_observer(&rec);
    if (h->start_server({RCSIM_SERVER_MODELS_DIR "/dmacopy"}, &err) < 0 || h->enumerate(&err) < 0) {
        fprintf(stderr, "bench-rtl-bare: %s\n", err.c_str());
        return 1;
    }
    std::vector<uint8_t> src(kBytes);
    for (size_t i = 0; i < src.size(); ++i)
        src[i] = uint8_t(i * 13 + 1);
    h->memory().write(kSrc, src.data(), src.size());
    if (h->mmio_write(0, 0x00, 4, uint32_t(kRing)) != rcsim::HostStatus::SC ||
        h->mmio_write(0, 0x08, 4, 2) != rcsim::HostStatus::SC) {
        fprintf(stderr, "bench-rtl-bare: ring setup failed\n");
        return 1;
    }
    const size_t mmio_from = rec.ins.size();
    if (!reads(*h)) {
        fprintf(stderr, "bench-rtl-bare: read failed\n%s", h->failure_report().c_str());
        return 1;
    }
    const size_t dma_from = rec.ins.size();
    unsigned copies = 0;
    if (!copy_via_rtl(*h, copies++)) {
        fprintf(stderr, "bench-rtl-bare: copy failed\n%s", h->failure_report().c_str());
        return 1;
    }
    h->set_observer(nullptr);
    const Stretch mmio_s{mmio_from, dma_from}, dma_s{dma_from, rec.ins.size()};

    std::vector<double> harness_dma, harness_mmio, harness_cpu;
    for (int run = 0; run < kRuns; ++run) {
        uint64_t c0 = h->cycles();
        Clock::time_point t0 = Clock::now();
        const double cpu0 = cpu_seconds();
        if (!copy_via_rtl(*h, copies++)) {
            fprintf(stderr, "bench-rtl-bare: copy failed\n%s", h->failure_report().c_str());
            return 1;
        }
        harness_dma.push_back(double(h->cycles() - c0) / seconds_since(t0));
        harness_cpu.push_back(seconds_since(t0) > 0 ? (cpu_seconds() - cpu0) / seconds_since(t0)
                                                    : 0);
        c0 = h->cycles();
        t0 = Clock::now();
        if (!reads(*h)) {
            fprintf(stderr, "bench-rtl-bare: read failed\n");
            return 1;
        }
        harness_mmio.push_back(double(h->cycles() - c0) / seconds_since(t0));
    }
    h->shutdown();

    // The replay must be the harness's traffic, edge for edge.
    {
        rcsim::RtlModel m;
        m.settle();
        replay_create(m, cfg);
        const size_t diverged = replay(m, rec, 0, rec.ins.size(), true);
        if (diverged != rec.ins.size()) {
            fprintf(stderr, "bench-rtl-bare: the bare model's outputs differ at edge %zu of %zu\n",
                    diverged, rec.ins.size());
            return 1;
        }
    }
    const std::vector<double> bare_dma = bare_rates(rec, cfg, dma_s);
    const std::vector<double> bare_mmio = bare_rates(rec, cfg, mmio_s);
    const double hd = median(harness_dma), bd = median(bare_dma);
    const double hm = median(harness_mmio), bm = median(bare_mmio);
    printf("bench-rtl-bare: %u-bit root port, median of %d runs; the bare model replays the "
           "harness's recorded inputs (outputs checked edge for edge)\n",
           rcsim::RtlModel::kDataWidth, kRuns);
    printf("  DMA (1 MiB copy, %zu edges): harness %10.0f cycles/s, bare model %10.0f cycles/s, "
           "ratio %.3f\n",
           dma_s.to - dma_s.from, hd, bd, hd / bd);
    printf("  MMIO (%d reads, %zu edges):  harness %10.0f cycles/s, bare model %10.0f cycles/s, "
           "ratio %.3f\n",
           kReads, mmio_s.to - mmio_s.from, hm, bm, hm / bm);
    printf("  the harness process's CPU time during a copy / its wall time: %.2f\n",
           median(harness_cpu));
    if (figures) {
        rcsim::bench::figure("busy_cycles_dma_harness", harness_dma, "cycles/s");
        rcsim::bench::figure("busy_cycles_dma_bare", bare_dma, "cycles/s");
        rcsim::bench::figure("busy_cycles_mmio_harness", harness_mmio, "cycles/s");
        rcsim::bench::figure("busy_cycles_mmio_bare", bare_mmio, "cycles/s");
    }
    return 0;
}
