// A server that dies or goes silent mid-transaction ends in the documented
// error (sim/bridge/README.md) within the completion timeout, never a hang, and the
// failure report carries the server's fate and output.
#include "harness_fixture.hpp"

#include <csignal>
#include <thread>

namespace {

using rcsim::HostStatus;

constexpr uint32_t kCplTimeout = 20000;

void kill_and_reap(rcsim::ServerProcess *s, int sig) {
    kill(s->pid(), sig);
    for (int i = 0; i < 2000 && s->poll_exit().running(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

class ServerFailure : public rcsim::HarnessFixture {
  protected:
    std::vector<std::string> server_argv() const override {
        return {RCSIM_SERVER_MODELS_DIR "/regs"};
    }
    void configure(rcsim::HarnessConfig &c) override {
        c.cpl_timeout = kCplTimeout;
        c.admission.watchdog = std::chrono::milliseconds(300);
    }
};

TEST_F(ServerFailure, KilledMidMmioReadGivesCompleterAbort) {
    ASSERT_EQ(h->mmio_read(0, 0, 4).value, 0x52435247u);
    // Stopped before the REGION_READ goes out and killed right after it was
    // sent: the request reached the server, which never answers it.
    bool armed = true;
    h->bridge()->before_request([&](uint16_t cmd) {
        if (armed && cmd == VU_CMD_REGION_READ)
            kill(h->server()->pid(), SIGSTOP);
    });
    h->on_message_sent([&](uint16_t cmd) {
        if (armed && cmd == VU_CMD_REGION_READ) {
            armed = false;
            kill_and_reap(h->server(), SIGKILL);
        }
    });
    const uint64_t start = h->cycles();
    const rcsim::Access a = h->mmio_read(0, 0x4, 4);
    EXPECT_FALSE(armed) << "the hook fired";
    EXPECT_EQ(a.status, HostStatus::CA);
    EXPECT_EQ(a.value, 0xffffffffu);
    EXPECT_LT(h->cycles() - start, kCplTimeout) << "answered before the completion timeout";
    // The connection is gone: later accesses fail at once, the same way.
    EXPECT_EQ(h->mmio_read(0, 0x0, 4).status, HostStatus::CA);
    EXPECT_EQ(h->counters().rtl.cnt_unexp_cpl, 0u);
    ASSERT_TRUE(h->has_failures());
    const std::string report = h->failure_report();
    EXPECT_NE(report.find("killed by signal 9"), std::string::npos) << report;
    EXPECT_NE(report.find("disconnect"), std::string::npos) << report;
}

TEST_F(ServerFailure, KilledBeforeTheRequestIsSentGivesCompleterAbort) {
    bool armed = true;
    h->bridge()->before_request([&](uint16_t cmd) {
        if (armed && cmd == VU_CMD_REGION_READ) {
            armed = false;
            kill_and_reap(h->server(), SIGKILL);
        }
    });
    const uint64_t start = h->cycles();
    const rcsim::Access a = h->mmio_read(0, 0x4, 4);
    EXPECT_EQ(a.status, HostStatus::CA);
    EXPECT_LT(h->cycles() - start, kCplTimeout);
    const std::string report = h->failure_report();
    EXPECT_NE(report.find("killed by signal 9"), std::string::npos) << report;
}

TEST_F(ServerFailure, SilentServerEndsInCompletionTimeout) {
    bool armed = true;
    h->bridge()->before_request([&](uint16_t cmd) {
        if (armed && cmd == VU_CMD_REGION_READ) {
            armed = false;
            kill(h->server()->pid(), SIGSTOP);
        }
    });
    const uint64_t start = h->cycles();
    const rcsim::Access a = h->mmio_read(0, 0x0, 4);
    kill(h->server()->pid(), SIGCONT);
    EXPECT_EQ(a.status, HostStatus::Timeout);
    EXPECT_EQ(a.value, 0xffffffffu);
    const uint64_t took = h->cycles() - start;
    EXPECT_GE(took, kCplTimeout);
    EXPECT_LT(took, kCplTimeout + 1000u);
    size_t silent = 0;
    for (const rcsim::Decision &d : h->decisions())
        if (d.kind == "silent") {
            ++silent;
            ASSERT_TRUE(d.wall_waited_us.has_value());
            EXPECT_GE(*d.wall_waited_us, 250000u);
            ASSERT_FALSE(d.options.empty());
            EXPECT_NE(d.options[0].find("REGION_READ"), std::string::npos) << d.options[0];
        }
    EXPECT_EQ(silent, 1u);
    EXPECT_EQ(h->counters().bridge.abandoned, 1u);
    // The server woke up: the late reply is dropped and the next access works.
    EXPECT_EQ(h->mmio_read(0, 0x4, 4).value, 0x00010000u);
}

class DmaServerFailure : public ServerFailure {
  protected:
    std::vector<std::string> server_argv() const override {
        return {RCSIM_SERVER_MODELS_DIR "/dmacopy"};
    }
};

TEST_F(DmaServerFailure, KilledMidDmaGivesCompleterAbortAndNoStrayTlps) {
    constexpr uint64_t kRing = 0x10000000;
    const uint64_t desc[4] = {0x10100000, 0x10200000, 0x10000, 0};
    h->memory().write(kRing, desc, sizeof desc);
    ASSERT_EQ(h->mmio_write(0, 0x00, 4, uint32_t(kRing)), HostStatus::SC);
    ASSERT_EQ(h->mmio_write(0, 0x04, 4, 0), HostStatus::SC);
    ASSERT_EQ(h->mmio_write(0, 0x08, 4, 4), HostStatus::SC);
    ASSERT_EQ(h->mmio_write(0, 0x10, 4, 1), HostStatus::SC); // doorbell: DMA inside it
    const uint64_t reads_before = h->counters().bridge.dma_reads;
    for (int i = 0; i < 100000 && h->counters().bridge.dma_reads < reads_before + 2; ++i)
        h->run_cycles(1);
    ASSERT_GE(h->counters().bridge.dma_reads, reads_before + 2) << "copy under way";
    kill_and_reap(h->server(), SIGKILL);
    const uint64_t start = h->cycles();
    const rcsim::Access a = h->mmio_read(0, 0x18, 4);
    EXPECT_EQ(a.status, HostStatus::CA);
    EXPECT_LT(h->cycles() - start, kCplTimeout);
    EXPECT_TRUE(h->drain(200000)) << "nothing left hanging";
    const rcsim::HarnessCounters k = h->counters();
    EXPECT_EQ(k.rtl.cnt_unexp_cpl, 0u);
    EXPECT_EQ(k.rtl.cnt_malformed, 0u);
    EXPECT_GE(k.bridge.mmio_write_errors, 1u) << "the doorbell never got its reply";
    const std::string report = h->failure_report();
    EXPECT_NE(report.find("killed by signal 9"), std::string::npos) << report;
}

} // namespace
