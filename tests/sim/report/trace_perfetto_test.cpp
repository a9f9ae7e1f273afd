// The JSONL -> Chrome/Perfetto trace-event converter on hand-written traces:
// valid JSON, one named track per source, a command and its reply as one
// slice with simulated time in microseconds, crossing slices on separate
// lanes, instants for what has no partner, file:line errors.
#include "perfetto_export.hpp"
#include "trace_support.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <cmath>
#include <fstream>
#include <unistd.h>

namespace {

using namespace trace_test;

struct Ev {
    std::string ph, name, track;
    double ts = 0, dur = -1;
    JsonPtr args;
};

class Perfetto : public ::testing::Test {
  protected:
    void SetUp() override { base_ = "/tmp/rcsim-perfetto-" + std::to_string(getpid()); }
    void TearDown() override {
        unlink((base_ + ".jsonl").c_str());
        unlink((base_ + ".json").c_str());
    }
    void write_trace(const std::vector<std::string> &lines) {
        std::ofstream o(base_ + ".jsonl");
        for (const std::string &l : lines)
            o << l << "\n";
    }
    // Converts and reads the events back with their track names.
    std::vector<Ev> convert() {
        std::string err;
        EXPECT_EQ(rcsim::convert_trace_to_perfetto(base_ + ".jsonl", base_ + ".json", &err), 0)
            << err;
        JsonPtr root(json_object_from_file((base_ + ".json").c_str()), json_object_put);
        EXPECT_TRUE(root) << "output is not JSON";
        json_object *evs = nullptr;
        if (!root || !json_object_object_get_ex(root.get(), "traceEvents", &evs))
            return {};
        std::map<int64_t, std::string> names;
        std::vector<Ev> out;
        for (size_t i = 0; i < json_object_array_length(evs); ++i) {
            JsonPtr e(json_object_get(json_object_array_get_idx(evs, i)), json_object_put);
            json_object *a = nullptr;
            json_object_object_get_ex(e.get(), "args", &a);
            JsonPtr args(json_object_get(a), json_object_put);
            if (str(e, "ph") == "M") {
                if (str(e, "name") == "thread_name")
                    names[num(e, "tid")] = str(args, "name");
                continue;
            }
            Ev v;
            v.ph = str(e, "ph");
            v.name = str(e, "name");
            v.track = std::to_string(num(e, "tid"));
            json_object *x = nullptr;
            if (json_object_object_get_ex(e.get(), "ts", &x))
                v.ts = json_object_get_double(x);
            if (json_object_object_get_ex(e.get(), "dur", &x))
                v.dur = json_object_get_double(x);
            v.args = args;
            out.push_back(v);
        }
        for (Ev &v : out)
            v.track = names[std::stoll(v.track)];
        track_names_.clear();
        for (const auto &[tid, n] : names)
            track_names_.insert(n);
        return out;
    }
    static const Ev *find(const std::vector<Ev> &evs, const std::string &name) {
        for (const Ev &e : evs)
            if (e.name == name)
                return &e;
        return nullptr;
    }

