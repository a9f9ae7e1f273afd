// The JSONL trace and the FST of real runs (RTL + client + a server model):
// every message on both sockets, TLPs both ways, host accesses, decisions
// and interrupts, with non-decreasing simulated time and payload digests
// that match bytes written here by hand (wire layouts from proto.h's
// tables); the FST's annotation id takes the message ids the trace shows.
// RCSIM_TRACE_KEEP_DIR=DIR keeps the files (DIR/<test>.jsonl/.fst/.json).
#include "harness.hpp"
#include "perfetto_export.hpp"
#include "run_settings.hpp"
#include "trace_support.hpp"
#include "trace_writer.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <tuple>
#include <unistd.h>

namespace {

using namespace trace_test;
using rcsim::HostStatus;

std::vector<uint8_t> le32(uint32_t v) {
    return {uint8_t(v), uint8_t(v >> 8), uint8_t(v >> 16), uint8_t(v >> 24)};
}
std::vector<uint8_t> cat(std::vector<uint8_t> a, const std::vector<uint8_t> &b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

class TraceRun : public ::testing::Test {
  protected:
    virtual std::vector<std::string> server_argv() const = 0;
    virtual void configure(rcsim::HarnessConfig &) {}

    void SetUp() override {
        const char *keep = std::getenv("RCSIM_TRACE_KEEP_DIR");
        const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
        base_ = keep ? std::string(keep) + "/" + name
                     : "/tmp/rcsim-trace-" + std::to_string(getpid()) + "-" + name;
        keep_ = keep != nullptr;
        rcsim::HarnessConfig cfg;
        cfg.fst_path = base_ + ".fst";
        configure(cfg);
        std::string err;
        ASSERT_EQ(rcsim::Harness::create(cfg, &h, &err), 0) << err;
        tw = rcsim::TraceWriter::open(base_ + ".jsonl", &err);
        ASSERT_TRUE(tw) << err;
        tw->attach(*h);
        ASSERT_EQ(h->start_server(server_argv(), &err), 0) << err << h->failure_report();
        ASSERT_EQ(h->enumerate(&err), 0) << err << h->failure_report();
    }

    // Stops the run, closes the trace and the FST, reads the trace back.
    void finish() {
        ASSERT_FALSE(h->has_failures()) << h->failure_report();
        h->shutdown();
        std::string err;
        ASSERT_EQ(tw->close(&err), 0) << err;
        h.reset(); // closes the FST
        recs = read_jsonl(base_ + ".jsonl");
        ASSERT_FALSE(recs.empty());
        for (const JsonPtr &r : recs)
            ASSERT_TRUE(r) << "a line of the trace is not JSON";
    }

    void TearDown() override {
        if (h)
            h->shutdown();
        if (tw) {
            std::string ignored;
            tw->close(&ignored);
        }
        h.reset();
        if (!keep_)
            for (const char *ext : {".jsonl", ".fst", ".json"})
                unlink((base_ + ext).c_str());
    }

    // Simulated time never goes back, and the run took some.
    void expect_time_ordered() {
        int64_t last = 0, first = -1;
        for (size_t i = 1; i < recs.size(); ++i) {
            const int64_t t = num(recs[i], "t_ps");
            ASSERT_GE(t, last) << "record " << i << " goes back in time";
            if (first < 0)
                first = t;
            last = t;
        }
        EXPECT_GT(last, first);
    }

    // ann_msg_sock's value for the trace's `sock` (waveforms/README.md).
    static uint64_t sock_number(const std::string &sock) {
        static const std::map<std::string, uint64_t> numbers = {
            {"main", 0}, {"twin", 1}, {"map0", 2}, {"map1", 3}, {"map2", 4},
            {"map3", 5}, {"map4", 6}, {"map5", 7}, {"map6", 8}, {"map7", 9}};
        const auto it = numbers.find(sock);
        return it == numbers.end() ? 15 : it->second;
    }

    // The annotation ports show every message of the trace, in wire order:
    // the (dir, socket, cmd, id) states the FST goes through, leaving out
    // "none", are the messages of the JSONL (consecutive repeats merged on
    // both sides).
    void expect_fst_message_sequence() {
        using State = std::tuple<uint64_t, uint64_t, uint64_t, uint64_t>;
        std::vector<State> want, got;
        for (const JsonPtr &m : where(recs, {{"kind", "msg"}})) {
            const State s{str(m, "dir") == "c2s" ? 1u : 2u, sock_number(str(m, "sock")),
                          uint64_t(num(m, "cmd_num")), uint64_t(num(m, "msg_id"))};
            if (want.empty() || want.back() != s)
                want.push_back(s);
        }
        const std::vector<Change> ch =
            fst_changes(base_ + ".fst",
                        {".rcsim_root_port_wrap.ann_msg_dir", ".rcsim_root_port_wrap.ann_msg_sock",
                         ".rcsim_root_port_wrap.ann_msg_cmd", ".rcsim_root_port_wrap.ann_msg_id"});
        uint64_t v[4] = {0, 0, 0, 0};
        for (size_t i = 0; i < ch.size(); ++i) {
            v[ch[i].signal] = ch[i].value;
            if (i + 1 < ch.size() && ch[i + 1].time == ch[i].time)
                continue; // the state after every change at this time
            const State s{v[0], v[1], v[2], v[3]};
            if (v[0] != 0 && (got.empty() || got.back() != s))
                got.push_back(s);
        }
        ASSERT_FALSE(want.empty());
        EXPECT_EQ(got.size(), want.size());
        for (size_t i = 0; i < want.size() && i < got.size(); ++i)
            ASSERT_EQ(got[i], want[i]) << "message " << i << " of the trace (dir, sock, cmd, id)";
    }

    // The annotation id signal shows every message id of the trace.
    void expect_fst_ids() {
        expect_fst_message_sequence();
        std::string full;
        const std::set<uint64_t> ids = fst_values(base_ + ".fst", ".ann_msg_id", &full);
        ASSERT_FALSE(full.empty()) << "no ann_msg_id signal in the FST";
        std::set<uint64_t> want;
        for (const JsonPtr &m : where(recs, {{"kind", "msg"}}))
            want.insert(uint64_t(num(m, "msg_id")));
        ASSERT_FALSE(want.empty());
        for (uint64_t id : want)
            EXPECT_TRUE(ids.count(id)) << full << " never shows msg_id " << id;
        const std::set<uint64_t> dirs = fst_values(base_ + ".fst", ".ann_msg_dir", &full);
        EXPECT_TRUE(dirs.count(1) && dirs.count(2)) << "both directions annotated";
        const std::set<uint64_t> dec = fst_values(base_ + ".fst", ".ann_decision", &full);
        for (const JsonPtr &d : where(recs, {{"kind", "decision"}}))
            EXPECT_TRUE(dec.count(uint64_t(num(d, "index"))))
                << "decision " << num(d, "index") << " not in " << full;
    }

    std::unique_ptr<rcsim::Harness> h;
    std::unique_ptr<rcsim::TraceWriter> tw;
    std::vector<JsonPtr> recs;
    std::string base_;
    bool keep_ = false;
};

class TraceRegs : public TraceRun {
  protected:
    std::vector<std::string> server_argv() const override {
        return {RCSIM_SERVER_MODELS_DIR "/regs"};
    }
};

TEST_F(TraceRegs, MessagesTlpsHostAccessesDecisionsAndDigests) {
    ASSERT_EQ(h->mmio_write(0, 0x100, 4, 0xa1b2c3d4u), HostStatus::SC);
    ASSERT_EQ(h->mmio_read(0, 0x100, 4).value, 0xa1b2c3d4u);
    const uint64_t bar0 = h->enumeration().bars[0].base;
    finish();
    ASSERT_EQ(str(recs[0], "kind"), "header");
    expect_time_ordered();

    // Setup from the first message on: VERSION command and reply.
    const auto version = where(recs, {{"kind", "msg"}, {"cmd", "VERSION"}});
    ASSERT_EQ(version.size(), 2u);
    EXPECT_EQ(str(version[0], "dir"), "c2s");
    EXPECT_EQ(str(version[1], "type"), "reply");
    EXPECT_EQ(num(version[0], "msg_id"), num(version[1], "msg_id"));

    const std::vector<uint8_t> data = {0xd4, 0xc3, 0xb2, 0xa1}; // little-endian 0xa1b2c3d4
    // REGION_WRITE: offset u64, region u32, count u32, data (proto.h).
    const std::vector<uint8_t> wr_payload =
        cat(cat(cat({0x00, 0x01, 0, 0, 0, 0, 0, 0}, le32(0)), le32(4)), data);
    const auto writes = where(
        recs, {{"kind", "msg"}, {"cmd", "REGION_WRITE"}, {"type", "command"}, {"region", "0"}});
    ASSERT_EQ(writes.size(), 1u);
    EXPECT_EQ(str(writes[0], "sock"), "main");
    EXPECT_EQ(str(writes[0], "offset"), "0x100");
    EXPECT_EQ(num(writes[0], "count"), 4);
    EXPECT_EQ(num(writes[0], "msg_size"), 16 + 20);
    EXPECT_EQ(str(writes[0], "payload_fnv1a"), fnv_hex(wr_payload));
    EXPECT_EQ(str(writes[0], "data_fnv1a"), fnv_hex(data));

    // REGION_READ reply: the access header echoed, then the bytes.
    const auto reads = where(recs, {{"kind", "msg"}, {"cmd", "REGION_READ"}, {"region", "0"}});
    const auto rd_reply = where(reads, {{"type", "reply"}, {"offset", "0x100"}});
    ASSERT_EQ(rd_reply.size(), 1u);
    EXPECT_EQ(str(rd_reply[0], "dir"), "s2c");
    EXPECT_EQ(str(rd_reply[0], "data_fnv1a"), fnv_hex(data));
    const auto rd_cmd = where(reads, {{"type", "command"}, {"offset", "0x100"}});
    ASSERT_EQ(rd_cmd.size(), 1u);
    EXPECT_EQ(num(rd_cmd[0], "msg_id"), num(rd_reply[0], "msg_id"));
    EXPECT_LE(num(rd_cmd[0], "t_ps"), num(rd_reply[0], "t_ps"));

    // The TLPs: MemWr down with the 4 bytes, MemRd down, CplD up with them.
    char addr[32];
    snprintf(addr, sizeof addr, "0x%llx", static_cast<unsigned long long>(bar0 + 0x100));
    const auto memwr = where(recs, {{"kind", "tlp"}, {"type", "MemWr32"}, {"addr", addr}});
    ASSERT_EQ(memwr.size(), 1u);
    EXPECT_EQ(str(memwr[0], "dir"), "down");
    EXPECT_EQ(str(memwr[0], "payload_fnv1a"), fnv_hex(data));
    EXPECT_EQ(where(recs, {{"kind", "tlp"}, {"type", "MemRd32"}, {"addr", addr}}).size(), 1u);
    const auto cpld = where(recs, {{"kind", "tlp"}, {"type", "CplD"}, {"dir", "up"}});
    bool found = false;
    for (const JsonPtr &c : cpld)
        found = found || str(c, "payload_fnv1a") == fnv_hex(data);
    EXPECT_TRUE(found) << "no CplD carries the bytes read";
    EXPECT_FALSE(where(recs, {{"kind", "tlp"}, {"type", "CfgRd0"}}).empty()) << "enumeration";

    // Host port: the write and the read with its data.
    EXPECT_EQ(where(recs, {{"kind", "host_req"}, {"op", "MEM_WR"}, {"addr", addr}}).size(), 1u);
    const auto rsp = where(recs, {{"kind", "host_rsp"}, {"status", "SC"}});
    ASSERT_FALSE(rsp.empty());
    EXPECT_EQ(str(rsp.back(), "data_fnv1a"), fnv_hex(data));

    // The reply entered simulated time through an admission decision.
    bool admitted = false;
    for (const JsonPtr &d : where(recs, {{"kind", "decision"}, {"decision", "admit"}}))
        admitted = admitted || str(d, "chosen").find("reply REGION_READ") == 0;
    EXPECT_TRUE(admitted);
    EXPECT_EQ(tw->counters().write_errors, 0u);
    expect_fst_ids();
}

// dmacopy copies through DMA on the twin socket and raises MSI-X vector 0.
class TraceDmaCopy : public TraceRun {
  protected:
    std::vector<std::string> server_argv() const override {
        return {RCSIM_SERVER_MODELS_DIR "/dmacopy"};
    }
    void put(uint64_t a, const std::vector<uint8_t> &b) {
        h->memory().write(a, b.data(), b.size());
    }
};

TEST_F(TraceDmaCopy, TwinSocketDmaMsixAndPerfettoTracks) {
    constexpr uint64_t kRing = 0x10000000, kSrc = 0x10100000, kDst = 0x10400000;
    std::vector<uint8_t> src(40);
    for (size_t i = 0; i < src.size(); ++i)
        src[i] = uint8_t(0x30 + 7 * i);
    put(kSrc, src);
    // Descriptor (server-models/README.md): src u64, dst u64, len u32, flags u32 (bit 0:
    // interrupt), record u64.
    std::vector<uint8_t> desc =
        cat(cat(le32(uint32_t(kSrc)), le32(0)), cat(le32(uint32_t(kDst)), le32(0)));
    desc = cat(cat(desc, le32(uint32_t(src.size()))), cat(le32(1), cat(le32(0), le32(0))));
    put(kRing, desc);
    ASSERT_EQ(h->mmio_write(0, 0x00, 4, uint32_t(kRing)), HostStatus::SC); // RING_LO
    ASSERT_EQ(h->mmio_write(0, 0x04, 4, 0), HostStatus::SC);               // RING_HI
    ASSERT_EQ(h->mmio_write(0, 0x08, 4, 16), HostStatus::SC);              // RING_SIZE
    ASSERT_EQ(h->mmio_write(0, 0x1c, 4, 3), HostStatus::SC);               // INT_CTRL MSI-X
    ASSERT_EQ(h->mmio_write(0, 0x10, 4, 1), HostStatus::SC);               // HEAD
    ASSERT_TRUE(h->wait_irq(0, 500000)) << h->failure_report();
    ASSERT_TRUE(h->drain());
    finish();
    expect_time_ordered();

    // The source bytes go out as a DMA_READ reply on the twin socket and
    // come back in a DMA_WRITE command; both carry the same digest.
    const auto twin = where(recs, {{"kind", "msg"}, {"sock", "twin"}});
    ASSERT_FALSE(twin.empty()) << "no twin socket message";
    const auto dma_rd =
        where(twin, {{"cmd", "DMA_READ"}, {"type", "reply"}, {"addr", "0x10100000"}});
    ASSERT_EQ(dma_rd.size(), 1u);
    EXPECT_EQ(str(dma_rd[0], "dir"), "c2s");
    EXPECT_EQ(str(dma_rd[0], "data_fnv1a"), fnv_hex(src));
    const auto dma_wr =
        where(twin, {{"cmd", "DMA_WRITE"}, {"type", "command"}, {"addr", "0x10400000"}});
    ASSERT_EQ(dma_wr.size(), 1u);
    EXPECT_EQ(str(dma_wr[0], "dir"), "s2c");
    EXPECT_EQ(str(dma_wr[0], "data_fnv1a"), fnv_hex(src));
    EXPECT_FALSE(where(recs, {{"kind", "msg"}, {"sock", "main"}}).empty());

    // Device TLPs up: the read of the source, the write of the destination.
    EXPECT_FALSE(where(recs, {{"kind", "tlp"}, {"dir", "up"}, {"addr", "0x10100000"}}).empty());
    const auto wr_up =
        where(recs, {{"kind", "tlp"}, {"dir", "up"}, {"type", "MemWr32"}, {"addr", "0x10400000"}});
    ASSERT_EQ(wr_up.size(), 1u);
    EXPECT_EQ(str(wr_up[0], "payload_fnv1a"), fnv_hex(src));

    // MSI-X vector 0: the programmed message (kMsiDataBase + 0 at msi_address).
    const auto irq = where(recs, {{"kind", "irq"}, {"type", "msi"}});
    ASSERT_EQ(irq.size(), 1u);
    EXPECT_EQ(str(irq[0], "addr"), "0xfee00000");
    EXPECT_EQ(str(irq[0], "data"), "0x4100");
    bool irq_admitted = false;
    for (const JsonPtr &d : where(recs, {{"kind", "decision"}}))
        irq_admitted = irq_admitted || str(d, "chosen").find("irq") != std::string::npos;
    EXPECT_TRUE(irq_admitted) << "the eventfd signal entered through a decision";
    expect_fst_ids();

    // The same run as a Perfetto timeline.
    std::string err;
    ASSERT_EQ(rcsim::convert_trace_to_perfetto(base_ + ".jsonl", base_ + ".json", &err), 0) << err;
    JsonPtr root(json_object_from_file((base_ + ".json").c_str()), json_object_put);
    ASSERT_TRUE(root) << "the Perfetto JSON does not parse";
    json_object *evs = nullptr;
    ASSERT_TRUE(json_object_object_get_ex(root.get(), "traceEvents", &evs));
    std::map<int64_t, std::string> tracks;
    std::map<std::string, int> slices; // "track/name prefix" -> count
    for (size_t i = 0; i < json_object_array_length(evs); ++i) {
        JsonPtr e(json_object_get(json_object_array_get_idx(evs, i)), json_object_put);
        if (str(e, "ph") == "M" && str(e, "name") == "thread_name") {
            json_object *a = nullptr;
            json_object_object_get_ex(e.get(), "args", &a);
            JsonPtr args(json_object_get(a), json_object_put);
            tracks[num(e, "tid")] = str(args, "name");
        }
    }
    for (size_t i = 0; i < json_object_array_length(evs); ++i) {
        JsonPtr e(json_object_get(json_object_array_get_idx(evs, i)), json_object_put);
        if (str(e, "ph") == "M")
            continue;
        const std::string name = str(e, "name");
        slices[tracks[num(e, "tid")] + "/" + str(e, "ph") + "/" + name.substr(0, name.find(' '))]++;
    }
    EXPECT_GE(slices["vfio-user main socket/X/REGION_WRITE"], 5);
    EXPECT_GE(slices["vfio-user twin socket/X/DMA_WRITE"], 1);
    EXPECT_GE(slices["vfio-user twin socket/X/DMA_READ"], 2) << "descriptor + source";
    EXPECT_GE(slices["TLP link up (device -> root port)/X/MemWr32"], 2);
    EXPECT_GE(slices["TLP link down (root port -> device)/X/CplD"], 2);
    EXPECT_EQ(slices["interrupts/i/MSI"], 1);
    EXPECT_GE(slices["decisions/i/#0"], 1);
    EXPECT_GE(slices["host port/i/MEM_WR"], 5) << "posted writes are instants";
    EXPECT_GE(slices["host port/X/CFG_RD"], 1) << "enumeration: request to response";
}

// A DMA socket per mapping (issue 21): the ring, the source and the
// destination each on a socket of its own, mapped in that order (map0,
// map1, map2); the copy's DMA travels there and nowhere else.
class TraceMapSocket : public TraceDmaCopy {
  protected:
    std::vector<std::string> server_argv() const override {
        return {RCSIM_SERVER_MODELS_DIR "/dmacopy", "--dma-mode", "map-socket"};
    }
    void configure(rcsim::HarnessConfig &c) override {
        c.dma_windows.clear();
        for (const char *spec :
             {"0x10000000+0x100000:rw:sock:ring", "0x10100000+0x100000:r:sock:src",
              "0x10400000+0x100000:rw:sock:dst"}) {
            rcsim::MemWindow w;
            ASSERT_EQ(rcsim::parse_dma_window(spec, &w), "") << spec;
            c.dma_windows.push_back(w);
        }
    }
};

TEST_F(TraceMapSocket, EachWindowsDmaOnItsOwnSocketInTraceAndWaveform) {
    constexpr uint64_t kRing = 0x10000000, kSrc = 0x10100000, kDst = 0x10400000;
    std::vector<uint8_t> src(24);
    for (size_t i = 0; i < src.size(); ++i)
        src[i] = uint8_t(0x51 + 3 * i);
    put(kSrc, src);
    std::vector<uint8_t> desc =
        cat(cat(le32(uint32_t(kSrc)), le32(0)), cat(le32(uint32_t(kDst)), le32(0)));
    desc = cat(cat(desc, le32(uint32_t(src.size()))), cat(le32(0), cat(le32(0), le32(0))));
    put(kRing, desc);
    ASSERT_EQ(h->mmio_write(0, 0x00, 4, uint32_t(kRing)), HostStatus::SC); // RING_LO
    ASSERT_EQ(h->mmio_write(0, 0x04, 4, 0), HostStatus::SC);               // RING_HI
    ASSERT_EQ(h->mmio_write(0, 0x08, 4, 16), HostStatus::SC);              // RING_SIZE
    ASSERT_EQ(h->mmio_write(0, 0x10, 4, 1), HostStatus::SC);               // HEAD
    ASSERT_TRUE(h->drain());
    const rcsim::Access completed = h->mmio_read(0, 0x20, 4); // COMPLETED
    ASSERT_EQ(completed.status, HostStatus::SC);
    EXPECT_EQ(completed.value, 1u);
    finish();

    // The DMA_MAPs carry one fd each (the socket's other end).
    const auto maps = where(recs, {{"kind", "msg"}, {"cmd", "DMA_MAP"}, {"type", "command"}});
    ASSERT_EQ(maps.size(), 3u);
    for (const JsonPtr &m : maps)
        EXPECT_EQ(num(m, "nfds"), 1);
    // DMA_READ of the descriptor (32 bytes) on map0, of the source on map1,
    // DMA_WRITE of the destination on map2: command and reply each.
    const auto desc_rd = where(recs, {{"kind", "msg"}, {"sock", "map0"}, {"cmd", "DMA_READ"}});
    ASSERT_EQ(desc_rd.size(), 2u);
    EXPECT_EQ(str(desc_rd[0], "addr"), "0x10000000");
    EXPECT_EQ(num(desc_rd[0], "count"), 32);
    const auto src_rd = where(recs, {{"kind", "msg"}, {"sock", "map1"}, {"type", "reply"}});
    ASSERT_EQ(src_rd.size(), 1u);
    EXPECT_EQ(str(src_rd[0], "cmd"), "DMA_READ");
    EXPECT_EQ(str(src_rd[0], "data_fnv1a"), fnv_hex(src));
    const auto dst_wr = where(recs, {{"kind", "msg"}, {"sock", "map2"}, {"type", "command"}});
    ASSERT_EQ(dst_wr.size(), 1u);
    EXPECT_EQ(str(dst_wr[0], "cmd"), "DMA_WRITE");
    EXPECT_EQ(str(dst_wr[0], "data_fnv1a"), fnv_hex(src));
    for (const char *sock : {"main", "twin"})
        for (const char *cmd : {"DMA_READ", "DMA_WRITE"})
            EXPECT_TRUE(where(recs, {{"kind", "msg"}, {"sock", sock}, {"cmd", cmd}}).empty())
                << cmd << " on " << sock;
    // The waveform names the sockets too (ann_msg_sock 2, 3, 4).
    std::string full;
    const std::set<uint64_t> socks = fst_values(base_ + ".fst", ".ann_msg_sock", &full);
    for (uint64_t s : {0u, 2u, 3u, 4u})
        EXPECT_TRUE(socks.count(s)) << "ann_msg_sock never " << s << ": " << full;
    EXPECT_FALSE(socks.count(1)) << "no twin socket in this mode";
    expect_fst_ids();
}

// INTx: the level goes up with Assert_INTA and down with the host's
// acknowledge (Deassert_INTA), each an irq record with the previous level.
class TraceIntx : public TraceDmaCopy {
  protected:
    void configure(rcsim::HarnessConfig &c) override { c.irq = rcsim::IrqPreference::Intx; }
};

TEST_F(TraceIntx, LevelChangesAreRecordedWithTheAssertMessage) {
    ASSERT_EQ(h->enumeration().irq_mode, rcsim::IrqMode::Intx);
    // One descriptor with the interrupt flag, copying 8 bytes.
    std::vector<uint8_t> desc = cat(cat(le32(0x10100000), le32(0)), cat(le32(0x10400000), le32(0)));
    desc = cat(cat(desc, le32(8)), cat(le32(1), cat(le32(0), le32(0))));
    put(0x10000000, desc);
    ASSERT_EQ(h->mmio_write(0, 0x00, 4, 0x10000000), HostStatus::SC);
    ASSERT_EQ(h->mmio_write(0, 0x08, 4, 16), HostStatus::SC);
    ASSERT_EQ(h->mmio_write(0, 0x1c, 4, 1), HostStatus::SC); // INT_CTRL INTx
    ASSERT_EQ(h->mmio_write(0, 0x10, 4, 1), HostStatus::SC);
    ASSERT_TRUE(h->wait_irq(0, 500000)) << h->failure_report();
    ASSERT_TRUE(h->drain());
    finish();
    const auto intx = where(recs, {{"kind", "irq"}, {"type", "intx"}});
    ASSERT_EQ(intx.size(), 2u);
    EXPECT_EQ(str(intx[0], "level"), "0x1");
    EXPECT_EQ(str(intx[0], "previous"), "0x0");
    EXPECT_EQ(str(intx[1], "level"), "0x0");
    EXPECT_EQ(str(intx[1], "previous"), "0x1");
    EXPECT_LT(num(intx[0], "t_ps"), num(intx[1], "t_ps"));
    // The Assert_INTA message (code 0x20) went up the link before the level rose.
    const auto msgs = where(recs, {{"kind", "tlp"}, {"dir", "up"}, {"msg_code", "0x20"}});
    ASSERT_EQ(msgs.size(), 1u);
    EXPECT_LE(num(msgs[0], "t_ps"), num(intx[0], "t_ps"));
    EXPECT_EQ(where(recs, {{"kind", "tlp"}, {"dir", "up"}, {"msg_code", "0x24"}}).size(), 1u)
        << "Deassert_INTA";
    EXPECT_TRUE(where(recs, {{"kind", "irq"}, {"type", "msi"}}).empty());
    expect_fst_ids();
}

} // namespace

namespace {

// The shmem model offers BAR0's first page for mmap (server-models/README.md).
class TraceShmem : public TraceRun {
  protected:
    std::vector<std::string> server_argv() const override {
        return {RCSIM_SERVER_MODELS_DIR "/shmem"};
    }
};

// Issue 16: a store and a load in the mapped page are `mapped` records with
// the bytes' digest, never REGION_WRITE/REGION_READ messages, and the FST's
// annotation shows each for an edge as direction 3 ("mapping") with the
// command it stands in for (REGION_WRITE 10, REGION_READ 9) and the offset.
TEST_F(TraceShmem, MappedAccessesAreRecordsAndAnnotatedAsMapping) {
    ASSERT_EQ(h->mapped_areas(), std::vector<std::string>{"BAR0 [0x0,+0x1000)"});
    ASSERT_EQ(h->mmio_write(0, 0x20, 4, 0xa1b2c3d4u), HostStatus::SC);
    ASSERT_EQ(h->mmio_read(0, 0x20, 4).value, 0xa1b2c3d4u);
    finish();
    const std::vector<uint8_t> data = {0xd4, 0xc3, 0xb2, 0xa1}; // little-endian 0xa1b2c3d4
    for (const char *op : {"store", "load"}) {
        const auto m = where(recs, {{"kind", "mapped"}, {"op", op}});
        ASSERT_EQ(m.size(), 1u) << op;
        EXPECT_EQ(num(m[0], "bar"), 0) << op;
        EXPECT_EQ(str(m[0], "offset"), "0x20") << op;
        EXPECT_EQ(num(m[0], "len"), 4) << op;
        EXPECT_EQ(str(m[0], "data_fnv1a"), fnv_hex(data)) << op;
    }
    EXPECT_TRUE(where(recs, {{"kind", "msg"}, {"cmd", "REGION_WRITE"}, {"region", "0"}}).empty());
    EXPECT_TRUE(where(recs, {{"kind", "msg"}, {"cmd", "REGION_READ"}, {"region", "0"}}).empty());

    const std::vector<Change> ch = fst_changes(
        base_ + ".fst", {".rcsim_root_port_wrap.ann_msg_dir", ".rcsim_root_port_wrap.ann_msg_cmd",
                         ".rcsim_root_port_wrap.ann_msg_addr"});
    using State = std::tuple<uint64_t, uint64_t, uint64_t>;
    std::vector<State> mapping;
    uint64_t v[3] = {0, 0, 0};
    for (size_t i = 0; i < ch.size(); ++i) {
        v[ch[i].signal] = ch[i].value;
        if (i + 1 < ch.size() && ch[i + 1].time == ch[i].time)
            continue;
        if (v[0] == 3)
            mapping.push_back(State{v[0], v[1], v[2]});
    }
    EXPECT_EQ(mapping, (std::vector<State>{{3, 10, 0x20}, {3, 9, 0x20}}));
}

} // namespace
