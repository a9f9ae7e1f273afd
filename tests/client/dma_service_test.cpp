// Server-to-client DMA: served while the client's own REGION_WRITE waits, on
// the twin socket and on the main socket; asynchronous completion; held
// arrivals delivered when the caller says; QEMU's 32-bit count layout.
#include <cerrno>
#include <cstring>

#include "peer_fixture.hpp"

using namespace rcsim::test;

namespace {

constexpr uint64_t kBase = 0x10000000;

std::vector<uint8_t> dma_fields(uint64_t addr, uint64_t count) {
    std::vector<uint8_t> b;
    put64(b, addr);
    put64(b, count);
    return b;
}

std::vector<uint8_t> region_access(uint64_t off, uint32_t region, uint32_t count) {
    std::vector<uint8_t> b;
    put64(b, off);
    put32(b, region);
    put32(b, count);
    return b;
}

class DmaTest : public PeerTest {
  protected:
    std::vector<uint8_t> mem = std::vector<uint8_t>(0x1000);

    void map_memory() {
        for (size_t i = 0; i < mem.size(); i++)
            mem[i] = uint8_t(i * 7);
        serve([&] {
            WireMsg m = expect_cmd(peer, VU_CMD_DMA_MAP);
            send_msg(peer, reply(m.msg_id(), m.cmd(), {}));
        });
        ASSERT_EQ(vuc_dma_map(ctx, kBase, mem.size(), VU_DMA_MAP_F_READ | VU_DMA_MAP_F_WRITE,
                              mem.data(), -1, 0),
                  0);
        join();
    }

    // The peer, holding the client's REGION_WRITE, does a DMA_READ of 16
    // bytes at +0x20 and a DMA_WRITE of 8 bytes at +0x100 on dma_fd, checks
    // the client's replies byte for byte, then answers the REGION_WRITE.
    void dma_during_region_write(int dma_fd) {
        WireMsg w = expect_cmd(peer, VU_CMD_REGION_WRITE);
        send_msg(dma_fd, message(41, VU_CMD_DMA_READ, 0, dma_fields(kBase + 0x20, 16)));
        WireMsg r = recv_msg(dma_fd);
        std::vector<uint8_t> want_payload = dma_fields(kBase + 0x20, 16);
        for (int i = 0; i < 16; i++)
            want_payload.push_back(uint8_t((0x20 + i) * 7));
        EXPECT_EQ(r.bytes, reply(41, VU_CMD_DMA_READ, want_payload));

        std::vector<uint8_t> wp = dma_fields(kBase + 0x100, 8);
        for (int i = 0; i < 8; i++)
            wp.push_back(uint8_t(0xc0 + i));
        send_msg(dma_fd, message(42, VU_CMD_DMA_WRITE, 0, wp));
        r = recv_msg(dma_fd);
        EXPECT_EQ(r.bytes, reply(42, VU_CMD_DMA_WRITE, dma_fields(kBase + 0x100, 8)));
        send_msg(peer, reply(w.msg_id(), w.cmd(), region_access(0x10, 0, 8)));
    }

    void check_written() {
        for (int i = 0; i < 8; i++)
            EXPECT_EQ(mem[0x100 + i], 0xc0 + i);
        EXPECT_EQ(mem[0x108], uint8_t(0x108 * 7));
    }
};

int pending_handler(void *opaque, vuc_dma_op *op) {
    *static_cast<vuc_dma_op **>(opaque) = op;
    return VUC_DMA_PENDING;
}

} // namespace

TEST_F(DmaTest, ServedOnTwinWhileRegionWriteOutstanding) {
    connect();
    negotiate_twin();
    map_memory();
    serve([&] { dma_during_region_write(twin); });
    uint64_t v = 1;
    ASSERT_EQ(vuc_region_write(ctx, 0, 0x10, &v, 8), 0);
    join();
    check_written();
}

TEST_F(DmaTest, ServedOnMainWhileRegionWriteOutstanding) {
    connect();
    negotiate_legacy();
    map_memory();
    serve([&] { dma_during_region_write(peer); });
    uint64_t v = 1;
    ASSERT_EQ(vuc_region_write(ctx, 0, 0x10, &v, 8), 0);
    join();
    check_written();
}

// A handler that finishes later: no reply goes out until vuc_dma_complete,
// and the REGION_WRITE waiting behind the DMA completes after it.
TEST_F(DmaTest, AsynchronousCompletionSendsTheReplyLater) {
    connect();
    negotiate_twin();
    map_memory();
    vuc_dma_op *op = nullptr;
    vuc_set_dma_handler(ctx, pending_handler, &op);
    uint64_t v = 1;
    vuc_id wid;
    ASSERT_EQ(vuc_submit_region_write(ctx, 0, 0x10, &v, 8, 0, &wid), 0);
    WireMsg w = expect_cmd(peer, VU_CMD_REGION_WRITE);
    send_msg(twin, message(7, VU_CMD_DMA_READ, 0, dma_fields(kBase + 4, 4)));
    for (int i = 0; i < 50 && !op; i++)
        ASSERT_GE(vuc_step(ctx, 20), 0);
    ASSERT_NE(op, nullptr);
    EXPECT_EQ(op->cmd, VU_CMD_DMA_READ);
    EXPECT_TRUE(op->on_twin);
    EXPECT_EQ(op->addr, kBase + 4);
    EXPECT_EQ(op->count, 4u);
    EXPECT_EQ(op->map_vaddr, mem.data());
    EXPECT_TRUE(recv_msg(twin, 100).timeout); // not answered yet
    memcpy(op->data, "\x01\x02\x03\x04", 4);
    ASSERT_EQ(vuc_dma_complete(ctx, op, 0), 0);
    std::vector<uint8_t> want = dma_fields(kBase + 4, 4);
    want.insert(want.end(), {1, 2, 3, 4});
    EXPECT_EQ(recv_msg(twin).bytes, reply(7, VU_CMD_DMA_READ, want));
    send_msg(peer, reply(w.msg_id(), w.cmd(), region_access(0x10, 0, 8)));
    vuc_event ev{};
    ASSERT_TRUE(next_event(&ev));
    EXPECT_EQ(ev.kind, VUC_EV_COMPLETED);
    EXPECT_EQ(ev.id, wid);
    EXPECT_EQ(ev.status, 0);
    vuc_release(ctx, wid);
    EXPECT_EQ(vuc_dma_complete(ctx, op, 0), -ENOENT); // already completed
}

