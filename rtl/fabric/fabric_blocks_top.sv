// The fabric's blocks together, for lint and the unit tests (one verilated
// model): five Type 1 headers (0..3 downstream ports, 4 the upstream port of
// a switch) and two route_decode with NPORTS = 4 over the same four ports,
// one as a root complex (rc_*, root bus rc_bus) and one as a switch (sw_*,
// behind header 4). Config accesses go to header cfg_sel; the sel_* outputs
// show that header's decoded fields. Port k is device k+1, function 0
// (device 0 is left to the host bridge's ID on the root bus).
// Header 0 is multi-function with interrupt pin INTA, the others are not.
module fabric_blocks_top
  import fabric_pkg::*;
(
    input  logic        clk,
    input  logic        rst_n,
    input  logic [2:0]  cfg_sel,
    input  logic [9:0]  cfg_reg,
    input  logic        cfg_wr,
    input  logic [3:0]  cfg_be,
    input  logic [31:0] cfg_wdata,
    output logic [31:0] cfg_rdata,
    input  logic [15:0] sts_set,
    input  logic [15:0] sec_sts_set,
    output logic [7:0]  sel_pri_bus,
    output logic [7:0]  sel_sec_bus,
    output logic [7:0]  sel_sub_bus,
    output logic [31:0] sel_io_base,
    output logic [31:0] sel_io_limit,
    output logic [31:0] sel_mem_base,
    output logic [31:0] sel_mem_limit,
    output logic [63:0] sel_pref_base,
    output logic [63:0] sel_pref_limit,
    output logic [5:0]  sel_cmd,     // io, mem, bm, parity, serr, intx disable
    output logic [7:0]  sel_bridge_ctl,
    // one TLP to route
    input  logic [2:0]  kind,
    input  logic        from_up,
    input  logic [1:0]  from_port,
    input  logic [63:0] addr,
    input  logic [15:0] id,
    input  logic [7:0]  rc_bus,
    output logic [2:0]  rc_dest,
    output logic [1:0]  rc_port,
    output logic        rc_type0,
    output logic [3:0]  rc_bcast,
    output logic [2:0]  sw_dest,
    output logic [1:0]  sw_port,
    output logic        sw_type0,
    output logic [3:0]  sw_bcast
);
  localparam int NH = 5;

  logic [NH-1:0][31:0] rdata;
  logic [NH-1:0][7:0]  pri, sec, sub, bctl;
  logic [3:0][7:0]     devfn;
  logic [NH-1:0][31:0] io_b, io_l, mem_b, mem_l;
  logic [NH-1:0][63:0] pref_b, pref_l;
  logic [NH-1:0]       io_en, mem_en, bm, par, serr, intx;

  for (genvar k = 0; k < NH; k++) begin : g_hdr
    localparam bit SEL_MF = (k == 0);
    localparam logic [7:0] SEL_PIN = (k == 0) ? 8'h01 : 8'h00;
    logic hit;
    assign hit = cfg_sel == 3'(k);
    type1_header #(.MULTI_FN(SEL_MF), .INT_PIN(SEL_PIN)) u_hdr (
        .clk, .rst_n, .cfg_reg, .cfg_wr(cfg_wr && hit), .cfg_be, .cfg_wdata,
        .cfg_rdata(rdata[k]),
        .sts_set(hit ? sts_set : 16'h0), .sec_sts_set(hit ? sec_sts_set : 16'h0),
        .pri_bus(pri[k]), .sec_bus(sec[k]), .sub_bus(sub[k]),
        .io_base(io_b[k]), .io_limit(io_l[k]), .mem_base(mem_b[k]), .mem_limit(mem_l[k]),
        .pref_base(pref_b[k]), .pref_limit(pref_l[k]),
        .io_en(io_en[k]), .mem_en(mem_en[k]), .bus_master(bm[k]), .parity_en(par[k]),
        .serr_en(serr[k]), .intx_disable(intx[k]), .bridge_ctl(bctl[k]));
  end

  assign devfn = {8'h20, 8'h18, 8'h10, 8'h08};

  // cfg_sel 5..7 select nothing: reads 0.
  always_comb begin
    cfg_rdata = 32'h0;
    sel_pri_bus = 8'h0;
    sel_sec_bus = 8'h0;
    sel_sub_bus = 8'h0;
    sel_io_base = 32'h0;
    sel_io_limit = 32'h0;
    sel_mem_base = 32'h0;
    sel_mem_limit = 32'h0;
    sel_pref_base = 64'h0;
    sel_pref_limit = 64'h0;
    sel_cmd = 6'h0;
    sel_bridge_ctl = 8'h0;
    for (int k = 0; k < NH; k++) begin
      if (cfg_sel == 3'(k)) begin
        cfg_rdata = rdata[k];
        sel_pri_bus = pri[k];
        sel_sec_bus = sec[k];
        sel_sub_bus = sub[k];
        sel_io_base = io_b[k];
        sel_io_limit = io_l[k];
        sel_mem_base = mem_b[k];
        sel_mem_limit = mem_l[k];
        sel_pref_base = pref_b[k];
        sel_pref_limit = pref_l[k];
        sel_cmd = {intx[k], serr[k], par[k], bm[k], mem_en[k], io_en[k]};
        sel_bridge_ctl = bctl[k];
      end
    end
  end

  route_decode #(.NPORTS(4), .UP_IS_BRIDGE(1'b0)) u_rc (
      .kind, .from_up, .from_port, .addr, .id,
      .up_sec(rc_bus), .up_sub(8'hff), .up_io_en(1'b1), .up_mem_en(1'b1), .up_bm(1'b1),
      .up_io_base(32'h0), .up_io_limit(32'h0), .up_mem_base(32'h0), .up_mem_limit(32'h0),
      .up_pref_base(64'h0), .up_pref_limit(64'h0),
      .dn_devfn(devfn[3:0]), .dn_sec(sec[3:0]), .dn_sub(sub[3:0]), .dn_io_en(io_en[3:0]),
      .dn_mem_en(mem_en[3:0]), .dn_bm(bm[3:0]), .dn_io_base(io_b[3:0]),
      .dn_io_limit(io_l[3:0]), .dn_mem_base(mem_b[3:0]), .dn_mem_limit(mem_l[3:0]),
      .dn_pref_base(pref_b[3:0]), .dn_pref_limit(pref_l[3:0]),
      .dest(rc_dest), .dest_port(rc_port), .to_type0(rc_type0), .bcast(rc_bcast));

  route_decode #(.NPORTS(4), .UP_IS_BRIDGE(1'b1)) u_sw (
      .kind, .from_up, .from_port, .addr, .id,
      .up_sec(sec[4]), .up_sub(sub[4]), .up_io_en(io_en[4]), .up_mem_en(mem_en[4]),
      .up_bm(bm[4]), .up_io_base(io_b[4]), .up_io_limit(io_l[4]), .up_mem_base(mem_b[4]),
      .up_mem_limit(mem_l[4]), .up_pref_base(pref_b[4]), .up_pref_limit(pref_l[4]),
      .dn_devfn(devfn[3:0]), .dn_sec(sec[3:0]), .dn_sub(sub[3:0]), .dn_io_en(io_en[3:0]),
      .dn_mem_en(mem_en[3:0]), .dn_bm(bm[3:0]), .dn_io_base(io_b[3:0]),
      .dn_io_limit(io_l[3:0]), .dn_mem_base(mem_b[3:0]), .dn_mem_limit(mem_l[3:0]),
      .dn_pref_base(pref_b[3:0]), .dn_pref_limit(pref_l[3:0]),
      .dest(sw_dest), .dest_port(sw_port), .to_type0(sw_type0), .bcast(sw_bcast));
endmodule
