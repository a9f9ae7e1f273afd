// Quiescence: real helper processes blocked in the syscalls a server waits
// in (expected: quiescent) against ones that spin, sleep or wait with a
// timeout (expected: busy); gone and uninspectable processes; and the
// classification of hand-written /proc files (x86_64 syscall numbers from
// the kernel's syscall_64.tbl: read 0, futex 202, clock_nanosleep 230,
// epoll_wait 232).
#include "fork_epoch.hpp"
#include "quiescence.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <fstream>
#include <map>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace std::chrono_literals;
using rcsim::Quiescence;

namespace {

// Starts the helper, waits for "ready", then waits for quiescence.
rcsim::QuiescenceWait observe_helper(const std::string &mode, std::chrono::microseconds max_wall,
                                     const rcsim::QuiescenceOptions &opts = {}) {
    std::string error;
    auto sp = simtest::start_helper({mode}, &error);
    EXPECT_NE(sp, nullptr) << error;
    if (sp == nullptr)
        return {};
    EXPECT_TRUE(simtest::wait_output(*sp, "ready")) << sp->captured_output();
    return rcsim::wait_quiescent(sp->pid(), max_wall, opts);
}

void expect_quiescent(const std::string &mode) {
    rcsim::QuiescenceWait w = observe_helper(mode, 10s);
    EXPECT_EQ(w.result, Quiescence::Quiescent) << mode << ": " << w.last.detail;
    EXPECT_NE(w.proof, rcsim::QuiescenceProof::None) << mode;
    EXPECT_GE(w.observations, w.proof == rcsim::QuiescenceProof::OneLook ? 1u : 2u);
}

void expect_busy(const std::string &mode, const std::string &why,
                 const rcsim::QuiescenceOptions &opts = {}) {
    // Long enough for the helper's threads to reach their waits, so a
    // "busy" verdict is about the wait they chose, not start-up.
    rcsim::QuiescenceWait w = observe_helper(mode, 400ms, opts);
    EXPECT_EQ(w.result, Quiescence::Busy) << mode << ": " << w.last.detail;
    EXPECT_GE(w.waited, 400ms);
    EXPECT_NE(w.last.detail.find(why), std::string::npos) << mode << ": " << w.last.detail;
}

} // namespace

// The probe and admission tell a forked copy from its parent by this
// count: the child sees a new value at once, the parent keeps its own.
TEST(ForkEpoch, TheChildOfAForkSeesANewValueAndTheParentKeepsItsOwn) {
    const uint64_t before = rcsim::fork_epoch();
    EXPECT_EQ(rcsim::fork_epoch(), before);
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0)
        _exit(rcsim::fork_epoch() != before ? 0 : 1);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "the child saw the parent's value";
    EXPECT_EQ(rcsim::fork_epoch(), before);
}

TEST(QuiescenceLive, BlockedInReadIsQuiescent) {
    expect_quiescent("block-read");
}
TEST(QuiescenceLive, BlockedInPollIsQuiescent) {
    expect_quiescent("block-poll");
}
TEST(QuiescenceLive, BlockedInEpollWaitIsQuiescent) {
    expect_quiescent("block-epoll");
}
TEST(QuiescenceLive, BlockedInRecvIsQuiescent) {
    expect_quiescent("block-recv");
}
TEST(QuiescenceLive, WorkerOnUntimedCondvarIsQuiescent) {
    expect_quiescent("condvar");
}

