// The refused-DMA report names where a refused command lies against the DMA
// windows; a window the scenario unmapped (`dma-unmap`) is named as such.
// Expected texts written by hand from dma_refusals.hpp's format.
#include "dma_refusals.hpp"

#include <gtest/gtest.h>

#include <cerrno>

namespace {

using rcsim::DmaRefusals;
using rcsim::MemPerm;
using rcsim::MemWindow;

vuc_dma_refusal refusal(uint64_t addr, uint64_t count) {
    vuc_dma_refusal r{};
    r.cmd = VU_CMD_DMA_READ;
    r.msg_id = 7;
    r.addr = addr;
    r.count = count;
    r.err = -EFAULT;
    return r;
}

TEST(HostDmaRefusals, AWindowUnmappedByTheScenarioIsNamed) {
    DmaRefusals d({{0x10000000ull, 0x1000000ull, MemPerm::ReadWrite, "dma0"}});
    d.record(refusal(0x10000100, 64));
    d.set_unmapped("dma0", true);
    d.record(refusal(0x10000100, 64));
    d.set_unmapped("dma0", false);
    d.record(refusal(0x10000100, 64));
    const std::vector<std::string> v = d.describe_unexpected();
    ASSERT_EQ(v.size(), 3u);
    const std::string head = "DMA_READ #7 main addr=0x10000100 count=64 refused (Bad address): ";
    EXPECT_EQ(v[0], head + "inside window dma0 [0x10000000, 0x11000000), which lacks the "
                           "permission (or is no longer mapped)");
    EXPECT_EQ(v[1], head + "inside window dma0 [0x10000000, 0x11000000), unmapped by the "
                           "scenario (dma-unmap)");
    EXPECT_EQ(v[2], v[0]) << "mapped again";
    EXPECT_EQ(d.take(), 3u);
}

} // namespace
