// The DMA choice points of issue 8 (sim/sched/dma_reply_gate.hpp) on dmacopy
// (default: twin socket) and tests/scenarios/race279.rcs, a 64-byte copy
// whose doorbell write makes the server DMA three times (descriptor read,
// source read, destination write) inside its REGION_WRITE:
//  - off by default: without --dma-choices nothing is asked and nothing is
//    pinned; with them under fifo every other record is unchanged;
//  - dma-reply "hold N": the reply goes out exactly N cycles later in the
//    JSONL trace than under "reply now", and the copy still passes;
//  - dma-reply "never": the run ends in bounded wall time, the STATUS read
//    that waits behind the DMA ends in the root port's completion timeout,
//    and the report names the request the harness never answered;
//  - dma-intervene "DEVICE_RESET first" / "DMA_UNMAP first": the command is
//    on the wire before the DMA's reply; after the unmap the next DMA into
//    the window gets the EFAULT error reply;
//  - replay takes the choices from the log's header and refuses others.
// Option labels come from a fifo run's decision log (message ids are the
// server's), then `labels:` policies force them. One elaboration per test
// process, one forked child (and server) per run.
#include "run_forker.hpp"
#include "scheduled_run.hpp"

#include "json_fields.hpp"

#include <gtest/gtest.h>
#include <json-c/json.h>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace {

using namespace rcsim;

const std::string kRace = RCSIM_SCENARIOS_DIR "/race279.rcs";
const std::string kDmacopy = RCSIM_SERVER_MODELS_DIR "/dmacopy";
constexpr uint64_t kPeriodPs = 4000; // the trace header's period_ps

// One `msg` record of the JSONL trace.
struct Msg {
    uint64_t line = 0, cycle = 0, t_ps = 0;
    std::string sock, dir, cmd, type;
    uint64_t msg_id = 0, error_no = 0;
};

using rcsim::test::num_field;
using rcsim::test::str_field;

std::vector<Msg> trace_messages(const std::string &path) {
    std::vector<Msg> out;
    std::ifstream in(path);
    std::string line;
    for (uint64_t n = 1; std::getline(in, line); ++n) {
        json_object *o = json_tokener_parse(line.c_str());
        if (!o)
            continue;
        if (str_field(o, "kind") == "msg") {
            Msg m;
            m.line = n;
            m.cycle = num_field(o, "cycle");
            m.t_ps = num_field(o, "t_ps");
            m.sock = str_field(o, "sock");
            m.dir = str_field(o, "dir");
            m.cmd = str_field(o, "cmd");
            m.type = str_field(o, "type");
            m.msg_id = num_field(o, "msg_id");
            m.error_no = num_field(o, "error_no");
            out.push_back(m);
        }
        json_object_put(o);
    }
    return out;
}

// The trace without its decision records (their indices shift when a run
// has more choice points).
std::vector<std::string> trace_without_decisions(const std::string &path) {
    std::vector<std::string> out;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line))
        if (line.find("\"kind\":\"decision\"") == std::string::npos)
            out.push_back(line);
    return out;
}

// The first message matching; line 0 if none.
Msg find_msg(const std::vector<Msg> &msgs, const std::string &dir, const std::string &cmd,
             const std::string &type, uint64_t msg_id = UINT64_MAX) {
    for (const Msg &m : msgs)
        if (m.dir == dir && m.cmd == cmd && m.type == type &&
            (msg_id == UINT64_MAX || m.msg_id == msg_id))
            return m;
    return {};
}

