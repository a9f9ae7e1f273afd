// The client library (client/) against our models over real sockets: every
// command, message DMA with and without the twin socket, the #279 race driven
// from the client side, and dmacopy moving rings of descriptors with the data
// checked byte for byte and the interrupt seen on the eventfd.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <poll.h>
#include <random>
#include <sys/eventfd.h>
#include <unistd.h>

#include "server_process.hpp"
#include "vfio_user/client.h"

using namespace rcsim::test;

namespace {

constexpr int kTimeout = 3000;

std::string model(const char *name) {
    return server_models_dir() + "/" + name;
}

struct ClientDeleter {
    void operator()(vuc_ctx *c) const { vuc_destroy(c); }
};
using Client = std::unique_ptr<vuc_ctx, ClientDeleter>;

Client connect_client(const ServerProcess &s, bool offer_twin, uint32_t max_xfer = 0) {
    vuc_options o;
    vuc_options_init(&o);
    o.no_twin = !offer_twin;
    o.max_data_xfer_size = max_xfer;
    o.timeout_ms = kTimeout;
    Client c(vuc_create(&o));
    if (!c || vuc_connect(c.get(), s.socket_path().c_str()) < 0 || vuc_negotiate(c.get()) < 0) {
        ADD_FAILURE() << "cannot connect to " << s.socket_path();
        return nullptr;
    }
    return c;
}

uint64_t rd64(vuc_ctx *c, uint32_t region, uint64_t off) {
    uint64_t v = ~0ull;
    EXPECT_EQ(vuc_region_read(c, region, off, &v, sizeof(v)), 0) << "read " << off;
    return v;
}
uint32_t rd32(vuc_ctx *c, uint32_t region, uint64_t off) {
    uint32_t v = ~0u;
    EXPECT_EQ(vuc_region_read(c, region, off, &v, sizeof(v)), 0) << "read " << off;
    return v;
}
int wr64(vuc_ctx *c, uint32_t region, uint64_t off, uint64_t v) {
    return vuc_region_write(c, region, off, &v, sizeof(v));
}
int wr32(vuc_ctx *c, uint32_t region, uint64_t off, uint32_t v) {
    return vuc_region_write(c, region, off, &v, sizeof(v));
}

uint8_t find_cap(vuc_ctx *c, uint8_t id) {
    uint8_t p = 0;
    vuc_region_read(c, VU_PCI_CONFIG_REGION, 0x34, &p, 1);
    for (int n = 0; p != 0 && n < 16; n++) {
        uint8_t hdr[2] = {0, 0};
        vuc_region_read(c, VU_PCI_CONFIG_REGION, p, hdr, 2);
        if (hdr[0] == id)
            return p;
        p = hdr[1];
    }
    return 0;
}

// Client memory with the transcripts' pattern, byte[i] = (i*7) & 0xff.
std::vector<uint8_t> pattern(size_t n) {
    std::vector<uint8_t> m(n);
    for (size_t i = 0; i < n; i++)
        m[i] = uint8_t(i * 7);
    return m;
}

} // namespace

