#include "junit_report.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace rcsim {

std::string xml_escape(const std::string &s) {
    std::string out;
    out.reserve(s.size());
    for (unsigned char c : s) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&apos;";
            break;
        case '\n':
        case '\t':
            out += char(c);
            break;
        default:
            if (c < 0x20) // not allowed in XML 1.0, even escaped
                out += '?';
            else
                out += char(c);
        }
    }
    return out;
}

namespace {

std::string seconds(double s) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.3f", s);
    return buf;
}

} // namespace

std::string junit_xml(const std::vector<JunitCase> &cases) {
    unsigned failures = 0, errors = 0;
    double total = 0;
    for (const JunitCase &c : cases) {
        failures += c.outcome == JunitCase::Outcome::Failed;
        errors += c.outcome == JunitCase::Outcome::Error;
        total += c.seconds;
    }
    std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    const std::string counts = " tests=\"" + std::to_string(cases.size()) + "\" failures=\"" +
                               std::to_string(failures) + "\" errors=\"" + std::to_string(errors) +
                               "\" time=\"" + seconds(total) + "\"";
    x += "<testsuites name=\"rcsim\"" + counts + ">\n";
    x += "  <testsuite name=\"rcsim\"" + counts + " skipped=\"0\">\n";
    for (const JunitCase &c : cases) {
        x += "    <testcase name=\"" + xml_escape(c.name) + "\" classname=\"" +
             xml_escape(c.classname) + "\" file=\"" + xml_escape(c.file) + "\" time=\"" +
             seconds(c.seconds) + "\"";
        if (c.outcome == JunitCase::Outcome::Passed) {
            x += "/>\n";
            continue;
        }
        const char *tag = c.outcome == JunitCase::Outcome::Failed ? "failure" : "error";
        x += ">\n      <" + std::string(tag) + " message=\"" + xml_escape(c.message) +
             "\" type=\"" + tag + "\">" + xml_escape(c.details) + "</" + tag +
             ">\n    </testcase>\n";
    }
    x += "  </testsuite>\n</testsuites>\n";
    return x;
}

int write_junit(const std::string &path, const std::vector<JunitCase> &cases, std::string *error) {
    FILE *f = std::fopen(path.c_str(), "w");
    if (!f) {
        const int e = errno;
        *error = "cannot create " + path + ": " + std::strerror(e);
        return -e;
    }
    const std::string x = junit_xml(cases);
    const bool ok = std::fwrite(x.data(), 1, x.size(), f) == x.size();
    const int e = errno;
    if (std::fclose(f) != 0 || !ok) {
        *error = "cannot write " + path + ": " + std::strerror(ok ? errno : e);
        return -EIO;
    }
    return 0;
}

} // namespace rcsim
