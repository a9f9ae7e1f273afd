// A topology file a scenario names (`topology "FILE"`), read and parsed.
#pragma once

#include "topology.hpp"

#include <string>

namespace rcsim {

// 0, or a negative errno with `error` saying what is wrong: the file (it
// cannot be read) or its text (FILE:LINE:COL: message).
int read_topology(const std::string &path, topology::Topology *out, std::string *error);

} // namespace rcsim
