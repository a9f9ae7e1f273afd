// A TLP as rtl/fabric's fabric_switch carries it: the decoded header fields,
// one data dword, whether payload beats go with it (payload_beats.hpp) and a
// handle (hdr) to the rest of the header kept in C++. The translation both
// ways: a tlp::Tlp into fields, and a completion the switch made (hdr 0)
// back into a tlp::Tlp.
#pragma once

#include "tlp.hpp"

#include <cstdint>

namespace rcsim::fabric {

// fabric_pkg's K_* (route_decode's `kind`).
enum Kind : uint8_t {
    kKindMem = 0,
    kKindIo = 1,
    kKindCfg0 = 2,
    kKindCfg1 = 3,
    kKindCpl = 4,
    kKindMsgId = 5,
    kKindMsgRoot = 6,
    kKindMsgBcast = 7,
};

// The ordering classes of ordering_queue's `cls`.
enum Cls : uint8_t { kClsP = 0, kClsNp = 1, kClsCpl = 2 };

struct Fields {
    uint8_t kind = kKindMem, cls = kClsP;
    bool wr = false;     // request: a write; completion: with data
    uint64_t addr = 0;   // memory/I/O address; config: register byte offset
    uint16_t id = 0;     // config target, completion's requester, message target
    uint16_t req_id = 0; // request: requester; completion: completer
    uint8_t tag = 0, be = 0;
    uint32_t data = 0;  // a config write's dword
    uint8_t status = 0; // completion status (tlp::CplStatus)
    uint32_t hdr = 0;   // handle of the stored TLP; 0: made by the switch
    bool pl = false;    // the payload comes as beats (in_pl / out_pl)
};

// The fields of `t`, stored under `handle`. False for a TLP the fabric does
// not route: an address-routed message or an unknown message routing.
bool to_fields(const tlp::Tlp &t, uint32_t handle, Fields *out);

// The completion a switch made (config read/write, UR): Cpl or CplD with
// requester ID, completer ID, tag and status from the fields, byte count
// 4, lower address 0 (right for config and I/O; a memory read's UR needs the
// read itself: Fabric keeps it).
tlp::Tlp made_completion(const Fields &f);

} // namespace rcsim::fabric
