// rcsim's C++ API for users: one verilated root port in a SystemC top, a
// vfio-user server (started here, or reached at a given socket), the bridge
// between them, host memory and the admission rules, all driven from the
// caller's thread. Every call runs simulated time until its answer is there
// (bounded: the root port's completion timeout always answers in the end).
// SystemC elaborates once per process: one Harness per process (fork a
// child per run with run_forker, or run one gtest per process).
#pragma once

#include "admission.hpp"
#include "bar_map.hpp"
#include "bridge.hpp"
#include "decision_log.hpp"
#include "dma_refusals.hpp"
#include "dma_reply_gate.hpp"
#include "enumeration.hpp"
#include "harness_device.hpp"
#include "harness_observer.hpp"
#include "harness_top.hpp"
#include "host_memory.hpp"
#include "host_memory_port.hpp"
#include "host_port_driver.hpp"
#include "scheduler.hpp"
#include "server_process.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace rcsim::topology {
struct Topology;
struct Plan;
} // namespace rcsim::topology
namespace rcsim::fabric {
class Fabric;
class FabricLink;
} // namespace rcsim::fabric

namespace rcsim {

enum class IrqPreference { Auto, Msix, Msi, Intx, None };

// How MemRd/MemWr to a memory BAR reach the device. Mapping (what a VMM
// does): connect() asks DEVICE_GET_REGION_INFO of BAR0-5, maps the areas a
// server offers for mmap, and the bridge serves accesses wholly inside one
// from the mapping, with no message. Messages: every access is a
// REGION_READ/REGION_WRITE. I/O BARs always go by messages.
enum class BarAccess { Mapping, Messages };

struct HarnessConfig {
    // Link settings programmed at enumeration (bytes; MPS is capped by what
    // the device's PCIe capability supports).
    unsigned mps = 256, mrrs = 512, rcb = 64;
    uint32_t cpl_timeout = 50000; // cycles
    uint16_t device_bdf = 0x0100; // 01:00.0
    uint16_t rp_id = 0x0000;
    // Where enumeration places memory BARs (below 4 GiB, like a bridge's
    // memory window).
    uint64_t bar_window_base = 0xe0000000ull, bar_window_size = 0x10000000ull;
    // Where it places 64-bit prefetchable BARs: above 4 GiB, like a bridge's
    // prefetchable window (32 GiB at 32 GiB, so a BAR of 4 GiB or more fits
    // and every such address needs a 4 DW MemRd/MemWr header). Size 0: they
    // go to bar_window too.
    uint64_t pref_window_base = 0x800000000ull, pref_window_size = 0x800000000ull;
    // Where enumeration places I/O BARs: a PC's I/O space above the legacy
    // ports, 0x1000..0xffff (16-bit I/O addressing, as x86 port I/O has).
    uint32_t io_window_base = 0x1000, io_window_size = 0xf000;
    // Host memory the server may reach by DMA: by DMA_READ/DMA_WRITE
    // messages, which the bridge turns into TLPs (the default window), or
    // `shared` (DMA_MAP with a memfd the server maps: its loads and stores
    // there bypass the RTL and the scheduler, as they bypass the link in a
    // VMM; page-aligned).
    std::vector<MemWindow> dma_windows{{0x10000000ull, 0x1000000ull, MemPerm::ReadWrite, "dma0"}};
    IrqPreference irq = IrqPreference::Auto;
    uint64_t msi_address = 0xfee00000ull; // inside the root port's MSI window
    bool no_twin = false;
    // false: treat the server as one that cannot be inspected (logged settle
    // periods instead of /proc quiescence), e.g. to test that path.
    bool inspect_server = true;
    // Offer a server the harness starts the idle announcement (sim/sched/
    // README.md): a bundled model that opts in is then found quiescent
    // without /proc. Pinned in the decision log header when off.
    bool idle_announce = true;
    AdmissionConfig admission;
    // With a scheduler: the DMA choice points (dma_reply_gate.hpp); none by
    // default. Pinned in the decision log header when any is on.
    DmaChoiceConfig dma_choices;
    // With a scheduler: a `migrate` asks before each of its source commands
    // whether to send it now or let the device run first (sim/migrate/).
    // Off by default; pinned in the decision log header when on.
    bool migration_choices = false;
    // What the client does with a DMA command that arrives while a request
    // of ours awaits its reply (client_style.hpp). Pinned in the decision
    // log header when sync.
    ClientStyle client_style = ClientStyle::Async;
    // Pinned in the decision log header when Mapping (run_settings.cpp: a
    // log without it was made before mapped areas and replays by messages).
    BarAccess bar_access = BarAccess::Mapping;
    std::chrono::milliseconds server_start_timeout{5000};
    std::string decision_log_path; // empty: decisions kept in memory only
    std::string fst_path;          // empty: no waveform
};

// The host-visible data of one MSI/MSI-X vector: data = kMsiDataBase + vector.
constexpr uint32_t kMsiDataBase = 0x4100;

struct Access {
    HostStatus status = HostStatus::SC;
    uint64_t value = 0;
    bool ok() const { return status == HostStatus::SC; }
};

struct HarnessCounters {
    uint64_t cycles = 0, edges = 0;
    BridgeCounters bridge;
    AdmissionCounters admission;
    RtlOut rtl; // the root port's counters as last sampled
    uint64_t irqs_seen = 0;
    uint64_t dma_refused = 0; // DMA commands outside every window (dma_refusals.hpp)
    // Several devices: what the fabric's models answered UR, and dropped
    // (posted TLPs nobody claimed: a failure; completions nobody claimed).
    uint64_t fabric_ur = 0, fabric_posted_dropped = 0, fabric_cpl_dropped = 0;
};

class Harness : private EdgeSink {
  public:
    // Elaborates the SystemC top (once per process) and resets the RTL.
    static int create(const HarnessConfig &cfg, std::unique_ptr<Harness> *out, std::string *error);
    ~Harness() override;
    Harness(const Harness &) = delete;
    Harness &operator=(const Harness &) = delete;

