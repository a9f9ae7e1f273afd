// The one escaping function of the HTML report: every string that came from
// a trace, a decision log or a server (names, fields, argv) goes through it
// before it reaches the page, in text and in attribute values alike, so a
// server's "<script>" stays text.
#pragma once

#include <string>

namespace rcsim {

// & < > " ' as entities; control characters other than tab and newline as
// U+FFFD (HTML has no way to carry them); bytes that are not valid UTF-8
// as U+FFFD, so the page's encoding cannot be confused.
std::string html_escape(const std::string &s);

} // namespace rcsim
