// Mapped BAR areas through `rcsim run` (issue 16): the bundled shmem model
// offers BAR0's first page for mmap. With --bar-access mapping (the default)
// MemRd/MemWr there are loads and stores in the mapping: no REGION_READ or
// REGION_WRITE in the trace, a `mapped` record instead, counted in the
// summary; with --bar-access messages every access is a message. The
// decision log pins bar_access when mapping; a log without it (made before
// mapped areas existed) replays by messages. Expected counts are worked out
// by hand from the scenario text below and server-models/README.md.
#include "run_command.hpp"
#include "test_files.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace {

using rcsim::test::contains;
using rcsim::test::run_command;
using rcsim::test::slurp;
using rcsim::test::TempDir;

const std::string kRcsim = RCSIM_PATH;
const std::string kShmem = std::string(RCSIM_SERVER_MODELS_DIR) + "/shmem";

// One store and one load in the mapped page, one of each in the second
// page. WRITES (0x1000) counts REGION_WRITEs: 1 by mapping (only the store
// at 0x1004), 2 by messages.
std::string scenario(unsigned writes_expected) {
    return "write bar0 0x0 4 0x11223344\n"
           "read bar0 0x0 4 -> expect 0x11223344\n"
           "write bar0 0x1004 4 0x5\n"
           "read bar0 0x1000 4 -> expect " +
           std::to_string(writes_expected) + "\n";
}

// Lines of `trace` that contain every one of `parts`.
size_t lines_with(const std::string &trace, std::initializer_list<const char *> parts) {
    std::istringstream in(trace);
    std::string line;
    size_t n = 0;
    while (std::getline(in, line)) {
        bool all = true;
        for (const char *p : parts)
            all = all && contains(line, p);
        n += all;
    }
    return n;
}

struct RunResult {
    rcsim::test::CommandResult r;
    std::string trace, log, scenario;
};

RunResult run_shmem(const TempDir &d, const std::string &access, unsigned writes_expected) {
    const std::string s = d.write(access + ".rcs", scenario(writes_expected));
    RunResult out;
    out.r = run_command({kRcsim, "run", "--server", kShmem, "--scenario", s, "--bar-access", access,
                         "--trace", d.path + "/" + access + ".jsonl", "--decisions",
                         d.path + "/" + access + ".log"});
    out.trace = slurp(d.path + "/" + access + ".jsonl");
    out.log = d.path + "/" + access + ".log";
    out.scenario = s;
    return out;
}

TEST(CliMapping, StoresAndLoadsInTheMappedPageSendNoMessage) {
    TempDir d;
    const RunResult m = run_shmem(d, "mapping", 1);
    ASSERT_EQ(m.r.exit_code, 0) << m.r.out << m.r.err;
    EXPECT_TRUE(contains(m.r.out, "\n  mapped BAR areas: 1 reads / 1 writes served from the "
                                  "mapping, no message (of the MMIO above)\n"))
        << m.r.out;
    // The page-0 accesses are `mapped` records, not messages.
    EXPECT_EQ(lines_with(m.trace, {"\"kind\":\"mapped\"", "\"op\":\"store\"", "\"bar\":0,",
                                   "\"offset\":\"0x0\"", "\"len\":4"}),
              1u);
    EXPECT_EQ(lines_with(m.trace, {"\"kind\":\"mapped\"", "\"op\":\"load\"", "\"bar\":0,",
                                   "\"offset\":\"0x0\"", "\"len\":4"}),
              1u);
    EXPECT_EQ(lines_with(m.trace, {"\"kind\":\"mapped\""}), 2u);
    // Only the second page's store and load went as messages on BAR0.
    EXPECT_EQ(lines_with(m.trace, {"\"dir\":\"c2s\"", "\"cmd\":\"REGION_WRITE\"", "\"region\":0,"}),
              1u);
    EXPECT_EQ(lines_with(m.trace, {"\"dir\":\"c2s\"", "\"cmd\":\"REGION_WRITE\"", "\"region\":0,",
                                   "\"offset\":\"0x1004\""}),
              1u);
    EXPECT_EQ(lines_with(m.trace, {"\"dir\":\"c2s\"", "\"cmd\":\"REGION_READ\"", "\"region\":0,"}),
              1u);
    // Region info at connect: BAR0 twice (argsz 32, then the 64 it asked
    // for), BAR1-5 once; the fd came with BAR0's second reply.
    EXPECT_EQ(lines_with(m.trace, {"\"dir\":\"c2s\"", "\"cmd\":\"GET_REGION_INFO\""}), 7u);
    EXPECT_EQ(lines_with(m.trace, {"\"dir\":\"s2c\"", "\"cmd\":\"GET_REGION_INFO\"", "\"nfds\":1"}),
              1u);
}

