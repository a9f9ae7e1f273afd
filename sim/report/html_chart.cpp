#include "html_chart.hpp"

#include "html_escape.hpp"

#include <string>

namespace rcsim {

namespace {

enum Lane { kHost, kRootPort, kClient, kMain, kTwin, kServer, kLanes };
const char *const kLaneNames[kLanes] = {"host",        "root port",   "client",
                                        "main socket", "twin socket", "server"};
const int kLaneX[kLanes] = {330, 450, 590, 730, 850, 990};
constexpr int kTop = 44, kRowH = 26, kFoldH = 18, kWidth = 1240;
// Labels longer than this (in characters) are cut; the row's title has all.
constexpr size_t kMessageLabel = 95, kDecisionLabel = 140;

std::string num(long v) {
    return std::to_string(v);
}

// Cuts `s` to `max` characters (UTF-8 aware: a code point is not split).
std::string clip(const std::string &s, size_t max) {
    size_t chars = 0;
    for (size_t i = 0; i < s.size(); ++i) {
        if ((static_cast<unsigned char>(s[i]) & 0xc0) == 0x80)
            continue;
        if (++chars > max)
            return s.substr(0, i) + "\u2026";
    }
    return s;
}

// A horizontal arrow from lane a to lane b at height y, with its head.
std::string arrow(int a, int b, int y, const std::string &cls, const std::string &head_cls) {
    const int x0 = kLaneX[a], x1 = kLaneX[b], d = x1 > x0 ? -7 : 7;
    return "<line class=\"" + cls + "\" x1=\"" + num(x0) + "\" y1=\"" + num(y) + "\" x2=\"" +
           num(x1) + "\" y2=\"" + num(y) + "\"/><polygon class=\"head " + head_cls +
           "\" points=\"" + num(x1) + "," + num(y) + " " + num(x1 + d) + "," + num(y - 4) + " " +
           num(x1 + d) + "," + num(y + 4) + "\"/>";
}

std::string text(int x, int y, const std::string &escaped, const std::string &cls = "") {
    return "<text x=\"" + num(x) + "\" y=\"" + num(y) + "\"" +
           (cls.empty() ? "" : " class=\"" + cls + "\"") + ">" + escaped + "</text>";
}

// Every field of the record, for the hover title.
std::string title(const TraceRecord &r) {
    std::string s = "line " + std::to_string(r.line) + ": " + r.kind +
                    " t_ps=" + std::to_string(r.t_ps) + " cycle=" + std::to_string(r.cycle);
    for (const auto &f : r.fields)
        s += "\n" + f.first + "=" + f.second;
    return "<title>" + html_escape(s) + "</title>";
}

std::string time_label(const TraceRecord &r) {
    return html_escape("t=" + format_sim_time(r.t_ps) + "  cyc " + std::to_string(r.cycle));
}

std::string message_label(const TraceRecord &r) {
    std::string s = r.get("type") == "reply" ? "reply " : "";
    s += r.get("cmd", "?") + " #" + r.get("msg_id", "?");
    if (!r.get("region").empty())
        s += " r" + r.get("region") + "+" + r.get("offset") + " (" + r.get("count") + " B)";
    else if (!r.get("addr").empty())
        s += " " + r.get("addr") + " (" + r.get("count") + " B)";
    if (!r.get("error_no").empty())
        s += " ERROR errno " + r.get("error_no");
    return s;
}

class ChartWriter {
  public:
    // Rows first..last; `closeup`: folds drawn open, no toggles, ids
    // prefixed so they do not clash with the full chart's.
    ChartWriter(const std::vector<TraceRecord> &recs, const ReportModel &m, size_t first,
                size_t last, bool closeup)
        : recs_(recs), m_(m), first_(first), last_(last), closeup_(closeup) {}
    std::string svg();

  private:
    std::string row(size_t i);
    std::string message(const ReportRow &x);
    std::string decision(const ReportRow &x);
    std::string fold(size_t parent, size_t rec);
    std::string bands() const;
    std::string row_id(size_t i) const { return (closeup_ ? "c" : "r") + std::to_string(i); }

