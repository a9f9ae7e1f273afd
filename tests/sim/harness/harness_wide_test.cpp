// End to end through the RTL against the `wide` model: a 64-bit prefetchable
// BAR of 4 GiB placed above 4 GiB from the prefetchable window, the
// expansion ROM, the extended capability list. Expected values come from
// the model's layout in server-models/README.md and the PCI/PCIe specs'
// field definitions (BAR type bits 2:1 = 10b for 64-bit, bit 3
// prefetchable; ROM BAR bits 31:11 address, bit 0 enable; extended
// capability header ID 15:0, version 19:16, next 31:20), not from the
// harness.
#include "harness_fixture.hpp"

namespace {

using rcsim::HostStatus;

class Wide : public rcsim::HarnessFixture {
  protected:
    std::vector<std::string> server_argv() const override {
        return {RCSIM_SERVER_MODELS_DIR "/wide"};
    }
};

TEST_F(Wide, EnumerationPlacesTheHighBarAndTheRom) {
    const rcsim::Enumeration &e = h->enumeration();
    EXPECT_EQ(e.device_id, 0x0005);
    ASSERT_TRUE(e.bars[0].present);
    EXPECT_EQ(e.bars[0].base, 0xe0000000u);
    EXPECT_EQ(e.bars[0].size, 0x1000u);
    ASSERT_TRUE(e.bars[2].present);
    EXPECT_TRUE(e.bars[2].is64);
    EXPECT_TRUE(e.bars[2].prefetchable);
    EXPECT_EQ(e.bars[2].size, 0x100000000ull);
    EXPECT_EQ(e.bars[2].base, 0x800000000ull); // the prefetchable window's base
    EXPECT_FALSE(e.bars[3].present);           // BAR2's upper half
    ASSERT_TRUE(e.rom.present);
    EXPECT_EQ(e.rom.size, 0x800u);
    EXPECT_EQ(e.rom.base, 0xe0001000u); // after BAR0 in the memory window

    // What the host programmed, read back through config TLPs.
    EXPECT_EQ(h->cfg_read(0x18, 4).value, 0x0000000cu); // base low 0, 64-bit, prefetchable
    EXPECT_EQ(h->cfg_read(0x1c, 4).value, 0x00000008u); // base bits 63:32
    EXPECT_EQ(h->cfg_read(0x30, 4).value, 0xe0001001u); // ROM base, enable bit
    EXPECT_FALSE(h->has_failures()) << h->failure_report();
}

TEST_F(Wide, ExtendedCapabilitiesAreWalked) {
    const rcsim::Enumeration &e = h->enumeration();
    EXPECT_EQ(e.config_size, 4096u);
    ASSERT_EQ(e.ext_caps.size(), 2u);
    EXPECT_EQ(e.ext_caps[0].offset, 0x100u);
    EXPECT_EQ(e.ext_caps[0].id, 0x0003u); // Device Serial Number
    EXPECT_EQ(e.ext_caps[0].version, 1u);
    EXPECT_EQ(e.ext_caps[1].offset, 0x140u);
    EXPECT_EQ(e.ext_caps[1].id, 0x000bu); // Vendor-Specific
    EXPECT_EQ(e.ext_caps[1].version, 1u);
    // The serial number 0x0123456789abcdef: lower DW at 0x104, upper at 0x108.
    EXPECT_EQ(h->cfg_read(0x104, 4).value, 0x89abcdefu);
    EXPECT_EQ(h->cfg_read(0x108, 4).value, 0x01234567u);
}

TEST_F(Wide, ReadsAndWritesThroughTheBarAbove4GiB) {
    // Every DW outside the scratch reads its own offset.
    EXPECT_EQ(h->mmio_read(2, 0x12345678, 4).value, 0x12345678u);
    EXPECT_EQ(h->mmio_read(2, 0xfffffffc, 4).value, 0xfffffffcu); // the last DW
    EXPECT_EQ(h->mmio_read(2, 0x80000000, 8).value, 0x8000000480000000ull);
    EXPECT_EQ(h->mmio_read(2, 0x12345679, 1).value, 0x56u);
    // Scratch at 0x0-0xf.
    EXPECT_EQ(h->mmio_write(2, 0x0, 8, 0x1122334455667788ull), HostStatus::SC);
    EXPECT_EQ(h->mmio_read(2, 0x0, 8).value, 0x1122334455667788ull);
    EXPECT_EQ(h->mmio_read(2, 0x4, 2).value, 0x3344u);
    EXPECT_EQ(h->mmio_read(0, 0x0, 4).value, 0x45444957u); // BAR0's ID, below 4 GiB
    EXPECT_FALSE(h->has_failures()) << h->failure_report();
}

TEST_F(Wide, RomReadsItsBytesAndDropsWrites) {
    // 0x55 0xaa, then byte i reads i & 0xff.
    EXPECT_EQ(h->mmio_read(rcsim::BarMap::kRom, 0x0, 4).value, 0x0302aa55u);
    EXPECT_EQ(h->mmio_read(rcsim::BarMap::kRom, 0x7fc, 4).value, 0xfffefdfcu);
    EXPECT_EQ(h->mmio_read(rcsim::BarMap::kRom, 0x123, 1).value, 0x23u);
    // A ROM ignores writes: the posted MemWr is dropped, no REGION_WRITE.
    EXPECT_EQ(h->mmio_write(rcsim::BarMap::kRom, 0x10, 4, 0xdeadbeef), HostStatus::SC);
    EXPECT_TRUE(h->drain());
    EXPECT_EQ(h->mmio_read(rcsim::BarMap::kRom, 0x10, 4).value, 0x13121110u);
    EXPECT_EQ(h->counters().bridge.rom_writes_dropped, 1u);
    EXPECT_EQ(h->counters().bridge.mmio_write_errors, 0u);
    EXPECT_FALSE(h->has_failures()) << h->failure_report();
}

// A prefetchable window too small for the 4 GiB BAR: an enumeration error
// naming the BAR, its size and the window, not a later "no BAR2".
class WideSmallWindow : public ::testing::Test {};

TEST_F(WideSmallWindow, BarThatDoesNotFitIsAnEnumerationError) {
    rcsim::HarnessConfig cfg;
    cfg.pref_window_size = 0x80000000ull;
    std::unique_ptr<rcsim::Harness> h;
    std::string err;
    ASSERT_EQ(rcsim::Harness::create(cfg, &h, &err), 0) << err;
    ASSERT_EQ(h->start_server({RCSIM_SERVER_MODELS_DIR "/wide"}, &err), 0) << err;
    EXPECT_NE(h->enumerate(&err), 0);
    EXPECT_EQ(err, "enumeration: BAR2 (64-bit prefetchable memory) of size 0x100000000 does not "
                   "fit the prefetchable window 0x800000000+0x80000000");
    h->shutdown();
}

} // namespace
