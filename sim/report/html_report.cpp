#include "html_report.hpp"

#include "decision_log.hpp"
#include "html_assets.hpp"
#include "html_chart.hpp"
#include "html_escape.hpp"
#include "report_model.hpp"
#include "trace_reader.hpp"

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <fstream>

namespace rcsim {

namespace {

// The browser refuses every fetch: no script, style, image or font from
// anywhere but the page itself.
const char kCsp[] = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'";

std::string setup_row(const std::string &name, const std::string &value) {
    return "<tr><td>" + html_escape(name) + "</td><td>" + html_escape(value) + "</td></tr>\n";
}

std::string field(const std::vector<std::pair<std::string, std::string>> &fs,
                  const std::string &key) {
    for (const auto &f : fs)
        if (f.first == key)
            return f.second;
    return "";
}

// A log's decisions as trace records, merged by time into a trace that has
// none of its own (traces written before decisions were traced).
void merge_log_decisions(const DecisionLog &log, std::vector<TraceRecord> *recs) {
    for (const TraceRecord &r : *recs)
        if (r.kind == "decision")
            return;
    std::vector<TraceRecord> out;
    size_t i = 0;
    for (const Decision &d : log.decisions) {
        while (i < recs->size() && (*recs)[i].t_ps <= d.sim_time_ps)
            out.push_back(std::move((*recs)[i++]));
        TraceRecord r;
        r.kind = "decision";
        r.t_ps = d.sim_time_ps;
        r.fields = {{"index", std::to_string(d.index)}, {"decision", d.kind}, {"chosen", d.chosen}};
        r.options = d.options;
        out.push_back(std::move(r));
    }
    while (i < recs->size())
        out.push_back(std::move((*recs)[i++]));
    *recs = std::move(out);
}

std::string setup_table(const HtmlReportOptions &opt, const TraceRecords &tr,
                        const DecisionLog *log, const ReportModel &m) {
    std::string s = "<table class=\"setup\">\n";
    s += setup_row("trace", opt.trace);
    s += setup_row("rcsim version", field(tr.header, "rcsim_version"));
    s += setup_row("clock period", field(tr.header, "period_ps") + " ps");
    if (log) {
        s += setup_row("decision log", opt.decisions);
        s += setup_row("scenario", log->header.scenario_path);
        std::string argv;
        for (const std::string &a : log->header.server_argv)
            argv += (argv.empty() ? "" : " ") + a;
        s += setup_row("server", argv);
        s += setup_row("policy", log->header.policy);
    }
    for (const TraceRecord &r : tr.records)
        if (r.kind == "bar")
            s += setup_row(r.get("bar"),
                           r.get("type") + " at " + r.get("base") + ", size " + r.get("size"));
    s += setup_row("drawn", std::to_string(m.messages) + " messages, " +
                                std::to_string(m.decisions) + " decisions (" +
                                std::to_string(m.deviations) + " deviations from fifo), " +
                                std::to_string(m.interrupts) + " interrupts; " +
                                std::to_string(tr.records.size()) + " of " +
                                std::to_string(tr.total) + " records");
    return s + "</table>\n";
}

std::string findings_box(const ReportModel &m) {
    std::string remarks;
    for (const std::string &r : m.remarks)
        remarks += "<li class=\"remark\">" + html_escape(r) + "</li>\n";
    if (m.findings.empty())
        return "<div class=\"findings clean\" id=\"findings\">No crossing, no misread, every "
               "command answered.<ul>\n" +
               remarks + "</ul></div>\n";
    std::string s = "<div class=\"findings\" id=\"findings\"><b>Findings</b><ul>\n";
    for (const std::string &f : m.findings)
        s += "<li>" + html_escape(f) + "</li>\n";
    return s + remarks + "</ul></div>\n";
}

std::string notes_box(const std::vector<std::string> &notes) {
    if (notes.empty())
        return "";
    std::string s = "<div class=\"notes\" id=\"notes\"><b>Not the whole trace</b><ul>\n";
    for (const std::string &n : notes)
        s += "<li>" + html_escape(n) + "</li>\n";
    return s + "</ul></div>\n";
}

const char kLegend[] =
    "<p class=\"legend\"><span>solid arrow: command</span><span>dashed: reply</span>"
    "<span>dot: the socket it went on</span><span style=\"color:#c00\">red: crossing or "
    "misread (band: the command left unanswered on that socket)</span><span "
    "style=\"color:#b40\">orange diamond: a decision that deviates from fifo</span>"
    "<span>\u25b8 N: TLPs and host accesses folded under the row (click)</span></p>\n"
    "<p>Times are simulated time as in the FST waveform (GTKWave: the same ps); hover a row "
    "for all its fields and its line in the trace.</p>\n";

// The close-up of the first crossing (from a little before the command it
// crossed to the replies after it), else of the first misread.
std::string closeup(const std::vector<TraceRecord> &recs, const ReportModel &m) {
    for (size_t i = 0; i < m.rows.size(); ++i) {
        const ReportRow &x = m.rows[i];
        if (!x.crossing && !x.misread)
            continue;
        const size_t from = x.crossing ? size_t(x.crossed_row) : i;
        const size_t first = from > 2 ? from - 2 : 0;
        const size_t last = std::min(m.rows.size() - 1, i + 8);
        return "<h2>Close-up: " + std::string(x.crossing ? "the crossing" : "the misread") +
               " (rows " + std::to_string(first) + " to " + std::to_string(last) +
               " of the chart below, folded records open)</h2>\n" +
               closeup_svg(recs, m, first, last) + "\n<h2>The whole run</h2>\n";
    }
    return "";
}

std::string page(const HtmlReportOptions &opt, const TraceRecords &tr, const DecisionLog *log,
                 const ReportModel &m, const std::vector<std::string> &notes) {
    std::string s = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                    "<meta http-equiv=\"Content-Security-Policy\" content=\"";
    s += kCsp;
    s += "\">\n<title>rcsim report: " + html_escape(opt.trace) + "</title>\n<style>" +
         kReportStyle + "</style></head>\n<body data-ready=\"0\">\n<h1>rcsim report</h1>\n";
    s += findings_box(m) + notes_box(notes) + setup_table(opt, tr, log, m) + kLegend;
    s += "<button id=\"expand\">expand all</button><button id=\"collapse\">collapse "
         "all</button>\n";
    s += closeup(tr.records, m);
    s += chart_svg(tr.records, m);
    s += "\n<script>" + std::string(kReportScript) + "</script>\n</body></html>\n";
    return s;
}

std::vector<std::string> reading_notes(const TraceRecords &tr, size_t max) {
    std::vector<std::string> notes;
    if (tr.capped)
        notes.push_back("showing the first " + std::to_string(tr.records.size()) + " of " +
                        std::to_string(tr.total) + " records (the report draws at most " +
                        std::to_string(max) + ")");
    if (!tr.stopped.empty())
        notes.push_back(tr.stopped + "; showing the " + std::to_string(tr.records.size()) +
                        " records before it");
    return notes;
}

} // namespace

int write_html_report(const HtmlReportOptions &opt, HtmlReportResult *result, std::string *error) {
    TraceRecords tr;
    int rc = read_trace_records(opt.trace, opt.max_records, &tr, error);
    if (rc < 0)
        return rc;
    DecisionLog log;
    if (!opt.decisions.empty()) {
        if ((rc = read_decision_log(opt.decisions, &log, error)) < 0)
            return rc;
        merge_log_decisions(log, &tr.records);
    }
    const ReportModel m = build_report_model(tr.records);
    result->notes = reading_notes(tr, opt.max_records);
    result->messages = m.messages;
    result->decisions = m.decisions;
    result->deviations = m.deviations;
    result->findings = m.findings;
    std::ofstream out(opt.out, std::ios::binary | std::ios::trunc);
    out << page(opt, tr, opt.decisions.empty() ? nullptr : &log, m, result->notes);
    out.close();
    if (!out) {
        *error = opt.out + ": cannot write: " + std::strerror(errno);
        return -EIO;
    }
    return 0;
}

} // namespace rcsim