class SchedDmaChoice : public ::testing::Test {
  public: // intervene_first() drives the fixture too
    void SetUp() override {
        char d[] = "/tmp/rcsim-dmachoice-XXXXXX";
        ASSERT_NE(mkdtemp(d), nullptr);
        dir = d;
        std::string err;
        ASSERT_EQ(load_run_spec(kRace, &spec, &err), 0) << err;
        spec.server_argv = {kDmacopy};
    }
    void TearDown() override {
        if (!std::getenv("RCSIM_KEEP_LOGS"))
            std::system(("rm -rf '" + dir + "'").c_str());
    }
    void make_harness(const std::string &choices, const std::string &holds = "1000") {
        HarnessConfig cfg;
        cfg.admission.watchdog = std::chrono::milliseconds(2000);
        std::string err;
        ASSERT_EQ(Harness::create(cfg, &h, &err), 0) << err;
        set_choices(choices, holds);
    }
    // The DMA choices of the runs from now on (each forks from h).
    void set_choices(const std::string &choices, const std::string &holds = "1000") {
        DmaChoiceConfig c;
        std::string err;
        if (!choices.empty()) {
            ASSERT_EQ(parse_dma_choices(choices, &c, &err), 0) << err;
            ASSERT_EQ(parse_hold_cycles(holds, &c.hold_cycles, &err), 0) << err;
        }
        h->set_dma_choices(c);
    }
    std::string base(size_t i) const { return dir + "/r" + std::to_string(i); }
    // Runs each policy in a forked child (traced, logged); the reports.
    std::vector<RunReport> runs(const std::vector<std::string> &policies) {
        RunLimits limits;
        limits.wall_limit = std::chrono::milliseconds(60000);
        const std::vector<RunResult> res = run_children(
            policies.size(), 2,
            [&](size_t i) {
                const RunReport r = scheduled_run(*h, spec, policies[i], base(i) + ".log.jsonl",
                                                  base(i) + ".trace.jsonl");
                write_run_report(base(i) + ".report", r);
                return r.status;
            },
            limits);
        std::vector<RunReport> out(policies.size());
        for (size_t i = 0; i < res.size(); ++i) {
            EXPECT_EQ(res[i].outcome, RunResult::Outcome::Exited) << res[i].describe();
            EXPECT_EQ(read_run_report(base(i) + ".report", &out[i]), 0);
        }
        return out;
    }
    DecisionLog log_of(size_t i) {
        DecisionLog log;
        std::string err;
        EXPECT_EQ(read_decision_log(base(i) + ".log.jsonl", &log, &err), 0) << err;
        return log;
    }
    // The first decision of `kind` in run i's log.
    Decision first(size_t i, const std::string &kind) {
        for (const Decision &d : log_of(i).decisions)
            if (d.kind == kind)
                return d;
        ADD_FAILURE() << "run " << i << " has no " << kind << " decision";
        return {};
    }
    // A labels: policy that takes `label` at the first point offering it.
    std::string labels_policy(const std::string &label, const std::string &name) {
        const std::string path = dir + "/" + name + ".labels";
        std::ofstream(path) << label << "\n";
        return "labels:" + path;
    }
    // The option of `d` that starts with `prefix`.
    static std::string option(const Decision &d, const std::string &prefix) {
        for (const std::string &o : d.options)
            if (o.compare(0, prefix.size(), prefix) == 0)
                return o;
        ADD_FAILURE() << "no option starting with '" << prefix << "' in " << d.kind;
        return "";
    }

    std::string dir;
    std::unique_ptr<Harness> h;
    RunSpec spec;
};

// ---- off by default

