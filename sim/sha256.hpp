// SHA-256 (FIPS 180-4) for pinning a server binary in the decision log. Written
// here because the project's dependency list holds no crypto library; speed
// matters little (one hash per run), correctness is checked against the
// standard's test vectors in tests/sim/.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace rcsim {

class Sha256 {
  public:
    using Digest = std::array<uint8_t, 32>;

    Sha256();
    void update(const void *data, size_t len);
    Digest finish();

  private:
    void compress(const uint8_t *block);

    std::array<uint32_t, 8> state_;
    std::array<uint8_t, 64> buffer_;
    size_t buffered_ = 0;
    uint64_t total_bytes_ = 0;
};

std::string to_hex(const Sha256::Digest &digest);
Sha256::Digest sha256(const void *data, size_t len);
std::string sha256_hex(const std::string &bytes);

// Hex digest of a file's contents; returns 0 or a negative errno.
int sha256_file_hex(const std::string &path, std::string *hex_out);

} // namespace rcsim
