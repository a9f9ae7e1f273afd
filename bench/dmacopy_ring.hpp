// The dmacopy ring the DMA benches drive through the harness: where the
// ring, the source and the destination live in host memory, a descriptor's
// bytes (server-models/models/dmacopy/dmacopy.c) and one copy of kBytes.
// Header-only, C++ benches.
#pragma once

#include "harness.hpp"

#include <cstdint>
#include <cstring>

namespace rcsim::bench {

constexpr uint32_t kBytes = 1u << 20;
constexpr uint64_t kBase = 0x10000000, kRing = kBase, kSrc = kBase + 0x100000,
                   kDst = kBase + 0x400000, kSize = 0x1000000;

// 32 bytes: source, destination, length, zero-padded.
inline void descriptor(uint8_t *d, uint64_t src, uint64_t dst, uint32_t len) {
    memset(d, 0, 32);
    memcpy(d, &src, 8);
    memcpy(d + 8, &dst, 8);
    memcpy(d + 16, &len, 4);
}

// One copy of kBytes through the harness; the ring holds 2 slots, so the
// doorbell alternates between them. True when the copy completed as copy n.
inline bool copy_via_rtl(Harness &h, unsigned n) {
    const unsigned slot = n % 2;
    uint8_t d[32];
    descriptor(d, kSrc, kDst, kBytes);
    h.memory().write(kRing + 32 * slot, d, 32);
    return h.mmio_write(0, 0x10, 4, (slot + 1) % 2) == HostStatus::SC && h.drain(50000000) &&
           h.mmio_read(0, 0x20, 4).value == n + 1;
}

} // namespace rcsim::bench
