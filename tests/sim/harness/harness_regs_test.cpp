// End to end through the RTL against the `regs` model: enumeration results
// and MMIO of every size. Expected values come from server-models/README.md
// (register map) and the PCI spec's field definitions, not from the harness.
#include "harness_fixture.hpp"

namespace {

using rcsim::HostStatus;

class Regs : public rcsim::HarnessFixture {
  protected:
    std::vector<std::string> server_argv() const override {
        return {RCSIM_SERVER_MODELS_DIR "/regs"};
    }
};

TEST_F(Regs, EnumerationFindsIdsBarAndPcieCap) {
    const rcsim::Enumeration &e = h->enumeration();
    EXPECT_EQ(e.vendor_id, 0x5243);
    EXPECT_EQ(e.device_id, 0x0001);
    EXPECT_EQ(e.class_code, 0xff0000u);
    ASSERT_TRUE(e.bars[0].present);
    EXPECT_EQ(e.bars[0].size, 0x1000u);
    EXPECT_EQ(e.bars[0].base, 0xe0000000u); // first BAR at the window's base
    EXPECT_FALSE(e.bars[0].is64);
    for (unsigned i = 1; i < 6; ++i)
        EXPECT_FALSE(e.bars[i].present) << "BAR" << i;
    EXPECT_NE(e.pcie_cap, 0u);
    EXPECT_EQ(e.irq_mode, rcsim::IrqMode::None); // regs has no interrupts

    // What the host programmed, read back from the device through config TLPs.
    EXPECT_EQ(h->cfg_read(0x10, 4).value & ~0xfu, 0xe0000000u);
    EXPECT_EQ(h->cfg_read(0x04, 2).value & 0x6u, 0x6u); // memory space + bus master
    const rcsim::Access devctl = h->cfg_read(uint16_t(e.pcie_cap + 8), 2);
    ASSERT_TRUE(devctl.ok());
    // regs' capability supports MPS 512, we asked for 256 (code 1), MRRS 512 (code 2).
    EXPECT_EQ((devctl.value >> 5) & 7u, 1u);
    EXPECT_EQ((devctl.value >> 12) & 7u, 2u);
    EXPECT_EQ(e.mps, 256u);
    EXPECT_FALSE(h->has_failures()) << h->failure_report();
}

TEST_F(Regs, MmioReadsOfEverySize) {
    // ID register 0x52435247 at offset 0, revision 0x00010000 at 4.
    EXPECT_EQ(h->mmio_read(0, 0x0, 4).value, 0x52435247u);
    EXPECT_EQ(h->mmio_read(0, 0x0, 1).value, 0x47u);
    EXPECT_EQ(h->mmio_read(0, 0x1, 1).value, 0x52u);
    EXPECT_EQ(h->mmio_read(0, 0x3, 1).value, 0x52u);
    EXPECT_EQ(h->mmio_read(0, 0x2, 2).value, 0x5243u);
    EXPECT_EQ(h->mmio_read(0, 0x0, 8).value, 0x0001000052435247ull);
    EXPECT_EQ(h->mmio_read(0, 0x4, 4).value, 0x00010000u);
    const rcsim::Access unaligned = h->mmio_read(0, 0x3, 2); // straddles two DWs
    EXPECT_TRUE(unaligned.ok());
    EXPECT_EQ(unaligned.value, 0x0052u); // byte 3 of ID, byte 0 of revision
    EXPECT_FALSE(h->has_failures()) << h->failure_report();
}

TEST_F(Regs, MmioWritesOfEverySizeReadBack) {
    EXPECT_EQ(h->mmio_write(0, 0x100, 8, 0x1122334455667788ull), HostStatus::SC);
    EXPECT_EQ(h->mmio_read(0, 0x100, 8).value, 0x1122334455667788ull);
    EXPECT_EQ(h->mmio_write(0, 0x101, 1, 0xab), HostStatus::SC);
    EXPECT_EQ(h->mmio_read(0, 0x100, 4).value, 0x5566ab88u);
    EXPECT_EQ(h->mmio_write(0, 0x106, 2, 0xcdef), HostStatus::SC);
    EXPECT_EQ(h->mmio_read(0, 0x104, 4).value, 0xcdef3344u);
    EXPECT_EQ(h->mmio_write(0, 0x110, 4, 0xdeadbeef), HostStatus::SC);
    EXPECT_EQ(h->mmio_read(0, 0x110, 2).value, 0xbeefu);
    EXPECT_EQ(h->mmio_read(0, 0x112, 2).value, 0xdeadu);
    // An 8-byte access at offset 5 spans three DWs (first and last BE partial).
    EXPECT_EQ(h->mmio_write(0, 0x125, 8, 0x0102030405060708ull), HostStatus::SC);
    EXPECT_EQ(h->mmio_read(0, 0x125, 8).value, 0x0102030405060708ull);
    EXPECT_EQ(h->mmio_read(0, 0x124, 1).value, 0x00u);
    EXPECT_EQ(h->mmio_read(0, 0x12d, 1).value, 0x00u);
    EXPECT_FALSE(h->has_failures()) << h->failure_report();
}

TEST_F(Regs, BlockAccessesSplitAcrossTlpsAndCompletions) {
    // 250 bytes from offset 0x103 of the 256-byte scratch: one 64-DW
    // request with partial first and last byte enables (one MemWr: no 256 B
    // MPS boundary inside), read back as one REGION_READ whose CplDs are cut
    // at the 64-byte RCB. Then 4 KiB: 8 MemRd of 512 B (MRRS), each answered
    // by CplDs of at most 256 B (MPS).
    std::vector<uint8_t> out(250), in(250, 0xee);
    for (size_t i = 0; i < out.size(); ++i)
        out[i] = uint8_t(i * 37 + 11);
    ASSERT_EQ(h->mmio_write_block(0, 0x103, out.data(), out.size()), HostStatus::SC);
    ASSERT_EQ(h->mmio_read_block(0, 0x103, in.data(), in.size()), HostStatus::SC);
    EXPECT_EQ(in, out);
    // Bytes around the block are untouched (scratch resets to 0).
    EXPECT_EQ(h->mmio_read(0, 0x100, 4).value & 0x00ffffffu, 0u);
    EXPECT_EQ(h->mmio_read(0, 0x1fd, 1).value, 0u);
    // The whole register file in one read: the ID at 0 and revision at 4.
    std::vector<uint8_t> all(4096);
    ASSERT_EQ(h->mmio_read_block(0, 0, all.data(), all.size()), HostStatus::SC);
    EXPECT_EQ(all[0] | all[1] << 8 | all[2] << 16 | uint32_t(all[3]) << 24, 0x52435247u);
    EXPECT_EQ(all[6], 0x01);
    EXPECT_EQ(all[0x103], out[0]);
    EXPECT_EQ(h->counters().rtl.cnt_malformed, 0u);
    EXPECT_EQ(h->counters().rtl.cnt_unexp_cpl, 0u);
    EXPECT_FALSE(h->has_failures()) << h->failure_report();
}

TEST_F(Regs, SideEffectRegistersSeeEachAccessOnce) {
    // 0x18 W1S sets bits of 0x14 (W1C); 0x10 is read-to-clear, writes OR in.
    EXPECT_EQ(h->mmio_write(0, 0x18, 4, 0x0000f00f), HostStatus::SC);
    EXPECT_EQ(h->mmio_read(0, 0x14, 4).value, 0x0000f00fu);
    EXPECT_EQ(h->mmio_write(0, 0x14, 4, 0x0000000f), HostStatus::SC);
    EXPECT_EQ(h->mmio_read(0, 0x14, 4).value, 0x0000f000u);
    EXPECT_EQ(h->mmio_write(0, 0x10, 4, 0x00a5005a), HostStatus::SC);
    EXPECT_EQ(h->mmio_read(0, 0x10, 1).value, 0x5au); // clears byte 0 only
    EXPECT_EQ(h->mmio_read(0, 0x10, 4).value, 0x00a50000u);
    EXPECT_EQ(h->mmio_read(0, 0x10, 4).value, 0u);
    EXPECT_FALSE(h->has_failures()) << h->failure_report();
}

TEST_F(Regs, AccessOutsideEveryBarIsUnsupportedRequest) {
    // 4 KiB past BAR0's end, inside the BAR window: no BAR decodes it.
    const rcsim::Access a = h->mem_read(0xe0000000ull + 0x1000, 4);
    EXPECT_EQ(a.status, HostStatus::UR);
    EXPECT_EQ(a.value, 0xffffffffu); // the root port's data for a failed read
    EXPECT_EQ(h->counters().bridge.ur_completions, 1u);
}

TEST_F(Regs, IdleTimeCostsNoEdges) {
    const uint64_t edges = h->counters().edges;
    h->run_cycles(1000000);
    EXPECT_LT(h->counters().edges - edges, 100u);
    EXPECT_GE(h->counters().cycles, 1000000u);
    EXPECT_EQ(h->mmio_read(0, 0x0, 4).value, 0x52435247u);
}

} // namespace
