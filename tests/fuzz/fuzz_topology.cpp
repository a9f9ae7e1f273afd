// Topology text into the parser, and what parses into the planner and the
// renderer: the part after the first NUL gives each device its BARs, two
// bytes a BAR (index and kind from the first, log2 of the size from the
// second), so sizes that are not powers of two, overlapping indices, BARs
// too big for every window and empty devices all reach plan_enumeration.
#include <cstdint>
#include <string>

#include "enumeration_plan.hpp"
#include "topology_parser.hpp"
#include "topology_render.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

namespace {

using namespace rcsim::topology;

DeviceBars bars_from(const Topology &t, const std::string &bytes) {
    DeviceBars bars;
    size_t at = 0;
    for (const Node &n : t.nodes) {
        if (n.kind != NodeKind::Device)
            continue;
        std::vector<BarSpec> &v = bars[n.name];
        const unsigned count = at < bytes.size() ? uint8_t(bytes[at++]) % 8 : 0;
        for (unsigned i = 0; i < count && at + 1 < bytes.size(); ++i, at += 2) {
            const uint8_t a = uint8_t(bytes[at]), b = uint8_t(bytes[at + 1]);
            BarSpec s;
            s.index = a % 8; // 6 and 7 are out of range on purpose
            s.kind = BarKind((a / 8) % 5);
            // Mostly powers of two up to 2^63, sometimes one off.
            s.size = (uint64_t(1) << (b % 64)) + (b & 0x80 && b % 7 == 0 ? 1 : 0);
            v.push_back(s);
        }
    }
    return bars;
}

} // namespace

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const std::string all(reinterpret_cast<const char *>(data), size);
    const size_t nul = all.find('\0');
    const std::string text = all.substr(0, nul);
    const std::string tail = nul == std::string::npos ? std::string() : all.substr(nul + 1);
    Topology t;
    TopologyError err;
    if (parse_topology(text, "fuzz.topo", &t, &err) < 0) {
        (void)err.to_string();
        return 0;
    }
    Plan p;
    std::string why;
    if (plan_enumeration(t, bars_from(t, tail), PlanRanges{}, &p, &why) < 0)
        return 0;
    (void)render_tree(p);
    (void)render_listing(p);
    return 0;
}
