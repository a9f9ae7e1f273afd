// A topology file a scenario names (`topology "FILE"`), read and parsed.
#pragma once

#include "decision_log.hpp"
#include "topology.hpp"

#include <string>
#include <vector>

namespace rcsim {

// 0, or a negative errno with `error` saying what is wrong: the file (it
// cannot be read) or its text (FILE:LINE:COL: message).
int read_topology(const std::string &path, topology::Topology *out, std::string *error);

// Every device's server as a topology run's decision log pins it
// (Harness::open_log): in the harness's device order (the plan's, depth
// first), argv split as a shell would with "--socket {socket}" appended
// when no argument holds {socket}, the SHA-256 of the program PATH finds
// ("(unreadable)" when none). 0 or -EINVAL with `error` (a command that
// does not split, a topology that does not plan).
int topology_log_devices(const topology::Topology &t, std::vector<LogDevice> *out,
                         std::string *error);

} // namespace rcsim
