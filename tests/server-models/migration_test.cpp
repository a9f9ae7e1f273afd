// Migration v2 in the server library (server_migration.c), driven by the
// client library's calls over a real socket: the features a device offers,
// the state machine (combination transitions walked one arc at a time, each
// arc told to the device), the data out in PRE_COPY/STOP_COPY and in while
// RESUMING, and the refusals. Expected wire values are those of libvfio-user's
// server sample in tests/transcripts/ (server_info, migration_source/dest).
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <unistd.h>
#include <utility>
#include <vector>

#include "vfio_user/client.h"
#include "vfio_user/server.h"

namespace {

// A device whose state is one 3000-byte blob: read out in chunks, written
// back while resuming; every arc the library takes is recorded.
struct Device {
    std::mutex mu;
    std::vector<std::pair<int, int>> arcs;
    std::vector<uint8_t> state = std::vector<uint8_t>(3000);
    std::vector<uint8_t> restored;
    size_t read_at = 0;
    int fail_to = -1; // transition into this state fails (EIO)

    static int transition(void *p, vu_mig_state from, vu_mig_state to) {
        auto *d = static_cast<Device *>(p);
        std::lock_guard<std::mutex> g(d->mu);
        if (int(to) == d->fail_to)
            return -EIO;
        d->arcs.emplace_back(int(from), int(to));
        if (to == VU_MIG_STATE_PRE_COPY || to == VU_MIG_STATE_STOP_COPY)
            d->read_at = 0;
        return 0;
    }
    static ssize_t read_data(void *p, void *buf, size_t len) {
        auto *d = static_cast<Device *>(p);
        std::lock_guard<std::mutex> g(d->mu);
        size_t n = std::min(len, d->state.size() - d->read_at);
        memcpy(buf, d->state.data() + d->read_at, n);
        d->read_at += n;
        return ssize_t(n);
    }
    static ssize_t write_data(void *p, const void *buf, size_t len) {
        auto *d = static_cast<Device *>(p);
        std::lock_guard<std::mutex> g(d->mu);
        if (d->restored.size() + len > d->state.size())
            return -EINVAL; // more than a state holds
        const auto *b = static_cast<const uint8_t *>(buf);
        d->restored.insert(d->restored.end(), b, b + len);
        return ssize_t(len);
    }
};

ssize_t plain(void *, unsigned, uint64_t, void *buf, size_t count, bool is_write) {
    if (!is_write)
        memset(buf, 0, count);
    return ssize_t(count);
}

class Migration : public ::testing::Test {
  protected:
    void start(uint64_t flags) {
        char tmpl[] = "/tmp/rcsim-mig-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        sock_ = dir_ + "/dev.sock";
        for (size_t i = 0; i < dev_.state.size(); i++)
            dev_.state[i] = uint8_t(i * 13 + 1);
        vus_config cfg{};
        cfg.socket_path = sock_.c_str();
        cfg.name = "mig";
        cfg.dma_mode = VUS_DMA_MODE_TWIN;
        cfg.io_timeout_ms = 3000;
        ctx_ = vus_create(&cfg);
        ASSERT_NE(ctx_, nullptr);
        vus_pci_id id{};
        id.vendor_id = 0x5243;
        id.device_id = 0x00fd;
        id.class_code = 0xff0000;
        const vus_migration_ops ops = {Device::transition, Device::read_data, Device::write_data};
        ASSERT_EQ(vus_pci_init(ctx_, &id), 0);
        ASSERT_EQ(vus_setup_bar(ctx_, 0, 0x1000, VUS_BAR_MEM32, plain, this), 0);
        if (flags) {
            ASSERT_EQ(vus_setup_migration(ctx_, flags, &ops, &dev_), 0);
        }
        ASSERT_EQ(vus_realize(ctx_), 0);
        EXPECT_EQ(vus_setup_migration(ctx_, flags, &ops, &dev_), -EBUSY);
        loop_ = std::thread([this] { vus_run(ctx_); });
        vuc_options o;
        vuc_options_init(&o);
        o.max_data_xfer_size = 1024; // as the recordings' client
        client_ = vuc_create(&o);
        ASSERT_EQ(vuc_connect(client_, sock_.c_str()), 0);
        ASSERT_EQ(vuc_negotiate(client_), 0);
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
        if (!dir_.empty())
            rmdir(dir_.c_str());
    }
    uint32_t state() {
        uint32_t s = 99;
        EXPECT_EQ(vuc_mig_get_state(client_, &s), 0);
        return s;
    }
    std::vector<uint8_t> read_all() {
        std::vector<uint8_t> all;
        uint8_t buf[1024];
        for (uint32_t got = 1; got != 0 && all.size() < 100000;) {
            EXPECT_EQ(vuc_mig_data_read(client_, buf, sizeof buf, &got), 0);
            all.insert(all.end(), buf, buf + got);
        }
        return all;
    }

