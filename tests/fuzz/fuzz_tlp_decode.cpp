// Device-originated TLPs into the codec: the spec's wire bytes (decode_wire),
// the same bytes as DWs (decode_dws), and the beat stream of the root port's
// RX port (BeatAssembler at 64/128/256/512 bits). A decoded TLP is re-encoded and
// must decode to itself: the codec never accepts something it cannot state.
//
// Input: byte 0 selects the beat width (bits 0-1) and the first 1..N bytes
// are the TLP; for the beat path, every 2 + 4*lanes bytes are one beat
// (keep, sop/eop flags, lane DWs), 3 + 4*lanes at 512 bits (keep is two
// bytes, low first, so the high lanes' keep bits are reached too).
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "tlp.hpp"
#include "tlp_beats.hpp"

using namespace rcsim::tlp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_roundtrip(const Decoded &d) {
    if (!d.ok()) {
        if (d.error.empty()) {
            std::abort(); // a refusal must say why
        }
        return;
    }
    const Tlp &t = *d.tlp;
    (void)t.describe();
    (void)t.request_bytes();
    (void)t.enabled_bytes();
    Decoded again = decode_wire(encode_wire(t));
    if (!again.ok() || *again.tlp != t) {
        std::abort();
    }
}

static void feed_beats(unsigned width, const uint8_t *p, size_t n) {
    const unsigned lanes = width / 32;
    const size_t keep_bytes = lanes > 8 ? 2 : 1;
    const size_t beat_bytes = keep_bytes + 1 + 4 * lanes;
    BeatAssembler as(width);
    for (; n >= beat_bytes; p += beat_bytes, n -= beat_bytes) {
        Beat b;
        b.keep = p[0];
        if (keep_bytes == 2)
            b.keep = Keep(b.keep | p[1] << 8);
        const uint8_t flags = p[keep_bytes];
        b.sop = (flags & 1) != 0;
        b.eop = (flags & 2) != 0;
        std::memcpy(b.lanes.data(), p + keep_bytes + 1, 4 * lanes);
        auto r = as.push(b);
        if (r) {
            check_roundtrip(*r);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) {
        return 0;
    }
    static const unsigned widths[4] = {64, 128, 256, 512};
    const unsigned width = widths[data[0] & 3];
    std::vector<uint8_t> bytes(data + 1, data + size);
    check_roundtrip(decode_wire(bytes));

    std::vector<uint32_t> dws(bytes.size() / 4);
    for (size_t i = 0; i < dws.size(); i++) {
        dws[i] = header_dw_from_bytes(&bytes[4 * i]);
    }
    check_roundtrip(decode_dws(dws));
    feed_beats(width, data + 1, size - 1);
    return 0;
}
