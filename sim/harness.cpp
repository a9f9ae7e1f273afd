#include "harness.hpp"

#include "process_cleanup.hpp"
#include "run_settings.hpp"

#include "sha256.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sys/prctl.h>
#include <unistd.h>

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
    : cfg_(cfg), driver_(HarnessTop::kLanes), memport_(mem_, HarnessTop::kLanes) {}

int Harness::create(const HarnessConfig &cfg, std::unique_ptr<Harness> *out, std::string *error) {
    std::unique_ptr<Harness> h(new Harness(cfg));
    // The quiescence checks sleep for short gaps (200 us); the default 50 us
    // timer slack would stretch every admission point by a quarter.
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    int rc = HarnessTop::create(&h->top_, error);
    if (rc < 0)
        return rc;
    for (const MemWindow &w : cfg.dma_windows) {
        if (h->mem_.add_window(w) != MemStatus::Ok) {
            *error = "DMA window " + w.name + " is empty or overlaps another";
            return -EINVAL;
        }
    }
    if (!cfg.fst_path.empty() && (rc = h->top_->trace_fst(cfg.fst_path, error)) < 0)
        return rc;
    h->top_->set_sink(h.get());
    h->memport_.on_write_done([raw = h.get()](uint64_t a, unsigned l, bool e) {
        if (raw->bridge_)
            raw->bridge_->host_write_done(a, l, e);
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
    if (bridge_)
        bridge_->set_link(mps, mrrs, cfg_.rcb);
}

// ------------------------------------------------------------ server side

int Harness::start_server(const std::vector<std::string> &argv, std::string *error) {
    if (server_ || ctx_) {
        *error = "a server is already attached";
        return -EISCONN;
    }
    const char *tmp = getenv("TMPDIR");
    std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/rcsim-harness-XXXXXX";
    if (!mkdtemp(&tmpl[0])) {
        *error = "mkdtemp " + tmpl + ": " + strerror(errno);
        return -errno;
    }
    socket_dir_ = tmpl;
    cleanup_register(CleanupKind::Dir, 0, socket_dir_);
    socket_path_ = socket_dir_ + "/device.sock";
    ServerSpec spec;
    bool placed = false;
    for (const std::string &a : argv) {
        std::string arg = a;
        const size_t pos = arg.find("{socket}");
        if (pos != std::string::npos) {
            arg.replace(pos, 8, socket_path_);
            placed = true;
        }
        spec.argv.push_back(arg);
    }
    if (!placed) {
        spec.argv.push_back("--socket");
        spec.argv.push_back(socket_path_);
    }
    // Output goes to an anonymous memfd (ServerProcess's default): it
    // outlives the stopped server for the failure report, not the run.
    int rc = ServerProcess::start(spec, &server_, error);
    if (rc < 0)
        return rc;
    rc = server_->wait_listening(socket_path_, cfg_.server_start_timeout, error);
    if (rc < 0)
        return rc;
    return connect(socket_path_, error);
}

void Harness::refused_thunk(void *opaque, const vuc_dma_refusal *r) {
    static_cast<Harness *>(opaque)->refusals_->record(*r);
}

// Every message sent marks the server as possibly busy (the next admission
// point waits for quiescence) and, like every message read, lands on the
// wrapper's annotation ports for the waveform.
void Harness::trace_thunk(void *opaque, enum vuc_sock sock, bool from_client,
                          const struct vu_hdr *hdr, const uint8_t *payload, size_t payload_len,
                          unsigned nfds) {
    auto *h = static_cast<Harness *>(opaque);
    if (h->observer_)
        h->observer_->on_message(sock, from_client, *hdr, payload, payload_len, nfds);
    uint64_t addr = 0;
    const bool has_addr = hdr->cmd == VU_CMD_REGION_READ || hdr->cmd == VU_CMD_REGION_WRITE ||
                          hdr->cmd == VU_CMD_DMA_READ || hdr->cmd == VU_CMD_DMA_WRITE;
    if (has_addr && payload_len >= 8)
        memcpy(&addr, payload, 8);
    if (!h->observer_) // an observer drives the annotation ports itself
        h->top_->set_annotation(from_client ? 1 : 2, hdr->cmd, hdr->msg_id, addr, hdr->msg_size);
    if (!from_client)
        return;
    if (h->admission_)
        h->admission_->note_sent();
    if (h->sent_hook_)
        h->sent_hook_(hdr->cmd);
}

int Harness::connect(const std::string &socket_path, std::string *error) {
    vuc_options o;
    vuc_options_init(&o);
    o.no_twin = cfg_.no_twin;
    o.timeout_ms = int(cfg_.admission.watchdog.count());
    ctx_ = vuc_create(&o);
    if (!ctx_) {
        *error = "out of memory";
        return -ENOMEM;
    }
    vuc_set_trace(ctx_, &Harness::trace_thunk, this); // from VERSION on
    // A DMA command during negotiation, before any DMA_MAP, is outside
    // every window too.
    refusals_ = std::make_unique<DmaRefusals>(cfg_.dma_windows);
    vuc_set_dma_refused_handler(ctx_, &Harness::refused_thunk, this);
    socket_path_ = socket_path;
    int rc = vuc_connect(ctx_, socket_path.c_str());
    if (rc == 0)
        rc = vuc_negotiate(ctx_);
    if (rc < 0) {
        const char *why = vuc_protocol_problem(ctx_);
        *error = "cannot connect to " + socket_path + ": " + strerror(-rc) +
                 (why ? std::string(" (") + why + ")" : "");
        // A server that broke the connection during VERSION is usually
        // dying: its exit status and output belong in the report.
        if (server_) {
            server_->wait_exit(std::chrono::milliseconds(500));
            failures_.push_back(*error);
        }
        return rc;
    }
    bridge_ = std::make_unique<Bridge>(ctx_, bars_, HarnessTop::kLanes, cfg_.device_bdf);
    bridge_->set_link(128, cfg_.mrrs, cfg_.rcb);
    bridge_->set_client_style(cfg_.client_style);
    for (const MemWindow &w : cfg_.dma_windows) {
        uint32_t prot = 0;
        if (uint8_t(w.perm) & uint8_t(MemPerm::Read))
            prot |= VU_DMA_MAP_F_READ;
        if (uint8_t(w.perm) & uint8_t(MemPerm::Write))
            prot |= VU_DMA_MAP_F_WRITE;
        rc = vuc_dma_map(ctx_, w.base, w.size, prot, nullptr, -1, 0);
        if (rc < 0) {
            *error = "DMA_MAP of " + w.name + " refused: " + strerror(-rc);
            return rc;
        }
    }
    // A reply dropped during setup (a second VERSION reply, read with a
    // blocking call) has no event to fail the run later: fail it here.
    vuc_stats st;
    vuc_get_stats(ctx_, &st);
    if (st.dropped_replies > 0) {
        const char *why = vuc_protocol_problem(ctx_);
        *error = std::string("protocol error during setup: ") + (why ? why : "reply dropped");
        return -EPROTO;
    }
    admission_ = std::make_unique<Admission>(ctx_, *bridge_, cfg_.admission);
    admission_->set_clock([this] { return top_->time_ps(); });
    // The sync client's set-aside commands go into the log as observations.
    bridge_->on_set_aside([this](const std::string &kind, const std::string &what) {
        if (!admission_)
            return;
        Decision d;
        d.kind = kind;
        d.options = {what};
        d.chosen = what;
        admission_->record_choice(d);
    });
    admission_->set_cycles([this] { return top_->cycles(); });
    admission_->on_decision([this](const Decision &d) {
        if (observer_)
            observer_->on_decision(d);
        else
            top_->set_decision_annotation(uint32_t(d.index));
    });
    pid_t pid = server_ ? server_->pid() : 0;
    if (!server_) {
        struct pollfd fds[2];
        if (vuc_poll_fds(ctx_, fds, 2) > 0 && socket_peer_pid(fds[0].fd, &pid) < 0)
            pid = 0;
    }
    admission_->set_server_pid(cfg_.inspect_server ? pid : 0);
    if ((rc = open_log(error)) < 0)
        return rc;
    admission_->set_log(log_.get());
    install_scheduler();
    vuc_set_hold(ctx_, true);
    admission_->note_sent(); // the setup messages: start from a quiescent server
    return 0;
}

// The bridge's request gate asks the scheduler and logs the choice as an
// `mmio` decision (option 0, fifo: the DMA is answered first).
void Harness::install_scheduler() {
    admission_->set_scheduler(sched_);
    bridge_->set_dma_hooks(nullptr);
    dma_gate_.reset();
    if (!sched_) {
        bridge_->gate_requests(nullptr);
        bridge_->choose_completions(nullptr);
        return;
    }
    dma_gate_ = DmaReplyGate::create(
        cfg_.dma_choices, ctx_, *bridge_, cfg_.dma_windows, [this] { return top_->cycles(); },
        [this](const std::string &kind, const std::vector<std::string> &options) {
            Decision d{0, 0, kind, options, "", std::nullopt};
            const size_t c = sched_->choose(d.kind, d.options);
            d.chosen = d.options[c];
            admission_->record_choice(d);
            return c;
        });
    bridge_->set_dma_hooks(dma_gate_.get());
    bridge_->choose_completions(
        [this](const std::string &kind, const std::vector<std::string> &options) {
            Decision d;
            d.kind = kind;
            d.options = options;
            const size_t c = sched_->choose(d.kind, d.options);
            d.chosen = d.options[c];
            admission_->record_choice(d);
            return c;
        });
    bridge_->gate_requests([this](const tlp::Tlp &t) {
        Decision d;
        d.kind = "mmio";
        const std::string what = t.describe();
        d.options = {"hold " + what + " until the DMA is answered", "send " + what + " now"};
        const size_t c = sched_->choose(d.kind, d.options);
        d.chosen = d.options[c];
        admission_->record_choice(d);
        return c == 1;
    });
}

void Harness::set_scheduler(Scheduler *s) {
    sched_ = s;
    if (admission_ && bridge_)
        install_scheduler();
}

int Harness::reopen_decision_log(const std::string &path, std::string *error) {
    if (!admission_)
        return -ENOTCONN;
    cfg_.decision_log_path = path;
    admission_->set_log(nullptr);
    log_.reset();
    const int rc = open_log(error);
    admission_->set_log(log_.get());
    return rc;
}

int Harness::open_log(std::string *error) {
    if (cfg_.decision_log_path.empty())
        return 0;
    LogHeader h;
    h.rcsim_version = rcsim_version();
    h.policy = sched_ ? sched_->policy() : "fifo";
    if (!log_scenario_.empty()) {
        h.scenario_path = log_scenario_;
        if (sha256_file_hex(log_scenario_, &h.scenario_sha256) < 0)
            h.scenario_sha256.clear();
    }
    if (server_) {
        h.server_argv = server_->argv();
        // The socket path is a fresh temp dir per run: not part of identity.
        for (std::string &a : h.server_argv)
            if (a == socket_path_)
                a = "{socket}";
        if (sha256_file_hex(server_->executable(), &h.server_sha256) < 0)
            h.server_sha256.clear();
    }
    h.rtl_settings = pinned_settings(cfg_); // run_settings.hpp
    return DecisionLogWriter::open(cfg_.decision_log_path, h, &log_, error);
}

void Harness::shutdown() {
    // Keep what went wrong for failure_report() after the teardown.
    if (bridge_)
        for (const std::string &f : bridge_->failures())
            failures_.push_back("bridge: " + f);
    if (admission_)
        for (const std::string &n : admission_->notes())
            failures_.push_back("admission: " + n);
    if (dma_gate_)
        for (const std::string &n : dma_gate_->report())
            failures_.push_back("dma: " + n);
    if (refusals_)
        for (const std::string &r : refusals_->describe_unexpected())
            failures_.push_back("DMA outside every window: " + r);
    refusals_.reset();
    if (bridge_)
        bridge_->set_dma_hooks(nullptr);
    dma_gate_.reset();
    admission_.reset();
    bridge_.reset();
    if (ctx_) {
        vuc_destroy(ctx_);
        ctx_ = nullptr;
    }
    if (server_)
        server_->stop();
    if (!socket_dir_.empty()) { // the per-run directory: the socket, whatever the server put there
        remove_tree(socket_dir_.c_str());
        cleanup_unregister(CleanupKind::Dir, 0, socket_dir_);
        socket_dir_.clear();
    }
}

// ------------------------------------------------------------ simulation

void Harness::on_edge(const RtlOut &out, RtlIn &in) {
    if (observer_)
        observer_->on_edge(out, in);
    driver_.set_cycle(top_->cycles());
    driver_.on_edge(out, in);
    memport_.on_edge(out, in);
    if (bridge_) {
        bridge_->on_edge(out, in);
    } else {
        in.tx_ready = true;
        in.rx_valid = false;
    }
}

bool Harness::all_idle() const {
    return top_->last_out().idle && !driver_.busy() && driver_.outstanding_reads() == 0 &&
           memport_.idle() && (!bridge_ || bridge_->idle()) &&
           (!admission_ || (!admission_->needed() && !admission_->delaying()));
}

// Runs simulated time until done() or max_cycles. Edges run in one
// sc_start until something needs the harness: an admission point, done(),
// or idleness (then the rest of the time is skipped without edges).
bool Harness::advance(const std::function<bool()> &done, uint64_t max_cycles) {
    // A server that cannot be inspected may act on its own (a timer) at any
    // wall time; it is looked at every kBlindPoll cycles as well, idle or not.
    constexpr uint64_t kBlindPoll = 1024;
    // One sc_start spans at most this many cycles, so cycles * period never
    // overflows the picoseconds SystemC counts in.
    constexpr uint64_t kMaxStep = 1ull << 32;
    const bool blind = admission_ && !admission_->inspectable();
    // Saturating: a bound near 2^64 means "no bound", not "already over".
    const uint64_t now0 = top_->cycles();
    const uint64_t end = max_cycles > ~0ull - now0 ? ~0ull : now0 + max_cycles;
    uint64_t next_poll = top_->cycles() + kBlindPoll;
    unsigned quiet = 0;
    const std::function<bool()> stop = [&] {
        quiet = all_idle() ? quiet + 1 : 0;
        return (admission_ && admission_->needed()) || quiet >= 4 || done() ||
               (blind && top_->cycles() >= next_poll);
    };
    for (;;) {
        if (admission_ && (admission_->needed() || (blind && top_->cycles() >= next_poll))) {
            admission_->point();
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

// ------------------------------------------------------------ host accesses

HostRequest Harness::mem_request(HostOp op, uint64_t addr, unsigned size, uint64_t value,
                                 unsigned *lead) {
    HostRequest r;
    r.op = op;
    *lead = unsigned(addr & 3);
    r.addr = addr & ~uint64_t(3);
    r.len_dw = (*lead + size + 3) / 4;
    const uint32_t mask = ((1u << size) - 1) << *lead;
    r.first_be = mask & 0xf;
    r.last_be = r.len_dw > 1 ? (mask >> (4 * (r.len_dw - 1))) & 0xf : 0;
    if (op == HostOp::MemWr) {
        std::vector<uint8_t> bytes(size_t(r.len_dw) * 4, 0);
        for (unsigned i = 0; i < size; ++i)
            bytes[*lead + i] = uint8_t(value >> (8 * i));
        for (unsigned k = 0; k < r.len_dw; ++k)
            r.data.push_back(uint32_t(bytes[4 * k]) | uint32_t(bytes[4 * k + 1]) << 8 |
                             uint32_t(bytes[4 * k + 2]) << 16 | uint32_t(bytes[4 * k + 3]) << 24);
    }
    return r;
}

Access Harness::host_access(HostRequest r, unsigned lead, unsigned size) {
    const bool posted = r.op == HostOp::MemWr;
    const uint8_t label = driver_.submit(std::move(r));
    std::optional<HostResponse> rsp;
    const uint64_t limit = uint64_t(cfg_.cpl_timeout) * 4 + 100000;
    const bool ok = advance(
        [&] {
            if (posted)
                return !driver_.busy();
            if (!rsp) // done() is asked more than once per edge: keep what it took
                rsp = driver_.take_response(label);
            return rsp.has_value();
        },
        limit);
    Access a;
    if (!ok) {
        failures_.push_back("host access got no response within " + std::to_string(limit) +
                            " cycles");
        a.status = HostStatus::Timeout;
        return a;
    }
    if (posted)
        return a;
    a.status = rsp->status;
    for (unsigned i = 0; i < size && i < 8; ++i) {
        const unsigned b = lead + i;
        if (b / 4 < rsp->dws.size())
            a.value |= uint64_t((rsp->dws[b / 4] >> (8 * (b % 4))) & 0xff) << (8 * i);
    }
    return a;
}

HostRequest Harness::block_request(HostOp op, uint64_t addr, size_t len, const uint8_t *data) {
    HostRequest r;
    r.op = op;
    const unsigned lead = unsigned(addr & 3);
    r.addr = addr & ~uint64_t(3);
    r.len_dw = unsigned((lead + len + 3) / 4);
    const unsigned end = unsigned(lead + len - 4 * (r.len_dw - 1)); // bytes used in the last DW
    if (r.len_dw == 1) {
        r.first_be = uint8_t(((1u << len) - 1) << lead);
        r.last_be = 0;
    } else {
        r.first_be = uint8_t((0xfu << lead) & 0xf);
        r.last_be = uint8_t((1u << end) - 1);
    }
    if (data) {
        std::vector<uint8_t> bytes(size_t(r.len_dw) * 4, 0);
        memcpy(&bytes[lead], data, len);
        r.data.resize(r.len_dw);
        memcpy(r.data.data(), bytes.data(), bytes.size()); // payload DWs are little-endian
    }
    return r;
}

HostStatus Harness::mmio_read_block(unsigned bar, uint64_t offset, void *buf, size_t len) {
    if (bar >= BarMap::kBars || !bars_.get(bar).present || len == 0 || len > 4096)
        return HostStatus::BadReq;
    const uint64_t addr = bars_.get(bar).base + offset;
    const uint8_t label = driver_.submit(block_request(HostOp::MemRd, addr, len, nullptr));
    std::optional<HostResponse> rsp;
    const bool ok = advance(
        [&] {
            if (!rsp)
                rsp = driver_.take_response(label);
            return rsp.has_value();
        },
        uint64_t(cfg_.cpl_timeout) * 4 + 100000);
    if (!ok) {
        failures_.push_back("block read got no response");
        return HostStatus::Timeout;
    }
    std::vector<uint8_t> bytes(rsp->dws.size() * 4);
    memcpy(bytes.data(), rsp->dws.data(), bytes.size());
    const size_t lead = size_t(addr & 3);
    if (bytes.size() >= lead + len)
        memcpy(buf, &bytes[lead], len);
    return rsp->status;
}

HostStatus Harness::mmio_write_block(unsigned bar, uint64_t offset, const void *buf, size_t len) {
    if (bar >= BarMap::kBars || !bars_.get(bar).present || len == 0 || len > 4096)
        return HostStatus::BadReq;
    const uint64_t addr = bars_.get(bar).base + offset;
    driver_.submit(block_request(HostOp::MemWr, addr, len, static_cast<const uint8_t *>(buf)));
    return advance([&] { return !driver_.busy(); }, uint64_t(cfg_.cpl_timeout) * 4 + 100000)
               ? HostStatus::SC
               : HostStatus::Timeout;
}

Access Harness::mem_read(uint64_t addr, unsigned size) {
    unsigned lead = 0;
    if (size == 0 || size > 8)
        return {HostStatus::BadReq, 0};
    HostRequest r = mem_request(HostOp::MemRd, addr, size, 0, &lead);
    return host_access(std::move(r), lead, size);
}

HostStatus Harness::mem_write(uint64_t addr, unsigned size, uint64_t value) {
    unsigned lead = 0;
    if (size == 0 || size > 8)
        return HostStatus::BadReq;
    HostRequest r = mem_request(HostOp::MemWr, addr, size, value, &lead);
    return host_access(std::move(r), lead, size).status;
}

Access Harness::mmio_read(unsigned bar, uint64_t offset, unsigned size) {
    if (bar >= BarMap::kBars || !bars_.get(bar).present)
        return {HostStatus::BadReq, 0};
    return mem_read(bars_.get(bar).base + offset, size);
}

HostStatus Harness::mmio_write(unsigned bar, uint64_t offset, unsigned size, uint64_t value) {
    if (bar >= BarMap::kBars || !bars_.get(bar).present)
        return HostStatus::BadReq;
    return mem_write(bars_.get(bar).base + offset, size, value);
}

Access Harness::cfg_read(uint16_t offset, unsigned size) {
    const unsigned lead = offset & 3;
    if (size == 0 || lead + size > 4)
        return {HostStatus::BadReq, 0};
    HostRequest r;
    r.op = HostOp::CfgRd;
    r.bdf = cfg_.device_bdf;
    r.reg = uint16_t(offset >> 2);
    r.first_be = uint8_t(((1u << size) - 1) << lead);
    return host_access(std::move(r), lead, size);
}

HostStatus Harness::cfg_write(uint16_t offset, unsigned size, uint32_t value) {
    const unsigned lead = offset & 3;
    if (size == 0 || lead + size > 4)
        return HostStatus::BadReq;
    HostRequest r;
    r.op = HostOp::CfgWr;
    r.bdf = cfg_.device_bdf;
    r.reg = uint16_t(offset >> 2);
    r.first_be = uint8_t(((1u << size) - 1) << lead);
    r.data = {uint32_t(uint64_t(value) << (8 * lead))};
    return host_access(std::move(r), lead, size).status;
}

// ------------------------------------------------------------ interrupts

bool Harness::wait_irq(unsigned vector, uint64_t timeout_cycles) {
    if (enum_.irq_mode == IrqMode::Intx) {
        const bool got =
            advance([&] { return driver_.intx_rises(0) > intx_consumed_; }, timeout_cycles);
        if (got) {
            ++intx_consumed_;
            bridge_->intx_ack();
        }
        return got;
    }
    if (irq_consumed_.size() <= vector)
        irq_consumed_.resize(vector + 1, 0);
    auto seen = [&] {
        uint64_t n = 0;
        for (const MsiEvent &e : driver_.msi_events())
            if (e.addr == cfg_.msi_address && e.data == kMsiDataBase + vector)
                ++n;
        return n;
    };
    const bool got = advance([&] { return seen() > irq_consumed_[vector]; }, timeout_cycles);
    if (got)
        ++irq_consumed_[vector];
    return got;
}

// ------------------------------------------------------------ reports

HarnessCounters Harness::counters() const {
    HarnessCounters c;
    c.cycles = top_->cycles();
    c.edges = top_->edges();
    if (bridge_)
        c.bridge = bridge_->counters();
    if (admission_)
        c.admission = admission_->counters();
    c.rtl = top_->last_out();
    c.irqs_seen = driver_.msi_events().size();
    c.dma_refused = refusals_ ? refusals_->total() : 0;
    return c;
}

const std::vector<std::string> &Harness::deadlocks() const {
    static const std::vector<std::string> none;
    return admission_ ? admission_->deadlocks() : none;
}

const std::vector<Decision> &Harness::decisions() const {
    static const std::vector<Decision> none;
    return admission_ ? admission_->decisions() : none;
}

Sha256 Harness::decision_digest() const {
    return admission_ ? admission_->decision_digest() : Sha256();
}

bool Harness::has_failures() const {
    // A server that died before shutdown() is a failure in itself.
    const bool died = server_ && ctx_ && !server_->poll_exit().running();
    return died || !failures_.empty() || (bridge_ && bridge_->has_failures()) ||
           (refusals_ && refusals_->unexpected() > 0);
}

std::string Harness::first_failure() const {
    if (!failures_.empty())
        return failures_.front();
    if (bridge_ && bridge_->has_failures())
        return bridge_->failures().front();
    if (refusals_ && refusals_->unexpected() > 0)
        return "DMA outside every window: " + refusals_->describe_unexpected().front();
    if (server_ && !server_->poll_exit().running())
        return "server " + server_->poll_exit().describe();
    return {};
}

ExitStatus Harness::server_state() const {
    if (!server_)
        return {};
    const bool lost = admission_ && admission_->counters().disconnects > 0;
    return lost ? server_->wait_exit(std::chrono::milliseconds(500)) : server_->poll_exit();
}

std::string Harness::failure_report() const {
    std::string s;
    for (const std::string &f : failures_)
        s += "harness: " + f + "\n";
    if (bridge_)
        for (const std::string &f : bridge_->failures())
            s += "bridge: " + f + "\n";
    if (admission_)
        for (const std::string &n : admission_->notes())
            s += "admission: " + n + "\n";
    if (dma_gate_)
        for (const std::string &n : dma_gate_->report())
            s += "dma: " + n + "\n";
    if (refusals_)
        for (const std::string &r : refusals_->describe_unexpected())
            s += "harness: DMA outside every window: " + r + "\n";
    if (s.empty() && !has_failures())
        return s;
    if (server_) {
        server_state(); // reaps a server that has just died, for its status
        s += server_->failure_report("server");
    }
    if (!s.empty() && s.back() != '\n') // a server that wrote nothing ends without one
        s += '\n';
    return s;
}

} // namespace rcsim
