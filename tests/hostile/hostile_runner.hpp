// Starting hostile_server in one mode and running a tool against it under a
// wall limit, with its peak RSS (wait4) and its output.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace hostile {

struct Outcome {
    int exit_code = -1; // -1: killed (signal or the wall limit)
    bool timed_out = false;
    std::string output; // stdout then stderr
    long max_rss_kb = 0;
};

// Starts hostile_server --mode MODE on a fresh socket, runs argv with
// "{socket}" replaced by its path (killed after wall_ms), stops the server.
Outcome run_against(const std::string &mode, std::vector<std::string> argv, int wall_ms);

// Starts the server and calls fn(socket path) in this process.
int with_server(const std::string &mode, const std::function<int(const std::string &)> &fn);

// The same, then waits (at most wait_ms) for the server to end on its own:
// *server_status is its exit status, -1 when it had to be killed.
int with_server(const std::string &mode, const std::function<int(const std::string &)> &fn,
                int wait_ms, int *server_status);

// A scenario file in a fresh temporary folder; its path.
std::string write_scenario(const std::string &text);

// fds open in this process now.
int open_fds();

} // namespace hostile