    // Starts a server; "{socket}" in an argument is replaced by the socket
    // path, else "--socket PATH" is appended. Then connects.
    int start_server(const std::vector<std::string> &argv, std::string *error);
    // Connects to a server someone else started (SO_PEERCRED gives its PID
    // for the quiescence checks; settle periods if it cannot be inspected).
    int connect(const std::string &socket_path, std::string *error);
    // Enumerates the device through config TLPs (see enumerator.cpp).
    int enumerate(std::string *error);
    // Disconnects and stops the servers it started. Idempotent.
    void shutdown();

    // ---- several devices (issue 20; harness_topology.cpp)
    // Starts the server of every device of `t` (its command split as a
    // shell would; "{socket}" as for start_server), each with its own
    // client, bridge and admission (one decision sequence for the run, the
    // arrivals labelled "NAME: ..."); puts the fabric of `t` (rtl/fabric's
    // root complex and switches, sim/fabric/) between the root port and
    // their bridges; and enumerates the hierarchy through the RTL: bus
    // numbers, BARs sized, bridge windows and BARs as plan_enumeration
    // places them, then each device as enumerate() does (capabilities,
    // link, interrupts, each its own MSI address). Every device may then
    // DMA into every other device's memory BARs: a message window per peer
    // BAR is mapped into its client, and the bridge sends such a DMA as
    // peer-to-peer TLPs through the fabric. 0, or a negative errno with
    // `error` naming the device; on failure every server started is
    // stopped and reaped.
    int start_topology(const topology::Topology &t, std::string *error);
    size_t devices() const { return devs_.size(); }
    // "" for the single device.
    const std::string &device_name(size_t d) const { return devs_.at(d)->name; }
    // The index of the device called `name`, or -1.
    int find_device(const std::string &name) const;
    // The device the calls address from now on: mmio_*, cfg_*, wait_irq,
    // the lifecycle and IRQ set-up calls, enumeration(), server(),
    // client(), take_refused_dma().
    void select_device(size_t d) { dev_ = devs_.at(d).get(); }
    size_t selected_device() const { return dev_->index; }
    // Started with start_topology (a fabric between the root port and the
    // devices), even with one device.
    bool topology_run() const { return fabric_ != nullptr; }
    // The enumerated hierarchy as `lspci -tv` draws it and as `lspci -v`
    // lists windows and BARs ("" with one device).
    std::string topology_tree() const;
    std::string topology_listing() const;
    // Config requests to any function (a bridge of the fabric, a device):
    // the offset and size rules of cfg_read / cfg_write.
    Access cfg_read_at(uint16_t bdf, uint16_t offset, unsigned size);
    HostStatus cfg_write_at(uint16_t bdf, uint16_t offset, unsigned size, uint32_t value);

