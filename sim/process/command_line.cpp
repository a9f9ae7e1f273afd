#include "command_line.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace rcsim {

namespace {

struct Splitter {
    explicit Splitter(const std::string &l) : line(l) {}

    const std::string &line;
    size_t pos = 0;
    std::vector<std::string> words;
    std::string word;
    bool in_word = false;

    int fail(std::string *error, const std::string &msg) const {
        if (error != nullptr)
            *error = msg;
        return -EINVAL;
    }

    void end_word() {
        if (in_word)
            words.push_back(word);
        word.clear();
        in_word = false;
    }

    // The character after an unquoted backslash; backslash-newline vanishes.
    int backslash(std::string *error) {
        if (pos + 1 >= line.size())
            return fail(error, "command line ends with a lone backslash");
        char next = line[pos + 1];
        pos += 2;
        if (next == '\n')
            return 0;
        word.push_back(next);
        in_word = true;
        return 0;
    }

    int single_quoted(std::string *error) {
        size_t close = line.find('\'', pos + 1);
        if (close == std::string::npos)
            return fail(error, "unterminated single quote at offset " + std::to_string(pos));
        word.append(line, pos + 1, close - pos - 1);
        in_word = true;
        pos = close + 1;
        return 0;
    }

    int double_quoted(std::string *error) {
        size_t open = pos++;
        in_word = true;
        for (; pos < line.size(); ++pos) {
            char c = line[pos];
            if (c == '"') {
                ++pos;
                return 0;
            }
            if (c == '\\' && pos + 1 < line.size() &&
                std::strchr("\\\"$`\n", line[pos + 1]) != nullptr) {
                if (line[pos + 1] != '\n')
                    word.push_back(line[pos + 1]);
                ++pos;
                continue;
            }
            word.push_back(c);
        }
        return fail(error, "unterminated double quote at offset " + std::to_string(open));
    }

    int run(std::string *error) {
        while (pos < line.size()) {
            char c = line[pos];
            int rc = 0;
            if (c == ' ' || c == '\t' || c == '\n') {
                end_word();
                ++pos;
            } else if (c == '\\') {
                rc = backslash(error);
            } else if (c == '\'') {
                rc = single_quoted(error);
            } else if (c == '"') {
                rc = double_quoted(error);
            } else {
                word.push_back(c);
                in_word = true;
                ++pos;
            }
            if (rc < 0)
                return rc;
        }
        end_word();
        if (words.empty())
            return fail(error, "command line holds no program");
        return 0;
    }
};

bool is_executable_file(const std::string &path) {
    struct stat st;
    return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(path.c_str(), X_OK) == 0;
}

} // namespace

int split_command_line(const std::string &line, std::vector<std::string> *argv,
                       std::string *error) {
    Splitter s(line);
    int rc = s.run(error);
    if (rc == 0)
        *argv = std::move(s.words);
    return rc;
}

int resolve_executable(const std::string &program, std::string *path) {
    if (program.empty())
        return -ENOENT;
    if (program.find('/') != std::string::npos) {
        if (access(program.c_str(), F_OK) != 0)
            return -errno;
        if (!is_executable_file(program))
            return -EACCES;
        *path = program;
        return 0;
    }
    const char *env = getenv("PATH");
    std::string dirs = env != nullptr ? env : "/usr/local/bin:/usr/bin:/bin";
    std::istringstream in(dirs);
    std::string dir;
    while (std::getline(in, dir, ':')) {
        std::string candidate = (dir.empty() ? "." : dir) + "/" + program;
        if (is_executable_file(candidate)) {
            *path = candidate;
            return 0;
        }
    }
    return -ENOENT;
}

} // namespace rcsim
