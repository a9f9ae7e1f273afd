#include "shared_mapping.hpp"

#include <cerrno>
#include <cstring>
#include <sys/mman.h>
#include <unistd.h>

namespace rcsim {

std::unique_ptr<SharedMapping> SharedMapping::create(size_t size, const std::string &name,
                                                     std::string *error) {
    const int fd = memfd_create(name.c_str(), MFD_CLOEXEC);
    if (fd < 0) {
        *error = std::string("memfd_create: ") + strerror(errno);
        return nullptr;
    }
    if (ftruncate(fd, off_t(size)) < 0) {
        *error = std::string("cannot size the memfd: ") + strerror(errno);
        close(fd);
        return nullptr;
    }
    void *p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        *error = std::string("cannot map the memfd: ") + strerror(errno);
        close(fd);
        return nullptr;
    }
    return std::unique_ptr<SharedMapping>(new SharedMapping(fd, static_cast<uint8_t *>(p), size));
}

SharedMapping::~SharedMapping() {
    munmap(data_, size_);
    close(fd_);
}

} // namespace rcsim
