// A DMA socket per mapping (VU_DMA_MAP_F_RCSIM_SOCKET, issue 21): the
// DMA_MAP that hands the socket over, DMA served on it, commands on the wrong
// socket refused with EPROTO, unmap and refusal closing it, slots, a map
// socket the server closes, and hold mode's view of it.
#include <cerrno>
#include <cstring>

#include <poll.h>
#include <sys/socket.h>

#include "peer_fixture.hpp"

using namespace rcsim::test;

namespace {

constexpr uint64_t kWin = 0x10000000;   // socket-mode window
constexpr uint64_t kPlain = 0x20000000; // message-mode window (main socket)
constexpr uint64_t kWin2 = 0x30000000;  // a second socket-mode window
constexpr uint64_t kSize = 0x1000;

std::vector<uint8_t> dma_fields(uint64_t addr, uint64_t count) {
    std::vector<uint8_t> b;
    put64(b, addr);
    put64(b, count);
    return b;
}

std::vector<uint8_t> dma_write_payload(uint64_t addr, const std::vector<uint8_t> &data) {
    std::vector<uint8_t> b = dma_fields(addr, data.size());
    b.insert(b.end(), data.begin(), data.end());
    return b;
}

int pending_handler(void *opaque, vuc_dma_op *op) {
    *static_cast<vuc_dma_op **>(opaque) = op;
    return VUC_DMA_PENDING;
}

class MapSocketTest : public PeerTest {
  protected:
    std::vector<uint8_t> mem = std::vector<uint8_t>(kSize);
    std::vector<uint8_t> mem2 = std::vector<uint8_t>(kSize);
    std::vector<WireMsg> maps_seen; // DMA_MAPs the fake server got, fds kept
    std::vector<int> map_fds;       // the server's ends of the map sockets

    void TearDown() override {
        join();
        for (int fd : map_fds)
            if (fd >= 0)
                close(fd);
        map_fds.clear();
        PeerTest::TearDown();
    }

    void SetUp() override {
        PeerTest::SetUp();
        for (size_t i = 0; i < mem.size(); i++) {
            mem[i] = uint8_t(i * 7);
            mem2[i] = uint8_t(i * 3);
        }
    }

    // The fake server accepts n DMA_MAPs, keeping each one's fd.
    void accept_maps(int n) {
        serve([this, n] {
            for (int i = 0; i < n; i++) {
                WireMsg m = expect_cmd(peer, VU_CMD_DMA_MAP);
                map_fds.push_back(m.fds.empty() ? -1 : m.fds[0]);
                for (size_t k = 1; k < m.fds.size(); k++)
                    close(m.fds[k]);
                m.fds.clear();
                maps_seen.push_back(m);
                send_msg(peer, reply(m.msg_id(), m.cmd(), {}));
            }
        });
    }

    int map_socket(uint64_t iova, std::vector<uint8_t> &m,
                   uint32_t prot = VU_DMA_MAP_F_READ | VU_DMA_MAP_F_WRITE) {
        accept_maps(1);
        int rc = vuc_dma_map_socket(ctx, iova, kSize, prot, m.data());
        join();
        return rc;
    }

    void unmap(uint64_t iova) {
        serve([this] {
            WireMsg u = expect_cmd(peer, VU_CMD_DMA_UNMAP);
            // The reply echoes the 24-byte unmap.
            std::vector<uint8_t> echo(u.bytes.begin() + 16, u.bytes.end());
            send_msg(peer, reply(u.msg_id(), u.cmd(), echo));
        });
        ASSERT_EQ(vuc_dma_unmap(ctx, iova, kSize), 0);
        join();
    }

    // Sends msg on fd, lets the client read and serve it, returns the answer.
    WireMsg exchange(int fd, const std::vector<uint8_t> &msg) {
        EXPECT_TRUE(send_msg(fd, msg));
        EXPECT_GT(vuc_step(ctx, kPeerTimeoutMs), 0);
        return recv_msg(fd);
    }

