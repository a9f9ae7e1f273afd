// sim/fabric's Wire: per-class buffers read out by the PCIe ordering rules
// (a posted TLP may pass, nothing passes an older posted one), expected
// orders written by hand from the ordering table; payloads fed as beats
// (4 DW lanes here, rtl/fabric/README.md's packing), one TLP's at a time.
#include "wire.hpp"

#include <gtest/gtest.h>

namespace {

using rcsim::fabric::Fields;
using rcsim::fabric::Wire;
using Beat = rcsim::tlp::Beat;

Fields tlp(uint8_t cls, uint8_t tag) {
    Fields f;
    f.cls = cls;
    f.tag = tag;
    return f;
}

Fields with_payload(uint8_t cls, uint8_t tag) {
    Fields f = tlp(cls, tag);
    f.pl = true;
    return f;
}

// The tag offered this cycle (-1: none); taken() still to come.
int offered_tag(Wire &w) {
    const Fields *f = w.offer();
    return f == nullptr ? -1 : f->tag;
}

// The tag offered, then taken (yes) or refused.
int offer(Wire &w, bool yes) {
    const Fields *f = w.offer();
    const int tag = f == nullptr ? -1 : f->tag;
    w.taken(yes);
    return tag;
}

TEST(Wire, EachClassHoldsItsDepth) {
    Wire w(2);
    EXPECT_TRUE(w.push(tlp(1, 1)));
    EXPECT_TRUE(w.push(tlp(1, 2)));
    EXPECT_FALSE(w.push(tlp(1, 3)));
    EXPECT_FALSE(w.room(1));
    EXPECT_TRUE(w.room(0));
    EXPECT_TRUE(w.push(tlp(0, 4)));
    EXPECT_FALSE(w.room(3)); // no class 3
}

TEST(Wire, ArrivalOrderWhenEverythingIsTaken) {
    Wire w(4);
    w.push(tlp(1, 1)); // NP
    w.push(tlp(0, 2)); // P
    w.push(tlp(2, 3)); // CPL
    w.push(tlp(0, 4)); // P
    for (int tag : {1, 2, 3, 4})
        EXPECT_EQ(offer(w, true), tag);
    EXPECT_EQ(offer(w, true), -1);
    EXPECT_TRUE(w.empty());
}

TEST(Wire, APostedTlpPassesARefusedRead) {
    Wire w(4);
    w.push(tlp(1, 1)); // NP, the receiver cannot take it
    w.push(tlp(0, 2)); // P
    w.push(tlp(1, 3)); // NP behind the P
    EXPECT_EQ(offer(w, false), 1);
    EXPECT_EQ(offer(w, true), 2); // the write passes
    // the read behind the write is younger than no P now: the old read first
    EXPECT_EQ(offer(w, true), 1);
    EXPECT_EQ(offer(w, true), 3);
}

TEST(Wire, NothingPassesAnOlderPostedTlp) {
    Wire w(4);
    w.push(tlp(0, 1)); // P, refused
    w.push(tlp(1, 2)); // NP
    w.push(tlp(2, 3)); // CPL
    EXPECT_EQ(offer(w, false), 1);
    EXPECT_EQ(offer(w, false), 1); // no other class may go
    EXPECT_EQ(offer(w, true), 1);
    EXPECT_EQ(offer(w, true), 2);
    EXPECT_EQ(offer(w, true), 3);
}

TEST(Wire, ARefusedCompletionLetsAReadGo) {
    Wire w(4);
    w.push(tlp(2, 1)); // CPL, refused
    w.push(tlp(1, 2)); // NP: may pass a completion
    EXPECT_EQ(offer(w, false), 1);
    EXPECT_EQ(offer(w, true), 2);
    EXPECT_EQ(offer(w, true), 1);
}

// A 5 DW payload at 4 lanes: a full beat (sop), then one DW (keep 0x1,
// eop); the header is offered all along (the model takes it only after the
// eop beat), and no beat follows the last.
TEST(Wire, APayloadGoesAsBeatsBesideItsHeader) {
    Wire w(2, 4);
    w.push(with_payload(0, 7), {0xa0, 0xa1, 0xa2, 0xa3, 0xa4});
    ASSERT_NE(w.offer(), nullptr);
    const Beat *b = w.beat();
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(b->lanes[0], 0xa0u);
    EXPECT_EQ(b->lanes[3], 0xa3u);
    EXPECT_EQ(b->keep, 0xfu);
    EXPECT_TRUE(b->sop);
    EXPECT_FALSE(b->eop);
    w.beat_taken(true);
    w.taken(false);
    ASSERT_NE(w.offer(), nullptr);
    b = w.beat();
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(b->lanes[0], 0xa4u);
    EXPECT_EQ(b->keep, 0x1u);
    EXPECT_FALSE(b->sop);
    EXPECT_TRUE(b->eop);
    w.beat_taken(false); // refused: offered again
    w.taken(false);
    EXPECT_EQ(offered_tag(w), 7);
    b = w.beat();
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(b->lanes[0], 0xa4u);
    w.beat_taken(true);
    w.taken(false);
    EXPECT_EQ(offered_tag(w), 7);
    EXPECT_EQ(w.beat(), nullptr);
    w.taken(true);
    EXPECT_TRUE(w.empty());
}

// An older completion with payload and a write with payload: each fills a
// lane of its own at the model's ingress (posted, and the others), the
// write's beat first; the completion, the oldest, is offered first, and
// when it is refused the write passes it.
TEST(Wire, EachLaneFeedsItsOwnPayload) {
    Wire w(2, 4);
    w.push(with_payload(2, 1), {0xc0});
    w.push(tlp(2, 2));
    w.push(with_payload(0, 3), {0xd0});
    EXPECT_EQ(offered_tag(w), 1);
    ASSERT_NE(w.beat(), nullptr);
    EXPECT_EQ(w.beat()->lanes[0], 0xd0u);
    EXPECT_FALSE(w.beat_np());
    w.beat_taken(true);
    w.taken(false);
    EXPECT_EQ(offered_tag(w), 3);
    ASSERT_NE(w.beat(), nullptr);
    EXPECT_EQ(w.beat()->lanes[0], 0xc0u);
    EXPECT_TRUE(w.beat_np());
    w.beat_taken(true);
    w.taken(true);
    EXPECT_EQ(offered_tag(w), 1);
    EXPECT_EQ(w.beat(), nullptr); // all fed
    w.beat_taken(false);
    w.taken(true);
    EXPECT_EQ(offer(w, true), 2);
    EXPECT_TRUE(w.empty());
}

// The order the review found: a completion's payload fed and its header
// refused (its egress full), then a write arrives: the write's payload goes
// in on the posted lane and its header passes the waiting completion (a
// posted TLP must be able to pass a completion).
TEST(Wire, AWriteArrivingLaterPassesACompletionsWaitingPayload) {
    Wire w(2, 4);
    w.push(with_payload(2, 1), {0xc0});
    EXPECT_EQ(offered_tag(w), 1);
    ASSERT_NE(w.beat(), nullptr);
    EXPECT_TRUE(w.beat_np());
    w.beat_taken(true);
    w.taken(false);
    w.push(with_payload(0, 3), {0xd0});
    EXPECT_EQ(offered_tag(w), 3);
    ASSERT_NE(w.beat(), nullptr);
    EXPECT_EQ(w.beat()->lanes[0], 0xd0u);
    EXPECT_FALSE(w.beat_np());
    w.beat_taken(true);
    w.taken(true);
    EXPECT_EQ(offered_tag(w), 1);
    EXPECT_EQ(w.beat(), nullptr);
    w.beat_taken(false);
    w.taken(true);
    EXPECT_TRUE(w.empty());
}

// A TLP from another model: pushed with its header, its beats appended as
// they come; each goes on once it is whole, the eop only with the last.
TEST(Wire, APayloadStillArrivingIsFedAsItComes) {
    Wire w(2, 4);
    w.push(with_payload(0, 5), {}, false);
    EXPECT_EQ(offered_tag(w), 5);
    EXPECT_EQ(w.beat(), nullptr); // nothing yet
    w.taken(false);
    Beat in;
    in.lanes = {1, 2, 3, 4};
    in.keep = 0xf;
    in.sop = true;
    ASSERT_NE(w.append(in), nullptr);
    w.offer();
    const Beat *b = w.beat();
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(b->lanes[3], 4u);
    EXPECT_FALSE(b->eop);
    w.beat_taken(true);
    w.taken(false);
    in = Beat{};
    in.lanes[0] = 5;
    in.lanes[1] = 6;
    in.keep = 0x3;
    in.eop = true;
    const std::vector<uint32_t> *dws = w.append(in);
    ASSERT_NE(dws, nullptr);
    EXPECT_EQ(*dws, (std::vector<uint32_t>{1, 2, 3, 4, 5, 6}));
    EXPECT_EQ(w.append(in), nullptr); // complete: nothing more to append to
    w.offer();
    b = w.beat();
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(b->lanes[1], 6u);
    EXPECT_EQ(b->keep, 0x3u);
    EXPECT_TRUE(b->eop);
}

} // namespace