TEST(ServerClient, EveryCommandAgainstRegs) {
    ServerProcess s({model("regs")});
    ASSERT_TRUE(s.ready()) << s.error();
    Client c = connect_client(s, true);
    ASSERT_TRUE(c);
    EXPECT_TRUE(vuc_has_twin(c.get()));
    EXPECT_EQ(vuc_get_server_caps(c.get())->max_msg_fds, 8u);
    EXPECT_EQ(vuc_get_server_caps(c.get())->max_data_xfer_size, 1048576u);

    vu_device_info di{};
    ASSERT_EQ(vuc_device_get_info(c.get(), &di), 0);
    EXPECT_EQ(di.num_regions, 9u);
    EXPECT_EQ(di.num_irqs, 5u);
    EXPECT_EQ(di.flags, VU_DEV_F_PCI | VU_DEV_F_RESET);

    vuc_region r{};
    ASSERT_EQ(vuc_region_info(c.get(), 0, &r), 0);
    EXPECT_EQ(r.info.size, 0x1000u);
    EXPECT_EQ(r.info.flags, VU_REGION_F_READ | VU_REGION_F_WRITE);
    ASSERT_EQ(vuc_region_info(c.get(), 1, &r), 0);
    EXPECT_EQ(r.info.size, 0u);
    ASSERT_EQ(vuc_region_info(c.get(), 7, &r), 0);
    EXPECT_EQ(r.info.size, 4096u); // PCIe: extended config space
    EXPECT_EQ(vuc_region_info(c.get(), 9, &r), -EINVAL);

    vu_irq_info ii{};
    ASSERT_EQ(vuc_irq_info(c.get(), VU_PCI_INTX_IRQ, &ii), 0);
    EXPECT_EQ(ii.count, 0u); // regs has no interrupts

    EXPECT_EQ(rd32(c.get(), 7, 0), 0x00015243u);
    EXPECT_NE(find_cap(c.get(), 0x10), 0);

    // Register file semantics (README "regs").
    EXPECT_EQ(rd32(c.get(), 0, 0x000), 0x52435247u);
    EXPECT_EQ(rd32(c.get(), 0, 0x004), 0x00010000u);
    uint64_t t0 = rd64(c.get(), 0, 0x008), t1 = rd64(c.get(), 0, 0x008);
    EXPECT_GT(t1, t0);
    EXPECT_EQ(wr32(c.get(), 0, 0x010, 0x00a5), 0);
    EXPECT_EQ(wr32(c.get(), 0, 0x010, 0x0f00), 0); // ORs in
    EXPECT_EQ(rd32(c.get(), 0, 0x010), 0x0fa5u);
    EXPECT_EQ(rd32(c.get(), 0, 0x010), 0u); // read cleared it
    EXPECT_EQ(wr32(c.get(), 0, 0x018, 0xff), 0);
    EXPECT_EQ(wr32(c.get(), 0, 0x014, 0x0f), 0);
    EXPECT_EQ(rd32(c.get(), 0, 0x014), 0xf0u);
    std::vector<uint8_t> scratch(256), back(256);
    for (size_t i = 0; i < scratch.size(); i++)
        scratch[i] = uint8_t(255 - i);
    ASSERT_EQ(vuc_region_write(c.get(), 0, 0x100, scratch.data(), scratch.size()), 0);
    ASSERT_EQ(vuc_region_read(c.get(), 0, 0x100, back.data(), back.size()), 0);
    EXPECT_EQ(back, scratch);
    EXPECT_EQ(vuc_region_read(c.get(), 0, 0xffe, back.data(), 4), -EINVAL);

    // DMA maps (message-based) and unmaps.
    std::vector<uint8_t> mem(0x2000);
    EXPECT_EQ(vuc_dma_map(c.get(), 0x100000, 0x2000, 3, mem.data(), -1, 0), 0);
    EXPECT_EQ(vuc_dma_map(c.get(), 0x101000, 0x2000, 3, mem.data(), -1, 0), -EINVAL);
    EXPECT_EQ(vuc_dma_unmap(c.get(), 0x100000, 0x1000), -ENOENT);
    EXPECT_EQ(vuc_dma_unmap(c.get(), 0x100000, 0x2000), 0);

    // Reset restores the register file.
    EXPECT_EQ(vuc_device_reset(c.get()), 0);
    ASSERT_EQ(vuc_region_read(c.get(), 0, 0x100, back.data(), back.size()), 0);
    EXPECT_EQ(back, std::vector<uint8_t>(256, 0));
    EXPECT_EQ(rd32(c.get(), 0, 0x014), 0u);

    // The map table alone (vuc_dma_table_add/remove), no message sent.
    EXPECT_EQ(vuc_dma_table_add(c.get(), 0x200000, 0, 3, nullptr), -EINVAL);           // empty
    EXPECT_EQ(vuc_dma_table_add(c.get(), 0x200000, 0x1000, 4, nullptr), -EINVAL);      // prot bit 2
    EXPECT_EQ(vuc_dma_table_add(c.get(), ~0ull - 0xfff, 0x2000, 3, nullptr), -EINVAL); // wraps
    EXPECT_EQ(vuc_dma_table_remove(c.get(), 0x200000, 0x1000), -ENOENT);
    EXPECT_EQ(vuc_dma_table_add(c.get(), 0x200000, 0x1000, 3, nullptr), 0);
    EXPECT_EQ(vuc_dma_table_remove(c.get(), 0x200000, 0x800), -ENOENT); // exact range only
    EXPECT_EQ(vuc_dma_table_remove(c.get(), 0x200000, 0x1000), 0);
    EXPECT_EQ(vuc_dma_table_remove(c.get(), 0x200000, 0x1000), -ENOENT);

    // Function Level Reset (regs advertises it): the PCIe capability is the
    // first (0x40). Device Capabilities = the library's 0x00008002 (MPS 512,
    // role-based errors) with bit 28, FLR Capability; writing Initiate FLR
    // (Device Control at cap + 8, bit 15) resets the register file through
    // the reset callback, and the bit reads back 0.
    EXPECT_EQ(rd32(c.get(), VU_PCI_CONFIG_REGION, 0x34) & 0xff, 0x40u);
    EXPECT_EQ(rd32(c.get(), VU_PCI_CONFIG_REGION, 0x40) & 0xff, 0x10u); // PCI Express
    EXPECT_EQ(rd32(c.get(), VU_PCI_CONFIG_REGION, 0x44), 0x10008002u);
    ASSERT_EQ(vuc_region_write(c.get(), 0, 0x100, scratch.data(), scratch.size()), 0);
    const uint8_t iflr[2] = {0x10, 0xa8}; // MRRS 512, MPS 128, RO, no snoop + bit 15
    EXPECT_EQ(vuc_region_write(c.get(), VU_PCI_CONFIG_REGION, 0x48, iflr, 2), 0);
    ASSERT_EQ(vuc_region_read(c.get(), 0, 0x100, back.data(), back.size()), 0);
    EXPECT_EQ(back, std::vector<uint8_t>(256, 0));
    EXPECT_EQ(rd32(c.get(), VU_PCI_CONFIG_REGION, 0x48) & 0xffff, 0x2810u);
}

