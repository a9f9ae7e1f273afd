// bench-trace: what tracing costs. 4-byte MMIO reads through the whole stack
// (regs server) untraced beside the same reads with the JSONL trace writer
// attached, alternating in the same run on the same connection (median of
// 5 runs of 2000 reads each); then, since the FST must be opened before the
// first clock edge, a second process (this program with --fst) does the same
// with the FST on as well. Trace files go to /tmp and are removed.
#include "harness.hpp"
#include "trace_writer.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kRuns = 5, kReads = 2000;

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

// Round trips per second of kReads reads, or a negative value on failure.
double reads_per_second(rcsim::Harness &h) {
    const Clock::time_point t0 = Clock::now();
    for (int i = 0; i < kReads; ++i)
        if (h.mmio_read(0, 0x100, 4).status != rcsim::HostStatus::SC)
            return -1;
    return kReads / std::chrono::duration<double>(Clock::now() - t0).count();
}

long long file_size(const std::string &path) {
    struct stat st;
    return stat(path.c_str(), &st) == 0 ? static_cast<long long>(st.st_size) : -1;
}

int setup(rcsim::Harness **out, std::unique_ptr<rcsim::Harness> *h, const std::string &fst) {
    rcsim::HarnessConfig cfg;
    cfg.fst_path = fst;
    std::string err;
    if (rcsim::Harness::create(cfg, h, &err) < 0 ||
        (*h)->start_server({RCSIM_SERVER_MODELS_DIR "/regs"}, &err) < 0 ||
        (*h)->enumerate(&err) < 0) {
        fprintf(stderr, "bench-trace: %s\n", err.c_str());
        return 1;
    }
    *out = h->get();
    return 0;
}

// Child: reads with FST and JSONL both on; prints "rate fst_bytes".
int fst_child() {
    const std::string base = "/tmp/bench-trace-" + std::to_string(getpid());
    std::unique_ptr<rcsim::Harness> owner;
    rcsim::Harness *h = nullptr;
    if (setup(&h, &owner, base + ".fst"))
        return 1;
    std::string err;
    std::unique_ptr<rcsim::TraceWriter> tw = rcsim::TraceWriter::open(base + ".jsonl", &err);
    if (!tw)
        return 1;
    tw->attach(*h);
    std::vector<double> r;
    for (int run = 0; run < kRuns; ++run)
        r.push_back(reads_per_second(*h));
    tw->close(&err);
    h->shutdown();
    owner.reset(); // closes the FST
    printf("%f %lld\n", median(r), file_size(base + ".fst"));
    unlink((base + ".fst").c_str());
    unlink((base + ".jsonl").c_str());
    return 0;
}

} // namespace

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--fst") == 0)
        return fst_child();
    std::unique_ptr<rcsim::Harness> owner;
    rcsim::Harness *h = nullptr;
    if (setup(&h, &owner, ""))
        return 1;
    const std::string jsonl = "/tmp/bench-trace-" + std::to_string(getpid()) + ".jsonl";
    std::string err;
    std::unique_ptr<rcsim::TraceWriter> tw = rcsim::TraceWriter::open(jsonl, &err);
    if (!tw) {
        fprintf(stderr, "bench-trace: %s\n", err.c_str());
        return 1;
    }
    std::vector<double> plain, traced;
    for (int run = 0; run < kRuns; ++run) {
        plain.push_back(reads_per_second(*h));
        tw->attach(*h);
        traced.push_back(reads_per_second(*h));
        tw->detach();
    }
    const uint64_t records = tw->counters().records;
    tw->close(&err);
    const long long bytes = file_size(jsonl);
    unlink(jsonl.c_str());
    h->shutdown();
    if (*std::min_element(plain.begin(), plain.end()) < 0 ||
        *std::min_element(traced.begin(), traced.end()) < 0) {
        fprintf(stderr, "bench-trace: a read failed\n%s", h->failure_report().c_str());
        return 1;
    }
    double with_fst = 0;
    long long fst_bytes = 0;
    FILE *p = popen((std::string(argv[0]) + " --fst").c_str(), "r");
    if (!p || fscanf(p, "%lf %lld", &with_fst, &fst_bytes) != 2)
        with_fst = 0;
    if (p)
        pclose(p);

    const double u = median(plain), t = median(traced);
    const double reads = double(kRuns) * kReads;
    printf("bench-trace: 4-byte MMIO reads (regs), median of %d runs x %d reads\n", kRuns, kReads);
    printf("  untraced (baseline):            %10.0f round trips/s\n", u);
    printf("  JSONL trace on:                 %10.0f round trips/s  ratio %.3f\n", t, t / u);
    if (with_fst > 0)
        printf("  JSONL trace + FST on (2nd run): %10.0f round trips/s  ratio %.3f\n", with_fst,
               with_fst / u);
    else
        printf("  JSONL trace + FST on: the --fst child failed\n");
    printf("  JSONL: %.1f records, %.0f bytes per read; FST: %.0f bytes per read\n",
           double(records) / reads, double(bytes) / reads, double(fst_bytes) / reads);
    return 0;
}
