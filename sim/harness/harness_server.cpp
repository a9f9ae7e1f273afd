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
    if (dev_->server || dev_->ctx) {
        *error = "a server is already attached";
        return -EISCONN;
    }
    // The idle announcement's page, offered to the server we start; a
    // harness that cannot make one uses /proc alone.
    if (cfg_.idle_announce) {
        dev_->idle = std::make_unique<IdleChannel>();
        if (dev_->idle->open() < 0)
            dev_->idle.reset();
    }
    int rc = launch_server(argv, &dev_->server, &dev_->socket_dir, &dev_->socket_path, error,
                           dev_->idle ? dev_->idle->fd() : -1);
    if (rc < 0)
        return rc;
    return connect(dev_->socket_path, error);
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
    auto *d = static_cast<HarnessDevice *>(opaque);
    if (d->refusals)
        d->refusals->record(*r);
}

// Every message sent marks the server as possibly busy (the next admission
// point waits for quiescence) and, like every message read, lands on the
// wrapper's annotation ports for the waveform.
void Harness::trace_thunk(void *opaque, enum vuc_sock sock, bool from_client,
                          const struct vu_hdr *hdr, const uint8_t *payload, size_t payload_len,
                          unsigned nfds) {
    auto *d = static_cast<HarnessDevice *>(opaque);
    Harness *h = d->harness;
    h->message_device_ = d->name;
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
    if (d->admission)
        d->admission->note_sent();
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
    vuc_set_trace(ctx, &Harness::trace_thunk, dev_);
    vuc_set_dma_refused_handler(ctx, &Harness::refused_thunk, dev_);
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
    int rc = connect_device(socket_path, error);
    if (rc < 0 || (rc = open_log(error)) < 0)
        return rc;
    go_live();
    return 0;
}

// The selected device's client connected and attached (not live yet).
int Harness::connect_device(const std::string &socket_path, std::string *error) {
    // A DMA command during negotiation, before any DMA_MAP, is outside
    // every window too.
    dev_->refusals = std::make_unique<DmaRefusals>(cfg_.dma_windows);
    dev_->socket_path = socket_path;
    dev_->unmapped_windows.clear();
    int rc = open_client(socket_path, &dev_->ctx, error);
    if (rc < 0) {
        // A server that broke the connection during VERSION is usually
        // dying: its exit status and output belong in the report.
        if (dev_->server) {
            dev_->server->wait_exit(std::chrono::milliseconds(500));
            failures_.push_back(*error);
        }
        return rc;
    }
    return attach(error);
}

void Harness::set_window_sockets(bool on) {
    for (MemWindow &w : cfg_.dma_windows)
        w.socket = on && !w.shared;
}

// The attached client gets its bridge, the DMA windows (all but those
// unmapped at run time), its BAR areas mapped, and admission.
int Harness::attach(std::string *error) {
    dev_->bridge = std::make_unique<Bridge>(dev_->ctx, dev_->bars, HarnessTop::kLanes, dev_->bdf);
    dev_->posted_dws_sent = 0; // the new bridge counts from 0 (flush_posted)
    dev_->bridge->set_link(128, cfg_.mrrs, cfg_.rcb);
    dev_->bridge->set_client_style(cfg_.client_style);
    dev_->bridge->set_host_requester(cfg_.rp_id);
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
        rc = w.socket
                 ? vuc_dma_map_socket(dev_->ctx, w.base, w.size, prot, nullptr)
                 : vuc_dma_map(dev_->ctx, w.base, w.size, prot, nullptr, mem_.shared_fd(w.base), 0);
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
    vuc_get_stats(dev_->ctx, &st);
    if (st.dropped_replies > 0) {
        const char *why = vuc_protocol_problem(dev_->ctx);
        *error = std::string("protocol error during setup: ") + (why ? why : "reply dropped");
        return -EPROTO;
    }
    dev_->admission = std::make_unique<Admission>(dev_->ctx, *dev_->bridge, cfg_.admission);
    dev_->admission->set_clock([this] { return top_->time_ps(); });
    // The sync client's set-aside commands go into the log as observations.
    dev_->bridge->on_set_aside([dev = dev_](const std::string &kind, const std::string &what) {
        if (!dev->admission)
            return;
        Decision d;
        d.kind = kind;
        d.options = {who_prefix(*dev) + what};
        d.chosen = d.options[0];
        dev->admission->record_choice(d);
    });
    dev_->admission->set_cycles([this] { return top_->cycles(); });
    dev_->admission->on_decision([this](const Decision &d) {
        if (observer_)
            observer_->on_decision(d);
        else
            top_->set_decision_annotation(uint32_t(d.index));
    });
    pid_t pid = dev_->server ? dev_->server->pid() : 0;
    if (!dev_->server) {
        struct pollfd fds[2];
        if (vuc_poll_fds(dev_->ctx, fds, 2) > 0 && socket_peer_pid(fds[0].fd, &pid) < 0)
            pid = 0;
    }
    dev_->admission->set_server_pid(cfg_.inspect_server ? pid : 0);
    if (dev_->server && dev_->idle)
        dev_->admission->set_idle_channel(dev_->idle.get());
    return 0;
}

