#include "host_memory.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace rcsim {

namespace {

bool wraps(uint64_t addr, size_t len) {
    return len > 0 && addr + (len - 1) < addr;
}

bool grants(MemPerm have, MemPerm need) {
    return (uint8_t(have) & uint8_t(need)) == uint8_t(need);
}

} // namespace

const char *to_string(MemStatus status) {
    switch (status) {
    case MemStatus::Ok:
        return "ok";
    case MemStatus::OutsideWindows:
        return "address outside every DMA window";
    case MemStatus::CrossesWindow:
        return "access runs past the end of its DMA window";
    case MemStatus::NotReadable:
        return "DMA window is not readable";
    case MemStatus::NotWritable:
        return "DMA window is not writable";
    case MemStatus::AddressOverflow:
        return "address range wraps past 2^64";
    case MemStatus::WindowOverlap:
        return "window overlaps an existing window";
    case MemStatus::EmptyWindow:
        return "window is empty or wraps past 2^64";
    case MemStatus::NoSuchWindow:
        return "no window with that base and size";
    case MemStatus::SharedUnaligned:
        return "a shared window's base and size must be multiples of 4 KiB";
    case MemStatus::SharedFailed:
        return "the shared window's memfd could not be made";
    }
    return "unknown status";
}

MemStatus HostMemory::add_window(MemWindow window) {
    if (window.size == 0 || wraps(window.base, window.size))
        return MemStatus::EmptyWindow;
    auto after = std::upper_bound(windows_.begin(), windows_.end(), window.base,
                                  [](uint64_t base, const MemWindow &w) { return base < w.base; });
    if (after != windows_.end() && after->base - window.base < window.size)
        return MemStatus::WindowOverlap;
    if (after != windows_.begin() && std::prev(after)->contains(window.base))
        return MemStatus::WindowOverlap;
    if (window.shared) {
        const MemStatus st = share(window);
        if (st != MemStatus::Ok)
            return st;
    }
    windows_.insert(after, std::move(window));
    return MemStatus::Ok;
}

MemStatus HostMemory::share(const MemWindow &w) {
    if (w.base % kPageSize != 0 || w.size % kPageSize != 0)
        return MemStatus::SharedUnaligned;
    std::string err;
    std::unique_ptr<SharedMapping> m = SharedMapping::create(size_t(w.size), w.name, &err);
    if (!m)
        return MemStatus::SharedFailed;
    for (uint64_t off = 0; off < w.size; off += kPageSize) {
        auto it = pages_.find((w.base + off) / kPageSize);
        if (it == pages_.end())
            continue;
        std::memcpy(m->data() + off, it->second.get(), kPageSize);
        pages_.erase(it);
    }
    shared_.push_back({w.base, w.size, std::move(m)});
    return MemStatus::Ok;
}

// The bytes stay host memory's: pages that are not all zero are copied out.
void HostMemory::unshare(uint64_t base) {
    auto it = std::find_if(shared_.begin(), shared_.end(),
                           [&](const Shared &s) { return s.base == base; });
    if (it == shared_.end())
        return;
    Shared gone = std::move(*it);
    shared_.erase(it);
    static const uint8_t kZeros[kPageSize] = {};
    for (uint64_t off = 0; off < gone.size; off += kPageSize) {
        const uint8_t *src = gone.mapping->data() + off;
        if (std::memcmp(src, kZeros, kPageSize) != 0)
            std::memcpy(page_for_write((gone.base + off) / kPageSize), src, kPageSize);
    }
}

int HostMemory::shared_fd(uint64_t base) const {
    for (const Shared &s : shared_)
        if (s.base == base)
            return s.mapping->fd();
    return -1;
}

uint8_t *HostMemory::shared_page(uint64_t page_index) const {
    const uint64_t addr = page_index * kPageSize;
    for (const Shared &s : shared_)
        if (addr >= s.base && addr - s.base < s.size)
            return s.mapping->data() + (addr - s.base);
    return nullptr;
}

MemStatus HostMemory::remove_window(uint64_t base, uint64_t size) {
    auto it = std::find_if(windows_.begin(), windows_.end(),
                           [&](const MemWindow &w) { return w.base == base && w.size == size; });
    if (it == windows_.end())
        return MemStatus::NoSuchWindow;
    if (it->shared)
        unshare(base);
    windows_.erase(it);
    return MemStatus::Ok;
}

const MemWindow *HostMemory::find_window(uint64_t addr) const {
    auto after = std::upper_bound(windows_.begin(), windows_.end(), addr,
                                  [](uint64_t a, const MemWindow &w) { return a < w.base; });
    if (after == windows_.begin())
        return nullptr;
    const MemWindow &w = *std::prev(after);
    return w.contains(addr) ? &w : nullptr;
}

MemStatus HostMemory::check(uint64_t addr, size_t len, MemPerm need) const {
    if (wraps(addr, len))
        return MemStatus::AddressOverflow;
    const MemWindow *w = find_window(addr);
    if (w == nullptr)
        return MemStatus::OutsideWindows;
    if (len > 0 && !w->contains(addr + (len - 1)))
        return MemStatus::CrossesWindow;
    if (!grants(w->perm, need))
        return need == MemPerm::Write ? MemStatus::NotWritable : MemStatus::NotReadable;
    return MemStatus::Ok;
}

