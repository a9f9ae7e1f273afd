// Decision log: the JSONL written is read back field for field, bad lines
// are named by file:line, and comparisons name the first diverging decision
// and every pinned header field that differs.
#include "decision_log.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <unistd.h>

using rcsim::Decision;
using rcsim::DecisionLog;
using rcsim::DecisionLogWriter;
using rcsim::LogHeader;

namespace {

std::string temp_path(const std::string &tag) {
    return "/tmp/sim_declog_" + std::to_string(getpid()) + "_" + tag + ".jsonl";
}

LogHeader sample_header() {
    LogHeader h;
    h.rcsim_version = "0.1.0";
    h.policy = "random:7";
    h.scenario_path = "scenarios/nvme \"quoted\".json";
    h.scenario_sha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    h.server_argv = {"/usr/bin/gpio-server", "-v", "with space"};
    h.server_sha256 = "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";
    h.rtl_settings = {{"max_payload", "256"}, {"completion_timeout_ns", "50000"}};
    return h;
}

Decision decision(uint64_t t, const std::string &kind, std::vector<std::string> options,
                  const std::string &chosen) {
    Decision d;
    d.sim_time_ps = t;
    d.kind = kind;
    d.options = std::move(options);
    d.chosen = chosen;
    return d;
}

std::vector<Decision> sample_decisions() {
    std::vector<Decision> v;
    v.push_back(
        decision(1000, "admit", {"main:REGION_READ#3", "twin:DMA_WRITE#1"}, "twin:DMA_WRITE#1"));
    v.push_back(decision(1000, "admit", {"main:REGION_READ#3"}, "main:REGION_READ#3"));
    Decision silent = decision(52000, "silent", {"main:reply"}, "silent");
    silent.wall_waited_us = 2000000;
    v.push_back(silent);
    for (size_t i = 0; i < v.size(); ++i)
        v[i].index = i;
    return v;
}

void write_lines(const std::string &path, const std::vector<std::string> &lines) {
    std::ofstream out(path);
    for (const std::string &l : lines)
        out << l << "\n";
}

std::string read_error(const std::string &path) {
    DecisionLog log;
    std::string error;
    EXPECT_EQ(rcsim::read_decision_log(path, &log, &error), -EINVAL);
    return error;
}

const char *kHeaderLine =
    R"({"record":"header","format":1,"rcsim_version":"0.1.0","policy":"fifo",)"
    R"("scenario":{"path":"s.json","sha256":"aa"},"server":{"argv":["srv"],"sha256":"bb"},"rtl":{}})";

} // namespace

TEST(DecisionLog, WrittenLogReadsBackFieldForField) {
    std::string path = temp_path("roundtrip");
    std::unique_ptr<DecisionLogWriter> w;
    std::string error;
    ASSERT_EQ(DecisionLogWriter::open(path, sample_header(), &w, &error), 0) << error;
    for (const Decision &d : sample_decisions()) {
        Decision misnumbered = d;
        misnumbered.index = 99; // the writer numbers decisions itself
        EXPECT_EQ(w->append(misnumbered, &error), static_cast<long long>(d.index)) << error;
    }
    w.reset();

    DecisionLog log;
    ASSERT_EQ(rcsim::read_decision_log(path, &log, &error), 0) << error;
    LogHeader h = sample_header();
    EXPECT_EQ(log.header.rcsim_version, "0.1.0");
    EXPECT_EQ(log.header.policy, h.policy);
    EXPECT_EQ(log.header.scenario_path, h.scenario_path);
    EXPECT_EQ(log.header.scenario_sha256, h.scenario_sha256);
    EXPECT_EQ(log.header.server_argv, h.server_argv);
    EXPECT_EQ(log.header.server_sha256, h.server_sha256);
    EXPECT_EQ(log.header.rtl_settings, h.rtl_settings);
    ASSERT_EQ(log.decisions.size(), 3u);
    EXPECT_FALSE(rcsim::first_divergence(sample_decisions(), log.decisions).has_value());
    EXPECT_EQ(log.decisions[2].wall_waited_us.value_or(0), 2000000u);
    EXPECT_FALSE(log.decisions[0].wall_waited_us.has_value());
    unlink(path.c_str());
}