// From here on every message and reply goes through admission.
void Harness::go_live() {
    dev_->admission->set_log(log_.get());
    install_scheduler();
    vuc_set_hold(dev_->ctx, true);
    dev_->admission->note_sent(); // the setup messages: start from a quiescent server
}

// As a VMM sets a device up: every BAR region's info, and its mmap areas
// mapped. A bad offer fails the set-up, naming the BAR and what is wrong.
int Harness::map_bar_areas(std::string *error) {
    dev_->mappings = std::make_unique<BarMappings>();
    for (unsigned i = VU_PCI_BAR0_REGION; i <= VU_PCI_BAR5_REGION; ++i) {
        vuc_region r;
        int rc = vuc_region_info(dev_->ctx, i, &r);
        if (rc < 0) {
            const char *why = vuc_protocol_problem(dev_->ctx);
            *error = "DEVICE_GET_REGION_INFO of BAR" + std::to_string(i) +
                     " failed: " + strerror(-rc) + (why ? std::string(" (") + why + ")" : "");
            return rc;
        }
        if ((rc = dev_->mappings->map_region(i, r, error)) < 0)
            return rc;
    }
    dev_->bridge->set_mappings(dev_->mappings.get());
    dev_->bridge->on_mapped_access(
        [this](bool w, unsigned bar, uint64_t off, const uint8_t *bytes, size_t len) {
            if (observer_)
                observer_->on_mapped_access(w, bar, off, bytes, len);
        });
    return 0;
}

std::vector<std::string> Harness::mapped_areas() const {
    return dev_->mappings ? dev_->mappings->describe() : std::vector<std::string>{};
}

// The bridge's request gate asks the scheduler and logs the choice as an
// `mmio` decision (option 0, fifo: the DMA is answered first).
void Harness::install_scheduler() {
    dev_->admission->set_scheduler(sched_);
    dev_->bridge->set_dma_hooks(nullptr);
    dev_->dma_gate.reset();
    if (!sched_) {
        dev_->bridge->gate_requests(nullptr);
        dev_->bridge->choose_completions(nullptr);
        return;
    }
    dev_->dma_gate = DmaReplyGate::create(
        cfg_.dma_choices, dev_->ctx, *dev_->bridge, cfg_.dma_windows,
        [this] { return top_->cycles(); },
        [this, dev = dev_](const std::string &kind, const std::vector<std::string> &options) {
            return choose_logged(*dev, kind, options);
        });
    dev_->bridge->set_dma_hooks(dev_->dma_gate.get());
    dev_->bridge->choose_completions(
        [this, dev = dev_](const std::string &kind, const std::vector<std::string> &options) {
            return choose_logged(*dev, kind, options);
        });
    dev_->bridge->gate_requests([this, dev = dev_](const tlp::Tlp &t) {
        const std::string what = t.describe();
        return choose_logged(
                   *dev, "mmio",
                   {"hold " + what + " until the DMA is answered", "send " + what + " now"}) == 1;
    });
}

// Options name their device when there are several ("nic: ..."), before
// the scheduler sees them: a replay matches what the log holds.
size_t Harness::choose_logged(HarnessDevice &dev, const std::string &kind,
                              const std::vector<std::string> &options) {
    Decision d;
    d.kind = kind;
    for (const std::string &o : options)
        d.options.push_back(who_prefix(dev) + o);
    const size_t c = sched_->choose(d.kind, d.options);
    d.chosen = d.options[c];
    dev.admission->record_choice(d);
    return c;
}

