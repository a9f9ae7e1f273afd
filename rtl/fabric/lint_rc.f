// Verilator command file for fabric_switch as a root complex (8 root ports,
// no upstream header). Used by `make -f Makefile.ci lint-rtl`.
rtl/fabric/fabric_pkg.sv
rtl/fabric/type1_header.sv
rtl/fabric/route_decode.sv
rtl/fabric/ordering_queue.sv
rtl/fabric/fabric_switch.sv
--top-module fabric_switch
-GUP_IS_BRIDGE=0
-GNPORTS=8
