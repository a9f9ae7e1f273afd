// Every validation rule on what the server sends, each with its exact errno
// (client/README.md has the table), and disconnects. The fixture checks that
// no fd leaks in any of them.
#include <sys/eventfd.h>

#include <cerrno>
#include <cstring>

#include "peer_fixture.hpp"

using namespace rcsim::test;

namespace {

constexpr uint64_t kBase = 0x10000000;

std::vector<uint8_t> region_access(uint64_t off, uint32_t region, uint32_t count) {
    std::vector<uint8_t> b;
    put64(b, off);
    put32(b, region);
    put32(b, count);
    return b;
}

std::vector<uint8_t> dma_fields(uint64_t addr, uint64_t count) {
    std::vector<uint8_t> b;
    put64(b, addr);
    put64(b, count);
    return b;
}

class ValidationTest : public PeerTest {
  protected:
    std::vector<uint8_t> mem = std::vector<uint8_t>(0x2000);

    // Submits a 4-byte REGION_READ of region 0 at off and returns the id;
    // the peer has read the request into *m.
    vuc_id submit_read(WireMsg *m, uint64_t off = 0) {
        vuc_id id = 0;
        EXPECT_EQ(vuc_submit_region_read(ctx, 0, off, 4, 0, &id), 0);
        *m = expect_cmd(peer, VU_CMD_REGION_READ);
        return id;
    }
    int completion_of(vuc_id id) {
        vuc_event ev{};
        if (!next_event(&ev))
            return 1; // no event: distinct from every errno
        EXPECT_EQ(ev.kind, VUC_EV_COMPLETED);
        EXPECT_EQ(ev.id, id);
        vuc_release(ctx, id);
        return ev.status;
    }
    // Maps [kBase, +0x1000) R|W and [kBase+0x1000, +0x1000) write-only.
    void map_two() {
        serve([&] {
            for (int i = 0; i < 2; i++) {
                WireMsg m = expect_cmd(peer, VU_CMD_DMA_MAP);
                send_msg(peer, reply(m.msg_id(), m.cmd(), {}));
            }
        });
        ASSERT_EQ(vuc_dma_map(ctx, kBase, 0x1000, VU_DMA_MAP_F_READ | VU_DMA_MAP_F_WRITE,
                              mem.data(), -1, 0),
                  0);
        ASSERT_EQ(vuc_dma_map(ctx, kBase + 0x1000, 0x1000, VU_DMA_MAP_F_WRITE, mem.data() + 0x1000,
                              -1, 0),
                  0);
        join();
    }
    // Sends a server command on fd and returns what the client answered.
    WireMsg server_cmd(int fd, const std::vector<uint8_t> &msg, const std::vector<int> &fds = {},
                       int wait_ms = kPeerTimeoutMs) {
        send_msg(fd, msg, fds);
        for (int i = 0; i < 10; i++)
            vuc_step(ctx, 10);
        return recv_msg(fd, wait_ms);
    }
};

} // namespace

// ---- Framing ---------------------------------------------------------------

TEST_F(ValidationTest, HeaderSizeBelow16ClosesWithEproto) {
    connect();
    negotiate_legacy();
    WireMsg m;
    vuc_id id = submit_read(&m);
    std::vector<uint8_t> bad = reply(m.msg_id(), VU_CMD_REGION_READ, {});
    bad[4] = 8; // msg_size 8 < header
    send_msg(peer, bad);
    EXPECT_EQ(completion_of(id), -EPROTO);
    EXPECT_FALSE(vuc_connected(ctx));
    vuc_id id2;
    EXPECT_EQ(vuc_submit_region_read(ctx, 0, 0, 4, 0, &id2), -ENOTCONN);
}

TEST_F(ValidationTest, HeaderSizeAboveLimitClosesBeforeAllocating) {
    connect();
    negotiate_legacy();
    WireMsg m;
    vuc_id id = submit_read(&m);
    std::vector<uint8_t> bad = reply(m.msg_id(), VU_CMD_REGION_READ, {});
    bad[4] = 0xf0, bad[5] = 0xff, bad[6] = 0xff, bad[7] = 0x7f; // ~2 GiB
    send_msg(peer, bad);
    EXPECT_EQ(completion_of(id), -EPROTO);
}

