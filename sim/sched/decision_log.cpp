#include "decision_log.hpp"

#include "input_file.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sstream>
#include <json-c/json.h>

#ifndef RCSIM_VERSION
#error "RCSIM_VERSION must be defined by the build (PROJECT_VERSION)"
#endif

namespace rcsim {

namespace {

// Owns one json_object reference.
struct JsonRef {
    json_object *obj;
    explicit JsonRef(json_object *o) : obj(o) {}
    ~JsonRef() { json_object_put(obj); }
    JsonRef(const JsonRef &) = delete;
    JsonRef &operator=(const JsonRef &) = delete;
};

json_object *string_array(const std::vector<std::string> &items) {
    json_object *arr = json_object_new_array();
    for (const std::string &s : items)
        json_object_array_add(arr, json_object_new_string_len(s.data(), int(s.size())));
    return arr;
}

void add_string(json_object *obj, const char *key, const std::string &value) {
    json_object_object_add(obj, key, json_object_new_string_len(value.data(), int(value.size())));
}

std::string plain(json_object *obj) {
    return json_object_to_json_string_ext(obj,
                                          JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

// --- reading: each getter returns an error text, empty on success -------------

std::string get_field(json_object *obj, const char *key, json_type type, json_object **out) {
    json_object *v = nullptr;
    if (!json_object_object_get_ex(obj, key, &v))
        return std::string("missing field \"") + key + "\"";
    if (!json_object_is_type(v, type))
        return std::string("field \"") + key + "\" must be a " + json_type_to_name(type);
    *out = v;
    return {};
}

std::string get_string(json_object *obj, const char *key, std::string *out) {
    json_object *v = nullptr;
    std::string err = get_field(obj, key, json_type_string, &v);
    if (err.empty())
        out->assign(json_object_get_string(v), size_t(json_object_get_string_len(v)));
    return err;
}

std::string get_u64(json_object *obj, const char *key, uint64_t *out) {
    json_object *v = nullptr;
    std::string err = get_field(obj, key, json_type_int, &v);
    if (!err.empty())
        return err;
    errno = 0;
    int64_t n = json_object_get_int64(v);
    if (n < 0 || errno != 0)
        return std::string("field \"") + key + "\" must be a non-negative 64-bit integer";
    *out = uint64_t(n);
    return {};
}

std::string get_string_array(json_object *obj, const char *key, std::vector<std::string> *out) {
    json_object *arr = nullptr;
    std::string err = get_field(obj, key, json_type_array, &arr);
    if (!err.empty())
        return err;
    out->clear();
    for (size_t i = 0; i < json_object_array_length(arr); ++i) {
        json_object *item = json_object_array_get_idx(arr, i);
        if (!json_object_is_type(item, json_type_string))
            return std::string("field \"") + key + "\" must hold only strings";
        out->emplace_back(json_object_get_string(item), size_t(json_object_get_string_len(item)));
    }
    return {};
}

// "topology": {"path", "sha256", "devices": [{"name", "argv", "sha256"}]},
// only in a topology run's log.
std::string parse_topology_pins(json_object *obj, LogHeader *h) {
    json_object *topo = nullptr, *devices = nullptr;
    if (!json_object_object_get_ex(obj, "topology", &topo))
        return {};
    std::string err;
    if (!json_object_is_type(topo, json_type_object))
        return "\"topology\" must be an object";
    if (!(err = get_string(topo, "path", &h->topology_path)).empty() ||
        !(err = get_string(topo, "sha256", &h->topology_sha256)).empty() ||
        !(err = get_field(topo, "devices", json_type_array, &devices)).empty())
        return err;
    const size_t n = json_object_array_length(devices);
    if (n == 0 || n > 32)
        return "\"topology\" lists " + std::to_string(n) + " devices (1 to 32)";
    for (size_t i = 0; i < n; ++i) {
        json_object *d = json_object_array_get_idx(devices, i);
        LogDevice dev;
        if (!json_object_is_type(d, json_type_object))
            return "a topology device must be an object";
        if (!(err = get_string(d, "name", &dev.name)).empty() ||
            !(err = get_string_array(d, "argv", &dev.argv)).empty() ||
            !(err = get_string(d, "sha256", &dev.sha256)).empty())
            return err;
        h->devices.push_back(std::move(dev));
    }
    return {};
}

std::string parse_header(json_object *obj, LogHeader *h) {
    uint64_t format = 0;
    json_object *scenario = nullptr, *server = nullptr, *rtl = nullptr;
    std::string err;
    if (!(err = get_u64(obj, "format", &format)).empty())
        return err;
    if (format != uint64_t(LogHeader::kFormat))
        return "unsupported log format " + std::to_string(format);
    if (!(err = get_string(obj, "rcsim_version", &h->rcsim_version)).empty() ||
        !(err = get_string(obj, "policy", &h->policy)).empty() ||
        !(err = get_field(obj, "scenario", json_type_object, &scenario)).empty() ||
        !(err = get_string(scenario, "path", &h->scenario_path)).empty() ||
        !(err = get_string(scenario, "sha256", &h->scenario_sha256)).empty() ||
        !(err = get_field(obj, "server", json_type_object, &server)).empty() ||
        !(err = get_string_array(server, "argv", &h->server_argv)).empty() ||
        !(err = get_string(server, "sha256", &h->server_sha256)).empty() ||
        !(err = get_field(obj, "rtl", json_type_object, &rtl)).empty())
        return err;
    json_object_object_foreach(rtl, key, value) {
        if (!json_object_is_type(value, json_type_string))
            return std::string("rtl setting \"") + key + "\" must be a string";
        h->rtl_settings[key] = json_object_get_string(value);
    }
    return parse_topology_pins(obj, h);
}

std::string parse_decision(json_object *obj, Decision *d) {
    std::string err;
    if (!(err = get_u64(obj, "index", &d->index)).empty() ||
        !(err = get_u64(obj, "sim_time_ps", &d->sim_time_ps)).empty() ||
        !(err = get_string(obj, "kind", &d->kind)).empty() ||
        !(err = get_string_array(obj, "options", &d->options)).empty() ||
        !(err = get_string(obj, "chosen", &d->chosen)).empty())
        return err;
    json_object *waited = nullptr;
    if (json_object_object_get_ex(obj, "wall_waited_us", &waited)) {
        uint64_t us = 0;
        if (!(err = get_u64(obj, "wall_waited_us", &us)).empty())
            return err;
        d->wall_waited_us = us;
    }
    return validate_decision(*d);
}

// Parses one line as exactly one JSON object.
std::string parse_line(const std::string &line, json_object **out) {
    if (line.find_first_not_of(" \t\r") == std::string::npos)
        return "empty line";
    json_tokener *tok = json_tokener_new();
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    json_object *obj = json_tokener_parse_ex(tok, line.c_str(), int(line.size()));
    json_tokener_error jerr = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (obj == nullptr) {
        return jerr == json_tokener_continue
                   ? "incomplete JSON"
                   : std::string("bad JSON: ") + json_tokener_error_desc(jerr);
    }
    if (line.find_first_not_of(" \t\r", end) != std::string::npos) {
        json_object_put(obj);
        return "trailing characters after the JSON object";
    }
    if (!json_object_is_type(obj, json_type_object)) {
        json_object_put(obj);
        return "line is not a JSON object";
    }
    *out = obj;
    return {};
}

bool contains(const std::vector<std::string> &v, const std::string &s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

std::string quoted_list(const std::vector<std::string> &v) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i)
        s += (i ? ", \"" : "\"") + v[i] + "\"";
    return s + "]";
}

} // namespace

const char *rcsim_version() {
    return RCSIM_VERSION;
}

uint64_t fnv1a64(const void *data, size_t len) {
    const uint8_t *p = static_cast<const uint8_t *>(data);
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < len; ++i) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

std::string digest_hex(uint64_t digest) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(digest));
    return buf;
}

