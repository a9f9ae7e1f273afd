#include "tlp_labels.hpp"

#include <cstdarg>
#include <cstdio>

namespace rcsim {

namespace {

// printf into a label; text past kLabelChars - 1 characters is cut.
Label format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
Label format(const char *fmt, ...) {
    char buf[kLabelChars];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    Label l{};
    for (size_t i = 0; i + 1 < kLabelChars && buf[i]; ++i)
        l[i] = buf[i];
    return l;
}

// bus:device.function of a routing ID.
struct Bdf {
    char s[12];
    explicit Bdf(uint16_t id) {
        snprintf(s, sizeof s, "%02x:%02x.%x", id >> 8, (id >> 3) & 0x1f, id & 7);
    }
};

const char *status_name(tlp::CplStatus s) {
    switch (s) {
    case tlp::CplStatus::SC:
        return "SC";
    case tlp::CplStatus::UR:
        return "UR";
    case tlp::CplStatus::CRS:
        return "CRS";
    case tlp::CplStatus::CA:
        return "CA";
    }
    return nullptr;
}

const char *poison(const tlp::Tlp &t) {
    return t.ep ? " EP" : "";
}

Label completion_label(const tlp::Tlp &t) {
    char status[8];
    const char *name = status_name(t.status);
    if (name)
        snprintf(status, sizeof status, "%s", name);
    else
        snprintf(status, sizeof status, "st%u", unsigned(t.status) & 7);
    const unsigned bc = t.byte_count ? t.byte_count : 4096;
    const char *type = tlp::type_name(t.type);
    if (!t.has_data())
        return format("%s %s t%02x lo 0x%02x bc %u %s%s", type, status, t.tag, t.lower_address, bc,
                      Bdf(t.completer_id).s, poison(t));
    return format("%s %s t%02x lo 0x%02x bc %u %uDW %s%s", type, status, t.tag, t.lower_address, bc,
                  t.length_dws(), Bdf(t.completer_id).s, poison(t));
}

const char *intx_name(uint8_t code) {
    static const char *const names[] = {"Assert_INTA",   "Assert_INTB",   "Assert_INTC",
                                        "Assert_INTD",   "Deassert_INTA", "Deassert_INTB",
                                        "Deassert_INTC", "Deassert_INTD"};
    return code >= 0x20 && code <= 0x27 ? names[code - 0x20] : nullptr;
}

Label message_label(const tlp::Tlp &t) {
    char code[16];
    const char *name = intx_name(t.msg_code);
    if (name)
        snprintf(code, sizeof code, "%s", name);
    else
        snprintf(code, sizeof code, "code 0x%02x", t.msg_code);
    if (!t.has_data())
        return format("%s %s t%02x %s%s", tlp::type_name(t.type), code, t.tag,
                      Bdf(t.requester_id).s, poison(t));
    return format("%s %s t%02x %uDW %s%s", tlp::type_name(t.type), code, t.tag, t.length_dws(),
                  Bdf(t.requester_id).s, poison(t));
}

} // namespace

Label tlp_label(const tlp::Tlp &t) {
    if (t.is_completion())
        return completion_label(t);
    if (t.is_message())
        return message_label(t);
    const char *type = tlp::type_name(t.type);
    if (t.type == tlp::TlpType::CfgRd0 || t.type == tlp::TlpType::CfgWr0)
        return format("%s t%02x %s reg 0x%03x %uDW %s%s", type, t.tag, Bdf(t.dest_id).s,
                      t.register_number * 4u, t.length_dws(), Bdf(t.requester_id).s, poison(t));
    return format("%s t%02x @%llx %uDW %s%s", type, t.tag,
                  static_cast<unsigned long long>(t.address), t.length_dws(), Bdf(t.requester_id).s,
                  poison(t));
}

Label fabric_hop_label(const std::string &port, const tlp::Tlp &t) {
    return format("%s %s", port.c_str(), label_text(tlp_label(t)).c_str());
}

Label undecodable_tlp_label(uint32_t dw0) {
    return format("?? dw0 0x%08x", dw0);
}

const char *host_op_name(HostOp op) {
    static const char *const names[] = {"MEM_RD", "MEM_WR", "CFG_RD", "CFG_WR",
                                        "IO_RD",  "IO_WR",  "OP_6",   "OP_7"};
    return names[unsigned(op) & 7];
}

Label host_request_label(const RtlIn &in) {
    const char *op = host_op_name(in.hreq_op);
    if (in.hreq_op == HostOp::CfgRd || in.hreq_op == HostOp::CfgWr)
        return format("%s #%u %s reg 0x%03x %uDW be %x", op, in.hreq_id, Bdf(in.hreq_cfg_bdf).s,
                      in.hreq_cfg_reg * 4u, in.hreq_len_dw, in.hreq_first_be);
    return format("%s #%u @%llx %uDW be %x", op, in.hreq_id,
                  static_cast<unsigned long long>(in.hreq_addr), in.hreq_len_dw, in.hreq_first_be);
}

Label host_response_label(uint8_t id, HostStatus status, size_t data_bytes) {
    return format("rsp #%u %s %zu B", id, to_string(status), data_bytes);
}

std::string label_text(const Label &l) {
    std::string s;
    for (char c : l) {
        if (c == '\0')
            break;
        s += c;
    }
    while (!s.empty() && s.back() == ' ')
        s.pop_back();
    return s;
}

void flip_last_if_same(const Label &shown, Label &next) {
    if (next != shown || next[0] == '\0')
        return;
    next[kLabelChars - 1] = shown[kLabelChars - 1] == '\0' ? ' ' : '\0';
}

} // namespace rcsim
