#include "payload_beats.hpp"

#include <algorithm>

namespace rcsim::fabric {

bool carries_beats(const tlp::Tlp &t) {
    return t.has_data() && !t.payload.empty() && t.type != tlp::TlpType::CfgWr0;
}

std::vector<uint32_t> payload_dws(const tlp::Tlp &t) {
    std::vector<uint32_t> dws((t.payload.size() + 3) / 4, 0);
    for (size_t i = 0; i < t.payload.size(); i++)
        dws[i / 4] |= uint32_t(t.payload[i]) << (8 * (i % 4));
    return dws;
}

void restore_payload(tlp::Tlp *t, const Fields &f, const std::vector<uint32_t> &dws) {
    if (t->type == tlp::TlpType::CfgWr0) {
        t->payload = {uint8_t(f.data), uint8_t(f.data >> 8), uint8_t(f.data >> 16),
                      uint8_t(f.data >> 24)};
        return;
    }
    t->payload.resize(4 * dws.size());
    for (size_t i = 0; i < t->payload.size(); i++)
        t->payload[i] = uint8_t(dws[i / 4] >> (8 * (i % 4)));
}

bool cut_beat(const std::vector<uint32_t> &dws, bool complete, size_t k, unsigned lanes,
              tlp::Beat *out) {
    const size_t first = k * lanes;
    if (first >= dws.size())
        return false;
    const size_t n = std::min<size_t>(lanes, dws.size() - first);
    if (n < lanes && !complete)
        return false;
    *out = tlp::Beat{};
    for (size_t j = 0; j < n; j++) {
        out->lanes[j] = dws[first + j];
        out->keep |= tlp::Keep(1u << j);
    }
    out->sop = k == 0;
    out->eop = complete && first + n == dws.size();
    return true;
}

void append_beat(std::vector<uint32_t> *dws, const tlp::Beat &b, unsigned lanes) {
    for (unsigned j = 0; j < lanes; j++) {
        if (b.keep & (1u << j))
            dws->push_back(b.lanes[j]);
    }
}

} // namespace rcsim::fabric
