// bench-dmacopy: dmacopy throughput with message DMA (DMA_READ/DMA_WRITE over
// the twin socket) through the client library, no RTL, for 4 KiB, 64 KiB and
// 1 MiB copies, beside two baselines measured in the same run: memcpy, and a
// raw UNIX-socket round trip carrying the same bytes each way (the least a
// message DMA copy must move: the data in a DMA_READ reply and out in a
// DMA_WRITE). Median of several runs with min and max, then the ratios.
// Beside them the fifth #279 design: a second dmacopy in --dma-mode
// map-socket, its window mapped with a socket of its own (issue 21), the
// same copies interleaved with the twin socket's runs (/twin: its cost).
// --figures: also one machine-readable line per figure (bench/figures.hpp).
#include "figures.hpp"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "vfio_user/client.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kRuns = 7;
constexpr size_t kBytesPerRun = 32u << 20; // each run moves at least this much
constexpr uint64_t kIova = 0x40000000ull;

struct Stats {
    double median, min, max;
};

Stats summarize(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return {v[v.size() / 2], v.front(), v.back()};
}

int iterations(size_t size) {
    return int(std::max<size_t>(8, kBytesPerRun / size));
}

double mbps(size_t bytes, Clock::duration d) {
    return double(bytes) / 1e6 / std::chrono::duration<double>(d).count();
}

double run_memcpy(size_t size) {
    std::vector<uint8_t> a(size, 1), b(size);
    int n = iterations(size);
    auto t0 = Clock::now();
    for (int i = 0; i < n; i++) {
        a[0] = uint8_t(i);
        memcpy(b.data(), a.data(), size);
        asm volatile("" : : "r"(b.data()) : "memory");
    }
    return mbps(size * size_t(n), Clock::now() - t0);
}

bool full_io(int fd, uint8_t *buf, size_t len, bool is_write) {
    while (len > 0) {
        ssize_t r = is_write ? write(fd, buf, len) : read(fd, buf, len);
        if (r <= 0)
            return false;
        buf += r;
        len -= size_t(r);
    }
    return true;
}

// The raw-socket baseline's peer: a process, not a thread, because the
// dmacopy server is one (on the 2-core VM a thread peer moved the same bytes
// 1.2-1.6x faster than this process peer: a switch between address spaces
// costs more). It is forked once, before the big buffers exist: a fork per
// run left the bench's pages copy-on-write, and the copy after it paid a
// page fault per page it wrote (its medians doubled without that).
struct SocketPeer {
    int fd = -1;
    pid_t pid = -1;
};

// Per run: {size, n} as two uint64, then n times size bytes in and back.
[[noreturn]] void peer_loop(int fd) {
    uint64_t cmd[2];
    std::vector<uint8_t> buf;
    while (full_io(fd, reinterpret_cast<uint8_t *>(cmd), sizeof(cmd), false)) {
        buf.resize(cmd[0]);
        for (uint64_t i = 0; i < cmd[1]; i++)
            if (!full_io(fd, buf.data(), buf.size(), false) ||
                !full_io(fd, buf.data(), buf.size(), true))
                _exit(1);
    }
    _exit(0);
}

bool start_peer(SocketPeer &p) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        return false;
    p.pid = fork();
    if (p.pid == 0) {
        close(sv[0]);
        peer_loop(sv[1]);
    }
    close(sv[1]);
    p.fd = sv[0];
    return p.pid > 0;
}

void stop_peer(SocketPeer &p) {
    if (p.fd >= 0)
        close(p.fd); // EOF ends the loop
    if (p.pid > 0) {
        int st;
        waitpid(p.pid, &st, 0);
    }
}

// size bytes to the peer process and size bytes back, per iteration.
double run_socket(const SocketPeer &peer, size_t size) {
    int n = iterations(size);
    uint64_t cmd[2] = {size, uint64_t(n) + 1};
    if (!full_io(peer.fd, reinterpret_cast<uint8_t *>(cmd), sizeof(cmd), true))
        return 0;
    std::vector<uint8_t> out(size, 2), in(size);
    auto t0 = Clock::now();
    bool ok = true;
    for (int i = 0; i <= n && ok; i++) { // round trip 0 untimed, as copy 0
        if (i == 1)
            t0 = Clock::now();
        ok = full_io(peer.fd, out.data(), size, true) && full_io(peer.fd, in.data(), size, false);
    }
    auto d = Clock::now() - t0;
    return ok ? mbps(size * size_t(n), d) : 0;
}

