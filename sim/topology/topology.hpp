// A fabric as the user writes it (sim/topology/README.md): root ports, switches
// and devices, each device with the command line of its vfio-user server.
// Plain values: the parser (topology_parser.hpp) fills them, the planner
// (enumeration_plan.hpp) reads them.
#pragma once

#include <string>
#include <vector>

namespace rcsim::topology {

// The limits of the language. Root ports are devices 1..8 on bus 0 and a
// switch's downstream ports devices 1..8 on its internal bus
// (rtl/fabric/README.md, route_decode's NPORTS); 32 devices and 32 switches
// keep a run's server processes and the planner's work small.
constexpr unsigned kMaxRootPorts = 8;
constexpr unsigned kMaxSwitchPorts = 8;
constexpr unsigned kMaxDevices = 32;
constexpr unsigned kMaxSwitches = 32;
constexpr unsigned kMaxNameLength = 32;

enum class NodeKind { RootPort, Switch, Device };

// One declared line. `parent` is the index (in Topology::nodes) of the root
// port or switch it sits on, -1 for a root port; `parent_port` is the
// switch's downstream port (0-based), -1 under a root port.
struct Node {
    NodeKind kind = NodeKind::Device;
    std::string name;
    unsigned line = 0; // where it was declared (1-based)
    int parent = -1;
    int parent_port = -1;
    unsigned ports = 0; // a switch: its downstream ports
    std::string server; // a device: its server's command line
};

// Nodes in the order they were declared; a parent always comes before what
// sits on it, so the tree has no cycle.
struct Topology {
    std::vector<Node> nodes;
};

const char *to_string(NodeKind k);

} // namespace rcsim::topology
