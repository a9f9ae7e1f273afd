// Verdicts that cannot be a false PASS (issue 14): a run ends only when
// what it started has come to rest (a posted write at the end reaches the
// server and its refusal fails the run), DMA outside every window fails the
// run unless the scenario expects it, the report says how the server ended,
// the summary counts bytes that moved, and a signal leaves nothing behind.
#include "run_command.hpp"
#include "test_files.hpp"

#include <gtest/gtest.h>

#include <dirent.h>
#include <fcntl.h>
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
using rcsim::test::count_of;
using rcsim::test::run_command;
using rcsim::test::slurp;
using rcsim::test::TempDir;

const std::string kRcsim = RCSIM_PATH;
const std::string kModels = RCSIM_SERVER_MODELS_DIR;
const std::string kScenarios = CLI_SCENARIOS_DIR;
const std::string kFaultPeer = FAULT_PEER;
const std::string kHostileServer = HOSTILE_SERVER;

// ---- item 1: a posted write at the end of a scenario

TEST(CliVerdict, PostedWriteAtTheEndReachesTheServer) {
    TempDir d;
    const std::string scen = d.write("w.rcs", "write bar0 0x180 4 0xcafef00d\n");
    const std::string trace = d.path + "/w.jsonl";
    const auto r = run_command(
        {kRcsim, "run", "--server", kModels + "/regs", "--scenario", scen, "--trace", trace});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, "MMIO 0 reads / 1 writes")) << r.out;
    const std::string t = slurp(trace);
    // The MemWr TLP went down and the server answered the REGION_WRITE of
    // offset 0x180 (the reply echoes it).
    EXPECT_EQ(count_of(t, "\"type\":\"MemWr32\",\"len_dw\":1,\"addr\":\"0xe0000180\""), 1u) << t;
    EXPECT_EQ(count_of(t, "\"region\":0,\"offset\":\"0x180\",\"count\":4"), 2u)
        << "one request and its reply";
}

// dmaprobe's STATUS register (0x18) is read-only: the server refuses the
// write with EINVAL. A posted write has no completion, but the run fails.
TEST(CliVerdict, PostedWriteTheServerRefusesAtTheEndFailsTheRun) {
    TempDir d;
    const std::string scen = d.write("w.rcs", "write bar0 0x18 4 1\n");
    const auto r =
        run_command({kRcsim, "run", "--server", kModels + "/dmaprobe", "--scenario", scen});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, "rcsim: FAIL")) << r.out;
    EXPECT_TRUE(contains(r.err, "server refused a posted MMIO write (errno 22)")) << r.err;
    EXPECT_TRUE(contains(r.out, "refused MMIO writes 1")) << r.out;
}

// The server closes its sockets on the scenario's last posted write (the
// fault peer's message boundary N counts from VERSION; the write is the
// last message the harness sends, so "close" at every boundary from the
// write on loses it).
TEST(CliVerdict, PostedWriteLostWithTheServerFailsTheRun) {
    TempDir d;
    const std::string scen = d.write("w.rcs", "write bar0 0x180 4 0xcafef00d\n");
    const std::string trace = d.path + "/t.jsonl";
    auto r = run_command(
        {kRcsim, "run", "--server", kModels + "/regs", "--scenario", scen, "--trace", trace});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    // Messages on the wire before the write's request: everything but the
    // last two message records (the write and its reply).
    const size_t messages = count_of(slurp(trace), "\"kind\":\"msg\"");
    ASSERT_GT(messages, 2u);
    const std::string at = std::to_string(messages - 2);
    r = run_command({kRcsim, "run", "--server",
                     kFaultPeer + " --fault close --at " + at + " " + kModels + "/regs",
                     "--scenario", scen});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(
        contains(r.err, "posted MMIO write (errno 104): MemWr32 req=0000 tag=00 addr=0xe0000180"))
        << r.err;
    EXPECT_TRUE(contains(r.err, "connection lost")) << r.err;
}

// ---- item 2: DMA outside every DMA window

std::string dma_oob_server() {
    // The fault peer sends one DMA_READ of 64 bytes at 0x1000, far below
    // the default window dma0 [0x10000000, 0x11000000), at boundary 30
    // (during dmacopy's enumeration).
    return kFaultPeer + " --fault dma-oob --at 30 " + kModels + "/dmacopy";
}

TEST(CliVerdict, DmaOutsideEveryWindowFailsTheRunNamingIt) {
    const auto r = run_command({kRcsim, "run", "--server", dma_oob_server(), "--scenario",
                                kScenarios + "/dmacopy_demo.rcs"});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.err, "DMA outside every window: DMA_READ")) << r.err;
    EXPECT_TRUE(contains(r.err, "addr=0x1000 count=64")) << r.err;
    EXPECT_TRUE(contains(r.err, "0xffff000 bytes below window dma0 [0x10000000, 0x11000000)"))
        << r.err;
    EXPECT_TRUE(contains(r.out, "DMA outside every window 1")) << r.out;
}