    std::string problem() const {
        const char *p = vuc_protocol_problem(ctx);
        return p ? p : "";
    }
};

} // namespace

TEST(MapSocketNames, EverySocketHasItsName) {
    EXPECT_STREQ(vuc_sock_name(VUC_SOCK_MAIN), "main");
    EXPECT_STREQ(vuc_sock_name(VUC_SOCK_TWIN), "twin");
    EXPECT_STREQ(vuc_sock_name(VUC_SOCK_MAP0), "map0");
    EXPECT_STREQ(vuc_sock_name(vuc_sock(VUC_SOCK_MAP0 + 1)), "map1");
    EXPECT_STREQ(vuc_sock_name(VUC_SOCK_MAP_LAST), "map7");
    EXPECT_STREQ(vuc_sock_name(vuc_sock(10)), "?");
    EXPECT_STREQ(vuc_sock_name(vuc_sock(15)), "?");
}

// The DMA_MAP carries READ|WRITE|0x80000000 and one fd, a connected AF_UNIX
// stream socket whose other end the client reads: a DMA_READ on it is
// answered on it with the window's bytes, a DMA_WRITE stores.
TEST_F(MapSocketTest, MapHandsOverASocketAndDmaIsServedOnIt) {
    connect();
    negotiate_legacy();
    ASSERT_EQ(map_socket(kWin, mem), VUC_SOCK_MAP0);
    ASSERT_EQ(maps_seen.size(), 1u);
    const WireMsg &m = maps_seen[0];
    ASSERT_EQ(m.bytes.size(), 16u + 32u);
    EXPECT_EQ(get_le(m.bytes, 16, 4), 32u);         // argsz
    EXPECT_EQ(get_le(m.bytes, 20, 4), 0x80000003u); // flags
    EXPECT_EQ(get_le(m.bytes, 24, 8), 0u);          // offset
    EXPECT_EQ(get_le(m.bytes, 32, 8), kWin);        // addr
    EXPECT_EQ(get_le(m.bytes, 40, 8), kSize);       // size
    int fd = map_fds[0];
    ASSERT_GE(fd, 0);
    int type = 0;
    socklen_t len = sizeof(type);
    ASSERT_EQ(getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len), 0);
    EXPECT_EQ(type, SOCK_STREAM);
    sockaddr_storage sa{};
    len = sizeof(sa);
    ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr *>(&sa), &len), 0);
    EXPECT_EQ(sa.ss_family, AF_UNIX);

    WireMsg r = exchange(fd, message(3, VU_CMD_DMA_READ, 0, dma_fields(kWin + 0x20, 4)));
    std::vector<uint8_t> want = dma_fields(kWin + 0x20, 4);
    want.insert(want.end(),
                {uint8_t(0x20 * 7), uint8_t(0x21 * 7), uint8_t(0x22 * 7), uint8_t(0x23 * 7)});
    EXPECT_EQ(r.bytes, reply(3, VU_CMD_DMA_READ, want));

    r = exchange(fd,
                 message(4, VU_CMD_DMA_WRITE, 0, dma_write_payload(kWin + 0x100, {0xa1, 0xa2})));
    EXPECT_EQ(r.bytes, reply(4, VU_CMD_DMA_WRITE, dma_fields(kWin + 0x100, 2)));
    EXPECT_EQ(mem[0x100], 0xa1);
    EXPECT_EQ(mem[0x101], 0xa2);
    EXPECT_EQ(mem[0x102], uint8_t(0x102 * 7));
    EXPECT_TRUE(recv_msg(peer, 20).timeout); // nothing went on main
    EXPECT_EQ(vuc_protocol_problem(ctx), nullptr);
}

