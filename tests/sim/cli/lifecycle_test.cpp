// Scenarios that test a device's error paths and its lifecycle, run by
// `rcsim run` against the bundled models (sim/scenario/SCENARIOS.md,
// "Expected outcomes" and "Device lifecycle"): a completion status or a
// refused posted write stated in the scenario, and what happens when none
// is stated or the stated one does not come.
#include "run_command.hpp"
#include "test_files.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using rcsim::test::contains;
using rcsim::test::run_command;
using rcsim::test::slurp;
using rcsim::test::TempDir;

const std::string kRcsim = RCSIM_PATH;
const std::string kModels = RCSIM_SERVER_MODELS_DIR;
const std::string kScenarios = CLI_SCENARIOS_DIR;
const std::string kFaultPeer = FAULT_PEER;

size_t count_of(const std::string &s, const std::string &what) {
    size_t n = 0;
    for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1))
        ++n;
    return n;
}

rcsim::test::CommandResult run(const std::string &server, const std::string &scenario,
                               const std::vector<std::string> &extra = {}) {
    std::vector<std::string> argv = {kRcsim, "run", "--server", server, "--scenario", scenario};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run_command(argv);
}

// ---- expected outcomes

// gpio has a conventional 256-byte config space: the server refuses an
// access at 0x100 (out of bounds, EINVAL), which the bridge completes as
// Unsupported Request (sim/bridge/README.md).
TEST(CliOutcome, ConfigAccessBeyondTheConfigSpaceExpectsUR) {
    TempDir d;
    const std::string ok = d.write("ur.rcs", "read cfg 0x100 4 -> status UR\n"
                                             "write cfg 0x100 4 0 -> status UR\n"
                                             "read cfg 0x00 2 -> status SC\n");
    auto r = run(kModels + "/gpio", ok);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;

    // Without a stated status the UR fails the statement, as before.
    const std::string plain = d.write("plain.rcs", "read cfg 0x100 4\n");
    r = run(kModels + "/gpio", plain);
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.out + r.err, "the read completed with UR")) << r.out << r.err;

    // Another status than the stated one fails, naming both.
    const std::string wrong = d.write("wrong.rcs", "read cfg 0x00 2 -> status UR\n");
    r = run(kModels + "/gpio", wrong);
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.out + r.err, "wrong.rcs:1: read cfg 0x00 2 -> status UR"))
        << r.out << r.err;
    EXPECT_TRUE(contains(r.out + r.err, "the read completed with SC, expected UR"))
        << r.out << r.err;
    const std::string wrong_write = d.write("ww.rcs", "write cfg 0x100 4 0 -> status CA\n");
    r = run(kModels + "/gpio", wrong_write);
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.out + r.err, "the write completed with UR, expected CA"))
        << r.out << r.err;
}

// dmaprobe's STATUS register (BAR0 0x18) is read-only: the server refuses
// the REGION_WRITE with EINVAL. Stated, that is the outcome the run expects.
TEST(CliOutcome, RefusedPostedWritePassesWhenExpected) {
    TempDir d;
    const std::string scen = d.write("w.rcs", "write bar0 0x18 4 1 -> refused\n"
                                              "read bar0 0x18 4\n");
    const auto r = run(kModels + "/dmaprobe", scen);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, "refused MMIO writes 1")) << r.out;
    EXPECT_FALSE(contains(r.err, "server refused a posted MMIO write")) << r.err;
}

// A refusal expected of a write the server takes (dmaprobe's DMA address
// register at 0x00 is RW) fails the statement.
TEST(CliOutcome, ExpectedRefusalThatDoesNotHappenFails) {
    TempDir d;
    const std::string scen = d.write("w.rcs", "write bar0 0x00 4 0x1000 -> refused\n");
    const auto r = run(kModels + "/dmaprobe", scen);
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.out + r.err, "w.rcs:1: write bar0 0x00 4 0x1000 -> refused"))
        << r.out << r.err;
    EXPECT_TRUE(
        contains(r.out + r.err, "expected the server to refuse the write, but it accepted it"))
        << r.out << r.err;
}

// One refusal expected does not cover another write's: the second refused
// write still fails the run with the harness's note.
TEST(CliOutcome, AnExpectedRefusalCoversOnlyItsWrite) {
    TempDir d;
    const std::string scen = d.write("w.rcs", "write bar0 0x18 4 1 -> refused\n"
                                              "write bar0 0x18 4 2\n");
    const auto r = run(kModels + "/dmaprobe", scen);
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.err, "server refused a posted MMIO write (errno 22)")) << r.err;
    EXPECT_TRUE(contains(r.out, "refused MMIO writes 2")) << r.out;
}

// BAR0 of dmaprobe is a memory BAR: its writes are posted, so a completion
// status cannot be expected of them.
TEST(CliOutcome, StatusOnAPostedWriteFailsNamingTheBarKind) {
    TempDir d;
    const std::string scen = d.write("w.rcs", "write bar0 0x00 4 1 -> status SC\n");
    const auto r = run(kModels + "/dmaprobe", scen);
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.out + r.err, "BAR0 is a memory BAR: a write to it is posted"))
        << r.out << r.err;
}

// The server closes its sockets just before the scenario's read reaches it
// (the fault peer's boundary N counts messages from VERSION): the read
// completes with Completer Abort, which the statement expects; the run
// still fails, for the lost server, not for the read.
TEST(CliOutcome, ReadFromAGoneServerExpectsCA) {
    TempDir d;
    const std::string scen = d.write("ca.rcs", "read cfg 0x00 2 -> status CA\n");
    const std::string trace = d.path + "/t.jsonl";
    auto r = run(kModels + "/regs", d.write("plain.rcs", "read cfg 0x00 2\n"), {"--trace", trace});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    const size_t messages = count_of(slurp(trace), "\"kind\":\"msg\"");
    ASSERT_GT(messages, 2u);
    const std::string at = std::to_string(messages - 2);
    const std::string server = kFaultPeer + " --fault close --at " + at + " " + kModels + "/regs";
    r = run(server, scen);
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.out + r.err, "every statement passed, but the harness reported"))
        << r.out << r.err;
    EXPECT_FALSE(contains(r.out + r.err, "the read completed with")) << r.out << r.err;
    // The same read without the stated status fails as the statement.
    r = run(server, d.write("plain2.rcs", "read cfg 0x00 2\n"));
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.out + r.err, "the read completed with CA")) << r.out << r.err;
}

} // namespace
