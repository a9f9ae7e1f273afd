#include "enumeration_plan.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <utility>

namespace rcsim::topology {

const char *to_string(BarKind k) {
    switch (k) {
    case BarKind::Mem32:
        return "mem32";
    case BarKind::Mem64:
        return "mem64";
    case BarKind::Mem64Pref:
        return "mem64 prefetchable";
    case BarKind::Io:
        return "io";
    case BarKind::Rom:
        return "rom";
    }
    return "?";
}

namespace {

constexpr unsigned kLastBus = 255;
constexpr unsigned kBarSlots = 6;

// Thrown inside planning only; plan_enumeration turns it into its return
// value.
struct Failure {
    int err;
    std::string message;
};

std::string hex(uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
    return buf;
}

std::string bdf(unsigned bus, unsigned dev) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%02x:%02x.0", bus & 0xffu, dev & 0x1fu);
    return buf;
}

uint64_t align_up(uint64_t v, uint64_t a) {
    return (v + a - 1) & ~(a - 1);
}

bool power_of_two(uint64_t v) {
    return v != 0 && (v & (v - 1)) == 0;
}

// The three windows of a bridge, and the ranges of the root complex.
enum Space { kMem, kPref, kIo, kSpaces };

const char *space_name(int s) {
    static const char *const names[kSpaces] = {"memory", "prefetchable", "I/O"};
    return names[s];
}

int space_of(BarKind k) {
    if (k == BarKind::Io)
        return kIo;
    return k == BarKind::Mem64Pref ? kPref : kMem;
}

// ---- BARs as given ----

void check_bar(const std::string &dev, const BarSpec &b, unsigned *used, bool *rom) {
    const std::string what =
        "device '" + dev + "' " +
        (b.kind == BarKind::Rom ? std::string("ROM") : "BAR " + std::to_string(b.index));
    const bool wide = b.kind == BarKind::Mem64 || b.kind == BarKind::Mem64Pref;
    const uint64_t min = b.kind == BarKind::Io ? 4 : b.kind == BarKind::Rom ? 2048 : 16;
    const uint64_t max = b.kind == BarKind::Io          ? 1ull << 16
                         : b.kind == BarKind::Mem64Pref ? 1ull << 40
                                                        : 1ull << 31;
    if (!power_of_two(b.size) || b.size < min || b.size > max)
        throw Failure{-EINVAL, what + ": size " + hex(b.size) + " is not a power of two in " +
                                   hex(min) + ".." + hex(max) + " (" + to_string(b.kind) + ")"};
    if (b.kind == BarKind::Rom) {
        if (*rom)
            throw Failure{-EINVAL, what + ": a second ROM"};
        *rom = true;
        return;
    }
    if (b.index >= kBarSlots - (wide ? 1 : 0))
        throw Failure{-EINVAL, what + ": no such BAR (" + to_string(b.kind) + " takes " +
                                   (wide ? "BARs 0..4" : "BARs 0..5") + ")"};
    const unsigned need = wide ? 3u << b.index : 1u << b.index;
    if (*used & need)
        throw Failure{-EINVAL, what + ": overlaps another BAR of the device"};
    *used |= need;
}

void check_bars(const Topology &t, const DeviceBars &bars) {
    for (const Node &n : t.nodes)
        if (n.kind == NodeKind::Device && bars.find(n.name) == bars.end())
            throw Failure{-EINVAL, "no BARs given for device '" + n.name + "'"};
    for (const auto &entry : bars) {
        const std::string &name = entry.first;
        const bool known = std::any_of(t.nodes.begin(), t.nodes.end(), [&](const Node &n) {
            return n.kind == NodeKind::Device && n.name == name;
        });
        if (!known)
            throw Failure{-EINVAL, "BARs given for '" + name + "', not a device of the topology"};
        unsigned used = 0;
        bool rom = false;
        for (const BarSpec &b : entry.second)
            check_bar(name, b, &used, &rom);
    }
}

// ---- the tree, when it was not built by parse_topology ----

// What the parser guarantees, checked again for a Topology built by hand:
// every parent declared above its child (so no cycle), a root port or a
// switch port, one child a port, the limits of the language.
void check_node(const Topology &t, size_t k) {
    const Node &n = t.nodes[k];
    const std::string what = std::string(to_string(n.kind)) + " '" + n.name + "'";
    if (n.kind == NodeKind::RootPort) {
        if (n.parent != -1)
            throw Failure{-EINVAL, what + ": a root port has no parent"};
        return;
    }
    if (n.kind == NodeKind::Switch && (n.ports < 1 || n.ports > kMaxSwitchPorts))
        throw Failure{-EINVAL, what + ": a switch has 1..8 ports"};
    if (n.parent < 0 || size_t(n.parent) >= k)
        throw Failure{-EINVAL, what + ": its parent is not a node declared before it"};
    const Node &p = t.nodes[size_t(n.parent)];
    const bool port_ok =
        p.kind == NodeKind::RootPort
            ? n.parent_port == -1
            : p.kind == NodeKind::Switch && n.parent_port >= 0 && unsigned(n.parent_port) < p.ports;
    if (!port_ok)
        throw Failure{-EINVAL, what + ": no such port on '" + p.name + "'"};
    for (size_t j = 0; j < k; ++j)
        if (t.nodes[j].kind != NodeKind::RootPort && t.nodes[j].parent == n.parent &&
            t.nodes[j].parent_port == n.parent_port)
            throw Failure{-EINVAL, what + ": its port already holds '" + t.nodes[j].name + "'"};
}

void check_topology(const Topology &t) {
    unsigned root_ports = 0;
    for (size_t k = 0; k < t.nodes.size(); ++k) {
        check_node(t, k);
        root_ports += t.nodes[k].kind == NodeKind::RootPort;
    }
    if (root_ports > kMaxRootPorts)
        throw Failure{-EINVAL, "more than 8 root ports"};
}

// ---- bus numbers, depth first ----

class Numbering {
  public:
    Numbering(const Topology &t, const DeviceBars &bars, Plan *p) : t_(t), bars_(bars), p_(p) {}