TEST_F(SchedDmaChoice, OffByDefaultAndFifoChangesNothingElse) {
    make_harness("");
    const RunReport off = runs({"fifo"})[0];
    std::system(("mv '" + base(0) + ".log.jsonl' '" + dir + "/off.log.jsonl'; mv '" + base(0) +
                 ".trace.jsonl' '" + dir + "/off.trace.jsonl'")
                    .c_str());
    DecisionLog off_log;
    std::string err;
    ASSERT_EQ(read_decision_log(dir + "/off.log.jsonl", &off_log, &err), 0) << err;
    EXPECT_EQ(off.status, 0) << off.details;
    EXPECT_EQ(off_log.header.rtl_settings.count("dma_choices"), 0u);
    EXPECT_EQ(off_log.header.rtl_settings.count("hold_cycles"), 0u);
    for (const Decision &d : off_log.decisions)
        EXPECT_NE(d.kind.compare(0, 4, "dma-"), 0) << d.kind;

    set_choices("hold,reset,unmap,never", "1000,5000");
    const RunReport on = runs({"fifo"})[0];
    EXPECT_EQ(on.status, 0) << on.details;
    const DecisionLog on_log = log_of(0);
    EXPECT_EQ(on_log.header.rtl_settings.at("dma_choices"), "hold,reset,unmap,never");
    EXPECT_EQ(on_log.header.rtl_settings.at("hold_cycles"), "1000,5000");
    std::vector<Decision> rest;
    size_t replies = 0, intervenes = 0;
    for (Decision d : on_log.decisions) {
        if (d.kind == "dma-reply") {
            ++replies;
            EXPECT_EQ(d.options.size(), 4u); // now, hold 1000, hold 5000, never
            EXPECT_EQ(d.chosen, d.options[0]);
            continue;
        }
        if (d.kind == "dma-intervene") {
            ++intervenes;
            EXPECT_EQ(d.options.size(), 3u); // nothing, DEVICE_RESET, DMA_UNMAP dma0
            EXPECT_EQ(d.chosen, d.options[0]);
            continue;
        }
        rest.push_back(d);
    }
    EXPECT_EQ(replies, 3u); // descriptor, source, destination
    EXPECT_EQ(intervenes, 3u);
    ASSERT_EQ(rest.size(), off_log.decisions.size());
    for (size_t i = 0; i < rest.size(); ++i) {
        rest[i].index = off_log.decisions[i].index;
        EXPECT_EQ(decision_difference(off_log.decisions[i], rest[i]), "") << "decision " << i;
    }
    EXPECT_EQ(trace_without_decisions(dir + "/off.trace.jsonl"),
              trace_without_decisions(base(0) + ".trace.jsonl"));
}

// ---- dma-reply

TEST_F(SchedDmaChoice, HoldSendsTheReplyExactlyNCyclesLater) {
    make_harness("hold", "1000,2500");
    const RunReport fifo = runs({"fifo"})[0];
    ASSERT_EQ(fifo.status, 0) << fifo.details;
    std::system(("mv '" + base(0) + ".trace.jsonl' '" + dir + "/fifo.trace.jsonl'").c_str());
    const Decision reply = first(0, "dma-reply");
    ASSERT_EQ(reply.options.size(), 3u);
    EXPECT_EQ(reply.options[0].compare(0, 14, "reply DMA_READ"), 0) << reply.options[0];
    const std::string hold1000 = option(reply, "hold the reply to DMA_READ");
    EXPECT_NE(hold1000.find(" 1000 cycles"), std::string::npos) << hold1000;
    const std::string hold2500 = reply.options[2];
    EXPECT_NE(hold2500.find(" 2500 cycles"), std::string::npos) << hold2500;

    const std::vector<RunReport> held =
        runs({labels_policy(hold1000, "hold1000"), labels_policy(hold2500, "hold2500")});
    const std::vector<Msg> now = trace_messages(dir + "/fifo.trace.jsonl");
    const Msg cmd = find_msg(now, "s2c", "DMA_READ", "command");
    ASSERT_NE(cmd.line, 0u);
    EXPECT_EQ(cmd.sock, "twin");
    const Msg sent_now = find_msg(now, "c2s", "DMA_READ", "reply", cmd.msg_id);
    ASSERT_NE(sent_now.line, 0u);
    EXPECT_EQ(sent_now.t_ps, reply.sim_time_ps); // "reply now" goes out at the choice
    const uint64_t holds[] = {1000, 2500};
    for (size_t i = 0; i < 2; ++i) {
        EXPECT_EQ(held[i].status, 0) << held[i].details; // a late reply is still a reply
        ASSERT_EQ(held[i].deviations.size(), 1u);
        const Msg sent = find_msg(trace_messages(base(i) + ".trace.jsonl"), "c2s", "DMA_READ",
                                  "reply", cmd.msg_id);
        ASSERT_NE(sent.line, 0u);
        EXPECT_EQ(sent.cycle, sent_now.cycle + holds[i]);
        EXPECT_EQ(sent.t_ps, sent_now.t_ps + holds[i] * kPeriodPs);
    }
}

