// The four DMA modes (server-models/README.md, "DMA modes"): what a client
// command crossing a synchronous DMA gets in QUEUE mode, the queue's limit
// and its peak line, what a DEVICE_RESET or DMA_UNMAP sent while a DMA is
// unanswered does in each mode (the device's interrupt callback, the
// transfer's result), and that LEGACY and TWIN keep their recorded
// behaviour. Messages are written by hand from the protocol tables; every
// wait has a timeout.
#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <csignal>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "inproc_device.hpp"
#include "raw_client.hpp"
#include "server_process.hpp"

using namespace rcsim::test;

namespace {

constexpr int kWait = 3000;

std::string model(const char *name) {
    return server_models_dir() + "/" + name;
}

std::vector<uint8_t> le64(uint64_t v) {
    std::vector<uint8_t> b(8);
    memcpy(b.data(), &v, 8);
    return b;
}

std::vector<uint8_t> reset_msg(uint16_t id) {
    return make_msg(id, VU_CMD_DEVICE_RESET, nullptr, 0);
}

std::vector<uint8_t> unmap_msg(uint16_t id, uint64_t addr, uint64_t size) {
    vu_dma_unmap um{sizeof(vu_dma_unmap), 0, addr, size};
    return make_msg(id, VU_CMD_DMA_UNMAP, &um, sizeof(um));
}

// The client's answer to a DMA_READ command: the access echoed, then the
// bytes, here byte = (address + 0x5a) & 0xff.
std::vector<uint8_t> dma_read_reply(const RawMessage &cmd) {
    vu_dma_access a;
    memcpy(&a, cmd.payload(), sizeof(a));
    std::vector<uint8_t> p(sizeof(a) + a.count);
    memcpy(p.data(), &a, sizeof(a));
    for (uint64_t k = 0; k < a.count; k++)
        p[sizeof(a) + k] = uint8_t(a.addr + k + 0x5a);
    return make_msg(cmd.hdr().msg_id, VU_CMD_DMA_READ, p.data(), p.size(), VU_F_TYPE_REPLY);
}

struct Conn {
    RawSocket main, twin;
    std::string version_json;

    bool open(const std::string &path, bool want_twin, uint32_t max_xfer) {
        return open_session(path, want_twin, max_xfer, &main, &twin, &version_json);
    }

