// Files for the rcsim command's tests: a private folder removed afterwards,
// and reading or writing a whole file.
#pragma once

#include <stdlib.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace rcsim::test {

inline bool contains(const std::string &s, const std::string &what) {
    return s.find(what) != std::string::npos;
}

// How many times `what` occurs in s (overlapping ones too).
inline size_t count_of(const std::string &s, const std::string &what) {
    size_t n = 0;
    for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1))
        ++n;
    return n;
}

inline std::string slurp(const std::string &path) {
    std::ifstream in(path);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

inline void write_file(const std::string &path, const std::string &text) {
    std::ofstream(path) << text;
}

class TempDir {
  public:
    TempDir() {
        char t[] = "/tmp/rcsim-cli-XXXXXX";
        path = mkdtemp(t) ? t : "/tmp";
    }
    ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
    TempDir(const TempDir &) = delete;
    TempDir &operator=(const TempDir &) = delete;
    // Writes `text` to NAME inside the folder; returns its path.
    std::string write(const std::string &name, const std::string &text) const {
        const std::string p = path + "/" + name;
        write_file(p, text);
        return p;
    }
    std::string path;
};

} // namespace rcsim::test
