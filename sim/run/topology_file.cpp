#include "topology_file.hpp"

#include "input_file.hpp"
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

} // namespace rcsim