    RawMessage call(const std::vector<uint8_t> &msg) {
        EXPECT_TRUE(main.send_bytes(msg));
        auto r = main.recv_message(kWait);
        EXPECT_TRUE(r.has_value()) << "no reply to cmd " << int(msg[2]);
        return r.value_or(RawMessage{std::vector<uint8_t>(16, 0), {}});
    }
    uint32_t err_of(const std::vector<uint8_t> &msg) {
        auto r = call(msg);
        return r.hdr().flags & VU_F_ERROR ? r.hdr().error_no : 0;
    }
    std::vector<uint8_t> read(uint16_t id, uint32_t region, uint64_t off, uint32_t count) {
        auto r = call(region_read_msg(id, region, off, count));
        if (r.hdr().flags & VU_F_ERROR || r.payload_len() < 16)
            return {};
        return std::vector<uint8_t>(r.payload() + 16, r.payload() + r.payload_len());
    }
    uint64_t read64(uint16_t id, uint32_t region, uint64_t off) {
        auto d = read(id, region, off, 8);
        uint64_t v = ~0ull;
        if (d.size() == 8)
            memcpy(&v, d.data(), 8);
        return v;
    }
};

// Expects the next message on s to be the plain reply to command id.
void expect_reply(RawSocket &s, uint16_t id, uint16_t cmd, const char *what) {
    auto r = s.recv_message(kWait);
    ASSERT_TRUE(r) << what << ": no reply";
    EXPECT_EQ(r->hdr().msg_id, id) << what;
    EXPECT_EQ(r->hdr().cmd, cmd) << what;
    EXPECT_EQ(r->hdr().flags, VU_F_TYPE_REPLY) << what << " error " << r->hdr().error_no;
}

bool wait_for(const std::atomic<int> &v, int want, int timeout_ms = kWait) {
    for (int waited = 0; waited < timeout_ms && v.load() < want; waited += 5)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return v.load() >= want;
}

// Every "vus: DMA queue peak: N bytes (limit L)" line of the server's log.
std::vector<std::string> peak_lines(const ServerProcess &s) {
    std::vector<std::string> out;
    std::string log = s.log_text();
    const std::string key = "vus: DMA queue peak: ";
    for (size_t at = log.find(key); at != std::string::npos; at = log.find(key, at + 1)) {
        if (at > 0 && log[at - 1] != '\n')
            continue;
        out.push_back(log.substr(at, log.find('\n', at) - at));
    }
    return out;
}

// The peak line is read from the server's log, which
// RCSIM_SERVER_LOG_TO_STDERR sends to the terminal instead (then only the
// peak checks are left out).
bool log_captured() {
    return getenv("RCSIM_SERVER_LOG_TO_STDERR") == nullptr;
}

std::vector<std::string> wait_peak_lines(const ServerProcess &s, size_t n) {
    for (int i = 0; i < 400 && peak_lines(s).size() < n; i++)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return peak_lines(s);
}

// dmaprobe (BAR0: 0x00 address, 0x08 length, 0x10 doorbell, 0x18 status,
// 0x100 scratch): map 64 KiB at 0x10000000 without an fd, point the probe at
// 0x10000100 for len bytes.
void setup_probe(Conn &c, uint64_t len) {
    ASSERT_EQ(c.err_of(dma_map_msg(2, 0x10000000, 0x10000, 3)), 0u);
    ASSERT_EQ(c.err_of(region_write_msg(3, 0, 0x00, le64(0x10000100))), 0u);
    ASSERT_EQ(c.err_of(region_write_msg(4, 0, 0x08, le64(len))), 0u);
}

// Rings the probe's DMA_READ doorbell (id 5) and returns the DMA command.
RawMessage ring_read(Conn &c, uint64_t addr, uint32_t count) {
    EXPECT_TRUE(c.main.send_bytes(region_write_msg(5, 0, 0x10, le64(1))));
    auto dma = c.main.recv_message(kWait);
    EXPECT_TRUE(dma);
    if (!dma)
        return RawMessage{std::vector<uint8_t>(32, 0), {}};
    EXPECT_EQ(dma->hdr().cmd, VU_CMD_DMA_READ);
    EXPECT_EQ(dma->hdr().flags, VU_F_TYPE_COMMAND);
    vu_dma_access a{};
    memcpy(&a, dma->payload(), sizeof(a));
    EXPECT_EQ(a.addr, addr);
    EXPECT_EQ(a.count, count);
    return *dma;
}

// Runs a model to its exit (it must not start serving); -1 if it is still
// running after 5 s (then it is killed) or did not exit normally.
int exit_code(std::vector<std::string> argv) {
    std::vector<char *> cargv;
    for (auto &a : argv)
        cargv.push_back(a.data());
    cargv.push_back(nullptr);
    pid_t pid = fork();
    if (pid == 0) {
        FILE *f = freopen("/dev/null", "w", stderr);
        (void)f;
        execv(cargv[0], cargv.data());
        _exit(127);
    }
    for (int i = 0; i < 500; i++) {
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return -1;
}

} // namespace

// The command line: dmaprobe's DMA is synchronous code, so it refuses async
// (exit 2, before listening); gpio and regs do no DMA and accept every mode;
// a bad mode or limit is a usage error (2); dmacopy --dma-after-reply needs
// the twin mode.
TEST(DmaModeCli, ModesAndLimitsAreCheckedBeforeServing) {
    const std::string sock = "/tmp/rcsim-dma-mode-cli-never.sock";
    EXPECT_EQ(exit_code({model("dmaprobe"), "--socket", sock, "--dma-mode", "async"}), 2);
    EXPECT_EQ(exit_code({model("dmacopy"), "--socket", sock, "--dma-mode", "sync"}), 2);
    EXPECT_EQ(exit_code({model("dmacopy"), "--socket", sock, "--dma-queue-limit", "0"}), 2);
    EXPECT_EQ(exit_code({model("dmacopy"), "--socket", sock, "--dma-queue-limit", "-5"}), 2);
    EXPECT_EQ(
        exit_code({model("dmacopy"), "--socket", sock, "--dma-after-reply", "--dma-mode", "queue"}),
        2);
    EXPECT_EQ(exit_code({model("dmacopy"), "--help"}), 0);
    for (const char *m : {"gpio", "regs", "dmacopy"}) {
        ServerProcess s({model(m), "--dma-mode", "async"});
        EXPECT_TRUE(s.ready()) << m << ": " << s.error();
    }
    ServerProcess q({model("dmaprobe"), "--dma-mode", "queue", "--dma-queue-limit", "4096"});
    EXPECT_TRUE(q.ready()) << q.error();
}

// QUEUE mode refuses the twin socket: the VERSION reply carries no fd and no
// twin_socket, so the DMA goes on the main socket.
TEST(DmaModeQueue, RefusesTheTwinSocket) {
    ServerProcess s({model("dmaprobe"), "--dma-mode", "queue"});
    ASSERT_TRUE(s.ready()) << s.error();
    Conn c;
    ASSERT_TRUE(c.open(s.socket_path(), true, 4096));
    EXPECT_LT(c.twin.fd(), 0);
    EXPECT_EQ(c.version_json.find("twin_socket"), std::string::npos) << c.version_json;
}

// A REGION_WRITE and a REGION_READ cross the probe's DMA_READ: both are held
// (nothing answered while the DMA is out), then answered after the doorbell,
// in order, the read seeing the write. The peak line counts their bytes:
// REGION_WRITE of 8 bytes = header 16 + region_access 16 + 8 = 40,
// REGION_READ = 16 + 16 = 32: 72. A second connection holding one more
// REGION_WRITE of 8 bytes peaks at 112; one line per disconnect.
TEST(DmaModeQueue, HoldsCrossingCommandsAndServesThemInOrder) {
    ServerProcess s({model("dmaprobe"), "--dma-mode", "queue"});
    ASSERT_TRUE(s.ready()) << s.error();
    const std::vector<uint8_t> val = {0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18};
    {
        Conn c;
        ASSERT_TRUE(c.open(s.socket_path(), false, 4096));
        setup_probe(c, 64);
        RawMessage dma = ring_read(c, 0x10000100, 64);
        ASSERT_TRUE(c.main.send_bytes(region_write_msg(6, 0, 0x200, val)));
        ASSERT_TRUE(c.main.send_bytes(region_read_msg(7, 0, 0x200, 8)));
        EXPECT_TRUE(c.main.no_message_for(300)) << "a crossing command was answered during the DMA";
        ASSERT_TRUE(c.main.send_bytes(dma_read_reply(dma)));
        expect_reply(c.main, 5, VU_CMD_REGION_WRITE, "doorbell");
        auto w = c.main.recv_message(kWait);
        ASSERT_TRUE(w);
        EXPECT_EQ(w->hdr().msg_id, 6);
        EXPECT_EQ(w->hdr().flags, VU_F_TYPE_REPLY);
        const std::vector<uint8_t> echo = {0x00, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0};
        EXPECT_EQ(std::vector<uint8_t>(w->payload(), w->payload() + w->payload_len()), echo);
        auto r = c.main.recv_message(kWait);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->hdr().msg_id, 7);
        EXPECT_EQ(r->hdr().flags, VU_F_TYPE_REPLY);
        ASSERT_EQ(r->payload_len(), 24u);
        EXPECT_EQ(std::vector<uint8_t>(r->payload() + 16, r->payload() + 24), val);
        EXPECT_EQ(c.read64(8, 0, 0x18), 0u); // status of the doorbell
        auto data = c.read(9, 0, 0x100, 64);
        ASSERT_EQ(data.size(), 64u);
        for (unsigned k = 0; k < 64; k++)
            EXPECT_EQ(data[k], uint8_t(0x10000100 + k + 0x5a)) << k;
        if (log_captured()) {
            EXPECT_TRUE(peak_lines(s).empty()) << "peak line before the disconnect";
        }
    }
    if (log_captured()) {
        auto lines = wait_peak_lines(s, 1);
        ASSERT_EQ(lines.size(), 1u) << s.log_text();
        EXPECT_EQ(lines[0], "vus: DMA queue peak: 72 bytes (limit 65536)");
    }
    {
        Conn c;
        ASSERT_TRUE(c.open(s.socket_path(), false, 4096));
        setup_probe(c, 64);
        RawMessage dma = ring_read(c, 0x10000100, 64);
        ASSERT_TRUE(c.main.send_bytes(region_write_msg(6, 0, 0x200, val)));
        ASSERT_TRUE(c.main.send_bytes(region_write_msg(7, 0, 0x208, val)));
        ASSERT_TRUE(c.main.send_bytes(region_read_msg(8, 0, 0x200, 16)));
        EXPECT_TRUE(c.main.no_message_for(200));
        ASSERT_TRUE(c.main.send_bytes(dma_read_reply(dma)));
        expect_reply(c.main, 5, VU_CMD_REGION_WRITE, "doorbell");
        expect_reply(c.main, 6, VU_CMD_REGION_WRITE, "first write");
        expect_reply(c.main, 7, VU_CMD_REGION_WRITE, "second write");
        expect_reply(c.main, 8, VU_CMD_REGION_READ, "read");
    }
    if (!log_captured())
        return;
    auto lines = wait_peak_lines(s, 2);
    ASSERT_EQ(lines.size(), 2u) << s.log_text();
    EXPECT_EQ(lines[1], "vus: DMA queue peak: 112 bytes (limit 65536)");
    s.stop(); // no client at exit: no further line
    EXPECT_EQ(peak_lines(s).size(), 2u) << s.log_text();
}

