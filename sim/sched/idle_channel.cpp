#include "idle_channel.hpp"

#include "vfio_user/idle_announce.h"

#include <cerrno>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

namespace rcsim {

int IdleChannel::open() {
    int fd = memfd_create("rcsim-idle-announce", MFD_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (fd < 3) { // never one of the server's stdin, stdout, stderr
        const int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        close(fd);
        if (moved < 0)
            return -errno;
        fd = moved;
    }
    void *p = MAP_FAILED;
    if (ftruncate(fd, VU_IDLE_PAGE_SIZE) == 0)
        p = mmap(nullptr, VU_IDLE_PAGE_SIZE, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        const int err = -errno;
        close(fd);
        return err;
    }
    fd_ = fd;
    page_ = static_cast<vu_idle_page *>(p);
    return 0;
}

IdleChannel::~IdleChannel() {
    if (page_ != nullptr)
        munmap(page_, VU_IDLE_PAGE_SIZE);
    if (fd_ >= 0)
        close(fd_);
}

// A sequence lock's read: the counts count only if seq was the same odd
// value before and after them.
IdleAnnouncement IdleChannel::read() const {
    IdleAnnouncement a;
    if (page_ == nullptr)
        return a;
    a.opted_in = __atomic_load_n(&page_->magic, __ATOMIC_ACQUIRE) == VU_IDLE_MAGIC &&
                 __atomic_load_n(&page_->version, __ATOMIC_RELAXED) == VU_IDLE_VERSION;
    if (!a.opted_in)
        return a;
    a.pid = __atomic_load_n(&page_->pid, __ATOMIC_RELAXED);
    const uint64_t s1 = __atomic_load_n(&page_->seq, __ATOMIC_ACQUIRE);
    a.consumed = __atomic_load_n(&page_->consumed, __ATOMIC_RELAXED);
    a.sent = __atomic_load_n(&page_->sent, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    const uint64_t s2 = __atomic_load_n(&page_->seq, __ATOMIC_RELAXED);
    a.announced = (s1 & 1) != 0 && s1 == s2;
    return a;
}

} // namespace rcsim
