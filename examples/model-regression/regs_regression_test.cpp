// A CI regression against RTL, as a device author writes it: derive from
// rcsim::HarnessFixture, name the server, talk to the device as a host
// driver would. The values are the regs model's register map
// (server-models/models/regs/regs.c).
#include <harness_fixture.hpp>

namespace {

class RegsRegression : public rcsim::HarnessFixture {
  protected:
    // The server under test; the harness appends "--socket PATH".
    std::vector<std::string> server_argv() const override { return {REGS_SERVER}; }
    // Optional: link settings, BAR window, interrupts, watchdog, waveform.
    void configure(rcsim::HarnessConfig &c) override { c.mps = 128; }
};

TEST_F(RegsRegression, IdentifiesItselfThroughConfigSpaceAndBar0) {
    // SetUp has started the server, connected and enumerated: BAR0 is live.
    EXPECT_EQ(h->cfg_read(0x00, 2).value, 0x5243u); // vendor
    EXPECT_EQ(h->enumeration().device_id, 0x0001);
    const rcsim::Access id = h->mmio_read(0, 0x0, 4);
    ASSERT_TRUE(id.ok()) << rcsim::to_string(id.status);
    EXPECT_EQ(id.value, 0x52435247u);
    EXPECT_EQ(h->mmio_read(0, 0x4, 4).value, 0x00010000u); // REVISION
}

TEST_F(RegsRegression, ScratchRegisterKeepsWhatTheHostWrote) {
    ASSERT_EQ(h->mmio_write(0, 0x180, 4, 0xcafef00d), rcsim::HostStatus::SC);
    EXPECT_EQ(h->mmio_read(0, 0x180, 4).value, 0xcafef00du);
    // Read-only ID ignores the write.
    ASSERT_EQ(h->mmio_write(0, 0x0, 4, 0), rcsim::HostStatus::SC);
    EXPECT_EQ(h->mmio_read(0, 0x0, 4).value, 0x52435247u);
    EXPECT_GT(h->cycles(), 0u);
    EXPECT_FALSE(h->has_failures()) << h->failure_report();
}

} // namespace
