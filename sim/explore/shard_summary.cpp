#include "shard_summary.hpp"

#include "input_file.hpp"
#include "sha256.hpp"

#include <json-c/json.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace rcsim {

namespace {

using Json = std::unique_ptr<json_object, int (*)(json_object *)>;

std::string summary_path(const std::string &dir) {
    return dir + "/" + kShardSummaryFile;
}

// ---- writing ----------------------------------------------------------------

json_object *str(const std::string &s) {
    return json_object_new_string_len(s.data(), int(s.size()));
}
json_object *num(size_t n) {
    return json_object_new_int64(int64_t(n));
}

json_object *count_map(const std::map<std::string, size_t> &m) {
    json_object *o = json_object_new_object();
    for (const auto &[k, v] : m)
        json_object_object_add(o, k.c_str(), num(v));
    return o;
}

json_object *deviations(const std::vector<Deviation> &devs) {
    json_object *a = json_object_new_array();
    for (const Deviation &d : devs) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "point", num(size_t(d.point)));
        json_object_object_add(o, "option", num(d.option));
        json_object_object_add(o, "label", str(d.label));
        json_object_array_add(a, o);
    }
    return a;
}

json_object *totals(const ExploreSummary &s) {
    json_object *o = json_object_new_object();
    json_object_object_add(o, "runs", num(s.runs));
    json_object_object_add(o, "failures", num(s.failures));
    json_object_object_add(o, "errors", num(s.errors));
    json_object_object_add(o, "first_failure_run", num(s.first_failure_run));
    json_object_object_add(o, "incomplete", json_object_new_boolean(s.incomplete));
    json_object_object_add(o, "branching", num(s.branching));
    json_object_object_add(o, "queue_peak", json_object_new_int64(s.queue_peak));
    json_object_object_add(o, "seconds", json_object_new_double(s.seconds));
    json_object *h = json_object_new_array();
    for (const std::string &x : s.hashes)
        json_object_array_add(h, str(x));
    json_object_object_add(o, "interleavings", h);
    json_object *e = json_object_new_array();
    for (const std::string &x : s.errors_seen)
        json_object_array_add(e, str(x));
    json_object_object_add(o, "errors_seen", e);
    json_object_object_add(o, "categories", count_map(s.categories));
    return o;
}

json_object *prelude(const ExplorePrelude &p) {
    json_object *o = json_object_new_object();
    json_object_object_add(o, "runs", num(p.runs));
    json_object_object_add(o, "failures", num(p.failures));
    json_object_object_add(o, "errors", num(p.errors));
    json_object_object_add(o, "categories", count_map(p.categories));
    json_object_object_add(o, "classes", count_map(p.classes));
    return o;
}

// The log path relative to dir ("" when there is none).
std::string relative_log(const std::string &dir, const std::string &log) {
    const std::string prefix = dir + "/";
    return log.compare(0, prefix.size(), prefix) == 0 ? log.substr(prefix.size()) : log;
}

json_object *failure_class(const std::string &dir, const FailureClass &c) {
    json_object *o = json_object_new_object();
    json_object_object_add(o, "name", str(c.name));
    json_object_object_add(o, "category", str(c.category));
    json_object_object_add(o, "count", num(c.count));
    json_object_object_add(o, "first_run", num(c.first_run));
    json_object_object_add(o, "policy", str(c.policy));
    json_object_object_add(o, "original", deviations(c.original));
    json_object_object_add(o, "minimal", deviations(c.minimal));
    json_object_object_add(o, "shrink_runs", num(c.shrink_runs));
    json_object_object_add(o, "log", str(c.log_path.empty() ? "" : relative_log(dir, c.log_path)));
    json_object_object_add(o, "details", str(c.details));
    json_object_object_add(o, "note", str(c.note));
    return o;
}

// ---- reading: each getter returns an error text, empty on success ----------

std::string get(json_object *obj, const std::string &where, const char *key, json_type type,
                json_object **out) {
    json_object *v = nullptr;
    if (!json_object_object_get_ex(obj, key, &v))
        return "missing field \"" + where + key + "\"";
    if (!json_object_is_type(v, type))
        return "field \"" + where + key + "\" must be a " + json_type_to_name(type);
    *out = v;
    return {};
}

