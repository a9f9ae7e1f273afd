#include "tlp_beats.hpp"

#include <algorithm>
#include <stdexcept>

namespace rcsim::tlp {

namespace {
// 4 DW header + 1024 DW payload + digest.
constexpr size_t kMaxTlpDws = 4 + 1024 + 1;

bool keep_contiguous(Keep keep) {
    return keep != 0 && (keep & Keep(keep + 1)) == 0;
}

unsigned keep_count(Keep keep) {
    unsigned n = 0;
    while (keep & 1) {
        ++n;
        keep >>= 1;
    }
    return n;
}
} // namespace

bool width_supported(unsigned w) {
    return w == 64 || w == 128 || w == 256 || w == 512;
}

std::vector<Beat> dws_to_beats(const std::vector<uint32_t> &dws, unsigned width_bits) {
    if (!width_supported(width_bits))
        throw std::invalid_argument("TLP beat width must be 64, 128, 256 or 512");
    const unsigned lanes = width_bits / 32;
    std::vector<Beat> out;
    for (size_t k = 0; k < dws.size(); ++k) {
        if (k % lanes == 0) {
            out.emplace_back();
            out.back().sop = k == 0;
        }
        out.back().lanes[k % lanes] = dws[k];
        out.back().keep |= Keep(1u << (k % lanes));
    }
    if (!out.empty())
        out.back().eop = true;
    return out;
}

std::vector<Beat> to_beats(const Tlp &tlp, unsigned width_bits) {
    return dws_to_beats(encode_dws(tlp), width_bits);
}

BeatQueue::BeatQueue(unsigned width_bits) : lanes_(width_bits / 32) {
    if (!width_supported(width_bits))
        throw std::invalid_argument("TLP beat width must be 64, 128, 256 or 512");
}

void BeatQueue::add(std::vector<uint32_t> dws) {
    if (dws.empty())
        return;
    const bool was_empty = empty();
    total_ += (dws.size() + lanes_ - 1) / lanes_;
    if (was_empty) { // everything before was taken: start over
        ends_.clear();
        tlp_ = pos_ = 0;
        dws_ = std::move(dws);
    } else {
        dws_.insert(dws_.end(), dws.begin(), dws.end());
    }
    ends_.push_back(dws_.size());
    if (was_empty)
        make_front();
}

void BeatQueue::make_front() {
    const size_t start = tlp_ == 0 ? 0 : ends_[tlp_ - 1];
    const size_t end = ends_[tlp_];
    const size_t n = std::min<size_t>(lanes_, end - pos_);
    front_ = Beat{};
    for (size_t i = 0; i < n; ++i)
        front_.lanes[i] = dws_[pos_ + i];
    front_.keep = decltype(front_.keep)((1u << n) - 1);
    front_.sop = pos_ == start;
    front_.eop = pos_ + n == end;
}

void BeatQueue::pop() {
    if (empty())
        return;
    ++taken_;
    pos_ += std::min<size_t>(lanes_, ends_[tlp_] - pos_);
    if (pos_ == ends_[tlp_])
        ++tlp_;
    if (!empty())
        make_front();
}

BeatAssembler::BeatAssembler(unsigned width_bits) : lanes_(width_bits / 32) {
    if (!width_supported(width_bits))
        throw std::invalid_argument("TLP beat width must be 64, 128, 256 or 512");
}

std::optional<Decoded> BeatAssembler::fail(std::string why) {
    in_tlp_ = false;
    last_ = std::move(cur_);
    cur_.clear();
    return Decoded::fail("beat stream: " + why);
}

std::optional<Decoded> BeatAssembler::push(const Beat &beat) {
    const Keep all = Keep((1u << lanes_) - 1);
    const Keep keep = beat.keep & all;
    if (beat.sop && in_tlp_)
        return fail("sop inside a TLP (previous TLP had no eop)");
    if (!beat.sop && !in_tlp_)
        return fail("beat without sop outside a TLP");
    if (!keep_contiguous(keep))
        return fail("keep is empty or has holes");
    if (!beat.eop && keep != all)
        return fail("keep not all ones on a beat before eop");
    in_tlp_ = true;
    for (unsigned i = 0, n = keep_count(keep); i < n; ++i)
        cur_.push_back(beat.lanes[i]);
    if (cur_.size() > kMaxTlpDws)
        return fail("TLP longer than 1029 DW without eop");
    if (!beat.eop)
        return std::nullopt;
    in_tlp_ = false;
    last_.swap(cur_); // both keep their capacity: no allocation per TLP
    cur_.clear();
    return decode_dws(last_);
}

} // namespace rcsim::tlp
