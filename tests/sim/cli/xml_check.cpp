#include "xml_check.hpp"

#include <cctype>

namespace rcsim::test {

namespace {

struct Bad {
    size_t at;
    std::string why;
};

class Reader {
  public:
    explicit Reader(const std::string &d) : d_(d) {}

    std::unique_ptr<XmlElement> document() {
        if (d_.compare(0, 5, "<?xml") == 0) {
            const size_t e = d_.find("?>");
            if (e == std::string::npos)
                throw Bad{0, "unterminated prolog"};
            i_ = e + 2;
        }
        blanks();
        auto root = element();
        blanks();
        if (i_ != d_.size())
            throw Bad{i_, "content after the root element"};
        return root;
    }

  private:
    void blanks() {
        while (i_ < d_.size() && std::isspace(static_cast<unsigned char>(d_[i_])))
            ++i_;
    }
    static bool name_char(char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' ||
               c == ':';
    }
    std::string name() {
        const size_t s = i_;
        while (i_ < d_.size() && name_char(d_[i_]))
            ++i_;
        if (s == i_)
            throw Bad{i_, "expected a name"};
        return d_.substr(s, i_ - s);
    }
    void expect(char c) {
        if (i_ >= d_.size() || d_[i_] != c)
            throw Bad{i_, std::string("expected '") + c + "'"};
        ++i_;
    }
    std::string entity() {
        const size_t e = d_.find(';', i_);
        if (e == std::string::npos || e - i_ > 10)
            throw Bad{i_, "bad entity"};
        const std::string n = d_.substr(i_ + 1, e - i_ - 1);
        i_ = e + 1;
        if (n == "amp")
            return "&";
        if (n == "lt")
            return "<";
        if (n == "gt")
            return ">";
        if (n == "quot")
            return "\"";
        if (n == "apos")
            return "'";
        if (n.size() > 1 && n[0] == '#') {
            const unsigned long v = n[1] == 'x' ? std::stoul(n.substr(2), nullptr, 16)
                                                : std::stoul(n.substr(1), nullptr, 10);
            if (v < 0x80)
                return std::string(1, char(v));
            throw Bad{i_, "non-ASCII character reference"};
        }
        throw Bad{i_, "unknown entity &" + n + ";"};
    }
    std::string chars(char stop) {
        std::string s;
        while (i_ < d_.size() && d_[i_] != stop) {
            const char c = d_[i_];
            if (c == '&') {
                s += entity();
                continue;
            }
            if (c == '<' && stop != '<')
                throw Bad{i_, "'<' inside an attribute value"};
            if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r')
                throw Bad{i_, "control character"};
            s += c;
            ++i_;
        }
        return s;
    }
    std::unique_ptr<XmlElement> element() {
        auto el = std::make_unique<XmlElement>();
        expect('<');
        el->name = name();
        for (;;) {
            blanks();
            if (i_ >= d_.size())
                throw Bad{i_, "unterminated tag"};
            if (d_[i_] == '/') {
                ++i_;
                expect('>');
                return el;
            }
            if (d_[i_] == '>') {
                ++i_;
                break;
            }
            const std::string a = name();
            expect('=');
            if (i_ >= d_.size() || (d_[i_] != '"' && d_[i_] != '\''))
                throw Bad{i_, "attribute value not quoted"};
            const char q = d_[i_++];
            std::string v = chars(q);
            expect(q);
            if (!el->attrs.emplace(a, v).second)
                throw Bad{i_, "duplicate attribute " + a};
        }
        for (;;) {
            el->text += chars('<');
            if (i_ >= d_.size())
                throw Bad{i_, "element <" + el->name + "> not closed"};
            if (d_.compare(i_, 2, "</") == 0) {
                i_ += 2;
                const size_t at = i_;
                if (name() != el->name)
                    throw Bad{at, "mismatched closing tag for <" + el->name + ">"};
                blanks();
                expect('>');
                return el;
            }
            el->children.push_back(element());
        }
    }

    const std::string &d_;
    size_t i_ = 0;
};

} // namespace

std::vector<const XmlElement *> XmlElement::all(const std::string &child_name) const {
    std::vector<const XmlElement *> v;
    for (const auto &c : children)
        if (c->name == child_name)
            v.push_back(c.get());
    return v;
}

std::unique_ptr<XmlElement> parse_xml(const std::string &doc, std::string *error) {
    try {
        return Reader(doc).document();
    } catch (const Bad &b) {
        *error = "offset " + std::to_string(b.at) + ": " + b.why;
    } catch (const std::exception &e) {
        *error = e.what();
    }
    return nullptr;
}

} // namespace rcsim::test
