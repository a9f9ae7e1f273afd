// Verilator command file: sources in compile order and the top.
// Used by `make -f Makefile.ci lint-rtl` (verilator --lint-only -Wall -f rtl/lint.f).
rtl/rcsim_pkg.sv
rtl/dw_window.sv
rtl/tlp_framer.sv
rtl/tlp_tx_mux.sv
rtl/tag_table.sv
rtl/host_rsp_engine.sv
rtl/host_req_engine.sv
rtl/rx_buffer.sv
rtl/rx_classifier.sv
rtl/cpl_tracker.sv
rtl/dma_responder.sv
rtl/irq_detect.sv
rtl/rcsim_root_port.sv
rtl/rcsim_root_port_wrap.sv
--top-module rcsim_root_port_wrap
