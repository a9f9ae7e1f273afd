// The fabric's building blocks (rtl/fabric/) through fabric_blocks_top:
// Type 1 header registers (reset values, write masks, RW1C, byte enables,
// decoded windows) and route_decode as a root complex and as a switch.
// Expected values are written by hand from the Type 1 header's field
// definitions (PCIe Base spec 7.5.1.1/7.5.1.3, PCI-to-PCI Bridge spec 3.2)
// and the routing rules in route_decode.sv, never computed by the RTL.
#include "Vfabric.h"
#include "clocked_model.hpp"

#include <verilated.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <ostream>

namespace {

// fabric_pkg: TLP kinds and destinations.
constexpr unsigned kMem = 0, kIo = 1, kCfg0 = 2, kCfg1 = 3, kCpl = 4, kMsgId = 5, kMsgRoot = 6,
                   kMsgBcast = 7;
constexpr unsigned dDown = 0, dUp = 1, dSelfDn = 2, dSelfUp = 3, dUr = 4, dDrop = 5, dBcast = 6;

constexpr unsigned kUpHdr = 4; // header of the switch's upstream port

struct Route {
    unsigned dest;
    unsigned port;
    bool type0;
    unsigned bcast;
};

bool operator==(const Route &a, const Route &b) {
    return a.dest == b.dest && a.port == b.port && a.type0 == b.type0 && a.bcast == b.bcast;
}

std::ostream &operator<<(std::ostream &os, const Route &r) {
    return os << "{dest " << r.dest << ", port " << r.port << ", type0 " << r.type0 << ", bcast "
              << r.bcast << "}";
}

Route down(unsigned port, bool type0 = false) {
    return {dDown, port, type0, 0};
}
Route self_dn(unsigned port) {
    return {dSelfDn, port, false, 0};
}
const Route kUp{dUp, 0, false, 0};
const Route kUr{dUr, 0, false, 0};
const Route kDrop{dDrop, 0, false, 0};
const Route kSelfUp{dSelfUp, 0, false, 0};

class Fabric : public ::testing::Test {
  protected:
    void SetUp() override { m_.reset(); }

    void tick() { m_.tick(); }

    uint32_t rd(unsigned hdr, unsigned reg) {
        select(hdr, reg);
        m_->eval();
        return m_->cfg_rdata;
    }

    void wr(unsigned hdr, unsigned reg, uint32_t data, unsigned be = 0xf) {
        select(hdr, reg);
        m_->cfg_wr = 1;
        m_->cfg_be = be;
        m_->cfg_wdata = data;
        tick();
        m_->cfg_wr = 0;
        m_->eval();
    }

    void select(unsigned hdr, unsigned reg) {
        m_->cfg_sel = hdr;
        m_->cfg_reg = reg;
    }

    Route route(bool sw, unsigned kind, int from, uint64_t addr, unsigned id) {
        m_->kind = kind;
        m_->from_up = from < 0;
        m_->from_port = from < 0 ? 0 : from;
        m_->addr = addr;
        m_->id = id;
        m_->rc_bus = 0;
        m_->eval();
        if (sw) {
            return {m_->sw_dest, m_->sw_port, m_->sw_type0 != 0, m_->sw_bcast};
        }
        return {m_->rc_dest, m_->rc_port, m_->rc_type0 != 0, m_->rc_bcast};
    }
    Route rc(unsigned kind, int from, uint64_t addr, unsigned id = 0) {
        return route(false, kind, from, addr, id);
    }
    Route sw(unsigned kind, int from, uint64_t addr, unsigned id = 0) {
        return route(true, kind, from, addr, id);
    }