    // ---- host accesses through the root port (size 1, 2, 4 or 8)
    // By BAR: a memory BAR goes by MemRd/MemWr, an I/O BAR by IORd/IOWr
    // (sizes 1, 2, 4 inside one DW; the IOWr's completion status is
    // returned, as it is non-posted).
    Access mmio_read(unsigned bar, uint64_t offset, unsigned size);
    HostStatus mmio_write(unsigned bar, uint64_t offset, unsigned size, uint64_t value);
    // I/O space (32-bit port address; size 1, 2 or 4, not crossing a DW):
    // IORd / IOWr TLPs. Anything else is BadReq, no TLP sent.
    Access io_read(uint32_t port, unsigned size);
    HostStatus io_write(uint32_t port, unsigned size, uint32_t value);
    // Block accesses of 1..4096 bytes as one host request: the root port
    // splits it at MRRS/MPS, the device's completions come split at RCB.
    HostStatus mmio_read_block(unsigned bar, uint64_t offset, void *buf, size_t len);
    HostStatus mmio_write_block(unsigned bar, uint64_t offset, const void *buf, size_t len);
    Access mem_read(uint64_t addr, unsigned size);
    HostStatus mem_write(uint64_t addr, unsigned size, uint64_t value);
    // Config space of the device (the access must stay inside one DW).
    Access cfg_read(uint16_t offset, unsigned size);
    HostStatus cfg_write(uint16_t offset, unsigned size, uint32_t value);

    HostMemory &memory() { return mem_; }

    // ---- the device's lifecycle (harness_lifecycle.cpp): each sends its
    // message through the bridge, so the scheduler admits it and its reply
    // like any other, and runs until the reply (at most max_cycles).
    // 0, or a negative errno with `error` set: the server's error reply,
    // -ETIMEDOUT (no reply), -ENOENT / -EEXIST (no such window, or not in
    // the state the command needs).
    int device_reset(uint64_t max_cycles, std::string *error);
    // DMA_UNMAP / DMA_MAP of the configured window `name`
    // (HarnessConfig::dma_windows): after an unmap the client refuses a DMA
    // into it as outside every window (`expect-dma-refused`).
    int dma_unmap(const std::string &name, uint64_t max_cycles, std::string *error);
    int dma_map(const std::string &name, uint64_t max_cycles, std::string *error);
    bool dma_window_mapped(const std::string &name) const;

    // ---- IRQ set-up changes (harness_irq_setup.cpp), as a driver makes
    // them; the same returns as the lifecycle calls (-EINVAL: another kind
    // is set up, or no such vector; -EOPNOTSUPP: the device cannot).
    // Masks or unmasks `vector` of the kind set up now: the MSI-X table's
    // Vector Control, MSI's Mask Bits (per-vector masking only), or for INTx
    // the Command register's Interrupt Disable.
    int irq_mask(IrqMode kind, unsigned vector, bool mask, uint64_t max_cycles, std::string *error);
    // Switches the device to `kind` (None: every interrupt off): the old
    // kind disabled in config space and its eventfds released (SET_IRQS with
    // count 0), the new one programmed as enumeration does with fresh ones.
    int irq_switch(IrqMode kind, uint64_t max_cycles, std::string *error);

