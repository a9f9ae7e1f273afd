#include "tlp_rules.hpp"

namespace rcsim::tlp {

namespace {
uint64_t floor_to(uint64_t v, uint64_t align) {
    return v & ~(align - 1);
}
uint64_t ceil_to(uint64_t v, uint64_t align) {
    return (v + align - 1) & ~(align - 1);
}
} // namespace

uint32_t read_byte_count(unsigned length_dws, uint8_t first_be, uint8_t last_be) {
    Tlp t;
    t.length = uint16_t(length_dws == 1024 ? 0 : length_dws);
    t.first_be = first_be;
    t.last_be = last_be;
    return t.request_bytes();
}

uint8_t completion_lower_address(uint64_t dw_address, uint8_t first_be) {
    Tlp t;
    t.address = dw_address;
    t.first_be = first_be;
    return uint8_t(t.first_byte_address() & 0x7f);
}

bool crosses_4k(uint64_t addr, uint64_t bytes) {
    return bytes > 0 && (addr & 0xfff) + bytes > 4096;
}

std::vector<Piece> split_completions(uint64_t addr, uint32_t bytes, unsigned rcb,
                                     unsigned max_payload) {
    std::vector<Piece> out;
    const uint64_t end = addr + bytes;
    uint64_t pos = addr;
    while (pos < end) {
        const uint64_t dw_start = floor_to(pos, 4);
        uint64_t piece_end = end;
        if (ceil_to(end, 4) - dw_start > max_payload)
            piece_end = floor_to(dw_start + max_payload, rcb);
        out.push_back({pos, uint32_t(piece_end - pos)});
        pos = piece_end;
    }
    return out;
}

std::vector<Piece> split_request(uint64_t addr, uint64_t bytes, unsigned max_bytes) {
    std::vector<Piece> out;
    const uint64_t end = addr + bytes;
    for (uint64_t pos = addr; pos < end;) {
        const uint64_t next = floor_to(pos, max_bytes) + max_bytes;
        const uint64_t piece_end = next < end ? next : end;
        out.push_back({pos, uint32_t(piece_end - pos)});
        pos = piece_end;
    }
    return out;
}

std::vector<Tlp> read_completions(const Tlp &req, uint16_t completer_id,
                                  const std::vector<uint8_t> &data, unsigned rcb,
                                  unsigned max_payload) {
    std::vector<Tlp> out;
    const uint64_t start = req.first_byte_address();
    const uint32_t total = req.request_bytes();
    uint32_t remaining = total;
    for (const Piece &p : split_completions(start, total, rcb, max_payload)) {
        const uint64_t dw_start = floor_to(p.addr, 4);
        std::vector<uint8_t> payload(ceil_to(p.addr + p.bytes, 4) - dw_start, 0);
        for (uint32_t i = 0; i < p.bytes; ++i) {
            const size_t src = size_t(p.addr - start) + i;
            payload[size_t(p.addr - dw_start) + i] = src < data.size() ? data[src] : 0;
        }
        Tlp c = Tlp::completion_data(req.requester_id, req.tag, completer_id,
                                     uint16_t(remaining & 0xfff), uint8_t(p.addr & 0x7f), payload);
        c.tc = req.tc;
        c.attr = req.attr;
        out.push_back(std::move(c));
        remaining -= p.bytes;
    }
    return out;
}

} // namespace rcsim::tlp
