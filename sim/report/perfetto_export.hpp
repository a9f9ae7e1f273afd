// Converts a JSONL trace (trace_writer.hpp) into Chrome trace-event JSON,
// which ui.perfetto.dev and chrome://tracing open as a timeline. One process
// "rcsim", one track (thread) per source: vfio-user main socket, twin
// socket, TLP link down (root port -> device), TLP link up (device -> root
// port), host port, interrupts, decisions. A command and its reply become
// one slice; a message without a partner, an interrupt and a decision are
// instant events. Slices that would overlap on one track go to an extra
// track of the same name with a lane suffix (" #2"), so every track holds
// properly nested slices. Timestamps are simulated time in microseconds.
#pragma once

#include <string>

namespace rcsim {

// 0, or a negative errno with `error` set: -errno of open/read/write, or
// -EINVAL with "path:line: reason" for a line that is not a trace record.
int convert_trace_to_perfetto(const std::string &jsonl_in, const std::string &json_out,
                              std::string *error);

} // namespace rcsim