    // Waits for an interrupt on `vector` (MSI/MSI-X vector, or 0 for INTx,
    // which is then acknowledged: Deassert_INTx and SET_IRQS unmask).
    // Consumes one; false after timeout_cycles.
    bool wait_irq(unsigned vector, uint64_t timeout_cycles);
    // The same for an interrupt the server raises on its own wall-clock
    // timer (harness_wall_wait.cpp): while simulated time has nothing to
    // do, waits in wall time (at most `limit`) on the server's sockets and
    // the eventfds, serving its messages (DMA) as they come. Logged as a
    // `wall-wait` decision: outside the determinism guarantee.
    struct WallWait {
        bool got = false;
        uint64_t wall_us = 0;  // wall time waited
        std::string cut_short; // why it ended before its bound ("" if it did not)
    };
    WallWait wait_irq_wall(unsigned vector, std::chrono::milliseconds limit);
    void run_cycles(uint64_t n);
    // Runs until nothing is in flight anywhere (or max_cycles).
    bool drain(uint64_t max_cycles = 1000000);

    HarnessCounters counters() const;
    uint64_t cycles() const { return top_->cycles(); }
    const Enumeration &enumeration() const { return dev_->enumeration; }
    const HarnessConfig &config() const { return cfg_; }
    // Where the topology's plan put the selected device's BARs (empty: the
    // enumeration places them).
    const std::map<unsigned, uint64_t> &planned_bars() const { return dev_->planned_bars; }
    // The MSI address programmed into the selected device.
    uint64_t msi_address() const { return dev_->msi_address; }
    const std::vector<Decision> &decisions() const;
    // The running hash of every decision (Admission::decision_digest).
    Sha256 decision_digest() const;
    ServerProcess *server() { return dev_->server.get(); }
    const std::string &socket_path() const { return dev_->socket_path; }
    vuc_ctx *client() { return dev_->ctx; }
    // What went wrong, with the server's captured output and state (empty
    // if nothing).
    std::string failure_report() const;
    bool has_failures() const;
    // DMA commands refused since the last call, which from now on count as
    // expected (`expect-dma-refused N`); any other refusal fails the run.
    uint64_t take_refused_dma() { return dev_->refusals ? dev_->refusals->take() : 0; }
    std::vector<std::string> refused_dma_descriptions() const {
        return dev_->refusals ? dev_->refusals->describe_unexpected() : std::vector<std::string>{};
    }
    // The first line of what went wrong ("" if nothing).
    std::string first_failure() const;
    // A problem found outside the bridge (e.g. the end of a scenario): it
    // fails the run and goes into failure_report().
    void add_failure(const std::string &what) { failures_.push_back(what); }
    // The server's state now: a server whose connection was lost is given a
    // moment to finish dying, so that a report says "exited with status 3"
    // or "killed by signal 11", not "running". Running if none was started.
    ExitStatus server_state() const;

    // Internals for the enumerator and later issues (scheduler, rcsim).
    Bridge *bridge() { return dev_->bridge.get(); }
    BarMap &bars() { return dev_->bars; }
    HarnessTop &top() { return *top_; }
    void set_link(unsigned mps, unsigned mrrs);
    // Called for every message sent (after the send).
    void on_message_sent(std::function<void(uint16_t cmd)> fn) { sent_hook_ = std::move(fn); }
    // A tracer (trace_writer.hpp) sees every message, edge and decision
    // from now on; nullptr removes it. Not owned.
    void set_observer(HarnessObserver *o) { observer_ = o; }
    // During HarnessObserver::on_message: the name of the device whose
    // message it is ("" for the single device).
    const std::string &message_device() const { return message_device_; }
    // Where the next connect() writes its decision log (empty: none).
    void set_decision_log(const std::string &path) { cfg_.decision_log_path = path; }
    // The scheduler that takes every choice from the next connect() on
    // (sim/sched/scheduler.hpp; nullptr: arrival order, requests never held).
    // Its policy goes into the log's header. Not owned.
    // Connected already: it takes the choices from now on.
    void set_scheduler(Scheduler *s);
    // Connected already: a new decision log from now on (header as at
    // connect, with the scheduler's policy), for runs forked from a
    // connected, enumerated harness. 0 or negative errno.
    int reopen_decision_log(const std::string &path, std::string *error);
    // The DMA choice points from the next connect() or set_scheduler() on
    // (e.g. per forked run).
    void set_dma_choices(const DmaChoiceConfig &c) { cfg_.dma_choices = c; }
    // The client style from the next connect() on (runs forked later).
    void set_client_style(ClientStyle s) { cfg_.client_style = s; }
    // Every message window (not fd-backed) reached on a DMA socket of its
    // own (on) or on the main/twin socket (off), from the next connect on:
    // `rcsim explore --matrix`'s map-socket cells.
    void set_window_sockets(bool on);
    // The areas connect() mapped ("BAR0 [0x0,+0x1000)"), empty when none.
    std::vector<std::string> mapped_areas() const;
    // The `deadlock:` notes of this connection (admission_deadlock.cpp).
    std::vector<std::string> deadlocks() const;
    // The scenario the next log pins (path and SHA-256 in its header).
    void set_log_scenario(const std::string &path) { log_scenario_ = path; }
    // The topology file the next log pins (path and SHA-256), beside every
    // device's server argv and binary hash.
    void set_log_topology(const std::string &path) { log_topology_ = path; }