TEST_F(ValidationTest, HeaderWithBadTypeClosesWithEproto) {
    connect();
    negotiate_legacy();
    WireMsg m;
    vuc_id id = submit_read(&m);
    std::vector<uint8_t> bad = message(m.msg_id(), VU_CMD_REGION_READ, 0x7, {});
    send_msg(peer, bad);
    EXPECT_EQ(completion_of(id), -EPROTO);
}

// ---- Matching replies to requests -------------------------------------------

TEST_F(ValidationTest, ReplyWithUnknownIdIsDroppedAndRequestStillCompletes) {
    connect();
    negotiate_legacy();
    WireMsg m;
    vuc_id id = submit_read(&m);
    std::vector<uint8_t> p = region_access(0, 0, 4);
    p.insert(p.end(), 4, 0x5a);
    send_msg(peer, reply(uint16_t(m.msg_id() + 100), VU_CMD_REGION_READ, p));
    send_msg(peer, reply(m.msg_id(), VU_CMD_REGION_READ, p));
    EXPECT_EQ(completion_of(id), 0);
    vuc_stats st;
    vuc_get_stats(ctx, &st);
    EXPECT_EQ(st.dropped_replies, 1u);
}

TEST_F(ValidationTest, ReplyWithWrongCommandFailsWithEproto) {
    connect();
    negotiate_legacy();
    WireMsg m;
    vuc_id id = submit_read(&m);
    send_msg(peer, reply(m.msg_id(), VU_CMD_REGION_WRITE, region_access(0, 0, 4)));
    EXPECT_EQ(completion_of(id), -EPROTO);
    EXPECT_TRUE(vuc_connected(ctx)); // the stream is still framed
}

TEST_F(ValidationTest, RegionReadReplyWithShortDataFailsWithEproto) {
    connect();
    negotiate_legacy();
    WireMsg m;
    vuc_id id = submit_read(&m);
    std::vector<uint8_t> p = region_access(0, 0, 4);
    p.insert(p.end(), 3, 0); // count says 4, 3 bytes follow
    send_msg(peer, reply(m.msg_id(), VU_CMD_REGION_READ, p));
    EXPECT_EQ(completion_of(id), -EPROTO);
}

TEST_F(ValidationTest, RegionReadReplyEchoingOtherOffsetFailsWithEproto) {
    connect();
    negotiate_legacy();
    WireMsg m;
    vuc_id id = submit_read(&m, 0x10);
    std::vector<uint8_t> p = region_access(0x14, 0, 4);
    p.insert(p.end(), 4, 0);
    send_msg(peer, reply(m.msg_id(), VU_CMD_REGION_READ, p));
    EXPECT_EQ(completion_of(id), -EPROTO);
}

TEST_F(ValidationTest, DeviceInfoReplyOfWrongLengthFailsWithEproto) {
    connect();
    negotiate_legacy();
    serve([&] {
        WireMsg m = expect_cmd(peer, VU_CMD_DEVICE_GET_INFO);
        std::vector<uint8_t> p;
        put32(p, 16), put32(p, 3), put32(p, 9); // 12 bytes, not 16
        send_msg(peer, reply(m.msg_id(), m.cmd(), p));
    });
    vu_device_info info;
    EXPECT_EQ(vuc_device_get_info(ctx, &info), -EPROTO);
}

TEST_F(ValidationTest, ErrorReplyWithErrnoZeroOrHugeFailsWithEproto) {
    connect();
    negotiate_legacy();
    WireMsg m;
    vuc_id id = submit_read(&m);
    send_msg(peer, error_reply(m.msg_id(), VU_CMD_REGION_READ, 0));
    EXPECT_EQ(completion_of(id), -EPROTO);
    id = submit_read(&m);
    send_msg(peer, error_reply(m.msg_id(), VU_CMD_REGION_READ, 5000));
    EXPECT_EQ(completion_of(id), -EPROTO);
    id = submit_read(&m);
    send_msg(peer, error_reply(m.msg_id(), VU_CMD_REGION_READ, EIO));
    EXPECT_EQ(completion_of(id), -EIO);
}

