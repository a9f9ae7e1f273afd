#include "fabric_fields.hpp"

#include "payload_beats.hpp"

namespace rcsim::fabric {

namespace {

using tlp::TlpType;

// Message routing r[2:0] (PCIe Base Spec, Msg routing subfield).
bool message_kind(uint8_t routing, uint8_t *kind) {
    switch (routing) {
    case 0x0: // to the root complex
    case 0x5: // gathered and routed to the root
    case 0x4: // local: INTx from a device, which the root collects
        *kind = kKindMsgRoot;
        return true;
    case 0x2:
        *kind = kKindMsgId;
        return true;
    case 0x3:
        *kind = kKindMsgBcast;
        return true;
    default: // 1 by address: not routed here yet
        return false;
    }
}

uint32_t le_dword(const std::vector<uint8_t> &b) {
    if (b.size() < 4)
        return 0;
    return uint32_t(b[0]) | uint32_t(b[1]) << 8 | uint32_t(b[2]) << 16 | uint32_t(b[3]) << 24;
}

} // namespace

bool to_fields(const tlp::Tlp &t, uint32_t handle, Fields *out) {
    Fields f;
    f.hdr = handle;
    f.tag = t.tag;
    f.be = t.first_be;
    f.req_id = t.requester_id;
    f.cls = t.is_posted() ? kClsP : (t.is_completion() ? kClsCpl : kClsNp);
    f.wr = t.is_completion() ? t.has_data() : t.is_write();
    f.pl = carries_beats(t);
    if (t.is_memory()) {
        f.kind = kKindMem;
        f.addr = t.address;
    } else if (t.is_io()) {
        f.kind = kKindIo;
        f.addr = t.address;
    } else if (t.type == TlpType::CfgRd0 || t.type == TlpType::CfgWr0) {
        f.kind = kKindCfg0;
        f.addr = uint64_t(t.register_number) * 4;
        f.id = t.dest_id;
        f.data = t.type == TlpType::CfgWr0 ? le_dword(t.payload) : 0;
    } else if (t.is_completion()) {
        f.kind = kKindCpl;
        f.id = t.requester_id;
        f.req_id = t.completer_id;
        f.status = static_cast<uint8_t>(t.status);
    } else if (t.is_message()) {
        if (!message_kind(t.msg_routing, &f.kind))
            return false;
        f.id = uint16_t(t.msg_dw2 >> 16); // an ID-routed message's target
    } else {
        return false;
    }
    *out = f;
    return true;
}

tlp::Tlp made_completion(const Fields &f) {
    tlp::Tlp c;
    if (f.wr) {
        const std::vector<uint8_t> data{uint8_t(f.data), uint8_t(f.data >> 8),
                                        uint8_t(f.data >> 16), uint8_t(f.data >> 24)};
        c = tlp::Tlp::completion_data(f.id, f.tag, f.req_id, 4, 0, data);
    } else {
        c.type = TlpType::Cpl;
        c.requester_id = f.id;
        c.tag = f.tag;
        c.completer_id = f.req_id;
        c.byte_count = 4;
        c.lower_address = 0;
        c.length = 0; // no data: the length field is reserved
    }
    c.status = static_cast<tlp::CplStatus>(f.status);
    return c;
}

} // namespace rcsim::fabric
