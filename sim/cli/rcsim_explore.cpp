// `rcsim explore` (many schedules of one scenario, failures shrunk) and
// `rcsim run --schedule POLICY` (one scenario under one policy), with the
// options they share with `rcsim replay` (rcsim_replay.cpp).
#include "rcsim_commands.hpp"
#include "rcsim_sched_cli.hpp"

#include "explore.hpp"
#include "decision_log.hpp"
#include "shard_summary.hpp"
#include "junit_report.hpp"
#include "run_settings.hpp"
#include "command_line.hpp"
#include "html_report.hpp"
#include "run_forker.hpp"

#include <algorithm>
#include <chrono>

#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace rcsim {

namespace {

void explore_usage(FILE *f) {
    std::fprintf(f,
                 "usage: rcsim explore (--server 'CMD ARGS' | --socket PATH) --scenario FILE\n"
                 "                     --strategy random|pct|exhaustive [options]\n"
                 "  --runs N          runs (random, pct: 100; exhaustive: an upper limit, none)\n"
                 "  --bound B         exhaustive: deviations from fifo per run (2)\n"
                 "  --depth D         pct: priority-change points per run (1)\n"
                 "  --seed S          first seed (1)\n"
                 "  --jobs J          runs at once (1)\n"
                 "  --shard I/N       run only runs i with i %% N == I (default from\n"
                 "                    GTEST_SHARD_INDEX / GTEST_TOTAL_SHARDS, or Bazel's\n"
                 "                    TEST_SHARD_INDEX / TEST_TOTAL_SHARDS); `rcsim merge`\n"
                 "                    makes the shards' --out directories one result\n"
                 "  --out DIR         where failure logs and explore-summary.json go\n"
                 "                    (rcsim-explore)\n"
                 "  --junit FILE      JUnit report: one test case per failure class (or one pass)\n"
                 "  --html FILE       a report page (rcsim report) of each failure class's\n"
                 "                    minimal run, replayed with a trace: OUT/failure-N.html\n"
                 "                    (trace OUT/failure-N.trace.jsonl), the first also as\n"
                 "                    FILE; run --schedule: the run's page\n"
                 "  --no-shrink       keep failing schedules as found\n"
                 "  --stop-at-first   stop at the first failure\n"
                 "  --no-twin         do not offer the twin socket\n"
                 "  --no-idle-announce  quiescence by /proc alone (no idle announcement)\n"
                 "  --client async|sync  serve the server's DMA while a request of ours is\n"
                 "                    outstanding (async), or set it aside until none is (sync;\n"
                 "                    pinned in the log; a mutual wait is reported as deadlock)\n"
                 "  --bar-access mapping|messages  MemRd/MemWr inside a server's mmap areas\n"
                 "                    from the mapping (default) or all by messages (rcsim run\n"
                 "                    --help; pinned in the log)\n"
                 "  --matrix          the #279 design space: every --dma-mode of --server-cmd x\n"
                 "                    client style (rcsim explore --matrix --help)\n"
                 "  --reset process|device  between runs: a fresh server process (default), or\n"
                 "                    one server for many runs with DEVICE_RESET before each\n"
                 "                    (one run at a time; a fresh server after a failing run)\n"
                 "  --watchdog-ms MS  wall time a quiescent server may stay silent (300)\n"
                 "  --cpl-timeout N   the root port's completion timeout in cycles (50000)\n"
                 "  --irq auto|msix|msi|intx|none  interrupt mode enumeration sets up (auto)\n"
                 "  --delays C,C,...  also offer delaying each arrival by C cycles (a choice\n"
                 "                    per arrival; replay needs the same --delays)\n"
                 "  --dma-choices hold,reset,unmap,never  DMA choice points (none): hold a DMA\n"
                 "                    reply or never answer it (dma-reply), DEVICE_RESET or\n"
                 "                    DMA_UNMAP of its window before taking it up (dma-intervene)\n"
                 "  --hold-cycles N,N,...  the holds dma-reply offers (1000)\n"
                 "  --migration-choices  a `migrate` asks before each of its source commands\n"
                 "                    (state change, data read, dirty report): send it now, or\n"
                 "                    let the device run 500 cycles first (at most 3 times)\n"
                 "Exit status: 0 no failure, 1 failures found, 2 usage or setup error.\n"
                 "`rcsim run --schedule replay:LOG`: 0 passed, 1 failed, 2 usage or setup\n"
                 "error, 3 the run did not follow the log (diverged).\n");
}

bool parse_shard(const std::string &s, size_t *i, size_t *n) {
    unsigned a = 0, b = 0;
    char tail = 0;
    if (std::sscanf(s.c_str(), "%u/%u%c", &a, &b, &tail) != 2 || b == 0 || a >= b)
        return false;
    *i = a;
    *n = b;
    return true;
}

// Options common to the three commands; returns 1 if consumed (with its
// value), 0 if unknown, -1 on a bad value.
int take_option(SchedOptions &o, int argc, char **argv, int *i, std::string *err) {
    const std::string a = argv[*i];
    o.given.insert(a);
    auto value = [&](std::string *dst) {
        if (*i + 1 >= argc) {
            *err = a + " needs a value";
            return -1;
        }
        *dst = argv[++*i];
        return 1;
    };
    auto number = [&](size_t *dst) {
        std::string v;
        if (value(&v) < 0)
            return -1;
        char *end = nullptr;
        const unsigned long long n = std::strtoull(v.c_str(), &end, 10);
        if (v.empty() || *end) {
            *err = a + ": not a number: " + v;
            return -1;
        }
        *dst = size_t(n);
        return 1;
    };
    size_t n = 0;
    int rc;
    if (a == "--server")
        return value(&o.server);
    if (a == "--socket")
        return value(&o.socket);
    if (a == "--scenario")
        return value(&o.scenario);
    if (a == "--schedule")
        return value(&o.schedule);
    if (a == "--strategy")
        return value(&o.explore.strategy);
    if (a == "--decisions")
        return value(&o.log);
    if (a == "--wave")
        return value(&o.wave);
    if (a == "--trace")
        return value(&o.trace);
    if (a == "--html")
        return value(&o.html);
    if (a == "--junit")
        return value(&o.junit);
    if (a == "--out")
        return value(&o.out);
    if (a == "--runs") {
        o.runs_given = true;
        return number(&o.explore.runs);
    }
    if (a == "--jobs")
        return number(&o.explore.jobs);
    if (a == "--cpl-timeout" || a == "--irq") {
        std::string v;
        if (value(&v) < 0)
            return -1;
        if (a == "--irq" && !parse_irq_preference(v, &o.irq)) {
            *err = "--irq takes auto, msix, msi, intx or none, not " + v;
            return -1;
        }
        const std::string why = a == "--irq" ? "" : parse_cpl_timeout(v, &o.cpl_timeout);
        if (!why.empty())
            *err = "--cpl-timeout: " + why;
        return why.empty() ? 1 : -1;
    }
    if (a == "--bound" || a == "--depth" || a == "--seed" || a == "--watchdog-ms") {
        if ((rc = number(&n)) < 0)
            return rc;
        if (a == "--bound")
            o.explore.bound = unsigned(n);
        else if (a == "--depth")
            o.explore.depth = unsigned(n);
        else if (a == "--seed")
            o.explore.seed = n;
        else
            o.watchdog_ms = unsigned(n);
        return 1;
    }
    if (a == "--reset") {
        std::string v;
        if (value(&v) < 0)
            return -1;
        if (v != "device" && v != "process") {
            *err = "--reset device|process, not " + v;
            return -1;
        }
        o.explore.device_reset = v == "device";
        return 1;
    }
    if (a == "--delays") {
        std::string v;
        if (value(&v) < 0)
            return -1;
        const std::string why = parse_delay_choices(v, &o.delays);
        if (!why.empty())
            *err = "--delays: " + why;
        return why.empty() ? 1 : -1;
    }
    if (a == "--dma-choices" || a == "--hold-cycles") {
        std::string v;
        if (value(&v) < 0)
            return -1;
        return (a == "--dma-choices" ? parse_dma_choices(v, &o.dma, err)
                                     : parse_hold_cycles(v, &o.dma.hold_cycles, err)) < 0
                   ? -1
                   : 1;
    }
    if (a == "--shard") {
        std::string v;
        if (value(&v) < 0)
            return -1;
        if (!parse_shard(v, &o.explore.shard, &o.explore.shards)) {
            *err = "--shard wants I/N with I < N: " + v;
            return -1;
        }
        o.have_shard = true;
        return 1;
    }
    if (a == "--no-shrink")
        o.explore.shrink = false;
    else if (a == "--stop-at-first")
        o.explore.stop_at_first_failure = true;
    else if (a == "--no-twin")
        o.no_twin = true;
    else if (a == "--no-idle-announce")
        o.no_idle_announce = true;
    else if (a == "--migration-choices")
        o.migration_choices = true;
    else if (a == "--client") {
        std::string v;
        if (value(&v) < 0)
            return -1;
        if (!parse_client_style(v, &o.client)) {
            *err = "--client async|sync, not " + v;
            return -1;
        }
    } else if (a == "--bar-access") {
        std::string v;
        if (value(&v) < 0)
            return -1;
        if (!parse_bar_access(v, &o.bar_access)) {
            *err = "--bar-access mapping|messages, not " + v;
            return -1;
        }
    } else if (a == "--force")
        o.force = true;
    else if (a == "--server-from-log")
        o.server_from_log = true;
    else
        return 0;
    return 1;
}

} // namespace

