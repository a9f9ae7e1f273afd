// The verdict of one scenario run, by one code path for every command that
// runs a scenario (`rcsim run` with or without a schedule, replay, explore's
// runs): the scenario to its end (its implicit final drain included), then
// whatever the harness saw, the failure class and category, and the report
// with the server's state as it is now (exited, killed, running), read
// before the harness shuts the server down.
#pragma once

#include "harness.hpp"
#include "scenario_parser.hpp"
#include "scenario_runner.hpp"

#include <string>

namespace rcsim {

struct Verdict {
    bool passed = true;
    // The scenario's own failure (a statement, or the final drain); when
    // false and !passed, the harness reported problems after every
    // statement passed (a refused posted write, a refused DMA, ...).
    bool scenario_failed = false;
    ScenarioFailure failure;
    // One line, the same for every run failing the same way: the statement
    // (file name:line) and what it saw, the deadlock, or the harness's first
    // complaint.
    std::string failure_class;
    std::string category; // failure_category.hpp ("" when passed)
    // The scenario's report, then the harness's (with the server's output).
    std::string details;
};

// Runs `program` on a connected, enumerated harness and judges it.
Verdict run_and_judge(Harness &h, ScenarioRunner &runner, const Program &program);

} // namespace rcsim
