// Config space of one PCI-to-PCI bridge function: the Type 1 header, dwords
// 0x00-0x3c (PCIe Base spec "Type 1 Configuration Space Header", PCI-to-PCI
// Bridge Architecture spec chapter 3), with the windows and bus numbers
// decoded for routing. Register map, masks and reset values: README.md.
//
// One config dword per cycle: reads are combinational (cfg_rdata follows
// cfg_reg), a write with cfg_wr=1 lands on the rising edge, per byte lane
// enabled in cfg_be. Registers past 0x3c read 0 and ignore writes.
module type1_header #(
    // The IDs QEMU's pcie-root-port has, so a guest driver treats it alike.
    parameter logic [15:0] VENDOR_ID = 16'h1b36,
    parameter logic [15:0] DEVICE_ID = 16'h000c,
    parameter logic [7:0]  REVISION  = 8'h00,
    parameter bit          MULTI_FN  = 1'b0,
    parameter logic [7:0]  INT_PIN   = 8'h00,
    // 0: no capability list (Status bit 4 reads 0).
    parameter logic [7:0]  CAP_PTR   = 8'h00
) (
    input  logic        clk,
    input  logic        rst_n,
    input  logic [9:0]  cfg_reg,      // dword number (byte offset / 4)
    input  logic        cfg_wr,
    input  logic [3:0]  cfg_be,
    input  logic [31:0] cfg_wdata,
    output logic [31:0] cfg_rdata,
    // Error events: a 1 sets the RW1C Status / Secondary Status bit (only
    // bits 8, 11..15 exist); an event in the same cycle as a clearing write
    // wins, so it is never lost.
    input  logic [15:0] sts_set,
    input  logic [15:0] sec_sts_set,
    // Decoded for routing (windows inclusive; closed when base > limit).
    output logic [7:0]  pri_bus,
    output logic [7:0]  sec_bus,
    output logic [7:0]  sub_bus,
    output logic [31:0] io_base,
    output logic [31:0] io_limit,
    output logic [31:0] mem_base,
    output logic [31:0] mem_limit,
    output logic [63:0] pref_base,
    output logic [63:0] pref_limit,
    output logic        io_en,
    output logic        mem_en,
    output logic        bus_master,
    output logic        parity_en,
    output logic        serr_en,
    output logic        intx_disable,
    output logic [7:0]  bridge_ctl     // Bridge Control bits 7:0 (6 = Secondary Bus Reset)
);
  localparam int NREG = 16;

  logic [31:0] store[NREG];

  // Bits software may write (read back as written).
  function automatic logic [31:0] rw_mask(input logic [3:0] r);
    case (r)
      4'd1:  return 32'h0000_0547;  // Command: I/O, Mem, BM, Parity, SERR, INTx disable
      4'd3:  return 32'h0000_00ff;  // Cache Line Size (no effect, as PCIe allows)
      4'd6:  return 32'h00ff_ffff;  // primary, secondary, subordinate bus
      4'd7:  return 32'h0000_f0f0;  // I/O limit, base: address bits 15:12
      4'd8:  return 32'hfff0_fff0;  // memory limit, base: address bits 31:20
      4'd9:  return 32'hfff0_fff0;  // prefetchable limit, base: bits 31:20
      4'd10, 4'd11, 4'd12: return 32'hffff_ffff;  // upper 32 / upper 16 bits
      4'd15: return 32'h005f_00ff;  // Bridge Control 0-4, 6; Interrupt Line
      default: return 32'h0;
    endcase
  endfunction

  // Write-1-to-clear bits: Status and Secondary Status 8, 11, 12, 13, 14, 15.
  function automatic logic [31:0] rw1c_mask(input logic [3:0] r);
    return (r == 4'd1 || r == 4'd7) ? 32'hf900_0000 : 32'h0;
  endfunction

  // Hardwired bits; everything not in a mask and not here reads 0.
  function automatic logic [31:0] ro_bits(input logic [3:0] r);
    case (r)
      4'd0:  return {DEVICE_ID, VENDOR_ID};
      4'd1:  return {11'h0, CAP_PTR != 8'h00, 20'h0};
      4'd2:  return {24'h06_04_00, REVISION};  // class: bridge, PCI-to-PCI, 00
      4'd3:  return {8'h00, MULTI_FN, 7'h01, 16'h0};
      4'd7:  return 32'h0000_0101;  // I/O base and limit: 32-bit decode
      4'd9:  return 32'h0001_0001;  // prefetchable base and limit: 64-bit
      4'd13: return {24'h0, CAP_PTR};
      4'd15: return {16'h0, INT_PIN, 8'h0};
      default: return 32'h0;
    endcase
  endfunction

  // Windows start closed (base above limit) so a bridge claims nothing until
  // software programs it; the spec leaves these reset values open.
  function automatic logic [31:0] reset_value(input logic [3:0] r);
    case (r)
      4'd7:  return 32'h0000_00f0;
      4'd8:  return 32'h0000_fff0;
      4'd9:  return 32'h0000_fff0;
      4'd10: return 32'hffff_ffff;
      4'd12: return 32'h0000_ffff;
      default: return 32'h0;
    endcase
  endfunction

  function automatic logic [31:0] next_value(input logic [3:0] r, input logic [31:0] cur,
                                             input logic [31:0] set);
    logic [31:0] be_mask;
    logic [31:0] wr;
    logic [31:0] clr;
    be_mask = {{8{cfg_be[3]}}, {8{cfg_be[2]}}, {8{cfg_be[1]}}, {8{cfg_be[0]}}};
    wr = (cfg_wr && cfg_reg == {6'h0, r}) ? be_mask : 32'h0;
    clr = cfg_wdata & wr & rw1c_mask(r);
    return ((cur & ~(wr & rw_mask(r))) | (cfg_wdata & wr & rw_mask(r)) | (set & rw1c_mask(r)))
           & ~(clr & ~set);
  endfunction

  always_ff @(posedge clk) begin
    for (int r = 0; r < NREG; r++) begin
      if (!rst_n) store[r] <= reset_value(4'(r));
      else if (r == 1) store[r] <= next_value(4'(r), store[r], {sts_set, 16'h0});
      else if (r == 7) store[r] <= next_value(4'(r), store[r], {sec_sts_set, 16'h0});
      else store[r] <= next_value(4'(r), store[r], 32'h0);
    end
  end

  always_comb begin
    if (cfg_reg < 10'(NREG)) begin
      cfg_rdata = (store[cfg_reg[3:0]] & (rw_mask(cfg_reg[3:0]) | rw1c_mask(cfg_reg[3:0])))
                  | ro_bits(cfg_reg[3:0]);
    end else begin
      cfg_rdata = 32'h0;
    end
  end

  assign io_en = store[1][0];
  assign mem_en = store[1][1];
  assign bus_master = store[1][2];
  assign parity_en = store[1][6];
  assign serr_en = store[1][8];
  assign intx_disable = store[1][10];
  assign pri_bus = store[6][7:0];
  assign sec_bus = store[6][15:8];
  assign sub_bus = store[6][23:16];
  assign io_base = {store[12][15:0], store[7][7:4], 12'h000};
  assign io_limit = {store[12][31:16], store[7][15:12], 12'hfff};
  assign mem_base = {store[8][15:4], 20'h0_0000};
  assign mem_limit = {store[8][31:20], 20'hf_ffff};
  assign pref_base = {store[10], store[9][15:4], 20'h0_0000};
  assign pref_limit = {store[11], store[9][31:20], 20'hf_ffff};
  assign bridge_ctl = store[15][23:16] & 8'h5f;
endmodule
