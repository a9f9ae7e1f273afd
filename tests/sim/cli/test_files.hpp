// Files for the rcsim command's tests: a private folder removed afterwards,
// reading or writing a whole file, and the processes and folders a run
// may leave behind.
#pragma once

#include <dirent.h>
#include <stdlib.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

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

// Processes (zombies included) whose command line mentions `text`.
inline std::vector<std::string> processes_mentioning(const std::string &text) {
    std::vector<std::string> found;
    DIR *proc = opendir("/proc");
    if (!proc)
        return found;
    while (dirent *e = readdir(proc)) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        std::string cmd = slurp(std::string("/proc/") + e->d_name + "/cmdline");
        for (char &c : cmd)
            c = c ? c : ' ';
        if (contains(cmd, text))
            found.push_back(std::string(e->d_name) + ": " + cmd);
    }
    closedir(proc);
    return found;
}

// The names in folder `dir` that hold `part`.
inline std::vector<std::string> entries_named(const std::string &dir, const std::string &part) {
    std::vector<std::string> names;
    DIR *d = opendir(dir.c_str());
    if (!d)
        return names;
    while (dirent *e = readdir(d))
        if (contains(e->d_name, part))
            names.push_back(e->d_name);
    closedir(d);
    return names;
}

// A bundled model's path, quoted for a topology file's `server "..."`.
inline std::string quoted_model(const std::string &models_dir, const std::string &model) {
    return "\"" + models_dir + "/" + model + "\"";
}

} // namespace rcsim::test
