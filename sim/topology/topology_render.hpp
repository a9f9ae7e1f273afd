// A plan as text (sim/topology/README.md, "Rendering"): the tree as
// `lspci -tv` draws it, and a flat listing per function in the words of
// `lspci -v`.
#pragma once

#include "enumeration_plan.hpp"

#include <string>

namespace rcsim::topology {

// The tree, one line per leaf, each ending in '\n'.
std::string render_tree(const Plan &p);

// Every function by bus and device: bridges with their bus numbers and
// windows, devices with their server and BAR addresses.
std::string render_listing(const Plan &p);

} // namespace rcsim::topology
