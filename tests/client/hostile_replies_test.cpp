// What a hostile server may answer and how the client names it (issue 14,
// items 7 and 10): counts above QEMU's bounds, wrapping region info, error
// replies with an errno that is none, a second VERSION reply, and a twin
// socket that loops back to the main socket. Bytes written by hand from
// proto.h; the bounds (100 regions, 50 IRQ types) are QEMU's.
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "peer_fixture.hpp"
#include "vfio_user/client_parse.h"

using namespace rcsim::test;

namespace {

class HostileReplies : public PeerTest {
  protected:
    int device_info(uint32_t regions, uint32_t irqs) {
        serve([&] {
            WireMsg m = expect_cmd(peer, VU_CMD_DEVICE_GET_INFO);
            std::vector<uint8_t> p;
            put32(p, 16), put32(p, VU_DEV_F_PCI), put32(p, regions), put32(p, irqs);
            send_msg(peer, reply(m.msg_id(), m.cmd(), p));
        });
        vu_device_info info{};
        int rc = vuc_device_get_info(ctx, &info);
        join();
        return rc;
    }
    std::string problem() const {
        const char *p = vuc_protocol_problem(ctx);
        return p ? p : "";
    }
};

TEST_F(HostileReplies, DeviceInfoAboveQemusBoundsIsAProtocolError) {
    connect();
    negotiate_legacy();
    EXPECT_EQ(device_info(100, 50), 0); // the bounds themselves are fine
    EXPECT_EQ(device_info(101, 5), -EPROTO);
    EXPECT_EQ(device_info(9, 51), -EPROTO);
    EXPECT_EQ(device_info(0x80000000u, 5), -EPROTO);
}

// A mappable region whose [offset, offset + size) wraps, and a sparse area
// outside its region: neither can be mapped, both are refused.
TEST(HostileRegionInfo, WrappingMmapRangeAndAreaOutsideRegionAreRefused) {
    std::vector<uint8_t> p;
    put32(p, 32), put32(p, VU_REGION_F_READ | VU_REGION_F_MMAP), put32(p, 0), put32(p, 0);
    put64(p, 0x2000), put64(p, 0xfffffffffffff000ull);
    vuc_region r;
    EXPECT_EQ(vuc_parse_region_info(p.data(), p.size(), &r), -EPROTO);
    std::memset(p.data() + 24, 0, 8); // offset 0: [0, 0x2000) of the fd

    EXPECT_EQ(vuc_parse_region_info(p.data(), p.size(), &r), 0);

    // size 0x2000, caps at 32: sparse mmap with one area [0x1000, +0x2000).
    std::vector<uint8_t> s;
    put32(s, 64), put32(s, VU_REGION_F_READ | VU_REGION_F_MMAP | VU_REGION_F_CAPS), put32(s, 0);
    put32(s, 32), put64(s, 0x2000), put64(s, 0);
    put16(s, VU_REGION_CAP_SPARSE_MMAP), put16(s, 1), put32(s, 0), put32(s, 1), put32(s, 0);
    put64(s, 0x1000), put64(s, 0x2000);
    EXPECT_EQ(vuc_parse_region_info(s.data(), s.size(), &r), -EPROTO);
    s[56] = 0x00, s[57] = 0x10; // size 0x1000: the area ends at the region's end
    EXPECT_EQ(vuc_parse_region_info(s.data(), s.size(), &r), 0);
}

// In hold mode the arrival says it was an error reply and which errno it
// carried, so the harness can name it; the problem text names it too.
TEST_F(HostileReplies, ErrorReplyWithInvalidErrnoIsNamed) {
    connect();
    negotiate_legacy();
    vuc_set_hold(ctx, true);
    for (uint32_t bad : {0u, 5000u}) {
        vuc_id id = 0;
        ASSERT_EQ(vuc_submit_region_read(ctx, 0, 0, 4, 0, &id), 0);
        WireMsg m = expect_cmd(peer, VU_CMD_REGION_READ);
        send_msg(peer, error_reply(m.msg_id(), VU_CMD_REGION_READ, bad));
        vuc_event ev{};
        ASSERT_TRUE(next_event(&ev));
        EXPECT_EQ(ev.kind, VUC_EV_ARRIVED);
        EXPECT_EQ(ev.status, -EPROTO);
        EXPECT_TRUE(ev.error_reply);
        EXPECT_EQ(ev.error_no, bad);
        ASSERT_EQ(vuc_deliver(ctx, ev.seq), 0);
        ASSERT_TRUE(next_event(&ev));
        EXPECT_EQ(ev.status, -EPROTO);
        vuc_release(ctx, id);
    }
    // msg_id 1 was VERSION.
    EXPECT_EQ(problem(), "error reply to command 9 (msg_id 2) with an invalid errno 0");
}

TEST_F(HostileReplies, AValidErrorReplyIsNoProblem) {
    connect();
    negotiate_legacy();
    vuc_set_hold(ctx, true);
    vuc_id id = 0;
    ASSERT_EQ(vuc_submit_region_read(ctx, 0, 0, 4, 0, &id), 0);
    WireMsg m = expect_cmd(peer, VU_CMD_REGION_READ);
    send_msg(peer, error_reply(m.msg_id(), VU_CMD_REGION_READ, EIO));
    vuc_event ev{};
    ASSERT_TRUE(next_event(&ev));
    EXPECT_EQ(ev.status, 0);
    EXPECT_TRUE(ev.error_reply);
    EXPECT_EQ(ev.error_no, uint32_t(EIO));
    ASSERT_EQ(vuc_deliver(ctx, ev.seq), 0);
    vuc_release(ctx, id);
    EXPECT_EQ(problem(), "");
}

// Two VERSION replies in one write: the second answers nothing we asked.
TEST_F(HostileReplies, DuplicateVersionReplyFailsNegotiation) {
    connect();
    serve([this] {
        WireMsg m = expect_cmd(peer, VU_CMD_VERSION);
        std::vector<uint8_t> r = reply(m.msg_id(), VU_CMD_VERSION, version_payload(kJsonLegacy));
        std::vector<uint8_t> two = r;
        two.insert(two.end(), r.begin(), r.end());
        send_msg(peer, two);
    });
    EXPECT_EQ(vuc_negotiate(ctx), -EPROTO);
    join();
    EXPECT_NE(problem().find("reply nobody asked for on the main socket (command 1"),
              std::string::npos)
        << problem();
}

// The "twin" is the client's own main socket (the same socket, as a peer in
// this process can send it) or the server's end of it: either way the
// client would read its own commands. Both fail negotiation, named.
TEST_F(HostileReplies, TwinSocketThatIsTheMainSocketFailsNegotiation) {
    for (bool server_end : {false, true}) {
        connect();
        int client_main = -1;
        struct pollfd pfd;
        ASSERT_EQ(vuc_poll_fds(ctx, &pfd, 1), 1);
        client_main = pfd.fd;
        serve([this, server_end, client_main] {
            WireMsg m = expect_cmd(peer, VU_CMD_VERSION);
            send_msg(peer, reply(m.msg_id(), VU_CMD_VERSION, version_payload(kJsonTwin)),
                     {server_end ? peer : client_main});
        });
        EXPECT_EQ(vuc_negotiate(ctx), -EPROTO);
        join();
        EXPECT_FALSE(vuc_has_twin(ctx));
        const std::string want =
            server_end ? "its end of our main socket (a loop" : "our own main socket (a loop)";
        EXPECT_NE(problem().find(want), std::string::npos) << problem();
        vuc_destroy(ctx);
        ctx = nullptr;
        close(peer);
        peer = -1;
    }
}

// In hold mode (the harness's), a blocking call lifts hold while it waits:
// a duplicate reply read then is still reported as VUC_EV_PROTOCOL, as a
// duplicate read while held is.
TEST_F(HostileReplies, DuplicateReplyDuringABlockingCallInHoldModeIsReported) {
    connect();
    negotiate_legacy();
    vuc_set_hold(ctx, true);
    EXPECT_EQ(device_info(9, 5), 0);
    serve([&] {
        WireMsg m = expect_cmd(peer, VU_CMD_DEVICE_GET_INFO);
        std::vector<uint8_t> p;
        put32(p, 16), put32(p, VU_DEV_F_PCI), put32(p, 9), put32(p, 5);
        std::vector<uint8_t> r = reply(m.msg_id(), m.cmd(), p);
        std::vector<uint8_t> two = r;
        two.insert(two.end(), r.begin(), r.end());
        send_msg(peer, two);
    });
    vu_device_info info{};
    EXPECT_EQ(vuc_device_get_info(ctx, &info), 0);
    join();
    vuc_event ev{};
    ASSERT_TRUE(next_event(&ev, 200));
    EXPECT_EQ(ev.kind, VUC_EV_PROTOCOL);
    EXPECT_EQ(ev.cmd, VU_CMD_DEVICE_GET_INFO);
}

// A proper twin (a fresh socketpair end) is still taken.
TEST_F(HostileReplies, FreshSocketpairTwinIsTaken) {
    connect();
    negotiate_twin();
    EXPECT_TRUE(vuc_has_twin(ctx));
    EXPECT_EQ(problem(), "");
}

} // namespace