int parse_sched_options(const char *cmd, SchedOptions &o, int argc, char **argv,
                        std::vector<std::string> *rest, void (*usage)(FILE *)) {
    for (int i = 0; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
        std::string err;
        const int rc = take_option(o, argc, argv, &i, &err);
        if (rc < 0) {
            std::fprintf(stderr, "rcsim %s: %s\n", cmd, err.c_str());
            return 2;
        }
        if (rc == 0) {
            if (argv[i][0] == '-' || !rest) {
                std::fprintf(stderr, "rcsim %s: unknown option %s\n", cmd, argv[i]);
                usage(stderr);
                return 2;
            }
            rest->push_back(argv[i]);
        }
    }
    return -1;
}

int make_spec(const char *cmd, const SchedOptions &o, RunSpec *spec) {
    std::string err;
    if (o.scenario.empty()) {
        std::fprintf(stderr, "rcsim %s: --scenario FILE is required\n", cmd);
        return 2;
    }
    if (load_run_spec(o.scenario, spec, &err) < 0) {
        std::fprintf(stderr, "rcsim %s: %s\n", cmd, err.c_str());
        return 2;
    }
    if (spec->has_topology()) {
        const char *why = !o.server.empty() || !o.socket.empty()
                              ? "the scenario's topology statement starts its servers: give "
                                "neither --server nor --socket"
                          : o.explore.device_reset
                              ? "--reset device keeps one server for every run; a topology's "
                                "runs each start theirs (--reset process)"
                              : nullptr;
        if (why) {
            std::fprintf(stderr, "rcsim %s: %s\n", cmd, why);
            return 2;
        }
    } else if (o.server.empty() == o.socket.empty()) {
        std::fprintf(stderr, "rcsim %s: give one of --server and --socket\n", cmd);
        return 2;
    }
    // The declared windows go into the harness every run forks from; each
    // forked run gets fresh memfds for the shared ones (scheduled_run.cpp).
    for (const Statement &s : spec->program.statements) {
        if (s.op != Op::DmaWindow)
            continue;
        MemWindow w;
        const std::string why = parse_dma_window(s.window, &w);
        if (!why.empty()) {
            std::fprintf(stderr, "rcsim %s: %s:%u: dma-window %s: %s\n", cmd, s.loc.file.c_str(),
                         s.loc.line, s.window.c_str(), why.c_str());
            return 2;
        }
        spec->dma_windows.push_back(w);
    }
    if (!spec->dma_windows.empty() && o.explore.device_reset) {
        std::fprintf(stderr,
                     "rcsim %s: --reset device keeps one server for every run, and the "
                     "scenario's declared windows would carry one run's bytes into the "
                     "next: use --reset process\n",
                     cmd);
        return 2;
    }
    spec->socket = o.socket;
    if (!o.server.empty() && split_command_line(o.server, &spec->server_argv, &err) < 0) {
        std::fprintf(stderr, "rcsim %s: --server: %s\n", cmd, err.c_str());
        return 2;
    }
    // The log pins argv: an absolute program path replays from anywhere.
    std::string exe;
    char abs[PATH_MAX];
    if (!spec->server_argv.empty() && resolve_executable(spec->server_argv[0], &exe) == 0 &&
        realpath(exe.c_str(), abs))
        spec->server_argv[0] = abs;
    return -1;
}

