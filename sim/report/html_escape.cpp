#include "html_escape.hpp"

namespace rcsim {

namespace {

const char kReplacement[] = "\xef\xbf\xbd"; // U+FFFD

// Length of the valid UTF-8 sequence at s[i] (2..4), or 0.
size_t utf8_sequence(const std::string &s, size_t i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    // Lead bytes 0x80..0xc1 and 0xf5..0xff never start a valid sequence.
    size_t n = 0;
    if (c >= 0xc2 && c < 0xe0)
        n = 2;
    else if (c >= 0xe0 && c < 0xf0)
        n = 3;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4;
    if (n == 0 || i + n > s.size())
        return 0;
    for (size_t k = 1; k < n; ++k)
        if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80)
            return 0;
    return n;
}

} // namespace

std::string html_escape(const std::string &s) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        const unsigned char u = static_cast<unsigned char>(c);
        if (c == '&')
            out += "&amp;";
        else if (c == '<')
            out += "&lt;";
        else if (c == '>')
            out += "&gt;";
        else if (c == '"')
            out += "&quot;";
        else if (c == '\'')
            out += "&#39;";
        else if (u >= 0x80) {
            const size_t n = utf8_sequence(s, i);
            out += n ? s.substr(i, n) : kReplacement;
            i += n ? n - 1 : 0;
        } else if ((u < 0x20 && c != '\t' && c != '\n') || u == 0x7f)
            out += kReplacement;
        else
            out += c;
    }
    return out;
}

} // namespace rcsim
