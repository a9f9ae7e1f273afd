// The map-socket DMA mode (issue 21; server.h, VUS_DMA_MODE_MAP_SOCKET): a
// DMA_MAP with VU_DMA_MAP_F_RCSIM_SOCKET (0x80000000, proto.h) brings the
// client's end of a socketpair, and every DMA into that map goes on it.
// An in-process device, a raw client; messages written by hand from proto.h:
// DMA_READ is cmd 11 with {u64 addr, u64 count}, its reply the same access
// and count bytes; DMA_WRITE is cmd 12 with the access and the bytes, its
// reply the access alone. Every wait has a timeout.
// The library's internal header (message counters) has no C++ guard.
extern "C" {
#include "server_private.h"
}

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <future>
#include <sys/mman.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include "inproc_device.hpp"
#include "raw_client.hpp"
#include "server_process.hpp"

using namespace rcsim::test;

namespace {

constexpr int kWait = 3000;
constexpr uint32_t kSocketFlag = 0x80000000u; // VU_DMA_MAP_F_RCSIM_SOCKET
constexpr uint32_t kRW = 0x3u;                // VU_DMA_MAP_F_READ | VU_DMA_MAP_F_WRITE
constexpr uint64_t kSockWin = 0x10000, kPlainWin = 0x20000, kWinSize = 0x1000;

std::vector<uint8_t> le64(uint64_t v) {
    std::vector<uint8_t> b(8);
    memcpy(b.data(), &v, 8);
    return b;
}

std::vector<uint8_t> map_msg(uint16_t id, uint64_t addr, uint32_t flags) {
    return dma_map_msg(id, addr, kWinSize, flags);
}

std::vector<uint8_t> unmap_msg(uint16_t id, uint64_t addr, uint64_t size) {
    vu_dma_unmap um{sizeof(vu_dma_unmap), 0, addr, size};
    return make_msg(id, VU_CMD_DMA_UNMAP, &um, sizeof(um));
}

// The client's bytes at an address: (address + 0x5a) & 0xff.
uint8_t client_byte(uint64_t addr) {
    return uint8_t(addr + 0x5a);
}

vu_dma_access access_of(const RawMessage &m) {
    vu_dma_access a{};
    if (m.payload_len() >= sizeof(a))
        memcpy(&a, m.payload(), sizeof(a));
    return a;
}

std::vector<uint8_t> read_reply(uint16_t id, uint64_t addr, uint64_t count) {
    std::vector<uint8_t> p(16 + count);
    vu_dma_access a{addr, count};
    memcpy(p.data(), &a, 16);
    for (uint64_t k = 0; k < count; k++)
        p[16 + k] = client_byte(addr + k);
    return make_msg(id, VU_CMD_DMA_READ, p.data(), p.size(), VU_F_TYPE_REPLY);
}

// A DMA_READ command of exactly (addr, count): 32 bytes, type command.
RawMessage expect_dma_read(RawSocket &s, uint64_t addr, uint64_t count, const char *what) {
    auto m = s.recv_message(kWait);
    EXPECT_TRUE(m) << what << ": no DMA_READ";
    if (!m)
        return RawMessage{std::vector<uint8_t>(32, 0), {}};
    EXPECT_EQ(m->hdr().cmd, VU_CMD_DMA_READ) << what;
    EXPECT_EQ(m->hdr().flags, VU_F_TYPE_COMMAND) << what;
    EXPECT_EQ(m->hdr().msg_size, 32u) << what;
    EXPECT_EQ(access_of(*m).addr, addr) << what;
    EXPECT_EQ(access_of(*m).count, count) << what;
    return *m;
}

size_t open_fds() {
    size_t n = 0;
    DIR *d = opendir("/proc/self/fd");
    if (d == nullptr)
        return 0;
    while (readdir(d) != nullptr)
        n++;
    closedir(d);
    return n;
}

// A message counter once it reached want (or the wait ran out), read again a
// few ms later so a count beyond want shows.
uint64_t counter_settles(const uint64_t *c, uint64_t want) {
    for (int waited = 0; waited < kWait && __atomic_load_n(c, __ATOMIC_RELAXED) < want; waited++)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return __atomic_load_n(c, __ATOMIC_RELAXED);
}

struct Session {
    InprocDevice dev;
    RawSocket main, twin, map; // map: the test's end of the map socket
    std::string version_json;

