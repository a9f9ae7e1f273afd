// bench-harness-mmio: MMIO round trips per second through the whole stack
// (host port -> verilated root port -> bridge -> vfio-user client -> regs
// server and back, with an admission point per round trip) beside the
// client library alone (blocking REGION_READ) on the same connection to the
// same server, for two servers: regs announcing idle (the admission point
// believes it, sim/sched/README.md "Idle announcement") and regs with the
// announcement off (`--no-idle-announce`: the /proc proof, one look since
// regs has one thread). Five rounds; each round runs each variant once, in
// a child forked from the one elaborated harness (a fresh server each),
// 2000 reads each way; medians of the five.
// --figures: also one machine-readable line per figure (bench/figures.hpp).
// The harness and its server (which inherits the affinity) run on one CPU,
// as bench-client-region-read does: a round trip across two CPUs costs
// 6 us or 65 us on this machine depending on whether the other CPU is idle
// (its wake-up), which swamps both figures and their ratio.
#include "figures.hpp"
#include "harness.hpp"
#include "run_forker.hpp"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <sched.h>
#include <sstream>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kRounds = 5, kReads = 2000;

struct Variant {
    const char *name;
    std::vector<std::string> argv;
    std::vector<double> stack, client;
    unsigned long long cycles = 0, points = 0, announced = 0, one_look = 0, two_looks = 0;
    double proof_us = 0;
};

// In the child: prints "RESULT stack/s client/s cycles points announced
// one_look two_looks quiescence_us_per_wait".
int measure(rcsim::Harness &h, const std::vector<std::string> &argv) {
    std::string err;
    if (h.start_server(argv, &err) < 0 || h.enumerate(&err) < 0) {
        fprintf(stderr, "bench-harness-mmio: %s\n", err.c_str());
        return 1;
    }
    const rcsim::HarnessCounters k0 = h.counters();
    const uint64_t c0 = h.cycles();
    Clock::time_point t0 = Clock::now();
    for (int i = 0; i < kReads; ++i)
        if (h.mmio_read(0, 0x100, 4).status != rcsim::HostStatus::SC) {
            fprintf(stderr, "bench-harness-mmio: read failed\n%s", h.failure_report().c_str());
            return 1;
        }
    const double stack = kReads / std::chrono::duration<double>(Clock::now() - t0).count();
    const uint64_t cycles = (h.cycles() - c0) / kReads;
    const rcsim::AdmissionCounters a = h.counters().admission, a0 = k0.admission;
    uint8_t buf[4];
    t0 = Clock::now();
    for (int i = 0; i < kReads; ++i)
        if (vuc_region_read(h.client(), 0, 0x100, buf, 4) < 0) {
            fprintf(stderr, "bench-harness-mmio: client read failed\n");
            return 1;
        }
    const double client = kReads / std::chrono::duration<double>(Clock::now() - t0).count();
    const uint64_t waits = a.quiescence_waits - a0.quiescence_waits;
    printf("RESULT %.1f %.1f %llu %llu %llu %llu %llu %.2f\n", stack, client,
           static_cast<unsigned long long>(cycles),
           static_cast<unsigned long long>(a.points - a0.points),
           static_cast<unsigned long long>(a.announced - a0.announced),
           static_cast<unsigned long long>(a.one_look - a0.one_look),
           static_cast<unsigned long long>(a.two_looks - a0.two_looks),
           waits ? double(a.quiescence_wall_us - a0.quiescence_wall_us) / double(waits) : 0.0);
    fflush(stdout);
    h.shutdown();
    return 0;
}

bool collect(const rcsim::RunResult &r, Variant *v) {
    const size_t at = r.output.find("RESULT ");
    if (!r.passed() || at == std::string::npos)
        return false;
    std::istringstream in(r.output.substr(at + 7));
    double s = 0, c = 0, us = 0;
    unsigned long long cyc = 0, pts = 0, ann = 0, one = 0, two = 0;
    if (!(in >> s >> c >> cyc >> pts >> ann >> one >> two >> us))
        return false;
    v->stack.push_back(s);
    v->client.push_back(c);
    v->cycles = cyc;
    v->points += pts;
    v->announced += ann;
    v->one_look += one;
    v->two_looks += two;
    v->proof_us = us;
    return true;
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
    if (rcsim::Harness::create(rcsim::HarnessConfig{}, &h, &err) < 0) {
        fprintf(stderr, "bench-harness-mmio: %s\n", err.c_str());
        return 1;
    }
    const std::string regs = RCSIM_SERVER_MODELS_DIR "/regs";
    Variant vs[] = {{"regs announcing idle", {regs}, {}, {}},
                    {"regs, announcement off (/proc)", {regs, "--no-idle-announce"}, {}, {}}};
    rcsim::RunLimits lim;
    lim.wall_limit = std::chrono::milliseconds(120000);
    for (int round = 0; round < kRounds; ++round)
        for (Variant &v : vs) {
            const rcsim::RunResult r =
                rcsim::run_in_child([&](size_t) { return measure(*h, v.argv); }, 0, lim);
            if (!collect(r, &v)) {
                fprintf(stderr, "bench-harness-mmio: %s: %s\n%s", v.name, r.describe().c_str(),
                        r.output.c_str());
                return 1;
            }
        }
    printf("bench-harness-mmio: 4-byte MMIO reads, median of %d runs x %d reads, %s\n", kRounds,
           kReads, pinned ? "harness and server pinned to one CPU" : "not pinned");
    for (const Variant &v : vs) {
        const double s = rcsim::bench::median(v.stack), c = rcsim::bench::median(v.client);
        printf("  %s:\n", v.name);
        printf("    whole stack (RTL + bridge + client + server): %10.0f round trips/s (%llu "
               "cycles each)\n",
               s, v.cycles);
        printf("    client library alone, same server:            %10.0f round trips/s\n", c);
        printf("    ratio whole stack / client alone:             %10.3f\n", s / c);
        printf("    admission: %llu points; quiescent by announcement %llu, one look %llu, two "
               "looks %llu; /proc %.1f us per wait (last run)\n",
               v.points, v.announced, v.one_look, v.two_looks, v.proof_us);
    }
    if (figures) {
        rcsim::bench::figure("mmio_stack", vs[0].stack, "round trips/s");
        rcsim::bench::figure("mmio_client", vs[0].client, "round trips/s");
        rcsim::bench::figure("mmio_stack_proc", vs[1].stack, "round trips/s");
        rcsim::bench::figure("mmio_client_proc", vs[1].client, "round trips/s");
    }
    return 0;
}