std::string validate_decision(const Decision &d) {
    if (d.kind.empty())
        return "decision kind is empty";
    bool needs_wall = d.kind == "silent" || d.kind == "settle" || d.kind == "wall-wait";
    if (needs_wall && !d.wall_waited_us)
        return "a \"" + d.kind + "\" decision needs wall_waited_us";
    if (d.kind == "silent")
        return d.chosen == "silent" ? "" : "a \"silent\" decision must choose \"silent\"";
    if (d.kind == "admit" && d.options.empty())
        return "an \"admit\" decision offers no options";
    if (!d.options.empty() && !contains(d.options, d.chosen))
        return "chosen \"" + d.chosen + "\" is not among the options " + quoted_list(d.options);
    return {};
}

std::string header_to_json(const LogHeader &h) {
    JsonRef root(json_object_new_object());
    add_string(root.obj, "record", "header");
    json_object_object_add(root.obj, "format", json_object_new_int(LogHeader::kFormat));
    add_string(root.obj, "rcsim_version", h.rcsim_version);
    add_string(root.obj, "policy", h.policy);
    json_object *scenario = json_object_new_object();
    add_string(scenario, "path", h.scenario_path);
    add_string(scenario, "sha256", h.scenario_sha256);
    json_object_object_add(root.obj, "scenario", scenario);
    json_object *server = json_object_new_object();
    json_object_object_add(server, "argv", string_array(h.server_argv));
    add_string(server, "sha256", h.server_sha256);
    json_object_object_add(root.obj, "server", server);
    json_object *rtl = json_object_new_object();
    for (const auto &kv : h.rtl_settings)
        add_string(rtl, kv.first.c_str(), kv.second);
    json_object_object_add(root.obj, "rtl", rtl);
    if (!h.devices.empty()) {
        json_object *topo = json_object_new_object();
        add_string(topo, "path", h.topology_path);
        add_string(topo, "sha256", h.topology_sha256);
        json_object *devices = json_object_new_array();
        for (const LogDevice &d : h.devices) {
            json_object *o = json_object_new_object();
            add_string(o, "name", d.name);
            json_object_object_add(o, "argv", string_array(d.argv));
            add_string(o, "sha256", d.sha256);
            json_object_array_add(devices, o);
        }
        json_object_object_add(topo, "devices", devices);
        json_object_object_add(root.obj, "topology", topo);
    }
    return plain(root.obj);
}