    // ---- live migration's handover (harness_handover.cpp; the procedure
    // is sim/migrate/'s)
    // Sends `req` through the bridge and admission as the lifecycle calls
    // do (host_command) and hands back the reply's data (a DEVICE_FEATURE's
    // feature data, a MIG_DATA_READ's bytes). The same returns.
    int host_call(const vuc_request &req, const std::string &what, uint64_t max_cycles,
                  std::vector<uint8_t> *reply, std::string *error);
    // A second server started and connected (VERSION negotiated), not on
    // the link: a migration's destination, driven with the client's
    // blocking calls until adopt(). Stopped and reaped when dropped.
    struct Standby {
        std::unique_ptr<ServerProcess> process;
        std::string socket_dir, socket_path;
        vuc_ctx *ctx = nullptr;
        Standby() = default;
        Standby(Standby &&o) noexcept;
        Standby &operator=(Standby &&) = delete;
        ~Standby();
    };
    int start_standby(const std::vector<std::string> &argv, Standby *out, std::string *error);
    // The attached server's command line with its socket path as "{socket}"
    // (empty when rcsim did not start it): what starts a second one.
    std::vector<std::string> server_argv_template() const;
    // An admission point now, after the server is quiescent: a server's own
    // stores into a shared window (a worker thread's) are done before host
    // memory is looked at. No-op when not connected.
    void settle_server();
    // A choice of the scheduler (logged as a decision of `kind`), when one
    // is installed and migration choices are on; 0 (the first option)
    // otherwise.
    size_t migration_choice(const std::string &kind, const std::vector<std::string> &options);
    // The config registers a driver programmed (Command, Interrupt Line,
    // PCIe Device Control), as the host last wrote them: adopt() writes them
    // into the next device. Like QEMU's copy of a vfio device's config
    // space, taken from the host's side, not read from the device (a read
    // would wait behind the device's DMA). BARs and the IRQ set-up come
    // from enumeration().
    struct SavedConfig {
        std::map<uint16_t, uint8_t> bytes; // offset -> the byte last written
    };
    int save_config(SavedConfig *out, std::string *error);
    // Migration's switch-over: the attached server's connection closed and
    // its process stopped and reaped; host memory replaced by `memory`
    // (the destination's, same windows); the standby attached in its place
    // (DMA windows from the new memory, BAR areas mapped, a bridge,
    // admission going on with this run's decisions and log) and, through
    // the link, its config space restored: BARs and ROM as enumerated,
    // `saved`, the IRQ set-up with fresh eventfds (per-vector masks are
    // not carried). 0 or a negative errno with `error` set.
    int adopt(Standby &&s, std::unique_ptr<HostMemory> memory, const SavedConfig &saved,
              uint64_t max_cycles, std::string *error);

