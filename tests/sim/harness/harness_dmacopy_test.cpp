// End to end through the RTL against the `dmacopy` model: message DMA of
// varied sizes and alignments (data checked against what the test wrote),
// both in the doorbell's REGION_WRITE and after the reply (worker thread),
// and completion interrupts by MSI-X, MSI and INTx. Register map and
// descriptor layout: server-models/README.md.
#include "harness_fixture.hpp"

#include <cstring>

namespace {

using rcsim::HostStatus;

constexpr uint64_t kRing = 0x10000000, kSrc = 0x10100000, kDst = 0x10400000, kRec = 0x10800000;
constexpr unsigned kRingSize = 16;
// BAR0 registers.
constexpr uint64_t RING_LO = 0x00, RING_HI = 0x04, RING_SIZE = 0x08, HEAD = 0x10, TAIL = 0x14,
                   STATUS = 0x18, INT_CTRL = 0x1c, COMPLETED = 0x20, INT_STATUS = 0x24, ID = 0x28;

struct Copy {
    uint32_t len;
    uint64_t src_off, dst_off;
};

class DmaCopy : public rcsim::HarnessFixture {
  protected:
    std::vector<std::string> server_argv() const override {
        std::vector<std::string> v{RCSIM_SERVER_MODELS_DIR "/dmacopy"};
        for (const std::string &a : extra_args())
            v.push_back(a);
        return v;
    }
    virtual std::vector<std::string> extra_args() const { return {}; }

    void put64(uint64_t addr, uint64_t v) { h->memory().write(addr, &v, 8); }
    void put32(uint64_t addr, uint32_t v) { h->memory().write(addr, &v, 4); }
    uint32_t get32(uint64_t addr) {
        uint32_t v = 0;
        h->memory().read(addr, &v, 4);
        return v;
    }
    uint64_t get64(uint64_t addr) {
        uint64_t v = 0;
        h->memory().read(addr, &v, 8);
        return v;
    }

    void program_ring() {
        ASSERT_EQ(h->mmio_read(0, ID, 4).value, 0x52434443u);
        ASSERT_EQ(h->mmio_write(0, RING_LO, 4, uint32_t(kRing)), HostStatus::SC);
        ASSERT_EQ(h->mmio_write(0, RING_HI, 4, uint32_t(kRing >> 32)), HostStatus::SC);
        ASSERT_EQ(h->mmio_write(0, RING_SIZE, 4, kRingSize), HostStatus::SC);
    }

    void put_desc(unsigned i, uint64_t src, uint64_t dst, uint32_t len, uint32_t flags,
                  uint64_t rec) {
        const uint64_t d = kRing + 32ull * i;
        put64(d, src);
        put64(d + 8, dst);
        put32(d + 16, len);
        put32(d + 20, flags);
        put64(d + 24, rec);
    }

    // Source bytes from a fixed LCG: the expected destination is what the
    // test itself wrote, not something the harness computed.
    std::vector<uint8_t> pattern(size_t n, uint32_t seed) {
        std::vector<uint8_t> v(n);
        for (size_t i = 0; i < n; ++i) {
            seed = seed * 1103515245u + 12345u;
            v[i] = uint8_t(seed >> 16);
        }
        return v;
    }

