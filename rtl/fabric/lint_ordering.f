// Verilator command file for the port's ordering queue, a second lint top
// (it shares nothing with fabric_blocks_top). Used by `make -f Makefile.ci
// lint-rtl` (verilator --lint-only -Wall -f rtl/fabric/lint_ordering.f).
rtl/fabric/ordering_queue.sv
--top-module ordering_queue
