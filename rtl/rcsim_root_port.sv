// PCIe root port at transaction-layer level: host requests become TLPs
// toward the device, TLPs from the device become host responses, host
// memory accesses and interrupts. Port semantics: rtl/README.md.
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
    input  logic [2:0]           hreq_op,
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
  import rcsim_pkg::*;

  // Parameter ranges the design relies on, refused at elaboration.
  if (DATA_W != 64 && DATA_W != 128 && DATA_W != 256 && DATA_W != 512) begin : g_bad_data_w
    $fatal(1, "rcsim_root_port: DATA_W must be 64, 128, 256 or 512");
  end
  if (NUM_TAGS < 1 || NUM_TAGS > 256) begin : g_bad_num_tags
    $fatal(1, "rcsim_root_port: NUM_TAGS must be 1..256");
  end
  if (HOST_SLOTS < 1) begin : g_bad_host_slots
    $fatal(1, "rcsim_root_port: HOST_SLOTS must be at least 1");
  end
  if ((RXBUF_DW & (RXBUF_DW - 1)) != 0 || RXBUF_DW < MAX_TLP_DW + DATA_W / 32)
  begin : g_bad_rxbuf
    $fatal(1, "rcsim_root_port: RXBUF_DW must be a power of two >= 1029 + DATA_W/32");
  end

  localparam int NW = DATA_W / 32;
  localparam int CW = $clog2(NW + 1);
  localparam int SW = (HOST_SLOTS > 1) ? $clog2(HOST_SLOTS) : 1;

  // ---------------------------------------------------------------- settings
  logic [2:0]  set_mps;
  logic [2:0]  set_mrrs;
  logic        set_rcb;
  logic [31:0] set_timeout;
  logic [15:0] set_rp_id;
  logic [63:0] set_msi_base;
  logic [63:0] set_msi_limit;
  logic [12:0] mps_bytes;
  logic [12:0] mrrs_bytes;
  logic [10:0] mps_dw;
  logic [10:0] mrrs_dw;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      set_mps       <= DEF_MPS;
      set_mrrs      <= DEF_MRRS;
      set_rcb       <= DEF_RCB;
      set_timeout   <= DEF_CPL_TIMEOUT;
      set_rp_id     <= RP_ID;
      set_msi_base  <= DEF_MSI_BASE;
      set_msi_limit <= DEF_MSI_LIMIT;
    end else if (cfg_we) begin
      set_mps       <= cfg_mps;
      set_mrrs      <= cfg_mrrs;
      set_rcb       <= cfg_rcb;
      set_timeout   <= cfg_cpl_timeout;
      set_rp_id     <= cfg_rp_id;
      set_msi_base  <= cfg_msi_base;
      set_msi_limit <= cfg_msi_limit;
    end
  end

  assign mps_bytes  = size_bytes(set_mps);
  assign mrrs_bytes = size_bytes(set_mrrs);
  assign mps_dw     = mps_bytes[12:2];
  assign mrrs_dw    = mrrs_bytes[12:2];
  logic unused_size_lsbs;  // sizes are multiples of 128 B
  assign unused_size_lsbs = ^{mps_bytes[1:0], mrrs_bytes[1:0]};

  // ------------------------------------------------------------- host side
  logic              slot_ready;
  logic [SW-1:0]     slot_idx;
  logic              slot_alloc;
  logic [7:0]        slot_id;
  logic [2:0]        slot_op;
  logic [10:0]       slot_len;
  logic              piece_issue;
  logic [SW-1:0]     piece_slot;
  logic              issue_done;
  logic [SW-1:0]     issue_done_slot;
  logic [2:0]        issue_done_status;
  logic              tag_ready;
  logic [7:0]        tag_next;
  logic              tag_alloc;
  logic              tag_wr;
  logic [10:0]       tag_buf_off;
  logic [10:0]       tag_dw;
  logic [12:0]       tag_bytes;
  logic [6:0]        tag_la;
  logic              hq_tx_valid;
  logic              hq_tx_ready;
  logic [DATA_W-1:0] hq_tx_data;
  logic [NW-1:0]     hq_tx_keep;
  logic              hq_tx_sop;
  logic              hq_tx_eop;
  logic              hq_bad_req;
  logic              hq_busy;

  host_req_engine #(
      .DATA_W    (DATA_W),
      .HOST_SLOTS(HOST_SLOTS)
  ) u_host_req (
      .clk              (clk),
      .rst_n            (rst_n),
      .mps_dw           (mps_dw),
      .mrrs_dw          (mrrs_dw),
      .rp_id            (set_rp_id),
      .hreq_valid       (hreq_valid),
      .hreq_ready       (hreq_ready),
      .hreq_op          (hreq_op),
      .hreq_id          (hreq_id),
      .hreq_addr        (hreq_addr),
      .hreq_len_dw      (hreq_len_dw),
      .hreq_first_be    (hreq_first_be),
      .hreq_last_be     (hreq_last_be),
      .hreq_cfg_bdf     (hreq_cfg_bdf),
      .hreq_cfg_reg     (hreq_cfg_reg),
      .hwd_valid        (hwd_valid),
      .hwd_ready        (hwd_ready),
      .hwd_data         (hwd_data),
      .slot_ready       (slot_ready),
      .slot_idx         (slot_idx),
      .slot_alloc       (slot_alloc),
      .slot_id          (slot_id),
      .slot_op          (slot_op),
      .slot_len         (slot_len),
      .piece_issue      (piece_issue),
      .piece_slot       (piece_slot),
      .issue_done       (issue_done),
      .issue_done_slot  (issue_done_slot),
      .issue_done_status(issue_done_status),
      .tag_ready        (tag_ready),
      .tag              (tag_next),
      .tag_alloc        (tag_alloc),
      .tag_wr           (tag_wr),
      .tag_buf_off      (tag_buf_off),
      .tag_dw           (tag_dw),
      .tag_bytes        (tag_bytes),
      .tag_la           (tag_la),
      .tx_valid         (hq_tx_valid),
      .tx_ready         (hq_tx_ready),
      .tx_data          (hq_tx_data),
      .tx_keep          (hq_tx_keep),
      .tx_sop           (hq_tx_sop),
      .tx_eop           (hq_tx_eop),
      .bad_req          (hq_bad_req),
      .busy             (hq_busy)
  );

  // piece results: the completion tracker, else a timeout (never both: the
  // timeout scan waits while the tracker reports a result)
  logic              trk_res_valid;
  logic [SW-1:0]     trk_res_slot;
  logic              trk_res_dec;
  logic [2:0]        trk_res_status;
  logic              to_valid;
  logic [SW-1:0]     to_slot;
  logic              res_valid;
  logic [SW-1:0]     res_slot;
  logic              res_dec;
  logic [2:0]        res_status;
  logic              trk_wr_valid;
  logic [SW-1:0]     trk_wr_slot;
  logic [9:0]        trk_wr_off;
  logic [CW-1:0]     trk_wr_cnt;
  logic [DATA_W-1:0] trk_wr_data;
  logic              rsp_busy;

  assign res_valid  = trk_res_valid || to_valid;
  assign res_slot   = trk_res_valid ? trk_res_slot : to_slot;
  assign res_dec    = trk_res_valid ? trk_res_dec : 1'b1;
  assign res_status = trk_res_valid ? trk_res_status : ST_TIMEOUT;

  host_rsp_engine #(
      .DATA_W    (DATA_W),
      .HOST_SLOTS(HOST_SLOTS)
  ) u_host_rsp (
      .clk              (clk),
      .rst_n            (rst_n),
      .slot_ready       (slot_ready),
      .slot_idx         (slot_idx),
      .alloc_valid      (slot_alloc),
      .alloc_id         (slot_id),
      .alloc_op         (slot_op),
      .alloc_len        (slot_len),
      .piece_issue      (piece_issue),
      .piece_issue_slot (piece_slot),
      .issue_done       (issue_done),
      .issue_done_slot  (issue_done_slot),
      .issue_done_status(issue_done_status),
      .res_valid        (res_valid),
      .res_slot         (res_slot),
      .res_dec          (res_dec),
      .res_status       (res_status),
      .wr_valid         (trk_wr_valid),
      .wr_slot          (trk_wr_slot),
      .wr_off           (trk_wr_off),
      .wr_cnt           (trk_wr_cnt),
      .wr_data          (trk_wr_data),
      .hrsp_valid       (hrsp_valid),
      .hrsp_ready       (hrsp_ready),
      .hrsp_id          (hrsp_id),
      .hrsp_status      (hrsp_status),
      .hrsp_data        (hrsp_data),
      .hrsp_keep        (hrsp_keep),
      .hrsp_sop         (hrsp_sop),
      .hrsp_eop         (hrsp_eop),
      .busy             (rsp_busy)
  );

  // ------------------------------------------------------------- tag table
  logic [7:0]    lk_tag;
  logic          lk_valid;
  logic          lk_timed_out;
  logic [SW-1:0] lk_slot;
  logic          lk_wr;
  logic [10:0]   lk_buf_off;
  logic [10:0]   lk_dw_left;
  logic [12:0]   lk_bytes_left;
  logic [6:0]    lk_la;
  logic          upd_valid;
  logic [7:0]    upd_tag;
  logic          upd_free;
  logic [10:0]   upd_buf_off;
  logic [10:0]   upd_dw_left;
  logic [12:0]   upd_bytes_left;
  logic [6:0]    upd_la;
  logic          trk_busy;
  logic          trk_busy_tag_valid;
  logic [7:0]    trk_busy_tag;

  tag_table #(
      .NUM_TAGS  (NUM_TAGS),
      .HOST_SLOTS(HOST_SLOTS)
  ) u_tags (
      .clk            (clk),
      .rst_n          (rst_n),
      .cfg_cpl_timeout(set_timeout),
      .alloc_ready    (tag_ready),
      .alloc_tag      (tag_next),
      .alloc_valid    (tag_alloc),
      .alloc_slot     (piece_slot),
      .alloc_wr       (tag_wr),
      .alloc_buf_off  (tag_buf_off),
      .alloc_dw       (tag_dw),
      .alloc_bytes    (tag_bytes),
      .alloc_la       (tag_la),
      .lk_tag         (lk_tag),
      .lk_valid       (lk_valid),
      .lk_timed_out   (lk_timed_out),
      .lk_slot        (lk_slot),
      .lk_wr          (lk_wr),
      .lk_buf_off     (lk_buf_off),
      .lk_dw_left     (lk_dw_left),
      .lk_bytes_left  (lk_bytes_left),
      .lk_la          (lk_la),
      .upd_valid      (upd_valid),
      .upd_tag        (upd_tag),
      .upd_free       (upd_free),
      .upd_buf_off    (upd_buf_off),
      .upd_dw_left    (upd_dw_left),
      .upd_bytes_left (upd_bytes_left),
      .upd_la         (upd_la),
      .busy_tag_valid (trk_busy_tag_valid),
      .busy_tag       (trk_busy_tag),
      .res_busy       (trk_res_valid),
      .to_valid       (to_valid),
      .to_slot        (to_slot),
      .in_use         (tags_in_use)
  );

  // ---------------------------------------------------------- receive path
  logic              desc_valid;
  logic [127:0]      desc_hdr;
  logic [10:0]       desc_dw;
  logic [10:0]       rd_off;
  logic [DATA_W-1:0] rd_data;
  logic              release_tlp;
  logic [1:0]        rxb_ev_malformed;
  logic              rxb_busy;

  rx_buffer #(
      .DATA_W  (DATA_W),
      .RXBUF_DW(RXBUF_DW)
  ) u_rx_buffer (
      .clk         (clk),
      .rst_n       (rst_n),
      .rx_valid    (rx_valid),
      .rx_ready    (rx_ready),
      .rx_data     (rx_data),
      .rx_keep     (rx_keep),
      .rx_sop      (rx_sop),
      .rx_eop      (rx_eop),
      .desc_valid  (desc_valid),
      .desc_hdr    (desc_hdr),
      .desc_dw     (desc_dw),
      .rd_off      (rd_off),
      .rd_data     (rd_data),
      .release_tlp (release_tlp),
      .ev_malformed(rxb_ev_malformed),
      .busy        (rxb_busy)
  );

  logic       cls_go;
  logic [2:0] cls_kind;
  logic       cls_done;
  logic       cls_ev_malformed;
  logic       cls_ev_unsup;
  logic       cls_ev_poisoned;
  logic       cls_ev_unexp;
  logic       cls_busy;

  rx_classifier u_classifier (
      .clk         (clk),
      .rst_n       (rst_n),
      .mps_dw      (mps_dw),
      .mrrs_dw     (mrrs_dw),
      .msi_base    (set_msi_base),
      .msi_limit   (set_msi_limit),
      .desc_valid  (desc_valid),
      .desc_hdr    (desc_hdr),
      .desc_dw     (desc_dw),
      .release_tlp (release_tlp),
      .go          (cls_go),
      .kind        (cls_kind),
      .done        (cls_done),
      .ev_malformed(cls_ev_malformed),
      .ev_unsup    (cls_ev_unsup),
      .ev_poisoned (cls_ev_poisoned),
      .ev_unexp_cpl(cls_ev_unexp),
      .busy        (cls_busy)
  );

  // consumers (kinds as rx_classifier numbers them)
  logic        to_trk;
  logic        to_dma;
  logic        to_irq;
  logic [1:0]  dma_kind;
  logic [10:0] trk_rd_off;
  logic [10:0] dma_rd_off;
  logic [10:0] irq_rd_off;
  logic        trk_done;
  logic        dma_done;
  logic        irq_done;
  logic        trk_ev_unexp;
  logic        trk_ev_late;
  logic        dma_ev_unsup;
  logic        dma_busy;
  logic        irq_busy;

  assign to_trk   = (cls_kind == 3'd1);
  assign to_dma   = (cls_kind == 3'd2) || (cls_kind == 3'd3) || (cls_kind == 3'd4);
  assign to_irq   = (cls_kind == 3'd5) || (cls_kind == 3'd6);
  assign dma_kind = (cls_kind == 3'd2) ? 2'd0 : (cls_kind == 3'd3) ? 2'd1 : 2'd2;
  assign rd_off   = to_trk ? trk_rd_off : to_dma ? dma_rd_off : irq_rd_off;
  assign cls_done = trk_done || dma_done || irq_done;

  cpl_tracker #(
      .DATA_W    (DATA_W),
      .HOST_SLOTS(HOST_SLOTS)
  ) u_cpl_tracker (
      .clk           (clk),
      .rst_n         (rst_n),
      .rp_id         (set_rp_id),
      .rcb_128       (set_rcb),
      .go            (cls_go && to_trk),
      .hdr           (desc_hdr),
      .rd_off        (trk_rd_off),
      .rd_data       (rd_data),
      .done          (trk_done),
      .lk_tag        (lk_tag),
      .lk_valid      (lk_valid),
      .lk_timed_out  (lk_timed_out),
      .lk_slot       (lk_slot),
      .lk_wr         (lk_wr),
      .lk_buf_off    (lk_buf_off),
      .lk_dw_left    (lk_dw_left),
      .lk_bytes_left (lk_bytes_left),
      .lk_la         (lk_la),
      .upd_valid     (upd_valid),
      .upd_tag       (upd_tag),
      .upd_free      (upd_free),
      .upd_buf_off   (upd_buf_off),
      .upd_dw_left   (upd_dw_left),
      .upd_bytes_left(upd_bytes_left),
      .upd_la        (upd_la),
      .res_valid     (trk_res_valid),
      .res_slot      (trk_res_slot),
      .res_dec       (trk_res_dec),
      .res_status    (trk_res_status),
      .wr_valid      (trk_wr_valid),
      .wr_slot       (trk_wr_slot),
      .wr_off        (trk_wr_off),
      .wr_cnt        (trk_wr_cnt),
      .wr_data       (trk_wr_data),
      .ev_unexp      (trk_ev_unexp),
      .ev_late       (trk_ev_late),
      .busy_tag_valid(trk_busy_tag_valid),
      .busy_tag      (trk_busy_tag),
      .busy          (trk_busy)
  );

  logic              dma_tx_valid;
  logic              dma_tx_ready;
  logic [DATA_W-1:0] dma_tx_data;
  logic [NW-1:0]     dma_tx_keep;
  logic              dma_tx_sop;
  logic              dma_tx_eop;

  dma_responder #(.DATA_W(DATA_W)) u_dma (
      .clk             (clk),
      .rst_n           (rst_n),
      .rp_id           (set_rp_id),
      .mps_dw          (mps_dw),
      .rcb_128         (set_rcb),
      .go              (cls_go && to_dma),
      .kind            (dma_kind),
      .hdr             (desc_hdr),
      .rd_off          (dma_rd_off),
      .rd_data         (rd_data),
      .done            (dma_done),
      .hmem_rd_valid   (hmem_rd_valid),
      .hmem_rd_ready   (hmem_rd_ready),
      .hmem_rd_addr    (hmem_rd_addr),
      .hmem_rd_len_dw  (hmem_rd_len_dw),
      .hmem_rdata_valid(hmem_rdata_valid),
      .hmem_rdata_ready(hmem_rdata_ready),
      .hmem_rdata      (hmem_rdata),
      .hmem_rdata_last (hmem_rdata_last),
      .hmem_rdata_err  (hmem_rdata_err),
      .hmem_wr_valid   (hmem_wr_valid),
      .hmem_wr_ready   (hmem_wr_ready),
      .hmem_wr_addr    (hmem_wr_addr),
      .hmem_wr_len_dw  (hmem_wr_len_dw),
      .hmem_wr_first_be(hmem_wr_first_be),
      .hmem_wr_last_be (hmem_wr_last_be),
      .hmem_wr_data    (hmem_wr_data),
      .hmem_wr_sop     (hmem_wr_sop),
      .hmem_wr_eop     (hmem_wr_eop),
      .hmem_wrsp_valid (hmem_wrsp_valid),
      .hmem_wrsp_ready (hmem_wrsp_ready),
      .hmem_wrsp_err   (hmem_wrsp_err),
      .tx_valid        (dma_tx_valid),
      .tx_ready        (dma_tx_ready),
      .tx_data         (dma_tx_data),
      .tx_keep         (dma_tx_keep),
      .tx_sop          (dma_tx_sop),
      .tx_eop          (dma_tx_eop),
      .ev_unsup        (dma_ev_unsup),
      .busy            (dma_busy)
  );

  irq_detect #(.DATA_W(DATA_W)) u_irq (
      .clk      (clk),
      .rst_n    (rst_n),
      .go       (cls_go && to_irq),
      .is_msi   (cls_kind == 3'd5),
      .hdr      (desc_hdr),
      .rd_off   (irq_rd_off),
      .rd_data  (rd_data),
      .done     (irq_done),
      .irq_valid(irq_valid),
      .irq_ready(irq_ready),
      .irq_addr (irq_addr),
      .irq_data (irq_data),
      .intx     (intx),
      .busy     (irq_busy)
  );

  // ------------------------------------------------------------- transmit
  logic mux_busy;

  tlp_tx_mux #(.DATA_W(DATA_W)) u_tx_mux (
      .clk      (clk),
      .rst_n    (rst_n),
      .a_valid  (hq_tx_valid),
      .a_ready  (hq_tx_ready),
      .a_data   (hq_tx_data),
      .a_keep   (hq_tx_keep),
      .a_sop    (hq_tx_sop),
      .a_eop    (hq_tx_eop),
      .b_valid  (dma_tx_valid),
      .b_ready  (dma_tx_ready),
      .b_data   (dma_tx_data),
      .b_keep   (dma_tx_keep),
      .b_sop    (dma_tx_sop),
      .b_eop    (dma_tx_eop),
      .out_valid(tx_valid),
      .out_ready(tx_ready),
      .out_data (tx_data),
      .out_keep (tx_keep),
      .out_sop  (tx_sop),
      .out_eop  (tx_eop),
      .busy     (mux_busy)
  );

  // ------------------------------------------------------- counters, idle
  always_ff @(posedge clk) begin
    if (!rst_n) begin
      cnt_malformed    <= '0;
      cnt_unexp_cpl    <= '0;
      cnt_late_cpl     <= '0;
      cnt_unsup_req    <= '0;
      cnt_poisoned_req <= '0;
      cnt_host_bad_req <= '0;
    end else if (rxb_ev_malformed != '0 || cls_ev_malformed || cls_ev_unexp || trk_ev_unexp ||
                 trk_ev_late || cls_ev_unsup || dma_ev_unsup || cls_ev_poisoned || hq_bad_req) begin
      // error counters move rarely: no six adders on every edge
      cnt_malformed    <= cnt_malformed + {30'd0, rxb_ev_malformed} + {31'd0, cls_ev_malformed};
      cnt_unexp_cpl    <= cnt_unexp_cpl + {31'd0, cls_ev_unexp} + {31'd0, trk_ev_unexp};
      cnt_late_cpl     <= cnt_late_cpl + {31'd0, trk_ev_late};
      cnt_unsup_req    <= cnt_unsup_req + {31'd0, cls_ev_unsup} + {31'd0, dma_ev_unsup};
      cnt_poisoned_req <= cnt_poisoned_req + {31'd0, cls_ev_poisoned};
      cnt_host_bad_req <= cnt_host_bad_req + {31'd0, hq_bad_req};
    end
  end

  assign idle = !hq_busy && !rsp_busy && !rxb_busy && !cls_busy && !trk_busy && !dma_busy &&
                !irq_busy && !mux_busy && (tags_in_use == 9'd0);
endmodule
