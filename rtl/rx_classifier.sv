// Looks at the oldest received TLP, checks it against the TLP rules and the
// current settings, and hands it to exactly one consumer (completion
// tracker, DMA responder, interrupt detector) or drops and counts it. The
// next TLP is looked at only when the consumer is done with this one, which
// is the receive path's in-order guarantee.
module rx_classifier (
    input  logic         clk,
    input  logic         rst_n,
    input  logic [10:0]  mps_dw,
    input  logic [10:0]  mrrs_dw,
    input  logic [63:0]  msi_base,
    input  logic [63:0]  msi_limit,
    input  logic         desc_valid,
    input  logic [127:0] desc_hdr,
    input  logic [10:0]  desc_dw,
    output logic         release_tlp,
    // dispatch: go pulses for one cycle with kind; done ends the hand-off
    output logic         go,
    output logic [2:0]   kind,
    input  logic         done,
    output logic         ev_malformed,
    output logic         ev_unsup,
    output logic         ev_poisoned,
    output logic         ev_unexp_cpl,
    output logic         busy
);
  import rcsim_pkg::*;

  localparam logic [2:0] K_DROP = 3'd0;
  localparam logic [2:0] K_CPL = 3'd1;
  localparam logic [2:0] K_MEMRD = 3'd2;
  localparam logic [2:0] K_MEMWR = 3'd3;
  localparam logic [2:0] K_UR = 3'd4;
  localparam logic [2:0] K_MSI = 3'd5;
  localparam logic [2:0] K_INTX = 3'd6;

  logic        waiting;   // a consumer holds the TLP
  logic [2:0]  cls;
  logic        malformed;
  logic        unsup;
  logic        poisoned;
  logic        unexp;

  always_comb begin
    logic [2:0]  fmt;
    logic [4:0]  typ;
    logic        td;
    logic        ep;
    logic [10:0] len;
    logic        has_data;
    logic        is4;
    logic [10:0] expect_dw;
    logic [63:0] addr;
    logic [3:0]  fbe;
    logic [3:0]  lbe;
    logic        be_ok;
    logic        cross4k;

    // Decoded only while a TLP is at the head (it stays there while its
    // consumer works, so kind holds): no header decode on idle edges.
    cls = K_DROP;
    malformed = 1'b0;
    unsup = 1'b0;
    poisoned = 1'b0;
    unexp = 1'b0;
    {fmt, typ, td, ep, len, has_data, is4, expect_dw, addr, fbe, lbe, be_ok, cross4k} = '0;
    if (desc_valid) begin
      fmt = desc_hdr[31:29];
      typ = desc_hdr[28:24];
      td = desc_hdr[15];
      ep = desc_hdr[14];
      len = (desc_hdr[9:0] == 10'd0) ? 11'd1024 : {1'b0, desc_hdr[9:0]};
      has_data = fmt[1];
      is4 = fmt[0];
      expect_dw = (is4 ? 11'd4 : 11'd3) + (has_data ? len : 11'd0) + {10'd0, td};
      addr = is4 ? {desc_hdr[95:64], desc_hdr[127:98], 2'b00} : {32'd0, desc_hdr[95:66], 2'b00};
      fbe = desc_hdr[35:32];
      lbe = desc_hdr[39:36];
      be_ok = (len == 11'd1) ? (lbe == 4'd0) : (fbe != 4'd0 && lbe != 4'd0);
      cross4k = ({1'b0, addr[11:2]} + len) > 11'd1024;

      if (fmt[2] || desc_dw != expect_dw) begin
        malformed = 1'b1;  // TLP prefixes are not supported
      end else if (typ == TYPE_MEM) begin
        if (!be_ok || cross4k) malformed = 1'b1;
        else if (!has_data) begin
          if (len > mrrs_dw) malformed = 1'b1;
          else cls = K_MEMRD;
        end else if (len > mps_dw) malformed = 1'b1;
        else if (ep) poisoned = 1'b1;
        else if (addr >= msi_base && addr <= msi_limit) cls = K_MSI;
        else cls = K_MEMWR;
      end else if (typ == TYPE_CPL && !is4) begin
        if (has_data && len > mps_dw) malformed = 1'b1;  // no TLP may carry more than MPS
        else cls = K_CPL;
      end else if (typ == TYPE_CPL_LK && !is4) begin
        unexp = 1'b1;  // we never send locked reads
      end else if (typ[4:3] == TYPE_MSG_HI && is4) begin
        if (desc_hdr[39:35] == 5'b00100) cls = K_INTX;  // codes 0x20..0x27
        // A Vendor_Defined Type 1 message a receiver does not use is silently
        // discarded (spec); any other message this model does not implement
        // is an unsupported request.
        else if (desc_hdr[39:32] != 8'h7F) unsup = 1'b1;
      end else if ((typ == TYPE_MEM_LK && !has_data) || (typ == TYPE_IO && !is4) ||
                   ((typ == TYPE_CFG0 || typ == TYPE_CFG1) && !is4) ||
                   (has_data && (typ == 5'b01100 || typ == 5'b01101 || typ == 5'b01110))) begin
        cls = K_UR;  // non-posted requests a root port does not serve
      end else begin
        malformed = 1'b1;
      end
    end
  end

  // Fields the classification does not need (TC, attributes, IDs, tag,
  // reserved address bits); the consumers read them from the header.
  logic unused_hdr_bits;
  assign unused_hdr_bits = ^{desc_hdr[23:16], desc_hdr[13:10], desc_hdr[63:40], desc_hdr[97:96]};

  logic idle_head;
  assign idle_head    = desc_valid && !waiting;
  assign go           = idle_head && cls != K_DROP;
  assign kind         = cls;
  assign release_tlp  = (idle_head && cls == K_DROP) || (waiting && done);
  assign ev_malformed = idle_head && malformed;
  assign ev_unsup     = idle_head && unsup;
  assign ev_poisoned  = idle_head && poisoned;
  assign ev_unexp_cpl = idle_head && unexp;
  assign busy         = waiting;

  always_ff @(posedge clk) begin
    if (!rst_n) waiting <= 1'b0;
    else if (go) waiting <= 1'b1;
    else if (done) waiting <= 1'b0;
  end
endmodule
