// bench-topology: several devices (issue 20). For N = 1, 2, 4 and 8 regs
// devices, each on a root port of its own (root-port rp1..rpN, the
// verilated root complex of sim/fabric between the host's root port and the
// devices' bridges), MMIO round trips per second (4-byte reads of BAR0
// offset 0, the ID register, round-robin over the devices) and simulated
// cycles per wall second while doing them; beside them the classic
// single-device harness (start_server + enumerate, no fabric) doing the
// same reads, so the fabric's own cost shows. Ratios: each N against N = 1
// behind the fabric, and N = 1 behind the fabric against the classic one.
// Five rounds; each round runs every configuration once, each in a child
// forked from the one elaborated harness (fresh servers each; the order
// reversed every other round so that a drifting machine load does not
// always favour the same one), 20000 reads each after 100 untimed per
// device; medians of the five.
// --figures: also one machine-readable line per figure (bench/figures.hpp).
// Pinned to one CPU with every server (they inherit the affinity), as
// bench-harness-mmio is: one read is in flight at a time, so nothing runs
// in parallel anyway, and a round trip across the two CPUs costs what the
// idle one's wake-up costs, which would swamp the ratios.
#include "figures.hpp"
#include "harness.hpp"
#include "run_forker.hpp"
#include "topology_parser.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <sched.h>
#include <sstream>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kRounds = 5, kReads = 20000, kWarmup = 100;
constexpr uint32_t kRegsId = 0x52435247; // regs' ID register, BAR0 offset 0

struct Config {
    const char *name;
    unsigned devices;
    bool fabric; // false: the classic harness, start_server + enumerate
    const char *mmio_key, *cycles_key;
    std::vector<double> mmio, cycles;
    double start_ms = 0; // starting servers and enumerating (last run)
    // Per timed read, last run: simulated cycles, clock edges evaluated,
    // admission points and how the servers were found quiescent (every
    // device's admission summed).
    double cycles_per_read = 0, edges = 0, points = 0, announced = 0, looks = 0;
};

std::string topology_text(unsigned n) {
    std::string t;
    for (unsigned i = 1; i <= n; ++i)
        t += "root-port rp" + std::to_string(i) + "\n";
    for (unsigned i = 1; i <= n; ++i)
        t += "device d" + std::to_string(i - 1) + " on rp" + std::to_string(i) +
             " server \"" RCSIM_SERVER_MODELS_DIR "/regs\"\n";
    return t;
}

int start(rcsim::Harness &h, const Config &c, std::string *err) {
    if (!c.fabric) {
        const int rc = h.start_server({RCSIM_SERVER_MODELS_DIR "/regs"}, err);
        return rc < 0 ? rc : h.enumerate(err);
    }
    rcsim::topology::Topology t;
    rcsim::topology::TopologyError perr;
    if (rcsim::topology::parse_topology(topology_text(c.devices), "bench.topo", &t, &perr) < 0) {
        *err = "topology does not parse";
        return -1;
    }
    if (h.start_topology(t, err) < 0)
        return -1;
    if (h.devices() != c.devices) {
        *err = "started " + std::to_string(h.devices()) + " devices";
        return -1;
    }
    return 0;
}

// `count` ID reads, round-robin over the devices; false (with the harness's
// report printed) on a failed read or a wrong value.
bool reads(rcsim::Harness &h, unsigned devices, int count) {
    for (int i = 0; i < count; ++i) {
        if (devices > 1)
            h.select_device(size_t(i) % devices);
        const rcsim::Access a = h.mmio_read(0, 0, 4);
        if (a.status != rcsim::HostStatus::SC || a.value != kRegsId) {
            fprintf(stderr, "bench-topology: read %d: status %s, value 0x%llx\n%s", i,
                    rcsim::to_string(a.status), static_cast<unsigned long long>(a.value),
                    h.failure_report().c_str());
            return false;
        }
    }
    return true;
}

struct Tally {
    uint64_t edges = 0, points = 0, announced = 0, looks = 0;
};

Tally tally(rcsim::Harness &h) {
    Tally t;
    t.edges = h.counters().edges;
    for (size_t d = 0; d < h.devices(); ++d) {
        h.select_device(d);
        const rcsim::AdmissionCounters a = h.counters().admission;
        t.points += a.points;
        t.announced += a.announced;
        t.looks += a.one_look + 2 * a.two_looks;
    }
    h.select_device(0);
    return t;
}