// Hold mode (the harness's): a reply whose command differs from the
// request's arrives already marked -EPROTO, so whoever holds it can report
// it before delivery; delivering it fails the request with -EPROTO. Bytes
// by hand: REGION_READ (9) request, a reply that says DMA_WRITE (12).
TEST_F(ValidationTest, HeldReplyWithWrongCommandArrivesMarkedEproto) {
    connect();
    negotiate_legacy();
    vuc_set_hold(ctx, true);
    WireMsg m;
    vuc_id id = submit_read(&m, 0x10);
    const uint8_t lo = uint8_t(m.msg_id()), hi = uint8_t(m.msg_id() >> 8);
    send_msg(peer, {lo,   hi,   0x0c, 0x00, 0x24, 0x00, 0x00, 0x00, // id, cmd 12, size 36
                    0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // reply, errno 0
                    0x10, 0,    0,    0,    0,    0,    0,    0,    // offset 0x10
                    0,    0,    0,    0,    0x04, 0,    0,    0,    // region 0, count 4
                    0xde, 0xad, 0xbe, 0xef});
    vuc_event ev{};
    ASSERT_TRUE(next_event(&ev));
    EXPECT_EQ(ev.kind, VUC_EV_ARRIVED);
    EXPECT_EQ(ev.arrival, VUC_ARR_REPLY);
    EXPECT_EQ(ev.id, id);
    EXPECT_EQ(ev.status, -EPROTO);
    EXPECT_EQ(ev.cmd, 12); // as it came, for the report
    EXPECT_EQ(ev.msg_id, m.msg_id());
    ASSERT_EQ(vuc_deliver(ctx, ev.seq), 0);
    EXPECT_EQ(completion_of(id), -EPROTO);
    EXPECT_TRUE(vuc_connected(ctx)); // the stream is still framed
}

// A DMA_READ turned into a DMA_WRITE on the way (addr and count, no data)
// is a command the client refuses: held, it arrives as BAD_CMD -EINVAL;
// delivered, it is answered with an ERROR reply (errno 22) of the same id
// and command.
TEST_F(ValidationTest, HeldDmaWriteWithoutDataIsRefused) {
    connect();
    negotiate_legacy();
    map_two();
    vuc_set_hold(ctx, true);
    send_msg(peer, {0x07, 0x00, 0x0c, 0x00, 0x20, 0x00, 0x00, 0x00, // id 7, DMA_WRITE, size 32
                    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // command
                    0x00, 0x00, 0x00, 0x10, 0,    0,    0,    0,    // addr 0x10000000
                    0x10, 0,    0,    0,    0,    0,    0,    0});  // count 16
    vuc_event ev{};
    ASSERT_TRUE(next_event(&ev));
    EXPECT_EQ(ev.kind, VUC_EV_ARRIVED);
    EXPECT_EQ(ev.arrival, VUC_ARR_BAD_CMD);
    EXPECT_EQ(ev.status, -EINVAL);
    EXPECT_EQ(ev.cmd, 12);
    EXPECT_EQ(ev.msg_id, 7);
    EXPECT_TRUE(recv_msg(peer, 100).timeout); // held: not answered yet
    ASSERT_EQ(vuc_deliver(ctx, ev.seq), 0);
    WireMsg r = recv_msg(peer);
    ASSERT_EQ(r.bytes.size(), 16u);
    const std::vector<uint8_t> want = {0x07, 0x00, 0x0c, 0x00, 0x10, 0x00, 0x00, 0x00,
                                       0x21, 0x00, 0x00, 0x00, 0x16, 0x00, 0x00, 0x00};
    EXPECT_EQ(r.bytes, want); // reply|error, errno 22
    EXPECT_EQ(mem[0], 0);     // nothing written
}

TEST_F(ValidationTest, ReplyOnTwinSocketIsDropped) {
    connect();
    negotiate_twin();
    WireMsg m;
    vuc_id id = submit_read(&m);
    std::vector<uint8_t> p = region_access(0, 0, 4);
    p.insert(p.end(), 4, 1);
    send_msg(twin, reply(m.msg_id(), VU_CMD_REGION_READ, p));
    vuc_event ev{};
    EXPECT_FALSE(next_event(&ev, 100));
    send_msg(peer, reply(m.msg_id(), VU_CMD_REGION_READ, p));
    EXPECT_EQ(completion_of(id), 0);
    vuc_stats st;
    vuc_get_stats(ctx, &st);
    EXPECT_EQ(st.dropped_replies, 1u);
}

