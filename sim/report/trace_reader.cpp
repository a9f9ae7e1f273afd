#include "trace_reader.hpp"

#include "input_file.hpp"

#include <json-c/json.h>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace rcsim {

namespace {

using JsonPtr = std::unique_ptr<json_object, decltype(&json_object_put)>;

// No trace record is longer (records carry digests, not data).
constexpr size_t kMaxTraceLine = size_t(1) << 20;

JsonPtr parse_object(const std::string &line) {
    JsonPtr o(json_tokener_parse(line.c_str()), &json_object_put);
    if (o && !json_object_is_type(o.get(), json_type_object))
        o.reset();
    return o;
}

std::string as_text(json_object *v) {
    if (json_object_is_type(v, json_type_string))
        return json_object_get_string(v);
    return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
}

bool get_u64(json_object *o, const char *key, uint64_t *out) {
    json_object *v = nullptr;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
        return false;
    *out = uint64_t(json_object_get_int64(v));
    return true;
}

// Empty, or why `o` is not a trace record.
std::string take_record(json_object *o, unsigned line, TraceRecord *r) {
    json_object *kind = nullptr;
    if (!json_object_object_get_ex(o, "kind", &kind) ||
        !json_object_is_type(kind, json_type_string))
        return "record without a \"kind\"";
    r->kind = json_object_get_string(kind);
    r->line = line;
    if (!get_u64(o, "t_ps", &r->t_ps))
        return r->kind + " record without an integer \"t_ps\"";
    get_u64(o, "cycle", &r->cycle);
    json_object_object_foreach(o, key, val) {
        const std::string k = key;
        if (k == "kind" || k == "t_ps" || k == "cycle")
            continue;
        if (k == "options" && json_object_is_type(val, json_type_array))
            for (size_t i = 0; i < json_object_array_length(val); ++i)
                r->options.push_back(as_text(json_object_array_get_idx(val, i)));
        r->fields.emplace_back(k, val ? as_text(val) : "null");
    }
    return "";
}

// Empty, or why line 1 is not the header of an rcsim trace.
std::string take_header(const std::string &line, TraceRecords *out) {
    JsonPtr o = parse_object(line);
    json_object *kind = nullptr, *period = nullptr;
    if (!o)
        return "not an rcsim trace: line 1 is not a JSON object";
    if (!json_object_object_get_ex(o.get(), "kind", &kind) ||
        std::string(json_object_get_string(kind)) != "header" ||
        !json_object_object_get_ex(o.get(), "period_ps", &period))
        return "not an rcsim trace: line 1 is not a trace header "
               "({\"kind\":\"header\",\"format\":1,...}; a decision log goes with --decisions)";
    json_object_object_foreach(o.get(), key, val) out->header.emplace_back(key, as_text(val));
    return "";
}

} // namespace

const std::string &TraceRecord::none() {
    static const std::string empty;
    return empty;
}

const std::string &TraceRecord::get(const std::string &key, const std::string &fallback) const {
    for (const auto &f : fields)
        if (f.first == key)
            return f.second;
    return fallback;
}

uint64_t TraceRecord::number(const std::string &key) const {
    const std::string &v = get(key);
    char *end = nullptr;
    const unsigned long long n = std::strtoull(v.c_str(), &end, 0);
    return v.empty() || *end ? 0 : uint64_t(n);
}

namespace {

// The file's lines, read 64 KiB at a time: memory holds one line (at most
// kMaxTraceLine bytes), never the file.
class LineFeed {
  public:
    LineFeed(int fd, size_t max_bytes) : fd_(fd), left_(max_bytes) {}
    ~LineFeed() { close(fd_); }
    // 1 with the next line (`cut`: it had no newline, the file ended), 0 at
    // the end, or a negative errno with `error`.
    int next(std::string *line, bool *cut, std::string *error);

  private:
    int fill(std::string *error);
    int fd_;
    size_t left_;
    std::string buf_;
    size_t pos_ = 0;
    bool eof_ = false;
};

int LineFeed::fill(std::string *error) {
    char chunk[65536];
    for (;;) {
        const ssize_t n = read(fd_, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            *error = std::strerror(errno);
            return -errno;
        }
        if (n == 0 || left_ == 0) { // a file that grew past the limit ends there
            eof_ = true;
            return 0;
        }
        const size_t take = std::min(size_t(n), left_);
        left_ -= take;
        buf_.erase(0, pos_);
        pos_ = 0;
        buf_.append(chunk, take);
        return 0;
    }
}

int LineFeed::next(std::string *line, bool *cut, std::string *error) {
    for (;;) {
        const size_t nl = buf_.find('\n', pos_);
        if (nl != std::string::npos) {
            line->assign(buf_, pos_, nl - pos_);
            pos_ = nl + 1;
            *cut = false;
            return 1;
        }
        if (buf_.size() - pos_ > kMaxTraceLine) { // no record is this long
            line->assign(buf_, pos_, kMaxTraceLine + 1);
            pos_ = buf_.size();
            *cut = false;
            return 1;
        }
        if (eof_) {
            if (pos_ == buf_.size())
                return 0;
            line->assign(buf_, pos_, std::string::npos);
            pos_ = buf_.size();
            *cut = true;
            return 1;
        }
        const int rc = fill(error);
        if (rc < 0)
            return rc;
    }
}

} // namespace

int read_trace_records(const std::string &path, size_t max_records, TraceRecords *out,
                       std::string *error) {
    int fd = -1;
    if (open_input_file(path, kMaxTraceFileBytes, &fd, error) < 0) {
        *error = path + ": " + *error;
        return -EIO;
    }
    LineFeed feed(fd, kMaxTraceFileBytes);
    std::string line;
    bool cut = false;
    int rc;
    for (unsigned n = 1; (rc = feed.next(&line, &cut, error)) > 0; ++n) {
        if (line.empty())
            continue;
        const std::string where = path + ":" + std::to_string(n);
        if (out->header.empty()) {
            const std::string why = n == 1 ? take_header(line, out) : "line 1 is empty";
            if (!why.empty()) {
                *error = path + ": " + (n == 1 ? why : "not an rcsim trace: " + why);
                return -EINVAL;
            }
            continue;
        }
        const bool keep = out->records.size() < max_records;
        if (!keep && !cut) { // beyond the cap: counted, not parsed
            out->capped = true;
            ++out->total;
            continue;
        }
        const bool too_long = line.size() > kMaxTraceLine;
        JsonPtr o = too_long ? JsonPtr(nullptr, &json_object_put) : parse_object(line);
        TraceRecord r;
        const std::string why =
            too_long ? "longer than " + std::to_string(kMaxTraceLine) + " bytes: not a trace record"
            : o      ? take_record(o.get(), n, &r)
                     : "not a JSON object";
        if (!why.empty()) {
            out->stopped = where + ": " + (cut ? "the trace ends inside a record" : why);
            break;
        }
        ++out->total;
        if (keep)
            out->records.push_back(std::move(r));
        else
            out->capped = true;
    }
    if (rc < 0) {
        *error = path + ": " + *error;
        return rc;
    }
    if (out->header.empty()) {
        *error = path + ": not an rcsim trace: the file is empty";
        return -EINVAL;
    }
    return 0;
}

} // namespace rcsim
