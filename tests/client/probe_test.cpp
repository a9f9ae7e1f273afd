// vu-probe against a fake server on a UNIX socket that answers each request
// with the reply the gpio-pci-idio-16 recording holds for the same request
// bytes. Expected output values come from the transcript notes.
#include <gtest/gtest.h>

#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "fake_peer.hpp"
#include "transcript.hpp"
#include "vfio_user/proto.h"

using namespace rcsim::test;

namespace {

using Bytes = std::vector<uint8_t>;

Bytes without_id(const Bytes &b) {
    return Bytes(b.begin() + 2, b.end());
}

// What the fake server sends back for one request: the reply (its msg_id is
// patched to the request's) and whether a fresh socketpair end (a twin
// socket) or a memfd (a mappable region) rides with it.
struct Answer {
    Bytes reply;
    bool twin_fd = false;
    bool memfd = false;
};
using Handler = std::function<Answer(const WireMsg &)>;

// A UNIX-socket server for one client, answering through a handler.
class Responder {
  public:
    Responder(const std::string &path, Handler h) : path_(path), handler_(std::move(h)) {
        listen_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un sa{};
        sa.sun_family = AF_UNIX;
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path.c_str());
        EXPECT_EQ(bind(listen_, reinterpret_cast<sockaddr *>(&sa), sizeof(sa)), 0);
        EXPECT_EQ(::listen(listen_, 1), 0);
        th_ = std::thread([this] { serve(); });
    }
    ~Responder() {
        th_.join();
        close(listen_);
        unlink(path_.c_str());
    }

  private:
    void serve() {
        pollfd p{listen_, POLLIN, 0};
        if (poll(&p, 1, kPeerTimeoutMs) != 1)
            return;
        int fd = accept4(listen_, nullptr, nullptr, SOCK_CLOEXEC);
        int twin = -1;
        for (;;) {
            WireMsg m = recv_msg(fd);
            if (m.eof || m.timeout)
                break;
            m.close_fds();
            Answer a = handler_(m);
            a.reply[0] = m.bytes[0], a.reply[1] = m.bytes[1]; // echo the probe's msg_id
            int sp[2] = {-1, -1};
            if (a.twin_fd && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == 0) {
                send_msg(fd, a.reply, {sp[1]});
                close(sp[1]);
                twin = sp[0];
            } else if (a.memfd) {
                int mfd = memfd_create("bar", MFD_CLOEXEC);
                send_msg(fd, a.reply, {mfd});
                close(mfd);
            } else {
                send_msg(fd, a.reply);
            }
        }
        close(fd);
        if (twin >= 0)
            close(twin);
    }
    std::string path_;
    Handler handler_;
    int listen_ = -1;
    std::thread th_;
};

// Answers the gpio recording's replies to the same request bytes; a VERSION
// without twin_socket gets the dma_legacy recording's VERSION reply (a
// server that has no twin socket). Counts requests it had no answer for.
// A server answering each request with the reply a recording has for the
// same bytes (ids aside). gpio-pci-idio-16 has no migration: a DEVICE_FEATURE
// the recording lacks gets EINVAL, as libvfio-user answers a feature it does
// not have (server_info seq 49, 51), and is not counted as unmatched.
Handler recorded(const std::string &name, int *unmatched) {
    auto replies = std::make_shared<std::map<Bytes, std::pair<Bytes, unsigned>>>();
    auto t = load_transcript(name);
    for (size_t i = 0; i + 1 < t.size(); i++)
        if (!t[i].is_eof() && t[i].dir == Dir::ClientToServer && !t[i + 1].is_eof())
            (*replies)[without_id(t[i].bytes)] = {t[i + 1].bytes, t[i + 1].fds};
    Bytes legacy_version = load_transcript("dma_legacy")[1].bytes;
    return [=](const WireMsg &m) {
        auto it = replies->find(without_id(m.bytes));
        if (it != replies->end())
            return Answer{it->second.first, it->second.second == 1};
        if (m.cmd() == VU_CMD_VERSION)
            return Answer{legacy_version};
        if (m.cmd() != VU_CMD_DEVICE_FEATURE)
            (*unmatched)++;
        return Answer{error_reply(0, m.cmd(), EINVAL)};
    };
}

struct ProbeRun {
    int status = -1;
    std::string out;
};

// Runs vu-probe (bounded by timeout(1)) with stderr folded into stdout.
ProbeRun run_probe(const std::string &args) {
    std::string cmd = "timeout 20 " + std::string(VU_PROBE_PATH) + " " + args + " 2>&1";
    ProbeRun r;
    FILE *f = popen(cmd.c_str(), "r");
    if (!f)
        return r;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        r.out.append(buf, n);
    int st = pclose(f);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return r;
}