TEST(ServerClient, GpioIntxThroughEventfd) {
    ServerProcess s({model("gpio")});
    ASSERT_TRUE(s.ready()) << s.error();
    Client c = connect_client(s, true);
    ASSERT_TRUE(c);
    vu_irq_info ii{};
    ASSERT_EQ(vuc_irq_info(c.get(), VU_PCI_INTX_IRQ, &ii), 0);
    EXPECT_EQ(ii.count, 1u);
    int efd = eventfd(0, EFD_CLOEXEC);
    EXPECT_EQ(vuc_set_irqs_eventfd(c.get(), VU_PCI_INTX_IRQ, 0, 1, &efd), 0);
    // Loopback trigger (DATA_NONE|TRIGGER) reaches the eventfd.
    EXPECT_EQ(vuc_set_irqs(c.get(), VU_PCI_INTX_IRQ, 0, 1,
                           VU_IRQ_SET_DATA_NONE | VU_IRQ_SET_ACTION_TRIGGER, nullptr),
              0);
    pollfd p{efd, POLLIN, 0};
    ASSERT_EQ(poll(&p, 1, kTimeout), 1);
    uint64_t n = 0;
    EXPECT_EQ(read(efd, &n, sizeof(n)), 8);
    EXPECT_EQ(n, 1u);
    EXPECT_EQ(vuc_intx_unmask(c.get()), 0);
    close(efd);
}

