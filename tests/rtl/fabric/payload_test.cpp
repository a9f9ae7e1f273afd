// fabric_switch's payload data path (PAYLOAD=1, SLOTS 2, MPS 256 bytes) at
// DATA_W 128 (model Vswpl128), 64 (Vswpl64) and 512 (Vswpl512): a switch with an
// upstream port (4) and downstream ports 0..3, the topology of
// switch_test.cpp. Payload beats follow rtl/README.md's packing: lane k of a
// beat is bits [32k+31:32k], DW i of the payload is lane i % NW of beat
// i / NW, keep contiguous from lane 0. Expected beats are written by hand.
#include "Vswpl128.h"
#include "Vswpl512.h"
#include "Vswpl64.h"
#include "switch_bench.hpp"

#include <verilated.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <vector>

namespace {

using namespace rcsim::fabric_test;
constexpr unsigned kUp = 4, kPorts = 5;

struct Beat {
    std::vector<uint32_t> dw; // NW lanes
    unsigned keep = 0;
    bool sop = false, eop = false;
};

template <class Model, unsigned NW>
class Payload : public ::testing::Test, protected SwitchBench<Model, kPorts> {
  protected:
    using B = SwitchBench<Model, kPorts>;
    using B::m_;
    static constexpr unsigned kNw = NW;
    static constexpr unsigned kW = 32 * NW;

    void SetUp() override { this->start_idle(); }

    // A CplD for requester 00:00.0 on the root bus from completer 20:00.0
    // (below port 1).
    static Tlp cpld(unsigned tag) {
        Tlp c;
        c.kind = kCpl;
        c.cls = kCplCls;
        c.wr = 1;
        c.id = 0x0000;
        c.req_id = 0x2000;
        c.tag = tag;
        c.hdr = 0xcafe0000u | tag;
        return c;
    }

    static Tlp mem(bool wr, uint64_t addr, unsigned tag) {
        Tlp t;
        t.kind = kMem;
        t.cls = wr ? kP : kNp;
        t.wr = wr ? 1 : 0;
        t.addr = addr;
        t.tag = tag;
        t.hdr = 0xbeef0000u | tag;
        return t;
    }

    // Offers one beat on ingress p for a cycle: lanes dw (fewer than NW:
    // the rest 0, keep cleared), of a posted TLP or (np) another; whether
    // it was taken.
    bool beat(unsigned p, const std::vector<uint32_t> &dw, bool eop, bool np = false) {
        unsigned keep = 0;
        for (unsigned j = 0; j < NW; j++) {
            put(m_->in_beat_data, kW * p + 32 * j, 32, j < dw.size() ? dw[j] : 0);
            if (j < dw.size())
                keep |= 1u << j;
        }
        put(m_->in_beat_keep, NW * p, NW, keep);
        put(m_->in_beat_eop, p, 1, eop ? 1 : 0);
        put(m_->in_beat_np, p, 1, np ? 1 : 0);
        put(m_->in_beat_valid, p, 1, 1);
        m_->eval();
        const bool took = get(m_->in_beat_ready, p, 1) != 0;
        this->tick();
        put(m_->in_beat_valid, p, 1, 0);
        m_->eval();
        return took;
    }

    // payload dws into ingress p, NW a beat; false if a beat was refused
    bool payload(unsigned p, const std::vector<uint32_t> &dws, bool np = false) {
        for (std::size_t i = 0; i < dws.size(); i += NW) {
            const std::size_t n = std::min<std::size_t>(NW, dws.size() - i);
            const std::vector<uint32_t> lanes(dws.begin() + i, dws.begin() + i + n);
            if (!beat(p, lanes, i + n == dws.size(), np))
                return false;
        }
        return true;
    }

    // the TLP with payload: its beats, then its header (in_pl) for a cycle
    bool send_pl(unsigned p, const Tlp &t, const std::vector<uint32_t> &dws) {
        if (!payload(p, dws, t.cls != kP))
            return false;
        put(m_->in_pl, p, 1, 1);
        const bool took = this->send(p, t);
        put(m_->in_pl, p, 1, 0);
        m_->eval();
        return took;
    }

    // whether egress p's waiting header says beats follow
    bool out_pl(unsigned p) {
        m_->eval();
        return get(m_->out_pl, p, 1) != 0;
    }