struct Server {
    pid_t pid = -1;
    std::string dir, sock;
};

bool start_dmacopy(Server &s, const char *dma_mode) {
    char tmpl[] = "/tmp/rcsim-bench-XXXXXX";
    if (mkdtemp(tmpl) == nullptr)
        return false;
    s.dir = tmpl;
    s.sock = s.dir + "/dmacopy.sock";
    std::string bin = std::string(RCSIM_SERVER_MODELS_DIR) + "/dmacopy";
    s.pid = fork();
    if (s.pid == 0) {
        execl(bin.c_str(), bin.c_str(), "--socket", s.sock.c_str(), "--irq", "none", "--dma-mode",
              dma_mode, static_cast<char *>(nullptr));
        _exit(127);
    }
    for (int i = 0; i < 500; i++) {
        struct stat st;
        if (stat(s.sock.c_str(), &st) == 0)
            return true;
        usleep(10000);
    }
    return false;
}

void stop_dmacopy(Server &s) {
    if (s.pid > 0) {
        kill(s.pid, SIGTERM);
        int st;
        waitpid(s.pid, &st, 0);
    }
    unlink(s.sock.c_str());
    rmdir(s.dir.c_str());
}

int wr32(vuc_ctx *c, uint64_t off, uint32_t v) {
    return vuc_region_write(c, 0, off, &v, 4);
}

// One descriptor copying size bytes, rung size-many times; the doorbell's
// REGION_WRITE returns once the copy is done (the DMA runs inside it).
double run_dmacopy(vuc_ctx *c, std::vector<uint8_t> &mem, size_t size, bool *ok) {
    struct {
        uint64_t src, dst;
        uint32_t len, flags;
        uint64_t completion;
    } d = {kIova + 0x1000, kIova + 0x1000 + size, uint32_t(size), 0, kIova + 0x800};
    memcpy(mem.data(), &d, sizeof(d));
    int n = iterations(size) / 4 + 2; // each copy moves the bytes twice over the socket
    // Copies 0 and 1 are not timed (two, so the ring of 2 ends each run
    // where it began): after the memcpy and socket runs the copies ran 2-3x
    // slower (pinned to one CPU: 1,785-1,854 MB/s back to back, 663-818
    // with the other runs between), and MB/s means steady state.
    auto t0 = Clock::now();
    for (int i = 0; i < n + 2; i++) {
        if (i == 2)
            t0 = Clock::now();
        // Ring of 2: HEAD alternates 1, 0 so each write posts one descriptor.
        memcpy(mem.data() + 32 * ((i + 1) % 2 == 0 ? 1 : 0), &d, sizeof(d));
        if (wr32(c, 0x10, uint32_t((i + 1) % 2)) != 0) {
            *ok = false;
            break;
        }
    }
    auto dt = Clock::now() - t0;
    uint32_t status = 0;
    vuc_region_read(c, 0, 0x18, &status, 4);
    if (status & 0x2)
        *ok = false;
    *ok = *ok && memcmp(mem.data() + 0x1000, mem.data() + 0x1000 + size, size) == 0;
    return mbps(size * size_t(n), dt);
}

// A client of the device at s, its ring set up, mem mapped by messages: on
// the twin socket, or (map_socket) on a socket of the window's own.
vuc_ctx *connect_device(const Server &s, std::vector<uint8_t> &mem, bool map_socket) {
    vuc_options o;
    vuc_options_init(&o);
    o.timeout_ms = 10000;
    vuc_ctx *c = vuc_create(&o);
    if (c == nullptr || vuc_connect(c, s.sock.c_str()) != 0 || vuc_negotiate(c) != 0 ||
        vuc_has_twin(c) == map_socket) {
        vuc_destroy(c);
        return nullptr;
    }
    const uint32_t prot = VU_DMA_MAP_F_READ | VU_DMA_MAP_F_WRITE;
    const int rc = map_socket ? vuc_dma_map_socket(c, kIova, mem.size(), prot, mem.data())
                              : vuc_dma_map(c, kIova, mem.size(), prot, mem.data(), -1, 0);
    if (rc < 0 || wr32(c, 0x00, uint32_t(kIova)) != 0 ||
        wr32(c, 0x04, uint32_t(kIova >> 32)) != 0 || wr32(c, 0x08, 2) != 0) {
        vuc_destroy(c);
        return nullptr;
    }
    return c;
}

} // namespace