// Which proof: a lone thread asleep in recv is proven by one look; a
// process with a second thread (a worker on a condition variable) needs two
// looks; with one_look off a lone thread gets two looks too.
TEST(QuiescenceLive, LoneThreadInRecvIsProvenByOneLook) {
    rcsim::QuiescenceWait w = observe_helper("block-recv", 10s);
    ASSERT_EQ(w.result, Quiescence::Quiescent) << w.last.detail;
    EXPECT_EQ(w.proof, rcsim::QuiescenceProof::OneLook);
    ASSERT_EQ(w.last.threads.size(), 1u);
    EXPECT_EQ(w.last.threads[0].why, "recvfrom");
    EXPECT_TRUE(w.last.single_thread_in_look);
    EXPECT_EQ(w.last.threads[0].runs_before, w.last.threads[0].runs_after);
    EXPECT_EQ(w.last.threads[0].ns_before, w.last.threads[0].ns_after);
    EXPECT_GT(w.last.threads[0].ns_before, 0); // it ran to get there
}
TEST(QuiescenceLive, LoneThreadWithOneLookOffGetsTwoLooks) {
    rcsim::QuiescenceOptions opts;
    opts.one_look = false;
    rcsim::QuiescenceWait w = observe_helper("block-recv", 10s, opts);
    ASSERT_EQ(w.result, Quiescence::Quiescent) << w.last.detail;
    EXPECT_EQ(w.proof, rcsim::QuiescenceProof::TwoLooks);
    EXPECT_GE(w.observations, 2u);
}
TEST(QuiescenceLive, TwoThreadsNeedTwoLooks) {
    rcsim::QuiescenceWait w = observe_helper("condvar", 10s);
    ASSERT_EQ(w.result, Quiescence::Quiescent) << w.last.detail;
    EXPECT_EQ(w.proof, rcsim::QuiescenceProof::TwoLooks);
    EXPECT_EQ(w.last.threads.size(), 2u);
    EXPECT_FALSE(w.last.single_thread_in_look);
    EXPECT_GE(w.observations, 2u);
}
// A lone busy thread (spinning, or sleeping 1 ms at a time in nanosleep):
// not one of 2000 looks is a one-look proof.
TEST(QuiescenceLive, LoneBusyThreadIsNeverProvenByOneLook) {
    for (const char *mode : {"spin", "sleep-loop"}) {
        std::string error;
        auto sp = simtest::start_helper({mode}, &error);
        ASSERT_NE(sp, nullptr) << error;
        ASSERT_TRUE(simtest::wait_output(*sp, "ready")) << sp->captured_output();
        rcsim::QuiescenceProbe probe(sp->pid());
        unsigned lone = 0, proven = 0;
        for (int i = 0; i < 2000; ++i) {
            const rcsim::QuiescenceObservation o = probe.observe();
            lone += o.single_thread_in_look;
            proven += rcsim::one_look_proof(o);
        }
        EXPECT_EQ(proven, 0u) << mode;
        EXPECT_GT(lone, 1000u) << mode; // the looks did see a lone thread
        EXPECT_EQ(probe.wait(50ms).result, Quiescence::Busy) << mode;
    }
}

TEST(QuiescenceLive, ListenerInAcceptIsQuiescent) {
    std::string path = simtest::temp_socket_path("quiet");
    std::string error;
    auto sp = simtest::start_helper({"listen", path}, &error);
    ASSERT_NE(sp, nullptr) << error;
    ASSERT_EQ(sp->wait_listening(path, 10000ms, &error), 0) << error;
    rcsim::QuiescenceWait w = rcsim::wait_quiescent(sp->pid(), 10s);
    EXPECT_EQ(w.result, Quiescence::Quiescent) << w.last.detail;
    ASSERT_EQ(w.last.threads.size(), 1u);
    const std::string &why = w.last.threads[0].why;
    EXPECT_TRUE(why == "accept" || why == "accept4") << why;
    unlink(path.c_str());
}

TEST(QuiescenceLive, SpinningIsBusy) {
    expect_busy("spin", "running");
}
TEST(QuiescenceLive, SleepLoopIsBusy) {
    expect_busy("sleep-loop", "thread");
}
TEST(QuiescenceLive, ThreadInNanosleepIsBusy) {
    expect_busy("thread-nanosleep", "nanosleep");
}
TEST(QuiescenceLive, TimedCondvarWaitIsBusy) {
    expect_busy("timed-condvar", "futex wait with timeout");
}

