// Host non-posted requests in flight ("slots"), answered in request order.
// Each slot owns a 1024-DW buffer where the data of all its pieces (one per
// tag) is reassembled, a count of pieces still pending and the first
// non-successful status. When the oldest slot has issued all pieces and
// none is pending, its response is streamed out.
module host_rsp_engine #(
    parameter int DATA_W = 128,
    parameter int HOST_SLOTS = 4,
    localparam int NW = DATA_W / 32,
    localparam int CW = $clog2(NW + 1),
    localparam int SW = (HOST_SLOTS > 1) ? $clog2(HOST_SLOTS) : 1
) (
    input  logic              clk,
    input  logic              rst_n,
    // allocation (host request engine), in request order
    output logic              slot_ready,
    output logic [SW-1:0]     slot_idx,
    input  logic              alloc_valid,
    input  logic [7:0]        alloc_id,
    input  logic [2:0]        alloc_op,
    input  logic [10:0]       alloc_len,
    // piece accounting (host request engine)
    input  logic              piece_issue,
    input  logic [SW-1:0]     piece_issue_slot,
    input  logic              issue_done,
    input  logic [SW-1:0]     issue_done_slot,
    input  logic [2:0]        issue_done_status,
    // piece results (completion tracker or timeout, at most one per cycle)
    input  logic              res_valid,
    input  logic [SW-1:0]     res_slot,
    input  logic              res_dec,       // the piece is finished
    input  logic [2:0]        res_status,
    // reassembly writes (completion tracker)
    input  logic              wr_valid,
    input  logic [SW-1:0]     wr_slot,
    input  logic [9:0]        wr_off,
    input  logic [CW-1:0]     wr_cnt,
    input  logic [DATA_W-1:0] wr_data,
    // host response port
    output logic              hrsp_valid,
    input  logic              hrsp_ready,
    output logic [7:0]        hrsp_id,
    output logic [2:0]        hrsp_status,
    output logic [DATA_W-1:0] hrsp_data,
    output logic [NW-1:0]     hrsp_keep,
    output logic              hrsp_sop,
    output logic              hrsp_eop,
    output logic              busy
);
  import rcsim_pkg::*;

  localparam int SLOTS_P2 = 1 << SW;

  logic [31:0]   mem       [SLOTS_P2 * 1024];
  logic [7:0]    s_id      [HOST_SLOTS];
  logic [2:0]    s_op      [HOST_SLOTS];
  logic [10:0]   s_len     [HOST_SLOTS];
  logic [2:0]    s_status  [HOST_SLOTS];
  logic [10:0]   s_pending [HOST_SLOTS];
  logic [HOST_SLOTS-1:0] s_issued;

  logic [SW-1:0] head;
  logic [SW-1:0] tail;
  logic [SW:0]   count;
  logic [10:0]   beat;       // beat of the head response being sent

  function automatic logic [SW-1:0] wrap_inc(input logic [SW-1:0] v);
    return (v == SW'(HOST_SLOTS - 1)) ? '0 : v + 1'b1;
  endfunction

  logic        head_done;
  logic        no_data;
  logic [10:0] beats;
  logic        data_ok;

  assign slot_ready = (count != (SW + 1)'(HOST_SLOTS));
  assign slot_idx   = tail;
  assign busy       = (count != '0);

  assign head_done = (count != '0) && s_issued[head] && (s_pending[head] == '0);
  // a non-posted write (CfgWr, IoWr; bit 0 of the op) answers without data
  assign no_data   = s_op[head][0] || (s_status[head] == ST_BAD_REQ);
  assign beats     = no_data ? 11'd1 : (s_len[head] + 11'(NW - 1)) / 11'(NW);
  assign data_ok   = (s_status[head] == ST_SC) || (s_status[head] == ST_POISONED);

  assign hrsp_valid  = head_done;
  assign hrsp_id     = s_id[head];
  assign hrsp_status = s_status[head];
  assign hrsp_sop    = (beat == '0);
  assign hrsp_eop    = (beat == beats - 11'd1);

  // The buffer is read only while a response is offered.
  always_comb begin
    logic [10:0] dw;
    hrsp_keep = '0;
    hrsp_data = '0;
    dw = '0;
    if (head_done) begin
      for (int i = 0; i < NW; i++) begin
        dw = beat * 11'(NW) + 11'(i);
        hrsp_keep[i] = !no_data && (dw < s_len[head]);
        hrsp_data[32*i+:32] = data_ok ? mem[{head, dw[9:0]}] : 32'hFFFF_FFFF;
      end
    end
  end

  always_ff @(posedge clk) begin
    if (wr_valid) begin
      for (int i = 0; i < NW; i++) begin
        logic [9:0] dw;
        dw = wr_off + 10'(i);
        if (i < int'(wr_cnt)) mem[{wr_slot, dw}] <= wr_data[32*i+:32];
      end
    end
  end

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      head     <= '0;
      tail     <= '0;
      count    <= '0;
      beat     <= '0;
      s_issued <= '0;
    end else begin
      if (alloc_valid && slot_ready) begin
        s_id[tail]      <= alloc_id;
        s_op[tail]      <= alloc_op;
        s_len[tail]     <= alloc_len;
        s_status[tail]  <= ST_SC;
        s_issued[tail]  <= 1'b0;
        tail            <= wrap_inc(tail);
      end
      // per-slot bookkeeping only in cycles where a slot event happens
      if (alloc_valid || piece_issue || res_valid || issue_done) begin : slot_events
        for (int s = 0; s < HOST_SLOTS; s++) begin
          logic inc;
          logic dec;
          inc = piece_issue && piece_issue_slot == SW'(s);
          dec = res_valid && res_dec && res_slot == SW'(s);
          if (alloc_valid && slot_ready && tail == SW'(s)) s_pending[s] <= '0;
          else s_pending[s] <= s_pending[s] + {10'd0, inc} - {10'd0, dec};
          if (res_valid && res_slot == SW'(s) && res_status != ST_SC && s_status[s] == ST_SC)
            s_status[s] <= res_status;
          if (issue_done && issue_done_slot == SW'(s)) begin
            s_issued[s] <= 1'b1;
            if (issue_done_status != ST_SC) s_status[s] <= issue_done_status;
          end
        end
      end : slot_events
      if (hrsp_valid && hrsp_ready) begin
        if (hrsp_eop) begin
          beat <= '0;
          head <= wrap_inc(head);
        end else begin
          beat <= beat + 11'd1;
        end
      end
      count <= count + {SW'(0), alloc_valid && slot_ready} -
               {SW'(0), hrsp_valid && hrsp_ready && hrsp_eop};
    end
  end
endmodule