// dmaprobe with DMA on the twin socket and on the main socket (a legacy
// server, and a client that does not offer the twin).
TEST(ServerClient, DmaprobeDmaInBothSocketModes) {
    struct Mode {
        std::vector<std::string> argv;
        bool offer_twin;
        bool expect_twin;
    } modes[] = {
        {{model("dmaprobe")}, true, true},
        {{model("dmaprobe"), "--legacy-socket"}, true, false},
        {{model("dmaprobe")}, false, false},
    };
    for (const auto &m : modes) {
        SCOPED_TRACE(m.argv.size() > 1 ? "legacy server" : m.offer_twin ? "twin" : "no twin");
        ServerProcess s(m.argv);
        ASSERT_TRUE(s.ready()) << s.error();
        Client c = connect_client(s, m.offer_twin, 1024);
        ASSERT_TRUE(c);
        EXPECT_EQ(vuc_has_twin(c.get()), m.expect_twin);
        std::vector<uint8_t> mem = pattern(0x10000);
        ASSERT_EQ(vuc_dma_map(c.get(), 0x10000000, mem.size(), 3, mem.data(), -1, 0), 0);
        ASSERT_EQ(wr64(c.get(), 0, 0x00, 0x10000100), 0);
        ASSERT_EQ(wr64(c.get(), 0, 0x08, 3000), 0);
        ASSERT_EQ(wr64(c.get(), 0, 0x10, 1), 0); // DMA_READ into scratch, served meanwhile
        EXPECT_EQ(rd64(c.get(), 0, 0x18), 0u);
        std::vector<uint8_t> scratch(3000);
        ASSERT_EQ(vuc_region_read(c.get(), 0, 0x100, scratch.data(), scratch.size()), 0);
        EXPECT_TRUE(std::equal(scratch.begin(), scratch.end(), mem.begin() + 0x100));
        ASSERT_EQ(wr64(c.get(), 0, 0x00, 0x10008000), 0);
        ASSERT_EQ(wr64(c.get(), 0, 0x10, 2), 0); // DMA_WRITE the scratch back
        EXPECT_EQ(rd64(c.get(), 0, 0x18), 0u);
        EXPECT_TRUE(std::equal(scratch.begin(), scratch.end(), mem.begin() + 0x8000));
        // Outside the map: the device sees EFAULT and nothing is sent.
        ASSERT_EQ(wr64(c.get(), 0, 0x00, 0x20000000), 0);
        ASSERT_EQ(wr64(c.get(), 0, 0x10, 1), 0);
        EXPECT_EQ(rd64(c.get(), 0, 0x18), uint64_t(EFAULT));
    }
}

namespace {

// The race from the client side: the doorbell REGION_WRITE is out, its
// DMA_READ has arrived and is held, and the client sends another
// REGION_WRITE before serving it. Returns the status of that REGION_WRITE
// (or -ETIMEDOUT) and of the doorbell.
struct RaceOutcome {
    int doorbell = 1;
    int crossing_write = 1;
};

RaceOutcome run_race(vuc_ctx *c) {
    RaceOutcome out;
    vuc_set_hold(c, true);
    vuc_id bell = 0, cross = 0;
    uint64_t one = 1, marker = 0x1122334455667788ull;
    EXPECT_EQ(vuc_submit_region_write(c, 0, 0x10, &one, 8, 0, &bell), 0);
    // Wait for the DMA_READ to arrive; hold it.
    uint64_t dma_seq = 0;
    bool got_dma = false;
    for (int i = 0; i < 50 && !got_dma; i++) {
        vuc_step(c, 100);
        vuc_event ev;
        while (vuc_next_event(c, &ev) == 1)
            if (ev.kind == VUC_EV_ARRIVED && ev.arrival == VUC_ARR_DMA && !got_dma) {
                dma_seq = ev.seq;
                got_dma = true;
            }
    }
    EXPECT_TRUE(got_dma);
    EXPECT_EQ(vuc_submit_region_write(c, 0, 0x100, &marker, 8, 0, &cross), 0);
    usleep(200 * 1000); // let the crossing command reach the server first
    EXPECT_EQ(vuc_deliver(c, dma_seq), 0);
    vuc_set_hold(c, false); // deliver everything else as it comes
    for (int i = 0; i < 30; i++) {
        vuc_step(c, 100);
        vuc_event ev;
        while (vuc_next_event(c, &ev) == 1) {
            if (ev.kind != VUC_EV_COMPLETED)
                continue;
            if (ev.id == bell)
                out.doorbell = ev.status;
            if (ev.id == cross)
                out.crossing_write = ev.status;
        }
        if (out.doorbell != 1 && out.crossing_write != 1)
            break;
    }
    if (out.crossing_write == 1)
        out.crossing_write = -ETIMEDOUT;
    vuc_release(c, bell);
    vuc_release(c, cross);
    return out;
}

} // namespace