// A server that does not know the flag refuses: the error comes back, the
// socket it got reads EOF, and the window is not in the table.
TEST_F(MapSocketTest, RefusalLeavesNothingBehind) {
    connect();
    negotiate_legacy();
    int got = -1;
    serve([&] {
        WireMsg m = expect_cmd(peer, VU_CMD_DMA_MAP);
        ASSERT_EQ(m.fds.size(), 1u);
        got = m.fds[0];
        send_msg(peer, error_reply(m.msg_id(), m.cmd(), EINVAL));
    });
    EXPECT_EQ(vuc_dma_map_socket(ctx, kWin, kSize, VU_DMA_MAP_F_READ, mem.data()), -EINVAL);
    join();
    ASSERT_GE(got, 0);
    map_fds.push_back(got);
    EXPECT_TRUE(wait_eof(got, 1000));
    WireMsg r = exchange(peer, message(5, VU_CMD_DMA_READ, 0, dma_fields(kWin, 4)));
    EXPECT_EQ(r.bytes, error_reply(5, VU_CMD_DMA_READ, EFAULT));
    pollfd pfd[VUC_NSOCKS];
    EXPECT_EQ(vuc_poll_fds(ctx, pfd, VUC_NSOCKS), 1); // main only
}

// The window's DMA on the main socket is a protocol error, named.
TEST_F(MapSocketTest, WindowDmaOnMainIsEproto) {
    connect();
    negotiate_legacy();
    ASSERT_EQ(map_socket(kWin, mem), VUC_SOCK_MAP0);
    WireMsg r = exchange(peer, message(3, VU_CMD_DMA_READ, 0, dma_fields(kWin, 32)));
    EXPECT_EQ(r.bytes, error_reply(3, VU_CMD_DMA_READ, EPROTO));
    EXPECT_EQ(problem(), "DMA_READ #3 for 0x10000000+32 on the main socket: that window's DMA "
                         "goes on its own socket (map0)");
    // Straddling into the window from below counts too; nothing is stored.
    r = exchange(peer, message(4, VU_CMD_DMA_WRITE, 0, dma_write_payload(kWin - 1, {0x11, 0x22})));
    EXPECT_EQ(r.bytes, error_reply(4, VU_CMD_DMA_WRITE, EPROTO));
    EXPECT_EQ(mem[0], 0);
    vuc_stats st{};
    vuc_get_stats(ctx, &st);
    EXPECT_EQ(st.bad_commands, 2u);
    EXPECT_EQ(st.dma_served, 0u);
}

TEST_F(MapSocketTest, WindowDmaOnTwinIsEproto) {
    connect();
    negotiate_twin();
    ASSERT_EQ(map_socket(kWin, mem), VUC_SOCK_MAP0);
    WireMsg r = exchange(twin, message(6, VU_CMD_DMA_WRITE, 0,
                                       dma_write_payload(kWin + 0xff8, {1, 2, 3, 4, 5, 6, 7, 8})));
    EXPECT_EQ(r.bytes, error_reply(6, VU_CMD_DMA_WRITE, EPROTO));
    EXPECT_EQ(problem(), "DMA_WRITE #6 for 0x10000ff8+8 on the twin socket: that window's DMA "
                         "goes on its own socket (map0)");
    EXPECT_EQ(mem[0xff8], uint8_t(0xff8 * 7));
}

