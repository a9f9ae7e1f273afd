// Headless chromium for the report's tests: load a page from a file, get
// the DOM after its scripts ran and what the console said; take a
// screenshot and decode it (PNG, 8-bit RGB or RGBA, through zlib).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace rcsim::test {

// The browser, or "" when none is installed (it is a declared dependency:
// `make -f Makefile.ci deps` installs Debian's chromium).
std::string find_chromium();

struct PageLoad {
    int exit_code = -1;
    std::string dom;                  // --dump-dom: the DOM after the scripts ran
    std::vector<std::string> console; // console messages and uncaught errors
    std::string log;                  // all of chromium's stderr
};

// Loads file://`html` with every host name unresolvable, so a fetch could
// not succeed even if the page's Content-Security-Policy let one through.
// `profile` is a private directory (tests run in parallel).
PageLoad load_page(const std::string &chromium, const std::string &html,
                   const std::string &profile);

// Writes a screenshot of the page at width x height. The exit code.
int screenshot(const std::string &chromium, const std::string &html, const std::string &png,
               int width, int height, const std::string &profile);

struct Image {
    uint32_t width = 0, height = 0;
    std::vector<uint8_t> rgb; // width * height * 3
};

// "" or why `path` is not a PNG this reader decodes.
std::string read_png(const std::string &path, Image *out);

} // namespace rcsim::test
