// rcsim-trace2perfetto IN.jsonl OUT.json: a run's JSONL trace as a timeline
// for ui.perfetto.dev or chrome://tracing.
#include "perfetto_export.hpp"

#include <cstdio>
#include <string>

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s TRACE.jsonl OUT.json\n", argv[0]);
        return 2;
    }
    std::string error;
    if (rcsim::convert_trace_to_perfetto(argv[1], argv[2], &error) < 0) {
        fprintf(stderr, "rcsim-trace2perfetto: %s\n", error.c_str());
        return 1;
    }
    return 0;
}
