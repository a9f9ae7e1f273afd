// Dirty page logging in the server library (server_dirty_log.c), driven by
// the client library over a real socket: what START logs, the REPORT's
// bitmap (hand-written from the pages the test wrote, in the layout of
// tests/transcripts/dirty_logging.jsonl: bit i of byte i/8 is page i, whole
// u64s), the clearing, page-size conversion, the refusals with libvfio-user's
// errnos (lib/dma.c), and vus_dma_ptr()/vus_dma_mark_dirty().
#include <gtest/gtest.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string>
#include <sys/mman.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "vfio_user/client.h"
#include "vfio_user/server.h"

namespace {

constexpr uint64_t kFdIova = 0x10000000;  // memfd-backed, 64 KiB (the recording's)
constexpr uint64_t kMsgIova = 0x20000000; // message mode, 64 KiB
constexpr uint64_t kSize = 0x10000;
constexpr uint32_t kRW = VU_DMA_MAP_F_READ | VU_DMA_MAP_F_WRITE;

ssize_t plain(void *, unsigned, uint64_t, void *buf, size_t count, bool is_write) {
    if (!is_write)
        memset(buf, 0, count);
    return ssize_t(count);
}

class DirtyLog : public ::testing::Test {
  protected:
    void start(bool offer) {
        char tmpl[] = "/tmp/rcsim-dirty-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        sock_ = dir_ + "/dev.sock";
        vus_config cfg{};
        cfg.socket_path = sock_.c_str();
        cfg.name = "dirty";
        cfg.io_timeout_ms = 3000;
        ctx_ = vus_create(&cfg);
        ASSERT_NE(ctx_, nullptr);
        vus_pci_id id{};
        id.vendor_id = 0x5243;
        id.device_id = 0x00fc;
        id.class_code = 0xff0000;
        ASSERT_EQ(vus_pci_init(ctx_, &id), 0);
        ASSERT_EQ(vus_setup_bar(ctx_, 0, 0x1000, VUS_BAR_MEM32, plain, this), 0);
        if (offer) {
            ASSERT_EQ(vus_setup_dirty_logging(ctx_), 0);
        }
        ASSERT_EQ(vus_realize(ctx_), 0);
        EXPECT_EQ(vus_setup_dirty_logging(ctx_), -EBUSY);
        loop_ = std::thread([this] { vus_run(ctx_); });
        vuc_options o;
        vuc_options_init(&o);
        o.max_data_xfer_size = 1024;
        client_ = vuc_create(&o);
        ASSERT_EQ(vuc_connect(client_, sock_.c_str()), 0);
        ASSERT_EQ(vuc_negotiate(client_), 0);
        memfd_ = memfd_create("dirty-test", MFD_CLOEXEC);
        ASSERT_GE(memfd_, 0);
        ASSERT_EQ(ftruncate(memfd_, off_t(kSize)), 0);
        mem_ = static_cast<uint8_t *>(
            mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_SHARED, memfd_, 0));
        ASSERT_NE(mem_, MAP_FAILED);
        ASSERT_EQ(vuc_dma_map(client_, kFdIova, kSize, kRW, mem_, memfd_, 0), 0);
        ASSERT_EQ(vuc_dma_map(client_, kMsgIova, kSize, kRW, msgmem_.data(), -1, 0), 0);
    }
    void TearDown() override {
        if (client_)
            vuc_destroy(client_);
        if (ctx_) {
            vus_stop(ctx_);
            if (loop_.joinable())
                loop_.join();
            vus_destroy(ctx_);
        }
        if (mem_ != nullptr && mem_ != MAP_FAILED)
            munmap(mem_, kSize);
        if (memfd_ >= 0)
            close(memfd_);
        if (!dir_.empty())
            rmdir(dir_.c_str());
    }
    int start_logging(uint64_t pgsize) {
        const vu_dma_logging_range r{kFdIova, kSize};
        return vuc_dirty_start(client_, pgsize, &r, 1);
    }
    using Bitmap = std::array<uint8_t, 8>;
    Bitmap report(uint64_t iova = kFdIova, uint64_t pgsize = 4096, int *err = nullptr) {
        Bitmap b{};
        int rc = vuc_dirty_report(client_, iova, kSize, pgsize, b.data(), b.size());
        if (err != nullptr)
            *err = rc;
        else
            EXPECT_EQ(rc, 0);
        return b;
    }
    void write_pattern(uint64_t iova, size_t len) {
        std::vector<uint8_t> p(len, 0xa5);
        ASSERT_EQ(vus_dma_write(ctx_, iova, p.data(), p.size()), 0);
    }

    vus_ctx *ctx_ = nullptr;
    vuc_ctx *client_ = nullptr;
    std::thread loop_;
    std::string dir_, sock_;
    int memfd_ = -1;
    uint8_t *mem_ = nullptr;
    std::vector<uint8_t> msgmem_ = std::vector<uint8_t>(kSize);
};

