// fabric_switch (rtl/fabric/): a switch with an upstream port (4) and four
// downstream ports (0..3) at the TLP-header level. Expected TLPs are written
// by hand from the routing rules (route_decode.sv), the Type 1 header map
// (rtl/fabric/README.md) and the ordering table; the IDs are QEMU's x3130
// switch ports (upstream 104c:8232, downstream 104c:8233).
#include "Vswitch.h"
#include "switch_bench.hpp"

#include <verilated.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <optional>

namespace {

constexpr unsigned kUp = 4, kPorts = 5;
using namespace rcsim::fabric_test; // the kind, class and status codes

class Switch : public ::testing::Test, protected rcsim::fabric_test::SwitchBench<Vswitch, kPorts> {
  protected:
    void SetUp() override { start_idle(); }

    // a config request from the root (requester 00:00.0) into the upstream
    // port; Type 0 when target is the switch's upstream port itself
    static Tlp cfg(bool type1, unsigned target, unsigned reg, bool wr, uint32_t data,
                   unsigned tag) {
        Tlp t;
        t.kind = type1 ? kCfg1 : kCfg0;
        t.cls = kNp;
        t.wr = wr ? 1 : 0;
        t.addr = reg * 4;
        t.id = target;
        t.req_id = 0x0000;
        t.tag = tag;
        t.be = 0xf;
        t.data = data;
        t.hdr = 0xc0de0000u | tag;
        return t;
    }

    // sends a config request upstream and returns the completion that comes
    // back out of the upstream port
    Tlp cfg_roundtrip(const Tlp &req) {
        EXPECT_TRUE(send(kUp, req));
        EXPECT_TRUE(idle_except(kUp));
        const auto c = recv(kUp);
        EXPECT_TRUE(c.has_value());
        return c.value_or(Tlp{});
    }

    uint32_t cfg_read(bool type1, unsigned target, unsigned reg) {
        const Tlp req = cfg(type1, target, reg, false, 0, 0x11);
        const Tlp c = cfg_roundtrip(req);
        EXPECT_EQ(c.kind, kCpl);
        EXPECT_EQ(c.cls, kCplCls);
        EXPECT_EQ(c.status, kSc);
        EXPECT_EQ(c.wr, 1u); // CplD
        EXPECT_EQ(c.id, 0x0000u);
        EXPECT_EQ(c.req_id, req.id); // completer: the function addressed
        EXPECT_EQ(c.tag, 0x11u);
        EXPECT_EQ(c.hdr, 0u);                               // made by the switch: no handle
        EXPECT_EQ(done_, std::optional<uint32_t>(req.hdr)); // answered: never leaves
        return c.data;
    }

    void cfg_write(bool type1, unsigned target, unsigned reg, uint32_t v) {
        const Tlp c = cfg_roundtrip(cfg(type1, target, reg, true, v, 0x22));
        EXPECT_EQ(c.kind, kCpl);
        EXPECT_EQ(c.status, kSc);
        EXPECT_EQ(c.wr, 0u); // Cpl, no data
        EXPECT_EQ(c.tag, 0x22u);
    }

    // program_switch_topology's hierarchy (switch_bench.hpp)
    void program_topology() {
        program_switch_topology([this](bool type1, unsigned target, unsigned reg, uint32_t v) {
            cfg_write(type1, target, reg, v);
        });
    }

