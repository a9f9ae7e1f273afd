// Verilator command file for fabric_switch as a root complex (8 root ports,
// no upstream header): lint_switch.f's sources and top, as a root complex.
// Used by `make -f Makefile.ci lint-rtl`.
-f rtl/fabric/lint_switch.f
-GUP_IS_BRIDGE=0
-GNPORTS=8
