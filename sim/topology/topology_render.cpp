#include "topology_render.hpp"

#include <algorithm>
#include <cstdio>
#include <numeric>

namespace rcsim::topology {

namespace {

std::string fmt(const char *f, unsigned long long a, unsigned long long b = 0) {
    char buf[128]; // the longest format, a Region line with 16 digits and 20 of index, fits
    std::snprintf(buf, sizeof buf, f, a, b);
    return buf;
}

std::vector<int> children(const Plan &p, int parent) {
    std::vector<int> out;
    for (size_t i = 0; i < p.functions.size(); ++i)
        if (p.functions[i].parent == parent)
            out.push_back(int(i));
    return out;
}

// lspci -t's drawing: `line` holds the current line up to the column being
// written. A finished line is emitted, then its prefix is kept for the lines
// below it with every branch still open ('+' or '|') as '|' and the rest
// blank, so a sibling further down hangs from the right column.
class Tree {
  public:
    explicit Tree(const Plan &p) : p_(p) {}

    std::string run() {
        line_ = "-[0000:00]-";
        bus(-1);
        return out_;
    }

  private:
    void emit() {
        out_ += line_ + "\n";
        for (char &c : line_)
            c = (c == '+' || c == '|') ? '|' : ' ';
    }

    void bus(int bridge) {
        const size_t at = line_.size();
        const std::vector<int> kids = children(p_, bridge);
        if (kids.empty()) {
            emit();
            return;
        }
        if (kids.size() == 1) {
            line_ += "--";
            function(kids[0]);
            return;
        }
        for (size_t k = 0; k < kids.size(); ++k) {
            line_.resize(at);
            line_ += k + 1 < kids.size() ? "+-" : "\\-";
            function(kids[k]);
        }
    }

    void function(int i) {
        const PlannedFunction &f = p_.functions[size_t(i)];
        line_ += fmt("%02llx.0", f.dev);
        if (!f.bridge()) {
            line_ += "  " + f.name;
            emit();
            return;
        }
        line_ += f.secondary == f.subordinate
                     ? fmt("-[%02llx]-", f.secondary)
                     : fmt("-[%02llx-%02llx]-", f.secondary, f.subordinate);
        line_ += "-";
        bus(i);
    }

    const Plan &p_;
    std::string line_, out_;
};

std::string size_text(uint64_t size) {
    if (size % (1ull << 30) == 0)
        return fmt("%lluG", size >> 30);
    if (size % (1ull << 20) == 0)
        return fmt("%lluM", size >> 20);
    if (size % (1ull << 10) == 0)
        return fmt("%lluK", size >> 10);
    return fmt("%llu", size);
}

// "e0000000-e00fffff [size=1M]" (digits: 8, or 16 for the prefetchable
// window, as lspci -v prints them), or "[disabled]".
std::string window_text(const Window &w, bool wide) {
    if (!w.open())
        return "[disabled]";
    return fmt(wide ? "%016llx-%016llx" : "%08llx-%08llx", w.base, w.limit) +
           " [size=" + size_text(w.limit - w.base + 1) + "]";
}

std::string bar_text(const PlannedBar &b) {
    const std::string size = " [size=" + size_text(b.spec.size) + "]";
    switch (b.spec.kind) {
    case BarKind::Io:
        return fmt("\tRegion %llu: I/O ports at %04llx", b.spec.index, b.addr) + size;
    case BarKind::Rom:
        return fmt("\tExpansion ROM at %08llx", b.addr) + size;
    case BarKind::Mem32:
        return fmt("\tRegion %llu: Memory at %08llx (32-bit, non-prefetchable)", b.spec.index,
                   b.addr) +
               size;
    case BarKind::Mem64:
        return fmt("\tRegion %llu: Memory at %08llx (64-bit, non-prefetchable)", b.spec.index,
                   b.addr) +
               size;
    case BarKind::Mem64Pref:
        return fmt("\tRegion %llu: Memory at %08llx (64-bit, prefetchable)", b.spec.index, b.addr) +
               size;
    }
    return "";
}

const char *kind_text(FunctionKind k) {
    switch (k) {
    case FunctionKind::RootPort:
        return "root port";
    case FunctionKind::SwitchUp:
        return "switch upstream port";
    case FunctionKind::SwitchDown:
        return "switch downstream port";
    case FunctionKind::Device:
        return "device";
    }
    return "?";
}

std::string function_text(const PlannedFunction &f) {
    std::string s = fmt("%02llx:%02llx.0 ", f.bus, f.dev) + kind_text(f.kind) + " " + f.name;
    if (!f.bridge()) {
        s += ": server \"" + f.server + "\"\n";
        for (const PlannedBar &b : f.bars)
            s += bar_text(b) + "\n";
        return s;
    }
    s += "\n";
    s += fmt("\tBus: primary=%02llx, secondary=%02llx", f.primary, f.secondary) +
         fmt(", subordinate=%02llx\n", f.subordinate);
    s += "\tI/O behind bridge: " + window_text(f.io, false) + "\n";
    s += "\tMemory behind bridge: " + window_text(f.mem, false) + "\n";
    s += "\tPrefetchable memory behind bridge: " + window_text(f.pref, true) + "\n";
    return s;
}

} // namespace

std::string render_tree(const Plan &p) {
    return Tree(p).run();
}

std::string render_listing(const Plan &p) {
    std::vector<size_t> order(p.functions.size());
    std::iota(order.begin(), order.end(), size_t(0));
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        const PlannedFunction &x = p.functions[a], &y = p.functions[b];
        return x.bus != y.bus ? x.bus < y.bus : x.dev < y.dev;
    });
    std::string out;
    for (size_t i : order)
        out += function_text(p.functions[i]);
    return out;
}

} // namespace rcsim::topology
