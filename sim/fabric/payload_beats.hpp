// A TLP's payload on fabric_switch's beat ports (PAYLOAD=1): which TLPs
// bring beats, their payload as DWs (little-endian, as sim/tlp packs them),
// the beats cut from those DWs as the RTL takes them (DW i in lane i % NW of
// beat i / NW, keep contiguous from lane 0), and the DWs back from the
// beats an egress streams.
#pragma once

#include "fabric_fields.hpp"
#include "tlp.hpp"
#include "tlp_beats.hpp"

#include <cstdint>
#include <vector>

namespace rcsim::fabric {

// Whether t's payload crosses the RTL as beats: a TLP with data and a
// payload, except a config write, whose one dword travels as the header's
// data field (the switch writes its own port headers from it).
bool carries_beats(const tlp::Tlp &t);

// The payload as DWs; a last partial DW (a hand-built TLP) padded with 0.
std::vector<uint32_t> payload_dws(const tlp::Tlp &t);

// Puts the payload back into a TLP kept without it: a config write's from
// the data field, any other's from the DWs that left the RTL.
void restore_payload(tlp::Tlp *t, const Fields &f, const std::vector<uint32_t> &dws);

// Beat k of dws at `lanes` DWs a beat: false while its DWs are not all there
// (`complete`: no more DWs will come, so a short last beat may go).
bool cut_beat(const std::vector<uint32_t> &dws, bool complete, size_t k, unsigned lanes,
              tlp::Beat *out);

// Appends the lanes a beat keeps.
void append_beat(std::vector<uint32_t> *dws, const tlp::Beat &b, unsigned lanes);

} // namespace rcsim::fabric