// On map1, an address outside map1's window (here: in no window at all) is a
// protocol error, and so is one that runs past its end; its last bytes are
// fine.
TEST_F(MapSocketTest, DmaOutsideItsWindowOnAMapSocketIsEproto) {
    connect();
    negotiate_legacy();
    ASSERT_EQ(map_socket(kWin, mem), VUC_SOCK_MAP0);
    ASSERT_EQ(map_socket(kWin2, mem2), VUC_SOCK_MAP0 + 1);
    int fd1 = map_fds[1];
    WireMsg r = exchange(
        fd1, message(4, VU_CMD_DMA_WRITE, 0, dma_write_payload(kPlain, {1, 2, 3, 4, 5, 6, 7, 8})));
    EXPECT_EQ(r.bytes, error_reply(4, VU_CMD_DMA_WRITE, EPROTO));
    EXPECT_EQ(problem(), "DMA_WRITE #4 on map1 for 0x20000000+8, outside map1's window "
                         "[0x30000000, 0x30001000)");
    // map0's window on map1's socket.
    r = exchange(fd1, message(5, VU_CMD_DMA_READ, 0, dma_fields(kWin, 4)));
    EXPECT_EQ(r.bytes, error_reply(5, VU_CMD_DMA_READ, EPROTO));
    r = exchange(fd1, message(6, VU_CMD_DMA_READ, 0, dma_fields(kWin2 + 0xffc, 8)));
    EXPECT_EQ(r.bytes, error_reply(6, VU_CMD_DMA_READ, EPROTO));
    r = exchange(fd1, message(7, VU_CMD_DMA_READ, 0, dma_fields(kWin2 + 0xffe, 2)));
    std::vector<uint8_t> want = dma_fields(kWin2 + 0xffe, 2);
    want.insert(want.end(), {uint8_t(0xffe * 3), uint8_t(0xfff * 3)});
    EXPECT_EQ(r.bytes, reply(7, VU_CMD_DMA_READ, want));
}

// One socket-mode window and one message-mode window side by side: each
// one's DMA is served where it belongs.
TEST_F(MapSocketTest, SocketWindowBesidePlainWindow) {
    connect();
    negotiate_legacy();
    ASSERT_EQ(map_socket(kWin, mem), VUC_SOCK_MAP0);
    serve([&] {
        WireMsg m = expect_cmd(peer, VU_CMD_DMA_MAP);
        EXPECT_EQ(get_le(m.bytes, 20, 4), 3u); // no socket flag
        EXPECT_TRUE(m.fds.empty());
        send_msg(peer, reply(m.msg_id(), m.cmd(), {}));
    });
    ASSERT_EQ(
        vuc_dma_map(ctx, kPlain, kSize, VU_DMA_MAP_F_READ | VU_DMA_MAP_F_WRITE, mem2.data(), -1, 0),
        0);
    join();
    WireMsg r = exchange(peer, message(8, VU_CMD_DMA_READ, 0, dma_fields(kPlain + 1, 1)));
    EXPECT_EQ(r.bytes, reply(8, VU_CMD_DMA_READ, [] {
                  std::vector<uint8_t> p = dma_fields(kPlain + 1, 1);
                  p.push_back(3);
                  return p;
              }()));
    r = exchange(map_fds[0], message(9, VU_CMD_DMA_READ, 0, dma_fields(kWin + 2, 1)));
    EXPECT_EQ(r.bytes, reply(9, VU_CMD_DMA_READ, [] {
                  std::vector<uint8_t> p = dma_fields(kWin + 2, 1);
                  p.push_back(14);
                  return p;
              }()));
    // The plain window on the map socket is not map0's.
    r = exchange(map_fds[0], message(10, VU_CMD_DMA_READ, 0, dma_fields(kPlain, 1)));
    EXPECT_EQ(r.bytes, error_reply(10, VU_CMD_DMA_READ, EPROTO));
}

// The unmap the server accepted closes the socket; a refused one does not.
TEST_F(MapSocketTest, UnmapClosesTheSocket) {
    connect();
    negotiate_legacy();
    ASSERT_EQ(map_socket(kWin, mem), VUC_SOCK_MAP0);
    serve([&] {
        WireMsg u = expect_cmd(peer, VU_CMD_DMA_UNMAP);
        send_msg(peer, error_reply(u.msg_id(), u.cmd(), EBUSY));
    });
    EXPECT_EQ(vuc_dma_unmap(ctx, kWin, kSize), -EBUSY);
    join();
    WireMsg r = exchange(map_fds[0], message(2, VU_CMD_DMA_READ, 0, dma_fields(kWin, 1)));
    EXPECT_EQ(r.bytes, reply(2, VU_CMD_DMA_READ, [] {
                  std::vector<uint8_t> p = dma_fields(kWin, 1);
                  p.push_back(0);
                  return p;
              }()));
    unmap(kWin);
    EXPECT_TRUE(wait_eof(map_fds[0], 1000));
}

