// The server library against a raw client over a real socket: config space
// (type 0 header, BAR sizing, capability chain, PCIe Device Control), IRQs
// (INTx automask, MSI/MSI-X enable and masking), the DMA map rules, sync and
// async DMA chunking, and hostile input. Expected values come from the PCI
// spec's field definitions and the protocol tables, written out by hand.
#include <gtest/gtest.h>

#include <cstring>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "inproc_device.hpp"
#include "raw_client.hpp"

using namespace rcsim::test;

namespace {

constexpr int kWait = 3000;

struct Conn {
    RawSocket main, twin;
    uint16_t next_id = 100;

    bool open(const std::string &path, bool want_twin = true, uint32_t max_xfer = 1048576) {
        return open_session(path, want_twin, max_xfer, &main, &twin, nullptr);
    }

    RawMessage call(const std::vector<uint8_t> &msg, const std::vector<int> &fds = {}) {
        EXPECT_TRUE(main.send_bytes(msg, fds));
        auto r = main.recv_message(kWait);
        EXPECT_TRUE(r.has_value()) << "no reply to cmd " << int(msg[2]);
        return r.value_or(RawMessage{std::vector<uint8_t>(16, 0), {}});
    }

    // REGION_READ; returns the data (empty on error).
    std::vector<uint8_t> read(uint32_t region, uint64_t off, uint32_t count) {
        auto r = call(region_read_msg(next_id++, region, off, count));
        if (r.hdr().flags & VU_F_ERROR || r.payload_len() < 16)
            return {};
        return std::vector<uint8_t>(r.payload() + 16, r.payload() + r.payload_len());
    }
    uint32_t read32(uint32_t region, uint64_t off) {
        auto d = read(region, off, 4);
        uint32_t v = 0;
        if (d.size() == 4)
            memcpy(&v, d.data(), 4);
        return v;
    }
    uint16_t read16(uint32_t region, uint64_t off) { return uint16_t(read32(region, off)); }
    int write(uint32_t region, uint64_t off, const std::vector<uint8_t> &data) {
        auto r = call(region_write_msg(next_id++, region, off, data));
        return r.hdr().flags & VU_F_ERROR ? int(r.hdr().error_no) : 0;
    }
    int write32(uint32_t region, uint64_t off, uint32_t v) {
        std::vector<uint8_t> b(4);
        memcpy(b.data(), &v, 4);
        return write(region, off, b);
    }
    int write64(uint32_t region, uint64_t off, uint64_t v) {
        std::vector<uint8_t> b(8);
        memcpy(b.data(), &v, 8);
        return write(region, off, b);
    }
    uint32_t err_of(const std::vector<uint8_t> &msg, const std::vector<int> &fds = {}) {
        auto r = call(msg, fds);
        return r.hdr().flags & VU_F_ERROR ? r.hdr().error_no : 0;
    }
    int set_irqs(uint32_t index, uint32_t flags, uint32_t start, uint32_t count,
                 const std::vector<int> &fds = {}) {
        vu_irq_set s{sizeof(vu_irq_set), flags, index, start, count};
        return int(err_of(make_msg(next_id++, VU_CMD_DEVICE_SET_IRQS, &s, sizeof(s)), fds));
    }
};

uint64_t eventfd_count(int fd, int timeout_ms = 200) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0)
        return 0;
    uint64_t v = 0;
    if (read(fd, &v, sizeof(v)) != sizeof(v))
        return 0;
    return v;
}

class Library : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_TRUE(dev.ok());
        ASSERT_TRUE(c.open(dev.socket_path()));
    }
    InprocDevice dev;
    Conn c;
};

} // namespace