// Over the limit (80 bytes here): the command that does not fit is answered
// at once with ENOBUFS and never run; the DMA keeps waiting; what was held is
// served afterwards. Held: REGION_WRITE 40 + REGION_READ 32 = 72; the next
// REGION_WRITE (40) would make 112 > 80.
TEST(DmaModeQueue, OverTheLimitIsRefusedWithEnobufsAndNotRun) {
    ServerProcess s({model("dmaprobe"), "--dma-mode", "queue", "--dma-queue-limit", "80"});
    ASSERT_TRUE(s.ready()) << s.error();
    {
        Conn c;
        ASSERT_TRUE(c.open(s.socket_path(), false, 4096));
        setup_probe(c, 64);
        RawMessage dma = ring_read(c, 0x10000100, 64);
        ASSERT_TRUE(c.main.send_bytes(region_write_msg(6, 0, 0x200, le64(0x1122334455667788))));
        ASSERT_TRUE(c.main.send_bytes(region_read_msg(7, 0, 0x200, 8)));
        ASSERT_TRUE(c.main.send_bytes(region_write_msg(8, 0, 0x300, le64(0xdeadbeef))));
        auto refused = c.main.recv_message(kWait);
        ASSERT_TRUE(refused);
        EXPECT_EQ(refused->hdr().msg_id, 8);
        EXPECT_EQ(refused->hdr().cmd, VU_CMD_REGION_WRITE);
        EXPECT_EQ(refused->hdr().flags, VU_F_TYPE_REPLY | VU_F_ERROR);
        EXPECT_EQ(refused->hdr().error_no, uint32_t(ENOBUFS));
        EXPECT_EQ(refused->bytes.size(), 16u);
        EXPECT_TRUE(c.main.no_message_for(200));
        ASSERT_TRUE(c.main.send_bytes(dma_read_reply(dma)));
        expect_reply(c.main, 5, VU_CMD_REGION_WRITE, "doorbell");
        expect_reply(c.main, 6, VU_CMD_REGION_WRITE, "held write");
        auto r = c.main.recv_message(kWait);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->hdr().msg_id, 7);
        ASSERT_EQ(r->payload_len(), 24u);
        EXPECT_EQ(std::vector<uint8_t>(r->payload() + 16, r->payload() + 24),
                  le64(0x1122334455667788));
        EXPECT_EQ(c.read64(9, 0, 0x300), 0u) << "the refused write was run";
        EXPECT_EQ(c.read64(10, 0, 0x18), 0u);
    }
    if (!log_captured())
        return;
    auto lines = wait_peak_lines(s, 1);
    ASSERT_EQ(lines.size(), 1u) << s.log_text();
    EXPECT_EQ(lines[0], "vus: DMA queue peak: 72 bytes (limit 80)");
}

