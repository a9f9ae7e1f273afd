// Run forker: children that pass, fail, crash, throw and hang, their output,
// the parallelism bound, and a server started inside a run that is killed
// with it.
#include "quiescence.hpp"
#include "run_forker.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <stdexcept>
#include <sys/mman.h>
#include <thread>
#include <unistd.h>

using namespace std::chrono_literals;
using rcsim::RunLimits;
using rcsim::RunResult;

namespace {

RunLimits limits(std::chrono::milliseconds wall) {
    RunLimits l;
    l.wall_limit = wall;
    return l;
}

// Memory shared with the children (MAP_SHARED survives fork).
template <typename T> T *shared_object() {
    void *p = mmap(nullptr, sizeof(T), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? nullptr : new (p) T();
}

} // namespace

TEST(RunForker, PassFailCrashThrowAndHangAreTellable) {
    auto body = [](size_t i) -> int {
        switch (i) {
        case 0:
            std::printf("run zero passes\n");
            return 0;
        case 1:
            std::cerr << "run one fails" << std::endl;
            return 3;
        case 2:
            std::printf("about to crash\n");
            raise(SIGSEGV);
            return 0;
        case 3:
            throw std::runtime_error("bad scenario");
        default:
            std::printf("hanging\n");
            for (;;)
                pause();
        }
    };
    std::vector<RunResult> r = rcsim::run_children(5, 2, body, limits(1500ms));
    ASSERT_EQ(r.size(), 5u);
    EXPECT_TRUE(r[0].passed());
    EXPECT_EQ(r[0].output, "run zero passes\n");
    EXPECT_EQ(r[1].outcome, RunResult::Outcome::Exited);
    EXPECT_EQ(r[1].exit_code, 3);
    EXPECT_EQ(r[1].output, "run one fails\n");
    EXPECT_EQ(r[2].outcome, RunResult::Outcome::Signaled);
    EXPECT_EQ(r[2].signal, SIGSEGV);
    EXPECT_EQ(r[2].output, "about to crash\n"); // printed before the crash survives
    EXPECT_EQ(r[2].describe(), "signal 11 (Segmentation fault)");
    EXPECT_EQ(r[3].exit_code, 70);
    EXPECT_EQ(r[3].output, "run 3: uncaught exception: bad scenario\n");
    EXPECT_EQ(r[4].outcome, RunResult::Outcome::TimedOut);
    EXPECT_GE(r[4].wall, 1500ms);
    EXPECT_LT(r[4].wall, 10000ms);
    EXPECT_EQ(r[4].output, "hanging\n");
    EXPECT_NE(r[4].describe().find("timed out after"), std::string::npos);
}

TEST(RunForker, ChildSeesTheParentsStateButCannotChangeIt) {
    std::vector<int> elaborated = {1, 2, 3}; // stands for the elaborated model
    auto r = rcsim::run_in_child(
        [&](size_t i) {
            elaborated.push_back(int(i));
            return int(elaborated.size());
        },
        7, limits(5000ms));
    EXPECT_EQ(r.outcome, RunResult::Outcome::Exited);
    EXPECT_EQ(r.exit_code, 4);
    EXPECT_EQ(elaborated.size(), 3u);
}

TEST(RunForker, NeverMoreThanJChildrenAtOnce) {
    struct Counter {
        std::atomic<int> active{0};
        std::atomic<int> peak{0};
    };
    Counter *c = shared_object<Counter>();
    ASSERT_NE(c, nullptr);
    auto body = [c](size_t) {
        int now = ++c->active;
        int seen = c->peak.load();
        while (now > seen && !c->peak.compare_exchange_weak(seen, now)) {
        }
        // Wait (bounded) for a partner so two children surely overlap.
        auto deadline = std::chrono::steady_clock::now() + 2s;
        while (c->active.load() < 2 && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(1ms);
        std::this_thread::sleep_for(50ms);
        int after = c->active.load();
        --c->active;
        return after <= 2 ? 0 : 1;
    };
    std::vector<RunResult> r = rcsim::run_children(6, 2, body, limits(10000ms));
    for (const RunResult &x : r)
        EXPECT_TRUE(x.passed()) << x.describe();
    EXPECT_EQ(c->peak.load(), 2);
    munmap(c, sizeof(Counter));
}

TEST(RunForker, OutputBeyondTheCapIsCutAndFlagged) {
    RunLimits l = limits(5000ms);
    l.max_output_bytes = 100;
    auto r = rcsim::run_in_child(
        [](size_t) {
            for (int i = 0; i < 50; ++i)
                std::printf("line %02d\n", i); // 8 bytes each
            return 0;
        },
        0, l);
    EXPECT_TRUE(r.output_truncated);
    ASSERT_EQ(r.output.size(), 100u);
    EXPECT_EQ(r.output.substr(0, 16), "line 00\nline 01\n");
}

TEST(RunForker, ServerStartedInAHungRunDiesWithIt) {
    pid_t *server_pid = shared_object<pid_t>();
    ASSERT_NE(server_pid, nullptr);
    auto r = rcsim::run_in_child(
        [server_pid](size_t) {
            std::string error;
            auto sp = simtest::start_helper({"block-read"}, &error);
            if (sp == nullptr)
                return 2;
            *server_pid = sp->pid();
            for (;;)
                pause(); // hangs holding the server
        },
        0, limits(1000ms));
    EXPECT_EQ(r.outcome, RunResult::Outcome::TimedOut);
    ASSERT_GT(*server_pid, 0);
    // PR_SET_PDEATHSIG kills it; init reaps it (or it lingers as a zombie).
    rcsim::QuiescenceObservation o;
    auto deadline = std::chrono::steady_clock::now() + 5s;
    do {
        o = rcsim::observe_quiescence(*server_pid);
        if (o.state == rcsim::Quiescence::Gone)
            break;
        std::this_thread::sleep_for(5ms);
    } while (std::chrono::steady_clock::now() < deadline);
    EXPECT_EQ(o.state, rcsim::Quiescence::Gone) << o.detail;
    munmap(server_pid, sizeof(pid_t));
}