TEST_F(Library, ConfigHeaderIsTypeZeroWithIdsAndCapList) {
    EXPECT_EQ(c.read16(7, 0x00), 0x5243);                      // vendor
    EXPECT_EQ(c.read16(7, 0x02), 0x00fe);                      // device
    EXPECT_EQ(c.read32(7, 0x08), 0x08800007u);                 // class 088000, revision 7
    EXPECT_EQ(c.read(7, 0x0e, 1), std::vector<uint8_t>{0x00}); // header type 0
    EXPECT_EQ(c.read16(7, 0x06) & 0x10, 0x10);                 // Status: Capabilities List
    EXPECT_EQ(c.read16(7, 0x2c), 0x5243);                      // subsystem vendor
    EXPECT_EQ(c.read16(7, 0x2e), 0x0101);                      // subsystem
    EXPECT_EQ(c.read(7, 0x3d, 1), std::vector<uint8_t>{0x01}); // INTA
    EXPECT_EQ(c.read32(7, 0x10), 0x0u);                        // BAR0: memory, 32-bit
    EXPECT_EQ(c.read32(7, 0x18), 0xcu);                        // BAR2: memory, 64-bit, prefetchable
    EXPECT_EQ(c.read32(7, 0x20), 0x1u);                        // BAR4: I/O
    // Region info: config space is 4 KiB with a PCIe capability.
    vu_region_info ri{sizeof(vu_region_info), 0, 7, 0, 0, 0};
    auto r = c.call(make_msg(9, VU_CMD_DEVICE_GET_REGION_INFO, &ri, sizeof(ri)));
    ASSERT_EQ(r.payload_len(), sizeof(ri));
    memcpy(&ri, r.payload(), sizeof(ri));
    EXPECT_EQ(ri.size, 4096u);
    EXPECT_EQ(ri.flags, VU_REGION_F_READ | VU_REGION_F_WRITE);
}

TEST_F(Library, BarSizingReadsBackTheSizeMask) {
    EXPECT_EQ(c.write32(7, 0x10, 0xffffffffu), 0);
    EXPECT_EQ(c.read32(7, 0x10), 0xfffff000u); // 4 KiB, type bits 0
    EXPECT_EQ(c.write32(7, 0x18, 0xffffffffu), 0);
    EXPECT_EQ(c.write32(7, 0x1c, 0xffffffffu), 0);
    EXPECT_EQ(c.read32(7, 0x18), 0xffffc00cu); // 16 KiB, 64-bit prefetchable
    EXPECT_EQ(c.read32(7, 0x1c), 0xffffffffu);
    EXPECT_EQ(c.write32(7, 0x20, 0xffffffffu), 0);
    EXPECT_EQ(c.read32(7, 0x20), 0xfffffff1u); // 16 bytes of I/O
    EXPECT_EQ(c.write32(7, 0x14, 0xffffffffu), 0);
    EXPECT_EQ(c.read32(7, 0x14), 0x0u); // BAR1 not implemented
    EXPECT_EQ(c.write32(7, 0x10, 0xfebf1234u), 0);
    EXPECT_EQ(c.read32(7, 0x10), 0xfebf1000u); // address bits only
    // Read-only fields ignore writes.
    EXPECT_EQ(c.write32(7, 0x00, 0x11112222u), 0);
    EXPECT_EQ(c.read32(7, 0x00), 0x00fe5243u);
}

TEST_F(Library, CapabilityChainPcieMsiMsix) {
    std::vector<uint8_t> ids;
    uint8_t ptr = c.read(7, 0x34, 1).at(0);
    while (ptr != 0 && ids.size() < 8) {
        auto cap = c.read(7, ptr, 2);
        ids.push_back(cap.at(0));
        ptr = cap.at(1);
    }
    EXPECT_EQ(ids, (std::vector<uint8_t>{0x10, 0x05, 0x11}));
    uint8_t pcie = c.read(7, 0x34, 1).at(0);
    EXPECT_EQ(c.read16(7, pcie + 2) & 0xf, 2);        // capability version 2
    EXPECT_EQ((c.read16(7, pcie + 2) >> 4) & 0xf, 0); // PCI Express endpoint
    // Device Control: MPS (bits 7:5) and MRRS (bits 14:12) are writable.
    uint16_t devctl = uint16_t((3u << 12) | (1u << 5));
    std::vector<uint8_t> b{uint8_t(devctl), uint8_t(devctl >> 8)};
    EXPECT_EQ(c.write(7, pcie + 8, b), 0);
    uint16_t got = c.read16(7, pcie + 8);
    EXPECT_EQ((got >> 5) & 7, 1);  // 256 B payload
    EXPECT_EQ((got >> 12) & 7, 3); // 1024 B read request
    // Device Capabilities is read-only.
    uint32_t devcap = c.read32(7, pcie + 4);
    EXPECT_EQ(c.write32(7, pcie + 4, ~devcap), 0);
    EXPECT_EQ(c.read32(7, pcie + 4), devcap);
}

