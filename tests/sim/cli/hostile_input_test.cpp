// Hostile input to the rcsim command (issue 14, items 3, 4, 5, 11, 12, 14):
// a directory, a FIFO and /dev/zero where a file is expected (scenario,
// include, replay log, replay:LOG schedule, labels file, trace to convert),
// an include bomb, cycle counts past the bound, a log whose server is
// `sh -c ...`, a diverged replay and settings that differ from the log's.
// Each is refused quickly with exit 2 naming the file (3 for a diverged
// replay), in bounded memory, and nothing the log names is executed.
#include "run_command.hpp"
#include "test_files.hpp"

#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace {

using rcsim::test::CommandResult;
using rcsim::test::contains;
using rcsim::test::run_command;
using rcsim::test::slurp;
using rcsim::test::write_file;

const std::string kRcsim = RCSIM_PATH;
const std::string kRegs = std::string(RCSIM_SERVER_MODELS_DIR) + "/regs";
const std::string kRegsScenario = std::string(CLI_SCENARIOS_DIR) + "/regs.rcs";

#ifdef __SANITIZE_ADDRESS__
constexpr long kMaxRssKb = 1024 * 1024; // ASan's shadow memory and quarantine
#else
constexpr long kMaxRssKb = 256 * 1024;
#endif
constexpr int kLimitMs = 20000; // a hang is a failure, not a wait

bool exists(const std::string &path) {
    struct stat st {};
    return stat(path.c_str(), &st) == 0;
}

long children_peak_rss_kb() {
    rusage ru{};
    getrusage(RUSAGE_CHILDREN, &ru);
    return ru.ru_maxrss;
}

class Hostile : public ::testing::Test {
  protected:
    void SetUp() override {
        char t[] = "/tmp/rcsim-hostile-XXXXXX";
        ASSERT_NE(mkdtemp(t), nullptr);
        dir = t;
        ASSERT_EQ(mkdir((dir + "/a-directory").c_str(), 0755), 0);
        ASSERT_EQ(mkfifo((dir + "/a-fifo").c_str(), 0644), 0);
    }
    void TearDown() override { std::system(("rm -rf '" + dir + "'").c_str()); }

    // Runs rcsim, prints how long it took to answer (the report's figure).
    CommandResult timed(const std::string &what, const std::vector<std::string> &argv) {
        const auto t0 = std::chrono::steady_clock::now();
        CommandResult r = run_command(argv, kLimitMs);
        const double ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                .count();
        std::printf("  %-40s exit %d in %.0f ms\n", what.c_str(), r.exit_code, ms);
        EXPECT_FALSE(r.timed_out) << what << " hung";
        return r;
    }

    // A passing fifo run of regs.rcs with its decision log.
    std::string make_log(const std::string &name, const std::vector<std::string> &extra = {}) {
        const std::string log = dir + "/" + name;
        std::vector<std::string> argv = {
            kRcsim,        "run",        "--server", kRegs,         "--scenario",
            kRegsScenario, "--schedule", "fifo",     "--decisions", log};
        argv.insert(argv.end(), extra.begin(), extra.end());
        const CommandResult r = run_command(argv);
        EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
        return log;
    }

    std::string dir;
};

// The three kinds of not-a-file, as each input rcsim reads.
TEST_F(Hostile, DirectoryFifoAndDevZeroAreRefusedAsEveryInput) {
    const std::string log = make_log("good.jsonl");
    for (const std::string &bad :
         {dir + "/a-directory", dir + "/a-fifo", std::string("/dev/zero")}) {
        CommandResult r =
            timed("--scenario " + bad, {kRcsim, "run", "--server", kRegs, "--scenario", bad});
        EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
        EXPECT_TRUE(contains(r.err, "cannot read scenario " + bad + ": not a regular file"))
            << r.err;
        EXPECT_FALSE(contains(r.out, "PASS")) << r.out;

        const std::string inc = dir + "/includes-it.rcs";
        write_file(inc, "delay 1\ninclude \"" + bad + "\"\n");
        r = timed("include \"" + bad + "\"", {kRcsim, "run", "--server", kRegs, "--scenario", inc});
        EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
        EXPECT_TRUE(contains(r.err, inc + ":2:9: cannot include " + bad + ": not a regular file"))
            << r.err;

        r = timed("replay " + bad, {kRcsim, "replay", bad, "--server-from-log"});
        EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
        EXPECT_TRUE(contains(r.err, bad + ": not a regular file")) << r.err;

        r = timed("--schedule replay:" + bad, {kRcsim, "run", "--server", kRegs, "--scenario",
                                               kRegsScenario, "--schedule", "replay:" + bad});
        EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
        EXPECT_TRUE(contains(r.err, bad + ": not a regular file")) << r.err;

        r = timed("--schedule labels:" + bad, {kRcsim, "run", "--server", kRegs, "--scenario",
                                               kRegsScenario, "--schedule", "labels:" + bad});
        EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
        EXPECT_TRUE(contains(r.err, "labels file " + bad + ": not a regular file")) << r.err;
        r = timed("perfetto " + bad, {kRcsim, "perfetto", bad, dir + "/out.json"});
        EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
        EXPECT_TRUE(contains(r.err, "cannot read " + bad + ": not a regular file")) << r.err;
    }
    EXPECT_LT(children_peak_rss_kb(), kMaxRssKb);
}

