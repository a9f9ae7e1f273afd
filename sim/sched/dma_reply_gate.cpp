#include "dma_reply_gate.hpp"

#include "admission.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace rcsim {

namespace {

std::string hex(uint64_t v) {
    char b[24];
    snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
    return b;
}

// "DMA_READ #3 twin addr=0x10000000 count=32": the request as the
// admission's labels name it, so the log reads as one story.
std::string describe(const vuc_dma_op *op) {
    return command_name(op->cmd) + " #" + std::to_string(op->msg_id) + " " +
           vuc_sock_name(op->sock) + " addr=" + hex(op->addr) +
           " count=" + std::to_string(op->count);
}

std::vector<std::string> split_commas(const std::string &text) {
    std::vector<std::string> out;
    size_t pos = 0;
    while (pos <= text.size()) {
        const size_t comma = std::min(text.find(',', pos), text.size());
        out.push_back(text.substr(pos, comma - pos));
        pos = comma + 1;
    }
    return out;
}

} // namespace

int parse_dma_choices(const std::string &text, DmaChoiceConfig *out, std::string *error) {
    DmaChoiceConfig c = *out;
    c.hold = c.reset = c.unmap = c.never = false;
    for (const std::string &item : split_commas(text)) {
        bool *flag = item == "hold"    ? &c.hold
                     : item == "reset" ? &c.reset
                     : item == "unmap" ? &c.unmap
                     : item == "never" ? &c.never
                                       : nullptr;
        if (!flag) {
            *error = "--dma-choices wants a list of hold, reset, unmap, never: '" + item + "'";
            return -EINVAL;
        }
        *flag = true;
    }
    *out = c;
    return 0;
}

int parse_hold_cycles(const std::string &text, std::vector<uint64_t> *out, std::string *error) {
    std::vector<uint64_t> cycles;
    for (const std::string &item : split_commas(text)) {
        char *end = nullptr;
        const unsigned long long n = std::strtoull(item.c_str(), &end, 10);
        if (item.empty() || *end || n == 0 || n > 100000000ull) {
            *error = "--hold-cycles wants cycles (1..100000000) separated by commas: " + text;
            return -EINVAL;
        }
        cycles.push_back(n);
    }
    *out = cycles;
    return 0;
}

std::string dma_choices_to_string(const DmaChoiceConfig &c) {
    std::string s;
    const std::pair<bool, const char *> names[] = {
        {c.hold, "hold"}, {c.reset, "reset"}, {c.unmap, "unmap"}, {c.never, "never"}};
    for (const auto &[on, name] : names)
        if (on)
            s += (s.empty() ? "" : ",") + std::string(name);
    return s;
}

std::string hold_cycles_to_string(const std::vector<uint64_t> &cycles) {
    std::string s;
    for (uint64_t c : cycles)
        s += (s.empty() ? "" : ",") + std::to_string(c);
    return s;
}

std::unique_ptr<DmaReplyGate> DmaReplyGate::create(const DmaChoiceConfig &cfg, vuc_ctx *ctx,
                                                   Bridge &bridge,
                                                   const std::vector<MemWindow> &windows,
                                                   std::function<uint64_t()> cycles,
                                                   ChooseFn choose) {
    if (!cfg.any())
        return nullptr;
    return std::unique_ptr<DmaReplyGate>(
        new DmaReplyGate(cfg, ctx, bridge, windows, std::move(cycles), std::move(choose)));
}

const MemWindow *DmaReplyGate::window_of(uint64_t addr) const {
    for (const MemWindow &w : mapped_)
        if (addr >= w.base && addr - w.base < w.size)
            return &w;
    return nullptr;
}

int DmaReplyGate::dma_started(vuc_dma_op *op) {
    const std::string what = describe(op);
    for (const MemWindow &w : unmapped_) {
        const bool overlaps = op->addr < w.base + w.size && w.base < op->addr + op->count;
        if (overlaps) {
            refused_.push_back(what + " refused (EFAULT): window " + w.name +
                               " was unmapped by a DMA_UNMAP the harness chose");
            return -EFAULT;
        }
    }
    if (cfg_.asks_intervene())
        intervene(op, what);
    return 0;
}

