// Readers for the trace tests: JSONL records through json-c, an FNV-1a of
// our own (the definition: offset basis 0xcbf29ce484222325, prime
// 0x100000001b3, xor then multiply per byte), and a VCD reader for the
// values one FST signal took (through /usr/bin/fst2vcd).
#pragma once

#include "rtl_ports.hpp"

#include <json-c/json.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace trace_test {

using JsonPtr = std::shared_ptr<json_object>;

inline std::string fnv_hex(const std::vector<uint8_t> &bytes) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (uint8_t b : bytes) {
        h ^= b;
        h *= 0x100000001b3ull;
    }
    char s[20];
    snprintf(s, sizeof s, "%016llx", static_cast<unsigned long long>(h));
    return s;
}

inline std::vector<JsonPtr> read_jsonl(const std::string &path) {
    std::vector<JsonPtr> v;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line))
        v.emplace_back(json_tokener_parse(line.c_str()), json_object_put);
    return v;
}

inline std::string str(const JsonPtr &o, const char *key) {
    json_object *v = nullptr;
    if (!o || !json_object_object_get_ex(o.get(), key, &v))
        return "";
    return json_object_get_string(v);
}

inline int64_t num(const JsonPtr &o, const char *key) {
    json_object *v = nullptr;
    if (!o || !json_object_object_get_ex(o.get(), key, &v))
        return -1;
    return json_object_get_int64(v);
}

inline std::vector<JsonPtr> where(const std::vector<JsonPtr> &recs,
                                  const std::map<std::string, std::string> &fields) {
    std::vector<JsonPtr> out;
    for (const JsonPtr &r : recs) {
        bool ok = true;
        for (const auto &[k, v] : fields)
            ok = ok && str(r, k.c_str()) == v;
        if (ok)
            out.push_back(r);
    }
    return out;
}

// Every value the signal whose full name ends in `suffix` (e.g.
// ".ann_msg_id") took in the FST, as integers, plus its full name.
inline std::set<uint64_t> fst_values(const std::string &fst, const std::string &suffix,
                                     std::string *full_name) {
    std::set<uint64_t> values;
    FILE *p = popen(("/usr/bin/fst2vcd -f " + fst + " 2>/dev/null").c_str(), "r");
    if (!p)
        return values;
    std::vector<std::string> scope;
    std::string code;
    char buf[4096];
    while (fgets(buf, sizeof buf, p)) {
        std::istringstream ls(buf);
        std::string w;
        ls >> w;
        if (w == "$scope") {
            std::string kind, name;
            ls >> kind >> name;
            scope.push_back(name);
        } else if (w == "$upscope") {
            if (!scope.empty())
                scope.pop_back();
        } else if (w == "$var" && code.empty()) {
            std::string type, width, c, name;
            ls >> type >> width >> c >> name;
            std::string full;
            for (const std::string &s : scope)
                full += s + ".";
            full += name;
            if (full.size() >= suffix.size() &&
                full.compare(full.size() - suffix.size(), suffix.size(), suffix) == 0) {
                code = c;
                *full_name = full;
            }
        } else if (!code.empty() && w.size() > 1 && w[0] == 'b') {
            std::string c;
            ls >> c;
            if (c == code && w.find_first_not_of("01", 1) == std::string::npos)
                values.insert(std::stoull(w.substr(1), nullptr, 2));
        }
    }
    pclose(p);
    return values;
}

