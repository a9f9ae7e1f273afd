// Where one TLP goes inside a root complex or a switch with NPORTS
// downstream ports, from its kind, its ingress and its address or ID, given
// each port's Type 1 header outputs. Purely combinational.
//
// UP_IS_BRIDGE = 0: a root complex. "Up" is the host; everything the host
// sends is offered to the root ports, and a request from below that no
// other root port claims goes to the host. The root ports sit on bus up_sec.
// UP_IS_BRIDGE = 1: a switch. "Up" is the upstream port's link, its Type 1
// header (up_*) filters both ways; the downstream ports sit on its
// secondary bus up_sec, its bus range is up_sec..up_sub.
//
// Address routing (memory, I/O), in the spirit of the bridge spec:
// - Downward, a port claims an address inside one of its windows (memory or
//   prefetchable for memory, I/O for I/O) only while its Command register
//   enables that space; nobody claiming it makes it UR.
// - Upward, port k forwards an address that is outside all of its own
//   windows (inverse decode) and only while Bus Master Enable is set; an
//   address inside its own windows belongs below k and is UR, never sent
//   back down. Once on the internal bus, a peer port that claims it (as
//   downward) takes it; otherwise it goes up, where a switch's upstream port
//   again forwards only what is outside its own windows, with its BME set.
//
// ID routing (configuration, completions, ID-routed messages):
// - Bus b belongs to port k when sec_k <= b <= sub_k and sec_k != 0 (bus 0 is
//   the root bus, never a secondary bus, so sec = 0 means unprogrammed).
// - A Type 1 configuration request for bus b goes to the port owning b; if b
//   is that port's secondary bus, the port turns it into Type 0 (to_type0),
//   and since the link has one device, Device Number != 0 is UR (no ARI).
//   A request for the bus the ports sit on (up_sec) is for the port whose
//   Device/Function is id[7:0] (D_SELF_DN), else UR.
// - Root complex: the host sends every config request as Type 0 with the
//   full target ID (rtl/rcsim_root_port), so a Type 0 from up for another
//   bus than up_sec follows the Type 1 rule (the host bridge's job).
// - Configuration requests only travel downward: from below they are UR.
// - Completions and ID-routed messages go to the port owning the bus of
//   their target ID, or upward when no port below owns it and (switch) it is
//   outside up_sec..up_sub. One that would go back out of its ingress port,
//   or that nobody owns, is dropped (completion) or UR (message).
// - Messages to the root go up from any downstream port; broadcasts from
//   the root go to every downstream port. Either one the wrong way is UR.
//   Local (terminate at receiver) messages never reach this decoder.
//
// Command register gates: Memory/I/O Space Enable gate the downward claim,
// Bus Master Enable the upward forwarding of memory and I/O requests (MSIs
// included); configuration requests, completions and messages pass them.
// Overlapping windows are a software error: the lowest port number wins.
module route_decode
  import fabric_pkg::*;
