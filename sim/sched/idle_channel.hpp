// The harness's end of the idle announcement (vfio_user/idle_announce.h):
// the shared page it offers a server it starts, and the reading of it. The
// page is untrusted: read() says what it shows, Admission decides whether
// to believe it (sim/sched/README.md, "Idle announcement").
#pragma once

#include <cstdint>

struct vu_idle_page;

namespace rcsim {

struct IdleAnnouncement {
    bool opted_in = false;  // the right magic and version
    bool announced = false; // idle announced (seq odd, read consistently)
    uint64_t consumed = 0, sent = 0;
    uint32_t pid = 0; // the process that opted in
};

class IdleChannel {
  public:
    // A memfd of one page, mapped. 0 or negative errno.
    int open();
    ~IdleChannel();
    IdleChannel() = default;
    IdleChannel(const IdleChannel &) = delete;
    IdleChannel &operator=(const IdleChannel &) = delete;

    // The descriptor to pass to the server (>= 3, close-on-exec: the
    // process starter clears that for the child alone); -1 when not open.
    int fd() const { return fd_; }
    IdleAnnouncement read() const;

  private:
    int fd_ = -1;
    vu_idle_page *page_ = nullptr;
};

} // namespace rcsim
