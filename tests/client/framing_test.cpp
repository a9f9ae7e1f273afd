// Framing across socket reads: the client reads ahead (one recvmsg may hold a
// message and a half, or half a header), so each test writes hand-laid wire
// bytes in pieces whose boundaries differ from the message boundaries and
// checks every message comes out whole, once, with its own fds.
#include <sys/mman.h>
#include <sys/stat.h>

#include <cstring>

#include "peer_fixture.hpp"

using namespace rcsim::test;

namespace {

// vfio-user header, little-endian: msg_id u16, cmd u16, msg_size u32,
// flags u32 (type in bits 0-3, 1 = reply), error_no u32.
std::vector<uint8_t> reply_hdr(uint16_t msg_id, uint8_t cmd, uint32_t msg_size) {
    return {uint8_t(msg_id),
            uint8_t(msg_id >> 8),
            cmd,
            0x00,
            uint8_t(msg_size),
            uint8_t(msg_size >> 8),
            uint8_t(msg_size >> 16),
            uint8_t(msg_size >> 24),
            0x01,
            0x00,
            0x00,
            0x00,
            0x00,
            0x00,
            0x00,
            0x00};
}

// REGION_READ (cmd 9) reply: header, {u64 offset, u32 region, u32 count},
// then count data bytes; data byte i is seed + i.
std::vector<uint8_t> read_reply(uint16_t msg_id, uint8_t offset, uint32_t count, uint8_t seed) {
    std::vector<uint8_t> b = reply_hdr(msg_id, 9, 32 + count);
    const uint8_t access[16] = {offset,
                                0,
                                0,
                                0,
                                0,
                                0,
                                0,
                                0,
                                0,
                                0,
                                0,
                                0,
                                uint8_t(count),
                                uint8_t(count >> 8),
                                uint8_t(count >> 16),
                                uint8_t(count >> 24)};
    b.insert(b.end(), access, access + 16);
    for (uint32_t i = 0; i < count; i++)
        b.push_back(uint8_t(seed + i));
    return b;
}

// DEVICE_GET_REGION_INFO (cmd 5) reply for region 1: argsz 32, flags
// READ|WRITE|MMAP (0x7), index 1, cap_offset 0, size 0x1000, offset 0.
std::vector<uint8_t> region_info_reply(uint16_t msg_id) {
    std::vector<uint8_t> b = reply_hdr(msg_id, 5, 48);
    const uint8_t info[32] = {32, 0,    0, 0, 0x07, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0,
                              0,  0x10, 0, 0, 0,    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    b.insert(b.end(), info, info + 32);
    return b;
}

std::vector<uint8_t> slice(const std::vector<uint8_t> &b, size_t from, size_t to) {
    return std::vector<uint8_t>(b.begin() + long(from), b.begin() + long(to));
}

std::vector<uint8_t> cat(std::vector<uint8_t> a, const std::vector<uint8_t> &b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

class FramingTest : public PeerTest {
  protected:
    void SetUp() override {
        PeerTest::SetUp();
        connect();
        negotiate_legacy();
    }

    // Steps a few times; how many requests completed meanwhile.
    int completions_after_steps() {
        for (int i = 0; i < 5; i++)
            vuc_step(ctx, 10);
        int n = 0;
        vuc_event ev{};
        while (vuc_next_event(ctx, &ev) == 1) {
            EXPECT_EQ(ev.kind, VUC_EV_COMPLETED);
            n++;
        }
        return n;
    }

    // The data a completed REGION_READ returned (empty on failure).
    std::vector<uint8_t> data_of(vuc_id id) {
        vuc_result res{};
        if (vuc_get_result(ctx, id, &res) != 0 || res.status != 0)
            return {};
        return std::vector<uint8_t>(res.data, res.data + res.data_len);
    }

    vuc_id submit_info(uint32_t index) {
        const uint8_t q[32] = {32, 0, 0, 0, 0, 0, 0, 0, uint8_t(index), 0, 0, 0};
        vuc_request req{};
        req.cmd = VU_CMD_DEVICE_GET_REGION_INFO;
        req.payload = q;
        req.payload_len = sizeof(q);
        vuc_id id = 0;
        EXPECT_EQ(vuc_submit(ctx, &req, 0, &id), 0);
        return id;
    }

    uint64_t closed_fds() {
        vuc_stats st{};
        vuc_get_stats(ctx, &st);
        return st.closed_fds;
    }
};

std::vector<uint8_t> seq_bytes(uint8_t seed, size_t n) {
    std::vector<uint8_t> b;
    for (size_t i = 0; i < n; i++)
        b.push_back(uint8_t(seed + i));
    return b;
}

// Three writes: 5 bytes of the header, the rest of it and 3 bytes of the
// body, then the rest. Nothing completes until the last byte is there.
TEST_F(FramingTest, ReplySplitInsideHeaderAndBodyCompletesOnceWhole) {
    vuc_id id = 0;
    ASSERT_EQ(vuc_submit_region_read(ctx, 0, 0x10, 4, 0, &id), 0);
    WireMsg m = expect_cmd(peer, VU_CMD_REGION_READ);
    std::vector<uint8_t> r = read_reply(m.msg_id(), 0x10, 4, 0xa0);
    ASSERT_EQ(r.size(), 36u);
    ASSERT_TRUE(send_msg(peer, slice(r, 0, 5)));
    EXPECT_EQ(completions_after_steps(), 0);
    ASSERT_TRUE(send_msg(peer, slice(r, 5, 19)));
    EXPECT_EQ(completions_after_steps(), 0);
    vuc_result res{};
    EXPECT_EQ(vuc_get_result(ctx, id, &res), -EBUSY);
    ASSERT_TRUE(send_msg(peer, slice(r, 19, 36)));
    EXPECT_EQ(completions_after_steps(), 1);
    EXPECT_EQ(data_of(id), (std::vector<uint8_t>{0xa0, 0xa1, 0xa2, 0xa3}));
    vuc_release(ctx, id);
}

// Two replies in one write (second request's first), then one reply and the
// first 10 bytes of the next in one write: each completes exactly once with
// its own data.
TEST_F(FramingTest, SeveralRepliesInOneWriteAndAHeaderCutShort) {
    vuc_id a = 0, b = 0, c = 0, d = 0;
    ASSERT_EQ(vuc_submit_region_read(ctx, 0, 0x10, 4, 0, &a), 0);
    WireMsg ma = expect_cmd(peer, VU_CMD_REGION_READ);
    ASSERT_EQ(vuc_submit_region_read(ctx, 0, 0x20, 8, 0, &b), 0);
    WireMsg mb = expect_cmd(peer, VU_CMD_REGION_READ);
    ASSERT_TRUE(send_msg(
        peer, cat(read_reply(mb.msg_id(), 0x20, 8, 0x40), read_reply(ma.msg_id(), 0x10, 4, 0x30))));
    EXPECT_EQ(completions_after_steps(), 2);
    EXPECT_EQ(data_of(a), seq_bytes(0x30, 4));
    EXPECT_EQ(data_of(b), seq_bytes(0x40, 8));

    ASSERT_EQ(vuc_submit_region_read(ctx, 0, 0x30, 2, 0, &c), 0);
    WireMsg mc = expect_cmd(peer, VU_CMD_REGION_READ);
    ASSERT_EQ(vuc_submit_region_read(ctx, 0, 0x40, 2, 0, &d), 0);
    WireMsg md = expect_cmd(peer, VU_CMD_REGION_READ);
    std::vector<uint8_t> rd = read_reply(md.msg_id(), 0x40, 2, 0x60);
    ASSERT_TRUE(send_msg(peer, cat(read_reply(mc.msg_id(), 0x30, 2, 0x50), slice(rd, 0, 10))));
    EXPECT_EQ(completions_after_steps(), 1);
    EXPECT_EQ(data_of(c), seq_bytes(0x50, 2));
    vuc_result res{};
    EXPECT_EQ(vuc_get_result(ctx, d, &res), -EBUSY);
    ASSERT_TRUE(send_msg(peer, slice(rd, 10, rd.size())));
    EXPECT_EQ(completions_after_steps(), 1);
    EXPECT_EQ(data_of(d), seq_bytes(0x60, 2));
    for (vuc_id id : {a, b, c, d})
        vuc_release(ctx, id);
}

// A body larger than the read-ahead buffer, cut after 100 bytes, its tail
// written together with the next reply.
TEST_F(FramingTest, LargeBodyTailAndNextReplyInOneWrite) {
    const uint32_t big = 40000;
    vuc_id a = 0, b = 0;
    ASSERT_EQ(vuc_submit_region_read(ctx, 0, 0x00, big, 0, &a), 0);
    WireMsg ma = expect_cmd(peer, VU_CMD_REGION_READ);
    ASSERT_EQ(vuc_submit_region_read(ctx, 0, 0x08, 4, 0, &b), 0);
    WireMsg mb = expect_cmd(peer, VU_CMD_REGION_READ);
    std::vector<uint8_t> ra = read_reply(ma.msg_id(), 0x00, big, 0x11);
    ASSERT_TRUE(send_msg(peer, slice(ra, 0, 132)));
    EXPECT_EQ(completions_after_steps(), 0);
    ASSERT_TRUE(
        send_msg(peer, cat(slice(ra, 132, ra.size()), read_reply(mb.msg_id(), 0x08, 4, 0x77))));
    EXPECT_EQ(completions_after_steps(), 2);
    EXPECT_EQ(data_of(a), seq_bytes(0x11, big));
    EXPECT_EQ(data_of(b), seq_bytes(0x77, 4));
    vuc_release(ctx, a);
    vuc_release(ctx, b);
}

// The inode of the file fd refers to (to tell received fds apart).
ino_t inode_of(int fd) {
    struct stat st {};
    return fstat(fd, &st) == 0 ? st.st_ino : 0;
}

// A reply without fds, then one (region info of a mappable region) with an
// fd, each in its own write, both sent before the client reads: the fd is
// the second's, none is closed as unexpected. Then the same, fd first.
TEST_F(FramingTest, FdsStayWithTheMessageTheyCameWith) {
    for (bool fd_first : {false, true}) {
        SCOPED_TRACE(fd_first ? "fd with the first message" : "fd with the second message");
        int memfd = memfd_create("framing", MFD_CLOEXEC);
        ASSERT_GE(memfd, 0);
        vuc_id rd = 0;
        ASSERT_EQ(vuc_submit_region_read(ctx, 0, 0x10, 4, 0, &rd), 0);
        WireMsg mr = expect_cmd(peer, VU_CMD_REGION_READ);
        vuc_id info = submit_info(1);
        WireMsg mi = expect_cmd(peer, VU_CMD_DEVICE_GET_REGION_INFO);
        std::vector<uint8_t> plain = read_reply(mr.msg_id(), 0x10, 4, 0x01);
        if (fd_first) {
            ASSERT_TRUE(send_msg(peer, region_info_reply(mi.msg_id()), {memfd}));
            ASSERT_TRUE(send_msg(peer, plain));
        } else {
            ASSERT_TRUE(send_msg(peer, plain));
            ASSERT_TRUE(send_msg(peer, region_info_reply(mi.msg_id()), {memfd}));
        }
        EXPECT_EQ(completions_after_steps(), 2);
        EXPECT_EQ(closed_fds(), 0u);
        EXPECT_EQ(data_of(rd), seq_bytes(0x01, 4));
        vuc_result res{};
        ASSERT_EQ(vuc_get_result(ctx, info, &res), 0);
        EXPECT_EQ(res.status, 0);
        ASSERT_GE(res.fd, 0);
        EXPECT_EQ(inode_of(res.fd), inode_of(memfd));
        vuc_result rr{};
        ASSERT_EQ(vuc_get_result(ctx, rd, &rr), 0);
        EXPECT_EQ(rr.fd, -1);
        vuc_release(ctx, rd);
        vuc_release(ctx, info);
        close(memfd);
    }
}

// A blocking REGION_READ on the main socket: the server's DMA_WRITE command
// (cmd 12) and the reply come in one write. The blocking path frames both:
// the DMA is served (memory written, reply sent) and the call returns.
TEST_F(FramingTest, BlockingReadServesDmaThatCameInTheSameWriteAsItsReply) {
    std::vector<uint8_t> mem(0x100);
    serve([&] {
        WireMsg m = expect_cmd(peer, VU_CMD_DMA_MAP);
        send_msg(peer, reply(m.msg_id(), m.cmd(), {}));
    });
    ASSERT_EQ(vuc_dma_map(ctx, 0x10000000, mem.size(), VU_DMA_MAP_F_READ | VU_DMA_MAP_F_WRITE,
                          mem.data(), -1, 0),
              0);
    join();
    WireMsg dma_reply;
    serve([&] {
        WireMsg m = expect_cmd(peer, VU_CMD_REGION_READ);
        // DMA_WRITE, msg_id 0x77, command, 16 + 16 + 2 bytes: addr
        // 0x10000008, count 2, data 0xde 0xad.
        const std::vector<uint8_t> dma = {0x77, 0x00, 12, 0x00, 34,   0, 0, 0,    0,    0,   0, 0,
                                          0,    0,    0,  0,    0x08, 0, 0, 0x10, 0,    0,   0, 0,
                                          2,    0,    0,  0,    0,    0, 0, 0,    0xde, 0xad};
        send_msg(peer, cat(dma, read_reply(m.msg_id(), 0x10, 4, 0xc0)));
        dma_reply = recv_msg(peer);
    });
    uint8_t buf[4] = {};
    EXPECT_EQ(vuc_region_read(ctx, 0, 0x10, buf, 4), 0);
    join();
    EXPECT_EQ(std::vector<uint8_t>(buf, buf + 4), seq_bytes(0xc0, 4));
    EXPECT_EQ(mem[8], 0xde);
    EXPECT_EQ(mem[9], 0xad);
    // The DMA_WRITE reply: header (id 0x77, cmd 12, size 32, reply), addr, count.
    const std::vector<uint8_t> want = {0x77, 0x00, 12, 0x00, 32, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0,
                                       0x08, 0,    0,  0x10, 0,  0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0};
    EXPECT_EQ(dma_reply.bytes, want);
}

} // namespace

// Issue 14 item 9: in hold mode a socket whose held arrivals reach
// max_held_bytes is not read further (vuc_paused; its fd polls for
// nothing). 200 DMA_READ commands (cmd 11, 32 bytes each) in one write:
// framing stops at the bound in message order, stepping on frames
// nothing, and each delivery makes room for exactly one more (all the
// same size), parked bytes included, until all 200 arrived in order.
TEST_F(FramingTest, HeldBoundPausesTheSocketAndFramesInMessageOrder) {
    vuc_destroy(ctx);
    ctx = nullptr;
    close(peer);
    peer = -1;
    vuc_options o;
    vuc_options_init(&o);
    o.max_held_bytes = 4096;
    connect(&o);
    negotiate_legacy();
    vuc_set_hold(ctx, true);
    std::vector<uint8_t> flood;
    for (uint16_t i = 0; i < 200; i++) {
        std::vector<uint8_t> h = reply_hdr(uint16_t(0x100 + i), 11, 32);
        h[8] = 0x00; // command
        const uint8_t access[16] = {0, 0, 0, 0x10, 0, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0};
        h.insert(h.end(), access, access + 16);
        flood = cat(flood, h);
    }
    ASSERT_TRUE(send_msg(peer, flood));
    auto arrivals = [&](std::vector<vuc_event> *seen) {
        for (int i = 0; i < 3; i++)
            vuc_step(ctx, 0); // the flood is in the socket already
        vuc_event ev{};
        size_t n = 0;
        while (vuc_next_event(ctx, &ev) == 1) {
            EXPECT_EQ(ev.kind, VUC_EV_ARRIVED);
            EXPECT_EQ(ev.arrival, VUC_ARR_DMA);
            seen->push_back(ev);
            n++;
        }
        return n;
    };
    std::vector<vuc_event> seen;
    const size_t first = arrivals(&seen);
    ASSERT_GT(first, 0u);
    ASSERT_LT(first, 200u);
    EXPECT_TRUE(vuc_paused(ctx, VUC_SOCK_MAIN));
    pollfd pfd[2];
    ASSERT_EQ(vuc_poll_fds(ctx, pfd, 2), 1);
    EXPECT_EQ(pfd[0].events, 0);
    EXPECT_EQ(arrivals(&seen), 0u); // paused: nothing more is framed
    for (size_t delivered = 0; delivered < 200; delivered++) {
        ASSERT_EQ(vuc_deliver(ctx, seen[delivered].seq), 0);
        const size_t before = seen.size();
        EXPECT_EQ(arrivals(&seen), before < 200 ? 1u : 0u) << "after delivering " << delivered + 1;
    }
    ASSERT_EQ(seen.size(), 200u);
    for (uint16_t i = 0; i < 200; i++)
        EXPECT_EQ(seen[i].msg_id, 0x100 + i);
    EXPECT_FALSE(vuc_paused(ctx, VUC_SOCK_MAIN));
}
