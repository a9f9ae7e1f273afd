// Every client-to-server command against a scripted peer: the bytes the
// client sends (checked against the protocol tables by hand) and the decoding
// of the peer's answers, in both socket modes.
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstring>

#include "peer_fixture.hpp"

using namespace rcsim::test;

namespace {

std::vector<uint8_t> u32s(std::initializer_list<uint32_t> v) {
    std::vector<uint8_t> b;
    for (uint32_t x : v)
        put32(b, x);
    return b;
}

std::vector<uint8_t> payload_of(const WireMsg &m) {
    return std::vector<uint8_t>(m.bytes.begin() + 16, m.bytes.end());
}

std::vector<uint8_t> region_access(uint64_t off, uint32_t region, uint32_t count) {
    std::vector<uint8_t> b;
    put64(b, off);
    put32(b, region);
    put32(b, count);
    return b;
}

} // namespace

TEST_F(PeerTest, VersionOffersTwinAndTakesTheSocket) {
    connect();
    WireMsg seen;
    serve([&] {
        seen = expect_cmd(peer, VU_CMD_VERSION);
        int sp[2];
        ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
        send_msg(peer, reply(seen.msg_id(), VU_CMD_VERSION, version_payload(kJsonTwin)), {sp[1]});
        close(sp[1]);
        twin = sp[0];
    });
    ASSERT_EQ(vuc_negotiate(ctx), 0);
    join();
    // Header: VERSION command, flags 0; payload: major 0, minor 2, JSON.
    EXPECT_EQ(seen.cmd(), VU_CMD_VERSION);
    EXPECT_EQ(seen.flags(), 0u);
    EXPECT_EQ(get_le(seen.bytes, 16, 2), 0u);
    EXPECT_EQ(get_le(seen.bytes, 18, 2), 2u);
    std::string json(seen.bytes.begin() + 20, seen.bytes.end() - 1);
    EXPECT_EQ(json, "{\"capabilities\":{\"max_msg_fds\":8,\"max_data_xfer_size\":1048576,"
                    "\"twin_socket\":{\"supported\":true}}}");
    EXPECT_EQ(seen.bytes.back(), 0);
    EXPECT_TRUE(seen.fds.empty());
    EXPECT_TRUE(vuc_has_twin(ctx));
    EXPECT_TRUE(vuc_get_server_caps(ctx)->twin_socket);
    EXPECT_EQ(vuc_negotiate(ctx), -EALREADY);
}

TEST_F(PeerTest, VersionWorksWhenServerDeclinesTwin) {
    connect();
    negotiate_legacy();
    EXPECT_FALSE(vuc_has_twin(ctx));
    EXPECT_FALSE(vuc_get_server_caps(ctx)->twin_socket);
    EXPECT_EQ(vuc_get_server_caps(ctx)->max_msg_fds, 8u);
}

TEST_F(PeerTest, NoTwinOptionLeavesTwinOutAndClosesAnUnaskedFd) {
    vuc_options o;
    vuc_options_init(&o);
    o.no_twin = true;
    o.max_msg_fds = 4;
    o.max_data_xfer_size = 4096;
    connect(&o);
    WireMsg seen;
    serve([&] {
        seen = expect_cmd(peer, VU_CMD_VERSION);
        // A server that claims the twin socket unasked and sends an fd.
        int efd = eventfd(0, EFD_CLOEXEC);
        send_msg(peer, reply(seen.msg_id(), VU_CMD_VERSION, version_payload(kJsonTwin)), {efd});
        close(efd);
    });
    ASSERT_EQ(vuc_negotiate(ctx), 0);
    join();
    std::string json(seen.bytes.begin() + 20, seen.bytes.end() - 1);
    EXPECT_EQ(json, "{\"capabilities\":{\"max_msg_fds\":4,\"max_data_xfer_size\":4096}}");
    EXPECT_FALSE(vuc_has_twin(ctx));
    vuc_stats st;
    vuc_get_stats(ctx, &st);
    EXPECT_EQ(st.closed_fds, 1u);
}

