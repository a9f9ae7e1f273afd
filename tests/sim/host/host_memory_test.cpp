// Host memory: sparse pages read as zero, DMA windows refuse what lies
// outside them, straddles their end or lacks permission, and refused
// accesses leave memory untouched; a shared window's bytes are its memfd's.
#include "host_memory.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <unistd.h>
#include <vector>

using rcsim::HostMemory;
using rcsim::MemPerm;
using rcsim::MemStatus;
using rcsim::MemWindow;

namespace {

MemWindow window(uint64_t base, uint64_t size, MemPerm perm, const char *name) {
    MemWindow w;
    w.base = base;
    w.size = size;
    w.perm = perm;
    w.name = name;
    return w;
}

} // namespace

TEST(HostMemory, NeverWrittenBytesReadZeroAndAllocateNothing) {
    HostMemory mem;
    std::vector<uint8_t> buf(10000, 0xaa);
    ASSERT_EQ(mem.read(0xffff'0000'0000ULL, buf.data(), buf.size()), MemStatus::Ok);
    for (uint8_t b : buf)
        ASSERT_EQ(b, 0);
    EXPECT_EQ(mem.pages_allocated(), 0u);
    ASSERT_EQ(mem.fill(0x1000, 0, 3 * 4096), MemStatus::Ok);
    EXPECT_EQ(mem.pages_allocated(), 0u);
}

TEST(HostMemory, WriteAcrossPagesReadsBackAndNeighboursStayZero) {
    HostMemory mem;
    const uint8_t data[] = {1, 2, 3, 4, 5, 6, 7, 8};
    ASSERT_EQ(mem.write(0x1ffc, data, sizeof data), MemStatus::Ok); // 4 bytes in each page
    EXPECT_EQ(mem.pages_allocated(), 2u);
    uint8_t out[12] = {};
    ASSERT_EQ(mem.read(0x1ffa, out, sizeof out), MemStatus::Ok);
    const uint8_t expect[12] = {0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0};
    EXPECT_EQ(0, std::memcmp(out, expect, sizeof out));
}

TEST(HostMemory, FillAndCompareReportFirstDifference) {
    HostMemory mem;
    ASSERT_EQ(mem.fill(0x10000, 0x5a, 3 * 4096 + 7), MemStatus::Ok);
    std::vector<uint8_t> want(3 * 4096 + 7, 0x5a);
    EXPECT_FALSE(mem.compare(0x10000, want.data(), want.size()).has_value());
    const uint8_t poke = 0x00;
    ASSERT_EQ(mem.write(0x10000 + 5000, &poke, 1), MemStatus::Ok);
    auto diff = mem.compare(0x10000, want.data(), want.size());
    ASSERT_TRUE(diff.has_value());
    EXPECT_EQ(*diff, 5000u);
    // Unwritten memory compares as zeros.
    std::vector<uint8_t> zeros(100, 0);
    EXPECT_FALSE(mem.compare(0x900000, zeros.data(), zeros.size()).has_value());
    zeros[42] = 1;
    EXPECT_EQ(mem.compare(0x900000, zeros.data(), zeros.size()).value_or(0), 42u);
}

