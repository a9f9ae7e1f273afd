#include "scenario_session.hpp"

#include "run_settings.hpp"
#include "run_verdict.hpp"
#include "scenario_parser.hpp"
#include "scenario_runner.hpp"
#include "command_line.hpp"
#include "topology_file.hpp"

#include "html_report.hpp"
#include "perfetto_export.hpp"
#include "trace_writer.hpp"

#include <unistd.h>

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace rcsim {

namespace {

using Clock = std::chrono::steady_clock;

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

std::string indent(const std::string &text, const std::string &by) {
    std::string out;
    size_t pos = 0;
    while (pos < text.size()) {
        const size_t nl = text.find('\n', pos);
        const size_t end = nl == std::string::npos ? text.size() : nl + 1;
        out += by + text.substr(pos, end - pos);
        pos = end;
    }
    if (!out.empty() && out.back() != '\n')
        out += '\n';
    return out;
}

void print_summary(const std::string &file, const Outcome &o, Harness &h, const ScenarioStats &st) {
    const HarnessCounters k = h.counters();
    const BridgeCounters &b = k.bridge;
    const double sim_us = double(h.top().time_ps()) / 1e6;
    std::printf("rcsim: %s %s (%" PRIu64 " statements)\n", o.status == 0 ? "PASS" : "FAIL",
                file.c_str(), st.statements);
    std::printf("  transactions: MMIO %" PRIu64 " reads / %" PRIu64 " writes, config %" PRIu64
                " reads / %" PRIu64 " writes, DMA_READ %" PRIu64 " / DMA_WRITE %" PRIu64
                ", interrupts %" PRIu64 " injected / %" PRIu64 " waited for\n",
                b.mmio_reads, b.mmio_writes, b.cfg_reads, b.cfg_writes, b.dma_reads, b.dma_writes,
                b.irqs_injected, st.irqs_waited);
    // Only for devices that have I/O BARs: other runs print what they always did.
    if (b.io_reads || b.io_writes)
        std::printf("  I/O: %" PRIu64 " reads / %" PRIu64 " writes (IORd/IOWr)\n", b.io_reads,
                    b.io_writes);
    // Only when a mapped area served any: other runs print what they always did.
    if (b.mapped_reads || b.mapped_writes)
        std::printf("  mapped BAR areas: %" PRIu64 " reads / %" PRIu64
                    " writes served from the mapping, no message (of the MMIO above)\n",
                    b.mapped_reads, b.mapped_writes);
    std::printf("  bytes moved: DMA %" PRIu64 " read from host memory / %" PRIu64
                " written to it, MMIO %" PRIu64 " by the scenario\n",
                b.dma_bytes_read, b.dma_bytes_written, st.mmio_bytes);
    if (b.p2p_bytes_read || b.p2p_bytes_written)
        std::printf("  peer-to-peer: DMA %" PRIu64 " read from peers' BARs / %" PRIu64
                    " written to them\n",
                    b.p2p_bytes_read, b.p2p_bytes_written);
    if (b.ur_completions || b.ca_completions || b.dma_errors || b.mmio_write_errors ||
        k.dma_refused)
        std::printf("  errors: UR %" PRIu64 ", CA %" PRIu64 ", DMA %" PRIu64
                    ", refused MMIO writes %" PRIu64 ", DMA outside every window %" PRIu64 "\n",
                    b.ur_completions, b.ca_completions, b.dma_errors, b.mmio_write_errors,
                    k.dma_refused);
    if (k.fabric_ur || k.fabric_posted_dropped || k.fabric_cpl_dropped) // several devices
        std::printf("  fabric: UR completions made %" PRIu64 ", posted TLPs dropped %" PRIu64
                    ", completions dropped %" PRIu64 "\n",
                    k.fabric_ur, k.fabric_posted_dropped, k.fabric_cpl_dropped);
    if (b.dma_replies_lost) // a map socket closed under its DMA (issue 21)
        std::printf("  DMA served after its map socket closed (the server gave it up at the "
                    "window's unmap; the reply went nowhere): %" PRIu64 "\n",
                    b.dma_replies_lost);
    std::printf("  simulated time: %" PRIu64 " cycles = %.3f us at 250 MHz (%" PRIu64
                " clock edges simulated)\n",
                k.cycles, sim_us, k.edges);
    std::printf("  wall time: %.3f s\n", o.seconds);
    if (h.devices() > 1 || !h.device_name(0).empty()) // a topology: the tree, as lspci -tv
        std::printf("  topology:\n%s", indent(h.topology_tree(), "    ").c_str());
    // Printed only when it happened: other runs' summaries stay as they were.
    if (st.wall_waits)
        std::printf("  wall-clock waits: %" PRIu64 " statement(s), %.3f s: outside the "
                    "determinism guarantee (the server's own timer)\n",
                    st.wall_waits, double(st.wall_us) / 1e6);
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

using TracePtr = std::unique_ptr<TraceWriter>;
// The writer must be detached before it or the harness goes, on every path.
struct TraceDetach {
    TracePtr &t;
    ~TraceDetach() {
        if (t)
            t->detach();
    }
};

class Session {
  public:
    Session(const SessionOptions &opt, const std::string &file)
        : opt_(opt), file_(file), t0_(Clock::now()) {}

    Outcome run() {
        std::string err;
        if (load(&err) < 0 || set_up(&err) < 0) {
            if (opt_.trace_for_html_only) // no page for a run that never ran
                unlink(opt_.trace.c_str());
            return setup_error(err, t0_);
        }
        Outcome o = execute();
        if (finish(&err) < 0)
            return setup_error(err, t0_);
        return o;
    }

  private:
    int load(std::string *err) {
        std::string text;
        if (read_scenario_file(file_, &text, err) < 0) {
            *err = "cannot read scenario " + file_ + ": " + *err;
            return -1;
        }
        ParseError perr;
        if (parse_scenario(text, file_, read_scenario_file, &prog_, &perr) < 0) {
            *err = perr.to_string();
            return -1;
        }
        return 0;
    }

    // The scenario's `dma-window` declarations replace the default window;
    // with --dma-window as well, which one was meant is unclear: refused.
    int windows_from_scenario(std::vector<MemWindow> *out, std::string *err) {
        std::vector<MemWindow> declared;
        for (const Statement &s : prog_.statements) {
            if (s.op != Op::DmaWindow)
                continue;
            const std::string at = s.loc.file + ":" + std::to_string(s.loc.line) + ": ";
            if (!opt_.dma_windows.empty()) {
                *err = at + "the scenario declares its DMA windows; --dma-window too: give them "
                            "in one place";
                return -1;
            }
            MemWindow w;
            const std::string why = parse_dma_window(s.window, &w);
            if (!why.empty()) {
                *err = at + "dma-window " + s.window + ": " + why;
                return -1;
            }
            declared.push_back(w);
        }
        if (!declared.empty())
            *out = declared;
        return 0;
    }

    int set_up(std::string *err) {
        HarnessConfig cfg;
        cfg.fst_path = opt_.wave;
        cfg.decision_log_path = opt_.decisions;
        cfg.irq = opt_.irq;
        cfg.no_twin = opt_.no_twin;
        cfg.idle_announce = !opt_.no_idle_announce;
        cfg.io_window_base = opt_.io_window_base;
        cfg.io_window_size = opt_.io_window_size;
        cfg.client_style = opt_.client;
        cfg.bar_access = opt_.bar_access;
        if (windows_from_scenario(&cfg.dma_windows, err) < 0)
            return -1;
        if (!opt_.dma_windows.empty())
            cfg.dma_windows = opt_.dma_windows;
        if (Harness::create(cfg, &h_, err) < 0) {
            *err = "cannot set up the harness: " + *err;
            return -1;
        }
        // fifo, the scheduler's default (sim/sched/scheduler.hpp): a host read
        // waits while the server's DMA is unanswered. `--schedule` runs
        // elsewhere (rcsim_explore.cpp).
        if (Scheduler::create("fifo", &sched_, err) < 0)
            return -1;
        h_->set_scheduler(sched_.get());
        if (!opt_.trace.empty()) {
            trace_ = TraceWriter::open(opt_.trace, err);
            if (!trace_) {
                *err = "cannot open the trace: " + *err;
                return -1;
            }
            trace_->attach(*h_);
        }
        int rc;
        const bool topo = !prog_.statements.empty() && prog_.statements[0].op == Op::Topology;
        if (topo) {
            if (!opt_.server.empty() || !opt_.socket.empty()) {
                *err = "the scenario's topology statement starts its servers: give neither "
                       "--server nor --socket";
                return -1;
            }
            topology::Topology t;
            if (read_topology(prog_.statements[0].command, &t, err) < 0)
                return -1;
            h_->set_log_topology(prog_.statements[0].command);
            if (h_->start_topology(t, err) < 0)
                return fail_with_report("cannot start the topology: ", err);
            if (trace_)
                trace_->on_enumerated(h_->enumeration());
            return 0;
        }
        if (opt_.server.empty() && opt_.socket.empty()) {
            *err = "no server: give --server or --socket, or begin the scenario with a "
                   "topology statement";
            return -1;
        }
        if (!opt_.server.empty()) {
            std::vector<std::string> argv;
            if (split_command_line(opt_.server, &argv, err) < 0) {
                *err = "--server: " + *err;
                return -1;
            }
            rc = h_->start_server(argv, err);
        } else {
            rc = h_->connect(opt_.socket, err);
        }
        if (rc < 0)
            return fail_with_report("cannot reach or set up the server: ", err);
        if (h_->enumerate(err) < 0)
            return fail_with_report("enumeration failed: ", err);
        if (trace_)
            trace_->on_enumerated(h_->enumeration());
        for (const std::string &n : h_->enumeration().notes)
            std::fprintf(stderr, "note: %s\n", n.c_str());
        return 0;
    }

    int fail_with_report(const char *what, std::string *err) {
        const std::string report = h_->failure_report();
        h_->shutdown();
        *err = what + *err + (report.empty() ? "" : "\n" + report);
        return -1;
    }

    Outcome execute() {
        ScenarioRunner runner(*h_);
        Progress progress;
        const std::string name = scenario_name(file_);
        const size_t total = prog_.statements.size();
        size_t current = 0;
        runner.on_statement([&](size_t i, const Statement &s) {
            current = i;
            progress.update(name, i, total, s, h_->cycles());
        });
        runner.on_tick([&] {
            progress.update(name, current, total, prog_.statements[current], h_->cycles());
        });
        const Verdict v = run_and_judge(*h_, runner, prog_);
        Outcome o;
        if (!v.passed) {
            o.status = 1;
            // The report on one line: CI systems show the message attribute alone.
            const ScenarioFailure &f = v.failure;
            o.message = v.scenario_failed ? f.loc.file + ":" + std::to_string(f.loc.line) + ": " +
                                                f.source + ": " + f.message
                                          : file_ + ": " + v.failure_class;
            o.details = v.details;
        }
        progress.clear();
        if (o.status != 0)
            std::fprintf(stderr, "FAIL %s", o.details.c_str());
        o.seconds = std::chrono::duration<double>(Clock::now() - t0_).count();
        print_summary(file_, o, *h_, runner.stats());
        return o;
    }

    // Stops the server, closes the trace (and converts it), then the FST.
    int finish(std::string *err) {
        h_->shutdown();
        if (trace_) {
            trace_->detach();
            if (trace_->close(err) < 0) {
                *err = "trace: " + *err;
                return -1;
            }
            std::printf("  %s\n", trace_->summary().c_str());
            if (!opt_.perfetto.empty()) {
                if (convert_trace_to_perfetto(opt_.trace, opt_.perfetto, err) < 0) {
                    *err = "perfetto: " + *err;
                    return -1;
                }
                std::printf("  perfetto: %s (open in https://ui.perfetto.dev)\n",
                            opt_.perfetto.c_str());
            }
            if (!opt_.html.empty() && write_page(err) < 0)
                return -1;
        }
        h_.reset();
        if (!opt_.wave.empty())
            std::printf("  waveform: %s\n", opt_.wave.c_str());
        std::fflush(stdout);
        return 0;
    }

    // rcsim report's page of this run, from its trace (and decision log).
    int write_page(std::string *err) {
        HtmlReportOptions ho;
        ho.trace = opt_.trace;
        ho.decisions = opt_.decisions;
        ho.out = opt_.html;
        HtmlReportResult r;
        const int rc = write_html_report(ho, &r, err);
        if (opt_.trace_for_html_only)
            unlink(opt_.trace.c_str());
        if (rc < 0) {
            *err = "report: " + *err;
            return -1;
        }
        for (const std::string &n : r.notes)
            std::printf("  report: warning: %s\n", n.c_str());
        std::printf("  report: %s (%zu messages, %zu decisions)\n", opt_.html.c_str(), r.messages,
                    r.decisions);
        return 0;
    }

    const SessionOptions &opt_;
    const std::string file_;
    const Clock::time_point t0_;
    Program prog_;
    std::unique_ptr<Scheduler> sched_; // outlives h_
    std::unique_ptr<Harness> h_;
    TracePtr trace_;
    // Declared last, so it runs first: detaches before the writer and the
    // harness go, on every path.
    TraceDetach detach_trace_{trace_};
};

} // namespace

Outcome run_scenario(const SessionOptions &opt, const std::string &file) {
    return Session(opt, file).run();
}

} // namespace rcsim