    explicit Session(vus_dma_mode mode, uint32_t max_xfer = 4096) : dev(mode, 0) {
        if (!dev.ok()) {
            ADD_FAILURE() << "device did not start";
            return;
        }
        open_session(dev.socket_path(), true, max_xfer, &main, &twin, &version_json);
    }

    RawMessage call(const std::vector<uint8_t> &msg) {
        EXPECT_TRUE(main.send_bytes(msg));
        auto r = main.recv_message(kWait);
        EXPECT_TRUE(r.has_value()) << "no reply to cmd " << int(msg[2]);
        return r.value_or(RawMessage{std::vector<uint8_t>(16, 0), {}});
    }
    uint32_t err_of(const std::vector<uint8_t> &msg, const std::vector<int> &fds = {}) {
        EXPECT_TRUE(main.send_bytes(msg, fds));
        auto r = main.recv_message(kWait);
        EXPECT_TRUE(r.has_value()) << "no reply to cmd " << int(msg[2]);
        if (!r)
            return ~0u;
        EXPECT_EQ(r->hdr().msg_id, uint16_t(msg[0] | msg[1] << 8));
        return r->hdr().flags & VU_F_ERROR ? r->hdr().error_no : 0;
    }
    // Maps [addr, +kWinSize) with a fresh socketpair; the test keeps one end
    // in `map`. Returns the reply's errno.
    uint32_t map_socket(uint16_t id, uint64_t addr) {
        int sp[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0) {
            ADD_FAILURE() << "socketpair";
            return ~0u;
        }
        uint32_t e = err_of(map_msg(id, addr, kRW | kSocketFlag), {sp[1]});
        close(sp[1]);
        map = RawSocket(sp[0]);
        return e;
    }
    uint64_t read64(uint16_t id, uint64_t off) {
        auto r = call(region_read_msg(id, 0, off, 8));
        uint64_t v = ~0ull;
        if (!(r.hdr().flags & VU_F_ERROR) && r.payload_len() == 24)
            memcpy(&v, r.payload() + 16, 8);
        return v;
    }
    void expect_region_write_ok(uint16_t id, const char *what) {
        auto r = main.recv_message(kWait);
        ASSERT_TRUE(r) << what << ": no reply";
        EXPECT_EQ(r->hdr().msg_id, id) << what;
        EXPECT_EQ(r->hdr().cmd, VU_CMD_REGION_WRITE) << what;
        EXPECT_EQ(r->hdr().flags, VU_F_TYPE_REPLY) << what << " error " << r->hdr().error_no;
    }
};

} // namespace

// The mode's name, and VERSION refusing the twin socket a client asks for.
TEST(MapSocket, NamedAndRefusesTheTwinSocket) {
    EXPECT_STREQ(vus_dma_mode_name(VUS_DMA_MODE_MAP_SOCKET), "map-socket");
    vus_dma_mode m = VUS_DMA_MODE_TWIN;
    EXPECT_EQ(vus_dma_mode_parse("map-socket", &m), 0);
    EXPECT_EQ(m, VUS_DMA_MODE_MAP_SOCKET);
    Session s(VUS_DMA_MODE_MAP_SOCKET);
    EXPECT_LT(s.twin.fd(), 0);
    EXPECT_EQ(s.version_json.find("twin_socket"), std::string::npos) << s.version_json;
}