    std::string base_;
    std::set<std::string> track_names_;
};

const std::string kHeader = R"({"kind":"header","format":1,"period_ps":4000,"data_w":128})";

TEST_F(Perfetto, CommandAndReplyBecomeOneSliceOnTheirSocketsTrack) {
    write_trace(
        {kHeader,
         R"({"kind":"msg","t_ps":8000,"cycle":2,"sock":"main","dir":"c2s","cmd":"REGION_READ","msg_id":7,"type":"command","flags":0})",
         R"({"kind":"msg","t_ps":20000,"cycle":5,"sock":"main","dir":"s2c","cmd":"REGION_READ","msg_id":7,"type":"reply","flags":1})",
         R"({"kind":"msg","t_ps":24000,"cycle":6,"sock":"twin","dir":"s2c","cmd":"DMA_READ","msg_id":7,"type":"command","flags":0})",
         R"({"kind":"msg","t_ps":40000,"cycle":10,"sock":"twin","dir":"c2s","cmd":"DMA_READ","msg_id":7,"type":"reply","flags":1})"});
    const std::vector<Ev> evs = convert();
    for (const char *t :
         {"vfio-user main socket", "vfio-user twin socket", "TLP link down (root port -> device)",
          "TLP link up (device -> root port)", "host port", "interrupts", "decisions"})
        EXPECT_TRUE(track_names_.count(t)) << "missing track " << t;
    ASSERT_EQ(evs.size(), 2u);
    const Ev *rd = find(evs, "REGION_READ #7");
    ASSERT_TRUE(rd);
    EXPECT_EQ(rd->ph, "X");
    EXPECT_EQ(rd->track, "vfio-user main socket");
    EXPECT_NEAR(rd->ts, 0.008, 1e-9); // 8000 ps = 0.008 us
    EXPECT_NEAR(rd->dur, 0.012, 1e-9);
    const Ev *dma = find(evs, "DMA_READ #7");
    ASSERT_TRUE(dma);
    EXPECT_EQ(dma->track, "vfio-user twin socket") << "same id on the other socket is its own";
    EXPECT_NEAR(dma->ts, 0.024, 1e-9);
    EXPECT_NEAR(dma->dur, 0.016, 1e-9);
}

TEST_F(Perfetto, MapSocketsShareATrackEachSocketItsOwnIds) {
    // Two windows' sockets (issue 21), the same id on each: two slices.
    write_trace(
        {kHeader,
         R"({"kind":"msg","t_ps":4000,"sock":"map0","dir":"s2c","cmd":"DMA_READ","msg_id":3,"type":"command","flags":0})",
         R"({"kind":"msg","t_ps":8000,"sock":"map1","dir":"s2c","cmd":"DMA_WRITE","msg_id":3,"type":"command","flags":0})",
         R"({"kind":"msg","t_ps":12000,"sock":"map1","dir":"c2s","cmd":"DMA_WRITE","msg_id":3,"type":"reply","flags":1})",
         R"({"kind":"msg","t_ps":20000,"sock":"map0","dir":"c2s","cmd":"DMA_READ","msg_id":3,"type":"reply","flags":1})"});
    const std::vector<Ev> evs = convert();
    EXPECT_TRUE(track_names_.count("vfio-user map sockets"));
    ASSERT_EQ(evs.size(), 2u);
    const Ev *rd = find(evs, "DMA_READ #3");
    ASSERT_TRUE(rd);
    EXPECT_EQ(rd->ph, "X");
    EXPECT_EQ(rd->track.rfind("vfio-user map sockets", 0), 0u) << rd->track;
    EXPECT_NEAR(rd->ts, 0.004, 1e-9);
    EXPECT_NEAR(rd->dur, 0.016, 1e-9);
    const Ev *wr = find(evs, "DMA_WRITE #3");
    ASSERT_TRUE(wr);
    EXPECT_NEAR(wr->ts, 0.008, 1e-9);
    EXPECT_NEAR(wr->dur, 0.004, 1e-9);
}

TEST_F(Perfetto, CrossingSlicesGetTheirOwnLaneAndOrphansAreInstants) {
    write_trace(
        {kHeader,
         R"({"kind":"msg","t_ps":1000,"sock":"main","dir":"c2s","cmd":"REGION_READ","msg_id":1,"type":"command","flags":0})",
         R"({"kind":"msg","t_ps":2000,"sock":"main","dir":"c2s","cmd":"REGION_READ","msg_id":2,"type":"command","flags":0})",
         R"({"kind":"msg","t_ps":3000,"sock":"main","dir":"s2c","cmd":"REGION_READ","msg_id":1,"type":"reply","flags":1})",
         R"({"kind":"msg","t_ps":4000,"sock":"main","dir":"s2c","cmd":"REGION_READ","msg_id":2,"type":"reply","flags":1})",
         R"({"kind":"msg","t_ps":5000,"sock":"main","dir":"c2s","cmd":"REGION_WRITE","msg_id":3,"type":"command","flags":0})",
         R"({"kind":"msg","t_ps":6000,"sock":"main","dir":"s2c","cmd":"REGION_WRITE","msg_id":9,"type":"reply","flags":1})"});
    const std::vector<Ev> evs = convert();
    const Ev *a = find(evs, "REGION_READ #1");
    const Ev *b = find(evs, "REGION_READ #2");
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->track, "vfio-user main socket");
    EXPECT_EQ(b->track, "vfio-user main socket #2") << "[1,3] and [2,4] cross";
    const Ev *lost = find(evs, "REGION_WRITE #3 (no reply)");
    ASSERT_TRUE(lost);
    EXPECT_EQ(lost->ph, "i");
    EXPECT_NEAR(lost->ts, 0.005, 1e-9);
    const Ev *stray = find(evs, "REGION_WRITE #9 (reply without command)");
    ASSERT_TRUE(stray);
    EXPECT_EQ(stray->ph, "i");
}

