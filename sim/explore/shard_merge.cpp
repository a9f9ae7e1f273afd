#include "shard_merge.hpp"

#include "input_file.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>

namespace rcsim {

namespace {

std::string quoted(const Settings &s, const std::string &key) {
    const auto it = s.find(key);
    return it == s.end() ? "nothing" : "\"" + it->second + "\"";
}

// "setup NAME: A has "X", B has "Y"" for every name either side has.
void setup_differences(const ShardRecord &a, const std::string &an, const ShardRecord &b,
                       const std::string &bn, std::vector<std::string> *out) {
    Settings keys = a.setup;
    keys.insert(b.setup.begin(), b.setup.end());
    for (const auto &kv : keys) {
        const std::string x = quoted(a.setup, kv.first), y = quoted(b.setup, kv.first);
        if (x != y)
            out->push_back("setup " + kv.first + ": " + an + " has " + x + ", " + bn + " has " + y);
    }
}

bool same_prelude(const ExplorePrelude &a, const ExplorePrelude &b) {
    return a.runs == b.runs && a.failures == b.failures && a.errors == b.errors &&
           a.categories == b.categories && a.classes == b.classes;
}

size_t minus(size_t a, size_t b) {
    return a > b ? a - b : 0;
}

size_t lookup(const std::map<std::string, size_t> &m, const std::string &key) {
    const auto it = m.find(key);
    return it == m.end() ? 0 : it->second;
}

void merge_totals(const ShardRecord &r, size_t repeats, const ExplorePrelude &p,
                  ExploreSummary *m) {
    const ExploreSummary &s = r.summary;
    // minus(): a summary that claims fewer runs than its prelude is refused
    // earlier (same_prelude); never wrap around here either way.
    m->runs += minus(s.runs, repeats ? p.runs : 0);
    m->failures += minus(s.failures, repeats ? p.failures : 0);
    m->errors += minus(s.errors, repeats ? p.errors : 0);
    if (s.first_failure_run &&
        (!m->first_failure_run || s.first_failure_run < m->first_failure_run))
        m->first_failure_run = s.first_failure_run;
    m->incomplete = m->incomplete || s.incomplete;
    m->branching = std::max(m->branching, s.branching);
    m->hashes.insert(s.hashes.begin(), s.hashes.end());
    for (const std::string &e : s.errors_seen)
        if (m->errors_seen.size() < 5 &&
            std::find(m->errors_seen.begin(), m->errors_seen.end(), e) == m->errors_seen.end())
            m->errors_seen.push_back(e);
    for (const auto &[name, n] : s.categories)
        m->categories[name] += minus(n, repeats ? lookup(p.categories, name) : 0);
    m->queue_peak = std::max(m->queue_peak, s.queue_peak);
    m->seconds += s.seconds;
}

// Every class once: counts added (a prelude's counted once), the instance
// with the smallest first run kept.
void merge_classes(const ShardRecord &r, size_t repeats, const ExplorePrelude &p,
                   std::vector<FailureClass> *classes) {
    for (const FailureClass &c : r.summary.classes) {
        const size_t extra = minus(c.count, repeats ? lookup(p.classes, c.name) : 0);
        auto it = std::find_if(classes->begin(), classes->end(),
                               [&](const FailureClass &k) { return k.name == c.name; });
        if (it == classes->end()) {
            classes->push_back(c);
            classes->back().count = extra;
            continue;
        }
        const size_t count = it->count + extra;
        if (c.first_run < it->first_run)
            *it = c;
        it->count = count;
    }
}

std::string copy_file(const std::string &from, const std::string &to) {
    std::string bytes, err;
    if (read_input_file(from, kMaxDecisionLogBytes, &bytes, &err) < 0)
        return from + ": " + err;
    std::ofstream f(to, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), std::streamsize(bytes.size()));
    f.close();
    return f ? "" : to + ": cannot write";
}

} // namespace

std::vector<std::string> shard_refusals(const std::vector<ShardRecord> &shards,
                                        const std::vector<std::string> &dirs) {
    std::vector<std::string> out;
    if (shards.empty())
        return {"no shards"};
    const ShardRecord &first = shards[0];
    std::map<size_t, size_t> seen; // index -> place in shards
    for (size_t i = 0; i < shards.size(); ++i) {
        const ShardRecord &r = shards[i];
        setup_differences(first, dirs[0], r, dirs[i], &out);
        if (r.count != first.count) {
            out.push_back("shard count: " + dirs[0] + " is one of " + std::to_string(first.count) +
                          ", " + dirs[i] + " one of " + std::to_string(r.count));
            continue;
        }
        if (!same_prelude(first.summary.prelude, r.summary.prelude))
            out.push_back("prelude (the runs every shard repeats): " + dirs[i] + " differs from " +
                          dirs[0]);
        const auto [at, fresh] = seen.emplace(r.index, i);
        if (!fresh)
            out.push_back("shard " + std::to_string(r.index) + "/" + std::to_string(r.count) +
                          " given twice: " + dirs[at->second] + " and " + dirs[i]);
    }
    for (size_t k = 0; k < first.count && out.empty(); ++k)
        if (!seen.count(k))
            out.push_back("shard " + std::to_string(k) + "/" + std::to_string(first.count) +
                          " missing");
    return out;
}

ShardRecord merge_shards(const std::vector<ShardRecord> &shards) {
    ShardRecord m;
    m.setup = shards[0].setup;
    const ExplorePrelude &p = shards[0].summary.prelude;
    m.summary.prelude = p;
    for (size_t i = 0; i < shards.size(); ++i) {
        merge_totals(shards[i], i, p, &m.summary);
        merge_classes(shards[i], i, p, &m.summary.classes);
    }
    std::stable_sort(
        m.summary.classes.begin(), m.summary.classes.end(),
        [](const FailureClass &a, const FailureClass &b) { return a.first_run < b.first_run; });
    return m;
}

std::string publish_merge(const std::string &out, ShardRecord *merged) {
    if (mkdir(out.c_str(), 0755) < 0 && errno != EEXIST)
        return out + ": " + std::strerror(errno);
    size_t n = 0;
    for (FailureClass &c : merged->summary.classes) {
        ++n;
        if (c.log_path.empty())
            continue;
        const std::string to = out + "/failure-" + std::to_string(n) + ".jsonl";
        const std::string err = copy_file(c.log_path, to);
        if (!err.empty())
            return err;
        c.log_path = to;
    }
    return write_shard_summary(out, *merged);
}

} // namespace rcsim