TEST_F(SchedDmaChoice, NeverAnsweredEndsWithTheCompletionTimeout) {
    make_harness("never");
    runs({"fifo"});
    const Decision reply = first(0, "dma-reply");
    ASSERT_EQ(reply.options.size(), 2u);
    const std::string never = reply.options[1];
    EXPECT_EQ(never.compare(0, 21, "never answer DMA_READ"), 0) << never;
    const std::string id = never.substr(13, never.find(' ', 23) - 13); // "DMA_READ #N"

    const auto start = std::chrono::steady_clock::now();
    const RunReport r = runs({labels_policy(never, "never")})[0];
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_LT(secs, 30.0);
    EXPECT_EQ(r.status, 1);
    // The STATUS read waits behind the DMA (fifo holds it) and times out.
    EXPECT_NE(r.failure_class.find("race279.rcs:20"), std::string::npos) << r.failure_class;
    EXPECT_NE(r.failure_class.find("TIMEOUT"), std::string::npos) << r.failure_class;
    EXPECT_NE(r.details.find("the harness never answered " + id), std::string::npos) << r.details;
    EXPECT_NE(r.details.find("by choice"), std::string::npos) << r.details;
    const std::vector<Msg> msgs = trace_messages(base(0) + ".trace.jsonl");
    const uint64_t n = std::strtoull(id.c_str() + 10, nullptr, 10);
    EXPECT_NE(find_msg(msgs, "s2c", "DMA_READ", "command", n).line, 0u);
    EXPECT_EQ(find_msg(msgs, "c2s", "DMA_READ", "reply", n).line, 0u); // never sent
}

// ---- dma-intervene

TEST_F(SchedDmaChoice, DeviceResetGoesOutWhileTheDmaIsUnanswered) {
    make_harness("reset");
    runs({"fifo"});
    const Decision first_dma = first(0, "dma-intervene");
    ASSERT_EQ(first_dma.options.size(), 2u);
    const std::string reset = first_dma.options[1];
    EXPECT_EQ(reset.compare(0, 28, "DEVICE_RESET before DMA_READ"), 0) << reset;

    const RunReport r = runs({labels_policy(reset, "reset")})[0];
    const std::vector<Msg> msgs = trace_messages(base(0) + ".trace.jsonl");
    const Msg cmd = find_msg(msgs, "s2c", "DMA_READ", "command");
    const Msg rst = find_msg(msgs, "c2s", "DEVICE_RESET", "command");
    const Msg reply = find_msg(msgs, "c2s", "DMA_READ", "reply", cmd.msg_id);
    const Msg rst_reply = find_msg(msgs, "s2c", "DEVICE_RESET", "reply", rst.msg_id);
    ASSERT_NE(cmd.line, 0u);
    ASSERT_NE(rst.line, 0u);
    ASSERT_NE(reply.line, 0u);
    EXPECT_LT(cmd.line, rst.line);
    EXPECT_LT(rst.line, reply.line);            // the reset is on the wire before the DMA's reply
    ASSERT_NE(rst_reply.line, 0u) << r.details; // and the server answered it
    EXPECT_EQ(rst_reply.error_no, 0u);
    // Defined outcome: the twin-socket server finishes the copy it is in
    // (its DMA waits synchronously), then resets: COMPLETED reads 0.
    EXPECT_EQ(r.status, 1) << r.details;
    EXPECT_NE(r.failure_class.find("race279.rcs:22"), std::string::npos) << r.failure_class;
}

