// dmacopy with --dma-after-reply (the copy runs on a worker thread after the
// doorbell's reply, so DMA and interrupts race the harness in wall time)
// gives the same decision log, simulated times included, in 20 runs out of
// 20: arrivals enter only at admission points, at quiescence. One
// elaboration in this process, one forked child per run (run_forker).
#include "harness.hpp"
#include "run_forker.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace {

using rcsim::HostStatus;

constexpr uint64_t kRing = 0x10000000, kSrc = 0x10100000, kDst = 0x10400000, kRec = 0x10800000;

int one_run(rcsim::Harness &h, const std::string &log) {
    std::string err;
    h.set_decision_log(log);
    if (h.start_server({RCSIM_SERVER_MODELS_DIR "/dmacopy", "--dma-after-reply"}, &err) < 0 ||
        h.enumerate(&err) < 0) {
        fprintf(stderr, "setup: %s\n%s", err.c_str(), h.failure_report().c_str());
        return 2;
    }
    const uint32_t lens[3] = {5000, 1, 300};
    std::vector<uint8_t> src(8192);
    for (size_t i = 0; i < src.size(); ++i)
        src[i] = uint8_t(i * 7 + 3);
    h.memory().write(kSrc, src.data(), src.size());
    for (unsigned i = 0; i < 3; ++i) {
        const uint64_t d[4] = {kSrc + 17 * i, kDst + 0x2000 * i, lens[i] | uint64_t(i == 2) << 32,
                               kRec + 16 * i};
        h.memory().write(kRing + 32 * i, d, sizeof d);
    }
    bool ok = h.mmio_write(0, 0x00, 4, uint32_t(kRing)) == HostStatus::SC &&
              h.mmio_write(0, 0x08, 4, 8) == HostStatus::SC &&
              h.mmio_write(0, 0x10, 4, 3) == HostStatus::SC && h.wait_irq(0, 2000000) &&
              h.mmio_read(0, 0x20, 4).value == 3;
    for (unsigned i = 0; i < 3 && ok; ++i)
        ok = !h.memory().compare(kDst + 0x2000 * i, src.data() + 17 * i, lens[i]);
    if (!ok || h.has_failures()) {
        fprintf(stderr, "run failed:\n%s", h.failure_report().c_str());
        return 3;
    }
    h.shutdown();
    return 0;
}

TEST(HarnessDeterminism, DmaAfterReplyGivesTheSameDecisionLogIn20Of20Runs) {
    std::unique_ptr<rcsim::Harness> h;
    std::string err;
    ASSERT_EQ(rcsim::Harness::create(rcsim::HarnessConfig{}, &h, &err), 0) << err;
    char dir[] = "/tmp/rcsim-determinism-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    auto log_of = [&](size_t i) {
        return std::string(dir) + "/run-" + std::to_string(i) + ".jsonl";
    };
    rcsim::RunLimits limits;
    limits.wall_limit = std::chrono::milliseconds(30000);
    const std::vector<rcsim::RunResult> runs = rcsim::run_children(
        20, 2, [&](size_t i) { return one_run(*h, log_of(i)); }, limits);
    for (size_t i = 0; i < runs.size(); ++i)
        ASSERT_TRUE(runs[i].passed()) << "run " << i << ": " << runs[i].describe() << "\n"
                                      << runs[i].output;

    rcsim::DecisionLog first;
    ASSERT_EQ(rcsim::read_decision_log(log_of(0), &first, &err), 0) << err;
    size_t dma = 0, irq = 0;
    for (const rcsim::Decision &d : first.decisions) {
        dma += d.chosen.find("DMA_READ") != std::string::npos;
        irq += d.chosen.find("irq msix") != std::string::npos;
    }
    EXPECT_GE(dma, 4u) << "descriptors and sources were read by DMA";
    EXPECT_EQ(irq, 1u);
    for (size_t i = 1; i < runs.size(); ++i) {
        rcsim::DecisionLog other;
        ASSERT_EQ(rcsim::read_decision_log(log_of(i), &other, &err), 0) << err;
        EXPECT_TRUE(rcsim::header_mismatches(first.header, other.header).empty()) << "run " << i;
        const std::optional<rcsim::Divergence> div =
            rcsim::first_divergence(first.decisions, other.decisions);
        EXPECT_FALSE(div.has_value())
            << "run " << i << " parts at decision " << div->index << ": " << div->what;
    }
    if (std::getenv("RCSIM_KEEP_LOGS")) {
        printf("logs kept in %s\n", dir);
        return;
    }
    for (size_t i = 0; i < runs.size(); ++i)
        std::remove(log_of(i).c_str());
    rmdir(dir);
}

// The #279 crossing on the main socket (see harness_dmacopy_test.cpp) is
// repeatable too: same admissions, same silent decision at the same
// simulated time, in 10 of 10 runs.
int race_run(rcsim::Harness &h, const std::string &log) {
    std::string err;
    h.set_decision_log(log);
    if (h.start_server({RCSIM_SERVER_MODELS_DIR "/dmacopy", "--legacy-socket"}, &err) < 0 ||
        h.enumerate(&err) < 0) {
        fprintf(stderr, "setup: %s\n", err.c_str());
        return 2;
    }
    const uint64_t d[4] = {kSrc, kDst, 64, 0};
    h.memory().write(kRing, d, sizeof d);
    const bool ok = h.mmio_write(0, 0x00, 4, uint32_t(kRing)) == HostStatus::SC &&
                    h.mmio_write(0, 0x08, 4, 4) == HostStatus::SC &&
                    h.mmio_write(0, 0x10, 4, 1) == HostStatus::SC &&
                    h.mmio_read(0, 0x18, 4).status == HostStatus::Timeout;
    h.shutdown();
    return ok ? 0 : 3;
}

TEST(HarnessDeterminism, Race279OnTheMainSocketIsRepeatable) {
    rcsim::HarnessConfig cfg;
    cfg.cpl_timeout = 20000;
    cfg.admission.watchdog = std::chrono::milliseconds(200);
    std::unique_ptr<rcsim::Harness> h;
    std::string err;
    ASSERT_EQ(rcsim::Harness::create(cfg, &h, &err), 0) << err;
    char dir[] = "/tmp/rcsim-determinism-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    auto log_of = [&](size_t i) {
        return std::string(dir) + "/race-" + std::to_string(i) + ".jsonl";
    };
    const std::vector<rcsim::RunResult> runs = rcsim::run_children(
        10, 2, [&](size_t i) { return race_run(*h, log_of(i)); }, rcsim::RunLimits{});
    for (size_t i = 0; i < runs.size(); ++i)
        ASSERT_TRUE(runs[i].passed()) << "run " << i << ": " << runs[i].describe() << "\n"
                                      << runs[i].output;
    rcsim::DecisionLog first;
    ASSERT_EQ(rcsim::read_decision_log(log_of(0), &first, &err), 0) << err;
    size_t silent = 0;
    for (const rcsim::Decision &d : first.decisions)
        silent += d.kind == "silent";
    EXPECT_EQ(silent, 1u);
    for (size_t i = 1; i < runs.size(); ++i) {
        rcsim::DecisionLog other;
        ASSERT_EQ(rcsim::read_decision_log(log_of(i), &other, &err), 0) << err;
        const std::optional<rcsim::Divergence> div =
            rcsim::first_divergence(first.decisions, other.decisions);
        EXPECT_FALSE(div.has_value())
            << "run " << i << " parts at decision " << div->index << ": " << div->what;
    }
    for (size_t i = 0; i < runs.size(); ++i)
        std::remove(log_of(i).c_str());
    rmdir(dir);
}

} // namespace