// The device's synchronous DMA_READ (the doorbell, 100 bytes at 0x10010 with
// max_data_xfer_size 64) goes on the map socket in two chunks, 64 at 0x10010
// and 36 at 0x10050, nothing on the main socket meanwhile; the bytes arrive.
// A vus_dma_write of 10 bytes goes there too. The message counters count
// both sides of each chunk, as on the twin socket.
TEST(MapSocket, DmaIntoASocketMapGoesOnItsSocket) {
    Session s(VUS_DMA_MODE_MAP_SOCKET, 64);
    ASSERT_EQ(s.map_socket(2, kSockWin), 0u);
    ASSERT_EQ(s.err_of(region_write_msg(3, 0, 0x110, le64(kSockWin + 0x10))), 0u);

    vus_ctx *ctx = s.dev.ctx();
    // VERSION, DMA_MAP, REGION_WRITE in, their replies out.
    EXPECT_EQ(counter_settles(&ctx->msgs_in, 3), 3u);
    EXPECT_EQ(counter_settles(&ctx->msgs_out, 3), 3u);
    ASSERT_TRUE(s.main.send_bytes(region_write_msg(4, 0, 0x100, le64(100))));
    RawMessage c1 = expect_dma_read(s.map, 0x10010, 64, "chunk 1");
    EXPECT_TRUE(s.main.no_message_for(20)) << "the main socket must stay silent";
    ASSERT_TRUE(s.map.send_bytes(read_reply(c1.hdr().msg_id, 0x10010, 64)));
    RawMessage c2 = expect_dma_read(s.map, 0x10050, 36, "chunk 2");
    EXPECT_EQ(c2.hdr().msg_id, uint16_t(c1.hdr().msg_id + 1));
    ASSERT_TRUE(s.map.send_bytes(read_reply(c2.hdr().msg_id, 0x10050, 36)));
    s.expect_region_write_ok(4, "doorbell");
    // Doorbell in, two replies in; two chunks out, the doorbell's reply out
    // (counted just after it left: waited for).
    EXPECT_EQ(counter_settles(&ctx->msgs_in, 6), 6u);
    EXPECT_EQ(counter_settles(&ctx->msgs_out, 6), 6u);
    EXPECT_EQ(s.read64(5, 0x118), 0u);
    auto r = s.call(region_read_msg(6, 0, 0x200, 100));
    ASSERT_EQ(r.payload_len(), 116u);
    for (unsigned k = 0; k < 100; k++)
        ASSERT_EQ(r.payload()[16 + k], client_byte(0x10010 + k)) << "byte " << k;

    const std::vector<uint8_t> data = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    auto w = std::async(std::launch::async,
                        [&] { return vus_dma_write(ctx, kSockWin + 0x20, data.data(), 10); });
    auto m = s.map.recv_message(kWait);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->hdr().cmd, VU_CMD_DMA_WRITE);
    EXPECT_EQ(m->hdr().msg_size, 42u); // 16 + 16 + 10
    EXPECT_EQ(access_of(*m).addr, 0x10020u);
    EXPECT_EQ(access_of(*m).count, 10u);
    EXPECT_EQ(std::vector<uint8_t>(m->payload() + 16, m->payload() + 26), data);
    vu_dma_access a{0x10020, 10};
    ASSERT_TRUE(s.map.send_bytes(
        make_msg(m->hdr().msg_id, VU_CMD_DMA_WRITE, &a, sizeof(a), VU_F_TYPE_REPLY)));
    ASSERT_EQ(w.wait_for(std::chrono::milliseconds(kWait)), std::future_status::ready);
    EXPECT_EQ(w.get(), 0);
}

// The other four modes do not know the flag: EINVAL, as libvfio-user's "bad
// flags"; the same map without it is accepted.
TEST(MapSocket, FlagRefusedInEveryOtherMode) {
    for (vus_dma_mode mode :
         {VUS_DMA_MODE_TWIN, VUS_DMA_MODE_LEGACY, VUS_DMA_MODE_QUEUE, VUS_DMA_MODE_ASYNC}) {
        Session s(mode);
        SCOPED_TRACE(vus_dma_mode_name(mode));
        EXPECT_EQ(s.map_socket(2, kSockWin), uint32_t(EINVAL));
        EXPECT_EQ(s.err_of(map_msg(3, kSockWin, kRW)), 0u);
    }
}

