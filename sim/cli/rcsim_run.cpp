// `rcsim run`: options, then each scenario (scenario_session.cpp; in a
// forked child each when there are several), then the JUnit file.
#include "rcsim_commands.hpp"

#include "junit_report.hpp"
#include "run_settings.hpp"
#include "scenario_session.hpp"

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

namespace rcsim {

namespace {

struct RunOptions : SessionOptions {
    std::vector<std::string> scenarios;
    std::string junit;
};

void run_usage(FILE *f) {
    std::fprintf(
        f, "usage: rcsim run [--server 'CMD ARGS' | --socket PATH] --scenario FILE [options]\n"
           "  (neither when the scenario begins with `topology \"FILE\"`: it starts a server\n"
           "   per device, sim/topology/README.md)\n"
           "  --server 'CMD ARGS'  start this vfio-user server (split like a shell, no shell);\n"
           "                       {socket} in an argument becomes the socket path, else\n"
           "                       --socket PATH is appended\n"
           "  --socket PATH        connect to a server already listening on PATH\n"
           "  --scenario FILE      the scenario to run (sim/scenario/SCENARIOS.md); repeat\n"
           "                       for more (each runs in its own process, with its own\n"
           "                       server)\n"
           "  --wave FILE.fst      write the RTL waveform (FST; one scenario only)\n"
           "  --trace FILE.jsonl   write the JSONL trace (one scenario only)\n"
           "  --perfetto FILE.json also convert the trace for ui.perfetto.dev (needs --trace)\n"
           "  --html FILE.html     the run as one self-contained HTML page (rcsim report;\n"
           "                       one scenario only; a trace is written for it if\n"
           "                       --trace is not given, and removed)\n"
           "  --junit FILE.xml     write a JUnit report, one test case per scenario\n"
           "  --decisions FILE     write the admission decision log (JSONL)\n"
           "  --irq auto|msix|msi|intx|none  interrupt mode enumeration sets up (auto)\n"
           "  --io-window BASE+SIZE  I/O space for the device's I/O BARs (0x1000+0xf000:\n"
           "                       ports 0x1000..0xffff); an I/O BAR that does not fit is\n"
           "                       a setup error (exit 2)\n"
           "  --bar-access mapping|messages  MemRd/MemWr inside an area the server offers\n"
           "                       for mmap are loads/stores in the mapping, no message\n"
           "                       (mapping, the default, as a VMM does), or every one is\n"
           "                       a REGION_READ/REGION_WRITE (messages); I/O BARs always\n"
           "                       go by messages\n"
           "  --no-twin            do not offer the twin socket\n"
           "  --no-idle-announce   do not offer a started server the idle announcement\n"
           "                       (sim/sched/README.md): quiescence by /proc alone\n"
           "  --dma-window BASE+SIZE:PERM[:fd|:sock]:NAME  host memory mapped to the\n"
           "                       server; repeat for more (the first replaces the default\n"
           "                       0x10000000+0x1000000:rw:dma0). PERM r, w or rw; fd:\n"
           "                       shared (a memfd the server maps: its accesses there\n"
           "                       bypass the RTL), else by DMA messages through the RTL;\n"
           "                       sock: those messages on a socket of the window's own\n"
           "                       (a DMA socket per mapping: dmacopy --dma-mode map-socket)\n"
           "  --client async|sync  serve the server's DMA while an MMIO request is\n"
           "                       outstanding (async, the default) or set it aside until\n"
           "                       none is (sync; a mutual wait is reported as deadlock)\n"
           "  --schedule POLICY    one run under a scheduler policy (fifo, random:SEED,\n"
           "                       pct:SEED:DEPTH, plan:P=O,..., replay:LOG): choices\n"
           "                       logged with --decisions, run hash printed\n"
           "  --migration-choices  a scheduled run (fifo unless --schedule) whose `migrate`\n"
           "                       asks the scheduler before each source command\n"
           "  --dma-choices LIST   a scheduled run (fifo unless --schedule) with DMA choice\n"
           "                       points: hold,reset,unmap,never (rcsim explore --help);\n"
           "                       --hold-cycles N,... the holds offered (1000)\n"
           "Exit status: 0 all passed, 1 an expectation failed (the report names\n"
           "FILE:LINE, the expected and the actual value), 2 usage or setup error (a\n"
           "scenario that does not parse or is not a regular file), 3 a --schedule\n"
           "replay:LOG run that did not follow the log.\n");
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

// BASE+SIZE, SIZE > 0, ending at or below 4 GiB (I/O addresses are 32 bits).
bool take_io_window(const std::string &s, RunOptions *o) {
    return parse_io_window(s, &o->io_window_base, &o->io_window_size).empty();
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
        if (a == "--no-idle-announce") {
            o->no_idle_announce = true;
            continue;
        }
        static const struct {
            const char *name;
            std::string RunOptions::*field;
        } valued[] = {{"--server", &RunOptions::server},       {"--socket", &RunOptions::socket},
                      {"--wave", &RunOptions::wave},           {"--trace", &RunOptions::trace},
                      {"--perfetto", &RunOptions::perfetto},   {"--junit", &RunOptions::junit},
                      {"--decisions", &RunOptions::decisions}, {"--html", &RunOptions::html}};
        std::string name = a, value;
        const size_t eq = a.find('=');
        const bool inline_value = a.compare(0, 2, "--") == 0 && eq != std::string::npos;
        if (inline_value) {
            name = a.substr(0, eq);
            value = a.substr(eq + 1);
        }
        bool known = name == "--scenario" || name == "--irq" || name == "--client" ||
                     name == "--dma-window" || name == "--io-window" || name == "--bar-access";
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
        } else if (name == "--dma-window") {
            MemWindow w;
            const std::string why = parse_dma_window(value, &w);
            if (!why.empty())
                return usage_error("--dma-window: " + why);
            o->dma_windows.push_back(w);
        } else if (name == "--client") {
            if (!parse_client_style(value, &o->client))
                return usage_error("--client takes async or sync, not '" + value + "'");
        } else if (name == "--bar-access") {
            if (!parse_bar_access(value, &o->bar_access))
                return usage_error("--bar-access takes mapping or messages, not '" + value + "'");
        } else if (name == "--io-window") {
            if (!take_io_window(value, o))
                return usage_error("--io-window takes BASE+SIZE inside the 32-bit I/O space, "
                                   "not '" +
                                   value + "'");
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
    // Neither: the scenario's topology statement starts the servers.
    if (!o->server.empty() && !o->socket.empty())
        return usage_error("give one of --server and --socket, not both");
    if (o->scenarios.empty())
        return usage_error("no --scenario given");
    if (o->scenarios.size() > 1 &&
        (!o->wave.empty() || !o->trace.empty() || !o->decisions.empty() || !o->html.empty()))
        return usage_error("--wave, --trace, --decisions and --html take one scenario only");
    if (!o->perfetto.empty() && o->trace.empty())
        return usage_error("--perfetto needs --trace (it converts that trace)");
    if (!o->html.empty() && o->trace.empty()) { // the page is drawn from a trace
        o->trace = o->html + ".trace.jsonl";
        o->trace_for_html_only = true;
    }
    return 0;
}

// The file name without directory and .rcs.
std::string junit_case_name(const std::string &path) {
    const size_t slash = path.rfind('/');
    std::string n = path.substr(slash == std::string::npos ? 0 : slash + 1);
    if (n.size() > 4 && n.compare(n.size() - 4, 4, ".rcs") == 0)
        n.resize(n.size() - 4);
    return n;
}

} // namespace

int rcsim_run(int argc, char **argv) {
    // A scheduled run (the scheduler's options) is rcsim_explore.cpp's.
    for (int i = 0; i < argc; ++i)
        if (std::string(argv[i]) == "--schedule" || std::string(argv[i]) == "--dma-choices" ||
            std::string(argv[i]) == "--migration-choices")
            return rcsim_run_scheduled(argc, argv);
    RunOptions opt;
    const int prc = parse_options(argc, argv, &opt);
    if (prc != 0)
        return prc < 0 ? 0 : prc;
    std::vector<JunitCase> cases;
    int worst = 0;
    for (const std::string &file : opt.scenarios) {
        const Outcome o =
            opt.scenarios.size() == 1 ? run_scenario(opt, file) : run_scenario_in_child(opt, file);
        worst = std::max(worst, o.status);
        JunitCase c;
        c.name = junit_case_name(file);
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

} // namespace rcsim
