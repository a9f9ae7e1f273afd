// The one way rcsim reads a file a user named (a scenario and its includes,
// a decision log, a trace to convert, a labels file): a regular file only,
// never more than a stated number of bytes. Anything else (a directory, a
// FIFO, a device such as /dev/zero, a socket) is refused without a read
// that could block or run forever: the path is looked at with stat() first,
// then opened O_NONBLOCK and looked at again through the descriptor, so a
// file swapped in between is still caught.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace rcsim {

// Per-file limits (documented in sim/scenario/SCENARIOS.md and sim/files/README.md).
constexpr size_t kMaxScenarioFileBytes = size_t(1) << 20; // one scenario or include
constexpr size_t kMaxDecisionLogBytes = size_t(64) << 20; // rcsim replay, replay:LOG
constexpr size_t kMaxTraceFileBytes = size_t(256) << 20;  // rcsim perfetto, rcsim report
constexpr size_t kMaxSmallInputBytes = size_t(1) << 20;   // labels:FILE and the like

// Reads all of `path` into `text`. 0, or a negative errno with `error` set
// to the reason without the path ("not a regular file (a FIFO)", "larger
// than 1048576 bytes", strerror): callers name the file.
int read_input_file(const std::string &path, size_t max_bytes, std::string *text,
                    std::string *error);

// The same checks, for a reader that streams: a descriptor open for reading
// (the caller closes it, and stops after max_bytes, since a file may grow
// after the check). 0 or a negative errno with `error` as above.
int open_input_file(const std::string &path, size_t max_bytes, int *fd, std::string *error);

} // namespace rcsim