TEST(QuiescenceLive, PollWithTimeoutCountsUnlessStrict) {
    rcsim::QuiescenceWait w = observe_helper("poll-timeout", 10s);
    EXPECT_EQ(w.result, Quiescence::Quiescent) << w.last.detail;
    ASSERT_EQ(w.last.threads.size(), 1u);
    EXPECT_TRUE(w.last.threads[0].timed);
    rcsim::QuiescenceOptions strict;
    strict.accept_timed_io_waits = false;
    expect_busy("poll-timeout", "poll with timeout", strict);
}

TEST(QuiescenceLive, ExitedProcessIsGoneBeforeAndAfterReaping) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0)
        _exit(0);
    siginfo_t info{};
    ASSERT_EQ(waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT), 0); // zombie now
    EXPECT_EQ(rcsim::observe_quiescence(pid).state, Quiescence::Gone);
    EXPECT_EQ(rcsim::wait_quiescent(pid, 1s).result, Quiescence::Gone);
    ASSERT_EQ(waitpid(pid, nullptr, 0), pid);
    EXPECT_EQ(rcsim::observe_quiescence(pid).state, Quiescence::Gone);
}

// Observing itself, the main thread shows the read of its own syscall file,
// but in state R: the state check is what keeps it from looking quiescent.
TEST(QuiescenceLive, ThisRunningProcessIsBusy) {
    rcsim::QuiescenceObservation o = rcsim::observe_quiescence(getpid());
    EXPECT_EQ(o.state, Quiescence::Busy);
    EXPECT_EQ(o.detail, "thread " + std::to_string(getpid()) + ": read but state R") << o.detail;
}

TEST(QuiescenceLive, ProcessOfAnotherNamespaceCannotBeInspected) {
    std::ifstream probe("/proc/1/task/1/syscall");
    std::string line;
    if (std::getline(probe, line))
        GTEST_SKIP() << "pid 1 is inspectable here; no uninspectable process to try";
    rcsim::QuiescenceWait w = rcsim::wait_quiescent(1, 1s);
    EXPECT_EQ(w.result, Quiescence::CannotInspect) << w.last.detail;
    EXPECT_EQ(w.observations, 1u);
}

#if defined(__x86_64__)

namespace {

struct FakeThread {
    std::string stat_state;
    std::string syscall_line;
};

class FakeProc : public ::testing::Test {
  protected:
    void SetUp() override {
        root_ = "/tmp/sim_fakeproc_" + std::to_string(getpid()) + "_" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name();
        opts_.proc_root = root_;
    }
    void TearDown() override { (void)!system(("rm -rf '" + root_ + "'").c_str()); }

    void make(const std::string &main_stat, const std::map<int, FakeThread> &threads) {
        std::string dir = root_ + "/4242";
        ASSERT_EQ(system(("mkdir -p '" + dir + "/task'").c_str()), 0);
        std::ofstream(dir + "/stat") << main_stat;
        for (const auto &t : threads) {
            std::string tdir = dir + "/task/" + std::to_string(t.first);
            ASSERT_EQ(mkdir(tdir.c_str(), 0755), 0);
            std::ofstream(tdir + "/stat")
                << t.first << " (srv) " << t.second.stat_state << " 1 4242 4242 0 -1\n";
            std::ofstream(tdir + "/syscall") << t.second.syscall_line << "\n";
        }
    }
    rcsim::QuiescenceObservation look() { return rcsim::observe_quiescence(4242, opts_); }

    std::string root_;
    rcsim::QuiescenceOptions opts_;
};

const char *kMainStat = "4242 (srv) S 1 4242 4242 0 -1\n";
const char *kRead = "0 0x5 0x7ffd1000 0x1 0x0 0x0 0x0 0x7ffd0ff8 0x7f0000001000";

} // namespace

