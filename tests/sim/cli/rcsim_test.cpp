// The rcsim executable as a user runs it: exit status 0/1/2, reports naming
// file:line (and column for malformed scenarios), the server's own stderr
// when it cannot start, the JUnit file (read back strictly), the waveform
// and trace files, and `rcsim probe` printing what vu-probe prints.
#include "run_command.hpp"
#include "test_files.hpp"
#include "xml_check.hpp"

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

namespace {

using rcsim::test::contains;
using rcsim::test::run_command;
using rcsim::test::slurp;
using rcsim::test::TempDir;

const std::string kRcsim = RCSIM_PATH;
const std::string kModels = RCSIM_SERVER_MODELS_DIR;
const std::string kData = CLI_DATA_DIR;
const std::string kScenarios = CLI_SCENARIOS_DIR;

std::vector<std::string> run_args(const std::string &server, const std::string &scenario) {
    return {kRcsim, "run", "--server", server, "--scenario", scenario};
}

TEST(CliRcsim, HelpListsTheCommands) {
    auto r = run_command({kRcsim, "--help"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_TRUE(contains(r.out, "run ")) << r.out;
    EXPECT_TRUE(contains(r.out, "probe ")) << r.out;
    r = run_command({kRcsim, "run", "--help"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_TRUE(contains(r.out, "--scenario FILE")) << r.out;
    EXPECT_TRUE(contains(r.out, "--junit")) << r.out;
}

TEST(CliRcsim, UsageErrorsExitTwo) {
    auto r = run_command({kRcsim});
    EXPECT_EQ(r.exit_code, 2);
    r = run_command({kRcsim, "frobnicate"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, "unknown command 'frobnicate'")) << r.err;
    r = run_command({kRcsim, "run", "--scenario", kScenarios + "/regs.rcs", "--bogus"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, "unknown option '--bogus'")) << r.err;
    r = run_command({kRcsim, "run", "--server", kModels + "/regs"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, "no --scenario")) << r.err;
    r = run_command({kRcsim, "run", "--server", kModels + "/regs", "--socket", "/tmp/x.sock",
                     "--scenario", kScenarios + "/regs.rcs"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, "one of --server and --socket, not both")) << r.err;
    // Neither: only a scenario beginning with a topology statement runs.
    r = run_command({kRcsim, "run", "--scenario", kScenarios + "/regs.rcs"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, "no server: give --server or --socket, or begin the scenario "
                                "with a topology statement"))
        << r.err;
    r = run_command({kRcsim, "run", "--server", kModels + "/regs", "--scenario"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, "--scenario needs a value")) << r.err;
    r = run_command({kRcsim, "run", "--server", kModels + "/regs", "--irq", "nmi", "--scenario",
                     kScenarios + "/regs.rcs"});
    EXPECT_EQ(r.exit_code, 2);
}

TEST(CliRcsim, MissingScenarioFileExitsTwo) {
    const auto r = run_command(run_args(kModels + "/regs", kData + "/no_such.rcs"));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, "cannot read scenario " + kData + "/no_such.rcs")) << r.err;
}

TEST(CliRcsim, MalformedScenarioExitsTwoNamingLineAndColumn) {
    auto r = run_command(run_args(kModels + "/regs", kData + "/malformed.rcs"));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, kData + "/malformed.rcs:4:18: size must be 1, 2, 4 or 8, not 5"))
        << r.err;
    EXPECT_FALSE(contains(r.out, "PASS")) << r.out;
    // Through an include, the included file's line and column.
    r = run_command(run_args(kModels + "/regs", kData + "/includes_bad.rcs"));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, kData + "/malformed.rcs:4:18:")) << r.err;
}