// The recording's first report is all zero (dirty_logging seq 11); a 32-byte
// vus_dma_write at 0x1ff0 touches pages 1 and 2 (byte 0 = 0b110), a store
// through vus_dma_ptr at page 15 marked with vus_dma_mark_dirty sets bit 7 of
// byte 1; the second report is clear again (seq 33).
TEST_F(DirtyLog, ReportsThePagesWrittenAndClearsThem) {
    start(true);
    ASSERT_EQ(start_logging(4096), 0);
    EXPECT_TRUE(vus_dirty_logging_active(ctx_));
    EXPECT_EQ(report(), (Bitmap{0, 0, 0, 0, 0, 0, 0, 0}));
    write_pattern(kFdIova + 0x1ff0, 32);
    EXPECT_EQ(mem_[0x1ff0], 0xa5);
    EXPECT_EQ(mem_[0x200f], 0xa5);
    void *p = nullptr;
    ASSERT_EQ(vus_dma_ptr(ctx_, kFdIova + 0xf800, 16, VU_DMA_MAP_F_WRITE, &p), 0);
    memset(p, 0x5a, 16);
    vus_dma_mark_dirty(ctx_, kFdIova + 0xf800, 16);
    EXPECT_EQ(mem_[0xf800], 0x5a);
    EXPECT_EQ(report(), (Bitmap{0x06, 0x80, 0, 0, 0, 0, 0, 0}));
    EXPECT_EQ(report(), (Bitmap{0, 0, 0, 0, 0, 0, 0, 0}));
}

// A store through vus_dma_ptr that nobody marks is not in the report: the
// "unmarked write" bug a device can have. A message-mode map cannot be
// reported (the client sees that DMA itself).
TEST_F(DirtyLog, UnmarkedStoresAndMessageDmaAreNotLogged) {
    start(true);
    ASSERT_EQ(start_logging(4096), 0);
    void *p = nullptr;
    ASSERT_EQ(vus_dma_ptr(ctx_, kFdIova + 0x3000, 8, VU_DMA_MAP_F_WRITE, &p), 0);
    memset(p, 0x11, 8);
    EXPECT_EQ(report(), (Bitmap{0, 0, 0, 0, 0, 0, 0, 0}));
    int err = 0;
    report(kMsgIova, 4096, &err);
    EXPECT_EQ(err, -EINVAL); // seq 35: "isn't accessed directly"
}

// The server logs at START's page size; a REPORT in 8 KiB pages ORs pairs
// (pages 0 and 5 -> bits 0 and 2), one in 2 KiB pages repeats each bit
// (page 0 -> bits 0,1; page 5 -> bits 10,11).
TEST_F(DirtyLog, ReportsInTheClientsPageSize) {
    start(true);
    ASSERT_EQ(start_logging(4096), 0);
    write_pattern(kFdIova + 0x0000, 1);
    write_pattern(kFdIova + 0x5000, 1);
    EXPECT_EQ(report(kFdIova, 8192), (Bitmap{0x05, 0, 0, 0, 0, 0, 0, 0}));
    write_pattern(kFdIova + 0x0000, 1);
    write_pattern(kFdIova + 0x5000, 1);
    EXPECT_EQ(report(kFdIova, 2048), (Bitmap{0x03, 0x0c, 0, 0, 0, 0, 0, 0}));
}

// libvfio-user's refusals (lib/dma.c dma_controller_dirty_page_get and
// _logging_start): REPORT before START is EINVAL (seq 39), of part of a map
// ENOTSUP, of nothing mapped ENOENT, with a page size not a power of two
// EINVAL; START with another page size while logging is EINVAL, with the same
// one a no-op.
TEST_F(DirtyLog, RefusalsWithLibvfioUsersErrnos) {
    start(true);
    int err = 0;
    report(kFdIova, 4096, &err);
    EXPECT_EQ(err, -EINVAL);
    ASSERT_EQ(start_logging(4096), 0);
    EXPECT_EQ(start_logging(4096), 0);
    EXPECT_EQ(start_logging(8192), -EINVAL);
    uint8_t b[8] = {};
    EXPECT_EQ(vuc_dirty_report(client_, kFdIova, kSize / 2, 4096, b, sizeof b), -ENOTSUP);
    EXPECT_EQ(vuc_dirty_report(client_, 0x30000000, kSize, 4096, b, sizeof b), -ENOENT);
    ASSERT_EQ(vuc_dirty_stop(client_, 4096), 0);
    EXPECT_FALSE(vus_dirty_logging_active(ctx_));
    report(kFdIova, 4096, &err);
    EXPECT_EQ(err, -EINVAL);
}