MemStatus HostMemory::dma_read(uint64_t addr, void *dst, size_t len) const {
    MemStatus st = check(addr, len, MemPerm::Read);
    return st == MemStatus::Ok ? read(addr, dst, len) : st;
}

MemStatus HostMemory::dma_write(uint64_t addr, const void *src, size_t len) {
    MemStatus st = check(addr, len, MemPerm::Write);
    return st == MemStatus::Ok ? write(addr, src, len) : st;
}

const uint8_t *HostMemory::page_for_read(uint64_t page_index) const {
    if (uint8_t *shared = shared_.empty() ? nullptr : shared_page(page_index))
        return shared;
    auto it = pages_.find(page_index);
    return it == pages_.end() ? nullptr : it->second.get();
}

uint8_t *HostMemory::page_for_write(uint64_t page_index) {
    if (uint8_t *shared = shared_.empty() ? nullptr : shared_page(page_index))
        return shared;
    Page &page = pages_[page_index];
    if (!page)
        page.reset(new uint8_t[kPageSize]()); // value-initialised: zeros
    return page.get();
}

MemStatus HostMemory::read(uint64_t addr, void *dst, size_t len) const {
    if (wraps(addr, len))
        return MemStatus::AddressOverflow;
    uint8_t *out = static_cast<uint8_t *>(dst);
    while (len > 0) {
        size_t offset = size_t(addr % kPageSize);
        size_t chunk = std::min(len, kPageSize - offset);
        const uint8_t *page = page_for_read(addr / kPageSize);
        if (page != nullptr)
            std::memcpy(out, page + offset, chunk);
        else
            std::memset(out, 0, chunk);
        out += chunk;
        addr += chunk;
        len -= chunk;
    }
    return MemStatus::Ok;
}

MemStatus HostMemory::write(uint64_t addr, const void *src, size_t len) {
    if (wraps(addr, len))
        return MemStatus::AddressOverflow;
    const uint8_t *in = static_cast<const uint8_t *>(src);
    while (len > 0) {
        size_t offset = size_t(addr % kPageSize);
        size_t chunk = std::min(len, kPageSize - offset);
        std::memcpy(page_for_write(addr / kPageSize) + offset, in, chunk);
        mark(addr / kPageSize);
        in += chunk;
        addr += chunk;
        len -= chunk;
    }
    return MemStatus::Ok;
}

MemStatus HostMemory::fill(uint64_t addr, uint8_t value, size_t len) {
    if (wraps(addr, len))
        return MemStatus::AddressOverflow;
    while (len > 0) {
        size_t offset = size_t(addr % kPageSize);
        size_t chunk = std::min(len, kPageSize - offset);
        uint64_t index = addr / kPageSize;
        // Zeroing a page nobody wrote keeps it unallocated: it already reads 0.
        if (value != 0 || page_for_read(index) != nullptr) {
            std::memset(page_for_write(index) + offset, value, chunk);
            mark(index);
        }
        addr += chunk;
        len -= chunk;
    }
    return MemStatus::Ok;
}

std::optional<size_t> HostMemory::compare(uint64_t addr, const void *expected, size_t len) const {
    if (wraps(addr, len))
        return std::nullopt;
    const uint8_t *want = static_cast<const uint8_t *>(expected);
    size_t done = 0;
    while (done < len) {
        size_t offset = size_t(addr % kPageSize);
        size_t chunk = std::min(len - done, kPageSize - offset);
        const uint8_t *page = page_for_read(addr / kPageSize);
        bool same = page != nullptr && std::memcmp(page + offset, want + done, chunk) == 0;
        for (size_t i = 0; !same && i < chunk; ++i) {
            uint8_t have = page != nullptr ? page[offset + i] : 0;
            if (have != want[done + i])
                return done + i;
        }
        addr += chunk;
        done += chunk;
    }
    return std::nullopt;
}

void HostMemory::start_dirty_log() {
    logging_ = true;
    dirty_.clear();
}

void HostMemory::stop_dirty_log() {
    logging_ = false;
    dirty_.clear();
}

std::set<uint64_t> HostMemory::take_dirty_pages() {
    std::set<uint64_t> out;
    out.swap(dirty_);
    return out;
}

std::vector<uint64_t> HostMemory::pages_in_use() const {
    std::set<uint64_t> all;
    for (const auto &[index, page] : pages_)
        all.insert(index);
    for (const Shared &s : shared_)
        for (uint64_t off = 0; off < s.size; off += kPageSize)
            all.insert((s.base + off) / kPageSize);
    return {all.begin(), all.end()};
}

int HostMemory::renew_shared(std::string *error) {
    for (Shared &s : shared_) {
        const MemWindow *w = find_window(s.base);
        std::unique_ptr<SharedMapping> m =
            SharedMapping::create(size_t(s.size), w ? w->name : "shared", error);
        if (!m)
            return -ENOMEM;
        std::memcpy(m->data(), s.mapping->data(), size_t(s.size));
        s.mapping = std::move(m);
    }
    return 0;
}

std::unique_ptr<HostMemory> HostMemory::empty_copy(std::string *error) const {
    auto copy = std::make_unique<HostMemory>();
    for (const MemWindow &w : windows_) {
        const MemStatus st = copy->add_window(w);
        if (st != MemStatus::Ok) {
            *error = "window " + w.name + ": " + to_string(st);
            return nullptr;
        }
    }
    return copy;
}

} // namespace rcsim
