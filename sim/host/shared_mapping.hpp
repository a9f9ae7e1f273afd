// Host memory a server maps itself: a memfd of a DMA window's size, mapped
// here too, offered with DMA_MAP and the fd (as QEMU shares guest RAM). The
// server's loads and stores through its mapping bypass the RTL and the
// scheduler, as they bypass the link in a VMM; the harness sees the same
// bytes because its host memory reads and writes this mapping for the
// window's pages.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace rcsim {

class SharedMapping {
  public:
    // A zero-filled mapping of `size` bytes (a multiple of the page size)
    // named `name` (for /proc/PID/maps); nullptr with `error` set when the
    // memfd or the mapping cannot be made.
    static std::unique_ptr<SharedMapping> create(size_t size, const std::string &name,
                                                 std::string *error);
    ~SharedMapping();
    SharedMapping(const SharedMapping &) = delete;
    SharedMapping &operator=(const SharedMapping &) = delete;

    int fd() const { return fd_; }
    uint8_t *data() const { return data_; }
    size_t size() const { return size_; }

  private:
    SharedMapping(int fd, uint8_t *data, size_t size) : fd_(fd), data_(data), size_(size) {}
    int fd_;
    uint8_t *data_;
    size_t size_;
};

} // namespace rcsim
