// Interrupts from the device: a memory write into the MSI/MSI-X window
// (the classifier decides that) becomes an event carrying its address and
// first data DW; Assert_INTx / Deassert_INTx messages set and clear one
// level per INTx line.
module irq_detect #(
    parameter int DATA_W = 128
) (
    input  logic              clk,
    input  logic              rst_n,
    input  logic              go,
    input  logic              is_msi,    // else an INTx message
    input  logic [127:0]      hdr,
    output logic [10:0]       rd_off,
    input  logic [DATA_W-1:0] rd_data,
    output logic              done,
    output logic              irq_valid,
    input  logic              irq_ready,
    output logic [63:0]       irq_addr,
    output logic [31:0]       irq_data,
    output logic [3:0]        intx,
    output logic              busy
);
  logic pending;   // MSI event waiting for irq_ready
  logic finish;    // hand-off ends next cycle

  // Only the address, message code and first payload DW matter here.
  logic unused_bits;
  assign unused_bits = ^{hdr, rd_data[DATA_W-1:32]};

  assign rd_off    = hdr[29] ? 11'd4 : 11'd3;
  assign irq_valid = pending;
  assign done      = finish;
  assign busy      = pending || finish;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      pending <= 1'b0;
      finish  <= 1'b0;
      intx    <= '0;
    end else begin
      finish <= 1'b0;
      if (go && is_msi) begin
        pending  <= 1'b1;
        irq_addr <= hdr[29] ? {hdr[95:64], hdr[127:98], 2'b00} : {32'd0, hdr[95:66], 2'b00};
        irq_data <= rd_data[31:0];
      end else if (go) begin
        // codes 0x20..0x23 assert INTA..INTD, 0x24..0x27 deassert them
        intx[hdr[33:32]] <= !hdr[34];
        finish <= 1'b1;
      end
      if (pending && irq_ready) begin
        pending <= 1'b0;
        finish  <= 1'b1;
      end
    end
  end
endmodule