HarnessConfig harness_config(const SchedOptions &o, HarnessConfig cfg, bool only_given) {
    auto take = [&](const char *option) { return !only_given || o.given.count(option) > 0; };
    if (take("--no-twin"))
        cfg.no_twin = o.no_twin;
    if (take("--no-idle-announce"))
        cfg.idle_announce = !o.no_idle_announce;
    if (take("--migration-choices"))
        cfg.migration_choices = o.migration_choices;
    if (take("--client"))
        cfg.client_style = o.client;
    if (take("--bar-access"))
        cfg.bar_access = o.bar_access;
    if (take("--cpl-timeout"))
        cfg.cpl_timeout = o.cpl_timeout;
    if (take("--irq"))
        cfg.irq = o.irq;
    if (take("--delays"))
        cfg.admission.delay_choices = o.delays;
    if (take("--dma-choices")) {
        const std::vector<uint64_t> holds = cfg.dma_choices.hold_cycles;
        cfg.dma_choices = o.dma;
        cfg.dma_choices.hold_cycles = holds;
    }
    if (take("--hold-cycles"))
        cfg.dma_choices.hold_cycles = o.dma.hold_cycles;
    // Not pinned (wall time, output files): always the command line's.
    cfg.fst_path = o.wave;
    cfg.admission.watchdog = std::chrono::milliseconds(o.watchdog_ms);
    return cfg;
}

