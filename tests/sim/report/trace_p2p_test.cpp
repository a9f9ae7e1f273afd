// Several devices (issue 20) in the trace and the waveform: `rcsim run` of
// tests/scenarios/p2p_copy.rcs with --trace and --wave. The copier
// (dmacopy, 01:00.0 behind rp1) writes 256 bytes into the target's scratch
// (regs, 02:00.0 behind rp2, BAR0 0xe0100000 + 0x100) and reads them back:
// its MemWrs to 0xe0100100 never cross the root port, so the JSONL trace
// shows them only as `hop` records (port rp2, towards the target), the
// target's CplDs as hops through rp1 (towards the copier), and the FST's
// ann_fabric_tlp shows their labels. Every message record names its device.
// RCSIM_TRACE_KEEP_DIR=DIR keeps the files (DIR/p2p.jsonl/.fst).
#include "run_command.hpp"
#include "test_files.hpp"
#include "trace_support.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <unistd.h>

namespace {

using namespace trace_test;
using rcsim::test::CommandResult;
using rcsim::test::run_command;
using rcsim::test::TempDir;

constexpr uint64_t kPeriodPs = 4000; // rtl/README.md: 250 MHz

class TraceP2p : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        dir_ = new TempDir;
        const char *keep = getenv("RCSIM_TRACE_KEEP_DIR");
        base_ = std::string(keep ? keep : dir_->path) + "/p2p";
        const CommandResult r =
            run_command({"/usr/bin/env", "TMPDIR=" + dir_->path, RCSIM_PATH, "run", "--scenario",
                         std::string(CLI_SCENARIOS_DIR) + "/p2p_copy.rcs", "--trace",
                         base_ + ".jsonl", "--wave", base_ + ".fst"},
                        30000);
        exit_code_ = r.exit_code;
        output_ = r.out + r.err;
        recs_ = new std::vector<JsonPtr>(read_jsonl(base_ + ".jsonl"));
        labels_ = new std::map<std::string, std::vector<LabelChange>>(fst_labels(base_ + ".fst"));
    }
    static void TearDownTestSuite() {
        delete recs_;
        delete labels_;
        delete dir_;
    }
    void SetUp() override { ASSERT_EQ(exit_code_, 0) << output_; }

    static TempDir *dir_;
    static std::string base_, output_;
    static int exit_code_;
    static std::vector<JsonPtr> *recs_;
    static std::map<std::string, std::vector<LabelChange>> *labels_;
};

TempDir *TraceP2p::dir_ = nullptr;
std::string TraceP2p::base_, TraceP2p::output_;
int TraceP2p::exit_code_ = -1;
std::vector<JsonPtr> *TraceP2p::recs_ = nullptr;
std::map<std::string, std::vector<LabelChange>> *TraceP2p::labels_ = nullptr;

// The first P2P MemWr: the copier's (requester 01:00.0) write of the
// scratch's start, 0xe0100100, leaving rp2 towards the target: all 256
// bytes in one, 64 DW (the harness's MPS is 256 bytes, HarnessConfig). No
// MemWr to the peer crosses the root port.
TEST_F(TraceP2p, PeerWriteIsAHopOutOfRp2) {
    const auto writes =
        where(*recs_, {{"kind", "hop"}, {"addr", "0xe0100100"}, {"type", "MemWr32"}});
    ASSERT_EQ(writes.size(), 1u);
    const JsonPtr &w = writes[0];
    EXPECT_EQ(str(w, "port"), "rp2");
    EXPECT_EQ(str(w, "requester_id"), "0x100");
    EXPECT_EQ(num(w, "len_dw"), 64);
    EXPECT_EQ(num(w, "payload_len"), 256);
    EXPECT_GT(num(w, "t_ps"), 0);
    for (const JsonPtr &t : where(*recs_, {{"kind", "tlp"}, {"type", "MemWr32"}}))
        EXPECT_NE(str(t, "addr").rfind("0xe01", 0), 0u)
            << "a peer write crossed the root port: " << str(t, "addr");
}