// In map-socket mode the flag needs exactly one fd that is an AF_UNIX stream
// socket; nothing is left behind by a refusal (the same window maps after).
TEST(MapSocket, FlagNeedsOneUnixStreamSocket) {
    Session s(VUS_DMA_MODE_MAP_SOCKET);
    const auto msg = map_msg(2, kSockWin, kRW | kSocketFlag);
    EXPECT_EQ(s.err_of(msg), uint32_t(EINVAL)) << "no fd";
    int mfd = memfd_create("not-a-socket", MFD_CLOEXEC);
    ASSERT_GE(mfd, 0);
    ASSERT_EQ(ftruncate(mfd, kWinSize), 0);
    EXPECT_EQ(s.err_of(msg, {mfd}), uint32_t(EINVAL)) << "memfd";
    int pfd[2];
    ASSERT_EQ(pipe2(pfd, O_CLOEXEC), 0);
    EXPECT_EQ(s.err_of(msg, {pfd[0]}), uint32_t(EINVAL)) << "pipe";
    int dg[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, dg), 0);
    EXPECT_EQ(s.err_of(msg, {dg[1]}), uint32_t(EINVAL)) << "datagram socket";
    int inet = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(inet, 0);
    EXPECT_EQ(s.err_of(msg, {inet}), uint32_t(EINVAL)) << "AF_INET stream socket";
    int sp[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
    EXPECT_EQ(s.err_of(msg, {sp[1], mfd}), uint32_t(EINVAL)) << "two fds";
    for (int fd : {mfd, pfd[0], pfd[1], dg[0], dg[1], inet, sp[0], sp[1]})
        close(fd);
    EXPECT_EQ(s.map_socket(3, kSockWin), 0u);
}

// A socket map at 0x10000 and a plain one at 0x20000: the plain one's DMA
// goes on the main socket (as LEGACY), the socket one's on its socket, each
// time with nothing on the other.
TEST(MapSocket, PlainMapDmaStaysOnTheMainSocket) {
    Session s(VUS_DMA_MODE_MAP_SOCKET);
    ASSERT_EQ(s.map_socket(2, kSockWin), 0u);
    ASSERT_EQ(s.err_of(map_msg(3, kPlainWin, kRW)), 0u);

    ASSERT_EQ(s.err_of(region_write_msg(4, 0, 0x110, le64(kPlainWin))), 0u);
    ASSERT_TRUE(s.main.send_bytes(region_write_msg(5, 0, 0x100, le64(8))));
    RawMessage p = expect_dma_read(s.main, kPlainWin, 8, "plain map");
    EXPECT_TRUE(s.map.quiet_for(10));
    ASSERT_TRUE(s.main.send_bytes(read_reply(p.hdr().msg_id, kPlainWin, 8)));
    s.expect_region_write_ok(5, "plain doorbell");
    EXPECT_EQ(s.read64(6, 0x118), 0u);

    ASSERT_EQ(s.err_of(region_write_msg(7, 0, 0x110, le64(kSockWin))), 0u);
    ASSERT_TRUE(s.main.send_bytes(region_write_msg(8, 0, 0x100, le64(8))));
    RawMessage q = expect_dma_read(s.map, kSockWin, 8, "socket map");
    EXPECT_TRUE(s.main.no_message_for(10));
    ASSERT_TRUE(s.map.send_bytes(read_reply(q.hdr().msg_id, kSockWin, 8)));
    s.expect_region_write_ok(8, "socket doorbell");
    EXPECT_EQ(s.read64(9, 0x118), 0u);
    auto r = s.call(region_read_msg(10, 0, 0x200, 8));
    ASSERT_EQ(r.payload_len(), 24u);
    for (unsigned k = 0; k < 8; k++)
        EXPECT_EQ(r.payload()[16 + k], client_byte(kSockWin + k)) << "byte " << k;
}