TEST(DecisionLog, VersionComesFromTheProject) {
    std::string v = rcsim::rcsim_version();
    ASSERT_FALSE(v.empty());
    EXPECT_EQ(std::count(v.begin(), v.end(), '.'), 2) << v;
}

TEST(DecisionLog, DecisionLineIsTheDocumentedJson) {
    Decision d = decision(1000, "admit", {"a", "b"}, "b");
    d.index = 4;
    EXPECT_EQ(rcsim::decision_to_json(d),
              R"({"record":"decision","index":4,"sim_time_ps":1000,"kind":"admit",)"
              R"("options":["a","b"],"chosen":"b"})");
}

TEST(DecisionLog, WriterRefusesInvalidDecisions) {
    std::string path = temp_path("invalid");
    std::unique_ptr<DecisionLogWriter> w;
    std::string error;
    ASSERT_EQ(DecisionLogWriter::open(path, sample_header(), &w, &error), 0) << error;
    EXPECT_EQ(w->append(decision(0, "admit", {"a"}, "b"), &error), -EINVAL);
    EXPECT_NE(error.find("chosen \"b\" is not among the options [\"a\"]"), std::string::npos)
        << error;
    EXPECT_EQ(w->append(decision(0, "admit", {}, ""), &error), -EINVAL);
    EXPECT_EQ(w->append(decision(0, "silent", {"main:reply"}, "silent"), &error), -EINVAL);
    EXPECT_NE(error.find("needs wall_waited_us"), std::string::npos) << error;
    // A wall-clock wait states how long it waited (it is outside the
    // determinism guarantee; the wait is what a reader must see).
    error.clear();
    EXPECT_EQ(w->append(decision(0, "wall-wait", {"intx vector 0 came", "no intx vector 0"},
                                 "intx vector 0 came"),
                        &error),
              -EINVAL);
    EXPECT_NE(error.find("a \"wall-wait\" decision needs wall_waited_us"), std::string::npos)
        << error;
    EXPECT_EQ(w->next_index(), 0u);
    unlink(path.c_str());
}

TEST(DecisionLog, MalformedLinesAreNamedByFileAndLine) {
    std::string path = temp_path("bad");
    const std::string good1 =
        R"({"record":"decision","index":0,"sim_time_ps":10,"kind":"admit","options":["x"],"chosen":"x"})";
    struct Case {
        std::vector<std::string> lines;
        std::string expected;
    } cases[] = {
        {{kHeaderLine, good1, "{\"record\":\"decision\",\"index\":1"}, ":3: incomplete JSON"},
        {{kHeaderLine, "not json"}, ":2: bad JSON"},
        {{kHeaderLine, good1, ""}, ":3: empty line"},
        {{good1}, ":1: the first line must be the header record"},
        {{kHeaderLine,
          R"({"record":"decision","index":0,"sim_time_ps":10,"kind":"admit","options":["x"]})"},
         ":2: missing field \"chosen\""},
        {{kHeaderLine,
          R"({"record":"decision","index":0,"sim_time_ps":-1,"kind":"admit","options":["x"],"chosen":"x"})"},
         ":2: field \"sim_time_ps\" must be a non-negative 64-bit integer"},
        {{kHeaderLine, good1, good1}, ":3: decision index 0, expected 1"},
        {{kHeaderLine,
          R"({"record":"decision","index":0,"sim_time_ps":10,"kind":"admit","options":["x",3],"chosen":"x"})"},
         ":2: field \"options\" must hold only strings"},
        {{kHeaderLine, good1,
          R"({"record":"decision","index":1,"sim_time_ps":9,"kind":"admit","options":["x"],"chosen":"x"})"},
         ":3: simulated time goes backwards"},
        {{kHeaderLine, R"({"record":"trace"})"}, ":2: unknown record \"trace\""},
        {{kHeaderLine, good1 + " x"}, ":2: bad JSON: unexpected character"},
        {{R"({"record":"header","format":2})"}, ":1: unsupported log format 2"},
        {{}, ":0: empty log: no header"},
    };
    for (const Case &c : cases) {
        write_lines(path, c.lines);
        std::string error = read_error(path);
        EXPECT_EQ(error.rfind(path, 0), 0u) << error;
        EXPECT_NE(error.find(path + c.expected), std::string::npos) << error << " / " << c.expected;
    }
    unlink(path.c_str());
    DecisionLog log;
    std::string error;
    EXPECT_EQ(rcsim::read_decision_log(path, &log, &error), -ENOENT);
}

