// A PCIe switch, or a root complex, at the TLP-header level: one upstream
// side and NPORTS downstream ports, built from the fabric blocks. No payload
// beyond one data dword (a CfgWr's data, a CplD's data); a TLP is its
// decoded fields plus an opaque hdr the caller keeps the rest behind (the
// harness stores the whole TLP and puts its handle there).
//
// UP_IS_BRIDGE = 1: a switch. The upstream port is a Type 1 function
// (QEMU's x3130: upstream 104c:8232, downstream ports 104c:8233).
// UP_IS_BRIDGE = 0: a root complex. "Up" is the host, there is no upstream
// header; the downstream ports are root ports on bus 0 (QEMU's
// pcie-root-port, 1b36:000c). The host sends every config request as Type 0
// with the full target ID: bus 0 is a root port's own function, any other
// bus is routed as Type 1 (route_decode) and leaves as Type 1 (to a switch)
// or as Type 0 (on a root port's secondary bus).
//
// Port numbering: 0..NPORTS-1 are the downstream ports, NPORTS is the
// upstream side; every per-port vector below is indexed that way.
// Downstream port k is device k+1, function 0 on the internal bus (the
// upstream port's secondary bus; bus 0 in a root complex), leaving device 0
// to the host bridge as the planner numbers them.
//
// TLP fields per port: kind (fabric_pkg K_*), cls (0 P, 1 NP, 2 CPL), wr
// (request: a write; completion: with data), addr (memory/I/O address;
// config: byte offset of the register in [11:0]), id (config target,
// completion/message routing ID), req_id (request: requester; completion:
// completer), tag, be (config first byte enables), data (one dword),
// status (completion: 0 SC, 1 UR), hdr (opaque, passed through; 0 on the
// completions the switch makes).
//
// Inside: a Type 1 header per port function, one route_decode per ingress,
// one ordering_queue per egress. Choices:
// - One TLP a cycle moves from an ingress into the egress queues. Ingresses
//   whose TLP can be taken (the target queue's class is not full) compete
//   round-robin: after a transfer the pointer moves past the winner, so a
//   stuck ingress never holds the others.
// - in_ready[k] is high in the cycle ingress k's TLP is taken (it depends
//   on in_valid; a sender must not make in_valid depend on in_ready).
// - Config requests for a port's own header (D_SELF_UP, D_SELF_DN) are
//   done by the switch: a CfgWr lands in the header on the transfer edge,
//   and a completion (CplD with the read data, or Cpl for a write, status
//   SC, requester ID and tag of the request, completer ID the function
//   addressed) goes into the ingress port's own queue, class CPL.
// - D_UR, or a TLP routed out of a port whose link_up is low (nothing
//   attached): a non-posted request gets a UR completion (completer ID the
//   ingress port's function; 00:00.0, the host bridge, for a root
//   complex's host side) back through the ingress port's queue; a posted
//   one is dropped. D_DROP (a completion nobody claims) is dropped.
//   Counters (16 bits, wrapping): cnt_ur_cpl (UR completions made),
//   cnt_p_drop (posted requests dropped as UR), cnt_cpl_drop (completions
//   dropped), cnt_bad_cls (TLPs with cls 3, which is no class: taken and
//   dropped).
// - Every TLP taken that never leaves (answered, UR, dropped) shows its hdr
//   on done_hdr with done_valid in the cycle it is taken, so the caller can
//   free what it keeps behind the handle.
// - A port whose port_present is low has no function: config requests for
//   it are UR (a model has 8 ports; the topology may use fewer). Its
//   windows and bus numbers stay at reset, so it claims nothing.
// - A Type 1 request leaving on a port's secondary bus leaves as Type 0.
// - A broadcast message goes into every downstream queue whose link is up
//   at once, only when all of them have room for a posted TLP.
// - PAYLOAD = 1: a TLP with in_pl set brings its payload as DATA_W-wide
//   beats (in_beat_*) into a slot of a shared buffer (SLOTS slots of MPS
//   bytes); the header is taken with its last beat at the earliest, and
//   the slot's index travels with the header through the ordering queue.
//   An egress whose header has out_pl streams the slot's beats (out_beat_*)
//   after the header and offers no further header until the last beat left;
//   the slot frees when every egress it went to has sent it (a broadcast
//   shares one slot). No free slot: in_beat_ready stays low (the credit).
//   Slots are granted round-robin; a payload beyond MPS drops its TLP. An
//   ingress fills a slot per lane (in_beat_np: posted, or the others), so a
//   write's payload never waits behind a completion's.
//   See rtl/fabric/README.md.
// Not yet: error bits (Status, Secondary Status) on UR, credit counting
// (blocked comes in).
module fabric_switch
  import fabric_pkg::*;
