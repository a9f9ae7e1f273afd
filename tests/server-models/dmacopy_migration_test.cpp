// dmacopy --migration (server-models/models/dmacopy/dmacopy_migration.c):
// its state carried source -> destination through MIG_DATA_READ/WRITE (the
// bytes expected are written by hand from the format in
// server-models/README.md, "dmacopy"), bad state refused, its writes to an
// fd-backed window in the dirty report, a descriptor in flight at stop
// completed on the destination, and the buggy variants' observable
// differences (--mig-bug unmarked-write, drop-inflight, --quiesce-never).
#include <gtest/gtest.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

#include "raw_client.hpp"
#include "server_process.hpp"
#include "vfio_user/client.h"

using namespace rcsim::test;

namespace {

constexpr uint32_t kRW = VU_DMA_MAP_F_READ | VU_DMA_MAP_F_WRITE;
constexpr uint64_t kFlags = VU_MIGRATION_STOP_COPY | VU_MIGRATION_PRE_COPY;
// Registers (server-models/README.md "dmacopy").
constexpr uint32_t kBaseLo = 0x00, kSize = 0x08, kHead = 0x10, kTail = 0x14, kStatus = 0x18,
                   kIntCtrl = 0x1c, kCompleted = 0x20, kIntStatus = 0x24;

std::string model() {
    return server_models_dir() + "/dmacopy";
}

struct ClientDeleter {
    void operator()(vuc_ctx *c) const { vuc_destroy(c); }
};
using Client = std::unique_ptr<vuc_ctx, ClientDeleter>;

Client connect_client(const ServerProcess &s) {
    vuc_options o;
    vuc_options_init(&o);
    o.timeout_ms = 3000;
    Client c(vuc_create(&o));
    if (!c || vuc_connect(c.get(), s.socket_path().c_str()) < 0 || vuc_negotiate(c.get()) < 0) {
        ADD_FAILURE() << "cannot connect to " << s.socket_path();
        return nullptr;
    }
    return c;
}

uint32_t rd32(vuc_ctx *c, uint32_t off) {
    uint32_t v = 0xdeadbeef;
    EXPECT_EQ(vuc_region_read(c, 0, off, &v, 4), 0);
    return v;
}
void wr32(vuc_ctx *c, uint32_t off, uint32_t v) {
    EXPECT_EQ(vuc_region_write(c, 0, off, &v, 4), 0);
}

struct Desc {
    uint64_t src, dst;
    uint32_t len, flags;
    uint64_t completion;
};
struct Record {
    uint32_t status, length;
    uint64_t seq;
};

// A 64 KiB memfd the device maps (its writes there are logged).
struct SharedMem {
    SharedMem() {
        fd = memfd_create("dmacopy-mig", MFD_CLOEXEC);
        if (fd >= 0 && ftruncate(fd, 0x10000) == 0)
            p = static_cast<uint8_t *>(
                mmap(nullptr, 0x10000, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
    }
    ~SharedMem() {
        if (p != nullptr && p != MAP_FAILED)
            munmap(p, 0x10000);
        if (fd >= 0)
            close(fd);
    }
    int fd = -1;
    uint8_t *p = nullptr;
};

constexpr uint64_t kIova = 0x10000000;

// Ring at page 0, record at page 1, source at page 2, destination across
// pages 4 and 5; INT_CTRL none; one descriptor asking for an interrupt.
void run_one_descriptor(vuc_ctx *c, SharedMem &m) {
    for (uint32_t i = 0; i < 0x1800; i++)
        m.p[0x2000 + i] = uint8_t(i * 7 + 3);
    const Desc d{kIova + 0x2000, kIova + 0x4400, 0x1800, 1, kIova + 0x1000};
    memcpy(m.p, &d, sizeof d);
    wr32(c, kIntCtrl, 0);
    wr32(c, kBaseLo, uint32_t(kIova));
    wr32(c, kSize, 8);
    wr32(c, kHead, 1); // the copy runs inside this REGION_WRITE
}

// The 56 bytes of the README's format, little-endian, field by field.
std::vector<uint8_t> state_bytes(uint32_t base_lo, uint32_t size, uint32_t head, uint32_t tail,
                                 uint32_t status, uint32_t completed, uint32_t int_status,
                                 uint32_t inflight) {
    const uint32_t words[14] = {0x534d4344, 1,      56, base_lo,   0,          size,     head,
                                tail,       status, 0,  completed, int_status, inflight, 0};
    std::vector<uint8_t> b(56);
    memcpy(b.data(), words, sizeof words);
    return b;
}

uint32_t state(vuc_ctx *c) {
    uint32_t s = 99;
    EXPECT_EQ(vuc_mig_get_state(c, &s), 0);
    return s;
}

std::vector<uint8_t> read_all(vuc_ctx *c) {
    std::vector<uint8_t> all;
    uint8_t buf[1024];
    for (uint32_t got = 1; got != 0 && all.size() < 4096;) {
        EXPECT_EQ(vuc_mig_data_read(c, buf, sizeof buf, &got), 0);
        all.insert(all.end(), buf, buf + got);
    }
    return all;
}

} // namespace

// Without --migration nothing is offered (the message flows of every other
// test stay as they were).
TEST(DmacopyMigration, NotOfferedWithoutTheFlag) {
    ServerProcess s({model()});
    ASSERT_TRUE(s.ready()) << s.error();
    Client c = connect_client(s);
    ASSERT_TRUE(c);
    EXPECT_EQ(vuc_feature_probe(c.get(), VU_FEATURE_MIGRATION, VU_DEVICE_FEATURE_GET), -EINVAL);
    EXPECT_EQ(vuc_feature_probe(c.get(), VU_FEATURE_DMA_LOGGING_START, VU_DEVICE_FEATURE_SET),
              -EINVAL);
}

TEST(DmacopyMigration, BugFlagsNeedMigration) {
    ServerProcess s({model(), "--mig-bug", "drop-inflight"});
    EXPECT_FALSE(s.ready());
}

// Source: one descriptor done, then STOP_COPY (RUNNING -> STOP -> STOP_COPY)
// gives the 56 bytes; PRE_COPY gives none. Destination: RESUMING, the bytes
// in, RUNNING: the registers read back as they were.
TEST(DmacopyMigration, StateRoundTripSourceToDestination) {
    ServerProcess src({model(), "--migration"});
    ServerProcess dst({model(), "--migration"});
    ASSERT_TRUE(src.ready() && dst.ready());
    Client a = connect_client(src);
    Client b = connect_client(dst);
    ASSERT_TRUE(a && b);
    uint64_t flags = 0;
    ASSERT_EQ(vuc_mig_get_flags(a.get(), &flags), 0);
    EXPECT_EQ(flags, kFlags);
    SharedMem m;
    ASSERT_NE(m.p, MAP_FAILED);
    ASSERT_EQ(vuc_dma_map(a.get(), kIova, 0x10000, kRW, m.p, m.fd, 0), 0);
    run_one_descriptor(a.get(), m);
    EXPECT_EQ(rd32(a.get(), kCompleted), 1u);
    ASSERT_EQ(vuc_mig_set_state(a.get(), VU_MIG_STATE_RUNNING, VU_MIG_STATE_PRE_COPY, kFlags), 0);
    EXPECT_TRUE(read_all(a.get()).empty()) << "PRE_COPY returns no data";
    ASSERT_EQ(vuc_mig_set_state(a.get(), VU_MIG_STATE_PRE_COPY, VU_MIG_STATE_STOP_COPY, kFlags), 0);
    const std::vector<uint8_t> want = state_bytes(0x10000000, 8, 1, 1, 0, 1, 1, 0);
    const std::vector<uint8_t> got = read_all(a.get());
    ASSERT_EQ(got, want) << hex(got, 56);

    ASSERT_EQ(vuc_mig_set_state(b.get(), VU_MIG_STATE_RUNNING, VU_MIG_STATE_RESUMING, kFlags), 0);
    ASSERT_EQ(vuc_mig_data_write(b.get(), got.data(), 20), 0);
    ASSERT_EQ(vuc_mig_data_write(b.get(), got.data() + 20, 36), 0);
    ASSERT_EQ(vuc_mig_set_state(b.get(), VU_MIG_STATE_RESUMING, VU_MIG_STATE_RUNNING, kFlags), 0);
    EXPECT_EQ(rd32(b.get(), kBaseLo), 0x10000000u);
    EXPECT_EQ(rd32(b.get(), kSize), 8u);
    EXPECT_EQ(rd32(b.get(), kHead), 1u);
    EXPECT_EQ(rd32(b.get(), kTail), 1u);
    EXPECT_EQ(rd32(b.get(), kCompleted), 1u);
    EXPECT_EQ(rd32(b.get(), kIntStatus), 1u);
    EXPECT_EQ(rd32(b.get(), kStatus), 0u);
}

// write_data refuses another device's or version's stream at its first
// chunk, more bytes than the state has, and RUNNING after a short stream.
TEST(DmacopyMigration, DestinationRefusesBadState) {
    ServerProcess dst({model(), "--migration"});
    ASSERT_TRUE(dst.ready());
    Client b = connect_client(dst);
    ASSERT_TRUE(b);
    ASSERT_EQ(vuc_mig_set_state(b.get(), VU_MIG_STATE_RUNNING, VU_MIG_STATE_RESUMING, kFlags), 0);
    std::vector<uint8_t> bad = state_bytes(0, 0, 0, 0, 0, 0, 0, 0);
    bad[0] = 'X';
    EXPECT_EQ(vuc_mig_data_write(b.get(), bad.data(), 56), -EINVAL);
    bad = state_bytes(0, 0, 0, 0, 0, 0, 0, 0);
    bad[4] = 2;
    EXPECT_EQ(vuc_mig_data_write(b.get(), bad.data(), 56), -EINVAL);
    bad = state_bytes(0, 0, 0, 0, 0, 0, 0, 0);
    bad[8] = 60;
    EXPECT_EQ(vuc_mig_data_write(b.get(), bad.data(), 56), -EINVAL);
    const std::vector<uint8_t> good = state_bytes(0, 0, 0, 0, 0, 0, 0, 0);
    std::vector<uint8_t> longer = good;
    longer.push_back(0);
    EXPECT_EQ(vuc_mig_data_write(b.get(), longer.data(), 57), -EINVAL);
    ASSERT_EQ(vuc_mig_data_write(b.get(), good.data(), 12), 0);
    EXPECT_EQ(vuc_mig_set_state(b.get(), VU_MIG_STATE_RESUMING, VU_MIG_STATE_RUNNING, kFlags),
              -EINVAL)
        << "44 bytes missing";
    EXPECT_EQ(state(b.get()), uint32_t(VU_MIG_STATE_RESUMING));
    const std::string log = dst.log_text();
    EXPECT_NE(log.find("bad magic 0x534d4358"), std::string::npos) << log;
    EXPECT_NE(log.find("version 2"), std::string::npos) << log;
    EXPECT_NE(log.find("length 60"), std::string::npos) << log;
    EXPECT_NE(log.find("incomplete: 12 of 56"), std::string::npos) << log;
}

// The engine's writes to the fd window are logged: the record (page 1) and
// the destination (pages 4, 5); the ring and source pages were only read.
// With --mig-bug unmarked-write the same bytes land and the report is empty.
void dirty_report_after_copy(const std::vector<std::string> &argv, uint8_t want_byte0) {
    ServerProcess s(argv);
    ASSERT_TRUE(s.ready()) << s.error();
    Client c = connect_client(s);
    ASSERT_TRUE(c);
    SharedMem m;
    ASSERT_NE(m.p, MAP_FAILED);
    ASSERT_EQ(vuc_dma_map(c.get(), kIova, 0x10000, kRW, m.p, m.fd, 0), 0);
    const vu_dma_logging_range r{kIova, 0x10000};
    ASSERT_EQ(vuc_dirty_start(c.get(), 4096, &r, 1), 0);
    std::array<uint8_t, 8> bits{};
    ASSERT_EQ(vuc_dirty_report(c.get(), kIova, 0x10000, 4096, bits.data(), bits.size()), 0);
    EXPECT_EQ(bits, (std::array<uint8_t, 8>{}));
    run_one_descriptor(c.get(), m);
    EXPECT_EQ(rd32(c.get(), kCompleted), 1u);
    EXPECT_EQ(memcmp(m.p + 0x4400, m.p + 0x2000, 0x1800), 0) << "the copy itself happened";
    Record rec;
    memcpy(&rec, m.p + 0x1000, sizeof rec);
    EXPECT_EQ(rec.length, 0x1800u);
    EXPECT_EQ(rec.seq, 1u);
    ASSERT_EQ(vuc_dirty_report(c.get(), kIova, 0x10000, 4096, bits.data(), bits.size()), 0);
    EXPECT_EQ(bits, (std::array<uint8_t, 8>{want_byte0, 0, 0, 0, 0, 0, 0, 0}));
}

TEST(DmacopyMigration, WritesToFdWindowsAreInTheDirtyReport) {
    dirty_report_after_copy({model(), "--migration"}, 0x32); // pages 1, 4, 5
}

TEST(DmacopyMigration, BugUnmarkedWriteLeavesThePagesOutOfTheReport) {
    dirty_report_after_copy({model(), "--migration", "--mig-bug", "unmarked-write"}, 0x00);
}

// ---- A descriptor in flight at stop (async engine, message DMA) ----------

namespace {

constexpr uint64_t kMsgIova = 0x80000000;

// Drives an async dmacopy by raw messages on the main socket, answering its
// DMA_READs from `mem` unless told to hold one.
class RawDevice {
  public:
    RawDevice(const ServerProcess &s, bool want_twin = false) {
        ok = open_session(s.socket_path(), want_twin, 1 << 20, &main, &twin);
    }
    // Where the device's DMA comes: the twin socket when there is one.
    RawSocket &dma() { return twin.fd() >= 0 ? twin : main; }
    // Sends cmd, answers DMA until its reply; DMA_READs of `hold_addr` are
    // kept in *held instead of answered.
    std::optional<RawMessage> call(const std::vector<uint8_t> &cmd, uint64_t hold_addr = 0,
                                   std::optional<RawMessage> *held = nullptr) {
        vu_hdr h;
        memcpy(&h, cmd.data(), sizeof h);
        if (!main.send_bytes(cmd))
            return std::nullopt;
        for (;;) {
            auto m = main.recv_message(3000);
            if (!m)
                return std::nullopt;
            vu_hdr r = m->hdr();
            if ((r.flags & VU_F_TYPE_MASK) == VU_F_TYPE_REPLY && r.msg_id == h.msg_id)
                return m;
            if (r.cmd != VU_CMD_DMA_READ && r.cmd != VU_CMD_DMA_WRITE) {
                ADD_FAILURE() << "unexpected message cmd " << r.cmd;
                return std::nullopt;
            }
            vu_dma_access a;
            memcpy(&a, m->payload(), sizeof a);
            if (r.cmd == VU_CMD_DMA_READ && a.addr == hold_addr && held != nullptr) {
                *held = std::move(m);
                continue;
            }
            answer(*m);
        }
    }
    void answer(const RawMessage &m) {
        vu_hdr r = m.hdr();
        vu_dma_access a;
        memcpy(&a, m.payload(), sizeof a);
        uint8_t *at = mem.data() + (a.addr - kMsgIova);
        std::vector<uint8_t> p(sizeof a);
        memcpy(p.data(), &a, sizeof a);
        if (r.cmd == VU_CMD_DMA_READ)
            p.insert(p.end(), at, at + a.count);
        else
            memcpy(at, m.payload() + sizeof a, a.count);
        ASSERT_TRUE(
            dma().send_bytes(make_msg(r.msg_id, r.cmd, p.data(), p.size(), VU_F_TYPE_REPLY)));
    }
    std::vector<uint8_t> wr(uint16_t id, uint32_t off, uint32_t v) {
        std::vector<uint8_t> b(4);
        memcpy(b.data(), &v, 4);
        return region_write_msg(id, 0, off, b);
    }
    static std::vector<uint8_t> set_state(uint16_t id, uint32_t to) {
        uint8_t p[16] = {};
        const vu_device_feature f{16, VU_DEVICE_FEATURE_SET | VU_FEATURE_MIG_DEVICE_STATE};
        const vu_feature_mig_state st{to, 0};
        memcpy(p, &f, 8);
        memcpy(p + 8, &st, 8);
        return make_msg(id, VU_CMD_DEVICE_FEATURE, p, sizeof p);
    }
    static std::vector<uint8_t> data_read(uint16_t id, uint32_t size) {
        const vu_mig_data q{8, size};
        return make_msg(id, VU_CMD_MIG_DATA_READ, &q, sizeof q);
    }

