// sim/topology's hierarchy_config programming a plan through the real
// fabric: a ConfigPort made of config TLPs through sim/fabric, and three
// small fake devices (one 4 KiB mem32 BAR each) answering their config
// TLPs. Expected values by hand from sim/topology/README.md (the same
// topology and addresses as fabric_test.cpp).
#include "enumeration_plan.hpp"
#include "fabric.hpp"
#include "hierarchy_config.hpp"
#include "topology_parser.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>
#include <vector>

namespace {

using namespace rcsim;
using fabric::Fabric;
using tlp::CplStatus;
using tlp::Tlp;
using tlp::TlpType;
using topology::BarKind;

const char *const kTopo = "root-port rp1\n"
                          "root-port rp2\n"
                          "root-port rp3\n"
                          "switch sw0 on rp2 ports 2\n"
                          "device a on rp1 server \"regs\"\n"
                          "device b on sw0.0 server \"regs\"\n"
                          "device c on sw0.1 server \"regs\"\n";
constexpr size_t kA = 0, kB = 1, kC = 2;
constexpr uint32_t kBarA = 0xe0200000, kBarB = 0xe0000000, kBarC = 0xe0100000;

// A device's config space: 1af4:1000, header type 0, Command, BAR0 a 4 KiB
// mem32 BAR (bits 31:12 writable); everything else reads 0.
struct FakeDevice {
    uint32_t command = 0, bar0 = 0;
    std::vector<Tlp> memory; // memory requests that reached it

    uint32_t read(uint16_t reg) const {
        switch (reg) {
        case 0x00:
            return 0x10001af4;
        case 0x04:
            return command;
        case 0x10:
            return bar0;
        default:
            return 0;
        }
    }

    void write(uint16_t reg, uint32_t v, uint8_t be) {
        uint32_t mask = 0;
        for (unsigned b = 0; b < 4; b++)
            mask |= (be >> b & 1u) ? 0xffu << (8 * b) : 0;
        if (reg == 0x04)
            command = (command & ~mask & 0xffff) | (v & mask & 0xffff);
        if (reg == 0x10)
            bar0 = (bar0 & ~mask) | (v & mask & 0xfffff000);
    }

    // The answer to a config request (nothing for memory requests).
    bool answer(const Tlp &req, Tlp *cpl) {
        const uint16_t reg = uint16_t(req.register_number * 4);
        if (req.type == TlpType::CfgRd0) {
            const uint32_t v = read(reg);
            *cpl = Tlp::completion_data(
                req.requester_id, req.tag, req.dest_id, 4, 0,
                {uint8_t(v), uint8_t(v >> 8), uint8_t(v >> 16), uint8_t(v >> 24)});
            return true;
        }
        if (req.type == TlpType::CfgWr0) {
            const std::vector<uint8_t> &p = req.payload;
            const uint32_t v = p.size() < 4 ? 0
                                            : uint32_t(p[0]) | uint32_t(p[1]) << 8 |
                                                  uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
            write(reg, v, req.first_be);
            *cpl = Tlp::completion(req, req.dest_id, CplStatus::SC);
            return true;
        }
        memory.push_back(req);
        return false;
    }
};

// Config requests from the host through the fabric, the fake devices
// answering theirs as the fabric delivers them.
class FabricConfigPort : public topology::ConfigPort {
  public:
    FabricConfigPort(Fabric &f, std::vector<FakeDevice> &devs) : f_(f), devs_(devs) {}

    int read(uint16_t bdf, uint16_t reg, uint32_t *value, std::string *error) override {
        Tlp c;
        const int rc = roundtrip(Tlp::cfg_read(bdf, reg, 0x0000, ++tag_), &c, error);
        if (rc == 0)
            *value = uint32_t(c.payload.at(0)) | uint32_t(c.payload.at(1)) << 8 |
                     uint32_t(c.payload.at(2)) << 16 | uint32_t(c.payload.at(3)) << 24;
        return rc;
    }

    int write(uint16_t bdf, uint16_t reg, uint32_t value, uint8_t be, std::string *error) override {
        Tlp c;
        return roundtrip(Tlp::cfg_write(bdf, reg, value, 0x0000, ++tag_, be), &c, error);
    }