// A header that fails the checks (here a reply-typed one with an id that is
// not the chunk's) is held as its 16 bytes and answered EINVAL in its turn;
// a client's error reply to the chunk itself ends the DMA with its errno
// (EFAULT = 14). Held: REGION_READ 32 + bad header 16 + REGION_READ 32 = 80.
TEST(DmaModeQueue, BadHeaderIsAnsweredInItsTurnAndAnErrorReplyEndsTheDma) {
    ServerProcess s({model("dmaprobe"), "--dma-mode", "queue"});
    ASSERT_TRUE(s.ready()) << s.error();
    {
        Conn c;
        ASSERT_TRUE(c.open(s.socket_path(), false, 4096));
        setup_probe(c, 64);
        RawMessage dma = ring_read(c, 0x10000100, 64);
        ASSERT_TRUE(c.main.send_bytes(region_read_msg(6, 0, 0x18, 8)));
        ASSERT_TRUE(c.main.send_bytes(make_msg(uint16_t(dma.hdr().msg_id + 1), VU_CMD_DMA_READ,
                                               nullptr, 0, VU_F_TYPE_REPLY)));
        ASSERT_TRUE(c.main.send_bytes(region_read_msg(8, 0, 0x08, 8)));
        EXPECT_TRUE(c.main.no_message_for(200));
        vu_hdr err{dma.hdr().msg_id, VU_CMD_DMA_READ, 16, VU_F_TYPE_REPLY | VU_F_ERROR, 14};
        const auto *e = reinterpret_cast<const uint8_t *>(&err);
        ASSERT_TRUE(c.main.send_bytes(std::vector<uint8_t>(e, e + sizeof(err))));
        expect_reply(c.main, 5, VU_CMD_REGION_WRITE, "doorbell");
        auto st = c.main.recv_message(kWait);
        ASSERT_TRUE(st);
        EXPECT_EQ(st->hdr().msg_id, 6);
        ASSERT_EQ(st->payload_len(), 24u);
        EXPECT_EQ(std::vector<uint8_t>(st->payload() + 16, st->payload() + 24), le64(14))
            << "the status read after the DMA ended with the client's EFAULT";
        auto bad = c.main.recv_message(kWait);
        ASSERT_TRUE(bad);
        EXPECT_EQ(bad->hdr().msg_id, uint16_t(dma.hdr().msg_id + 1));
        EXPECT_EQ(bad->hdr().flags, VU_F_TYPE_REPLY | VU_F_ERROR);
        EXPECT_EQ(bad->hdr().error_no, uint32_t(EINVAL));
        auto len = c.main.recv_message(kWait);
        ASSERT_TRUE(len);
        EXPECT_EQ(len->hdr().msg_id, 8);
        ASSERT_EQ(len->payload_len(), 24u);
        EXPECT_EQ(std::vector<uint8_t>(len->payload() + 16, len->payload() + 24), le64(64));
    }
    if (!log_captured())
        return;
    auto lines = wait_peak_lines(s, 1);
    ASSERT_EQ(lines.size(), 1u) << s.log_text();
    EXPECT_EQ(lines[0], "vus: DMA queue peak: 80 bytes (limit 65536)");
}

// ---- DEVICE_RESET / DMA_UNMAP while a DMA is unanswered, per mode --------
// The in-process device: writing a length to BAR0 0x100 DMA_READs
// [0x110, +len) synchronously; 0x108 submits the same asynchronously; 0x118
// reads the result (0 or errno).

namespace {

struct DevConn {
    InprocDevice dev;
    Conn c;
    DevConn(vus_dma_mode mode, bool want_twin, uint32_t max_xfer) : dev(mode, 0) {
        if (!dev.ok()) {
            ADD_FAILURE() << "device did not start";
            return;
        }
        if (!c.open(dev.socket_path(), want_twin, max_xfer))
            return;
        EXPECT_EQ(c.err_of(dma_map_msg(2, 0x40000, 0x10000, 3)), 0u);
        EXPECT_EQ(c.err_of(dma_map_msg(3, 0x80000, 0x1000, 3)), 0u);
        EXPECT_EQ(c.err_of(region_write_msg(4, 0, 0x110, le64(0x40000))), 0u);
    }
};

RawMessage next_dma(RawSocket &s, uint32_t count) {
    auto m = s.recv_message(kWait);
    EXPECT_TRUE(m);
    if (!m)
        return RawMessage{std::vector<uint8_t>(32, 0), {}};
    EXPECT_EQ(m->hdr().cmd, VU_CMD_DMA_READ);
    vu_dma_access a{};
    memcpy(&a, m->payload(), sizeof(a));
    EXPECT_EQ(a.count, count);
    return *m;
}

} // namespace

