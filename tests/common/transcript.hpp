// Golden vfio-user transcripts (tests/transcripts/*.jsonl) as test data.
//
// Each line of a transcript is one message as it went over the wire between a
// recording client and a libvfio-user server; see tests/transcripts/README.md.
// Tests replay one side and compare the other side byte for byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace rcsim::test {

enum class Sock { Main, Twin };
enum class Dir { ClientToServer, ServerToClient };

struct TranscriptMessage {
    unsigned seq = 0;
    Sock sock = Sock::Main;
    Dir dir = Dir::ClientToServer;
    std::vector<uint8_t> bytes; // whole message; empty marks EOF by `dir`'s sender
    unsigned fds = 0;           // SCM_RIGHTS fds that travelled with it
    std::string note;

    bool is_eof() const { return bytes.empty(); }
    uint16_t msg_id() const;
    uint16_t cmd() const;
    uint32_t flags() const;
    uint32_t error_no() const;
};

// Directory holding the copied transcripts (set by the build).
std::string transcript_dir();

// Loads tests/transcripts/<name>.jsonl; throws std::runtime_error naming the
// file and line on anything malformed.
std::vector<TranscriptMessage> load_transcript(const std::string &name);

} // namespace rcsim::test