std::string temp_socket() {
    char dir[] = "/tmp/vu-probe-test-XXXXXX";
    EXPECT_NE(mkdtemp(dir), nullptr);
    return std::string(dir) + "/sock";
}

void expect_has(const std::string &out, const std::string &line) {
    EXPECT_NE(out.find(line), std::string::npos) << "missing: " << line << "\n--- output:\n" << out;
}

void remove_dir_of(const std::string &sock) {
    rmdir(sock.substr(0, sock.rfind('/')).c_str());
}

} // namespace

TEST(ClientProbe, PrintsTheGpioDevice) {
    std::string sock = temp_socket();
    ProbeRun r;
    int unmatched = 0;
    {
        Responder srv(sock, recorded("gpio", &unmatched));
        r = run_probe(sock);
    }
    remove_dir_of(sock);
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_EQ(unmatched, 0);
    expect_has(r.out, "twin socket yes");
    expect_has(r.out, "device: flags 0x3 RESET PCI regions 9 irqs 5");
    expect_has(r.out, "region 2 (BAR2): size 0x100 flags 0x3 R W\n");
    expect_has(r.out, "region 7 (CONFIG): size 0x100 flags 0x3 R W\n");
    expect_has(r.out, "region 0 (BAR0): size 0x0 flags 0x0\n");
    expect_has(r.out, "vendor 0x494f device 0x0dc8");
    expect_has(r.out, "BAR2 0x00000001 (I/O)");
    expect_has(r.out, "interrupt pin 1");
    expect_has(r.out, "capabilities: none");
    expect_has(r.out, "irq 0 (INTx): count 1");
    expect_has(r.out, "irq 1 (MSI): count 0");
    expect_has(r.out, "irq 2 (MSI-X): count 0");
    expect_has(r.out, "irq 3 (ERR): count 1");
    expect_has(r.out, "irq 4 (REQ): count 1");
    expect_has(r.out, "migration: not offered (Invalid argument)\n");
    expect_has(r.out, "dirty page logging: not offered (Invalid argument)\n");
}

// libvfio-user's server sample (server_info seq 34-47): migration flags 0x5
// (STOP_COPY | PRE_COPY), device state RUNNING, and the three logging
// features answered to their probes.
TEST(ClientProbe, PrintsTheServerSamplesMigrationAndLogging) {
    std::string sock = temp_socket();
    ProbeRun r;
    int unmatched = 0;
    {
        Responder srv(sock, recorded("server_info", &unmatched));
        r = run_probe(sock);
    }
    remove_dir_of(sock);
    expect_has(r.out, "migration: flags 0x5 STOP_COPY PRE_COPY, device state RUNNING\n");
    expect_has(r.out, "dirty page logging: offered (start, stop, report)\n");
}

TEST(ClientProbe, NoTwinOptionNegotiatesWithoutTwinSocket) {
    std::string sock = temp_socket();
    ProbeRun r;
    int unmatched = 0;
    {
        Responder srv(sock, recorded("gpio", &unmatched));
        r = run_probe("--no-twin " + sock);
    }
    EXPECT_EQ(unmatched, 0);
    remove_dir_of(sock);
    EXPECT_EQ(r.status, 0) << r.out;
    expect_has(r.out, "twin socket no");
    expect_has(r.out, "vendor 0x494f device 0x0dc8");
}

TEST(ClientProbe, UsageAndConnectErrorsExitTwo) {
    ProbeRun r = run_probe("");
    EXPECT_EQ(r.status, 2);
    expect_has(r.out, "usage: vu-probe");
    r = run_probe("--bogus /tmp/x");
    EXPECT_EQ(r.status, 2);
    expect_has(r.out, "unexpected argument '--bogus'");
    r = run_probe("/nonexistent/vu-probe.sock");
    EXPECT_EQ(r.status, 2);
    expect_has(r.out, "cannot connect to /nonexistent/vu-probe.sock");
    r = run_probe("--help");
    EXPECT_EQ(r.status, 0);
    expect_has(r.out, "--no-twin");
}