TEST_F(SchedDmaChoice, DmaUnmapGoesOutFirstAndLaterDmaThereIsRefused) {
    make_harness("unmap");
    runs({"fifo"});
    const Decision first_dma = first(0, "dma-intervene");
    ASSERT_EQ(first_dma.options.size(), 2u);
    const std::string unmap = first_dma.options[1];
    const std::string prefix = "DMA_UNMAP dma0 0x10000000+0x1000000 before DMA_READ #";
    EXPECT_EQ(unmap.compare(0, prefix.size(), prefix), 0) << unmap;

    const RunReport r = runs({labels_policy(unmap, "unmap")})[0];
    const std::vector<Msg> msgs = trace_messages(base(0) + ".trace.jsonl");
    const Msg cmd = find_msg(msgs, "s2c", "DMA_READ", "command");
    const Msg um = find_msg(msgs, "c2s", "DMA_UNMAP", "command");
    const Msg reply = find_msg(msgs, "c2s", "DMA_READ", "reply", cmd.msg_id);
    ASSERT_NE(um.line, 0u);
    ASSERT_NE(reply.line, 0u);
    EXPECT_LT(um.line, reply.line);
    EXPECT_EQ(reply.error_no, 0u); // the request it came before carries on
    // Every later DMA command into dma0 gets the EFAULT error reply.
    size_t later = 0;
    for (const Msg &m : msgs) {
        if (m.line <= reply.line || m.dir != "c2s" || m.type != "reply" ||
            (m.cmd != "DMA_READ" && m.cmd != "DMA_WRITE"))
            continue;
        ++later;
        EXPECT_EQ(m.error_no, uint64_t(EFAULT)) << m.cmd << " #" << m.msg_id;
    }
    EXPECT_GE(later, 1u);
    // dmacopy reports the refusal: STATUS.ERROR (bit 1) with errno EFAULT
    // (14) in bits 31:16 (server-models/README.md).
    EXPECT_NE(r.failure_class.find("got 0x000e0002"), std::string::npos) << r.failure_class;
    EXPECT_NE(r.details.find("refused (EFAULT): window dma0 was unmapped"), std::string::npos)
        << r.details;
    EXPECT_EQ(r.status, 1);
}

// ---- the device's DMA interrupt callback (server-models/README.md, "DEVICE_RESET
// or DMA_UNMAP while a DMA is unanswered"): in queue and async modes the
// server tells dmacopy, which stops its ring with ECANCELED.

// Runs fifo, then the dma-intervene option starting with `what` at the
// first DMA request; the second run's report and messages.
std::pair<RunReport, std::vector<Msg>> intervene_first(SchedDmaChoice &t, const std::string &what) {
    t.runs({"fifo"});
    const Decision d = t.first(0, "dma-intervene");
    const std::string label = SchedDmaChoice::option(d, what);
    const RunReport r = t.runs({t.labels_policy(label, "intervene")})[0];
    return {r, trace_messages(t.base(0) + ".trace.jsonl")};
}

TEST_F(SchedDmaChoice, AsyncUnmapDuringDmaStopsTheRingWithEcanceled) {
    spec.server_argv = {kDmacopy, "--dma-mode", "async"};
    make_harness("unmap");
    const auto [r, msgs] = intervene_first(*this, "DMA_UNMAP dma0 ");
    const Msg cmd = find_msg(msgs, "s2c", "DMA_READ", "command");
    const Msg um = find_msg(msgs, "c2s", "DMA_UNMAP", "command");
    const Msg um_reply = find_msg(msgs, "s2c", "DMA_UNMAP", "reply", um.msg_id);
    const Msg reply = find_msg(msgs, "c2s", "DMA_READ", "reply", cmd.msg_id);
    ASSERT_NE(cmd.line, 0u);
    EXPECT_EQ(cmd.sock, "main"); // async refuses the twin socket
    ASSERT_NE(um.line, 0u);
    ASSERT_NE(um_reply.line, 0u);
    EXPECT_EQ(um_reply.error_no, 0u);
    ASSERT_NE(reply.line, 0u); // our reply still goes out (the server drops it by id)
    EXPECT_LT(um.line, reply.line);
    EXPECT_LT(um_reply.line, reply.line); // served at once
    // The ring stopped at the descriptor: nothing more was asked for.
    EXPECT_EQ(find_msg(msgs, "s2c", "DMA_WRITE", "command").line, 0u);
    size_t dma_cmds = 0;
    for (const Msg &m : msgs)
        dma_cmds += m.dir == "s2c" && m.type == "command" && m.cmd.compare(0, 4, "DMA_") == 0;
    EXPECT_EQ(dma_cmds, 1u);
    // STATUS: ERROR (bit 1) with ECANCELED (125 = 0x7d) in bits 31:16.
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.failure_class.find("race279.rcs:20: "), std::string::npos) << r.failure_class;
    EXPECT_NE(r.failure_class.find("got 0x007d0002"), std::string::npos) << r.failure_class;
}