#(
    parameter int NPORTS       = 4,
    parameter bit UP_IS_BRIDGE = 1'b0,
    localparam int PW = (NPORTS > 1) ? $clog2(NPORTS) : 1
) (
    input  logic [2:0]                kind,       // K_* of fabric_pkg
    input  logic                      from_up,    // ingress: 1 = upstream side
    input  logic [PW-1:0]             from_port,  // ingress downstream port when !from_up
    input  logic [63:0]               addr,       // memory (32-bit: upper half 0), I/O
    input  logic [15:0]               id,         // cfg target / cpl requester / msg target
    // upstream side: bus the ports sit on; switch only: its header
    input  logic [7:0]                up_sec,
    input  logic [7:0]                up_sub,
    input  logic                      up_io_en,
    input  logic                      up_mem_en,
    input  logic                      up_bm,
    input  logic [31:0]               up_io_base,
    input  logic [31:0]               up_io_limit,
    input  logic [31:0]               up_mem_base,
    input  logic [31:0]               up_mem_limit,
    input  logic [63:0]               up_pref_base,
    input  logic [63:0]               up_pref_limit,
    // downstream ports
    input  logic [NPORTS-1:0][7:0]    dn_devfn,   // the port's Device/Function on up_sec
    input  logic [NPORTS-1:0][7:0]    dn_sec,
    input  logic [NPORTS-1:0][7:0]    dn_sub,
    input  logic [NPORTS-1:0]         dn_io_en,
    input  logic [NPORTS-1:0]         dn_mem_en,
    input  logic [NPORTS-1:0]         dn_bm,
    input  logic [NPORTS-1:0][31:0]   dn_io_base,
    input  logic [NPORTS-1:0][31:0]   dn_io_limit,
    input  logic [NPORTS-1:0][31:0]   dn_mem_base,
    input  logic [NPORTS-1:0][31:0]   dn_mem_limit,
    input  logic [NPORTS-1:0][63:0]   dn_pref_base,
    input  logic [NPORTS-1:0][63:0]   dn_pref_limit,
    output logic [2:0]                dest,       // D_* of fabric_pkg
    output logic [PW-1:0]             dest_port,  // for D_DOWN, D_SELF_DN
    output logic                      to_type0,   // D_DOWN of a Type 1 leaving as Type 0
    output logic [NPORTS-1:0]         bcast       // for D_BCAST
);
  initial begin
    if (NPORTS < 1 || NPORTS > 8) $fatal(1, "route_decode: NPORTS must be 1..8");
  end

  function automatic logic in_win(input logic [63:0] a, input logic [63:0] base,
                                  input logic [63:0] limit);
    return a >= base && a <= limit;  // base > limit: closed
  endfunction

  // {found, lowest set index}
  function automatic logic [PW:0] first_set(input logic [NPORTS-1:0] m);
    logic [PW:0] r;
    r = '0;
    for (int i = NPORTS - 1; i >= 0; i--) begin
      if (m[i]) r = {1'b1, PW'(i)};
    end
    return r;
  endfunction

  logic              is_io;
  logic [7:0]        bus;
  logic [NPORTS-1:0] own_win;  // address inside port k's windows of its space
  logic [NPORTS-1:0] claims;   // ... and that space enabled, ingress excluded
  logic [NPORTS-1:0] owns_bus; // bus inside sec..sub
  logic [NPORTS-1:0] bus_peer; // ... ingress excluded
  logic [NPORTS-1:0] is_fn;    // id[7:0] is the port's own function
  logic [NPORTS-1:0] others;
  logic              up_own_win;
  logic              up_claims;
  logic              up_owns_bus;
  logic [PW:0]       hit;
  logic [PW:0]       fn_hit;

  assign is_io = (kind == K_IO);
  assign bus = id[15:8];
  assign others = from_up ? '1 : ~(NPORTS'(1) << from_port);
  assign up_own_win = is_io ? in_win(addr, {32'h0, up_io_base}, {32'h0, up_io_limit})
                            : in_win(addr, {32'h0, up_mem_base}, {32'h0, up_mem_limit})
                              || in_win(addr, up_pref_base, up_pref_limit);
  assign up_claims = up_own_win && (is_io ? up_io_en : up_mem_en);
  assign up_owns_bus = bus >= up_sec && bus <= up_sub;
  assign fn_hit = first_set(is_fn);

  always_comb begin
    for (int k = 0; k < NPORTS; k++) begin
      own_win[k] = is_io ? in_win(addr, {32'h0, dn_io_base[k]}, {32'h0, dn_io_limit[k]})
                         : in_win(addr, {32'h0, dn_mem_base[k]}, {32'h0, dn_mem_limit[k]})
                           || in_win(addr, dn_pref_base[k], dn_pref_limit[k]);
      claims[k] = own_win[k] && (is_io ? dn_io_en[k] : dn_mem_en[k]) && others[k];
      owns_bus[k] = dn_sec[k] != 8'h0 && bus >= dn_sec[k] && bus <= dn_sub[k];
      bus_peer[k] = owns_bus[k] && others[k];
      is_fn[k] = id[7:0] == dn_devfn[k];
    end
  end

  always_comb begin
    dest = D_UR;
    dest_port = '0;
    to_type0 = 1'b0;
    bcast = '0;
    hit = '0;
    case (kind)
      K_MEM, K_IO: begin
        hit = first_set(claims);
        if (from_up) begin
          if (hit[PW] && (!UP_IS_BRIDGE || up_claims)) begin
            dest = D_DOWN;
            dest_port = hit[PW-1:0];
          end
        end else if (!own_win[from_port] && dn_bm[from_port]) begin
          if (hit[PW]) begin
            dest = D_DOWN;
            dest_port = hit[PW-1:0];
          end else if (!UP_IS_BRIDGE || (!up_own_win && up_bm)) begin
            dest = D_UP;
          end
        end
      end
      K_CFG0, K_CFG1: begin
        if (from_up && UP_IS_BRIDGE && kind == K_CFG0) begin
          dest = D_SELF_UP;
        end else if (from_up && bus == up_sec) begin
          if (fn_hit[PW]) begin
            dest = D_SELF_DN;
            dest_port = fn_hit[PW-1:0];
          end
        end else if (from_up && (!UP_IS_BRIDGE || up_owns_bus)) begin
          hit = first_set(owns_bus);
          if (hit[PW] && (bus != dn_sec[hit[PW-1:0]] || id[7:3] == 5'h0)) begin
            dest = D_DOWN;
            dest_port = hit[PW-1:0];
            to_type0 = bus == dn_sec[hit[PW-1:0]];
          end
        end
      end
      K_CPL, K_MSG_ID: begin
        hit = first_set(bus_peer);
        dest = (kind == K_CPL) ? D_DROP : D_UR;
        if (hit[PW]) begin
          dest = D_DOWN;
          dest_port = hit[PW-1:0];
        end else if (bus == up_sec && fn_hit[PW]) begin
          dest = D_SELF_DN;
          dest_port = fn_hit[PW-1:0];
        end else if (!from_up && !owns_bus[from_port] && !(UP_IS_BRIDGE && up_owns_bus)) begin
          dest = D_UP;
        end
      end
      K_MSG_ROOT: dest = from_up ? D_UR : D_UP;
      default: begin  // K_MSG_BCAST
        if (from_up) begin
          dest = D_BCAST;
          bcast = '1;
        end
      end
    endcase
  end
endmodule