// QUEUE: the callback runs as soon as the DEVICE_RESET is read (before the
// DMA reply); the chunk in flight is answered, the other two of 2500 bytes
// in 1000-byte chunks are never sent, the transfer ends ECANCELED; then the
// doorbell is answered and the held reset served.
TEST(DmaModeInterrupt, QueueResetCallsBackAtOnceAndCancelsTheRest) {
    DevConn d(VUS_DMA_MODE_QUEUE, false, 1000);
    ASSERT_TRUE(d.c.main.send_bytes(region_write_msg(5, 0, 0x100, le64(2500))));
    RawMessage chunk = next_dma(d.c.main, 1000);
    ASSERT_TRUE(d.c.main.send_bytes(reset_msg(6)));
    EXPECT_TRUE(wait_for(d.dev.intr_resets, 1)) << "no callback before the DMA reply";
    EXPECT_EQ(d.dev.resets.load(), 0) << "reset served during the DMA";
    EXPECT_TRUE(d.c.main.no_message_for(100));
    ASSERT_TRUE(d.c.main.send_bytes(dma_read_reply(chunk)));
    expect_reply(d.c.main, 5, VU_CMD_REGION_WRITE, "doorbell (no further chunk)");
    expect_reply(d.c.main, 6, VU_CMD_DEVICE_RESET, "held reset");
    EXPECT_EQ(d.dev.resets.load(), 1);
    EXPECT_EQ(d.dev.intr_resets.load(), 1);
    EXPECT_EQ(d.dev.intr_unmaps.load(), 0);
    EXPECT_EQ(d.c.read64(7, 0, 0x118), uint64_t(ECANCELED));
}

// QUEUE: an unmap of the range in use cancels; one of another map does not.
TEST(DmaModeInterrupt, QueueUnmapCancelsOnlyWhenItTouchesTheTransfer) {
    DevConn d(VUS_DMA_MODE_QUEUE, false, 1000);
    ASSERT_TRUE(d.c.main.send_bytes(region_write_msg(5, 0, 0x100, le64(2500))));
    RawMessage chunk = next_dma(d.c.main, 1000);
    ASSERT_TRUE(d.c.main.send_bytes(unmap_msg(6, 0x80000, 0x1000))); // elsewhere
    ASSERT_TRUE(d.c.main.send_bytes(dma_read_reply(chunk)));
    chunk = next_dma(d.c.main, 1000);
    EXPECT_EQ(d.dev.intr_unmaps.load(), 0);
    ASSERT_TRUE(d.c.main.send_bytes(unmap_msg(7, 0x40000, 0x10000))); // the one in use
    EXPECT_TRUE(wait_for(d.dev.intr_unmaps, 1));
    ASSERT_TRUE(d.c.main.send_bytes(dma_read_reply(chunk)));
    expect_reply(d.c.main, 5, VU_CMD_REGION_WRITE, "doorbell (no third chunk)");
    expect_reply(d.c.main, 6, VU_CMD_DMA_UNMAP, "held unmap elsewhere");
    expect_reply(d.c.main, 7, VU_CMD_DMA_UNMAP, "held unmap in use");
    EXPECT_EQ(d.c.read64(8, 0, 0x118), uint64_t(ECANCELED));
    EXPECT_EQ(d.dev.intr_resets.load(), 0);
}

// ASYNC: the reset is served at once; first the callback, then the transfer
// completes ECANCELED; the late reply to the cancelled chunk is dropped by id
// (no EINVAL for it) and the connection goes on.
TEST(DmaModeInterrupt, AsyncResetCancelsAndTheLateReplyIsDropped) {
    DevConn d(VUS_DMA_MODE_ASYNC, true, 512);
    ASSERT_LT(d.c.twin.fd(), 0);
    ASSERT_TRUE(d.c.main.send_bytes(region_write_msg(5, 0, 0x108, le64(1200))));
    RawMessage chunk;
    bool got_reply = false, got_dma = false;
    for (int i = 0; i < 2; i++) {
        auto m = d.c.main.recv_message(kWait);
        ASSERT_TRUE(m);
        if (m->hdr().cmd == VU_CMD_DMA_READ) {
            chunk = *m;
            got_dma = true;
        } else {
            EXPECT_EQ(m->hdr().msg_id, 5);
            EXPECT_EQ(m->hdr().flags, VU_F_TYPE_REPLY);
            got_reply = true;
        }
    }
    ASSERT_TRUE(got_reply && got_dma);
    ASSERT_TRUE(d.c.main.send_bytes(reset_msg(6)));
    expect_reply(d.c.main, 6, VU_CMD_DEVICE_RESET, "reset served at once");
    EXPECT_EQ(d.dev.intr_resets.load(), 1);
    EXPECT_EQ(d.dev.async_done.load(), 1);
    EXPECT_EQ(d.dev.last_result, ECANCELED);
    EXPECT_EQ(d.dev.resets.load(), 1);
    ASSERT_TRUE(d.c.main.send_bytes(dma_read_reply(chunk))); // late
    EXPECT_EQ(d.c.read64(7, 0, 0x118), uint64_t(ECANCELED)) << "late reply not dropped";
    EXPECT_TRUE(d.c.main.no_message_for(200)) << "a chunk after the cancel";
}