namespace {

// The report page of a run that wrote `trace` (and o.log, if any). A trace
// written only for the page is removed again. 0, or exit status 2.
int html_of_run(const char *cmd, const SchedOptions &o, const std::string &trace) {
    HtmlReportOptions ho;
    ho.trace = trace;
    ho.decisions = o.log;
    ho.out = o.html;
    const int rc = write_report_or_complain(cmd, ho);
    if (o.trace.empty())
        std::remove(trace.c_str());
    return rc;
}

} // namespace

int single_run(const char *cmd, const SchedOptions &o, const HarnessConfig &cfg,
               const RunSpec &spec, const std::string &policy) {
    std::unique_ptr<Harness> h;
    std::string err;
    if (Harness::create(cfg, &h, &err) < 0) {
        std::fprintf(stderr, "rcsim %s: cannot set up the harness: %s\n", cmd, err.c_str());
        return 2;
    }
    // The page needs a trace: without --trace one is written next to it.
    const std::string trace =
        o.html.empty() || !o.trace.empty() ? o.trace : o.html + ".trace.jsonl";
    const RunReport r = scheduled_run(*h, spec, policy, o.log, trace);
    h.reset(); // closes the FST
    if (r.status != 0)
        std::printf("rcsim: FAIL %s\n  %s\n%s%s", spec.scenario.c_str(), r.failure_class.c_str(),
                    r.details.c_str(), r.details.empty() || r.details.back() == '\n' ? "" : "\n");
    else
        std::printf("rcsim: PASS %s\n", spec.scenario.c_str());
    if (!r.category.empty())
        std::printf("  failure category: %s\n", r.category.c_str());
    std::printf("  schedule: %s, %zu choice point(s), %zu deviation(s) from fifo%s%s\n",
                policy.c_str(), size_t(r.choices.points), r.deviations.size(),
                r.deviations.empty() ? "" : ": plan:", plan_to_string(r.deviations).c_str());
    if (!r.divergence.empty())
        std::printf("  replay diverged: %s\n", r.divergence.c_str());
    if (!o.log.empty())
        std::printf("  decisions: %s\n", o.log.c_str());
    if (!o.wave.empty())
        std::printf("  waveform: %s\n", o.wave.c_str());
    std::printf("  run hash: %s\n", r.hash.c_str());
    if (!o.html.empty() && html_of_run(cmd, o, trace) != 0 && r.status == 0)
        return 2;
    if (const Statement *w = first_wall_wait(spec.program))
        std::printf("  not repeatable: %s:%u waits in wall-clock time (outside the determinism "
                    "guarantee: another run, or a replay, may differ)\n",
                    w->loc.file.c_str(), w->loc.line);
    return r.status != 2 && !r.divergence.empty() ? kExitDiverged : r.status;
}