TEST(ServerClient, CrossingRegionWriteSucceedsWithTwinSocket) {
    ServerProcess s({model("dmaprobe")});
    ASSERT_TRUE(s.ready()) << s.error();
    Client c = connect_client(s, true, 1024);
    ASSERT_TRUE(c);
    ASSERT_TRUE(vuc_has_twin(c.get()));
    std::vector<uint8_t> mem = pattern(0x10000);
    ASSERT_EQ(vuc_dma_map(c.get(), 0x10000000, mem.size(), 3, mem.data(), -1, 0), 0);
    ASSERT_EQ(wr64(c.get(), 0, 0x00, 0x10000100), 0);
    ASSERT_EQ(wr64(c.get(), 0, 0x08, 3000), 0);
    RaceOutcome o = run_race(c.get());
    EXPECT_EQ(o.doorbell, 0);
    EXPECT_EQ(o.crossing_write, 0);
    EXPECT_EQ(rd64(c.get(), 0, 0x18), 0u);                     // the DMA succeeded
    EXPECT_EQ(rd64(c.get(), 0, 0x100), 0x1122334455667788ull); // the write landed after it
}

// Legacy: the server reads the crossing REGION_WRITE's header as its DMA
// reply (EPROTO), the doorbell still succeeds, and the REGION_WRITE is
// swallowed: never answered, never applied (race279.jsonl's outcome).
TEST(ServerClient, CrossingRegionWriteIsSwallowedInLegacyMode) {
    ServerProcess s({model("dmaprobe"), "--legacy-socket"});
    ASSERT_TRUE(s.ready()) << s.error();
    {
        Client c = connect_client(s, true, 1024);
        ASSERT_TRUE(c);
        ASSERT_FALSE(vuc_has_twin(c.get()));
        std::vector<uint8_t> mem = pattern(0x10000);
        ASSERT_EQ(vuc_dma_map(c.get(), 0x10000000, mem.size(), 3, mem.data(), -1, 0), 0);
        ASSERT_EQ(wr64(c.get(), 0, 0x00, 0x10000100), 0);
        ASSERT_EQ(wr64(c.get(), 0, 0x08, 3000), 0);
        RaceOutcome o = run_race(c.get());
        EXPECT_EQ(o.doorbell, 0);
        EXPECT_NE(o.crossing_write, 0);
    }
    // A fresh client reads what the device recorded: EPROTO, scratch untouched.
    Client c2 = connect_client(s, false);
    ASSERT_TRUE(c2);
    EXPECT_EQ(rd64(c2.get(), 0, 0x18), uint64_t(EPROTO));
    EXPECT_EQ(rd64(c2.get(), 0, 0x100), 0u);
    EXPECT_TRUE(s.alive());
}