TEST(CliRcsim, WrongExpectationExitsOneNamingLineExpectedAndActual) {
    const auto r = run_command(run_args(kModels + "/regs", kData + "/wrong_expect.rcs"));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_TRUE(contains(r.err, kData + "/wrong_expect.rcs:5: read bar0 0x100 4 -> expect "
                                        "0x11223345\n  expected 0x11223345, got 0x11223344"))
        << r.err;
    // It stops there: line 6 would fail too but is never reported.
    EXPECT_FALSE(contains(r.err, "wrong_expect.rcs:6")) << r.err;
    EXPECT_TRUE(contains(r.out, "rcsim: FAIL")) << r.out;
}

TEST(CliRcsim, WrongHostMemoryNamesTheByte) {
    const auto r = run_command(run_args(kModels + "/regs", kData + "/expect_mem_wrong.rcs"));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_TRUE(contains(r.err, "expect_mem_wrong.rcs:4: expect-mem 0x10000000 1K pattern counter"))
        << r.err;
    EXPECT_TRUE(contains(r.err, "byte 300 (address 0x1000012c): expected 0x2c, got 0x00")) << r.err;
}

TEST(CliRcsim, MissingInterruptFailsWithinItsBound) {
    const auto r = run_command(run_args(kModels + "/dmacopy", kData + "/irq_timeout.rcs"));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_TRUE(contains(r.err, "irq_timeout.rcs:2: wait-irq msix 0 within 5000")) << r.err;
    EXPECT_TRUE(contains(r.err, "expected MSI-X vector 0 within 5000 cycles, got none")) << r.err;
    // regs has no interrupts at all.
    const auto r2 = run_command(run_args(kModels + "/regs", kData + "/irq_timeout.rcs"));
    EXPECT_EQ(r2.exit_code, 1);
    EXPECT_TRUE(contains(r2.err, "set up for no interrupts")) << r2.err;
}

TEST(CliRcsim, AccessOutsideTheBarFails) {
    const auto r = run_command(run_args(kModels + "/regs", kData + "/outside_bar.rcs"));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_TRUE(contains(r.err, "outside_bar.rcs:3: read bar0 0xffc 8\n  offset 0xffc + 8 lies "
                                "outside BAR0 (0x1000 bytes)"))
        << r.err;
    // dmacopy has no BAR1 (BAR2 is 64-bit: BAR3 is its upper half).
    TempDir d;
    std::ofstream(d.path + "/bar3.rcs") << "read bar3 0 4\n";
    const auto r2 = run_command(run_args(kModels + "/dmacopy", d.path + "/bar3.rcs"));
    EXPECT_EQ(r2.exit_code, 1);
    EXPECT_TRUE(contains(r2.err, "the device has no BAR3")) << r2.err;
}

// gpio's BAR2 is an I/O BAR of 0x100 bytes (server-models/README.md).
TEST(CliRcsim, IoBarThatDoesNotFitTheIoWindowExitsTwo) {
    auto args = run_args(kModels + "/gpio", kScenarios + "/gpio_io.rcs");
    args.insert(args.end(), {"--io-window", "0x1000+0x80"});
    const auto r = run_command(args);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, "enumeration failed: enumeration: BAR2 (I/O, 0x100 bytes) does "
                                "not fit the I/O window 0x1000..0x107f"))
        << r.err;
    // A window past the 32-bit I/O space is a usage error.
    args.back() = "0xffffff00+0x200";
    const auto r2 = run_command(args);
    EXPECT_EQ(r2.exit_code, 2);
    EXPECT_TRUE(contains(r2.err, "--io-window takes BASE+SIZE")) << r2.err;
}

