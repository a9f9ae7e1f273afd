// The string helpers both the table reader and the checks lean on; one copy,
// so that a README row and a source line are trimmed and matched alike.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace rcsim::rooms::detail {

using Lines = std::vector<std::string>;

std::string trim(const std::string &s);
bool starts_with(const std::string &s, const std::string &prefix);
bool ends_with(const std::string &s, const std::string &suffix);

std::string at(const std::string &file, std::size_t line);

} // namespace rcsim::rooms::detail