TEST_F(Library, IrqInfoCountsAndFlags) {
    const uint32_t want_count[5] = {1, 4, 8, 0, 0};
    for (uint32_t i = 0; i < 5; i++) {
        vu_irq_info q{sizeof(vu_irq_info), 0, i, 0};
        auto r = c.call(make_msg(20, VU_CMD_DEVICE_GET_IRQ_INFO, &q, sizeof(q)));
        ASSERT_EQ(r.payload_len(), sizeof(q));
        memcpy(&q, r.payload(), sizeof(q));
        EXPECT_EQ(q.count, want_count[i]) << "index " << i;
        EXPECT_EQ(q.index, i);
    }
    vu_irq_info q{sizeof(vu_irq_info), 0, 0, 0};
    auto r = c.call(make_msg(21, VU_CMD_DEVICE_GET_IRQ_INFO, &q, sizeof(q)));
    memcpy(&q, r.payload(), sizeof(q));
    EXPECT_EQ(q.flags, VU_IRQ_INFO_F_EVENTFD | VU_IRQ_INFO_F_MASKABLE | VU_IRQ_INFO_F_AUTOMASKED);
    q = {sizeof(vu_irq_info), 0, 5, 0};
    EXPECT_EQ(c.err_of(make_msg(22, VU_CMD_DEVICE_GET_IRQ_INFO, &q, sizeof(q))), uint32_t(EINVAL));
}

TEST_F(Library, IntxIsAutomaskedUntilUnmasked) {
    int efd = eventfd(0, EFD_CLOEXEC);
    ASSERT_EQ(c.set_irqs(0, VU_IRQ_SET_DATA_EVENTFD | VU_IRQ_SET_ACTION_TRIGGER, 0, 1, {efd}), 0);
    EXPECT_EQ(vus_irq_trigger(dev.ctx(), 0, 0), 1);
    EXPECT_EQ(eventfd_count(efd), 1u);
    EXPECT_EQ(vus_irq_trigger(dev.ctx(), 0, 0), 0); // masked: left pending
    EXPECT_EQ(eventfd_count(efd, 100), 0u);
    ASSERT_EQ(c.set_irqs(0, VU_IRQ_SET_DATA_NONE | VU_IRQ_SET_ACTION_UNMASK, 0, 1), 0);
    EXPECT_EQ(eventfd_count(efd), 1u); // the pending one goes out on unmask
    // The INTx Disable bit in Command holds it back too.
    ASSERT_EQ(c.set_irqs(0, VU_IRQ_SET_DATA_NONE | VU_IRQ_SET_ACTION_UNMASK, 0, 1), 0);
    EXPECT_EQ(c.write(7, 0x04, {0x00, 0x04}), 0);
    EXPECT_EQ(vus_irq_trigger(dev.ctx(), 0, 0), 0);
    EXPECT_EQ(eventfd_count(efd, 100), 0u);
    EXPECT_EQ(c.write(7, 0x04, {0x00, 0x00}), 0);
    EXPECT_EQ(eventfd_count(efd), 1u);
    close(efd);
}

