// Verilator command file for the switch built from the fabric blocks (its
// own lint top). Used by `make -f Makefile.ci lint-rtl` (verilator
// --lint-only -Wall -f rtl/fabric/lint_switch.f).
rtl/fabric/fabric_pkg.sv
rtl/fabric/type1_header.sv
rtl/fabric/route_decode.sv
rtl/fabric/ordering_queue.sv
rtl/fabric/fabric_switch.sv
--top-module fabric_switch
