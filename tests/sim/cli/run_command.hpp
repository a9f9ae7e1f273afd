// Runs a program with a wall-time limit and captures its output (the tests
// of the rcsim command drive the built executable like a user would).
#pragma once

#include <string>
#include <vector>

namespace rcsim::test {

struct CommandResult {
    int exit_code = -1; // -1: killed (signal or time limit)
    bool timed_out = false;
    std::string out, err;
};

// argv[0] is a path. Kills the process group after `timeout_ms`.
CommandResult run_command(const std::vector<std::string> &argv, int timeout_ms = 60000);

} // namespace rcsim::test