    const std::vector<TraceRecord> &recs_;
    const ReportModel &m_;
    const size_t first_, last_;
    const bool closeup_;
    int y_ = kTop;
    std::vector<int> row_y_; // by row index - first_
};

std::string ChartWriter::message(const ReportRow &x) {
    const TraceRecord &r = recs_[x.record];
    const bool bad = x.crossing || x.misread;
    // Twin and map sockets share the second socket lane; the class says
    // which colour, the label which socket.
    const std::string sock = x.main_socket ? "" : " twin";
    std::string cls = "msg-arrow" + sock + (x.reply ? " reply" : "") + (bad ? " bad" : "");
    std::string s = arrow(x.from_client ? kClient : kServer, x.from_client ? kServer : kClient, 14,
                          cls, sock + (bad ? " bad" : ""));
    const int sx = kLaneX[x.main_socket ? kMain : kTwin];
    s += "<circle class=\"sock-dot\" cx=\"" + num(sx) + "\" cy=\"14\" r=\"3.5\"/>";
    std::string label = message_label(r);
    if (!x.dev.empty()) // several devices: whose message
        label = x.dev + ": " + label;
    if (!x.main_socket && x.sock != "twin")
        label += " [" + x.sock + "]";
    if (x.crossed_row >= 0) {
        const TraceRecord &o = recs_[m_.rows[size_t(x.crossed_row)].record];
        const std::string other = o.get("cmd") + " #" + o.get("msg_id");
        label += x.crossing ? "  \u2715 CROSSES " + other : "  (inside " + other + ")";
    }
    if (x.misread)
        label += "  ? answers no command (misread)";
    if (!x.reply && x.partner < 0 && !(r.number("flags") & 0x10))
        label += "  (never answered)";
    s += text(kLaneX[kClient] + 12, 10, html_escape(clip(label, kMessageLabel)),
              bad ? "bad-text" : "");
    return s;
}

std::string ChartWriter::decision(const ReportRow &x) {
    const TraceRecord &r = recs_[x.record];
    const std::string dev = x.deviation ? " deviation" : "";
    std::string s =
        "<polygon class=\"decision-mark" + dev + "\" points=\"250,13 256,7 262,13 256,19\"/>";
    s += "<line class=\"decision-line" + dev + "\" x1=\"266\" y1=\"13\" x2=\"" +
         num(kLaneX[kServer]) + "\" y2=\"13\"/>";
    std::string label =
        "decision " + r.get("index") + " " + r.get("decision") + ": " + r.get("chosen");
    if (x.deviation)
        label = "DEVIATION from fifo: " + label + "  (fifo: " + r.options[0] + ")";
    s += text(kLaneX[kHost] - 50, 10, html_escape(clip(label, kDecisionLabel)),
              x.deviation ? "deviation-text" : "");
    return s;
}

std::string ChartWriter::row(size_t i) {
    const ReportRow &x = m_.rows[i];
    const TraceRecord &r = recs_[x.record];
    row_y_.push_back(y_);
    std::string s = "<g class=\"row\" id=\"" + row_id(i) + "\" data-h=\"" + num(kRowH) +
                    "\" transform=\"translate(0," + num(y_) + ")\">";
    s += "<rect class=\"hover\" x=\"0\" y=\"0\" width=\"" + num(kWidth) + "\" height=\"" +
         num(kRowH) + "\"/>" + title(r);
    s += text(4, 16, time_label(r), "time");
    if (!x.folded.empty() && !closeup_)
        s += "<text class=\"toggle\" id=\"t" + num(long(i)) + "\" data-row=\"" + num(long(i)) +
             "\" data-n=\"" + num(long(x.folded.size())) + "\" x=\"200\" y=\"16\">\u25b8 " +
             num(long(x.folded.size())) + "</text>";
    if (x.kind == RowKind::Message)
        s += message(x);
    else if (x.kind == RowKind::Decision)
        s += decision(x);
    else if (x.kind == RowKind::Irq)
        s += arrow(kRootPort, kHost, 14, "irq-arrow", "irq") +
             text(kLaneX[kRootPort] + 8, 18,
                  html_escape("interrupt " + r.get("type") + " " + r.get("data") + r.get("level")));
    else if (x.kind == RowKind::Mapped)
        s += "<rect class=\"mapped-mark\" x=\"" + num(kLaneX[kClient] - 5) +
             "\" y=\"9\" width=\"10\" height=\"10\"/>" +
             text(kLaneX[kClient] + 12, 18,
                  html_escape("mapped " + r.get("op") + " BAR" + r.get("bar") + "+" +
                              r.get("offset") + " (" + r.get("len") + " B, no message)"));
    else
        s += text(kLaneX[kHost] - 50, 16, "records after the last message");
    s += "</g>";
    y_ += kRowH;
    for (size_t rec : x.folded)
        s += fold(i, rec);
    return s;
}

std::string ChartWriter::fold(size_t parent, size_t rec) {
    const TraceRecord &r = recs_[rec];
    std::string s = "<g class=\"fold\" data-parent=\"" + num(long(parent)) + "\" data-h=\"" +
                    num(kFoldH) + "\"";
    if (closeup_)
        s += " transform=\"translate(0," + num(y_) + ")\">";
    else
        s += " style=\"display:none\">";
    s += title(r);
    if (closeup_)
        y_ += kFoldH;
    s += text(20, 12, time_label(r), "time");
    std::string label;
    int a = kHost, b = kRootPort;
    if (r.kind == "host_req") {
        label =
            "host " + r.get("op") + " " + r.get("addr", r.get("reg_offset")) + " id " + r.get("id");
    } else if (r.kind == "host_rsp") {
        a = kRootPort, b = kHost;
        label = "host response id " + r.get("id") + " " + r.get("status");
    } else if (r.kind == "tlp") {
        const bool down = r.get("dir") == "down";
        a = down ? kRootPort : kClient, b = down ? kClient : kRootPort;
        label = "TLP " + r.get("type", "(does not decode)") + " " + r.get("addr") + " tag " +
                r.get("tag");
    } else if (r.kind == "hop") { // several devices: a TLP leaving a fabric port
        const bool up = r.get("port") == "host";
        a = up ? kClient : kRootPort, b = up ? kRootPort : kClient;
        label = "fabric " + r.get("port") + " " + r.get("type") + " " + r.get("addr") + " tag " +
                r.get("tag");
    } else {
        label = r.kind;
    }
    s += arrow(a, b, 9, "sub-arrow", "sub");
    s += text(kLaneX[kClient] + 12, 13, html_escape(label)) + "</g>";
    return s;
}

// Crossing bands: from the unanswered command to the one that crossed it,
// on their socket's lane (the script moves them when folds open).
std::string ChartWriter::bands() const {
    std::string s;
    for (size_t i = first_; i <= last_; ++i) {
        const ReportRow &x = m_.rows[i];
        if (!x.crossing || size_t(x.crossed_row) < first_)
            continue;
        const int lx = kLaneX[x.main_socket ? kMain : kTwin];
        const int y0 = row_y_[size_t(x.crossed_row) - first_], y1 = row_y_[i - first_];
        s += "<rect class=\"cross-band\" data-from=\"" + row_id(size_t(x.crossed_row)) +
             "\" data-to=\"" + row_id(i) + "\" x=\"" + num(lx - 9) + "\" width=\"18\" y=\"" +
             num(y0 + 4) + "\" height=\"" + num(y1 - y0 + 10) + "\"/>";
    }
    return s;
}

std::string ChartWriter::svg() {
    std::string rows;
    for (size_t i = first_; i <= last_; ++i)
        rows += row(i);
    std::string s = "<svg id=\"" + std::string(closeup_ ? "closeup" : "chart") + "\" width=\"" +
                    num(kWidth) + "\" height=\"" + num(y_ + 10) + "\" data-top=\"" + num(kTop) +
                    "\">";
    for (int l = 0; l < kLanes; ++l) {
        const bool sock = l == kMain || l == kTwin;
        s += "<line class=\"lane" + std::string(sock ? " lane-sock" : "") + "\" x1=\"" +
             num(kLaneX[l]) + "\" y1=\"30\" x2=\"" + num(kLaneX[l]) + "\" y2=\"" + num(y_) + "\"/>";
        s += "<text class=\"lane-name\" text-anchor=\"middle\" x=\"" + num(kLaneX[l]) +
             "\" y=\"20\">" + kLaneNames[l] + "</text>";
    }
    s += text(4, 20, "simulated time", "lane-name");
    s += bands();
    s += "<g" + std::string(closeup_ ? "" : " id=\"rows\"") + ">" + rows + "</g></svg>";
    return s;
}

} // namespace

std::string chart_svg(const std::vector<TraceRecord> &records, const ReportModel &model) {
    if (model.rows.empty())
        return "<svg id=\"chart\" width=\"10\" height=\"10\" data-top=\"0\"><g "
               "id=\"rows\"></g></svg>";
    return ChartWriter(records, model, 0, model.rows.size() - 1, false).svg();
}

std::string closeup_svg(const std::vector<TraceRecord> &records, const ReportModel &model,
                        size_t first, size_t last) {
    if (model.rows.empty() || first > last || last >= model.rows.size())
        return "";
    return ChartWriter(records, model, first, last, true).svg();
}

} // namespace rcsim