// Eight socket maps at once; the ninth finds no slot (and sends nothing);
// after an unmap the freed slot is the one given out.
TEST_F(MapSocketTest, EightSlotsThenEnospcThenReuse) {
    connect();
    negotiate_legacy();
    std::vector<std::vector<uint8_t>> bufs(9, std::vector<uint8_t>(kSize));
    accept_maps(8);
    for (int i = 0; i < 8; i++)
        EXPECT_EQ(vuc_dma_map_socket(ctx, kWin + uint64_t(i) * kSize, kSize, VU_DMA_MAP_F_READ,
                                     bufs[i].data()),
                  VUC_SOCK_MAP0 + i);
    join();
    EXPECT_EQ(vuc_dma_map_socket(ctx, kWin2, kSize, VU_DMA_MAP_F_READ, bufs[8].data()), -ENOSPC);
    int pfd = -1;
    EXPECT_EQ(vuc_dma_table_add_socket(ctx, kWin2, kSize, VU_DMA_MAP_F_READ, bufs[8].data(), &pfd),
              -ENOSPC);
    EXPECT_EQ(pfd, -1);
    EXPECT_TRUE(recv_msg(peer, 20).timeout);
    unmap(kWin + 3 * kSize);
    EXPECT_TRUE(wait_eof(map_fds[3], 1000));
    EXPECT_EQ(map_socket(kWin2, bufs[8]), VUC_SOCK_MAP0 + 3);
    // The new map3 serves its own window.
    WireMsg r = exchange(map_fds[8], message(1, VU_CMD_DMA_READ, 0, dma_fields(kWin2, 1)));
    EXPECT_EQ(r.bytes, reply(1, VU_CMD_DMA_READ, [] {
                  std::vector<uint8_t> p = dma_fields(kWin2, 1);
                  p.push_back(0);
                  return p;
              }()));
}

// The table half: the caller gets the peer end and sends the map itself;
// vuc_dma_table_remove closes the socket.
TEST_F(MapSocketTest, TableAddSocketAndRemove) {
    connect();
    negotiate_legacy();
    int pfd = -1;
    ASSERT_EQ(vuc_dma_table_add_socket(ctx, kWin, kSize, VU_DMA_MAP_F_READ, mem.data(), &pfd),
              VUC_SOCK_MAP0);
    ASSERT_GE(pfd, 0);
    map_fds.push_back(pfd);
    WireMsg r = exchange(pfd, message(1, VU_CMD_DMA_READ, 0, dma_fields(kWin + 1, 1)));
    EXPECT_EQ(r.bytes, reply(1, VU_CMD_DMA_READ, [] {
                  std::vector<uint8_t> p = dma_fields(kWin + 1, 1);
                  p.push_back(7);
                  return p;
              }()));
    EXPECT_EQ(vuc_dma_table_add_socket(ctx, kWin, kSize, 4, mem.data(), &pfd), -EINVAL);
    ASSERT_EQ(vuc_dma_table_remove(ctx, kWin, kSize), 0);
    EXPECT_TRUE(wait_eof(map_fds[0], 1000));
}