    void run_copies(const std::vector<Copy> &copies) {
        program_ring();
        std::vector<std::vector<uint8_t>> src;
        uint64_t s = kSrc, d = kDst;
        std::vector<uint64_t> dsts;
        for (size_t i = 0; i < copies.size(); ++i) {
            const Copy &c = copies[i];
            src.push_back(pattern(c.len, uint32_t(i + 1)));
            h->memory().write(s + c.src_off, src.back().data(), c.len);
            dsts.push_back(d + c.dst_off);
            put_desc(unsigned(i), s + c.src_off, d + c.dst_off, c.len, 0, kRec + 16 * i);
            s += (c.src_off + c.len + 0x1000) & ~0xfffull;
            d += (c.dst_off + c.len + 0x1000) & ~0xfffull;
        }
        ASSERT_EQ(h->mmio_write(0, HEAD, 4, uint32_t(copies.size())), HostStatus::SC);
        ASSERT_TRUE(h->drain());
        EXPECT_EQ(h->mmio_read(0, COMPLETED, 4).value, copies.size());
        EXPECT_EQ(h->mmio_read(0, TAIL, 4).value, copies.size());
        EXPECT_EQ(h->mmio_read(0, STATUS, 4).value, 0u);
        for (size_t i = 0; i < copies.size(); ++i) {
            const Copy &c = copies[i];
            const std::optional<size_t> diff =
                h->memory().compare(dsts[i], src[i].data(), src[i].size());
            EXPECT_FALSE(diff.has_value())
                << "copy " << i << " (len " << c.len << ", src+" << c.src_off << ", dst+"
                << c.dst_off << ") differs at byte " << diff.value_or(0);
            uint8_t guard[2] = {1, 1};
            h->memory().read(dsts[i] - 1, &guard[0], 1);
            h->memory().read(dsts[i] + c.len, &guard[1], 1);
            EXPECT_EQ(guard[0], 0) << "copy " << i << " wrote before its destination";
            EXPECT_EQ(guard[1], 0) << "copy " << i << " wrote past its destination";
            EXPECT_EQ(get32(kRec + 16 * i), 0u) << "record status of copy " << i;
            EXPECT_EQ(get32(kRec + 16 * i + 4), c.len) << "record bytes of copy " << i;
            EXPECT_EQ(get64(kRec + 16 * i + 8), i + 1) << "record sequence of copy " << i;
        }
        const rcsim::HarnessCounters k = h->counters();
        EXPECT_GT(k.bridge.dma_reads, copies.size());
        EXPECT_GE(k.bridge.dma_writes, copies.size());
        EXPECT_EQ(k.bridge.dma_errors, 0u);
        EXPECT_EQ(k.rtl.cnt_malformed, 0u);
        EXPECT_EQ(k.rtl.cnt_unsup_req, 0u);
        EXPECT_FALSE(h->has_failures()) << h->failure_report();
    }