    Device dev_;
    vus_ctx *ctx_ = nullptr;
    vuc_ctx *client_ = nullptr;
    std::thread loop_;
    std::string dir_, sock_;
};

constexpr uint64_t kFlags = VU_MIGRATION_STOP_COPY | VU_MIGRATION_PRE_COPY;

// As the server sample answers (server_info seq 34-47): MIGRATION GET-only
// with flags 0x5, MIG_DEVICE_STATE GET and SET, RUNNING at first; logging
// not offered (this library serves DMA by messages).
TEST_F(Migration, FeaturesAndInitialStateAsTheServerSample) {
    start(kFlags);
    EXPECT_EQ(vuc_feature_probe(client_, VU_FEATURE_MIGRATION, VU_DEVICE_FEATURE_GET), 0);
    EXPECT_EQ(vuc_feature_probe(client_, VU_FEATURE_MIGRATION, VU_DEVICE_FEATURE_SET), -EINVAL);
    EXPECT_EQ(vuc_feature_probe(client_, VU_FEATURE_MIG_DEVICE_STATE,
                                VU_DEVICE_FEATURE_GET | VU_DEVICE_FEATURE_SET),
              0);
    EXPECT_EQ(vuc_feature_probe(client_, VU_FEATURE_DMA_LOGGING_START, VU_DEVICE_FEATURE_SET),
              -EINVAL);
    uint64_t flags = 0;
    ASSERT_EQ(vuc_mig_get_flags(client_, &flags), 0);
    EXPECT_EQ(flags, 0x5u);
    EXPECT_EQ(state(), uint32_t(VU_MIG_STATE_RUNNING));
}

// RUNNING -> PRE_COPY -> STOP_COPY -> STOP: the data comes out twice (once
// per copy phase, 3000 bytes in 1024-byte pieces), and each arc reached the
// device in order.
TEST_F(Migration, SourceSavesItsStateInPreCopyAndStopCopy) {
    start(kFlags);
    ASSERT_EQ(vuc_mig_set_state(client_, VU_MIG_STATE_RUNNING, VU_MIG_STATE_PRE_COPY, kFlags), 0);
    EXPECT_EQ(read_all(), dev_.state);
    ASSERT_EQ(vuc_mig_set_state(client_, VU_MIG_STATE_PRE_COPY, VU_MIG_STATE_STOP_COPY, kFlags), 0);
    EXPECT_EQ(state(), uint32_t(VU_MIG_STATE_STOP_COPY));
    EXPECT_EQ(read_all(), dev_.state);
    ASSERT_EQ(vuc_mig_set_state(client_, VU_MIG_STATE_STOP_COPY, VU_MIG_STATE_STOP, kFlags), 0);
    uint8_t b[16];
    uint32_t got = 0;
    EXPECT_EQ(vuc_mig_data_read(client_, b, sizeof b, &got), -EINVAL) << "no data in STOP";
    const std::vector<std::pair<int, int>> want = {{2, 6}, {6, 3}, {3, 1}};
    EXPECT_EQ(dev_.arcs, want); // RUNNING=2 PRE_COPY=6 STOP_COPY=3 STOP=1
}

// RUNNING -> RESUMING in one SET (migration_dest seq 4): the library walks
// RUNNING -> STOP -> RESUMING; the data goes in; RESUMING -> RUNNING walks
// back through STOP.
TEST_F(Migration, DestinationWalksCombinationArcsAndTakesTheData) {
    start(kFlags);
    ASSERT_EQ(vuc_mig_set_state(client_, VU_MIG_STATE_RUNNING, VU_MIG_STATE_RESUMING, kFlags), 0);
    EXPECT_EQ(state(), uint32_t(VU_MIG_STATE_RESUMING));
    for (size_t off = 0; off < dev_.state.size(); off += 1024) {
        const uint32_t n = uint32_t(std::min<size_t>(1024, dev_.state.size() - off));
        ASSERT_EQ(vuc_mig_data_write(client_, dev_.state.data() + off, n), 0);
    }
    const uint8_t more[8] = {};
    EXPECT_EQ(vuc_mig_data_write(client_, more, 8), -EINVAL); // past the state, as seq 42
    ASSERT_EQ(vuc_mig_set_state(client_, VU_MIG_STATE_RESUMING, VU_MIG_STATE_RUNNING, kFlags), 0);
    EXPECT_EQ(dev_.restored, dev_.state);
    const std::vector<std::pair<int, int>> want = {{2, 1}, {1, 4}, {4, 1}, {1, 2}};
    EXPECT_EQ(dev_.arcs, want);
}

// What the client refuses before sending, what the library refuses when
// sent anyway (a raw DEVICE_FEATURE), and a device whose transition fails.
TEST_F(Migration, RefusalsLeaveTheStateWhereTheyFoundIt) {
    start(kFlags);
    ASSERT_EQ(vuc_mig_set_state(client_, VU_MIG_STATE_RUNNING, VU_MIG_STATE_STOP_COPY, kFlags), 0);
    EXPECT_EQ(vuc_mig_set_state(client_, VU_MIG_STATE_STOP_COPY, VU_MIG_STATE_PRE_COPY, kFlags),
              -EINVAL);
    uint8_t raw[16];
    const uint32_t hdr[2] = {16, VU_DEVICE_FEATURE_SET | VU_FEATURE_MIG_DEVICE_STATE};
    const uint32_t body[2] = {VU_MIG_STATE_PRE_COPY, 0xffffffffu};
    memcpy(raw, hdr, 8);
    memcpy(raw + 8, body, 8);
    vuc_request req{};
    req.cmd = VU_CMD_DEVICE_FEATURE;
    req.payload = raw;
    req.payload_len = sizeof raw;
    vuc_id id;
    ASSERT_EQ(vuc_submit(client_, &req, 0, &id), 0);
    EXPECT_EQ(vuc_wait(client_, id, 3000), -EINVAL) << "STOP_COPY -> PRE_COPY is blocked";
    vuc_release(client_, id);
    EXPECT_EQ(state(), uint32_t(VU_MIG_STATE_STOP_COPY));
    {
        std::lock_guard<std::mutex> g(dev_.mu);
        dev_.fail_to = VU_MIG_STATE_RESUMING;
    }
    EXPECT_EQ(vuc_mig_set_state(client_, VU_MIG_STATE_STOP_COPY, VU_MIG_STATE_RESUMING, kFlags),
              -EIO);
    EXPECT_EQ(state(), uint32_t(VU_MIG_STATE_STOP)) << "the arc before the failing one was taken";
}

// A device without migration answers every DEVICE_FEATURE and MIG_DATA with
// EINVAL, as libvfio-user does for features it lacks (server_info seq 51).
TEST_F(Migration, DeviceWithoutMigrationRefusesEverything) {
    start(0);
    EXPECT_EQ(vuc_feature_probe(client_, VU_FEATURE_MIGRATION, VU_DEVICE_FEATURE_GET), -EINVAL);
    uint64_t flags = 0;
    EXPECT_EQ(vuc_mig_get_flags(client_, &flags), -EINVAL);
    uint8_t b[8];
    uint32_t got = 0;
    EXPECT_EQ(vuc_mig_data_read(client_, b, sizeof b, &got), -EINVAL);
}

} // namespace
