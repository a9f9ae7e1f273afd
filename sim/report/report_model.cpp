#include "report_model.hpp"

#include <cstdio>
#include <map>
#include <tuple>

namespace rcsim {

namespace {

constexpr uint64_t kNoReplyFlag = 0x10; // vfio-user header flags: no reply wanted

bool starts_with(const std::string &s, const char *p) {
    return s.rfind(p, 0) == 0;
}

class ModelBuilder {
  public:
    explicit ModelBuilder(const std::vector<TraceRecord> &recs) : recs_(recs) {}
    ReportModel build();

  private:
    size_t add_row(RowKind kind, size_t rec) {
        ReportRow r;
        r.kind = kind;
        r.record = rec;
        m_.rows.push_back(r);
        return m_.rows.size() - 1;
    }
    void fold(size_t row, size_t rec) { m_.rows[row].folded.push_back(rec); }
    void take_pending(size_t row);
    void message(size_t rec);
    void tlp(size_t rec);
    void host_rsp(size_t rec);
    void decision(size_t rec);
    void fold_into_latest(size_t rec) {
        if (m_.rows.empty())
            pending_.push_back(rec);
        else
            fold(m_.rows.size() - 1, rec);
    }
    void findings();

    const std::vector<TraceRecord> &recs_;
    ReportModel m_;
    std::vector<size_t> pending_; // records waiting for the command they become
    std::map<std::pair<bool, uint64_t>, size_t> tag_row_; // (request went down, tag) -> row
    std::map<uint64_t, size_t> host_row_;                 // host request id -> row
    // Unanswered commands: (main socket, sent by the client, id) -> row.
    std::map<std::tuple<std::string, bool, uint64_t>, size_t> open_;
    long last_dma_row_ = -1;
};

void ModelBuilder::take_pending(size_t row) {
    for (size_t rec : pending_) {
        const TraceRecord &r = recs_[rec];
        fold(row, rec);
        if (r.kind == "tlp")
            tag_row_[{r.get("dir") == "down", r.number("tag")}] = row;
        if (r.kind == "host_req")
            host_row_[r.number("id")] = row;
    }
    pending_.clear();
}

void ModelBuilder::message(size_t rec) {
    const TraceRecord &r = recs_[rec];
    const size_t row = add_row(RowKind::Message, rec);
    ReportRow &x = m_.rows[row];
    x.sock = r.get("sock").empty() ? "main" : r.get("sock");
    x.main_socket = x.sock == "main";
    x.dev = r.get("dev");
    // Several devices: each has its own sockets, ids pair per device.
    const std::string sock = x.dev.empty() ? x.sock : x.dev + "/" + x.sock;
    x.from_client = r.get("dir") != "s2c";
    x.reply = r.get("type") == "reply";
    ++m_.messages;
    const uint64_t id = r.number("msg_id");
    if (x.reply) {
        auto it = open_.find({sock, !x.from_client, id});
        if (it == open_.end()) {
            x.misread = true;
            ++m_.misreads;
            return;
        }
        x.partner = long(it->second);
        m_.rows[it->second].partner = long(row);
        open_.erase(it);
        return;
    }
    if (x.from_client)
        take_pending(row);
    else if (starts_with(r.get("cmd"), "DMA_"))
        last_dma_row_ = long(row);
    // A command sent while the other side's command on this socket waits for
    // its reply. The server waiting for a DMA reply reads the client's
    // command where it expects the reply (a crossing); the client serves a
    // server's command inside its own (nested; --client async does).
    for (const auto &[key, open_row] : open_)
        if (std::get<0>(key) == sock && std::get<1>(key) != x.from_client)
            m_.rows[row].crossed_row = long(open_row);
    if (m_.rows[row].crossed_row >= 0) {
        m_.rows[row].crossing = x.from_client;
        ++(x.from_client ? m_.crossings : m_.nested);
    }
    if (!(r.number("flags") & kNoReplyFlag))
        open_[{sock, x.from_client, id}] = row;
}

void ModelBuilder::tlp(size_t rec) {
    const TraceRecord &r = recs_[rec];
    const bool down = r.get("dir") == "down";
    const std::string &type = r.get("type");
    if (starts_with(type, "Cpl")) { // its request went the other way
        auto it = tag_row_.find({!down, r.number("tag")});
        if (it != tag_row_.end())
            fold(it->second, rec);
        else
            pending_.push_back(rec); // its request is still waiting too
        return;
    }
    if (down) {
        pending_.push_back(rec);
        return;
    }
    if (last_dma_row_ >= 0) {
        fold(size_t(last_dma_row_), rec);
        tag_row_[{false, r.number("tag")}] = size_t(last_dma_row_);
        return;
    }
    fold_into_latest(rec);
}

void ModelBuilder::host_rsp(size_t rec) {
    auto it = host_row_.find(recs_[rec].number("id"));
    if (it != host_row_.end()) {
        fold(it->second, rec);
        return;
    }
    pending_.push_back(rec);
}

void ModelBuilder::decision(size_t rec) {
    const TraceRecord &r = recs_[rec];
    const size_t row = add_row(RowKind::Decision, rec);
    ++m_.decisions;
    // A "silent" decision's options name what was awaited, not choices.
    const std::string &chosen = r.get("chosen");
    bool offered = false;
    for (const std::string &o : r.options)
        offered = offered || o == chosen;
    if (offered && chosen != r.options[0]) {
        m_.rows[row].deviation = true;
        ++m_.deviations;
    }
}

ReportModel ModelBuilder::build() {
    for (size_t i = 0; i < recs_.size(); ++i) {
        const std::string &k = recs_[i].kind;
        if (k == "msg")
            message(i);
        else if (k == "tlp")
            tlp(i);
        else if (k == "host_req")
            pending_.push_back(i);
        else if (k == "host_rsp")
            host_rsp(i);
        else if (k == "decision")
            decision(i);
        else if (k == "irq") {
            add_row(RowKind::Irq, i);
            ++m_.interrupts;
        } else if (k == "mapped") {
            take_pending(add_row(RowKind::Mapped, i));
        } else if (k == "hop") { // several devices: under the latest row
            fold_into_latest(i);
        }
        // header, bar and kinds this reader does not know: no row
    }
    if (!pending_.empty())
        take_pending(add_row(RowKind::Rest, pending_.front()));
    m_.unanswered = open_.size();
    findings();
    return m_;
}

std::string message_name(const TraceRecord &r) {
    return r.get("cmd", "?") + " #" + r.get("msg_id", "?");
}

// The latest decision at or before `row`, worded for a finding.
std::string decision_before(const ReportModel &m, const std::vector<TraceRecord> &recs,
                            size_t row) {
    for (size_t i = row + 1; i-- > 0;)
        if (m.rows[i].kind == RowKind::Decision) {
            const TraceRecord &d = recs[m.rows[i].record];
            return ", after decision " + d.get("index") + " (" + d.get("decision") +
                   (m.rows[i].deviation ? ", a deviation from fifo)" : ", fifo)");
        }
    return "";
}

void ModelBuilder::findings() {
    for (size_t i = 0; i < m_.rows.size(); ++i) {
        const ReportRow &x = m_.rows[i];
        if (!x.crossing)
            continue;
        const TraceRecord &r = recs_[x.record];
        const TraceRecord &o = recs_[m_.rows[size_t(x.crossed_row)].record];
        m_.findings.push_back(
            message_name(r) + (x.from_client ? " (client)" : " (server)") + " crossed " +
            message_name(o) + " on the " + (x.dev.empty() ? "" : x.dev + " ") + x.sock +
            " socket at t=" + format_sim_time(r.t_ps) + decision_before(m_, recs_, i));
    }
    if (m_.misreads) {
        size_t first = 0;
        while (!m_.rows[first].misread)
            ++first;
        const TraceRecord &r = recs_[m_.rows[first].record];
        m_.findings.push_back(std::string(m_.misreads == 1 ? "misread: 1 reply" : "misread: ") +
                              (m_.misreads == 1 ? "" : std::to_string(m_.misreads) + " replies") +
                              " nobody asked for, the first from the " +
                              (r.get("dir") == "s2c" ? "server" : "client") +
                              " at t=" + format_sim_time(r.t_ps) + " (" + message_name(r) + ")");
    }
    if (m_.unanswered)
        m_.findings.push_back(std::to_string(m_.unanswered) +
                              " command(s) never answered in the trace");
    if (m_.nested)
        m_.remarks.push_back(std::to_string(m_.nested) +
                             " server command(s) sent inside an unanswered client command on "
                             "the same socket (the client serves them: not a fault in itself)");
}

} // namespace

std::string format_sim_time(uint64_t t_ps) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%llu.%06llu us", (unsigned long long)(t_ps / 1000000),
                  (unsigned long long)(t_ps % 1000000));
    return buf;
}

ReportModel build_report_model(const std::vector<TraceRecord> &records) {
    return ModelBuilder(records).build();
}

} // namespace rcsim
