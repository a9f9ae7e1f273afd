// A raw vfio-user test client: whole messages as bytes, fds alongside, every
// wait bounded by a timeout. It sends what a test says, however wrong.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "vfio_user/proto.h"

namespace rcsim::test {

struct RawMessage {
    std::vector<uint8_t> bytes; // header included
    std::vector<int> fds;       // received fds, owned by the caller

    vu_hdr hdr() const;
    const uint8_t *payload() const { return bytes.data() + sizeof(vu_hdr); }
    size_t payload_len() const { return bytes.size() - sizeof(vu_hdr); }
};

class RawSocket {
  public:
    RawSocket() = default;
    explicit RawSocket(int fd) : fd_(fd) {}
    ~RawSocket();
    RawSocket(RawSocket &&o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
    RawSocket &operator=(RawSocket &&o) noexcept;

    // Connects to a UNIX socket; false (with errno text in err) on failure.
    bool connect_to(const std::string &path, std::string *err);
    int fd() const { return fd_; }
    void close();

    bool send_bytes(const std::vector<uint8_t> &b, const std::vector<int> &fds = {});
    // One whole message (header, then msg_size - 16 bytes); nullopt on
    // timeout, EOF or an impossible size.
    std::optional<RawMessage> recv_message(int timeout_ms = 5000);
    // True if nothing at all arrives within timeout_ms (EOF counts as arrival).
    bool quiet_for(int timeout_ms);
    // True if no message starts within timeout_ms (an EOF is not a message).
    bool no_message_for(int timeout_ms);
    // True if the peer closed (EOF) within timeout_ms.
    bool eof_within(int timeout_ms);

  private:
    bool recv_exact(uint8_t *buf, size_t len, int timeout_ms, std::vector<int> *fds);
    int fd_ = -1;
};

// Builders for well-formed commands.
std::vector<uint8_t> make_msg(uint16_t id, uint16_t cmd, const void *payload, size_t len,
                              uint32_t flags = VU_F_TYPE_COMMAND);
std::vector<uint8_t> version_msg(uint16_t id, const std::string &json);
std::vector<uint8_t> region_read_msg(uint16_t id, uint32_t region, uint64_t off, uint32_t count);
std::vector<uint8_t> region_write_msg(uint16_t id, uint32_t region, uint64_t off,
                                      const std::vector<uint8_t> &data);
std::vector<uint8_t> dma_map_msg(uint16_t id, uint64_t addr, uint64_t size, uint32_t flags);

std::string hex(const std::vector<uint8_t> &b, size_t max = 64);

// Connects `main` to path and negotiates VERSION (max_msg_fds 8, the given
// max_data_xfer_size, the twin socket if asked); a twin socket handed over
// lands in `twin`, the server's JSON in *version_json (if not null). Adds a
// test failure and returns false when any step fails.
bool open_session(const std::string &path, bool want_twin, uint32_t max_xfer, RawSocket *main,
                  RawSocket *twin, std::string *version_json = nullptr);

} // namespace rcsim::test
