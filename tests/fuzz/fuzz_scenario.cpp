// Scenario text into the parser. Includes resolve from memory: any path gets
// the input's second half (after the first NUL), other paths of the form
// "missing*" fail, so include chains, depth limits and error paths are
// reached without touching the file system.
#include <cerrno>
#include <cstdint>
#include <string>

#include "scenario_parser.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    std::string all(reinterpret_cast<const char *>(data), size);
    size_t nul = all.find('\0');
    std::string top = all.substr(0, nul);
    std::string inc = nul == std::string::npos ? std::string() : all.substr(nul + 1);
    auto reader = [&inc](const std::string &path, std::string *text, std::string *error) {
        if (path.find("missing") != std::string::npos) {
            *error = "no such file";
            return -ENOENT;
        }
        *text = inc;
        return 0;
    };
    rcsim::Program prog;
    rcsim::ParseError err;
    int rc = rcsim::parse_scenario(top, "fuzz.rcs", reader, &prog, &err);
    if (rc < 0) {
        (void)err.to_string();
    }
    return 0;
}