    // takes the beats egress p streams, until eop (at most max beats)
    std::vector<Beat> recv_beats(unsigned p, unsigned max = 64) {
        std::vector<Beat> v;
        m_->eval();
        while (v.size() < max && get(m_->out_beat_valid, p, 1)) {
            Beat b;
            for (unsigned j = 0; j < NW; j++)
                b.dw.push_back(static_cast<uint32_t>(get(m_->out_beat_data, kW * p + 32 * j, 32)));
            b.keep = static_cast<unsigned>(get(m_->out_beat_keep, NW * p, NW));
            b.sop = get(m_->out_beat_sop, p, 1) != 0;
            b.eop = get(m_->out_beat_eop, p, 1) != 0;
            put(m_->out_beat_ready, p, 1, 1);
            this->tick();
            put(m_->out_beat_ready, p, 1, 0);
            m_->eval();
            v.push_back(b);
            if (b.eop)
                break;
        }
        return v;
    }

    // 64 bytes: DW i = 0xd0d00000 + i
    static std::vector<uint32_t> dws64() {
        std::vector<uint32_t> v;
        for (uint32_t i = 0; i < 16; i++)
            v.push_back(0xd0d00000u + i);
        return v;
    }
};

class Payload128 : public Payload<Vswpl128, 4> {};
class Payload64 : public Payload<Vswpl64, 2> {};
class Payload512 : public Payload<Vswpl512, 16> {};

// --- DATA_W 128 -------------------------------------------------------------

TEST_F(Payload128, MemWr64BytesFromUpLeavesPort2WithTheSameFourBeats) {
    program_topology();
    ASSERT_TRUE(send_pl(kUp, mem(true, 0x82000100, 7), dws64()));
    EXPECT_TRUE(idle_except(2));
    ASSERT_TRUE(out_pl(2));
    const auto h = recv(2);
    ASSERT_TRUE(h.has_value());
    EXPECT_EQ(h->kind, kMem);
    EXPECT_EQ(h->addr, 0x82000100u);
    EXPECT_EQ(h->tag, 7u);
    EXPECT_EQ(h->hdr, 0xbeef0007u);
    const auto b = recv_beats(2);
    ASSERT_EQ(b.size(), 4u);
    EXPECT_EQ(b[0].dw, (std::vector<uint32_t>{0xd0d00000, 0xd0d00001, 0xd0d00002, 0xd0d00003}));
    EXPECT_EQ(b[1].dw, (std::vector<uint32_t>{0xd0d00004, 0xd0d00005, 0xd0d00006, 0xd0d00007}));
    EXPECT_EQ(b[2].dw, (std::vector<uint32_t>{0xd0d00008, 0xd0d00009, 0xd0d0000a, 0xd0d0000b}));
    EXPECT_EQ(b[3].dw, (std::vector<uint32_t>{0xd0d0000c, 0xd0d0000d, 0xd0d0000e, 0xd0d0000f}));
    for (unsigned i = 0; i < 4; i++) {
        EXPECT_EQ(b[i].keep, 0xfu) << i;
        EXPECT_EQ(b[i].sop, i == 0) << i;
        EXPECT_EQ(b[i].eop, i == 3) << i;
    }
    EXPECT_FALSE(get(m_->out_beat_valid, 2, 1));
    EXPECT_FALSE(get(m_->out_valid, 2, 1));
}

// The header may come with its last beat: both are taken on one edge (no
// cycle lost at the ingress), and the egress offers it the next cycle.
TEST_F(Payload128, AHeaderIsTakenWithItsLastBeat) {
    program_topology();
    put(m_->in_beat_data, kW * kUp, 32, 0xabcd0001u);
    put(m_->in_beat_keep, kNw * kUp, kNw, 0x1);
    put(m_->in_beat_eop, kUp, 1, 1);
    put(m_->in_beat_valid, kUp, 1, 1);
    put(m_->in_pl, kUp, 1, 1);
    offer(kUp, mem(true, 0x82000000, 9));
    EXPECT_TRUE(get(m_->in_beat_ready, kUp, 1));
    EXPECT_TRUE(get(m_->in_ready, kUp, 1));
    tick();
    put(m_->in_beat_valid, kUp, 1, 0);
    put(m_->in_pl, kUp, 1, 0);
    put(m_->in_valid, kUp, 1, 0);
    m_->eval();
    EXPECT_TRUE(get(m_->out_valid, 2, 1));
    const auto h = recv(2);
    ASSERT_TRUE(h.has_value());
    EXPECT_EQ(h->tag, 9u);
    const auto b = recv_beats(2);
    ASSERT_EQ(b.size(), 1u);
    EXPECT_EQ(b[0].keep, 0x1u);
    EXPECT_EQ(b[0].dw[0], 0xabcd0001u);
    EXPECT_TRUE(b[0].eop);
}

// A completion's payload whose header waits (up takes no completion and
// its completion queue is full: 4, the DEPTH) holds its ingress's other
// lane only: a write from the same port arriving after it still goes (a
// posted TLP must be able to pass a completion, PCIe's ordering table),
// and the completion follows when up takes completions again.
TEST_F(Payload128, AWritePassesACompletionWaitingWithItsPayload) {
    program_topology();
    block(kUp, 1u << kCplCls);
    for (unsigned i = 0; i < 4; i++) {
        Tlp c = cpld(0x50 + i);
        c.wr = 0; // a Cpl: no data
        ASSERT_TRUE(send(1, c)) << i;
    }
    EXPECT_FALSE(send_pl(1, cpld(0x61), {0xc0, 0xc1}));           // beats in, header waits
    ASSERT_TRUE(send_pl(1, mem(true, 0x10000000, 0x62), {0xd0})); // up: outside every window
    const auto w = recv(kUp);
    ASSERT_TRUE(w.has_value());
    EXPECT_EQ(w->tag, 0x62u);
    EXPECT_EQ(recv_beats(kUp)[0].dw[0], 0xd0u);
    block(kUp, 0);
    for (unsigned i = 0; i < 4; i++)
        EXPECT_EQ(recv(kUp)->tag, 0x50u + i);
    put(m_->in_pl, 1, 1, 1);
    EXPECT_TRUE(send(1, cpld(0x61)));
    put(m_->in_pl, 1, 1, 0);
    const auto c = recv(kUp);
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->tag, 0x61u);
    const auto b = recv_beats(kUp);
    ASSERT_EQ(b.size(), 1u);
    EXPECT_EQ(b[0].dw[0], 0xc0u);
    EXPECT_EQ(b[0].dw[1], 0xc1u);
    EXPECT_EQ(b[0].keep, 0x3u);
}

