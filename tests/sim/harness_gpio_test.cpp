// Enumeration of a device shaped like libvfio-user's gpio sample (I/O BAR,
// no capabilities, INTx): the I/O BAR is sized but not assigned (the root
// port has no I/O space), and the device still enumerates with INTx.
#include "harness_fixture.hpp"

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

} // namespace
