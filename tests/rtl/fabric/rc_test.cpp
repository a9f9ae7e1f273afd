// fabric_switch as a root complex (rtl/fabric/, UP_IS_BRIDGE = 0): four root
// ports (0..3 = 00:01.0..00:04.0) and the host side (4) at the TLP-header
// level. Expected TLPs are written by hand from the routing rules
// (route_decode.sv, rtl/fabric/README.md "Root complex config"); the IDs are
// QEMU's pcie-root-port (1b36:000c).
#include "Vrc.h"
#include "switch_bench.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>

namespace {

constexpr unsigned kHost = 4, kPorts = 5;
using namespace rcsim::fabric_test; // the kind, class and status codes

class RootComplex : public ::testing::Test, protected rcsim::fabric_test::SwitchBench<Vrc, kPorts> {
  protected:
    void SetUp() override { start_idle(); }

    // the host's config request: always Type 0, full target ID
    static Tlp cfg(unsigned target, unsigned reg, bool wr, uint32_t data, unsigned tag) {
        Tlp t;
        t.kind = kCfg0;
        t.cls = kNp;
        t.wr = wr ? 1 : 0;
        t.addr = reg * 4;
        t.id = target;
        t.tag = tag;
        t.be = 0xf;
        t.data = data;
        t.hdr = 0xc0de0000u | tag;
        return t;
    }

    // a config request a root port answers: its completion back to the host
    Tlp self(const Tlp &req) {
        EXPECT_TRUE(send(kHost, req));
        EXPECT_EQ(done_, std::optional<uint32_t>(req.hdr));
        EXPECT_TRUE(idle_except(kHost));
        return recv(kHost).value_or(Tlp{});
    }

    void cfg_write(unsigned target, unsigned reg, uint32_t v) {
        const Tlp c = self(cfg(target, reg, true, v, 0x22));
        EXPECT_EQ(c.kind, kCpl);
        EXPECT_EQ(c.status, kSc);
        EXPECT_EQ(c.wr, 0u);
        EXPECT_EQ(c.req_id, target); // completer
    }

    // Port k (00:(k+1).0): buses 0x10(k+1)..0x10(k+1)+0xf, memory 16 MiB
    // from 0x8000_0000 + k * 16 MiB, Memory Space and Bus Master on.
    void program_ports() {
        for (unsigned k = 0; k < 4; k++) {
            const unsigned dev = (k + 1) << 3;
            const uint32_t sec = 0x10 * (k + 1);
            cfg_write(dev, 6, ((sec + 0xf) << 16) | (sec << 8));
            const uint32_t base = 0x8000 + k * 0x100;
            cfg_write(dev, 8, ((base + 0xf0) << 16) | base);
            cfg_write(dev, 1, 0x00000006);
        }
    }

