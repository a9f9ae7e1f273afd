// Puts whole TLPs from two sources (host requests, completions for the
// device) onto the one transmit port. The choice is made only between TLPs
// and alternates when both wait, so neither side starves the other.
module tlp_tx_mux #(
    parameter int DATA_W = 128,
    localparam int NW = DATA_W / 32
) (
    input  logic              clk,
    input  logic              rst_n,
    input  logic              a_valid,
    output logic              a_ready,
    input  logic [DATA_W-1:0] a_data,
    input  logic [NW-1:0]     a_keep,
    input  logic              a_sop,
    input  logic              a_eop,
    input  logic              b_valid,
    output logic              b_ready,
    input  logic [DATA_W-1:0] b_data,
    input  logic [NW-1:0]     b_keep,
    input  logic              b_sop,
    input  logic              b_eop,
    output logic              out_valid,
    input  logic              out_ready,
    output logic [DATA_W-1:0] out_data,
    output logic [NW-1:0]     out_keep,
    output logic              out_sop,
    output logic              out_eop,
    output logic              busy
);
  logic locked;    // inside a TLP
  logic lock_b;    // the TLP in progress comes from b
  logic last_b;    // b won the last choice
  logic sel_b;

  always_comb begin
    if (locked) sel_b = lock_b;
    else if (a_valid && b_valid) sel_b = !last_b;
    else sel_b = b_valid;
  end

  assign out_valid = sel_b ? b_valid : a_valid;
  assign out_data  = sel_b ? b_data : a_data;
  assign out_keep  = sel_b ? b_keep : a_keep;
  assign out_sop   = sel_b ? b_sop : a_sop;
  assign out_eop   = sel_b ? b_eop : a_eop;
  assign a_ready   = out_ready && !sel_b;
  assign b_ready   = out_ready && sel_b;
  assign busy      = locked;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      locked <= 1'b0;
      lock_b <= 1'b0;
      last_b <= 1'b0;
    end else if (out_valid && out_ready) begin
      if (!locked) last_b <= sel_b;
      locked <= !out_eop;
      lock_b <= sel_b;
    end
  end
endmodule
