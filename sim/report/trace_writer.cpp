#include "trace_writer.hpp"

#include "admission.hpp"
#include "harness.hpp"
#include "tlp.hpp"
#include "tlp_beats.hpp"
#include "tlp_labels.hpp"

#include <cerrno>
#include <cstring>

namespace rcsim {

namespace {

// One JSON object on one line. Keys are ours (no escaping needed); string
// values may come from the peer (decision labels) and are escaped.
class JsonLine {
  public:
    JsonLine &num(const char *key, uint64_t v) { return raw(key, std::to_string(v)); }
    JsonLine &hex(const char *key, uint64_t v) {
        char b[24];
        snprintf(b, sizeof b, "\"0x%llx\"", static_cast<unsigned long long>(v));
        return raw(key, b);
    }
    JsonLine &str(const char *key, const std::string &v) { return raw(key, quote(v)); }
    JsonLine &boolean(const char *key, bool v) { return raw(key, v ? "true" : "false"); }
    JsonLine &digest(const char *key, const void *data, size_t len) {
        return str(key, digest_hex(fnv1a64(data, len)));
    }
    JsonLine &strings(const char *key, const std::vector<std::string> &v) {
        std::string a = "[";
        for (size_t i = 0; i < v.size(); ++i)
            a += (i ? "," : "") + quote(v[i]);
        return raw(key, a + "]");
    }
    std::string done() const { return body_ + "}"; }