// DMA into a map without a socket from a thread other than the loop's (a
// device worker) would wait for its reply on the main socket, which the
// loop reads too: refused with EOPNOTSUPP, nothing sent; into the socket
// map from the same thread it goes on.
TEST(MapSocket, MainSocketDmaFromAnotherThreadIsRefused) {
    Session s(VUS_DMA_MODE_MAP_SOCKET);
    ASSERT_EQ(s.map_socket(2, kSockWin), 0u);
    ASSERT_EQ(s.err_of(map_msg(3, kPlainWin, kRW)), 0u); // the loop stepped: its thread is known
    vus_ctx *ctx = s.dev.ctx();
    uint8_t buf[8];
    auto plain =
        std::async(std::launch::async, [&] { return vus_dma_read(ctx, kPlainWin, buf, 8); });
    ASSERT_EQ(plain.wait_for(std::chrono::milliseconds(kWait)), std::future_status::ready);
    EXPECT_EQ(plain.get(), -EOPNOTSUPP);
    EXPECT_TRUE(s.main.no_message_for(10));
    auto sock = std::async(std::launch::async, [&] { return vus_dma_read(ctx, kSockWin, buf, 8); });
    RawMessage q = expect_dma_read(s.map, kSockWin, 8, "socket map from the worker");
    ASSERT_TRUE(s.map.send_bytes(read_reply(q.hdr().msg_id, kSockWin, 8)));
    ASSERT_EQ(sock.wait_for(std::chrono::milliseconds(kWait)), std::future_status::ready);
    EXPECT_EQ(sock.get(), 0);
    for (unsigned k = 0; k < 8; k++)
        EXPECT_EQ(buf[k], client_byte(kSockWin + k)) << "byte " << k;
}

// DMA_UNMAP while a DMA (on a thread of the test) waits on the map socket:
// the unmap is answered at once, the DMA ends with ECANCELED, the client's
// end reads EOF, the connection serves on, and the server's end is closed
// by the next DMA (no fd left behind: this process holds both ends).
TEST(MapSocket, UnmapCancelsTheDmaWaitingOnItsSocket) {
    size_t fds0 = open_fds();
    Session s(VUS_DMA_MODE_MAP_SOCKET);
    size_t fds1 = open_fds();
    ASSERT_EQ(s.map_socket(2, kSockWin), 0u);
    EXPECT_EQ(open_fds(), fds1 + 2); // our end and the server's
    vus_ctx *ctx = s.dev.ctx();
    uint8_t buf[16];
    auto f = std::async(std::launch::async, [&] { return vus_dma_read(ctx, kSockWin, buf, 16); });
    expect_dma_read(s.map, kSockWin, 16, "before the unmap");

    auto r = s.call(unmap_msg(3, kSockWin, kWinSize));
    EXPECT_EQ(r.hdr().flags, VU_F_TYPE_REPLY) << "error " << r.hdr().error_no;
    EXPECT_EQ(r.hdr().msg_id, 3);
    ASSERT_EQ(f.wait_for(std::chrono::milliseconds(kWait)), std::future_status::ready);
    EXPECT_EQ(f.get(), -ECANCELED);
    EXPECT_TRUE(s.map.eof_within(kWait));
    EXPECT_EQ(s.read64(4, 0x110), 0u); // dma_addr, never set

    EXPECT_EQ(vus_dma_read(ctx, kSockWin, buf, 16), -EFAULT);
    s.map.close();
    EXPECT_EQ(open_fds(), fds1);
    EXPECT_GT(fds1, fds0);
}

// The client closes its end while the server waits there: that DMA fails
// with ECONNRESET, so does the next one into the map (at once), and the
// connection is untouched: commands are served, the unmap succeeds.
TEST(MapSocket, ClientClosingItsEndFailsOnlyThatMapsDma) {
    Session s(VUS_DMA_MODE_MAP_SOCKET);
    ASSERT_EQ(s.map_socket(2, kSockWin), 0u);
    vus_ctx *ctx = s.dev.ctx();
    uint8_t buf[16];
    auto f = std::async(std::launch::async, [&] { return vus_dma_read(ctx, kSockWin, buf, 16); });
    expect_dma_read(s.map, kSockWin, 16, "before the close");
    s.map.close();
    ASSERT_EQ(f.wait_for(std::chrono::milliseconds(kWait)), std::future_status::ready);
    EXPECT_EQ(f.get(), -ECONNRESET);
    EXPECT_EQ(vus_dma_read(ctx, kSockWin, buf, 16), -ECONNRESET);
    EXPECT_TRUE(vus_connected(ctx));
    EXPECT_EQ(s.read64(3, 0x110), 0u);
    EXPECT_EQ(s.err_of(unmap_msg(4, kSockWin, kWinSize)), 0u);
}