// ASYNC: an unmap elsewhere neither calls back nor cancels.
TEST(DmaModeInterrupt, AsyncUnmapElsewhereLeavesTheTransfer) {
    DevConn d(VUS_DMA_MODE_ASYNC, false, 512);
    ASSERT_TRUE(d.c.main.send_bytes(region_write_msg(5, 0, 0x108, le64(600))));
    RawMessage chunk = next_dma(d.c.main, 512);
    expect_reply(d.c.main, 5, VU_CMD_REGION_WRITE, "doorbell");
    ASSERT_TRUE(d.c.main.send_bytes(unmap_msg(6, 0x80000, 0x1000)));
    expect_reply(d.c.main, 6, VU_CMD_DMA_UNMAP, "unmap");
    ASSERT_TRUE(d.c.main.send_bytes(dma_read_reply(chunk)));
    chunk = next_dma(d.c.main, 88);
    ASSERT_TRUE(d.c.main.send_bytes(dma_read_reply(chunk)));
    ASSERT_TRUE(wait_for(d.dev.async_done, 1));
    EXPECT_EQ(d.dev.last_result, 0);
    EXPECT_EQ(d.dev.intr_unmaps.load(), 0);
    EXPECT_EQ(d.c.read(7, 0, 0x200 + 599, 1), std::vector<uint8_t>{uint8_t(0x40000 + 599 + 0x5a)});
}

// ASYNC refuses synchronous DMA by messages: the device must submit.
TEST(DmaModeInterrupt, AsyncRefusesSynchronousDma) {
    DevConn d(VUS_DMA_MODE_ASYNC, false, 512);
    ASSERT_EQ(d.c.err_of(region_write_msg(5, 0, 0x100, le64(64))), 0u);
    EXPECT_EQ(d.c.read64(6, 0, 0x118), uint64_t(EOPNOTSUPP));
    EXPECT_TRUE(d.c.main.no_message_for(100));
}

// LEGACY, as recorded: the reset is read as the DMA reply (wrong id: EPROTO),
// no callback, the reset itself is swallowed and never answered.
TEST(DmaModeInterrupt, LegacyMisreadsTheResetAsTheReply) {
    DevConn d(VUS_DMA_MODE_LEGACY, true, 4096);
    ASSERT_LT(d.c.twin.fd(), 0);
    ASSERT_TRUE(d.c.main.send_bytes(region_write_msg(5, 0, 0x100, le64(64))));
    next_dma(d.c.main, 64);
    ASSERT_TRUE(d.c.main.send_bytes(reset_msg(6)));
    expect_reply(d.c.main, 5, VU_CMD_REGION_WRITE, "doorbell");
    EXPECT_TRUE(d.c.main.no_message_for(200)) << "the swallowed reset was answered";
    EXPECT_EQ(d.c.read64(7, 0, 0x118), uint64_t(EPROTO));
    EXPECT_EQ(d.dev.resets.load(), 0);
    EXPECT_EQ(d.dev.intr_resets.load(), 0);
}

// TWIN: the loop waits on the twin socket only; the reset is read after the
// DMA reply, served then, and the DMA succeeds; no callback.
TEST(DmaModeInterrupt, TwinSeesTheResetOnlyAfterTheReply) {
    DevConn d(VUS_DMA_MODE_TWIN, true, 4096);
    ASSERT_GE(d.c.twin.fd(), 0);
    ASSERT_TRUE(d.c.main.send_bytes(region_write_msg(5, 0, 0x100, le64(64))));
    RawMessage chunk = next_dma(d.c.twin, 64);
    ASSERT_TRUE(d.c.main.send_bytes(reset_msg(6)));
    EXPECT_TRUE(d.c.main.no_message_for(300));
    EXPECT_EQ(d.dev.resets.load(), 0);
    ASSERT_TRUE(d.c.twin.send_bytes(dma_read_reply(chunk)));
    expect_reply(d.c.main, 5, VU_CMD_REGION_WRITE, "doorbell");
    expect_reply(d.c.main, 6, VU_CMD_DEVICE_RESET, "reset after the DMA");
    EXPECT_EQ(d.dev.resets.load(), 1);
    EXPECT_EQ(d.dev.intr_resets.load(), 0);
    EXPECT_EQ(d.c.read64(7, 0, 0x118), 0u);
}

// ---- dmacopy in ASYNC and QUEUE mode over a raw socket -------------------
// Register map and descriptor layout: server-models/README.md, "dmacopy".