namespace {

// A device made up for the probe: a 64-bit prefetchable BAR0 with sparse mmap
// areas and an fd, a 4 KiB config space with MSI and MSI-X capabilities and
// two extended capabilities. Every byte is set here by hand.
Answer synthetic_device(const WireMsg &m) {
    Bytes p(m.bytes.begin() + 16, m.bytes.end());
    switch (m.cmd()) {
    case VU_CMD_VERSION:
        return Answer{reply(0, m.cmd(), version_payload("{\"capabilities\":{}}"))};
    case VU_CMD_DEVICE_GET_INFO: {
        Bytes r;
        put32(r, 16), put32(r, 0x3), put32(r, 9), put32(r, 2);
        return Answer{reply(0, m.cmd(), r)};
    }
    case VU_CMD_DEVICE_GET_REGION_INFO: {
        uint32_t index = uint32_t(get_le(p, 8, 4)), argsz = uint32_t(get_le(p, 0, 4));
        Bytes r;
        if (index == 0) { // 16 KiB, R|W|MMAP|CAPS, sparse cap with 2 areas
            const uint32_t need = 32 + 16 + 32;
            put32(r, need), put32(r, 0xf), put32(r, 0), put32(r, 32);
            put64(r, 0x4000), put64(r, 0);
            if (argsz < need)
                return Answer{reply(0, m.cmd(), r)};
            put16(r, 1), put16(r, 1), put32(r, 0), put32(r, 2), put32(r, 0);
            put64(r, 0x0), put64(r, 0x1000), put64(r, 0x2000), put64(r, 0x2000);
            return Answer{reply(0, m.cmd(), r), false, true};
        }
        put32(r, 32), put32(r, index == 7 ? 3 : 0), put32(r, index), put32(r, 0);
        put64(r, index == 7 ? 0x1000 : 0), put64(r, 0);
        return Answer{reply(0, m.cmd(), r)};
    }
    case VU_CMD_REGION_READ: {
        uint64_t off = get_le(p, 0, 8);
        uint32_t count = uint32_t(get_le(p, 12, 4));
        Bytes cfg(0x1000, 0);
        auto set = [&cfg](size_t at, uint64_t v, int n) {
            for (int i = 0; i < n; i++)
                cfg[at + size_t(i)] = uint8_t(v >> (8 * i));
        };
        set(0x00, 0x1234, 2), set(0x02, 0x5678, 2);  // vendor, device
        set(0x06, 0x0010, 2);                        // status: capability list
        set(0x09, 0x010802, 3);                      // class: NVMe
        set(0x10, 0xfe00000c, 4), set(0x14, 0x1, 4); // BAR0/1: mem64 prefetchable
        set(0x34, 0x40, 1);                          // capability pointer
        set(0x3d, 1, 1);                             // interrupt pin A
        set(0x40, 0x5005, 2);                        // MSI, next 0x50
        set(0x50, 0x0011, 2);                        // MSI-X, last
        set(0x100, 0x14020001, 4);                   // AER v2, next 0x140
        set(0x140, 0x0001000b, 4);                   // vendor specific v1, last
        Bytes r;
        put64(r, off), put32(r, VU_PCI_CONFIG_REGION), put32(r, count);
        for (uint32_t i = 0; i < count && off + i < cfg.size(); i++)
            r.push_back(cfg[off + i]);
        return Answer{reply(0, m.cmd(), r)};
    }
    case VU_CMD_DEVICE_GET_IRQ_INFO: {
        uint32_t index = uint32_t(get_le(p, 8, 4));
        Bytes r;
        put32(r, 16), put32(r, 0x9), put32(r, index), put32(r, index == 1 ? 32 : 1);
        return Answer{reply(0, m.cmd(), r)};
    }
    default:
        return Answer{error_reply(0, m.cmd(), EINVAL)};
    }
}

} // namespace

TEST(ClientProbe, PrintsCapabilitiesBarsAndSparseAreasOfASyntheticDevice) {
    std::string sock = temp_socket();
    ProbeRun r;
    {
        Responder srv(sock, synthetic_device);
        r = run_probe(sock);
    }
    remove_dir_of(sock);
    EXPECT_EQ(r.status, 0) << r.out;
    expect_has(r.out, "twin socket no");
    expect_has(r.out, "device: flags 0x3 RESET PCI regions 9 irqs 2");
    expect_has(r.out, "region 0 (BAR0): size 0x4000 flags 0xf R W MMAP CAPS\n");
    expect_has(r.out, "sparse mmap area [0x0, +0x1000)");
    expect_has(r.out, "sparse mmap area [0x2000, +0x2000)");
    expect_has(r.out, "mmap fd offered at offset 0x0");
    expect_has(r.out, "config space (4096 bytes read)");
    expect_has(r.out, "vendor 0x1234 device 0x5678");
    expect_has(r.out, "class 0x010802");
    expect_has(r.out, "BAR0 0x00000001fe00000c (mem64, prefetchable, BAR1 upper half)");
    expect_has(r.out, "BAR2 0x00000000 (mem32)");
    expect_has(r.out, "capability [0x40] id 0x05 MSI\n");
    expect_has(r.out, "capability [0x50] id 0x11 MSI-X\n");
    expect_has(r.out, "extended capability [0x100] id 0x0001 version 2");
    expect_has(r.out, "extended capability [0x140] id 0x000b version 1");
    expect_has(r.out, "irq 1 (MSI): count 32 flags 0x9");
}
