// Codes shared by the fabric's building blocks and their users: what kind of
// TLP a routing decision is about, and where it goes.
package fabric_pkg;
  /* verilator lint_off UNUSEDPARAM */
  // TLP kinds route_decode understands (its `kind` input).
  localparam logic [2:0] K_MEM = 3'd0;        // MemRd/MemWr (and address-routed Msg)
  localparam logic [2:0] K_IO = 3'd1;         // IORd/IOWr
  localparam logic [2:0] K_CFG0 = 3'd2;       // CfgRd0/CfgWr0
  localparam logic [2:0] K_CFG1 = 3'd3;       // CfgRd1/CfgWr1
  localparam logic [2:0] K_CPL = 3'd4;        // Cpl/CplD, routed by requester ID
  localparam logic [2:0] K_MSG_ID = 3'd5;     // Msg routed by ID (r[2:0] = 010b)
  localparam logic [2:0] K_MSG_ROOT = 3'd6;   // Msg routed to the root (000b, 101b)
  localparam logic [2:0] K_MSG_BCAST = 3'd7;  // Msg broadcast from the root (011b)

  // Destinations (route_decode's `dest` output).
  localparam logic [2:0] D_DOWN = 3'd0;     // out of downstream port dest_port
  localparam logic [2:0] D_UP = 3'd1;       // out of the upstream side
  localparam logic [2:0] D_SELF_DN = 3'd2;  // to downstream port dest_port's own function
  localparam logic [2:0] D_SELF_UP = 3'd3;  // to the upstream port's own function (switch)
  localparam logic [2:0] D_UR = 3'd4;       // request nobody claims: Unsupported Request
  localparam logic [2:0] D_DROP = 3'd5;     // completion nobody claims: unexpected, dropped
  localparam logic [2:0] D_BCAST = 3'd6;    // to every downstream port set in bcast
  /* verilator lint_on UNUSEDPARAM */
endpackage