TEST_F(Perfetto, TlpsInterruptsAndDecisionsOnTheirTracks) {
    write_trace(
        {kHeader,
         R"({"kind":"tlp","t_ps":12000,"cycle":3,"dir":"down","start_ps":8000,"type":"MemRd32","addr":"0xe0000000","tag":5})",
         R"({"kind":"tlp","t_ps":16000,"cycle":4,"dir":"up","start_ps":16000,"type":"CplD","tag":5})",
         R"({"kind":"irq","t_ps":20000,"type":"msi","addr":"0xfee00000","data":"0x4100"})",
         R"({"kind":"irq","t_ps":21000,"type":"intx","level":"0x1","previous":"0x0"})",
         R"({"kind":"decision","t_ps":16000,"index":3,"decision":"admit","chosen":"reply REGION_READ #7","options":["reply REGION_READ #7"]})",
         R"({"kind":"future_kind","t_ps":30000})"});
    const std::vector<Ev> evs = convert();
    const Ev *rd = find(evs, "MemRd32 0xe0000000 tag 5");
    ASSERT_TRUE(rd);
    EXPECT_EQ(rd->track, "TLP link down (root port -> device)");
    EXPECT_NEAR(rd->ts, 0.008, 1e-9);
    EXPECT_NEAR(rd->dur, 0.008, 1e-9) << "sop edge to eop edge plus one 4 ns beat";
    const Ev *cpl = find(evs, "CplD tag 5");
    ASSERT_TRUE(cpl);
    EXPECT_EQ(cpl->track, "TLP link up (device -> root port)");
    const Ev *msi = find(evs, "MSI data=0x4100");
    ASSERT_TRUE(msi);
    EXPECT_EQ(msi->track, "interrupts");
    EXPECT_EQ(msi->ph, "i");
    EXPECT_EQ(str(msi->args, "addr"), "0xfee00000") << "the record travels as args";
    ASSERT_TRUE(find(evs, "INTx level=0x1"));
    const Ev *d = find(evs, "#3 admit: reply REGION_READ #7");
    ASSERT_TRUE(d);
    EXPECT_EQ(d->track, "decisions");
    EXPECT_EQ(evs.size(), 5u) << "unknown kinds are skipped";
}

// A store served from a mapped BAR area has no message: an instant on the
// main socket's track says so (issue 16).
TEST_F(Perfetto, MappedAccessIsAnInstantOnTheMainTrack) {
    write_trace(
        {kHeader,
         R"({"kind":"mapped","t_ps":8000,"cycle":2,"op":"store","bar":0,"offset":"0x10","len":4,"data_fnv1a":"0000000000000000"})"});
    const std::vector<Ev> evs = convert();
    const Ev *m = find(evs, "mapped store BAR0+0x10 (4 bytes, no message)");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->ph, "i");
    EXPECT_EQ(m->track, "vfio-user main socket");
    EXPECT_NEAR(m->ts, 0.008, 1e-9);
    EXPECT_EQ(evs.size(), 1u);
}

