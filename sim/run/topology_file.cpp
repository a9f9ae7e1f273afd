#include "topology_file.hpp"

#include "command_line.hpp"
#include "enumeration_plan.hpp"
#include "input_file.hpp"
#include "sha256.hpp"
#include "topology_parser.hpp"

namespace rcsim {

int read_topology(const std::string &path, topology::Topology *out, std::string *error) {
    std::string text;
    int rc = read_input_file(path, kMaxSmallInputBytes, &text, error);
    if (rc < 0) {
        *error = "cannot read topology " + path + ": " + *error;
        return rc;
    }
    topology::TopologyError perr;
    if ((rc = topology::parse_topology(text, path, out, &perr)) < 0)
        *error = perr.to_string();
    return rc;
}

int topology_log_devices(const topology::Topology &t, std::vector<LogDevice> *out,
                         std::string *error) {
    topology::DeviceBars none;
    for (const topology::Node &n : t.nodes)
        if (n.kind == topology::NodeKind::Device)
            none[n.name];
    topology::Plan plan;
    int rc = topology::plan_enumeration(t, none, topology::PlanRanges{}, &plan, error);
    if (rc < 0)
        return rc;
    for (const topology::PlannedFunction &f : plan.functions) {
        if (f.kind != topology::FunctionKind::Device)
            continue;
        LogDevice d;
        d.name = f.name;
        if ((rc = split_command_line(f.server, &d.argv, error)) < 0) {
            *error = f.name + ": " + *error;
            return rc;
        }
        bool placed = false;
        for (const std::string &a : d.argv)
            placed = placed || a.find("{socket}") != std::string::npos;
        if (!placed) {
            d.argv.push_back("--socket");
            d.argv.push_back("{socket}");
        }
        std::string exe;
        if (resolve_executable(d.argv[0], &exe) < 0 || sha256_file_hex(exe, &d.sha256) < 0)
            d.sha256 = "(unreadable)";
        out->push_back(std::move(d));
    }
    return 0;
}

} // namespace rcsim
