// The harness's life and clock: creating it, the link's settings, the clock
// run until something is done, and what it saw. The server side is in
// harness_server.cpp, the host's accesses in harness_access.cpp.
#include "harness.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sys/prctl.h>

namespace rcsim {

namespace {
uint8_t size_code(unsigned bytes) {
    uint8_t c = 0;
    while ((128u << c) < bytes && c < 5)
        ++c;
    return c;
}
} // namespace

Harness::Harness(const HarnessConfig &cfg)
    : cfg_(cfg), driver_(HarnessTop::kLanes), memport_(mem_, HarnessTop::kLanes) {
    devs_.push_back(std::make_unique<HarnessDevice>());
    dev_ = devs_.front().get();
    dev_->harness = this;
    dev_->bdf = cfg.device_bdf;
}

int Harness::create(const HarnessConfig &cfg, std::unique_ptr<Harness> *out, std::string *error) {
    std::unique_ptr<Harness> h(new Harness(cfg));
    // The quiescence checks sleep for short gaps (200 us); the default 50 us
    // timer slack would stretch every admission point by a quarter.
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    int rc = HarnessTop::create(&h->top_, error);
    if (rc < 0)
        return rc;
    for (const MemWindow &w : cfg.dma_windows) {
        const MemStatus st = h->mem_.add_window(w);
        if (st != MemStatus::Ok) {
            *error = "DMA window " + w.name + ": " + to_string(st);
            return -EINVAL;
        }
    }
    if (!cfg.fst_path.empty() && (rc = h->top_->trace_fst(cfg.fst_path, error)) < 0)
        return rc;
    h->top_->set_sink(h.get());
    h->memport_.on_write_done([raw = h.get()](uint64_t a, unsigned l, bool e) {
        if (raw->dev_->bridge)
            raw->dev_->bridge->host_write_done(a, l, e);
    });
    h->top_->reset();
    RtlSettings s;
    s.mps_code = 0;
    s.mrrs_code = size_code(cfg.mrrs);
    s.rcb128 = cfg.rcb == 128;
    s.cpl_timeout = cfg.cpl_timeout;
    s.rp_id = cfg.rp_id;
    h->top_->configure(s);
    h->top_->run(1);
    *out = std::move(h);
    return 0;
}

Harness::~Harness() {
    shutdown();
    if (top_)
        top_->set_sink(nullptr);
}

void Harness::set_link(unsigned mps, unsigned mrrs) {
    RtlSettings s;
    s.mps_code = size_code(mps);
    s.mrrs_code = size_code(mrrs);
    s.rcb128 = cfg_.rcb == 128;
    s.cpl_timeout = cfg_.cpl_timeout;
    s.rp_id = cfg_.rp_id;
    top_->configure(s);
    top_->run(1);
    if (dev_->bridge)
        dev_->bridge->set_link(mps, mrrs, cfg_.rcb);
}

// ------------------------------------------------------------ simulation

void Harness::on_edge(const RtlOut &out, RtlIn &in) {
    if (observer_)
        observer_->on_edge(out, in);
    driver_.set_cycle(top_->cycles());
    driver_.on_edge(out, in);
    memport_.on_edge(out, in);
    if (dev_->bridge) {
        dev_->bridge->on_edge(out, in);
    } else {
        in.tx_ready = true;
        in.rx_valid = false;
    }
}

bool Harness::all_idle() const {
    return top_->last_out().idle && !driver_.busy() && driver_.outstanding_reads() == 0 &&
           memport_.idle() && (!dev_->bridge || dev_->bridge->idle()) &&
           (!dev_->admission || (!dev_->admission->needed() && !dev_->admission->delaying()));
}

// Runs simulated time until done() or max_cycles. Edges run in one top
// run until something needs the harness: an admission point, done(),
// or idleness (then the rest of the time is skipped without edges).
bool Harness::advance(const std::function<bool()> &done, uint64_t max_cycles) {
    // A server that cannot be inspected may act on its own (a timer) at any
    // wall time; it is looked at every kBlindPoll cycles as well, idle or not.
    constexpr uint64_t kBlindPoll = 1024;
    // One run or skip spans at most this many cycles, so cycles * period never
    // overflows the picoseconds SystemC counts in.
    constexpr uint64_t kMaxStep = 1ull << 32;
    const bool blind = dev_->admission && !dev_->admission->inspectable();
    // Saturating: a bound near 2^64 means "no bound", not "already over".
    const uint64_t now0 = top_->cycles();
    const uint64_t end = max_cycles > ~0ull - now0 ? ~0ull : now0 + max_cycles;
    uint64_t next_poll = top_->cycles() + kBlindPoll;
    unsigned quiet = 0;
    const std::function<bool()> stop = [&] {
        quiet = all_idle() ? quiet + 1 : 0;
        return (dev_->admission && dev_->admission->needed()) || quiet >= 4 || done() ||
               (blind && top_->cycles() >= next_poll);
    };
    for (;;) {
        if (dev_->admission &&
            (dev_->admission->needed() || (blind && top_->cycles() >= next_poll))) {
            dev_->admission->point();
            next_poll = top_->cycles() + kBlindPoll;
        }
        if (done())
            return true;
        const uint64_t now = top_->cycles();
        if (now >= end)
            return false;
        if (quiet >= 4 && all_idle()) {
            // Nothing can happen: idle time is free (in steps for a blind server).
            top_->skip(std::min(kMaxStep, blind ? std::min(end, next_poll) - now : end - now));
            continue;
        }
        top_->run(std::min(kMaxStep, end - now), &stop);
    }
}

void Harness::run_cycles(uint64_t n) {
    advance([] { return false; }, n);
}

bool Harness::drain(uint64_t max_cycles) {
    unsigned quiet = 0;
    return advance(
        [&] {
            quiet = all_idle() ? quiet + 1 : 0;
            return quiet >= 4;
        },
        max_cycles);
}

// ------------------------------------------------------------ reports

HarnessCounters Harness::counters() const {
    HarnessCounters c;
    c.cycles = top_->cycles();
    c.edges = top_->edges();
    c.bridge = dev_->carried;
    if (dev_->bridge)
        c.bridge += dev_->bridge->counters();
    if (dev_->admission)
        c.admission = dev_->admission->counters();
    c.rtl = top_->last_out();
    c.irqs_seen = driver_.msi_events().size();
    c.dma_refused = dev_->carried_refused + (dev_->refusals ? dev_->refusals->total() : 0);
    return c;
}

const std::vector<std::string> &Harness::deadlocks() const {
    static const std::vector<std::string> none;
    return dev_->admission ? dev_->admission->deadlocks() : none;
}

const std::vector<Decision> &Harness::decisions() const {
    static const std::vector<Decision> none;
    return dev_->admission ? dev_->admission->decisions() : none;
}

Sha256 Harness::decision_digest() const {
    return dev_->admission ? dev_->admission->decision_digest() : Sha256();
}

bool Harness::has_failures() const {
    // A server that died before shutdown() is a failure in itself.
    const bool died = dev_->server && dev_->ctx && !dev_->server->poll_exit().running();
    return died || !failures_.empty() || (dev_->bridge && dev_->bridge->has_failures()) ||
           (dev_->refusals && dev_->refusals->unexpected() > 0) ||
           (dev_->admission && !dev_->admission->violations().empty());
}

std::string Harness::first_failure() const {
    if (!failures_.empty())
        return failures_.front();
    if (dev_->bridge && dev_->bridge->has_failures())
        return dev_->bridge->failures().front();
    if (dev_->refusals && dev_->refusals->unexpected() > 0)
        return "DMA outside every window: " + dev_->refusals->describe_unexpected().front();
    if (dev_->admission && !dev_->admission->violations().empty())
        return dev_->admission->violations().front();
    if (dev_->server && !dev_->server->poll_exit().running())
        return "server " + dev_->server->poll_exit().describe();
    return {};
}

ExitStatus Harness::server_state() const {
    if (!dev_->server)
        return {};
    const bool lost = dev_->admission && dev_->admission->counters().disconnects > 0;
    return lost ? dev_->server->wait_exit(std::chrono::milliseconds(500))
                : dev_->server->poll_exit();
}

std::string Harness::failure_report() const {
    std::string s;
    for (const std::string &f : failures_)
        s += "harness: " + f + "\n";
    if (dev_->bridge)
        for (const std::string &f : dev_->bridge->failures())
            s += "bridge: " + f + "\n";
    if (dev_->admission)
        for (const std::string &n : dev_->admission->notes())
            s += "admission: " + n + "\n";
    if (dev_->dma_gate)
        for (const std::string &n : dev_->dma_gate->report())
            s += "dma: " + n + "\n";
    if (dev_->refusals)
        for (const std::string &r : dev_->refusals->describe_unexpected())
            s += "harness: DMA outside every window: " + r + "\n";
    if (dev_->bridge && dev_->bridge->counters().dma_replies_lost) // what the device then saw
        s += "bridge: " + std::to_string(dev_->bridge->counters().dma_replies_lost) +
             " DMA served after its map socket closed (the server gave it up at the window's "
             "unmap; the reply went nowhere)\n";
    if (s.empty() && !has_failures())
        return s;
    if (dev_->server) {
        server_state(); // reaps a server that has just died, for its status
        s += dev_->server->failure_report("server");
    }
    if (!s.empty() && s.back() != '\n') // a server that wrote nothing ends without one
        s += '\n';
    return s;
}

} // namespace rcsim
