// `rcsim report`: a run's JSONL trace (and its decision log, when given) as
// one self-contained HTML page: a message sequence chart (lanes host, root
// port, client, main socket, twin socket, server) drawn as SVG on the
// server side, TLPs and host accesses folded under their message, every
// decision a mark, crossings and misreads in red, the findings on top. The
// page fetches nothing (a Content-Security-Policy forbids it) and every
// string from the trace or the log is HTML-escaped (html_escape.hpp).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace rcsim {

struct HtmlReportOptions {
    std::string trace;          // the JSONL trace
    std::string decisions;      // its decision log, or empty
    std::string out;            // the HTML file to write
    size_t max_records = 20000; // records drawn; the rest are counted
};

struct HtmlReportResult {
    // What the page says about reading (the cap, a trace cut short, a log
    // that could not be read), one line each; empty when all was drawn.
    std::vector<std::string> notes;
    size_t messages = 0, decisions = 0, deviations = 0;
    std::vector<std::string> findings;
};

// 0, or a negative errno with `error` set: the trace cannot be read or is
// not an rcsim trace, or the page cannot be written. A trace cut short or
// over the cap still gives a page (and notes).
int write_html_report(const HtmlReportOptions &opt, HtmlReportResult *result, std::string *error);

} // namespace rcsim
