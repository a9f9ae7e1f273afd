#include "perfetto_export.hpp"

#include "input_file.hpp"

#include <json-c/json.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

namespace rcsim {

namespace {

using JsonPtr = std::unique_ptr<json_object, decltype(&json_object_put)>;

enum Track : int { kMain = 1, kTwin, kTlpDown, kTlpUp, kHost, kIrq, kDecisions, kMaps, kTracks };
constexpr int kHopTrack = 1000; // fabric port tracks: 1000, 2000, ...

const char *const kTrackNames[kTracks] = {"",
                                          "vfio-user main socket",
                                          "vfio-user twin socket",
                                          "TLP link down (root port -> device)",
                                          "TLP link up (device -> root port)",
                                          "host port",
                                          "interrupts",
                                          "decisions",
                                          "vfio-user map sockets"};

// The trace's `sock`: main, twin, map0..map7 (one track for the map sockets).
int socket_track(const std::string &sock) {
    return sock == "twin" ? kTwin : sock.rfind("map", 0) == 0 ? kMaps : kMain;
}

// One event before lanes are assigned. dur < 0: an instant event.
struct Event {
    int track;
    uint64_t start_ps;
    int64_t dur_ps;
    std::string name;
    json_object *args; // owned by the reader's records, referenced here
};

const char *get_str(json_object *o, const char *key, const char *fallback = "") {
    json_object *v = nullptr;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return fallback;
    return json_object_get_string(v);
}

uint64_t get_u64(json_object *o, const char *key) {
    json_object *v = nullptr;
    if (!json_object_object_get_ex(o, key, &v))
        return 0;
    return uint64_t(json_object_get_int64(v));
}

// A TLP record's (tlp or hop) event name: type, address, tag when it has one.
std::string tlp_name(json_object *rec) {
    std::string name = get_str(rec, "type", "bad TLP");
    const char *addr = get_str(rec, "addr", nullptr);
    if (addr)
        name += std::string(" ") + addr;
    const std::string type = get_str(rec, "type");
    // Requests that take a tag (non-posted) and their completions show it.
    if (name.rfind("Cpl", 0) == 0 || type.rfind("MemRd", 0) == 0 || type.rfind("Io", 0) == 0)
        name += " tag " + std::to_string(get_u64(rec, "tag"));
    return name;
}

class Converter {
  public:
    int read(const std::string &path, std::string *error);
    int write(const std::string &path, std::string *error);

  private:
    int take(json_object *rec, const std::string &where, std::string *error);
    void message(json_object *rec, uint64_t t);
    void tlp(json_object *rec, uint64_t t);
    void host(json_object *rec, uint64_t t, bool request);
    void hop(json_object *rec, uint64_t t);
    std::string track_name(int tid) const;
    void instant(int track, uint64_t t, std::string name, json_object *rec) {
        events_.push_back(Event{track, t, -1, std::move(name), rec});
    }
    void slice(int track, uint64_t t0, uint64_t t1, std::string name, json_object *args) {
        events_.push_back(Event{track, t0, int64_t(t1 >= t0 ? t1 - t0 : 0), std::move(name), args});
    }
    void flush_open();
    json_object *event_json(const Event &e, int tid) const;

