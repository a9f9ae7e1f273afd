// The host memory port's write bursts: byte enables of the first and last
// DW (PCIe Base Spec 2.2.5: First/Last DW BE; non-contiguous only for a
// 1-DW write or a QW-aligned 2-DW one), whole DWs between them, a burst
// over several beats, a burst outside the windows refused whole, and a
// zero-length write (1 DW, First DW BE 0000b) storing nothing. Memory is
// filled with 0xee first, so a byte left alone reads 0xee; expected bytes
// are written out by hand from the DWs (little-endian: byte 0 of a DW is
// its bits 7:0).
#include "host_memory.hpp"
#include "host_memory_port.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <vector>

using rcsim::HostMemory;
using rcsim::HostMemoryPort;
using rcsim::MemPerm;
using rcsim::MemStatus;
using rcsim::MemWindow;
using rcsim::RtlIn;
using rcsim::RtlOut;

namespace {

constexpr uint64_t kBase = 0x10000;
constexpr unsigned kLanes = 4; // a 128-bit port

struct Done {
    uint64_t addr = 0;
    unsigned len = 0;
    bool err = false;
    int calls = 0;
};

class PortWrite : public ::testing::Test {
  protected:
    void SetUp() override {
        MemWindow w;
        w.base = kBase;
        w.size = 0x1000;
        w.perm = MemPerm::ReadWrite;
        w.name = "buf";
        ASSERT_EQ(mem.add_window(w), MemStatus::Ok);
        ASSERT_EQ(mem.fill(kBase, 0xee, 0x1000), MemStatus::Ok);
        port.on_write_done([this](uint64_t a, unsigned l, bool e) {
            done.addr = a;
            done.len = l;
            done.err = e;
            ++done.calls;
        });
    }

    // One burst, kLanes DWs per beat, then edges until its response is taken.
    void burst(uint64_t addr, std::vector<uint32_t> dws, uint8_t fbe, uint8_t lbe) {
        RtlIn in;
        const size_t beats = (dws.size() + kLanes - 1) / kLanes;
        for (size_t b = 0; b < beats; ++b) {
            RtlOut out;
            out.hmem_wr_valid = true;
            out.hmem_wr_sop = b == 0;
            out.hmem_wr_eop = b + 1 == beats;
            out.hmem_wr_addr = addr;
            out.hmem_wr_len_dw = unsigned(dws.size());
            out.hmem_wr_first_be = fbe;
            out.hmem_wr_last_be = lbe;
            for (unsigned i = 0; i < kLanes && b * kLanes + i < dws.size(); ++i)
                out.hmem_wr_data[i] = dws[b * kLanes + i];
            in.hmem_wr_ready = true;
            port.on_edge(out, in);
        }
        ASSERT_TRUE(in.hmem_wrsp_valid);
        RtlOut take;
        take.hmem_wrsp_ready = true;
        port.on_edge(take, in);
        ASSERT_EQ(done.calls, 1);
        EXPECT_TRUE(port.idle());
    }

    std::vector<uint8_t> bytes(uint64_t addr, size_t n) {
        std::vector<uint8_t> b(n);
        EXPECT_EQ(mem.read(addr, b.data(), n), MemStatus::Ok);
        return b;
    }

    HostMemory mem;
    HostMemoryPort port{mem, kLanes};
    Done done;
};

using Bytes = std::vector<uint8_t>;

TEST_F(PortWrite, FirstAndLastDwEnablesCutTheEndsOfAThreeDwWrite) {
    burst(kBase + 0x100, {0x44332211, 0x88776655, 0xccbbaa99}, 0xc, 0x3);
    EXPECT_FALSE(done.err);
    EXPECT_EQ(bytes(kBase + 0xfc, 20),
              (Bytes{0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0x33, 0x44, 0x55, 0x66,
                     0x77, 0x88, 0x99, 0xaa, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee}));
}

TEST_F(PortWrite, OneDwWithNonContiguousEnablesWritesOnlyThoseBytes) {
    burst(kBase + 0x200, {0x44332211}, 0x5, 0x0);
    EXPECT_FALSE(done.err);
    EXPECT_EQ(bytes(kBase + 0x200, 4), (Bytes{0x11, 0xee, 0x33, 0xee}));
}

TEST_F(PortWrite, QwAlignedTwoDwWithHolesInBothDws) {
    burst(kBase + 0x208, {0x44332211, 0x88776655}, 0x9, 0x6);
    EXPECT_FALSE(done.err);
    EXPECT_EQ(bytes(kBase + 0x208, 8), (Bytes{0x11, 0xee, 0xee, 0x44, 0xee, 0x66, 0x77, 0xee}));
}

TEST_F(PortWrite, NineDwsOverThreeBeatsLandWholeBetweenTheEnds) {
    burst(kBase + 0x300,
          {0x03020100, 0x07060504, 0x0b0a0908, 0x0f0e0d0c, 0x13121110, 0x17161514, 0x1b1a1918,
           0x1f1e1d1c, 0x23222120},
          0xe, 0x7);
    EXPECT_FALSE(done.err);
    EXPECT_EQ(done.addr, kBase + 0x300);
    EXPECT_EQ(done.len, 9u);
    const Bytes got = bytes(kBase + 0x300, 40);
    EXPECT_EQ(got[0], 0xee);
    for (unsigned i = 1; i < 35; ++i)
        EXPECT_EQ(got[i], i) << "byte " << i;
    EXPECT_EQ(got[35], 0xee); // byte 3 of the last DW: Last DW BE 0111b
    EXPECT_EQ(got[36], 0xee);
}

TEST_F(PortWrite, ABurstCrossingTheWindowEndIsRefusedWhole) {
    burst(kBase + 0xffc, {0x44332211, 0x88776655}, 0xf, 0xf);
    EXPECT_TRUE(done.err);
    EXPECT_EQ(bytes(kBase + 0xffc, 4), (Bytes{0xee, 0xee, 0xee, 0xee}));
}

TEST_F(PortWrite, TheEnabledBytesAloneDecideWhetherTheBurstFits) {
    // Last DW BE 0000b is not a legal 2-DW write, but if it came the bytes
    // outside the window are not written, so nothing is refused.
    burst(kBase + 0xffc, {0x44332211, 0x88776655}, 0xf, 0x0);
    EXPECT_FALSE(done.err);
    EXPECT_EQ(bytes(kBase + 0xffc, 4), (Bytes{0x11, 0x22, 0x33, 0x44}));
}

TEST_F(PortWrite, ZeroLengthWriteStoresNothingAndSucceeds) {
    burst(kBase + 0x400, {0x44332211}, 0x0, 0x0);
    EXPECT_FALSE(done.err);
    EXPECT_EQ(bytes(kBase + 0x400, 4), (Bytes{0xee, 0xee, 0xee, 0xee}));
}

} // namespace