TEST_F(PeerTest, DeviceInfoIrqInfoResetBytes) {
    connect();
    negotiate_legacy();
    serve([&] {
        WireMsg m = expect_cmd(peer, VU_CMD_DEVICE_GET_INFO);
        EXPECT_EQ(payload_of(m), u32s({16, 0, 0, 0}));
        send_msg(peer, reply(m.msg_id(), m.cmd(), u32s({16, 3, 9, 5})));
        m = expect_cmd(peer, VU_CMD_DEVICE_GET_IRQ_INFO);
        EXPECT_EQ(payload_of(m), u32s({16, 0, 2, 0}));
        send_msg(peer, reply(m.msg_id(), m.cmd(), u32s({16, 0xb, 2, 32})));
        m = expect_cmd(peer, VU_CMD_DEVICE_RESET);
        EXPECT_EQ(m.bytes.size(), 16u);
        send_msg(peer, reply(m.msg_id(), m.cmd(), {}));
    });
    vu_device_info info{};
    ASSERT_EQ(vuc_device_get_info(ctx, &info), 0);
    EXPECT_EQ(info.flags, 3u);
    EXPECT_EQ(info.num_regions, 9u);
    EXPECT_EQ(info.num_irqs, 5u);
    vu_irq_info irq{};
    ASSERT_EQ(vuc_irq_info(ctx, 2, &irq), 0);
    EXPECT_EQ(irq.count, 32u);
    EXPECT_EQ(irq.flags, 0xbu);
    EXPECT_EQ(vuc_device_reset(ctx), 0);
}