TEST(CliRcsim, IoBarGoesWhereTheIoWindowSays) {
    TempDir d;
    std::ofstream(d.path + "/io.rcs") << "read cfg 0x18 4 -> expect 0x0000c001\n"
                                         "read bar2 0x1 1 -> expect 0xff\n";
    auto args = run_args(kModels + "/gpio", d.path + "/io.rcs");
    args.insert(args.end(), {"--io-window=0xc000+0x1000"});
    const auto r = run_command(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(contains(r.out, "\n  I/O: 1 reads / 0 writes (IORd/IOWr)\n")) << r.out;
}

TEST(CliRcsim, EightByteAccessToAnIoBarFails) {
    TempDir d;
    std::ofstream(d.path + "/io8.rcs") << "read bar2 0x0 8\n";
    const auto r = run_command(run_args(kModels + "/gpio", d.path + "/io8.rcs"));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_TRUE(contains(r.err, "io8.rcs:1: read bar2 0x0 8\n  BAR2 is an I/O BAR: accesses of 1, "
                                "2 or 4 bytes inside one DW"))
        << r.err;
}

TEST(CliRcsim, ServerThatFailsToStartExitsTwoWithItsStderr) {
    // The harness appends --socket PATH: sh takes them as $0 and $1.
    auto r = run_command(
        run_args("/bin/sh -c 'echo model-says-boom >&2; exit 3'", kScenarios + "/regs.rcs"));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, "model-says-boom")) << r.err;
    r = run_command(run_args(kModels + "/no-such-model", kScenarios + "/regs.rcs"));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, "no-such-model")) << r.err;
    r = run_command(run_args("'unterminated", kScenarios + "/regs.rcs"));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, "--server")) << r.err;
    r = run_command({kRcsim, "run", "--socket", "/tmp/rcsim-cli-no-such.sock", "--scenario",
                     kScenarios + "/regs.rcs"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, "cannot reach or set up the server")) << r.err;
}

TEST(CliRcsim, PassingRunPrintsTheSummary) {
    const auto r = run_command(run_args(kModels + "/regs", kScenarios + "/regs.rcs"));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(contains(r.out, "rcsim: PASS " + kScenarios + "/regs.rcs")) << r.out;
    EXPECT_TRUE(contains(r.out, "transactions: MMIO ")) << r.out;
    EXPECT_TRUE(contains(r.out, "bytes moved: ")) << r.out;
    EXPECT_TRUE(contains(r.out, "simulated time: ")) << r.out;
    EXPECT_TRUE(contains(r.out, "wall time: ")) << r.out;
    // stderr is not a terminal here: no progress line.
    EXPECT_FALSE(contains(r.err, "\r")) << r.err;
}

TEST(CliRcsim, JunitCountsOneCasePerScenario) {
    TempDir d;
    const std::string xml = d.path + "/out.xml";
    const auto r = run_command({kRcsim, "run", "--server", kModels + "/regs", "--scenario",
                                kScenarios + "/regs.rcs", "--scenario", kData + "/wrong_expect.rcs",
                                "--scenario", kData + "/malformed.rcs", "--junit", xml});
    EXPECT_EQ(r.exit_code, 2) << r.err; // a setup error outranks a failure
    EXPECT_TRUE(contains(r.out, "1 of 3 scenarios passed")) << r.out;
    std::string err;
    const auto root = rcsim::test::parse_xml(slurp(xml), &err);
    ASSERT_TRUE(root) << err << "\n" << slurp(xml);
    EXPECT_EQ(root->attrs.at("tests"), "3");
    EXPECT_EQ(root->attrs.at("failures"), "1");
    EXPECT_EQ(root->attrs.at("errors"), "1");
    const auto tc = root->all("testsuite").at(0)->all("testcase");
    ASSERT_EQ(tc.size(), 3u);
    EXPECT_EQ(tc[0]->attrs.at("name"), "regs");
    EXPECT_TRUE(tc[0]->children.empty());
    EXPECT_EQ(tc[1]->attrs.at("name"), "wrong_expect");
    ASSERT_EQ(tc[1]->all("failure").size(), 1u);
    EXPECT_TRUE(contains(tc[1]->all("failure")[0]->attrs.at("message"),
                         "wrong_expect.rcs:5: read bar0 0x100 4 -> expect 0x11223345: expected "
                         "0x11223345, got 0x11223344"));
    EXPECT_TRUE(contains(tc[1]->all("failure")[0]->text, "read bar0 0x100 4 -> expect"));
    ASSERT_EQ(tc[2]->all("error").size(), 1u);
    EXPECT_TRUE(contains(tc[2]->all("error")[0]->attrs.at("message"), "malformed.rcs:4:18:"));
}

