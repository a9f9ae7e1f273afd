// Seeded random traffic in both directions at once, with back-pressure on
// every port, against shadow copies of host and device memory. The shadows
// follow request order, which the root port must keep: host requests leave
// in order (a read after a write sees it) and received TLPs are handled in
// arrival order (a device read after a device write sees it).
#include "tb_model.hpp"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <random>

using namespace rcsim::test;
using namespace rcsim::tlp;

namespace {

constexpr uint16_t kEpId = 0x0100;

struct Shadow {
    std::map<uint64_t, uint8_t> bytes;
    uint8_t (*fallback)(uint64_t);
    uint8_t at(uint64_t a) const {
        auto it = bytes.find(a);
        return it == bytes.end() ? fallback(a) : it->second;
    }
};

struct HostReadCheck {
    uint8_t id;
    std::vector<uint32_t> want;
};

struct DmaReadCheck {
    uint8_t tag;
    std::vector<uint8_t> want;
};

class RootPortStress : public ::testing::TestWithParam<unsigned> {};

TEST_P(RootPortStress, RandomTrafficMatchesShadowMemories) {
    const unsigned seed = GetParam();
    std::mt19937 rng(seed);
    auto pick = [&](unsigned lo, unsigned hi) {
        return std::uniform_int_distribution<unsigned>(lo, hi)(rng);
    };

    Settings s;
    s.mps = 128u << pick(0, 2);
    s.mrrs = 128u << pick(0, 3);
    s.rcb = pick(0, 1) ? 128 : 64;
    // The link's RCB binds the endpoint's completions too (software sets
    // the same value in both); the root port rejects finer splits.
    EndpointConfig ep;
    ep.rcb = s.rcb;
    ep.max_payload = s.rcb == 64 && pick(0, 1) ? 64 : 128;
    ep.reorder_window = pick(0, 1) ? 3 : 0;
    ep.cpl_delay = ep.reorder_window ? 0 : pick(0, 40);
    ep.tx_stall_every = pick(0, 4);
    Harness h(ep);
    h.configure(s);
    h.mem.fill_pattern(0, 1 << 20);
    h.hrsp_stall_every = pick(0, 3);
    h.hmem_stall_every = pick(0, 3);
    h.irq_stall_every = pick(0, 3);
    h.hmem_wrsp_latency = pick(0, 20);
    h.hmem_rdata_latency = pick(0, 20);
    SCOPED_TRACE("seed " + std::to_string(seed) + " mps " + std::to_string(s.mps) + " mrrs " +
                 std::to_string(s.mrrs) + " rcb " + std::to_string(s.rcb));

    Shadow dev{{}, EndpointModel::pattern_byte};
    Shadow host{{}, HostMemory::pattern};
    std::vector<HostReadCheck> host_reads;
    std::vector<DmaReadCheck> dma_reads;
    size_t host_nonposted = 0;
    unsigned msis = 0;
    uint8_t next_id = 0;

    for (int op = 0; op < 60; ++op) {
        switch (pick(0, 4)) {
        case 0: { // host read of the device
            const uint64_t addr = 0x40000 + 4 * pick(0, 4000);
            const unsigned len = pick(1, 200);
            std::vector<uint32_t> want;
            for (unsigned i = 0; i < len; ++i) {
                uint32_t d = 0;
                for (unsigned b = 0; b < 4; ++b)
                    d |= uint32_t(dev.at(addr + 4 * i + b)) << (8 * b);
                want.push_back(d);
            }
            h.host_read(next_id, addr, len);
            host_reads.push_back({next_id++, want});
            ++host_nonposted;
            break;
        }
        case 1: { // host write to the device, whole DWs
            const uint64_t addr = 0x40000 + 4 * pick(0, 4000);
            const unsigned len = pick(1, 200);
            std::vector<uint32_t> data;
            for (unsigned i = 0; i < len; ++i) {
                data.push_back(uint32_t(rng()));
                for (unsigned b = 0; b < 4; ++b)
                    dev.bytes[addr + 4 * i + b] = uint8_t(data.back() >> (8 * b));
            }
            h.host_write(next_id++, addr, data);
            break;
        }
        case 2: { // device write to host memory, any bytes, inside MPS and a 4 KiB page
            const unsigned len = pick(1, s.mps - 4); // DW span within MPS
            const uint64_t addr = 0x10000 + pick(0, 0x4000);
            if ((addr & 0xfff) + len > 4096)
                break;
            std::vector<uint8_t> data(len);
            for (unsigned i = 0; i < len; ++i) {
                data[i] = uint8_t(rng());
                host.bytes[addr + i] = data[i];
            }
            h.ep.dma_write(addr, data);
            break;
        }
        case 3: { // device read of host memory, inside MRRS and a 4 KiB page
            const unsigned len = pick(1, s.mrrs - 4);
            const uint64_t addr = 0x10000 + pick(0, 0x4000);
            if ((addr & 0xfff) + len > 4096)
                break;
            std::vector<uint8_t> want(len);
            for (unsigned i = 0; i < len; ++i)
                want[i] = host.at(addr + i);
            dma_reads.push_back({h.ep.dma_read(addr, len), want});
            break;
        }
        case 4:
            h.ep.msi(0xfee00000 + 4 * pick(0, 15), uint32_t(rng()));
            ++msis;
            break;
        }
        h.run(pick(0, 30));
    }
    ASSERT_TRUE(h.wait_responses(host_nonposted, 400000));
    ASSERT_TRUE(h.settle(400000));

    ASSERT_EQ(h.responses.size(), host_reads.size());
    for (size_t i = 0; i < host_reads.size(); ++i) {
        SCOPED_TRACE("host read " + std::to_string(i));
        EXPECT_EQ(h.responses[i].id, host_reads[i].id);
        EXPECT_EQ(h.responses[i].status, SC);
        EXPECT_EQ(h.responses[i].dws, host_reads[i].want);
    }
    for (const DmaReadCheck &r : dma_reads) {
        SCOPED_TRACE("dma read tag " + std::to_string(r.tag));
        std::vector<uint8_t> got;
        for (const Tlp &c : h.ep.dma_completions[r.tag]) {
            const size_t skip = c.lower_address & 3;
            for (size_t i = skip; i < c.payload.size(); ++i)
                got.push_back(c.payload[i]);
        }
        ASSERT_GE(got.size(), r.want.size());
        got.resize(r.want.size());
        EXPECT_EQ(got, r.want);
    }
    for (const auto &kv : host.bytes)
        ASSERT_EQ(h.mem.byte(kv.first), kv.second) << "host byte 0x" << std::hex << kv.first;
    for (const auto &kv : dev.bytes)
        ASSERT_EQ(h.ep.mem_byte(kv.first), kv.second) << "device byte 0x" << std::hex << kv.first;
    EXPECT_EQ(h.irqs.size(), msis);
    EXPECT_EQ(h.top->cnt_malformed, 0u);
    EXPECT_EQ(h.top->cnt_unexp_cpl, 0u);
    EXPECT_EQ(h.top->cnt_unsup_req, 0u);
    EXPECT_TRUE(h.ep.rx_errors.empty());
    EXPECT_EQ(h.top->tags_in_use, 0u);
}

INSTANTIATE_TEST_SUITE_P(Seeds, RootPortStress, ::testing::Range(1u, 13u));

} // namespace
