// ordering_queue (rtl/fabric/): the TLP header queue of one port and its
// ordering arbiter. Expected orders are written by hand from the PCIe
// ordering table (Relaxed Ordering and IDO off): P must not pass P, NP and
// CPL must not pass P, P may pass NP and CPL, NP/CPL may pass each other,
// CPLs of one transaction ID stay in order. The randomized test checks the
// RTL against a reference written from that table in this file.
#include "Vordq.h"
#include "clocked_model.hpp"

#include <verilated.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <random>
#include <vector>

namespace {

constexpr unsigned kP = 0, kNp = 1, kCpl = 2;
constexpr unsigned kBlkP = 1u << kP, kBlkNp = 1u << kNp, kBlkCpl = 1u << kCpl;
constexpr unsigned kDepth = 4;

// a header blob that differs from the tag, so a mix-up of the two shows
uint32_t hdr_of(unsigned tag) {
    return 0x5a000000u | (tag << 8) | (tag ^ 0xffu);
}

class Ordq : public ::testing::Test {
  protected:
    void SetUp() override {
        m_->in_valid = 0;
        m_->out_ready = 0;
        m_->blocked = 0;
        m_.reset();
    }

    void tick() { m_.tick(); }

    // offers one entry for a cycle; returns whether the queue took it
    bool push(unsigned cls, unsigned tag) {
        m_->in_valid = 1;
        m_->in_cls = cls & 3u;
        m_->in_tag = tag & 0xffu;
        m_->in_hdr = hdr_of(tag);
        m_->eval();
        const bool took = m_->in_ready != 0;
        tick();
        m_->in_valid = 0;
        m_->eval();
        return took;
    }

    bool ready_for(unsigned cls) {
        m_->in_cls = cls & 3u;
        m_->eval();
        return m_->in_ready != 0;
    }

    // takes entries out under `blocked` until none may leave; their tags
    std::vector<unsigned> drain(unsigned blocked) {
        std::vector<unsigned> out;
        m_->blocked = blocked & 7u;
        m_->out_ready = 1;
        m_->eval();
        while (m_->out_valid && out.size() < 3 * kDepth + 1) {
            EXPECT_EQ(m_->out_hdr, hdr_of(m_->out_tag));
            out.push_back(m_->out_tag);
            tick();
        }
        m_->out_ready = 0;
        m_->eval();
        return out;
    }