// START names only the message map (seq 40-45): it succeeds, and the memfd
// map is logged anyway.
TEST_F(DirtyLog, StartLogsEveryFdMapWhateverTheRanges) {
    start(true);
    const vu_dma_logging_range r{kMsgIova, kSize};
    ASSERT_EQ(vuc_dirty_start(client_, 4096, &r, 1), 0);
    write_pattern(kFdIova + 0x2000, 4);
    EXPECT_EQ(report(), (Bitmap{0x04, 0, 0, 0, 0, 0, 0, 0}));
}

// A map's log goes with its DMA_UNMAP; a map added while logging is on is
// logged from the start; DEVICE_RESET ends logging.
TEST_F(DirtyLog, UnmapDropsTheLogAndNewMapsAreLogged) {
    start(true);
    ASSERT_EQ(start_logging(4096), 0);
    write_pattern(kFdIova + 0x1000, 1);
    ASSERT_EQ(vuc_dma_unmap(client_, kFdIova, kSize), 0);
    ASSERT_EQ(vuc_dma_map(client_, kFdIova, kSize, kRW, mem_, memfd_, 0), 0);
    EXPECT_EQ(report(), (Bitmap{0, 0, 0, 0, 0, 0, 0, 0})) << "the old map's page 1 is gone";
    write_pattern(kFdIova + 0x9000, 1);
    EXPECT_EQ(report(), (Bitmap{0, 0x02, 0, 0, 0, 0, 0, 0}));
    ASSERT_EQ(vuc_device_reset(client_), 0);
    EXPECT_FALSE(vus_dirty_logging_active(ctx_));
}

// The pointer API: fd-backed maps only, in bounds, with the permission.
TEST_F(DirtyLog, PointerApiRefusesWhatItCannotHandOut) {
    start(true);
    void *p = nullptr;
    EXPECT_EQ(vus_dma_ptr(ctx_, kMsgIova, 16, VU_DMA_MAP_F_READ, &p), -EOPNOTSUPP);
    EXPECT_EQ(vus_dma_ptr(ctx_, 0x30000000, 16, VU_DMA_MAP_F_READ, &p), -EFAULT);
    EXPECT_EQ(vus_dma_ptr(ctx_, kFdIova + kSize - 8, 16, VU_DMA_MAP_F_READ, &p), -EFAULT);
    ASSERT_EQ(vuc_dma_unmap(client_, kFdIova, kSize), 0);
    ASSERT_EQ(vuc_dma_map(client_, kFdIova, kSize, VU_DMA_MAP_F_READ, mem_, memfd_, 0), 0);
    EXPECT_EQ(vus_dma_ptr(ctx_, kFdIova, 16, VU_DMA_MAP_F_WRITE, &p), -EACCES);
    ASSERT_EQ(vus_dma_ptr(ctx_, kFdIova + 0x10, 16, VU_DMA_MAP_F_READ, &p), 0);
    mem_[0x10] = 0x77;
    EXPECT_EQ(*static_cast<uint8_t *>(p), 0x77) << "the same shared page";
}

// Without vus_setup_dirty_logging the three features are refused, PROBE
// included, as libvfio-user refuses features it does not have.
TEST_F(DirtyLog, NotOfferedUnlessTheDeviceAsks) {
    start(false);
    EXPECT_EQ(vuc_feature_probe(client_, VU_FEATURE_DMA_LOGGING_START, VU_DEVICE_FEATURE_SET),
              -EINVAL);
    EXPECT_EQ(vuc_feature_probe(client_, VU_FEATURE_DMA_LOGGING_REPORT, VU_DEVICE_FEATURE_GET),
              -EINVAL);
    EXPECT_EQ(start_logging(4096), -EINVAL);
}

TEST_F(DirtyLog, OfferedFeaturesProbeWithTheirOperations) {
    start(true);
    EXPECT_EQ(vuc_feature_probe(client_, VU_FEATURE_DMA_LOGGING_START, VU_DEVICE_FEATURE_SET), 0);
    EXPECT_EQ(vuc_feature_probe(client_, VU_FEATURE_DMA_LOGGING_STOP, VU_DEVICE_FEATURE_SET), 0);
    EXPECT_EQ(vuc_feature_probe(client_, VU_FEATURE_DMA_LOGGING_REPORT, VU_DEVICE_FEATURE_GET), 0);
    EXPECT_EQ(vuc_feature_probe(client_, VU_FEATURE_DMA_LOGGING_REPORT, VU_DEVICE_FEATURE_SET),
              -EINVAL);
    EXPECT_EQ(vuc_feature_probe(client_, VU_FEATURE_MIGRATION, VU_DEVICE_FEATURE_GET), -EINVAL)
        << "logging alone does not offer migration";
}

} // namespace
