// Store-and-forward queue of received TLPs. A TLP is committed only at its
// eop, so one that turns out truncated, oversized or cut short by a new sop
// is discarded whole, and the TLPs behind it are handled strictly in arrival
// order (the ordering guarantee of the receive path starts here).
module rx_buffer #(
    parameter int DATA_W = 128,
    parameter int RXBUF_DW = 2048,   // a power of two, >= MAX_TLP_DW + NW
    parameter int DESC_DEPTH = 8,    // a power of two
    localparam int NW = DATA_W / 32,
    localparam int CW = $clog2(NW + 1),
    localparam int AW = $clog2(RXBUF_DW),
    localparam int DW_ = $clog2(DESC_DEPTH)
) (
    input  logic              clk,
    input  logic              rst_n,
    input  logic              rx_valid,
    output logic              rx_ready,
    input  logic [DATA_W-1:0] rx_data,
    input  logic [NW-1:0]     rx_keep,
    input  logic              rx_sop,
    input  logic              rx_eop,
    // oldest committed TLP
    output logic              desc_valid,
    output logic [127:0]      desc_hdr,    // first 4 DWs (DW0 in [31:0])
    output logic [10:0]       desc_dw,     // DWs it carried (header included)
    input  logic [10:0]       rd_off,
    output logic [DATA_W-1:0] rd_data,     // its DWs rd_off .. rd_off+NW-1
    input  logic              release_tlp,
    // discarded TLPs / stray beats this cycle (0..2)
    output logic [1:0]        ev_malformed,
    output logic              busy
);
  import rcsim_pkg::*;

  logic [31:0]   mem[RXBUF_DW];
  logic [AW:0]   wp;       // end of the committed TLPs
  logic [AW:0]   rp;       // start of the oldest committed TLP
  logic          open;     // a TLP is being received
  logic          oversize;
  logic [10:0]   cnt;      // DWs of the open TLP stored
  logic [127:0]  hdr;

  logic [127:0]  d_hdr  [DESC_DEPTH];
  logic [10:0]   d_dw   [DESC_DEPTH];
  logic [AW-1:0] d_start[DESC_DEPTH];
  logic [DW_-1:0] d_head;
  logic [DW_-1:0] d_tail;
  logic [DW_:0]   d_count;

  logic [AW:0]   used;
  logic [AW:0]   free_dw;
  logic [CW-1:0] n_in;     // valid lanes of the beat (leading ones of keep)

  assign used     = wp + {{(AW - 10) {1'b0}}, cnt} - rp;
  assign free_dw  = (AW + 1)'(RXBUF_DW) - used;
  assign rx_ready = (free_dw >= (AW + 1)'(NW)) && (d_count != (DW_ + 1)'(DESC_DEPTH));
  assign busy     = open || (d_count != '0) || (ev_malformed != '0);  // until counted

  assign desc_valid = (d_count != '0);
  assign desc_hdr   = d_hdr[d_head];
  assign desc_dw    = d_dw[d_head];

  // Buffer reads and lane counts only while there is something to read or
  // take (Verilator evaluates both on every edge otherwise).
  always_comb begin
    logic [AW-1:0] a;
    rd_data = '0;
    a = '0;
    if (desc_valid) begin
      for (int i = 0; i < NW; i++) begin
        a = d_start[d_head] + AW'(rd_off) + AW'(i);
        rd_data[32*i+:32] = mem[a];
      end
    end
  end

  // Valid lanes: the contiguous run of keep bits from lane 0.
  always_comb begin
    logic run;
    run = 1'b1;
    n_in = '0;
    if (rx_valid) begin
      for (int i = 0; i < NW; i++) begin
        run = run && rx_keep[i];
        if (run) n_in = CW'(i + 1);
      end
    end
  end

  always_ff @(posedge clk) begin
    logic [10:0]  c;
    logic [127:0] h;
    logic         ovs;
    logic [1:0]   ev;
    logic         commit;
    commit = 1'b0;
    if (!rst_n) begin
      wp       <= '0;
      rp       <= '0;
      open     <= 1'b0;
      oversize <= 1'b0;
      cnt      <= '0;
      d_head   <= '0;
      d_tail   <= '0;
      d_count  <= '0;
      ev_malformed <= '0;
    end else begin
      ev = '0;
      if (rx_valid && rx_ready) begin
        c = cnt;
        h = hdr;
        ovs = oversize;
        if (rx_sop) begin
          if (open) ev = ev + 2'd1;
          c = '0;
          ovs = 1'b0;
        end
        if (!rx_sop && !open) begin
          ev = ev + 2'd1;  // stray beat outside any TLP
        end else begin
          if ({1'b0, c} + 12'(n_in) > 12'(MAX_TLP_DW)) ovs = 1'b1;
          if (!ovs) begin
            for (int i = 0; i < NW; i++) begin
              if (CW'(i) < n_in) begin
                logic [10:0] k;
                k = c + 11'(i);
                mem[AW'(wp) + AW'(k)] <= rx_data[32*i+:32];
                if (k < 11'd4) h[32*k[1:0]+:32] = rx_data[32*i+:32];
              end
            end
            c = c + 11'(n_in);
          end
          if (rx_eop) begin
            if (ovs || c < 11'd3) begin
              ev = ev + 2'd1;
            end else begin
              commit = 1'b1;
              d_hdr[d_tail]   <= h;
              d_dw[d_tail]    <= c;
              d_start[d_tail] <= AW'(wp);
              d_tail          <= d_tail + 1'b1;
              wp              <= wp + (AW + 1)'(c);
            end
            open <= 1'b0;
            c = '0;
          end else begin
            open <= 1'b1;
          end
          cnt      <= c;
          hdr      <= h;
          oversize <= ovs;
        end
      end
      if (release_tlp && desc_valid) begin
        rp     <= rp + (AW + 1)'(desc_dw);
        d_head <= d_head + 1'b1;
      end
      d_count <= d_count + {{DW_{1'b0}}, commit} -
                 {{DW_{1'b0}}, release_tlp && desc_valid};
      ev_malformed <= ev;
    end
  end

endmodule
