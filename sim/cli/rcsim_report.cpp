// `rcsim report TRACE.jsonl [--decisions LOG] -o OUT.html`: a run's trace as
// one self-contained HTML page (html_report.hpp).
#include "rcsim_commands.hpp"

#include "html_report.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>

namespace rcsim {

namespace {

void report_usage(FILE *f) {
    std::fprintf(
        f, "usage: rcsim report TRACE.jsonl [--decisions LOG.jsonl] -o OUT.html\n"
           "  Writes one self-contained HTML page (no network fetch; open it offline) from a\n"
           "  JSONL trace (rcsim run/replay --trace): a message sequence chart with lanes for\n"
           "  the host, the root port, the client, the main and twin sockets and the server;\n"
           "  TLPs and host accesses folded under their message; interrupts; every decision\n"
           "  marked with its index and simulated time, deviations from fifo highlighted;\n"
           "  crossings and misreads in red and listed on top.\n"
           "  --decisions LOG  the run's decision log: its scenario, server and policy go\n"
           "                   on the page (and its decisions, if the trace has none)\n"
           "  --max-records N  draw at most N records (20000); the rest are counted\n"
           "Exit status: 0 written (also for a trace cut short or over the cap: the page\n"
           "and stderr say what was left out), 2 usage error, a trace that cannot be read\n"
           "or is not an rcsim trace, an unreadable decision log, an unwritable output.\n");
}

int usage_error(const std::string &msg) {
    std::fprintf(stderr, "rcsim report: %s\n", msg.c_str());
    report_usage(stderr);
    return 2;
}

} // namespace

int rcsim_report(int argc, char **argv) {
    HtmlReportOptions opt;
    for (int i = 0; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--help" || a == "-h") {
            report_usage(stdout);
            return 0;
        }
        const bool valued = a == "-o" || a == "--decisions" || a == "--max-records";
        if (valued && i + 1 >= argc)
            return usage_error(a + " needs a value");
        if (a == "-o")
            opt.out = argv[++i];
        else if (a == "--decisions")
            opt.decisions = argv[++i];
        else if (a == "--max-records") {
            const std::string v = argv[++i];
            char *end = nullptr;
            opt.max_records = size_t(std::strtoull(v.c_str(), &end, 10));
            if (v.empty() || v[0] < '0' || v[0] > '9' || *end || opt.max_records == 0)
                return usage_error("--max-records takes a positive number, not '" + v + "'");
        } else if (a.size() > 1 && a[0] == '-')
            return usage_error("unknown option '" + a + "'");
        else if (opt.trace.empty())
            opt.trace = a;
        else
            return usage_error("one trace only");
    }
    if (opt.trace.empty() || opt.out.empty())
        return usage_error("give a trace and -o OUT.html");
    return write_report_or_complain("report", opt);
}

int write_report_or_complain(const char *cmd, const HtmlReportOptions &opt) {
    HtmlReportResult r;
    std::string err;
    if (write_html_report(opt, &r, &err) < 0) {
        std::fprintf(stderr, "rcsim %s: report: %s\n", cmd, err.c_str());
        return 2;
    }
    for (const std::string &n : r.notes)
        std::fprintf(stderr, "rcsim %s: report: warning: %s\n", cmd, n.c_str());
    std::printf("  report: %s (%zu messages, %zu decisions, %zu deviations from fifo%s)\n",
                opt.out.c_str(), r.messages, r.decisions, r.deviations,
                r.findings.empty() ? "" : "; findings on top");
    return 0;
}

} // namespace rcsim
