// A two-beat window over a stream of DW-lane beats, so a consumer can take
// any number (0..NW) of DWs per cycle starting at any lane: it is how a
// request's data, aligned to the request, becomes the payload of TLPs that
// start at arbitrary DW offsets, at full rate.
module dw_window #(
    parameter int DATA_W = 128,
    localparam int NW = DATA_W / 32,
    localparam int CW = $clog2(NW + 1)
) (
    input  logic              clk,
    input  logic              rst_n,
    // beats in (in_user is a side-band bit carried with the beat)
    input  logic              in_valid,
    output logic              in_ready,
    input  logic [DATA_W-1:0] in_data,
    input  logic              in_user,
    // DWs out: lanes 0..avail-1 of out_data are the next DWs of the stream
    output logic [CW-1:0]     avail,
    output logic [DATA_W-1:0] out_data,
    output logic              head_valid,
    output logic              head_user,
    input  logic [CW-1:0]     take,
    // drop what is left of the head beat (end of a request mid-beat)
    input  logic              flush
);
  logic [DATA_W-1:0] beat[2];
  logic              user[2];
  logic [1:0]        count;
  logic [CW-1:0]     lane;  // DWs already taken from beat[0]

  assign in_ready   = (count != 2'd2);
  assign head_valid = (count != 2'd0);
  assign head_user  = user[0];

  // The two-beat shift is the widest logic here: skipped while no beat is
  // held (Verilator evaluates every block on every edge).
  always_comb begin
    logic [CW:0] total;
    out_data = '0;
    if (count != 2'd0) out_data = DATA_W'({beat[1], beat[0]} >> (32 * lane));
    total = '0;
    if (count != 2'd0) total = (CW + 1)'(NW) - {1'b0, lane};
    if (count == 2'd2) total = total + (CW + 1)'(NW);
    avail = (total > (CW + 1)'(NW)) ? CW'(NW) : total[CW-1:0];
  end

  always_ff @(posedge clk) begin
    logic [CW:0] next_lane;
    logic        pop;
    if (!rst_n) begin
      count <= '0;
      lane  <= '0;
    end else begin
      next_lane = {1'b0, lane} + {1'b0, take};
      pop = 1'b0;
      if (next_lane >= (CW + 1)'(NW)) begin
        pop = 1'b1;
        next_lane = next_lane - (CW + 1)'(NW);
      end else if (flush && next_lane != '0) begin
        pop = 1'b1;
        next_lane = '0;
      end
      lane <= next_lane[CW-1:0];
      if (pop) begin
        beat[0] <= beat[1];
        user[0] <= user[1];
      end
      if (in_valid && in_ready) begin
        if (count == 2'd0 || (count == 2'd1 && pop)) begin
          beat[0] <= in_data;
          user[0] <= in_user;
        end else begin
          beat[1] <= in_data;
          user[1] <= in_user;
        end
      end
      count <= count + {1'b0, in_valid && in_ready} - {1'b0, pop};
    end
  end
endmodule
