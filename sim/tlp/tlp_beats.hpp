// TLP <-> beat stream of the root port's TX/RX ports: DW k of a TLP sits in
// beat k / lanes, lane k % lanes (lanes = width / 32), keep is a per-DW mask
// contiguous from lane 0, all ones on every beat but the last.
#pragma once

#include "tlp.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

namespace rcsim::tlp {

constexpr unsigned kMaxLanes = 16; // 512-bit data path (PCIe Gen4/Gen5 x16 hard IP)

// One bit per DW lane, lane 0 in bit 0.
using Keep = uint16_t;
static_assert(sizeof(Keep) * 8 >= kMaxLanes, "a keep bit per lane");

struct Beat {
    std::array<uint32_t, kMaxLanes> lanes{};
    Keep keep = 0;
    bool sop = false;
    bool eop = false;
    bool operator==(const Beat &o) const {
        return lanes == o.lanes && keep == o.keep && sop == o.sop && eop == o.eop;
    }
};

// True for the data widths the packing supports (64, 128, 256, 512).
bool width_supported(unsigned width_bits);

// Throws std::invalid_argument on an unsupported width (a programming error,
// not hostile input).
std::vector<Beat> dws_to_beats(const std::vector<uint32_t> &dws, unsigned width_bits);
std::vector<Beat> to_beats(const Tlp &tlp, unsigned width_bits);

// Collects beats into TLPs. push() returns a result when a TLP ends (eop) or
// when the stream itself is broken (data outside sop..eop, keep with holes or
// short keep before eop, a TLP longer than any legal one).
class BeatAssembler {
  public:
    explicit BeatAssembler(unsigned width_bits);
    std::optional<Decoded> push(const Beat &beat);
    // DW vector of the last TLP completed (valid after push returned).
    const std::vector<uint32_t> &last_dws() const { return last_; }
    bool in_tlp() const { return in_tlp_; }

  private:
    std::optional<Decoded> fail(std::string why);
    unsigned lanes_;
    bool in_tlp_ = false;
    std::vector<uint32_t> cur_;
    std::vector<uint32_t> last_;
};

} // namespace rcsim::tlp