namespace {

constexpr uint64_t kIova = 0x80000000ull;
constexpr size_t kMem = 0x10000;
constexpr uint32_t kEcanceled = 125; // Linux errno ECANCELED

struct CopyDesc {
    uint64_t src, dst;
    uint32_t len, flags;
    uint64_t completion;
};
struct CopyRecord {
    uint32_t status, length;
    uint64_t seq;
};
static_assert(sizeof(CopyDesc) == 32 && sizeof(CopyRecord) == 16, "dmacopy README layouts");

std::vector<uint8_t> le32(uint32_t v) {
    std::vector<uint8_t> b(4);
    memcpy(b.data(), &v, 4);
    return b;
}

uint32_t read32(Conn &c, uint16_t id, uint64_t off) {
    auto d = c.read(id, 0, off, 4);
    uint32_t v = ~0u;
    if (d.size() == 4)
        memcpy(&v, d.data(), 4);
    return v;
}

// Answers one DMA command from mem (IOVA kIova); false if m is not one.
bool answer_dma(RawSocket &s, const RawMessage &m, std::vector<uint8_t> &mem) {
    vu_hdr h = m.hdr();
    if (h.cmd != VU_CMD_DMA_READ && h.cmd != VU_CMD_DMA_WRITE)
        return false;
    vu_dma_access a;
    memcpy(&a, m.payload(), sizeof(a));
    if (a.addr < kIova || a.addr - kIova + a.count > mem.size())
        return false;
    uint8_t *at = mem.data() + (a.addr - kIova);
    std::vector<uint8_t> p(sizeof(a));
    memcpy(p.data(), &a, sizeof(a));
    if (h.cmd == VU_CMD_DMA_READ) {
        p.insert(p.end(), at, at + a.count);
    } else {
        if (m.payload_len() != sizeof(a) + a.count)
            return false;
        memcpy(at, m.payload() + sizeof(a), a.count);
    }
    return s.send_bytes(make_msg(h.msg_id, h.cmd, p.data(), p.size(), VU_F_TYPE_REPLY));
}

// Serves DMA commands until none comes for quiet_ms; returns how many.
int serve_dma_until_quiet(RawSocket &s, std::vector<uint8_t> &mem, int quiet_ms = 300) {
    int n = 0;
    while (!s.no_message_for(quiet_ms)) {
        auto m = s.recv_message(kWait);
        if (!m || !answer_dma(s, *m, mem)) {
            ADD_FAILURE() << "not a DMA command: " << (m ? hex(m->bytes) : "none");
            return n;
        }
        n++;
    }
    return n;
}

// Maps mem, lays out a ring of two descriptors at kIova (records at +0x100),
// programs the ring (4 slots, no interrupt; RING_SIZE resets HEAD and TAIL),
// clears an error a previous client left, and returns the descriptors.
std::vector<CopyDesc> setup_copy(Conn &c, std::vector<uint8_t> &mem) {
    std::vector<CopyDesc> ds = {
        {kIova + 0x1000, kIova + 0x3000, 5000, 0, kIova + 0x100},
        {kIova + 0x5000, kIova + 0x6000, 100, 1, kIova + 0x110},
    };
    for (size_t i = 0; i < 0x2000; i++)
        mem[0x1000 + i] = uint8_t(i * 7 + 3);
    for (size_t i = 0; i < 100; i++)
        mem[0x5000 + i] = uint8_t(0xc0 ^ i);
    memcpy(mem.data(), ds.data(), sizeof(CopyDesc) * ds.size());
    EXPECT_EQ(c.err_of(dma_map_msg(2, kIova, kMem, 3)), 0u);
    EXPECT_EQ(c.err_of(region_write_msg(3, 0, 0x00, le32(uint32_t(kIova)))), 0u);
    EXPECT_EQ(c.err_of(region_write_msg(4, 0, 0x04, le32(uint32_t(kIova >> 32)))), 0u);
    EXPECT_EQ(c.err_of(region_write_msg(5, 0, 0x08, le32(4))), 0u);
    EXPECT_EQ(c.err_of(region_write_msg(6, 0, 0x1c, le32(0))), 0u);   // INT_CTRL none
    EXPECT_EQ(c.err_of(region_write_msg(7, 0, 0x18, le32(0x6))), 0u); // W1C a previous error
    return ds;
}

// Rings HEAD = 2 (id 10). In ASYNC mode the reply and the descriptor fetch
// both arrive without any DMA answered; returns the fetch.
RawMessage ring_async(Conn &c) {
    EXPECT_TRUE(c.main.send_bytes(region_write_msg(10, 0, 0x10, le32(2))));
    RawMessage fetch;
    bool replied = false, fetched = false;
    for (int i = 0; i < 2; i++) {
        auto m = c.main.recv_message(kWait);
        EXPECT_TRUE(m) << "doorbell reply or descriptor fetch missing";
        if (!m)
            break;
        if (m->hdr().cmd == VU_CMD_DMA_READ) {
            vu_dma_access a;
            memcpy(&a, m->payload(), sizeof(a));
            EXPECT_EQ(a.addr, kIova);
            EXPECT_EQ(a.count, 32u);
            fetch = *m;
            fetched = true;
        } else {
            EXPECT_EQ(m->hdr().msg_id, 10);
            EXPECT_EQ(m->hdr().flags, VU_F_TYPE_REPLY);
            replied = true;
        }
    }
    EXPECT_TRUE(replied && fetched);
    return fetch;
}

} // namespace