namespace {

struct Desc {
    uint64_t src, dst;
    uint32_t len, flags;
    uint64_t completion;
};
struct Record {
    uint32_t status, length;
    uint64_t seq;
};
static_assert(sizeof(Desc) == 32 && sizeof(Record) == 16, "dmacopy README layouts");

constexpr uint64_t kIova = 0x80000000ull;
constexpr size_t kMem = 8u << 20;
constexpr uint64_t kRing = 0, kRecords = 0x10000, kData = 0x20000;

// Waits for the eventfd while the client serves DMA (needed when the device
// copies after replying).
bool wait_irq(vuc_ctx *c, int efd, int timeout_ms) {
    for (int waited = 0; waited < timeout_ms; waited += 10) {
        pollfd p[3] = {{efd, POLLIN, 0}};
        int n = vuc_poll_fds(c, p + 1, 2);
        if (poll(p, nfds_t(1 + n), 10) < 0)
            return false;
        if (p[0].revents & POLLIN) {
            uint64_t v;
            return read(efd, &v, sizeof(v)) == 8 && v >= 1;
        }
        vuc_step(c, 0);
    }
    return false;
}

// Sets the interrupt mode and returns the eventfd it will signal.
int setup_irq(vuc_ctx *c, uint32_t mode) {
    int efd = eventfd(0, EFD_CLOEXEC);
    if (mode == 3) {
        uint8_t msix = find_cap(c, 0x11);
        uint16_t ctl = 0x8000;
        EXPECT_EQ(vuc_region_write(c, 7, msix + 2, &ctl, 2), 0);
        EXPECT_EQ(wr32(c, 2, 12, 0), 0); // unmask vector 0 in the table
        EXPECT_EQ(vuc_set_irqs_eventfd(c, VU_PCI_MSIX_IRQ, 0, 1, &efd), 0);
    } else if (mode == 2) {
        uint8_t msi = find_cap(c, 0x05);
        uint16_t ctl = 0x0001;
        EXPECT_EQ(vuc_region_write(c, 7, msi + 2, &ctl, 2), 0);
        EXPECT_EQ(vuc_set_irqs_eventfd(c, VU_PCI_MSI_IRQ, 0, 1, &efd), 0);
    } else {
        EXPECT_EQ(vuc_set_irqs_eventfd(c, VU_PCI_INTX_IRQ, 0, 1, &efd), 0);
    }
    EXPECT_EQ(wr32(c, 0, 0x1c, mode), 0);
    return efd;
}

void run_ring(vuc_ctx *c, uint8_t *mem, const std::vector<uint32_t> &lens, int efd, bool intx,
              std::mt19937 &rng) {
    uint32_t n = uint32_t(lens.size());
    uint32_t size = n + 1; // one slot stays free
    ASSERT_EQ(wr32(c, 0, 0x00, uint32_t(kIova + kRing)), 0);
    ASSERT_EQ(wr32(c, 0, 0x04, uint32_t((kIova + kRing) >> 32)), 0);
    ASSERT_EQ(wr32(c, 0, 0x08, size), 0);
    uint32_t completed0 = rd32(c, 0, 0x20);
    uint64_t off = kData;
    std::vector<Desc> ds(n);
    for (uint32_t i = 0; i < n; i++) {
        ds[i] = {kIova + off, kIova + off + lens[i], lens[i], i + 1 == n ? 1u : 0u,
                 kIova + kRecords + 16 * i};
        for (uint32_t k = 0; k < lens[i]; k++)
            mem[off + k] = uint8_t(rng());
        memset(mem + off + lens[i], 0, lens[i]);
        memcpy(mem + kRing + 32 * i, &ds[i], 32);
        off += 2 * uint64_t(lens[i]) + 64;
        ASSERT_LE(off, kMem);
    }
    memset(mem + kRecords, 0xee, 16 * n);
    ASSERT_EQ(wr32(c, 0, 0x10, n), 0); // doorbell
    ASSERT_TRUE(wait_irq(c, efd, 5000)) << "no interrupt for a ring of " << n;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *src = mem + (ds[i].src - kIova), *dst = mem + (ds[i].dst - kIova);
        EXPECT_EQ(memcmp(src, dst, lens[i]), 0) << "descriptor " << i << " len " << lens[i];
        Record r;
        memcpy(&r, mem + kRecords + 16 * i, 16);
        EXPECT_EQ(r.status, 0u);
        EXPECT_EQ(r.length, lens[i]);
        EXPECT_EQ(r.seq, uint64_t(completed0) + i + 1);
    }
    EXPECT_EQ(rd32(c, 0, 0x14), n);              // TAIL caught up with HEAD
    EXPECT_EQ(rd32(c, 0, 0x20), completed0 + n); // COMPLETED
    EXPECT_EQ(rd32(c, 0, 0x18) & 0x6, 0u);       // no error
    EXPECT_EQ(rd32(c, 0, 0x24), 1u);             // INT_STATUS
    EXPECT_EQ(wr32(c, 0, 0x24, 1), 0);
    if (intx) {
        EXPECT_EQ(vuc_intx_unmask(c), 0);
    }
}

