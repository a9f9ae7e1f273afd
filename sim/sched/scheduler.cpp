#include "scheduler.hpp"

#include "input_file.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace rcsim {

namespace {

// Parses an unsigned decimal number that is the whole of `s`.
bool parse_u64(const std::string &s, uint64_t *out) {
    if (s.empty() || s.size() > 19 || s.find_first_not_of("0123456789") != std::string::npos)
        return false;
    *out = std::strtoull(s.c_str(), nullptr, 10);
    return true;
}

std::vector<std::string> split(const std::string &s, char sep) {
    std::vector<std::string> parts;
    std::string cur;
    std::istringstream in(s);
    while (std::getline(in, cur, sep))
        parts.push_back(cur);
    if (!s.empty() && s.back() == sep)
        parts.emplace_back();
    return parts;
}

// splitmix64: the same numbers on every platform (std's distributions are
// implementation-defined, and a seed must name one schedule everywhere).
uint64_t splitmix(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

} // namespace

void ChoiceShape::add(size_t options) {
    if (options > 1) {
        if (offered.size() < kKept)
            offered.emplace_back(points, options);
        ++branching;
    }
    ++points;
}

std::string ChoiceShape::to_string() const {
    std::string s = std::to_string(points) + "," + std::to_string(branching);
    for (const auto &o : offered)
        s += "," + std::to_string(o.first) + "=" + std::to_string(o.second);
    return s;
}

int ChoiceShape::parse(const std::string &text, ChoiceShape *out) {
    *out = ChoiceShape{};
    const std::vector<std::string> items = split(text, ',');
    if (items.size() < 2 || !parse_u64(items[0], &out->points) ||
        !parse_u64(items[1], &out->branching) || out->branching > out->points ||
        items.size() - 2 > std::min<uint64_t>(out->branching, kKept))
        return -EINVAL;
    for (size_t i = 2; i < items.size(); ++i) {
        const size_t eq = items[i].find('=');
        uint64_t p = 0, n = 0;
        if (eq == std::string::npos || !parse_u64(items[i].substr(0, eq), &p) ||
            !parse_u64(items[i].substr(eq + 1), &n) || n < 2 || p >= out->points)
            return -EINVAL;
        out->offered.emplace_back(p, size_t(n));
    }
    return 0;
}

bool is_choice_kind(const std::string &kind) {
    return kind == "admit" || kind == "mmio" || kind == "cpl-order" || kind == "cpl-split" ||
           kind == "dma-reply" || kind == "dma-intervene" || kind == "migrate";
}

std::string plan_to_string(const std::vector<Deviation> &plan) {
    std::string s;
    for (const Deviation &d : plan)
        s += (s.empty() ? "" : ",") + std::to_string(d.point) + "=" + std::to_string(d.option);
    return s;
}

int parse_plan(const std::string &text, std::vector<Deviation> *out) {
    out->clear();
    if (text.empty())
        return 0;
    for (const std::string &item : split(text, ',')) {
        const size_t eq = item.find('=');
        uint64_t p = 0, o = 0;
        if (eq == std::string::npos || !parse_u64(item.substr(0, eq), &p) ||
            !parse_u64(item.substr(eq + 1), &o) || o == 0)
            return -EINVAL;
        out->push_back({p, size_t(o), ""});
    }
    return 0;
}

int write_labels(const std::string &path, const std::vector<Deviation> &devs) {
    std::ofstream out(path, std::ios::trunc);
    for (const Deviation &d : devs)
        out << d.label << "\n";
    out.flush();
    return out ? 0 : -EIO;
}

int Scheduler::create(const std::string &policy, std::unique_ptr<Scheduler> *out,
                      std::string *error) {
    std::unique_ptr<Scheduler> s(new Scheduler());
    s->policy_ = policy;
    const size_t colon = policy.find(':');
    const std::string name = policy.substr(0, colon);
    const std::string rest = colon == std::string::npos ? "" : policy.substr(colon + 1);
    const std::vector<std::string> args = split(rest, ':');
    uint64_t a = 0, b = 0, k = 16;
    if (policy == "fifo") {
        s->kind_ = Kind::Fifo;
    } else if (name == "random" && args.size() == 1 && parse_u64(args[0], &a)) {
        s->kind_ = Kind::Random;
        s->rng_ = a;
    } else if (name == "pct" && (args.size() == 2 || args.size() == 3) && parse_u64(args[0], &a) &&
               parse_u64(args[1], &b) && b >= 1 && b <= 64 &&
               (args.size() == 2 || (parse_u64(args[2], &k) && k >= 1))) {
        s->kind_ = Kind::Pct;
        s->rng_ = a;
        for (uint64_t i = 0; i < b; ++i)
            s->change_points_.push_back(s->next_random() % k);
    } else if (name == "plan" && colon != std::string::npos) {
        std::vector<Deviation> plan;
        if (parse_plan(rest, &plan) < 0) {
            *error = "bad plan '" + rest + "' (want POINT=OPTION,... with OPTION >= 1)";
            return -EINVAL;
        }
        s->kind_ = Kind::Plan;
        for (const Deviation &d : plan)
            s->plan_[d.point] = d.option;
    } else if (name == "labels" && !rest.empty()) {
        std::string text;
        const int rc = read_input_file(rest, kMaxSmallInputBytes, &text, error);
        if (rc < 0) {
            *error = "cannot read labels file " + rest + ": " + *error;
            return rc;
        }
        std::istringstream in(text);
        s->kind_ = Kind::Labels;
        for (std::string line; std::getline(in, line);)
            if (!line.empty())
                s->labels_.push_back(line);
    } else if (name == "replay" && !rest.empty()) {
        s->kind_ = Kind::Replay;
        s->replay_ = true;
        const int rc = read_decision_log(rest, &s->log_, error);
        if (rc < 0)
            return rc;
        for (const Decision &d : s->log_.decisions)
            if (is_choice_kind(d.kind))
                s->logged_choices_.push_back(&d);
    } else if (name == "exhaustive") {
        *error = "exhaustive:BOUND enumerates many runs: use `rcsim explore --strategy "
                 "exhaustive --bound BOUND` (each of its runs is a plan:... schedule)";
        return -EINVAL;
    } else {
        *error =
            "unknown schedule policy '" + policy +
            "' (fifo, random:SEED, pct:SEED:DEPTH[:K], plan:P=O,..., labels:FILE, replay:FILE)";
        return -EINVAL;
    }
    *out = std::move(s);
    return 0;
}

uint64_t Scheduler::next_random() {
    return splitmix(&rng_);
}

size_t Scheduler::pick_replay(const std::string &kind, const std::vector<std::string> &options) {
    const uint64_t n = shape_.points;
    if (n >= logged_choices_.size()) {
        if (!divergence_)
            divergence_ = "choice " + std::to_string(n) + " (" + kind +
                          "): the log has no more choices; fifo from here";
        return 0;
    }
    const Decision &d = *logged_choices_[n];
    const auto it = std::find(options.begin(), options.end(), d.chosen);
    if (d.kind == kind && it != options.end())
        return size_t(it - options.begin());
    if (!divergence_)
        divergence_ = "choice " + std::to_string(n) + " (decision " + std::to_string(d.index) +
                      " of the log): logged " + d.kind + " '" + d.chosen +
                      "', but this run offers " + kind + " with " + std::to_string(options.size()) +
                      " option(s), first '" + options[0] + "'";
    return 0;
}

std::optional<std::string> Scheduler::replay_divergence() const {
    if (divergence_ || !replay_ || shape_.points >= logged_choices_.size())
        return divergence_;
    return "the run ended after " + std::to_string(shape_.points) + " choice(s); the log has " +
           std::to_string(logged_choices_.size());
}

size_t Scheduler::pick(const std::string &kind, const std::vector<std::string> &options) {
    const size_t n = options.size();
    switch (kind_) {
    case Kind::Fifo:
        return 0;
    case Kind::Random:
        return n > 1 ? size_t(next_random() % n) : 0;
    case Kind::Pct: {
        if (n < 2)
            return 0;
        const uint64_t b = branching_seen_++;
        if (std::find(change_points_.begin(), change_points_.end(), b) == change_points_.end())
            return 0;
        return 1 + size_t(next_random() % (n - 1));
    }
    case Kind::Plan: {
        const auto it = plan_.find(shape_.points);
        return it != plan_.end() && it->second < n ? it->second : 0;
    }
    case Kind::Labels:
        for (auto l = labels_.begin(); l != labels_.end(); ++l) {
            const auto it = std::find(options.begin() + 1, options.end(), *l);
            if (it != options.end()) {
                labels_.erase(l);
                return size_t(it - options.begin());
            }
        }
        return 0;
    case Kind::Replay:
        return pick_replay(kind, options);
    }
    return 0;
}

size_t Scheduler::choose(const std::string &kind, const std::vector<std::string> &options) {
    if (options.empty())
        return 0;
    const size_t c = pick(kind, options);
    if (c != 0)
        deviations_.push_back({shape_.points, c, options[c]});
    shape_.add(options.size());
    return c;
}

} // namespace rcsim