void hash_decision(Sha256 *h, Decision d) {
    d.wall_waited_us.reset();
    const std::string line = decision_to_json(d) + "\n";
    h->update(line.data(), line.size());
}

std::string decision_to_json(const Decision &d) {
    JsonRef root(json_object_new_object());
    add_string(root.obj, "record", "decision");
    json_object_object_add(root.obj, "index", json_object_new_int64(int64_t(d.index)));
    json_object_object_add(root.obj, "sim_time_ps", json_object_new_int64(int64_t(d.sim_time_ps)));
    add_string(root.obj, "kind", d.kind);
    json_object_object_add(root.obj, "options", string_array(d.options));
    add_string(root.obj, "chosen", d.chosen);
    if (d.wall_waited_us)
        json_object_object_add(root.obj, "wall_waited_us",
                               json_object_new_int64(int64_t(*d.wall_waited_us)));
    return plain(root.obj);
}

int DecisionLogWriter::open(const std::string &path, const LogHeader &header,
                            std::unique_ptr<DecisionLogWriter> *out, std::string *error) {
    FILE *f = std::fopen(path.c_str(), "we");
    if (f == nullptr) {
        int err = -errno;
        *error = path + ": " + strerror(errno);
        return err;
    }
    std::string line = header_to_json(header) + "\n";
    if (std::fputs(line.c_str(), f) < 0 || std::fflush(f) != 0) {
        int err = -errno;
        *error = path + ": cannot write the header: " + strerror(errno);
        std::fclose(f);
        return err;
    }
    out->reset(new DecisionLogWriter(f));
    return 0;
}

DecisionLogWriter::~DecisionLogWriter() {
    std::fclose(file_);
}

long long DecisionLogWriter::append(const Decision &d, std::string *error) {
    std::string why = validate_decision(d);
    if (!why.empty()) {
        *error = "decision " + std::to_string(next_index_) + ": " + why;
        return -EINVAL;
    }
    Decision numbered = d;
    numbered.index = next_index_;
    std::string line = decision_to_json(numbered) + "\n";
    if (std::fputs(line.c_str(), file_) < 0 || std::fflush(file_) != 0) {
        *error = std::string("cannot write decision: ") + strerror(errno);
        return -EIO;
    }
    return static_cast<long long>(next_index_++);
}

