#include "harness_top.hpp"

#include "rtl_model.hpp"

#include <cerrno>
#include <systemc>

// libsystemc's main() calls sc_main; the harness is driven from the user's
// own main (gtest, bench, rcsim), which takes precedence, so this one only
// satisfies the linker.
int sc_main(int, char **) {
    return 1;
}

namespace rcsim {

namespace {
bool g_elaborated = false;
} // namespace

const char *to_string(HostStatus s) {
    switch (s) {
    case HostStatus::SC:
        return "SC";
    case HostStatus::UR:
        return "UR";
    case HostStatus::CA:
        return "CA";
    case HostStatus::Timeout:
        return "TIMEOUT";
    case HostStatus::Poisoned:
        return "POISONED";
    case HostStatus::BadReq:
        return "BAD_REQ";
    }
    return "?";
}

// The verilated model (C++, not SystemC) clocked from a loop. Simulated
// time keeps the grid and the pause semantics the SystemC clock had, which
// the JSONL traces record: edge k of a run is at (cycles before it) x period,
// a run of n cycles ends n periods after it started, a run that a stop
// predicate ends leaves time at that edge (the next edge one period later),
// and a skip moves time without edges. SystemC owns the time: it is brought
// up to date in one sc_start per run or skip, never per edge.
class HarnessTopImpl {
  public:
    RtlModel rtl;
    EdgeSink *sink = nullptr;
    RtlIn in;
    RtlOut out;
    uint64_t edges = 0, skipped = 0;
    uint64_t now_ps = 0;  // the edge's time inside a callback, else SystemC's
    uint64_t next_ps = 0; // the next rising edge (now_ps, or one period on)
    unsigned reset_left = 0;
    bool started = false;

    void drive() { rtl.drive(in, reset_left == 0); }

    void start() {
        if (started)
            return;
        started = true;
        drive();
        rtl.settle(); // the initial blocks and the inputs settle before edge 1
    }

    // One rising edge at next_ps: the sink sees the outputs as they were
    // before it (the root port's outputs depend on its registers only) and
    // the inputs the model samples on it, then drives the next cycle's.
    void edge() {
        ++edges;
        now_ps = next_ps;
        rtl.sample(out);
        rtl.rise(now_ps);
        if (reset_left > 0) {
            --reset_left;
        } else if (sink) {
            const bool was_cfg = in.cfg_we;
            sink->on_edge(out, in);
            if (was_cfg)
                in.cfg_we = false;
        }
        drive();
        rtl.fall(now_ps + HarnessTop::kPeriodPs / 2);
        next_ps += HarnessTop::kPeriodPs;
    }

    // Hands the time reached to SystemC in one step.
    void sync_systemc() {
        const uint64_t sc_now = sc_core::sc_time_stamp().value();
        if (now_ps > sc_now)
            sc_core::sc_start(sc_core::sc_time(double(now_ps - sc_now), sc_core::SC_PS));
    }
};

int HarnessTop::create(std::unique_ptr<HarnessTop> *out, std::string *error) {
    if (g_elaborated) {
        *error = "SystemC elaborates once per process: a HarnessTop already exists "
                 "(run one harness per process, e.g. with run_forker)";
        return -EALREADY;
    }
    g_elaborated = true;
    std::unique_ptr<HarnessTop> t(new HarnessTop());
    t->impl_ = std::make_unique<HarnessTopImpl>();
    *out = std::move(t);
    return 0;
}

HarnessTop::~HarnessTop() = default;

void HarnessTop::set_sink(EdgeSink *sink) {
    impl_->sink = sink;
}

void HarnessTop::reset(unsigned cycles) {
    impl_->reset_left = cycles;
    run(cycles + 1);
}

void HarnessTop::configure(const RtlSettings &s) {
    impl_->in.cfg = s;
    impl_->in.cfg_we = true;
}

void HarnessTop::set_annotation(uint8_t dir, uint8_t sock, uint16_t cmd, uint16_t id, uint64_t addr,
                                uint32_t len) {
    RtlIn &in = impl_->in;
    in.ann_msg_dir = dir;
    in.ann_msg_sock = sock;
    in.ann_msg_cmd = cmd;
    in.ann_msg_id = id;
    in.ann_msg_addr = addr;
    in.ann_msg_len = len;
}

void HarnessTop::set_decision_annotation(uint32_t index) {
    impl_->in.ann_decision = index;
}

void HarnessTop::run(uint64_t n, const std::function<bool()> *stop) {
    if (n == 0)
        return;
    HarnessTopImpl &t = *impl_;
    t.start();
    // Inputs set between runs (configure, annotations) reach the model
    // before its next edge, as a signal write did.
    t.drive();
    const uint64_t end = t.now_ps + n * kPeriodPs;
    while (t.next_ps < end) {
        t.edge();
        if (stop && (*stop)()) {
            t.sync_systemc();
            return; // time stays at this edge; the next one is a period on
        }
    }
    t.now_ps = end;
    t.next_ps = end;
    t.sync_systemc();
}

void HarnessTop::skip(uint64_t n) {
    if (n == 0)
        return;
    HarnessTopImpl &t = *impl_;
    t.skipped += n;
    t.now_ps += n * kPeriodPs;
    t.next_ps = t.now_ps; // the gated clock restarts on the next run
    t.sync_systemc();
}

uint64_t HarnessTop::cycles() const {
    return impl_->edges + impl_->skipped;
}

uint64_t HarnessTop::edges() const {
    return impl_->edges;
}

uint64_t HarnessTop::time_ps() const {
    return impl_->now_ps;
}

const RtlOut &HarnessTop::last_out() const {
    return impl_->out;
}

int HarnessTop::trace_fst(const std::string &path, std::string *error) {
    return impl_->rtl.trace_fst(path, error);
}

} // namespace rcsim
