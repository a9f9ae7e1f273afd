// The scheduler alone (no SystemC): policy strings, what each policy picks,
// deviations with their labels, replay by label and its divergence report.
#include "scheduler.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <unistd.h>

namespace {

using namespace rcsim;

std::unique_ptr<Scheduler> make(const std::string &policy) {
    std::unique_ptr<Scheduler> s;
    std::string err;
    EXPECT_EQ(Scheduler::create(policy, &s, &err), 0) << policy << ": " << err;
    return s;
}

const std::vector<std::string> kTwo = {"a", "b"};
const std::vector<std::string> kThree = {"x", "y", "z"};

TEST(SchedScheduler, BadPoliciesAreRefusedWithAReason) {
    for (const char *p :
         {"", "FIFO", "random", "random:", "random:x", "random:1:2", "pct:1", "pct:1:0",
          "pct:1:2:0", "plan:3", "plan:3=0", "plan:a=1", "replay:", "exhaustive:2", "lifo"}) {
        std::unique_ptr<Scheduler> s;
        std::string err;
        EXPECT_EQ(Scheduler::create(p, &s, &err), -EINVAL) << p;
        EXPECT_FALSE(err.empty()) << p;
        EXPECT_EQ(s, nullptr) << p;
    }
    std::unique_ptr<Scheduler> s;
    std::string err;
    EXPECT_LT(Scheduler::create("replay:/nonexistent/log.jsonl", &s, &err), 0);
    EXPECT_LT(Scheduler::create("labels:/nonexistent/labels", &s, &err), 0);
}

TEST(SchedScheduler, FifoAlwaysTakesOptionZero) {
    auto s = make("fifo");
    for (int i = 0; i < 10; ++i)
        EXPECT_EQ(s->choose("admit", kThree), 0u);
    EXPECT_TRUE(s->deviations().empty());
    EXPECT_EQ(s->choice_count(), 10u);
    EXPECT_EQ(s->branching_points(), 10u);
}

TEST(SchedScheduler, RandomIsASeedsFunctionAndCoversEveryOption) {
    auto a = make("random:42"), b = make("random:42"), c = make("random:43");
    std::vector<size_t> seen(3, 0);
    bool differs = false;
    for (int i = 0; i < 300; ++i) {
        const size_t x = a->choose("admit", kThree);
        EXPECT_EQ(b->choose("admit", kThree), x);
        differs |= c->choose("admit", kThree) != x;
        ++seen[x];
    }
    EXPECT_TRUE(differs);
    for (size_t n : seen)
        EXPECT_GT(n, 60u) << "roughly uniform over 3 options in 300 draws";
    // A single option is no choice.
    EXPECT_EQ(a->choose("admit", {"only"}), 0u);
}

TEST(SchedScheduler, PctDeviatesAtMostDepthTimes) {
    for (uint64_t seed = 1; seed <= 50; ++seed) {
        auto s = make("pct:" + std::to_string(seed) + ":2:8");
        for (int i = 0; i < 8; ++i)
            s->choose("admit", kTwo);
        // 2 change points among 8 branching points (they may coincide).
        EXPECT_GE(s->deviations().size(), 1u) << seed;
        EXPECT_LE(s->deviations().size(), 2u) << seed;
        for (int i = 0; i < 20; ++i)
            EXPECT_EQ(s->choose("admit", kTwo), 0u) << "past K: fifo";
    }
}

TEST(SchedScheduler, PlanTakesTheNamedOptionsAndRecordsLabels) {
    EXPECT_EQ(plan_to_string({{1, 2, ""}, {4, 1, ""}}), "1=2,4=1");
    std::vector<Deviation> p;
    ASSERT_EQ(parse_plan("1=2,4=1", &p), 0);
    ASSERT_EQ(p.size(), 2u);
    EXPECT_EQ(p[1].point, 4u);
    auto s = make("plan:1=2,4=1,5=9");
    EXPECT_EQ(s->choose("admit", kThree), 0u);
    EXPECT_EQ(s->choose("mmio", kThree), 2u);
    EXPECT_EQ(s->choose("admit", kTwo), 0u);
    EXPECT_EQ(s->choose("admit", {"only"}), 0u);
    EXPECT_EQ(s->choose("admit", kTwo), 1u);
    EXPECT_EQ(s->choose("admit", kTwo), 0u) << "option 9 does not exist: fifo";
    const std::vector<Deviation> d = s->deviations();
    ASSERT_EQ(d.size(), 2u);
    EXPECT_EQ(d[0].point, 1u);
    EXPECT_EQ(d[0].label, "z");
    EXPECT_EQ(d[1].point, 4u);
    EXPECT_EQ(d[1].label, "b");
}

TEST(SchedScheduler, LabelsAreTakenWhereTheyAreFirstOffered) {
    char path[] = "/tmp/rcsim-labels-XXXXXX";
    const int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    close(fd);
    ASSERT_EQ(write_labels(path, {{7, 1, "send R now"}, {9, 1, "delay A by 5 cycles"}}), 0);
    auto s = make(std::string("labels:") + path);
    EXPECT_EQ(s->choose("admit", {"A", "delay A by 5 cycles"}), 1u);
    EXPECT_EQ(s->choose("admit", {"A", "delay A by 5 cycles"}), 0u) << "taken once";
    EXPECT_EQ(s->choose("mmio", {"hold R", "send R now"}), 1u);
    EXPECT_EQ(s->choose("mmio", {"hold R", "send R now"}), 0u);
    std::remove(path);
}

TEST(SchedScheduler, ReplayFollowsTheLogAndNamesTheFirstMismatch) {
    char path[] = "/tmp/rcsim-replay-XXXXXX";
    const int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    close(fd);
    LogHeader h;
    h.rcsim_version = rcsim_version();
    h.policy = "random:1";
    std::unique_ptr<DecisionLogWriter> w;
    std::string err;
    ASSERT_EQ(DecisionLogWriter::open(path, h, &w, &err), 0) << err;
    Decision d;
    d.kind = "admit";
    d.options = {"a", "b"};
    d.chosen = "b";
    ASSERT_GE(w->append(d, &err), 0) << err;
    Decision silent;
    silent.kind = "silent";
    silent.options = {"reply X"};
    silent.chosen = "silent";
    silent.wall_waited_us = 5;
    ASSERT_GE(w->append(silent, &err), 0) << err; // not a choice: skipped
    d.kind = "mmio";
    d.options = {"hold R", "send R now"};
    d.chosen = "send R now";
    ASSERT_GE(w->append(d, &err), 0) << err;
    w.reset();

    auto s = make(std::string("replay:") + path);
    ASSERT_NE(s->replay_log(), nullptr);
    EXPECT_EQ(s->choose("admit", {"a", "b"}), 1u);
    EXPECT_EQ(s->choose("mmio", {"hold R", "send R now"}), 1u);
    EXPECT_FALSE(s->replay_divergence().has_value());
    EXPECT_EQ(s->choose("admit", {"a", "b"}), 0u) << "past the log: fifo";
    ASSERT_TRUE(s->replay_divergence().has_value());
    EXPECT_NE(s->replay_divergence()->find("choice 2"), std::string::npos)
        << *s->replay_divergence();

    // A run that ends before the log's last choice did not follow it either.
    auto u = make(std::string("replay:") + path);
    EXPECT_EQ(u->choose("admit", {"a", "b"}), 1u);
    ASSERT_TRUE(u->replay_divergence().has_value());
    EXPECT_EQ(*u->replay_divergence(), "the run ended after 1 choice(s); the log has 2");

    auto t = make(std::string("replay:") + path);
    EXPECT_EQ(t->choose("admit", {"a", "c"}), 0u) << "the logged option is not offered";
    ASSERT_TRUE(t->replay_divergence().has_value());
    EXPECT_NE(t->replay_divergence()->find("logged admit 'b'"), std::string::npos)
        << *t->replay_divergence();
    std::remove(path);
}

} // namespace
