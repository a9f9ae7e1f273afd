// Enumeration of a device shaped like libvfio-user's gpio sample (I/O BAR,
// no capabilities, INTx): its I/O BAR2 is assigned from the I/O window and
// its registers (server-models/README.md, "gpio") are read and written
// through IORd/IOWr TLPs.
#include "harness_fixture.hpp"

#include <cerrno>

namespace {

using rcsim::HostStatus;

class Gpio : public rcsim::HarnessFixture {
  protected:
    std::vector<std::string> server_argv() const override {
        return {RCSIM_SERVER_MODELS_DIR "/gpio"};
    }
};

TEST_F(Gpio, IoBarIsAssignedFromTheIoWindowAndIntxIsChosen) {
    const rcsim::Enumeration &e = h->enumeration();
    EXPECT_EQ(e.vendor_id, 0x494f);
    EXPECT_EQ(e.device_id, 0x0dc8);
    EXPECT_TRUE(e.bars[2].io);
    EXPECT_EQ(e.bars[2].size, 0x100u);
    EXPECT_TRUE(e.bars[2].present);
    EXPECT_EQ(e.bars[2].base, 0x1000u) << "first I/O BAR at the default window base";
    for (unsigned i : {0u, 1u, 3u, 4u, 5u})
        EXPECT_FALSE(e.bars[i].present) << "BAR" << i;
    EXPECT_TRUE(e.notes.empty());
    // BAR2 register: the assigned address with bit 0 (I/O space indicator).
    EXPECT_EQ(h->cfg_read(0x18, 4).value, 0x00001001u);
    // Command: I/O Space (bit 0), Memory Space (1), Bus Master (2); INTx
    // stays enabled (bit 10 clear).
    EXPECT_EQ(h->cfg_read(0x04, 2).value, 0x0007u);
    EXPECT_EQ(e.pcie_cap, 0u);
    EXPECT_EQ(e.mps, 128u) << "no PCIe capability: the default MPS";
    EXPECT_EQ(e.irq_mode, rcsim::IrqMode::Intx);
    EXPECT_FALSE(h->has_failures()) << h->failure_report();
}

TEST_F(Gpio, Bar2RegistersThroughIoReadsAndWrites) {
    // Every pin counter starts at 0, a multiple of 3: inputs read all high.
    rcsim::Access a = h->mmio_read(2, 0x1, 1);
    ASSERT_EQ(a.status, HostStatus::SC);
    EXPECT_EQ(a.value, 0xffu);
    // One write of bit 0 at 0x0 bumps pin 0 to 1: input bit 0 drops.
    EXPECT_EQ(h->mmio_write(2, 0x0, 1, 0x01), HostStatus::SC);
    EXPECT_EQ(h->mmio_read(2, 0x1, 1).value, 0xfeu);
    // Two more make it 3: high again.
    EXPECT_EQ(h->mmio_write(2, 0x0, 1, 0x01), HostStatus::SC);
    EXPECT_EQ(h->mmio_write(2, 0x0, 1, 0x01), HostStatus::SC);
    EXPECT_EQ(h->mmio_read(2, 0x1, 1).value, 0xffu);
    // Pins 8-15 at 0x4 / 0x5: bit 7 is pin 15.
    EXPECT_EQ(h->mmio_write(2, 0x4, 1, 0x80), HostStatus::SC);
    EXPECT_EQ(h->mmio_read(2, 0x5, 1).value, 0x7fu);
    // A 2-byte read at 0x1: only its first byte is the input register.
    EXPECT_EQ(h->mmio_read(2, 0x1, 2).value, 0x00ffu);
    // A 4-byte write at 0x0: only its first byte counts (pins 0 and 1).
    EXPECT_EQ(h->mmio_write(2, 0x0, 4, 0xffffff03u), HostStatus::SC);
    EXPECT_EQ(h->mmio_read(2, 0x1, 1).value, 0xfcu);
    // Other offsets read 0.
    EXPECT_EQ(h->mmio_read(2, 0x0, 4).value, 0u);
    EXPECT_EQ(h->mmio_read(2, 0x10, 4).value, 0u);
    // All of it went as IORd/IOWr TLPs, none as memory requests.
    const rcsim::BridgeCounters c = h->counters().bridge;
    EXPECT_EQ(c.io_reads, 8u);
    EXPECT_EQ(c.io_writes, 5u);
    EXPECT_EQ(c.mmio_reads, 0u);
    EXPECT_EQ(c.mmio_writes, 0u);
    EXPECT_FALSE(h->has_failures()) << h->failure_report();
}

TEST_F(Gpio, IoSpaceAccessesByPortAddress) {
    // Port 0x1001 = BAR2 + 0x1.
    EXPECT_EQ(h->io_read(0x1001, 1).value, 0xffu);
    EXPECT_EQ(h->io_write(0x1000, 1, 0x02), HostStatus::SC);
    EXPECT_EQ(h->io_read(0x1001, 1).value, 0xfdu);
    // No I/O BAR decodes 0x2000: the bridge answers Unsupported Request.
    const rcsim::Access a = h->io_read(0x2000, 4);
    EXPECT_EQ(a.status, HostStatus::UR);
    EXPECT_EQ(a.value, 0xffffffffu);
    EXPECT_EQ(h->io_write(0x2000, 4, 1), HostStatus::UR);
    // Sizes 1, 2, 4 inside one DW only; nothing is sent for the others.
    EXPECT_EQ(h->io_read(0x1000, 3).status, HostStatus::BadReq);
    EXPECT_EQ(h->io_read(0x1003, 2).status, HostStatus::BadReq);
    EXPECT_EQ(h->io_write(0x1002, 4, 0), HostStatus::BadReq);
    EXPECT_EQ(h->mmio_read(2, 0x0, 8).status, HostStatus::BadReq);
    EXPECT_EQ(h->mmio_read(2, 0x100, 1).status, HostStatus::BadReq) << "past the BAR's end";
    EXPECT_EQ(h->counters().bridge.io_reads, 3u);
}

TEST_F(Gpio, IoSpaceDisabledInTheCommandRegisterIsUR) {
    // Clear I/O Space: the device no longer decodes its I/O BAR.
    ASSERT_EQ(h->cfg_write(0x04, 2, 0x0006), HostStatus::SC);
    EXPECT_EQ(h->mmio_read(2, 0x1, 1).status, HostStatus::UR);
    ASSERT_EQ(h->cfg_write(0x04, 2, 0x0007), HostStatus::SC);
    EXPECT_EQ(h->mmio_read(2, 0x1, 1).value, 0xffu);
}

class GpioHighWindow : public Gpio {
  protected:
    void configure(rcsim::HarnessConfig &c) override {
        c.io_window_base = 0xc000;
        c.io_window_size = 0x1000;
    }
};

TEST_F(GpioHighWindow, IoBarPlacedInTheConfiguredWindow) {
    EXPECT_EQ(h->enumeration().bars[2].base, 0xc000u);
    EXPECT_EQ(h->cfg_read(0x18, 4).value, 0x0000c001u);
    EXPECT_EQ(h->io_read(0xc001, 1).value, 0xffu);
}

TEST(GpioBadWindow, IoBarThatDoesNotFitIsAnEnumerationError) {
    rcsim::HarnessConfig cfg;
    cfg.io_window_base = 0x1000;
    cfg.io_window_size = 0x80; // BAR2 needs 0x100
    std::unique_ptr<rcsim::Harness> h;
    std::string err;
    ASSERT_EQ(rcsim::Harness::create(cfg, &h, &err), 0) << err;
    ASSERT_EQ(h->start_server({RCSIM_SERVER_MODELS_DIR "/gpio"}, &err), 0) << err;
    EXPECT_LT(h->enumerate(&err), 0);
    EXPECT_EQ(err, "enumeration: BAR2 (I/O, 0x100 bytes) does not fit the I/O window "
                   "0x1000..0x107f (0x0 bytes of it used or skipped for alignment)");
    EXPECT_FALSE(h->enumeration().bars[2].present);
    h->shutdown();
}

TEST_F(Gpio, ServerErrorReplyBecomesUnsupportedRequest) {
    // No PCIe capability: config space is 256 bytes, so the server answers a
    // read at 0x100 with an EINVAL error reply, which the bridge's table
    // (sim/bridge/README.md) maps to UR; the root port then hands the host all ones.
    const rcsim::Access a = h->cfg_read(0x100, 4);
    EXPECT_EQ(a.status, rcsim::HostStatus::UR);
    EXPECT_EQ(a.value, 0xffffffffu);
    EXPECT_EQ(h->counters().bridge.ur_completions, 1u);
    // The device is still fine afterwards.
    EXPECT_EQ(h->cfg_read(0x00, 2).value, 0x494fu);
}

TEST(ErrnoToCompletion, FollowsTheDocumentedTable) {
    using rcsim::tlp::CplStatus;
    for (int e : {EINVAL, EFAULT, ENOENT, ENXIO, ERANGE, ENOTSUP, ENOSYS})
        EXPECT_EQ(rcsim::completion_status_for_errno(-e), CplStatus::UR) << e;
    for (int e : {EIO, EPERM, EBUSY, ECONNRESET, EPIPE, ENOTCONN, EPROTO, ENOMEM})
        EXPECT_EQ(rcsim::completion_status_for_errno(-e), CplStatus::CA) << e;
}

} // namespace
