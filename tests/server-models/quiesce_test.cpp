// Quiesce in the server library (server_quiesce.c), libvfio-user's model
// (lib/libvfio-user.c command_needs_quiesce, vfu_device_quiesced): which
// commands ask the device to quiesce, a device that answers "busy" and
// finishes later (the reply comes only after vus_device_quiesced, and the
// commands sent meanwhile wait behind it), a failed quiesce, and DMA refused
// while quiesced. The test drives vus_step() itself from one thread, so "no
// reply yet" is a fact, not a timing.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include "raw_client.hpp"
#include "vfio_user/server.h"

namespace {

using rcsim::test::make_msg;
using rcsim::test::RawMessage;
using rcsim::test::RawSocket;

ssize_t plain(void *, unsigned, uint64_t, void *buf, size_t count, bool is_write) {
    if (!is_write)
        memset(buf, 0, count);
    return ssize_t(count);
}

int transition(void *, vu_mig_state, vu_mig_state) {
    return 0;
}
ssize_t no_data(void *, void *, size_t) {
    return 0;
}
ssize_t take_data(void *, const void *, size_t len) {
    return ssize_t(len);
}

class Quiesce : public ::testing::Test {
  protected:
    void SetUp() override {
        char tmpl[] = "/tmp/rcsim-quiesce-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        sock_ = dir_ + "/dev.sock";
        vus_config cfg{};
        cfg.socket_path = sock_.c_str();
        cfg.name = "quiesce";
        cfg.io_timeout_ms = 3000;
        ctx_ = vus_create(&cfg);
        ASSERT_NE(ctx_, nullptr);
        vus_pci_id id{};
        id.vendor_id = 0x5243;
        id.device_id = 0x00fb;
        id.class_code = 0xff0000;
        const vus_migration_ops ops = {transition, no_data, take_data};
        ASSERT_EQ(vus_pci_init(ctx_, &id), 0);
        ASSERT_EQ(vus_add_cap_pcie(ctx_), 0); // at 0x40: Device Control at 0x48
        ASSERT_EQ(vus_setup_bar(ctx_, 0, 0x1000, VUS_BAR_MEM32, plain, this), 0);
        ASSERT_EQ(vus_setup_migration(ctx_, VU_MIGRATION_STOP_COPY, &ops, nullptr), 0);
        ASSERT_EQ(vus_setup_dirty_logging(ctx_), 0);
        ASSERT_EQ(vus_realize(ctx_), 0);
        vus_set_quiesce_cb(ctx_, on_quiesce, this);
        vus_set_unquiesce_cb(ctx_, on_unquiesce, this);
        vus_set_reset_cb(ctx_, on_reset, this);
        std::string err;
        ASSERT_TRUE(main_.connect_to(sock_, &err)) << err;
        ASSERT_EQ(vus_step(ctx_, 1000), 1); // accept
        const std::string json = "{\"capabilities\":{\"max_msg_fds\":8}}";
        ASSERT_TRUE(main_.send_bytes(rcsim::test::version_msg(1, json)));
        ASSERT_EQ(vus_step(ctx_, 1000), 1);
        auto r = main_.recv_message(1000);
        ASSERT_TRUE(r.has_value());
        ASSERT_EQ(r->hdr().flags & VU_F_ERROR, 0u);
    }
    void TearDown() override {
        main_.close();
        vus_destroy(ctx_);
        if (!dir_.empty())
            rmdir(dir_.c_str());
    }
    static int on_quiesce(void *p) {
        auto *t = static_cast<Quiesce *>(p);
        t->calls++;
        return t->answer;
    }
    static void on_unquiesce(void *p) { static_cast<Quiesce *>(p)->unquiesced++; }
    static int on_reset(void *p, vus_reset_reason why) {
        auto *t = static_cast<Quiesce *>(p);
        if (why != VUS_RESET_DEVICE)
            return 0;
        // Inside the quiesced message's own callback DMA may start (it fails
        // here only because nothing is mapped); another thread may not.
        void *ptr = nullptr;
        t->ptr_in_cb = vus_dma_ptr(t->ctx_, 0x1000, 8, VU_DMA_MAP_F_READ, &ptr);
        std::thread other(
            [t, &ptr] { t->ptr_other = vus_dma_ptr(t->ctx_, 0x1000, 8, VU_DMA_MAP_F_READ, &ptr); });
        other.join();
        return 0;
    }
    // Sends one command and handles it; true when its reply came, with no
    // error (error_no into *err otherwise).
    void send(const std::vector<uint8_t> &m) {
        ASSERT_TRUE(main_.send_bytes(m));
        ASSERT_EQ(vus_step(ctx_, 1000), 1);
    }
    vu_hdr reply() {
        auto r = main_.recv_message(1000);
        EXPECT_TRUE(r.has_value());
        return r ? r->hdr() : vu_hdr{};
    }
    std::vector<uint8_t> feature_msg(uint16_t id, uint32_t flags, size_t extra = 8) {
        std::vector<uint8_t> p(sizeof(vu_device_feature) + extra);
        vu_device_feature f{uint32_t(p.size()), flags};
        memcpy(p.data(), &f, sizeof(f));
        return make_msg(id, VU_CMD_DEVICE_FEATURE, p.data(), p.size());
    }