    std::vector<JsonPtr> records_;
    std::vector<Event> events_;
    uint64_t period_ps_ = 4000;
    // Commands waiting for their reply: (socket track, command sender, id).
    // (socket, direction of the command, id): map sockets share one track.
    std::map<std::tuple<std::string, bool, uint64_t>, std::pair<uint64_t, json_object *>>
        open_msgs_;
    std::map<uint64_t, std::pair<uint64_t, json_object *>> open_host_;
    // Several devices: a track per fabric port, in order of first hop; the
    // k-th port's track is kHopTrack * (k + 1) (lanes add 10 each).
    std::vector<std::string> hop_ports_;
};

int Converter::read(const std::string &path, std::string *error) {
    std::string text;
    const int read_rc = read_input_file(path, kMaxTraceFileBytes, &text, error);
    if (read_rc < 0) {
        *error = "cannot read " + path + ": " + *error;
        return read_rc;
    }
    std::istringstream in(text);
    text.clear();
    std::string line;
    for (unsigned n = 1; std::getline(in, line); ++n) {
        if (line.empty())
            continue;
        const std::string where = path + ":" + std::to_string(n);
        JsonPtr rec(json_tokener_parse(line.c_str()), &json_object_put);
        if (!rec || !json_object_is_type(rec.get(), json_type_object)) {
            *error = where + ": not a JSON object";
            return -EINVAL;
        }
        const int rc = take(rec.get(), where, error);
        records_.push_back(std::move(rec));
        if (rc < 0)
            return rc;
    }
    flush_open();
    return 0;
}

int Converter::take(json_object *rec, const std::string &where, std::string *error) {
    const std::string kind = get_str(rec, "kind");
    json_object *tv = nullptr;
    if (kind.empty()) {
        *error = where + ": record without a \"kind\"";
        return -EINVAL;
    }
    if (kind == "header") {
        if (get_u64(rec, "period_ps"))
            period_ps_ = get_u64(rec, "period_ps");
        return 0;
    }
    if (!json_object_object_get_ex(rec, "t_ps", &tv) || !json_object_is_type(tv, json_type_int)) {
        *error = where + ": " + kind + " record without an integer \"t_ps\"";
        return -EINVAL;
    }
    const uint64_t t = uint64_t(json_object_get_int64(tv));
    if (kind == "msg")
        message(rec, t);
    else if (kind == "tlp")
        tlp(rec, t);
    else if (kind == "hop")
        hop(rec, t);
    else if (kind == "host_req" || kind == "host_rsp")
        host(rec, t, kind == "host_req");
    else if (kind == "irq")
        instant(kIrq, t,
                std::string(get_str(rec, "type")) == "msi"
                    ? std::string("MSI data=") + get_str(rec, "data")
                    : std::string("INTx level=") + get_str(rec, "level"),
                rec);
    else if (kind == "mapped") // a load or store with no message: on the main socket's track
        instant(kMain, t,
                std::string("mapped ") + get_str(rec, "op") + " BAR" +
                    std::to_string(get_u64(rec, "bar")) + "+" + get_str(rec, "offset") + " (" +
                    std::to_string(get_u64(rec, "len")) + " bytes, no message)",
                rec);
    else if (kind == "decision")
        instant(kDecisions, t,
                "#" + std::to_string(get_u64(rec, "index")) + " " + get_str(rec, "decision") +
                    ": " + get_str(rec, "chosen"),
                rec);
    return 0; // kinds this converter does not know are skipped
}

// A command and its reply become one slice named after the command.
void Converter::message(json_object *rec, uint64_t t) {
    const std::string dev = get_str(rec, "dev");
    // Several devices share the socket tracks; their ids do not pair across.
    const std::string sock = dev.empty() ? get_str(rec, "sock") : dev + "/" + get_str(rec, "sock");
    const int track = socket_track(get_str(rec, "sock"));
    const bool from_client = std::string(get_str(rec, "dir")) == "c2s";
    const bool reply = std::string(get_str(rec, "type")) == "reply";
    const uint64_t id = get_u64(rec, "msg_id");
    const std::string name =
        (dev.empty() ? "" : dev + ": ") + get_str(rec, "cmd") + " #" + std::to_string(id);
    const auto key = std::make_tuple(sock, reply ? !from_client : from_client, id);
    if (!reply) {
        const bool no_reply = get_u64(rec, "flags") & 0x10;
        if (no_reply) {
            instant(track, t, name, rec);
            return;
        }
        auto old = open_msgs_.find(key);
        if (old != open_msgs_.end()) // id reused before a reply: keep the first as an instant
            instant(track, old->second.first, name + " (no reply)", old->second.second);
        open_msgs_[key] = {t, rec};
        return;
    }
    auto it = open_msgs_.find(key);
    if (it == open_msgs_.end()) {
        instant(track, t, name + " (reply without command)", rec);
        return;
    }
    json_object *args = json_object_new_object();
    json_object_object_add(args, "command", json_object_get(it->second.second));
    json_object_object_add(args, "reply", json_object_get(rec));
    records_.emplace_back(args, &json_object_put);
    slice(track, it->second.first, t, name, args);
    open_msgs_.erase(it);
}

void Converter::tlp(json_object *rec, uint64_t t) {
    const bool down = std::string(get_str(rec, "dir")) == "down";
    const std::string name = tlp_name(rec);
    uint64_t start = get_u64(rec, "start_ps");
    if (start == 0 || start > t)
        start = t;
    slice(down ? kTlpDown : kTlpUp, start, t + period_ps_, name, rec);
}

// A TLP leaving a fabric port: one period on that port's track, named as
// the link's TLPs are.
void Converter::hop(json_object *rec, uint64_t t) {
    const std::string port = get_str(rec, "port", "?");
    size_t k = 0;
    while (k < hop_ports_.size() && hop_ports_[k] != port)
        ++k;
    if (k == hop_ports_.size())
        hop_ports_.push_back(port);
    slice(kHopTrack * int(k + 1), t, t + period_ps_, tlp_name(rec), rec);
}

void Converter::host(json_object *rec, uint64_t t, bool request) {
    const uint64_t id = get_u64(rec, "id");
    if (request) {
        const std::string op = get_str(rec, "op");
        if (op == "MEM_WR") {
            instant(kHost, t, op + " " + get_str(rec, "addr"), rec);
            return;
        }
        open_host_[id] = {t, rec};
        return;
    }
    auto it = open_host_.find(id);
    if (it == open_host_.end()) {
        instant(kHost, t, "response " + std::to_string(id), rec);
        return;
    }
    json_object *req = it->second.second;
    const std::string where = get_str(req, "addr", get_str(req, "reg_offset"));
    json_object *args = json_object_new_object();
    json_object_object_add(args, "request", json_object_get(req));
    json_object_object_add(args, "response", json_object_get(rec));
    records_.emplace_back(args, &json_object_put);
    slice(kHost, it->second.first, t,
          std::string(get_str(req, "op")) + " " + where + " " + get_str(rec, "status"), args);
    open_host_.erase(it);
}

// Commands and host requests never answered: instants where they started.
void Converter::flush_open() {
    for (auto &[key, v] : open_msgs_)
        instant(socket_track(get_str(v.second, "sock")), v.first,
                std::string(get_str(v.second, "cmd")) + " #" +
                    std::to_string(get_u64(v.second, "msg_id")) + " (no reply)",
                v.second);
    open_msgs_.clear();
    for (auto &[id, v] : open_host_)
        instant(kHost, v.first, std::string(get_str(v.second, "op")) + " (no response)", v.second);
    open_host_.clear();
}

json_object *Converter::event_json(const Event &e, int tid) const {
    json_object *o = json_object_new_object();
    json_object_object_add(o, "name", json_object_new_string(e.name.c_str()));
    json_object_object_add(o, "ph", json_object_new_string(e.dur_ps < 0 ? "i" : "X"));
    json_object_object_add(o, "pid", json_object_new_int(1));
    json_object_object_add(o, "tid", json_object_new_int(tid));
    json_object_object_add(o, "ts", json_object_new_double(double(e.start_ps) / 1e6));
    if (e.dur_ps < 0)
        json_object_object_add(o, "s", json_object_new_string("t"));
    else
        json_object_object_add(o, "dur", json_object_new_double(double(e.dur_ps) / 1e6));
    json_object_object_add(o, "args", json_object_get(e.args));
    return o;
}

// "host port", "host port #2" (a second lane), "fabric port rp2".
std::string Converter::track_name(int tid) const {
    const int lane = tid >= kHopTrack ? tid % kHopTrack / 10 : tid / 10;
    std::string name = tid >= kHopTrack ? "fabric port " + hop_ports_[size_t(tid / kHopTrack - 1)]
                                        : kTrackNames[tid % 10];
    if (lane)
        name += " #" + std::to_string(lane + 1);
    return name;
}

json_object *metadata(const char *what, int tid, const char *key, json_object *value) {
    json_object *o = json_object_new_object();
    json_object_object_add(o, "name", json_object_new_string(what));
    json_object_object_add(o, "ph", json_object_new_string("M"));
    json_object_object_add(o, "pid", json_object_new_int(1));
    if (tid)
        json_object_object_add(o, "tid", json_object_new_int(tid));
    json_object *args = json_object_new_object();
    json_object_object_add(args, key, value);
    json_object_object_add(o, "args", args);
    return o;
}

// Slices of one track go to lanes (tid = track + 10 * lane) so that no two
// slices on one tid overlap without nesting; instants stay on lane 0.
int Converter::write(const std::string &path, std::string *error) {
    std::stable_sort(events_.begin(), events_.end(),
                     [](const Event &a, const Event &b) { return a.start_ps < b.start_ps; });
    JsonPtr root(json_object_new_object(), &json_object_put);
    json_object *evs = json_object_new_array();
    json_object_object_add(root.get(), "displayTimeUnit", json_object_new_string("ns"));
    json_object_object_add(root.get(), "traceEvents", evs);
    json_object_array_add(evs,
                          metadata("process_name", 0, "name", json_object_new_string("rcsim")));
    std::map<int, std::vector<uint64_t>> lane_end; // per track: end of each lane's last slice
    std::map<int, bool> used;
    for (const Event &e : events_) {
        unsigned lane = 0;
        if (e.dur_ps >= 0) {
            std::vector<uint64_t> &ends = lane_end[e.track];
            while (lane < ends.size() && ends[lane] > e.start_ps)
                ++lane;
            if (lane == ends.size())
                ends.push_back(0);
            ends[lane] = e.start_ps + uint64_t(e.dur_ps);
        }
        const int tid = e.track + 10 * int(lane);
        used[tid] = true;
        json_object_array_add(evs, event_json(e, tid));
    }
    for (int t = kMain; t < kTracks; ++t)
        used[t] = true; // every track is named, even when empty
    for (const auto &[tid, on] : used) {
        const std::string name = track_name(tid);
        // Fabric ports after the link's tracks, in order of first hop.
        const int sort = tid >= kHopTrack ? 10000 + tid / kHopTrack * 100 + tid % kHopTrack / 10
                                          : tid % 10 * 100 + tid / 10;
        json_object_array_add(
            evs, metadata("thread_name", tid, "name", json_object_new_string(name.c_str())));
        json_object_array_add(
            evs, metadata("thread_sort_index", tid, "sort_index", json_object_new_int(sort)));
    }
    if (json_object_to_file_ext(path.c_str(), root.get(), JSON_C_TO_STRING_PLAIN) < 0) {
        const int err = errno ? errno : EIO;
        *error = "cannot write " + path + ": " + strerror(err);
        return -err;
    }
    return 0;
}

} // namespace

int convert_trace_to_perfetto(const std::string &jsonl_in, const std::string &json_out,
                              std::string *error) {
    Converter c;
    int rc = c.read(jsonl_in, error);
    if (rc < 0)
        return rc;
    return c.write(json_out, error);
}

} // namespace rcsim
