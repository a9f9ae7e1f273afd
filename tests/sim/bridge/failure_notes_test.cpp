// Issue 14 item 13: a flood the harness could not answer printed about
// 140,000 identical "DMA reply could not be sent" lines (2 MB). Repeats
// collapse into one line with a count; distinct notes and their length are
// bounded, so the failure report stays small whatever the server does.
#include "failure_notes.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using rcsim::FailureNotes;

TEST(FailureNotes, IdenticalRepeatsCollapseIntoOneLineWithACount) {
    FailureNotes n;
    n.add("no reply to REGION_READ bar0 #3 before the watchdog");
    for (int i = 0; i < 140000; ++i)
        n.add("DMA reply could not be sent: errno 110");
    n.add("no reply to REGION_READ bar0 #3 before the watchdog");
    const std::vector<std::string> want{
        "no reply to REGION_READ bar0 #3 before the watchdog (repeated 1 time)",
        "DMA reply could not be sent: errno 110 (repeated 139,999 times)"};
    EXPECT_EQ(n.lines(), want);
}

TEST(FailureNotes, DistinctNotesAreBoundedAndCounted) {
    FailureNotes n;
    for (int i = 0; i < 1000; ++i)
        n.add("no reply to DMA_READ #" + std::to_string(i));
    const std::vector<std::string> lines = n.lines();
    ASSERT_EQ(lines.size(), FailureNotes::kMaxDistinct + 1);
    EXPECT_EQ(lines[0], "no reply to DMA_READ #0");
    EXPECT_EQ(lines[255], "no reply to DMA_READ #255");
    EXPECT_EQ(lines.back(), "(744 more distinct failures not listed)");
    size_t bytes = 0;
    for (const std::string &l : lines)
        bytes += l.size() + 1;
    EXPECT_LT(bytes, 16u * 1024u);
}

TEST(FailureNotes, ALongNoteIsCut) {
    FailureNotes n;
    n.add(std::string(100000, 'x'));
    ASSERT_EQ(n.lines().size(), 1u);
    EXPECT_EQ(n.lines()[0], std::string(4096, 'x') + " ...");
}

TEST(FailureNotes, EmptyUntilSomethingIsNoted) {
    FailureNotes n;
    EXPECT_TRUE(n.empty());
    EXPECT_TRUE(n.lines().empty());
    n.add("x");
    EXPECT_FALSE(n.empty());
}

TEST(FailureNotes, ThousandsSeparators) {
    EXPECT_EQ(rcsim::with_thousands(0), "0");
    EXPECT_EQ(rcsim::with_thousands(999), "999");
    EXPECT_EQ(rcsim::with_thousands(1000), "1,000");
    EXPECT_EQ(rcsim::with_thousands(139999), "139,999");
    EXPECT_EQ(rcsim::with_thousands(1234567), "1,234,567");
}
