// The client against real libvfio-user servers, when the environment names
// them (skipped otherwise, so the suite passes from a clone alone):
//   RCSIM_OUTSIDE_GPIO_SERVER  libvfio-user's gpio-pci-idio-16, run as BINARY SOCKET
//   RCSIM_OUTSIDE_DMA_SERVER   the transcripts' dma_server, run as BINARY SOCKET
// Expected values are those of the transcript notes (tests/transcripts/README.md).
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "vfio_user/client.h"

namespace {

// A server process started for one test and ended by its PID.
class Server {
  public:
    Server(const char *bin) {
        char dir[] = "/tmp/vuc-outside-XXXXXX";
        if (!mkdtemp(dir))
            return;
        dir_ = dir;
        sock_ = dir_ + "/sock";
        pid_ = fork();
        if (pid_ == 0) {
            execl(bin, bin, sock_.c_str(), static_cast<char *>(nullptr));
            _exit(127);
        }
        struct stat st;
        for (int i = 0; i < 100 && stat(sock_.c_str(), &st) != 0; i++)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ~Server() {
        if (pid_ > 0) {
            kill(pid_, SIGTERM);
            int st;
            for (int i = 0; i < 100 && waitpid(pid_, &st, WNOHANG) == 0; i++)
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            if (waitpid(pid_, &st, WNOHANG) == 0) {
                kill(pid_, SIGKILL);
                waitpid(pid_, &st, 0);
            }
        }
        unlink(sock_.c_str());
        rmdir(dir_.c_str());
    }
    const std::string &socket() const { return sock_; }

  private:
    pid_t pid_ = -1;
    std::string dir_, sock_;
};

vuc_ctx *connect_to(const Server &s, bool no_twin, uint32_t max_xfer) {
    vuc_options o;
    vuc_options_init(&o);
    o.no_twin = no_twin;
    o.max_data_xfer_size = max_xfer;
    vuc_ctx *ctx = vuc_create(&o);
    EXPECT_EQ(vuc_connect(ctx, s.socket().c_str()), 0);
    EXPECT_EQ(vuc_negotiate(ctx), 0);
    return ctx;
}

int write_u64(vuc_ctx *ctx, uint64_t off, uint64_t v) {
    return vuc_region_write(ctx, 0, off, &v, 8);
}

uint64_t read_u64(vuc_ctx *ctx, uint64_t off) {
    uint64_t v = ~0ull;
    EXPECT_EQ(vuc_region_read(ctx, 0, off, &v, 8), 0);
    return v;
}

// The dma_server scenario of dma_twin/dma_legacy: DMA_READ 3000 bytes into
// the scratch buffer, then DMA_WRITE them back elsewhere.
void dma_round_trip(bool no_twin) {
    const char *bin = getenv("RCSIM_OUTSIDE_DMA_SERVER");
    if (!bin || !*bin)
        GTEST_SKIP() << "RCSIM_OUTSIDE_DMA_SERVER is not set (path of the transcripts' dma_server)";
    Server s(bin);
    vuc_ctx *ctx = connect_to(s, no_twin, 1024);
    EXPECT_EQ(vuc_has_twin(ctx), !no_twin);
    std::vector<uint8_t> mem(0x10000);
    for (size_t i = 0; i < mem.size(); i++)
        mem[i] = uint8_t((i * 7) & 0xff);
    const uint64_t base = 0x10000000;
    ASSERT_EQ(vuc_dma_map(ctx, base, mem.size(), VU_DMA_MAP_F_READ | VU_DMA_MAP_F_WRITE, mem.data(),
                          -1, 0),
              0);
    ASSERT_EQ(write_u64(ctx, 0x0, base + 0x100), 0);
    ASSERT_EQ(write_u64(ctx, 0x8, 3000), 0);
    ASSERT_EQ(write_u64(ctx, 0x10, 1), 0);
    EXPECT_EQ(read_u64(ctx, 0x18), 0u);
    std::vector<uint8_t> scratch(3000);
    ASSERT_EQ(vuc_region_read(ctx, 0, 0x100, scratch.data(), scratch.size()), 0);
    for (size_t i = 0; i < scratch.size(); i++)
        ASSERT_EQ(scratch[i], uint8_t(((0x100 + i) * 7) & 0xff)) << i;
    std::fill(mem.begin() + 0x8000, mem.begin() + 0x9000, 0xee);
    ASSERT_EQ(write_u64(ctx, 0x0, base + 0x8000), 0);
    ASSERT_EQ(write_u64(ctx, 0x10, 2), 0);
    EXPECT_EQ(read_u64(ctx, 0x18), 0u);
    for (size_t i = 0; i < 3000; i++)
        ASSERT_EQ(mem[0x8000 + i], uint8_t(((0x100 + i) * 7) & 0xff)) << i;
    EXPECT_EQ(mem[0x8000 + 3000], 0xee);
    vuc_stats st;
    vuc_get_stats(ctx, &st);
    EXPECT_EQ(st.dma_served, 6u); // 1024 + 1024 + 952, twice
    EXPECT_EQ(st.dropped_replies, 0u);
    vuc_destroy(ctx);
}

} // namespace

TEST(ClientOutside, GpioSample) {
    const char *bin = getenv("RCSIM_OUTSIDE_GPIO_SERVER");
    if (!bin || !*bin)
        GTEST_SKIP() << "RCSIM_OUTSIDE_GPIO_SERVER is not set (path of libvfio-user's "
                        "gpio-pci-idio-16)";
    Server s(bin);
    vuc_ctx *ctx = connect_to(s, false, 0);
    EXPECT_TRUE(vuc_has_twin(ctx));
    vu_device_info info{};
    ASSERT_EQ(vuc_device_get_info(ctx, &info), 0);
    EXPECT_EQ(info.flags, 0x3u);
    EXPECT_EQ(info.num_regions, 9u);
    EXPECT_EQ(info.num_irqs, 5u);
    vuc_region r;
    ASSERT_EQ(vuc_region_info(ctx, 2, &r), 0);
    EXPECT_EQ(r.info.size, 0x100u);
    EXPECT_EQ(r.info.flags, 0x3u);
    uint8_t cfg[4];
    ASSERT_EQ(vuc_region_read(ctx, VU_PCI_CONFIG_REGION, 0, cfg, 4), 0);
    EXPECT_EQ(cfg[0] | cfg[1] << 8, 0x494f);
    EXPECT_EQ(cfg[2] | cfg[3] << 8, 0x0dc8);
    uint8_t b[2];
    EXPECT_EQ(vuc_region_read(ctx, 2, 0xff, b, 2), -EINVAL);
    EXPECT_EQ(vuc_device_reset(ctx), 0);
    vuc_destroy(ctx);
}

TEST(ClientOutside, DmaServerTwinSocket) {
    dma_round_trip(false);
}

TEST(ClientOutside, DmaServerMainSocket) {
    dma_round_trip(true);
}
