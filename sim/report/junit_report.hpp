// JUnit XML for CI systems (the schema Jenkins, GitLab and GitHub read):
// one <testsuite> "rcsim", one <testcase> per scenario, a failed scenario's
// report in <failure>, a scenario that could not run in <error>.
#pragma once

#include <string>
#include <vector>

namespace rcsim {

struct JunitCase {
    std::string name;      // the scenario's file name without .rcs
    std::string classname; // "rcsim.scenarios"
    std::string file;      // the scenario's path
    double seconds = 0;
    enum class Outcome { Passed, Failed, Error } outcome = Outcome::Passed;
    std::string message; // one line
    std::string details; // the whole report
};

std::string junit_xml(const std::vector<JunitCase> &cases);
// 0 or negative errno with `error` set.
int write_junit(const std::string &path, const std::vector<JunitCase> &cases, std::string *error);

// Escapes text for XML content and attribute values (also drops characters
// XML 1.0 cannot carry).
std::string xml_escape(const std::string &s);

} // namespace rcsim
