#include "input_file.hpp"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace rcsim {

namespace {

const char *kind_of(mode_t mode) {
    if (S_ISDIR(mode))
        return "a directory";
    if (S_ISFIFO(mode))
        return "a FIFO";
    if (S_ISCHR(mode))
        return "a character device";
    if (S_ISBLK(mode))
        return "a block device";
    if (S_ISSOCK(mode))
        return "a socket";
    return "not a plain file";
}

int refuse_kind(mode_t mode, std::string *error) {
    *error = std::string("not a regular file (") + kind_of(mode) + ")";
    return -EINVAL;
}

int refuse_size(size_t max_bytes, std::string *error) {
    *error = "larger than " + std::to_string(max_bytes) + " bytes, the limit for this file";
    return -EFBIG;
}

int errno_error(int e, std::string *error) {
    *error = std::strerror(e);
    return -e;
}

// Reads at most max_bytes + 1 bytes: one more than allowed tells a file that
// grew after fstat from one that fits.
int read_bounded(int fd, size_t max_bytes, std::string *text, std::string *error) {
    std::string out;
    char buf[65536];
    for (;;) {
        const ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno_error(errno, error);
        if (n == 0)
            break;
        if (out.size() + size_t(n) > max_bytes)
            return refuse_size(max_bytes, error);
        out.append(buf, size_t(n));
    }
    *text = std::move(out);
    return 0;
}

} // namespace

int open_input_file(const std::string &path, size_t max_bytes, int *fd_out, std::string *error) {
    struct stat before {};
    if (stat(path.c_str(), &before) < 0)
        return errno_error(errno, error);
    if (!S_ISREG(before.st_mode))
        return refuse_kind(before.st_mode, error);
    if (uint64_t(before.st_size) > max_bytes)
        return refuse_size(max_bytes, error);
    // O_NONBLOCK: should a FIFO be swapped in after stat(), open() does not
    // wait for a writer.
    const int fd = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return errno_error(errno, error);
    struct stat now {};
    int rc = fstat(fd, &now) < 0 ? errno_error(errno, error) : 0;
    if (rc == 0 && !S_ISREG(now.st_mode))
        rc = refuse_kind(now.st_mode, error);
    if (rc == 0 && uint64_t(now.st_size) > max_bytes)
        rc = refuse_size(max_bytes, error);
    if (rc < 0) {
        close(fd);
        return rc;
    }
    *fd_out = fd;
    return 0;
}

int read_input_file(const std::string &path, size_t max_bytes, std::string *text,
                    std::string *error) {
    int fd = -1;
    int rc = open_input_file(path, max_bytes, &fd, error);
    if (rc < 0)
        return rc;
    rc = read_bounded(fd, max_bytes, text, error);
    close(fd);
    return rc;
}

} // namespace rcsim
