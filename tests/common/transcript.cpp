#include "transcript.hpp"

#include <json-c/json.h>

#include <fstream>
#include <stdexcept>

namespace rcsim::test {
namespace {

uint32_t le(const std::vector<uint8_t> &b, size_t off, size_t n) {
    if (b.size() < off + n)
        throw std::runtime_error("transcript message shorter than a header");
    uint32_t v = 0;
    for (size_t i = 0; i < n; i++)
        v |= uint32_t(b[off + i]) << (8 * i);
    return v;
}

int hex_nibble(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

std::vector<uint8_t> decode_hex(const std::string &hex) {
    if (hex.size() % 2)
        throw std::runtime_error("odd hex length");
    std::vector<uint8_t> out(hex.size() / 2);
    for (size_t i = 0; i < out.size(); i++) {
        int hi = hex_nibble(hex[2 * i]), lo = hex_nibble(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            throw std::runtime_error("bad hex digit");
        out[i] = uint8_t(hi << 4 | lo);
    }
    return out;
}

std::string field_string(json_object *o, const char *key) {
    json_object *v = nullptr;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        throw std::runtime_error(std::string("missing string field ") + key);
    return json_object_get_string(v);
}

int64_t field_int(json_object *o, const char *key) {
    json_object *v = nullptr;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
        throw std::runtime_error(std::string("missing integer field ") + key);
    return json_object_get_int64(v);
}

TranscriptMessage parse_line(const std::string &line) {
    json_object *o = json_tokener_parse(line.c_str());
    if (!o || !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        throw std::runtime_error("not a JSON object");
    }
    TranscriptMessage m;
    try {
        m.seq = unsigned(field_int(o, "seq"));
        std::string sock = field_string(o, "sock"), dir = field_string(o, "dir");
        if (sock != "main" && sock != "twin")
            throw std::runtime_error("bad sock " + sock);
        if (dir != "c2s" && dir != "s2c")
            throw std::runtime_error("bad dir " + dir);
        m.sock = sock == "main" ? Sock::Main : Sock::Twin;
        m.dir = dir == "c2s" ? Dir::ClientToServer : Dir::ServerToClient;
        m.bytes = decode_hex(field_string(o, "hex"));
        m.fds = unsigned(field_int(o, "fds"));
        m.note = field_string(o, "note");
    } catch (...) {
        json_object_put(o);
        throw;
    }
    json_object_put(o);
    return m;
}

} // namespace

uint16_t TranscriptMessage::msg_id() const {
    return uint16_t(le(bytes, 0, 2));
}
uint16_t TranscriptMessage::cmd() const {
    return uint16_t(le(bytes, 2, 2));
}
uint32_t TranscriptMessage::flags() const {
    return le(bytes, 8, 4);
}
uint32_t TranscriptMessage::error_no() const {
    return le(bytes, 12, 4);
}

std::string transcript_dir() {
    return RCSIM_TRANSCRIPT_DIR;
}

std::vector<TranscriptMessage> load_transcript(const std::string &name) {
    std::string path = transcript_dir() + "/" + name + ".jsonl";
    std::ifstream in(path);
    if (!in)
        throw std::runtime_error("cannot open " + path);
    std::vector<TranscriptMessage> out;
    std::string line;
    for (unsigned lineno = 1; std::getline(in, line); lineno++) {
        if (line.empty())
            continue;
        try {
            out.push_back(parse_line(line));
        } catch (const std::exception &e) {
            throw std::runtime_error(path + ":" + std::to_string(lineno) + ": " + e.what());
        }
    }
    return out;
}

} // namespace rcsim::test