    static Tlp mem(bool wr, uint64_t addr, unsigned tag) {
        Tlp t;
        t.kind = kMem;
        t.cls = wr ? kP : kNp;
        t.wr = wr ? 1 : 0;
        t.addr = addr;
        t.req_id = 0x0000;
        t.tag = tag;
        t.data = 0x5a5a0000u | tag;
        t.hdr = 0xbeef0000u | tag;
        return t;
    }
};

TEST_F(Switch, ConfigReadsOfEveryPortsHeaderThroughTheUpstreamPort) {
    EXPECT_EQ(cfg_read(false, 0x0100, 0), 0x8232104cu);
    EXPECT_EQ(cfg_read(false, 0x0100, 2), 0x06040000u);
    EXPECT_EQ(cfg_read(false, 0x0100, 3), 0x00010000u); // Header Type 1
    cfg_write(false, 0x0100, 6, 0x004f0201);
    EXPECT_EQ(cfg_read(false, 0x0100, 6), 0x004f0201u);
    for (unsigned k = 0; k < 4; k++) {
        const unsigned dev = 0x0200 | ((k + 1) << 3);
        EXPECT_EQ(cfg_read(true, dev, 0), 0x8233104cu) << k;
        EXPECT_EQ(cfg_read(true, dev, 8), 0x0000fff0u) << k; // window reset closed
        cfg_write(true, dev, 6, 0x00000002u | ((0x10u + k) << 8) | ((0x10u + k) << 16));
    }
    // each port kept its own bus numbers
    for (unsigned k = 0; k < 4; k++) {
        EXPECT_EQ(cfg_read(true, 0x0200 | ((k + 1) << 3), 6),
                  0x00000002u | ((0x10u + k) << 8) | ((0x10u + k) << 16))
            << k;
    }
    EXPECT_EQ(m_->cnt_ur_cpl, 0u);
}

TEST_F(Switch, ConfigForNoPortOnTheInternalBusIsUr) {
    cfg_write(false, 0x0100, 6, 0x004f0201);
    const Tlp c = cfg_roundtrip(cfg(true, 0x0200 | (5 << 3), 0, false, 0, 0x33));
    EXPECT_EQ(c.kind, kCpl);
    EXPECT_EQ(c.cls, kCplCls);
    EXPECT_EQ(c.status, kUr);
    EXPECT_EQ(c.wr, 0u);
    EXPECT_EQ(c.id, 0x0000u);
    EXPECT_EQ(c.req_id, 0x0100u); // completer: the upstream port, 01:00.0
    EXPECT_EQ(c.tag, 0x33u);
    EXPECT_EQ(c.hdr, 0u);
    EXPECT_EQ(m_->cnt_ur_cpl, 1u);
    // device 0 on the internal bus is no port either (port k is device k+1)
    EXPECT_EQ(cfg_roundtrip(cfg(true, 0x0200, 0, false, 0, 0x34)).status, kUr);
    // nor is port 3 (device 4) while it is not present
    m_->port_present = 0x7;
    EXPECT_EQ(cfg_roundtrip(cfg(true, 0x0200 | (4 << 3), 0, false, 0, 0x35)).status, kUr);
    EXPECT_EQ(done_, std::optional<uint32_t>(0xc0de0035u));
    m_->port_present = 0xf;
    EXPECT_EQ(cfg_roundtrip(cfg(true, 0x0200 | (4 << 3), 0, false, 0, 0x36)).status, kSc);
    EXPECT_EQ(m_->cnt_ur_cpl, 3u);
}

TEST_F(Switch, Type1ForASecondaryBusLeavesAsType0) {
    program_topology();
    // 0x30 is port 2's secondary bus: leaves port 2 as Type 0, ID unchanged
    ASSERT_TRUE(send(kUp, cfg(true, 0x3000, 0, false, 0, 0x44)));
    EXPECT_TRUE(idle_except(2));
    const auto t = recv(2);
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(t->kind, kCfg0);
    EXPECT_EQ(t->cls, kNp);
    EXPECT_EQ(t->id, 0x3000u);
    EXPECT_EQ(t->tag, 0x44u);
    EXPECT_EQ(t->hdr, 0xc0de0044u);
}

TEST_F(Switch, MemWrIntoPort2sWindowLeavesPort2) {
    program_topology();
    ASSERT_TRUE(send(kUp, mem(true, 0x82345678, 7)));
    EXPECT_TRUE(idle_except(2));
    const auto t = recv(2);
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(t->kind, kMem);
    EXPECT_EQ(t->cls, kP);
    EXPECT_EQ(t->wr, 1u);
    EXPECT_EQ(t->addr, 0x82345678u);
    EXPECT_EQ(t->tag, 7u);
    EXPECT_EQ(t->data, 0x5a5a0007u);
    EXPECT_EQ(t->hdr, 0xbeef0007u);
    EXPECT_FALSE(recv(2).has_value());
}

TEST_F(Switch, MemWrOutsideEveryWindowIsDroppedAndCounted) {
    program_topology();
    ASSERT_TRUE(send(kUp, mem(true, 0x90000000, 1))); // outside the switch
    ASSERT_TRUE(send(kUp, mem(true, 0x84000000, 2))); // switch's, no port's
    EXPECT_TRUE(idle_except(kPorts));
    EXPECT_EQ(m_->cnt_p_drop, 2u);
    EXPECT_EQ(m_->cnt_ur_cpl, 0u);
}

TEST_F(Switch, MemRdOutsideEveryWindowGetsUrCompletionBackUp) {
    program_topology();
    ASSERT_TRUE(send(kUp, mem(false, 0x90000000, 9)));
    EXPECT_TRUE(idle_except(kUp));
    const auto c = recv(kUp);
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->kind, kCpl);
    EXPECT_EQ(c->cls, kCplCls);
    EXPECT_EQ(c->status, kUr);
    EXPECT_EQ(c->wr, 0u);
    EXPECT_EQ(c->id, 0x0000u);
    EXPECT_EQ(c->req_id, 0x0100u);
    EXPECT_EQ(c->tag, 9u);
    EXPECT_EQ(c->hdr, 0u);
    EXPECT_EQ(m_->cnt_ur_cpl, 1u);
    EXPECT_EQ(m_->cnt_p_drop, 0u);
}

