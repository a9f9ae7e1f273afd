// The subcommands of the `rcsim` executable (rcsim_main.cpp dispatches).
// Each takes the arguments after its name and returns the exit status:
// 0 success, 1 a failed expectation, 2 a usage or setup error, 3 a replay
// that did not follow its log (README: the table of exit statuses).
#pragma once

namespace rcsim {

struct HtmlReportOptions;

int rcsim_run(int argc, char **argv);
int rcsim_probe(int argc, char **argv);
int rcsim_perfetto(int argc, char **argv);
// rcsim_report.cpp: a trace as one HTML page
int rcsim_report(int argc, char **argv);
// Writes the page, prints where it went and what it left out: 0, or exit
// status 2 (reported) when the trace or log cannot be read.
int write_report_or_complain(const char *cmd, const HtmlReportOptions &opt);
// rcsim_explore.cpp (the scheduler's commands)
int rcsim_explore(int argc, char **argv);
int rcsim_replay(int argc, char **argv);
// rcsim_merge.cpp: the shards of one exploration made one result
int rcsim_merge(int argc, char **argv);
int rcsim_run_scheduled(int argc, char **argv); // `rcsim run ... --schedule POLICY`
// rcsim_matrix.cpp: `rcsim explore --matrix` (DMA mode x client style)
int rcsim_explore_matrix(int argc, char **argv);
// rcsim_topology.cpp: a topology file's servers asked for their BARs, the plan printed
int rcsim_topology(int argc, char **argv);

} // namespace rcsim