// Reading the scratch back: the copier's MemRds go out of rp2, the
// target's CplDs (completer 02:00.0, requester 01:00.0) out of rp1, 256
// bytes in all, carrying the bytes the write brought (same digest).
TEST_F(TraceP2p, PeerCompletionIsAHopOutOfRp1) {
    const auto reads =
        where(*recs_, {{"kind", "hop"}, {"addr", "0xe0100100"}, {"type", "MemRd32"}});
    ASSERT_EQ(reads.size(), 1u);
    EXPECT_EQ(str(reads[0], "port"), "rp2");
    EXPECT_EQ(num(reads[0], "len_dw"), 64) << "256 bytes, within the MRRS (512)";
    EXPECT_EQ(str(reads[0], "requester_id"), "0x100");
    uint64_t bytes = 0;
    size_t cpls = 0;
    JsonPtr last;
    for (const JsonPtr &c : where(*recs_, {{"kind", "hop"}, {"type", "CplD"}})) {
        // The target's completions to the host (00:00.0) go out of `host`.
        if (str(c, "completer_id") != "0x200" || str(c, "requester_id") != "0x100")
            continue;
        ++cpls;
        EXPECT_EQ(str(c, "port"), "rp1");
        EXPECT_EQ(num(c, "status"), 0);
        bytes += uint64_t(num(c, "payload_len"));
        last = c;
    }
    EXPECT_GE(cpls, 1u);
    EXPECT_EQ(bytes, 256u);
    const auto writes =
        where(*recs_, {{"kind", "hop"}, {"addr", "0xe0100100"}, {"type", "MemWr32"}});
    ASSERT_EQ(writes.size(), 1u);
    if (cpls == 1) { // one completion: the very bytes the write carried
        EXPECT_EQ(str(last, "payload_fnv1a"), str(writes[0], "payload_fnv1a"));
    }
}

// With several devices every message names its device: the copier and the
// target each have messages.
TEST_F(TraceP2p, EveryMessageNamesItsDevice) {
    size_t copier = 0, target = 0, other = 0;
    for (const JsonPtr &m : where(*recs_, {{"kind", "msg"}})) {
        const std::string dev = str(m, "dev");
        copier += dev == "copier";
        target += dev == "target";
        other += dev != "copier" && dev != "target";
    }
    EXPECT_GT(copier, 0u);
    EXPECT_GT(target, 0u);
    EXPECT_EQ(other, 0u);
    EXPECT_EQ(where(*recs_, {{"kind", "msg"}, {"dev", "target"}, {"cmd", "REGION_WRITE"}}).empty(),
              false)
        << "the peer writes reach the target's server";
}

// The FST's ann_fabric_tlp shows the hop: "rp2", then the TLP's label
// (waveforms/README.md): MemWr32, a tag, @e0100100, 64DW, the requester
// 01:00.0. One label per hop, each hop's from the edge after its record
// at the earliest (one hop per edge), so the first label starts one and a
// half periods after the first hop's record.
TEST_F(TraceP2p, FabricLabelShowsTheHop) {
    ASSERT_TRUE(labels_->count("ann_fabric_tlp")) << "ann_fabric_tlp not in the FST";
    const auto shown_labels = shown(labels_->at("ann_fabric_tlp"));
    const auto hops = where(*recs_, {{"kind", "hop"}});
    ASSERT_FALSE(hops.empty());
    EXPECT_EQ(shown_labels.size(), hops.size());
    ASSERT_FALSE(shown_labels.empty());
    EXPECT_EQ(shown_labels[0].time, uint64_t(num(hops[0], "t_ps")) + kPeriodPs + kPeriodPs / 2);
    size_t found = 0;
    for (const LabelChange &c : shown_labels) {
        if (c.text.rfind("rp2 MemWr32 t", 0) != 0)
            continue;
        const std::string rest = c.text.substr(c.text.find(' ', 14)); // after the tag
        found += rest == " @e0100100 64DW 01:00.0";
    }
    EXPECT_EQ(found, 1u);
}

} // namespace