    // The topology of the routing tests. Root bus 0 (root complex) or, for
    // the switch, upstream port bus 0 -> internal bus 1, subordinate 6.
    // Port 0: buses 2..3, memory 0x4000_0000-0x401f_ffff, prefetchable
    //         0x1_0000_0000-0x1_001f_ffff, I/O 0x1000-0x1fff; I/O, Mem, BM on.
    // Port 1: bus 4, memory 0x4020_0000-0x402f_ffff; Mem, BM on.
    // Port 2: bus 5, memory 0x5000_0000-0x500f_ffff; Command 0 (all off).
    // Port 3: as reset (bus numbers 0, windows closed, Command 0).
    // Upstream: memory 0x4000_0000-0x405f_ffff, prefetchable
    //         0x1_0000_0000-0x1_00ff_ffff, I/O 0x1000-0x3fff; I/O, Mem, BM on.
    void program_topology() {
        wr(0, 6, 0x00030200);
        wr(0, 8, 0x40104000);
        wr(0, 9, 0x00100000);
        wr(0, 10, 0x00000001);
        wr(0, 11, 0x00000001);
        wr(0, 7, 0x00001010);
        wr(0, 12, 0x00000000);
        wr(0, 1, 0x00000007);
        wr(1, 6, 0x00040400);
        wr(1, 8, 0x40204020);
        wr(1, 1, 0x00000006);
        wr(2, 6, 0x00050500);
        wr(2, 8, 0x50005000);
        wr(kUpHdr, 6, 0x00060100);
        wr(kUpHdr, 8, 0x405f4000);
        wr(kUpHdr, 9, 0x00f00000);
        wr(kUpHdr, 10, 0x00000001);
        wr(kUpHdr, 11, 0x00000001);
        wr(kUpHdr, 7, 0x00003010);
        wr(kUpHdr, 12, 0x00000000);
        wr(kUpHdr, 1, 0x00000007);
    }