void write_explore_junit(const std::string &path, const std::string &scenario,
                         const std::string &strategy, const ExploreSummary &s) {
    std::vector<JunitCase> cases;
    for (const FailureClass &c : s.classes) {
        JunitCase j;
        j.name = "explore " + c.name;
        j.classname = "rcsim.explore";
        j.file = scenario;
        j.outcome = JunitCase::Outcome::Failed;
        j.message = c.name + " (" + c.category + "; replay: rcsim replay " + c.log_path + ")";
        j.details = c.details;
        cases.push_back(j);
    }
    if (cases.empty()) {
        JunitCase j;
        j.name = "explore " + strategy;
        j.classname = "rcsim.explore";
        j.file = scenario;
        j.seconds = s.seconds;
        cases.push_back(j);
    }
    std::string err;
    if (write_junit(path, cases, &err) < 0)
        std::fprintf(stderr, "rcsim: junit: %s\n", err.c_str());
}

namespace {

// The shard from the environment when --shard is not given: googletest's
// variables, then Bazel's (which also wants its status file touched to
// know the test understands sharding). -1 to go on, else the exit status.
int shard_from_environment(SchedOptions &o) {
    const char *vars[2][2] = {{"GTEST_SHARD_INDEX", "GTEST_TOTAL_SHARDS"},
                              {"TEST_SHARD_INDEX", "TEST_TOTAL_SHARDS"}};
    for (const auto &v : vars) {
        const char *i = std::getenv(v[0]), *n = std::getenv(v[1]);
        if (o.have_shard || !i || !n)
            continue;
        if (!parse_shard(std::string(i) + "/" + n, &o.explore.shard, &o.explore.shards)) {
            std::fprintf(stderr, "rcsim explore: bad %s/%s: %s/%s\n", v[0], v[1], i, n);
            return 2;
        }
        o.have_shard = true;
    }
    if (const char *status = std::getenv("TEST_SHARD_STATUS_FILE")) {
        if (FILE *f = std::fopen(status, "a"))
            std::fclose(f);
    }
    return -1;
}

// out/explore-summary.json, what `rcsim merge` reads. -1 or exit status 2.
int write_summary_file(const SchedOptions &o, const RunSpec &spec, const HarnessConfig &cfg,
                       const ExploreSummary &s) {
    ShardRecord r;
    r.index = o.explore.shard;
    r.count = o.explore.shards;
    r.summary = s;
    std::string err =
        exploration_setup(o.scenario, spec, o.explore, pinned_settings(cfg), &r.setup);
    if (err.empty())
        err = write_shard_summary(o.out, r);
    if (err.empty())
        return -1;
    std::fprintf(stderr, "rcsim explore: summary for rcsim merge: %s\n", err.c_str());
    return 2;
}

// OUT/failure-N.jsonl -> OUT/failure-N<suffix>.
std::string beside_log(const std::string &log, const char *suffix) {
    const size_t dot = log.rfind(".jsonl");
    return (dot == std::string::npos ? log : log.substr(0, dot)) + suffix;
}

// Each class's minimal run replayed with a trace in a child (SystemC runs
// once per process), then its page; the first class's also as o.html.
int class_pages(Harness &h, const RunSpec &spec, const SchedOptions &o, const ExploreSummary &s) {
    int rc = 0;
    for (const FailureClass &c : s.classes) {
        const std::string trace = beside_log(c.log_path, ".trace.jsonl");
        const std::string again = beside_log(c.log_path, ".html-replay.jsonl");
        const RunResult child = run_in_child(
            [&](size_t) {
                scheduled_run(h, spec, "replay:" + c.log_path, again, trace);
                return 0;
            },
            0, RunLimits{std::chrono::milliseconds(120000), 1 << 20});
        std::remove(again.c_str());
        if (!child.passed()) {
            std::fprintf(stderr, "rcsim explore: the traced replay of %s: %s\n", c.log_path.c_str(),
                         child.describe().c_str());
            rc = 2;
            continue;
        }
        HtmlReportOptions ho;
        ho.trace = trace;
        ho.decisions = c.log_path;
        ho.out = beside_log(c.log_path, ".html");
        rc = std::max(rc, write_report_or_complain("explore", ho));
        if (&c == &s.classes.front()) {
            ho.out = o.html;
            rc = std::max(rc, write_report_or_complain("explore", ho));
        }
    }
    return rc;
}

} // namespace