std::string get_str(json_object *obj, const std::string &where, const char *key, std::string *out) {
    json_object *v = nullptr;
    std::string err = get(obj, where, key, json_type_string, &v);
    if (err.empty())
        out->assign(json_object_get_string(v), size_t(json_object_get_string_len(v)));
    return err;
}

std::string get_size(json_object *obj, const std::string &where, const char *key, size_t *out) {
    json_object *v = nullptr;
    std::string err = get(obj, where, key, json_type_int, &v);
    if (!err.empty())
        return err;
    errno = 0;
    const int64_t n = json_object_get_int64(v);
    if (n < 0 || errno != 0)
        return "field \"" + where + key + "\" must be a non-negative 64-bit integer";
    *out = size_t(n);
    return {};
}

std::string get_counts(json_object *obj, const std::string &where, const char *key,
                       std::map<std::string, size_t> *out) {
    json_object *m = nullptr;
    std::string err = get(obj, where, key, json_type_object, &m);
    if (!err.empty())
        return err;
    const std::string inner = where + key + ".";
    json_object_object_foreach(m, name, value) {
        (void)value;
        if (!(err = get_size(m, inner, name, &(*out)[name])).empty())
            return err;
    }
    return {};
}

std::string get_strings(json_object *obj, const std::string &where, const char *key,
                        std::vector<std::string> *out) {
    json_object *a = nullptr;
    std::string err = get(obj, where, key, json_type_array, &a);
    if (!err.empty())
        return err;
    for (size_t i = 0; i < json_object_array_length(a); ++i) {
        json_object *item = json_object_array_get_idx(a, i);
        if (!json_object_is_type(item, json_type_string))
            return "field \"" + where + key + "\" must hold only strings";
        out->emplace_back(json_object_get_string(item), size_t(json_object_get_string_len(item)));
    }
    return {};
}

std::string get_deviations(json_object *obj, const std::string &where, const char *key,
                           std::vector<Deviation> *out) {
    json_object *a = nullptr;
    std::string err = get(obj, where, key, json_type_array, &a);
    if (!err.empty())
        return err;
    const std::string inner = where + key + "[].";
    for (size_t i = 0; i < json_object_array_length(a); ++i) {
        json_object *item = json_object_array_get_idx(a, i);
        if (!json_object_is_type(item, json_type_object))
            return "field \"" + where + key + "\" must hold only objects";
        Deviation d;
        size_t point = 0;
        if (!(err = get_size(item, inner, "point", &point)).empty() ||
            !(err = get_size(item, inner, "option", &d.option)).empty() ||
            !(err = get_str(item, inner, "label", &d.label)).empty())
            return err;
        d.point = point;
        out->push_back(d);
    }
    return {};
}

std::string parse_setup(json_object *root, ShardRecord *r) {
    json_object *setup = nullptr, *shard = nullptr;
    std::string err;
    if (!(err = get(root, "", "setup", json_type_object, &setup)).empty())
        return err;
    json_object_object_foreach(setup, key, value) {
        if (!json_object_is_type(value, json_type_string))
            return std::string("field \"setup.") + key + "\" must be a string";
        r->setup[key] = json_object_get_string(value);
    }
    if (!(err = get(root, "", "shard", json_type_object, &shard)).empty() ||
        !(err = get_size(shard, "shard.", "index", &r->index)).empty() ||
        !(err = get_size(shard, "shard.", "count", &r->count)).empty())
        return err;
    if (r->count == 0 || r->index >= r->count)
        return "field \"shard\": index " + std::to_string(r->index) + " of " +
               std::to_string(r->count) + " (wants index < count)";
    return {};
}

