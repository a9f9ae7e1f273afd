// The JSONL trace of a harness run: one record per line for every vfio-user
// message (both sockets), every TLP on the link (both ways), every host port
// request and response, every interrupt and every admission decision, each
// stamped with simulated time and carrying FNV-1a digests of its payload.
// Record fields are documented in sim/report/README.md ("The JSONL trace").
//
// While attached, the writer also drives the wrapper's message annotation
// ports (ann_msg_*) for the FST: each message is shown for at least one
// clock edge, in wire order, so messages read at the same simulated time
// (sim time stands still at an admission point) follow each other one edge
// apart instead of only the last one being visible. The decision index
// (ann_decision) is queued the same way. With an FST open it also writes a
// text label per TLP each way, host request and host response into the
// label ports (ann_tx_tlp, ann_rx_tlp, ann_host_req, ann_host_rsp; grammar
// in tlp_labels.hpp) and, with several devices, one per fabric hop
// (ann_fabric_tlp): set on the edge that takes a TLP's first beat (a host
// response's last), so it shows from half a period after the record's
// start_ps (t_ps), and held until the next one on that port.
//
// Use: open(), then attach() right after Harness::create() (before
// start_server()/connect(), so the setup messages are traced too). The
// writer must outlive the harness or be detached before the harness goes.
#pragma once

#include "harness_observer.hpp"

#include <cstdint>
#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace rcsim {

class Harness;
struct Enumeration;

struct TraceCounters {
    uint64_t records = 0; // lines written, header included
    uint64_t messages = 0, messages_main = 0, messages_twin = 0, messages_map = 0;
    uint64_t tlps_down = 0, tlps_up = 0, tlps_undecodable = 0;
    uint64_t host_requests = 0, host_responses = 0;
    uint64_t irqs = 0, decisions = 0;
    uint64_t mapped = 0;       // loads and stores served from a mapped BAR area
    uint64_t hops = 0;         // TLPs leaving a port of the fabric (several devices)
    uint64_t write_errors = 0; // records lost to a failing write (first errno in error())
};

class TraceWriter : public HarnessObserver {
  public:
    // Creates (truncates) `path` and writes the header line. nullptr with
    // `error` set if the file cannot be created.
    static std::unique_ptr<TraceWriter> open(const std::string &path, std::string *error);
    ~TraceWriter() override;
    TraceWriter(const TraceWriter &) = delete;
    TraceWriter &operator=(const TraceWriter &) = delete;

    // Hooks into the harness: from now on every event is written.
    void attach(Harness &h);
    // Unhooks (the harness keeps running untraced). Idempotent.
    void detach();
    // Flushes and closes the file (detaches first). 0 or negative errno.
    int close(std::string *error);

    const TraceCounters &counters() const { return counters_; }
    const std::string &path() const { return path_; }
    // The first write error, empty if none.
    const std::string &error() const { return error_; }
    // Label ports on (the default) or off; they are written only while the
    // harness writes an FST. Off is for measuring what they cost.
    void set_labels(bool on);
    // One line for a run summary: "trace: N records (M messages, ...)".
    std::string summary() const;

    // HarnessObserver
    void on_message(enum vuc_sock sock, bool from_client, const struct vu_hdr &hdr,
                    const uint8_t *payload, size_t payload_len, unsigned nfds) override;
    void on_edge(const RtlOut &out, RtlIn &in) override;
    void on_decision(const Decision &d) override;
    void on_mapped_access(bool is_write, unsigned bar, uint64_t offset, const uint8_t *bytes,
                          size_t len) override;
    // Several devices: one `hop` record per TLP leaving a fabric port, and
    // its label on ann_fabric_tlp (from the next edge, one hop per edge).
    void on_fabric_hop(const tlp::Tlp &t, const std::string &hop) override;
    // One `bar` record per BAR enumeration assigned (and the ROM): its kind
    // (io, mem32, mem64, prefetchable), base and size, so a reader of the
    // trace knows what the addresses of the TLPs that follow decode to.
    void on_enumerated(const Enumeration &e);

  private:
    TraceWriter(FILE *f, std::string path);
    struct TlpStream;
    struct Annotation {
        uint8_t dir, sock;
        uint16_t cmd, id;
        uint64_t addr;
        uint32_t len;
    };
    void write_line(const std::string &json);
    std::string stamp(const char *kind) const;
    void take_tlp_beat(bool down, const tlp::Beat &b);
    void label_tlp(RtlIn &in, Label &slot, TlpStream &s, const tlp::Beat *b);
    void watch_host_port(const RtlOut &out, RtlIn &in);
    void watch_host_response(const RtlOut &out, RtlIn &in);
    void set_label(RtlIn &in, Label &slot, Label next);
    void watch_interrupts(const RtlOut &out, const RtlIn &in);
    void annotate(RtlIn &in);

    FILE *file_;
    std::string path_, error_;
    Harness *harness_ = nullptr;
    TraceCounters counters_;
    std::unique_ptr<TlpStream> down_, up_;
    uint8_t intx_ = 0;
    bool hrsp_open_ = false;
    std::vector<uint32_t> hrsp_dws_;
    // Commands awaiting their reply, by (socket, msg id): address and length
    // for the reply's annotation.
    std::map<std::pair<int, uint16_t>, Annotation> open_cmds_;
    std::deque<Annotation> ann_queue_;
    Annotation shown_{0, 0, 0, 0, 0, 0};
    std::deque<uint32_t> decision_queue_;
    uint32_t decision_shown_ = 0;
    std::deque<Label> hop_labels_; // fabric hop labels waiting for an edge
    bool labels_ = true;
    bool labelling_ = false; // labels_ and the harness writes an FST
};

} // namespace rcsim