// The first answer only says how large argsz must be; the client asks again
// and decodes the sparse mmap areas and the region type from the chain.
TEST_F(PeerTest, RegionInfoRequeriesAndDecodesCapabilityChain) {
    connect();
    negotiate_legacy();
    const uint32_t full = 32 + 16 + 2 * 16 + 16; // info + sparse(2 areas) + type cap
    serve([&] {
        WireMsg m = expect_cmd(peer, VU_CMD_DEVICE_GET_REGION_INFO);
        EXPECT_EQ(payload_of(m),
                  (std::vector<uint8_t>{32, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                        0,  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
        std::vector<uint8_t> p = u32s({full, 0xf, 0, 32});
        put64(p, 0x4000);
        put64(p, 0);
        send_msg(peer, reply(m.msg_id(), m.cmd(), p));
        m = expect_cmd(peer, VU_CMD_DEVICE_GET_REGION_INFO);
        EXPECT_EQ(get_le(m.bytes, 16, 4), full); // asked again with the argsz given
        p = u32s({full, 0xf, 0, 32});
        put64(p, 0x4000);
        put64(p, 0x10000);
        // Sparse mmap cap at 32: id 1, version 1, next 80; 2 areas.
        put16(p, 1), put16(p, 1), put32(p, 80), put32(p, 2), put32(p, 0);
        put64(p, 0x0), put64(p, 0x1000);
        put64(p, 0x3000), put64(p, 0x1000);
        // Type cap at 80: id 2, version 1, next 0; type 3 subtype 7.
        put16(p, 2), put16(p, 1), put32(p, 0), put32(p, 3), put32(p, 7);
        int mfd = memfd_create("region", MFD_CLOEXEC);
        send_msg(peer, reply(m.msg_id(), m.cmd(), p), {mfd});
        close(mfd);
    });
    vuc_region r;
    ASSERT_EQ(vuc_region_info(ctx, 0, &r), 0);
    EXPECT_EQ(r.info.size, 0x4000u);
    EXPECT_EQ(r.info.offset, 0x10000u);
    EXPECT_EQ(r.info.flags, 0xfu);
    ASSERT_EQ(r.nr_areas, 2u);
    EXPECT_EQ(r.areas[0].offset, 0u);
    EXPECT_EQ(r.areas[0].size, 0x1000u);
    EXPECT_EQ(r.areas[1].offset, 0x3000u);
    EXPECT_EQ(r.areas[1].size, 0x1000u);
    EXPECT_TRUE(r.has_type);
    EXPECT_EQ(r.type, 3u);
    EXPECT_EQ(r.subtype, 7u);
    ASSERT_GE(r.fd, 0); // MMAP flag set: the fd is the caller's
    close(r.fd);
}

// Five eventfds with a server that takes 2 fds per message: 3 messages.
TEST_F(PeerTest, SetIrqsEventfdsInBatchesOfMaxMsgFds) {
    connect();
    ASSERT_EQ(negotiate_with("{\"capabilities\":{\"max_msg_fds\":2}}", false), 0);
    int efd[5];
    for (int &f : efd)
        f = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    struct Batch {
        uint32_t start, count;
        size_t nfds;
    };
    std::vector<Batch> seen;
    serve([&] {
        for (int i = 0; i < 3; i++) {
            WireMsg m = expect_cmd(peer, VU_CMD_DEVICE_SET_IRQS);
            // argsz 20, flags DATA_EVENTFD|ACTION_TRIGGER = 0x24, index 1
            EXPECT_EQ(get_le(m.bytes, 16, 4), 20u);
            EXPECT_EQ(get_le(m.bytes, 20, 4), 0x24u);
            EXPECT_EQ(get_le(m.bytes, 24, 4), 1u);
            seen.push_back(
                {uint32_t(get_le(m.bytes, 28, 4)), uint32_t(get_le(m.bytes, 32, 4)), m.fds.size()});
            // Signal through each received fd: the client's eventfd counts it.
            for (int f : m.fds) {
                uint64_t one = 1;
                EXPECT_EQ(write(f, &one, 8), 8);
            }
            m.close_fds();
            send_msg(peer, reply(m.msg_id(), m.cmd(), {}));
        }
    });
    ASSERT_EQ(vuc_set_irqs_eventfd(ctx, 1, 0, 5, efd), 0);
    join();
    ASSERT_EQ(seen.size(), 3u);
    const Batch want[3] = {{0, 2, 2}, {2, 2, 2}, {4, 1, 1}};
    for (int i = 0; i < 3; i++) {
        EXPECT_EQ(seen[i].start, want[i].start) << "batch " << i;
        EXPECT_EQ(seen[i].count, want[i].count) << "batch " << i;
        EXPECT_EQ(seen[i].nfds, want[i].nfds) << "batch " << i;
    }
    for (int f : efd) {
        uint64_t v = 0;
        EXPECT_EQ(read(f, &v, 8), 8);
        EXPECT_EQ(v, 1u);
        close(f);
    }
    int bad[1] = {-1};
    EXPECT_EQ(vuc_set_irqs_eventfd(ctx, 1, 0, 1, bad), -EBADF);
}

TEST_F(PeerTest, IntxUnmaskAndBoolSetIrqsBytes) {
    connect();
    negotiate_legacy();
    serve([&] {
        WireMsg m = expect_cmd(peer, VU_CMD_DEVICE_SET_IRQS);
        // argsz 20, DATA_NONE|ACTION_UNMASK = 0x11, index 0 (INTx), start 0, count 1
        EXPECT_EQ(payload_of(m), u32s({20, 0x11, 0, 0, 1}));
        send_msg(peer, reply(m.msg_id(), m.cmd(), {}));
        m = expect_cmd(peer, VU_CMD_DEVICE_SET_IRQS);
        // argsz 22, DATA_BOOL|ACTION_MASK = 0x0a, index 2, start 3, count 2, bools 1 0
        std::vector<uint8_t> want = u32s({22, 0x0a, 2, 3, 2});
        want.push_back(1), want.push_back(0);
        EXPECT_EQ(payload_of(m), want);
        send_msg(peer, error_reply(m.msg_id(), m.cmd(), EINVAL));
    });
    EXPECT_EQ(vuc_intx_unmask(ctx), 0);
    const uint8_t bools[2] = {1, 0};
    EXPECT_EQ(vuc_set_irqs(ctx, 2, 3, 2, VU_IRQ_SET_DATA_BOOL | VU_IRQ_SET_ACTION_MASK, bools),
              -EINVAL);
}

// The server's max_data_xfer_size is 4096: 10000 bytes take 3 messages.
TEST_F(PeerTest, RegionReadAndWriteSplitAtServerMaxDataXferSize) {
    connect();
    ASSERT_EQ(negotiate_with("{\"capabilities\":{\"max_data_xfer_size\":4096}}", false), 0);
    const uint32_t sizes[3] = {4096, 4096, 1808};
    serve([&] {
        uint64_t off = 0x100;
        for (uint32_t n : sizes) {
            WireMsg m = expect_cmd(peer, VU_CMD_REGION_READ);
            EXPECT_EQ(payload_of(m), region_access(off, 1, n));
            std::vector<uint8_t> p = region_access(off, 1, n);
            for (uint32_t i = 0; i < n; i++)
                p.push_back(uint8_t(off - 0x100 + i));
            send_msg(peer, reply(m.msg_id(), m.cmd(), p));
            off += n;
        }
        off = 0x100;
        for (uint32_t n : sizes) {
            WireMsg m = expect_cmd(peer, VU_CMD_REGION_WRITE);
            EXPECT_EQ(m.bytes.size(), 32u + n);
            EXPECT_EQ(get_le(m.bytes, 16, 8), off);
            EXPECT_EQ(get_le(m.bytes, 28, 4), n);
            EXPECT_EQ(m.bytes[32], uint8_t(~(off - 0x100)));
            send_msg(peer, reply(m.msg_id(), m.cmd(), region_access(off, 1, n)));
            off += n;
        }
    });
    std::vector<uint8_t> buf(10000);
    ASSERT_EQ(vuc_region_read(ctx, 1, 0x100, buf.data(), buf.size()), 0);
    for (size_t i = 0; i < buf.size(); i++)
        ASSERT_EQ(buf[i], uint8_t(i)) << i;
    for (size_t i = 0; i < buf.size(); i++)
        buf[i] = uint8_t(~i);
    ASSERT_EQ(vuc_region_write(ctx, 1, 0x100, buf.data(), buf.size()), 0);
}

TEST_F(PeerTest, DmaMapWithoutFdWithMemfdAndUnmap) {
    connect();
    negotiate_legacy();
    int mfd = memfd_create("guest", MFD_CLOEXEC);
    ASSERT_EQ(ftruncate(mfd, 0x2000), 0);
    serve([&] {
        WireMsg m = expect_cmd(peer, VU_CMD_DMA_MAP);
        // argsz 32, flags READ|WRITE, offset 0, addr, size; no fd
        std::vector<uint8_t> want = u32s({32, 3});
        put64(want, 0), put64(want, 0x10000000), put64(want, 0x1000);
        EXPECT_EQ(payload_of(m), want);
        EXPECT_TRUE(m.fds.empty());
        send_msg(peer, reply(m.msg_id(), m.cmd(), {}));

        m = expect_cmd(peer, VU_CMD_DMA_MAP);
        want = u32s({32, 1});
        put64(want, 0x1000), put64(want, 0x20000000), put64(want, 0x1000);
        EXPECT_EQ(payload_of(m), want);
        EXPECT_EQ(m.fds.size(), 1u);
        // The fd is the memfd: what the client wrote is visible through it.
        if (m.fds.size() == 1) {
            char c = 0;
            EXPECT_EQ(pread(m.fds[0], &c, 1, 0x1000), 1);
            EXPECT_EQ(c, 'x');
        }
        m.close_fds();
        send_msg(peer, reply(m.msg_id(), m.cmd(), {}));

        m = expect_cmd(peer, VU_CMD_DMA_UNMAP);
        want = u32s({24, 0});
        put64(want, 0x10000000), put64(want, 0x1000);
        EXPECT_EQ(payload_of(m), want);
        send_msg(peer, reply(m.msg_id(), m.cmd(), want)); // echoes the 24 bytes
    });
    ASSERT_EQ(pwrite(mfd, "x", 1, 0x1000), 1);
    EXPECT_EQ(vuc_dma_map(ctx, 0x10000000, 0x1000, VU_DMA_MAP_F_READ | VU_DMA_MAP_F_WRITE, nullptr,
                          -1, 0),
              0);
    EXPECT_EQ(vuc_dma_map(ctx, 0x20000000, 0x1000, VU_DMA_MAP_F_READ, nullptr, mfd, 0x1000), 0);
    EXPECT_EQ(vuc_dma_unmap(ctx, 0x10000000, 0x1000), 0);
    close(mfd);
}

// Deferred submit: nothing reaches the wire until vuc_send.
TEST_F(PeerTest, DeferredRequestIsSentOnlyByVucSend) {
    connect();
    negotiate_legacy();
    vuc_id id;
    ASSERT_EQ(vuc_submit_region_read(ctx, 0, 0x8, 4, VUC_SUBMIT_DEFER, &id), 0);
    WireMsg early = recv_msg(peer, 200);
    EXPECT_TRUE(early.timeout);
    EXPECT_EQ(vuc_send(ctx, id), 0);
    EXPECT_EQ(vuc_send(ctx, id), -EALREADY);
    WireMsg m = expect_cmd(peer, VU_CMD_REGION_READ);
    EXPECT_EQ(m.msg_id(), uint16_t(id));
    std::vector<uint8_t> p = region_access(0x8, 0, 4);
    p.insert(p.end(), {1, 2, 3, 4});
    send_msg(peer, reply(m.msg_id(), m.cmd(), p));
    vuc_event ev{};
    ASSERT_TRUE(next_event(&ev));
    EXPECT_EQ(ev.kind, VUC_EV_COMPLETED);
    EXPECT_EQ(ev.id, id);
    vuc_result res{};
    ASSERT_EQ(vuc_get_result(ctx, id, &res), 0);
    EXPECT_EQ(res.cmd, VU_CMD_REGION_READ);
    EXPECT_EQ(res.payload_len, 20u); // 16 echoed + 4 data
    EXPECT_EQ(res.payload + 16, res.data);
    EXPECT_EQ(res.fd, -1);
    ASSERT_EQ(res.data_len, 4u);
    EXPECT_EQ(res.data[3], 4);
    vuc_release(ctx, id);
    EXPECT_EQ(vuc_get_result(ctx, id, &res), -ENOENT);
}

TEST_F(PeerTest, OutOfOrderRepliesCompleteTheRightRequests) {
    connect();
    negotiate_legacy();
    vuc_id ids[3];
    for (int i = 0; i < 3; i++)
        ASSERT_EQ(vuc_submit_region_read(ctx, 0, uint64_t(i) * 4, 4, 0, &ids[i]), 0);
    WireMsg m[3];
    for (auto &x : m)
        x = expect_cmd(peer, VU_CMD_REGION_READ);
    for (int i = 2; i >= 0; i--) {
        std::vector<uint8_t> p = region_access(uint64_t(i) * 4, 0, 4);
        p.insert(p.end(), 4, uint8_t(0xa0 + i));
        send_msg(peer, reply(m[i].msg_id(), VU_CMD_REGION_READ, p));
    }
    for (int i = 2; i >= 0; i--) {
        vuc_event ev{};
        ASSERT_TRUE(next_event(&ev));
        EXPECT_EQ(ev.kind, VUC_EV_COMPLETED);
        EXPECT_EQ(ev.id, ids[i]);
        vuc_result res{};
        ASSERT_EQ(vuc_get_result(ctx, ev.id, &res), 0);
        EXPECT_EQ(res.status, 0);
        ASSERT_EQ(res.data_len, 4u);
        EXPECT_EQ(res.data[0], 0xa0 + i);
        vuc_release(ctx, ev.id);
    }
}

TEST_F(PeerTest, BlockingCallTimesOutWhenServerIsSilent) {
    vuc_options o;
    vuc_options_init(&o);
    o.timeout_ms = 100;
    connect(&o);
    serve([&] {
        WireMsg m = expect_cmd(peer, VU_CMD_VERSION);
        send_msg(peer, reply(m.msg_id(), m.cmd(), version_payload(kJsonLegacy)));
    });
    ASSERT_EQ(vuc_negotiate(ctx), 0);
    join();
    uint32_t v;
    EXPECT_EQ(vuc_region_read(ctx, 0, 0, &v, 4), -ETIMEDOUT);
    // The late reply is dropped without harm; the next call works.
    WireMsg late = expect_cmd(peer, VU_CMD_REGION_READ);
    std::vector<uint8_t> p = region_access(0, 0, 4);
    p.insert(p.end(), 4, 0x11);
    send_msg(peer, reply(late.msg_id(), late.cmd(), p));
    serve([&] {
        WireMsg m = expect_cmd(peer, VU_CMD_DEVICE_RESET);
        send_msg(peer, reply(m.msg_id(), m.cmd(), {}));
    });
    EXPECT_EQ(vuc_device_reset(ctx), 0);
}

// Server commands that keep coming while a blocking call waits do not
// stretch its timeout: it still fails after timeout_ms from the start, not
// timeout_ms after the last message (the wait blocks in recvmsg only for
// the whole timeout, and polls with what is left after that).
TEST_F(PeerTest, BlockingCallTimeoutCountsFromTheStartWhileCommandsArrive) {
    vuc_options o;
    vuc_options_init(&o);
    o.timeout_ms = 300;
    connect(&o);
    serve([&] {
        WireMsg m = expect_cmd(peer, VU_CMD_VERSION);
        send_msg(peer, reply(m.msg_id(), m.cmd(), version_payload(kJsonLegacy)));
    });
    ASSERT_EQ(vuc_negotiate(ctx), 0);
    join();
    serve([&] {
        expect_cmd(peer, VU_CMD_REGION_READ);
        // An unknown command with NO_REPLY every 50 ms up to 250 ms, then
        // silence: a timeout restarted by the last one would end at 550 ms.
        for (int i = 0; i < 6; i++) {
            send_msg(peer, message(uint16_t(100 + i), 0x7f, VU_F_NO_REPLY, {}));
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    });
    uint32_t v;
    auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(vuc_region_read(ctx, 0, 0, &v, 4), -ETIMEDOUT);
    auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
            .count();
    EXPECT_GE(ms, 299); // the client counts whole milliseconds
    EXPECT_LT(ms, 480) << "timeout restarted by a command";
    join();
}

namespace {
struct Traced {
    vuc_sock sock;
    bool from_client;
    uint16_t cmd, msg_id;
    size_t payload_len;
    unsigned nfds;
};
void record(void *o, vuc_sock sock, bool from_client, const vu_hdr *h, const uint8_t *, size_t len,
            unsigned nfds) {
    static_cast<std::vector<Traced> *>(o)->push_back(
        {sock, from_client, h->cmd, h->msg_id, len, nfds});
}
} // namespace

// The trace hook sees every message both ways with its socket and fd count.
TEST_F(PeerTest, TraceSeesEveryMessageBothWays) {
    connect();
    std::vector<Traced> seen;
    vuc_set_trace(ctx, record, &seen);
    negotiate_twin();
    serve([&] {
        WireMsg m = expect_cmd(peer, VU_CMD_DEVICE_RESET);
        send_msg(peer, reply(m.msg_id(), m.cmd(), {}));
    });
    ASSERT_EQ(vuc_device_reset(ctx), 0);
    join();
    ASSERT_EQ(seen.size(), 4u);
    EXPECT_TRUE(seen[0].from_client);
    EXPECT_EQ(seen[0].cmd, VU_CMD_VERSION);
    EXPECT_EQ(seen[0].nfds, 0u);
    EXPECT_FALSE(seen[1].from_client);
    EXPECT_EQ(seen[1].cmd, VU_CMD_VERSION);
    EXPECT_EQ(seen[1].nfds, 1u); // the twin socket
    EXPECT_EQ(seen[2].cmd, VU_CMD_DEVICE_RESET);
    EXPECT_EQ(seen[2].payload_len, 0u);
    EXPECT_TRUE(seen[2].from_client);
    EXPECT_FALSE(seen[3].from_client);
    EXPECT_EQ(seen[3].msg_id, seen[2].msg_id);
    for (const auto &t : seen)
        EXPECT_EQ(t.sock, VUC_SOCK_MAIN);
}

// A raw command through the core: the result holds the reply payload as sent.
TEST_F(PeerTest, RawSubmitResultHoldsTheReplyPayload) {
    connect();
    negotiate_legacy();
    std::vector<uint8_t> q = u32s({16, 0, 0, 0});
    vuc_request req{};
    req.cmd = VU_CMD_DEVICE_GET_INFO;
    req.payload = q.data();
    req.payload_len = q.size();
    vuc_id id;
    ASSERT_EQ(vuc_submit(ctx, &req, 0, &id), 0);
    WireMsg m = expect_cmd(peer, VU_CMD_DEVICE_GET_INFO);
    EXPECT_EQ(payload_of(m), q);
    std::vector<uint8_t> answer = u32s({16, 2, 7, 3});
    send_msg(peer, reply(m.msg_id(), m.cmd(), answer));
    vuc_event ev{};
    ASSERT_TRUE(next_event(&ev));
    vuc_result res{};
    ASSERT_EQ(vuc_get_result(ctx, id, &res), 0);
    EXPECT_EQ(res.status, 0);
    ASSERT_EQ(res.payload_len, 16u);
    EXPECT_EQ(std::vector<uint8_t>(res.payload, res.payload + 16), answer);
    vuc_release(ctx, id);
}

// A non-blocking socket handed to the client still carries a message larger
// than the socket buffer: sends wait for room instead of failing.
TEST_F(PeerTest, NonBlockingSocketIsMadeBlockingForSends) {
    int sp[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sp), 0);
    vuc_options o;
    vuc_options_init(&o);
    ctx = vuc_create(&o);
    ASSERT_EQ(vuc_attach_fd(ctx, sp[0]), 0);
    peer = sp[1];
    int fl = fcntl(peer, F_GETFL);
    ASSERT_EQ(fcntl(peer, F_SETFL, fl & ~O_NONBLOCK), 0);
    negotiate_legacy();
    std::vector<uint8_t> big(1u << 20, 0x5a);
    serve([&] {
        WireMsg m = expect_cmd(peer, VU_CMD_REGION_WRITE);
        EXPECT_EQ(m.bytes.size(), 32u + big.size());
        send_msg(peer, reply(m.msg_id(), m.cmd(), region_access(0, 0, uint32_t(big.size()))));
    });
    EXPECT_EQ(vuc_region_write(ctx, 0, 0, big.data(), big.size()), 0);
}

// Releasing a deferred request drops it: it never reaches the wire.
TEST_F(PeerTest, ReleasedDeferredRequestIsNeverSent) {
    connect();
    negotiate_legacy();
    vuc_id id;
    ASSERT_EQ(vuc_submit_region_read(ctx, 0, 0, 4, VUC_SUBMIT_DEFER, &id), 0);
    vuc_release(ctx, id);
    EXPECT_EQ(vuc_send(ctx, id), -ENOENT);
    EXPECT_TRUE(recv_msg(peer, 100).timeout);
}
