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
// Not yet: error bits (Status, Secondary Status) on UR, payloads, credit
// counting (blocked comes in).
module fabric_switch
  import fabric_pkg::*;
#(
    parameter int NPORTS = 4,
    parameter bit UP_IS_BRIDGE = 1'b1,  // 0: a root complex (see above)
    parameter int DEPTH  = 4,   // ordering queue entries per class
    parameter int HDRW   = 32,
    parameter int TAGW   = 8,
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
    output logic                      done_valid,  // a TLP taken that never leaves
    output logic [HDRW-1:0]           done_hdr,
    output logic [15:0]               cnt_ur_cpl,
    output logic [15:0]               cnt_p_drop,
    output logic [15:0]               cnt_cpl_drop,
    output logic [15:0]               cnt_bad_cls
);
  localparam logic [1:0] C_NP = 2'd1, C_CPL = 2'd2, C_NONE = 2'd3;
  localparam logic [2:0] ST_SC = 3'd0, ST_UR = 3'd1;
  // what the switch does with one ingress TLP
  localparam logic [1:0] A_FWD = 2'd0, A_SELF = 2'd1, A_UR = 2'd2, A_DROP = 2'd3;
  // queue blob: kind, wr, addr, id, req_id, be, data, status, hdr
  localparam int QW = 3 + 1 + 64 + 16 + 16 + 4 + 32 + 3 + HDRW;

  initial begin
    if (NPORTS < 1 || NPORTS > 8) $fatal(1, "fabric_switch: NPORTS must be 1..8");
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
    localparam logic [15:0] VEN = UP_IS_BRIDGE ? 16'h104c : 16'h1b36;
    localparam logic [15:0] DEV = UP_IS_BRIDGE ? 16'h8233 : 16'h000c;
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

  if (UP_IS_BRIDGE) begin : g_up
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
    route_decode #(.NPORTS(NPORTS), .UP_IS_BRIDGE(UP_IS_BRIDGE)) u_dec (
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
      if (act[k] == A_SELF || act[k] == A_UR) begin
        tgt[k] = NP1'(1) << k;
        tcls[k] = C_CPL;
      end
      if (act[k] == A_DROP) tgt[k] = '0;
      can_go[k] = in_valid[k];
      for (int q = 0; q < NP1; q++) begin
        if (tgt[k][q] && q_full[q][tcls[k]]) can_go[k] = 1'b0;  // tgt is 0 for cls 3
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
                e_status, HDRW'(0)};
    end else begin
      e_blob = {e_kind, e_wr, in_addr[win], in_id[win], in_req_id[win], in_be[win], e_data,
                e_status, in_hdr[win]};
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
    end else if (go) begin
      rr <= (win == IW'(NPORTS)) ? '0 : win + 1'b1;
      if (act[win] == A_UR) cnt_ur_cpl <= cnt_ur_cpl + 1'b1;
      if (act[win] == A_DROP) begin
        if (in_cls[win] == C_CPL) cnt_cpl_drop <= cnt_cpl_drop + 1'b1;
        else if (in_cls[win] == C_NONE) cnt_bad_cls <= cnt_bad_cls + 1'b1;
        else cnt_p_drop <= cnt_p_drop + 1'b1;
      end
    end
  end

  // --- egress queues ---------------------------------------------------------
  for (genvar q = 0; q < NP1; q++) begin : g_q
    logic [QW-1:0] blob;
    /* verilator lint_off PINCONNECTEMPTY */
    ordering_queue #(.DEPTH(DEPTH), .HDRW(QW), .TAGW(TAGW)) u_q (
        .clk, .rst_n, .in_valid(go && tgt[win][q]), .in_ready(),
        .in_cls(tcls[win]), .in_hdr(e_blob), .in_tag(in_tag[win]),
        .out_valid(out_valid[q]), .out_ready(out_ready[q]), .out_cls(out_cls[q]),
        .out_hdr(blob), .out_tag(out_tag[q]), .blocked(out_blocked[q]),
        .class_full(q_full[q]), .class_empty());
    /* verilator lint_on PINCONNECTEMPTY */
    assign {out_kind[q], out_wr[q], out_addr[q], out_id[q], out_req_id[q], out_be[q],
            out_data[q], out_status[q], out_hdr[q]} = blob;
  end
endmodule