    vus_ctx *ctx_ = nullptr;
    RawSocket main_;
    std::string dir_, sock_;
    int calls = 0;
    int unquiesced = 0;
    int answer = 0;
    int ptr_in_cb = 1;
    int ptr_other = 1;
};

// The device says "busy": the DMA_MAP stays unanswered, a DEVICE_GET_INFO
// sent meanwhile waits behind it, and both replies come, in order, once the
// device calls vus_device_quiesced.
TEST_F(Quiesce, BusyHoldsTheMessageUntilTheDeviceHasQuiesced) {
    answer = -EBUSY;
    send(rcsim::test::dma_map_msg(2, 0x10000, 0x1000, VU_DMA_MAP_F_READ));
    EXPECT_EQ(calls, 1);
    EXPECT_TRUE(vus_quiesce_pending(ctx_));
    EXPECT_TRUE(main_.no_message_for(0));
    vu_device_info gi{sizeof(vu_device_info), 0, 0, 0};
    send(make_msg(3, VU_CMD_DEVICE_GET_INFO, &gi, sizeof gi));
    EXPECT_TRUE(main_.no_message_for(0)) << "no command is handled before the held one";
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(unquiesced, 0);
    ASSERT_EQ(vus_device_quiesced(ctx_, 0), 0);
    EXPECT_FALSE(vus_quiesce_pending(ctx_));
    EXPECT_EQ(vus_step(ctx_, 1000), 1); // the wake-up: held messages served
    vu_hdr h = reply();
    EXPECT_EQ(h.msg_id, 2);
    EXPECT_EQ(h.cmd, VU_CMD_DMA_MAP);
    EXPECT_EQ(h.flags, VU_F_TYPE_REPLY);
    h = reply();
    EXPECT_EQ(h.msg_id, 3);
    EXPECT_EQ(h.cmd, VU_CMD_DEVICE_GET_INFO);
    EXPECT_EQ(unquiesced, 1) << "told once, after the DMA_MAP's reply";
    EXPECT_EQ(vus_device_quiesced(ctx_, 0), -EINVAL) << "nothing pending any more";
}

// vus_device_quiesced(err) fails the held message with err (libvfio-user
// drops it unanswered); the map was not made, so unmapping it is ENOENT.
TEST_F(Quiesce, QuiescedWithAnErrorFailsTheMessage) {
    answer = -EBUSY;
    send(rcsim::test::dma_map_msg(2, 0x10000, 0x1000, VU_DMA_MAP_F_READ));
    ASSERT_EQ(vus_device_quiesced(ctx_, EIO), 0);
    EXPECT_EQ(vus_step(ctx_, 1000), 1);
    vu_hdr h = reply();
    EXPECT_EQ(h.msg_id, 2);
    EXPECT_EQ(h.flags, VU_F_TYPE_REPLY | VU_F_ERROR);
    EXPECT_EQ(h.error_no, uint32_t(EIO));
    EXPECT_EQ(unquiesced, 1) << "the device may go on after a failed quiesce too";
    answer = 0;
    vu_dma_unmap u{sizeof(vu_dma_unmap), 0, 0x10000, 0x1000};
    send(make_msg(3, VU_CMD_DMA_UNMAP, &u, sizeof u));
    h = reply();
    EXPECT_EQ(h.error_no, uint32_t(ENOENT));
}

// A callback error other than EBUSY fails the message at once.
TEST_F(Quiesce, CallbackErrorFailsTheMessageAtOnce) {
    answer = -EIO;
    send(make_msg(2, VU_CMD_DEVICE_RESET, nullptr, 0));
    vu_hdr h = reply();
    EXPECT_EQ(h.msg_id, 2);
    EXPECT_EQ(h.error_no, uint32_t(EIO));
    EXPECT_FALSE(vus_quiesce_pending(ctx_));
    EXPECT_EQ(unquiesced, 0) << "it never quiesced";
}

// libvfio-user's list, quirks included: DMA_MAP, DMA_UNMAP, DEVICE_RESET, a
// write at Device Control (0x48 here), any DEVICE_FEATURE SET (logging
// START too), a GET of MIG_DEVICE_STATE; not GET MIGRATION, not a REPORT,
// not a PROBE, not other region accesses.
TEST_F(Quiesce, TheCommandsLibvfioUserQuiescesFor) {
    answer = 0;
    auto expect_calls = [&](const std::vector<uint8_t> &m, int want, const char *what) {
        calls = 0;
        send(m);
        reply();
        EXPECT_EQ(calls, want) << what;
    };
    expect_calls(rcsim::test::dma_map_msg(2, 0x10000, 0x1000, VU_DMA_MAP_F_READ), 1, "DMA_MAP");
    vu_dma_unmap u{sizeof(vu_dma_unmap), 0, 0x10000, 0x1000};
    expect_calls(make_msg(3, VU_CMD_DMA_UNMAP, &u, sizeof u), 1, "DMA_UNMAP");
    expect_calls(make_msg(4, VU_CMD_DEVICE_RESET, nullptr, 0), 1, "DEVICE_RESET");
    expect_calls(rcsim::test::region_write_msg(5, VU_PCI_CONFIG_REGION, 0x48, {0, 0}), 1,
                 "Device Control");
    expect_calls(rcsim::test::region_write_msg(6, VU_PCI_CONFIG_REGION, 0x04, {0, 0}), 0,
                 "Command register");
    expect_calls(rcsim::test::region_write_msg(7, 0, 0x0, {1, 2, 3, 4}), 0, "BAR0 write");
    expect_calls(rcsim::test::region_read_msg(8, 0, 0x0, 4), 0, "BAR0 read");
    expect_calls(feature_msg(9, VU_DEVICE_FEATURE_GET | VU_FEATURE_MIG_DEVICE_STATE), 1,
                 "GET MIG_DEVICE_STATE");
    expect_calls(feature_msg(10, VU_DEVICE_FEATURE_GET | VU_FEATURE_MIGRATION), 0, "GET MIGRATION");
    expect_calls(feature_msg(11, VU_DEVICE_FEATURE_SET | VU_FEATURE_DMA_LOGGING_START, 16), 1,
                 "SET DMA_LOGGING_START");
    expect_calls(feature_msg(12, VU_DEVICE_FEATURE_GET | VU_FEATURE_DMA_LOGGING_REPORT, 32), 0,
                 "GET DMA_LOGGING_REPORT");
    expect_calls(feature_msg(13, VU_DEVICE_FEATURE_PROBE | VU_DEVICE_FEATURE_SET |
                                     VU_FEATURE_MIG_DEVICE_STATE),
                 0, "PROBE");
}

// While quiesced for a DEVICE_RESET, its reset callback may look up DMA
// (EFAULT: nothing mapped), another thread is refused with EBUSY.
TEST_F(Quiesce, NoDmaFromOtherThreadsWhileQuiesced) {
    answer = 0;
    send(make_msg(2, VU_CMD_DEVICE_RESET, nullptr, 0));
    EXPECT_EQ(reply().error_no, 0u);
    EXPECT_EQ(ptr_in_cb, -EFAULT);
    EXPECT_EQ(ptr_other, -EBUSY);
    void *p = nullptr;
    EXPECT_EQ(vus_dma_ptr(ctx_, 0x1000, 8, VU_DMA_MAP_F_READ, &p), -EFAULT)
        << "unquiesced once the reply is out";
}

// The client goes away while the device quiesces: the held message is
// dropped, and a late vus_device_quiesced is refused.
TEST_F(Quiesce, DisconnectDropsTheHeldMessage) {
    answer = -EBUSY;
    send(make_msg(2, VU_CMD_DEVICE_RESET, nullptr, 0));
    ASSERT_TRUE(vus_quiesce_pending(ctx_));
    main_.close();
    EXPECT_EQ(vus_step(ctx_, 1000), -ENOTCONN);
    EXPECT_FALSE(vus_quiesce_pending(ctx_));
    EXPECT_EQ(vus_device_quiesced(ctx_, 0), -EINVAL);
}

} // namespace