  private:
    JsonLine &raw(const char *key, const std::string &v) {
        body_ += (body_.size() > 1 ? ",\"" : "\"") + std::string(key) + "\":" + v;
        return *this;
    }
    static std::string quote(const std::string &s) {
        std::string q = "\"";
        for (unsigned char c : s) {
            if (c == '"' || c == '\\') {
                q += '\\';
                q += char(c);
            } else if (c < 0x20) {
                char b[8];
                snprintf(b, sizeof b, "\\u%04x", c);
                q += b;
            } else {
                q += char(c);
            }
        }
        return q + "\"";
    }
    std::string body_ = "{";
};

const char *sock_name(enum vuc_sock s) {
    return vuc_sock_name(s);
}

bool is_access_cmd(uint16_t cmd) {
    return cmd == VU_CMD_REGION_READ || cmd == VU_CMD_REGION_WRITE || cmd == VU_CMD_DMA_READ ||
           cmd == VU_CMD_DMA_WRITE;
}

std::vector<uint8_t> dw_bytes(const uint32_t *dws, size_t n) {
    std::vector<uint8_t> b;
    b.reserve(n * 4);
    for (size_t i = 0; i < n; ++i)
        for (unsigned k = 0; k < 4; ++k)
            b.push_back(uint8_t(dws[i] >> (8 * k)));
    return b;
}

} // namespace

struct TraceWriter::TlpStream {
    explicit TlpStream(unsigned width) : assembler(width) {}
    tlp::BeatAssembler assembler;
    uint64_t start_ps = 0, start_cycle = 0;
    // The header DWs seen so far while its label waits for them (a 64-bit
    // port takes two beats for a header).
    uint32_t header[4] = {0, 0, 0, 0};
    unsigned header_dws = 0;
    bool header_pending = false;
};

TraceWriter::TraceWriter(FILE *f, std::string path) : file_(f), path_(std::move(path)) {
    down_ = std::make_unique<TlpStream>(HarnessTop::kDataWidth);
    up_ = std::make_unique<TlpStream>(HarnessTop::kDataWidth);
}

std::unique_ptr<TraceWriter> TraceWriter::open(const std::string &path, std::string *error) {
    FILE *f = fopen(path.c_str(), "w");
    if (!f) {
        *error = "cannot create trace " + path + ": " + strerror(errno);
        return nullptr;
    }
    std::unique_ptr<TraceWriter> w(new TraceWriter(f, path));
    w->write_line(JsonLine()
                      .str("kind", "header")
                      .num("format", 1)
                      .str("rcsim_version", rcsim_version())
                      .num("period_ps", HarnessTop::kPeriodPs)
                      .num("data_w", HarnessTop::kDataWidth)
                      .done());
    return w;
}

TraceWriter::~TraceWriter() {
    std::string ignored;
    close(&ignored);
}

void TraceWriter::attach(Harness &h) {
    detach();
    harness_ = &h;
    set_labels(labels_);
    h.set_observer(this);
}

void TraceWriter::set_labels(bool on) {
    labels_ = on;
    labelling_ = on && harness_ && !harness_->config().fst_path.empty();
}

void TraceWriter::detach() {
    if (harness_)
        harness_->set_observer(nullptr);
    harness_ = nullptr;
}

int TraceWriter::close(std::string *error) {
    detach();
    if (!file_)
        return 0;
    const int rc = fclose(file_);
    file_ = nullptr;
    if (rc != 0 && error_.empty())
        error_ = "closing trace " + path_ + ": " + strerror(errno);
    if (!error_.empty()) {
        *error = error_;
        return -EIO;
    }
    return 0;
}

std::string TraceWriter::summary() const {
    const TraceCounters &c = counters_;
    return "trace " + path_ + ": " + std::to_string(c.records) + " records (" +
           std::to_string(c.messages) + " messages: " + std::to_string(c.messages_main) +
           " main, " + std::to_string(c.messages_twin) + " twin" +
           (c.messages_map ? ", " + std::to_string(c.messages_map) + " map sockets" : "") + "; " +
           std::to_string(c.tlps_down + c.tlps_up) + " TLPs: " + std::to_string(c.tlps_down) +
           " down, " + std::to_string(c.tlps_up) + " up; " +
           (c.hops ? std::to_string(c.hops) + " fabric hops; " : "") + std::to_string(c.decisions) +
           " decisions; " + std::to_string(c.irqs) + " interrupts)";
}

void TraceWriter::write_line(const std::string &json) {
    if (!file_)
        return;
    if (fputs(json.c_str(), file_) == EOF || fputc('\n', file_) == EOF) {
        ++counters_.write_errors;
        if (error_.empty())
            error_ = "writing trace " + path_ + ": " + strerror(errno);
        return;
    }
    ++counters_.records;
}

// Every record starts with its kind and the simulated time it happened at.
std::string TraceWriter::stamp(const char *kind) const {
    JsonLine j;
    j.str("kind", kind);
    j.num("t_ps", harness_ ? harness_->top().time_ps() : 0);
    j.num("cycle", harness_ ? harness_->cycles() : 0);
    std::string s = j.done();
    s.pop_back(); // reopen the object for the caller's fields
    return s;
}

// ------------------------------------------------------------ messages

void TraceWriter::on_message(enum vuc_sock sock, bool from_client, const struct vu_hdr &hdr,
                             const uint8_t *payload, size_t payload_len, unsigned nfds) {
    const bool reply = (hdr.flags & VU_F_TYPE_MASK) == VU_F_TYPE_REPLY;
    JsonLine j;
    // Several devices: whose message (absent with one, so its traces stay
    // as they were).
    if (harness_ && !harness_->message_device().empty())
        j.str("dev", harness_->message_device());
    j.str("sock", sock_name(sock))
        .str("dir", from_client ? "c2s" : "s2c")
        .str("cmd", command_name(hdr.cmd))
        .num("cmd_num", hdr.cmd)
        .num("msg_id", hdr.msg_id)
        .str("type", reply ? "reply" : "command")
        .num("flags", hdr.flags)
        .num("msg_size", hdr.msg_size)
        .num("nfds", nfds)
        .num("payload_len", payload_len)
        .digest("payload_fnv1a", payload, payload_len);
    if (hdr.flags & VU_F_ERROR)
        j.num("error_no", hdr.error_no);
    Annotation a{uint8_t(from_client ? 1 : 2), uint8_t(sock), hdr.cmd, hdr.msg_id, 0, hdr.msg_size};
    if (is_access_cmd(hdr.cmd) && payload_len >= 16) {
        uint64_t where = 0, count = 0;
        memcpy(&where, payload, 8);
        if (hdr.cmd == VU_CMD_REGION_READ || hdr.cmd == VU_CMD_REGION_WRITE) {
            uint32_t region = 0, c32 = 0;
            memcpy(&region, payload + 8, 4);
            memcpy(&c32, payload + 12, 4);
            count = c32;
            j.num("region", region).hex("offset", where);
        } else {
            memcpy(&count, payload + 8, 8);
            j.hex("addr", where);
        }
        j.num("count", count);
        // The bytes carried after the access header (REGION_WRITE and
        // DMA_WRITE commands, REGION_READ and DMA_READ replies).
        j.num("data_len", payload_len - 16).digest("data_fnv1a", payload + 16, payload_len - 16);
        a.addr = where;
        a.len = uint32_t(count);
    }
    std::string line = stamp("msg");
    line += "," + j.done().substr(1);
    write_line(line);
    ++counters_.messages;
    ++(sock == VUC_SOCK_MAIN   ? counters_.messages_main
       : sock == VUC_SOCK_TWIN ? counters_.messages_twin
                               : counters_.messages_map);

    // Annotation: a command stays "in flight" until its reply; when the
    // last reply is seen the ports fall back to "none".
    const auto key =
        std::make_pair(int(sock) * 2 + (reply ? !from_client : from_client), hdr.msg_id);
    ann_queue_.push_back(a);
    if (!reply && !(hdr.flags & VU_F_NO_REPLY))
        open_cmds_[key] = a;
    if (reply) {
        open_cmds_.erase(key);
        if (open_cmds_.empty())
            ann_queue_.push_back(Annotation{0, 0, 0, 0, 0, 0});
    }
}

// ------------------------------------------------------------ enumeration

namespace {
const char *bar_kind(const Bar &b) {
    if (b.io)
        return "io";
    if (b.is64)
        return b.prefetchable ? "mem64-prefetchable" : "mem64";
    return b.prefetchable ? "mem32-prefetchable" : "mem32";
}
} // namespace

void TraceWriter::on_enumerated(const Enumeration &e) {
    auto record = [this](const std::string &name, const char *kind, const Bar &b) {
        JsonLine j;
        j.str("bar", name).str("type", kind).hex("base", b.base).hex("size", b.size);
        std::string line = stamp("bar");
        line += "," + j.done().substr(1);
        write_line(line);
    };
    for (unsigned i = 0; i < e.bars.size(); ++i)
        if (e.bars[i].present)
            record("bar" + std::to_string(i), bar_kind(e.bars[i]), e.bars[i]);
    if (e.rom.present)
        record("rom", "rom", e.rom);
}

// ------------------------------------------------------------ mapped areas

// A load or store the bridge served from a mapped BAR area: no message
// carries it, so this record (and the annotation, direction 3 "mapping",
// with the command it stands in for and id 0) is how a reader sees it.
void TraceWriter::on_mapped_access(bool is_write, unsigned bar, uint64_t offset,
                                   const uint8_t *bytes, size_t len) {
    JsonLine j;
    j.str("op", is_write ? "store" : "load")
        .num("bar", bar)
        .hex("offset", offset)
        .num("len", len)
        .digest("data_fnv1a", bytes, len);
    std::string line = stamp("mapped");
    line += "," + j.done().substr(1);
    write_line(line);
    ++counters_.mapped;
    // Shown for one edge, then back to what was showing (a command in
    // flight, or none).
    const Annotation before = ann_queue_.empty() ? shown_ : ann_queue_.back();
    const uint16_t cmd = is_write ? VU_CMD_REGION_WRITE : VU_CMD_REGION_READ;
    ann_queue_.push_back(Annotation{3, 0, cmd, 0, offset, uint32_t(len)});
    ann_queue_.push_back(before);
}

// ------------------------------------------------------------ decisions

void TraceWriter::on_decision(const Decision &d) {
    JsonLine j;
    j.str("kind", "decision")
        .num("t_ps", d.sim_time_ps)
        .num("cycle", harness_ ? harness_->cycles() : 0)
        .num("index", d.index)
        .str("decision", d.kind)
        .str("chosen", d.chosen)
        .strings("options", d.options);
    write_line(j.done());
    ++counters_.decisions;
    decision_queue_.push_back(uint32_t(d.index));
}

// ------------------------------------------------------------ pins

void TraceWriter::on_edge(const RtlOut &out, RtlIn &in) {
    const bool down = in.tx_ready && out.tx_valid, up = in.rx_valid && out.rx_ready;
    if (labelling_) { // before take_tlp_beat: the stream still says if a TLP starts
        label_tlp(in, in.ann_tx_tlp, *down_, down ? &out.tx : nullptr);
        label_tlp(in, in.ann_rx_tlp, *up_, up ? &in.rx : nullptr);
    }
    if (down)
        take_tlp_beat(true, out.tx);
    if (up)
        take_tlp_beat(false, in.rx);
    watch_host_port(out, in);
    watch_interrupts(out, in);
    annotate(in);
    if (!hop_labels_.empty()) {
        set_label(in, in.ann_fabric_tlp, hop_labels_.front());
        hop_labels_.pop_front();
    }
}

namespace {
// A TLP's decoded fields, the same in a `tlp` record and a `hop` record.
void tlp_fields(JsonLine &j, const tlp::Tlp &t) {
    j.str("type", tlp::type_name(t.type)).num("len_dw", t.length_dws());
    if (t.is_completion()) {
        j.hex("completer_id", t.completer_id)
            .num("status", unsigned(t.status))
            .num("byte_count", t.byte_count)
            .hex("lower_addr", t.lower_address);
    } else if (t.is_message()) {
        j.hex("msg_code", t.msg_code);
    } else if (t.type == tlp::TlpType::CfgRd0 || t.type == tlp::TlpType::CfgWr0) {
        j.hex("dest_id", t.dest_id).hex("reg_offset", uint64_t(t.register_number) * 4);
    } else {
        j.hex("addr", t.address);
    }
    j.hex("requester_id", t.requester_id).num("tag", t.tag);
    if (!t.is_completion() && !t.is_message())
        j.hex("first_be", t.first_be).hex("last_be", t.last_be);
    if (t.ep)
        j.boolean("poisoned", true);
    j.num("payload_len", t.payload.size())
        .digest("payload_fnv1a", t.payload.data(), t.payload.size());
}
} // namespace

void TraceWriter::take_tlp_beat(bool down, const tlp::Beat &b) {
    TlpStream &s = down ? *down_ : *up_;
    if (b.sop || !s.assembler.in_tlp()) {
        s.start_ps = harness_ ? harness_->top().time_ps() : 0;
        s.start_cycle = harness_ ? harness_->cycles() : 0;
    }
    const std::optional<tlp::Decoded> r = s.assembler.push(b);
    if (!r)
        return;
    std::string line = stamp("tlp");
    JsonLine j;
    j.str("dir", down ? "down" : "up")
        .num("start_ps", s.start_ps)
        .num("start_cycle", s.start_cycle);
    const std::vector<uint32_t> &dws = s.assembler.last_dws();
    j.num("dws", dws.size()).digest("dws_fnv1a", dws.data(), dws.size() * 4);
    ++(down ? counters_.tlps_down : counters_.tlps_up);
    if (!r->ok()) {
        ++counters_.tlps_undecodable;
        j.str("error", r->error);
        write_line(line + "," + j.done().substr(1));
        return;
    }
    tlp_fields(j, *r->tlp);
    write_line(line + "," + j.done().substr(1));
}

// ------------------------------------------------------------ fabric hops

// Several devices (issue 20): the TLP a port of the fabric gave up on this
// edge. Its label waits for the next edge (the hop comes after this edge's
// on_edge), one hop per edge so hops of the same edge each show.
void TraceWriter::on_fabric_hop(const tlp::Tlp &t, const std::string &hop) {
    JsonLine j;
    j.str("port", hop);
    tlp_fields(j, t);
    write_line(stamp("hop") + "," + j.done().substr(1));
    ++counters_.hops;
    if (labelling_)
        hop_labels_.push_back(fabric_hop_label(hop, t));
}

// ------------------------------------------------------------ labels

// Labels change only here, one string per TLP or host transfer; the model
// copies the label ports only when the generation moved.
void TraceWriter::set_label(RtlIn &in, Label &slot, Label next) {
    flip_last_if_same(slot, next);
    slot = next;
    ++in.ann_labels_gen;
}

// A TLP's label is written on the edge that takes its first beat (or the
// beat that completes its header) and held until the next TLP's: no clear,
// so a TLP costs the FST one value change and its label spans the idle
// time after it, wide enough in the waves to be read whole.
void TraceWriter::label_tlp(RtlIn &in, Label &slot, TlpStream &s, const tlp::Beat *b) {
    if (!b)
        return;
    if (b->sop || !s.assembler.in_tlp()) {
        s.header_dws = 0;
        s.header_pending = true;
    }
    if (!s.header_pending)
        return;
    for (unsigned k = 0; k < HarnessTop::kLanes && s.header_dws < 4; ++k)
        if (b->keep & (1u << k))
            s.header[s.header_dws++] = b->lanes[k];
    const unsigned want = (s.header[0] >> 29) & 1 ? 4 : 3; // fmt bit 0: 4 DW header
    if (s.header_dws < want && !b->eop)
        return;
    s.header_pending = false;
    const tlp::Decoded d = tlp::decode_header(s.header, s.header_dws);
    set_label(in, slot, d.ok() ? tlp_label(*d.tlp) : undecodable_tlp_label(s.header[0]));
}

// ------------------------------------------------------------ host port

// A host request's label shows from the edge that takes it, a response's
// from the edge that takes its last beat (its byte count known), each held
// until the next request or response (as the TLP labels are).
void TraceWriter::watch_host_port(const RtlOut &out, RtlIn &in) {
    const bool req = in.hreq_valid && out.hreq_ready;
    if (req) {
        JsonLine j;
        j.str("op", host_op_name(in.hreq_op)).num("id", in.hreq_id);
        if (in.hreq_op == HostOp::CfgRd || in.hreq_op == HostOp::CfgWr)
            j.hex("bdf", in.hreq_cfg_bdf).hex("reg_offset", uint64_t(in.hreq_cfg_reg) * 4);
        else
            j.hex("addr", in.hreq_addr);
        j.num("len_dw", in.hreq_len_dw).hex("first_be", in.hreq_first_be);
        write_line(stamp("host_req") + "," + j.done().substr(1));
        ++counters_.host_requests;
    }
    if (labelling_ && req)
        set_label(in, in.ann_host_req, host_request_label(in));
    watch_host_response(out, in);
}

// Writes a response's record (and label) on the edge that completes it.
void TraceWriter::watch_host_response(const RtlOut &out, RtlIn &in) {
    if (!(out.hrsp_valid && in.hrsp_ready))
        return;
    if (out.hrsp_sop) {
        hrsp_open_ = true;
        hrsp_dws_.clear();
    }
    for (unsigned k = 0; k < HarnessTop::kLanes; ++k)
        if (out.hrsp_keep & (1u << k))
            hrsp_dws_.push_back(out.hrsp_data[k]);
    if (!out.hrsp_eop || !hrsp_open_)
        return;
    hrsp_open_ = false;
    const std::vector<uint8_t> bytes = dw_bytes(hrsp_dws_.data(), hrsp_dws_.size());
    const HostStatus status = HostStatus(out.hrsp_status);
    JsonLine j;
    j.num("id", out.hrsp_id)
        .str("status", to_string(status))
        .num("data_len", bytes.size())
        .digest("data_fnv1a", bytes.data(), bytes.size());
    write_line(stamp("host_rsp") + "," + j.done().substr(1));
    ++counters_.host_responses;
    if (labelling_)
        set_label(in, in.ann_host_rsp, host_response_label(out.hrsp_id, status, bytes.size()));
}

void TraceWriter::watch_interrupts(const RtlOut &out, const RtlIn &in) {
    if (out.irq_valid && in.irq_ready) {
        JsonLine j;
        j.str("type", "msi").hex("addr", out.irq_addr).hex("data", out.irq_data);
        write_line(stamp("irq") + "," + j.done().substr(1));
        ++counters_.irqs;
    }
    if (out.intx != intx_) {
        JsonLine j;
        j.str("type", "intx").hex("level", out.intx).hex("previous", intx_);
        write_line(stamp("irq") + "," + j.done().substr(1));
        intx_ = out.intx;
        ++counters_.irqs;
    }
}

// One queued message and one queued decision per edge, so each one is
// visible in the waveform.
void TraceWriter::annotate(RtlIn &in) {
    if (!decision_queue_.empty()) {
        decision_shown_ = decision_queue_.front();
        decision_queue_.pop_front();
    }
    in.ann_decision = decision_shown_;
    if (!ann_queue_.empty()) {
        shown_ = ann_queue_.front();
        ann_queue_.pop_front();
    }
    in.ann_msg_dir = shown_.dir;
    in.ann_msg_sock = shown_.sock;
    in.ann_msg_cmd = shown_.cmd;
    in.ann_msg_id = shown_.id;
    in.ann_msg_addr = shown_.addr;
    in.ann_msg_len = shown_.len;
}

} // namespace rcsim