TEST_F(Switch, RequestsOutOfAPortWithItsLinkDownAreUr) {
    program_topology();
    m_->link_up = 0x1f & ~(1u << 2); // nothing attached to port 2
    // a read into port 2's window from port 0 (peer to peer): UR back to
    // port 0, made by port 0's function 02:01.0
    Tlp rd = mem(false, 0x82000000, 0x21);
    rd.req_id = 0x1000; // 10:00.0 below port 0
    ASSERT_TRUE(send(0, rd));
    EXPECT_EQ(done_, std::optional<uint32_t>(0xbeef0021u));
    EXPECT_TRUE(idle_except(0));
    const auto c = recv(0);
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->kind, kCpl);
    EXPECT_EQ(c->cls, kCplCls);
    EXPECT_EQ(c->status, kUr);
    EXPECT_EQ(c->wr, 0u);
    EXPECT_EQ(c->id, 0x1000u);
    EXPECT_EQ(c->req_id, 0x0208u);
    EXPECT_EQ(c->tag, 0x21u);
    // a write from the host: dropped and counted
    ASSERT_TRUE(send(kUp, mem(true, 0x82000040, 0x22)));
    EXPECT_EQ(done_, std::optional<uint32_t>(0xbeef0022u));
    EXPECT_TRUE(idle_except(kPorts));
    EXPECT_EQ(m_->cnt_ur_cpl, 1u);
    EXPECT_EQ(m_->cnt_p_drop, 1u);
    // port 3, link up, still gets its write
    ASSERT_TRUE(send(kUp, mem(true, 0x83000000, 0x23)));
    EXPECT_FALSE(done_.has_value());
    const auto t = recv(3);
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(t->hdr, 0xbeef0023u);
}

TEST_F(Switch, CompletionFromPort1ToTheRootBusGoesUp) {
    program_topology();
    Tlp c;
    c.kind = kCpl;
    c.cls = kCplCls;
    c.wr = 1;
    c.id = 0x0000;     // requester 00:00.0 on the root bus
    c.req_id = 0x2000; // completer 20:00.0 below port 1
    c.tag = 0x55;
    c.data = 0x12345678;
    c.hdr = 0xcafe0055;
    ASSERT_TRUE(send(1, c));
    EXPECT_TRUE(idle_except(kUp));
    const auto t = recv(kUp);
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(t->kind, kCpl);
    EXPECT_EQ(t->id, 0x0000u);
    EXPECT_EQ(t->tag, 0x55u);
    EXPECT_EQ(t->data, 0x12345678u);
    EXPECT_EQ(t->hdr, 0xcafe0055u);
    // one for bus 0x25 (below port 1 itself) goes nowhere
    c.id = 0x2500;
    ASSERT_TRUE(send(1, c));
    EXPECT_TRUE(idle_except(kPorts));
    EXPECT_EQ(m_->cnt_cpl_drop, 1u);
}

TEST_F(Switch, PeerToPeerMemWrFromPort0LeavesPort3) {
    program_topology();
    ASSERT_TRUE(send(0, mem(true, 0x83001000, 3)));
    EXPECT_TRUE(idle_except(3));
    const auto t = recv(3);
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(t->addr, 0x83001000u);
    EXPECT_EQ(t->tag, 3u);
}

TEST_F(Switch, ReadDoesNotPassAnEarlierWriteToTheSamePort) {
    program_topology();
    block(2, 1u << kP); // no posted credit on port 2
    ASSERT_TRUE(send(kUp, mem(true, 0x82000000, 1)));
    ASSERT_TRUE(send(kUp, mem(false, 0x82000040, 2)));
    // the MemRd has NP credit but must wait behind the older MemWr
    EXPECT_FALSE(recv(2).has_value());
    block(2, 0);
    const auto a = recv(2);
    const auto b = recv(2);
    ASSERT_TRUE(a.has_value() && b.has_value());
    EXPECT_EQ(a->tag, 1u);
    EXPECT_EQ(a->cls, kP);
    EXPECT_EQ(b->tag, 2u);
    EXPECT_EQ(b->cls, kNp);
}

