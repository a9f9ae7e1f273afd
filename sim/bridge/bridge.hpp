// The bridge between the root port's TLP ports and the vfio-user client's
// non-blocking core (hold mode). TLPs the root port sends (MMIO, config,
// completions of device reads) become REGION_READ/REGION_WRITE requests or
// finish DMA reads; replies, DMA commands and interrupts become TLPs injected
// into the root port's receive port, in one FIFO (PCIe ordering: nothing
// overtakes an earlier posted write). Arrivals are *delivered* only by the
// admission logic (admission.hpp); this class reacts to what was delivered.
//
// Files: bridge.cpp (TLP ports, event dispatch), bridge_mmio.cpp (MMIO and
// config requests, error table), bridge_dma.cpp (DMA_READ/DMA_WRITE through
// the RTL), bridge_irq.cpp (eventfds, MSI/MSI-X shadows, INTx).
#pragma once

#include "bar_map.hpp"
#include "bar_mappings.hpp"
#include "client_style.hpp"
#include "failure_notes.hpp"
#include "rtl_ports.hpp"
#include "tlp.hpp"
#include "tlp_beats.hpp"

#include "vfio_user/client.h"

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace rcsim {

// vfio-user error reply -> completion status (documented in sim/bridge/README.md).
tlp::CplStatus completion_status_for_errno(int err);

enum class IrqMode { None, Intx, Msi, Msix };
const char *to_string(IrqMode m);

struct BridgeCounters {
    uint64_t mmio_reads = 0, mmio_writes = 0, cfg_reads = 0, cfg_writes = 0;
    uint64_t io_reads = 0, io_writes = 0; // IORd / IOWr TLPs taken
    // Of mmio_reads/mmio_writes, served from a mapped area with no message:
    // MemRds, and runs of enabled bytes of MemWrs (one REGION_WRITE each
    // otherwise).
    uint64_t mapped_reads = 0, mapped_writes = 0;
    uint64_t ur_completions = 0, ca_completions = 0;
    uint64_t mmio_write_errors = 0;            // posted writes the server refused
    uint64_t mmio_write_refusals_expected = 0; // of those, the scenario expected
    // MemWr into the expansion ROM: a ROM ignores writes (the posted write
    // has no completion to refuse it), so no REGION_WRITE goes out.
    uint64_t rom_writes_dropped = 0;
    uint64_t unexpected_tlps = 0; // TLPs from the root port we could not place
    uint64_t dma_reads = 0, dma_writes = 0, dma_errors = 0;
    // Bytes that did move (completions with data, writes host memory took),
    // not bytes requested: a refused or failed piece adds nothing.
    uint64_t dma_bytes_read = 0, dma_bytes_written = 0;
    // Of the DMA, what went to or came from a peer device's BAR
    // (peer-to-peer, issue 20), not host memory: not in the two above.
    uint64_t p2p_bytes_read = 0, p2p_bytes_written = 0;
    uint64_t irqs_injected = 0, intx_acks = 0;
    uint64_t abandoned = 0; // requests given up after a silent decision
    // Replies nobody asked for (VUC_EV_PROTOCOL) and error replies saying
    // our request was malformed (EPROTO, EBADMSG, EINVAL): failure category
    // "protocol error" (failure_category.hpp).
    uint64_t protocol_events = 0;
    uint64_t set_aside = 0; // DMA commands the sync client set aside
    // DMA served (its TLPs done) whose reply went nowhere: its map socket
    // closed meanwhile, the server had given the DMA up at the window's
    // unmap. A DMA_WRITE's data is in host memory all the same.
    uint64_t dma_replies_lost = 0;
    // Peer-to-peer reads ended by a deadlock across servers, and their
    // completions that came afterwards (dropped).
    uint64_t peer_reads_timed_out = 0, late_peer_completions = 0;
    // Field by field (a migration's destination bridge counts on from the
    // source's).
    BridgeCounters &operator+=(const BridgeCounters &o);
};

struct IrqSignal {
    unsigned vector;
    uint64_t count;
};

// The DMA choice points (dma_reply_gate.hpp) as the bridge sees them.
class DmaHooks {
  public:
    virtual ~DmaHooks() = default;
    // A DMA request is taken up: 0 carries on, a negative errno refuses it.
    virtual int dma_started(vuc_dma_op *op) = 0;
    // Its reply is ready: true when the hook sends it itself (later, never).
    virtual bool dma_reply_ready(vuc_dma_op *op, int err) = 0;
    // Replies held back or never to be sent: the server waits for us.
    virtual bool owes_replies() const = 0;
    // A reply is due at a later cycle: the clock has to run.
    virtual bool holding() const = 0;
    // Every clock edge, first: sends the replies that are due.
    virtual void tick() = 0;
};

class Bridge : public EdgeSink {
  public:
    Bridge(vuc_ctx *ctx, BarMap &bars, unsigned lanes, uint16_t device_bdf);
    ~Bridge() override;
    Bridge(const Bridge &) = delete;
    Bridge &operator=(const Bridge &) = delete;

    void set_link(unsigned mps, unsigned mrrs, unsigned rcb) {
        mps_ = mps;
        mrrs_ = mrrs;
        rcb_ = rcb;
    }
    uint16_t device_bdf() const { return device_bdf_; }

    void on_edge(const RtlOut &out, RtlIn &in) override;

    // ---- admission side
    // A client event that is not an arrival (COMPLETED, PROTOCOL).
    void on_event(const vuc_event &ev);
    // The server owes us replies (requests out, not abandoned).
    bool awaits_server() const { return !pending_.empty(); }
    // We owe the server DMA replies (its DMA is going through the RTL).
    bool owes_server() const {
        return !jobs_.empty() || (dma_hooks_ && dma_hooks_->owes_replies());
    }
    std::vector<std::string> awaited() const;
    // Bytes of the server's DMA the bridge holds (taken up or set aside, not
    // yet answered). Admission delivers a DMA command only while they are
    // under kDmaBudget (or none is held), so memory for a DMA is taken when
    // it is served, not when it arrives: a flood costs at most the budget.
    static constexpr uint64_t kDmaBudget = 4ull << 20;
    bool dma_room() const { return dma_bytes_ < kDmaBudget; }
    // The watchdog gave up (or a deadlock was found): forget the replies
    // (the root port's completion timeout answers the host). `why` ends the
    // failure note of each ("before the watchdog").
    void abandon_outstanding(const std::string &why = "before the watchdog");

    // ---- client style (client_style.hpp): Sync sets a DMA command aside,
    // unanswered, while a request of ours awaits its reply, and takes the
    // set-aside commands up in arrival order once none does. Set-aside
    // commands are not owes_server(): nothing of ours is under way for them.
    void set_client_style(ClientStyle s) { style_ = s; }
    bool sets_aside() const { return !set_aside_.empty(); }
    // "DMA_READ #2 main" for each set-aside command, in arrival order.
    std::vector<std::string> set_aside() const;
    // Told (kind "set-aside" or "take-up", what) whenever the sync client
    // sets a command aside or takes one up: the harness logs both.
    using StyleFn = std::function<void(const std::string &kind, const std::string &what)>;
    void on_set_aside(StyleFn fn) { on_set_aside_ = std::move(fn); }
    // Nothing queued for the root port and nothing in flight here.
    bool idle() const;

    // ---- interrupts (bridge_irq.cpp)
    // Creates one eventfd per vector and hands them to the server (blocking
    // SET_IRQS; call with nothing outstanding). 0 or negative errno.
    int setup_irqs(IrqMode mode, unsigned vectors, std::string *error);
    // Takes eventfds the caller handed to the server itself (a switch at run
    // time sends its SET_IRQS as an admitted host command); the old ones
    // are closed.
    void adopt_irqs(IrqMode mode, std::vector<int> fds);
    IrqMode irq_mode() const { return irq_mode_; }
    const std::vector<int> &irq_fds() const { return irq_fds_; }
    std::vector<IrqSignal> read_irq_fds();
    void inject_irq(unsigned vector);
    // INTx handled by the host: Deassert_INTA, then SET_IRQS unmask.
    void intx_ack();
    void set_msi_cap(unsigned offset) { msi_cap_ = offset; }
    void set_msix_table(unsigned bar, uint64_t offset, unsigned vectors);

    // ---- scheduler (sim/sched/scheduler.hpp): asked before a non-posted host
    // request (MemRd, CfgRd0, CfgWr0) goes to the server while the server's
    // DMA exchange is under way (a DMA started since the server was last
    // seen quiescent with none in flight). true sends it now (on a
    // main-socket server: the #279 crossing), false holds it until the
    // exchange is over (end_dma_phase). Requests behind a held one are held
    // too, in order. Posted writes are never held on their own: the DMA's
    // completions would then pass a posted write. Unset: nothing is held.
    void gate_requests(std::function<bool(const tlp::Tlp &)> fn) { gate_ = std::move(fn); }
    // The admission point saw the server quiescent with no DMA in flight:
    // the held requests go out, in order.
    void end_dma_phase();
    // A DMA command of the server arrived (admitted or not yet): its
    // exchange is under way from now on.
    void begin_dma_phase() { dma_phase_ = true; }
    bool holds_requests() const { return !held_.empty(); }

    // ---- scheduler: the completer's choices for a host read's CplDs.
    // "cpl-split": a read whose data spans more than one RCB-aligned piece
    // goes as few CplDs as MPS allows (option 0) or one CplD per RCB block
    // (both legal: completions may be split at RCB-aligned addresses).
    // "cpl-order": a read's completions may pass those of other reads
    // (other tags) still waiting whole in the RX FIFO, back to the last TLP
    // that is not such a completion or has begun (a posted write, a DMA
    // read, an MSI, an error completion: nothing passes those); option 0
    // keeps arrival order. One read's CplDs stay together, in address order.
    // fn(kind, options) returns the option taken; unset: option 0 always.
    using ChooseFn = std::function<size_t(const std::string &, const std::vector<std::string> &)>;
    void choose_completions(ChooseFn fn) { choose_ = std::move(fn); }

    // ---- DMA choices (dma_reply_gate.hpp); nullptr: none. Not owned.
    void set_dma_hooks(DmaHooks *h) { dma_hooks_ = h; }
    // Sends a command of the harness's own (DEVICE_RESET, DMA_UNMAP) now;
    // its reply is awaited like a host request's, an error reply noted.
    void submit_command(const vuc_request &req, const std::string &what);
    // A command whose outcome the caller awaits (a scenario's `reset`,
    // `dma-unmap`, `dma-map`): sent now, its reply admitted like any other,
    // its status kept for take_command_result() instead of noted as a
    // failure. 0 or the negative errno of the send.
    int submit_awaited(const vuc_request &req, const std::string &what, vuc_id *id);
    // The reply's status (0 or a negative errno) once it came; false before.
    // `data`, when given, gets the reply's decoded data (vuc_result::data:
    // a DEVICE_FEATURE's feature data, a MIG_DATA_READ's bytes).
    bool take_command_result(vuc_id id, int *status, std::vector<uint8_t> *data = nullptr);
    // DWs of MemWr TLPs taken from the root port so far (held or sent on).
    uint64_t posted_dws_taken() const { return posted_dws_taken_; }

    // ---- mapped areas (bar_mappings.hpp): a MemRd, or a run of a MemWr's
    // enabled bytes, wholly inside a mapped area of its BAR is served from
    // the mapping, with no message; nullptr (the default) sends every one
    // as a message. Not owned.
    void set_mappings(const BarMappings *m) { mappings_ = m; }
    // Told of every access served from a mapping (for the trace): BAR,
    // offset, the bytes loaded or stored.
    using MappedFn = std::function<void(bool is_write, unsigned bar, uint64_t offset,
                                        const uint8_t *bytes, size_t len)>;
    void on_mapped_access(MappedFn fn) { on_mapped_ = std::move(fn); }

    // Called just before a TLP's request goes to the server (tests use it
    // to make the server misbehave at an exact point).
    void before_request(std::function<void(uint16_t cmd)> fn) { before_request_ = std::move(fn); }

    // ---- posted writes a scenario expects the server to refuse (`write
    // ... -> refused`): the next REGION_WRITE of a MemWr whose first byte
    // is at `addr` that gets an error reply is expected, not a failure.
    void expect_write_refusal(uint64_t addr) { expected_refusals_.push_back(addr); }
    // Expectations no refusal met (the server accepted those writes); they
    // are dropped.
    size_t take_unmet_write_refusals() {
        const size_t n = expected_refusals_.size();
        expected_refusals_.clear();
        return n;
    }

    const BridgeCounters &counters() const { return counters_; }
    // Identical notes collapsed with a count, bounded (failure_notes.hpp).
    std::vector<std::string> failures() const { return failures_.lines(); }
    bool has_failures() const { return !failures_.empty(); }
    void note_failure(std::string what) { failures_.add(std::move(what)); }
    const std::array<uint8_t, 4096> &config_shadow() const { return cfg_shadow_; }

  private:
    enum class Kind { MemRead, MemWrite, CfgRead, CfgWrite, IoRead, IoWrite, HostCmd, AwaitedCmd };
    struct Pending {
        Kind kind;
        tlp::Tlp req;
        unsigned lead = 0;   // config: byte offset of the first enabled byte in the DW
        bool respond = true; // the last piece of a split config write answers it
        std::string what;
    };

    // bridge.cpp
    void take_tx_beat(const tlp::Beat &b);
    void inject_read_completions(const tlp::Tlp &req, const std::vector<uint8_t> &data);
    void dispatch(const tlp::Tlp &t);
    bool hold(const tlp::Tlp &t);
    void inject(const tlp::Tlp &t);
    void complete(vuc_id id);
    void track(vuc_id id, Pending p);

    // bridge_mmio.cpp
    void mmio_read(const tlp::Tlp &t);
    void mmio_write(const tlp::Tlp &t);
    void cfg_read(const tlp::Tlp &t);
    void cfg_write(const tlp::Tlp &t);
    void io_read(const tlp::Tlp &t);
    void io_write(const tlp::Tlp &t);
    void fail_request(const tlp::Tlp &t, tlp::CplStatus st);
    void unsent(const tlp::Tlp &t, int err);
    void finish(const Pending &p, const vuc_result &r);
    void snoop_cfg(unsigned offset, const uint8_t *bytes, size_t n);
    void snoop_msix(unsigned bar, uint64_t offset, const uint8_t *bytes, size_t n);
    bool mapped_read(const tlp::Tlp &t, const BarHit &hit, uint32_t bytes);
    bool mapped_write(const BarHit &hit, const uint8_t *bytes, size_t len);

    // bridge_dma.cpp
    static int dma_trampoline(void *opaque, vuc_dma_op *op);
    int start_dma(vuc_dma_op *op);
    int take_up_dma(vuc_dma_op *op);
    void complete_dma(vuc_dma_op *op, int err);
    void take_up_set_aside();
    void issue_reads();
    void dma_completion(const tlp::Tlp &t);
    void finish_piece(uint64_t job, int err);
    void host_write_done(uint64_t dw_addr, unsigned len_dw, bool err);
    // The fabric dropped that burst (claimed by no port): the DMA piece is
    // done as PCIe's posted write is for its sender, no bytes counted.
    void host_write_dropped(uint64_t dw_addr, unsigned len_dw);
    // Whether host_write_done(dw_addr, len_dw) is the write this bridge
    // waits for next (several bridges share the host's memory port).
    bool expects_host_write(uint64_t dw_addr, unsigned len_dw) const;
    // Several devices (issue 20): the other devices' memory BARs, [base,
    // base+size). A DMA write piece into one is a peer-to-peer MemWr, done
    // when its TLP is posted into the fabric (sent), as a posted write is
    // for its sender; host memory never sees it.
    void set_peer_windows(std::vector<std::pair<uint64_t, uint64_t>> w) {
        peer_windows_ = std::move(w);
    }
    // The root port's requester ID: the gate (gate_requests) holds only
    // the host's requests, never a peer device's.
    void set_host_requester(uint16_t id) { host_requester_ = id; }
    // TLPs waiting to go out to the root port or the fabric.
    bool sending() const { return !rx_.empty(); }
    // The addresses of this device's DMA reads into peers' BARs still
    // waiting for their completions.
    std::vector<uint64_t> peer_reads() const;
    // A deadlock across servers (the harness found one): each DMA read into
    // a peer's BAR still waiting ends as a completion timeout would end it
    // in hardware: its DMA fails with `err`. Completions arriving for those
    // tags later are dropped (counted in late_peer_completions). Returns
    // how many reads it ended.
    size_t time_out_peer_reads(int err);
    friend class Harness;

    vuc_ctx *ctx_;
    BarMap &bars_;
    unsigned lanes_;
    uint16_t device_bdf_;
    unsigned mps_ = 128, mrrs_ = 512, rcb_ = 64;
    tlp::BeatAssembler tx_asm_;
    // The RX FIFO: whole TLPs (a host read's CplDs as one entry), beats
    // made one at a time from the front as the root port takes them.
    struct RxEntry {
        explicit RxEntry(unsigned width_bits) : beats(width_bits) {}
        tlp::BeatQueue beats;
        bool read_cpl = false; // a successful host read's CplDs (may be passed)
        uint8_t tag = 0;
        // A DMA write piece into a peer's BAR: done when posted (sent).
        bool peer_write = false;
        uint64_t job = 0, bytes = 0;
    };
    std::deque<RxEntry> rx_;
    size_t rx_beats_ = 0; // beats not yet taken by the root port
    ChooseFn choose_;
    std::map<vuc_id, Pending> pending_;
    std::function<void(uint16_t)> before_request_;
    const BarMappings *mappings_ = nullptr;
    MappedFn on_mapped_;
    std::function<bool(const tlp::Tlp &)> gate_;
    std::deque<tlp::Tlp> held_;
    bool dma_phase_ = false;
    DmaHooks *dma_hooks_ = nullptr;
    BridgeCounters counters_;
    FailureNotes failures_;
    std::vector<uint64_t> expected_refusals_; // first-byte addresses
    struct CommandResult {
        int status;
        std::vector<uint8_t> data;
    };
    std::map<vuc_id, CommandResult> command_results_; // of AwaitedCmd, until taken
    uint64_t posted_dws_taken_ = 0;
    bool refusal_expected(const tlp::Tlp &t);

    // DMA
    struct DmaJob {
        vuc_dma_op *op;
        uint64_t pieces_left;
        int err;
    };
    struct ReadPiece {
        uint64_t job;
        uint64_t addr;
        uint32_t bytes;
        uint64_t offset; // into op->data
        size_t got;      // bytes its completions carried so far
    };
    void take_read_data(ReadPiece &p, const std::vector<uint8_t> &payload);
    struct ExpectedWrite {
        uint64_t job;
        uint64_t dw_addr;
        unsigned len_dw;
        uint32_t bytes; // of the DMA's data, for the moved-bytes counter
    };
    std::map<uint64_t, DmaJob> jobs_;
    uint64_t dma_bytes_ = 0; // of jobs_ and set_aside_ (dma_room)
    uint64_t next_job_ = 0;
    std::deque<ReadPiece> read_queue_;
    std::map<uint8_t, ReadPiece> tags_;
    std::deque<uint8_t> free_tags_;
    std::deque<ExpectedWrite> expected_writes_;
    std::vector<std::pair<uint64_t, uint64_t>> peer_windows_;
    std::set<uint8_t> timed_out_tags_; // held until their late completion comes
    uint16_t host_requester_ = 0x0000;
    bool in_peer_window(uint64_t addr) const;
    ClientStyle style_ = ClientStyle::Async;
    std::deque<vuc_dma_op *> set_aside_;
    StyleFn on_set_aside_;

    // Interrupts and the host's programming of them (shadowed, never read
    // back from the server).
    IrqMode irq_mode_ = IrqMode::None;
    std::vector<int> irq_fds_;
    unsigned msi_cap_ = 0;
    unsigned msix_bar_ = 0;
    uint64_t msix_offset_ = 0;
    unsigned msix_vectors_ = 0;
    std::vector<uint8_t> msix_shadow_;
    std::array<uint8_t, 4096> cfg_shadow_{};
};

} // namespace rcsim
