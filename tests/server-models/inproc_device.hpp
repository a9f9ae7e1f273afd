// A test device built on the server library inside the test process, its
// loop on a thread, so tests can call the library (IRQ triggers, DMA) directly
// while a raw client talks to it.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "vfio_user/server.h"

namespace rcsim::test {

// BAR0: 4 KiB memory, 32-bit. 0x000-0x0ff scratch; writing a length to
//   0x100 DMA_READs [dma_addr, +len) into 'dma_buf' synchronously; 0x108
//   starts the same as async DMA; 0x110 holds dma_addr; 0x118 reads the
//   last result (0 or errno). 0x200.. DMA buffer (read back).
// BAR2: 16 KiB memory, 64-bit, prefetchable: MSI-X table at 0, PBA at 0x2000.
// BAR4: 16 bytes I/O.
// Caps: PCIe, MSI (4 vectors), MSI-X (8 vectors); INTx.
class InprocDevice {
  public:
    // own_loop: drive the context from a poll loop of ours (vus_get_pollfds +
    // vus_step(ctx, 0)) instead of vus_run().
    explicit InprocDevice(bool legacy = false, bool own_loop = false);
    // A DMA mode (queue_limit 0: the library's default). The device's DMA
    // interrupt callback counts into intr_resets / intr_unmaps.
    InprocDevice(vus_dma_mode mode, size_t queue_limit);
    ~InprocDevice();

    const std::string &socket_path() const { return sock_; }
    vus_ctx *ctx() { return ctx_; }
    bool ok() const { return ctx_ != nullptr && started_; }

    std::mutex mu;
    std::vector<uint8_t> scratch = std::vector<uint8_t>(256);
    std::vector<uint8_t> dma_buf = std::vector<uint8_t>(0xe00);
    uint64_t dma_addr = 0;
    int last_result = 0;
    std::atomic<int> async_done{0};
    std::atomic<int> resets{0};
    std::atomic<int> intr_resets{0};
    std::atomic<int> intr_unmaps{0};

  private:
    static ssize_t bar0(void *priv, unsigned region, uint64_t off, void *buf, size_t count,
                        bool is_write);
    static ssize_t plain(void *priv, unsigned region, uint64_t off, void *buf, size_t count,
                         bool is_write);
    static int on_reset(void *priv, vus_reset_reason why);
    static void on_dma_interrupt(void *priv, vus_dma_interrupt why);
    void init(vus_dma_mode mode, size_t queue_limit, bool own_loop);
    std::string dir_, sock_;
    vus_ctx *ctx_ = nullptr;
    bool started_ = false;
    std::thread loop_;
    std::atomic<bool> quit_{false};
    std::atomic<int> own_steps_{0};

  public:
    int own_steps() const { return own_steps_.load(); }
};

} // namespace rcsim::test