void DmaReplyGate::intervene(const vuc_dma_op *op, const std::string &what) {
    std::vector<std::string> options = {"nothing before " + what};
    if (cfg_.reset)
        options.push_back("DEVICE_RESET before " + what);
    const MemWindow *w = cfg_.unmap ? window_of(op->addr) : nullptr;
    if (w)
        options.push_back("DMA_UNMAP " + w->name + " " + hex(w->base) + "+" + hex(w->size) +
                          " before " + what);
    if (options.size() == 1)
        return; // nothing to choose (an address in no window the harness mapped)
    const size_t c = choose_("dma-intervene", options);
    if (c == 0)
        return;
    if (cfg_.reset && c == 1)
        return send_reset();
    send_unmap(*w);
}

void DmaReplyGate::send_reset() {
    vuc_request req{};
    req.cmd = VU_CMD_DEVICE_RESET;
    bridge_.submit_command(req, "DEVICE_RESET (dma-intervene)");
}

void DmaReplyGate::send_unmap(const MemWindow &w) {
    vu_dma_unmap u{};
    u.argsz = sizeof u;
    u.addr = w.base;
    u.size = w.size;
    vuc_request req{};
    req.cmd = VU_CMD_DMA_UNMAP;
    req.payload = &u;
    req.payload_len = sizeof u;
    bridge_.submit_command(req, "DMA_UNMAP " + w.name + " (dma-intervene)");
    // Gone from the harness's map now, as vuc_dma_unmap does it (the
    // client library's own table keeps it: refusal is ours, dma_started).
    for (auto it = mapped_.begin(); it != mapped_.end(); ++it) {
        if (it->base == w.base && it->size == w.size) {
            unmapped_.push_back(*it);
            mapped_.erase(it);
            return;
        }
    }
}

void DmaReplyGate::window_mapped(const MemWindow &w, bool mapped) {
    for (auto it = mapped_.begin(); it != mapped_.end(); ++it) {
        if (it->base == w.base && it->size == w.size) {
            if (!mapped)
                mapped_.erase(it);
            return;
        }
    }
    if (mapped)
        mapped_.push_back(w);
}

bool DmaReplyGate::dma_reply_ready(vuc_dma_op *op, int err) {
    if (!cfg_.asks_reply())
        return false;
    const std::string what = describe(op);
    std::vector<std::string> options = {"reply " + what + " now"};
    if (cfg_.hold)
        for (uint64_t n : cfg_.hold_cycles)
            options.push_back("hold the reply to " + what + " " + std::to_string(n) + " cycles");
    if (cfg_.never)
        options.push_back("never answer " + what);
    const size_t c = choose_("dma-reply", options);
    if (c == 0)
        return false;
    if (cfg_.never && c == options.size() - 1) {
        never_.push_back(what);
        return true; // op stays pending in the client until the connection goes
    }
    held_.push_back({op, err, cycles_() + cfg_.hold_cycles[c - 1]});
    return true;
}

void DmaReplyGate::tick() {
    const uint64_t now = cycles_();
    for (size_t i = 0; i < held_.size();) {
        if (held_[i].due > now) {
            ++i;
            continue;
        }
        const Held h = held_[i];
        held_.erase(held_.begin() + long(i));
        send_reply(h);
    }
}

void DmaReplyGate::send_reply(const Held &h) {
    const int rc = vuc_dma_complete(ctx_, h.op, h.err);
    if (rc < 0 && rc != -ENOTCONN)
        bridge_.note_failure("held DMA reply could not be sent: errno " + std::to_string(-rc));
}

std::vector<std::string> DmaReplyGate::report() const {
    std::vector<std::string> out;
    for (const std::string &w : never_)
        out.push_back("the harness never answered " + w + " by choice (dma-reply never)");
    for (const std::string &r : refused_)
        out.push_back(r);
    return out;
}

} // namespace rcsim