TEST_F(Library, MsiNeedsEnableAndHonoursMaskBits) {
    int efd = eventfd(0, EFD_CLOEXEC);
    ASSERT_EQ(c.set_irqs(1, VU_IRQ_SET_DATA_EVENTFD | VU_IRQ_SET_ACTION_TRIGGER, 0, 1, {efd}), 0);
    EXPECT_EQ(vus_irq_trigger(dev.ctx(), 1, 0), -EPERM);
    uint8_t msi = 0;
    for (uint8_t p = c.read(7, 0x34, 1).at(0); p != 0; p = c.read(7, p + 1, 1).at(0))
        if (c.read(7, p, 1).at(0) == 0x05)
            msi = p;
    ASSERT_NE(msi, 0);
    EXPECT_EQ((c.read16(7, msi + 2) >> 1) & 7, 2);   // Multiple Message Capable: 4
    EXPECT_EQ(c.read16(7, msi + 2) & 0x180, 0x180);  // 64-bit, per-vector masking
    EXPECT_EQ(c.write(7, msi + 2, {0x01, 0x00}), 0); // enable, 1 vector
    EXPECT_EQ(c.write32(7, msi + 0x10, 1), 0);       // mask vector 0
    EXPECT_EQ(vus_irq_trigger(dev.ctx(), 1, 0), 0);
    EXPECT_EQ(c.read32(7, msi + 0x14), 1u); // pending bit
    EXPECT_EQ(eventfd_count(efd, 100), 0u);
    EXPECT_EQ(c.write32(7, msi + 0x10, 0), 0); // unmask: delivered
    EXPECT_EQ(eventfd_count(efd), 1u);
    EXPECT_EQ(c.read32(7, msi + 0x14), 0u);
    EXPECT_EQ(vus_irq_trigger(dev.ctx(), 1, 1), -EINVAL); // only 1 vector enabled
    close(efd);
}

TEST_F(Library, MsixTableMaskingAndPba) {
    std::vector<int> efds;
    for (int i = 0; i < 8; i++)
        efds.push_back(eventfd(0, EFD_CLOEXEC));
    ASSERT_EQ(c.set_irqs(2, VU_IRQ_SET_DATA_EVENTFD | VU_IRQ_SET_ACTION_TRIGGER, 0, 8, efds), 0);
    EXPECT_EQ(vus_irq_trigger(dev.ctx(), 2, 3), -EPERM); // MSI-X not enabled
    uint8_t msix = 0;
    for (uint8_t p = c.read(7, 0x34, 1).at(0); p != 0; p = c.read(7, p + 1, 1).at(0))
        if (c.read(7, p, 1).at(0) == 0x11)
            msix = p;
    ASSERT_NE(msix, 0);
    EXPECT_EQ(c.read16(7, msix + 2) & 0x7ff, 7);      // table size 8
    EXPECT_EQ(c.read32(7, msix + 4), 0x00000002u);    // table: BAR2 offset 0
    EXPECT_EQ(c.read32(7, msix + 8), 0x00002002u);    // PBA: BAR2 offset 0x2000
    EXPECT_EQ(c.write(7, msix + 2, {0x00, 0x80}), 0); // enable
    // Vectors come out of reset masked: vector 3 stays pending.
    EXPECT_EQ(c.read32(2, 3 * 16 + 12), 1u);
    EXPECT_EQ(vus_irq_trigger(dev.ctx(), 2, 3), 0);
    EXPECT_EQ(c.read32(2, 0x2000), 1u << 3);
    EXPECT_EQ(eventfd_count(efds[3], 100), 0u);
    // Program and unmask vector 3: the pending message goes out.
    EXPECT_EQ(c.write64(2, 3 * 16, 0xfee00000u), 0);
    EXPECT_EQ(c.write32(2, 3 * 16 + 8, 0x4023), 0);
    EXPECT_EQ(c.write32(2, 3 * 16 + 12, 0), 0);
    EXPECT_EQ(eventfd_count(efds[3]), 1u);
    EXPECT_EQ(c.read32(2, 0x2000), 0u);
    EXPECT_EQ(c.read32(2, 3 * 16 + 8), 0x4023u);
    EXPECT_EQ(vus_irq_trigger(dev.ctx(), 2, 3), 1);
    EXPECT_EQ(eventfd_count(efds[3]), 1u);
    // Function Mask holds every vector back.
    EXPECT_EQ(c.write(7, msix + 2, {0x00, 0xc0}), 0);
    EXPECT_EQ(vus_irq_trigger(dev.ctx(), 2, 3), 0);
    EXPECT_EQ(eventfd_count(efds[3], 100), 0u);
    EXPECT_EQ(c.write(7, msix + 2, {0x00, 0x80}), 0);
    EXPECT_EQ(eventfd_count(efds[3]), 1u);
    // The PBA is read-only; the device callback never sees the table.
    EXPECT_EQ(c.write32(2, 0x2000, 0xff), 0);
    EXPECT_EQ(c.read32(2, 0x2000), 0u);
    EXPECT_EQ(c.read32(2, 0x3000), 0xa5a5a5a5u); // beyond the PBA: the BAR's own callback
    for (int fd : efds)
        close(fd);
}

