// The subcommands of the `rcsim` executable (rcsim_main.cpp dispatches).
// Each takes the arguments after its name and returns the exit status:
// 0 success, 1 a failed expectation, 2 a usage or setup error.
#pragma once

namespace rcsim {

int rcsim_run(int argc, char **argv);
int rcsim_probe(int argc, char **argv);
int rcsim_perfetto(int argc, char **argv);

} // namespace rcsim