  private:
    // Asks the scheduler, logs the decision with the admission log, returns
    // the index chosen: every choice point outside admission goes through it.
    size_t choose_logged(HarnessDevice &dev, const std::string &kind,
                         const std::vector<std::string> &options);
    explicit Harness(const HarnessConfig &cfg);
    void on_edge(const RtlOut &out, RtlIn &in) override;
    bool advance(const std::function<bool()> &done, uint64_t max_cycles);
    bool all_idle() const;
    bool await_server_activity(std::chrono::steady_clock::time_point deadline);
    void record_wall_wait(unsigned vector, std::chrono::milliseconds limit, const WallWait &w);
    Access host_access(HostRequest r, unsigned lead, unsigned size);
    HostRequest mem_request(HostOp op, uint64_t addr, unsigned size, uint64_t value,
                            unsigned *lead);
    static HostRequest block_request(HostOp op, uint64_t addr, size_t len, const uint8_t *data);
    int open_log(std::string *error);
    int launch_server(const std::vector<std::string> &argv, std::unique_ptr<ServerProcess> *proc,
                      std::string *dir, std::string *path, std::string *error, int idle_fd = -1);
    int open_client(const std::string &socket_path, vuc_ctx **out, std::string *error);
    int attach(std::string *error);
    void go_live();
    void keep_failures();
    std::unique_ptr<Admission> detach();
    int restore_config(const SavedConfig &saved, uint64_t max_cycles, std::string *error);
    int arm_irqs(IrqMode kind, unsigned vectors, uint64_t max_cycles, std::string *error);
    void forget_pending_irqs(unsigned vectors);
    int map_bar_areas(std::string *error);
    int host_command(const vuc_request &req, const std::string &what, uint64_t max_cycles,
                     std::string *error);
    const MemWindow *dma_window(const std::string &name, std::string *error) const;
    void note_window(const MemWindow &w, bool mapped);
    int cfg_update(uint16_t offset, unsigned size, uint32_t set, uint32_t clear,
                   const std::string &what, std::string *error);
    int send_set_irqs(IrqMode kind, const std::vector<int> &fds, uint64_t max_cycles,
                      std::string *error);
    int irq_disable(uint64_t max_cycles, std::string *error);
    // MSI or MSI-X programmed and enabled as enumeration does (enumerator.cpp).
    int program_irq_capability(IrqMode kind, unsigned *vectors, std::string *error);
    void flush_posted(uint64_t max_cycles);
    static void trace_thunk(void *opaque, enum vuc_sock sock, bool from_client,
                            const struct vu_hdr *hdr, const uint8_t *payload, size_t payload_len,
                            unsigned nfds);

    HarnessConfig cfg_;
    std::unique_ptr<HarnessTop> top_;
    HostMemory mem_;
    HostPortDriver driver_;
    HostMemoryPort memport_;
    std::unique_ptr<DecisionLogWriter> log_;
    Scheduler *sched_ = nullptr;
    std::string log_scenario_;
    void install_scheduler();
    // Every device, in topology order; dev_ is the one the calls address
    // (the single device, or the one a topology call named).
    std::vector<std::unique_ptr<HarnessDevice>> devs_;
    HarnessDevice *dev_ = nullptr;
    // Several devices: the plan enumeration programmed, the fabric's
    // models and the link adapter between them and the bridges.
    std::unique_ptr<topology::Plan> plan_;
    std::unique_ptr<fabric::Fabric> fabric_;
    std::unique_ptr<fabric::FabricLink> link_;
    std::vector<EdgeSink *> sinks_; // the bridges, per edge (kept: no allocation)
    std::string message_device_;
    std::string log_topology_;
    static std::vector<std::string> logged_argv(const HarnessDevice &d);
    void host_write_done(uint64_t dw_addr, unsigned len_dw, bool err);
    void complete_dropped_writes();
    std::string dropped_report() const;
    bool admission_needed() const;
    void admission_points(bool poll);
    int connect_device(const std::string &socket_path, std::string *error);
    int start_devices(const topology::Plan &plan, std::string *error);
    int enumerate_topology(const topology::Topology &t, std::string *error);
    int map_peer_windows(std::string *error);
    bool stalled() const;
    int device_at(uint64_t addr) const;
    std::vector<size_t> wait_cycle() const;
    bool break_cross_deadlock();
    std::vector<std::string> cross_deadlocks_;
    int map_message_window(uint64_t base, uint64_t size, const std::string &what,
                           std::string *error);
    std::function<void(uint16_t)> sent_hook_;
    HarnessObserver *observer_ = nullptr;
    std::vector<std::string> failures_;
    static void refused_thunk(void *opaque, const vuc_dma_refusal *r);
};

} // namespace rcsim
