#include "sha256.hpp"

#include <nettle/base16.h>

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace rcsim {

Sha256::Sha256() {
    sha256_init(&ctx_);
}

void Sha256::update(const void *data, size_t len) {
    sha256_update(&ctx_, len, static_cast<const uint8_t *>(data));
}

Sha256::Digest Sha256::finish() {
    Digest out;
    sha256_digest(&ctx_, out.size(), out.data());
    return out;
}

std::string to_hex(const Sha256::Digest &digest) {
    std::string s(BASE16_ENCODE_LENGTH(digest.size()), '\0');
    base16_encode_update(s.data(), digest.size(), digest.data());
    return s;
}

Sha256::Digest sha256(const void *data, size_t len) {
    Sha256 h;
    h.update(data, len);
    return h.finish();
}

std::string sha256_hex(const std::string &bytes) {
    return to_hex(sha256(bytes.data(), bytes.size()));
}

int sha256_file_hex(const std::string &path, std::string *hex_out) {
    // Only a regular file has an end: a FIFO or /dev/zero named by a log or
    // a user must not hang or spin here.
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
        return -errno;
    struct stat st {};
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return -EINVAL;
    }
    Sha256 h;
    uint8_t buf[65536];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int err = -errno;
            close(fd);
            return err;
        }
        if (n == 0)
            break;
        h.update(buf, size_t(n));
    }
    close(fd);
    *hex_out = to_hex(h.finish());
    return 0;
}

} // namespace rcsim
