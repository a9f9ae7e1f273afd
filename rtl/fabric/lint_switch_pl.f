// Verilator command file for the switch with its payload data path (PAYLOAD=1,
// DATA_W 128): lint_switch.f's sources and top, one parameter more. Used by
// `make -f Makefile.ci lint-rtl` (verilator --lint-only -Wall -f
// rtl/fabric/lint_switch_pl.f).
-f rtl/fabric/lint_switch.f
-GPAYLOAD=1
-GEG_SLOTS=2
