// The completer's choice points (issue 7): the order of completions for
// different tags ("cpl-order") and whether a read completion is split at
// every RCB boundary ("cpl-split"). A host block read of dmaprobe's scratch
// buffer spanning six MRRS pieces becomes six MemRd TLPs with different
// tags, so several reads' completions wait in the RX FIFO at once.
//  - random schedules over several seeds: the bytes read back are the ones
//    written, the root port counts no unexpected completion, and non-fifo
//    cpl-order and cpl-split choices are taken;
//  - exhaustive bound 1 over these points: each alternative runs once (a
//    plan:P=O per alternative of the fifo run) and takes exactly it.
// One elaboration per test process, one forked child (and server) per run.
#include "harness.hpp"
#include "run_forker.hpp"
#include "scheduler.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace {

using namespace rcsim;

const std::string kDmaprobe = RCSIM_SERVER_MODELS_DIR "/dmaprobe";
constexpr uint64_t kScratch = 0x200; // dmaprobe BAR0 0x100-0xfff: RW scratch
constexpr size_t kLen = 3072;        // six 512-byte MRRS pieces

struct ChoiceSeen {
    std::string kind;
    size_t chosen = 0, options = 0;
    std::string label;
};

struct Outcome {
    bool data_ok = false;
    uint32_t unexpected = ~0u;
    unsigned mps = 0;
    std::vector<ChoiceSeen> choices;
};

class SchedCompletion : public ::testing::Test {
  protected:
    void SetUp() override {
        char d[] = "/tmp/rcsim-schedcpl-XXXXXX";
        ASSERT_NE(mkdtemp(d), nullptr);
        dir = d;
        HarnessConfig cfg;
        cfg.admission.watchdog = std::chrono::milliseconds(2000);
        std::string err;
        ASSERT_EQ(Harness::create(cfg, &h, &err), 0) << err;
    }
    void TearDown() override { std::system(("rm -rf '" + dir + "'").c_str()); }

    // One run in the child: write a pattern, read it back as one block.
    int body(const std::string &policy, const std::string &out_path) {
        std::unique_ptr<Scheduler> s;
        std::string err;
        if (Scheduler::create(policy, &s, &err) < 0)
            return 3;
        h->set_scheduler(s.get());
        h->set_decision_log(out_path + ".jsonl");
        if (h->start_server({kDmaprobe}, &err) < 0 || h->enumerate(&err) < 0)
            return 4;
        std::vector<uint8_t> pattern(kLen), got(kLen, 0);
        for (size_t i = 0; i < kLen; ++i)
            pattern[i] = uint8_t(i * 7 + (i >> 8) + 1);
        if (h->mmio_write_block(0, kScratch, pattern.data(), kLen) != HostStatus::SC)
            return 5;
        if (h->mmio_read_block(0, kScratch, got.data(), kLen) != HostStatus::SC)
            return 6;
        h->drain();
        std::ofstream out(out_path);
        out << (got == pattern ? "ok" : "bad") << "\n"
            << h->counters().rtl.cnt_unexp_cpl << "\n"
            << h->enumeration().mps << "\n";
        // The decision log's records (what replay and shrinking read).
        size_t ordinal = 0;
        std::map<uint64_t, size_t> taken; // the scheduler's deviations
        for (const Deviation &dev : s->deviations())
            taken[dev.point] = dev.option;
        for (const Decision &d : h->decisions()) {
            if (!is_choice_kind(d.kind))
                continue;
            const size_t c =
                size_t(std::find(d.options.begin(), d.options.end(), d.chosen) - d.options.begin());
            if (ordinal >= s->choice_count() || (taken.count(ordinal) ? taken[ordinal] : 0) != c)
                return 8; // the log and the scheduler disagree
            ++ordinal;
            out << d.kind << "\t" << c << "\t" << d.options.size() << "\t" << d.chosen << "\n";
        }
        if (ordinal != s->choice_count())
            return 9;
        if (s->replay_divergence())
            return 10;
        h->shutdown();
        return out ? 0 : 7;
    }