void Harness::set_scheduler(Scheduler *s) {
    sched_ = s;
    HarnessDevice *selected = dev_;
    for (const auto &d : devs_) {
        dev_ = d.get();
        if (dev_->admission && dev_->bridge)
            install_scheduler();
    }
    dev_ = selected;
}

int Harness::reopen_decision_log(const std::string &path, std::string *error) {
    Admission *book = devs_.front()->admission.get(); // every device's decisions
    if (!book)
        return -ENOTCONN;
    cfg_.decision_log_path = path;
    book->set_log(nullptr);
    log_.reset();
    const int rc = open_log(error);
    book->set_log(log_.get());
    return rc;
}

// A server's argv as a log pins it: the socket path is a fresh temporary
// directory per run, not part of its identity.
std::vector<std::string> Harness::logged_argv(const HarnessDevice &d) {
    std::vector<std::string> argv = d.server->argv();
    for (std::string &a : argv)
        for (size_t at = a.find(d.socket_path); !d.socket_path.empty() && at != std::string::npos;
             at = a.find(d.socket_path, at + 8))
            a.replace(at, d.socket_path.size(), "{socket}");
    return argv;
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
    if (devs_.front()->name.empty() && dev_->server) {
        h.server_argv = logged_argv(*dev_);
        if (sha256_file_hex(dev_->server->executable(), &h.server_sha256) < 0)
            h.server_sha256.clear();
    }
    if (!devs_.front()->name.empty()) { // a topology: every device's server
        h.topology_path = log_topology_;
        if (log_topology_.empty() || sha256_file_hex(log_topology_, &h.topology_sha256) < 0)
            h.topology_sha256.clear();
        for (const auto &d : devs_) {
            LogDevice ld;
            ld.name = d->name;
            if (d->server) {
                ld.argv = logged_argv(*d);
                if (sha256_file_hex(d->server->executable(), &ld.sha256) < 0)
                    ld.sha256.clear();
            }
            h.devices.push_back(std::move(ld));
        }
    }
    h.rtl_settings = pinned_settings(cfg_); // run_settings.hpp
    return DecisionLogWriter::open(cfg_.decision_log_path, h, &log_, error);
}

// What went wrong with the attached server, kept for failure_report()
// after its teardown.
void Harness::keep_failures() {
    if (dev_->bridge)
        for (const std::string &f : dev_->bridge->failures())
            failures_.push_back("bridge: " + who_prefix(*dev_) + f);
    if (dev_->admission)
        for (const std::string &n : dev_->admission->notes())
            failures_.push_back("admission: " + who_prefix(*dev_) + n);
    if (dev_->dma_gate)
        for (const std::string &n : dev_->dma_gate->report())
            failures_.push_back("dma: " + who_prefix(*dev_) + n);
    if (dev_->refusals)
        for (const std::string &r : dev_->refusals->describe_unexpected())
            failures_.push_back("DMA outside every window: " + who_prefix(*dev_) + r);
}

// The attached server's connection closed and its process stopped and
// reaped; admission is handed back (its decisions go on after a handover).
std::unique_ptr<Admission> Harness::detach() {
    keep_failures();
    dev_->refusals.reset();
    if (dev_->bridge)
        dev_->bridge->set_dma_hooks(nullptr);
    dev_->dma_gate.reset();
    std::unique_ptr<Admission> admission = std::move(dev_->admission);
    dev_->bridge.reset();
    dev_->mappings.reset(); // unmapped at teardown (a DEVICE_RESET keeps them)
    if (dev_->ctx) {
        vuc_destroy(dev_->ctx);
        dev_->ctx = nullptr;
    }
    if (dev_->server)
        dev_->server->stop();
    if (!dev_->socket_dir
             .empty()) { // the per-run directory: the socket, whatever the server put there
        remove_tree(dev_->socket_dir.c_str());
        cleanup_unregister(CleanupKind::Dir, 0, dev_->socket_dir);
        dev_->socket_dir.clear();
    }
    return admission;
}

void Harness::shutdown() {
    HarnessDevice *selected = dev_;
    for (const auto &d : devs_) {
        dev_ = d.get();
        detach();
    }
    dev_ = selected;
}

} // namespace rcsim
