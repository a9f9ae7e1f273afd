// Enumeration of a device shaped like libvfio-user's gpio sample (I/O BAR,
// no capabilities, INTx): the I/O BAR is sized but not assigned (the root
// port has no I/O space), and the device still enumerates with INTx.
#include "harness_fixture.hpp"

#include <cerrno>

namespace {

class Gpio : public rcsim::HarnessFixture {
  protected:
    std::vector<std::string> server_argv() const override {
        return {RCSIM_SERVER_MODELS_DIR "/gpio"};
    }
};

TEST_F(Gpio, IoBarIsSizedNotAssignedAndIntxIsChosen) {
    const rcsim::Enumeration &e = h->enumeration();
    EXPECT_EQ(e.vendor_id, 0x494f);
    EXPECT_EQ(e.device_id, 0x0dc8);
    EXPECT_TRUE(e.bars[2].io);
    EXPECT_EQ(e.bars[2].size, 0x100u);
    EXPECT_FALSE(e.bars[2].present) << "no I/O space behind this root port";
    for (unsigned i = 0; i < 6; ++i)
        EXPECT_FALSE(e.bars[i].present) << "BAR" << i;
    EXPECT_EQ(e.pcie_cap, 0u);
    EXPECT_EQ(e.mps, 128u) << "no PCIe capability: the default MPS";
    EXPECT_EQ(e.irq_mode, rcsim::IrqMode::Intx);
    EXPECT_EQ(h->mmio_read(2, 0, 1).status, rcsim::HostStatus::BadReq) << "no memory BAR 2";
    EXPECT_FALSE(h->has_failures()) << h->failure_report();
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
