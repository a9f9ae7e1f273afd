// `rcsim probe SOCKET`: vu-probe's output (client/tools/probe_print.c).
#include "rcsim_commands.hpp"

#include "probe_print.h"

#include <cstdio>
#include <cstring>

namespace rcsim {

namespace {

void probe_usage(FILE *f) {
    std::fprintf(f, "usage: rcsim probe [--no-twin] SOCKET\n"
                    "  Connects to the vfio-user server listening on SOCKET and prints its\n"
                    "  device: info, regions, config space header, capabilities, IRQs.\n"
                    "  --no-twin  do not offer the twin socket (DMA stays on the main socket)\n"
                    "Exit status: 0 ok, 1 a request failed or the server broke the protocol\n"
                    "(the probe stops at the first lost connection), 2 usage, connection or\n"
                    "negotiation error.\n");
}

} // namespace

int rcsim_probe(int argc, char **argv) {
    bool no_twin = false;
    const char *path = nullptr;
    for (int i = 0; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
            probe_usage(stdout);
            return 0;
        }
        if (!std::strcmp(argv[i], "--no-twin")) {
            no_twin = true;
        } else if (argv[i][0] == '-' || path) {
            std::fprintf(stderr, "rcsim probe: unexpected argument '%s'\n", argv[i]);
            probe_usage(stderr);
            return 2;
        } else {
            path = argv[i];
        }
    }
    if (!path) {
        probe_usage(stderr);
        return 2;
    }
    return vu_probe_socket(path, no_twin, stdout, stderr, "rcsim probe");
}

} // namespace rcsim