TEST_F(Library, SetIrqsValidation) {
    int efd = eventfd(0, EFD_CLOEXEC);
    const uint32_t trig_efd = VU_IRQ_SET_DATA_EVENTFD | VU_IRQ_SET_ACTION_TRIGGER;
    EXPECT_EQ(c.set_irqs(5, trig_efd, 0, 1, {efd}), EINVAL); // no such index
    EXPECT_EQ(c.set_irqs(2, trig_efd, 8, 1, {efd}), EINVAL); // start past the count
    EXPECT_EQ(c.set_irqs(2, trig_efd, 7, 2, {efd}), EINVAL); // start + count past it
    EXPECT_EQ(c.set_irqs(2, VU_IRQ_SET_DATA_NONE | VU_IRQ_SET_ACTION_TRIGGER, 0, 1, {efd}),
              EINVAL);                                       // fd without DATA_EVENTFD
    EXPECT_EQ(c.set_irqs(2, trig_efd, 0, 2, {efd}), EINVAL); // 1 fd for 2 vectors
    EXPECT_EQ(c.set_irqs(0,
                         VU_IRQ_SET_DATA_NONE | VU_IRQ_SET_ACTION_MASK | VU_IRQ_SET_ACTION_UNMASK,
                         0, 1),
              EINVAL);
    EXPECT_EQ(c.set_irqs(2, VU_IRQ_SET_DATA_NONE | VU_IRQ_SET_ACTION_TRIGGER, 0, 0), 0);
    close(efd);
}

TEST_F(Library, DmaMapOverlapAndExactUnmap) {
    EXPECT_EQ(c.err_of(dma_map_msg(30, 0x10000, 0x10000, 3)), 0u);
    EXPECT_EQ(c.err_of(dma_map_msg(31, 0x18000, 0x10000, 3)), uint32_t(EINVAL));   // overlap
    EXPECT_EQ(c.err_of(dma_map_msg(32, 0x0f000, 0x1001, 3)), uint32_t(EINVAL));    // overlap
    EXPECT_EQ(c.err_of(dma_map_msg(33, 0x20000, 0x1000, 3)), 0u);                  // adjacent
    EXPECT_EQ(c.err_of(dma_map_msg(34, 0x30000, 0x1000, 0x40)), uint32_t(EINVAL)); // bad flag
    vu_dma_unmap um{sizeof(vu_dma_unmap), 0, 0x10000, 0x8000};
    EXPECT_EQ(c.err_of(make_msg(35, VU_CMD_DMA_UNMAP, &um, sizeof(um))), uint32_t(ENOENT));
    um.size = 0x10000;
    auto r = c.call(make_msg(36, VU_CMD_DMA_UNMAP, &um, sizeof(um)));
    ASSERT_EQ(r.payload_len(), sizeof(um)); // echoes the request
    EXPECT_EQ(memcmp(r.payload(), &um, sizeof(um)), 0);
    EXPECT_EQ(c.err_of(make_msg(37, VU_CMD_DMA_UNMAP, &um, sizeof(um))), uint32_t(ENOENT));
    vu_dma_unmap all{sizeof(vu_dma_unmap), VU_DMA_UNMAP_F_ALL, 0, 0};
    EXPECT_EQ(c.err_of(make_msg(38, VU_CMD_DMA_UNMAP, &all, sizeof(all))), 0u);
    um = {sizeof(vu_dma_unmap), 0, 0x20000, 0x1000};
    EXPECT_EQ(c.err_of(make_msg(39, VU_CMD_DMA_UNMAP, &um, sizeof(um))), uint32_t(ENOENT));
}

