// sim/fabric's Wire: per-class buffers read out by the PCIe ordering rules
// (a posted TLP may pass, nothing passes an older posted one), expected
// orders written by hand from the ordering table.
#include "wire.hpp"

#include <gtest/gtest.h>

namespace {

using rcsim::fabric::Fields;
using rcsim::fabric::Wire;

Fields tlp(uint8_t cls, uint8_t tag) {
    Fields f;
    f.cls = cls;
    f.tag = tag;
    return f;
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

} // namespace