int read_decision_log(const std::string &path, DecisionLog *out, std::string *error) {
    std::string text;
    const int rc = read_input_file(path, kMaxDecisionLogBytes, &text, error);
    if (rc < 0) {
        *error = path + ": " + *error;
        return rc;
    }
    std::istringstream in(text);
    text.clear();
    DecisionLog log;
    std::string line;
    size_t lineno = 0;
    auto fail = [&](const std::string &why) {
        *error = path + ":" + std::to_string(lineno) + ": " + why;
        return -EINVAL;
    };
    while (std::getline(in, line)) {
        ++lineno;
        json_object *obj = nullptr;
        std::string why = parse_line(line, &obj);
        if (!why.empty())
            return fail(why);
        JsonRef ref(obj);
        std::string record;
        if (!(why = get_string(obj, "record", &record)).empty())
            return fail(why);
        if (lineno == 1) {
            if (record != "header")
                return fail("the first line must be the header record");
            why = parse_header(obj, &log.header);
            if (!why.empty())
                return fail(why);
            continue;
        }
        if (record != "decision")
            return fail("unknown record \"" + record + "\"");
        Decision d;
        if (!(why = parse_decision(obj, &d)).empty())
            return fail(why);
        if (d.index != log.decisions.size())
            return fail("decision index " + std::to_string(d.index) + ", expected " +
                        std::to_string(log.decisions.size()));
        if (!log.decisions.empty() && d.sim_time_ps < log.decisions.back().sim_time_ps)
            return fail("simulated time goes backwards");
        log.decisions.push_back(std::move(d));
    }
    if (lineno == 0)
        return fail("empty log: no header");
    *out = std::move(log);
    return 0;
}

std::vector<std::string> header_mismatches(const LogHeader &log, const LogHeader &run) {
    std::vector<std::string> out;
    auto differ = [&](const char *what, const std::string &a, const std::string &b) {
        if (a != b)
            out.push_back(std::string(what) + ": log has \"" + a + "\", run has \"" + b + "\"");
    };
    differ("rcsim version", log.rcsim_version, run.rcsim_version);
    differ("scenario sha256", log.scenario_sha256, run.scenario_sha256);
    differ("server sha256", log.server_sha256, run.server_sha256);
    if (log.server_argv != run.server_argv)
        out.push_back("server argv: log has " + quoted_list(log.server_argv) + ", run has " +
                      quoted_list(run.server_argv));
    differ("topology sha256", log.topology_sha256, run.topology_sha256);
    const size_t n = std::max(log.devices.size(), run.devices.size());
    for (size_t i = 0; i < n; ++i) {
        const LogDevice none{"(none)", {}, ""};
        const LogDevice &a = i < log.devices.size() ? log.devices[i] : none;
        const LogDevice &b = i < run.devices.size() ? run.devices[i] : none;
        const std::string what = "device " + std::to_string(i) + " (" + a.name + ")";
        differ((what + " name").c_str(), a.name, b.name);
        differ((what + " server sha256").c_str(), a.sha256, b.sha256);
        if (a.argv != b.argv)
            out.push_back(what + " server argv: log has " + quoted_list(a.argv) + ", run has " +
                          quoted_list(b.argv));
    }
    for (const auto &kv : log.rtl_settings) {
        auto it = run.rtl_settings.find(kv.first);
        differ(("rtl setting " + kv.first).c_str(), kv.second,
               it == run.rtl_settings.end() ? "(unset)" : it->second);
    }
    for (const auto &kv : run.rtl_settings) {
        if (log.rtl_settings.count(kv.first) == 0)
            differ(("rtl setting " + kv.first).c_str(), "(unset)", kv.second);
    }
    return out;
}

std::string decision_difference(const Decision &logged, const Decision &run) {
    if (logged.index != run.index)
        return "index " + std::to_string(logged.index) + " vs " + std::to_string(run.index);
    if (logged.sim_time_ps != run.sim_time_ps)
        return "simulated time " + std::to_string(logged.sim_time_ps) + " ps vs " +
               std::to_string(run.sim_time_ps) + " ps";
    if (logged.kind != run.kind)
        return "kind \"" + logged.kind + "\" vs \"" + run.kind + "\"";
    if (logged.options != run.options)
        return "options " + quoted_list(logged.options) + " vs " + quoted_list(run.options);
    if (logged.chosen != run.chosen)
        return "chosen \"" + logged.chosen + "\" vs \"" + run.chosen + "\"";
    return {};
}

std::optional<Divergence> first_divergence(const std::vector<Decision> &logged,
                                           const std::vector<Decision> &run) {
    size_t common = std::min(logged.size(), run.size());
    for (size_t i = 0; i < common; ++i) {
        std::string what = decision_difference(logged[i], run[i]);
        if (!what.empty())
            return Divergence{i, "decision " + std::to_string(i) + ": " + what};
    }
    if (logged.size() == run.size())
        return std::nullopt;
    bool log_longer = logged.size() > run.size();
    return Divergence{common, "decision " + std::to_string(common) + ": only the " +
                                  (log_longer ? "log" : "run") + " has it (log has " +
                                  std::to_string(logged.size()) + " decisions, run has " +
                                  std::to_string(run.size()) + ")"};
}

} // namespace rcsim