// A clean error reply (header alone, the chunk's id) fails the DMA with its
// errno and keeps the socket; a reply with the wrong id fails it with EPROTO
// and shuts the socket (the client reads EOF); the connection stays.
TEST(MapSocket, BadReplyShutsOnlyTheMapSocket) {
    Session s(VUS_DMA_MODE_MAP_SOCKET);
    ASSERT_EQ(s.map_socket(2, kSockWin), 0u);
    vus_ctx *ctx = s.dev.ctx();
    uint8_t buf[8];
    auto f = std::async(std::launch::async, [&] { return vus_dma_read(ctx, kSockWin, buf, 8); });
    RawMessage c = expect_dma_read(s.map, kSockWin, 8, "refused");
    std::vector<uint8_t> err =
        make_msg(c.hdr().msg_id, VU_CMD_DMA_READ, nullptr, 0, VU_F_TYPE_REPLY | VU_F_ERROR);
    uint32_t e = EFAULT;
    memcpy(err.data() + 12, &e, 4); // error_no
    ASSERT_TRUE(s.map.send_bytes(err));
    ASSERT_EQ(f.wait_for(std::chrono::milliseconds(kWait)), std::future_status::ready);
    EXPECT_EQ(f.get(), -EFAULT);

    f = std::async(std::launch::async, [&] { return vus_dma_read(ctx, kSockWin, buf, 8); });
    c = expect_dma_read(s.map, kSockWin, 8, "after the error reply");
    ASSERT_TRUE(s.map.send_bytes(read_reply(uint16_t(c.hdr().msg_id + 1), kSockWin, 8)));
    ASSERT_EQ(f.wait_for(std::chrono::milliseconds(kWait)), std::future_status::ready);
    EXPECT_EQ(f.get(), -EPROTO);
    EXPECT_TRUE(s.map.eof_within(kWait));
    EXPECT_TRUE(vus_connected(ctx));
    EXPECT_EQ(s.read64(3, 0x110), 0u);
}

// The client goes away while a DMA waits on a map socket: the DMA wakes
// (ECONNRESET: its map still stood) instead of waiting out the I/O timeout.
TEST(MapSocket, DisconnectWakesTheDmaOnAMapSocket) {
    Session s(VUS_DMA_MODE_MAP_SOCKET);
    ASSERT_EQ(s.map_socket(2, kSockWin), 0u);
    vus_ctx *ctx = s.dev.ctx();
    uint8_t buf[8];
    auto t0 = std::chrono::steady_clock::now();
    auto f = std::async(std::launch::async, [&] { return vus_dma_read(ctx, kSockWin, buf, 8); });
    expect_dma_read(s.map, kSockWin, 8, "before the disconnect");
    s.main.close();
    ASSERT_EQ(f.wait_for(std::chrono::milliseconds(kWait)), std::future_status::ready);
    EXPECT_EQ(f.get(), -ECONNRESET);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(2000));
    EXPECT_TRUE(s.map.eof_within(kWait));
}

// ---- dmacopy --dma-mode map-socket --dma-after-reply ---------------------
// Register map and descriptor layout: server-models/README.md, "dmacopy".

namespace {

constexpr uint64_t kRing = 0x100000; // one socket window of 0x1000: ring,
                                     // source, destination, record

std::vector<uint8_t> le32(uint32_t v) {
    std::vector<uint8_t> b(4);
    memcpy(b.data(), &v, 4);
    return b;
}

// The next DMA command on s must be (cmd, addr, count); it is answered from
// (or written into) mem, which holds [kRing, kRing + kWinSize).
void serve_expected(RawSocket &s, std::vector<uint8_t> &mem, uint16_t cmd, uint64_t addr,
                    uint64_t count) {
    auto m = s.recv_message(kWait);
    ASSERT_TRUE(m) << "no DMA command for " << std::hex << addr;
    ASSERT_EQ(m->hdr().cmd, cmd) << std::hex << addr;
    vu_dma_access a = access_of(*m);
    ASSERT_EQ(a.addr, addr);
    ASSERT_EQ(a.count, count);
    uint8_t *at = mem.data() + (addr - kRing);
    std::vector<uint8_t> p(sizeof(a));
    memcpy(p.data(), &a, sizeof(a));
    if (cmd == VU_CMD_DMA_READ) {
        p.insert(p.end(), at, at + count);
    } else {
        ASSERT_EQ(m->payload_len(), sizeof(a) + count);
        memcpy(at, m->payload() + sizeof(a), count);
    }
    ASSERT_TRUE(s.send_bytes(make_msg(m->hdr().msg_id, cmd, p.data(), p.size(), VU_F_TYPE_REPLY)));
}

} // namespace

