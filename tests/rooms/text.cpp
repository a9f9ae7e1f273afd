#include "text.hpp"

namespace rcsim::rooms::detail {

std::string trim(const std::string &s) {
    const char *space = " \t\r\n";
    size_t begin = s.find_first_not_of(space);
    if (begin == std::string::npos)
        return {};
    return s.substr(begin, s.find_last_not_of(space) - begin + 1);
}

bool starts_with(const std::string &s, const std::string &prefix) {
    return s.compare(0, prefix.size(), prefix) == 0;
}

bool ends_with(const std::string &s, const std::string &suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string at(const std::string &file, size_t line) {
    return file + ":" + std::to_string(line);
}

} // namespace rcsim::rooms::detail