TEST_F(Payload128, CplDOfFiveDwFromPort1ComesBackUpInTwoBeats) {
    program_topology();
    const Tlp c = cpld(0x55);
    ASSERT_TRUE(send_pl(1, c, {0xa0, 0xa1, 0xa2, 0xa3, 0xa4}));
    EXPECT_TRUE(idle_except(kUp));
    ASSERT_TRUE(out_pl(kUp));
    const auto h = recv(kUp);
    ASSERT_TRUE(h.has_value());
    EXPECT_EQ(h->kind, kCpl);
    EXPECT_EQ(h->id, 0x0000u);
    EXPECT_EQ(h->req_id, 0x2000u);
    EXPECT_EQ(h->tag, 0x55u);
    const auto b = recv_beats(kUp);
    ASSERT_EQ(b.size(), 2u);
    EXPECT_EQ(b[0].dw, (std::vector<uint32_t>{0xa0, 0xa1, 0xa2, 0xa3}));
    EXPECT_EQ(b[0].keep, 0xfu);
    EXPECT_TRUE(b[0].sop);
    EXPECT_FALSE(b[0].eop);
    EXPECT_EQ(b[1].dw[0], 0xa4u);
    EXPECT_EQ(b[1].keep, 0x1u);
    EXPECT_FALSE(b[1].sop);
    EXPECT_TRUE(b[1].eop);
}

TEST_F(Payload128, FullBufferRefusesTheNextTlpUntilASlotFrees) {
    program_topology();
    block(2, 1u << kP); // the two writes stay queued, holding both slots
    ASSERT_TRUE(send_pl(kUp, mem(true, 0x82000000, 1), {0x11}));
    ASSERT_TRUE(send_pl(kUp, mem(true, 0x82000040, 2), {0x22}));
    // a third payload finds no slot: its beat is refused, cycle after cycle
    for (int i = 0; i < 5; i++)
        EXPECT_FALSE(beat(kUp, {0x33}, true)) << i;
    // a TLP without payload is not held by the full buffer
    ASSERT_TRUE(send(kUp, mem(false, 0x83000000, 9)));
    ASSERT_TRUE(recv(3).has_value());
    block(2, 0);
    const auto a = recv(2);
    ASSERT_TRUE(a.has_value());
    EXPECT_EQ(a->tag, 1u);
    EXPECT_FALSE(beat(kUp, {0x33}, true)); // the slot frees with its last beat
    const auto ba = recv_beats(2);
    ASSERT_EQ(ba.size(), 1u);
    EXPECT_EQ(ba[0].dw[0], 0x11u);
    ASSERT_TRUE(send_pl(kUp, mem(true, 0x82000080, 3), {0x33}));
    const auto b = recv(2);
    ASSERT_TRUE(b.has_value());
    EXPECT_EQ(b->tag, 2u);
    EXPECT_EQ(recv_beats(2)[0].dw[0], 0x22u);
    const auto c = recv(2);
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->tag, 3u);
    const auto bc = recv_beats(2);
    ASSERT_EQ(bc.size(), 1u);
    EXPECT_EQ(bc[0].dw[0], 0x33u);
    EXPECT_EQ(bc[0].keep, 0x1u);
}

