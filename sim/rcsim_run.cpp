// `rcsim run`: parses each scenario, starts (or connects to) the server,
// enumerates the device, runs the statements, prints a summary, and writes
// the waveform, the trace and the JUnit file when asked. SystemC elaborates
// once per process, so with several scenarios each runs in a forked child.
#include "rcsim_commands.hpp"

#include "harness.hpp"
#include "junit_report.hpp"
#include "scenario_parser.hpp"
#include "scenario_runner.hpp"
#include "server_process.hpp"

#if RCSIM_HAVE_TRACE
#include "perfetto_export.hpp"
#include "trace_writer.hpp"
#endif

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace rcsim {

namespace {

using Clock = std::chrono::steady_clock;

struct RunOptions {
    std::string server, socket, wave, trace, perfetto, junit, decisions;
    std::vector<std::string> scenarios;
    IrqPreference irq = IrqPreference::Auto;
    bool no_twin = false;
};

struct Outcome {
    int status = 0; // 0 pass, 1 failed expectation, 2 could not run
    double seconds = 0;
    std::string message, details;
};

void run_usage(FILE *f) {
    std::fprintf(
        f, "usage: rcsim run (--server 'CMD ARGS' | --socket PATH) --scenario FILE [options]\n"
           "  --server 'CMD ARGS'  start this vfio-user server (split like a shell, no shell);\n"
           "                       {socket} in an argument becomes the socket path, else\n"
           "                       --socket PATH is appended\n"
           "  --socket PATH        connect to a server already listening on PATH\n"
           "  --scenario FILE      the scenario to run (sim/SCENARIOS.md); repeat for more\n"
           "                       (each runs in its own process, with its own server)\n"
           "  --wave FILE.fst      write the RTL waveform (FST; one scenario only)\n"
           "  --trace FILE.jsonl   write the JSONL trace (one scenario only)\n"
           "  --perfetto FILE.json also convert the trace for ui.perfetto.dev (needs --trace)\n"
           "  --junit FILE.xml     write a JUnit report, one test case per scenario\n"
           "  --decisions FILE     write the admission decision log (JSONL)\n"
           "  --irq auto|msix|msi|intx|none  interrupt mode enumeration sets up (auto)\n"
           "  --no-twin            do not offer the twin socket\n"
           "Exit status: 0 all passed, 1 an expectation failed (the report names\n"
           "FILE:LINE, the expected and the actual value), 2 usage or setup error.\n");
}

int usage_error(const std::string &msg) {
    std::fprintf(stderr, "rcsim run: %s\n", msg.c_str());
    run_usage(stderr);
    return 2;
}

bool parse_irq(const std::string &s, IrqPreference *out) {
    static const struct {
        const char *name;
        IrqPreference p;
    } table[] = {{"auto", IrqPreference::Auto},
                 {"msix", IrqPreference::Msix},
                 {"msi", IrqPreference::Msi},
                 {"intx", IrqPreference::Intx},
                 {"none", IrqPreference::None}};
    for (const auto &e : table)
        if (s == e.name) {
            *out = e.p;
            return true;
        }
    return false;
}

// 0, or the exit status of a usage error (already reported); -1 for --help.
int parse_options(int argc, char **argv, RunOptions *o) {
    for (int i = 0; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--help" || a == "-h") {
            run_usage(stdout);
            return -1;
        }
        if (a == "--no-twin") {
            o->no_twin = true;
            continue;
        }
        static const struct {
            const char *name;
            std::string RunOptions::*field;
        } valued[] = {{"--server", &RunOptions::server},      {"--socket", &RunOptions::socket},
                      {"--wave", &RunOptions::wave},          {"--trace", &RunOptions::trace},
                      {"--perfetto", &RunOptions::perfetto},  {"--junit", &RunOptions::junit},
                      {"--decisions", &RunOptions::decisions}};
        std::string name = a, value;
        const size_t eq = a.find('=');
        const bool inline_value = a.compare(0, 2, "--") == 0 && eq != std::string::npos;
        if (inline_value) {
            name = a.substr(0, eq);
            value = a.substr(eq + 1);
        }
        bool known = name == "--scenario" || name == "--irq";
        for (const auto &v : valued)
            known = known || name == v.name;
        if (!known)
            return usage_error("unknown option '" + a + "'");
        if (!inline_value) {
            if (i + 1 >= argc)
                return usage_error(name + " needs a value");
            value = argv[++i];
        }
        if (value.empty())
            return usage_error(name + " needs a non-empty value");
        if (name == "--scenario") {
            o->scenarios.push_back(value);
        } else if (name == "--irq") {
            if (!parse_irq(value, &o->irq))
                return usage_error("--irq takes auto, msix, msi, intx or none, not '" + value +
                                   "'");
        } else {
            for (const auto &v : valued)
                if (name == v.name)
                    o->*v.field = value;
        }
    }
    if (o->server.empty() == o->socket.empty())
        return usage_error("give exactly one of --server and --socket");
    if (o->scenarios.empty())
        return usage_error("no --scenario given");
    if (o->scenarios.size() > 1 && (!o->wave.empty() || !o->trace.empty() || !o->decisions.empty()))
        return usage_error("--wave, --trace and --decisions take one scenario only");
    if (!o->perfetto.empty() && o->trace.empty())
        return usage_error("--perfetto needs --trace (it converts that trace)");
    return 0;
}

std::string scenario_name(const std::string &path) {
    std::string n = path.substr(path.rfind('/') == std::string::npos ? 0 : path.rfind('/') + 1);
    if (n.size() > 4 && n.compare(n.size() - 4, 4, ".rcs") == 0)
        n.resize(n.size() - 4);
    return n;
}

// One line on the terminal that rewrites itself; silent when stderr is not
// a terminal (CI logs get the summary only).
class Progress {
  public:
    Progress() : tty_(isatty(STDERR_FILENO) == 1) {}
    ~Progress() { clear(); }
    void update(const std::string &scenario, size_t index, size_t total, const Statement &s,
                uint64_t cycles) {
        if (!tty_)
            return;
        const Clock::time_point now = Clock::now();
        if (shown_ && now - last_ < std::chrono::milliseconds(100))
            return;
        last_ = now;
        shown_ = true;
        std::fprintf(stderr, "\r\033[K[rcsim] %s: statement %zu/%zu (line %u)  %" PRIu64 " cycles",
                     scenario.c_str(), index + 1, total, s.loc.line, cycles);
        std::fflush(stderr);
    }
    void clear() {
        if (tty_ && shown_)
            std::fprintf(stderr, "\r\033[K");
        shown_ = false;
    }

  private:
    bool tty_;
    bool shown_ = false;
    Clock::time_point last_{};
};

void print_summary(const std::string &file, const Outcome &o, const Harness &h,
                   const ScenarioStats &st) {
    const HarnessCounters k = h.counters();
    const BridgeCounters &b = k.bridge;
    const double sim_us = double(const_cast<Harness &>(h).top().time_ps()) / 1e6;
    std::printf("rcsim: %s %s (%" PRIu64 " statements)\n", o.status == 0 ? "PASS" : "FAIL",
                file.c_str(), st.statements);
    std::printf("  transactions: MMIO %" PRIu64 " reads / %" PRIu64 " writes, config %" PRIu64
                " reads / %" PRIu64 " writes, DMA_READ %" PRIu64 " / DMA_WRITE %" PRIu64
                ", interrupts %" PRIu64 " injected / %" PRIu64 " waited for\n",
                b.mmio_reads, b.mmio_writes, b.cfg_reads, b.cfg_writes, b.dma_reads, b.dma_writes,
                b.irqs_injected, st.irqs_waited);
    std::printf("  bytes moved: DMA %" PRIu64 " read from host memory / %" PRIu64
                " written to it, MMIO %" PRIu64 " by the scenario\n",
                b.dma_bytes_read, b.dma_bytes_written, st.mmio_bytes);
    if (b.ur_completions || b.ca_completions || b.dma_errors || b.mmio_write_errors)
        std::printf("  errors: UR %" PRIu64 ", CA %" PRIu64 ", DMA %" PRIu64
                    ", refused MMIO writes %" PRIu64 "\n",
                    b.ur_completions, b.ca_completions, b.dma_errors, b.mmio_write_errors);
    std::printf("  simulated time: %" PRIu64 " cycles = %.3f us at 250 MHz (%" PRIu64
                " clock edges simulated)\n",
                k.cycles, sim_us, k.edges);
    std::printf("  wall time: %.3f s\n", o.seconds);
}

Outcome setup_error(const std::string &msg, Clock::time_point t0) {
    std::fprintf(stderr, "rcsim run: %s\n", msg.c_str());
    Outcome o;
    o.status = 2;
    o.message = msg.substr(0, msg.find('\n'));
    o.details = msg;
    o.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    return o;
}

#if RCSIM_HAVE_TRACE
using TracePtr = std::unique_ptr<TraceWriter>;
// The writer must be detached before it or the harness goes, on every path.
struct TraceDetach {
    TracePtr &t;
    ~TraceDetach() {
        if (t)
            t->detach();
    }
};
#else
using TracePtr = std::unique_ptr<int>;
struct TraceDetach {
    TracePtr &t;
    ~TraceDetach() {} // not trivial: the guard is "used" in both builds
};
#endif

// Runs one scenario in this process (which must not have elaborated yet).
Outcome run_scenario(const RunOptions &opt, const std::string &file) {
    const Clock::time_point t0 = Clock::now();
    std::string text, err;
    if (read_scenario_file(file, &text, &err) < 0)
        return setup_error("cannot read scenario " + file + ": " + err, t0);
    Program prog;
    ParseError perr;
    if (parse_scenario(text, file, read_scenario_file, &prog, &perr) < 0)
        return setup_error(perr.to_string(), t0);

    HarnessConfig cfg;
    cfg.fst_path = opt.wave;
    cfg.decision_log_path = opt.decisions;
    cfg.irq = opt.irq;
    cfg.no_twin = opt.no_twin;
    std::unique_ptr<Harness> h;
    if (Harness::create(cfg, &h, &err) < 0)
        return setup_error("cannot set up the harness: " + err, t0);
    TracePtr trace;
    const TraceDetach detach_trace{trace};
#if RCSIM_HAVE_TRACE
    if (!opt.trace.empty()) {
        trace = TraceWriter::open(opt.trace, &err);
        if (!trace)
            return setup_error("cannot open the trace: " + err, t0);
        trace->attach(*h);
    }
#endif
    int rc;
    if (!opt.server.empty()) {
        std::vector<std::string> argv;
        if (split_command_line(opt.server, &argv, &err) < 0)
            return setup_error("--server: " + err, t0);
        rc = h->start_server(argv, &err);
    } else {
        rc = h->connect(opt.socket, &err);
    }
    if (rc < 0) {
        const std::string report = h->failure_report();
        h->shutdown();
        return setup_error(
            "cannot reach the server: " + err + (report.empty() ? "" : "\n" + report), t0);
    }
    if (h->enumerate(&err) < 0) {
        const std::string report = h->failure_report();
        h->shutdown();
        return setup_error("enumeration failed: " + err + (report.empty() ? "" : "\n" + report),
                           t0);
    }

    ScenarioRunner runner(*h);
    Progress progress;
    const std::string name = scenario_name(file);
    size_t current = 0;
    runner.on_statement([&](size_t i, const Statement &s) {
        current = i;
        progress.update(name, i, prog.statements.size(), s, h->cycles());
    });
    runner.on_tick([&] {
        progress.update(name, current, prog.statements.size(), prog.statements[current],
                        h->cycles());
    });
    ScenarioFailure failure;
    Outcome o;
    if (!runner.run(prog, &failure)) {
        o.status = 1;
        // The report on one line: CI systems show the message attribute alone.
        o.message = failure.loc.file + ":" + std::to_string(failure.loc.line) + ": " +
                    failure.source + ": " + failure.message;
        o.details = failure.report();
    } else if (h->has_failures()) {
        o.status = 1;
        o.message = file + ": the harness reported problems";
        o.details = o.message + "\n" + h->failure_report();
    }
    progress.clear();
    if (o.status != 0) {
        const std::string report = h->failure_report();
        o.details += report.empty() || o.details.find(report) != std::string::npos ? "" : report;
        std::fprintf(stderr, "FAIL %s", o.details.c_str());
    }
    o.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    print_summary(file, o, *h, runner.stats());
    h->shutdown();
#if RCSIM_HAVE_TRACE
    if (trace) {
        trace->detach();
        if (trace->close(&err) < 0)
            return setup_error("trace: " + err, t0);
        std::printf("  %s\n", trace->summary().c_str());
        if (!opt.perfetto.empty()) {
            if (convert_trace_to_perfetto(opt.trace, opt.perfetto, &err) < 0)
                return setup_error("perfetto: " + err, t0);
            std::printf("  perfetto: %s (open in https://ui.perfetto.dev)\n", opt.perfetto.c_str());
        }
    }
#endif
    h.reset();
    if (!opt.wave.empty())
        std::printf("  waveform: %s\n", opt.wave.c_str());
    std::fflush(stdout);
    return o;
}

bool write_all(int fd, const void *p, size_t n) {
    const char *c = static_cast<const char *>(p);
    while (n) {
        const ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        c += w;
        n -= size_t(w);
    }
    return true;
}

std::string read_all(int fd) {
    std::string s;
    char buf[4096];
    for (;;) {
        const ssize_t r = read(fd, buf, sizeof(buf));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return s;
        s.append(buf, size_t(r));
    }
}

// A child per scenario: SystemC cannot elaborate twice in one process. The
// child sends back its outcome as "status\nseconds\nmessage-length\n"
// followed by the message and the details.
Outcome run_in_child(const RunOptions &opt, const std::string &file) {
    const Clock::time_point t0 = Clock::now();
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return setup_error(std::string("pipe: ") + std::strerror(errno), t0);
    std::fflush(stdout);
    std::fflush(stderr);
    const pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return setup_error(std::string("fork: ") + std::strerror(errno), t0);
    }
    if (pid == 0) {
        close(p[0]);
        const Outcome o = run_scenario(opt, file);
        char head[96];
        const int n = std::snprintf(head, sizeof(head), "%d\n%.6f\n%zu\n", o.status, o.seconds,
                                    o.message.size());
        const bool ok = write_all(p[1], head, size_t(n)) &&
                        write_all(p[1], o.message.data(), o.message.size()) &&
                        write_all(p[1], o.details.data(), o.details.size());
        std::fflush(stdout);
        std::fflush(stderr);
        _exit(ok ? 0 : 3);
    }
    close(p[1]);
    const std::string msg = read_all(p[0]);
    close(p[0]);
    int ws = 0;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR) {
    }
    Outcome o;
    int status = 0;
    double secs = 0;
    size_t mlen = 0;
    int used = 0;
    if (WIFEXITED(ws) && WEXITSTATUS(ws) == 0 &&
        std::sscanf(msg.c_str(), "%d\n%lf\n%zu\n%n", &status, &secs, &mlen, &used) == 3 &&
        size_t(used) + mlen <= msg.size()) {
        o.status = status;
        o.seconds = secs;
        o.message = msg.substr(size_t(used), mlen);
        o.details = msg.substr(size_t(used) + mlen);
        return o;
    }
    const std::string how = WIFSIGNALED(ws)
                                ? "killed by signal " + std::to_string(WTERMSIG(ws))
                                : "exited with status " + std::to_string(WEXITSTATUS(ws));
    return setup_error("the run of " + file + " " + how + " before reporting", t0);
}

} // namespace