    const std::vector<Copy> varied{{1, 0, 0},   {3, 1, 2},    {4, 0, 0},       {7, 3, 1},
                                   {64, 0, 0},  {65, 63, 5},  {127, 1, 0},     {128, 0, 128},
                                   {513, 2, 3}, {4096, 0, 0}, {4097, 4095, 1}, {9000, 17, 33}};
};

TEST_F(DmaCopy, EnumerationSetsUpMsix) {
    const rcsim::Enumeration &e = h->enumeration();
    EXPECT_EQ(e.vendor_id, 0x5243);
    EXPECT_EQ(e.device_id, 0x0003);
    EXPECT_EQ(e.class_code, 0x088000u);
    ASSERT_TRUE(e.bars[0].present);
    ASSERT_TRUE(e.bars[2].present);
    EXPECT_TRUE(e.bars[2].is64);
    EXPECT_EQ(e.bars[0].size, 0x1000u);
    EXPECT_EQ(e.bars[2].size, 0x1000u);
    EXPECT_EQ(e.bars[0].base % 0x1000, 0u);
    EXPECT_EQ(e.bars[2].base % 0x1000, 0u);
    EXPECT_NE(e.bars[0].base, e.bars[2].base);
    EXPECT_EQ(e.irq_mode, rcsim::IrqMode::Msix);
    EXPECT_EQ(e.irq_vectors, 4u);
    EXPECT_EQ(e.msix_table_bar, 2u);
    EXPECT_EQ(e.msix_table_offset, 0x000u);
    EXPECT_EQ(e.msix_pba_offset, 0x800u);
    // Enable set, function mask clear, in the device's own config space.
    EXPECT_EQ(h->cfg_read(uint16_t(e.msix_cap + 2), 2).value & 0xc000u, 0x8000u);
    // The table entry the host wrote, read back through MMIO from the server.
    EXPECT_EQ(h->mmio_read(2, 0x0, 4).value, 0xfee00000u);
    EXPECT_EQ(h->mmio_read(2, 0x8, 4).value, rcsim::kMsiDataBase);
    EXPECT_EQ(h->mmio_read(2, 0xc, 4).value, 0u); // unmasked
    // The 64-bit BAR's upper half as programmed.
    EXPECT_EQ(h->cfg_read(0x1c, 4).value, uint32_t(e.bars[2].base >> 32));
}

TEST_F(DmaCopy, VariedSizesAndAlignmentsInsideTheDoorbell) {
    run_copies(varied);
}

TEST_F(DmaCopy, DmaOutsideTheMappedWindowFailsCleanly) {
    program_ring();
    // Source outside every DMA_MAP window: the client refuses the DMA_READ.
    put_desc(0, 0x20000000, kDst, 64, 0, kRec);
    ASSERT_EQ(h->mmio_write(0, HEAD, 4, 1), HostStatus::SC);
    ASSERT_TRUE(h->drain());
    const uint32_t status = uint32_t(h->mmio_read(0, STATUS, 4).value);
    EXPECT_EQ(status & 0x2u, 0x2u) << "STATUS.ERROR";
    EXPECT_NE(status >> 16, 0u) << "an errno";
    EXPECT_EQ(get32(kRec), status >> 16) << "the record carries the same errno";
    // Only the descriptor read went through the RTL; the bad source never did.
    EXPECT_EQ(h->counters().bridge.dma_reads, 1u);
    EXPECT_EQ(h->counters().rtl.cnt_unsup_req, 0u);
}

class DmaCopyAfterReply : public DmaCopy {
  protected:
    std::vector<std::string> extra_args() const override { return {"--dma-after-reply"}; }
};

TEST_F(DmaCopyAfterReply, VariedSizesAndAlignmentsFromTheWorker) {
    run_copies(varied);
}

// A server without the twin socket (libvfio-user before its fix): DMA
// commands come on the main socket. The harness sends nothing while the
// doorbell's DMA is under way, so the #279 crossing cannot happen.
class DmaCopyLegacy : public DmaCopy {
  protected:
    std::vector<std::string> extra_args() const override { return {"--legacy-socket"}; }
};

TEST_F(DmaCopyLegacy, VariedSizesAndAlignmentsOnTheMainSocket) {
    EXPECT_FALSE(vuc_has_twin(h->client()));
    run_copies(varied);
}

// libvfio-user issue #279 through the whole stack. The host rings the
// doorbell (a posted write) and reads STATUS right after it, as a driver
// would. The doorbell's REGION_WRITE makes the server DMA (descriptor read)
// inside the write; the host's read reaches the bridge while that DMA is
// still in the RTL, so its REGION_READ goes out while the server waits for
// its DMA reply. With the twin socket that is harmless; on the main socket
// (legacy) the server reads the REGION_READ as its DMA reply, fails the DMA
// and never answers the read: a silent server, and the host's read ends in
// the root port's completion timeout. Simulated time makes it repeatable.
class Race279 : public DmaCopy {
  protected:
    void configure(rcsim::HarnessConfig &c) override {
        c.cpl_timeout = 20000;
        c.admission.watchdog = std::chrono::milliseconds(300);
    }
    rcsim::Access ring_and_read_status() {
        program_ring();
        put_desc(0, kSrc, kDst, 64, 0, 0);
        EXPECT_EQ(h->mmio_write(0, HEAD, 4, 1), HostStatus::SC);
        return h->mmio_read(0, STATUS, 4); // crosses the doorbell's DMA
    }
};

TEST_F(Race279, TwinSocketServesTheCrossingRead) {
    ASSERT_TRUE(vuc_has_twin(h->client()));
    const rcsim::Access a = ring_and_read_status();
    EXPECT_EQ(a.status, HostStatus::SC);
    ASSERT_TRUE(h->drain());
    EXPECT_EQ(h->mmio_read(0, COMPLETED, 4).value, 1u);
    EXPECT_EQ(h->counters().admission.silent, 0u);
}

class Race279Legacy : public Race279 {
  protected:
    std::vector<std::string> extra_args() const override { return {"--legacy-socket"}; }
};

TEST_F(Race279Legacy, MainSocketSwallowsTheCrossingRead) {
    ASSERT_FALSE(vuc_has_twin(h->client()));
    const rcsim::Access a = ring_and_read_status();
    EXPECT_EQ(a.status, HostStatus::Timeout) << "the swallowed REGION_READ is never answered";
    EXPECT_GE(h->counters().admission.silent, 1u);
    EXPECT_GE(h->counters().bridge.abandoned, 1u);
}

// ---- interrupts

class DmaCopyIrq : public DmaCopy {
  protected:
    void batch_with_irq(unsigned slot, uint32_t int_ctrl) {
        std::vector<uint8_t> data = pattern(100, slot + 7);
        h->memory().write(kSrc, data.data(), data.size());
        put_desc(slot, kSrc, kDst + 0x1000 * slot, 100, 1, 0);
        ASSERT_EQ(h->mmio_write(0, INT_CTRL, 4, int_ctrl), HostStatus::SC);
        ASSERT_EQ(h->mmio_write(0, HEAD, 4, slot + 1), HostStatus::SC);
        ASSERT_TRUE(h->wait_irq(0, 500000)) << h->failure_report();
        EXPECT_EQ(h->mmio_read(0, INT_STATUS, 4).value, 1u);
        EXPECT_EQ(h->mmio_read(0, STATUS, 4).value & 0x4u, 0u) << "IRQ_FAILED";
        EXPECT_FALSE(h->memory().compare(kDst + 0x1000 * slot, data.data(), data.size()));
        ASSERT_EQ(h->mmio_write(0, INT_STATUS, 4, 1), HostStatus::SC);
    }
};

TEST_F(DmaCopyIrq, MsixVectorZeroArrivesWithTheProgrammedMessage) {
    program_ring();
    batch_with_irq(0, 3);
    batch_with_irq(1, 3);
    const rcsim::HarnessCounters k = h->counters();
    EXPECT_EQ(k.bridge.irqs_injected, 2u);
    EXPECT_EQ(k.irqs_seen, 2u);
    EXPECT_FALSE(h->wait_irq(0, 20000)) << "no third interrupt";
    EXPECT_FALSE(h->has_failures()) << h->failure_report();
}

class DmaCopyMsi : public DmaCopyIrq {
  protected:
    void configure(rcsim::HarnessConfig &c) override { c.irq = rcsim::IrqPreference::Msi; }
};

TEST_F(DmaCopyMsi, MsiArrives) {
    ASSERT_EQ(h->enumeration().irq_mode, rcsim::IrqMode::Msi);
    const unsigned c = h->enumeration().msi_cap;
    EXPECT_EQ(h->cfg_read(uint16_t(c + 2), 2).value & 1u, 1u) << "MSI enable";
    EXPECT_EQ(h->cfg_read(uint16_t(c + 4), 4).value, 0xfee00000u);
    program_ring();
    batch_with_irq(0, 2);
    batch_with_irq(1, 2);
    EXPECT_EQ(h->counters().irqs_seen, 2u);
    EXPECT_FALSE(h->has_failures()) << h->failure_report();
}

class DmaCopyIntx : public DmaCopyIrq {
  protected:
    void configure(rcsim::HarnessConfig &c) override { c.irq = rcsim::IrqPreference::Intx; }
};

TEST_F(DmaCopyIntx, IntxAssertsAndIsAcknowledged) {
    ASSERT_EQ(h->enumeration().irq_mode, rcsim::IrqMode::Intx);
    EXPECT_EQ(h->cfg_read(0x04, 2).value & 0x400u, 0u) << "INTx not disabled";
    program_ring();
    batch_with_irq(0, 1);
    h->run_cycles(200);
    EXPECT_EQ(h->top().last_out().intx & 1u, 0u) << "deasserted after the acknowledge";
    // The second one only comes if the acknowledge unmasked INTx at the server.
    batch_with_irq(1, 1);
    const rcsim::HarnessCounters k = h->counters();
    EXPECT_EQ(k.bridge.irqs_injected, 2u);
    EXPECT_EQ(k.bridge.intx_acks, 2u);
    EXPECT_EQ(k.irqs_seen, 0u) << "no MSI in INTx mode";
    EXPECT_FALSE(h->has_failures()) << h->failure_report();
}

} // namespace