TEST_F(Hostile, OversizedFilesAreRefusedByTheirLimit) {
    // One byte over 1 MiB (the per-file limit of a scenario), sparse.
    const std::string big = dir + "/big.rcs";
    ASSERT_EQ(truncate((write_file(big, ""), big).c_str(), (1 << 20) + 1), 0);
    const CommandResult r =
        timed("a 1 MiB + 1 byte scenario", {kRcsim, "run", "--server", kRegs, "--scenario", big});
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_TRUE(contains(r.err, big + ": larger than 1048576 bytes")) << r.err;
}

// 8 files, each including the next 10 times (10^7 includes expanded): a
// parse error naming where the bound was hit, not std::bad_alloc (exit 134).
TEST_F(Hostile, IncludeBombIsAParseError) {
    for (int i = 0; i < 7; ++i) {
        std::string text;
        for (int k = 0; k < 10; ++k)
            text += "include \"bomb" + std::to_string(i + 1) + ".rcs\"\n";
        write_file(dir + "/bomb" + std::to_string(i) + ".rcs", text);
    }
    write_file(dir + "/bomb7.rcs", "delay 1\n");
    const CommandResult r =
        timed("include bomb", {kRcsim, "run", "--server", kRegs, "--scenario", dir + "/bomb0.rcs"});
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_TRUE(contains(r.err, "more than 10000 includes read in all")) << r.err;
    // Reads go depth first; the 10001st is the include on line 9 of bomb6.rcs
    // (3 reads down to bomb3, 8 whole bomb4 subtrees of 1111, 9 of 111
    // below the 9th, 9 of 11 below the 10th, then the 9th line of bomb6).
    EXPECT_TRUE(contains(r.err, "/bomb6.rcs:9:9: more than 10000 includes")) << r.err;
    EXPECT_LT(children_peak_rss_kb(), kMaxRssKb);
}

TEST_F(Hostile, HugeCycleCountsAreParseErrorsWithLineAndColumn) {
    const struct {
        const char *text;
        const char *where;
    } cases[] = {
        {"delay 18446744073709551615\n", ":1:7: cycles 18446744073709551615 is larger than "
                                         "4294967296"},
        {"drain within 0xffffffffffffffff\n", ":1:14: cycle bound"},
        {"write bar0 0 4 1\npoll bar0 0 4 until 0x9999 within 0x8000000000000000 every 1\n",
         ":2:35: cycle bound 9223372036854775808 is larger than 4294967296"},
    };
    for (const auto &c : cases) {
        const std::string f = dir + "/huge.rcs";
        write_file(f, c.text);
        const CommandResult r = timed(c.text, {kRcsim, "run", "--server", kRegs, "--scenario", f});
        EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
        EXPECT_TRUE(contains(r.err, f + c.where)) << r.err;
    }
}

// Item 12: no exception leaves rcsim as an abort (exit 134). Host memory
// for a 1 GiB fill under a 768 MiB address-space limit throws
// std::bad_alloc; rcsim reports it and exits 2.
TEST_F(Hostile, AnExceptionIsAnErrorNotAnAbort) {
#ifdef __SANITIZE_ADDRESS__
    GTEST_SKIP() << "ASan reserves terabytes of address space: no RLIMIT_AS under it";
#endif
    const std::string prlimit = "/usr/bin/prlimit";
    if (!exists(prlimit))
        GTEST_SKIP() << "no " << prlimit << " (util-linux)";
    const std::string f = dir + "/fill1g.rcs";
    write_file(f, "fill 0 1G pattern counter\n");
    const CommandResult r =
        timed("1 GiB fill under a 768 MiB limit",
              {prlimit, "--as=805306368", kRcsim, "run", "--server", kRegs, "--scenario", f});
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_TRUE(contains(r.err, "rcsim run: internal error: std::bad_alloc")) << r.err;
}

// ---- replay (items 4, 5, 14)

