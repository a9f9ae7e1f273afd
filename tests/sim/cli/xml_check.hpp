// A small strict XML reader for checking the JUnit files rcsim writes:
// prolog, elements, attributes in double or single quotes, text, the five
// predefined entities and numeric character references. No DTDs, CDATA,
// comments or namespaces (rcsim writes none). Anything else is an error.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace rcsim::test {

struct XmlElement {
    std::string name;
    std::map<std::string, std::string> attrs;
    std::string text; // all character data directly inside, entities decoded
    std::vector<std::unique_ptr<XmlElement>> children;

    std::vector<const XmlElement *> all(const std::string &child_name) const;
};

// The root element, or nullptr with `error` set ("offset N: reason").
std::unique_ptr<XmlElement> parse_xml(const std::string &doc, std::string *error);

} // namespace rcsim::test