#(
    parameter int NPORTS = 4,
    parameter int UP_IS_BRIDGE = 1,  // 0: a root complex (see above); int: -G gives 32 bits
    parameter int DEPTH  = 4,   // ordering queue entries per class
    parameter int HDRW   = 32,
    parameter int TAGW   = 8,
    parameter int PAYLOAD = 0,     // 1: the payload data path below
    parameter int DATA_W = 128,    // payload beat width: 64, 128, 256, 512
    parameter int MPS    = 256,    // bytes per payload slot (Max_Payload_Size)
    parameter int SLOTS  = 4,      // payload slots shared by all ports
    parameter int EG_SLOTS = 0,    // slots one egress may hold (0: no cap)
    localparam int NW  = DATA_W / 32,
    localparam int SB  = MPS * 8 / DATA_W,  // beats per slot
    localparam int BW  = $clog2(SB + 1),
    localparam int SW  = (SLOTS > 1) ? $clog2(SLOTS) : 1,
    localparam int NP1 = NPORTS + 1,
    localparam int PW  = (NPORTS > 1) ? $clog2(NPORTS) : 1,
    localparam int IW  = $clog2(NP1)
) (
    input  logic                      clk,
    input  logic                      rst_n,
    input  logic [NP1-1:0]            link_up,   // something attached to the port
    input  logic [NPORTS-1:0]         port_present,  // the port function exists
    // ingress
    input  logic [NP1-1:0]            in_valid,
    output logic [NP1-1:0]            in_ready,
    input  logic [NP1-1:0][2:0]       in_kind,
    input  logic [NP1-1:0][1:0]       in_cls,
    input  logic [NP1-1:0]            in_wr,
    input  logic [NP1-1:0][63:0]      in_addr,
    input  logic [NP1-1:0][15:0]      in_id,
    input  logic [NP1-1:0][15:0]      in_req_id,
    input  logic [NP1-1:0][TAGW-1:0]  in_tag,
    input  logic [NP1-1:0][3:0]       in_be,
    input  logic [NP1-1:0][31:0]      in_data,
    input  logic [NP1-1:0][2:0]       in_status,
    input  logic [NP1-1:0][HDRW-1:0]  in_hdr,
    input  logic [NP1-1:0]            in_pl,     // payload beats come on in_beat_*
    input  logic [NP1-1:0]            in_beat_valid,
    output logic [NP1-1:0]            in_beat_ready,
    input  logic [NP1-1:0][DATA_W-1:0] in_beat_data,
    input  logic [NP1-1:0][NW-1:0]    in_beat_keep,
    input  logic [NP1-1:0]            in_beat_eop,
    input  logic [NP1-1:0]            in_beat_np,  // beats of an NP or CPL TLP (its own lane)
    // egress
    output logic [NP1-1:0]            out_valid,
    input  logic [NP1-1:0]            out_ready,
    input  logic [NP1-1:0][2:0]       out_blocked,
    output logic [NP1-1:0][2:0]       out_kind,
    output logic [NP1-1:0][1:0]       out_cls,
    output logic [NP1-1:0]            out_wr,
    output logic [NP1-1:0][63:0]      out_addr,
    output logic [NP1-1:0][15:0]      out_id,
    output logic [NP1-1:0][15:0]      out_req_id,
    output logic [NP1-1:0][TAGW-1:0]  out_tag,
    output logic [NP1-1:0][3:0]       out_be,
    output logic [NP1-1:0][31:0]      out_data,
    output logic [NP1-1:0][2:0]       out_status,
    output logic [NP1-1:0][HDRW-1:0]  out_hdr,
    output logic [NP1-1:0]            out_pl,    // payload beats follow on out_beat_*
    output logic [NP1-1:0]            out_beat_valid,
    input  logic [NP1-1:0]            out_beat_ready,
    output logic [NP1-1:0][DATA_W-1:0] out_beat_data,
    output logic [NP1-1:0][NW-1:0]    out_beat_keep,
    output logic [NP1-1:0]            out_beat_sop,
    output logic [NP1-1:0]            out_beat_eop,
    output logic [15:0]               cnt_pl_over,  // TLPs dropped: payload beyond MPS
    output logic                      done_valid,  // a TLP taken that never leaves
    output logic [HDRW-1:0]           done_hdr,
    output logic [15:0]               cnt_ur_cpl,
    output logic [15:0]               cnt_p_drop,
    output logic [15:0]               cnt_cpl_drop,
    output logic [15:0]               cnt_bad_cls
);
  localparam logic [1:0] C_P = 2'd0, C_NP = 2'd1, C_CPL = 2'd2, C_NONE = 2'd3;
  localparam logic [2:0] ST_SC = 3'd0, ST_UR = 3'd1;
  // what the switch does with one ingress TLP
  localparam logic [1:0] A_FWD = 2'd0, A_SELF = 2'd1, A_UR = 2'd2, A_DROP = 2'd3;
  // queue blob: kind, wr, addr, id, req_id, be, data, status, hdr, pl, slot
  localparam int QW = 3 + 1 + 64 + 16 + 16 + 4 + 32 + 3 + HDRW + 1 + SW;
  localparam int RW = $clog2(NP1 + 1);  // a slot's reference count

  initial begin
    if (NPORTS < 1 || NPORTS > 8) $fatal(1, "fabric_switch: NPORTS must be 1..8");
    if (DATA_W != 64 && DATA_W != 128 && DATA_W != 256 && DATA_W != 512)
      $fatal(1, "fabric_switch: DATA_W must be 64, 128, 256 or 512");
    if (SB < 1 || MPS * 8 % DATA_W != 0) $fatal(1, "fabric_switch: MPS must be whole beats");
    if (SLOTS < 1) $fatal(1, "fabric_switch: SLOTS must be >= 1");
  end

  // --- headers --------------------------------------------------------------
  logic [NP1-1:0][31:0] h_rdata, h_io_b, h_io_l, h_mem_b, h_mem_l;
  logic [NP1-1:0][63:0] h_pref_b, h_pref_l;
  logic [NP1-1:0][7:0]  h_sec, h_sub;
  logic [NP1-1:0]       h_io_en, h_mem_en, h_bm;
  logic [NPORTS-1:0][7:0] dn_devfn;
  logic [7:0]           up_pri;      // the upstream port's own bus
  logic [IW-1:0]        cfg_hdr;     // header the winner's config access is for
  logic                 cfg_wr;
  logic [9:0]           cfg_reg;
  logic [3:0]           cfg_be;
  logic [31:0]          cfg_wdata;

  for (genvar k = 0; k < NPORTS; k++) begin : g_hdr
    // QEMU's x3130 downstream port, or its pcie-root-port
    localparam logic [15:0] VEN = (UP_IS_BRIDGE != 0) ? 16'h104c : 16'h1b36;
    localparam logic [15:0] DEV = (UP_IS_BRIDGE != 0) ? 16'h8233 : 16'h000c;
    /* verilator lint_off PINCONNECTEMPTY */
    type1_header #(.VENDOR_ID(VEN), .DEVICE_ID(DEV)) u_hdr (
        .clk, .rst_n, .cfg_reg, .cfg_wr(cfg_wr && cfg_hdr == IW'(k)), .cfg_be, .cfg_wdata,
        .cfg_rdata(h_rdata[k]), .sts_set(16'h0), .sec_sts_set(16'h0),
        .pri_bus(), .sec_bus(h_sec[k]), .sub_bus(h_sub[k]),
        .io_base(h_io_b[k]), .io_limit(h_io_l[k]), .mem_base(h_mem_b[k]),
        .mem_limit(h_mem_l[k]), .pref_base(h_pref_b[k]), .pref_limit(h_pref_l[k]),
        .io_en(h_io_en[k]), .mem_en(h_mem_en[k]), .bus_master(h_bm[k]), .parity_en(),
        .serr_en(), .intx_disable(), .bridge_ctl());
    /* verilator lint_on PINCONNECTEMPTY */
    assign dn_devfn[k] = {5'(k + 1), 3'b000};
  end

  if (UP_IS_BRIDGE != 0) begin : g_up
    /* verilator lint_off PINCONNECTEMPTY */
    type1_header #(.VENDOR_ID(16'h104c), .DEVICE_ID(16'h8232)) u_hdr (
        .clk, .rst_n, .cfg_reg, .cfg_wr(cfg_wr && cfg_hdr == IW'(NPORTS)), .cfg_be, .cfg_wdata,
        .cfg_rdata(h_rdata[NPORTS]), .sts_set(16'h0), .sec_sts_set(16'h0),
        .pri_bus(up_pri), .sec_bus(h_sec[NPORTS]), .sub_bus(h_sub[NPORTS]),
        .io_base(h_io_b[NPORTS]), .io_limit(h_io_l[NPORTS]), .mem_base(h_mem_b[NPORTS]),
        .mem_limit(h_mem_l[NPORTS]), .pref_base(h_pref_b[NPORTS]),
        .pref_limit(h_pref_l[NPORTS]), .io_en(h_io_en[NPORTS]), .mem_en(h_mem_en[NPORTS]),
        .bus_master(h_bm[NPORTS]), .parity_en(), .serr_en(), .intx_disable(), .bridge_ctl());
    /* verilator lint_on PINCONNECTEMPTY */
  end else begin : g_host
    // the host bridge: root bus 0, every bus below it, all spaces open
    assign up_pri = 8'h0;
    assign h_rdata[NPORTS] = 32'h0;
    assign h_sec[NPORTS] = 8'h0;
    assign h_sub[NPORTS] = 8'hff;
    assign {h_io_b[NPORTS], h_io_l[NPORTS], h_mem_b[NPORTS], h_mem_l[NPORTS]} = '0;
    assign {h_pref_b[NPORTS], h_pref_l[NPORTS]} = '0;
    assign {h_io_en[NPORTS], h_mem_en[NPORTS], h_bm[NPORTS]} = 3'b111;
  end

  // --- one decoder per ingress ----------------------------------------------
  logic [NP1-1:0][2:0]        d_dest;
  logic [NP1-1:0][PW-1:0]     d_port;
  logic [NP1-1:0]             d_type0;
  logic [NP1-1:0][NPORTS-1:0] d_bcast;

  for (genvar k = 0; k < NP1; k++) begin : g_dec
    route_decode #(.NPORTS(NPORTS), .UP_IS_BRIDGE(UP_IS_BRIDGE != 0)) u_dec (
        .kind(in_kind[k]), .from_up(k == NPORTS), .from_port(PW'(k % NPORTS)),
        .addr(in_addr[k]), .id(in_id[k]),
        .up_sec(h_sec[NPORTS]), .up_sub(h_sub[NPORTS]), .up_io_en(h_io_en[NPORTS]),
        .up_mem_en(h_mem_en[NPORTS]), .up_bm(h_bm[NPORTS]), .up_io_base(h_io_b[NPORTS]),
        .up_io_limit(h_io_l[NPORTS]), .up_mem_base(h_mem_b[NPORTS]),
        .up_mem_limit(h_mem_l[NPORTS]), .up_pref_base(h_pref_b[NPORTS]),
        .up_pref_limit(h_pref_l[NPORTS]),
        .dn_devfn, .dn_sec(h_sec[NPORTS-1:0]), .dn_sub(h_sub[NPORTS-1:0]),
        .dn_io_en(h_io_en[NPORTS-1:0]), .dn_mem_en(h_mem_en[NPORTS-1:0]),
        .dn_bm(h_bm[NPORTS-1:0]), .dn_io_base(h_io_b[NPORTS-1:0]),
        .dn_io_limit(h_io_l[NPORTS-1:0]), .dn_mem_base(h_mem_b[NPORTS-1:0]),
        .dn_mem_limit(h_mem_l[NPORTS-1:0]), .dn_pref_base(h_pref_b[NPORTS-1:0]),
        .dn_pref_limit(h_pref_l[NPORTS-1:0]),
        .dest(d_dest[k]), .dest_port(d_port[k]), .to_type0(d_type0[k]), .bcast(d_bcast[k]));
  end

  // --- per ingress: action, target queues, their class, whether it can go --
  logic [NP1-1:0][1:0]     act;
  logic [NP1-1:0][NP1-1:0] tgt;      // egress queues the TLP (or its answer) enters
  logic [NP1-1:0][1:0]     tcls;     // class it enters them in
  logic [NP1-1:0]          can_go;
  logic [NP1-1:0][2:0]     q_full;   // per queue, per class

  always_comb begin
    for (int k = 0; k < NP1; k++) begin
      act[k] = A_FWD;
      tgt[k] = '0;
      tcls[k] = in_cls[k];
      case (d_dest[k])
        D_DOWN: tgt[k] = NP1'(1) << d_port[k];
        D_UP: tgt[k] = NP1'(1) << NPORTS;
        D_BCAST: tgt[k] = {1'b0, d_bcast[k]} & link_up;
        D_SELF_DN: act[k] = port_present[d_port[k]] ? A_SELF : A_UR;
        D_SELF_UP: act[k] = A_SELF;
        default: ;  // D_UR, D_DROP: below
      endcase
      // out of a port with nothing behind it: as if nobody claimed it
      if (d_dest[k] == D_UR || d_dest[k] == D_DROP
          || ((d_dest[k] == D_DOWN || d_dest[k] == D_UP || d_dest[k] == D_BCAST)
              && (tgt[k] & link_up) == '0)) begin
        act[k] = (in_cls[k] == C_NP) ? A_UR : A_DROP;
      end
      if (in_cls[k] == C_NONE) act[k] = A_DROP;  // not a class: never queued
      // More payload than a slot holds: a malformed TLP, dropped whole (a
      // receiver drops a TLP whose payload exceeds Max_Payload_Size).
      if (pl[k] && over_now[k]) act[k] = A_DROP;
      if (act[k] == A_SELF || act[k] == A_UR) begin
        tgt[k] = NP1'(1) << k;
        tcls[k] = C_CPL;
      end
      if (act[k] == A_DROP) tgt[k] = '0;
      can_go[k] = in_valid[k] && (!pl[k] || pl_in[k]);  // payload in its slot first
      for (int q = 0; q < NP1; q++) begin
        if (tgt[k][q] && q_full[q][tcls[k]]) can_go[k] = 1'b0;  // tgt is 0 for cls 3
        // an egress at its share of the buffer takes no more payload
        if (EG_SLOTS > 0 && pl[k] && act[k] == A_FWD && tgt[k][q] && e_full[q])
          can_go[k] = 1'b0;
      end
    end
  end

  // --- round-robin pick ------------------------------------------------------
  logic [IW-1:0] rr;   // ingress with the first turn
  logic [IW-1:0] win;
  logic          go;

  always_comb begin
    win = '0;
    go = 1'b0;
    for (int i = NP1 - 1; i >= 0; i--) begin
      logic [IW:0] k;
      k = (IW + 1)'(rr) + (IW + 1)'(i);
      if (k >= (IW + 1)'(NP1)) k = k - (IW + 1)'(NP1);
      if (can_go[k[IW-1:0]]) begin
        win = k[IW-1:0];
        go = 1'b1;
      end
    end
  end

  always_comb begin
    for (int k = 0; k < NP1; k++) in_ready[k] = go && win == IW'(k);
  end

  // --- what enters the queues -----------------------------------------------
  logic [2:0]      e_kind;
  logic            e_wr;
  logic [2:0]      e_status;
  logic [31:0]     e_data;
  logic [QW-1:0]   e_blob;
  logic [15:0]     e_cpl_id;  // completer of a completion the switch makes

  assign cfg_hdr = (d_dest[win] == D_SELF_UP) ? IW'(NPORTS) : IW'(d_port[win]);
  assign cfg_reg = in_addr[win][11:2];
  assign cfg_be = in_be[win];
  assign cfg_wdata = in_data[win];
  assign cfg_wr = go && act[win] == A_SELF && in_wr[win];

  always_comb begin
    e_kind = in_kind[win];
    e_wr = in_wr[win];
    e_status = in_status[win];
    e_data = in_data[win];
    if (act[win] == A_SELF || act[win] == A_UR) begin
      e_kind = K_CPL;
      e_wr = act[win] == A_SELF && !in_wr[win];  // CplD for a read
      e_status = (act[win] == A_SELF) ? ST_SC : ST_UR;
      e_data = e_wr ? h_rdata[cfg_hdr] : 32'h0;
    end else if (d_type0[win]) begin
      e_kind = K_CFG0;
    end else if (in_kind[win] == K_CFG0 && d_dest[win] == D_DOWN) begin
      e_kind = K_CFG1;  // root complex: a Type 0 from the host for a bus below
    end
    // the function addressed answers a config access; a UR, the ingress
    e_cpl_id = in_id[win];
    if (act[win] == A_UR) begin
      e_cpl_id = (win == IW'(NPORTS)) ? {up_pri, 8'h00}
                                     : {h_sec[NPORTS], dn_devfn[PW'(win)]};
    end
    // a completion made here: routed to the requester, completer in req_id,
    // no handle (nothing stored behind it)
    if (act[win] != A_FWD) begin
      e_blob = {e_kind, e_wr, in_addr[win], in_req_id[win], e_cpl_id, in_be[win], e_data,
                e_status, HDRW'(0), 1'b0, SW'(0)};
    end else begin
      e_blob = {e_kind, e_wr, in_addr[win], in_id[win], in_req_id[win], in_be[win], e_data,
                e_status, in_hdr[win], pl[win], hd_slot(int'(win))};
    end
  end

  assign done_valid = go && act[win] != A_FWD;
  assign done_hdr = in_hdr[win];

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      rr <= '0;
      cnt_ur_cpl <= '0;
      cnt_p_drop <= '0;
      cnt_cpl_drop <= '0;
      cnt_bad_cls <= '0;
      cnt_pl_over <= '0;
    end else if (go) begin
      rr <= (win == IW'(NPORTS)) ? '0 : win + 1'b1;
      if (act[win] == A_UR) cnt_ur_cpl <= cnt_ur_cpl + 1'b1;
      if (act[win] == A_DROP) begin
        if (in_cls[win] == C_CPL) cnt_cpl_drop <= cnt_cpl_drop + 1'b1;
        else if (in_cls[win] == C_NONE) cnt_bad_cls <= cnt_bad_cls + 1'b1;
        // an NP is dropped only when oversized: in cnt_pl_over alone
        else if (in_cls[win] == C_P) cnt_p_drop <= cnt_p_drop + 1'b1;
        if (pl[win] && over_now[win]) cnt_pl_over <= cnt_pl_over + 1'b1;
      end
    end
  end

  // --- egress queues ---------------------------------------------------------
  // A header whose payload is still streaming out holds its egress: the
  // next header (a read behind a write, say) waits for the last beat.
  logic [NP1-1:0] q_valid, q_ready;
  logic [NP1-1:0][SW-1:0] q_slot;
  for (genvar q = 0; q < NP1; q++) begin : g_q
    logic [QW-1:0] blob;
    /* verilator lint_off PINCONNECTEMPTY */
    ordering_queue #(.DEPTH(DEPTH), .HDRW(QW), .TAGW(TAGW)) u_q (
        .clk, .rst_n, .in_valid(go && tgt[win][q]), .in_ready(),
        .in_cls(tcls[win]), .in_hdr(e_blob), .in_tag(in_tag[win]),
        .out_valid(q_valid[q]), .out_ready(q_ready[q]), .out_cls(out_cls[q]),
        .out_hdr(blob), .out_tag(out_tag[q]), .blocked(out_blocked[q]),
        .class_full(q_full[q]), .class_empty());
    /* verilator lint_on PINCONNECTEMPTY */
    assign {out_kind[q], out_wr[q], out_addr[q], out_id[q], out_req_id[q], out_be[q],
            out_data[q], out_status[q], out_hdr[q], out_pl[q], q_slot[q]} = blob;
    assign out_valid[q] = q_valid[q] && !r_busy[q];
    assign q_ready[q] = out_ready[q] && !r_busy[q];
  end

  // --- payload buffer ----------------------------------------------------------
  // SLOTS slots of SB beats. A slot is busy from the cycle an ingress claims
  // it until the last egress it went to sent its last beat (s_refs egresses
  // still to send it), or the header it belongs to never left (done).
  logic [DATA_W-1:0] b_data [SLOTS * SB];
  logic [NW-1:0]     b_keep [SLOTS * SB];
  logic [SLOTS-1:0]            s_busy;
  logic [SLOTS-1:0][BW-1:0]    s_beats;   // beats the slot holds
  logic [SLOTS-1:0][RW-1:0]    s_refs;

  // per ingress: the slot it writes (w_own), beats so far, last beat in
  logic [NP1-1:0]          pl;
  // Two lanes per ingress, each filling a slot of its own: 0 for a posted
  // TLP's payload, 1 for a completion's or a request's, so a write's
  // payload never waits behind one whose header waits for its egress (PCIe
  // gives each class data credits of its own; a posted TLP must be able to
  // pass).
  logic [NP1-1:0][1:0]         w_own, w_done;
  logic [NP1-1:0][1:0]         w_over;  // a beat came past the slot's end
  logic [NP1-1:0][1:0][SW-1:0] w_slot;
  logic [NP1-1:0][1:0][BW-1:0] w_beat;
  logic [NP1-1:0]              w_grant;
  logic [NP1-1:0][SW-1:0]      w_new;
  logic [NP1-1:0]              bl, hl;  // lane of the offered beat, of the header
  always_comb begin
    for (int k = 0; k < NP1; k++) begin
      bl[k] = in_beat_np[k];
      hl[k] = in_cls[k] != C_P;
    end
  end
  logic [NP1-1:0]          w_fire;
  // per egress: streaming a slot out
  logic [NP1-1:0]          r_busy;
  logic [NP1-1:0][SW-1:0]  r_slot;
  logic [NP1-1:0][BW-1:0]  r_beat;
  logic [NP1-1:0]          r_last, r_fire;
  // per egress: slots its queued or streaming TLPs hold (EG_SLOTS > 0), so
  // one egress that does not drain cannot take the whole buffer
  localparam int HW = $clog2(SLOTS + 1);
  logic [NP1-1:0][HW-1:0]  e_held;
  logic [NP1-1:0]          e_full;
  always_comb begin
    for (int q = 0; q < NP1; q++) e_full[q] = int'(e_held[q]) >= EG_SLOTS;
  end

  assign pl = (PAYLOAD != 0) ? in_pl : '0;

  // Free slots go to ingresses asking for one, one each, round-robin: the
  // ingress after the last one granted asks first, so a busy port cannot
  // keep a quieter one from the buffer.
  logic [IW-1:0] g_rr;   // ingress with the first turn for a slot
  logic [IW-1:0] g_next; // after the last ingress granted this cycle
  logic          g_any;
  always_comb begin
    logic [SLOTS-1:0] avail;
    avail = ~s_busy;
    w_grant = '0;
    w_new = '0;
    g_any = 1'b0;
    g_next = g_rr;
    for (int i = 0; i < NP1; i++) begin
      logic [IW:0] k;
      k = (IW + 1)'(g_rr) + (IW + 1)'(i);
      if (k >= (IW + 1)'(NP1)) k = k - (IW + 1)'(NP1);
      if (PAYLOAD != 0 && in_beat_valid[k[IW-1:0]]
          && !w_own[k[IW-1:0]][bl[k[IW-1:0]]]) begin
        for (int s = SLOTS - 1; s >= 0; s--) begin
          if (avail[s]) begin
            w_grant[k[IW-1:0]] = 1'b1;
            w_new[k[IW-1:0]] = SW'(s);
          end
        end
        if (w_grant[k[IW-1:0]]) begin
          avail[w_new[k[IW-1:0]]] = 1'b0;
          g_any = 1'b1;
          g_next = (k[IW-1:0] == IW'(NPORTS)) ? '0 : k[IW-1:0] + 1'b1;
        end
      end
    end
  end

  // A header can go in the cycle its last beat comes (the beat is written
  // on that edge; an egress reads the slot a cycle later at the earliest).
  logic [NP1-1:0] pl_in;     // the payload's last beat is in, or comes now
  logic [NP1-1:0] over_now;  // a beat past the slot's end came, or comes now
  always_comb begin
    for (int k = 0; k < NP1; k++) begin
      in_beat_ready[k] = PAYLOAD != 0 && !w_done[k][bl[k]] && (w_own[k][bl[k]] || w_grant[k]);
      w_fire[k] = in_beat_valid[k] && in_beat_ready[k];
      pl_in[k] = w_done[k][hl[k]] || (w_fire[k] && in_beat_eop[k] && bl[k] == hl[k]);
      over_now[k] = w_over[k][hl[k]]
                    || (w_fire[k] && bl[k] == hl[k] && int'(w_beat[k][hl[k]]) >= SB);
    end
  end

  // the slot an ingress's beat goes to: its lane's, or granted this cycle
  function automatic logic [SW-1:0] wr_slot(int k);
    return w_own[k][bl[k]] ? w_slot[k][bl[k]] : w_new[k];
  endfunction
  // the slot of the payload of an ingress's header (granted this cycle
  // only when its single beat comes with it)
  function automatic logic [SW-1:0] hd_slot(int k);
    return w_own[k][hl[k]] ? w_slot[k][hl[k]] : w_new[k];
  endfunction

  always_comb begin
    for (int q = 0; q < NP1; q++) begin
      out_beat_valid[q] = r_busy[q];
      out_beat_data[q] = b_data[int'(r_slot[q]) * SB + int'(r_beat[q])];
      out_beat_keep[q] = b_keep[int'(r_slot[q]) * SB + int'(r_beat[q])];
      out_beat_sop[q] = r_beat[q] == '0;
      r_last[q] = r_beat[q] + 1'b1 >= s_beats[r_slot[q]];
      out_beat_eop[q] = r_last[q];
      r_fire[q] = r_busy[q] && out_beat_ready[q];
    end
  end

  // the taken TLP's slot: to the egresses it entered, or free now
  logic          t_pl;
  logic [RW-1:0] t_refs;
  always_comb begin
    t_pl = go && pl[win];
    t_refs = '0;
    for (int q = 0; q < NP1; q++) t_refs = t_refs + RW'(tgt[win][q]);
    if (act[win] != A_FWD) t_refs = '0;
  end

  always_ff @(posedge clk) begin
    for (int k = 0; k < NP1; k++) begin
      if (w_fire[k] && int'(w_beat[k][bl[k]]) < SB) begin
        b_data[int'(wr_slot(k)) * SB + int'(w_beat[k][bl[k]])] <= in_beat_data[k];
        b_keep[int'(wr_slot(k)) * SB + int'(w_beat[k][bl[k]])] <= in_beat_keep[k];
      end
    end
  end

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      s_busy <= '0;
      s_refs <= '0;
      w_own <= '0;
      w_done <= '0;
      w_beat <= '0;
      w_over <= '0;
      r_busy <= '0;
      g_rr <= '0;
      e_held <= '0;
    end else begin
      if (g_any) g_rr <= g_next;
      for (int k = 0; k < NP1; k++) begin
        if (w_grant[k]) begin
          w_own[k][bl[k]] <= 1'b1;
          w_slot[k][bl[k]] <= w_new[k];
          s_busy[w_new[k]] <= 1'b1;
        end
        if (w_fire[k]) begin
          if (int'(w_beat[k][bl[k]]) < SB) w_beat[k][bl[k]] <= w_beat[k][bl[k]] + 1'b1;
          else w_over[k][bl[k]] <= 1'b1;
          if (in_beat_eop[k]) begin
            w_done[k][bl[k]] <= 1'b1;
            s_beats[wr_slot(k)] <= (int'(w_beat[k][bl[k]]) < SB) ? w_beat[k][bl[k]] + 1'b1
                                                                 : w_beat[k][bl[k]];
          end
        end
      end
      for (int q = 0; q < NP1; q++) begin
        if (r_fire[q]) begin
          r_beat[q] <= r_beat[q] + 1'b1;
          if (r_last[q]) r_busy[q] <= 1'b0;
        end
        if (q_valid[q] && q_ready[q] && out_pl[q]) begin
          r_busy[q] <= 1'b1;
          r_slot[q] <= q_slot[q];
          r_beat[q] <= '0;
        end
        e_held[q] <= e_held[q] + HW'(t_pl && act[win] == A_FWD && tgt[win][q])
                     - HW'(r_fire[q] && r_last[q]);
      end
      // a slot's last reader done, or its TLP never forwarded: free
      for (int s = 0; s < SLOTS; s++) begin
        logic [RW-1:0] n;
        n = s_refs[s];
        for (int q = 0; q < NP1; q++) begin
          if (r_fire[q] && r_last[q] && r_slot[q] == SW'(s)) n = n - 1'b1;
        end
        if (t_pl && hd_slot(int'(win)) == SW'(s)) begin
          n = t_refs;
          if (t_refs == '0) s_busy[s] <= 1'b0;
        end else if (n != s_refs[s] && n == '0) begin
          s_busy[s] <= 1'b0;
        end
        s_refs[s] <= n;
      end
      // the next payload starts at beat 0 (a grant writes its first beat
      // in the same cycle, so the count must be 0 before it)
      if (t_pl) begin
        w_own[win][hl[win]] <= 1'b0;
        w_done[win][hl[win]] <= 1'b0;
        w_beat[win][hl[win]] <= '0;
        w_over[win][hl[win]] <= 1'b0;
      end
    end
  end
endmodule