int rcsim_run(int argc, char **argv) {
    RunOptions opt;
    const int prc = parse_options(argc, argv, &opt);
    if (prc != 0)
        return prc < 0 ? 0 : prc;
#if !RCSIM_HAVE_TRACE
    if (!opt.trace.empty()) {
        std::fprintf(stderr, "rcsim run: --trace is not available yet in this build\n");
        return 2;
    }
#endif
    std::vector<JunitCase> cases;
    int worst = 0;
    for (const std::string &file : opt.scenarios) {
        const Outcome o =
            opt.scenarios.size() == 1 ? run_scenario(opt, file) : run_in_child(opt, file);
        worst = std::max(worst, o.status);
        JunitCase c;
        c.name = scenario_name(file);
        c.classname = "rcsim.scenarios";
        c.file = file;
        c.seconds = o.seconds;
        c.outcome = o.status == 0   ? JunitCase::Outcome::Passed
                    : o.status == 1 ? JunitCase::Outcome::Failed
                                    : JunitCase::Outcome::Error;
        c.message = o.message;
        c.details = o.details;
        cases.push_back(std::move(c));
    }
    if (!opt.junit.empty()) {
        std::string err;
        if (write_junit(opt.junit, cases, &err) < 0) {
            std::fprintf(stderr, "rcsim run: %s\n", err.c_str());
            return 2;
        }
    }
    if (opt.scenarios.size() > 1) {
        size_t passed = 0;
        for (const JunitCase &c : cases)
            passed += c.outcome == JunitCase::Outcome::Passed;
        std::printf("rcsim: %zu of %zu scenarios passed\n", passed, cases.size());
    }
    return worst;
}

int rcsim_perfetto(int argc, char **argv) {
    if (argc == 1 && (!std::strcmp(argv[0], "--help") || !std::strcmp(argv[0], "-h"))) {
        std::printf("usage: rcsim perfetto TRACE.jsonl OUT.json\n"
                    "  Converts a JSONL trace (rcsim run --trace) into Chrome trace-event JSON\n"
                    "  for https://ui.perfetto.dev or chrome://tracing.\n");
        return 0;
    }
    if (argc != 2) {
        std::fprintf(stderr, "usage: rcsim perfetto TRACE.jsonl OUT.json\n");
        return 2;
    }
#if RCSIM_HAVE_TRACE
    std::string err;
    if (convert_trace_to_perfetto(argv[0], argv[1], &err) < 0) {
        std::fprintf(stderr, "rcsim perfetto: %s\n", err.c_str());
        return 2;
    }
    return 0;
#else
    std::fprintf(stderr, "rcsim perfetto: not available yet in this build\n");
    return 2;
#endif
}

} // namespace rcsim