std::string parse_totals(json_object *root, ExploreSummary *s) {
    json_object *t = nullptr, *v = nullptr;
    std::string err;
    std::vector<std::string> hashes;
    if (!(err = get(root, "", "totals", json_type_object, &t)).empty() ||
        !(err = get_size(t, "totals.", "runs", &s->runs)).empty() ||
        !(err = get_size(t, "totals.", "failures", &s->failures)).empty() ||
        !(err = get_size(t, "totals.", "errors", &s->errors)).empty() ||
        !(err = get_size(t, "totals.", "first_failure_run", &s->first_failure_run)).empty() ||
        !(err = get_size(t, "totals.", "branching", &s->branching)).empty() ||
        !(err = get_strings(t, "totals.", "interleavings", &hashes)).empty() ||
        !(err = get_strings(t, "totals.", "errors_seen", &s->errors_seen)).empty() ||
        !(err = get_counts(t, "totals.", "categories", &s->categories)).empty() ||
        !(err = get(t, "totals.", "incomplete", json_type_boolean, &v)).empty())
        return err;
    s->incomplete = json_object_get_boolean(v);
    if (!(err = get(t, "totals.", "queue_peak", json_type_int, &v)).empty())
        return err;
    s->queue_peak = json_object_get_int64(v);
    if (!json_object_object_get_ex(t, "seconds", &v) ||
        !(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)))
        return "field \"totals.seconds\" must be a number";
    s->seconds = json_object_get_double(v);
    s->hashes.insert(hashes.begin(), hashes.end());
    if (s->failures + s->errors > s->runs)
        return "field \"totals\": more failures and errors than runs";
    return {};
}

std::string parse_prelude(json_object *root, const ExploreSummary &s, ExplorePrelude *p) {
    json_object *o = nullptr;
    std::string err;
    if (!(err = get(root, "", "prelude", json_type_object, &o)).empty() ||
        !(err = get_size(o, "prelude.", "runs", &p->runs)).empty() ||
        !(err = get_size(o, "prelude.", "failures", &p->failures)).empty() ||
        !(err = get_size(o, "prelude.", "errors", &p->errors)).empty() ||
        !(err = get_counts(o, "prelude.", "categories", &p->categories)).empty() ||
        !(err = get_counts(o, "prelude.", "classes", &p->classes)).empty())
        return err;
    if (p->runs > s.runs || p->failures > s.failures || p->errors > s.errors)
        return "field \"prelude\": more than the totals";
    return {};
}

// A log is named by explore as failure-N.jsonl in its own directory:
// anything else (a path out of the directory) is refused.
bool plain_log_name(const std::string &name) {
    const std::string pre = "failure-", post = ".jsonl";
    if (name.size() <= pre.size() + post.size() || name.compare(0, pre.size(), pre) != 0 ||
        name.compare(name.size() - post.size(), post.size(), post) != 0)
        return false;
    const std::string n = name.substr(pre.size(), name.size() - pre.size() - post.size());
    return n.find_first_not_of("0123456789") == std::string::npos;
}

std::string parse_class(json_object *o, const std::string &dir, FailureClass *c) {
    const std::string w = "classes[].";
    std::string err, log;
    if (!json_object_is_type(o, json_type_object))
        return "field \"classes\" must hold only objects";
    if (!(err = get_str(o, w, "name", &c->name)).empty() ||
        !(err = get_str(o, w, "category", &c->category)).empty() ||
        !(err = get_size(o, w, "count", &c->count)).empty() ||
        !(err = get_size(o, w, "first_run", &c->first_run)).empty() ||
        !(err = get_str(o, w, "policy", &c->policy)).empty() ||
        !(err = get_deviations(o, w, "original", &c->original)).empty() ||
        !(err = get_deviations(o, w, "minimal", &c->minimal)).empty() ||
        !(err = get_size(o, w, "shrink_runs", &c->shrink_runs)).empty() ||
        !(err = get_str(o, w, "log", &log)).empty() ||
        !(err = get_str(o, w, "details", &c->details)).empty() ||
        !(err = get_str(o, w, "note", &c->note)).empty())
        return err;
    if (c->count == 0 || c->first_run == 0)
        return "field \"classes[].count\"/\"first_run\" of class '" + c->name + "' is 0";
    if (!log.empty() && !plain_log_name(log))
        return "field \"classes[].log\" of class '" + c->name + "': '" + log +
               "' is not failure-N.jsonl";
    c->log_path = log.empty() ? "" : dir + "/" + log;
    return {};
}