    rcsim::fabric_test::ClockedModel<Vordq> m_;
};

using Tags = std::vector<unsigned>;

TEST_F(Ordq, ResetIsEmpty) {
    EXPECT_EQ(m_->out_valid, 0);
    EXPECT_EQ(m_->class_empty, 7u);
    EXPECT_EQ(m_->class_full, 0u);
    EXPECT_TRUE(ready_for(kP));
    EXPECT_TRUE(ready_for(kNp));
    EXPECT_TRUE(ready_for(kCpl));
}

TEST_F(Ordq, PostedPassesBlockedNonPosted) {
    ASSERT_TRUE(push(kNp, 1));
    ASSERT_TRUE(push(kP, 2));
    EXPECT_EQ(drain(kBlkNp), Tags({2}));
    EXPECT_EQ(drain(0), Tags({1}));
}

TEST_F(Ordq, PostedPassesBlockedCompletion) {
    ASSERT_TRUE(push(kCpl, 1));
    ASSERT_TRUE(push(kCpl, 2));
    ASSERT_TRUE(push(kP, 3));
    EXPECT_EQ(drain(kBlkCpl), Tags({3}));
    EXPECT_EQ(drain(0), Tags({1, 2}));
}

TEST_F(Ordq, NonPostedWaitsBehindOlderBlockedPosted) {
    ASSERT_TRUE(push(kP, 1));
    ASSERT_TRUE(push(kNp, 2));
    EXPECT_EQ(drain(kBlkP), Tags({}));
    EXPECT_EQ(drain(0), Tags({1, 2}));
}

TEST_F(Ordq, CompletionNeverPassesOlderPosted) {
    ASSERT_TRUE(push(kNp, 1));
    ASSERT_TRUE(push(kP, 2));
    ASSERT_TRUE(push(kCpl, 3));
    ASSERT_TRUE(push(kNp, 4));
    // the NP older than the P may go; the CPL and NP behind the P may not
    EXPECT_EQ(drain(kBlkP), Tags({1}));
    EXPECT_EQ(drain(0), Tags({2, 3, 4}));
}

TEST_F(Ordq, PostedLeaveInOrder) {
    ASSERT_TRUE(push(kP, 1));
    ASSERT_TRUE(push(kNp, 2));
    ASSERT_TRUE(push(kP, 3));
    ASSERT_TRUE(push(kP, 4));
    EXPECT_EQ(drain(kBlkNp | kBlkCpl), Tags({1, 3, 4}));
    EXPECT_EQ(drain(0), Tags({2}));
}

TEST_F(Ordq, ArrivalOrderWhenNothingBlocked) {
    const unsigned cls[] = {kCpl, kP, kNp, kNp, kCpl, kP, kCpl, kNp};
    Tags want;
    for (unsigned i = 0; i < 8; i++) {
        ASSERT_TRUE(push(cls[i], 10 + i));
        want.push_back(10 + i);
    }
    EXPECT_EQ(drain(0), want);
}

TEST_F(Ordq, NonPostedAndCompletionPassEachOther) {
    ASSERT_TRUE(push(kNp, 1));
    ASSERT_TRUE(push(kCpl, 2));
    EXPECT_EQ(drain(kBlkNp), Tags({2}));
    ASSERT_TRUE(push(kCpl, 3));
    ASSERT_TRUE(push(kNp, 4));
    EXPECT_EQ(drain(kBlkCpl), Tags({1, 4}));
    EXPECT_EQ(drain(0), Tags({3}));
}

TEST_F(Ordq, OutputWaitsForReady) {
    ASSERT_TRUE(push(kNp, 7));
    m_->out_ready = 0;
    m_->eval();
    ASSERT_EQ(m_->out_valid, 1);
    EXPECT_EQ(m_->out_cls, kNp);
    tick();
    tick();
    EXPECT_EQ(drain(0), Tags({7}));
}

TEST_F(Ordq, FullClassBackpressuresOnlyItself) {
    for (unsigned i = 0; i < kDepth; i++) {
        ASSERT_TRUE(push(kP, 1 + i));
    }
    EXPECT_EQ(m_->class_full, kBlkP);
    EXPECT_FALSE(ready_for(kP));
    EXPECT_TRUE(ready_for(kNp));
    EXPECT_TRUE(ready_for(kCpl));
    EXPECT_FALSE(push(kP, 9)); // not taken
    EXPECT_TRUE(push(kCpl, 5));
    EXPECT_FALSE(ready_for(3)); // no such class
    EXPECT_FALSE(push(3, 6));

    // the Ps leaving free their slots
    EXPECT_EQ(drain(kBlkCpl).size(), kDepth);
    EXPECT_TRUE(ready_for(kP));
    EXPECT_EQ(drain(0), Tags({5}));
}

TEST_F(Ordq, FullClassTakesAndGivesInOneCycle) {
    for (unsigned i = 0; i < kDepth; i++) {
        ASSERT_TRUE(push(kNp, 1 + i));
    }
    // the head leaves as a new entry arrives: both on this edge
    m_->out_ready = 1;
    m_->eval();
    ASSERT_EQ(m_->out_tag, 1u);
    EXPECT_FALSE(ready_for(kNp)); // still full before the edge
    ASSERT_TRUE(push(kCpl, 8));
    EXPECT_TRUE(ready_for(kNp));
    EXPECT_EQ(drain(0), Tags({2, 3, 4, 8}));
}

// Reference written from the ordering table, not from the RTL: an entry
// may leave now when its class has credit and no older queued entry is one
// it must not pass (any P, for every class; a CPL with its transaction ID,
// for a CPL). Of those, the queue's documented policy sends the oldest.
struct Entry {
    unsigned cls;
    unsigned tag;
    unsigned txid; // completions only
};

bool must_not_pass(const Entry &later, const Entry &earlier) {
    if (earlier.cls == kP) {
        return true;
    }
    return later.cls == kCpl && earlier.cls == kCpl && later.txid == earlier.txid;
}

// index of the oldest entry allowed to leave, or -1
int ref_pick(const std::deque<Entry> &q, unsigned blocked) {
    for (size_t i = 0; i < q.size(); i++) {
        if (blocked & (1u << q[i].cls)) {
            continue;
        }
        bool ok = true;
        for (size_t j = 0; j < i && ok; j++) {
            ok = !must_not_pass(q[i], q[j]);
        }
        if (ok) {
            return static_cast<int>(i);
        }
    }
    return -1;
}

TEST_F(Ordq, RandomAgainstTableReference) {
    std::mt19937 rng(20);
    std::deque<Entry> q;
    unsigned next_tag = 0;
    unsigned sent = 0, stalled = 0, p_passed = 0, other_passed = 0;
    for (unsigned cyc = 0; cyc < 4000; cyc++) {
        unsigned blocked = 0;
        for (unsigned c = 0; c < 3; c++) {
            blocked |= (rng() % 3 == 0) ? 1u << c : 0u;
        }
        const bool in_valid = rng() % 2 == 0;
        const unsigned cls = rng() % 3;
        const unsigned txid = rng() % 2;
        const bool out_ready = rng() % 4 != 0;
        m_->blocked = blocked;
        m_->in_valid = in_valid;
        m_->in_cls = cls;
        m_->in_tag = next_tag & 0xffu;
        m_->in_hdr = hdr_of(next_tag & 0xffu);
        m_->out_ready = out_ready;
        m_->eval();

        unsigned in_cls_count = 0;
        for (const Entry &e : q) {
            in_cls_count += e.cls == cls;
        }
        ASSERT_EQ(m_->in_ready != 0, in_cls_count < kDepth) << "cycle " << cyc;
        const int pick = ref_pick(q, blocked);
        ASSERT_EQ(m_->out_valid != 0, pick >= 0) << "cycle " << cyc;
        if (pick >= 0) {
            const Entry &e = q[static_cast<size_t>(pick)];
            ASSERT_EQ(m_->out_tag, e.tag) << "cycle " << cyc;
            ASSERT_EQ(m_->out_cls, e.cls) << "cycle " << cyc;
            ASSERT_EQ(m_->out_hdr, hdr_of(e.tag)) << "cycle " << cyc;
        } else {
            stalled += !q.empty();
        }
        tick();

        if (pick >= 0 && out_ready) {
            sent++;
            if (pick > 0) {
                (q[static_cast<size_t>(pick)].cls == kP ? p_passed : other_passed)++;
            }
            q.erase(q.begin() + pick);
        }
        if (in_valid && in_cls_count < kDepth) {
            q.push_back({cls, next_tag & 0xffu, txid});
            next_tag++;
        }
    }
    // the run exercised passing and waiting, not just a FIFO
    EXPECT_GT(sent, 1000u);
    EXPECT_GT(stalled, 50u);
    EXPECT_GT(p_passed, 50u);
    EXPECT_GT(other_passed, 50u);
}

} // namespace
