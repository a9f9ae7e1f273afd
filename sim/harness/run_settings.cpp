#include "run_settings.hpp"

#include "client_style.hpp"
#include "dma_reply_gate.hpp"
#include "harness_top.hpp"

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>

namespace rcsim {

namespace {

// A whole-string unsigned number: decimal, or hex with 0x.
bool parse_uint(const std::string &s, uint64_t *out) {
    if (s.empty() || s.size() > 20 || s[0] == '-' || s[0] == '+' || s[0] == ' ')
        return false;
    const bool hex = s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
    char *end = nullptr;
    errno = 0;
    const unsigned long long v = std::strtoull(s.c_str(), &end, hex ? 16 : 10);
    if (*end || errno == ERANGE)
        return false;
    *out = v;
    return true;
}

std::string hex(uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%" PRIx64, v);
    return buf;
}

std::string yes_no(bool b) {
    return b ? "yes" : "no";
}

bool parse_yes_no(const std::string &s, bool *out) {
    if (s != "yes" && s != "no")
        return false;
    *out = s == "yes";
    return true;
}

// PCIe sizes (MPS, MRRS): a power of two from 128 to 4096 bytes.
std::string parse_pcie_size(const std::string &s, unsigned *out) {
    uint64_t v = 0;
    if (!parse_uint(s, &v) || v < 128 || v > 4096 || (v & (v - 1)))
        return "want a power of two from 128 to 4096, not \"" + s + "\"";
    *out = unsigned(v);
    return {};
}

const char *perm_name(MemPerm p) {
    switch (p) {
    case MemPerm::Read:
        return "r";
    case MemPerm::Write:
        return "w";
    case MemPerm::ReadWrite:
        return "rw";
    case MemPerm::None:
        break;
    }
    return "none";
}

// "BASE+SIZE:PERM:NAME,..." (hex base and size).
std::string windows_to_string(const std::vector<MemWindow> &ws) {
    std::string s;
    for (const MemWindow &w : ws)
        s += (s.empty() ? "" : ",") + hex(w.base) + "+" + hex(w.size) + ":" + perm_name(w.perm) +
             (w.shared   ? ":fd:"
              : w.socket ? ":sock:"
                         : ":") +
             w.name;
    return s;
}

std::string parse_window(const std::string &item, MemWindow *w) {
    const size_t plus = item.find('+'), c1 = item.find(':'), c2 = item.find(':', c1 + 1);
    if (plus == std::string::npos || c1 == std::string::npos || c2 == std::string::npos ||
        plus > c1)
        return "want BASE+SIZE:PERM[:fd|:msg|:sock]:NAME, not \"" + item + "\"";
    const std::string perm = item.substr(c1 + 1, c2 - c1 - 1);
    if (!parse_uint(item.substr(0, plus), &w->base) ||
        !parse_uint(item.substr(plus + 1, c1 - plus - 1), &w->size) || w->size == 0 ||
        w->base + w->size < w->base)
        return "bad window range in \"" + item + "\"";
    if (perm == "r")
        w->perm = MemPerm::Read;
    else if (perm == "w")
        w->perm = MemPerm::Write;
    else if (perm == "rw")
        w->perm = MemPerm::ReadWrite;
    else
        return "bad window permission \"" + perm + "\" (r, w or rw)";
    // BASE+SIZE:PERM:fd:NAME is a shared window; a message window keeps the
    // three-field form that logs before shared windows have.
    w->name = item.substr(c2 + 1);
    if (w->name.rfind("fd:", 0) == 0) {
        w->shared = true;
        w->name = w->name.substr(3);
    } else if (w->name.rfind("msg:", 0) == 0) {
        w->name = w->name.substr(4);
    } else if (w->name.rfind("sock:", 0) == 0) {
        w->socket = true;
        w->name = w->name.substr(5);
    }
    if (w->name.empty() || w->name.size() > 64 || w->name.find(':') != std::string::npos)
        return "a window needs a name of 1..64 characters, no ':'";
    return {};
}

std::string parse_windows(const std::string &s, std::vector<MemWindow> *out) {
    std::vector<MemWindow> ws;
    size_t pos = 0;
    while (pos <= s.size() && !s.empty()) {
        const size_t comma = std::min(s.find(',', pos), s.size());
        MemWindow w;
        const std::string why = parse_window(s.substr(pos, comma - pos), &w);
        if (!why.empty())
            return why;
        ws.push_back(w);
        if (ws.size() > 64)
            return "more than 64 DMA windows";
        pos = comma + 1;
    }
    *out = ws;
    return {};
}

std::string parse_range(const std::string &s, uint64_t *base, uint64_t *size) {
    const size_t plus = s.find('+');
    if (plus == std::string::npos || !parse_uint(s.substr(0, plus), base) ||
        !parse_uint(s.substr(plus + 1), size) || *size == 0 || *base + *size < *base)
        return "want BASE+SIZE, not \"" + s + "\"";
    return {};
}

} // namespace

std::string parse_io_window(const std::string &text, uint32_t *base, uint32_t *size) {
    uint64_t b = 0, n = 0;
    if (!parse_range(text, &b, &n).empty() || b + n > (uint64_t(1) << 32))
        return "want BASE+SIZE inside the 32-bit I/O space, not \"" + text + "\"";
    *base = uint32_t(b);
    *size = uint32_t(n);
    return {};
}

namespace {

using Adopter = std::string (*)(const std::string &, HarnessConfig *);

struct Entry {
    const char *name;
    Adopter adopt;
};

const Entry kEntries[] = {
    {"DATA_W",
     [](const std::string &v, HarnessConfig *) -> std::string {
         const std::string built = std::to_string(HarnessTop::kDataWidth);
         return v == built ? ""
                           : "this build's root port has DATA_W " + built + ", not \"" + v + "\"";
     }},
    {"mps", [](const std::string &v, HarnessConfig *c) { return parse_pcie_size(v, &c->mps); }},
    {"mrrs", [](const std::string &v, HarnessConfig *c) { return parse_pcie_size(v, &c->mrrs); }},
    {"rcb",
     [](const std::string &v, HarnessConfig *c) -> std::string {
         if (v != "64" && v != "128")
             return "want 64 or 128, not \"" + v + "\"";
         c->rcb = unsigned(std::atoi(v.c_str()));
         return {};
     }},
    {"cpl_timeout",
     [](const std::string &v, HarnessConfig *c) { return parse_cpl_timeout(v, &c->cpl_timeout); }},
    {"delay_choices",
     [](const std::string &v, HarnessConfig *c) {
         return parse_delay_choices(v, &c->admission.delay_choices);
     }},
    {"twin_offered",
     [](const std::string &v, HarnessConfig *c) -> std::string {
         bool offered = true;
         if (!parse_yes_no(v, &offered))
             return "want yes or no, not \"" + v + "\"";
         c->no_twin = !offered;
         return {};
     }},
    {"client",
     [](const std::string &v, HarnessConfig *c) -> std::string {
         return parse_client_style(v, &c->client_style) ? ""
                                                        : "want async or sync, not \"" + v + "\"";
     }},
    {"dma_choices",
     [](const std::string &v, HarnessConfig *c) -> std::string {
         std::string err;
         const std::vector<uint64_t> holds = c->dma_choices.hold_cycles;
         if (parse_dma_choices(v, &c->dma_choices, &err) < 0)
             return err;
         c->dma_choices.hold_cycles = holds; // hold_cycles is its own setting
         return {};
     }},
    {"migration_choices",
     [](const std::string &v, HarnessConfig *c) -> std::string {
         return parse_yes_no(v, &c->migration_choices) ? "" : "want yes or no, not \"" + v + "\"";
     }},
    {"hold_cycles",
     [](const std::string &v, HarnessConfig *c) -> std::string {
         std::string err;
         return parse_hold_cycles(v, &c->dma_choices.hold_cycles, &err) < 0 ? err : "";
     }},
    {"irq",
     [](const std::string &v, HarnessConfig *c) -> std::string {
         return parse_irq_preference(v, &c->irq)
                    ? ""
                    : "want auto, msix, msi, intx or none, not \"" + v + "\"";
     }},
    {"device_bdf",
     [](const std::string &v, HarnessConfig *c) -> std::string {
         uint64_t bdf = 0;
         if (!parse_uint(v, &bdf) || bdf > 0xffff || bdf == c->rp_id)
             return "want a 16-bit requester ID other than the root port's, not \"" + v + "\"";
         c->device_bdf = uint16_t(bdf);
         return {};
     }},
    {"dma_windows",
     [](const std::string &v, HarnessConfig *c) { return parse_windows(v, &c->dma_windows); }},
    {"bar_window",
     [](const std::string &v, HarnessConfig *c) {
         return parse_range(v, &c->bar_window_base, &c->bar_window_size);
     }},
    {"io_window",
     [](const std::string &v, HarnessConfig *c) {
         return parse_io_window(v, &c->io_window_base, &c->io_window_size);
     }},
    {"pref_window",
     [](const std::string &v, HarnessConfig *c) {
         return parse_range(v, &c->pref_window_base, &c->pref_window_size);
     }},
    {"msi_address",
     [](const std::string &v, HarnessConfig *c) -> std::string {
         if (!parse_uint(v, &c->msi_address) || (c->msi_address & 3))
             return "want a DW-aligned address, not \"" + v + "\"";
         return {};
     }},
    {"bar_access",
     [](const std::string &v, HarnessConfig *c) -> std::string {
         return parse_bar_access(v, &c->bar_access) ? ""
                                                    : "want mapping or messages, not \"" + v + "\"";
     }},
    {"idle_announce",
     [](const std::string &v, HarnessConfig *c) -> std::string {
         return parse_yes_no(v, &c->idle_announce) ? "" : "want yes or no, not \"" + v + "\"";
     }},
    {"inspect_server",
     [](const std::string &v, HarnessConfig *c) -> std::string {
         return parse_yes_no(v, &c->inspect_server) ? "" : "want yes or no, not \"" + v + "\"";
     }},
};

} // namespace

std::string parse_dma_window(const std::string &text, MemWindow *out) {
    MemWindow w;
    const std::string why = parse_window(text, &w);
    if (why.empty())
        *out = w;
    return why;
}

const char *to_string(BarAccess a) {
    return a == BarAccess::Mapping ? "mapping" : "messages";
}

bool parse_bar_access(const std::string &text, BarAccess *out) {
    for (BarAccess a : {BarAccess::Mapping, BarAccess::Messages})
        if (text == to_string(a)) {
            *out = a;
            return true;
        }
    return false;
}

const char *to_string(IrqPreference p) {
    switch (p) {
    case IrqPreference::Auto:
        return "auto";
    case IrqPreference::Msix:
        return "msix";
    case IrqPreference::Msi:
        return "msi";
    case IrqPreference::Intx:
        return "intx";
    case IrqPreference::None:
        return "none";
    }
    return "auto";
}

bool parse_irq_preference(const std::string &text, IrqPreference *out) {
    for (IrqPreference p : {IrqPreference::Auto, IrqPreference::Msix, IrqPreference::Msi,
                            IrqPreference::Intx, IrqPreference::None})
        if (text == to_string(p)) {
            *out = p;
            return true;
        }
    return false;
}

std::string parse_cpl_timeout(const std::string &text, uint32_t *out) {
    uint64_t v = 0;
    if (!parse_uint(text, &v) || v == 0 || v > 0xffffffffull)
        return "want cycles from 1 to 4294967295, not \"" + text + "\"";
    *out = uint32_t(v);
    return {};
}

std::string parse_delay_choices(const std::string &text, std::vector<uint64_t> *out) {
    std::vector<uint64_t> cycles;
    size_t pos = 0;
    while (pos <= text.size()) {
        const size_t comma = std::min(text.find(',', pos), text.size());
        uint64_t c = 0;
        if (!parse_uint(text.substr(pos, comma - pos), &c) || c == 0 || c > 1000000)
            return "want cycles (1..1000000) separated by commas, not \"" + text + "\"";
        cycles.push_back(c);
        if (cycles.size() > 64)
            return "more than 64 delay choices";
        pos = comma + 1;
    }
    *out = cycles;
    return {};
}

Settings pinned_settings(const HarnessConfig &cfg) {
    Settings s = {{"DATA_W", std::to_string(HarnessTop::kDataWidth)},
                  {"mps", std::to_string(cfg.mps)},
                  {"mrrs", std::to_string(cfg.mrrs)},
                  {"rcb", std::to_string(cfg.rcb)},
                  {"cpl_timeout", std::to_string(cfg.cpl_timeout)},
                  {"twin_offered", yes_no(!cfg.no_twin)},
                  {"irq", to_string(cfg.irq)},
                  {"device_bdf", hex(cfg.device_bdf)},
                  {"dma_windows", windows_to_string(cfg.dma_windows)},
                  {"bar_window", hex(cfg.bar_window_base) + "+" + hex(cfg.bar_window_size)},
                  {"msi_address", hex(cfg.msi_address)},
                  {"inspect_server", yes_no(cfg.inspect_server)}};
    // The scheduler's delay choices change which choice points exist.
    std::string delays;
    for (uint64_t c : cfg.admission.delay_choices)
        delays += (delays.empty() ? "" : ",") + std::to_string(c);
    if (!delays.empty())
        s["delay_choices"] = delays;
    // A sync client sets DMA aside (other decisions follow); async, the
    // default, is left out so that older logs still match.
    if (cfg.client_style == ClientStyle::Sync)
        s["client"] = to_string(cfg.client_style);
    // Where I/O BARs go; left out at the default so that older logs match.
    const HarnessConfig defaults;
    if (cfg.io_window_base != defaults.io_window_base ||
        cfg.io_window_size != defaults.io_window_size)
        s["io_window"] = hex(cfg.io_window_base) + "+" + hex(cfg.io_window_size);
    // Mapped BAR areas add DEVICE_GET_REGION_INFO at connect (every later
    // message id moves) and take accesses off the wire. A log made before
    // they existed has no bar_access and went by messages (adopt_settings),
    // so here the mapping, the default, is the value that is written.
    if (cfg.bar_access == BarAccess::Mapping)
        s["bar_access"] = to_string(cfg.bar_access);
    if (cfg.dma_choices.any()) { // which DMA choice points exist
        s["dma_choices"] = dma_choices_to_string(cfg.dma_choices);
        s["hold_cycles"] = hold_cycles_to_string(cfg.dma_choices.hold_cycles);
    }
    if (cfg.migration_choices) // left out when off, so that older logs match
        s["migration_choices"] = yes_no(true);
    // Which quiescence proof a started model may use (sim/sched/README.md,
    // "Idle announcement"): on by default and then left out, so that older
    // logs match; decisions do not depend on it, wall time does.
    if (!cfg.idle_announce)
        s["idle_announce"] = yes_no(false);
    // Pinned only when moved, so older logs still match.
    if (cfg.pref_window_base != defaults.pref_window_base ||
        cfg.pref_window_size != defaults.pref_window_size)
        s["pref_window"] = hex(cfg.pref_window_base) + "+" + hex(cfg.pref_window_size);
    return s;
}

std::string adopt_setting(const std::string &name, const std::string &value, HarnessConfig *cfg) {
    for (const Entry &e : kEntries)
        if (name == e.name)
            return e.adopt(value, cfg);
    return "not a setting this rcsim knows";
}

std::vector<std::string> adopt_settings(const Settings &logged, HarnessConfig *cfg) {
    std::vector<std::string> bad;
    if (logged.count("bar_access") == 0) // a log from before mapped BAR areas
        cfg->bar_access = BarAccess::Messages;
    if (logged.count("idle_announce") == 0) // pinned only when off
        cfg->idle_announce = true;
    for (const auto &kv : logged) {
        const std::string why = adopt_setting(kv.first, kv.second, cfg);
        if (!why.empty())
            bad.push_back(kv.first + ": " + why);
    }
    return bad;
}

std::vector<std::string> settings_differences(const Settings &log, const Settings &run) {
    std::vector<std::string> out;
    auto line = [&](const std::string &name, const std::string &a, const std::string &b) {
        out.push_back("setting " + name + ": log has \"" + a + "\", run has \"" + b + "\"");
    };
    for (const auto &kv : log) {
        const auto it = run.find(kv.first);
        if (it == run.end())
            line(kv.first, kv.second, "(unset)");
        else if (it->second != kv.second)
            line(kv.first, kv.second, it->second);
    }
    for (const auto &kv : run)
        if (log.count(kv.first) == 0)
            line(kv.first, "(unset)", kv.second);
    return out;
}

} // namespace rcsim
