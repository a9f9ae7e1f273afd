// Host requests -> MemRd/MemWr/CfgRd0/CfgWr0/IORd/IOWr TLPs. A memory request is cut
// at every MPS-aligned (write) or MRRS-aligned (read) address, which keeps
// each TLP within a 4 KiB page; each read piece takes a tag and is counted
// in its host slot, whose response the host response engine sends.
module host_req_engine #(
    parameter int DATA_W = 128,
    parameter int HOST_SLOTS = 4,
    localparam int NW = DATA_W / 32,
    localparam int CW = $clog2(NW + 1),
    localparam int SW = (HOST_SLOTS > 1) ? $clog2(HOST_SLOTS) : 1
) (
    input  logic              clk,
    input  logic              rst_n,
    input  logic [10:0]       mps_dw,
    input  logic [10:0]       mrrs_dw,
    input  logic [15:0]       rp_id,
    // host request port
    input  logic              hreq_valid,
    output logic              hreq_ready,
    input  logic [2:0]        hreq_op,
    input  logic [7:0]        hreq_id,
    input  logic [63:0]       hreq_addr,
    input  logic [10:0]       hreq_len_dw,
    input  logic [3:0]        hreq_first_be,
    input  logic [3:0]        hreq_last_be,
    input  logic [15:0]       hreq_cfg_bdf,
    input  logic [9:0]        hreq_cfg_reg,
    input  logic              hwd_valid,
    output logic              hwd_ready,
    input  logic [DATA_W-1:0] hwd_data,
    // host slots
    input  logic              slot_ready,
    input  logic [SW-1:0]     slot_idx,
    output logic              slot_alloc,
    output logic [7:0]        slot_id,
    output logic [2:0]        slot_op,
    output logic [10:0]       slot_len,
    output logic              piece_issue,
    output logic [SW-1:0]     piece_slot,
    output logic              issue_done,
    output logic [SW-1:0]     issue_done_slot,
    output logic [2:0]        issue_done_status,
    // tags
    input  logic              tag_ready,
    input  logic [7:0]        tag,
    output logic              tag_alloc,
    output logic              tag_wr,
    output logic [10:0]       tag_buf_off,
    output logic [10:0]       tag_dw,
    output logic [12:0]       tag_bytes,
    output logic [6:0]        tag_la,
    // TLPs out
    output logic              tx_valid,
    input  logic              tx_ready,
    output logic [DATA_W-1:0] tx_data,
    output logic [NW-1:0]     tx_keep,
    output logic              tx_sop,
    output logic              tx_eop,
    output logic              bad_req,
    output logic              busy
);
  import rcsim_pkg::*;

  typedef enum logic [1:0] {
    S_IDLE,
    S_PIECE,
    S_DRAIN,
    S_DONE
  } state_t;

  state_t      state;
  logic [2:0]  r_op;
  logic [63:0] r_addr;     // address of the next piece
  logic [10:0] r_left;     // DWs not yet sent (or drained)
  logic [10:0] r_off;      // DW offset of the next piece in the request
  logic [3:0]  r_fbe;
  logic [3:0]  r_lbe;
  logic [15:0] r_bdf;
  logic [9:0]  r_reg;
  logic [10:0] r_chunk_dw;
  logic        r_bad;
  logic [SW-1:0] r_slot;

  logic        accept;
  logic        nonposted;
  logic        r_single;   // config or I/O: one DW, 3 DW header, BC 4, LA 0
  logic        r_cfg;
  logic        r_io;
  logic        has_data;
  logic        req_bad;

  // payload source
  logic [CW-1:0]     win_avail;
  logic [DATA_W-1:0] win_data;
  logic [CW-1:0]     win_take;
  logic [CW-1:0]     fr_take;
  logic              win_flush;
  logic              win_head_valid;

  // framer
  logic              fr_start;
  logic              fr_ready;
  logic [127:0]      fr_hdr;
  logic              fr_4dw;
  logic [10:0]       fr_pay;

  // Requests are DW aligned: address bits [1:0] are ignored by definition.
  logic unused_addr_lsb;
  logic unused_head_user;
  assign unused_addr_lsb = ^hreq_addr[1:0];

  assign hreq_ready = (state == S_IDLE) && slot_ready;
  assign accept     = hreq_valid && hreq_ready;
  assign nonposted  = (r_op != OP_MEM_WR);
  assign has_data   = r_op[0];
  assign r_single   = (r_op[2:1] != 2'b00);
  assign r_cfg      = (r_op[2:1] == 2'b01);
  assign r_io       = (r_op[2:1] == 2'b10);
  assign busy       = (state != S_IDLE) || !fr_ready || win_head_valid;

  // Checked only while a request is offered (it matters only on accept).
  always_comb begin
    req_bad = 1'b0;
    if (hreq_valid) req_bad = (hreq_len_dw == 11'd0) || (hreq_len_dw > 11'd1024);
    if (hreq_valid && hreq_op[2:1] != 2'b00 && hreq_len_dw != 11'd1) req_bad = 1'b1;
    // 6 and 7 are not operations; I/O addresses are 32 bits
    if (hreq_valid && hreq_op[2:1] == 2'b11) req_bad = 1'b1;
    if (hreq_valid && hreq_op[2:1] == 2'b10 && hreq_addr[63:32] != 32'd0) req_bad = 1'b1;
    if (hreq_valid && hreq_len_dw > 11'd1 && (hreq_first_be == 4'd0 || hreq_last_be == 4'd0)) req_bad = 1'b1;
    // non-contiguous BEs only for 1 DW, or 2 DW that are QW aligned
    if (hreq_valid && (hreq_len_dw > 11'd2 || (hreq_len_dw == 11'd2 && hreq_addr[2])) &&
        !(be_first_contig(hreq_first_be) && be_last_contig(hreq_last_be)))
      req_bad = 1'b1;
  end

  assign slot_alloc = accept && (hreq_op != OP_MEM_WR);
  assign slot_id    = hreq_id;
  assign slot_op    = hreq_op;
  assign slot_len   = hreq_len_dw;
  assign bad_req    = accept && req_bad;

  // The piece to send next.
  logic [10:0] room;
  logic [10:0] piece_dw;
  logic        piece_last;
  logic [3:0]  piece_fbe;
  logic [3:0]  piece_lbe;
  logic        piece_go;

  always_comb begin
    logic [9:0] in_chunk;
    in_chunk = r_addr[11:2] & (r_chunk_dw[9:0] - 10'd1);
    room = r_chunk_dw - {1'b0, in_chunk};
    if (r_single) room = 11'd1;
    piece_dw   = (r_left < room) ? r_left : room;
    piece_last = (piece_dw == r_left);
    if (piece_dw == 11'd1) begin
      piece_fbe = (r_off == '0) ? r_fbe : r_lbe;
      piece_lbe = 4'd0;
    end else begin
      piece_fbe = (r_off == '0) ? r_fbe : 4'hF;
      piece_lbe = piece_last ? r_lbe : 4'hF;
    end
  end

  always_comb begin
    logic [2:0] fmt;
    logic [4:0] typ;
    fr_4dw = !r_single && (r_addr[63:32] != 32'd0);
    fmt = {1'b0, has_data, fr_4dw};
    typ = r_cfg ? TYPE_CFG0 : (r_io ? TYPE_IO : TYPE_MEM);
    // the header is taken only in S_PIECE: not assembled otherwise
    fr_hdr = '0;
    if (state == S_PIECE) begin
      fr_hdr[31:0] = {fmt, typ, 14'd0, piece_dw[9:0]};
      fr_hdr[63:32] = {rp_id, nonposted ? tag : 8'd0, piece_lbe, piece_fbe};
      if (r_cfg) fr_hdr[95:64] = {r_bdf, 4'd0, r_reg, 2'b00};
      else if (fr_4dw) fr_hdr[127:64] = {r_addr[31:2], 2'b00, r_addr[63:32]};
      else fr_hdr[95:64] = {r_addr[31:2], 2'b00};
    end
    fr_pay = has_data ? piece_dw : 11'd0;
  end

  assign piece_go  = (state == S_PIECE) && fr_ready && (!nonposted || tag_ready);
  assign fr_start  = piece_go;
  assign tag_alloc = piece_go && nonposted;
  assign piece_issue = tag_alloc;
  assign piece_slot  = r_slot;
  // A non-posted write (CfgWr, IOWr) expects a Cpl without data. Config and
  // I/O completions carry Byte Count 4 and Lower Address 0 (PCIe Base Spec
  // 2.2.9), whatever the byte enables.
  assign tag_wr      = r_single && has_data;
  assign tag_buf_off = r_off;
  assign tag_dw      = tag_wr ? 11'd0 : piece_dw;
  assign tag_bytes   = r_single ? 13'd4 : req_byte_count(piece_dw, piece_fbe, piece_lbe);
  assign tag_la      = r_single ? 7'd0 : {r_addr[6:2], be_first_offset(piece_fbe)};

  // Data of a bad write is read and dropped; otherwise the framer takes it.
  always_comb begin
    win_take = fr_take;
    if (state == S_DRAIN)
      win_take = ({{(11 - CW) {1'b0}}, win_avail} < r_left) ? win_avail : r_left[CW-1:0];
  end
  // The last beat of a request may hold unused lanes: drop them once the
  // framer has taken all of the request's data.
  assign win_flush = (state == S_DONE) && fr_ready;

  assign issue_done        = (state == S_DONE) && fr_ready && nonposted;
  assign issue_done_slot   = r_slot;
  assign issue_done_status = r_bad ? ST_BAD_REQ : ST_SC;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      state <= S_IDLE;
    end else begin
      case (state)
        S_IDLE:
        if (accept) begin
          r_op   <= hreq_op;
          r_addr <= {hreq_addr[63:2], 2'b00};
          r_left <= hreq_len_dw;
          r_off  <= '0;
          r_fbe  <= hreq_first_be;
          r_lbe  <= hreq_last_be;
          r_bdf  <= hreq_cfg_bdf;
          r_reg  <= hreq_cfg_reg;
          r_chunk_dw <= (hreq_op == OP_MEM_WR) ? mps_dw : mrrs_dw;
          r_bad  <= req_bad;
          r_slot <= slot_idx;
          if (!req_bad) state <= S_PIECE;
          else if (hreq_op[0]) state <= S_DRAIN;
          else state <= S_DONE;
        end
        S_PIECE:
        if (piece_go) begin
          r_addr <= r_addr + {51'd0, piece_dw, 2'b00};
          r_left <= r_left - piece_dw;
          r_off  <= r_off + piece_dw;
          if (piece_last) state <= S_DONE;
        end
        S_DRAIN: begin
          r_left <= r_left - {{(11 - CW) {1'b0}}, win_take};
          if (r_left == {{(11 - CW) {1'b0}}, win_take}) state <= S_DONE;
        end
        S_DONE: if (fr_ready) state <= S_IDLE;
        default: state <= S_IDLE;
      endcase
    end
  end

  dw_window #(.DATA_W(DATA_W)) u_window (
      .clk       (clk),
      .rst_n     (rst_n),
      .in_valid  (hwd_valid),
      .in_ready  (hwd_ready),
      .in_data   (hwd_data),
      .in_user   (1'b0),
      .avail     (win_avail),
      .out_data  (win_data),
      .head_valid(win_head_valid),
      .head_user (unused_head_user),
      .take      (win_take),
      .flush     (win_flush)
  );

  tlp_framer #(.DATA_W(DATA_W)) u_framer (
      .clk         (clk),
      .rst_n       (rst_n),
      .start_valid (fr_start),
      .start_ready (fr_ready),
      .start_hdr   (fr_hdr),
      .start_4dw   (fr_4dw),
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