// Hold mode: a message that arrived is reported, but acted upon only when
// delivered, in the order the caller picks.
TEST_F(DmaTest, HeldArrivalsWaitForDelivery) {
    connect();
    negotiate_legacy();
    map_memory();
    vuc_set_hold(ctx, true);
    vuc_id rid;
    ASSERT_EQ(vuc_submit_region_read(ctx, 0, 0, 4, 0, &rid), 0);
    WireMsg m = expect_cmd(peer, VU_CMD_REGION_READ);
    send_msg(peer, message(9, VU_CMD_DMA_WRITE, 0, [] {
                 std::vector<uint8_t> p = dma_fields(kBase, 2);
                 p.insert(p.end(), {0x55, 0x66});
                 return p;
             }()));
    std::vector<uint8_t> p = region_access(0, 0, 4);
    p.insert(p.end(), 4, 0x77);
    send_msg(peer, reply(m.msg_id(), m.cmd(), p));

    vuc_event ev[2]{};
    ASSERT_TRUE(next_event(&ev[0]));
    ASSERT_TRUE(next_event(&ev[1]));
    EXPECT_EQ(ev[0].kind, VUC_EV_ARRIVED);
    EXPECT_EQ(ev[0].arrival, VUC_ARR_DMA);
    EXPECT_EQ(ev[0].cmd, VU_CMD_DMA_WRITE);
    EXPECT_EQ(ev[0].sock, VUC_SOCK_MAIN);
    EXPECT_EQ(ev[1].kind, VUC_EV_ARRIVED);
    EXPECT_EQ(ev[1].arrival, VUC_ARR_REPLY);
    EXPECT_EQ(ev[1].id, rid);
    vuc_result res{};
    EXPECT_EQ(vuc_get_result(ctx, rid, &res), -EBUSY); // arrived, not delivered
    EXPECT_EQ(mem[0], 0);                              // DMA not applied yet
    EXPECT_TRUE(recv_msg(peer, 100).timeout);          // and not answered

    ASSERT_EQ(vuc_deliver(ctx, ev[1].seq), 0); // the reply first
    vuc_event done{};
    ASSERT_EQ(vuc_next_event(ctx, &done), 1);
    EXPECT_EQ(done.kind, VUC_EV_COMPLETED);
    EXPECT_EQ(done.id, rid);
    ASSERT_EQ(vuc_get_result(ctx, rid, &res), 0);
    EXPECT_EQ(res.data[0], 0x77);
    ASSERT_EQ(vuc_deliver(ctx, ev[0].seq), 0); // then the DMA
    EXPECT_EQ(mem[0], 0x55);
    EXPECT_EQ(mem[1], 0x66);
    EXPECT_EQ(recv_msg(peer).bytes, reply(9, VU_CMD_DMA_WRITE, dma_fields(kBase, 2)));
    EXPECT_EQ(vuc_deliver(ctx, ev[0].seq), -ENOENT);
    vuc_release(ctx, rid);
}

// QEMU lays DMA_READ/DMA_WRITE out as {u64 addr, u32 count}; the client
// accepts it (the lengths tell the layouts apart) and answers in kind.
TEST_F(DmaTest, QemuLayoutAcceptedAndMirrored) {
    connect();
    negotiate_twin();
    map_memory();
    std::vector<uint8_t> q;
    put64(q, kBase + 0x10);
    put32(q, 3);
    send_msg(twin, message(3, VU_CMD_DMA_READ, 0, q));
    std::vector<uint8_t> want = q;
    want.insert(want.end(), {uint8_t(0x10 * 7), uint8_t(0x11 * 7), uint8_t(0x12 * 7)});
    for (int i = 0; i < 10 && vuc_step(ctx, 20) == 0; i++) {
    }
    EXPECT_EQ(recv_msg(twin).bytes, reply(3, VU_CMD_DMA_READ, want));

    std::vector<uint8_t> w;
    put64(w, kBase + 0x200);
    put32(w, 2);
    std::vector<uint8_t> wr = w;
    wr.insert(wr.end(), {0xab, 0xcd});
    send_msg(twin, message(4, VU_CMD_DMA_WRITE, 0, wr));
    for (int i = 0; i < 10 && vuc_step(ctx, 20) == 0; i++) {
    }
    EXPECT_EQ(recv_msg(twin).bytes, reply(4, VU_CMD_DMA_WRITE, w));
    EXPECT_EQ(mem[0x200], 0xab);
    EXPECT_EQ(mem[0x201], 0xcd);
    vuc_stats st;
    vuc_get_stats(ctx, &st);
    EXPECT_EQ(st.qemu_layout_dma, 2u);
    EXPECT_EQ(st.dma_served, 2u);
}
