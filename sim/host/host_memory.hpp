// The host's memory as the RTL's host memory port and the DMA path see it:
// a sparse 64-bit byte-addressable space (4 KiB pages allocated on first
// write, never-written bytes read as 0) plus the windows the harness mapped to
// the server with DMA_MAP: by messages (no fd), or shared (a memfd the server
// maps; the window's pages then live in that mapping, shared_mapping.hpp).
// Device-originated accesses (dma_*) must lie inside one window that grants the permission; the
// host CPU's own accesses (read/write/fill/compare) see the whole space. Errors are returned as a
// status, never thrown, and a refused access touches nothing.
// Not thread-safe: the harness runs it from SystemC's single thread.
#pragma once

#include "shared_mapping.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace rcsim {

enum class MemPerm : uint8_t { None = 0, Read = 1, Write = 2, ReadWrite = 3 };

enum class MemStatus : uint8_t {
    Ok,
    OutsideWindows,  // the first byte lies in no window
    CrossesWindow,   // starts inside a window but runs past its end
    NotReadable,     // window lacks read permission
    NotWritable,     // window lacks write permission
    AddressOverflow, // addr + len wraps past 2^64
    WindowOverlap,   // add_window: overlaps an existing window
    EmptyWindow,     // add_window: size 0 or wrapping
    NoSuchWindow,    // remove_window: no window with that base and size
    SharedUnaligned, // add_window: a shared window's base or size is not page-aligned
    SharedFailed,    // add_window: the shared window's memfd could not be made
};

const char *to_string(MemStatus status);

struct MemWindow {
    uint64_t base = 0;
    uint64_t size = 0;
    MemPerm perm = MemPerm::ReadWrite;
    std::string name;
    // Offered with an fd (a memfd) the server maps, instead of by messages.
    bool shared = false;
    // By messages on a socket of its own (VU_DMA_MAP_F_RCSIM_SOCKET, a DMA
    // socket per mapping) instead of the main or twin socket.
    bool socket = false;

    bool contains(uint64_t addr) const { return addr >= base && addr - base < size; }
};

class HostMemory {
  public:
    static constexpr size_t kPageSize = 4096;

    // A shared window gets its memfd here; the bytes already in its range
    // move into it. Removing a shared window keeps its bytes (as sparse
    // pages) and drops the mapping.
    MemStatus add_window(MemWindow window);
    MemStatus remove_window(uint64_t base, uint64_t size);
    // The memfd of the shared window at `base`, -1 for any other address.
    int shared_fd(uint64_t base) const;
    const MemWindow *find_window(uint64_t addr) const;
    const std::vector<MemWindow> &windows() const { return windows_; }

    // Whether a device may access [addr, addr+len) with `need`.
    MemStatus check(uint64_t addr, size_t len, MemPerm need) const;
    MemStatus dma_read(uint64_t addr, void *dst, size_t len) const;
    MemStatus dma_write(uint64_t addr, const void *src, size_t len);

    // The host CPU's view: no windows, only wrap-around is refused.
    MemStatus read(uint64_t addr, void *dst, size_t len) const;
    MemStatus write(uint64_t addr, const void *src, size_t len);
    MemStatus fill(uint64_t addr, uint8_t value, size_t len);
    // Offset of the first byte that differs from `expected`, nullopt if equal
    // (or if the range wraps; check with read() first when that matters).
    std::optional<size_t> compare(uint64_t addr, const void *expected, size_t len) const;

    size_t pages_allocated() const { return pages_.size(); }

    // ---- for live migration (sim/migrate/): the pages the host side wrote,
    // as QEMU logs its own stores to guest RAM. Every write(), fill() and
    // dma_write() marks the pages it touches while the log is on; a server's
    // stores through a shared window's mapping bypass this (the device
    // reports those, DMA_LOGGING_REPORT).
    void start_dirty_log();
    void stop_dirty_log();
    bool dirty_logging() const { return logging_; }
    // The page indices (address / kPageSize) marked since the last take.
    std::set<uint64_t> take_dirty_pages();
    // Every page that may hold bytes: allocated ones and every page of every
    // shared window, ascending.
    std::vector<uint64_t> pages_in_use() const;
    // Memory with the same windows (shared ones with memfds of their own)
    // and no bytes: the destination's host memory.
    std::unique_ptr<HostMemory> empty_copy(std::string *error) const;
    // A forked run's own shared windows: each gets a fresh memfd holding
    // the bytes it has now, so the run's server and stores reach neither
    // the parent's nor a sibling run's (fork keeps MAP_SHARED mappings
    // shared). 0 or -ENOMEM with `error` set.
    int renew_shared(std::string *error);

  private:
    using Page = std::unique_ptr<uint8_t[]>;
    struct Shared {
        uint64_t base, size;
        std::unique_ptr<SharedMapping> mapping;
    };

    const uint8_t *page_for_read(uint64_t page_index) const;
    uint8_t *page_for_write(uint64_t page_index);
    uint8_t *shared_page(uint64_t page_index) const;
    MemStatus share(const MemWindow &window);
    void unshare(uint64_t base);

    std::unordered_map<uint64_t, Page> pages_;
    std::vector<Shared> shared_;     // few: searched linearly
    std::vector<MemWindow> windows_; // sorted by base, disjoint
    bool logging_ = false;
    std::set<uint64_t> dirty_;
    void mark(uint64_t page_index) {
        if (logging_)
            dirty_.insert(page_index);
    }
};

} // namespace rcsim