    void run() {
        unsigned dev = 0;
        for (size_t k = 0; k < t_.nodes.size(); ++k)
            if (t_.nodes[k].kind == NodeKind::RootPort)
                bridge(FunctionKind::RootPort, t_.nodes[k].name, 0, ++dev, -1, int(k), -1);
        p_->last_bus = next_bus_ - 1;
    }

  private:
    int add(FunctionKind kind, const std::string &name, unsigned bus, unsigned dev, int parent) {
        PlannedFunction f;
        f.kind = kind;
        f.name = name;
        f.bus = bus;
        f.dev = dev;
        f.parent = parent;
        p_->functions.push_back(std::move(f));
        return int(p_->functions.size() - 1);
    }

    // A bridge at bus:dev, its secondary the next free bus, then what hangs
    // below it (the node's child at `port`), then its subordinate.
    int bridge(FunctionKind kind, const std::string &name, unsigned bus, unsigned dev, int parent,
               int node, int port) {
        if (next_bus_ > kLastBus)
            throw Failure{-ERANGE, "too many buses: " + name + " at " + bdf(bus, dev) +
                                       " would need bus " + std::to_string(next_bus_) +
                                       " (the last is 255)"};
        const int f = add(kind, name, bus, dev, parent);
        const unsigned sec = next_bus_++;
        p_->functions[size_t(f)].primary = bus;
        p_->functions[size_t(f)].secondary = sec;
        if (kind == FunctionKind::SwitchUp)
            ports(f, node, sec);
        else
            child(f, node, port, sec);
        p_->functions[size_t(f)].subordinate = next_bus_ - 1;
        return f;
    }

    void ports(int up, int node, unsigned bus) {
        const Node &sw = t_.nodes[size_t(node)];
        for (unsigned k = 0; k < sw.ports; ++k)
            bridge(FunctionKind::SwitchDown, sw.name + "." + std::to_string(k), bus, k + 1, up,
                   node, int(k));
    }

    void child(int f, int node, int port, unsigned bus) {
        for (size_t k = 0; k < t_.nodes.size(); ++k) {
            const Node &n = t_.nodes[k];
            if (n.parent != node || n.parent_port != port)
                continue;
            if (n.kind == NodeKind::Switch) {
                bridge(FunctionKind::SwitchUp, n.name, bus, 0, f, int(k), -1);
                continue;
            }
            const int d = add(FunctionKind::Device, n.name, bus, 0, f);
            p_->functions[size_t(d)].server = n.server;
            for (const BarSpec &b : bars_.at(n.name))
                p_->functions[size_t(d)].bars.push_back(PlannedBar{b, 0});
        }
    }

    const Topology &t_;
    const DeviceBars &bars_;
    Plan *p_;
    unsigned next_bus_ = 1;
};

// ---- windows: sized bottom up, placed top down ----

// One thing to place in a window: a BAR of a device (`bar` >= 0) or a
// bridge's window (`bar` = -1).
struct Slot {
    int fn = -1;
    int bar = -1;
    uint64_t size = 0, align = 0, offset = 0;
};

struct Layout {
    uint64_t size = 0, align = 1; // size 0: nothing of this space below
    std::vector<Slot> slots;
};

class Windows {
  public:
    Windows(Plan *p, const PlanRanges &r) : p_(p), r_(r), lay_(p->functions.size()) {}

    void run() {
        // Children come after their bridge in depth-first order: backwards,
        // every bridge's children are sized before it.
        for (size_t i = p_->functions.size(); i-- > 0;)
            if (p_->functions[i].bridge())
                for (int s = 0; s < kSpaces; ++s)
                    lay_[i][s] = layout(int(i), s);
        for (int s = 0; s < kSpaces; ++s)
            place_root(s);
    }

  private:
    static uint64_t granule(int s) {
        static const uint64_t g[kSpaces] = {kMemGranule, kPrefGranule, kIoGranule};
        return g[s];
    }