int main(int argc, char **argv) {
    bool figures = false;
    std::vector<size_t> sizes = {4096, 65536, 1u << 20};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--figures") == 0) {
            figures = true;
        } else if (strcmp(argv[i], "--size") == 0 && i + 1 < argc) {
            // One size only (a profile of that size alone).
            char *end;
            unsigned long v = strtoul(argv[++i], &end, 0);
            if (*end != '\0' || v < 64 || v > (1u << 20)) {
                fprintf(stderr, "bench-dmacopy: --size wants 64..1048576 bytes\n");
                return 2;
            }
            sizes = {size_t(v)};
        } else {
            fprintf(stderr, "usage: bench-dmacopy [--figures] [--size BYTES]\n");
            return 2;
        }
    }
    SocketPeer peer;
    if (!start_peer(peer)) {
        fprintf(stderr, "bench-dmacopy: cannot start the raw-socket peer\n");
        return 1;
    }
    Server srv, msrv;
    if (!start_dmacopy(srv, "twin") || !start_dmacopy(msrv, "map-socket")) {
        fprintf(stderr, "bench-dmacopy: cannot start %s/dmacopy\n", RCSIM_SERVER_MODELS_DIR);
        stop_dmacopy(srv);
        stop_dmacopy(msrv);
        stop_peer(peer);
        return 1;
    }
    std::vector<uint8_t> mem(0x1000 + 2 * (1u << 20) + 0x1000);
    for (size_t i = 0; i < mem.size(); i++)
        mem[i] = uint8_t(i * 13);
    std::vector<uint8_t> mmem(mem);
    vuc_ctx *c = connect_device(srv, mem, false);
    vuc_ctx *mc_ctx = connect_device(msrv, mmem, true);
    bool ok = c != nullptr && mc_ctx != nullptr;
    if (!ok) {
        fprintf(stderr, "bench-dmacopy: cannot set up the devices over the client library\n");
        vuc_destroy(c);
        vuc_destroy(mc_ctx);
        stop_dmacopy(srv);
        stop_dmacopy(msrv);
        stop_peer(peer);
        return 1;
    }
    printf("bench-dmacopy: dmacopy (message DMA, twin socket, client library, no RTL)\n");
    printf("median of %d runs [min..max] in MB/s (copied bytes per second)\n", kRuns);
    printf("%8s  %28s  %28s  %28s  %9s  %9s  %28s  %7s\n", "size", "dmacopy", "memcpy",
           "socket round trip", "/memcpy", "/socket", "map-socket dmacopy", "/twin");
    for (size_t size : sizes) {
        std::vector<double> dm, mc, so, ms;
        for (int r = 0; r < kRuns && ok; r++) {
            dm.push_back(run_dmacopy(c, mem, size, &ok));
            mc.push_back(run_memcpy(size));
            so.push_back(run_socket(peer, size));
            ms.push_back(run_dmacopy(mc_ctx, mmem, size, &ok));
        }
        if (!ok) {
            fprintf(stderr, "bench-dmacopy: a copy failed or the data did not match\n");
            break;
        }
        Stats a = summarize(dm), b = summarize(mc), s = summarize(so), m = summarize(ms);
        char ca[64], cb[64], cs[64], cm[64];
        snprintf(ca, sizeof(ca), "%.1f [%.1f..%.1f]", a.median, a.min, a.max);
        snprintf(cb, sizeof(cb), "%.1f [%.1f..%.1f]", b.median, b.min, b.max);
        snprintf(cs, sizeof(cs), "%.1f [%.1f..%.1f]", s.median, s.min, s.max);
        snprintf(cm, sizeof(cm), "%.1f [%.1f..%.1f]", m.median, m.min, m.max);
        printf("%7zuK  %28s  %28s  %28s  %9.4f  %9.3f  %28s  %7.3f\n", size / 1024, ca, cb, cs,
               a.median / b.median, a.median / s.median, cm, m.median / a.median);
        if (figures) {
            const std::string k = std::to_string(size / 1024) + "k";
            rcsim::bench::figure(("dma_client_" + k).c_str(), dm, "MB/s");
            rcsim::bench::figure(("dma_socket_" + k).c_str(), so, "MB/s");
            rcsim::bench::figure(("dma_mapsock_" + k).c_str(), ms, "MB/s");
        }
    }
    vuc_destroy(c);
    vuc_destroy(mc_ctx);
    stop_dmacopy(srv);
    stop_dmacopy(msrv);
    stop_peer(peer);
    return ok ? 0 : 1;
}