namespace {

// Serves DMA_READ commands on s from memory laid out as byte = addr & 0xff;
// records chunk sizes and ids.
struct DmaServed {
    std::vector<uint64_t> counts;
    std::vector<uint16_t> ids;
};

bool serve_dma_reads(RawSocket &s, size_t n, DmaServed &out) {
    for (size_t i = 0; i < n; i++) {
        auto m = s.recv_message(kWait);
        if (!m || m->hdr().cmd != VU_CMD_DMA_READ || m->payload_len() != 16)
            return false;
        vu_dma_access a;
        memcpy(&a, m->payload(), 16);
        out.counts.push_back(a.count);
        out.ids.push_back(m->hdr().msg_id);
        std::vector<uint8_t> p(16 + a.count);
        memcpy(p.data(), &a, 16);
        for (uint64_t k = 0; k < a.count; k++)
            p[16 + k] = uint8_t(a.addr + k);
        if (!s.send_bytes(
                make_msg(m->hdr().msg_id, VU_CMD_DMA_READ, p.data(), p.size(), VU_F_TYPE_REPLY)))
            return false;
    }
    return true;
}

} // namespace

TEST(LibraryDma, SyncChunksByClientMaxDataXferOnTwin) {
    InprocDevice dev;
    ASSERT_TRUE(dev.ok());
    Conn c;
    ASSERT_TRUE(c.open(dev.socket_path(), true, 1000));
    ASSERT_GE(c.twin.fd(), 0);
    ASSERT_EQ(c.err_of(dma_map_msg(2, 0x40000, 0x10000, 3)), 0u);
    ASSERT_EQ(c.write64(0, 0x110, 0x40010), 0);
    ASSERT_TRUE(c.main.send_bytes(region_write_msg(3, 0, 0x100, {0xc4, 0x09, 0, 0, 0, 0, 0, 0})));
    DmaServed served;
    ASSERT_TRUE(serve_dma_reads(c.twin, 3, served)); // 2500 = 1000 + 1000 + 500
    EXPECT_EQ(served.counts, (std::vector<uint64_t>{1000, 1000, 500}));
    EXPECT_EQ(served.ids, (std::vector<uint16_t>{1, 2, 3}));
    auto r = c.main.recv_message(kWait); // the doorbell's reply comes after the DMA
    ASSERT_TRUE(r);
    EXPECT_EQ(r->hdr().msg_id, 3);
    EXPECT_EQ(r->hdr().flags, VU_F_TYPE_REPLY);
    EXPECT_EQ(c.read(0, 0x118, 8), std::vector<uint8_t>(8, 0));
    auto data = c.read(0, 0x200, 16);
    ASSERT_EQ(data.size(), 16u);
    for (int k = 0; k < 16; k++)
        EXPECT_EQ(data[k], uint8_t(0x10 + k));
    // Outside every map: EFAULT, and nothing goes on the wire.
    ASSERT_EQ(c.write64(0, 0x110, 0x90000), 0);
    ASSERT_EQ(c.write64(0, 0x100, 16), 0);
    EXPECT_TRUE(c.twin.quiet_for(100));
    EXPECT_EQ(c.read(0, 0x118, 8), (std::vector<uint8_t>{EFAULT, 0, 0, 0, 0, 0, 0, 0}));
}

TEST(LibraryDma, AsyncRepliesFirstAndCompletesFromTheLoop) {
    InprocDevice dev;
    ASSERT_TRUE(dev.ok());
    Conn c;
    ASSERT_TRUE(c.open(dev.socket_path(), true, 512));
    ASSERT_EQ(c.err_of(dma_map_msg(2, 0x40000, 0x10000, 3)), 0u);
    ASSERT_EQ(c.write64(0, 0x110, 0x40000), 0);
    // The doorbell's reply comes at once, before any DMA is served.
    EXPECT_EQ(c.write64(0, 0x108, 1200), 0);
    EXPECT_EQ(dev.async_done.load(), 0);
    DmaServed served;
    ASSERT_TRUE(serve_dma_reads(c.twin, 3, served));
    EXPECT_EQ(served.counts, (std::vector<uint64_t>{512, 512, 176}));
    for (int i = 0; i < 100 && dev.async_done.load() == 0; i++)
        usleep(10000);
    EXPECT_EQ(dev.async_done.load(), 1);
    EXPECT_EQ(c.read(0, 0x118, 8), std::vector<uint8_t>(8, 0));
    EXPECT_EQ(c.read(0, 0x200 + 1199, 1), std::vector<uint8_t>{uint8_t(0x40000 + 1199)});
}

