// vu-probe against a fake server on a UNIX socket that answers each request
// with the reply the gpio-pci-idio-16 recording holds for the same request
// bytes. Expected output values come from the transcript notes.
#include <gtest/gtest.h>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <thread>

#include "fake_peer.hpp"
#include "transcript.hpp"

using namespace rcsim::test;

namespace {

using Bytes = std::vector<uint8_t>;

Bytes without_id(const Bytes &b) {
    return Bytes(b.begin() + 2, b.end());
}

// Answers recorded requests; a VERSION without twin_socket gets the
// dma_legacy recording's VERSION reply (a server that has no twin socket).
class Responder {
  public:
    explicit Responder(const std::string &path) : path_(path) {
        auto t = load_transcript("gpio");
        for (size_t i = 0; i + 1 < t.size(); i++)
            if (!t[i].is_eof() && t[i].dir == Dir::ClientToServer && !t[i + 1].is_eof())
                replies_[without_id(t[i].bytes)] = {t[i + 1].bytes, t[i + 1].fds};
        legacy_version_ = load_transcript("dma_legacy")[1].bytes;
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
    int unmatched = 0;

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
            auto it = replies_.find(without_id(m.bytes));
            Bytes r;
            unsigned fds = 0;
            if (it != replies_.end()) {
                r = it->second.first;
                fds = it->second.second;
            } else if (m.cmd() == 1) {
                r = legacy_version_;
            } else {
                unmatched++;
                r = error_reply(0, m.cmd(), EINVAL);
            }
            r[0] = m.bytes[0], r[1] = m.bytes[1]; // echo the probe's msg_id
            int sp[2] = {-1, -1};
            if (fds == 1 && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == 0) {
                send_msg(fd, r, {sp[1]});
                close(sp[1]);
                twin = sp[0];
            } else {
                send_msg(fd, r);
            }
        }
        close(fd);
        if (twin >= 0)
            close(twin);
    }
    std::string path_;
    int listen_ = -1;
    std::map<Bytes, std::pair<Bytes, unsigned>> replies_;
    Bytes legacy_version_;
    std::thread th_;
};

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
    int unmatched;
    {
        Responder srv(sock);
        r = run_probe(sock);
        unmatched = srv.unmatched;
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
}

TEST(ClientProbe, NoTwinOptionNegotiatesWithoutTwinSocket) {
    std::string sock = temp_socket();
    ProbeRun r;
    {
        Responder srv(sock);
        r = run_probe("--no-twin " + sock);
    }
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