TEST_F(ValidationTest, UnexpectedFdsOnAReplyAreClosed) {
    connect();
    negotiate_legacy();
    WireMsg m;
    vuc_id id = submit_read(&m);
    int e1 = eventfd(0, EFD_CLOEXEC), e2 = eventfd(0, EFD_CLOEXEC);
    std::vector<uint8_t> p = region_access(0, 0, 4);
    p.insert(p.end(), 4, 1);
    send_msg(peer, reply(m.msg_id(), VU_CMD_REGION_READ, p), {e1, e2});
    close(e1);
    close(e2);
    EXPECT_EQ(completion_of(id), 0);
    vuc_stats st;
    vuc_get_stats(ctx, &st);
    EXPECT_EQ(st.closed_fds, 2u);
    // The fixture's fd census proves the client kept none of them.
}

// ---- Server commands -------------------------------------------------------

TEST_F(ValidationTest, DmaOutsideMappingGetsEfault) {
    connect();
    negotiate_twin();
    map_two();
    // Straddles the end of the R|W mapping into the write-only one.
    WireMsg r = server_cmd(twin, message(5, VU_CMD_DMA_READ, 0, dma_fields(kBase + 0xff0, 0x20)));
    EXPECT_EQ(r.bytes, error_reply(5, VU_CMD_DMA_READ, EFAULT));
    // Entirely outside every mapping.
    r = server_cmd(twin, message(6, VU_CMD_DMA_READ, 0, dma_fields(kBase + 0x4000, 4)));
    EXPECT_EQ(r.bytes, error_reply(6, VU_CMD_DMA_READ, EFAULT));
    // Reading a mapping the device may only write.
    r = server_cmd(twin, message(7, VU_CMD_DMA_READ, 0, dma_fields(kBase + 0x1000, 4)));
    EXPECT_EQ(r.bytes, error_reply(7, VU_CMD_DMA_READ, EFAULT));
    // Address wrap-around.
    r = server_cmd(twin, message(8, VU_CMD_DMA_READ, 0, dma_fields(~0ull - 1, 4)));
    EXPECT_EQ(r.bytes, error_reply(8, VU_CMD_DMA_READ, EFAULT));
    vuc_stats st;
    vuc_get_stats(ctx, &st);
    EXPECT_EQ(st.dma_errors + st.bad_commands, 4u);
    EXPECT_EQ(st.dma_served, 0u);
}

TEST_F(ValidationTest, DmaLargerThanOurMaxDataXferSizeGetsEinval) {
    vuc_options o;
    vuc_options_init(&o);
    o.max_data_xfer_size = 256;
    connect(&o);
    negotiate_twin();
    map_two();
    WireMsg r = server_cmd(twin, message(5, VU_CMD_DMA_READ, 0, dma_fields(kBase, 257)));
    EXPECT_EQ(r.bytes, error_reply(5, VU_CMD_DMA_READ, EINVAL));
    r = server_cmd(twin, message(6, VU_CMD_DMA_READ, 0, dma_fields(kBase, 0)));
    EXPECT_EQ(r.bytes, error_reply(6, VU_CMD_DMA_READ, EINVAL));
    r = server_cmd(twin, message(7, VU_CMD_DMA_READ, 0, dma_fields(kBase, 256)));
    EXPECT_EQ(r.bytes.size(), 16u + 16u + 256u); // the limit itself is fine
}

TEST_F(ValidationTest, DmaPayloadLengthMismatchGetsEinval) {
    connect();
    negotiate_twin();
    map_two();
    std::vector<uint8_t> w = dma_fields(kBase, 8);
    w.insert(w.end(), 5, 0xee); // count 8, 5 bytes of data
    WireMsg r = server_cmd(twin, message(5, VU_CMD_DMA_WRITE, 0, w));
    EXPECT_EQ(r.bytes, error_reply(5, VU_CMD_DMA_WRITE, EINVAL));
    EXPECT_EQ(mem[0], 0); // nothing written
    std::vector<uint8_t> rd = dma_fields(kBase, 4);
    rd.push_back(0); // DMA_READ with a stray byte
    r = server_cmd(twin, message(6, VU_CMD_DMA_READ, 0, rd));
    EXPECT_EQ(r.bytes, error_reply(6, VU_CMD_DMA_READ, EINVAL));
}