// The server closes its end: only that socket goes, its pending DMA can no
// longer be answered, and the connection carries on.
TEST_F(MapSocketTest, ServerClosingAMapSocketKeepsTheConnection) {
    connect();
    negotiate_legacy();
    ASSERT_EQ(map_socket(kWin, mem), VUC_SOCK_MAP0);
    vuc_dma_op *op = nullptr;
    vuc_set_dma_handler(ctx, pending_handler, &op);
    ASSERT_TRUE(send_msg(map_fds[0], message(2, VU_CMD_DMA_READ, 0, dma_fields(kWin, 4))));
    ASSERT_GT(vuc_step(ctx, kPeerTimeoutMs), 0);
    ASSERT_NE(op, nullptr);
    EXPECT_EQ(op->sock, VUC_SOCK_MAP0);
    EXPECT_FALSE(op->on_twin);
    close(map_fds[0]);
    map_fds[0] = -1;
    EXPECT_EQ(vuc_step(ctx, kPeerTimeoutMs), 1); // the disconnect
    EXPECT_TRUE(vuc_connected(ctx));
    pollfd pfd[VUC_NSOCKS];
    EXPECT_EQ(vuc_poll_fds(ctx, pfd, VUC_NSOCKS), 1);
    EXPECT_EQ(vuc_dma_complete(ctx, op, 0), -ENOTCONN);
    vuc_set_dma_handler(ctx, nullptr, nullptr);
    serve([&] {
        WireMsg m = expect_cmd(peer, VU_CMD_REGION_READ);
        std::vector<uint8_t> p;
        put64(p, 0);
        put32(p, 0);
        put32(p, 2);
        p.insert(p.end(), {0x5a, 0xa5});
        send_msg(peer, reply(m.msg_id(), m.cmd(), p));
    });
    uint8_t buf[2] = {};
    EXPECT_EQ(vuc_region_read(ctx, 0, 0, buf, 2), 0);
    join();
    EXPECT_EQ(buf[0], 0x5a);
    EXPECT_EQ(buf[1], 0xa5);
    unmap(kWin); // the table entry held the slot until now
}

// A header that cannot be framed (msg_size 8, below the 16-byte header) on
// a map socket closes that socket alone: the connection carries on.
TEST_F(MapSocketTest, UnframeableStreamOnAMapSocketClosesOnlyIt) {
    connect();
    negotiate_legacy();
    ASSERT_EQ(map_socket(kWin, mem), VUC_SOCK_MAP0);
    const uint8_t bad[16] = {2, 0, VU_CMD_DMA_READ, 0, 8, 0, 0, 0}; // msg_id 2, size 8
    ASSERT_EQ(write(map_fds[0], bad, sizeof bad), ssize_t(sizeof bad));
    EXPECT_EQ(vuc_step(ctx, kPeerTimeoutMs), 1); // the disconnect, delivered
    EXPECT_TRUE(vuc_connected(ctx));
    pollfd pfd[VUC_NSOCKS];
    EXPECT_EQ(vuc_poll_fds(ctx, pfd, VUC_NSOCKS), 1) << "only the main socket is left";
    serve([&] {
        WireMsg m = expect_cmd(peer, VU_CMD_REGION_READ);
        std::vector<uint8_t> p;
        put64(p, 0);
        put32(p, 0);
        put32(p, 1);
        p.push_back(0x3c);
        send_msg(peer, reply(m.msg_id(), m.cmd(), p));
    });
    uint8_t b = 0;
    EXPECT_EQ(vuc_region_read(ctx, 0, 0, &b, 1), 0);
    join();
    EXPECT_EQ(b, 0x3c);
    unmap(kWin);
}