TEST_F(Payload128, ReadNeverPassesAnEarlierWritesBeats) {
    program_topology();
    ASSERT_TRUE(send_pl(kUp, mem(true, 0x82000000, 1), dws64()));
    ASSERT_TRUE(send(kUp, mem(false, 0x82000040, 2)));
    const auto w = recv(2);
    ASSERT_TRUE(w.has_value());
    EXPECT_EQ(w->tag, 1u);
    // the MemRd's header waits while the write's beats are still out
    for (unsigned i = 0; i < 4; i++) {
        EXPECT_FALSE(get(m_->out_valid, 2, 1)) << i;
        tick(); // the receiver is slow
        EXPECT_FALSE(get(m_->out_valid, 2, 1)) << i;
        const auto b = recv_beats(2, 1);
        ASSERT_EQ(b.size(), 1u);
        EXPECT_EQ(b[0].dw[0], 0xd0d00000u + 4 * i);
    }
    EXPECT_FALSE(out_pl(2));
    const auto r = recv(2);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->tag, 2u);
    EXPECT_EQ(r->cls, kNp);
    EXPECT_TRUE(recv_beats(2).empty());
}

TEST_F(Payload128, DroppedWritesFreeTheirSlots) {
    program_topology();
    // outside every window: dropped; four of them through two slots
    for (unsigned i = 0; i < 4; i++) {
        ASSERT_TRUE(send_pl(kUp, mem(true, 0x90000000, i), {i})) << i;
        EXPECT_EQ(done_, std::optional<uint32_t>(0xbeef0000u | i)) << i;
    }
    EXPECT_EQ(m_->cnt_p_drop, 4u);
    ASSERT_TRUE(send_pl(kUp, mem(true, 0x81000000, 5), {0x55}));
    ASSERT_TRUE(recv(1).has_value());
    EXPECT_EQ(recv_beats(1)[0].dw[0], 0x55u);
}

// A payload longer than Max_Payload_Size is a malformed TLP (PCIe Base
// 2.2.2: a receiver must treat a TLP whose payload exceeds MPS as
// malformed): dropped whole, never cut to MPS and delivered.
TEST_F(Payload128, OversizedPayloadDropsTheWholeTlp) {
    program_topology();
    std::vector<uint32_t> dws; // 68 DW = 17 beats, the slot holds 16 (256 bytes)
    for (uint32_t i = 0; i < 68; i++)
        dws.push_back(i);
    ASSERT_TRUE(send_pl(kUp, mem(true, 0x80000000, 1), dws));
    EXPECT_EQ(done_, std::optional<uint32_t>(0xbeef0001u)); // taken, never leaves
    EXPECT_EQ(m_->cnt_pl_over, 1u);
    EXPECT_EQ(m_->cnt_p_drop, 1u);
    EXPECT_TRUE(idle_except(kPorts)); // nothing on any egress
    EXPECT_FALSE(get(m_->out_beat_valid, 0, 1));
    // its slot is free again, and the ingress's next payload starts clean
    ASSERT_TRUE(send_pl(kUp, mem(true, 0x80000040, 2), {0x21, 0x22}));
    ASSERT_TRUE(send_pl(kUp, mem(true, 0x80000080, 3), {0x31}));
    const auto a = recv(0);
    ASSERT_TRUE(a.has_value());
    EXPECT_EQ(a->tag, 2u);
    const auto ba = recv_beats(0);
    ASSERT_EQ(ba.size(), 1u);
    EXPECT_EQ(ba[0].keep, 0x3u);
    EXPECT_EQ(ba[0].dw[0], 0x21u);
    EXPECT_EQ(ba[0].dw[1], 0x22u);
    EXPECT_EQ(recv(0)->tag, 3u);
    EXPECT_EQ(recv_beats(0)[0].dw[0], 0x31u);
}