std::string parse_record(json_object *root, const std::string &dir, ShardRecord *r) {
    std::string err, format;
    size_t version = 0;
    json_object *classes = nullptr;
    if (!json_object_is_type(root, json_type_object))
        return "not a JSON object";
    if (!(err = get_str(root, "", "format", &format)).empty() ||
        !(err = get_size(root, "", "version", &version)).empty())
        return err;
    if (format != kShardSummaryFormat || version != size_t(kShardSummaryVersion))
        return "field \"format\"/\"version\": '" + format + "' version " + std::to_string(version) +
               ", not '" + kShardSummaryFormat + "' version " +
               std::to_string(kShardSummaryVersion);
    if (!(err = parse_setup(root, r)).empty() || !(err = parse_totals(root, &r->summary)).empty() ||
        !(err = parse_prelude(root, r->summary, &r->summary.prelude)).empty() ||
        !(err = get(root, "", "classes", json_type_array, &classes)).empty())
        return err;
    for (size_t i = 0; i < json_object_array_length(classes); ++i) {
        FailureClass c;
        if (!(err = parse_class(json_object_array_get_idx(classes, i), dir, &c)).empty())
            return err;
        r->summary.classes.push_back(c);
    }
    return {};
}

} // namespace

std::string exploration_setup(const std::string &scenario, const RunSpec &spec,
                              const ExploreOptions &opt, const Settings &pinned, Settings *out) {
    std::string sha;
    const int rc = sha256_file_hex(spec.scenario, &sha);
    if (rc < 0)
        return spec.scenario + ": " + std::strerror(-rc);
    Settings &s = *out;
    s["scenario"] = scenario;
    s["scenario sha256"] = sha;
    std::string argv;
    for (const std::string &a : spec.server_argv)
        argv += (argv.empty() ? "" : " ") + a;
    s["server"] = spec.server_argv.empty() ? "socket " + spec.socket : argv;
    s["strategy"] = opt.strategy;
    s["runs"] = std::to_string(opt.runs);
    s["seed"] = std::to_string(opt.seed);
    s["depth"] = std::to_string(opt.depth);
    s["bound"] = std::to_string(opt.bound);
    s["reset"] = opt.device_reset ? "device" : "process";
    s["shrink"] = opt.shrink ? "yes" : "no";
    s["stop at first"] = opt.stop_at_first_failure ? "yes" : "no";
    for (const auto &[name, value] : pinned)
        s["setting " + name] = value;
    return {};
}

std::string write_shard_summary(const std::string &dir, const ShardRecord &r) {
    Json root(json_object_new_object(), json_object_put);
    json_object *o = root.get();
    json_object_object_add(o, "format", str(kShardSummaryFormat));
    json_object_object_add(o, "version", json_object_new_int(kShardSummaryVersion));
    json_object *setup = json_object_new_object();
    for (const auto &[k, v] : r.setup)
        json_object_object_add(setup, k.c_str(), str(v));
    json_object_object_add(o, "setup", setup);
    json_object *shard = json_object_new_object();
    json_object_object_add(shard, "index", num(r.index));
    json_object_object_add(shard, "count", num(r.count));
    json_object_object_add(o, "shard", shard);
    json_object_object_add(o, "totals", totals(r.summary));
    json_object_object_add(o, "prelude", prelude(r.summary.prelude));
    json_object *classes = json_object_new_array();
    for (const FailureClass &c : r.summary.classes)
        json_object_array_add(classes, failure_class(dir, c));
    json_object_object_add(o, "classes", classes);
    const std::string path = summary_path(dir);
    FILE *f = std::fopen(path.c_str(), "w");
    if (!f)
        return path + ": " + std::strerror(errno);
    const char *text =
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
    const bool ok = std::fputs(text, f) >= 0 && std::fputc('\n', f) != EOF;
    if (std::fclose(f) != 0 || !ok)
        return path + ": write failed";
    return {};
}

std::string read_shard_summary(const std::string &dir, ShardRecord *r) {
    const std::string path = summary_path(dir);
    std::string text, err;
    if (read_input_file(path, kMaxShardSummaryBytes, &text, &err) < 0)
        return path + ": " + err;
    json_tokener *tok = json_tokener_new();
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    json_object *parsed = json_tokener_parse_ex(tok, text.c_str(), int(text.size()));
    const json_tokener_error jerr = json_tokener_get_error(tok);
    const size_t end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    Json root(parsed, json_object_put);
    if (!parsed)
        return path + ": " +
               (jerr == json_tokener_continue
                    ? std::string("truncated JSON")
                    : std::string("bad JSON: ") + json_tokener_error_desc(jerr));
    if (text.find_first_not_of(" \t\r\n", end) != std::string::npos)
        return path + ": trailing characters after the JSON object";
    *r = ShardRecord{};
    err = parse_record(parsed, dir, r);
    return err.empty() ? "" : path + ": " + err;
}

} // namespace rcsim
