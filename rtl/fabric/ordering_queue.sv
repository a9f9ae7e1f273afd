// The TLP header queue of one fabric port: three FIFOs, one per ordering
// class (C_P posted: MemWr, messages; C_NP non-posted: MemRd, IORd/Wr,
// CfgRd/Wr; C_CPL completions), and an arbiter that lets an entry out only
// when the PCIe ordering table allows it to pass everything older still
// queued. Relaxed Ordering and ID-based Ordering are off; the table then
// says, for a later TLP (row) against an earlier one (column):
//   - P after P: must not pass (writes are seen in order).
//   - NP after P, CPL after P: must not pass (a read or the completion that
//     reports data must not overtake a write it may depend on: the
//     producer/consumer model).
//   - P after NP, P after CPL: may pass, and must be able to: if a posted
//     write could wait behind a request that waits for credit, two devices
//     each waiting on the other's writes deadlock.
//   - NP after NP, NP after CPL, CPL after NP: may pass (no dependency).
//   - CPL after CPL: may pass, except with the same transaction ID.
//
// How the queue applies it. Every entry gets an age stamp when it enters;
// a FIFO's head is its class's oldest entry. A class is eligible when it is
// not empty, the receiver has credit for it (!blocked[c]) and, for NP and
// CPL, no posted entry older than its head is queued (the posted head is
// the oldest posted entry, so one comparison suffices). P is eligible
// whenever it is not empty and not blocked: it may pass anything. Of the
// eligible heads the oldest leaves. So:
//   - Ps leave in arrival order (one FIFO);
//   - an NP or CPL waits behind an older P even while P is blocked;
//   - a P behind a blocked NP or CPL goes first;
//   - with nothing blocked, entries leave in arrival order.
// NPs stay in order among themselves and so do CPLs; that is stricter than
// the table and keeps completions of one transaction ID in order for free.
//
// Interfaces: enqueue (in_valid/in_ready, in_cls, in_hdr, in_tag) takes one
// entry per cycle; in_ready is low only when in_cls's FIFO is full, so a full
// class never stalls another one (class_full shows all three). Dequeue
// (out_valid/out_ready, out_cls, out_hdr, out_tag) follows the state and
// blocked combinationally; a transfer happens on the rising edge with
// out_valid && out_ready. An entry enqueued in a cycle can leave in the next
// one at the earliest. in_cls == 3 is not a class: in_ready is low for it
// and nothing is taken. rst_n is synchronous, active low, and empties the
// queue. Not modelled: Relaxed Ordering, ID-based Ordering, data payloads
// (the header blob is opaque, HDRW bits), flow-control credit counting
// (the receiver's view arrives as blocked).
module ordering_queue #(
    parameter int DEPTH = 4,   // entries per class, 2..16
    parameter int HDRW  = 32,  // header blob bits
    parameter int TAGW  = 8,   // caller's tag bits (tests: an entry id)
    localparam int PTRW = $clog2(DEPTH),
    localparam int CNTW = $clog2(DEPTH + 1),
    // stamps of queued entries span at most 3*DEPTH; two more bits make the
    // modular "older than" comparison unambiguous
    localparam int AGEW = $clog2(3 * DEPTH) + 2
) (
    input  logic            clk,
    input  logic            rst_n,
    input  logic            in_valid,
    output logic            in_ready,
    input  logic [1:0]      in_cls,     // C_P = 0, C_NP = 1, C_CPL = 2
    input  logic [HDRW-1:0] in_hdr,
    input  logic [TAGW-1:0] in_tag,
    output logic            out_valid,
    input  logic            out_ready,
    output logic [1:0]      out_cls,
    output logic [HDRW-1:0] out_hdr,
    output logic [TAGW-1:0] out_tag,
    input  logic [2:0]      blocked,    // receiver has no credit for class c
    output logic [2:0]      class_full,
    output logic [2:0]      class_empty
);
  localparam int C_P = 0, C_NP = 1, C_CPL = 2;

  initial begin
    if (DEPTH < 2 || DEPTH > 16) $fatal(1, "ordering_queue: DEPTH must be 2..16");
  end

  logic [HDRW-1:0] hdr_mem[3][DEPTH];
  logic [TAGW-1:0] tag_mem[3][DEPTH];
  logic [AGEW-1:0] age_mem[3][DEPTH];
  logic [PTRW-1:0] rd_ptr [3];
  logic [PTRW-1:0] wr_ptr [3];
  logic [CNTW-1:0] count  [3];
  logic [AGEW-1:0] next_age;

  logic [AGEW-1:0] head_age[3];
  logic [2:0]      eligible;
  logic [1:0]      pick;
  logic            do_in;
  logic            do_out;

  // a is older than b: b - a, modulo 2^AGEW, is in the lower half (stamps
  // of queued entries are distinct and span less than a quarter of it)
  function automatic logic older(input logic [AGEW-1:0] a, input logic [AGEW-1:0] b);
    logic [AGEW-1:0] d;
    d = b - a;
    return !d[AGEW-1];
  endfunction

  function automatic logic [PTRW-1:0] bump(input logic [PTRW-1:0] p);
    return (p == PTRW'(DEPTH - 1)) ? '0 : p + 1'b1;
  endfunction

  always_comb begin
    for (int c = 0; c < 3; c++) begin
      class_empty[c] = count[c] == '0;
      class_full[c] = count[c] == CNTW'(DEPTH);
      head_age[c] = age_mem[c][rd_ptr[c]];
      eligible[c] = !class_empty[c] && !blocked[c];
    end
    // NP and CPL must not pass a posted entry: one older than their head
    // is the posted head, if any
    if (!class_empty[C_P] && older(head_age[C_P], head_age[C_NP])) eligible[C_NP] = 1'b0;
    if (!class_empty[C_P] && older(head_age[C_P], head_age[C_CPL])) eligible[C_CPL] = 1'b0;
  end

  // oldest eligible head; ties cannot happen (stamps are distinct)
  always_comb begin
    pick = 2'(C_P);
    if (!eligible[C_P]
        || (eligible[C_NP] && older(head_age[C_NP], head_age[C_P]))
        || (eligible[C_CPL] && older(head_age[C_CPL], head_age[C_P]))) begin
      if (eligible[C_NP]
          && (!eligible[C_CPL] || older(head_age[C_NP], head_age[C_CPL]))) pick = 2'(C_NP);
      else pick = 2'(C_CPL);
    end
  end

  assign out_valid = |eligible;
  assign out_cls = pick;
  assign out_hdr = hdr_mem[pick][rd_ptr[pick]];
  assign out_tag = tag_mem[pick][rd_ptr[pick]];
  assign in_ready = in_cls != 2'd3 && !class_full[in_cls];
  assign do_in = in_valid && in_ready;
  assign do_out = out_valid && out_ready;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      for (int c = 0; c < 3; c++) begin
        rd_ptr[c] <= '0;
        wr_ptr[c] <= '0;
        count[c] <= '0;
      end
      next_age <= '0;
    end else begin
      if (do_in) begin
        hdr_mem[in_cls][wr_ptr[in_cls]] <= in_hdr;
        tag_mem[in_cls][wr_ptr[in_cls]] <= in_tag;
        age_mem[in_cls][wr_ptr[in_cls]] <= next_age;
        wr_ptr[in_cls] <= bump(wr_ptr[in_cls]);
        next_age <= next_age + 1'b1;
      end
      if (do_out) rd_ptr[pick] <= bump(rd_ptr[pick]);
      for (int c = 0; c < 3; c++) begin
        if (do_in && in_cls == 2'(c) && !(do_out && pick == 2'(c))) count[c] <= count[c] + 1'b1;
        else if (!(do_in && in_cls == 2'(c)) && do_out && pick == 2'(c))
          count[c] <= count[c] - 1'b1;
      end
    end
  end
endmodule
