// `rcsim topology FILE`: the planned hierarchy of real servers. Every
// device's server is started (each its own process and socket, as `rcsim
// run --server` does), asked for its BARs, stopped; the BARs go through the
// enumeration plan (sim/topology/README.md) and the plan is printed as
// `lspci -tv` and `lspci -v` would show it.
#include "rcsim_commands.hpp"

#include "command_line.hpp"
#include "device_bars.hpp"
#include "enumeration_plan.hpp"
#include "input_file.hpp"
#include "process_cleanup.hpp"
#include "server_process.hpp"
#include "topology_parser.hpp"
#include "topology_render.hpp"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace rcsim {

namespace {

using std::chrono::milliseconds;
namespace topo = rcsim::topology;

constexpr long kDefaultTimeoutMs = 5000;
constexpr long kMaxTimeoutMs = 600000;
constexpr milliseconds kStopGrace{500};

void topology_usage(FILE *f) {
    std::fprintf(f, "usage: rcsim topology [--timeout-ms N] FILE\n"
                    "  Starts the vfio-user server of every device in the topology FILE (each its\n"
                    "  own process and socket), reads each device's BARs (region info and the BAR\n"
                    "  registers of config space), stops the servers and prints the enumeration\n"
                    "  plan: the tree as `lspci -tv` draws it, then every function's bus numbers,\n"
                    "  bridge windows and BAR addresses as `lspci -v` lists them.\n"
                    "  --timeout-ms N  how long a server may take to listen, and to answer each\n"
                    "                  request (default 5000, 1..600000)\n"
                    "  The language: sim/topology/README.md. A server command without {socket}\n"
                    "  gets `--socket PATH` appended.\n"
                    "Exit status: 0 ok, 1 a server failed (did not start, died, refused or did\n"
                    "not answer in time; the message names the device), 2 usage, a topology\n"
                    "file error (file:line:col) or a plan error (e.g. a BAR that does not fit).\n");
}

struct Args {
    const char *file = nullptr;
    long timeout_ms = kDefaultTimeoutMs;
};

// 0 to go on, else the exit status (help: 0 via *done).
int parse_args(int argc, char **argv, Args *a, bool *done) {
    for (int i = 0; i < argc; ++i) {
        const char *arg = argv[i];
        if (!std::strcmp(arg, "--help") || !std::strcmp(arg, "-h")) {
            topology_usage(stdout);
            *done = true;
            return 0;
        }
        if (!std::strcmp(arg, "--timeout-ms")) {
            char *end = nullptr;
            const char *v = i + 1 < argc ? argv[++i] : "";
            errno = 0;
            a->timeout_ms = std::strtol(v, &end, 10);
            if (!*v || *end || errno || a->timeout_ms < 1 || a->timeout_ms > kMaxTimeoutMs) {
                std::fprintf(stderr, "rcsim topology: --timeout-ms needs 1..%ld, not '%s'\n",
                             kMaxTimeoutMs, v);
                return 2;
            }
        } else if (arg[0] == '-' || a->file) {
            std::fprintf(stderr, "rcsim topology: unexpected argument '%s'\n", arg);
            topology_usage(stderr);
            return 2;
        } else {
            a->file = arg;
        }
    }
    if (a->file)
        return 0;
    topology_usage(stderr);
    return 2;
}

int load_topology(const std::string &file, topo::Topology *t) {
    std::string text, error;
    if (read_input_file(file, kMaxSmallInputBytes, &text, &error) < 0) {
        std::fprintf(stderr, "rcsim topology: cannot read %s: %s\n", file.c_str(), error.c_str());
        return 2;
    }
    topo::TopologyError e;
    if (topo::parse_topology(text, file, t, &e) < 0) {
        std::fprintf(stderr, "rcsim topology: %s\n", e.to_string().c_str());
        return 2;
    }
    return 0;
}

// One device's server, its socket directory and the client talking to it.
struct DeviceRun {
    std::string name;
    std::vector<std::string> argv;
    std::string dir, socket;
    std::unique_ptr<ServerProcess> proc;
    vuc_ctx *ctx = nullptr;
    std::vector<topo::BarSpec> bars;

    DeviceRun() = default;
    DeviceRun(const DeviceRun &) = delete;
    DeviceRun &operator=(const DeviceRun &) = delete;
    ~DeviceRun() { stop(); }

