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

// The beats of one or more TLPs made one at a time, as a port takes them,
// instead of a vector of beats per TLP: it holds the TLPs' DWs back to back
// and the beat at the front. The beats are those dws_to_beats makes for each
// TLP in turn. Throws std::invalid_argument on an unsupported width.
class BeatQueue {
  public:
    explicit BeatQueue(unsigned width_bits);
    // Appends one TLP's DWs (at least one).
    void add(std::vector<uint32_t> dws);
    void add(const Tlp &tlp) { add(encode_dws(tlp)); }
    bool empty() const { return taken_ == total_; }
    size_t beats() const { return total_; } // every beat added, taken or not
    size_t taken() const { return taken_; }
    // The beat at the front; valid while !empty().
    const Beat &front() const { return front_; }
    void pop();

  private:
    void make_front();
    unsigned lanes_;
    std::vector<uint32_t> dws_;
    std::vector<size_t> ends_; // one past each TLP's last DW in dws_
    size_t total_ = 0, taken_ = 0;
    size_t tlp_ = 0, pos_ = 0; // the front beat: its TLP, its first DW
    Beat front_;
};

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
