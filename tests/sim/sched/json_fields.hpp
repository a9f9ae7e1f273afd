// Fields of a JSONL trace or decision-log record (json-c), as the sched
// suites read them: a missing field reads as "" or 0.
#pragma once

#include <json-c/json.h>

#include <cstdint>
#include <string>

namespace rcsim::test {

inline std::string str_field(json_object *o, const char *key) {
    json_object *v = nullptr;
    return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "";
}

inline uint64_t num_field(json_object *o, const char *key) {
    json_object *v = nullptr;
    return json_object_object_get_ex(o, key, &v) ? uint64_t(json_object_get_int64(v)) : 0;
}

} // namespace rcsim::test