// Async DMA without a twin socket: the reply on main is matched by id, and a
// client command that crosses it is served normally (no #279 race).
TEST(LibraryDma, AsyncOnMainSocketDoesNotSwallowCommands) {
    InprocDevice dev(true);
    ASSERT_TRUE(dev.ok());
    Conn c;
    ASSERT_TRUE(c.open(dev.socket_path(), true, 4096));
    ASSERT_LT(c.twin.fd(), 0);
    ASSERT_EQ(c.err_of(dma_map_msg(2, 0x40000, 0x10000, 3)), 0u);
    ASSERT_EQ(c.write64(0, 0x110, 0x40000), 0);
    ASSERT_TRUE(c.main.send_bytes(region_write_msg(7, 0, 0x108, {64, 0, 0, 0, 0, 0, 0, 0})));
    auto dma = c.main.recv_message(kWait);
    ASSERT_TRUE(dma);
    EXPECT_EQ(dma->hdr().cmd, VU_CMD_DMA_READ);
    auto wr = c.main.recv_message(kWait);
    ASSERT_TRUE(wr);
    EXPECT_EQ(wr->hdr().msg_id, 7);
    // Cross the DMA reply with a REGION_READ: both are handled.
    ASSERT_TRUE(c.main.send_bytes(region_read_msg(8, 0, 0x0, 4)));
    RawSocket &m = c.main;
    std::vector<uint8_t> p(16 + 64);
    memcpy(p.data(), dma->payload(), 16);
    ASSERT_TRUE(m.send_bytes(
        make_msg(dma->hdr().msg_id, VU_CMD_DMA_READ, p.data(), p.size(), VU_F_TYPE_REPLY)));
    auto rr = m.recv_message(kWait);
    ASSERT_TRUE(rr);
    EXPECT_EQ(rr->hdr().msg_id, 8);
    EXPECT_EQ(rr->hdr().flags, VU_F_TYPE_REPLY);
    for (int i = 0; i < 100 && dev.async_done.load() == 0; i++)
        usleep(10000);
    EXPECT_EQ(dev.async_done.load(), 1);
}

TEST_F(Library, HostileInputGetsErrorsAndTheConnectionStays) {
    // Unknown command and commands libvfio-user does not implement.
    EXPECT_EQ(c.err_of(make_msg(40, 99, "\0\0\0\0\0\0\0\0", 8)), uint32_t(EINVAL));
    EXPECT_EQ(c.err_of(make_msg(41, VU_CMD_DEVICE_FEATURE, "\0\0\0\0\0\0\0\0", 8)),
              uint32_t(EINVAL));
    EXPECT_EQ(c.err_of(version_msg(42, "{}")), uint32_t(EINVAL)); // VERSION again
    // REGION_WRITE whose count disagrees with its data.
    auto w = region_write_msg(43, 0, 0, {1, 2, 3, 4});
    vu_region_access ra{0, 0, 8};
    memcpy(w.data() + 16, &ra, sizeof(ra));
    EXPECT_EQ(c.err_of(w), uint32_t(EINVAL));
    // Count over the maximum transfer, offsets past the end, overflow.
    EXPECT_EQ(c.err_of(region_read_msg(44, 0, 0, (1u << 20) + 1)), uint32_t(EINVAL));
    EXPECT_EQ(c.err_of(region_read_msg(45, 0, 0xfff, 2)), uint32_t(EINVAL));
    EXPECT_EQ(c.err_of(region_read_msg(46, 0, ~0ull, 2)), uint32_t(EINVAL));
    EXPECT_EQ(c.err_of(region_read_msg(47, 1, 0, 1)), uint32_t(EINVAL)); // empty region
    EXPECT_EQ(c.err_of(region_read_msg(48, 7, 4095, 2)), uint32_t(EINVAL));
    // Short payloads for fixed-size commands.
    EXPECT_EQ(c.err_of(make_msg(49, VU_CMD_DMA_MAP, "\x20\0\0\0", 4)), uint32_t(EINVAL));
    EXPECT_EQ(c.err_of(make_msg(50, VU_CMD_DEVICE_SET_IRQS, "\x14\0\0\0", 4)), uint32_t(EINVAL));
    EXPECT_EQ(c.err_of(make_msg(51, VU_CMD_DEVICE_GET_REGION_INFO, "\x20\0\0\0", 4)),
              uint32_t(EINVAL));
    // A header claiming more than the largest message: EINVAL, body unread.
    vu_hdr big{52, VU_CMD_REGION_WRITE, 0x7fffffff, 0, 0};
    const auto *bp = reinterpret_cast<const uint8_t *>(&big);
    EXPECT_EQ(c.err_of(std::vector<uint8_t>(bp, bp + sizeof(big))), uint32_t(EINVAL));
    // A command with no payload at all.
    EXPECT_EQ(c.err_of(make_msg(53, VU_CMD_REGION_READ, nullptr, 0)), uint32_t(EINVAL));
    // Still serving.
    EXPECT_EQ(c.read16(7, 0), 0x5243);
}