// Several devices (issue 20): a hop is one period on its fabric port's
// track (one track per port, named after it); two devices' messages with
// the same socket and id are two slices, each named after its device.
TEST_F(Perfetto, FabricHopsOnAPortTrackAndMessagesPerDevice) {
    write_trace(
        {kHeader,
         R"({"kind":"msg","t_ps":4000,"dev":"copier","sock":"main","dir":"c2s","cmd":"REGION_WRITE","msg_id":5,"type":"command","flags":0})",
         R"({"kind":"msg","t_ps":8000,"dev":"target","sock":"main","dir":"c2s","cmd":"REGION_WRITE","msg_id":5,"type":"command","flags":0})",
         R"({"kind":"msg","t_ps":12000,"dev":"target","sock":"main","dir":"s2c","cmd":"REGION_WRITE","msg_id":5,"type":"reply","flags":1})",
         R"({"kind":"msg","t_ps":20000,"dev":"copier","sock":"main","dir":"s2c","cmd":"REGION_WRITE","msg_id":5,"type":"reply","flags":1})",
         R"({"kind":"hop","t_ps":40000,"cycle":10,"port":"rp2","type":"MemWr32","len_dw":64,"addr":"0xe0100100","requester_id":"0x100","tag":0})",
         R"({"kind":"hop","t_ps":48000,"cycle":12,"port":"rp1","type":"CplD","len_dw":32,"completer_id":"0x200","tag":3})",
         R"({"kind":"hop","t_ps":52000,"cycle":13,"port":"rp2","type":"MemRd32","len_dw":32,"addr":"0xe0100180","tag":4})"});
    const std::vector<Ev> evs = convert();
    ASSERT_EQ(evs.size(), 5u);
    const Ev *copier = find(evs, "copier: REGION_WRITE #5");
    const Ev *target = find(evs, "target: REGION_WRITE #5");
    ASSERT_TRUE(copier && target);
    EXPECT_EQ(copier->ph, "X");
    EXPECT_NEAR(copier->ts, 0.004, 1e-9);
    EXPECT_NEAR(copier->dur, 0.016, 1e-9) << "paired with its own device's reply";
    EXPECT_NEAR(target->ts, 0.008, 1e-9);
    EXPECT_NEAR(target->dur, 0.004, 1e-9);
    const Ev *wr = find(evs, "MemWr32 0xe0100100");
    ASSERT_TRUE(wr);
    EXPECT_EQ(wr->track, "fabric port rp2");
    EXPECT_NEAR(wr->ts, 0.040, 1e-9);
    EXPECT_NEAR(wr->dur, 0.004, 1e-9) << "one 4 ns period";
    EXPECT_EQ(str(wr->args, "port"), "rp2") << "the record travels as args";
    const Ev *cpl = find(evs, "CplD tag 3");
    ASSERT_TRUE(cpl);
    EXPECT_EQ(cpl->track, "fabric port rp1");
    const Ev *rd = find(evs, "MemRd32 0xe0100180 tag 4");
    ASSERT_TRUE(rd);
    EXPECT_EQ(rd->track, "fabric port rp2") << "one track per port";
}

TEST_F(Perfetto, BadLinesAreNamedByFileAndLine) {
    write_trace({kHeader, R"({"kind":"msg","t_ps":1})", "not json"});
    std::string err;
    EXPECT_EQ(rcsim::convert_trace_to_perfetto(base_ + ".jsonl", base_ + ".json", &err), -EINVAL);
    EXPECT_NE(err.find(base_ + ".jsonl:3: not a JSON object"), std::string::npos) << err;
    write_trace({kHeader, R"({"kind":"tlp","t_ps":"soon"})"});
    EXPECT_EQ(rcsim::convert_trace_to_perfetto(base_ + ".jsonl", base_ + ".json", &err), -EINVAL);
    EXPECT_NE(err.find(":2: tlp record without an integer \"t_ps\""), std::string::npos) << err;
    write_trace({R"({"t_ps":1})"});
    EXPECT_EQ(rcsim::convert_trace_to_perfetto(base_ + ".jsonl", base_ + ".json", &err), -EINVAL);
    EXPECT_NE(err.find(":1: record without a \"kind\""), std::string::npos) << err;
    EXPECT_EQ(rcsim::convert_trace_to_perfetto(base_ + ".missing", base_ + ".json", &err), -ENOENT);
    write_trace({kHeader});
    EXPECT_LT(rcsim::convert_trace_to_perfetto(base_ + ".jsonl", "/nonexistent/dir/x.json", &err),
              0);
}

} // namespace