TEST(CliVerdict, DmaOutsideEveryWindowPassesWhenTheScenarioExpectsIt) {
    TempDir d;
    const std::string scen = d.write("oob.rcs", "include \"" + kScenarios +
                                                    "/dmacopy_demo.rcs\"\nexpect-dma-refused 1\n");
    auto r = run_command({kRcsim, "run", "--server", dma_oob_server(), "--scenario", scen});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, "DMA outside every window 1")) << r.out;
    // The wrong count fails, naming what was refused.
    const std::string two = d.write("two.rcs", "include \"" + kScenarios +
                                                   "/dmacopy_demo.rcs\"\nexpect-dma-refused 2\n");
    r = run_command({kRcsim, "run", "--server", dma_oob_server(), "--scenario", two});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.err, "expected 2 refused DMA command(s), the device had 1")) << r.err;
    EXPECT_TRUE(contains(r.err, "addr=0x1000 count=64")) << r.err;
}

// ---- item 6: the report says how the server ended

// The fault peer closes both sockets and exits 0 at boundary 40: the report
// of `rcsim run` (no --schedule) and of `--schedule fifo` says so alike.
TEST(CliVerdict, ReportSaysTheServerExitedWithAndWithoutASchedule) {
    const std::string server = kFaultPeer + " --fault close --at 40 " + kModels + "/dmacopy";
    for (const bool scheduled : {false, true}) {
        std::vector<std::string> argv = {kRcsim, "run",        "--server",
                                         server, "--scenario", kScenarios + "/dmacopy_demo.rcs"};
        if (scheduled) {
            argv.push_back("--schedule");
            argv.push_back("fifo");
        }
        const auto r = run_command(argv);
        EXPECT_NE(r.exit_code, 0) << r.out << r.err;
        EXPECT_TRUE(contains(r.out + r.err, "exited with status 0")) << r.out << r.err;
        EXPECT_FALSE(contains(r.out + r.err, ") running")) << r.out << r.err;
    }
}

// A server that crashes while answering VERSION: the setup error shows its
// last words and how it ended, not only "Connection reset by peer" (it
// closes its socket 100 ms before it aborts).
TEST(CliVerdict, ServerCrashingDuringVersionIsReportedWithItsStatusAndOutput) {
    TempDir d;
    const std::string scen = d.write("r.rcs", "read cfg 0x00 2\n");
    const auto r =
        run_command({kRcsim, "run", "--server",
                     kHostileServer + " --mode version-crash --in-place --socket {socket}",
                     "--scenario", scen});
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_TRUE(contains(r.err, "cannot connect")) << r.err;
    EXPECT_TRUE(contains(r.err, "killed by signal 6")) << r.err;
    EXPECT_TRUE(contains(r.err, "hostile_server: crashing on VERSION")) << r.err;
}

// ---- item 7: bytes moved, not bytes requested

// dmacopy copies 64 KiB (one DMA_READ of 32 bytes for the descriptor, one of
// 64 KiB for the data, then the DMA_WRITE); the scenario fails 3,000 cycles
// after the doorbell. The 128-bit link moves at most 16 bytes a cycle, so
// the 64 KiB read cannot have completed: the counter shows what arrived,
// not the 65,568 bytes requested.
TEST(CliVerdict, DmaByteCountersCountMovedBytes) {
    TempDir d;
    const std::string scen = d.write("part.rcs", "include \"" + kScenarios +
                                                     "/common/dmacopy_regs.rcs\"\n"
                                                     "fill 0x10100000 64K pattern random 279\n"
                                                     "write mem 0x10000000 8 0x10100000\n"
                                                     "write mem 0x10000008 8 0x10200000\n"
                                                     "write mem 0x10000010 4 0x10000\n"
                                                     "write mem 0x10000014 4 0\n"
                                                     "write mem 0x10000018 8 0\n"
                                                     "write bar0 0x10 4 1\n"
                                                     "delay 3000\n"
                                                     "expect-mem 0x10200000 4 pattern byte 0x55\n");
    const auto r =
        run_command({kRcsim, "run", "--server", kModels + "/dmacopy", "--scenario", scen});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    const std::string key = "bytes moved: DMA ";
    const size_t at = r.out.find(key);
    ASSERT_NE(at, std::string::npos) << r.out;
    const unsigned long read = std::strtoul(r.out.c_str() + at + key.size(), nullptr, 10);
    EXPECT_GT(read, 32u) << r.out;
    EXPECT_LT(read, 65536u) << r.out;
    EXPECT_TRUE(contains(r.out, "read from host memory / 0 written to it")) << r.out;
}

