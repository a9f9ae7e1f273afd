// The sim_fabric suites' bench: a Fabric made from a topology text (one
// 4 KiB mem32 BAR a device, planned as sim/topology/README.md says), driven
// in whole TLPs (send, run until nothing is inside, take), and the
// hierarchy programmed by config requests as the plan says.
#pragma once

#include "enumeration_plan.hpp"
#include "fabric.hpp"
#include "topology_parser.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace rcsim::fabric_test {

// n bytes, byte k = seed + 7k: a fixed pattern the tests compare against.
inline std::vector<uint8_t> pattern(size_t n, uint8_t seed) {
    std::vector<uint8_t> b(n);
    for (size_t k = 0; k < n; k++)
        b[k] = uint8_t(seed + 7 * k);
    return b;
}

class FabricBench : public ::testing::Test {
  protected:
    using Tlp = tlp::Tlp;

    // Plans `topo`, creates its fabric, records every hop's port in hops_.
    void create(const char *topo) {
        topology::Topology t;
        topology::TopologyError e;
        ASSERT_EQ(topology::parse_topology(topo, "t.topo", &t, &e), 0) << e.to_string();
        const std::vector<topology::BarSpec> bar{
            topology::BarSpec{0, topology::BarKind::Mem32, 0x1000}};
        topology::DeviceBars bars;
        for (const topology::Node &n : t.nodes)
            if (n.kind == topology::NodeKind::Device)
                bars[n.name] = bar;
        std::string error;
        ASSERT_EQ(topology::plan_enumeration(t, bars, topology::PlanRanges{}, &plan_, &error), 0)
            << error;
        ASSERT_EQ(fabric::Fabric::create(plan_, &f_, &error), 0) << error;
        f_->set_hop_trace([this](const Tlp &, const std::string &hop) { hops_.push_back(hop); });
    }

    // Ticks until nothing is inside the fabric (what waits at its exits is
    // outside); a fabric that never settles fails the test.
    void run() {
        unsigned k = 0;
        for (; k < max_ticks_ && !f_->idle(); k++)
            f_->tick();
        EXPECT_TRUE(f_->idle()) << "still busy after " << k << " ticks";
    }

    void host_sends(const Tlp &t) {
        unsigned k = 0;
        for (; k < 50 && !f_->from_host(t); k++)
            f_->tick();
        EXPECT_LT(k, 50u) << "the fabric never took " << t.describe();
    }

    void device_sends(size_t d, const Tlp &t) {
        unsigned k = 0;
        for (; k < 50 && !f_->from_device(d, t); k++)
            f_->tick();
        EXPECT_LT(k, 50u) << "the fabric never took " << t.describe();
    }

    // The one TLP the host got, after running; none other there.
    Tlp host_gets() {
        run();
        Tlp t;
        EXPECT_TRUE(f_->to_host(&t));
        Tlp more;
        EXPECT_FALSE(f_->to_host(&more)) << more.describe();
        return t;
    }

    Tlp device_gets(size_t d) {
        run();
        Tlp t;
        EXPECT_TRUE(f_->to_device(d, &t)) << "device " << d;
        return t;
    }

    // A config access from the host (requester 00:00.0) that a port
    // function of the fabric answers itself.
    Tlp cfg_host(const Tlp &req) {
        host_sends(req);
        return host_gets();
    }

    void cfg_write(uint16_t bdf, uint16_t off, uint32_t v) {
        const Tlp c = cfg_host(Tlp::cfg_write(bdf, off, v, 0x0000, 0x22));
        EXPECT_EQ(c.type, tlp::TlpType::Cpl) << std::hex << bdf << " " << off;
        EXPECT_EQ(c.status, tlp::CplStatus::SC) << std::hex << bdf << " " << off;
        EXPECT_EQ(c.completer_id, bdf);
        EXPECT_EQ(c.tag, 0x22);
    }

    // Programs one bridge as the plan says: bus numbers, the three windows
    // (type1_header's register layout), Memory Space and Bus Master on.
    void program_bridge(const topology::PlannedFunction &fn) {
        const uint16_t bdf = uint16_t(fn.bus << 8 | fn.dev << 3);
        cfg_write(bdf, 0x18, fn.primary | fn.secondary << 8 | fn.subordinate << 16);
        cfg_write(bdf, 0x20,
                  uint32_t((fn.mem.base >> 16) & 0xfff0) | uint32_t((fn.mem.limit >> 16) & 0xfff0)
                                                               << 16);
        cfg_write(bdf, 0x24,
                  uint32_t((fn.pref.base >> 16) & 0xfff0) | uint32_t((fn.pref.limit >> 16) & 0xfff0)
                                                                << 16);
        cfg_write(bdf, 0x28, uint32_t(fn.pref.base >> 32));
        cfg_write(bdf, 0x2c, uint32_t(fn.pref.limit >> 32));
        cfg_write(bdf, 0x1c,
                  uint32_t((fn.io.base >> 8) & 0xf0) | uint32_t((fn.io.limit >> 8) & 0xf0) << 8);
        cfg_write(bdf, 0x30,
                  uint32_t((fn.io.base >> 16) & 0xffff) | uint32_t((fn.io.limit >> 16) & 0xffff)
                                                              << 16);
        cfg_write(bdf, 0x04, 0x0006);
    }

    // Every bridge of the plan programmed; the hops of it forgotten.
    void enumerate() {
        for (const topology::PlannedFunction &fn : plan_.functions) {
            if (fn.bridge())
                program_bridge(fn);
        }
        hops_.clear();
    }

    topology::Plan plan_;
    std::unique_ptr<fabric::Fabric> f_;
    std::vector<std::string> hops_;
    unsigned max_ticks_ = 200; // run()'s bound
};

} // namespace rcsim::fabric_test
