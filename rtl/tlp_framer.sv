// Packs one TLP (3 or 4 header DWs, then payload DWs from a DW source) into
// beats as TLP-PACKING.md defines: DW k in beat k/NW, lane k%NW. The header
// and payload go through a small DW accumulator, so payload that starts at
// any lane of its source still leaves at one beat per cycle. The next TLP is
// taken in the cycle the last beat of the current one leaves, its header
// going straight into the accumulator, so TLPs follow without a gap.
module tlp_framer #(
    parameter int DATA_W = 128,
    localparam int NW = DATA_W / 32,
    localparam int CW = $clog2(NW + 1)
) (
    input  logic              clk,
    input  logic              rst_n,
    // one TLP: accepted when start_valid && start_ready
    input  logic              start_valid,
    output logic              start_ready,
    input  logic [127:0]      start_hdr,      // DW0 in [31:0] .. DW3 in [127:96]
    input  logic              start_4dw,
    input  logic [10:0]       start_pay_dw,   // 0..1024
    // payload DW source (see dw_window)
    input  logic [CW-1:0]     src_avail,
    input  logic [DATA_W-1:0] src_data,
    output logic [CW-1:0]     src_take,
    // beats out
    output logic              out_valid,
    input  logic              out_ready,
    output logic [DATA_W-1:0] out_data,
    output logic [NW-1:0]     out_keep,
    output logic              out_sop,
    output logic              out_eop
);
  localparam int PW = (NW > 4) ? NW : 4;  // most DWs pushed in one cycle
  localparam int ACC = 2 * PW;
  localparam int AW = $clog2(ACC + 1);

  logic [32*ACC-1:0] acc;
  logic [AW-1:0]     acc_cnt;
  logic              active;
  logic [10:0]       pay_left;   // payload DWs still to push
  logic [10:0]       out_left;   // DWs still to emit
  logic              first_beat;

  logic [CW-1:0]     beat_dw;
  logic [AW-1:0]     space;
  logic [AW-1:0]     pay_take;
  logic              last_pop;

  assign last_pop    = out_valid && out_ready && (out_left <= 11'(NW));
  assign start_ready = !active || last_pop;
  assign space       = AW'(ACC) - acc_cnt;
  assign beat_dw     = (out_left > 11'(NW)) ? CW'(NW) : out_left[CW-1:0];
  assign out_valid   = active && acc_cnt != '0 &&
                       ({{(11 - AW) {1'b0}}, acc_cnt} >= {{(11 - CW) {1'b0}}, beat_dw});
  assign out_data    = acc[DATA_W-1:0];
  assign out_sop     = first_beat;
  assign out_eop     = (out_left <= 11'(NW));

  always_comb begin
    for (int i = 0; i < NW; i++) out_keep[i] = (i < int'(beat_dw));
  end

  // Payload pushed this cycle: bounded by the source, what is left and space.
  always_comb begin
    logic [10:0] t;
    t = {{(11 - CW) {1'b0}}, src_avail};
    if (pay_left < t) t = pay_left;
    if (!active || space < AW'(NW)) t = '0;
    pay_take = AW'(t);
    src_take = CW'(t);
  end

  // The accumulator (2*PW DWs) is read, shifted and written back only in
  // cycles where a beat leaves, payload arrives or a TLP starts: a framer
  // with nothing to do costs Verilator one test per edge.
  logic moves;
  assign moves = (out_valid && out_ready) || pay_take != '0 || (start_valid && start_ready);

  always_ff @(posedge clk) begin
    logic [32*ACC-1:0] a;
    logic [AW-1:0]     c;
    if (!rst_n) begin
      active     <= 1'b0;
      acc_cnt    <= '0;
      first_beat <= 1'b0;
      out_left   <= '0;
      pay_left   <= '0;
    end else if (moves) begin
      a = acc;
      c = acc_cnt;
      if (out_valid && out_ready) begin
        a = a >> (32 * int'(beat_dw));
        c = c - AW'(beat_dw);
        first_beat <= 1'b0;
        out_left <= out_left - {{(11 - CW) {1'b0}}, beat_dw};
        if (out_left <= 11'(NW)) active <= 1'b0;
      end
      if (pay_take != '0) begin
        for (int i = 0; i < NW; i++)
          if (i < int'(pay_take)) a[32*(int'(c)+i)+:32] = src_data[32*i+:32];
        c = c + pay_take;
        pay_left <= pay_left - 11'(pay_take);
      end
      if (start_valid && start_ready) begin
        // the previous TLP has left completely: the accumulator is empty
        for (int i = 0; i < 4; i++)
          if (i < 3 || start_4dw) a[32*i+:32] = start_hdr[32*i+:32];
        c = start_4dw ? AW'(4) : AW'(3);
        active     <= 1'b1;
        pay_left   <= start_pay_dw;
        out_left   <= start_pay_dw + (start_4dw ? 11'd4 : 11'd3);
        first_beat <= 1'b1;
      end
      acc <= a;
      acc_cnt <= c;
    end
  end
endmodule
