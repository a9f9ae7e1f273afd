// Small bounded waits the sim_* suites share: every wait has a deadline so a
// bug fails a test instead of hanging it.
#pragma once

#include "server_process.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace simtest {

inline std::vector<std::string> helper_argv(std::vector<std::string> args) {
    args.insert(args.begin(), SIM_TEST_HELPER);
    return args;
}

// Starts the helper in `mode`; fails the test (via the returned null) on error.
inline std::unique_ptr<rcsim::ServerProcess> start_helper(std::vector<std::string> args,
                                                          std::string *error) {
    rcsim::ServerSpec spec;
    spec.argv = helper_argv(std::move(args));
    std::unique_ptr<rcsim::ServerProcess> sp;
    if (rcsim::ServerProcess::start(spec, &sp, error) < 0)
        return nullptr;
    return sp;
}

// Waits until the helper's output holds `text` (it prints "ready").
inline bool wait_output(const rcsim::ServerProcess &sp, const std::string &text,
                        std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (sp.captured_output().find(text) != std::string::npos)
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return false;
}

// Waits for the helper to exit on its own and reaps it.
inline rcsim::ExitStatus
wait_exit(rcsim::ServerProcess &sp,
          std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (sp.poll_exit().running() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return sp.poll_exit();
}

inline std::string temp_socket_path(const std::string &tag) {
    return "/tmp/sim_" + tag + "_" + std::to_string(getpid()) + ".sock";
}

} // namespace simtest