    rcsim::fabric_test::ClockedModel<Vfabric> m_;
};

// ---- Type 1 header registers ----

TEST_F(Fabric, ResetValuesOfEveryDword) {
    // Header 1: single function, no interrupt pin.
    const uint32_t expect[16] = {
        0x000c1b36, // Device ID 000c, Vendor ID 1b36
        0x00000000, // Status (no capability list), Command
        0x06040000, // class 06 (bridge) 04 (PCI-to-PCI) 00, revision 0
        0x00010000, // BIST 0, Header Type 01, latency timer 0, cache line 0
        0x00000000, // BAR0: none
        0x00000000, // BAR1: none
        0x00000000, // secondary latency 0, buses 0
        0x000001f1, // secondary status 0, I/O limit 0x01, I/O base 0xf1 (32-bit)
        0x0000fff0, // memory limit 0x0000, base 0xfff0 (closed)
        0x0001fff1, // prefetchable limit 0x0001, base 0xfff1 (64-bit, closed)
        0xffffffff, // prefetchable base upper 32
        0x00000000, // prefetchable limit upper 32
        0x0000ffff, // I/O limit upper 16 = 0, base upper 16 = ffff
        0x00000000, // capabilities pointer 0
        0x00000000, // expansion ROM: none
        0x00000000, // bridge control 0, interrupt pin 0, line 0
    };
    for (unsigned r = 0; r < 16; ++r) {
        EXPECT_EQ(rd(1, r), expect[r]) << "dword " << r;
    }
    // Header 0: multi-function, INTA.
    EXPECT_EQ(rd(0, 3), 0x00810000u);
    EXPECT_EQ(rd(0, 15), 0x00000100u);
    // Past the header, and the extended space: 0.
    EXPECT_EQ(rd(1, 16), 0u);
    EXPECT_EQ(rd(1, 0x3ff), 0u);
}

TEST_F(Fabric, ResetWindowsAreClosed) {
    select(1, 0);
    m_->eval();
    EXPECT_EQ(m_->sel_mem_base, 0xfff00000u);
    EXPECT_EQ(m_->sel_mem_limit, 0x000fffffu);
    EXPECT_EQ(m_->sel_pref_base, 0xfffffffffff00000ull);
    EXPECT_EQ(m_->sel_pref_limit, 0x00000000000fffffull);
    EXPECT_EQ(m_->sel_io_base, 0xfffff000u);
    EXPECT_EQ(m_->sel_io_limit, 0x00000fffu);
    EXPECT_EQ(m_->sel_cmd, 0u);
    // Memory and I/O enabled, nothing programmed: nothing is claimed.
    wr(1, 1, 0x00000007);
    EXPECT_EQ(rc(kMem, -1, 0x00000000), kUr);
    EXPECT_EQ(rc(kMem, -1, 0xfff00000), kUr);
    EXPECT_EQ(rc(kMem, -1, 0x000fffff), kUr);
    EXPECT_EQ(rc(kIo, -1, 0x00000fff), kUr);
}

TEST_F(Fabric, CommandKeepsOnlyImplementedBits) {
    wr(1, 1, 0xffffffff);
    // I/O 0, Mem 1, BM 2, Parity 6, SERR 8, INTx disable 10; Status bits
    // are RW1C with nothing set, so stay 0.
    EXPECT_EQ(rd(1, 1), 0x00000547u);
    EXPECT_EQ(m_->sel_cmd, 0x3fu);
    wr(1, 1, 0x00000002);
    EXPECT_EQ(rd(1, 1), 0x00000002u);
    EXPECT_EQ(m_->sel_cmd, 0x02u);
}

TEST_F(Fabric, ReadOnlyFieldsStay) {
    for (unsigned r : {0u, 2u, 4u, 5u, 13u, 14u}) {
        wr(1, r, 0xffffffff);
    }
    EXPECT_EQ(rd(1, 0), 0x000c1b36u);
    EXPECT_EQ(rd(1, 2), 0x06040000u);
    EXPECT_EQ(rd(1, 4), 0u);
    EXPECT_EQ(rd(1, 5), 0u);
    EXPECT_EQ(rd(1, 13), 0u);
    EXPECT_EQ(rd(1, 14), 0u);
    wr(1, 3, 0xffffffff); // only Cache Line Size is writable
    EXPECT_EQ(rd(1, 3), 0x000100ffu);
    wr(1, 6, 0xffffffff); // secondary latency timer is 0 in PCIe
    EXPECT_EQ(rd(1, 6), 0x00ffffffu);
    wr(1, 7, 0xffffffff); // low nibbles say 32-bit I/O; status RW1C
    EXPECT_EQ(rd(1, 7), 0x0000f1f1u);
    wr(1, 8, 0xffffffff); // memory low nibbles 0
    EXPECT_EQ(rd(1, 8), 0xfff0fff0u);
    wr(1, 9, 0xffffffff); // prefetchable low nibbles 1 (64-bit)
    EXPECT_EQ(rd(1, 9), 0xfff1fff1u);
    wr(1, 15, 0xffffffff); // bridge control 0-4, 6; pin read-only
    EXPECT_EQ(rd(1, 15), 0x005f00ffu);
    EXPECT_EQ(m_->sel_bridge_ctl, 0x5fu);
    wr(0, 15, 0x00000000);
    EXPECT_EQ(rd(0, 15), 0x00000100u);
    wr(1, 16, 0xffffffff);
    EXPECT_EQ(rd(1, 16), 0u);
}

TEST_F(Fabric, StatusBitsAreWriteOneToClear) {
    select(1, 0);
    m_->sts_set = 0xffff;
    tick();
    m_->sts_set = 0;
    // 8 master data parity, 11 signaled TA, 12 received TA, 13 received MA,
    // 14 signaled SERR, 15 detected parity error.
    EXPECT_EQ(rd(1, 1), 0xf9000000u);
    wr(1, 1, 0x08000000, 0xc); // clear bit 11 only
    EXPECT_EQ(rd(1, 1), 0xf1000000u);
    wr(1, 1, 0xffff0000, 0x3); // status bytes not enabled: nothing cleared
    EXPECT_EQ(rd(1, 1), 0xf1000000u);
    wr(1, 1, 0x00000000); // writing 0 clears nothing
    EXPECT_EQ(rd(1, 1), 0xf1000000u);
    // An event in the same cycle as its clearing write stays set.
    select(1, 1);
    m_->sts_set = 0x2000;
    m_->cfg_wr = 1;
    m_->cfg_be = 0xf;
    m_->cfg_wdata = 0xffff0000;
    tick();
    m_->cfg_wr = 0;
    m_->sts_set = 0;
    EXPECT_EQ(rd(1, 1), 0x20000000u);
    wr(1, 1, 0x20000000);
    EXPECT_EQ(rd(1, 1), 0u);
    // Another header's status is untouched by header 1's events.
    EXPECT_EQ(rd(2, 1), 0u);
}

TEST_F(Fabric, SecondaryStatusBitsAreWriteOneToClear) {
    select(1, 0);
    m_->sec_sts_set = 0xffff;
    tick();
    m_->sec_sts_set = 0;
    EXPECT_EQ(rd(1, 7), 0xf90001f1u);
    EXPECT_EQ(rd(1, 1), 0u);   // primary status untouched
    wr(1, 7, 0x40000000, 0x8); // clear bit 14 (received system error)
    EXPECT_EQ(rd(1, 7), 0xb90001f1u);
    wr(1, 7, 0xffff0000, 0xc);
    EXPECT_EQ(rd(1, 7), 0x000001f1u);
}

TEST_F(Fabric, ByteEnablesWriteOnlyTheirBytes) {
    wr(1, 6, 0x44332211, 0x2);
    EXPECT_EQ(rd(1, 6), 0x00002200u);
    wr(1, 6, 0xaabbccdd, 0x5);
    EXPECT_EQ(rd(1, 6), 0x00bb22ddu);
    wr(1, 6, 0x99999999, 0x0);
    EXPECT_EQ(rd(1, 6), 0x00bb22ddu);
    select(1, 0);
    m_->eval();
    EXPECT_EQ(m_->sel_pri_bus, 0xddu);
    EXPECT_EQ(m_->sel_sec_bus, 0x22u);
    EXPECT_EQ(m_->sel_sub_bus, 0xbbu);
    wr(1, 10, 0x12345678, 0x9);
    EXPECT_EQ(rd(1, 10), 0x12ffff78u);
    wr(1, 8, 0x4010ffff, 0x3); // memory base only
    EXPECT_EQ(rd(1, 8), 0x0000fff0u);
}

TEST_F(Fabric, WindowsDecodeFromTheirRegisters) {
    wr(1, 8, 0x40104000);
    wr(1, 9, 0x00100000);
    wr(1, 10, 0x00000001);
    wr(1, 11, 0x00000002);
    wr(1, 7, 0x00002010);
    wr(1, 12, 0x00020001);
    EXPECT_EQ(rd(1, 7), 0x00002111u);
    EXPECT_EQ(rd(1, 9), 0x00110001u);
    EXPECT_EQ(m_->sel_mem_base, 0x40000000u);
    EXPECT_EQ(m_->sel_mem_limit, 0x401fffffu);
    EXPECT_EQ(m_->sel_pref_base, 0x0000000100000000ull);
    EXPECT_EQ(m_->sel_pref_limit, 0x00000002001fffffull);
    EXPECT_EQ(m_->sel_io_base, 0x00011000u);
    EXPECT_EQ(m_->sel_io_limit, 0x00022fffu);
}

// ---- Address routing ----

TEST_F(Fabric, MemoryFromHostByWindowEdges) {
    program_topology();
    EXPECT_EQ(rc(kMem, -1, 0x40000000), down(0));
    EXPECT_EQ(rc(kMem, -1, 0x401fffff), down(0)); // last byte of the 2nd MiB
    EXPECT_EQ(rc(kMem, -1, 0x40200000), down(1)); // one past: port 1's base
    EXPECT_EQ(rc(kMem, -1, 0x402fffff), down(1));
    EXPECT_EQ(rc(kMem, -1, 0x40300000), kUr);
    EXPECT_EQ(rc(kMem, -1, 0x3fffffff), kUr);
    // The 32-bit memory window does not alias above 4 GiB.
    EXPECT_EQ(rc(kMem, -1, 0x0000000140000000ull), kUr);
}

TEST_F(Fabric, PrefetchableAbove4GiB) {
    program_topology();
    EXPECT_EQ(rc(kMem, -1, 0x0000000100000000ull), down(0));
    EXPECT_EQ(rc(kMem, -1, 0x00000001001fffffull), down(0));
    EXPECT_EQ(rc(kMem, -1, 0x0000000100200000ull), kUr);
    EXPECT_EQ(rc(kMem, -1, 0x00000000ffffffffull), kUr);
    EXPECT_EQ(rc(kMem, -1, 0x0000000000000000ull), kUr);
    // Only the upper 32 bits differ: outside.
    EXPECT_EQ(rc(kMem, -1, 0x0000000200000000ull), kUr);
}

TEST_F(Fabric, BaseAboveLimitClosesTheWindow) {
    program_topology();
    wr(1, 8, 0x40204030); // base 0x4030_0000 > limit 0x402f_ffff
    EXPECT_EQ(rc(kMem, -1, 0x40200000), kUr);
    EXPECT_EQ(rc(kMem, -1, 0x402fffff), kUr);
    EXPECT_EQ(rc(kMem, -1, 0x40300000), kUr);
    EXPECT_EQ(rc(kMem, -1, 0x403fffff), kUr);
    wr(1, 8, 0x40304030); // base == limit register: one MiB
    EXPECT_EQ(rc(kMem, -1, 0x40300000), down(1));
    EXPECT_EQ(rc(kMem, -1, 0x403fffff), down(1));
    EXPECT_EQ(rc(kMem, -1, 0x40400000), kUr);
}

TEST_F(Fabric, DisabledMemorySpaceClaimsNothing) {
    program_topology();
    EXPECT_EQ(rc(kMem, -1, 0x50000000), kUr); // port 2: Command 0
    wr(2, 1, 0x00000002);
    EXPECT_EQ(rc(kMem, -1, 0x50000000), down(2));
    EXPECT_EQ(rc(kMem, -1, 0x500fffff), down(2));
    wr(0, 1, 0x00000005); // port 0: I/O and BM, memory off
    EXPECT_EQ(rc(kMem, -1, 0x40000000), kUr);
    EXPECT_EQ(rc(kMem, -1, 0x0000000100000000ull), kUr);
    EXPECT_EQ(rc(kIo, -1, 0x1000), down(0));
}

TEST_F(Fabric, IoByWindowAndIoEnable) {
    program_topology();
    EXPECT_EQ(rc(kIo, -1, 0x1000), down(0));
    EXPECT_EQ(rc(kIo, -1, 0x1fff), down(0));
    EXPECT_EQ(rc(kIo, -1, 0x2000), kUr);
    EXPECT_EQ(rc(kIo, -1, 0x0fff), kUr);
    // An I/O address is not a memory address and vice versa.
    EXPECT_EQ(rc(kMem, -1, 0x1000), kUr);
    EXPECT_EQ(rc(kIo, -1, 0x40000000), kUr);
    wr(0, 1, 0x00000006); // I/O off
    EXPECT_EQ(rc(kIo, -1, 0x1000), kUr);
}

TEST_F(Fabric, UpwardMemoryInRootComplex) {
    program_topology();
    EXPECT_EQ(rc(kMem, 0, 0x80000000), kUp); // host memory
    EXPECT_EQ(rc(kMem, 0, 0x0000000800000000ull), kUp);
    EXPECT_EQ(rc(kMem, 0, 0x40000000), kUr); // its own window
    EXPECT_EQ(rc(kMem, 0, 0x0000000100000000ull), kUr);
    EXPECT_EQ(rc(kMem, 0, 0x40200000), down(1)); // peer to peer
    EXPECT_EQ(rc(kMem, 1, 0x0000000100000000ull), down(0));
    EXPECT_EQ(rc(kMem, 1, 0x50000000), kUp); // port 2's memory is off
    EXPECT_EQ(rc(kIo, 0, 0x2000), kUp);
    EXPECT_EQ(rc(kIo, 0, 0x1000), kUr);
    wr(0, 1, 0x00000003); // port 0: bus master off
    EXPECT_EQ(rc(kMem, 0, 0x80000000), kUr);
    EXPECT_EQ(rc(kMem, 0, 0x40200000), kUr);
    EXPECT_EQ(rc(kMem, 1, 0x80000000), kUp);
}

TEST_F(Fabric, SwitchMemoryBothWays) {
    program_topology();
    EXPECT_EQ(sw(kMem, -1, 0x40000000), down(0));
    EXPECT_EQ(sw(kMem, -1, 0x40200000), down(1));
    EXPECT_EQ(sw(kMem, -1, 0x40300000), kUr); // upstream window, no port
    EXPECT_EQ(sw(kMem, -1, 0x50000000), kUr); // outside the upstream window
    EXPECT_EQ(sw(kMem, -1, 0x00000001000fffffull), down(0));
    EXPECT_EQ(sw(kIo, -1, 0x1800), down(0));
    EXPECT_EQ(sw(kIo, -1, 0x3000), kUr);
    EXPECT_EQ(sw(kMem, 0, 0x80000000), kUp);
    EXPECT_EQ(sw(kMem, 0, 0x40300000), kUr); // inside the upstream window
    EXPECT_EQ(sw(kMem, 0, 0x00000001003fffffull), kUr);
    EXPECT_EQ(sw(kMem, 0, 0x40200000), down(1));
    EXPECT_EQ(sw(kIo, 0, 0x4000), kUp);
    EXPECT_EQ(sw(kIo, 0, 0x3fff), kUr);
    wr(kUpHdr, 1, 0x00000003); // upstream port: bus master off
    EXPECT_EQ(sw(kMem, 0, 0x80000000), kUr);
    EXPECT_EQ(sw(kMem, 0, 0x40200000), down(1)); // stays inside the switch
    wr(kUpHdr, 1, 0x00000005);                   // upstream port: memory off
    EXPECT_EQ(sw(kMem, -1, 0x40000000), kUr);
    EXPECT_EQ(sw(kIo, -1, 0x1000), down(0));
}

// ---- ID routing ----

TEST_F(Fabric, ConfigFromHostInRootComplex) {
    program_topology();
    // Root bus 0: port k is device k+1, function 0.
    EXPECT_EQ(rc(kCfg0, -1, 0, 0x0008), self_dn(0));
    EXPECT_EQ(rc(kCfg0, -1, 0, 0x0020), self_dn(3));
    EXPECT_EQ(rc(kCfg0, -1, 0, 0x0009), kUr); // function 1: none
    EXPECT_EQ(rc(kCfg0, -1, 0, 0x0000), kUr); // device 0: not a port
    EXPECT_EQ(rc(kCfg1, -1, 0, 0x0010), self_dn(1));
    // The host sends Type 0 for every bus: off bus 0 the Type 1 rule routes it.
    EXPECT_EQ(rc(kCfg0, -1, 0, 0x0200), down(0, true));
    EXPECT_EQ(rc(kCfg0, -1, 0, 0x0300), down(0, false));
    EXPECT_EQ(rc(kCfg0, -1, 0, 0x0100), kUr);
    // Type 1 to a port's secondary bus becomes Type 0, device 0 only.
    EXPECT_EQ(rc(kCfg1, -1, 0, 0x0200), down(0, true));
    EXPECT_EQ(rc(kCfg1, -1, 0, 0x0207), down(0, true));
    EXPECT_EQ(rc(kCfg1, -1, 0, 0x0208), kUr);
    EXPECT_EQ(rc(kCfg1, -1, 0, 0x0300), down(0, false)); // subordinate: stays Type 1
    EXPECT_EQ(rc(kCfg1, -1, 0, 0x03f8), down(0, false));
    EXPECT_EQ(rc(kCfg1, -1, 0, 0x0400), down(1, true));
    EXPECT_EQ(rc(kCfg1, -1, 0, 0x0500), down(2, true)); // Command does not gate config
    EXPECT_EQ(rc(kCfg1, -1, 0, 0x0100), kUr);           // no port owns bus 1
    EXPECT_EQ(rc(kCfg1, -1, 0, 0x0600), kUr);
    EXPECT_EQ(rc(kCfg1, -1, 0, 0xff00), kUr);
    // Configuration requests never travel upward or between peers.
    EXPECT_EQ(rc(kCfg1, 1, 0, 0x0200), kUr);
    EXPECT_EQ(rc(kCfg0, 1, 0, 0x0008), kUr);
}

TEST_F(Fabric, ConfigThroughSwitch) {
    program_topology();
    EXPECT_EQ(sw(kCfg0, -1, 0, 0x0000), kSelfUp);
    EXPECT_EQ(sw(kCfg1, -1, 0, 0x0110), self_dn(1)); // internal bus 1, device 2
    EXPECT_EQ(sw(kCfg1, -1, 0, 0x0128), kUr);        // device 5: none
    EXPECT_EQ(sw(kCfg1, -1, 0, 0x0203), down(0, true));
    EXPECT_EQ(sw(kCfg1, -1, 0, 0x0300), down(0, false));
    EXPECT_EQ(sw(kCfg1, -1, 0, 0x0400), down(1, true));
    EXPECT_EQ(sw(kCfg1, -1, 0, 0x0600), kUr); // in 1..6, no port owns it
    EXPECT_EQ(sw(kCfg1, -1, 0, 0x0700), kUr); // past the subordinate bus
    EXPECT_EQ(sw(kCfg1, -1, 0, 0x0000), kUr);
    EXPECT_EQ(sw(kCfg1, 2, 0, 0x0400), kUr);
}

TEST_F(Fabric, UnprogrammedBusNumbersOwnNothing) {
    // All ports at reset: secondary = subordinate = 0.
    EXPECT_EQ(rc(kCfg1, -1, 0, 0x0100), kUr);
    EXPECT_EQ(rc(kCpl, -1, 0, 0x0100), kDrop);
    EXPECT_EQ(rc(kCfg1, -1, 0, 0x0018), self_dn(2)); // root bus: the port itself
}

TEST_F(Fabric, CompletionsByRequesterId) {
    program_topology();
    EXPECT_EQ(rc(kCpl, -1, 0, 0x0300), down(0));
    EXPECT_EQ(rc(kCpl, -1, 0, 0x0400), down(1));
    EXPECT_EQ(rc(kCpl, -1, 0, 0x0500), down(2)); // Command does not gate completions
    EXPECT_EQ(rc(kCpl, -1, 0, 0x0100), kDrop);
    EXPECT_EQ(rc(kCpl, -1, 0, 0x0010), self_dn(1));
    EXPECT_EQ(rc(kCpl, 1, 0, 0x0000), kUp);     // the host bridge 00:00.0
    EXPECT_EQ(rc(kCpl, 1, 0, 0x0200), down(0)); // peer's requester
    EXPECT_EQ(rc(kCpl, 1, 0, 0x0400), kDrop);   // back out of its ingress
    EXPECT_EQ(rc(kCpl, 1, 0, 0x0008), self_dn(0));
    wr(1, 1, 0x00000000); // bus master off does not stop completions
    EXPECT_EQ(rc(kCpl, 1, 0, 0x0000), kUp);
    // Switch: up when outside 1..6, dropped inside when nobody owns it.
    EXPECT_EQ(sw(kCpl, 0, 0, 0x0000), kUp);
    EXPECT_EQ(sw(kCpl, 0, 0, 0x0700), kUp);
    EXPECT_EQ(sw(kCpl, 0, 0, 0x0600), kDrop);
    EXPECT_EQ(sw(kCpl, 0, 0, 0x0400), down(1));
    EXPECT_EQ(sw(kCpl, -1, 0, 0x0300), down(0));
    EXPECT_EQ(sw(kCpl, -1, 0, 0x0100), kDrop);
}

TEST_F(Fabric, Messages) {
    program_topology();
    EXPECT_EQ(rc(kMsgId, -1, 0, 0x0500), down(2));
    EXPECT_EQ(rc(kMsgId, -1, 0, 0x0100), kUr); // unclaimed: UR, not dropped
    EXPECT_EQ(rc(kMsgId, 0, 0, 0x0400), down(1));
    EXPECT_EQ(rc(kMsgId, 0, 0, 0x0300), kUr);
    EXPECT_EQ(rc(kMsgRoot, 3, 0), kUp);
    EXPECT_EQ(rc(kMsgRoot, -1, 0), kUr);
    EXPECT_EQ(sw(kMsgRoot, 2, 0), kUp);
    EXPECT_EQ(rc(kMsgBcast, -1, 0), (Route{dBcast, 0, false, 0xf}));
    EXPECT_EQ(sw(kMsgBcast, -1, 0), (Route{dBcast, 0, false, 0xf}));
    EXPECT_EQ(rc(kMsgBcast, 0, 0), kUr);
}

} // namespace