    RawSocket main, twin;
    bool ok = false;
    std::vector<uint8_t> mem = std::vector<uint8_t>(0x10000);
};

// Starts a 64-byte copy (ring page 0, source 0x2000, dest 0x4000, record
// 0x1000) on an async source and holds its source DMA_READ; asks for STOP
// meanwhile (the quiesce is busy: no reply yet); answers the read; then the
// STOP reply comes with no DMA before it, and STOP_COPY's data is returned.
std::vector<uint8_t> stop_with_descriptor_in_flight(const std::vector<std::string> &argv,
                                                    bool twin = false) {
    ServerProcess s(argv);
    EXPECT_TRUE(s.ready()) << s.error();
    RawDevice d(s, twin);
    EXPECT_TRUE(d.ok);
    const Desc desc{kMsgIova + 0x2000, kMsgIova + 0x4000, 64, 0, kMsgIova + 0x1000};
    memcpy(d.mem.data(), &desc, sizeof desc);
    for (int i = 0; i < 64; i++)
        d.mem[0x2000 + i] = uint8_t(0x40 + i);
    EXPECT_TRUE(d.call(dma_map_msg(2, kMsgIova, 0x10000, kRW)));
    EXPECT_TRUE(d.call(d.wr(3, kIntCtrl, 0)));
    EXPECT_TRUE(d.call(d.wr(4, kBaseLo, uint32_t(kMsgIova))));
    EXPECT_TRUE(d.call(d.wr(5, kSize, 4)));
    std::optional<RawMessage> held;
    EXPECT_TRUE(d.call(d.wr(6, kHead, 1), kMsgIova + 0x2000, &held));
    // The source read may come after the doorbell's reply (it follows the
    // descriptor fetch's answer).
    for (int i = 0; i < 4 && !held; i++) {
        auto m = d.dma().recv_message(3000);
        if (!m)
            break;
        vu_dma_access a;
        memcpy(&a, m->payload(), sizeof a);
        if (m->hdr().cmd == VU_CMD_DMA_READ && a.addr == kMsgIova + 0x2000)
            held = std::move(m);
        else
            d.answer(*m);
    }
    EXPECT_TRUE(held.has_value()) << "the source DMA_READ";
    if (!held)
        return {};
    EXPECT_TRUE(d.main.send_bytes(RawDevice::set_state(7, VU_MIG_STATE_STOP)));
    EXPECT_TRUE(d.main.no_message_for(200)) << "quiesce busy: STOP waits for the DMA";
    d.answer(*held);
    auto r = d.main.recv_message(3000);
    EXPECT_TRUE(r.has_value());
    if (!r)
        return {};
    EXPECT_EQ(r->hdr().msg_id, 7) << "no DMA after the safe point, only the STOP reply";
    EXPECT_EQ(r->hdr().flags, VU_F_TYPE_REPLY);
    if (twin) {
        EXPECT_TRUE(d.twin.no_message_for(0)) << "the worker did no DMA after the read";
    }
    EXPECT_TRUE(d.call(RawDevice::set_state(8, VU_MIG_STATE_STOP_COPY)));
    auto data = d.call(RawDevice::data_read(9, 1024));
    EXPECT_TRUE(data && data->payload_len() >= 8);
    if (!data)
        return {};
    EXPECT_EQ(std::vector<uint8_t>(d.mem.begin() + 0x4000, d.mem.begin() + 0x4040),
              std::vector<uint8_t>(64, 0))
        << "nothing written on the source";
    return std::vector<uint8_t>(data->payload() + 8, data->payload() + data->payload_len());
}

// The destination (synchronous engine) gets the state, the window, RUNNING:
// it fetches the descriptor at TAIL again and copies.
void resume_on_destination(const std::vector<uint8_t> &st, std::vector<uint8_t> *mem,
                           uint32_t *completed) {
    ServerProcess s({model(), "--migration"});
    ASSERT_TRUE(s.ready());
    Client c = connect_client(s);
    ASSERT_TRUE(c);
    ASSERT_EQ(vuc_mig_set_state(c.get(), VU_MIG_STATE_RUNNING, VU_MIG_STATE_RESUMING, kFlags), 0);
    ASSERT_EQ(vuc_mig_data_write(c.get(), st.data(), uint32_t(st.size())), 0);
    ASSERT_EQ(vuc_dma_map(c.get(), kMsgIova, 0x10000, kRW, mem->data(), -1, 0), 0);
    ASSERT_EQ(vuc_mig_set_state(c.get(), VU_MIG_STATE_RESUMING, VU_MIG_STATE_RUNNING, kFlags), 0);
    *completed = rd32(c.get(), kCompleted);
}

std::vector<uint8_t> fresh_memory() {
    std::vector<uint8_t> mem(0x10000);
    const Desc desc{kMsgIova + 0x2000, kMsgIova + 0x4000, 64, 0, kMsgIova + 0x1000};
    memcpy(mem.data(), &desc, sizeof desc);
    for (int i = 0; i < 64; i++)
        mem[0x2000 + i] = uint8_t(0x40 + i);
    return mem;
}

} // namespace

TEST(DmacopyMigration, DescriptorInFlightAtStopCompletesOnTheDestination) {
    const auto st = stop_with_descriptor_in_flight({model(), "--migration", "--dma-mode", "async"});
    // TAIL 0 (not advanced), COMPLETED 0, in flight 1.
    ASSERT_EQ(st, state_bytes(0x80000000, 4, 1, 0, 0, 0, 0, 1)) << hex(st, 56);
    std::vector<uint8_t> mem = fresh_memory();
    uint32_t completed = 0;
    resume_on_destination(st, &mem, &completed);
    EXPECT_EQ(completed, 1u);
    for (int i = 0; i < 64; i++)
        ASSERT_EQ(mem[0x4000 + i], uint8_t(0x40 + i)) << "byte " << i;
    Record rec;
    memcpy(&rec, mem.data() + 0x1000, sizeof rec);
    EXPECT_EQ(rec.status, 0u);
    EXPECT_EQ(rec.length, 64u);
    EXPECT_EQ(rec.seq, 1u);
}

// The same with the worker thread (--dma-after-reply, DMA on the twin
// socket): it stops between the source read and the destination write.
TEST(DmacopyMigration, WorkerStopsBetweenTransfersAndTheDestinationFinishes) {
    const auto st =
        stop_with_descriptor_in_flight({model(), "--migration", "--dma-after-reply"}, true);
    ASSERT_EQ(st, state_bytes(0x80000000, 4, 1, 0, 0, 0, 0, 1)) << hex(st, 56);
    std::vector<uint8_t> mem = fresh_memory();
    uint32_t completed = 0;
    resume_on_destination(st, &mem, &completed);
    EXPECT_EQ(completed, 1u);
    EXPECT_EQ(mem[0x4000], 0x40);
    EXPECT_EQ(mem[0x403f], 0x7f);
}

// --mig-bug drop-inflight: the state says TAIL 1, COMPLETED 1, nothing in
// flight; the destination has nothing to run, so the copy never happens and
// no record is written.
TEST(DmacopyMigration, BugDropInflightLosesTheDescriptor) {
    const auto st = stop_with_descriptor_in_flight(
        {model(), "--migration", "--dma-mode", "async", "--mig-bug", "drop-inflight"});
    ASSERT_EQ(st, state_bytes(0x80000000, 4, 1, 1, 0, 1, 0, 0)) << hex(st, 56);
    std::vector<uint8_t> mem = fresh_memory();
    uint32_t completed = 0;
    resume_on_destination(st, &mem, &completed);
    EXPECT_EQ(completed, 1u);
    EXPECT_EQ(std::vector<uint8_t>(mem.begin() + 0x4000, mem.begin() + 0x4040),
              std::vector<uint8_t>(64, 0));
    EXPECT_EQ(std::vector<uint8_t>(mem.begin() + 0x1000, mem.begin() + 0x1010),
              std::vector<uint8_t>(16, 0));
}

// --quiesce-never: idle, the device quiesces at once (its DMA_MAP is
// answered); asked to stop while a transfer is in flight, it answers EBUSY
// and, unlike the correct device above, never says it stopped: once the
// held read is answered, still no STOP reply, nor one to anything after it.
TEST(DmacopyMigration, QuiesceNeverLeavesTheStateChangeUnanswered) {
    ServerProcess s({model(), "--migration", "--dma-mode", "async", "--quiesce-never"});
    ASSERT_TRUE(s.ready());
    RawDevice d(s);
    ASSERT_TRUE(d.ok);
    const Desc desc{kMsgIova + 0x2000, kMsgIova + 0x4000, 64, 0, kMsgIova + 0x1000};
    memcpy(d.mem.data(), &desc, sizeof desc);
    ASSERT_TRUE(d.call(dma_map_msg(2, kMsgIova, 0x10000, kRW)));
    ASSERT_TRUE(d.call(d.wr(3, kIntCtrl, 0)));
    ASSERT_TRUE(d.call(d.wr(4, kBaseLo, uint32_t(kMsgIova))));
    ASSERT_TRUE(d.call(d.wr(5, kSize, 4)));
    std::optional<RawMessage> held;
    ASSERT_TRUE(d.call(d.wr(6, kHead, 1), kMsgIova + 0x2000, &held));
    for (int i = 0; i < 4 && !held; i++) {
        auto m = d.dma().recv_message(3000);
        ASSERT_TRUE(m.has_value());
        vu_dma_access a;
        memcpy(&a, m->payload(), sizeof a);
        if (m->hdr().cmd == VU_CMD_DMA_READ && a.addr == kMsgIova + 0x2000)
            held = std::move(m);
        else
            d.answer(*m);
    }
    ASSERT_TRUE(held.has_value()) << "the source DMA_READ";
    ASSERT_TRUE(d.main.send_bytes(RawDevice::set_state(7, VU_MIG_STATE_STOP)));
    d.answer(*held);
    ASSERT_TRUE(d.main.send_bytes(region_read_msg(8, 0, 0x28, 4)));
    EXPECT_TRUE(d.main.no_message_for(300));
    EXPECT_TRUE(s.alive());
}

// VERSION says migration {pgsize 4096} with --migration (as libvfio-user's
// server sample does, gpio.jsonl seq 1), and not without it.
TEST(DmacopyMigration, VersionAdvertisesMigrationOnlyWithTheFlag) {
    for (bool on : {false, true}) {
        ServerProcess s(on ? std::vector<std::string>{model(), "--migration"}
                           : std::vector<std::string>{model()});
        ASSERT_TRUE(s.ready());
        RawSocket main, twin;
        std::string json;
        ASSERT_TRUE(open_session(s.socket_path(), true, 1 << 20, &main, &twin, &json));
        EXPECT_EQ(json.find("\"migration\": { \"pgsize\": 4096 }") != std::string::npos, on)
            << json;
    }
}
