// `rcsim perfetto TRACE.jsonl OUT.json`: the trace converter of
// perfetto_export.hpp as a subcommand.
#include "rcsim_commands.hpp"

#include "perfetto_export.hpp"

#include <cstdio>
#include <cstring>
#include <string>

namespace rcsim {

int rcsim_perfetto(int argc, char **argv) {
    if (argc == 1 && (!std::strcmp(argv[0], "--help") || !std::strcmp(argv[0], "-h"))) {
        std::printf("usage: rcsim perfetto TRACE.jsonl OUT.json\n"
                    "  Converts a JSONL trace (rcsim run --trace) into Chrome trace-event JSON\n"
                    "  for https://ui.perfetto.dev or chrome://tracing.\n"
                    "Exit status: 0 converted, 2 usage error or a trace that cannot be read\n"
                    "(not a regular file, larger than 256 MiB, not JSONL).\n");
        return 0;
    }
    if (argc != 2) {
        std::fprintf(stderr, "usage: rcsim perfetto TRACE.jsonl OUT.json\n");
        return 2;
    }
    std::string err;
    if (convert_trace_to_perfetto(argv[0], argv[1], &err) < 0) {
        std::fprintf(stderr, "rcsim perfetto: %s\n", err.c_str());
        return 2;
    }
    return 0;
}

} // namespace rcsim
