// The DMA choice points of issue 8, opt-in (HarnessConfig::dma_choices,
// `--dma-choices`): what the client does with a DMA request of the server
// besides serving it.
//  - `dma-intervene`, asked when the bridge takes a DMA request up: nothing
//    (option 0), or first send DEVICE_RESET, or first DMA_UNMAP the window
//    the request falls in; the command goes out at once (non-blocking, its
//    reply awaited like a host request's) and the DMA carries on as usual.
//    A later DMA request into an unmapped window is refused with EFAULT,
//    the error reply the client library gives for memory it has no map of.
//  - `dma-reply`, asked when the reply is ready (every TLP of the request
//    done): reply now (option 0), hold it exactly N cycles (the clock runs
//    while a reply is held: Bridge::idle() is false), or never answer (the
//    server's requests behind it end in the root port's completion
//    timeout; the failure report names every request left unanswered).
// Held and never-answered replies count as owed to the server
// (Bridge::owes_server), so no admission point waits the watchdog for a
// server that waits for us.
#pragma once

#include "bridge.hpp"
#include "host_memory.hpp"

#include "vfio_user/client.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace rcsim {

struct DmaChoiceConfig {
    bool hold = false, reset = false, unmap = false, never = false;
    std::vector<uint64_t> hold_cycles{1000};
    bool any() const { return hold || reset || unmap || never; }
    bool asks_reply() const { return hold || never; }
    bool asks_intervene() const { return reset || unmap; }
};

// "hold,reset,unmap,never" (any subset, any order) -> config; 0 or -EINVAL
// with the reason in error. hold_cycles is left alone.
int parse_dma_choices(const std::string &text, DmaChoiceConfig *out, std::string *error);
// "1000,20000" -> cycles (each 1..100000000); 0 or -EINVAL.
int parse_hold_cycles(const std::string &text, std::vector<uint64_t> *out, std::string *error);
// The forms pinned in the decision log header (canonical order).
std::string dma_choices_to_string(const DmaChoiceConfig &c);
std::string hold_cycles_to_string(const std::vector<uint64_t> &cycles);

class DmaReplyGate : public DmaHooks {
  public:
    using ChooseFn = Bridge::ChooseFn;
    // nullptr when cfg offers nothing. windows: the DMA_MAPs made at connect.
    static std::unique_ptr<DmaReplyGate> create(const DmaChoiceConfig &cfg, vuc_ctx *ctx,
                                                Bridge &bridge,
                                                const std::vector<MemWindow> &windows,
                                                std::function<uint64_t()> cycles, ChooseFn choose);

    int dma_started(vuc_dma_op *op) override;
    bool dma_reply_ready(vuc_dma_op *op, int err) override;
    bool owes_replies() const override { return !held_.empty() || !never_.empty(); }
    bool holding() const override { return !held_.empty(); }
    void tick() override;

    // A scenario's `dma-unmap` / `dma-map` of window w took effect: the
    // unmap choice is offered for mapped windows only.
    void window_mapped(const MemWindow &w, bool mapped);

    // What the harness did by choice that a failure report should show
    // (requests never answered, requests refused after an unmap).
    std::vector<std::string> report() const;

  private:
    struct Held {
        vuc_dma_op *op;
        int err;
        uint64_t due;
    };
    DmaReplyGate(const DmaChoiceConfig &cfg, vuc_ctx *ctx, Bridge &bridge,
                 const std::vector<MemWindow> &windows, std::function<uint64_t()> cycles,
                 ChooseFn choose)
        : cfg_(cfg), ctx_(ctx), bridge_(bridge), mapped_(windows), cycles_(std::move(cycles)),
          choose_(std::move(choose)) {}
    void intervene(const vuc_dma_op *op, const std::string &what);
    const MemWindow *window_of(uint64_t addr) const;
    void send_reset();
    void send_unmap(const MemWindow &w);
    void send_reply(const Held &h);

    DmaChoiceConfig cfg_;
    vuc_ctx *ctx_;
    Bridge &bridge_;
    std::vector<MemWindow> mapped_, unmapped_;
    std::function<uint64_t()> cycles_;
    ChooseFn choose_;
    std::vector<Held> held_;
    std::vector<std::string> never_; // what was never answered
    std::vector<std::string> refused_;
};

} // namespace rcsim
