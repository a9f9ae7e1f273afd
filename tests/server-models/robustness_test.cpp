// Hostile input against the model processes: seeded streams of malformed and
// random commands (bad sizes, bad fields, garbage bytes, stray fds) after a
// valid VERSION. The server may answer with errors or hang up, but must not
// crash or hang: afterwards the same process serves a fresh client.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <optional>
#include <random>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "raw_client.hpp"
#include "server_process.hpp"

using namespace rcsim::test;

namespace {

std::vector<uint8_t> random_payload(std::mt19937 &rng, uint16_t cmd) {
    std::uniform_int_distribution<int> small(0, 48), pick(0, 9);
    std::vector<uint8_t> p(size_t(small(rng)));
    for (auto &b : p)
        b = uint8_t(rng());
    // Often make the fixed part plausible so deeper checks are reached.
    if (pick(rng) < 7 && (cmd == VU_CMD_REGION_READ || cmd == VU_CMD_REGION_WRITE)) {
        uint32_t count = uint32_t(rng() % 16);
        vu_region_access ra{rng() % 0x1100, uint32_t(rng() % 10), count};
        p.assign(sizeof(ra) + (cmd == VU_CMD_REGION_WRITE ? count : 0), uint8_t(rng()));
        memcpy(p.data(), &ra, sizeof(ra));
    } else if (pick(rng) < 7 && cmd == VU_CMD_DMA_MAP) {
        vu_dma_map m{32, uint32_t(rng() % 4), 0, 0x10000000ull + (rng() % 4) * 0x1000,
                     (rng() % 4 + 1) * 0x1000ull};
        p.assign(sizeof(m), 0);
        memcpy(p.data(), &m, sizeof(m));
    } else if (pick(rng) < 7 && cmd == VU_CMD_DEVICE_SET_IRQS) {
        vu_irq_set s{20, uint32_t(1u << (rng() % 3)) | uint32_t(8u << (rng() % 3)),
                     uint32_t(rng() % 6), uint32_t(rng() % 3), uint32_t(rng() % 3)};
        p.assign(sizeof(s) + rng() % 3, 1);
        memcpy(p.data(), &s, sizeof(s));
    } else if (pick(rng) < 5 && p.size() >= 4) {
        uint32_t argsz = uint32_t(rng() % 40);
        memcpy(p.data(), &argsz, 4);
    }
    return p;
}

std::vector<uint8_t> random_message(std::mt19937 &rng, uint16_t id) {
    std::uniform_int_distribution<int> pick(0, 99);
    int k = pick(rng);
    if (k < 5) { // raw garbage
        std::vector<uint8_t> g(size_t(1 + rng() % 40));
        for (auto &b : g)
            b = uint8_t(rng());
        return g;
    }
    uint16_t cmd = k < 90 ? uint16_t(1 + rng() % 18) : uint16_t(rng());
    auto p = random_payload(rng, cmd);
    uint32_t flags = pick(rng) < 90 ? 0 : uint32_t(rng());
    auto m = make_msg(id, cmd, p.data(), p.size(), flags);
    if (pick(rng) < 8) { // a lying msg_size
        uint32_t sz = pick(rng) < 50 ? uint32_t(rng() % 64) : uint32_t(rng());
        memcpy(m.data() + 4, &sz, 4);
    }
    return m;
}

void drain(RawSocket &s) {
    char buf[65536];
    while (!s.quiet_for(0)) {
        ssize_t n = recv(s.fd(), buf, sizeof(buf), MSG_DONTWAIT);
        if (n <= 0)
            return;
    }
}

void hammer(const std::vector<std::string> &argv, unsigned seed) {
    ServerProcess s(argv);
    ASSERT_TRUE(s.ready()) << s.error();
    std::mt19937 rng(seed);
    int sent_total = 0;
    for (int round = 0; round < 4; round++) {
        RawSocket c;
        std::string err;
        ASSERT_TRUE(c.connect_to(s.socket_path(), &err)) << err;
        ASSERT_TRUE(
            c.send_bytes(version_msg(1, "{\"capabilities\":{\"max_data_xfer_size\":512}}")));
        ASSERT_TRUE(c.recv_message(3000).has_value());
        for (int i = 0; i < 400; i++) {
            auto m = random_message(rng, uint16_t(i + 2));
            std::vector<int> fds;
            if (rng() % 50 == 0)
                fds.push_back(eventfd(0, EFD_CLOEXEC));
            bool sent = c.send_bytes(m, fds);
            for (int fd : fds)
                close(fd);
            if (!sent)
                break; // the server hung up on us: allowed
            drain(c);
            sent_total++;
        }
    }
    if (getenv("RCSIM_ROBUSTNESS_VERBOSE"))
        fprintf(stderr, "seed %u: %d messages sent\n", seed, sent_total);
    // Still alive and serving.
    RawSocket c;
    std::string err;
    ASSERT_TRUE(c.connect_to(s.socket_path(), &err)) << err;
    ASSERT_TRUE(c.send_bytes(version_msg(1, "{}")));
    auto v = c.recv_message(12000);
    ASSERT_TRUE(v.has_value()) << "no VERSION reply after the garbage (seed " << seed << ")";
    EXPECT_EQ(v->hdr().flags, VU_F_TYPE_REPLY);
    ASSERT_TRUE(c.send_bytes(region_read_msg(2, VU_PCI_CONFIG_REGION, 0, 2)));
    auto r = c.recv_message(3000);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->hdr().flags, VU_F_TYPE_REPLY);
    EXPECT_TRUE(s.alive());
}

