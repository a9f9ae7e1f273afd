// `rcsim replay LOG`: one logged schedule again. The log is untrusted input
// (a CI artifact, a bug report): it supplies decisions and settings, never a
// program to start. The server the log names is started only when the user
// names it too (--server 'CMD' with the logged argv) or says so
// (--server-from-log); otherwise replay prints the logged command and stops.
// Settings come from the log unless given; a given one that differs, a
// different scenario, server binary or rcsim version is refused unless
// --force; a malformed or out-of-range logged setting is always refused.
#include "rcsim_commands.hpp"
#include "rcsim_sched_cli.hpp"

#include "decision_log.hpp"
#include "run_settings.hpp"
#include "command_line.hpp"
#include "sha256.hpp"
#include "topology_file.hpp"

#include <cstdio>
#include <string>
#include <vector>

namespace rcsim {

namespace {

void replay_usage(FILE *f) {
    std::fprintf(
        f,
        "usage: rcsim replay LOG (--server 'CMD ARGS' | --server-from-log | --socket PATH)\n"
        "                    [--force] [--wave FILE.fst] [--trace FILE.jsonl] [--decisions FILE]\n"
        "                    [--html FILE.html]\n"
        "  Runs the log's scenario under the log's choices and settings, and reports the\n"
        "  first decision where the run parts from the log.\n"
        "  A log is untrusted input: replay never starts a program only because the log\n"
        "  names it. Name the server again with --server 'CMD ARGS' (its argv must be\n"
        "  the logged one), or accept the logged command with --server-from-log, or\n"
        "  connect to a running server with --socket PATH. Without one of them, replay\n"
        "  prints the logged command and exits 2.\n"
        "  Settings (completion timeout, link settings, DMA windows, client style, irq\n"
        "  mode, delays, DMA choices, hold cycles, twin socket ...) are the log's; an\n"
        "  option given here that differs from the log, a different scenario or server\n"
        "  binary hash, argv or rcsim version is refused (one line per field, exit 2)\n"
        "  unless --force. A malformed or out-of-range value in the log is refused.\n"
        "  --client async|sync, --bar-access mapping|messages, --cpl-timeout N, --irq MODE, "
        "--no-twin, --delays C,...,\n"
        "  --dma-choices LIST, --hold-cycles N,...  as rcsim explore (checked against\n"
        "                    the log)\n"
        "  --watchdog-ms MS  wall time a quiescent server may stay silent (300)\n"
        "  --html FILE.html  the run as one HTML page (rcsim report; with the replay's\n"
        "                    decision log; the trace is --trace's or a temporary one)\n"
        "Exit status: 0 the run followed the log and passed, 1 it followed the log and\n"
        "failed (reproduced), 2 usage or setup error (refused log or settings, no\n"
        "server named, run could not start), 3 the run did not follow the log\n"
        "(diverged: truncated or edited log, different setup under --force).\n");
}

std::string quoted(const std::vector<std::string> &argv) {
    std::string s;
    for (const std::string &a : argv) {
        s += s.empty() ? "'" : " '";
        for (char c : a)
            s += c == '\'' ? std::string("'\\''") : std::string(1, c);
        s += "'";
    }
    return s;
}

// argv as the log records it: a server given no {socket} gets
// "--socket {socket}" appended (Harness::start_server).
std::vector<std::string> as_logged(std::vector<std::string> argv) {
    for (const std::string &a : argv)
        if (a.find("{socket}") != std::string::npos)
            return argv;
    argv.push_back("--socket");
    argv.push_back("{socket}");
    return argv;
}

// The server to start (spec.server_argv) under the rule of this file.
// -1 to go on, else the exit status.
int choose_server(const SchedOptions &o, const LogHeader &hd, const std::string &log,
                  RunSpec *spec) {
    if (!o.socket.empty())
        return -1;
    if (!o.server.empty())
        return -1;             // make_spec splits and resolves it; compared in header_problems
    if (!hd.devices.empty()) { // the scenario's topology starts them, each checked against the log
        if (o.server_from_log)
            return -1;
        std::fprintf(stderr, "rcsim replay: %s names a topology's servers\n", log.c_str());
        for (const LogDevice &d : hd.devices)
            std::fprintf(stderr, "  %s: %s\n", d.name.c_str(), quoted(d.argv).c_str());
        std::fprintf(stderr, "rcsim replay starts no program only because a log names it: "
                             "accept them with --server-from-log (the scenario's topology "
                             "file starts them; each must match the log)\n");
        return 2;
    }
    if (hd.server_argv.empty()) {
        std::fprintf(stderr,
                     "rcsim replay: %s: the logged run connected to a running server: "
                     "give --socket PATH\n",
                     log.c_str());
        return 2;
    }
    if (o.server_from_log) {
        spec->server_argv = hd.server_argv;
        return -1;
    }
    std::fprintf(stderr,
                 "rcsim replay: %s names the server command\n  %s\n"
                 "rcsim replay starts no program only because a log names it: give it again "
                 "with --server '...' or accept it with --server-from-log\n",
                 log.c_str(), quoted(hd.server_argv).c_str());
    return 2;
}

// Every field of this run that differs from what the log pinned.
std::vector<std::string> replay_header_problems(const LogHeader &hd, const HarnessConfig &logged,
                                                const HarnessConfig &run, const RunSpec &spec) {
    LogHeader now = hd;
    now.rcsim_version = rcsim_version();
    if (sha256_file_hex(spec.scenario, &now.scenario_sha256) < 0)
        now.scenario_sha256 = "(unreadable)";
    if (!spec.server_argv.empty()) { // a server we connect to is not ours to check
        now.server_argv = as_logged(spec.server_argv);
        std::string exe;
        if (resolve_executable(spec.server_argv[0], &exe) < 0 ||
            sha256_file_hex(exe, &now.server_sha256) < 0)
            now.server_sha256 = "(unreadable)";
    }
    if (spec.has_topology()) {
        now.devices.clear();
        std::string err;
        if (topology_log_devices(spec.topology, &now.devices, &err) < 0)
            now.devices.push_back(LogDevice{"(" + err + ")", {}, ""});
        if (sha256_file_hex(spec.topology_path, &now.topology_sha256) < 0)
            now.topology_sha256 = "(unreadable)";
    }
    LogHeader logged_hd = hd, now_hd = now;
    logged_hd.rtl_settings.clear(); // compared below, as settings
    now_hd.rtl_settings.clear();
    std::vector<std::string> out = header_mismatches(logged_hd, now_hd);
    for (const std::string &d : settings_differences(pinned_settings(logged), pinned_settings(run)))
        out.push_back(d);
    return out;
}

// The log's settings as a harness configuration; false (reported, one line
// per field) if any is malformed or out of range.
bool logged_config(const LogHeader &hd, const std::string &log, const char *cmd,
                   HarnessConfig *cfg) {
    const std::vector<std::string> bad = adopt_settings(hd.rtl_settings, cfg);
    for (const std::string &b : bad)
        std::fprintf(stderr, "rcsim %s: %s: refused setting %s\n", cmd, log.c_str(), b.c_str());
    return bad.empty();
}

// Prints the problems; true if the run may go on.
bool accept_problems(const char *cmd, const std::vector<std::string> &bad, bool force) {
    for (const std::string &m : bad)
        std::fprintf(stderr, "rcsim %s: %s: %s\n", cmd, force ? "warning" : "mismatch", m.c_str());
    if (!bad.empty() && !force)
        std::fprintf(stderr, "rcsim %s: refusing to replay a different setup (--force to go on)\n",
                     cmd);
    return bad.empty() || force;
}

} // namespace

int check_replay_setup(const char *cmd, const std::string &log_path, const SchedOptions &o,
                       const HarnessConfig &run, const RunSpec &spec) {
    DecisionLog log;
    std::string err;
    if (read_decision_log(log_path, &log, &err) < 0) {
        std::fprintf(stderr, "rcsim %s: %s\n", cmd, err.c_str());
        return 2;
    }
    HarnessConfig logged;
    if (!logged_config(log.header, log_path, cmd, &logged))
        return 2;
    return accept_problems(cmd, replay_header_problems(log.header, logged, run, spec), o.force) ? -1
                                                                                                : 2;
}

namespace {
size_t wall_waits(const std::vector<Decision> &ds) {
    size_t n = 0;
    for (const Decision &d : ds)
        n += d.kind == "wall-wait";
    return n;
}
} // namespace

int rcsim_replay(int argc, char **argv) {
    SchedOptions o;
    std::vector<std::string> rest;
    int rc = parse_sched_options("replay", o, argc, argv, &rest, replay_usage);
    if (rc >= 0)
        return rc;
    if (rest.size() != 1) {
        replay_usage(stderr);
        return 2;
    }
    const std::string &path = rest[0];
    DecisionLog log;
    std::string err;
    if (read_decision_log(path, &log, &err) < 0) {
        std::fprintf(stderr, "rcsim replay: %s\n", err.c_str());
        return 2;
    }
    const LogHeader &hd = log.header;
    HarnessConfig logged;
    if (!logged_config(hd, path, "replay", &logged))
        return 2;
    const HarnessConfig run = harness_config(o, logged, true);
    RunSpec spec;
    if ((rc = choose_server(o, hd, path, &spec)) >= 0)
        return rc;
    o.scenario = hd.scenario_path;
    const std::vector<std::string> from_log = spec.server_argv;
    if (!from_log.empty())
        o.server = "(from the log)"; // make_spec: one of --server, --socket
    if ((rc = make_spec("replay", o, &spec)) >= 0)
        return rc;
    if (!from_log.empty())
        spec.server_argv = from_log;
    if (!accept_problems("replay", replay_header_problems(hd, logged, run, spec), o.force))
        return 2;
    if (o.log.empty())
        o.log = path + ".replayed.jsonl";
    rc = single_run("replay", o, run, spec, "replay:" + path);
    DecisionLog again;
    if (read_decision_log(o.log, &again, &err) == 0) {
        const std::optional<Divergence> d = first_divergence(log.decisions, again.decisions);
        const size_t walls = wall_waits(log.decisions);
        if (walls)
            std::printf("  the log has %zu wall-clock wait(s) (wall-wait): outside the "
                        "determinism guarantee, so identity with the log is not claimed\n",
                        walls);
        if (d)
            std::printf("  the run parts from the log at decision %zu: %s\n", d->index,
                        d->what.c_str());
        else if (!walls)
            std::printf("  the run took every decision of the log (%zu)\n", log.decisions.size());
        else
            std::printf("  the run took the same %zu decisions as the log (simulated times after "
                        "a wall-clock wait may differ)\n",
                        log.decisions.size());
        if (d && rc != 2)
            rc = kExitDiverged;
    }
    if (rc == kExitDiverged)
        std::printf("rcsim: the replay diverged from %s: it reproduced nothing (exit status %d)\n",
                    path.c_str(), kExitDiverged);
    return rc;
}

} // namespace rcsim