int rcsim_run_scheduled(int argc, char **argv) {
    SchedOptions o;
    int rc = parse_sched_options("run", o, argc, argv, nullptr, explore_usage);
    if (rc >= 0)
        return rc;
    std::unique_ptr<Scheduler> check;
    std::string err;
    if (Scheduler::create(o.schedule, &check, &err) < 0) {
        std::fprintf(stderr, "rcsim run: --schedule: %s\n", err.c_str());
        return 2;
    }
    RunSpec spec;
    if ((rc = make_spec("run", o, &spec)) >= 0)
        return rc;
    HarnessConfig cfg = harness_config(o, HarnessConfig{}, false);
    if (!spec.dma_windows.empty())
        cfg.dma_windows = spec.dma_windows;
    // The server is the user's --server, never the log's; the settings
    // must be the log's too, or the replay reproduces nothing.
    if (o.schedule.compare(0, 7, "replay:") == 0 &&
        (rc = check_replay_setup("run", o.schedule.substr(7), o, cfg, spec)) >= 0)
        return rc;
    return single_run("run", o, cfg, spec, o.schedule);
}

int rcsim_explore(int argc, char **argv) {
    for (int i = 0; i < argc; ++i) // the whole design space: rcsim_matrix.cpp
        if (std::string(argv[i]) == "--matrix")
            return rcsim_explore_matrix(argc, argv);
    SchedOptions o;
    o.explore.progress = true;
    int rc = parse_sched_options("explore", o, argc, argv, nullptr, explore_usage);
    if (rc >= 0)
        return rc;
    const std::string &st = o.explore.strategy;
    if (st != "random" && st != "pct" && st != "exhaustive") {
        std::fprintf(stderr, "rcsim explore: --strategy random|pct|exhaustive, not '%s'\n",
                     st.c_str());
        return 2;
    }
    if ((rc = shard_from_environment(o)) >= 0)
        return rc;
    if (st == "exhaustive" && !o.runs_given)
        o.explore.runs = SIZE_MAX;
    RunSpec spec;
    if ((rc = make_spec("explore", o, &spec)) >= 0)
        return rc;
    const std::string why = unexplorable(spec.program);
    if (!why.empty()) {
        std::fprintf(stderr, "rcsim explore: %s\n", why.c_str());
        return 2;
    }
    if (o.explore.device_reset && o.socket.empty() && o.explore.jobs > 1) {
        std::fprintf(stderr, "rcsim explore: --reset device: one server, so one run at a time "
                             "(--jobs 1)\n");
        o.explore.jobs = 1;
    }
    o.explore.device_reset = o.explore.device_reset && o.socket.empty();
    if (!o.socket.empty() && o.explore.jobs > 1) {
        std::fprintf(stderr, "rcsim explore: --socket: one server, so one run at a time "
                             "(--jobs 1); each run starts with DEVICE_RESET\n");
        o.explore.jobs = 1;
    }
    std::unique_ptr<Harness> h;
    std::string err;
    HarnessConfig cfg = harness_config(o, HarnessConfig{}, false);
    if (!spec.dma_windows.empty())
        cfg.dma_windows = spec.dma_windows;
    if (Harness::create(cfg, &h, &err) < 0) {
        std::fprintf(stderr, "rcsim explore: cannot set up the harness: %s\n", err.c_str());
        return 2;
    }
    o.explore.out_dir = o.out;
    const ExploreSummary s = explore(*h, spec, o.explore);
    std::printf("%s", format_summary(s, "rcsim replay").c_str());
    if (!s.classes.empty())
        std::printf("(rcsim replay starts no server a log names unless told: add --server-from-log "
                    "or --server 'CMD' to those commands; rcsim replay --help)\n");
    if (!o.junit.empty())
        write_explore_junit(o.junit, o.scenario, o.explore.strategy, s);
    // Pages exist only for failures, so the exit status is 1 with or
    // without them; a page that could not be made is reported above.
    if (!o.html.empty())
        class_pages(*h, spec, o, s);
    if (write_summary_file(o, spec, cfg, s) >= 0)
        return s.failures ? 1 : 2;
    return s.failures ? 1 : s.errors ? 2 : 0;
}

} // namespace rcsim
