#include "tlp.hpp"

#include <cstring>

#include <array>
#include <cstdio>

namespace rcsim::tlp {

namespace {

// fmt values: bit 1 = with data, bit 0 = 4 DW header.
constexpr uint8_t kFmt3 = 0x0, kFmt4 = 0x1, kFmt3D = 0x2, kFmt4D = 0x3;

struct TypeInfo {
    TlpType type;
    uint8_t fmt;
    uint8_t type_field; // for messages, routing bits 2:0 come from the TLP
    const char *name;
};

constexpr std::array<TypeInfo, 12> kTypes = {{
    {TlpType::MemRd32, kFmt3, 0x00, "MemRd32"},
    {TlpType::MemRd64, kFmt4, 0x00, "MemRd64"},
    {TlpType::MemWr32, kFmt3D, 0x00, "MemWr32"},
    {TlpType::MemWr64, kFmt4D, 0x00, "MemWr64"},
    {TlpType::CfgRd0, kFmt3, 0x04, "CfgRd0"},
    {TlpType::CfgWr0, kFmt3D, 0x04, "CfgWr0"},
    {TlpType::Cpl, kFmt3, 0x0a, "Cpl"},
    {TlpType::CplD, kFmt3D, 0x0a, "CplD"},
    {TlpType::Msg, kFmt4, 0x10, "Msg"},
    {TlpType::MsgD, kFmt4D, 0x10, "MsgD"},
    {TlpType::IoRd, kFmt3, 0x02, "IoRd"},
    {TlpType::IoWr, kFmt3D, 0x02, "IoWr"},
}};

const TypeInfo &info(TlpType t) {
    return kTypes[static_cast<size_t>(t)];
}

bool is_msg_type_field(uint8_t type) {
    return (type & 0x18) == 0x10;
}

unsigned be_leading_zeros(uint8_t be) {
    for (unsigned i = 0; i < 4; ++i) {
        if (be & (1u << i))
            return i;
    }
    return 0;
}

unsigned be_trailing_zeros(uint8_t be) {
    for (unsigned i = 0; i < 4; ++i) {
        if (be & (0x8u >> i))
            return i;
    }
    return 0;
}

uint32_t request_dw1(const Tlp &t) {
    return uint32_t(t.requester_id) << 16 | uint32_t(t.tag) << 8 | uint32_t(t.last_be & 0xf) << 4 |
           (t.first_be & 0xf);
}

void encode_third_and_fourth(const Tlp &t, std::vector<uint32_t> &out) {
    switch (t.type) {
    case TlpType::MemRd32:
    case TlpType::MemWr32:
    case TlpType::IoRd:
    case TlpType::IoWr:
        out.push_back(uint32_t(t.address) & ~3u);
        return;
    case TlpType::MemRd64:
    case TlpType::MemWr64:
        out.push_back(uint32_t(t.address >> 32));
        out.push_back(uint32_t(t.address) & ~3u);
        return;
    case TlpType::CfgRd0:
    case TlpType::CfgWr0:
        out.push_back(uint32_t(t.dest_id) << 16 | uint32_t(t.register_number & 0x3ff) << 2);
        return;
    case TlpType::Cpl:
    case TlpType::CplD:
        out.push_back(uint32_t(t.requester_id) << 16 | uint32_t(t.tag) << 8 |
                      (t.lower_address & 0x7f));
        return;
    case TlpType::Msg:
    case TlpType::MsgD:
        out.push_back(t.msg_dw2);
        out.push_back(t.msg_dw3);
        return;
    }
}

uint32_t encode_dw1(const Tlp &t) {
    if (t.is_completion()) {
        return uint32_t(t.completer_id) << 16 | uint32_t(static_cast<uint8_t>(t.status) & 7) << 13 |
               uint32_t(t.bcm) << 12 | (t.byte_count & 0xfff);
    }
    if (t.is_message()) {
        return uint32_t(t.requester_id) << 16 | uint32_t(t.tag) << 8 | t.msg_code;
    }
    return request_dw1(t);
}

void decode_rest(Tlp &t, const uint32_t *d) {
    const uint32_t dw1 = d[1];
    if (t.is_completion()) {
        t.completer_id = uint16_t(dw1 >> 16);
        t.status = static_cast<CplStatus>((dw1 >> 13) & 7);
        t.bcm = (dw1 >> 12) & 1;
        t.byte_count = dw1 & 0xfff;
        t.requester_id = uint16_t(d[2] >> 16);
        t.tag = uint8_t(d[2] >> 8);
        t.lower_address = d[2] & 0x7f;
        return;
    }
    t.requester_id = uint16_t(dw1 >> 16);
    t.tag = uint8_t(dw1 >> 8);
    if (t.is_message()) {
        t.msg_code = uint8_t(dw1);
        t.msg_dw2 = d[2];
        t.msg_dw3 = d[3];
        return;
    }
    t.last_be = (dw1 >> 4) & 0xf;
    t.first_be = dw1 & 0xf;
    if (t.type == TlpType::CfgRd0 || t.type == TlpType::CfgWr0) {
        t.dest_id = uint16_t(d[2] >> 16);
        t.register_number = (d[2] >> 2) & 0x3ff;
        return;
    }
    if (t.header_dws() == 4) {
        t.address = uint64_t(d[2]) << 32 | (d[3] & ~3u);
    } else {
        t.address = d[2] & ~3u;
    }
}

} // namespace

std::optional<TlpType> type_from_fields(uint8_t fmt, uint8_t type) {
    for (const TypeInfo &ti : kTypes) {
        const bool msg = is_msg_type_field(ti.type_field);
        const bool type_match = msg ? is_msg_type_field(type) : type == ti.type_field;
        if (ti.fmt == fmt && type_match)
            return ti.type;
    }
    return std::nullopt;
}

const char *type_name(TlpType t) {
    return info(t).name;
}

uint32_t header_dw_from_bytes(const uint8_t *b) {
    return uint32_t(b[0]) << 24 | uint32_t(b[1]) << 16 | uint32_t(b[2]) << 8 | b[3];
}

uint32_t payload_dw_from_bytes(const uint8_t *b) {
    return b[0] | uint32_t(b[1]) << 8 | uint32_t(b[2]) << 16 | uint32_t(b[3]) << 24;
}

// ---------------------------------------------------------------- builders

Tlp Tlp::mem_read(uint64_t addr, uint32_t bytes, uint16_t requester_id, uint8_t tag) {
    Tlp t;
    t.type = addr >= (uint64_t(1) << 32) ? TlpType::MemRd64 : TlpType::MemRd32;
    t.requester_id = requester_id;
    t.tag = tag;
    t.address = addr & ~uint64_t(3);
    const uint64_t end = addr + (bytes ? bytes : 1); // zero-length read: one DW, BE 0
    const uint64_t first_dw = addr >> 2, last_dw = (end - 1) >> 2;
    const unsigned dws = unsigned(last_dw - first_dw + 1);
    t.length = uint16_t(dws == 1024 ? 0 : dws);
    const unsigned head = addr & 3, tail = unsigned(end & 3);
    uint8_t fbe = uint8_t((0xf << head) & 0xf);
    uint8_t lbe = tail ? uint8_t((1u << tail) - 1) : 0xf;
    if (dws == 1) {
        fbe &= lbe;
        lbe = 0;
    }
    t.first_be = bytes ? fbe : 0;
    t.last_be = lbe;
    return t;
}

Tlp Tlp::mem_write(uint64_t addr, const std::vector<uint8_t> &data, uint16_t requester_id,
                   uint8_t tag) {
    return mem_write(addr, data.data(), data.size(), requester_id, tag);
}

Tlp Tlp::mem_write(uint64_t addr, const uint8_t *data, size_t bytes, uint16_t requester_id,
                   uint8_t tag) {
    Tlp t = mem_read(addr, uint32_t(bytes), requester_id, tag);
    t.type = t.type == TlpType::MemRd64 ? TlpType::MemWr64 : TlpType::MemWr32;
    t.payload.assign(size_t(t.length_dws()) * 4, 0);
    if (bytes > 0)
        std::memcpy(&t.payload[addr & 3], data, bytes);
    return t;
}

Tlp Tlp::cfg_read(uint16_t dest_id, uint16_t byte_offset, uint16_t requester_id, uint8_t tag,
                  uint8_t first_be) {
    Tlp t;
    t.type = TlpType::CfgRd0;
    t.dest_id = dest_id;
    t.register_number = uint16_t((byte_offset >> 2) & 0x3ff);
    t.requester_id = requester_id;
    t.tag = tag;
    t.first_be = first_be;
    t.last_be = 0;
    t.length = 1;
    return t;
}

Tlp Tlp::cfg_write(uint16_t dest_id, uint16_t byte_offset, uint32_t value, uint16_t requester_id,
                   uint8_t tag, uint8_t first_be) {
    Tlp t = cfg_read(dest_id, byte_offset, requester_id, tag, first_be);
    t.type = TlpType::CfgWr0;
    t.payload = {uint8_t(value), uint8_t(value >> 8), uint8_t(value >> 16), uint8_t(value >> 24)};
    return t;
}

Tlp Tlp::io_read(uint32_t addr, uint8_t first_be, uint16_t requester_id, uint8_t tag) {
    Tlp t;
    t.type = TlpType::IoRd;
    t.address = addr & ~3u;
    t.requester_id = requester_id;
    t.tag = tag;
    t.first_be = first_be;
    t.last_be = 0;
    t.length = 1;
    return t;
}

Tlp Tlp::io_write(uint32_t addr, uint8_t first_be, uint32_t value, uint16_t requester_id,
                  uint8_t tag) {
    Tlp t = io_read(addr, first_be, requester_id, tag);
    t.type = TlpType::IoWr;
    t.payload = {uint8_t(value), uint8_t(value >> 8), uint8_t(value >> 16), uint8_t(value >> 24)};
    return t;
}

Tlp Tlp::completion(const Tlp &request, uint16_t completer_id, CplStatus status) {
    Tlp t;
    t.type = TlpType::Cpl;
    t.requester_id = request.requester_id;
    t.tag = request.tag;
    t.tc = request.tc;
    t.attr = request.attr;
    t.completer_id = completer_id;
    t.status = status;
    // Memory reads report what the completer would have returned; config
    // and I/O (and every other) completions carry byte count 4, lower
    // address 0.
    t.byte_count = request.is_memory() ? uint16_t(request.request_bytes() & 0xfff) : 4;
    t.lower_address = request.is_memory() ? uint8_t(request.first_byte_address() & 0x7f) : 0;
    t.length = 0; // a Cpl has no data; the length field is reserved
    return t;
}

Tlp Tlp::completion_data(uint16_t requester_id, uint8_t tag, uint16_t completer_id,
                         uint16_t byte_count, uint8_t lower_address,
                         const std::vector<uint8_t> &data) {
    Tlp t;
    t.type = TlpType::CplD;
    t.requester_id = requester_id;
    t.tag = tag;
    t.completer_id = completer_id;
    t.byte_count = byte_count & 0xfff;
    t.lower_address = lower_address & 0x7f;
    t.payload = data;
    t.payload.resize((data.size() + 3) & ~size_t(3), 0);
    const size_t dws = t.payload.size() / 4;
    t.length = uint16_t(dws == 1024 ? 0 : dws);
    return t;
}

Tlp Tlp::intx(MsgCode code, uint16_t requester_id) {
    Tlp t;
    t.type = TlpType::Msg;
    t.msg_routing = kMsgRoutingLocal;
    t.msg_code = static_cast<uint8_t>(code);
    t.requester_id = requester_id;
    t.length = 0;
    t.first_be = 0;
    return t;
}

// ----------------------------------------------------------------- queries

bool Tlp::is_memory() const {
    return type == TlpType::MemRd32 || type == TlpType::MemRd64 || type == TlpType::MemWr32 ||
           type == TlpType::MemWr64;
}
bool Tlp::is_read() const {
    return type == TlpType::MemRd32 || type == TlpType::MemRd64 || type == TlpType::CfgRd0 ||
           type == TlpType::IoRd;
}
bool Tlp::is_write() const {
    return type == TlpType::MemWr32 || type == TlpType::MemWr64 || type == TlpType::CfgWr0 ||
           type == TlpType::IoWr;
}
bool Tlp::is_io() const {
    return type == TlpType::IoRd || type == TlpType::IoWr;
}
bool Tlp::is_completion() const {
    return type == TlpType::Cpl || type == TlpType::CplD;
}
bool Tlp::is_message() const {
    return type == TlpType::Msg || type == TlpType::MsgD;
}
bool Tlp::has_data() const {
    return (info(type).fmt & 2) != 0;
}
unsigned Tlp::header_dws() const {
    return (info(type).fmt & 1) ? 4u : 3u;
}
uint8_t Tlp::fmt() const {
    return info(type).fmt;
}
uint8_t Tlp::type_field() const {
    return is_message() ? uint8_t(0x10 | (msg_routing & 7)) : info(type).type_field;
}

uint32_t Tlp::request_bytes() const {
    const unsigned len = length_dws();
    if (len == 1) {
        if ((first_be & 0xf) == 0)
            return 1; // zero-length read still reports one byte
        // From the lowest to the highest enabled byte, holes included.
        return 4 - be_leading_zeros(first_be) - be_trailing_zeros(first_be);
    }
    return len * 4 - be_leading_zeros(first_be) - be_trailing_zeros(last_be);
}

uint64_t Tlp::first_byte_address() const {
    return (address & ~uint64_t(3)) + be_leading_zeros(first_be);
}

std::vector<uint8_t> Tlp::enabled_bytes() const {
    std::vector<uint8_t> out;
    const size_t dws = payload.size() / 4;
    for (size_t i = 0; i < payload.size(); ++i) {
        const size_t dw = i / 4;
        uint8_t be = 0xf;
        if (dw == 0)
            be = first_be;
        else if (dw == dws - 1)
            be = last_be;
        if (be & (1u << (i % 4)))
            out.push_back(payload[i]);
    }
    return out;
}

std::string Tlp::describe() const {
    char buf[160];
    if (is_completion()) {
        std::snprintf(buf, sizeof buf,
                      "%s req=%04x tag=%02x cpl=%04x st=%u bc=%u la=0x%02x len=%u%s",
                      type_name(type), requester_id, tag, completer_id, unsigned(status),
                      byte_count, lower_address, length_dws(), ep ? " EP" : "");
    } else if (is_message()) {
        std::snprintf(buf, sizeof buf, "%s req=%04x code=0x%02x r=%u", type_name(type),
                      requester_id, msg_code, msg_routing);
    } else if (type == TlpType::CfgRd0 || type == TlpType::CfgWr0) {
        std::snprintf(buf, sizeof buf, "%s req=%04x tag=%02x bdf=%04x reg=0x%03x fbe=%x",
                      type_name(type), requester_id, tag, dest_id, register_number * 4, first_be);
    } else {
        std::snprintf(buf, sizeof buf, "%s req=%04x tag=%02x addr=0x%llx len=%u fbe=%x lbe=%x%s",
                      type_name(type), requester_id, tag, static_cast<unsigned long long>(address),
                      length_dws(), first_be, last_be, ep ? " EP" : "");
    }
    return buf;
}

bool Tlp::operator==(const Tlp &o) const {
    return encode_dws(*this) == encode_dws(o);
}

// ------------------------------------------------------------------ codec

std::vector<uint32_t> encode_dws(const Tlp &t) {
    std::vector<uint32_t> out;
    out.reserve(t.header_dws() + t.payload.size() / 4 + 1);
    const uint32_t dw0 = uint32_t(t.fmt()) << 29 | uint32_t(t.type_field() & 0x1f) << 24 |
                         uint32_t(t.tc & 7) << 20 | uint32_t((t.attr >> 2) & 1) << 18 |
                         uint32_t(t.th) << 16 | uint32_t(t.td) << 15 | uint32_t(t.ep) << 14 |
                         uint32_t(t.attr & 3) << 12 | uint32_t(t.at & 3) << 10 | (t.length & 0x3ff);
    out.push_back(dw0);
    out.push_back(encode_dw1(t));
    encode_third_and_fourth(t, out);
    if (t.has_data()) {
        for (size_t i = 0; i + 4 <= t.payload.size(); i += 4)
            out.push_back(payload_dw_from_bytes(&t.payload[i]));
    }
    if (t.td)
        out.push_back(t.digest);
    return out;
}

Decoded decode_header(const uint32_t *dws, size_t n) {
    if (n == 0)
        return Decoded::fail("truncated header: no DW at all");
    const uint32_t dw0 = dws[0];
    const uint8_t fmt = uint8_t(dw0 >> 29), type_field = (dw0 >> 24) & 0x1f;
    const std::optional<TlpType> type = type_from_fields(fmt, type_field);
    if (!type) {
        char why[96];
        std::snprintf(why, sizeof why, "bad fmt/type: fmt=%u type=0x%02x", fmt, type_field);
        return Decoded::fail(why);
    }
    Tlp t;
    t.type = *type;
    t.tc = (dw0 >> 20) & 7;
    t.attr = uint8_t(((dw0 >> 18) & 1) << 2 | ((dw0 >> 12) & 3));
    t.th = (dw0 >> 16) & 1;
    t.td = (dw0 >> 15) & 1;
    t.ep = (dw0 >> 14) & 1;
    t.at = (dw0 >> 10) & 3;
    t.length = dw0 & 0x3ff;
    if (t.is_message())
        t.msg_routing = type_field & 7;
    const size_t hdr = t.header_dws();
    if (n < hdr) {
        return Decoded::fail("truncated header: " + std::to_string(n) + " of " +
                             std::to_string(hdr) + " DW");
    }
    decode_rest(t, dws);
    return Decoded{std::move(t), {}};
}

Decoded decode_dws(const std::vector<uint32_t> &dws) {
    Decoded d = decode_header(dws.data(), dws.size());
    if (!d.ok())
        return d;
    Tlp &t = *d.tlp;
    const size_t hdr = t.header_dws();
    const size_t payload_dws = t.has_data() ? t.length_dws() : 0;
    const size_t want = hdr + payload_dws + (t.td ? 1 : 0);
    if (dws.size() != want) {
        return Decoded::fail("length disagrees with payload: header says " +
                             std::to_string(payload_dws) + " DW payload" +
                             (t.td ? " + digest" : "") + ", got " +
                             std::to_string(dws.size() - hdr) + " DW after the header");
    }
    for (size_t i = 0; i < payload_dws; ++i) {
        const uint32_t v = dws[hdr + i];
        for (unsigned b = 0; b < 4; ++b)
            t.payload.push_back(uint8_t(v >> (8 * b)));
    }
    if (t.td)
        t.digest = dws.back();
    return Decoded{std::move(t), {}};
}

std::vector<uint8_t> encode_wire(const Tlp &t) {
    const std::vector<uint32_t> dws = encode_dws(t);
    const size_t hdr = t.header_dws();
    std::vector<uint8_t> out;
    out.reserve(dws.size() * 4);
    for (size_t i = 0; i < dws.size(); ++i) {
        const uint32_t v = dws[i];
        const bool header_order = i < hdr || (t.td && i == dws.size() - 1);
        for (unsigned b = 0; b < 4; ++b)
            out.push_back(uint8_t(header_order ? v >> (24 - 8 * b) : v >> (8 * b)));
    }
    return out;
}

Decoded decode_wire(const std::vector<uint8_t> &bytes) {
    if (bytes.size() % 4 != 0)
        return Decoded::fail("wire length " + std::to_string(bytes.size()) +
                             " is not a whole number of DW");
    if (bytes.size() < 4)
        return Decoded::fail("truncated header: no DW at all");
    // Header size comes from fmt (DW0 byte 0 bit 5); without a valid fmt the
    // DW decoder rejects it anyway.
    const size_t hdr = (bytes[0] & 0x20) ? 4 : 3;
    const bool td = bytes[2] & 0x80;
    const size_t n = bytes.size() / 4;
    std::vector<uint32_t> dws(n);
    for (size_t i = 0; i < n; ++i) {
        const bool header_order = i < hdr || (td && i == n - 1 && n > hdr);
        dws[i] = header_order ? header_dw_from_bytes(&bytes[4 * i])
                              : payload_dw_from_bytes(&bytes[4 * i]);
    }
    return decode_dws(dws);
}

} // namespace rcsim::tlp
