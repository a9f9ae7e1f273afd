#include "failure_notes.hpp"

namespace rcsim {

std::string with_thousands(uint64_t n) {
    std::string digits = std::to_string(n), out;
    for (size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0)
            out += ',';
        out += digits[i];
    }
    return out;
}

void FailureNotes::add(std::string what) {
    if (what.size() > kMaxNoteBytes)
        what = what.substr(0, kMaxNoteBytes) + " ...";
    const auto it = index_.find(what);
    if (it != index_.end()) {
        ++notes_[it->second].second;
        return;
    }
    if (notes_.size() >= kMaxDistinct) {
        ++unlisted_;
        return;
    }
    index_.emplace(what, notes_.size());
    notes_.emplace_back(std::move(what), 0);
}

std::vector<std::string> FailureNotes::lines() const {
    std::vector<std::string> out;
    out.reserve(notes_.size() + 1);
    for (const auto &[note, repeats] : notes_)
        out.push_back(repeats == 0 ? note
                                   : note + " (repeated " + with_thousands(repeats) +
                                         (repeats == 1 ? " time)" : " times)"));
    if (unlisted_ > 0)
        out.push_back("(" + with_thousands(unlisted_) + " more distinct failures not listed)");
    return out;
}

} // namespace rcsim