TEST_F(SchedDmaChoice, AsyncResetDuringDmaIsServedAtOnceAndStopsTheRing) {
    spec.server_argv = {kDmacopy, "--dma-mode", "async"};
    make_harness("reset");
    const auto [r, msgs] = intervene_first(*this, "DEVICE_RESET before ");
    const Msg cmd = find_msg(msgs, "s2c", "DMA_READ", "command");
    const Msg rst = find_msg(msgs, "c2s", "DEVICE_RESET", "command");
    const Msg rst_reply = find_msg(msgs, "s2c", "DEVICE_RESET", "reply", rst.msg_id);
    const Msg reply = find_msg(msgs, "c2s", "DMA_READ", "reply", cmd.msg_id);
    ASSERT_NE(rst.line, 0u);
    ASSERT_NE(rst_reply.line, 0u);
    ASSERT_NE(reply.line, 0u);
    // Served at once: answered before the DMA it crossed was (in twin mode
    // the reset waits for the DMA reply, DeviceResetGoesOut... above).
    EXPECT_LT(rst_reply.line, reply.line);
    EXPECT_EQ(find_msg(msgs, "s2c", "DMA_WRITE", "command").line, 0u); // ring stopped
    // The reset cleared STATUS (the ECANCELED with it): COMPLETED stays 0.
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.failure_class.find("race279.rcs:22: "), std::string::npos) << r.failure_class;
}

TEST_F(SchedDmaChoice, QueueUnmapDuringDmaStopsTheRingWithEcanceled) {
    spec.server_argv = {kDmacopy, "--dma-mode", "queue"};
    make_harness("unmap");
    const auto [r, msgs] = intervene_first(*this, "DMA_UNMAP dma0 ");
    const Msg cmd = find_msg(msgs, "s2c", "DMA_READ", "command");
    const Msg um = find_msg(msgs, "c2s", "DMA_UNMAP", "command");
    const Msg um_reply = find_msg(msgs, "s2c", "DMA_UNMAP", "reply", um.msg_id);
    const Msg reply = find_msg(msgs, "c2s", "DMA_READ", "reply", cmd.msg_id);
    ASSERT_NE(um.line, 0u);
    ASSERT_NE(um_reply.line, 0u);
    ASSERT_NE(reply.line, 0u);
    EXPECT_LT(um.line, reply.line);
    EXPECT_GT(um_reply.line, reply.line); // held in the queue until the DMA is answered
    EXPECT_EQ(find_msg(msgs, "s2c", "DMA_WRITE", "command").line, 0u); // ring stopped
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.failure_class.find("race279.rcs:20: "), std::string::npos) << r.failure_class;
    EXPECT_NE(r.failure_class.find("got 0x007d0002"), std::string::npos) << r.failure_class;
}

// ---- replay