// one_look_proof on hand-written observations: a lone thread asleep in
// read whose run count (runs) and CPU time (ns) did not move, counted alone
// inside the look; each condition broken in turn.
TEST(OneLookProof, EveryConditionIsNeeded) {
    rcsim::QuiescenceObservation o;
    o.state = Quiescence::Quiescent;
    o.single_thread_in_look = true;
    rcsim::ThreadObservation t;
    t.tid = 4242;
    t.state = 'S';
    t.syscall_nr = 0;
    t.waiting_for_input = true;
    t.runs_before = t.runs_after = 17;
    t.ns_before = t.ns_after = 123456;
    o.threads = {t};
    EXPECT_TRUE(rcsim::one_look_proof(o));
    rcsim::QuiescenceObservation c = o;
    c.single_thread_in_look = false;
    EXPECT_FALSE(rcsim::one_look_proof(c)) << "not counted alone";
    c = o;
    c.threads[0].runs_after = 18;
    EXPECT_FALSE(rcsim::one_look_proof(c)) << "run count moved";
    c = o;
    c.threads[0].ns_after = 123999;
    EXPECT_FALSE(rcsim::one_look_proof(c)) << "CPU time moved (was on a CPU at the start)";
    c = o;
    c.threads[0].runs_before = c.threads[0].runs_after = -1;
    EXPECT_FALSE(rcsim::one_look_proof(c)) << "no schedstat";
    c = o;
    c.threads.push_back(t);
    c.threads[1].tid = 4243;
    EXPECT_FALSE(rcsim::one_look_proof(c)) << "two threads";
    c = o;
    c.state = Quiescence::Busy;
    EXPECT_FALSE(rcsim::one_look_proof(c)) << "busy";
    c = o;
    c.threads[0].state = 'D';
    EXPECT_FALSE(rcsim::one_look_proof(c)) << "uninterruptible";
}

TEST_F(FakeProc, AllThreadsInReadOrUntimedFutexIsQuiescent) {
    // futex op 0x80 = FUTEX_WAIT|FUTEX_PRIVATE_FLAG, timeout (arg 3) NULL.
    make(kMainStat, {{4242, {"S", kRead}},
                     {4243, {"S", "202 0x7f00000020 0x80 0x0 0x0 0x0 0x0 0x7ffd 0x7f00"}}});
    rcsim::QuiescenceObservation o = look();
    EXPECT_EQ(o.state, Quiescence::Quiescent) << o.detail;
    ASSERT_EQ(o.threads.size(), 2u);
    EXPECT_EQ(o.threads[0].why, "read");
    EXPECT_EQ(o.threads[1].why, "futex wait");
}

// Issue 14 item 9: a thread blocked sending (sendmsg 46, sendto 44, write 1,
// writev 20) is busy, unless the harness paused a socket (its held bound):
// then it waits on us.
TEST_F(FakeProc, BlockedSendIsQuiescentOnlyWhileASocketIsPaused) {
    for (const char *line : {"46 0x7 0x7ffd1000 0x4000 0x0 0x0 0x0 0x7ffd0ff8 0x7f0000001000",
                             "44 0x7 0x7ffd1000 0x100000 0x4000 0x0 0x0 0x7ffd0ff8 0x7f00",
                             "1 0x7 0x7ffd1000 0x100000 0x0 0x0 0x0 0x7ffd0ff8 0x7f00",
                             "20 0x7 0x7ffd1000 0x2 0x0 0x0 0x0 0x7ffd0ff8 0x7f00"}) {
        (void)!system(("rm -rf '" + root_ + "'").c_str());
        make(kMainStat, {{4242, {"S", kRead}}, {4243, {"S", line}}});
        rcsim::QuiescenceObservation o = look();
        EXPECT_EQ(o.state, Quiescence::Busy) << line;
        EXPECT_EQ(o.detail, "thread 4243: send") << line;
        opts_.accept_blocked_sends = true;
        o = look();
        opts_.accept_blocked_sends = false;
        EXPECT_EQ(o.state, Quiescence::Quiescent) << line << ": " << o.detail;
        ASSERT_EQ(o.threads.size(), 2u);
        EXPECT_EQ(o.threads[1].why, "send to a paused socket");
    }
}

