// Verilator command file for the fabric's blocks: sources in compile order
// and the top that instantiates them all. Used by `make -f Makefile.ci
// lint-rtl` (verilator --lint-only -Wall -f rtl/fabric/lint.f).
rtl/fabric/fabric_pkg.sv
rtl/fabric/type1_header.sv
rtl/fabric/route_decode.sv
rtl/fabric/fabric_blocks_top.sv
--top-module fabric_blocks_top