    // Ticks until nothing is inside, serving the devices.
    void settle() {
        for (unsigned k = 0; k < 200; k++) {
            serve();
            if (f_.idle())
                return;
            f_.tick();
        }
    }

  private:
    void serve() {
        for (size_t d = 0; d < devs_.size(); d++) {
            Tlp req, cpl;
            while (f_.to_device(d, &req)) {
                // one request at a time: the entry wire has room
                if (devs_[d].answer(req, &cpl) && !f_.from_device(d, cpl))
                    ADD_FAILURE() << "device " << d << " could not answer";
            }
        }
    }

    int roundtrip(const Tlp &req, Tlp *cpl, std::string *error) {
        if (!f_.from_host(req)) {
            *error = "fabric full";
            return -EBUSY;
        }
        for (unsigned k = 0; k < 200; k++) {
            f_.tick();
            serve();
            if (!f_.to_host(cpl))
                continue;
            if (cpl->tag != req.tag) {
                *error = "completion with tag " + std::to_string(cpl->tag);
                return -EIO;
            }
            if (cpl->status != CplStatus::SC) {
                *error = "completion status " + std::to_string(int(cpl->status));
                return -EIO;
            }
            if (req.is_read() && cpl->payload.size() < 4) {
                *error = "a read completed without data";
                return -EIO;
            }
            return 0;
        }
        *error = "no completion";
        return -ETIMEDOUT;
    }

    Fabric &f_;
    std::vector<FakeDevice> &devs_;
    uint8_t tag_ = 0;
};

topology::Plan plan(const topology::DeviceBars &bars) {
    topology::Topology t;
    topology::TopologyError e;
    EXPECT_EQ(topology::parse_topology(kTopo, "t.topo", &t, &e), 0) << e.to_string();
    topology::Plan p;
    std::string error;
    EXPECT_EQ(topology::plan_enumeration(t, bars, topology::PlanRanges{}, &p, &error), 0) << error;
    return p;
}

TEST(FabricEnumeration, HierarchyConfigProgramsThePlanThroughTheFabric) {
    // plan first without BARs: the buses depend on the topology alone
    const topology::DeviceBars none{{"a", {}}, {"b", {}}, {"c", {}}};
    const topology::Plan first = plan(none);
    std::unique_ptr<Fabric> f;
    std::string error;
    ASSERT_EQ(Fabric::create(first, &f, &error), 0) << error;
    std::vector<FakeDevice> devs(3);
    FabricConfigPort cfg(*f, devs);

    ASSERT_EQ(topology::program_buses(first, cfg, &error), 0) << error;
    topology::DeviceBars bars;
    ASSERT_EQ(topology::size_all_bars(first, cfg, &bars, &error), 0) << error;
    for (const char *name : {"a", "b", "c"}) {
        ASSERT_EQ(bars[name].size(), 1u) << name;
        EXPECT_EQ(bars[name][0].index, 0u) << name;
        EXPECT_EQ(bars[name][0].kind, BarKind::Mem32) << name;
        EXPECT_EQ(bars[name][0].size, 0x1000u) << name;
    }
    const topology::Plan second = plan(bars);
    ASSERT_EQ(topology::program_windows(second, cfg, &error), 0) << error;
    EXPECT_EQ(devs[kA].bar0, kBarA);
    EXPECT_EQ(devs[kB].bar0, kBarB);
    EXPECT_EQ(devs[kC].bar0, kBarC);

    // the windows route: the host's write to c, a's peer write to b
    const Tlp w = Tlp::mem_write(kBarC + 0x20, {1, 2, 3, 4, 5, 6, 7, 8}, 0x0000, 0);
    ASSERT_TRUE(f->from_host(w));
    const Tlp p2p = Tlp::mem_write(kBarB + 0x40, {9, 9, 9, 9}, f->device_bdf(kA), 0);
    ASSERT_TRUE(f->from_device(kA, p2p));
    cfg.settle();
    ASSERT_EQ(devs[kC].memory.size(), 1u);
    EXPECT_EQ(devs[kC].memory[0], w);
    ASSERT_EQ(devs[kB].memory.size(), 1u);
    EXPECT_EQ(devs[kB].memory[0], p2p);
    EXPECT_TRUE(devs[kA].memory.empty());
    EXPECT_EQ(f->counters().ur_made, 0u);
}

} // namespace