// The doorbell is answered before any DMA is; STATUS is answered while the
// descriptor fetch is outstanding, with BUSY set; then the copy completes.
TEST(DmaModeAsyncDmacopy, DoorbellAndStatusAnsweredWhileDmaIsOutstanding) {
    ServerProcess s({model("dmacopy"), "--dma-mode", "async"});
    ASSERT_TRUE(s.ready()) << s.error();
    Conn c;
    ASSERT_TRUE(c.open(s.socket_path(), true, 4096));
    ASSERT_LT(c.twin.fd(), 0);
    std::vector<uint8_t> mem(kMem);
    auto ds = setup_copy(c, mem);
    RawMessage fetch = ring_async(c);
    EXPECT_EQ(read32(c, 11, 0x18) & 0x3, 0x1u); // STATUS: BUSY, no ERROR
    EXPECT_EQ(read32(c, 12, 0x14), 0u);         // TAIL still 0
    ASSERT_TRUE(answer_dma(c.main, fetch, mem));
    // 5000 bytes in 4096 + 904 read and written, a record, the second
    // descriptor: fetch, 100 read, 100 written, record.
    EXPECT_EQ(serve_dma_until_quiet(c.main, mem), 4 + 1 + 4);
    EXPECT_EQ(read32(c, 13, 0x18), 0u); // not BUSY, no error
    EXPECT_EQ(read32(c, 14, 0x14), 2u); // TAIL
    EXPECT_EQ(read32(c, 15, 0x20), 2u); // COMPLETED
    EXPECT_EQ(read32(c, 16, 0x24), 1u); // INT_STATUS: the second asked for it
    EXPECT_EQ(memcmp(mem.data() + 0x1000, mem.data() + 0x3000, 5000), 0);
    EXPECT_EQ(memcmp(mem.data() + 0x5000, mem.data() + 0x6000, 100), 0);
    EXPECT_EQ(mem[0x3000 + 5000], 0) << "copied past the length";
    CopyRecord r0, r1;
    memcpy(&r0, mem.data() + 0x100, 16);
    memcpy(&r1, mem.data() + 0x110, 16);
    EXPECT_EQ(r0.status, 0u);
    EXPECT_EQ(r0.length, 5000u);
    EXPECT_EQ(r0.seq, 1u);
    EXPECT_EQ(r1.status, 0u);
    EXPECT_EQ(r1.length, 100u);
    EXPECT_EQ(r1.seq, 2u);
}

// ASYNC: a DMA_UNMAP of the ring's map during the fetch is served at once;
// dmacopy's callback stops the ring with ECANCELED (no record, TAIL stays);
// the late reply to the fetch is dropped by id and nothing else goes out.
TEST(DmaModeAsyncDmacopy, UnmapDuringFetchCancelsTheRing) {
    ServerProcess s({model("dmacopy"), "--dma-mode", "async"});
    ASSERT_TRUE(s.ready()) << s.error();
    Conn c;
    ASSERT_TRUE(c.open(s.socket_path(), false, 4096));
    std::vector<uint8_t> mem(kMem);
    setup_copy(c, mem);
    RawMessage fetch = ring_async(c);
    ASSERT_TRUE(c.main.send_bytes(unmap_msg(11, kIova, kMem)));
    expect_reply(c.main, 11, VU_CMD_DMA_UNMAP, "unmap served at once");
    EXPECT_EQ(read32(c, 12, 0x18), 0x2u | kEcanceled << 16); // ERROR, ECANCELED; not BUSY
    ASSERT_TRUE(answer_dma(c.main, fetch, mem));             // late
    EXPECT_EQ(read32(c, 13, 0x14), 0u);                      // TAIL stays
    EXPECT_EQ(read32(c, 14, 0x20), 0u);                      // COMPLETED
    EXPECT_TRUE(c.main.no_message_for(200)) << "DMA after the cancel";
    CopyRecord r0;
    memcpy(&r0, mem.data() + 0x100, 16);
    EXPECT_EQ(r0.status, 0u) << "a record was written";
    EXPECT_EQ(r0.seq, 0u);
}

// QUEUE: the same unmap is held; dmacopy is told at once, its fetch is
// answered, the ring stops (no further DMA), then the doorbell and the unmap
// are answered. A DEVICE_RESET instead stops it the same way and then
// clears the registers.
TEST(DmaModeQueueDmacopy, UnmapOrResetDuringFetchStopsTheRing) {
    ServerProcess s({model("dmacopy"), "--dma-mode", "queue"});
    ASSERT_TRUE(s.ready()) << s.error();
    for (bool reset : {false, true}) {
        SCOPED_TRACE(reset ? "DEVICE_RESET" : "DMA_UNMAP");
        Conn c;
        ASSERT_TRUE(c.open(s.socket_path(), false, 4096));
        std::vector<uint8_t> mem(kMem);
        setup_copy(c, mem);
        ASSERT_TRUE(c.main.send_bytes(region_write_msg(10, 0, 0x10, le32(2))));
        auto fetch = c.main.recv_message(kWait);
        ASSERT_TRUE(fetch);
        ASSERT_EQ(fetch->hdr().cmd, VU_CMD_DMA_READ);
        ASSERT_TRUE(c.main.send_bytes(reset ? reset_msg(11) : unmap_msg(11, kIova, kMem)));
        EXPECT_TRUE(c.main.no_message_for(100));
        ASSERT_TRUE(answer_dma(c.main, *fetch, mem));
        expect_reply(c.main, 10, VU_CMD_REGION_WRITE, "doorbell, no further DMA");
        expect_reply(c.main, 11, reset ? VU_CMD_DEVICE_RESET : VU_CMD_DMA_UNMAP, "held command");
        EXPECT_EQ(read32(c, 12, 0x18), reset ? 0u : 0x2u | kEcanceled << 16);
        EXPECT_EQ(read32(c, 13, 0x14), 0u); // TAIL
        EXPECT_EQ(read32(c, 14, 0x20), 0u); // COMPLETED
        CopyRecord r0;
        memcpy(&r0, mem.data() + 0x100, 16);
        EXPECT_EQ(r0.seq, 0u) << "a record was written";
    }
}