TEST(DecisionLog, FirstDivergenceNamesTheIndex) {
    std::vector<Decision> logged = sample_decisions();
    std::vector<Decision> run = logged;
    run[1].chosen = "main:REGION_READ#3"; // same; still equal
    EXPECT_FALSE(rcsim::first_divergence(logged, run).has_value());
    run[2].wall_waited_us = 17; // wall time is not part of the decision
    EXPECT_FALSE(rcsim::first_divergence(logged, run).has_value());

    run[1].options.push_back("irq:vector0");
    auto d = rcsim::first_divergence(logged, run);
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->index, 1u);
    EXPECT_NE(d->what.find("options"), std::string::npos) << d->what;

    run = logged;
    run[0].chosen = "main:REGION_READ#3";
    d = rcsim::first_divergence(logged, run);
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->index, 0u);
    EXPECT_EQ(d->what, "decision 0: chosen \"twin:DMA_WRITE#1\" vs \"main:REGION_READ#3\"");

    run = logged;
    run.pop_back();
    d = rcsim::first_divergence(logged, run);
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->index, 2u);
    EXPECT_NE(d->what.find("only the log has it"), std::string::npos) << d->what;

    run = logged;
    run[2].sim_time_ps += 1;
    EXPECT_EQ(rcsim::first_divergence(logged, run)->index, 2u);
}

TEST(DecisionLog, HeaderMismatchesListEveryPinnedField) {
    LogHeader log = sample_header();
    LogHeader run = log;
    run.policy = "replay:run.jsonl"; // not pinned
    EXPECT_TRUE(rcsim::header_mismatches(log, run).empty());
    run.server_sha256 = "00";
    run.server_argv.pop_back();
    run.rtl_settings["max_payload"] = "128";
    run.rtl_settings["extra"] = "1";
    run.rcsim_version = "9.9.9";
    std::vector<std::string> m = rcsim::header_mismatches(log, run);
    ASSERT_EQ(m.size(), 5u);
    EXPECT_EQ(m[0], "rcsim version: log has \"0.1.0\", run has \"9.9.9\"");
    EXPECT_NE(m[1].find("server sha256"), std::string::npos);
    EXPECT_NE(m[2].find("server argv"), std::string::npos);
    EXPECT_EQ(m[3], "rtl setting max_payload: log has \"256\", run has \"128\"");
    EXPECT_EQ(m[4], "rtl setting extra: log has \"(unset)\", run has \"1\"");
}

// The payload digest of the log's records: FNV-1a 64, its published
// reference values.
TEST(PayloadDigest, Fnv1a64ReferenceValues) {
    EXPECT_EQ(rcsim::fnv1a64("", 0), 0xcbf29ce484222325ULL);
    EXPECT_EQ(rcsim::fnv1a64("a", 1), 0xaf63dc4c8601ec8cULL);
    EXPECT_EQ(rcsim::fnv1a64("foobar", 6), 0x85944171f73967e8ULL);
    EXPECT_EQ(rcsim::digest_hex(0xaf63dc4c8601ec8cULL), "af63dc4c8601ec8c");
    EXPECT_EQ(rcsim::digest_hex(0x1ULL), "0000000000000001");
}
