// The PCIe rules models share: completion byte count and lower address,
// splitting a read's completions at the read completion boundary (RCB) and
// max payload size (MPS), splitting a request at MPS/MRRS without crossing a
// 4 KiB boundary.
#pragma once

#include "tlp.hpp"

#include <cstdint>
#include <vector>

namespace rcsim::tlp {

struct Piece {
    uint64_t addr;  // first byte
    uint32_t bytes; // > 0
    bool operator==(const Piece &o) const { return addr == o.addr && bytes == o.bytes; }
};

// Byte count of a read request (the first completion's Byte Count), from its
// length and byte enables per the spec's table; a zero-length read counts 1.
uint32_t read_byte_count(unsigned length_dws, uint8_t first_be, uint8_t last_be);
// Lower address field of the first completion: address bits 6:2 plus the
// offset of the first enabled byte.
uint8_t completion_lower_address(uint64_t dw_address, uint8_t first_be);

bool crosses_4k(uint64_t addr, uint64_t bytes);

// Completions for `bytes` bytes at `addr`: every piece but the last ends on an
// RCB-aligned address, and each piece's DW-aligned payload is at most
// `max_payload` bytes. max_payload == rcb gives the finest split (one
// completion per RCB block). rcb and max_payload are powers of two, rcb <=
// max_payload.
std::vector<Piece> split_completions(uint64_t addr, uint32_t bytes, unsigned rcb,
                                     unsigned max_payload);

// Requests for `bytes` bytes at `addr`, cut at every multiple of `max_bytes`
// (MPS for writes, MRRS for reads; a power of two <= 4096), so no piece
// exceeds it or crosses 4 KiB.
std::vector<Piece> split_request(uint64_t addr, uint64_t bytes, unsigned max_bytes);

// CplD TLPs answering memory read `req` with `data` (request_bytes() bytes,
// starting at req.first_byte_address()), split per split_completions().
std::vector<Tlp> read_completions(const Tlp &req, uint16_t completer_id,
                                  const std::vector<uint8_t> &data, unsigned rcb,
                                  unsigned max_payload);

} // namespace rcsim::tlp