    std::vector<Slot> slots_below(int parent, int s) const {
        std::vector<Slot> out;
        for (size_t i = 0; i < p_->functions.size(); ++i) {
            const PlannedFunction &f = p_->functions[i];
            if (f.parent != parent)
                continue;
            if (f.bridge()) {
                const Layout &l = lay_[i][s];
                if (l.size != 0)
                    out.push_back(Slot{int(i), -1, l.size, l.align, 0});
                continue;
            }
            for (size_t b = 0; b < f.bars.size(); ++b)
                if (space_of(f.bars[b].spec.kind) == s)
                    out.push_back(
                        Slot{int(i), int(b), f.bars[b].spec.size, f.bars[b].spec.size, 0});
        }
        // Larger alignments first: each slot then starts aligned right after
        // the one before it, with little padding between them.
        std::stable_sort(out.begin(), out.end(), [](const Slot &a, const Slot &b) {
            return a.align != b.align ? a.align > b.align : a.size > b.size;
        });
        return out;
    }

    Layout layout(int fn, int s) const {
        Layout l;
        l.slots = slots_below(fn, s);
        if (l.slots.empty())
            return l;
        uint64_t off = 0;
        for (Slot &x : l.slots) {
            off = align_up(off, x.align);
            x.offset = off;
            off += x.size;
        }
        l.size = align_up(off, granule(s));
        l.align = std::max(granule(s), l.slots.front().align);
        return l;
    }

    void range_of(int s, uint64_t *base, uint64_t *size) const {
        const uint64_t b[kSpaces] = {r_.mem_base, r_.pref_base, r_.io_base};
        const uint64_t z[kSpaces] = {r_.mem_size, r_.pref_size, r_.io_size};
        *base = b[s];
        *size = z[s];
    }

    void place_root(int s) {
        uint64_t base, size;
        range_of(s, &base, &size);
        const uint64_t end = base + size;
        uint64_t cursor = base;
        for (const Slot &x : slots_below(-1, s)) {
            const uint64_t start = align_up(cursor, x.align);
            if (start < cursor || start > end || end - start < x.size)
                no_room(x, s, base, end, cursor);
            place(x, s, start);
            cursor = start + x.size;
        }
    }

    void place(const Slot &x, int s, uint64_t addr) {
        PlannedFunction &f = p_->functions[size_t(x.fn)];
        if (x.bar >= 0) {
            f.bars[size_t(x.bar)].addr = addr;
            return;
        }
        const Window w{addr, addr + x.size - 1};
        (s == kMem ? f.mem : s == kPref ? f.pref : f.io) = w;
        for (const Slot &c : lay_[size_t(x.fn)][s].slots)
            place(c, s, addr + c.offset);
    }

    // The largest BAR of space `s` at or below function `fn` (the first of
    // equals in depth-first order): the device a person looks at first.
    void largest(int fn, int s, int *dev, int *bar) const {
        const PlannedFunction &f = p_->functions[size_t(fn)];
        for (size_t b = 0; b < f.bars.size(); ++b) {
            if (space_of(f.bars[b].spec.kind) != s)
                continue;
            if (*dev < 0 ||
                f.bars[b].spec.size > p_->functions[size_t(*dev)].bars[size_t(*bar)].spec.size) {
                *dev = fn;
                *bar = int(b);
            }
        }
        for (size_t i = 0; i < p_->functions.size(); ++i)
            if (p_->functions[i].parent == fn)
                largest(int(i), s, dev, bar);
    }

    [[noreturn]] void no_room(const Slot &x, int s, uint64_t base, uint64_t end,
                              uint64_t cursor) const {
        int dev = -1, bar = -1;
        largest(x.fn, s, &dev, &bar);
        const PlannedFunction &d = p_->functions[size_t(dev)];
        const PlannedBar &b = d.bars[size_t(bar)];
        const std::string which = b.spec.kind == BarKind::Rom
                                      ? std::string("ROM")
                                      : "BAR " + std::to_string(b.spec.index);
        const std::string holder = x.bar >= 0
                                       ? "device '" + d.name + "'"
                                       : "root port '" + p_->functions[size_t(x.fn)].name + "'";
        throw Failure{-ENOSPC, "device '" + d.name + "' does not fit: the " + space_name(s) +
                                   " window of " + holder + " needs " + hex(x.size) +
                                   " bytes aligned to " + hex(x.align) +
                                   " (largest below: " + which + ", " + to_string(b.spec.kind) +
                                   ", " + hex(b.spec.size) + " bytes), " + hex(end - cursor) +
                                   " bytes are left from " + hex(cursor) + " in the " +
                                   space_name(s) + " range " + hex(base) + "-" + hex(end - 1)};
    }

    Plan *p_;
    const PlanRanges &r_;
    std::vector<std::array<Layout, kSpaces>> lay_;
};

} // namespace

int plan_enumeration(const Topology &t, const DeviceBars &bars, const PlanRanges &ranges, Plan *out,
                     std::string *error) {
    Plan p;
    try {
        check_topology(t);
        check_bars(t, bars);
        Numbering(t, bars, &p).run();
        Windows(&p, ranges).run();
    } catch (const Failure &f) {
        *error = f.message;
        return f.err;
    }
    *out = std::move(p);
    return 0;
}

} // namespace rcsim::topology