TEST_F(Library, ResetCallsTheDeviceAndRestoresConfig) {
    EXPECT_EQ(c.write32(7, 0x10, 0xfebf0000u), 0);
    EXPECT_EQ(c.write(7, 0x04, {0x06, 0x00}), 0); // memory + bus master
    EXPECT_EQ(c.read16(7, 0x04), 0x0006);
    EXPECT_EQ(c.err_of(make_msg(60, VU_CMD_DEVICE_RESET, nullptr, 0)), 0u);
    EXPECT_EQ(dev.resets.load(), 1);
    EXPECT_EQ(c.read16(7, 0x04), 0x0000);
    EXPECT_EQ(c.read32(7, 0x10), 0x0u);
}

TEST(LibraryConnection, StallingOrBadFirstMessageDropsOnlyThatClient) {
    InprocDevice dev;
    ASSERT_TRUE(dev.ok());
    {
        // First message is not VERSION: error reply, then the server hangs up.
        RawSocket s;
        std::string err;
        ASSERT_TRUE(s.connect_to(dev.socket_path(), &err)) << err;
        ASSERT_TRUE(s.send_bytes(region_read_msg(1, 7, 0, 4)));
        auto r = s.recv_message(kWait);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->hdr().flags, VU_F_TYPE_REPLY | VU_F_ERROR);
        EXPECT_EQ(r->hdr().error_no, uint32_t(EINVAL));
        EXPECT_TRUE(s.eof_within(kWait));
    }
    {
        // A message cut short and the client gone: the server survives.
        RawSocket s;
        std::string err;
        ASSERT_TRUE(s.connect_to(dev.socket_path(), &err)) << err;
        auto v = version_msg(1, "{}");
        v.resize(v.size() - 3);
        ASSERT_TRUE(s.send_bytes(v));
    }
    Conn c;
    ASSERT_TRUE(c.open(dev.socket_path()));
    EXPECT_EQ(c.read16(7, 0), 0x5243);
}

// The same device driven from the caller's own poll loop: accepts, commands
// and async DMA replies on the twin socket all come through vus_step().
TEST(LibraryLoop, OwnPollLoopServesCommandsAndAsyncDma) {
    InprocDevice dev(false, true);
    ASSERT_TRUE(dev.ok());
    Conn c;
    ASSERT_TRUE(c.open(dev.socket_path(), true, 256));
    EXPECT_EQ(c.read16(7, 0), 0x5243);
    ASSERT_EQ(c.err_of(dma_map_msg(2, 0x40000, 0x10000, 3)), 0u);
    ASSERT_EQ(c.write64(0, 0x110, 0x40000), 0);
    EXPECT_EQ(c.write64(0, 0x108, 600), 0);
    DmaServed served;
    ASSERT_TRUE(serve_dma_reads(c.twin, 3, served));
    EXPECT_EQ(served.counts, (std::vector<uint64_t>{256, 256, 88}));
    for (int i = 0; i < 100 && dev.async_done.load() == 0; i++)
        usleep(10000);
    EXPECT_EQ(dev.async_done.load(), 1);
    EXPECT_GE(dev.own_steps(), 8); // accept, VERSION, commands, 3 DMA replies
}