std::string model(const char *name) {
    return server_models_dir() + "/" + name;
}

} // namespace

TEST(ServerRobustness, GpioSurvivesGarbage) {
    for (unsigned seed = 1; seed <= 3; seed++)
        hammer({model("gpio")}, seed);
}

TEST(ServerRobustness, DmaprobeLegacySurvivesGarbage) {
    for (unsigned seed = 11; seed <= 13; seed++)
        hammer({model("dmaprobe"), "--legacy-socket"}, seed);
}

TEST(ServerRobustness, DmacopySurvivesGarbage) {
    for (unsigned seed = 21; seed <= 23; seed++)
        hammer({model("dmacopy"), "--dma-after-reply"}, seed);
}

TEST(ServerRobustness, QueueAndAsyncModesSurviveGarbage) {
    hammer({model("dmaprobe"), "--dma-mode", "queue"}, 31);
    hammer({model("dmacopy"), "--dma-mode", "async"}, 41);
}

// Garbage while a QUEUE-mode DMA waits for its reply: it is held, refused or
// answered, or it breaks the stream and the client is dropped; the server
// then serves a fresh client, and its peak never exceeds the limit.
TEST(ServerRobustness, QueueModeSurvivesGarbageDuringTheDma) {
    ServerProcess s({model("dmaprobe"), "--dma-mode", "queue", "--dma-queue-limit", "300",
                     "--io-timeout-ms", "500"});
    ASSERT_TRUE(s.ready()) << s.error();
    for (unsigned seed = 51; seed <= 56; seed++) {
        std::mt19937 rng(seed);
        RawSocket c;
        std::string err;
        ASSERT_TRUE(c.connect_to(s.socket_path(), &err)) << err;
        ASSERT_TRUE(c.send_bytes(version_msg(1, "{}")));
        ASSERT_TRUE(c.recv_message(3000).has_value());
        ASSERT_TRUE(c.send_bytes(dma_map_msg(2, 0x10000000, 0x1000, 3)));
        uint64_t addr = 0x10000000, len = 64, one = 1;
        std::vector<uint8_t> a(8), l(8), d(8);
        memcpy(a.data(), &addr, 8);
        memcpy(l.data(), &len, 8);
        memcpy(d.data(), &one, 8);
        ASSERT_TRUE(c.send_bytes(region_write_msg(3, 0, 0x00, a)));
        ASSERT_TRUE(c.send_bytes(region_write_msg(4, 0, 0x08, l)));
        ASSERT_TRUE(c.send_bytes(region_write_msg(5, 0, 0x10, d)));
        std::optional<RawMessage> dma;
        for (int i = 0; i < 4 && !dma; i++) {
            auto m = c.recv_message(3000);
            ASSERT_TRUE(m.has_value());
            if (m->hdr().cmd == VU_CMD_DMA_READ)
                dma = m;
        }
        ASSERT_TRUE(dma.has_value());
        for (int i = 0; i < 40; i++) {
            if (!c.send_bytes(random_message(rng, uint16_t(100 + i))))
                break;
        }
        std::vector<uint8_t> p(16 + 64, 0x77);
        memcpy(p.data(), dma->payload(), 16);
        c.send_bytes(
            make_msg(dma->hdr().msg_id, VU_CMD_DMA_READ, p.data(), p.size(), VU_F_TYPE_REPLY));
        drain(c);
    }
    RawSocket c;
    std::string err;
    ASSERT_TRUE(c.connect_to(s.socket_path(), &err)) << err;
    ASSERT_TRUE(c.send_bytes(version_msg(1, "{}")));
    auto v = c.recv_message(5000);
    ASSERT_TRUE(v.has_value()) << "no VERSION reply after the garbage";
    EXPECT_EQ(v->hdr().flags, VU_F_TYPE_REPLY);
    c.close();
    s.stop();
    EXPECT_FALSE(s.alive());
    if (getenv("RCSIM_SERVER_LOG_TO_STDERR") != nullptr)
        return; // the peak lines went to the terminal
    std::string log = s.log_text();
    const std::string key = "vus: DMA queue peak: ";
    int lines = 0;
    for (size_t at = log.find(key); at != std::string::npos; at = log.find(key, at + 1)) {
        lines++;
        EXPECT_LE(std::stoul(log.substr(at + key.size())), 300u) << log.substr(at, 60);
    }
    EXPECT_EQ(lines, 7) << log; // six garbage connections and the last one
}
