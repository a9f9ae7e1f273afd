// The text the FST's label ports (ann_tx_tlp, ann_rx_tlp, ann_host_req,
// ann_host_rsp, ann_fabric_tlp) show: one line per TLP, host request or host
// response, in the grammar waveforms/README.md ("TLP labels") documents, e.g.
//   MemRd64 t03 @1000000000 8DW 00:00.0
//   CplD SC t03 lo 0x00 bc 32 8DW 01:00.0
//   MEM_RD #5 @e0000018 1DW be f        rsp #5 SC 4 B
// Type and tag come first (what a waveform shows of a label cut short); the
// ID at the end is the TLP's sender (requester, or a completion's
// completer); addresses after `@` are hex, lengths in DW, byte counts
// decimal. Terse so the longest TLP fits kLabelChars - 1 characters (every
// character is a byte of each FST value change); the last byte is free to
// tell two equal labels in a row apart (flip_last_if_same()).
#pragma once

#include "rtl_ports.hpp"
#include "tlp.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

namespace rcsim {

// A TLP's label from its header (the rest of the TLP is not needed).
Label tlp_label(const tlp::Tlp &t);
// A TLP leaving a port of the fabric (ann_fabric_tlp): the port, then the
// TLP's label, e.g. "rp2 MemWr32 t00 @e0100100 64DW 01:00.0" (cut at
// kLabelChars - 1 characters; a switch port's name is at most 6 of them).
Label fabric_hop_label(const std::string &port, const tlp::Tlp &t);
// A TLP whose first DWs do not decode: its DW0 in hex.
Label undecodable_tlp_label(uint32_t dw0);
// hreq_op's name as the JSONL trace and the labels write it (MEM_RD, ...).
const char *host_op_name(HostOp op);
// The host request the root port takes on this edge (hreq_valid && ready).
Label host_request_label(const RtlIn &in);
// A host response's label, written when its last beat is taken.
Label host_response_label(uint8_t id, HostStatus status, size_t data_bytes);

// The label as text (the characters before the first NUL or the padding).
std::string label_text(const Label &l);
// Makes `next` differ from `shown` when both say the same, through the last
// byte (NUL <-> space, invisible), so a second equal label is a value change.
void flip_last_if_same(const Label &shown, Label &next);

} // namespace rcsim
