// mmap-able BAR areas in the server library (vus_bar_set_mmap) and the
// bundled shmem model: DEVICE_GET_REGION_INFO laid out as libvfio-user lays
// it out (tests/transcripts/server_info.jsonl is its recording: argsz says
// what the answer needs, caps and fd only when the client's argsz has room),
// and the fd's bytes are the BAR's (REGION_READ/REGION_WRITE and a mapping
// agree). Expected bytes are written out by hand from the VFIO layout:
// vfio_region_info {argsz, flags, index, cap_offset, size, offset}, then the
// sparse mmap cap {id 1, version 1, next, nr_areas, reserved, areas[]}.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "raw_client.hpp"
#include "server_process.hpp"
#include "vfio_user/server.h"

using namespace rcsim::test;

namespace {

std::vector<uint8_t> unhex(const std::string &h) {
    std::vector<uint8_t> out;
    for (size_t i = 0; i + 1 < h.size(); i += 2)
        out.push_back(uint8_t(std::stoul(h.substr(i, 2), nullptr, 16)));
    return out;
}

std::vector<uint8_t> payload_of(const RawMessage &m) {
    return std::vector<uint8_t>(m.payload(), m.payload() + m.payload_len());
}

class Shmem : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_TRUE(srv.ready()) << srv.error();
        ASSERT_TRUE(open_session(srv.socket_path(), false, 1048576, &main, &twin));
    }
    void TearDown() override {
        for (const RawMessage &m : keep)
            for (int fd : m.fds)
                close(fd);
    }
    RawMessage info(uint32_t index, uint32_t argsz) {
        vu_region_info q{argsz, 0, index, 0, 0, 0};
        EXPECT_TRUE(main.send_bytes(make_msg(id++, VU_CMD_DEVICE_GET_REGION_INFO, &q, sizeof q)));
        auto r = main.recv_message(3000);
        EXPECT_TRUE(r.has_value());
        keep.push_back(r.value_or(RawMessage{std::vector<uint8_t>(16, 0), {}}));
        return keep.back();
    }
    std::vector<uint8_t> read(uint64_t off, uint32_t count) {
        EXPECT_TRUE(main.send_bytes(region_read_msg(id++, 0, off, count)));
        auto r = main.recv_message(3000);
        if (!r || r->payload_len() < 16)
            return {};
        return std::vector<uint8_t>(r->payload() + 16, r->payload() + r->payload_len());
    }
    void write(uint64_t off, const std::vector<uint8_t> &data) {
        EXPECT_TRUE(main.send_bytes(region_write_msg(id++, 0, off, data)));
        auto r = main.recv_message(3000);
        ASSERT_TRUE(r.has_value());
        EXPECT_EQ(r->hdr().flags & VU_F_ERROR, 0u);
    }

    ServerProcess srv{{server_models_dir() + "/shmem"}};
    RawSocket main, twin;
    uint16_t id = 10;
    std::vector<RawMessage> keep;
};

} // namespace

// argsz 32: the header alone says MMAP and that 64 bytes are needed; no
// CAPS, no cap_offset, no fd (server_info.jsonl seq 7 has the same shape).
TEST_F(Shmem, ShortArgszGetsTheNeededSizeWithoutCapsOrFd) {
    RawMessage r = info(0, 32);
    EXPECT_EQ(payload_of(r), unhex("40000000"            // argsz 64
                                   "07000000"            // READ | WRITE | MMAP
                                   "00000000"            // index 0
                                   "00000000"            // cap_offset
                                   "0020000000000000"    // size 0x2000
                                   "0000000000000000")); // offset 0
    EXPECT_TRUE(r.fds.empty());
}

// argsz 64: the whole answer, the sparse cap at 32, one area [0, 0x1000),
// and the fd with the reply (server_info.jsonl seq 9: flags 0xf, fds 1).
TEST_F(Shmem, FullArgszGetsTheSparseCapAndTheFd) {
    RawMessage r = info(0, 64);
    EXPECT_EQ(payload_of(r), unhex("40000000"            // argsz 64
                                   "0f000000"            // READ | WRITE | MMAP | CAPS
                                   "00000000"            // index 0
                                   "20000000"            // cap_offset 32
                                   "0020000000000000"    // size 0x2000
                                   "0000000000000000"    // offset 0
                                   "0100"                // cap id 1 (sparse mmap)
                                   "0100"                // version 1
                                   "00000000"            // next: none
                                   "01000000"            // nr_areas 1
                                   "00000000"            // reserved
                                   "0000000000000000"    // area offset 0
                                   "0010000000000000")); // area size 0x1000
    ASSERT_EQ(r.fds.size(), 1u);
    struct stat st {};
    ASSERT_EQ(fstat(r.fds[0], &st), 0);
    EXPECT_EQ(st.st_size, 0x2000);
}