TEST(CliRcsim, JunitOfAPassingRun) {
    TempDir d;
    const std::string xml = d.path + "/ok.xml";
    auto args = run_args(kModels + "/regs", kScenarios + "/regs.rcs");
    args.insert(args.end(), {"--junit", xml});
    const auto r = run_command(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::string err;
    const auto root = rcsim::test::parse_xml(slurp(xml), &err);
    ASSERT_TRUE(root) << err;
    EXPECT_EQ(root->attrs.at("tests"), "1");
    EXPECT_EQ(root->attrs.at("failures"), "0");
    EXPECT_EQ(root->all("testsuite").at(0)->all("testcase").size(), 1u);
}

TEST(CliRcsim, WaveTraceAndPerfettoFiles) {
    TempDir d;
    auto args = run_args(kModels + "/dmacopy", kScenarios + "/dmacopy_poll.rcs");
    args[3] += " --dma-after-reply";
    args.insert(args.end(), {"--wave", d.path + "/w.fst"});
    args.insert(args.end(), {"--trace", d.path + "/t.jsonl", "--perfetto", d.path + "/p.json"});
    const auto r = run_command(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    struct stat st {};
    ASSERT_EQ(stat((d.path + "/w.fst").c_str(), &st), 0);
    EXPECT_GT(st.st_size, 1000);
    const std::string jsonl = slurp(d.path + "/t.jsonl");
    EXPECT_GT(std::count(jsonl.begin(), jsonl.end(), '\n'), 10);
    const std::string pj = slurp(d.path + "/p.json");
    EXPECT_TRUE(contains(pj, "traceEvents")) << pj.substr(0, 200);
    // The converter as a subcommand, on the same trace; refusing junk.
    const auto conv = run_command({kRcsim, "perfetto", d.path + "/t.jsonl", d.path + "/p2.json"});
    EXPECT_EQ(conv.exit_code, 0) << conv.err;
    EXPECT_TRUE(contains(slurp(d.path + "/p2.json"), "traceEvents"));
    std::ofstream(d.path + "/junk.jsonl") << "not a trace\n";
    const auto bad = run_command({kRcsim, "perfetto", d.path + "/junk.jsonl", d.path + "/p3.json"});
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_TRUE(contains(bad.err, "junk.jsonl")) << bad.err;
    EXPECT_EQ(run_command({kRcsim, "perfetto", d.path + "/t.jsonl"}).exit_code, 2);
    // --perfetto without --trace is a usage error.
    const auto r2 = run_command({kRcsim, "run", "--server", kModels + "/regs", "--scenario",
                                 kScenarios + "/regs.rcs", "--perfetto", d.path + "/x.json"});
    EXPECT_EQ(r2.exit_code, 2);
    const auto r3 = run_command({kRcsim, "run", "--server", kModels + "/regs", "--scenario",
                                 kScenarios + "/regs.rcs", "--trace", "/nonexistent/dir/t.jsonl"});
    EXPECT_EQ(r3.exit_code, 2);
    EXPECT_TRUE(contains(r3.err, "trace")) << r3.err;
}

// A regs server on a socket of its own, for the probe.
class RegsServer {
  public:
    explicit RegsServer(const std::string &sock, const std::string &model = "regs") {
        pid_ = fork();
        if (pid_ == 0) {
            execl((kModels + "/" + model).c_str(), model.c_str(), "--socket", sock.c_str(),
                  (char *)nullptr);
            _exit(127);
        }
        for (int i = 0; i < 200 && access(sock.c_str(), F_OK) != 0; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ~RegsServer() {
        kill(pid_, SIGTERM);
        waitpid(pid_, nullptr, 0);
    }

  private:
    pid_t pid_;
};

// Two windows of either kind at once: the descriptor ring by DMA messages
// (through the RTL), the data in a shared window the server maps (a memfd):
// the copy is right, every DMA message in the trace falls in the ring's
// window, and the shared window's DMA_MAP carried one fd.
TEST(CliRcsim, SharedDmaWindowIsReachedByTheMappingNotByMessages) {
    TempDir d;
    auto args = run_args(kModels + "/dmacopy", kScenarios + "/dmacopy_demo.rcs");
    args.insert(args.end(), {"--dma-window", "0x10000000+0x100000:rw:ring", "--dma-window",
                             "0x10100000+0xf00000:rw:fd:data", "--trace", d.path + "/t.jsonl"});
    const auto r = run_command(args);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    std::istringstream lines(slurp(d.path + "/t.jsonl"));
    unsigned dma_messages = 0, maps_with_fd = 0, maps_without = 0;
    for (std::string line; std::getline(lines, line);) {
        if (contains(line, "\"dir\":\"c2s\",\"cmd\":\"DMA_MAP\""))
            (contains(line, "\"nfds\":1,") ? maps_with_fd : maps_without)++;
        if (!contains(line, "\"cmd\":\"DMA_READ\"") && !contains(line, "\"cmd\":\"DMA_WRITE\""))
            continue;
        ++dma_messages;
        EXPECT_TRUE(contains(line, "\"addr\":\"0x100")) << line; // 0x100xxxxx: the ring
    }
    EXPECT_GT(dma_messages, 0u); // the ring is still read by messages
    EXPECT_EQ(maps_with_fd, 1u);
    EXPECT_EQ(maps_without, 1u);
    // A shared window that is not page-aligned cannot be offered: setup error.
    auto bad = run_args(kModels + "/dmacopy", kScenarios + "/dmacopy_demo.rcs");
    bad.insert(bad.end(), {"--dma-window", "0x10000800+0x1000:rw:fd:odd"});
    const auto rb = run_command(bad);
    EXPECT_EQ(rb.exit_code, 2);
    EXPECT_TRUE(contains(rb.out + rb.err, "DMA window odd: a shared window's base and size must be "
                                          "multiples of 4 KiB"))
        << rb.out << rb.err;
    // A malformed window is a usage error naming the form.
    auto usage = run_args(kModels + "/dmacopy", kScenarios + "/dmacopy_demo.rcs");
    usage.insert(usage.end(), {"--dma-window", "0x1000:rw:x"});
    const auto ru = run_command(usage);
    EXPECT_EQ(ru.exit_code, 2);
    EXPECT_TRUE(contains(ru.err, "--dma-window: want BASE+SIZE:PERM[:fd|:msg|:sock]:NAME"))
        << ru.err;
}

// A DMA socket per mapping (issue 21): the demo's copy with its window on a
// socket of its own against dmacopy --dma-mode map-socket passes, every DMA
// message on map0; the same window offered to a server that does not know
// the flag (the default twin mode) is refused at connect: exit 2, saying so.
TEST(CliRcsim, SocketWindowNeedsAServerThatTakesTheFlag) {
    TempDir d;
    auto args =
        run_args(kModels + "/dmacopy --dma-mode map-socket", kScenarios + "/dmacopy_demo.rcs");
    args.insert(args.end(), {"--dma-window", "0x10000000+0x1000000:rw:sock:dma0", "--trace",
                             d.path + "/t.jsonl"});
    const auto r = run_command(args);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    std::istringstream lines(slurp(d.path + "/t.jsonl"));
    unsigned on_map0 = 0, elsewhere = 0;
    for (std::string line; std::getline(lines, line);)
        if (contains(line, "\"cmd\":\"DMA_READ\"") || contains(line, "\"cmd\":\"DMA_WRITE\""))
            (contains(line, "\"sock\":\"map0\"") ? on_map0 : elsewhere)++;
    EXPECT_GT(on_map0, 0u);
    EXPECT_EQ(elsewhere, 0u);
    auto refused = run_args(kModels + "/dmacopy", kScenarios + "/dmacopy_demo.rcs");
    refused.insert(refused.end(), {"--dma-window", "0x10000000+0x1000000:rw:sock:dma0"});
    const auto rr = run_command(refused);
    EXPECT_EQ(rr.exit_code, 2);
    EXPECT_TRUE(contains(rr.out + rr.err, "DMA_MAP of dma0 refused: Invalid argument (a socket "
                                          "window: the server needs VU_DMA_MAP_F_RCSIM_SOCKET"))
        << rr.out << rr.err;
}

TEST(CliRcsim, ConnectsToARunningServerAndSubstitutesTheSocket) {
    TempDir d;
    const std::string sock = d.path + "/regs.sock";
    {
        RegsServer server(sock);
        const auto r =
            run_command({kRcsim, "run", "--socket", sock, "--scenario", kScenarios + "/regs.rcs"});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        EXPECT_TRUE(contains(r.out, "rcsim: PASS")) << r.out;
    }
    // {socket} in the command line instead of an appended --socket.
    const auto r = run_command(run_args(kModels + "/regs --io-timeout-ms 5000 --socket {socket}",
                                        kScenarios + "/regs.rcs"));
    EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(CliRcsim, UnwritableJunitIsASetupError) {
    auto args = run_args(kModels + "/regs", kScenarios + "/regs.rcs");
    args.insert(args.end(), {"--junit", "/nonexistent/dir/r.xml"});
    const auto r = run_command(args);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, "cannot create /nonexistent/dir/r.xml")) << r.err;
}

TEST(CliRcsim, ProbePrintsWhatVuProbePrints) {
    TempDir d;
    const std::string sock = d.path + "/regs.sock";
    RegsServer server(sock);
    const auto a = run_command({kRcsim, "probe", sock}, 20000);
    const auto b = run_command({VU_PROBE_PATH, sock}, 20000);
    EXPECT_EQ(a.exit_code, 0) << a.err;
    EXPECT_EQ(b.exit_code, 0) << b.err;
    EXPECT_EQ(a.out, b.out);
    // What the regs model offers (server-models/README.md).
    EXPECT_TRUE(contains(a.out, "vendor 0x5243 device 0x0001")) << a.out;
    EXPECT_TRUE(contains(a.out, "region 0 (BAR0): size 0x1000")) << a.out;
    EXPECT_TRUE(contains(a.out, "PCI Express")) << a.out;

    const auto c = run_command({kRcsim, "probe", d.path + "/none.sock"}, 20000);
    EXPECT_EQ(c.exit_code, 2);
    EXPECT_TRUE(contains(c.err, "rcsim probe: cannot connect to")) << c.err;
    EXPECT_EQ(run_command({kRcsim, "probe"}).exit_code, 2);
}

// The wide model's ROM region and extended capabilities, by name, with the
// serial number (server-models/README.md); the same from vu-probe.
TEST(CliRcsim, ProbeListsExtendedCapabilities) {
    TempDir d;
    const std::string sock = d.path + "/wide.sock";
    RegsServer server(sock, "wide");
    const auto a = run_command({kRcsim, "probe", sock}, 20000);
    const auto b = run_command({VU_PROBE_PATH, sock}, 20000);
    EXPECT_EQ(a.exit_code, 0) << a.err;
    EXPECT_EQ(a.out, b.out);
    EXPECT_TRUE(contains(a.out, "region 2 (BAR2): size 0x100000000")) << a.out;
    EXPECT_TRUE(contains(a.out, "region 6 (ROM): size 0x800 flags 0x1 R\n")) << a.out;
    EXPECT_TRUE(contains(a.out, "  extended capability [0x100] id 0x0003 version 1 Device Serial "
                                "Number\n    serial number 0x0123456789abcdef\n"
                                "  extended capability [0x140] id 0x000b version 1 "
                                "Vendor-Specific\n"))
        << a.out;
    EXPECT_FALSE(contains(a.out, "conventional PCI")) << a.out;
}

} // namespace