// A log naming `sh -c '...'` with the shell's real hash: replay starts
// nothing the user did not name, with or without --force.
TEST_F(Hostile, ReplayDoesNotRunTheServerALogNames) {
    const std::string log = make_log("good.jsonl");
    std::string text = slurp(log);
    const std::string pwned = dir + "/PWNED.txt";
    const size_t a = text.find("\"argv\":[");
    const size_t b = text.find("]", a);
    ASSERT_NE(a, std::string::npos);
    text.replace(a, b - a + 1, "\"argv\":[\"/bin/sh\",\"-c\",\"id > " + pwned + "\"]");
    const std::string evil = dir + "/evil.jsonl";
    write_file(evil, text);

    CommandResult r = timed("replay of a sh -c log", {kRcsim, "replay", evil});
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_TRUE(contains(r.err, "'/bin/sh' '-c' 'id > " + pwned + "'")) << r.err;
    EXPECT_TRUE(contains(r.err, "--server-from-log")) << r.err;
    r = timed("replay of a sh -c log, --force", {kRcsim, "replay", evil, "--force"});
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    // Another server named by the user: the argv differs from the log's.
    r = timed("replay of a sh -c log, --server regs", {kRcsim, "replay", evil, "--server", kRegs});
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_TRUE(contains(r.err, "mismatch: server argv")) << r.err;
    EXPECT_FALSE(exists(pwned)) << "the log's command ran";

    // The user naming the logged server again (or accepting it) replays.
    r = run_command({kRcsim, "replay", log, "--server", kRegs});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, "the run took every decision of the log")) << r.out;
    r = run_command({kRcsim, "replay", log, "--server-from-log"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

// A truncated log: the run goes on past its last choice: diverged, exit 3,
// for `rcsim replay` and for `rcsim run --schedule replay:LOG`.
TEST_F(Hostile, ADivergedReplayExitsThree) {
    const std::string log = make_log("good.jsonl");
    std::istringstream in(slurp(log));
    std::string line, cut;
    for (int i = 0; i < 6 && std::getline(in, line); ++i)
        cut += line + "\n"; // the header and five decisions
    const std::string trunc = dir + "/truncated.jsonl";
    write_file(trunc, cut);
    CommandResult r = run_command({kRcsim, "replay", trunc, "--server-from-log"});
    EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, "replay diverged: choice 5")) << r.out;
    EXPECT_TRUE(contains(r.out, "the run parts from the log at decision 5")) << r.out;
    r = run_command({kRcsim, "run", "--server", kRegs, "--scenario", kRegsScenario, "--schedule",
                     "replay:" + trunc});
    EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, "replay diverged: choice 5")) << r.out;
    // The whole log replays: 0.
    r = run_command({kRcsim, "run", "--server", kRegs, "--scenario", kRegsScenario, "--schedule",
                     "replay:" + log});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

// explore/run --cpl-timeout 100, then replay: the log's 100, not the
// default 50000; another value on the command line is refused by name.
TEST_F(Hostile, ReplayTakesThePinnedSettingsAndRefusesOthers) {
    const std::string log = make_log("cpl100.jsonl", {"--cpl-timeout", "100"});
    EXPECT_TRUE(contains(slurp(log), "\"cpl_timeout\":\"100\"")) << slurp(log);
    const std::string again = dir + "/again.jsonl";
    CommandResult r =
        run_command({kRcsim, "replay", log, "--server-from-log", "--decisions", again});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(contains(slurp(again), "\"cpl_timeout\":\"100\"")) << slurp(again);

    r = run_command({kRcsim, "replay", log, "--server-from-log", "--cpl-timeout", "50000"});
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_TRUE(
        contains(r.err, "mismatch: setting cpl_timeout: log has \"100\", run has \"50000\""))
        << r.err;
    r = run_command({kRcsim, "run", "--server", kRegs, "--scenario", kRegsScenario, "--schedule",
                     "replay:" + log});
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_TRUE(contains(r.err, "mismatch: setting cpl_timeout")) << r.err;

    // Tampered values: out of range, malformed, unknown: refused, --force or not.
    const std::string text = slurp(log);
    const struct {
        const char *from, *to, *says;
    } edits[] = {
        {"\"mps\":\"256\"", "\"mps\":\"99999\"", "refused setting mps"},
        {"\"cpl_timeout\":\"100\"", "\"cpl_timeout\":\"1e3\"", "refused setting cpl_timeout"},
        {"\"rcb\":\"64\"", "\"rcb\":\"64\",\"frobs\":\"1\"", "refused setting frobs"},
        {"\"twin_offered\":\"yes\"", "\"twin_offered\":\"maybe\"", "refused setting twin_offered"}};
    for (const auto &e : edits) {
        std::string t = text;
        const size_t at = t.find(e.from);
        ASSERT_NE(at, std::string::npos) << e.from;
        t.replace(at, std::string(e.from).size(), e.to);
        const std::string bad = dir + "/tampered.jsonl";
        write_file(bad, t);
        r = run_command({kRcsim, "replay", bad, "--server-from-log", "--force"});
        EXPECT_EQ(r.exit_code, 2) << e.to << r.out << r.err;
        EXPECT_TRUE(contains(r.err, e.says)) << r.err;
    }
}

} // namespace
