// `migrate`: the device moved to a second server process mid-scenario
// (sim/migrate/migration.hpp), the check of its host memory a failure of
// its own kind.
#include "migration.hpp"
#include "scenario_runner.hpp"

#include "command_line.hpp"

#include <cerrno>

namespace rcsim {

bool ScenarioRunner::do_migrate(const Statement &s, std::string *why) {
    MigrationPlan plan;
    plan.rounds = unsigned(s.count);
    plan.round_cycles = s.cycles;
    plan.max_cycles = kEndDrainCycles;
    plan.no_pre_copy = s.no_pre_copy;
    plan.expect_running_refused = s.refused;
    if (!s.command.empty() && split_command_line(s.command, &plan.dest_argv, why) < 0)
        return false;
    MigrationReport r;
    std::string error;
    const int rc = migrate(h_, plan, &r, &error);
    if (rc < 0) {
        *why = error;
        if (r.source_died || r.destination_died)
            return failed(ScenarioFailure::Kind::ServerDied);
        if (r.quiesce_stalled)
            return failed(ScenarioFailure::Kind::QuiesceStalled);
        return failed(rc == -EPROTO ? ScenarioFailure::Kind::ProtocolError
                                    : ScenarioFailure::Kind::Other);
    }
    ++stats_.migrations;
    stats_.pages_missed += r.missed.size();
    if (r.missed.empty())
        return true;
    *why = std::to_string(r.missed.size()) + " page(s) differ after the stop-copy";
    for (size_t i = 0; i < r.missed.size() && i < 8; ++i)
        *why += "\n    " + r.missed[i].describe();
    if (r.missed.size() > 8)
        *why += "\n    ... and " + std::to_string(r.missed.size() - 8) + " more";
    return failed(ScenarioFailure::Kind::DirtyPageMissed);
}

} // namespace rcsim