    // Run i of this batch writes path(i) and its decision log path(i).jsonl.
    std::string path(size_t i) const {
        return dir + "/b" + std::to_string(batch) + "r" + std::to_string(i);
    }
    std::vector<Outcome> runs(const std::vector<std::string> &policies) {
        ++batch;
        // A run takes about 0.1 s; once, under ASan on a loaded machine, one
        // passed the default 10 s limit (cause not found), so allow more.
        RunLimits limits;
        limits.wall_limit = std::chrono::milliseconds(60000);
        const std::vector<RunResult> res = run_children(
            policies.size(), 2, [&](size_t i) { return body(policies[i], path(i)); }, limits);
        std::vector<Outcome> out(policies.size());
        for (size_t i = 0; i < res.size(); ++i) {
            EXPECT_EQ(res[i].outcome, RunResult::Outcome::Exited) << res[i].describe();
            EXPECT_EQ(res[i].exit_code, 0)
                << policies[i] << ": " << res[i].describe() << res[i].output;
            std::ifstream in(path(i));
            std::string ok;
            in >> ok >> out[i].unexpected >> out[i].mps;
            out[i].data_ok = ok == "ok";
            std::string line;
            std::getline(in, line);
            while (std::getline(in, line)) {
                std::istringstream f(line);
                ChoiceSeen c;
                std::getline(f, c.kind, '\t');
                f >> c.chosen >> c.options;
                f.ignore(1);
                std::getline(f, c.label);
                out[i].choices.push_back(c);
            }
        }
        return out;
    }

    std::string dir;
    unsigned batch = 0;
    std::unique_ptr<Harness> h;
};

TEST_F(SchedCompletion, RandomOrderAndSplitKeepDataAndTakeNonFifoChoices) {
    std::vector<std::string> policies;
    for (int seed = 1; seed <= 6; ++seed)
        policies.push_back("random:" + std::to_string(seed));
    policies.push_back("fifo");
    const std::vector<Outcome> rs = runs(policies);
    size_t order_points = 0, order_deviations = 0, split_points = 0, split_fine = 0;
    for (size_t i = 0; i < rs.size(); ++i) {
        EXPECT_TRUE(rs[i].data_ok) << policies[i];
        EXPECT_EQ(rs[i].unexpected, 0u) << policies[i];
        // MPS 256 (or what the device supports) > RCB 64: a 512-byte piece
        // is 2 CplD up to MPS 256 or 8 at RCB 64 (both legal).
        EXPECT_GT(rs[i].mps, 64u);
        size_t splits = 0;
        for (const ChoiceSeen &c : rs[i].choices) {
            if (c.kind == "cpl-split") {
                ++splits;
                ++split_points;
                EXPECT_EQ(c.options, 2u);
                if (c.chosen == 1) {
                    ++split_fine;
                    EXPECT_NE(c.label.find("as 8 CplD, one per RCB 64"), std::string::npos)
                        << c.label;
                } else {
                    EXPECT_NE(
                        c.label.find("as " + std::to_string(512 / rs[i].mps) + " CplD up to MPS"),
                        std::string::npos)
                        << c.label;
                }
            }
            if (c.kind == "cpl-order") {
                ++order_points;
                EXPECT_GE(c.options, 2u);
                if (c.chosen != 0) {
                    ++order_deviations;
                    EXPECT_NE(c.label.find(" before tag "), std::string::npos) << c.label;
                }
                if (policies[i] == "fifo") {
                    EXPECT_EQ(c.chosen, 0u);
                }
            }
        }
        EXPECT_EQ(splits, kLen / 512) << policies[i] << ": one cpl-split per MemRd";
    }
    std::printf("%zu runs: %zu cpl-order points (%zu reordered), %zu cpl-split points (%zu "
                "at every RCB)\n",
                rs.size(), order_points, order_deviations, split_points, split_fine);
    EXPECT_GT(order_points, 0u) << "no two reads' completions ever waited together";
    EXPECT_GT(order_deviations, 0u) << "random never reordered completions";
    EXPECT_GT(split_fine, 0u) << "random never split at RCB";
    EXPECT_LT(split_fine, split_points) << "random always split at RCB";
}

