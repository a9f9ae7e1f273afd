// The harness's server side: starting the server (or connecting to one),
// the client's hooks into admission and the trace, the scheduler and the
// decision log, and shutting it all down again.
#include "harness.hpp"

#include "process_cleanup.hpp"
#include "unix_sockets.hpp"
#include "run_settings.hpp"
#include "sha256.hpp"
#include "vfio_user/idle_announce.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sys/prctl.h>
#include <unistd.h>

namespace rcsim {

int Harness::start_server(const std::vector<std::string> &argv, std::string *error) {
    if (server_ || ctx_) {
        *error = "a server is already attached";
        return -EISCONN;
    }
    // The idle announcement's page, offered to the server we start; a
    // harness that cannot make one uses /proc alone.
    if (cfg_.idle_announce) {
        idle_ = std::make_unique<IdleChannel>();
        if (idle_->open() < 0)
            idle_.reset();
    }
    int rc =
        launch_server(argv, &server_, &socket_dir_, &socket_path_, error, idle_ ? idle_->fd() : -1);
    if (rc < 0)
        return rc;
    return connect(socket_path_, error);
}

// A private directory for the socket, the argv with "{socket}" replaced (or
// "--socket PATH" appended), the process started and listening.
int Harness::launch_server(const std::vector<std::string> &argv,
                           std::unique_ptr<ServerProcess> *proc, std::string *dir,
                           std::string *path, std::string *error, int idle_fd) {
    const char *tmp = getenv("TMPDIR");
    std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/rcsim-harness-XXXXXX";
    if (!mkdtemp(&tmpl[0])) {
        *error = "mkdtemp " + tmpl + ": " + strerror(errno);
        return -errno;
    }
    *dir = tmpl;
    cleanup_register(CleanupKind::Dir, 0, *dir);
    *path = *dir + "/device.sock";
    ServerSpec spec;
    // The idle announcement's variable only where its page is offered.
    spec.env_drop = {VU_IDLE_ANNOUNCE_ENV};
    if (idle_fd >= 3) {
        spec.pass_fd = idle_fd;
        spec.env_add = {std::string(VU_IDLE_ANNOUNCE_ENV) + "=" + std::to_string(idle_fd)};
    }
    bool placed = false;
    for (const std::string &a : argv) {
        std::string arg = a;
        const size_t pos = arg.find("{socket}");
        if (pos != std::string::npos) {
            arg.replace(pos, 8, *path);
            placed = true;
        }
        spec.argv.push_back(arg);
    }
    if (!placed) {
        spec.argv.push_back("--socket");
        spec.argv.push_back(*path);
    }
    // Output goes to an anonymous memfd (ServerProcess's default): it
    // outlives the stopped server for the failure report, not the run.
    int rc = ServerProcess::start(spec, proc, error);
    if (rc < 0)
        return rc;
    return (*proc)->wait_listening(*path, cfg_.server_start_timeout, error);
}

void Harness::refused_thunk(void *opaque, const vuc_dma_refusal *r) {
    auto *h = static_cast<Harness *>(opaque);
    if (h->refusals_)
        h->refusals_->record(*r);
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
        h->top_->set_annotation(from_client ? 1 : 2, uint8_t(sock), hdr->cmd, hdr->msg_id, addr,
                                hdr->msg_size);
    if (!from_client)
        return;
    if (h->admission_)
        h->admission_->note_sent();
    if (h->sent_hook_)
        h->sent_hook_(hdr->cmd);
}

// A client connected to `socket_path` with VERSION negotiated; the trace
// and the refusal handler hooked in from VERSION on.
int Harness::open_client(const std::string &socket_path, vuc_ctx **out, std::string *error) {
    vuc_options o;
    vuc_options_init(&o);
    o.no_twin = cfg_.no_twin;
    o.timeout_ms = int(cfg_.admission.watchdog.count());
    vuc_ctx *ctx = vuc_create(&o);
    if (!ctx) {
        *error = "out of memory";
        return -ENOMEM;
    }
    vuc_set_trace(ctx, &Harness::trace_thunk, this);
    vuc_set_dma_refused_handler(ctx, &Harness::refused_thunk, this);
    int rc = vuc_connect(ctx, socket_path.c_str());
    if (rc == 0)
        rc = vuc_negotiate(ctx);
    if (rc < 0) {
        const char *why = vuc_protocol_problem(ctx);
        *error = "cannot connect to " + socket_path + ": " + strerror(-rc) +
                 (why ? std::string(" (") + why + ")" : "");
    }
    *out = ctx; // kept on failure too: shutdown() destroys it
    return rc;
}

int Harness::connect(const std::string &socket_path, std::string *error) {
    // A DMA command during negotiation, before any DMA_MAP, is outside
    // every window too.
    refusals_ = std::make_unique<DmaRefusals>(cfg_.dma_windows);
    socket_path_ = socket_path;
    unmapped_windows_.clear();
    int rc = open_client(socket_path, &ctx_, error);
    if (rc < 0) {
        // A server that broke the connection during VERSION is usually
        // dying: its exit status and output belong in the report.
        if (server_) {
            server_->wait_exit(std::chrono::milliseconds(500));
            failures_.push_back(*error);
        }
        return rc;
    }
    if ((rc = attach(error)) < 0 || (rc = open_log(error)) < 0)
        return rc;
    go_live();
    return 0;
}

void Harness::set_window_sockets(bool on) {
    for (MemWindow &w : cfg_.dma_windows)
        w.socket = on && !w.shared;
}

// The attached client gets its bridge, the DMA windows (all but those
// unmapped at run time), its BAR areas mapped, and admission.
int Harness::attach(std::string *error) {
    bridge_ = std::make_unique<Bridge>(ctx_, bars_, HarnessTop::kLanes, cfg_.device_bdf);
    posted_dws_sent_ = 0; // the new bridge counts from 0 (flush_posted)
    bridge_->set_link(128, cfg_.mrrs, cfg_.rcb);
    bridge_->set_client_style(cfg_.client_style);
    int rc = 0;
    for (const MemWindow &w : cfg_.dma_windows) {
        if (!dma_window_mapped(w.name))
            continue;
        uint32_t prot = 0;
        if (uint8_t(w.perm) & uint8_t(MemPerm::Read))
            prot |= VU_DMA_MAP_F_READ;
        if (uint8_t(w.perm) & uint8_t(MemPerm::Write))
            prot |= VU_DMA_MAP_F_WRITE;
        // A shared window goes with its memfd: the server maps it and its
        // accesses there never reach the RTL (harness.hpp, dma_windows).
        rc = w.socket ? vuc_dma_map_socket(ctx_, w.base, w.size, prot, nullptr)
                      : vuc_dma_map(ctx_, w.base, w.size, prot, nullptr, mem_.shared_fd(w.base), 0);
        if (rc < 0) {
            *error = "DMA_MAP of " + w.name + " refused: " + strerror(-rc) +
                     (w.socket ? " (a socket window: the server needs VU_DMA_MAP_F_RCSIM_SOCKET, "
                                 "e.g. dmacopy --dma-mode map-socket)"
                               : "");
            return rc;
        }
    }
    if (cfg_.bar_access == BarAccess::Mapping && (rc = map_bar_areas(error)) < 0)
        return rc;
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
    if (server_ && idle_)
        admission_->set_idle_channel(idle_.get());
    return 0;
}

// From here on every message and reply goes through admission.
void Harness::go_live() {
    admission_->set_log(log_.get());
    install_scheduler();
    vuc_set_hold(ctx_, true);
    admission_->note_sent(); // the setup messages: start from a quiescent server
}

// As a VMM sets a device up: every BAR region's info, and its mmap areas
// mapped. A bad offer fails the set-up, naming the BAR and what is wrong.
int Harness::map_bar_areas(std::string *error) {
    mappings_ = std::make_unique<BarMappings>();
    for (unsigned i = VU_PCI_BAR0_REGION; i <= VU_PCI_BAR5_REGION; ++i) {
        vuc_region r;
        int rc = vuc_region_info(ctx_, i, &r);
        if (rc < 0) {
            const char *why = vuc_protocol_problem(ctx_);
            *error = "DEVICE_GET_REGION_INFO of BAR" + std::to_string(i) +
                     " failed: " + strerror(-rc) + (why ? std::string(" (") + why + ")" : "");
            return rc;
        }
        if ((rc = mappings_->map_region(i, r, error)) < 0)
            return rc;
    }
    bridge_->set_mappings(mappings_.get());
    bridge_->on_mapped_access(
        [this](bool w, unsigned bar, uint64_t off, const uint8_t *bytes, size_t len) {
            if (observer_)
                observer_->on_mapped_access(w, bar, off, bytes, len);
        });
    return 0;
}

std::vector<std::string> Harness::mapped_areas() const {
    return mappings_ ? mappings_->describe() : std::vector<std::string>{};
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
            return choose_logged(kind, options);
        });
    bridge_->set_dma_hooks(dma_gate_.get());
    bridge_->choose_completions(
        [this](const std::string &kind, const std::vector<std::string> &options) {
            return choose_logged(kind, options);
        });
    bridge_->gate_requests([this](const tlp::Tlp &t) {
        const std::string what = t.describe();
        return choose_logged("mmio", {"hold " + what + " until the DMA is answered",
                                      "send " + what + " now"}) == 1;
    });
}

size_t Harness::choose_logged(const std::string &kind, const std::vector<std::string> &options) {
    Decision d;
    d.kind = kind;
    d.options = options;
    const size_t c = sched_->choose(d.kind, d.options);
    d.chosen = d.options[c];
    admission_->record_choice(d);
    return c;
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

// What went wrong with the attached server, kept for failure_report()
// after its teardown.
void Harness::keep_failures() {
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
}

// The attached server's connection closed and its process stopped and
// reaped; admission is handed back (its decisions go on after a handover).
std::unique_ptr<Admission> Harness::detach() {
    keep_failures();
    refusals_.reset();
    if (bridge_)
        bridge_->set_dma_hooks(nullptr);
    dma_gate_.reset();
    std::unique_ptr<Admission> admission = std::move(admission_);
    bridge_.reset();
    mappings_.reset(); // unmapped at teardown (a DEVICE_RESET keeps them)
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
    return admission;
}

void Harness::shutdown() {
    detach();
}

} // namespace rcsim
