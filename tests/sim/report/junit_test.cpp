// The JUnit writer on its own, read back by the strict reader in
// xml_check.cpp: counts, outcomes and escaping of hostile text.
#include "junit_report.hpp"
#include "xml_check.hpp"

#include <gtest/gtest.h>

namespace {

using rcsim::JunitCase;

TEST(CliJunit, CountsAndOutcomes) {
    std::vector<JunitCase> cases(3);
    cases[0].name = "regs";
    cases[0].classname = "rcsim.scenarios";
    cases[0].file = "tests/scenarios/regs.rcs";
    cases[0].seconds = 0.25;
    cases[1].name = "bad";
    cases[1].outcome = JunitCase::Outcome::Failed;
    cases[1].message = "bad.rcs:3: expected 0x01, got 0x02";
    cases[1].details = "bad.rcs:3: read bar0 0 1 -> expect 1\n  expected 0x01, got 0x02\n";
    cases[2].name = "broken";
    cases[2].outcome = JunitCase::Outcome::Error;
    cases[2].message = "broken.rcs:1:1: unknown statement 'x'";

    std::string err;
    const auto root = rcsim::test::parse_xml(rcsim::junit_xml(cases), &err);
    ASSERT_TRUE(root) << err;
    EXPECT_EQ(root->name, "testsuites");
    EXPECT_EQ(root->attrs.at("tests"), "3");
    EXPECT_EQ(root->attrs.at("failures"), "1");
    EXPECT_EQ(root->attrs.at("errors"), "1");
    const auto suites = root->all("testsuite");
    ASSERT_EQ(suites.size(), 1u);
    EXPECT_EQ(suites[0]->attrs.at("tests"), "3");
    const auto tc = suites[0]->all("testcase");
    ASSERT_EQ(tc.size(), 3u);
    EXPECT_EQ(tc[0]->attrs.at("name"), "regs");
    EXPECT_EQ(tc[0]->attrs.at("file"), "tests/scenarios/regs.rcs");
    EXPECT_EQ(tc[0]->attrs.at("time"), "0.250");
    EXPECT_TRUE(tc[0]->children.empty());
    ASSERT_EQ(tc[1]->all("failure").size(), 1u);
    EXPECT_EQ(tc[1]->all("failure")[0]->attrs.at("message"), cases[1].message);
    EXPECT_EQ(tc[1]->all("failure")[0]->text, cases[1].details);
    ASSERT_EQ(tc[2]->all("error").size(), 1u);
    EXPECT_EQ(tc[2]->all("error")[0]->attrs.at("message"), cases[2].message);
}

TEST(CliJunit, HostileTextIsEscaped) {
    std::vector<JunitCase> cases(1);
    cases[0].name = "a\"<b>&'c";
    cases[0].outcome = JunitCase::Outcome::Failed;
    cases[0].message = "</failure><x>";
    cases[0].details = std::string("bell\x07 and ]]> & <tag>\n");
    std::string err;
    const auto root = rcsim::test::parse_xml(rcsim::junit_xml(cases), &err);
    ASSERT_TRUE(root) << err;
    const auto *tc = root->all("testsuite")[0]->all("testcase")[0];
    EXPECT_EQ(tc->attrs.at("name"), "a\"<b>&'c");
    EXPECT_EQ(tc->all("failure")[0]->attrs.at("message"), "</failure><x>");
    // A control character cannot appear in XML 1.0 at all: replaced.
    EXPECT_EQ(tc->all("failure")[0]->text, "bell? and ]]> & <tag>\n");
}

TEST(CliJunit, NoCases) {
    std::string err;
    const auto root = rcsim::test::parse_xml(rcsim::junit_xml({}), &err);
    ASSERT_TRUE(root) << err;
    EXPECT_EQ(root->attrs.at("tests"), "0");
    EXPECT_TRUE(root->all("testsuite")[0]->all("testcase").empty());
}

TEST(CliJunit, TheCheckerRejectsBrokenXml) {
    std::string err;
    EXPECT_FALSE(rcsim::test::parse_xml("<a><b></a></b>", &err));
    EXPECT_FALSE(rcsim::test::parse_xml("<a x=1/>", &err));
    EXPECT_FALSE(rcsim::test::parse_xml("<a>&nbsp;</a>", &err));
    EXPECT_FALSE(rcsim::test::parse_xml("<a x=\"<\"/>", &err));
    EXPECT_FALSE(rcsim::test::parse_xml("<a/><b/>", &err));
    EXPECT_FALSE(rcsim::test::parse_xml("<a>", &err));
    EXPECT_TRUE(rcsim::test::parse_xml("<?xml version=\"1.0\"?>\n<a x='1'>t&amp;<b/></a>\n", &err))
        << err;
}

} // namespace
