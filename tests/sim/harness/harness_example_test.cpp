// How to write a CI regression against RTL with rcsim: derive from
// rcsim::HarnessFixture, name the server, and talk to the device as a host
// driver would. Each TEST_F runs in its own process (gtest_discover_tests),
// since SystemC elaborates once per process.
#include "harness_fixture.hpp"
#include "server_process.hpp"

#include <cstdio>
#include <sys/stat.h>
#include <unistd.h>

namespace {

using rcsim::HostStatus;

class RegsExample : public rcsim::HarnessFixture {
  protected:
    // The server under test; "--socket PATH" is appended by the harness.
    std::vector<std::string> server_argv() const override {
        return {RCSIM_SERVER_MODELS_DIR "/regs"};
    }
    // Optional: link settings, BAR window, interrupts, watchdog, waveform.
    void configure(rcsim::HarnessConfig &c) override { c.mps = 128; }
};

TEST_F(RegsExample, ScratchRegisterKeepsWhatTheHostWrote) {
    // SetUp has started the server, connected and enumerated: BAR0 is live.
    ASSERT_EQ(h->mmio_write(0, 0x180, 4, 0xcafef00d), HostStatus::SC);
    const rcsim::Access a = h->mmio_read(0, 0x180, 4);
    ASSERT_TRUE(a.ok()) << rcsim::to_string(a.status);
    EXPECT_EQ(a.value, 0xcafef00du);
    // Config space goes through CfgRd/CfgWr TLPs too.
    EXPECT_EQ(h->cfg_read(0x00, 2).value, 0x5243u);
    // Simulated time and the decision log are there to inspect.
    EXPECT_GT(h->cycles(), 0u);
    EXPECT_FALSE(h->decisions().empty());
    EXPECT_FALSE(h->has_failures()) << h->failure_report();
}

// The same fixture against a server somebody else started: connect to its
// socket (RCSIM_HARNESS_SOCKET does the same from the environment); its PID
// for the quiescence checks comes from SO_PEERCRED.
class OutsideServer : public rcsim::HarnessFixture {
  protected:
    void SetUp() override {
        dir_ = "/tmp/rcsim-outside-" + std::to_string(getpid());
        mkdir(dir_.c_str(), 0700);
        rcsim::ServerSpec spec;
        spec.argv = {RCSIM_SERVER_MODELS_DIR "/regs", "--socket", dir_ + "/s"};
        std::string err;
        ASSERT_EQ(rcsim::ServerProcess::start(spec, &server_, &err), 0) << err;
        ASSERT_EQ(server_->wait_listening(dir_ + "/s", std::chrono::milliseconds(5000), &err), 0)
            << err;
        HarnessFixture::SetUp();
    }
    void TearDown() override {
        HarnessFixture::TearDown();
        server_->stop();
        unlink((dir_ + "/s").c_str());
        rmdir(dir_.c_str());
    }
    std::vector<std::string> server_argv() const override { return {}; }
    std::string socket_to_connect() const override { return dir_ + "/s"; }

    std::string dir_;
    std::unique_ptr<rcsim::ServerProcess> server_;
};

TEST_F(OutsideServer, ConnectsEnumeratesAndInspectsThePeer) {
    EXPECT_EQ(h->server(), nullptr) << "the harness started nothing";
    EXPECT_EQ(h->enumeration().device_id, 0x0001);
    EXPECT_EQ(h->mmio_read(0, 0x0, 4).value, 0x52435247u);
    EXPECT_GT(h->counters().admission.quiescence_waits, 0u) << "PID from SO_PEERCRED";
    EXPECT_EQ(h->counters().admission.settles, 0u);
}

// A server that cannot be inspected is admitted after logged settle periods.
class SettledServer : public RegsExample {
  protected:
    void configure(rcsim::HarnessConfig &c) override {
        c.inspect_server = false;
        c.admission.settle = std::chrono::microseconds(1000);
    }
};

TEST_F(SettledServer, EveryAdmissionFollowsALoggedSettlePeriod) {
    EXPECT_EQ(h->mmio_read(0, 0x4, 4).value, 0x00010000u);
    const rcsim::HarnessCounters k = h->counters();
    EXPECT_EQ(k.admission.quiescence_waits, 0u);
    EXPECT_GT(k.admission.settles, 0u);
    size_t settles = 0;
    for (const rcsim::Decision &d : h->decisions())
        if (d.kind == "settle") {
            ++settles;
            EXPECT_EQ(d.wall_waited_us.value_or(0), 1000u);
        }
    EXPECT_EQ(settles, k.admission.settles);
}

// An uninspectable server is also looked at every 1024 cycles, so an idle
// wait costs a few edges' worth of polls rather than none, and still ends.
TEST_F(SettledServer, IdleWaitsPollTheServerPeriodically) {
    const uint64_t points = h->counters().admission.points;
    h->run_cycles(100000);
    EXPECT_GE(h->counters().admission.points - points, 90u);
    EXPECT_LT(h->counters().edges, 20000u) << "idle stretches are still skipped";
    EXPECT_EQ(h->mmio_read(0, 0x0, 4).value, 0x52435247u);
}

// The waveform: every RTL signal plus the annotation ports, in Verilator's FST.
class TracedRegs : public RegsExample {
  protected:
    void configure(rcsim::HarnessConfig &c) override {
        path_ = "/tmp/rcsim-example-" + std::to_string(getpid()) + ".fst";
        c.fst_path = path_;
    }
    std::string path_;
};

TEST_F(TracedRegs, WritesAnFstWithTheAnnotationPorts) {
    EXPECT_EQ(h->mmio_read(0, 0x0, 4).value, 0x52435247u);
    h->shutdown();
    h.reset(); // closes the FST
    const std::string cmd = "fst2vcd -f " + path_ + " 2>/dev/null";
    FILE *p = popen(cmd.c_str(), "r");
    ASSERT_NE(p, nullptr);
    std::string vcd;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0)
        vcd.append(buf, n);
    pclose(p);
    unlink(path_.c_str());
    EXPECT_NE(vcd.find("ann_msg_cmd"), std::string::npos);
    EXPECT_NE(vcd.find("tx_valid"), std::string::npos);
    EXPECT_NE(vcd.find("ann_decision"), std::string::npos);
}

} // namespace
