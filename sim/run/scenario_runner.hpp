// Runs a parsed scenario against a harness whose device is enumerated:
// each statement becomes host accesses, host memory work or simulated time.
// The first failed expectation stops the run with a report naming the
// statement's file:line, what was expected and what was there.
#pragma once

#include "harness.hpp"
#include "scenario_parser.hpp"

#include <cstdint>
#include <functional>
#include <string>

namespace rcsim {

struct ScenarioFailure {
    // What went wrong, for the failure categories (failure_category.hpp):
    // an access that completed with an error status (which one in
    // `status`), an expectation that saw another value or other bytes, or
    // anything else (no interrupt, still busy, a missing BAR).
    // A `migrate` adds its own: a page written and not reported, a state
    // change (a quiesce) never finished, a server that died mid-migration,
    // a reply that broke the protocol's rules (a state the device cannot
    // be in).
    enum class Kind {
        Other,
        Status,
        Value,
        DirtyPageMissed,
        QuiesceStalled,
        ServerDied,
        ProtocolError
    };
    SourceLoc loc;
    std::string source;  // the statement as written
    std::string message; // "expected ..., got ..."
    Kind kind = Kind::Other;
    HostStatus status = HostStatus::SC; // Kind::Status
    // "FILE:LINE: STATEMENT\n  MESSAGE\n"
    std::string report() const;
};

// What the scenario itself did (the harness counts the TLP side).
struct ScenarioStats {
    uint64_t statements = 0;
    uint64_t mmio_bytes = 0;     // read and written by the host through BARs
    uint64_t host_mem_bytes = 0; // filled and compared by the host CPU
    uint64_t irqs_waited = 0;
    // statements that waited in wall-clock time (`within ... wall`); their
    // wall time is in the decision log (`wall-wait`)
    uint64_t wall_waits = 0;
    uint64_t wall_us = 0;
    uint64_t migrations = 0;   // `migrate` statements that switched over
    uint64_t pages_missed = 0; // pages a migration's check found different
};

class ScenarioRunner {
  public:
    explicit ScenarioRunner(Harness &h) : h_(h) {}

    // Called before each statement (index into the program).
    void on_statement(std::function<void(size_t index, const Statement &)> fn) {
        progress_ = std::move(fn);
    }

    // Called now and then while one statement runs for long (every
    // kTickCycles simulated cycles), so a progress display can refresh.
    static constexpr uint64_t kTickCycles = 20000;
    void on_tick(std::function<void()> fn) { tick_ = std::move(fn); }

    // True when every statement passed and everything they started came to
    // rest (an implicit `drain` at the end, bounded by kEndDrainCycles);
    // otherwise `failure` says why.
    static constexpr uint64_t kEndDrainCycles = 1000000;
    bool run(const Program &p, ScenarioFailure *failure);
    const ScenarioStats &stats() const { return stats_; }

  private:
    using Step = bool (ScenarioRunner::*)(const Statement &, std::string *why);
    static Step step_for(Op op);
    bool drain_at_end(const Program &p, ScenarioFailure *failure);

    bool do_write(const Statement &s, std::string *why);
    bool do_read(const Statement &s, std::string *why);
    bool do_poll(const Statement &s, std::string *why);
    bool do_wait_irq(const Statement &s, std::string *why);
    bool wait_irq_wall(const Statement &s, std::string *why);
    bool do_fill(const Statement &s, std::string *why);
    bool do_expect_mem(const Statement &s, std::string *why);
    bool do_delay(const Statement &s, std::string *why);
    bool do_drain(const Statement &s, std::string *why);
    bool do_expect_dma_refused(const Statement &s, std::string *why);
    bool do_reset(const Statement &s, std::string *why);
    bool function_level_reset(std::string *why);
    bool do_dma_unmap(const Statement &s, std::string *why);
    bool do_dma_map(const Statement &s, std::string *why);
    bool do_mask_irq(const Statement &s, std::string *why);
    bool do_unmask_irq(const Statement &s, std::string *why);
    bool do_switch_irq(const Statement &s, std::string *why);
    bool do_dma_window(const Statement &s, std::string *why);
    bool select_device(const Statement &s, std::string *why);
    bool do_migrate(const Statement &s, std::string *why); // scenario_migrate.cpp

    Access access_read(const Statement &s);
    bool outcome_misfits(const Statement &s, std::string *why) const;
    bool status_as_expected(const Statement &s, HostStatus st, const char *what, std::string *why);
    bool write_refused(const Statement &s, std::string *why);
    void tick() {
        if (tick_)
            tick_();
    }
    bool bar_missing(const Statement &s, std::string *why) const;
    // The failing step says what kind of failure it was (run() resets it).
    bool failed(ScenarioFailure::Kind k, HostStatus st = HostStatus::SC) {
        kind_ = k;
        status_ = st;
        return false;
    }

    Harness &h_;
    ScenarioStats stats_;
    std::function<void(size_t, const Statement &)> progress_;
    std::function<void()> tick_;
    ScenarioFailure::Kind kind_ = ScenarioFailure::Kind::Other;
    HostStatus status_ = HostStatus::SC;
};

} // namespace rcsim