// In the child: prints "RESULT reads/s cycles/s, then per read: cycles,
// edges, admission points, announced, /proc looks; then start_ms".
int measure(rcsim::Harness &h, const Config &c) {
    std::string err;
    const Clock::time_point s0 = Clock::now();
    if (start(h, c, &err) < 0) {
        fprintf(stderr, "bench-topology: %s: %s\n%s", c.name, err.c_str(),
                h.failure_report().c_str());
        return 1;
    }
    const double start_ms = std::chrono::duration<double, std::milli>(Clock::now() - s0).count();
    if (!reads(h, c.devices, kWarmup * int(c.devices)))
        return 1;
    const Tally k0 = tally(h);
    const uint64_t c0 = h.cycles();
    const Clock::time_point t0 = Clock::now();
    if (!reads(h, c.devices, kReads))
        return 1;
    const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
    const double cycles = double(h.cycles() - c0);
    const Tally k1 = tally(h);
    if (h.has_failures()) {
        fprintf(stderr, "bench-topology: %s\n", h.failure_report().c_str());
        return 1;
    }
    printf("RESULT %.1f %.1f %.2f %.2f %.2f %.2f %.2f %.1f\n", kReads / wall, cycles / wall,
           cycles / kReads, double(k1.edges - k0.edges) / kReads,
           double(k1.points - k0.points) / kReads, double(k1.announced - k0.announced) / kReads,
           double(k1.looks - k0.looks) / kReads, start_ms);
    fflush(stdout);
    h.shutdown();
    return 0;
}

bool collect(const rcsim::RunResult &r, Config *c) {
    const size_t at = r.output.find("RESULT ");
    if (!r.passed() || at == std::string::npos)
        return false;
    std::istringstream in(r.output.substr(at + 7));
    double mmio = 0, cycles = 0, ms = 0;
    if (!(in >> mmio >> cycles >> c->cycles_per_read >> c->edges >> c->points >> c->announced >>
          c->looks >> ms))
        return false;
    c->mmio.push_back(mmio);
    c->cycles.push_back(cycles);
    c->start_ms = ms;
    return true;
}

void print_ratio(const char *what, const Config &c, const Config &base) {
    using rcsim::bench::median;
    printf("  %-40s %10.0f round trips/s (%5.3f x)  %10.0f cycles/s (%5.3f x)\n", what,
           median(c.mmio), median(c.mmio) / median(base.mmio), median(c.cycles),
           median(c.cycles) / median(base.cycles));
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
        fprintf(stderr, "bench-topology: %s\n", err.c_str());
        return 1;
    }
    Config cs[] = {
        {"classic harness, 1 device", 1, false, "topo_mmio_classic", "topo_cycles_classic", {}, {}},
        {"fabric, 1 device", 1, true, "topo_mmio_1", "topo_cycles_1", {}, {}},
        {"fabric, 2 devices", 2, true, "topo_mmio_2", "topo_cycles_2", {}, {}},
        {"fabric, 4 devices", 4, true, "topo_mmio_4", "topo_cycles_4", {}, {}},
        {"fabric, 8 devices", 8, true, "topo_mmio_8", "topo_cycles_8", {}, {}},
    };
    constexpr size_t kConfigs = sizeof cs / sizeof cs[0];
    rcsim::RunLimits lim;
    lim.wall_limit = std::chrono::milliseconds(120000);
    for (int round = 0; round < kRounds; ++round)
        for (size_t i = 0; i < kConfigs; ++i) {
            Config &c = cs[round % 2 ? kConfigs - 1 - i : i];
            const rcsim::RunResult r =
                rcsim::run_in_child([&](size_t) { return measure(*h, c); }, 0, lim);
            if (!collect(r, &c)) {
                fprintf(stderr, "bench-topology: %s: %s\n%s", c.name, r.describe().c_str(),
                        r.output.c_str());
                return 1;
            }
        }
    printf("bench-topology: 4-byte MMIO reads of regs' ID (BAR0 + 0), round-robin over the "
           "devices, each on a root port of its own; median of %d runs x %d reads, %s\n",
           kRounds, kReads, pinned ? "harness and servers pinned to one CPU" : "not pinned");
    for (const Config &c : cs)
        printf("  %-26s %8.0f round trips/s [%.0f .. %.0f], %8.0f cycles/s;\n"
               "    per read (last run): %.1f cycles, %.1f edges evaluated, %.2f admission "
               "points, quiescent by announcement %.2f, /proc looks %.2f; started and "
               "enumerated in %.0f ms\n",
               c.name, rcsim::bench::median(c.mmio),
               *std::min_element(c.mmio.begin(), c.mmio.end()),
               *std::max_element(c.mmio.begin(), c.mmio.end()), rcsim::bench::median(c.cycles),
               c.cycles_per_read, c.edges, c.points, c.announced, c.looks, c.start_ms);
    printf("ratios (same run):\n");
    print_ratio("fabric 1 device / classic harness:", cs[1], cs[0]);
    for (size_t i = 2; i < kConfigs; ++i) {
        char what[64];
        std::snprintf(what, sizeof what, "fabric %u devices / fabric 1 device:", cs[i].devices);
        print_ratio(what, cs[i], cs[1]);
    }
    if (figures)
        for (const Config &c : cs) {
            rcsim::bench::figure(c.mmio_key, c.mmio, "round trips/s");
            rcsim::bench::figure(c.cycles_key, c.cycles, "cycles/s");
        }
    return 0;
}