TEST_F(ValidationTest, UnknownServerCommandGetsEinvalAndItsFdsAreClosed) {
    connect();
    negotiate_twin();
    int e = eventfd(0, EFD_CLOEXEC);
    WireMsg r = server_cmd(twin, message(5, VU_CMD_DEVICE_RESET, 0, {}), {e});
    close(e);
    EXPECT_EQ(r.bytes, error_reply(5, VU_CMD_DEVICE_RESET, EINVAL));
    r = server_cmd(peer, message(6, 77, 0, std::vector<uint8_t>(4, 0)));
    EXPECT_EQ(r.bytes, error_reply(6, 77, EINVAL));
    vuc_stats st;
    vuc_get_stats(ctx, &st);
    EXPECT_EQ(st.bad_commands, 2u);
    EXPECT_EQ(st.closed_fds, 1u);
}

TEST_F(ValidationTest, BadCommandWithNoReplyFlagIsNotAnswered) {
    connect();
    negotiate_twin();
    WireMsg r = server_cmd(twin, message(5, 77, 0x10, {}), {}, 100);
    EXPECT_TRUE(r.timeout);
}

// ---- VERSION -----------------------------------------------------------------

TEST_F(ValidationTest, VersionRejectsWrongMajorOrNewerMinor) {
    connect();
    serve([&] {
        WireMsg m = expect_cmd(peer, VU_CMD_VERSION);
        std::vector<uint8_t> p = version_payload(kJsonLegacy);
        p[0] = 1; // major 1
        send_msg(peer, reply(m.msg_id(), m.cmd(), p));
        m = expect_cmd(peer, VU_CMD_VERSION);
        send_msg(peer, reply(m.msg_id(), m.cmd(), version_payload(kJsonLegacy, 3)));
    });
    EXPECT_EQ(vuc_negotiate(ctx), -ENOTSUP);
    EXPECT_EQ(vuc_negotiate(ctx), -ENOTSUP);
    EXPECT_EQ(vuc_get_server_caps(ctx), nullptr);
}

TEST_F(ValidationTest, VersionRejectsMalformedJson) {
    connect();
    const char *bad[] = {"{\"capabilities\":",
                         "[1,2]",
                         "{\"caps\":{}}",
                         "{\"capabilities\":{\"max_msg_fds\":\"8\"}}",
                         "{\"capabilities\":{\"max_data_xfer_size\":-1}}",
                         "{\"capabilities\":{\"twin_socket\":true}}"};
    serve([&] {
        for (const char *j : bad) {
            WireMsg m = expect_cmd(peer, VU_CMD_VERSION);
            send_msg(peer, reply(m.msg_id(), m.cmd(), version_payload(j)));
        }
        // JSON without its NUL terminator.
        WireMsg m = expect_cmd(peer, VU_CMD_VERSION);
        std::vector<uint8_t> p = version_payload(kJsonLegacy);
        p.pop_back();
        send_msg(peer, reply(m.msg_id(), m.cmd(), p));
    });
    for (const char *j : bad)
        EXPECT_EQ(vuc_negotiate(ctx), -EPROTO) << j;
    EXPECT_EQ(vuc_negotiate(ctx), -EPROTO) << "no NUL";
}

TEST_F(ValidationTest, VersionAgreeingToTwinWithoutAnFdFailsWithEproto) {
    connect();
    EXPECT_EQ(negotiate_with(kJsonTwin, false), -EPROTO);
    EXPECT_FALSE(vuc_has_twin(ctx));
}

// ---- Disconnects ---------------------------------------------------------

