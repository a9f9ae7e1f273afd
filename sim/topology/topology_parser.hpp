// The topology language (sim/topology/README.md): one declaration a line,
//   root-port NAME
//   switch NAME on PARENT ports N
//   device NAME on PARENT server "COMMAND LINE"
// where PARENT is a root port's name or SWITCH.K (its downstream port K).
// Pure: text in, a Topology or a file:line:col error out.
#pragma once

#include "topology.hpp"

#include <string>

namespace rcsim::topology {

struct TopologyError {
    std::string file;
    unsigned line = 0, col = 0; // 1-based; 0 when the error is the whole file's
    std::string message;
    std::string to_string() const; // "file:line:col: message"
};

// Parses `text` (the content of `file`, named in errors). Returns 0, or
// -EINVAL with `error` set to the first error.
int parse_topology(const std::string &text, const std::string &file, Topology *out,
                   TopologyError *error);

} // namespace rcsim::topology
