// Verilator command file: sources in compile order and the top.
// Used by `make -f Makefile.ci lint-rtl` (verilator --lint-only -Wall -f rtl/lint.f).
rtl/rcsim_pkg.sv
rtl/rcsim_root_port.sv
rtl/rcsim_root_port_wrap.sv
--top-module rcsim_root_port_wrap
