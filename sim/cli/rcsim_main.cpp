// rcsim: run scenarios against a vfio-user server through the simulated
// root port, probe a server, convert traces. Subcommands by table.
#include "process_cleanup.hpp"
#include "rcsim_commands.hpp"

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace {

// The bundled models, where a command naming one without a path finds it
// after PATH (`server "dmacopy"` in a topology file, `--server regs`):
// server-models/ beside sim/ in a build tree, libexec/rcsim beside bin/ in
// an installed tree. Appended, so PATH still wins.
void find_bundled_models() {
    char exe[PATH_MAX];
    const ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return;
    exe[n] = '\0';
    std::string dir(exe);
    dir.resize(dir.rfind('/'));
    const std::string up = dir.substr(0, dir.rfind('/'));
    for (const std::string &c : {up + "/server-models", up + "/libexec/rcsim"}) {
        struct stat st;
        if (stat(c.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
            continue;
        const char *path = std::getenv("PATH");
        const std::string value = path && *path ? std::string(path) + ":" + c : c;
        setenv("PATH", value.c_str(), 1);
        return;
    }
}

struct Command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

const Command kCommands[] = {
    {"run", rcsim::rcsim_run,
     "run scenarios against a vfio-user server through the simulated root port"},
    {"probe", rcsim::rcsim_probe, "print what a vfio-user server's device offers (like lspci -v)"},
    {"perfetto", rcsim::rcsim_perfetto,
     "convert a JSONL trace into a Perfetto / chrome://tracing timeline"},
    {"report", rcsim::rcsim_report, "a JSONL trace as one self-contained HTML page (offline)"},
    {"explore", rcsim::rcsim_explore,
     "run a scenario under many schedules (random, pct, exhaustive); shrink failures"},
    {"replay", rcsim::rcsim_replay, "run a decision log's schedule again (from explore or run)"},
    {"topology", rcsim::rcsim_topology,
     "start a topology file's servers, print the planned hierarchy (lspci -tv, -v)"},
    {"merge", rcsim::rcsim_merge,
     "merge the --out directories of explore --shard I/N into one result"},
};

void usage(FILE *f) {
    std::fprintf(f, "usage: rcsim COMMAND [OPTIONS]\n\n"
                    "A software PCIe root complex for testing vfio-user device servers.\n\n"
                    "commands:\n");
    for (const Command &c : kCommands)
        std::fprintf(f, "  %-9s %s\n", c.name, c.summary);
    std::fprintf(f, "\n`rcsim COMMAND --help` describes a command's options.\n"
                    "Example:\n"
                    "  rcsim run --server 'build/server-models/dmacopy' \\\n"
                    "            --scenario tests/scenarios/dmacopy_demo.rcs --wave demo.fst\n"
                    "Exit status: 0 success, 1 a failed expectation, 2 a usage or setup error\n"
                    "(a file that is not a regular file or too large, a refused log), 3 a replay\n"
                    "that did not follow its log (replay, run --schedule replay:LOG).\n");
}

// Runs a subcommand; nothing it throws (std::bad_alloc included) leaves
// rcsim as an abort: the user gets a message and exit status 2.
int run_guarded(const Command &c, int argc, char **argv) {
    try {
        return c.run(argc, argv);
    } catch (const std::exception &e) {
        std::fprintf(stderr, "rcsim %s: internal error: %s\n", c.name, e.what());
    } catch (...) {
        std::fprintf(stderr, "rcsim %s: internal error (an exception of unknown type)\n", c.name);
    }
    return 2;
}

} // namespace

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!std::strcmp(cmd, "--help") || !std::strcmp(cmd, "-h") || !std::strcmp(cmd, "help")) {
        usage(stdout);
        return 0;
    }
    rcsim::install_cleanup_on_signals();
    find_bundled_models();
    for (const Command &c : kCommands)
        if (!std::strcmp(cmd, c.name))
            return run_guarded(c, argc - 2, argv + 2);
    std::fprintf(stderr, "rcsim: unknown command '%s'\n", cmd);
    usage(stderr);
    return 2;
}