TEST_F(FakeProc, TimedFutexBitsetWaitIsBusy) {
    // 0x189 = FUTEX_WAIT_BITSET|FUTEX_PRIVATE_FLAG|FUTEX_CLOCK_REALTIME, timeout set.
    make(kMainStat,
         {{4242, {"S", kRead}},
          {4243, {"S", "202 0x7f00000020 0x189 0x0 0x7ffd2000 0x0 0xffffffff 0x7ffd 0x7f"}}});
    rcsim::QuiescenceObservation o = look();
    EXPECT_EQ(o.state, Quiescence::Busy);
    EXPECT_EQ(o.detail, "thread 4243: futex wait with timeout");
}

TEST_F(FakeProc, FutexWakeIsNotAWait) {
    make(kMainStat, {{4242, {"S", "202 0x7f00000020 0x81 0x1 0x0 0x0 0x0 0x7ffd 0x7f"}}});
    EXPECT_EQ(look().detail, "thread 4242: futex (not a wait)");
}

TEST_F(FakeProc, RunningAndClockNanosleepAndOutsideSyscallAreBusy) {
    make(kMainStat, {{4242, {"R", "running"}}});
    EXPECT_EQ(look().detail, "thread 4242: running");
    TearDown();
    make(kMainStat, {{4242, {"S", "230 0x0 0x0 0x7ffd 0x7ffd 0x0 0x0 0x7ffd 0x7f"}}});
    EXPECT_EQ(look().detail, "thread 4242: in clock_nanosleep");
    TearDown();
    make(kMainStat, {{4242, {"S", "-1 0x7ffd 0x7f"}}});
    EXPECT_EQ(look().detail, "thread 4242: blocked outside a syscall");
}

TEST_F(FakeProc, ReadInUninterruptibleSleepIsBusy) {
    make(kMainStat, {{4242, {"D", kRead}}});
    rcsim::QuiescenceObservation o = look();
    EXPECT_EQ(o.state, Quiescence::Busy);
    EXPECT_EQ(o.detail, "thread 4242: read but state D");
}

TEST_F(FakeProc, EpollWaitTimeoutIsDecodedAsAnInt) {
    make(kMainStat, {{4242, {"S", "232 0x4 0x7ffd 0x1 0xffffffff 0x0 0x0 0x7ffd 0x7f"}}});
    rcsim::QuiescenceObservation o = look();
    EXPECT_EQ(o.state, Quiescence::Quiescent);
    EXPECT_FALSE(o.threads[0].timed);
    TearDown();
    make(kMainStat, {{4242, {"S", "232 0x4 0x7ffd 0x1 0x3e8 0x0 0x0 0x7ffd 0x7f"}}});
    o = look();
    EXPECT_EQ(o.state, Quiescence::Quiescent);
    EXPECT_TRUE(o.threads[0].timed);
    opts_.accept_timed_io_waits = false;
    EXPECT_EQ(look().detail, "thread 4242: epoll_wait with timeout");
}

TEST_F(FakeProc, ZombieMainThreadOrMissingPidIsGone) {
    make("4242 (srv) Z 1 4242 4242 0 -1\n", {{4242, {"Z", "running"}}});
    EXPECT_EQ(look().state, Quiescence::Gone);
    opts_.proc_root = root_ + "/nothing-here";
    EXPECT_EQ(look().state, Quiescence::Gone);
}

TEST_F(FakeProc, CommandNameWithParenthesesDoesNotFoolTheStateParser) {
    make("4242 (a) R (b) S 1 4242\n", {{4242, {"S", kRead}}});
    rcsim::QuiescenceObservation o = look();
    EXPECT_EQ(o.state, Quiescence::Quiescent) << o.detail;
}

#endif