// Between the two: as libvfio-user, the reply is as long as the client's
// argsz (zeros past the header) and still has no caps and no fd.
TEST_F(Shmem, ArgszBetweenGetsThatManyBytesWithoutCaps) {
    RawMessage r = info(0, 40);
    EXPECT_EQ(payload_of(r), unhex("40000000070000000000000000000000"
                                   "00200000000000000000000000000000"
                                   "0000000000000000"));
    EXPECT_TRUE(r.fds.empty());
}

// A BAR the device does not have: no MMAP, size 0.
TEST_F(Shmem, UnusedBarIsNotMappable) {
    RawMessage r = info(1, 64);
    EXPECT_EQ(payload_of(r), unhex("20000000000000000100000000000000"
                                   "00000000000000000000000000000000"));
    EXPECT_TRUE(r.fds.empty());
}

// The fd's bytes are the BAR's: a REGION_WRITE shows in the mapping, a
// store into the mapping reads back by REGION_READ, and only the
// REGION_WRITEs count in WRITES (0x1000).
TEST_F(Shmem, MappingAndMessagesSeeTheSameBytes) {
    RawMessage r = info(0, 64);
    ASSERT_EQ(r.fds.size(), 1u);
    void *p = mmap(nullptr, 0x1000, PROT_READ | PROT_WRITE, MAP_SHARED, r.fds[0], 0);
    ASSERT_NE(p, MAP_FAILED);
    auto *m = static_cast<uint8_t *>(p);
    write(0x10, {0xde, 0xad, 0xbe, 0xef});
    EXPECT_EQ(m[0x10], 0xde);
    EXPECT_EQ(m[0x13], 0xef);
    const uint8_t stored[4] = {0x11, 0x22, 0x33, 0x44};
    memcpy(m + 0x20, stored, 4);
    EXPECT_EQ(read(0x20, 4), (std::vector<uint8_t>{0x11, 0x22, 0x33, 0x44}));
    write(0x1004, {0x55});
    EXPECT_EQ(read(0x1000, 4), (std::vector<uint8_t>{2, 0, 0, 0})); // two REGION_WRITEs
    munmap(p, 0x1000);
}

// vus_bar_set_mmap refuses what a client could not map (no socket needed:
// nothing is realized).
TEST(BarSetMmap, RefusesWhatCannotBeMapped) {
    vus_config cfg{};
    cfg.socket_path = "/nonexistent/unused.sock";
    vus_ctx *ctx = vus_create(&cfg);
    ASSERT_NE(ctx, nullptr);
    auto cb = [](void *, unsigned, uint64_t, void *, size_t count, bool) -> ssize_t {
        return ssize_t(count);
    };
    const vus_pci_id id{0x5243, 0x0009, 0, 0, 0, 0};
    ASSERT_EQ(vus_pci_init(ctx, &id), 0);
    ASSERT_EQ(vus_setup_bar(ctx, 0, 0x4000, VUS_BAR_MEM32, cb, nullptr), 0);
    ASSERT_EQ(vus_setup_bar(ctx, 4, 0x100, VUS_BAR_IO, cb, nullptr), 0);
    int fd = memfd_create("bar", MFD_CLOEXEC);
    ASSERT_GE(fd, 0);
    const vus_mmap_area page{0x1000, 0x1000}, outside{0x3000, 0x2000}, unaligned{0x10, 0x1000},
        empty{0, 0};
    EXPECT_EQ(vus_bar_set_mmap(ctx, 4, fd, 0, &page, 1), -EINVAL) << "an I/O BAR";
    EXPECT_EQ(vus_bar_set_mmap(ctx, 1, fd, 0, &page, 1), -EINVAL) << "a BAR not set up";
    EXPECT_EQ(vus_bar_set_mmap(ctx, 0, -1, 0, &page, 1), -EINVAL) << "no fd";
    EXPECT_EQ(vus_bar_set_mmap(ctx, 0, fd, 0, &outside, 1), -EINVAL) << "past the BAR";
    EXPECT_EQ(vus_bar_set_mmap(ctx, 0, fd, 0, &unaligned, 1), -EINVAL) << "not page aligned";
    EXPECT_EQ(vus_bar_set_mmap(ctx, 0, fd, 0x800, &page, 1), -EINVAL) << "fd offset unaligned";
    EXPECT_EQ(vus_bar_set_mmap(ctx, 0, fd, 0, &empty, 1), -EINVAL) << "an empty area";
    EXPECT_EQ(vus_bar_set_mmap(ctx, 0, fd, 0, &page, 0), -EINVAL) << "no areas";
    EXPECT_EQ(vus_bar_set_mmap(ctx, 0, fd, 0, &page, 1), 0);
    EXPECT_EQ(vus_bar_set_mmap(ctx, 0, fd, 0, &page, 1), -EEXIST);
    close(fd);
    vus_destroy(ctx);
}