// Two ingresses asking for the last free slot in the same cycle take turns:
// the first time port 0 wins (the pointer is at port 0 after the upstream
// port's grant), the next time port 3 does, though port 0 asks again.
TEST_F(Payload128, SlotGrantsTakeTurnsBetweenIngresses) {
    program_topology();
    EXPECT_TRUE(beat(kUp, {0x1}, true)); // holds one slot (no header yet)
    auto both = [this](uint32_t a, uint32_t b) {
        put(m_->in_beat_data, kW * 0, 32, a);
        put(m_->in_beat_data, kW * 3, 32, b);
        for (unsigned p : {0u, 3u}) {
            put(m_->in_beat_keep, kNw * p, kNw, 1);
            put(m_->in_beat_eop, p, 1, 1);
            put(m_->in_beat_valid, p, 1, 1);
        }
        m_->eval();
        const unsigned got =
            unsigned(get(m_->in_beat_ready, 0, 1)) | unsigned(get(m_->in_beat_ready, 3, 1)) << 1;
        this->tick();
        put(m_->in_beat_valid, 0, 1, 0);
        put(m_->in_beat_valid, 3, 1, 0);
        m_->eval();
        return got; // bit 0: port 0 took its beat, bit 1: port 3
    };
    EXPECT_EQ(both(0xa0, 0xb0), 1u);
    // port 0's write goes up (outside every window) and frees its slot
    put(m_->in_pl, 0, 1, 1);
    ASSERT_TRUE(send(0, mem(true, 0x10000000, 4)));
    put(m_->in_pl, 0, 1, 0);
    ASSERT_TRUE(recv(kUp).has_value());
    EXPECT_EQ(recv_beats(kUp)[0].dw[0], 0xa0u);
    EXPECT_EQ(both(0xa1, 0xb0), 2u); // port 3's turn
}

TEST_F(Payload128, BroadcastSharesOneSlotUntilEveryPortSentIt) {
    program_topology();
    Tlp t;
    t.kind = 7; // MSG_BCAST from the root
    t.cls = kP;
    t.wr = 1;
    t.hdr = 0x77;
    ASSERT_TRUE(send_pl(kUp, t, {0xb0}));
    for (unsigned p = 0; p < 3; p++) {
        ASSERT_TRUE(recv(p).has_value()) << p;
        EXPECT_EQ(recv_beats(p)[0].dw[0], 0xb0u) << p;
    }
    // port 3 has not sent it: its slot is still taken, so with a second
    // broadcast in the other slot both are busy
    ASSERT_TRUE(send_pl(kUp, t, {0xb1}));
    EXPECT_FALSE(beat(kUp, {0xb2}, true));
    ASSERT_TRUE(recv(3).has_value());
    EXPECT_EQ(recv_beats(3)[0].dw[0], 0xb0u);
    EXPECT_TRUE(beat(kUp, {0xb2}, true)); // the first broadcast's slot is free
}

// --- DATA_W 64 --------------------------------------------------------------

TEST_F(Payload64, MemWr64BytesFromUpLeavesPort2InEightBeats) {
    program_topology();
    ASSERT_TRUE(send_pl(kUp, mem(true, 0x82000100, 7), dws64()));
    EXPECT_TRUE(idle_except(2));
    ASSERT_TRUE(out_pl(2));
    const auto h = recv(2);
    ASSERT_TRUE(h.has_value());
    EXPECT_EQ(h->addr, 0x82000100u);
    const auto b = recv_beats(2);
    ASSERT_EQ(b.size(), 8u);
    EXPECT_EQ(b[0].dw, (std::vector<uint32_t>{0xd0d00000, 0xd0d00001}));
    EXPECT_EQ(b[1].dw, (std::vector<uint32_t>{0xd0d00002, 0xd0d00003}));
    EXPECT_EQ(b[5].dw, (std::vector<uint32_t>{0xd0d0000a, 0xd0d0000b}));
    EXPECT_EQ(b[7].dw, (std::vector<uint32_t>{0xd0d0000e, 0xd0d0000f}));
    for (unsigned i = 0; i < 8; i++) {
        EXPECT_EQ(b[i].keep, 0x3u) << i;
        EXPECT_EQ(b[i].sop, i == 0) << i;
        EXPECT_EQ(b[i].eop, i == 7) << i;
    }
}

