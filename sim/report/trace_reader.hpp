// Reading a JSONL trace (README.md "The JSONL trace") for tools that show
// it: bounded, and forgiving where a person still wants to see what is
// there. The file goes through files/'s checked opener (a regular file, at
// most kMaxTraceFileBytes) and is streamed: memory holds one line (at most
// 1 MiB; a longer one is not a record) and the kept records. Line 1 must
// be the trace header, else the file is refused (a decision log, a
// Perfetto file, anything foreign). At most `max_records` records are
// kept as plain fields; the rest are only counted. A line that is not a trace record (a run killed
// mid-write leaves half a line) ends the reading: what came before is kept and `stopped` says where
// and why.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace rcsim {

struct TraceRecord {
    std::string kind;
    uint64_t t_ps = 0, cycle = 0;
    unsigned line = 0; // in the file, from 1
    // Every other field in file order, values as text (strings unquoted,
    // numbers and booleans as JSON writes them, arrays as their JSON).
    std::vector<std::pair<std::string, std::string>> fields;
    std::vector<std::string> options; // a decision's options, in order

    // The field's value, or `fallback` when absent.
    const std::string &get(const std::string &key, const std::string &fallback = none()) const;
    uint64_t number(const std::string &key) const; // decimal or 0x hex; 0 when absent or bad
    static const std::string &none();
};

struct TraceRecords {
    std::vector<std::pair<std::string, std::string>> header; // line 1's fields
    std::vector<TraceRecord> records;                        // kept, in file order
    size_t total = 0;    // record lines read (kept and counted), header excluded
    bool capped = false; // records beyond max_records were counted, not kept
    std::string stopped; // "path:line: reason" when reading stopped early, else empty
};

// 0, or a negative errno with `error` set ("path: reason"): the file cannot
// be read, or it is not an rcsim trace (line 1 is no trace header).
int read_trace_records(const std::string &path, size_t max_records, TraceRecords *out,
                       std::string *error);

} // namespace rcsim
