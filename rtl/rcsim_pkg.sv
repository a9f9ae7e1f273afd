// Shared constants of the root port: TLP fmt/type codes as the PCIe Base
// Specification numbers them, completion status codes, the host port's
// operation and status codes, and the size encodings of the settings.
package rcsim_pkg;

  // The package lists whole code tables as the spec defines them; not every
  // code is referenced by the design, which is fine for a table.
  /* verilator lint_off UNUSEDPARAM */

  // fmt field (DW0[31:29])
  localparam logic [2:0] FMT_3DW_NODATA = 3'b000;
  localparam logic [2:0] FMT_4DW_NODATA = 3'b001;
  localparam logic [2:0] FMT_3DW_DATA = 3'b010;
  localparam logic [2:0] FMT_4DW_DATA = 3'b011;

  // type field (DW0[28:24])
  localparam logic [4:0] TYPE_MEM = 5'b00000;
  localparam logic [4:0] TYPE_MEM_LK = 5'b00001;
  localparam logic [4:0] TYPE_IO = 5'b00010;
  localparam logic [4:0] TYPE_CFG0 = 5'b00100;
  localparam logic [4:0] TYPE_CFG1 = 5'b00101;
  localparam logic [4:0] TYPE_CPL = 5'b01010;
  localparam logic [4:0] TYPE_CPL_LK = 5'b01011;
  // Messages are 10rrr; rrr is the routing subfield.
  localparam logic [1:0] TYPE_MSG_HI = 2'b10;

  // Completion status (DW1[15:13] of a completion)
  localparam logic [2:0] CPL_SC = 3'b000;
  localparam logic [2:0] CPL_UR = 3'b001;
  localparam logic [2:0] CPL_CRS = 3'b010;
  localparam logic [2:0] CPL_CA = 3'b100;

  // INTx message codes
  localparam logic [7:0] MSG_ASSERT_INTA = 8'h20;
  localparam logic [7:0] MSG_DEASSERT_INTA = 8'h24;

  // Host port operations. Bit 0 set = the request carries write data;
  // 6 and 7 are not operations (answered BAD_REQ).
  localparam logic [2:0] OP_MEM_RD = 3'd0;
  localparam logic [2:0] OP_MEM_WR = 3'd1;
  localparam logic [2:0] OP_CFG_RD = 3'd2;
  localparam logic [2:0] OP_CFG_WR = 3'd3;
  localparam logic [2:0] OP_IO_RD = 3'd4;
  localparam logic [2:0] OP_IO_WR = 3'd5;

  // Host response status
  localparam logic [2:0] ST_SC = 3'd0;
  localparam logic [2:0] ST_UR = 3'd1;
  localparam logic [2:0] ST_CA = 3'd2;
  localparam logic [2:0] ST_TIMEOUT = 3'd3;
  localparam logic [2:0] ST_POISONED = 3'd4;
  localparam logic [2:0] ST_BAD_REQ = 3'd5;

  // Largest TLP we accept: 4 DW header + 1024 DW payload + 1 DW digest.
  localparam int MAX_TLP_DW = 1029;
  /* verilator lint_on UNUSEDPARAM */

  // MPS/MRRS encoding -> bytes (128 << enc, 6 and 7 clamp to 4096).
  function automatic logic [12:0] size_bytes(input logic [2:0] enc);
    logic [2:0] e;
    e = (enc > 3'd5) ? 3'd5 : enc;
    return 13'd128 << e;
  endfunction

  // Index of the lowest set bit of a byte-enable nibble (0 when none set):
  // the byte offset of the first enabled byte.
  function automatic logic [1:0] be_first_offset(input logic [3:0] be);
    if (be[0]) return 2'd0;
    if (be[1]) return 2'd1;
    if (be[2]) return 2'd2;
    if (be[3]) return 2'd3;
    return 2'd0;
  endfunction

  // One past the highest set bit of a byte-enable nibble (0 when none set).
  function automatic logic [2:0] be_end_offset(input logic [3:0] be);
    if (be[3]) return 3'd4;
    if (be[2]) return 3'd3;
    if (be[1]) return 3'd2;
    if (be[0]) return 3'd1;
    return 3'd0;
  endfunction

  // Byte enables a request must use when its bytes have to be contiguous
  // (length >= 3 DW, or 2 DW not QW aligned): the first DW's enabled bytes
  // reach up to its last byte, the last DW's start at its first byte.
  function automatic logic be_first_contig(input logic [3:0] be);
    return be == 4'b1111 || be == 4'b1110 || be == 4'b1100 || be == 4'b1000;
  endfunction
  function automatic logic be_last_contig(input logic [3:0] be);
    return be == 4'b1111 || be == 4'b0111 || be == 4'b0011 || be == 4'b0001;
  endfunction

  // Byte count of a request as the spec defines it for completions
  // (a zero-length read, 1 DW with BE 0, counts 1 byte).
  function automatic logic [12:0] req_byte_count(input logic [10:0] len_dw,
                                                 input logic [3:0] first_be,
                                                 input logic [3:0] last_be);
    logic [12:0] first_off;
    logic [12:0] end_off;
    first_off = {11'd0, be_first_offset(first_be)};
    if (len_dw == 11'd1) begin
      if (first_be == 4'd0) return 13'd1;
      end_off = {10'd0, be_end_offset(first_be)};
      return end_off - first_off;
    end
    end_off = ({2'd0, len_dw} - 13'd1) * 13'd4 + {10'd0, be_end_offset(last_be)};
    return end_off - first_off;
  endfunction

endpackage
