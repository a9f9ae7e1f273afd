// Issue 8, harness side: the client style (async / sync), deadlock
// detection and the failure categories, on dmacopy.
//  - sync client, a device that does DMA inside its doorbell write and waits
//    for the reply (dmacopy's default twin mode): a `deadlock` decision and
//    note naming both sides, the doorbell's REGION_WRITE abandoned, no
//    watchdog wait (a 30 s watchdog would otherwise trip the test's limit);
//  - sync client and dmacopy's async DMA mode (the DMA_READ comes while the
//    doorbell's REGION_WRITE is outstanding): each such command is set aside
//    and taken up only once nothing of ours is outstanding, in arrival
//    order, and the copy is right; the async client serves it at once;
//  - the log header pins `client: sync`; `rcsim replay` takes it from
//    there and refuses `--client async` unless --force;
//  - categories: the precedence table, the queue peak line, real runs (a
//    killed server, the #279 crossing, a wrong copy) and `rcsim explore`
//    naming the category of each class.
#include "explore.hpp"
#include "run_forker.hpp"

#include "json_fields.hpp"

#include <gtest/gtest.h>

#include <json-c/json.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

namespace {

using namespace rcsim;

const std::string kScenarios = RCSIM_SCENARIOS_DIR;
const std::string kDmacopy = RCSIM_SERVER_MODELS_DIR "/dmacopy";

using rcsim::test::num_field;
using rcsim::test::str_field;

// "reply REGION_WRITE #63 main" -> 63.
uint64_t id_in(const std::string &label) {
    const size_t hash = label.find('#');
    return hash == std::string::npos ? UINT64_MAX : std::strtoull(&label[hash + 1], nullptr, 10);
}

bool starts(const std::string &s, const std::string &prefix) {
    return s.rfind(prefix, 0) == 0;
}

// What the client did with the server's DMA commands against its own
// requests, walking a JSONL trace in order: a REGION_READ/REGION_WRITE (the
// requests that go through admission; the set-up's blocking calls do not)
// is outstanding from its message (c2s command) until its reply is
// admitted (an `admit` decision, not the message: that is logged when read).
struct DmaAgainstRequests {
    size_t admitted_while_outstanding = 0; // DMA commands admitted while a request awaited
    size_t set_aside = 0, taken_up = 0;
    size_t taken_up_while_outstanding = 0;
    bool taken_up_in_order = true; // in the order they were set aside
};

DmaAgainstRequests dma_against_requests(const std::string &trace) {
    DmaAgainstRequests r;
    std::set<uint64_t> ours;
    std::deque<std::string> aside;
    std::ifstream in(trace);
    std::string line;
    while (std::getline(in, line)) {
        json_object *o = json_tokener_parse(line.c_str());
        if (!o)
            continue;
        const std::string kind = str_field(o, "kind");
        const std::string decision = str_field(o, "decision");
        const std::string chosen = str_field(o, "chosen");
        const std::string cmd = str_field(o, "cmd");
        if (kind == "msg" && str_field(o, "dir") == "c2s" && str_field(o, "type") == "command" &&
            (cmd == "REGION_READ" || cmd == "REGION_WRITE")) {
            ours.insert(num_field(o, "msg_id"));
        } else if (kind == "decision" && decision == "admit" && starts(chosen, "reply ")) {
            ours.erase(id_in(chosen));
        } else if (kind == "decision" && decision == "admit" &&
                   (starts(chosen, "DMA_READ") || starts(chosen, "DMA_WRITE"))) {
            r.admitted_while_outstanding += !ours.empty();
        } else if (kind == "decision" && decision == "set-aside") {
            ++r.set_aside;
            aside.push_back(chosen.substr(0, chosen.find(" (awaiting")));
        } else if (kind == "decision" && decision == "take-up") {
            ++r.taken_up;
            r.taken_up_while_outstanding += !ours.empty();
            if (aside.empty() || aside.front() != chosen)
                r.taken_up_in_order = false;
            else
                aside.pop_front();
        }
        json_object_put(o);
    }
    return r;
}

int command(const std::string &cmd, std::string *out) {
    FILE *p = popen((cmd + " 2>&1").c_str(), "r");
    if (!p)
        return -1;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0)
        out->append(buf, n);
    const int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

std::string read_file(const std::string &path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

class SchedClient : public ::testing::Test {
  protected:
    void SetUp() override {
        char d[] = "/tmp/rcsim-client-XXXXXX";
        ASSERT_NE(mkdtemp(d), nullptr);
        dir = d;
    }
    void TearDown() override {
        if (!std::getenv("RCSIM_KEEP_LOGS"))
            std::system(("rm -rf '" + dir + "'").c_str());
    }
    void make(ClientStyle style, std::chrono::milliseconds watchdog, bool inspect = true) {
        HarnessConfig cfg;
        cfg.client_style = style;
        cfg.inspect_server = inspect;
        cfg.admission.watchdog = watchdog;
        std::string err;
        ASSERT_EQ(Harness::create(cfg, &h, &err), 0) << err;
    }
    void load(const std::string &scenario, std::vector<std::string> argv) {
        std::string err;
        ASSERT_EQ(load_run_spec(kScenarios + "/" + scenario, &spec, &err), 0) << err;
        spec.server_argv = std::move(argv);
    }
    // One fifo run in a forked child (traced, logged) under a wall limit: a
    // hang fails the test instead of stopping it.
    RunReport run(const std::string &name, ClientStyle style) {
        h->set_client_style(style);
        return run_policy(name, "fifo");
    }
    RunReport run_policy(const std::string &name, const std::string &policy) {
        RunLimits lim;
        lim.wall_limit = std::chrono::milliseconds(20000);
        const std::string base = dir + "/" + name;
        const std::vector<RunResult> res = run_children(
            1, 1,
            [&](size_t) {
                const RunReport r =
                    scheduled_run(*h, spec, policy, base + ".log.jsonl", base + ".trace.jsonl");
                write_run_report(base + ".report", r);
                return r.status;
            },
            lim);
        RunReport r;
        EXPECT_EQ(res[0].outcome, RunResult::Outcome::Exited) << res[0].describe();
        EXPECT_EQ(read_run_report(base + ".report", &r), 0);
        return r;
    }

    std::string dir;
    std::unique_ptr<Harness> h;
    RunSpec spec;
};

TEST_F(SchedClient, SyncClientDoorbellDmaIsADeadlockFoundWithoutTheWatchdog) {
    // A 30 s watchdog: waiting it out would exceed the run's 20 s limit.
    make(ClientStyle::Async, std::chrono::milliseconds(30000));
    load("race279.rcs", {kDmacopy});
    const RunReport r = run("sync", ClientStyle::Sync);
    EXPECT_EQ(r.status, 1) << r.details;
    EXPECT_EQ(r.category, "deadlock") << r.details;
    EXPECT_EQ(r.failure_class, "deadlock: the host waits for REGION_WRITE reply, the server waits "
                               "for the reply to DMA_READ twin (held: sync client)");
    // The note names both requests with their ids: the doorbell (the
    // client's id of it) and dmacopy's first DMA request, id 1.
    EXPECT_NE(r.details.find("deadlock: the host waits for REGION_WRITE #"), std::string::npos)
        << r.details;
    EXPECT_NE(r.details.find("the server waits for the reply to DMA_READ #1 twin (held: sync "
                             "client)"),
              std::string::npos)
        << r.details;
    EXPECT_NE(r.details.find("(deadlock): left to the completion timeout"), std::string::npos)
        << r.details;

    DecisionLog log;
    std::string err;
    ASSERT_EQ(read_decision_log(dir + "/sync.log.jsonl", &log, &err), 0) << err;
    EXPECT_EQ(log.header.rtl_settings["client"], "sync");
    size_t deadlocks = 0, silent = 0;
    for (const Decision &d : log.decisions) {
        deadlocks += d.kind == "deadlock";
        silent += d.kind == "silent";
    }
    EXPECT_EQ(deadlocks, 1u);
    EXPECT_EQ(silent, 0u) << "the watchdog was waited out";

    // The same run with the async client: no deadlock, nothing pinned.
    const RunReport a = run("async", ClientStyle::Async);
    EXPECT_EQ(a.status, 0) << a.details;
    EXPECT_EQ(a.category, "");
    ASSERT_EQ(read_decision_log(dir + "/async.log.jsonl", &log, &err), 0) << err;
    EXPECT_EQ(log.header.rtl_settings.count("client"), 0u);
}

// A server that cannot be inspected (settle periods): the deadlock is
// declared once the watchdog's time passed with nothing readable, instead
// of a `silent` decision.
TEST_F(SchedClient, SyncClientDeadlockWithAServerThatCannotBeInspected) {
    make(ClientStyle::Async, std::chrono::milliseconds(300), false);
    load("race279.rcs", {kDmacopy});
    const RunReport r = run("blind", ClientStyle::Sync);
    EXPECT_EQ(r.status, 1) << r.details;
    EXPECT_EQ(r.category, "deadlock") << r.details;
    DecisionLog log;
    std::string err;
    ASSERT_EQ(read_decision_log(dir + "/blind.log.jsonl", &log, &err), 0) << err;
    size_t deadlocks = 0, silent = 0, settles = 0;
    for (const Decision &d : log.decisions) {
        deadlocks += d.kind == "deadlock";
        silent += d.kind == "silent";
        settles += d.kind == "settle";
    }
    // At least one: a settle period is a guess, and when the held STATUS
    // read goes out before the server's next DMA command came (a loaded
    // machine), that command meets the read outstanding, a second deadlock
    // as real as the first (runs against such servers are not repeatable).
    EXPECT_GE(deadlocks, 1u);
    EXPECT_EQ(silent, 0u);
    EXPECT_GT(settles, 0u) << "the server was inspected after all";
}

TEST_F(SchedClient, SyncClientServesSetAsideDmaOnlyWhenNothingIsOutstanding) {
    make(ClientStyle::Async, std::chrono::milliseconds(2000));
    // dmacopy's async DMA mode: the doorbell's handler submits the DMA and
    // returns, so its DMA_READ comes while the doorbell's REGION_WRITE is
    // still outstanding, and its reply right after.
    load("race279.rcs", {kDmacopy, "--dma-mode", "async"});
    const RunReport s = run("sync", ClientStyle::Sync);
    EXPECT_EQ(s.status, 0) << s.details;
    const DmaAgainstRequests so = dma_against_requests(dir + "/sync.trace.jsonl");
    EXPECT_GT(so.admitted_while_outstanding, 0u);
    EXPECT_EQ(so.set_aside, so.admitted_while_outstanding) << "each one set aside";
    EXPECT_EQ(so.taken_up, so.set_aside);
    EXPECT_EQ(so.taken_up_while_outstanding, 0u);
    EXPECT_TRUE(so.taken_up_in_order);

    // The async client serves the same command at once.
    const RunReport a = run("async", ClientStyle::Async);
    EXPECT_EQ(a.status, 0) << a.details;
    const DmaAgainstRequests ao = dma_against_requests(dir + "/async.trace.jsonl");
    EXPECT_GT(ao.admitted_while_outstanding, 0u);
    EXPECT_EQ(ao.set_aside, 0u);
    EXPECT_EQ(ao.taken_up, 0u);
}

TEST_F(SchedClient, ReplayTakesTheClientStyleFromTheLogAndRefusesAnother) {
    const std::string log = dir + "/sync.jsonl";
    const std::string race = kScenarios + "/race279.rcs";
    std::string out;
    ASSERT_EQ(command(std::string(RCSIM_BIN) + " run --server '" + kDmacopy + "' --scenario " +
                          race + " --schedule fifo --client sync --decisions " + log,
                      &out),
              1)
        << out;
    EXPECT_NE(out.find("deadlock: the host waits for REGION_WRITE #"), std::string::npos) << out;
    EXPECT_NE(read_file(log).find("\"client\":\"sync\""), std::string::npos);

    out.clear();
    EXPECT_EQ(command(std::string(RCSIM_BIN) + " replay " + log + " --server-from-log", &out), 1)
        << out;
    EXPECT_NE(out.find("the run took every decision of the log"), std::string::npos) << out;

    out.clear();
    EXPECT_EQ(
        command(std::string(RCSIM_BIN) + " replay " + log + " --server-from-log --client async",
                &out),
        2)
        << out;
    EXPECT_NE(out.find("mismatch: "), std::string::npos) << out;
    EXPECT_NE(out.find("client"), std::string::npos) << out;

    out.clear();
    // Forced onto another setup, the run parts from the log: a diverged
    // replay has its own exit status (3), whatever the verdict.
    EXPECT_EQ(command(std::string(RCSIM_BIN) + " replay " + log +
                          " --server-from-log --client async --force",
                      &out),
              3)
        << out;
    EXPECT_NE(out.find("the run parts from the log"), std::string::npos) << out;

    out.clear();
    EXPECT_EQ(command(std::string(RCSIM_BIN) + " run --server '" + kDmacopy + "' --scenario " +
                          race + " --client bogus",
                      &out),
              2)
        << out;
}

TEST_F(SchedClient, CategoriesOfRealRunsCrashProtocolData) {
    make(ClientStyle::Async, std::chrono::milliseconds(2000));
    load("race279.rcs", {kDmacopy});
    // The server killed as the client answers its first DMA request: it
    // dies inside the doorbell's handler, the REGION_WRITE outstanding.
    h->on_message_sent([&](uint16_t cmd) {
        if (cmd == VU_CMD_DMA_READ && h->server())
            kill(h->server()->pid(), SIGKILL);
    });
    RunReport r = run("crash", ClientStyle::Async);
    EXPECT_EQ(r.status, 1) << r.details;
    EXPECT_EQ(r.category, "server crash") << r.details;
    h->on_message_sent(nullptr);

    // #279 itself: the crossing schedule on the main socket.
    load("race279.rcs", {kDmacopy, "--dma-mode", "legacy"});
    // Decision 63: it was 60 until enumeration sized the ROM BAR and read
    // 0x100 (three more config accesses, one decision each).
    r = run_policy("legacy", "plan:63=1");
    EXPECT_EQ(r.status, 1) << r.details;
    EXPECT_EQ(r.category, "protocol error") << r.details;

    // A copy whose source is not what the scenario expects: the data
    // differs and nothing else went wrong.
    const std::string bad = dir + "/bad_copy.rcs";
    std::ofstream(bad) << "include \"" << kScenarios << "/common/dmacopy_regs.rcs\"\n"
                       << "fill 0x10100000 64 pattern random 1\n"
                          "write mem 0x10000000 8 0x10100000\n"
                          "write mem 0x10000008 8 0x10200000\n"
                          "write mem 0x10000010 4 64\n"
                          "write mem 0x10000014 4 0\n"
                          "write mem 0x10000018 8 0\n"
                          "write bar0 0x10 4 1\n"
                          "drain within 200000\n"
                          "expect-mem 0x10200000 64 pattern random 2\n";
    std::string err;
    ASSERT_EQ(load_run_spec(bad, &spec, &err), 0) << err;
    spec.server_argv = {kDmacopy};
    r = run("data", ClientStyle::Async);
    EXPECT_EQ(r.status, 1) << r.details;
    EXPECT_EQ(r.category, "data mismatch") << r.details;
}

TEST(SchedCategory, PrecedenceServerCrashDeadlockProtocolTimeoutDataOther) {
    FailureEvidence e;
    EXPECT_EQ(categorize(e), FailureCategory::None);
    e.failed = true;
    EXPECT_EQ(categorize(e), FailureCategory::Other);
    e.data_mismatch = true;
    EXPECT_EQ(categorize(e), FailureCategory::DataMismatch);
    e.timeouts = 1;
    EXPECT_EQ(categorize(e), FailureCategory::CompletionTimeout);
    // A page lost in a migration explains the timeouts and wrong values
    // after it; a protocol breach and a stalled quiesce come before it.
    e.dirty_page_missed = true;
    EXPECT_EQ(categorize(e), FailureCategory::DirtyPageMissed);
    e.protocol_events = 3;
    EXPECT_EQ(categorize(e), FailureCategory::ProtocolError);
    e.quiesce_stalled = true;
    EXPECT_EQ(categorize(e), FailureCategory::QuiesceStalled);
    e.deadlocks = 1;
    EXPECT_EQ(categorize(e), FailureCategory::Deadlock);
    e.server_died = true;
    EXPECT_EQ(categorize(e), FailureCategory::ServerCrash);
    EXPECT_STREQ(to_string(FailureCategory::ProtocolError), "protocol error");
    EXPECT_STREQ(to_string(FailureCategory::CompletionTimeout), "completion timeout");
    EXPECT_STREQ(to_string(FailureCategory::DirtyPageMissed), "dirty page missed");
    EXPECT_STREQ(to_string(FailureCategory::QuiesceStalled), "quiesce stalled");
    size_t n = 0;
    const char *const *names = failure_category_names(&n);
    ASSERT_EQ(n, 8u);
    EXPECT_STREQ(names[0], "server crash");
    EXPECT_STREQ(names[2], "quiesce stalled");
    EXPECT_STREQ(names[4], "dirty page missed");
    EXPECT_STREQ(names[7], "other");
}

TEST(SchedCategory, QueuePeakIsTheLargestOfTheServersLines) {
    EXPECT_EQ(parse_queue_peak(""), -1);
    EXPECT_EQ(parse_queue_peak("dmacopy: hello\n"), -1);
    EXPECT_EQ(parse_queue_peak("vus: DMA queue peak: 0 bytes (limit 65536)\n"), 0);
    EXPECT_EQ(parse_queue_peak("x\nvus: DMA queue peak: 104 bytes (limit 65536)\n"
                               "vus: DMA queue peak: 36 bytes (limit 65536)\n"),
              104);
    EXPECT_EQ(parse_queue_peak("vus: DMA queue peak: many bytes\n"), -1);
}

TEST(SchedCategory, ExploreNamesTheCategoryOfEachClass) {
    char d[] = "/tmp/rcsim-category-XXXXXX";
    ASSERT_NE(mkdtemp(d), nullptr);
    std::string out;
    EXPECT_EQ(command(std::string(RCSIM_BIN) + " explore --server '" + kDmacopy +
                          " --dma-mode legacy' --scenario " + kScenarios +
                          "/race279.rcs --strategy exhaustive --bound 1 --no-shrink --out " + d,
                      &out),
              1)
        << out;
    EXPECT_NE(out.find("failures by category: protocol error 1\n"), std::string::npos) << out;
    EXPECT_NE(out.find("failure class 1: race279.rcs:20: "), std::string::npos) << out;
    EXPECT_NE(out.find("  category: protocol error; 1 run(s)"), std::string::npos) << out;
    EXPECT_NE(out.find("replay: rcsim replay "), std::string::npos) << out;
    if (!std::getenv("RCSIM_KEEP_LOGS"))
        std::system((std::string("rm -rf '") + d + "'").c_str());
}

} // namespace
