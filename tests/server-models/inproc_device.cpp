#include "inproc_device.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <poll.h>
#include <unistd.h>

namespace rcsim::test {

InprocDevice::InprocDevice(bool legacy, bool own_loop) {
    init(legacy ? VUS_DMA_MODE_LEGACY : VUS_DMA_MODE_TWIN, 0, own_loop);
}

InprocDevice::InprocDevice(vus_dma_mode mode, size_t queue_limit) {
    init(mode, queue_limit, false);
}

void InprocDevice::init(vus_dma_mode mode, size_t queue_limit, bool own_loop) {
    char tmpl[] = "/tmp/rcsim-inproc-XXXXXX";
    if (mkdtemp(tmpl) == nullptr)
        return;
    dir_ = tmpl;
    sock_ = dir_ + "/dev.sock";
    vus_config cfg{};
    cfg.socket_path = sock_.c_str();
    cfg.name = "inproc";
    cfg.dma_mode = mode;
    cfg.dma_queue_limit = queue_limit;
    cfg.io_timeout_ms = 3000;
    ctx_ = vus_create(&cfg);
    if (ctx_ == nullptr)
        return;
    vus_pci_id id{};
    id.vendor_id = 0x5243;
    id.device_id = 0x00fe;
    id.subsys_vendor_id = 0x5243;
    id.subsys_id = 0x0101;
    id.revision = 0x07;
    id.class_code = 0x088000;
    bool good =
        vus_pci_init(ctx_, &id) == 0 && vus_add_cap_pcie(ctx_) == 0 &&
        vus_setup_bar(ctx_, 0, 0x1000, VUS_BAR_MEM32, bar0, this) == 0 &&
        vus_setup_bar(ctx_, 2, 0x4000, VUS_BAR_MEM64 | VUS_BAR_PREFETCH, plain, this) == 0 &&
        vus_setup_bar(ctx_, 4, 16, VUS_BAR_IO, plain, this) == 0 && vus_add_cap_msi(ctx_, 4) == 0 &&
        vus_add_cap_msix(ctx_, 8, 2, 0, 2, 0x2000) == 0 &&
        vus_setup_irq(ctx_, VU_PCI_INTX_IRQ, 1) == 0 && vus_realize(ctx_) == 0;
    if (!good)
        return;
    vus_set_reset_cb(ctx_, on_reset, this);
    vus_set_dma_interrupt_cb(ctx_, on_dma_interrupt, this);
    started_ = true;
    if (!own_loop) {
        loop_ = std::thread([this] { vus_run(ctx_); });
        return;
    }
    loop_ = std::thread([this] {
        while (!quit_) {
            pollfd p[4];
            int n = vus_get_pollfds(ctx_, p, 4);
            if (poll(p, nfds_t(n), 50) > 0 && vus_step(ctx_, 0) > 0)
                own_steps_++;
        }
    });
}

InprocDevice::~InprocDevice() {
    if (started_) {
        quit_ = true;
        vus_stop(ctx_);
        loop_.join();
    }
    vus_destroy(ctx_);
    if (!dir_.empty())
        rmdir(dir_.c_str());
}

static void async_done_cb(void *arg, int result) {
    auto *d = static_cast<InprocDevice *>(arg);
    d->last_result = -result;
    d->async_done++;
}

ssize_t InprocDevice::bar0(void *priv, unsigned, uint64_t off, void *buf, size_t count,
                           bool is_write) {
    auto *d = static_cast<InprocDevice *>(priv);
    auto *b = static_cast<uint8_t *>(buf);
    if (off + count <= 0x100) {
        std::lock_guard<std::mutex> g(d->mu);
        if (is_write)
            memcpy(d->scratch.data() + off, b, count);
        else
            memcpy(b, d->scratch.data() + off, count);
        return ssize_t(count);
    }
    if (off >= 0x200 && off + count <= 0x200 + d->dma_buf.size()) {
        if (!is_write)
            memcpy(b, d->dma_buf.data() + (off - 0x200), count);
        return ssize_t(count);
    }
    if (count != 8)
        return -EINVAL;
    uint64_t v = 0;
    memcpy(&v, b, 8);
    if (!is_write) {
        v = off == 0x118 ? uint64_t(d->last_result) : off == 0x110 ? d->dma_addr : 0;
        memcpy(b, &v, 8);
        return 8;
    }
    if ((off == 0x100 || off == 0x108) && v > d->dma_buf.size())
        return -EINVAL;
    switch (off) {
    case 0x100:
        d->last_result = -vus_dma_read(d->ctx_, d->dma_addr, d->dma_buf.data(), v);
        return 8;
    case 0x108: {
        int ret = vus_dma_submit(d->ctx_, VUS_DMA_READ, d->dma_addr, d->dma_buf.data(), v,
                                 async_done_cb, d);
        d->last_result = ret < 0 ? -ret : -1; // -1 until done
        return 8;
    }
    case 0x110:
        d->dma_addr = v;
        return 8;
    default:
        return -EINVAL;
    }
}

ssize_t InprocDevice::plain(void *, unsigned, uint64_t, void *buf, size_t count, bool is_write) {
    if (!is_write)
        memset(buf, 0xa5, count);
    return ssize_t(count);
}

void InprocDevice::on_dma_interrupt(void *priv, vus_dma_interrupt why) {
    auto *d = static_cast<InprocDevice *>(priv);
    (why == VUS_DMA_INTR_RESET ? d->intr_resets : d->intr_unmaps)++;
}

int InprocDevice::on_reset(void *priv, vus_reset_reason why) {
    if (why == VUS_RESET_DEVICE)
        static_cast<InprocDevice *>(priv)->resets++;
    return 0;
}

} // namespace rcsim::test