    // Stops and reaps the server, removes its socket directory. Idempotent.
    void stop() {
        if (ctx)
            vuc_destroy(ctx);
        ctx = nullptr;
        if (proc)
            proc->stop(kStopGrace);
        proc.reset();
        if (dir.empty())
            return;
        remove_tree(dir.c_str());
        cleanup_unregister(CleanupKind::Dir, 0, dir);
        dir.clear();
    }
};

using Devices = std::vector<std::unique_ptr<DeviceRun>>;

// Every device's command split into argv before any server starts: a
// command that does not split is the file's error (exit 2).
int split_commands(const topo::Topology &t, const std::string &file, Devices *devs) {
    for (const topo::Node &n : t.nodes) {
        if (n.kind != topo::NodeKind::Device)
            continue;
        auto d = std::make_unique<DeviceRun>();
        d->name = n.name;
        std::string error;
        if (split_command_line(n.server, &d->argv, &error) < 0) {
            std::fprintf(stderr, "rcsim topology: %s:%u: device '%s': server command: %s\n",
                         file.c_str(), n.line, n.name.c_str(), error.c_str());
            return 2;
        }
        devs->push_back(std::move(d));
    }
    return 0;
}

// The socket goes where "{socket}" is, else after `--socket`.
void place_socket(DeviceRun *d, ServerSpec *spec) {
    bool placed = false;
    for (const std::string &a : d->argv) {
        std::string arg = a;
        const size_t pos = arg.find("{socket}");
        if (pos != std::string::npos) {
            arg.replace(pos, 8, d->socket);
            placed = true;
        }
        spec->argv.push_back(arg);
    }
    if (placed)
        return;
    spec->argv.push_back("--socket");
    spec->argv.push_back(d->socket);
}

int start_server(DeviceRun *d, std::string *error) {
    const char *tmp = std::getenv("TMPDIR");
    std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/rcsim-topology-XXXXXX";
    if (!mkdtemp(&tmpl[0])) {
        const int err = errno;
        *error = "mkdtemp " + tmpl + ": " + std::strerror(err);
        return -err;
    }
    d->dir = tmpl;
    cleanup_register(CleanupKind::Dir, 0, d->dir);
    d->socket = d->dir + "/device.sock";
    ServerSpec spec;
    place_socket(d, &spec);
    return ServerProcess::start(spec, &d->proc, error);
}

// Connects, negotiates and reads the BARs.
int ask_device(DeviceRun *d, long timeout_ms, std::string *error) {
    vuc_options o;
    vuc_options_init(&o);
    o.timeout_ms = int(timeout_ms);
    d->ctx = vuc_create(&o);
    if (!d->ctx) {
        *error = "out of memory";
        return -ENOMEM;
    }
    int rc = vuc_connect(d->ctx, d->socket.c_str());
    if (rc == 0)
        rc = vuc_negotiate(d->ctx);
    if (rc < 0) {
        const char *why = vuc_protocol_problem(d->ctx);
        *error = "cannot connect to " + d->socket + ": " + std::strerror(-rc) +
                 (why ? std::string(" (") + why + ")" : "");
        return rc;
    }
    return gather_device_bars(d->ctx, &d->bars, error);
}

// Waits for the server to listen, then asks it. A server that broke the
// connection is usually dying: its status and output go in the message.
int query_server(DeviceRun *d, long timeout_ms, std::string *error) {
    int rc = d->proc->wait_listening(d->socket, milliseconds(timeout_ms), error);
    if (rc < 0)
        return rc;
    rc = ask_device(d, timeout_ms, error);
    if (rc < 0 && !d->proc->wait_exit(milliseconds(200)).running())
        *error = d->proc->failure_report(*error);
    return rc;
}

// All servers start first so that they come up side by side; then each is
// asked in turn. The first failure names its device; the caller stops all.
int query_all(Devices *devs, long timeout_ms) {
    std::string error;
    for (auto &d : *devs) {
        if (start_server(d.get(), &error) < 0) {
            std::fprintf(stderr, "rcsim topology: device '%s': %s\n", d->name.c_str(),
                         error.c_str());
            return 1;
        }
    }
    for (auto &d : *devs) {
        if (query_server(d.get(), timeout_ms, &error) < 0) {
            std::fprintf(stderr, "rcsim topology: device '%s': %s\n", d->name.c_str(),
                         error.c_str());
            return 1;
        }
        d->stop();
    }
    return 0;
}

int plan_and_print(const topo::Topology &t, const Devices &devs) {
    topo::DeviceBars bars;
    for (const auto &d : devs)
        bars[d->name] = d->bars;
    topo::Plan plan;
    std::string error;
    if (topo::plan_enumeration(t, bars, topo::PlanRanges{}, &plan, &error) < 0) {
        std::fprintf(stderr, "rcsim topology: %s\n", error.c_str());
        return 2;
    }
    std::fputs(topo::render_tree(plan).c_str(), stdout);
    std::fputs("\n", stdout);
    std::fputs(topo::render_listing(plan).c_str(), stdout);
    return std::fflush(stdout) == 0 ? 0 : 2;
}

} // namespace

int rcsim_topology(int argc, char **argv) {
    Args a;
    bool done = false;
    int rc = parse_args(argc, argv, &a, &done);
    if (rc || done)
        return rc;
    topo::Topology t;
    rc = load_topology(a.file, &t);
    Devices devs;
    if (rc == 0)
        rc = split_commands(t, a.file, &devs);
    if (rc == 0)
        rc = query_all(&devs, a.timeout_ms);
    // On success query_all has stopped every server already; on failure
    // `devs` stops and reaps the rest on the way out.
    return rc ? rc : plan_and_print(t, devs);
}

} // namespace rcsim
