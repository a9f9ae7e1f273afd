#include "cmake_scanner.hpp"

#include <algorithm>
#include <cctype>

namespace rcsim::rooms::detail {
namespace {

class CmakeScanner {
  public:
    explicit CmakeScanner(const std::string &text) : s_(text) {}

    std::vector<CmakeCall> calls() {
        std::vector<CmakeCall> calls;
        while (!at_end()) {
            char c = peek();
            if (c == '#') {
                skip_comment();
                continue;
            }
            if (!std::isalpha(static_cast<unsigned char>(c)) && c != '_') {
                advance();
                continue;
            }
            CmakeCall call{identifier(), {}};
            while (peek() == ' ' || peek() == '\t')
                advance();
            if (peek() != '(')
                continue;
            advance();
            call.args = arguments();
            calls.push_back(call);
        }
        return calls;
    }

  private:
    static constexpr size_t kNoBracket = std::string::npos;

    bool at_end() const { return i_ >= s_.size(); }
    char peek() const { return at_end() ? '\0' : s_[i_]; }

    void advance() {
        if (s_[i_] == '\n')
            ++line_;
        ++i_;
    }

    // The number of '=' when at "[=*[", else kNoBracket.
    size_t bracket_open() const {
        size_t j = i_ + 1;
        while (j < s_.size() && s_[j] == '=')
            ++j;
        if (peek() != '[' || j >= s_.size() || s_[j] != '[')
            return kNoBracket;
        return j - i_ - 1;
    }

    std::string bracket_body(size_t equals) {
        for (size_t n = 0; n < equals + 2; ++n)
            advance();
        size_t end = s_.find("]" + std::string(equals, '=') + "]", i_);
        size_t stop = end == std::string::npos ? s_.size() : end + equals + 2;
        std::string body = s_.substr(i_, std::min(end, s_.size()) - i_);
        while (i_ < stop)
            advance();
        return body;
    }

    void skip_comment() {
        advance();
        if (bracket_open() != kNoBracket) {
            bracket_body(bracket_open());
            return;
        }
        while (!at_end() && peek() != '\n')
            advance();
    }

    std::string identifier() {
        std::string name;
        while (std::isalnum(static_cast<unsigned char>(peek())) || peek() == '_') {
            name += static_cast<char>(std::tolower(static_cast<unsigned char>(peek())));
            advance();
        }
        return name;
    }

    std::string quoted() {
        std::string text;
        advance();
        while (!at_end() && peek() != '"') {
            if (peek() == '\\') {
                text += peek();
                advance();
            }
            if (at_end())
                break;
            text += peek();
            advance();
        }
        if (!at_end())
            advance();
        return text;
    }

    std::string unquoted() {
        std::string text;
        while (!at_end()) {
            char c = peek();
            if (std::isspace(static_cast<unsigned char>(c)) || c == '(' || c == ')' || c == '#' ||
                c == '"')
                break;
            text += c;
            advance();
            if (c == '\\' && !at_end()) {
                text += peek();
                advance();
            }
        }
        return text;
    }

    // Parentheses inside a call nest; only the call's own ')' ends it.
    int paren(char c) {
        advance();
        return c == '(' ? 1 : -1;
    }

    std::vector<CmakeArg> arguments() {
        std::vector<CmakeArg> args;
        for (int depth = 1; !at_end() && depth > 0;) {
            char c = peek();
            size_t line = line_;
            if (std::isspace(static_cast<unsigned char>(c)))
                advance();
            else if (c == '#')
                skip_comment();
            else if (c == '(' || c == ')')
                depth += paren(c);
            else if (c == '"')
                args.push_back({quoted(), line});
            else if (bracket_open() != kNoBracket)
                args.push_back({bracket_body(bracket_open()), line});
            else
                args.push_back({unquoted(), line});
        }
        return args;
    }

    const std::string &s_;
    size_t i_ = 0;
    size_t line_ = 1;
};

} // namespace

std::vector<CmakeCall> cmake_calls(const std::string &text) {
    return CmakeScanner(text).calls();
}

std::vector<std::string> identifiers(const std::string &text) {
    std::vector<std::string> names(1);
    for (char c : text) {
        if (std::isalnum(static_cast<unsigned char>(c)) || c == '_')
            names.back() += c;
        else if (!names.back().empty())
            names.emplace_back();
    }
    if (names.back().empty())
        names.pop_back();
    return names;
}

} // namespace rcsim::rooms::detail
