// Requests from the device to the host: a MemWr goes to the host memory
// port (and the receive path waits for its write response, so nothing
// behind it overtakes it); a MemRd is read from host memory and answered
// with CplDs cut at RCB-aligned addresses, at most MPS each; a read outside
// host memory, and any other non-posted request the root port does not
// serve, is answered with a Cpl carrying status UR.
module dma_responder #(
    parameter int DATA_W = 128,
    localparam int NW = DATA_W / 32,
    localparam int CW = $clog2(NW + 1)
) (
    input  logic              clk,
    input  logic              rst_n,
    input  logic [15:0]       rp_id,
    input  logic [10:0]       mps_dw,
    input  logic              rcb_128,
    // the request (held in the receive buffer until done)
    input  logic              go,
    input  logic [1:0]        kind,       // 0 MemRd, 1 MemWr, 2 answer UR
    input  logic [127:0]      hdr,
    output logic [10:0]       rd_off,
    input  logic [DATA_W-1:0] rd_data,
    output logic              done,
    // host memory
    output logic              hmem_rd_valid,
    input  logic              hmem_rd_ready,
    output logic [63:0]       hmem_rd_addr,
    output logic [10:0]       hmem_rd_len_dw,
    input  logic              hmem_rdata_valid,
    output logic              hmem_rdata_ready,
    input  logic [DATA_W-1:0] hmem_rdata,
    input  logic              hmem_rdata_last,
    input  logic              hmem_rdata_err,
    output logic              hmem_wr_valid,
    input  logic              hmem_wr_ready,
    output logic [63:0]       hmem_wr_addr,
    output logic [10:0]       hmem_wr_len_dw,
    output logic [3:0]        hmem_wr_first_be,
    output logic [3:0]        hmem_wr_last_be,
    output logic [DATA_W-1:0] hmem_wr_data,
    output logic              hmem_wr_sop,
    output logic              hmem_wr_eop,
    input  logic              hmem_wrsp_valid,
    output logic              hmem_wrsp_ready,
    input  logic              hmem_wrsp_err,
    // completions out
    output logic              tx_valid,
    input  logic              tx_ready,
    output logic [DATA_W-1:0] tx_data,
    output logic [NW-1:0]     tx_keep,
    output logic              tx_sop,
    output logic              tx_eop,
    output logic              ev_unsup,
    output logic              busy
);
  import rcsim_pkg::*;

  typedef enum logic [2:0] {
    S_IDLE,
    S_WR_DATA,
    S_WR_RSP,
    S_RD_REQ,
    S_RD_CHECK,
    S_RD_CPL,
    S_UR,
    S_FINISH
  } state_t;

  state_t      state;
  logic [15:0] r_req_id;
  logic [7:0]  r_tag;
  logic [63:0] r_addr;
  logic [10:0] r_len;
  logic [3:0]  r_fbe;
  logic [3:0]  r_lbe;
  logic        r_4dw;
  logic        r_locked;
  logic [2:0]  r_tc;        // completions carry the request's TC and
  logic [2:0]  r_attr;      // attributes (IDO, RO, No Snoop)
  logic        r_is_rd;
  logic [10:0] r_beat;      // write: DWs sent so far
  logic [10:0] r_cur_dw;    // read: page DW index [11:2] of the next CplD (0..1024)
  logic [10:0] r_left;      // read: DWs not yet in a CplD
  logic [12:0] r_bytes;     // read: byte count of the next CplD
  logic        r_first;
  logic        r_ur_sent;

  // The classifier has checked the header; TC, attributes and the like are
  // not needed here.
  logic unused_hdr_bits;
  assign unused_hdr_bits = ^hdr;

  // write path: beats straight from the receive buffer
  assign rd_off           = (r_4dw ? 11'd4 : 11'd3) + r_beat;
  assign hmem_wr_valid    = (state == S_WR_DATA);
  assign hmem_wr_addr     = r_addr;
  assign hmem_wr_len_dw   = r_len;
  assign hmem_wr_first_be = r_fbe;
  assign hmem_wr_last_be  = r_lbe;
  assign hmem_wr_data     = rd_data;
  assign hmem_wr_sop      = (r_beat == '0);
  assign hmem_wr_eop      = (r_beat + 11'(NW) >= r_len);
  assign hmem_wrsp_ready  = (state == S_WR_RSP);

  assign hmem_rd_valid  = (state == S_RD_REQ);
  assign hmem_rd_addr   = r_addr;
  assign hmem_rd_len_dw = r_len;

  assign busy = (state != S_IDLE);
  assign done = (state == S_FINISH);

  // read path: host memory data through a window into the framer
  logic [CW-1:0]     win_avail;
  logic [DATA_W-1:0] win_data;
  logic [CW-1:0]     win_take;
  logic [CW-1:0]     fr_take;
  logic              win_head_valid;
  logic              win_head_err;
  logic              win_flush;
  logic              fr_start;
  logic              fr_ready;
  logic [127:0]      fr_hdr;
  logic [10:0]       fr_pay;

  logic unused_rdata_last;
  assign unused_rdata_last = hmem_rdata_last;  // lengths come from the request

  // The next CplD: up to MPS, ending on an RCB boundary unless it is the last.
  logic [10:0] cpl_dw;
  logic        cpl_last;
  logic [1:0]  first_off;
  always_comb begin
    logic [10:0] lim;
    lim = (r_cur_dw + mps_dw) & ~(rcb_128 ? 11'd31 : 11'd15);
    cpl_dw = lim - r_cur_dw;
    if (r_left < cpl_dw) cpl_dw = r_left;
    cpl_last = (cpl_dw == r_left);
    first_off = be_first_offset(r_fbe);
  end

  always_comb begin
    fr_hdr = '0;
    fr_pay = '0;
    if (state == S_UR) begin
      fr_hdr[31:0] = {FMT_3DW_NODATA, r_locked ? TYPE_CPL_LK : TYPE_CPL, 1'b0, r_tc, 1'b0,
                      r_attr[2], 4'd0, r_attr[1:0], 12'd0};
      fr_hdr[63:32] = {rp_id, CPL_UR, 1'b0, r_is_rd ? r_bytes[11:0] : 12'd4};
      fr_hdr[95:64] = {r_req_id, r_tag, 1'b0,
                       r_is_rd ? {r_addr[6:2], first_off} : 7'd0};
    end else begin
      fr_hdr[31:0] = {FMT_3DW_DATA, TYPE_CPL, 1'b0, r_tc, 1'b0, r_attr[2], 4'd0, r_attr[1:0],
                      2'b00, cpl_dw[9:0]};
      fr_hdr[63:32] = {rp_id, CPL_SC, 1'b0, r_bytes[11:0]};
      fr_hdr[95:64] = {r_req_id, r_tag, 1'b0, r_cur_dw[4:0], r_first ? first_off : 2'b00};
      fr_pay = cpl_dw;
    end
  end

  assign fr_start = fr_ready && ((state == S_RD_CPL) || (state == S_UR && !r_ur_sent));
  // An error answer is one beat: drop it whole.
  assign win_take = (state == S_RD_CHECK && win_head_valid && win_head_err) ? CW'(NW) : fr_take;
  assign win_flush = (state == S_FINISH);

  assign ev_unsup = (go && kind == 2'd2) ||
                    (state == S_WR_RSP && hmem_wrsp_valid && hmem_wrsp_err) ||
                    (state == S_RD_CHECK && win_head_valid && win_head_err);

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      state <= S_IDLE;
    end else begin
      case (state)
        S_IDLE:
        if (go) begin
          r_req_id  <= hdr[63:48];
          r_tag     <= hdr[47:40];
          r_fbe     <= hdr[35:32];
          r_lbe     <= hdr[39:36];
          r_4dw     <= hdr[29];
          r_locked  <= (hdr[28:24] == TYPE_MEM_LK);
          r_tc      <= hdr[22:20];
          r_attr    <= {hdr[18], hdr[13:12]};
          r_addr    <= hdr[29] ? {hdr[95:64], hdr[127:98], 2'b00} : {32'd0, hdr[95:66], 2'b00};
          r_len     <= (hdr[9:0] == 10'd0) ? 11'd1024 : {1'b0, hdr[9:0]};
          r_is_rd   <= (kind == 2'd0);
          r_beat    <= '0;
          r_first   <= 1'b1;
          r_ur_sent <= 1'b0;
          case (kind)
            2'd0: state <= S_RD_REQ;
            2'd1: state <= S_WR_DATA;
            default: state <= S_UR;
          endcase
        end
        S_WR_DATA:
        if (hmem_wr_ready) begin
          r_beat <= r_beat + 11'(NW);
          if (hmem_wr_eop) state <= S_WR_RSP;
        end
        S_WR_RSP: if (hmem_wrsp_valid) state <= S_FINISH;
        S_RD_REQ:
        if (hmem_rd_ready) begin
          r_cur_dw <= {1'b0, r_addr[11:2]};
          r_left   <= r_len;
          r_bytes  <= req_byte_count(r_len, r_fbe, r_len == 11'd1 ? 4'd0 : r_lbe);
          state    <= S_RD_CHECK;
        end
        S_RD_CHECK:
        if (win_head_valid) state <= win_head_err ? S_UR : S_RD_CPL;
        S_RD_CPL:
        if (fr_start) begin
          r_cur_dw <= r_cur_dw + cpl_dw;
          r_left   <= r_left - cpl_dw;
          r_bytes  <= r_bytes - {cpl_dw, 2'b00} + (r_first ? {11'd0, first_off} : 13'd0);
          r_first  <= 1'b0;
          if (cpl_last) state <= S_UR;  // S_UR with r_ur_sent set just waits
          if (cpl_last) r_ur_sent <= 1'b1;
        end
        S_UR: begin
          if (fr_start) r_ur_sent <= 1'b1;
          if (r_ur_sent && fr_ready) state <= S_FINISH;
        end
        S_FINISH: state <= S_IDLE;
        default: state <= S_IDLE;
      endcase
    end
  end

  dw_window #(.DATA_W(DATA_W)) u_window (
      .clk       (clk),
      .rst_n     (rst_n),
      .in_valid  (hmem_rdata_valid),
      .in_ready  (hmem_rdata_ready),
      .in_data   (hmem_rdata),
      .in_user   (hmem_rdata_err),
      .avail     (win_avail),
      .out_data  (win_data),
      .head_valid(win_head_valid),
      .head_user (win_head_err),
      .take      (win_take),
      .flush     (win_flush)
  );

  tlp_framer #(.DATA_W(DATA_W)) u_framer (
      .clk         (clk),
      .rst_n       (rst_n),
      .start_valid (fr_start),
      .start_ready (fr_ready),
      .start_hdr   (fr_hdr),
      .start_4dw   (1'b0),
      .start_pay_dw(fr_pay),
      .src_avail   (win_avail),
      .src_data    (win_data),
      .src_take    (fr_take),
      .out_valid   (tx_valid),
      .out_ready   (tx_ready),
      .out_data    (tx_data),
      .out_keep    (tx_keep),
      .out_sop     (tx_sop),
      .out_eop     (tx_eop)
  );
endmodule