void dmacopy_rings(const std::vector<std::string> &argv, bool offer_twin, uint32_t mode) {
    ServerProcess s(argv);
    ASSERT_TRUE(s.ready()) << s.error();
    Client c = connect_client(s, offer_twin);
    ASSERT_TRUE(c);
    std::vector<uint8_t> mem(kMem);
    ASSERT_EQ(vuc_dma_map(c.get(), kIova, kMem, 3, mem.data(), -1, 0), 0);
    EXPECT_EQ(rd32(c.get(), 0, 0x28), 0x52434443u);
    int efd = setup_irq(c.get(), mode);
    std::mt19937 rng(42);
    const std::vector<std::vector<uint32_t>> rings = {
        {4096},
        {1, 100, 4097},
        {65536 + 7, 3, 1u << 20, 512, 0, 77, 4096, 1000, 2, 9999, 31, 65536, 5, 6, 7, 8, 1},
    };
    for (const auto &r : rings) {
        run_ring(c.get(), mem.data(), r, efd, mode == 1, rng);
        // Restart the ring at 0 for the next batch.
        ASSERT_EQ(wr32(c.get(), 0, 0x08, 0), 0);
    }
    close(efd);
}

} // namespace

TEST(ServerClient, DmacopyRingsMsixInsideTheDoorbell) {
    dmacopy_rings({model("dmacopy")}, true, 3);
}

TEST(ServerClient, DmacopyRingsMsiAfterReplyOnWorker) {
    dmacopy_rings({model("dmacopy"), "--dma-after-reply"}, true, 2);
}

TEST(ServerClient, DmacopyRingsIntxLegacySocket) {
    dmacopy_rings({model("dmacopy"), "--legacy-socket"}, true, 1);
}

// The two other DMA modes, with the client library serving DMA on the main
// socket: QUEUE (copy inside the doorbell) and ASYNC (the doorbell returns at
// once; the engine runs on completions).
TEST(ServerClient, DmacopyRingsMsixQueueMode) {
    dmacopy_rings({model("dmacopy"), "--dma-mode", "queue"}, true, 3);
}

TEST(ServerClient, DmacopyRingsMsixAsyncMode) {
    dmacopy_rings({model("dmacopy"), "--dma-mode", "async"}, true, 3);
}

TEST(ServerClient, DmacopyBadDescriptorAddressSetsError) {
    ServerProcess s({model("dmacopy")});
    ASSERT_TRUE(s.ready()) << s.error();
    Client c = connect_client(s, true);
    ASSERT_TRUE(c);
    std::vector<uint8_t> mem(0x10000);
    ASSERT_EQ(vuc_dma_map(c.get(), kIova, mem.size(), 3, mem.data(), -1, 0), 0);
    Desc d{kIova + 0x1000, 0x12345000, 64, 0, kIova + 0x100};
    memcpy(mem.data(), &d, sizeof(d));
    ASSERT_EQ(wr32(c.get(), 0, 0x00, uint32_t(kIova)), 0);
    ASSERT_EQ(wr32(c.get(), 0, 0x04, uint32_t(kIova >> 32)), 0);
    ASSERT_EQ(wr32(c.get(), 0, 0x08, 4), 0);
    ASSERT_EQ(wr32(c.get(), 0, 0x10, 1), 0);
    uint32_t st = rd32(c.get(), 0, 0x18);
    EXPECT_EQ(st & 0x2, 0x2u);             // ERROR
    EXPECT_EQ(st >> 16, uint32_t(EFAULT)); // dst not mapped
    Record r;
    memcpy(&r, mem.data() + 0x100, sizeof(r));
    EXPECT_EQ(r.status, uint32_t(EFAULT));
    EXPECT_EQ(wr32(c.get(), 0, 0x10, 9), 0); // HEAD past the ring size
    EXPECT_EQ(rd32(c.get(), 0, 0x18) >> 16, uint32_t(EINVAL));
}
