// The fixture of the rtl_root_port suites: a fresh harness per test with
// the root port at 00:02.0 and patterned host memory.
#pragma once

#include "tb_model.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace rcsim::test {

constexpr uint16_t kRpId = 0x0010; // 00:02.0, so the requester ID bytes are not zero
constexpr uint16_t kEpId = 0x0100; // the endpoint model's ID

class RootPort : public ::testing::Test {
  protected:
    void SetUp() override { make({}, Settings{}); }

    void make(EndpointConfig ep, Settings s) {
        s.rp_id = kRpId;
        h = std::make_unique<Harness>(ep);
        h->configure(s);
        h->mem.fill_pattern(0, 1 << 20);
    }

    // Expected host response data of a read: the endpoint's memory.
    std::vector<uint32_t> ep_dws(uint64_t addr, unsigned len_dw) const {
        std::vector<uint32_t> v;
        for (unsigned i = 0; i < len_dw; ++i) {
            uint32_t d = 0;
            for (unsigned b = 0; b < 4; ++b)
                d |= uint32_t(h->ep.mem_byte(addr + 4 * i + b)) << (8 * b);
            v.push_back(d);
        }
        return v;
    }

    std::vector<tlp::Tlp> sent_completions() const {
        std::vector<tlp::Tlp> out;
        for (const tlp::Tlp &t : h->ep.received)
            if (t.is_completion())
                out.push_back(t);
        return out;
    }

    std::unique_ptr<Harness> h;
};

} // namespace rcsim::test