// ---- item 15: a signal leaves nothing behind

bool process_alive(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(in, line))
        return false;
    const size_t paren = line.rfind(')');
    return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] != 'Z';
}

std::vector<pid_t> pids_in(const std::string &file) {
    std::vector<pid_t> v;
    std::ifstream in(file);
    for (long p; in >> p;)
        v.push_back(pid_t(p));
    return v;
}

size_t entries_in(const std::string &dir) {
    size_t n = 0;
    if (DIR *d = opendir(dir.c_str())) {
        while (const dirent *e = readdir(d))
            n += std::string(e->d_name) != "." && std::string(e->d_name) != "..";
        closedir(d);
    }
    return n;
}

// Starts argv with TMPDIR set; returns its pid.
pid_t spawn_with_tmpdir(const std::vector<std::string> &argv, const std::string &tmpdir) {
    const pid_t pid = fork();
    if (pid == 0) {
        setenv("TMPDIR", tmpdir.c_str(), 1);
        const int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        std::vector<char *> args;
        for (const std::string &a : argv)
            args.push_back(const_cast<char *>(a.c_str()));
        args.push_back(nullptr);
        execv(args[0], args.data());
        _exit(127);
    }
    return pid;
}

// Waits up to `ms` for pid to end; its wait status, or -1 (then killed).
int wait_for(pid_t pid, int ms) {
    for (int waited = 0; waited < ms; waited += 10) {
        int ws = 0;
        if (waitpid(pid, &ws, WNOHANG) == pid)
            return ws;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return -1;
}

class SignalCleanup : public ::testing::Test {
  protected:
    void SetUp() override {
        tmp = dir.path + "/tmp";
        mkdir(tmp.c_str(), 0700);
        // A server that leaves a file beside its socket and a grandchild in
        // a session of its own, then becomes regs (the appended `--socket
        // PATH` are $1 $2).
        server = "sh -c 'echo $$ >> " + dir.path + "/servers; touch \"$(dirname \"$2\")/extra\"; " +
                 "setsid sleep 300 & echo $! >> " + dir.path + "/grandchildren; exec " + kModels +
                 "/regs \"$@\"' sh";
        // Thousands of MMIO round trips: long in wall time.
        scenario = dir.write("long.rcs", "poll bar0 0x180 4 until 0x1 within 100000000 every 1\n");
    }

    // Signals `pid` once `runs` servers and grandchildren are up, then
    // checks that everything is gone.
    void interrupt_and_check(pid_t pid, int sig, size_t runs) {
        for (int waited = 0; waited < 20000; waited += 20) {
            if (pids_in(dir.path + "/grandchildren").size() >= runs &&
                pids_in(dir.path + "/servers").size() >= runs)
                break;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        ASSERT_GE(entries_in(tmp), 1u) << "the run's private folder exists while it runs";
        kill(pid, sig);
        const int ws = wait_for(pid, 15000);
        ASSERT_NE(ws, -1) << "rcsim did not end within 15 s of the signal";
        EXPECT_TRUE(WIFSIGNALED(ws) && WTERMSIG(ws) == sig) << "wait status " << ws;
        EXPECT_EQ(entries_in(tmp), 0u) << "private folders left in " << tmp;
        std::this_thread::sleep_for(std::chrono::milliseconds(100)); // zombies to init
        for (pid_t p : pids_in(dir.path + "/servers"))
            EXPECT_FALSE(process_alive(p)) << "server " << p << " survived";
        const std::vector<pid_t> gc = pids_in(dir.path + "/grandchildren");
        EXPECT_GE(gc.size(), runs);
        for (pid_t p : gc) {
            EXPECT_FALSE(process_alive(p)) << "setsid grandchild " << p << " survived";
            kill(p, SIGKILL); // never leave one behind, whatever the verdict
        }
    }

    TempDir dir;
    std::string tmp, server, scenario;
};

TEST_F(SignalCleanup, SigtermToRunStopsServerAndGrandchildAndRemovesItsFolder) {
    const pid_t pid =
        spawn_with_tmpdir({kRcsim, "run", "--server", server, "--scenario", scenario}, tmp);
    interrupt_and_check(pid, SIGTERM, 1);
}

// Only the parent gets the signal (as from `kill` or a CI runner's
// timeout): it stops its forked runs, which clean up after themselves.
TEST_F(SignalCleanup, SigintToExploreStopsEveryRun) {
    const pid_t pid = spawn_with_tmpdir({kRcsim, "explore", "--server", server, "--scenario",
                                         scenario, "--strategy", "random", "--runs", "4", "--jobs",
                                         "2", "--out", dir.path + "/out"},
                                        tmp);
    interrupt_and_check(pid, SIGINT, 2);
}

} // namespace
