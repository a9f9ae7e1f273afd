// "Identical runs" are checked on the JSONL trace (DESIGN.md): dmacopy with
// --dma-after-reply (the copy and the interrupt race the harness in wall
// time on a worker thread) gives byte-identical traces, simulated times and
// payload digests included, in 8 of 8 forked runs from one elaboration.
#include "harness.hpp"
#include "run_forker.hpp"
#include "trace_support.hpp"
#include "trace_writer.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace {

using rcsim::HostStatus;

constexpr uint64_t kRing = 0x10000000, kSrc = 0x10100000, kDst = 0x10400000;

int traced_run(rcsim::Harness &h, const std::string &path) {
    std::string err;
    std::unique_ptr<rcsim::TraceWriter> tw = rcsim::TraceWriter::open(path, &err);
    if (!tw) {
        fprintf(stderr, "%s\n", err.c_str());
        return 2;
    }
    tw->attach(h);
    if (h.start_server({RCSIM_SERVER_MODELS_DIR "/dmacopy", "--dma-after-reply"}, &err) < 0 ||
        h.enumerate(&err) < 0) {
        fprintf(stderr, "setup: %s\n%s", err.c_str(), h.failure_report().c_str());
        return 2;
    }
    std::vector<uint8_t> src(3000);
    for (size_t i = 0; i < src.size(); ++i)
        src[i] = uint8_t(i * 13 + 5);
    h.memory().write(kSrc, src.data(), src.size());
    for (unsigned i = 0; i < 2; ++i) { // src, dst, len | flags (irq on the last), record
        const uint64_t d[4] = {kSrc + 100 * i, kDst + 0x2000 * i,
                               uint64_t(1000 + 999 * i) | uint64_t(i == 1) << 32, 0};
        h.memory().write(kRing + 32 * i, d, sizeof d);
    }
    const bool ok = h.mmio_write(0, 0x00, 4, uint32_t(kRing)) == HostStatus::SC &&
                    h.mmio_write(0, 0x08, 4, 8) == HostStatus::SC &&
                    h.mmio_write(0, 0x10, 4, 2) == HostStatus::SC && h.wait_irq(0, 2000000) &&
                    h.mmio_read(0, 0x20, 4).value == 2;
    if (!ok || h.has_failures()) {
        fprintf(stderr, "run failed:\n%s", h.failure_report().c_str());
        return 3;
    }
    h.shutdown();
    return tw->close(&err) == 0 ? 0 : 4;
}

std::string slurp(const std::string &path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

TEST(TraceDeterminism, DmaAfterReplyGivesIdenticalTracesIn8Of8Runs) {
    std::unique_ptr<rcsim::Harness> h;
    std::string err;
    ASSERT_EQ(rcsim::Harness::create(rcsim::HarnessConfig{}, &h, &err), 0) << err;
    char dir[] = "/tmp/rcsim-trace-det-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    auto path_of = [&](size_t i) {
        return std::string(dir) + "/run-" + std::to_string(i) + ".jsonl";
    };
    rcsim::RunLimits limits;
    limits.wall_limit = std::chrono::milliseconds(30000);
    const std::vector<rcsim::RunResult> runs = rcsim::run_children(
        8, 2, [&](size_t i) { return traced_run(*h, path_of(i)); }, limits);
    for (size_t i = 0; i < runs.size(); ++i)
        ASSERT_TRUE(runs[i].passed()) << "run " << i << ": " << runs[i].describe() << "\n"
                                      << runs[i].output;
    const std::string first = slurp(path_of(0));
    const std::vector<trace_test::JsonPtr> recs = trace_test::read_jsonl(path_of(0));
    EXPECT_FALSE(trace_test::where(recs, {{"kind", "msg"}, {"cmd", "DMA_WRITE"}}).empty());
    EXPECT_EQ(trace_test::where(recs, {{"kind", "irq"}}).size(), 1u);
    for (size_t i = 1; i < runs.size(); ++i) {
        const std::string other = slurp(path_of(i));
        size_t line = 1, at = 0;
        while (at < first.size() && at < other.size() && first[at] == other[at])
            line += first[at++] == '\n';
        EXPECT_TRUE(other == first) << "run " << i << " parts from run 0 at line " << line;
    }
    for (size_t i = 0; i < runs.size(); ++i)
        unlink(path_of(i).c_str());
    rmdir(dir);
}

} // namespace