TEST_F(Switch, BlockedClassHoldsOnlyThatClass) {
    program_topology();
    block(2, 1u << kNp);
    ASSERT_TRUE(send(kUp, mem(false, 0x82000000, 1)));
    ASSERT_TRUE(send(kUp, mem(true, 0x82000040, 2)));
    const auto w = recv(2); // the MemWr passes the blocked MemRd
    ASSERT_TRUE(w.has_value());
    EXPECT_EQ(w->tag, 2u);
    EXPECT_FALSE(recv(2).has_value());
    block(2, 0);
    const auto r = recv(2);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->tag, 1u);
}

TEST_F(Switch, FullEgressClassStallsOnlyTheIngressFeedingIt) {
    program_topology();
    block(2, 1u << kP);
    for (unsigned i = 0; i < 4; i++)
        ASSERT_TRUE(send(kUp, mem(true, 0x82000000 + i, i)));
    // port 2's P queue is full: the fifth write waits on the upstream port
    offer(kUp, mem(true, 0x82000010, 4));
    EXPECT_EQ(get(m_->in_ready, kUp, 1), 0u);
    // meanwhile port 0's write to port 3 goes (round-robin skips the stall)
    ASSERT_TRUE(send(0, mem(true, 0x83000000, 5)));
    EXPECT_EQ(get(m_->in_ready, kUp, 1), 0u);
    const auto p3 = recv(3);
    ASSERT_TRUE(p3.has_value());
    EXPECT_EQ(p3->tag, 5u);
    put(m_->in_valid, kUp, 1, 0);
    block(2, 0);
    for (unsigned i = 0; i < 4; i++) {
        const auto t = recv(2);
        ASSERT_TRUE(t.has_value());
        EXPECT_EQ(t->tag, i);
    }
    EXPECT_FALSE(recv(2).has_value());
    // room again: the held write is taken
    ASSERT_TRUE(send(kUp, mem(true, 0x82000010, 4)));
    const auto t = recv(2);
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(t->tag, 4u);
}

TEST_F(Switch, TwoIngressesInOneCycleTakeTurns) {
    program_topology();
    offer(kUp, mem(true, 0x83000000, 1));
    offer(0, mem(true, 0x83000100, 2));
    // one TLP per cycle: after the last turn (port 3's config write went
    // through the upstream port) the pointer is past port 4, at port 0
    EXPECT_EQ(get(m_->in_ready, 0, 1), 1u);
    EXPECT_EQ(get(m_->in_ready, kUp, 1), 0u);
    tick();
    // port 0 offers again at once, but it is the upstream port's turn
    offer(0, mem(true, 0x83000200, 3));
    EXPECT_EQ(get(m_->in_ready, kUp, 1), 1u);
    EXPECT_EQ(get(m_->in_ready, 0, 1), 0u);
    tick();
    put(m_->in_valid, kUp, 1, 0);
    m_->eval();
    EXPECT_EQ(get(m_->in_ready, 0, 1), 1u);
    tick();
    put(m_->in_valid, 0, 1, 0);
    for (unsigned tag : {2u, 1u, 3u}) {
        const auto t = recv(3);
        ASSERT_TRUE(t.has_value());
        EXPECT_EQ(t->tag, tag);
    }
}

TEST_F(Switch, NoClassThreeIsDroppedAndCounted) {
    program_topology();
    Tlp t = mem(true, 0x82000000, 1);
    t.cls = 3;
    ASSERT_TRUE(send(kUp, t));
    EXPECT_TRUE(idle_except(kPorts));
    EXPECT_EQ(m_->cnt_bad_cls, 1u);
}

TEST_F(Switch, BroadcastFromTheRootLeavesEveryDownstreamPort) {
    program_topology();
    Tlp b;
    b.kind = 7; // K_MSG_BCAST
    b.cls = kP;
    b.tag = 0x66;
    b.hdr = 0xb0000066;
    ASSERT_TRUE(send(kUp, b));
    for (unsigned k = 0; k < 4; k++) {
        const auto t = recv(k);
        ASSERT_TRUE(t.has_value()) << k;
        EXPECT_EQ(t->kind, 7u);
        EXPECT_EQ(t->hdr, 0xb0000066u);
    }
    EXPECT_FALSE(recv(kUp).has_value());
    // from below it is UR; posted, so dropped
    ASSERT_TRUE(send(1, b));
    EXPECT_TRUE(idle_except(kPorts));
    EXPECT_EQ(m_->cnt_p_drop, 1u);
}

} // namespace
