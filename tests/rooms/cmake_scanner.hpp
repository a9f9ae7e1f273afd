// Just enough of CMake's grammar to find commands and their arguments without
// being fooled by comments: line and bracket comments, quoted and bracket
// arguments, nested parentheses.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace rcsim::rooms::detail {

struct CmakeArg {
    std::string text;
    std::size_t line = 0;
};

struct CmakeCall {
    std::string name; // lower case: CMake's command names ignore case
    std::vector<CmakeArg> args;
};

std::vector<CmakeCall> cmake_calls(const std::string &text);

// The C identifiers in a CMake argument: `$<LINK_ONLY:rcsim_x>` holds
// rcsim_x, `PkgConfig::NETTLE` holds no rcsim_ name.
std::vector<std::string> identifiers(const std::string &text);

} // namespace rcsim::rooms::detail