// Hold mode reports an arrival on a map socket with that socket, and a
// command on the wrong socket as a bad command with EPROTO.
TEST_F(MapSocketTest, HeldArrivalNamesTheMapSocket) {
    connect();
    negotiate_legacy();
    ASSERT_EQ(map_socket(kWin, mem), VUC_SOCK_MAP0);
    ASSERT_EQ(map_socket(kWin2, mem2), VUC_SOCK_MAP0 + 1);
    vuc_set_hold(ctx, true);
    ASSERT_TRUE(send_msg(map_fds[1], message(11, VU_CMD_DMA_READ, 0, dma_fields(kWin2 + 4, 1))));
    ASSERT_TRUE(send_msg(peer, message(12, VU_CMD_DMA_READ, 0, dma_fields(kWin2, 1))));
    vuc_event ev[2]{};
    ASSERT_TRUE(next_event(&ev[0]));
    ASSERT_TRUE(next_event(&ev[1]));
    if (ev[0].sock == VUC_SOCK_MAIN)
        std::swap(ev[0], ev[1]);
    EXPECT_EQ(ev[0].kind, VUC_EV_ARRIVED);
    EXPECT_EQ(ev[0].arrival, VUC_ARR_DMA);
    EXPECT_EQ(ev[0].sock, VUC_SOCK_MAP0 + 1);
    EXPECT_EQ(ev[0].msg_id, 11);
    EXPECT_EQ(ev[0].status, 0);
    EXPECT_EQ(ev[1].arrival, VUC_ARR_BAD_CMD);
    EXPECT_EQ(ev[1].sock, VUC_SOCK_MAIN);
    EXPECT_EQ(ev[1].status, -EPROTO);
    EXPECT_TRUE(recv_msg(map_fds[1], 20).timeout); // held: not answered
    ASSERT_EQ(vuc_deliver(ctx, ev[0].seq), 0);
    EXPECT_EQ(recv_msg(map_fds[1]).bytes, reply(11, VU_CMD_DMA_READ, [] {
                  std::vector<uint8_t> p = dma_fields(kWin2 + 4, 1);
                  p.push_back(12);
                  return p;
              }()));
    ASSERT_EQ(vuc_deliver(ctx, ev[1].seq), 0);
    EXPECT_EQ(recv_msg(peer).bytes, error_reply(12, VU_CMD_DMA_READ, EPROTO));
}

// A reply on a map socket answers nothing we asked: dropped and named.
TEST_F(MapSocketTest, ReplyOnAMapSocketIsDropped) {
    connect();
    negotiate_legacy();
    ASSERT_EQ(map_socket(kWin, mem), VUC_SOCK_MAP0);
    ASSERT_TRUE(send_msg(map_fds[0], reply(9, VU_CMD_DMA_MAP, {})));
    ASSERT_GE(vuc_step(ctx, kPeerTimeoutMs), 0);
    vuc_stats st{};
    vuc_get_stats(ctx, &st);
    EXPECT_EQ(st.dropped_replies, 1u);
    EXPECT_EQ(
        problem(),
        "reply nobody asked for on the map0 socket (command 2, msg_id 9; a duplicate reply?)");
    EXPECT_TRUE(vuc_connected(ctx));
}

// A DMA held from a map socket whose window is then removed: its slot is not
// handed out while the arrival waits, and delivering it answers nobody.
TEST_F(MapSocketTest, HeldDmaOutlivesItsSocket) {
    connect();
    negotiate_legacy();
    int pfd = -1;
    ASSERT_EQ(vuc_dma_table_add_socket(ctx, kWin, kSize, VU_DMA_MAP_F_READ, mem.data(), &pfd),
              VUC_SOCK_MAP0);
    map_fds.push_back(pfd);
    vuc_set_hold(ctx, true);
    ASSERT_TRUE(send_msg(pfd, message(1, VU_CMD_DMA_READ, 0, dma_fields(kWin, 4))));
    vuc_event ev{};
    ASSERT_TRUE(next_event(&ev));
    EXPECT_EQ(ev.sock, VUC_SOCK_MAP0);
    ASSERT_EQ(vuc_dma_table_remove(ctx, kWin, kSize), 0);
    EXPECT_EQ(vuc_dma_table_add_socket(ctx, kWin2, kSize, VU_DMA_MAP_F_READ, mem2.data(), &pfd),
              VUC_SOCK_MAP0 + 1);
    map_fds.push_back(pfd);
    ASSERT_EQ(vuc_deliver(ctx, ev.seq), 0);
    EXPECT_TRUE(wait_eof(map_fds[0], 1000)); // closed with no reply on it
    EXPECT_TRUE(recv_msg(map_fds[1], 20).timeout);
    EXPECT_TRUE(recv_msg(peer, 20).timeout);
    vuc_set_hold(ctx, false);
    // Delivered: map0's slot is free again.
    EXPECT_EQ(vuc_dma_table_add_socket(ctx, kPlain, kSize, VU_DMA_MAP_F_READ, mem.data(), &pfd),
              VUC_SOCK_MAP0);
    map_fds.push_back(pfd);
}
