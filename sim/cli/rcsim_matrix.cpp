// `rcsim explore --matrix`: options, the harness, the table (matrix.hpp).
#include "rcsim_commands.hpp"

#include "matrix.hpp"
#include "command_line.hpp"

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace rcsim {

namespace {

void matrix_usage(FILE *f) {
    std::fprintf(
        f, "usage: rcsim explore --matrix --server-cmd 'PATH/dmacopy [ARGS]' --scenario FILE\n"
           "                     [--queue-scenarios A.rcs,B.rcs] [options]\n"
           "  For every DMA mode (the server started as CMD --dma-mode M) and client style,\n"
           "  explores FILE exhaustively (a fresh server per run) and prints one table:\n"
           "  schedules, failures by category, the server's peak DMA queue bytes (queue\n"
           "  mode), schedules per second; then queue mode's peaks on the queue-size\n"
           "  scenarios (async client), and the replay command of every failure class.\n"
           "  --bound B            deviations from fifo per schedule (2)\n"
           "  --jobs J             runs at once (2)\n"
           "  --modes M,M,...      DMA modes (legacy,queue,async,twin,map-socket)\n"
           "  --clients C,C        client styles (async,sync)\n"
           "  --out DIR            failure logs, a directory per cell (rcsim-matrix)\n"
           "  --matrix-out FILE    also write the tables as markdown\n"
           "  --watchdog-ms MS     wall time a quiescent server may stay silent (300)\n"
           "Exit status: 0 the table is complete (failures are findings), 2 usage or setup\n"
           "error, or runs that could not run (an unknown --dma-mode, ...).\n");
}

std::vector<std::string> split_commas(const std::string &v) {
    std::vector<std::string> out;
    size_t pos = 0;
    while (pos <= v.size()) {
        const size_t comma = std::min(v.find(',', pos), v.size());
        if (comma > pos)
            out.push_back(v.substr(pos, comma - pos));
        pos = comma + 1;
    }
    return out;
}

struct MatrixArgs {
    MatrixOptions m;
    std::string server, matrix_out;
    unsigned watchdog_ms = 300;
};

// 1 consumed, 0 unknown, -1 bad value (err says why).
int take(MatrixArgs &a, int argc, char **argv, int *i, std::string *err) {
    const std::string o = argv[*i];
    if (o == "--matrix")
        return 1;
    const bool valued = o == "--server-cmd" || o == "--server" || o == "--scenario" ||
                        o == "--queue-scenarios" || o == "--bound" || o == "--jobs" ||
                        o == "--modes" || o == "--clients" || o == "--out" || o == "--matrix-out" ||
                        o == "--watchdog-ms";
    if (!valued)
        return 0;
    if (*i + 1 >= argc) {
        *err = o + " needs a value";
        return -1;
    }
    const std::string v = argv[++*i];
    auto number = [&](unsigned long *dst) {
        char *end = nullptr;
        *dst = std::strtoul(v.c_str(), &end, 10);
        if (v.empty() || *end || *dst == 0) {
            *err = o + ": not a positive number: " + v;
            return -1;
        }
        return 1;
    };
    unsigned long n = 0;
    if (o == "--server-cmd" || o == "--server")
        a.server = v;
    else if (o == "--scenario")
        a.m.scenario = v;
    else if (o == "--queue-scenarios")
        a.m.queue_scenarios = split_commas(v);
    else if (o == "--modes")
        a.m.modes = split_commas(v);
    else if (o == "--out")
        a.m.out_dir = v;
    else if (o == "--matrix-out")
        a.matrix_out = v;
    else if (o == "--clients") {
        a.m.clients.clear();
        for (const std::string &c : split_commas(v)) {
            ClientStyle s;
            if (!parse_client_style(c, &s)) {
                *err = "--clients takes async and/or sync, not " + c;
                return -1;
            }
            a.m.clients.push_back(s);
        }
    } else {
        if (number(&n) < 0)
            return -1;
        if (o == "--bound")
            a.m.bound = unsigned(n);
        else if (o == "--jobs")
            a.m.jobs = size_t(n);
        else
            a.watchdog_ms = unsigned(n);
    }
    return 1;
}

// 0 ok, 2 usage error (reported), -1 --help (printed).
int parse(MatrixArgs &a, int argc, char **argv) {
    a.m.out_dir = "rcsim-matrix";
    for (int i = 0; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
            matrix_usage(stdout);
            return -1;
        }
        std::string err;
        const int rc = take(a, argc, argv, &i, &err);
        if (rc < 0 || rc == 0) {
            std::fprintf(stderr, "rcsim explore --matrix: %s\n",
                         rc < 0 ? err.c_str() : (std::string("unknown option ") + argv[i]).c_str());
            matrix_usage(stderr);
            return 2;
        }
    }
    if (a.server.empty() || a.m.scenario.empty()) {
        std::fprintf(stderr, "rcsim explore --matrix: --server-cmd and --scenario are required\n");
        return 2;
    }
    if (a.m.modes.empty() || a.m.clients.empty()) {
        std::fprintf(stderr, "rcsim explore --matrix: no --modes or no --clients\n");
        return 2;
    }
    std::string err;
    if (split_command_line(a.server, &a.m.server_argv, &err) < 0 || a.m.server_argv.empty()) {
        std::fprintf(stderr, "rcsim explore --matrix: --server-cmd: %s\n",
                     err.empty() ? "empty" : err.c_str());
        return 2;
    }
    // The logs pin argv: an absolute program path replays from anywhere.
    std::string exe;
    char abs[PATH_MAX];
    if (resolve_executable(a.m.server_argv[0], &exe) < 0 || !realpath(exe.c_str(), abs)) {
        std::fprintf(stderr, "rcsim explore --matrix: cannot find %s\n",
                     a.m.server_argv[0].c_str());
        return 2;
    }
    a.m.server_argv[0] = abs;
    return 0;
}

} // namespace

int rcsim_explore_matrix(int argc, char **argv) {
    MatrixArgs a;
    const int prc = parse(a, argc, argv);
    if (prc != 0)
        return prc < 0 ? 0 : prc;
    HarnessConfig cfg;
    cfg.admission.watchdog = std::chrono::milliseconds(a.watchdog_ms);
    std::unique_ptr<Harness> h;
    std::string err;
    if (Harness::create(cfg, &h, &err) < 0) {
        std::fprintf(stderr, "rcsim explore --matrix: cannot set up the harness: %s\n",
                     err.c_str());
        return 2;
    }
    a.m.progress = true;
    const MatrixResult r = run_matrix(*h, a.m);
    std::printf("%s", format_matrix(r, false, "rcsim replay").c_str());
    if (!a.matrix_out.empty()) {
        std::ofstream out(a.matrix_out, std::ios::trunc);
        out << format_matrix(r, true, "rcsim replay");
        if (!out.flush()) {
            std::fprintf(stderr, "rcsim explore --matrix: cannot write %s\n", a.matrix_out.c_str());
            return 2;
        }
    }
    return matrix_errors(r) ? 2 : 0;
}

} // namespace rcsim
