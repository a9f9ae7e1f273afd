// Outstanding non-posted requests the root port has sent, by tag. Tags come
// from a FIFO free list (0,1,2,... after reset; a freed tag goes to the
// back), so a tag is reused as late as possible and a late completion is
// recognised as late, not matched to a newer request. The completion timeout
// is checked one tag per cycle by a round-robin scan: a request times out
// between `timeout` and `timeout + NUM_TAGS` cycles after it was sent (a
// little later when the scan has to wait, see below).
// The scan never times out the tag whose completion is being processed
// (it moves on and comes back), and it waits in a cycle where the
// completion tracker reports a result, since the host slots take one result
// per cycle: so a timeout and a completion never race for a tag.
module tag_table #(
    parameter int NUM_TAGS = 32,
    parameter int HOST_SLOTS = 4,
    localparam int SW = (HOST_SLOTS > 1) ? $clog2(HOST_SLOTS) : 1,
    localparam int TIW = (NUM_TAGS > 1) ? $clog2(NUM_TAGS) : 1
) (
    input  logic          clk,
    input  logic          rst_n,
    input  logic [31:0]   cfg_cpl_timeout,
    // allocation (host request engine)
    output logic          alloc_ready,
    output logic [7:0]    alloc_tag,
    input  logic          alloc_valid,
    input  logic [SW-1:0] alloc_slot,
    input  logic          alloc_wr,       // expects a Cpl without data (config write)
    input  logic [10:0]   alloc_buf_off,  // DW offset of the piece in the slot's buffer
    input  logic [10:0]   alloc_dw,       // DWs of data expected
    input  logic [12:0]   alloc_bytes,    // byte count expected in the first completion
    input  logic [6:0]    alloc_la,       // lower address expected in the first completion
    // lookup (completion tracker)
    input  logic [7:0]    lk_tag,
    output logic          lk_valid,
    output logic          lk_timed_out,
    output logic [SW-1:0] lk_slot,
    output logic          lk_wr,
    output logic [10:0]   lk_buf_off,
    output logic [10:0]   lk_dw_left,
    output logic [12:0]   lk_bytes_left,
    output logic [6:0]    lk_la,
    // update after a completion (completion tracker)
    input  logic          upd_valid,
    input  logic [7:0]    upd_tag,
    input  logic          upd_free,
    input  logic [10:0]   upd_buf_off,
    input  logic [10:0]   upd_dw_left,
    input  logic [12:0]   upd_bytes_left,
    input  logic [6:0]    upd_la,
    // completion timeout
    input  logic          busy_tag_valid,  // a completion for busy_tag is being processed
    input  logic [7:0]    busy_tag,
    input  logic          res_busy,        // the tracker reports a result this cycle
    output logic          to_valid,
    output logic [SW-1:0] to_slot,
    output logic [8:0]    in_use
);
  logic [NUM_TAGS-1:0] valid;
  logic [NUM_TAGS-1:0] timed_out;
  logic [NUM_TAGS-1:0] no_deadline;
  logic [NUM_TAGS-1:0] is_wr;
  logic [SW-1:0]       slot     [NUM_TAGS];
  logic [10:0]         buf_off  [NUM_TAGS];
  logic [10:0]         dw_left  [NUM_TAGS];
  logic [12:0]         bytes    [NUM_TAGS];
  logic [6:0]          la       [NUM_TAGS];
  logic [31:0]         deadline [NUM_TAGS];

  logic [7:0]          free_list[NUM_TAGS];
  logic [TIW-1:0]      fl_head;
  logic [TIW-1:0]      fl_tail;
  logic [8:0]          fl_count;   // freed tags queued in free_list
  logic [8:0]          fresh;      // tags 0..fresh-1 have been handed out once
  logic [TIW-1:0]      scan;
  logic [31:0]         now;

  logic                lk_in_range;
  logic [TIW-1:0]      lk_idx;
  logic [TIW-1:0]      upd_idx;
  logic [TIW-1:0]      alloc_idx;

  function automatic logic [TIW-1:0] wrap_inc(input logic [TIW-1:0] v);
    return (v == TIW'(NUM_TAGS - 1)) ? '0 : v + 1'b1;
  endfunction

  // Never-used tags first, in order, then the freed ones in the order freed:
  // the same as a free list filled with 0..NUM_TAGS-1 at reset.
  assign alloc_ready = (fresh != 9'(NUM_TAGS)) || (fl_count != 9'd0);
  assign alloc_tag   = (fresh != 9'(NUM_TAGS)) ? fresh[7:0] : free_list[fl_head];
  assign alloc_idx   = alloc_tag[TIW-1:0];
  assign in_use      = fresh - fl_count;

  assign lk_in_range   = ({1'b0, lk_tag} < 9'(NUM_TAGS));
  assign lk_idx        = lk_tag[TIW-1:0];
  assign upd_idx       = upd_tag[TIW-1:0];
  assign lk_valid      = lk_in_range && valid[lk_idx];
  assign lk_timed_out  = lk_in_range && timed_out[lk_idx];
  assign lk_slot       = slot[lk_idx];
  assign lk_wr         = is_wr[lk_idx];
  assign lk_buf_off    = buf_off[lk_idx];
  assign lk_dw_left    = dw_left[lk_idx];
  assign lk_bytes_left = bytes[lk_idx];
  assign lk_la         = la[lk_idx];

  // Wrap-safe "now has reached the deadline" (timeouts below 2^31 cycles).
  logic scan_skip;   // the scanned tag is in the tracker's hands
  logic scan_wait;   // the slots' result port is taken this cycle
  assign scan_skip = busy_tag_valid && busy_tag == 8'(scan);
  assign scan_wait = res_busy || upd_valid;
  assign to_valid = !scan_skip && !scan_wait && valid[scan] && !no_deadline[scan] &&
                    ($signed(now - deadline[scan]) >= 32'sd0);
  assign to_slot = slot[scan];

  always_ff @(posedge clk) begin
    logic push;
    logic [7:0] push_tag;
    if (!rst_n) begin
      valid     <= '0;
      timed_out <= '0;
      fl_head   <= '0;
      fl_tail   <= '0;
      fl_count  <= '0;
      fresh     <= '0;
      scan      <= '0;
      now       <= '0;
    end else begin
      now <= now + 1'b1;
      push = 1'b0;
      push_tag = '0;
      if (alloc_valid && alloc_ready) begin
        valid[alloc_idx]       <= 1'b1;
        timed_out[alloc_idx]   <= 1'b0;
        no_deadline[alloc_idx] <= (cfg_cpl_timeout == 32'd0);
        deadline[alloc_idx]    <= now + cfg_cpl_timeout;
        is_wr[alloc_idx]       <= alloc_wr;
        slot[alloc_idx]        <= alloc_slot;
        buf_off[alloc_idx]     <= alloc_buf_off;
        dw_left[alloc_idx]     <= alloc_dw;
        bytes[alloc_idx]       <= alloc_bytes;
        la[alloc_idx]          <= alloc_la;
        if (fresh != 9'(NUM_TAGS)) fresh <= fresh + 1'b1;
        else fl_head <= wrap_inc(fl_head);
      end
      if (upd_valid) begin
        buf_off[upd_idx] <= upd_buf_off;
        dw_left[upd_idx] <= upd_dw_left;
        bytes[upd_idx]   <= upd_bytes_left;
        la[upd_idx]      <= upd_la;
        if (upd_free) begin
          valid[upd_idx] <= 1'b0;
          push = 1'b1;
          push_tag = upd_tag;
        end
      end
      if (to_valid) begin
        valid[scan]     <= 1'b0;
        timed_out[scan] <= 1'b1;
        push = 1'b1;
        push_tag = 8'(scan);
      end
      if (!scan_wait) scan <= wrap_inc(scan);
      if (push) begin
        free_list[fl_tail] <= push_tag;
        fl_tail <= wrap_inc(fl_tail);
      end
      fl_count <= fl_count + {8'd0, push} -
                  {8'd0, alloc_valid && alloc_ready && fresh == 9'(NUM_TAGS)};
    end
  end
endmodule