TEST_F(ValidationTest, DisconnectFailsEveryOutstandingRequestWithEconnreset) {
    connect();
    negotiate_twin();
    vuc_id ids[4];
    for (int i = 0; i < 3; i++)
        ASSERT_EQ(vuc_submit_region_read(ctx, 0, 0, 4, 0, &ids[i]), 0);
    ASSERT_EQ(vuc_submit_region_read(ctx, 0, 0, 4, VUC_SUBMIT_DEFER, &ids[3]), 0);
    expect_cmd(peer, VU_CMD_REGION_READ);
    close(peer), peer = -1;
    close(twin), twin = -1;
    for (int i = 0; i < 4; i++) {
        vuc_event ev{};
        ASSERT_TRUE(next_event(&ev)) << i;
        EXPECT_EQ(ev.kind, VUC_EV_COMPLETED);
        EXPECT_EQ(ev.status, -ECONNRESET);
        vuc_release(ctx, ev.id);
    }
    EXPECT_FALSE(vuc_connected(ctx));
    EXPECT_EQ(vuc_step(ctx, 0), -ENOTCONN);
}

TEST_F(ValidationTest, DisconnectMidBlockingCallReturnsEconnreset) {
    connect();
    negotiate_legacy();
    serve([&] {
        expect_cmd(peer, VU_CMD_REGION_WRITE);
        // Half a reply, then gone.
        std::vector<uint8_t> half = reply(1, VU_CMD_REGION_WRITE, region_access(0, 0, 4));
        half.resize(20);
        send_msg(peer, half);
        close(peer);
        peer = -1;
    });
    uint32_t v = 0;
    EXPECT_EQ(vuc_region_write(ctx, 0, 0, &v, 4), -ECONNRESET);
}

TEST_F(ValidationTest, DisconnectWhileDmaPendingLeaksNothing) {
    connect();
    negotiate_twin();
    map_two();
    vuc_dma_op *op = nullptr;
    vuc_set_dma_handler(
        ctx,
        [](void *o, vuc_dma_op *d) {
            *static_cast<vuc_dma_op **>(o) = d;
            return VUC_DMA_PENDING;
        },
        &op);
    send_msg(twin, message(5, VU_CMD_DMA_READ, 0, dma_fields(kBase, 4)));
    for (int i = 0; i < 50 && !op; i++)
        vuc_step(ctx, 20);
    ASSERT_NE(op, nullptr);
    close(peer), peer = -1;
    close(twin), twin = -1;
    for (int i = 0; i < 5; i++)
        vuc_step(ctx, 10);
    EXPECT_FALSE(vuc_connected(ctx));
    EXPECT_EQ(vuc_dma_complete(ctx, op, 0), -ENOTCONN); // freed, nowhere to send
}

// A server that stops reading cannot block a send forever: the send gives up
// after timeout_ms, and the connection (no longer framed) is closed.
TEST_F(ValidationTest, SendToAPeerThatStopsReadingTimesOut) {
    vuc_options o;
    vuc_options_init(&o);
    o.timeout_ms = 200;
    connect(&o);
    serve([&] {
        WireMsg m = expect_cmd(peer, VU_CMD_VERSION);
        send_msg(peer, reply(m.msg_id(), m.cmd(), version_payload(kJsonLegacy)));
    });
    ASSERT_EQ(vuc_negotiate(ctx), 0);
    join();
    std::vector<uint8_t> big(4u << 20, 0x42);
    EXPECT_EQ(vuc_region_write(ctx, 0, 0, big.data(), big.size()), -ETIMEDOUT);
    for (int i = 0; i < 10 && vuc_connected(ctx); i++)
        vuc_step(ctx, 20);
    EXPECT_FALSE(vuc_connected(ctx));
}

// More fds than the client's receive buffer holds (16): the kernel drops the
// rest, the client closes what it got, and nothing leaks (fixture census).
TEST_F(ValidationTest, FloodOfFdsOnACommandLeaksNothing) {
    connect();
    negotiate_twin();
    map_two();
    std::vector<int> fds;
    for (int i = 0; i < 40; i++)
        fds.push_back(eventfd(0, EFD_CLOEXEC));
    WireMsg r = server_cmd(twin, message(5, VU_CMD_DMA_READ, 0, dma_fields(kBase, 4)), fds);
    for (int f : fds)
        close(f);
    std::vector<uint8_t> want = dma_fields(kBase, 4);
    want.insert(want.end(), mem.begin(), mem.begin() + 4);
    EXPECT_EQ(r.bytes, reply(5, VU_CMD_DMA_READ, want)); // still served
    vuc_stats st;
    vuc_get_stats(ctx, &st);
    EXPECT_EQ(st.closed_fds, 16u);
}