TEST_F(SchedCompletion, ExhaustiveBound1RunsEachAlternativeOnce) {
    const std::vector<Outcome> fifo = runs({"fifo"});
    ASSERT_EQ(fifo.size(), 1u);
    std::vector<std::string> plans;
    std::vector<std::string> want; // the label each plan must take
    for (size_t p = 0; p < fifo[0].choices.size(); ++p) {
        const ChoiceSeen &c = fifo[0].choices[p];
        EXPECT_EQ(c.chosen, 0u);
        if (c.kind != "cpl-order" && c.kind != "cpl-split")
            continue;
        for (size_t o = 1; o < c.options; ++o) {
            plans.push_back("plan:" + std::to_string(p) + "=" + std::to_string(o));
            want.push_back(c.kind);
        }
    }
    ASSERT_GE(plans.size(), kLen / 512 + 1) << "every cpl-split and at least one cpl-order";
    const std::vector<Outcome> rs = runs(plans);
    std::printf("exhaustive bound 1 over cpl-order/cpl-split: %zu alternatives\n", plans.size());
    std::set<std::string> taken;
    for (size_t i = 0; i < rs.size(); ++i) {
        EXPECT_TRUE(rs[i].data_ok) << plans[i];
        EXPECT_EQ(rs[i].unexpected, 0u) << plans[i];
        std::vector<const ChoiceSeen *> devs;
        for (const ChoiceSeen &c : rs[i].choices)
            if (c.chosen != 0)
                devs.push_back(&c);
        ASSERT_EQ(devs.size(), 1u) << plans[i] << ": exactly its one deviation";
        EXPECT_EQ(devs[0]->kind, want[i]) << plans[i];
        taken.insert(devs[0]->kind + " " + devs[0]->label);
    }
    EXPECT_EQ(taken.size(), plans.size()) << "each alternative once";
}

} // namespace

namespace {

bool same_choices(const Outcome &a, const Outcome &b) {
    if (a.choices.size() != b.choices.size())
        return false;
    for (size_t i = 0; i < a.choices.size(); ++i)
        if (a.choices[i].kind != b.choices[i].kind || a.choices[i].label != b.choices[i].label)
            return false;
    return true;
}

// Replay (by the log's labels) and shrinking's labels: policy take the same
// cpl-order and cpl-split choices as the random run that logged them.
TEST_F(SchedCompletion, ReplayAndLabelsReproduceTheChoices) {
    const std::vector<std::string> seeds = {"random:11", "random:12", "random:13"};
    const std::vector<Outcome> orig = runs(seeds);
    std::vector<std::string> again;
    for (size_t i = 0; i < seeds.size(); ++i) {
        again.push_back("replay:" + path(i) + ".jsonl");
        std::vector<Deviation> devs;
        size_t cpl_devs = 0;
        for (const ChoiceSeen &c : orig[i].choices)
            if (c.chosen != 0) {
                devs.push_back({0, c.chosen, c.label});
                cpl_devs += c.kind.rfind("cpl-", 0) == 0;
            }
        EXPECT_GT(cpl_devs, 0u) << seeds[i] << " took no completion choice: pick another seed";
        const std::string labels = dir + "/labels" + std::to_string(i);
        ASSERT_EQ(write_labels(labels, devs), 0);
        again.push_back("labels:" + labels);
    }
    const std::vector<Outcome> rs = runs(again);
    for (size_t i = 0; i < rs.size(); ++i) {
        EXPECT_TRUE(rs[i].data_ok) << again[i];
        EXPECT_EQ(rs[i].unexpected, 0u) << again[i];
        EXPECT_TRUE(same_choices(rs[i], orig[i / 2])) << again[i] << " vs " << seeds[i / 2];
    }
}

} // namespace