    static Tlp mem(bool wr, uint64_t addr, unsigned req_id, unsigned tag) {
        Tlp t;
        t.kind = kMem;
        t.cls = wr ? kP : kNp;
        t.wr = wr ? 1 : 0;
        t.addr = addr;
        t.req_id = req_id;
        t.tag = tag;
        t.hdr = 0xbeef0000u | tag;
        return t;
    }
};

TEST_F(RootComplex, RootPortsAreOnBus0AtDevice1To4) {
    for (unsigned k = 0; k < 4; k++) {
        const unsigned dev = (k + 1) << 3;
        const Tlp c = self(cfg(dev, 0, false, 0, 0x10 + k));
        EXPECT_EQ(c.kind, kCpl) << k;
        EXPECT_EQ(c.cls, kCplCls) << k;
        EXPECT_EQ(c.status, kSc) << k;
        EXPECT_EQ(c.wr, 1u) << k;
        EXPECT_EQ(c.data, 0x000c1b36u) << k;
        EXPECT_EQ(c.id, 0x0000u) << k; // requester: the host bridge
        EXPECT_EQ(c.req_id, dev) << k; // completer: the port
        EXPECT_EQ(c.tag, 0x10u + k) << k;
        EXPECT_EQ(c.hdr, 0u) << k;
    }
    // device 0 is the host bridge's, device 5 nobody's: UR from 00:00.0
    for (unsigned dev : {0x00u, 0x28u}) {
        const Tlp c = self(cfg(dev, 0, false, 0, 0x20));
        EXPECT_EQ(c.status, kUr) << dev;
        EXPECT_EQ(c.wr, 0u) << dev;
        EXPECT_EQ(c.req_id, 0x0000u) << dev;
    }
    // a port not present answers nothing
    m_->port_present = 0xb; // port 2 (00:03.0) absent
    EXPECT_EQ(self(cfg(0x18, 0, false, 0, 0x21)).status, kUr);
    EXPECT_EQ(m_->cnt_ur_cpl, 3u);
}

TEST_F(RootComplex, HostType0OffBus0IsRoutedAsType1) {
    program_ports();
    // port 2's secondary bus 0x30, device 0: leaves port 2 as Type 0
    ASSERT_TRUE(send(kHost, cfg(0x3000, 0, false, 0, 0x41)));
    EXPECT_FALSE(done_.has_value());
    EXPECT_TRUE(idle_except(2));
    auto t = recv(2);
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(t->kind, kCfg0);
    EXPECT_EQ(t->id, 0x3000u);
    EXPECT_EQ(t->hdr, 0xc0de0041u);
    // bus 0x31, below port 2's secondary bus: leaves as Type 1
    ASSERT_TRUE(send(kHost, cfg(0x3108, 0, false, 0, 0x42)));
    t = recv(2);
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(t->kind, kCfg1);
    EXPECT_EQ(t->id, 0x3108u);
    // device 1 on a secondary bus, or a bus nobody owns: UR from 00:00.0
    for (unsigned id : {0x3008u, 0x0500u}) {
        const Tlp c = self(cfg(id, 0, false, 0, 0x43));
        EXPECT_EQ(c.kind, kCpl) << id;
        EXPECT_EQ(c.status, kUr) << id;
        EXPECT_EQ(c.req_id, 0x0000u) << id;
    }
}

TEST_F(RootComplex, PeerToPeerAndHostMemoryFromAPort) {
    program_ports();
    // from port 1 into port 3's window: out of port 3
    ASSERT_TRUE(send(1, mem(false, 0x83000040, 0x2000, 0x51)));
    EXPECT_TRUE(idle_except(3));
    auto t = recv(3);
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(t->addr, 0x83000040u);
    EXPECT_EQ(t->req_id, 0x2000u);
    EXPECT_EQ(t->hdr, 0xbeef0051u);
    // outside every port's window: up to the host
    ASSERT_TRUE(send(1, mem(true, 0x00001000, 0x2000, 0x52)));
    EXPECT_TRUE(idle_except(kHost));
    t = recv(kHost);
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(t->addr, 0x1000u);
    EXPECT_EQ(t->hdr, 0xbeef0052u);
}

TEST_F(RootComplex, APortWithItsLinkDownGivesUrToTheRequester) {
    program_ports();
    m_->link_up = 0x1f & ~(1u << 3);
    ASSERT_TRUE(send(1, mem(false, 0x83000040, 0x2000, 0x61)));
    EXPECT_EQ(done_, std::optional<uint32_t>(0xbeef0061u));
    EXPECT_TRUE(idle_except(1));
    const auto c = recv(1);
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->kind, kCpl);
    EXPECT_EQ(c->status, kUr);
    EXPECT_EQ(c->id, 0x2000u);     // the requester
    EXPECT_EQ(c->req_id, 0x0010u); // completer: port 1, 00:02.0
    EXPECT_EQ(c->tag, 0x61u);
    EXPECT_EQ(c->hdr, 0u);
    // from the host too: UR made by the host bridge
    const Tlp h = self(mem(false, 0x83000000, 0x0000, 0x62));
    EXPECT_EQ(h.status, kUr);
    EXPECT_EQ(h.req_id, 0x0000u);
    EXPECT_EQ(m_->cnt_ur_cpl, 2u);
}

TEST_F(RootComplex, CompletionsByRequesterId) {
    program_ports();
    Tlp c;
    c.kind = kCpl;
    c.cls = kCplCls;
    c.wr = 1;
    c.req_id = 0x1000; // completer below port 0
    c.tag = 0x71;
    c.hdr = 0xcafe0071;
    c.id = 0x0000; // the host
    ASSERT_TRUE(send(0, c));
    EXPECT_TRUE(idle_except(kHost));
    EXPECT_TRUE(recv(kHost).has_value());
    c.id = 0x2000; // a device below port 1 (peer completion)
    ASSERT_TRUE(send(0, c));
    EXPECT_TRUE(idle_except(1));
    const auto t = recv(1);
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(t->hdr, 0xcafe0071u);
    EXPECT_EQ(m_->cnt_cpl_drop, 0u);
}

} // namespace