TEST(HostMemory, LargeSpanRoundTrips) {
    HostMemory mem;
    const size_t len = 4 * 1024 * 1024 + 123;
    std::vector<uint8_t> data(len);
    for (size_t i = 0; i < len; ++i)
        data[i] = uint8_t(i * 7 + (i >> 12));
    ASSERT_EQ(mem.write(0x8000'0000ULL + 17, data.data(), len), MemStatus::Ok);
    EXPECT_EQ(mem.pages_allocated(), 1025u); // 17 + len = 1024 pages + 140 bytes
    std::vector<uint8_t> back(len);
    ASSERT_EQ(mem.read(0x8000'0000ULL + 17, back.data(), len), MemStatus::Ok);
    EXPECT_TRUE(back == data);
}

TEST(HostMemory, WrappingRangeIsRefused) {
    HostMemory mem;
    uint8_t buf[16] = {};
    EXPECT_EQ(mem.write(UINT64_MAX - 3, buf, 16), MemStatus::AddressOverflow);
    EXPECT_EQ(mem.read(UINT64_MAX - 3, buf, 16), MemStatus::AddressOverflow);
    EXPECT_EQ(mem.pages_allocated(), 0u);
    EXPECT_EQ(mem.write(UINT64_MAX - 15, buf, 16), MemStatus::Ok); // last byte is 2^64-1
}

TEST(HostMemory, WindowsRejectOverlapAndEmpty) {
    HostMemory mem;
    ASSERT_EQ(mem.add_window(window(0x10000, 0x1000, MemPerm::ReadWrite, "a")), MemStatus::Ok);
    EXPECT_EQ(mem.add_window(window(0x10fff, 0x10, MemPerm::Read, "b")), MemStatus::WindowOverlap);
    EXPECT_EQ(mem.add_window(window(0xf000, 0x1001, MemPerm::Read, "c")), MemStatus::WindowOverlap);
    EXPECT_EQ(mem.add_window(window(0x0, 0x100000, MemPerm::Read, "d")), MemStatus::WindowOverlap);
    EXPECT_EQ(mem.add_window(window(0x20000, 0, MemPerm::Read, "e")), MemStatus::EmptyWindow);
    EXPECT_EQ(mem.add_window(window(UINT64_MAX, 2, MemPerm::Read, "f")), MemStatus::EmptyWindow);
    EXPECT_EQ(mem.add_window(window(0xf000, 0x1000, MemPerm::Read, "below")), MemStatus::Ok);
    EXPECT_EQ(mem.add_window(window(0x11000, 0x1000, MemPerm::Read, "above")), MemStatus::Ok);
    ASSERT_EQ(mem.windows().size(), 3u);
    EXPECT_EQ(mem.windows()[0].name, "below");
    EXPECT_EQ(mem.windows()[2].name, "above");
    ASSERT_NE(mem.find_window(0x10fff), nullptr);
    EXPECT_EQ(mem.find_window(0x10fff)->name, "a");
    EXPECT_EQ(mem.find_window(0x12000), nullptr);
}

TEST(HostMemory, DmaOutsideStraddlingAndWithoutPermissionTouchesNothing) {
    HostMemory mem;
    ASSERT_EQ(mem.add_window(window(0x10000, 0x1000, MemPerm::ReadWrite, "ring")), MemStatus::Ok);
    ASSERT_EQ(mem.add_window(window(0x20000, 0x1000, MemPerm::Read, "ro")), MemStatus::Ok);
    ASSERT_EQ(mem.add_window(window(0x30000, 0x1000, MemPerm::Write, "wo")), MemStatus::Ok);
    // Adjacent window: a straddle is refused even though the next byte is mapped.
    ASSERT_EQ(mem.add_window(window(0x11000, 0x1000, MemPerm::ReadWrite, "next")), MemStatus::Ok);
    const uint8_t data[8] = {9, 9, 9, 9, 9, 9, 9, 9};
    uint8_t out[8];

    EXPECT_EQ(mem.dma_write(0x50000, data, 8), MemStatus::OutsideWindows);
    EXPECT_EQ(mem.dma_read(0xffff, out, 8), MemStatus::OutsideWindows);
    EXPECT_EQ(mem.dma_write(0x10ffc, data, 8), MemStatus::CrossesWindow);
    EXPECT_EQ(mem.dma_write(0x20000, data, 8), MemStatus::NotWritable);
    EXPECT_EQ(mem.dma_read(0x30000, out, 8), MemStatus::NotReadable);
    EXPECT_EQ(mem.pages_allocated(), 0u);

    EXPECT_EQ(mem.dma_write(0x10ff8, data, 8), MemStatus::Ok); // last 8 bytes of "ring"
    EXPECT_EQ(mem.dma_read(0x10ff8, out, 8), MemStatus::Ok);
    EXPECT_EQ(0, std::memcmp(out, data, 8));
    EXPECT_EQ(mem.dma_write(0x30000, data, 8), MemStatus::Ok);
    EXPECT_EQ(mem.dma_read(0x20000, out, 8), MemStatus::Ok);
    std::vector<uint8_t> page(0x1001);
    EXPECT_EQ(mem.dma_read(0x20000, page.data(), 0x1000), MemStatus::Ok);
    EXPECT_EQ(mem.dma_read(0x20000, page.data(), 0x1001), MemStatus::CrossesWindow);
}

TEST(HostMemory, RemovedWindowRefusesDmaButKeepsContents) {
    HostMemory mem;
    ASSERT_EQ(mem.add_window(window(0x4000, 0x2000, MemPerm::ReadWrite, "buf")), MemStatus::Ok);
    const uint8_t data[4] = {0xde, 0xad, 0xbe, 0xef};
    ASSERT_EQ(mem.dma_write(0x4100, data, 4), MemStatus::Ok);
    EXPECT_EQ(mem.remove_window(0x4000, 0x1000), MemStatus::NoSuchWindow);
    ASSERT_EQ(mem.remove_window(0x4000, 0x2000), MemStatus::Ok);
    uint8_t out[4] = {};
    EXPECT_EQ(mem.dma_read(0x4100, out, 4), MemStatus::OutsideWindows);
    ASSERT_EQ(mem.read(0x4100, out, 4), MemStatus::Ok);
    EXPECT_EQ(0, std::memcmp(out, data, 4));
}

TEST(HostMemory, StatusesHaveReadableNames) {
    EXPECT_STREQ(rcsim::to_string(MemStatus::CrossesWindow),
                 "access runs past the end of its DMA window");
    EXPECT_STREQ(rcsim::to_string(MemStatus::Ok), "ok");
}

// ---- shared windows: the bytes live in a memfd the server maps

namespace {

MemWindow shared(uint64_t base, uint64_t size, const char *name) {
    MemWindow w = window(base, size, MemPerm::ReadWrite, name);
    w.shared = true;
    return w;
}

} // namespace

TEST(HostMemory, SharedWindowIsItsMemfdBothWays) {
    HostMemory mem;
    ASSERT_EQ(mem.add_window(shared(0x20000, 0x2000, "shm")), MemStatus::Ok);
    const int fd = mem.shared_fd(0x20000);
    ASSERT_GE(fd, 0);
    // The host's write is what the server sees through its mapping...
    const uint8_t host[4] = {0x11, 0x22, 0x33, 0x44};
    ASSERT_EQ(mem.write(0x21ffe, host, 2), MemStatus::Ok);
    uint8_t seen[2] = {};
    ASSERT_EQ(pread(fd, seen, 2, 0x1ffe), 2);
    EXPECT_EQ(seen[0], 0x11);
    EXPECT_EQ(seen[1], 0x22);
    // ...and the server's store is what the host and the RTL's DMA path see.
    ASSERT_EQ(pwrite(fd, host + 2, 2, 0x10), 2);
    uint8_t back[2] = {};
    ASSERT_EQ(mem.dma_read(0x20010, back, 2), MemStatus::Ok);
    EXPECT_EQ(back[0], 0x33);
    EXPECT_EQ(back[1], 0x44);
    EXPECT_EQ(mem.compare(0x20010, host + 2, 2), std::nullopt);
    EXPECT_EQ(mem.pages_allocated(), 0u); // nothing in the sparse pages
}

TEST(HostMemory, BytesWrittenBeforeSharingMoveIntoTheMapping) {
    HostMemory mem;
    const uint8_t data[3] = {0xca, 0xfe, 0x01};
    ASSERT_EQ(mem.write(0x30ffd, data, 3), MemStatus::Ok);
    ASSERT_EQ(mem.pages_allocated(), 1u);
    ASSERT_EQ(mem.add_window(shared(0x30000, 0x1000, "late")), MemStatus::Ok);
    EXPECT_EQ(mem.pages_allocated(), 0u);
    uint8_t seen[3] = {};
    ASSERT_EQ(pread(mem.shared_fd(0x30000), seen, 3, 0xffd), 3);
    EXPECT_EQ(0, std::memcmp(seen, data, 3));
}

TEST(HostMemory, RemovedSharedWindowKeepsItsBytesAndDropsTheFd) {
    HostMemory mem;
    ASSERT_EQ(mem.add_window(shared(0x40000, 0x3000, "shm")), MemStatus::Ok);
    const uint8_t data[4] = {0xde, 0xad, 0xbe, 0xef};
    ASSERT_EQ(mem.dma_write(0x41000, data, 4), MemStatus::Ok);
    ASSERT_EQ(mem.remove_window(0x40000, 0x3000), MemStatus::Ok);
    EXPECT_EQ(mem.shared_fd(0x40000), -1);
    EXPECT_EQ(mem.pages_allocated(), 1u); // only the page that held bytes
    uint8_t out[4] = {};
    EXPECT_EQ(mem.dma_read(0x41000, out, 4), MemStatus::OutsideWindows);
    ASSERT_EQ(mem.read(0x41000, out, 4), MemStatus::Ok);
    EXPECT_EQ(0, std::memcmp(out, data, 4));
}

TEST(HostMemory, SharedWindowMustBePageAligned) {
    HostMemory mem;
    EXPECT_EQ(mem.add_window(shared(0x50010, 0x1000, "a")), MemStatus::SharedUnaligned);
    EXPECT_EQ(mem.add_window(shared(0x50000, 0x1800, "b")), MemStatus::SharedUnaligned);
    EXPECT_EQ(mem.find_window(0x50010), nullptr);
    EXPECT_STREQ(rcsim::to_string(MemStatus::SharedUnaligned),
                 "a shared window's base and size must be multiples of 4 KiB");
    // A message window has no fd.
    ASSERT_EQ(mem.add_window(window(0x60000, 0x1000, MemPerm::Read, "msg")), MemStatus::Ok);
    EXPECT_EQ(mem.shared_fd(0x60000), -1);
}

// ---- the dirty-page log a migration reads (sim/migrate/)

TEST(HostMemoryDirtyLog, MarksEveryPageAWriteOrFillTouchesOnlyWhileOn) {
    HostMemory mem;
    const uint8_t b[2] = {1, 2};
    ASSERT_EQ(mem.write(0x1000, b, 1), MemStatus::Ok); // before the log: not marked
    mem.start_dirty_log();
    ASSERT_EQ(mem.write(0x2fff, b, 2), MemStatus::Ok);        // pages 2 and 3
    ASSERT_EQ(mem.fill(0x8000, 0xaa, 0x1001), MemStatus::Ok); // pages 8 and 9
    ASSERT_EQ(mem.fill(0x20000, 0, 16), MemStatus::Ok); // zeros on a page never written: nothing
    uint8_t r[2];
    ASSERT_EQ(mem.read(0x5000, r, 2), MemStatus::Ok); // a read marks nothing
    EXPECT_EQ(mem.take_dirty_pages(), (std::set<uint64_t>{2, 3, 8, 9}));
    EXPECT_TRUE(mem.take_dirty_pages().empty()); // taken: the log starts over
    mem.stop_dirty_log();
    ASSERT_EQ(mem.write(0x7000, b, 1), MemStatus::Ok);
    EXPECT_TRUE(mem.take_dirty_pages().empty());
}

TEST(HostMemoryDirtyLog, DmaWritesIntoASharedWindowAreMarkedTooButNotTheServersOwnStores) {
    HostMemory mem;
    ASSERT_EQ(mem.add_window(shared(0x40000, 0x2000, "shm")), MemStatus::Ok);
    mem.start_dirty_log();
    const uint8_t b = 7;
    ASSERT_EQ(mem.dma_write(0x41004, &b, 1), MemStatus::Ok);
    // A store through the memfd (as the server makes them) bypasses the log.
    ASSERT_EQ(pwrite(mem.shared_fd(0x40000), &b, 1, 0x10), 1);
    EXPECT_EQ(mem.take_dirty_pages(), (std::set<uint64_t>{0x41}));
}

TEST(HostMemoryDirtyLog, PagesInUseAreAllocatedPagesAndEveryPageOfSharedWindows) {
    HostMemory mem;
    ASSERT_EQ(mem.add_window(shared(0x40000, 0x2000, "shm")), MemStatus::Ok);
    const uint8_t b = 1;
    ASSERT_EQ(mem.write(0x9000, &b, 1), MemStatus::Ok);
    EXPECT_EQ(mem.pages_in_use(), (std::vector<uint64_t>{0x9, 0x40, 0x41}));
}

TEST(HostMemoryDirtyLog, EmptyCopyHasTheWindowsWithFdsOfItsOwnAndNoBytes) {
    HostMemory mem;
    ASSERT_EQ(mem.add_window(shared(0x40000, 0x1000, "shm")), MemStatus::Ok);
    ASSERT_EQ(mem.add_window(window(0x60000, 0x1000, MemPerm::Read, "msg")), MemStatus::Ok);
    const uint8_t b = 0x5a;
    ASSERT_EQ(mem.write(0x40000, &b, 1), MemStatus::Ok);
    std::string err;
    std::unique_ptr<HostMemory> copy = mem.empty_copy(&err);
    ASSERT_NE(copy, nullptr) << err;
    ASSERT_EQ(copy->windows().size(), 2u);
    EXPECT_EQ(copy->windows()[1].name, "msg");
    EXPECT_EQ(copy->windows()[1].perm, MemPerm::Read);
    EXPECT_NE(copy->shared_fd(0x40000), -1);
    EXPECT_NE(copy->shared_fd(0x40000), mem.shared_fd(0x40000));
    uint8_t r = 0xff;
    ASSERT_EQ(copy->read(0x40000, &r, 1), MemStatus::Ok);
    EXPECT_EQ(r, 0);
}