// The value changes of several signals (by name suffix) in time order:
// (time, index of the suffix, value); x/z values are skipped.
struct Change {
    uint64_t time;
    size_t signal;
    uint64_t value;
};
inline std::vector<Change> fst_changes(const std::string &fst,
                                       const std::vector<std::string> &suffixes) {
    std::vector<Change> out;
    FILE *p = popen(("/usr/bin/fst2vcd -f " + fst + " 2>/dev/null").c_str(), "r");
    if (!p)
        return out;
    std::vector<std::string> scope;
    std::map<std::string, size_t> codes;
    uint64_t now = 0;
    char buf[4096];
    while (fgets(buf, sizeof buf, p)) {
        std::istringstream ls(buf);
        std::string w;
        ls >> w;
        if (w == "$scope") {
            std::string kind, name;
            ls >> kind >> name;
            scope.push_back(name);
        } else if (w == "$upscope") {
            if (!scope.empty())
                scope.pop_back();
        } else if (w == "$var") {
            std::string type, width, c, name, full;
            ls >> type >> width >> c >> name;
            for (const std::string &sc : scope)
                full += sc + ".";
            full += name;
            for (size_t i = 0; i < suffixes.size(); ++i)
                if (full.size() >= suffixes[i].size() &&
                    full.compare(full.size() - suffixes[i].size(), suffixes[i].size(),
                                 suffixes[i]) == 0 &&
                    !codes.count(c))
                    codes[c] = i;
        } else if (w.size() > 1 && w[0] == '#') {
            now = std::stoull(w.substr(1));
        } else if (w.size() > 1 && w[0] == 'b' &&
                   w.find_first_not_of("01", 1) == std::string::npos) {
            std::string c;
            ls >> c;
            auto it = codes.find(c);
            if (it != codes.end())
                out.push_back(Change{now, it->second, std::stoull(w.substr(1), nullptr, 2)});
        }
    }
    pclose(p);
    return out;
}

// The FST's text labels (ann_tx_tlp, ...): each value change read as the
// ASCII GTKWave shows.

struct LabelChange {
    uint64_t time;
    std::string text; // empty: cleared
};

// A VCD binary value of a label port as the text GTKWave's ASCII display
// shows (leading zero bits are left out by the VCD, trailing NULs and the
// invisible last-byte flip dropped).
inline std::string ascii_of(const std::string &bits) {
    std::string padded = std::string((8 - bits.size() % 8) % 8, '0') + bits;
    std::string s;
    for (size_t i = 0; i < padded.size(); i += 8) {
        const char c = char(std::stoi(padded.substr(i, 8), nullptr, 2));
        if (c != '\0')
            s += c;
    }
    while (!s.empty() && s.back() == ' ')
        s.pop_back();
    return s;
}

// Value changes of the label ports, by port name (ann_tx_tlp, ...).
inline std::map<std::string, std::vector<LabelChange>> fst_labels(const std::string &fst) {
    std::map<std::string, std::vector<LabelChange>> out;
    FILE *p = popen((std::string("/usr/bin/fst2vcd") + " -f " + fst + " 2>/dev/null").c_str(), "r");
    if (!p)
        return out;
    std::map<std::string, std::string> codes;
    uint64_t now = 0;
    std::string line;
    char buf[8192];
    while (fgets(buf, sizeof buf, p)) {
        std::istringstream ls(buf);
        std::string w;
        ls >> w;
        if (w == "$var") {
            std::string type, width, code, name;
            ls >> type >> width >> code >> name;
            if (name.rfind("ann_", 0) == 0 && width == std::to_string(8 * rcsim::kLabelChars) &&
                !codes.count(code))
                codes[code] = name;
        } else if (w.size() > 1 && w[0] == '#') {
            now = std::stoull(w.substr(1));
        } else if (w.size() > 1 && w[0] == 'b') {
            std::string code;
            ls >> code;
            auto it = codes.find(code);
            if (it != codes.end())
                out[it->second].push_back(LabelChange{now, ascii_of(w.substr(1))});
        }
    }
    pclose(p);
    return out;
}

// The non-empty labels of one port.
inline std::vector<LabelChange> shown(const std::vector<LabelChange> &v) {
    std::vector<LabelChange> s;
    for (const LabelChange &c : v)
        if (!c.text.empty())
            s.push_back(c);
    return s;
}

} // namespace trace_test
