// PCIe root port at transaction-layer level: host requests become TLPs
// toward the device, TLPs from the device become host responses, host
// memory accesses and interrupts. Port semantics: rtl/README.md.
// SKELETON ONLY: inputs unread until the engines land (removed then).
/* verilator lint_off UNUSEDSIGNAL */
/* verilator lint_off UNUSEDPARAM */
module rcsim_root_port #(
    parameter int          DATA_W          = 128,
    parameter int          NUM_TAGS        = 32,
    parameter int          HOST_SLOTS      = 4,
    parameter int          RXBUF_DW        = 2048,
    parameter logic [15:0] RP_ID           = 16'h0000,
    parameter logic [2:0]  DEF_MPS         = 3'd0,
    parameter logic [2:0]  DEF_MRRS        = 3'd2,
    parameter logic        DEF_RCB         = 1'b0,
    parameter logic [31:0] DEF_CPL_TIMEOUT = 32'd50000,
    parameter logic [63:0] DEF_MSI_BASE    = 64'hFEE0_0000,
    parameter logic [63:0] DEF_MSI_LIMIT   = 64'hFEEF_FFFF
) (
    input  logic                 clk,
    input  logic                 rst_n,

    // runtime settings
    input  logic                 cfg_we,
    input  logic [2:0]           cfg_mps,
    input  logic [2:0]           cfg_mrrs,
    input  logic                 cfg_rcb,
    input  logic [31:0]          cfg_cpl_timeout,
    input  logic [15:0]          cfg_rp_id,
    input  logic [63:0]          cfg_msi_base,
    input  logic [63:0]          cfg_msi_limit,

    // host request port
    input  logic                 hreq_valid,
    output logic                 hreq_ready,
    input  logic [1:0]           hreq_op,
    input  logic [7:0]           hreq_id,
    input  logic [63:0]          hreq_addr,
    input  logic [10:0]          hreq_len_dw,
    input  logic [3:0]           hreq_first_be,
    input  logic [3:0]           hreq_last_be,
    input  logic [15:0]          hreq_cfg_bdf,
    input  logic [9:0]           hreq_cfg_reg,
    input  logic                 hwd_valid,
    output logic                 hwd_ready,
    input  logic [DATA_W-1:0]    hwd_data,

    // host response port
    output logic                 hrsp_valid,
    input  logic                 hrsp_ready,
    output logic [7:0]           hrsp_id,
    output logic [2:0]           hrsp_status,
    output logic [DATA_W-1:0]    hrsp_data,
    output logic [DATA_W/32-1:0] hrsp_keep,
    output logic                 hrsp_sop,
    output logic                 hrsp_eop,

    // TLP transmit port (toward the device)
    output logic                 tx_valid,
    input  logic                 tx_ready,
    output logic [DATA_W-1:0]    tx_data,
    output logic [DATA_W/32-1:0] tx_keep,
    output logic                 tx_sop,
    output logic                 tx_eop,

    // TLP receive port (from the device)
    input  logic                 rx_valid,
    output logic                 rx_ready,
    input  logic [DATA_W-1:0]    rx_data,
    input  logic [DATA_W/32-1:0] rx_keep,
    input  logic                 rx_sop,
    input  logic                 rx_eop,

    // host memory port
    output logic                 hmem_rd_valid,
    input  logic                 hmem_rd_ready,
    output logic [63:0]          hmem_rd_addr,
    output logic [10:0]          hmem_rd_len_dw,
    input  logic                 hmem_rdata_valid,
    output logic                 hmem_rdata_ready,
    input  logic [DATA_W-1:0]    hmem_rdata,
    input  logic                 hmem_rdata_last,
    input  logic                 hmem_rdata_err,
    output logic                 hmem_wr_valid,
    input  logic                 hmem_wr_ready,
    output logic [63:0]          hmem_wr_addr,
    output logic [10:0]          hmem_wr_len_dw,
    output logic [3:0]           hmem_wr_first_be,
    output logic [3:0]           hmem_wr_last_be,
    output logic [DATA_W-1:0]    hmem_wr_data,
    output logic                 hmem_wr_sop,
    output logic                 hmem_wr_eop,
    input  logic                 hmem_wrsp_valid,
    output logic                 hmem_wrsp_ready,
    input  logic                 hmem_wrsp_err,

    // interrupts
    output logic                 irq_valid,
    input  logic                 irq_ready,
    output logic [63:0]          irq_addr,
    output logic [31:0]          irq_data,
    output logic [3:0]           intx,

    // counters and status
    output logic [31:0]          cnt_malformed,
    output logic [31:0]          cnt_unexp_cpl,
    output logic [31:0]          cnt_late_cpl,
    output logic [31:0]          cnt_unsup_req,
    output logic [31:0]          cnt_poisoned_req,
    output logic [31:0]          cnt_host_bad_req,
    output logic [8:0]           tags_in_use,
    output logic                 idle
);
  // SKELETON: outputs tied off until the engines land.
  assign hreq_ready = 1'b0;
  assign hwd_ready = 1'b0;
  assign hrsp_valid = 1'b0;
  assign hrsp_id = '0;
  assign hrsp_status = '0;
  assign hrsp_data = '0;
  assign hrsp_keep = '0;
  assign hrsp_sop = 1'b0;
  assign hrsp_eop = 1'b0;
  assign tx_valid = 1'b0;
  assign tx_data = '0;
  assign tx_keep = '0;
  assign tx_sop = 1'b0;
  assign tx_eop = 1'b0;
  assign rx_ready = 1'b0;
  assign hmem_rd_valid = 1'b0;
  assign hmem_rd_addr = '0;
  assign hmem_rd_len_dw = '0;
  assign hmem_rdata_ready = 1'b0;
  assign hmem_wr_valid = 1'b0;
  assign hmem_wr_addr = '0;
  assign hmem_wr_len_dw = '0;
  assign hmem_wr_first_be = '0;
  assign hmem_wr_last_be = '0;
  assign hmem_wr_data = '0;
  assign hmem_wr_sop = 1'b0;
  assign hmem_wr_eop = 1'b0;
  assign hmem_wrsp_ready = 1'b0;
  assign irq_valid = 1'b0;
  assign irq_addr = '0;
  assign irq_data = '0;
  assign intx = '0;
  assign cnt_malformed = '0;
  assign cnt_unexp_cpl = '0;
  assign cnt_late_cpl = '0;
  assign cnt_unsup_req = '0;
  assign cnt_poisoned_req = '0;
  assign cnt_host_bad_req = '0;
  assign tags_in_use = '0;
  assign idle = 1'b1;
endmodule
/* verilator lint_on UNUSEDPARAM */
/* verilator lint_on UNUSEDSIGNAL */
