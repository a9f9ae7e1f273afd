// The harness's life and clock: creating it, the link's settings, the clock
// run until something is done, and what it saw. The server side is in
// harness_server.cpp, the host's accesses in harness_access.cpp.
#include "harness.hpp"

#include "enumeration_plan.hpp"
#include "fabric_link.hpp"

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
    dev_->msi_address = cfg.msi_address;
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
    h->memport_.on_write_done(
        [raw = h.get()](uint64_t a, unsigned l, bool e) { raw->host_write_done(a, l, e); });
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

// Host memory took a write: it is the device's whose bridge waits for that
// burst next (with one device, always that one; it reports a stray one).
void Harness::host_write_done(uint64_t dw_addr, unsigned len_dw, bool err) {
    uint16_t requester = 0;
    if (link_ && link_->host_write_requester(dw_addr, len_dw, &requester))
        for (const auto &d : devs_)
            if (d->bdf == requester && d->bridge) {
                d->bridge->host_write_done(dw_addr, len_dw, err);
                return;
            }
    for (const auto &d : devs_)
        if (d->bridge && d->bridge->expects_host_write(dw_addr, len_dw)) {
            d->bridge->host_write_done(dw_addr, len_dw, err);
            return;
        }
    if (devs_.front()->bridge)
        devs_.front()->bridge->host_write_done(dw_addr, len_dw, err);
}

void Harness::on_edge(const RtlOut &out, RtlIn &in) {
    if (observer_)
        observer_->on_edge(out, in);
    driver_.set_cycle(top_->cycles());
    driver_.on_edge(out, in);
    memport_.on_edge(out, in);
    if (link_) {
        sinks_.clear();
        for (const auto &d : devs_)
            sinks_.push_back(d->bridge.get());
        link_->on_edge(out, in, sinks_);
        complete_dropped_writes();
        return;
    }
    if (Bridge *b = devs_.front()->bridge.get()) {
        b->on_edge(out, in);
    } else {
        in.tx_ready = true;
        in.rx_valid = false;
    }
}

bool Harness::all_idle() const {
    if (!top_->last_out().idle || driver_.busy() || driver_.outstanding_reads() != 0 ||
        !memport_.idle() || (link_ && !link_->idle()))
        return false;
    for (const auto &d : devs_) {
        if (d->bridge && !d->bridge->idle())
            return false;
        if (d->admission && (d->admission->needed() || d->admission->delaying()))
            return false;
    }
    return true;
}

bool Harness::admission_needed() const {
    for (const auto &d : devs_)
        if (d->admission && d->admission->needed())
            return true;
    return false;
}