// The worker's DMA goes on the window's socket, the main socket carries only
// the doorbell's reply: one descriptor of 100 bytes with max_data_xfer_size
// 64 is exactly fetch (32), read 64 + 36, write 64 + 36, record (16).
TEST(MapSocketDmacopy, WorkerCopiesThroughTheWindowsSocket) {
    ServerProcess srv({server_models_dir() + "/dmacopy", "--dma-mode", "map-socket",
                       "--dma-after-reply", "--irq", "none"});
    ASSERT_TRUE(srv.ready()) << srv.error();
    RawSocket main, twin, map;
    ASSERT_TRUE(open_session(srv.socket_path(), true, 64, &main, &twin));
    ASSERT_LT(twin.fd(), 0);
    int sp[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
    ASSERT_TRUE(main.send_bytes(map_msg(2, kRing, kRW | kSocketFlag), {sp[1]}));
    close(sp[1]);
    map = RawSocket(sp[0]);
    auto call_ok = [&](const std::vector<uint8_t> &msg) {
        ASSERT_TRUE(main.send_bytes(msg));
        auto r = main.recv_message(kWait);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->hdr().flags, VU_F_TYPE_REPLY)
            << "cmd " << r->hdr().cmd << " error " << r->hdr().error_no;
    };
    auto r = main.recv_message(kWait);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->hdr().flags, VU_F_TYPE_REPLY) << "DMA_MAP error " << r->hdr().error_no;

    std::vector<uint8_t> mem(kWinSize);
    // src 0x100100, dst 0x100400, 100 bytes, no interrupt, record 0x100800.
    const uint8_t desc[32] = {0x00, 0x01, 0x10, 0, 0, 0, 0, 0, 0x00, 0x04, 0x10, 0, 0, 0, 0, 0,
                              100,  0,    0,    0, 0, 0, 0, 0, 0x00, 0x08, 0x10, 0, 0, 0, 0, 0};
    memcpy(mem.data(), desc, sizeof(desc));
    for (unsigned k = 0; k < 100; k++)
        mem[0x100 + k] = uint8_t(0x30 + k);
    call_ok(region_write_msg(3, 0, 0x00, le32(uint32_t(kRing)))); // RING_BASE
    call_ok(region_write_msg(4, 0, 0x04, le32(0)));
    call_ok(region_write_msg(5, 0, 0x08, le32(4))); // RING_SIZE
    call_ok(region_write_msg(6, 0, 0x10, le32(1))); // HEAD: answered first

    serve_expected(map, mem, VU_CMD_DMA_READ, 0x100000, 32);
    serve_expected(map, mem, VU_CMD_DMA_READ, 0x100100, 64);
    serve_expected(map, mem, VU_CMD_DMA_READ, 0x100140, 36);
    serve_expected(map, mem, VU_CMD_DMA_WRITE, 0x100400, 64);
    serve_expected(map, mem, VU_CMD_DMA_WRITE, 0x100440, 36);
    serve_expected(map, mem, VU_CMD_DMA_WRITE, 0x100800, 16);
    EXPECT_TRUE(main.no_message_for(10)) << "no DMA on the main socket";
    for (unsigned k = 0; k < 100; k++)
        ASSERT_EQ(mem[0x400 + k], uint8_t(0x30 + k)) << "byte " << k;
    // Record: status 0, 100 bytes, sequence 1.
    const uint8_t rec[16] = {0, 0, 0, 0, 100, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0};
    EXPECT_EQ(memcmp(mem.data() + 0x800, rec, 16), 0);
    ASSERT_TRUE(main.send_bytes(region_read_msg(7, 0, 0x14, 4))); // TAIL
    r = main.recv_message(kWait);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->payload_len(), 20u);
    EXPECT_EQ(r->payload()[16], 1);
}