TEST(CliMapping, MessagesSwitchSendsEveryAccess) {
    TempDir d;
    const RunResult m = run_shmem(d, "messages", 2);
    ASSERT_EQ(m.r.exit_code, 0) << m.r.out << m.r.err;
    EXPECT_FALSE(contains(m.r.out, "mapped BAR areas")) << m.r.out;
    EXPECT_EQ(lines_with(m.trace, {"\"kind\":\"mapped\""}), 0u);
    EXPECT_EQ(lines_with(m.trace, {"\"dir\":\"c2s\"", "\"cmd\":\"REGION_WRITE\"", "\"region\":0,"}),
              2u);
    EXPECT_EQ(lines_with(m.trace, {"\"dir\":\"c2s\"", "\"cmd\":\"REGION_WRITE\"", "\"region\":0,",
                                   "\"offset\":\"0x0\""}),
              1u);
    EXPECT_EQ(lines_with(m.trace, {"\"dir\":\"c2s\"", "\"cmd\":\"REGION_READ\"", "\"region\":0,"}),
              2u);
    EXPECT_EQ(lines_with(m.trace, {"\"cmd\":\"GET_REGION_INFO\""}), 0u);
}

// The same scenario expecting the messages count fails under mapping: the
// counter really tells the two paths apart.
TEST(CliMapping, WritesCounterTellsThePathsApart) {
    TempDir d;
    const std::string s = d.write("wrong.rcs", scenario(2));
    const auto r = run_command({kRcsim, "run", "--server", kShmem, "--scenario", s});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
}

TEST(CliMapping, BadSwitchValueIsAUsageError) {
    const auto r = run_command(
        {kRcsim, "run", "--server", kShmem, "--scenario", "x.rcs", "--bar-access", "mmap"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, "--bar-access takes mapping or messages, not 'mmap'")) << r.err;
}

// The log pins bar_access only when mapping: a log without it is one made
// before mapped areas (by messages), and replays so. Mapping asks region info
// 7 times at connect (BAR0 twice), so its first REGION_READ is #10; by
// messages it is #3 (VERSION #1, DMA_MAP #2).
TEST(CliMapping, DecisionLogPinsMappingAndOldLogsReplayByMessages) {
    TempDir d;
    const std::string s = d.write("s.rcs", "read bar0 0x0 4 -> expect 0\n"
                                           "read bar0 0x1000 4 -> expect 0\n");
    auto scheduled = [&](const std::string &access) {
        const std::string log = d.path + "/" + access + ".log";
        const auto r =
            run_command({kRcsim, "run", "--server", kShmem, "--scenario", s, "--schedule", "fifo",
                         "--bar-access", access, "--decisions", log});
        EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
        return log;
    };
    const std::string m = scheduled("mapping"), g = scheduled("messages");
    const std::string log_m = slurp(m), log_g = slurp(g);
    const std::string header_m = log_m.substr(0, log_m.find('\n'));
    EXPECT_TRUE(contains(header_m, "\"bar_access\":\"mapping\",")) << header_m;
    EXPECT_FALSE(contains(log_g.substr(0, log_g.find('\n')), "bar_access"));
    EXPECT_TRUE(contains(log_m, "\"chosen\":\"reply REGION_READ #10 main\"")) << log_m;
    EXPECT_TRUE(contains(log_g, "\"chosen\":\"reply REGION_READ #3 main\"")) << log_g;
    const auto rm = run_command({kRcsim, "replay", m, "--server-from-log"});
    EXPECT_EQ(rm.exit_code, 0) << rm.out << rm.err;
    const auto rg = run_command({kRcsim, "replay", g, "--server-from-log"});
    EXPECT_EQ(rg.exit_code, 0) << rg.out << rg.err;
    // The mapping log without its bar_access: read as a log from before
    // mapped areas, it replays by messages and parts at decision 0.
    std::string old = log_m;
    old.erase(old.find("\"bar_access\":\"mapping\","), 23);
    const std::string old_path = d.write("old.log", old);
    const auto ro = run_command({kRcsim, "replay", old_path, "--server-from-log"});
    EXPECT_EQ(ro.exit_code, 3) << ro.out << ro.err;
    EXPECT_TRUE(contains(ro.out + ro.err, "[\"reply REGION_READ #10 main\"] vs [\"reply "
                                          "REGION_READ #3 main\"]"))
        << ro.out << ro.err;
}

} // namespace