// An admission point for every server that needs one (`poll`: every one
// that cannot be inspected, too), in topology order.
void Harness::admission_points(bool poll) {
    for (const auto &d : devs_)
        if (d->admission && (d->admission->needed() || (poll && !d->admission->inspectable())))
            d->admission->point();
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
    bool blind = false;
    for (const auto &d : devs_)
        blind = blind || (d->admission && !d->admission->inspectable());
    // Saturating: a bound near 2^64 means "no bound", not "already over".
    const uint64_t now0 = top_->cycles();
    const uint64_t end = max_cycles > ~0ull - now0 ? ~0ull : now0 + max_cycles;
    uint64_t next_poll = top_->cycles() + kBlindPoll;
    unsigned quiet = 0;
    const std::function<bool()> stop = [&] {
        quiet = all_idle() ? quiet + 1 : 0;
        return admission_needed() || quiet >= 4 || done() ||
               (blind && top_->cycles() >= next_poll) || (link_ && stalled());
    };
    for (;;) {
        const bool poll = blind && top_->cycles() >= next_poll;
        if (admission_needed() || poll) {
            admission_points(poll);
            next_poll = top_->cycles() + kBlindPoll;
        }
        if (done())
            return true;
        if (link_ && stalled() && break_cross_deadlock())
            continue;
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
    for (const auto &d : devs_) {
        c.bridge += d->carried;
        if (d->bridge)
            c.bridge += d->bridge->counters();
        c.dma_refused += d->carried_refused + (d->refusals ? d->refusals->total() : 0);
    }
    for (const auto &d : devs_)
        if (d->admission)
            c.admission += d->admission->counters();
    c.admission.deadlocks += cross_deadlocks_.size();
    c.rtl = top_->last_out();
    c.irqs_seen = driver_.msi_events().size();
    if (fabric_) {
        const fabric::FabricCounters f = fabric_->counters();
        c.fabric_ur = f.ur_made;
        c.fabric_posted_dropped = f.posted_dropped;
        c.fabric_cpl_dropped = f.cpl_dropped;
    }
    return c;
}

std::vector<std::string> Harness::deadlocks() const {
    std::vector<std::string> all = cross_deadlocks_;
    for (const auto &d : devs_)
        if (d->admission)
            all.insert(all.end(), d->admission->deadlocks().begin(),
                       d->admission->deadlocks().end());
    return all;
}

// Every device's admission records into the first one's (one sequence).
const std::vector<Decision> &Harness::decisions() const {
    static const std::vector<Decision> none;
    const HarnessDevice &book = *devs_.front();
    return book.admission ? book.admission->decisions() : none;
}

Sha256 Harness::decision_digest() const {
    const HarnessDevice &book = *devs_.front();
    return book.admission ? book.admission->decision_digest() : Sha256();
}

namespace {
bool device_failed(const HarnessDevice &d) {
    // A server that died before shutdown() is a failure in itself.
    const bool died = d.server && d.ctx && !d.server->poll_exit().running();
    return died || (d.bridge && d.bridge->has_failures()) ||
           (d.refusals && d.refusals->unexpected() > 0) ||
           (d.admission && !d.admission->violations().empty());
}

std::string first_device_failure(const HarnessDevice &d) {
    if (d.bridge && d.bridge->has_failures())
        return who_prefix(d) + d.bridge->failures().front();
    if (d.refusals && d.refusals->unexpected() > 0)
        return who_prefix(d) +
               "DMA outside every window: " + d.refusals->describe_unexpected().front();
    if (d.admission && !d.admission->violations().empty())
        return who_prefix(d) + d.admission->violations().front();
    if (d.server && !d.server->poll_exit().running())
        return who_prefix(d) + "server " + d.server->poll_exit().describe();
    return {};
}

std::string device_notes(const HarnessDevice &d) {
    const std::string w = who_prefix(d);
    std::string s;
    if (d.bridge)
        for (const std::string &f : d.bridge->failures())
            s += "bridge: " + w + f + "\n";
    if (d.admission)
        for (const std::string &n : d.admission->notes())
            s += "admission: " + w + n + "\n";
    if (d.dma_gate)
        for (const std::string &n : d.dma_gate->report())
            s += "dma: " + w + n + "\n";
    if (d.refusals)
        for (const std::string &r : d.refusals->describe_unexpected())
            s += "harness: " + w + "DMA outside every window: " + r + "\n";
    if (d.bridge && d.bridge->counters().dma_replies_lost) // what the device then saw
        s += "bridge: " + w + std::to_string(d.bridge->counters().dma_replies_lost) +
             " DMA served after its map socket closed (the server gave it up at the window's "
             "unmap; the reply went nowhere)\n";
    return s;
}
} // namespace

// The fabric dropped a request its sender believes delivered, or one no
// fabric routes (several devices): a failure, named by dropped_report().
static bool fabric_dropped(const fabric::Fabric *f) {
    return f && (f->counters().posted_dropped > 0 || f->counters().np_unrouted > 0 ||
                 f->counters().payload_overrun > 0);
}

bool Harness::has_failures() const {
    if (!failures_.empty() || (link_ && !link_->failures().empty()))
        return true;
    if (fabric_dropped(fabric_.get()))
        return true;
    for (const auto &d : devs_)
        if (device_failed(*d))
            return true;
    return false;
}

std::string Harness::first_failure() const {
    if (!failures_.empty())
        return failures_.front();
    if (link_ && !link_->failures().empty())
        return "fabric: " + link_->failures().front();
    if (fabric_dropped(fabric_.get()))
        return dropped_report();
    for (const auto &d : devs_) {
        std::string f = first_device_failure(*d);
        if (!f.empty())
            return f;
    }
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
    if (link_)
        for (const std::string &f : link_->failures())
            s += "fabric: " + f + "\n";
    if (fabric_dropped(fabric_.get()))
        s += dropped_report() + "\n";
    for (const auto &d : devs_)
        s += device_notes(*d);
    if (s.empty() && !has_failures())
        return s;
    for (const auto &d : devs_) {
        if (!d->server)
            continue;
        // Reaps a server that has just died, for its status.
        const bool lost = d->admission && d->admission->counters().disconnects > 0;
        if (lost)
            d->server->wait_exit(std::chrono::milliseconds(500));
        else
            d->server->poll_exit();
        s += d->server->failure_report(d->name.empty() ? "server" : "server " + d->name);
        if (!s.empty() && s.back() != '\n') // a server that wrote nothing ends without one
            s += '\n';
    }
    return s;
}

} // namespace rcsim