TEST_F(Payload64, CplDOfFiveDwFromPort1ComesBackUpInThreeBeats) {
    program_topology();
    const Tlp c = cpld(0x56);
    ASSERT_TRUE(send_pl(1, c, {0xa0, 0xa1, 0xa2, 0xa3, 0xa4}));
    const auto h = recv(kUp);
    ASSERT_TRUE(h.has_value());
    EXPECT_EQ(h->tag, 0x56u);
    const auto b = recv_beats(kUp);
    ASSERT_EQ(b.size(), 3u);
    EXPECT_EQ(b[0].dw, (std::vector<uint32_t>{0xa0, 0xa1}));
    EXPECT_EQ(b[1].dw, (std::vector<uint32_t>{0xa2, 0xa3}));
    EXPECT_EQ(b[2].dw[0], 0xa4u);
    EXPECT_EQ(b[0].keep, 0x3u);
    EXPECT_EQ(b[1].keep, 0x3u);
    EXPECT_EQ(b[2].keep, 0x1u);
    EXPECT_TRUE(b[2].eop);
}

// Vswpl64 has 3 slots and EG_SLOTS 1: an egress that does not drain holds
// one slot, not the buffer. The second write for blocked port 2 gets a
// slot for its beats but its header waits at the ingress; the third slot
// stays free for port 3's write to port 1 (with no cap the second header
// would have entered port 2's queue too, and a third write the last slot).
TEST_F(Payload64, AnEgressThatDoesNotDrainHoldsOneSlotOnly) {
    program_topology();
    block(2, 1u << kP);
    ASSERT_TRUE(send_pl(kUp, mem(true, 0x82000000, 1), {0x11}));
    EXPECT_FALSE(send_pl(kUp, mem(true, 0x82000040, 2), {0x22}));
    ASSERT_TRUE(send_pl(3, mem(true, 0x81000000, 3), {0x33}));
    const auto p = recv(1);
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->tag, 3u);
    EXPECT_EQ(recv_beats(1)[0].dw[0], 0x33u);
    // port 2 drains: the waiting header goes with the beats it parked
    block(2, 0);
    EXPECT_EQ(recv(2)->tag, 1u);
    EXPECT_EQ(recv_beats(2)[0].dw[0], 0x11u);
    put(m_->in_pl, kUp, 1, 1);
    EXPECT_TRUE(send(kUp, mem(true, 0x82000040, 2)));
    put(m_->in_pl, kUp, 1, 0);
    EXPECT_EQ(recv(2)->tag, 2u);
    EXPECT_EQ(recv_beats(2)[0].dw[0], 0x22u);
}

// --- DATA_W 512 -------------------------------------------------------------

TEST_F(Payload512, MemWr64BytesFromUpLeavesPort2InOneBeat) {
    program_topology();
    ASSERT_TRUE(send_pl(kUp, mem(true, 0x82000100, 7), dws64()));
    const auto h = recv(2);
    ASSERT_TRUE(h.has_value());
    EXPECT_EQ(h->addr, 0x82000100u);
    const auto b = recv_beats(2);
    ASSERT_EQ(b.size(), 1u);
    EXPECT_EQ(b[0].dw, dws64());
    EXPECT_EQ(b[0].keep, 0xffffu);
    EXPECT_TRUE(b[0].sop);
    EXPECT_TRUE(b[0].eop);
}

TEST_F(Payload512, CplDOfTwentyDwComesBackUpInTwoBeats) {
    program_topology();
    const Tlp c = cpld(0x57);
    std::vector<uint32_t> dws;
    for (uint32_t i = 0; i < 20; i++)
        dws.push_back(0xc0 + i);
    ASSERT_TRUE(send_pl(1, c, dws));
    ASSERT_TRUE(recv(kUp).has_value());
    const auto b = recv_beats(kUp);
    ASSERT_EQ(b.size(), 2u);
    EXPECT_EQ(b[0].keep, 0xffffu);
    EXPECT_EQ(b[0].dw[15], 0xcfu);
    EXPECT_EQ(b[1].keep, 0xfu); // DW 16..19
    EXPECT_EQ(b[1].dw[0], 0xd0u);
    EXPECT_EQ(b[1].dw[3], 0xd3u);
    EXPECT_TRUE(b[1].eop);
}

} // namespace
