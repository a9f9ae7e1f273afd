// SHA-256 (FIPS 180-4) pins a run's scenario and server binary in its
// decision log and digests its decisions; the hash itself is nettle's. A
// Sha256 is a value: a copy goes on from where the original was (the running
// digest of a run's decisions is finished on a copy).
#pragma once

#include <nettle/sha2.h>

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
    sha256_ctx ctx_;
};

std::string to_hex(const Sha256::Digest &digest);
Sha256::Digest sha256(const void *data, size_t len);
std::string sha256_hex(const std::string &bytes);

// Hex digest of a file's contents; returns 0 or a negative errno.
int sha256_file_hex(const std::string &path, std::string *hex_out);

} // namespace rcsim
