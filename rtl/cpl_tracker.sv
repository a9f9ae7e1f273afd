// Completions from the device for the requests the root port sent: matched
// by requester ID and tag, checked (byte count, lower address, size,
// read completion boundary), their data written into the host slot's buffer
// at the piece's offset, so a read split into several completions, for
// tags in any order, is reassembled. Anything that does not fit is dropped
// and counted; a completion for a tag that timed out counts as late.
module cpl_tracker #(
    parameter int DATA_W = 128,
    parameter int HOST_SLOTS = 4,
    localparam int NW = DATA_W / 32,
    localparam int CW = $clog2(NW + 1),
    localparam int SW = (HOST_SLOTS > 1) ? $clog2(HOST_SLOTS) : 1
) (
    input  logic              clk,
    input  logic              rst_n,
    input  logic [15:0]       rp_id,
    input  logic              rcb_128,
    // the completion (held in the receive buffer until done)
    input  logic              go,
    input  logic [127:0]      hdr,
    output logic [10:0]       rd_off,
    input  logic [DATA_W-1:0] rd_data,
    output logic              done,
    // tag table
    output logic [7:0]        lk_tag,
    input  logic              lk_valid,
    input  logic              lk_timed_out,
    input  logic [SW-1:0]     lk_slot,
    input  logic              lk_wr,
    input  logic [10:0]       lk_buf_off,
    input  logic [10:0]       lk_dw_left,
    input  logic [12:0]       lk_bytes_left,
    input  logic [6:0]        lk_la,
    output logic              upd_valid,
    output logic [7:0]        upd_tag,
    output logic              upd_free,
    output logic [10:0]       upd_buf_off,
    output logic [10:0]       upd_dw_left,
    output logic [12:0]       upd_bytes_left,
    output logic [6:0]        upd_la,
    // host slots
    output logic              res_valid,
    output logic [SW-1:0]     res_slot,
    output logic              res_dec,
    output logic [2:0]        res_status,
    output logic              wr_valid,
    output logic [SW-1:0]     wr_slot,
    output logic [9:0]        wr_off,
    output logic [CW-1:0]     wr_cnt,
    output logic [DATA_W-1:0] wr_data,
    // events
    output logic              ev_unexp,
    output logic              ev_late,
    output logic              busy_tag_valid,  // the tag being worked on (for the timeout scan)
    output logic [7:0]        busy_tag,
    output logic              busy
);
  import rcsim_pkg::*;

  typedef enum logic [1:0] {
    S_IDLE,
    S_COPY,
    S_FIN
  } state_t;

  state_t state;

  // header fields
  logic        has_data;
  logic        ep;
  logic [10:0] len;
  logic [2:0]  cpl_status;
  logic [12:0] byte_count;
  logic [15:0] req_id;
  logic [6:0]  lower_addr;

  assign has_data   = hdr[30];
  assign ep         = hdr[14];
  assign len        = (hdr[9:0] == 10'd0) ? 11'd1024 : {1'b0, hdr[9:0]};
  assign cpl_status = hdr[47:45];
  assign byte_count = (hdr[43:32] == 12'd0) ? 13'd4096 : {1'b0, hdr[43:32]};
  assign req_id     = hdr[95:80];
  assign lk_tag     = hdr[79:72];
  assign lower_addr = hdr[70:64];

  // Completer ID, BCM, the reserved bit and format/type bits the classifier
  // already checked are not needed here.
  logic unused_hdr_bits;
  assign unused_hdr_bits = ^{hdr[127:96], hdr[71], hdr[63:48], hdr[44], hdr[31], hdr[29:15],
                             hdr[13:10]};

  // Decision on the completion, in the cycle go is high.
  logic        match;
  logic        accept_data;
  logic        final_piece;
  logic        rcb_ok;
  logic [2:0]  err_status;

  always_comb begin
    logic [4:0] end_dw;  // DW address [6:2] just past the data, modulo 128 B
    end_dw = lower_addr[6:2] + len[4:0];
    rcb_ok = rcb_128 ? (end_dw[4:0] == 5'd0) : (end_dw[3:0] == 4'd0);
    match = (req_id == rp_id) && lk_valid;
    final_piece = (len == lk_dw_left);
    accept_data = match && cpl_status == CPL_SC && !lk_wr && has_data && len <= lk_dw_left &&
                  (final_piece || rcb_ok) && byte_count == lk_bytes_left &&
                  lower_addr == lk_la;
    err_status = (cpl_status == CPL_CA) ? ST_CA : ST_UR;
  end

  // what the FIN state does
  logic          r_upd;
  logic          r_free;
  logic          r_res;
  logic          r_dec;
  logic [2:0]    r_status;
  logic [7:0]    r_tag;
  logic [SW-1:0] r_slot;
  logic [10:0]   r_len;
  logic [10:0]   r_copied;
  logic [10:0]   r_buf_off;
  logic [10:0]   r_dw_left;
  logic [12:0]   r_bytes_left;
  logic [6:0]    r_la;

  assign busy = go || (state != S_IDLE);
  assign busy_tag_valid = busy;
  assign busy_tag = (state == S_IDLE) ? lk_tag : r_tag;
  assign done = (state == S_FIN);

  assign rd_off   = 11'd3 + r_copied;
  assign wr_valid = (state == S_COPY);
  assign wr_slot  = r_slot;
  assign wr_off   = r_buf_off[9:0] + r_copied[9:0];
  assign wr_cnt   = ((r_len - r_copied) > 11'(NW)) ? CW'(NW) : CW'(r_len - r_copied);
  assign wr_data  = rd_data;

  assign upd_valid      = (state == S_FIN) && r_upd;
  assign upd_tag        = r_tag;
  assign upd_free       = r_free;
  assign upd_buf_off    = r_buf_off + r_len;
  assign upd_dw_left    = r_dw_left - r_len;
  assign upd_bytes_left = r_free ? 13'd0 : r_bytes_left - {r_len[10:0], 2'b00} +
                                           {11'd0, r_la[1:0]};
  assign upd_la         = {r_la[6:2] + r_len[4:0], 2'b00};
  assign res_valid      = (state == S_FIN) && r_res;
  assign res_slot       = r_slot;
  assign res_dec        = r_dec;
  assign res_status     = r_status;

  assign ev_late  = go && (req_id == rp_id) && !lk_valid && lk_timed_out;
  assign ev_unexp = go && !accept_data && !ev_late &&
                    !(match && (cpl_status != CPL_SC || (lk_wr && !has_data)));

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      state <= S_IDLE;
    end else begin
      case (state)
        S_IDLE:
        if (go) begin
          r_tag        <= lk_tag;
          r_slot       <= lk_slot;
          r_len        <= len;
          r_copied     <= '0;
          r_buf_off    <= lk_buf_off;
          r_dw_left    <= lk_dw_left;
          r_bytes_left <= lk_bytes_left;
          r_la         <= lk_la;
          r_upd        <= 1'b0;
          r_free       <= 1'b0;
          r_res        <= 1'b0;
          r_dec        <= 1'b0;
          r_status     <= ST_SC;
          state        <= S_FIN;
          if (match && cpl_status != CPL_SC) begin
            // UR, CA, CRS or reserved: the piece ends with an error
            r_len    <= '0;
            r_upd    <= 1'b1;
            r_free   <= 1'b1;
            r_res    <= 1'b1;
            r_dec    <= 1'b1;
            r_status <= err_status;
          end else if (match && lk_wr && !has_data) begin
            r_len  <= '0;
            r_upd  <= 1'b1;
            r_free <= 1'b1;
            r_res  <= 1'b1;
            r_dec  <= 1'b1;
          end else if (accept_data) begin
            r_upd    <= 1'b1;
            r_free   <= final_piece;
            r_res    <= final_piece || ep;
            r_dec    <= final_piece;
            r_status <= ep ? ST_POISONED : ST_SC;
            state    <= S_COPY;
          end
        end
        S_COPY: begin
          r_copied <= r_copied + {{(11 - CW) {1'b0}}, wr_cnt};
          if (r_copied + {{(11 - CW) {1'b0}}, wr_cnt} == r_len) state <= S_FIN;
        end
        S_FIN: state <= S_IDLE;
        default: state <= S_IDLE;
      endcase
    end
  end
endmodule
