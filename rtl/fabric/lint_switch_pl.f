// Verilator command file for the switch with its payload data path (PAYLOAD=1,
// DATA_W 128). Used by `make -f Makefile.ci lint-rtl` (verilator
// --lint-only -Wall -f rtl/fabric/lint_switch_pl.f).
rtl/fabric/fabric_pkg.sv
rtl/fabric/type1_header.sv
rtl/fabric/route_decode.sv
rtl/fabric/ordering_queue.sv
rtl/fabric/fabric_switch.sv
--top-module fabric_switch
-GPAYLOAD=1
