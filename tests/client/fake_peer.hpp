// Test-side ends of vfio-user sockets: whole-message reads with a timeout,
// sends with SCM_RIGHTS, message builders written from the protocol tables,
// and an fd census to catch leaks. Every wait is bounded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace rcsim::test {

constexpr int kPeerTimeoutMs = 5000;

struct WireMsg {
    std::vector<uint8_t> bytes; // whole message
    std::vector<int> fds;       // received fds (owned by the caller)
    bool eof = false;
    bool timeout = false;

    uint16_t msg_id() const;
    uint16_t cmd() const;
    uint32_t flags() const;
    void close_fds();
};

// Reads one whole message (header, then msg_size - 16 bytes) within
// timeout_ms. eof or timeout set instead when that happens first.
WireMsg recv_msg(int fd, int timeout_ms = kPeerTimeoutMs);
// True when the peer closed fd within timeout_ms (nothing else arrived).
bool wait_eof(int fd, int timeout_ms = kPeerTimeoutMs);
// Sends all bytes; fds ride on the first byte. Returns false on failure.
bool send_msg(int fd, const std::vector<uint8_t> &bytes, const std::vector<int> &fds = {});

// Little-endian builders.
void put16(std::vector<uint8_t> &b, uint16_t v);
void put32(std::vector<uint8_t> &b, uint32_t v);
void put64(std::vector<uint8_t> &b, uint64_t v);
uint64_t get_le(const std::vector<uint8_t> &b, size_t off, size_t n);
// A header with msg_size set from the payload.
std::vector<uint8_t> message(uint16_t msg_id, uint16_t cmd, uint32_t flags,
                             const std::vector<uint8_t> &payload, uint32_t error_no = 0);
std::vector<uint8_t> reply(uint16_t msg_id, uint16_t cmd, const std::vector<uint8_t> &payload);
std::vector<uint8_t> error_reply(uint16_t msg_id, uint16_t cmd, uint32_t error_no);

// Open fds of this process, from /proc/self/fd.
std::vector<int> open_fds();

// The VERSION reply payload with this JSON (major 0, minor 2, NUL added).
std::vector<uint8_t> version_payload(const std::string &json, uint16_t minor = 2);

} // namespace rcsim::test
