// The memory rounds of a migration and their check, on two host memories
// built by hand: which pages a round copies, and what the check says of a
// page that was written after its last copy.
#include "memory_rounds.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <unistd.h>

using namespace rcsim;

namespace {
MemWindow win(uint64_t base, uint64_t size, const char *name, bool shared) {
    MemWindow w;
    w.base = base;
    w.size = size;
    w.name = name;
    w.shared = shared;
    return w;
}

struct Memories {
    HostMemory src;
    std::unique_ptr<HostMemory> dst;
    Memories() {
        EXPECT_EQ(src.add_window(win(0x10000000, 0x10000, "dma0", false)), MemStatus::Ok);
        EXPECT_EQ(src.add_window(win(0x20000000, 0x2000, "shm", true)), MemStatus::Ok);
        std::string err;
        dst = src.empty_copy(&err);
        EXPECT_NE(dst, nullptr) << err;
    }
};
} // namespace

TEST(MemoryRounds, TheFullCopyTakesEveryPageInUseAndThenTheyMatch) {
    Memories m;
    ASSERT_EQ(m.src.fill(0x10001000, 0x11, 0x1000), MemStatus::Ok);
    ASSERT_EQ(m.src.fill(0x30000000, 0x33, 8), MemStatus::Ok); // outside every window
    MemoryRounds rounds(m.src, *m.dst);
    // dma0's one page, the page outside, and both pages of the shared window.
    EXPECT_EQ(rounds.copy_all(0), 4u);
    EXPECT_TRUE(rounds.compare().empty());
    uint8_t b = 0;
    ASSERT_EQ(m.dst->read(0x30000007, &b, 1), MemStatus::Ok);
    EXPECT_EQ(b, 0x33);
}

TEST(MemoryRounds, APageWrittenAfterItsCopyIsNamedWithItsWindowBytesAndRound) {
    Memories m;
    ASSERT_EQ(m.src.fill(0x20001000, 0x22, 0x1000), MemStatus::Ok);
    MemoryRounds rounds(m.src, *m.dst);
    rounds.copy_all(0);
    // Round 1 copies page 0x20001 again after a first change...
    ASSERT_EQ(m.src.fill(0x20001000, 0x44, 4), MemStatus::Ok);
    EXPECT_EQ(rounds.copy({0x20001}, 1), 1u);
    // ...then the server stores 3 bytes at +0x10 through its mapping, and
    // nobody reports the page.
    const uint8_t stored[3] = {0xa0, 0x22, 0xa2}; // the middle one unchanged
    ASSERT_EQ(pwrite(m.src.shared_fd(0x20000000), stored, 3, 0x1010), 3);
    const std::vector<MissedPage> missed = rounds.compare();
    ASSERT_EQ(missed.size(), 1u);
    EXPECT_EQ(missed[0].addr, 0x20001000u);
    EXPECT_EQ(missed[0].window, "shm");
    EXPECT_TRUE(missed[0].shared);
    EXPECT_EQ(missed[0].copied_in_round, 1u);
    EXPECT_EQ(missed[0].first_offset, 0x10u);
    EXPECT_EQ(missed[0].bytes_differ, 2u);
    EXPECT_EQ(missed[0].source_byte, 0xa0);
    EXPECT_EQ(missed[0].dest_byte, 0x22);
    EXPECT_EQ(missed[0].describe(),
              "dirty page missed: page 0x20001000 in window shm (fd-backed: the device did not "
              "report it): 2 byte(s) differ, the first at +0x10 (source 0xa0, destination "
              "0x22); written after the copy of round 1 and never reported");
}

TEST(MemoryRounds, APageOnlyTheDestinationHasDiffersToo) {
    Memories m;
    MemoryRounds rounds(m.src, *m.dst);
    rounds.copy_all(0);
    ASSERT_EQ(m.dst->fill(0x10004000, 0x01, 1), MemStatus::Ok);
    const std::vector<MissedPage> missed = rounds.compare();
    ASSERT_EQ(missed.size(), 1u);
    EXPECT_EQ(missed[0].addr, 0x10004000u);
    EXPECT_EQ(missed[0].window, "dma0");
    EXPECT_FALSE(missed[0].shared);
    EXPECT_EQ(missed[0].source_byte, 0x00);
    EXPECT_EQ(missed[0].dest_byte, 0x01);
    EXPECT_NE(missed[0].describe().find("by messages: the harness did not mark it"),
              std::string::npos);
}