TEST_F(SchedDmaChoice, ReplayTakesTheChoicesFromTheLogHeader) {
    make_harness("hold,never", "700");
    runs({"fifo"});
    const std::string hold = option(first(0, "dma-reply"), "hold the reply to");
    const RunReport held = runs({labels_policy(hold, "hold")})[0];
    ASSERT_EQ(held.status, 0) << held.details;
    const std::string log = base(0) + ".log.jsonl";
    auto rcsim = [&](const std::string &args) {
        const std::string cmd = std::string(RCSIM_BIN) + " replay '" + log +
                                "' --server-from-log " + args + " > '" + dir + "/out.txt' 2>&1";
        const int st = std::system(cmd.c_str());
        std::ifstream in(dir + "/out.txt");
        std::stringstream ss;
        ss << in.rdbuf();
        return std::make_pair(WIFEXITED(st) ? WEXITSTATUS(st) : -1, ss.str());
    };
    auto [rc, out] = rcsim("--decisions '" + dir + "/again.jsonl'");
    EXPECT_EQ(rc, 0) << out;
    EXPECT_NE(out.find("the run took every decision of the log"), std::string::npos) << out;
    std::tie(rc, out) = rcsim("--dma-choices hold --decisions '" + dir + "/again2.jsonl'");
    EXPECT_EQ(rc, 2) << out;
    EXPECT_NE(out.find("mismatch: setting dma_choices"), std::string::npos) << out;
    std::tie(rc, out) = rcsim("--hold-cycles 800 --decisions '" + dir + "/again3.jsonl'");
    EXPECT_EQ(rc, 2) << out;
    EXPECT_NE(out.find("mismatch: setting hold_cycles"), std::string::npos) << out;
    std::tie(rc, out) = rcsim("--hold-cycles 800 --force --decisions '" + dir + "/again4.jsonl'");
    EXPECT_NE(out.find("warning: setting hold_cycles"), std::string::npos) << out;
    EXPECT_NE(out.find("the run parts from the log"), std::string::npos) << out;
}

// ---- exploration

// race279's fifo run offers one `mmio` choice (the STATUS read) and three
// `dma-reply` choices (descriptor, source, destination) with two
// alternatives each (hold 1000, never): exhaustive bound 1 is 1 + 1 + 3*2
// runs. Every "never" fails (the STATUS read times out behind it), every
// hold passes; one failure class, shrunk to the never, logged.
TEST_F(SchedDmaChoice, ExploreHoldNeverExhaustiveBound1ClassifiesEveryNever) {
    const std::string cmd = std::string(RCSIM_BIN) + " explore --server " + kDmacopy +
                            " --scenario " + kRace +
                            " --dma-choices hold,never --strategy exhaustive --bound 1 --jobs 2"
                            " --out '" +
                            dir + "/explore' > '" + dir + "/explore.txt' 2>&1";
    const auto start = std::chrono::steady_clock::now();
    const int st = std::system(cmd.c_str());
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::ifstream in(dir + "/explore.txt");
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string out = ss.str();
    EXPECT_LT(secs, 60.0);
    ASSERT_TRUE(WIFEXITED(st));
    EXPECT_EQ(WEXITSTATUS(st), 1) << out;
    EXPECT_NE(out.find("explore: 8 runs, 3 failed, 0 could not run"), std::string::npos) << out;
    EXPECT_NE(out.find("failure class 1: race279.rcs:20: "), std::string::npos) << out;
    EXPECT_EQ(out.find("failure class 2"), std::string::npos) << out;
    EXPECT_NE(out.find(": never answer DMA_READ #1 twin"), std::string::npos) << out;
    EXPECT_NE(out.find("the harness never answered DMA_READ #1 twin"), std::string::npos) << out;
}

TEST_F(SchedDmaChoice, ChoiceListsAreParsedStrictly) {
    DmaChoiceConfig c;
    std::string err;
    EXPECT_EQ(parse_dma_choices("never,hold", &c, &err), 0);
    EXPECT_TRUE(c.hold && c.never && !c.reset && !c.unmap);
    EXPECT_EQ(dma_choices_to_string(c), "hold,never");
    EXPECT_EQ(parse_dma_choices("hold,later", &c, &err), -EINVAL);
    EXPECT_NE(err.find("'later'"), std::string::npos) << err;
    EXPECT_EQ(parse_dma_choices("", &c, &err), -EINVAL);
    std::vector<uint64_t> cycles;
    EXPECT_EQ(parse_hold_cycles("1,20000", &cycles, &err), 0);
    EXPECT_EQ(cycles, (std::vector<uint64_t>{1, 20000}));
    EXPECT_EQ(parse_hold_cycles("0", &cycles, &err), -EINVAL);
    EXPECT_EQ(parse_hold_cycles("10,", &cycles, &err), -EINVAL);
    EXPECT_EQ(parse_hold_cycles("x", &cycles, &err), -EINVAL);
}

} // namespace
