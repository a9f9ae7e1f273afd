// The pure parsers of client_parse.h, called directly: bytes in, decoded
// message or errno out. Inputs are built by hand from the protocol tables or
// taken from the golden transcripts.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "fake_peer.hpp"
#include "transcript.hpp"
#include "vfio_user/client_parse.h"

using namespace rcsim::test;

namespace {

vu_hdr hdr_of(const std::vector<uint8_t> &m) {
    vu_hdr h{};
    EXPECT_EQ(vuc_parse_hdr(m.data(), m.size(), 1u << 20, &h), 0);
    return h;
}

int parse_reply(const std::vector<uint8_t> &m, uint16_t cmd, const std::vector<uint8_t> &req,
                vuc_reply_msg *out) {
    vu_hdr h = hdr_of(m);
    return vuc_parse_reply(&h, m.data() + 16, m.size() - 16, cmd, req.data(), req.size(), out);
}

int parse_cmd(const std::vector<uint8_t> &m, uint64_t max, vuc_server_cmd *out) {
    vu_hdr h = hdr_of(m);
    return vuc_parse_server_cmd(&h, m.data() + 16, m.size() - 16, max, out);
}

std::vector<uint8_t> payload(const std::vector<uint8_t> &m) {
    return std::vector<uint8_t>(m.begin() + 16, m.end());
}

} // namespace

TEST(ClientParse, HeaderRules) {
    vu_hdr h{};
    std::vector<uint8_t> m = reply(1, VU_CMD_DEVICE_RESET, {});
    EXPECT_EQ(vuc_parse_hdr(m.data(), 15, 1024, &h), -EINVAL);
    EXPECT_EQ(vuc_parse_hdr(m.data(), 16, 1024, &h), 0);
    EXPECT_EQ(h.cmd, VU_CMD_DEVICE_RESET);
    EXPECT_EQ(h.msg_size, 16u);
    m[4] = 15;
    EXPECT_EQ(vuc_parse_hdr(m.data(), 16, 1024, &h), -EPROTO);
    m[4] = 0, m[5] = 4; // 1024
    EXPECT_EQ(vuc_parse_hdr(m.data(), 16, 1024, &h), 0);
    m[4] = 1; // 1025
    EXPECT_EQ(vuc_parse_hdr(m.data(), 16, 1024, &h), -EMSGSIZE);
    std::vector<uint8_t> t = message(1, 1, 2, {}); // type 2 does not exist
    EXPECT_EQ(vuc_parse_hdr(t.data(), 16, 1024, &h), -EPROTO);
    t = message(1, 1, 0x11, {}); // a reply that asks for no reply
    EXPECT_EQ(vuc_parse_hdr(t.data(), 16, 1024, &h), -EPROTO);
}

// Every reply of the gpio recording decodes against its recorded request.
TEST(ClientParse, EveryGpioReplyDecodesAgainstItsRequest) {
    auto t = load_transcript("gpio");
    int replies = 0, errors = 0;
    for (size_t i = 0; i + 1 < t.size(); i++) {
        const auto &q = t[i], &r = t[i + 1];
        if (q.is_eof() || r.is_eof() || q.dir != Dir::ClientToServer ||
            r.dir != Dir::ServerToClient)
            continue;
        vuc_reply_msg out{};
        ASSERT_EQ(parse_reply(r.bytes, q.cmd(), payload(q.bytes), &out), 0) << "seq " << r.seq;
        replies++;
        if (out.status != 0) {
            EXPECT_EQ(out.status, -EINVAL) << "seq " << r.seq;
            errors++;
        }
    }
    EXPECT_EQ(replies, 29);
    EXPECT_EQ(errors, 6);
}

TEST(ClientParse, ReplyLengthAndEchoRules) {
    std::vector<uint8_t> req;
    put64(req, 0x10), put32(req, 2), put32(req, 4);
    std::vector<uint8_t> p = req;
    p.insert(p.end(), {1, 2, 3, 4});
    vuc_reply_msg out{};
    const std::vector<uint8_t> ok = reply(1, VU_CMD_REGION_READ, p); // out points into it
    EXPECT_EQ(parse_reply(ok, VU_CMD_REGION_READ, req, &out), 0);
    EXPECT_EQ(out.data_len, 4u);
    EXPECT_EQ(out.data[3], 4);
    p.pop_back();
    EXPECT_EQ(parse_reply(reply(1, VU_CMD_REGION_READ, p), VU_CMD_REGION_READ, req, &out), -EPROTO);
    EXPECT_EQ(parse_reply(reply(1, VU_CMD_REGION_WRITE, req), VU_CMD_REGION_READ, req, &out),
              -EPROTO); // command differs
    EXPECT_EQ(parse_reply(reply(1, VU_CMD_REGION_WRITE, req), VU_CMD_REGION_WRITE, req, &out), 0);
    std::vector<uint8_t> other = req;
    other[8] = 3; // region 3 echoed for region 2
    EXPECT_EQ(parse_reply(reply(1, VU_CMD_REGION_WRITE, other), VU_CMD_REGION_WRITE, req, &out),
              -EPROTO);
    EXPECT_EQ(parse_reply(reply(1, VU_CMD_DMA_MAP, {0}), VU_CMD_DMA_MAP, {}, &out), -EPROTO);
    EXPECT_EQ(parse_reply(reply(1, VU_CMD_DEVICE_RESET, {}), VU_CMD_DEVICE_RESET, {}, &out), 0);
    EXPECT_EQ(
        parse_reply(error_reply(1, VU_CMD_DEVICE_RESET, ENOENT), VU_CMD_DEVICE_RESET, {}, &out), 0);
    EXPECT_EQ(out.status, -ENOENT);
    EXPECT_EQ(parse_reply(error_reply(1, VU_CMD_DEVICE_RESET, 0), VU_CMD_DEVICE_RESET, {}, &out),
              -EPROTO);
}

TEST(ClientParse, FdsAllowedPerReply) {
    vuc_reply_msg r{};
    EXPECT_EQ(vuc_reply_fds_allowed(VU_CMD_VERSION, &r, true), 1u);
    EXPECT_EQ(vuc_reply_fds_allowed(VU_CMD_VERSION, &r, false), 0u);
    EXPECT_EQ(vuc_reply_fds_allowed(VU_CMD_REGION_READ, &r, true), 0u);
    r.u.region_info.flags = VU_REGION_F_READ;
    EXPECT_EQ(vuc_reply_fds_allowed(VU_CMD_DEVICE_GET_REGION_INFO, &r, true), 0u);
    r.u.region_info.flags = VU_REGION_F_MMAP;
    EXPECT_EQ(vuc_reply_fds_allowed(VU_CMD_DEVICE_GET_REGION_INFO, &r, true), 1u);
    r.status = -EINVAL;
    EXPECT_EQ(vuc_reply_fds_allowed(VU_CMD_DEVICE_GET_REGION_INFO, &r, true), 0u);
}

TEST(ClientParse, ServerCommandsFromTheDmaTwinRecording) {
    auto t = load_transcript("dma_twin");
    int reads = 0, writes = 0;
    for (const auto &m : t) {
        if (m.is_eof() || m.dir != Dir::ServerToClient || (m.flags() & 0xf) != 0)
            continue;
        vuc_server_cmd c{};
        ASSERT_EQ(parse_cmd(m.bytes, 1024, &c), 0) << "seq " << m.seq;
        EXPECT_FALSE(c.qemu_layout);
        EXPECT_LE(c.count, 1024u);
        (c.cmd == VU_CMD_DMA_READ ? reads : writes)++;
    }
    EXPECT_EQ(reads, 4);  // 3 chunks + the one answered with EFAULT
    EXPECT_EQ(writes, 3); // 1024 + 1024 + 952
    // The first chunk: id 1, addr 0x10000100, count 1024 (seq 9 notes).
    vuc_server_cmd c{};
    ASSERT_EQ(parse_cmd(t[9].bytes, 1024, &c), 0);
    EXPECT_EQ(c.addr, 0x10000100u);
    EXPECT_EQ(c.count, 1024u);
    EXPECT_EQ(parse_cmd(t[9].bytes, 1023, &c), -EINVAL); // over our limit
}

TEST(ClientParse, DmaLayoutsAreUnambiguous) {
    vuc_server_cmd c{};
    std::vector<uint8_t> p;
    put64(p, 0x1000), put32(p, 4); // QEMU DMA_READ: 12 bytes
    ASSERT_EQ(parse_cmd(message(1, VU_CMD_DMA_READ, 0, p), 1 << 20, &c), 0);
    EXPECT_TRUE(c.qemu_layout);
    EXPECT_EQ(c.count, 4u);
    p.insert(p.end(), {9, 9, 9, 9});                                    // QEMU DMA_WRITE: 12 + 4
    const std::vector<uint8_t> qw = message(1, VU_CMD_DMA_WRITE, 0, p); // c.data points in
    ASSERT_EQ(parse_cmd(qw, 1 << 20, &c), 0);
    EXPECT_TRUE(c.qemu_layout);
    EXPECT_EQ(c.data[0], 9);
    // The same data read the wide way: its u64 count matches, so it is not
    // QEMU's (whose u32 count would have to be 8 for these 20 bytes).
    std::vector<uint8_t> w;
    put64(w, 0x1000), put64(w, 4);
    w.insert(w.end(), {7, 7, 7, 7});
    const std::vector<uint8_t> ww = message(1, VU_CMD_DMA_WRITE, 0, w);
    ASSERT_EQ(parse_cmd(ww, 1 << 20, &c), 0);
    EXPECT_FALSE(c.qemu_layout);
    EXPECT_EQ(c.data[0], 7);
    std::vector<uint8_t> odd;
    put64(odd, 0x1000), put32(odd, 1);
    odd.push_back(0);
    odd.push_back(0); // 14 bytes: neither layout
    EXPECT_EQ(parse_cmd(message(1, VU_CMD_DMA_READ, 0, odd), 1 << 20, &c), -EINVAL);
    EXPECT_EQ(parse_cmd(message(1, VU_CMD_VERSION, 0, {}), 1 << 20, &c), -EINVAL);
}

TEST(ClientParse, MapLookup) {
    uint8_t mem[16];
    const vuc_map maps[2] = {{0x1000, 0x1000, VU_DMA_MAP_F_READ | VU_DMA_MAP_F_WRITE, mem, 0},
                             {0x2000, 0x1000, VU_DMA_MAP_F_WRITE, nullptr, 0}};
    EXPECT_EQ(vuc_map_lookup(maps, 2, 0x1000, 0x1000, VU_DMA_MAP_F_READ), 0);
    EXPECT_EQ(vuc_map_lookup(maps, 2, 0x1fff, 1, VU_DMA_MAP_F_READ), 0);
    EXPECT_EQ(vuc_map_lookup(maps, 2, 0x1fff, 2, VU_DMA_MAP_F_WRITE), -EFAULT); // straddles
    EXPECT_EQ(vuc_map_lookup(maps, 2, 0x2000, 4, VU_DMA_MAP_F_WRITE), 1);
    EXPECT_EQ(vuc_map_lookup(maps, 2, 0x2000, 4, VU_DMA_MAP_F_READ), -EFAULT);
    EXPECT_EQ(vuc_map_lookup(maps, 2, 0xfff, 1, VU_DMA_MAP_F_READ), -EFAULT);
    EXPECT_EQ(vuc_map_lookup(maps, 2, 0x3000, 1, VU_DMA_MAP_F_WRITE), -EFAULT);
    EXPECT_EQ(vuc_map_lookup(maps, 2, 0x1000, 0, VU_DMA_MAP_F_READ), -EFAULT);
    EXPECT_EQ(vuc_map_lookup(maps, 2, ~0ull, 2, VU_DMA_MAP_F_READ), -EFAULT);
}

TEST(ClientParse, VersionBuildMatchesTheRecordedOffer) {
    char buf[256];
    int n = vuc_version_build(8, 1048576, true, buf, sizeof(buf));
    auto t = load_transcript("gpio");
    std::string recorded(t[0].bytes.begin() + 20, t[0].bytes.end());
    ASSERT_EQ(n, int(recorded.size()));
    EXPECT_EQ(std::string(buf, size_t(n)), recorded);
    EXPECT_EQ(vuc_version_build(8, 1048576, true, buf, 10), -ENOSPC);
}

TEST(ClientParse, VersionReplyFromTheGpioRecording) {
    auto t = load_transcript("gpio");
    std::vector<uint8_t> p = payload(t[1].bytes);
    vuc_server_caps caps{};
    int twin = -2;
    ASSERT_EQ(vuc_version_parse(p.data(), p.size(), 2, &caps, &twin), 0);
    EXPECT_EQ(twin, 0);
    EXPECT_EQ(caps.max_msg_fds, 8u);
    EXPECT_EQ(caps.max_data_xfer_size, 1048576u);
    EXPECT_EQ(caps.migration_pgsize, 4096u);
    EXPECT_EQ(vuc_version_parse(p.data(), p.size(), 1, &caps, &twin), -ENOTSUP);
    // Defaults for what a server leaves out.
    std::vector<uint8_t> bare = version_payload("{\"capabilities\":{}}");
    ASSERT_EQ(vuc_version_parse(bare.data(), bare.size(), 2, &caps, &twin), 0);
    EXPECT_EQ(twin, -1);
    EXPECT_EQ(caps.max_msg_fds, 1u);
    EXPECT_EQ(caps.max_data_xfer_size, 1048576u);
}

TEST(ClientParse, RegionInfoChainRules) {
    auto info = [](uint32_t argsz, uint32_t flags, uint32_t cap_off) {
        std::vector<uint8_t> p;
        put32(p, argsz), put32(p, flags), put32(p, 0), put32(p, cap_off);
        put64(p, 0x1000), put64(p, 0);
        return p;
    };
    vuc_region r;
    std::vector<uint8_t> p = info(32, 3, 0);
    ASSERT_EQ(vuc_parse_region_info(p.data(), p.size(), &r), 0);
    EXPECT_EQ(r.fd, -1);
    EXPECT_EQ(r.nr_areas, 0u);
    // A cap pointing at itself would loop: next must move forward.
    p = info(48, 0xf, 32);
    put16(p, 99), put16(p, 1), put32(p, 32), put64(p, 0);
    EXPECT_EQ(vuc_parse_region_info(p.data(), p.size(), &r), -EPROTO);
    // A cap offset inside the info struct or past the end.
    p = info(48, 0xf, 16);
    p.resize(48);
    EXPECT_EQ(vuc_parse_region_info(p.data(), p.size(), &r), -EPROTO);
    p = info(48, 0xf, 64);
    p.resize(48);
    EXPECT_EQ(vuc_parse_region_info(p.data(), p.size(), &r), -EPROTO);
    // Sparse cap claiming more areas than the payload holds.
    p = info(64, 0xf, 32);
    put16(p, 1), put16(p, 1), put32(p, 0), put32(p, 3), put32(p, 0);
    put64(p, 0), put64(p, 0x100);
    EXPECT_EQ(vuc_parse_region_info(p.data(), p.size(), &r), -EPROTO);
    // An unknown cap id is skipped, the next one decoded.
    p = info(64, 0xf, 32);
    put16(p, 77), put16(p, 1), put32(p, 48), put64(p, 0); // unknown cap: 32..48
    put16(p, 2), put16(p, 1), put32(p, 0), put32(p, 5), put32(p, 6);
    ASSERT_EQ(vuc_parse_region_info(p.data(), p.size(), &r), 0);
    EXPECT_TRUE(r.has_type);
    EXPECT_EQ(r.type, 5u);
}

// Mutated recordings through every parser: each answer is 0 or one of the
// documented errnos, and (under the sanitizer build) nothing reads outside
// its input. Fixed seed, so a failure repeats.
TEST(ClientParse, MutatedInputsGiveDocumentedAnswers) {
    std::vector<std::vector<uint8_t>> seeds;
    for (const char *name : {"gpio", "dma_twin"})
        for (const auto &m : load_transcript(name))
            if (!m.is_eof())
                seeds.push_back(m.bytes);
    uint64_t x = 0x9e3779b97f4a7c15ull;
    auto rnd = [&x] {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        return x;
    };
    auto allowed = [](int rc) {
        return rc == 0 || rc == -EINVAL || rc == -EPROTO || rc == -EMSGSIZE || rc == -EFAULT ||
               rc == -ENOTSUP;
    };
    for (int i = 0; i < 20000; i++) {
        std::vector<uint8_t> m = seeds[rnd() % seeds.size()];
        for (int k = int(rnd() % 4); k >= 0; k--)
            m[rnd() % m.size()] ^= uint8_t(1u << (rnd() % 8));
        if (rnd() % 4 == 0)
            m.resize(16 + rnd() % (m.size() - 15)); // truncate (keeps a header)
        if (m.size() >= 8) {
            uint32_t sz = uint32_t(m.size());
            memcpy(&m[4], &sz, 4); // keep msg_size consistent most of the time
        }
        vu_hdr h{};
        int rc = vuc_parse_hdr(m.data(), m.size(), 1u << 20, &h);
        ASSERT_TRUE(allowed(rc)) << rc;
        if (rc < 0)
            continue;
        const uint8_t *p = m.data() + 16;
        size_t len = m.size() - 16;
        std::vector<uint8_t> req(32, 0);
        vuc_reply_msg r{};
        ASSERT_TRUE(allowed(vuc_parse_reply(&h, p, len, h.cmd, req.data(), req.size(), &r)));
        vuc_server_cmd c{};
        ASSERT_TRUE(allowed(vuc_parse_server_cmd(&h, p, len, 1 << 20, &c)));
        vuc_region reg;
        ASSERT_TRUE(allowed(vuc_parse_region_info(p, len, &reg)));
        vuc_server_caps caps{};
        int twin;
        ASSERT_TRUE(allowed(vuc_version_parse(p, len, 2, &caps, &twin)));
    }
}

// ---- DEVICE_FEATURE and MIG_DATA (migration v2, dirty logging)

namespace {

const TranscriptMessage &by_seq(const std::vector<TranscriptMessage> &t, unsigned seq) {
    for (const auto &m : t)
        if (m.seq == seq)
            return m;
    ADD_FAILURE() << "no seq " << seq;
    return t.front();
}

// Every DEVICE_FEATURE / MIG_DATA_READ / MIG_DATA_WRITE reply of a recording
// decoded against its request: the count of replies and of error replies.
void decode_migration_replies(const std::string &name, int *replies, int *errors) {
    auto t = load_transcript(name);
    *replies = *errors = 0;
    for (size_t i = 0; i + 1 < t.size(); i++) {
        const auto &q = t[i], &r = t[i + 1];
        if (q.is_eof() || r.is_eof() || q.dir != Dir::ClientToServer ||
            r.dir != Dir::ServerToClient || q.cmd() < VU_CMD_DEVICE_FEATURE)
            continue;
        vuc_reply_msg out{};
        ASSERT_EQ(parse_reply(r.bytes, q.cmd(), payload(q.bytes), &out), 0)
            << name << " seq " << r.seq;
        (*replies)++;
        if (out.status != 0) {
            EXPECT_EQ(out.status, -EINVAL) << name << " seq " << r.seq;
            (*errors)++;
        }
    }
}

} // namespace

// Counts from tests/transcripts/README.md: server_info's ten probes and GETs
// (three refused), migration_source's 9 DEVICE_FEATURE and 35 MIG_DATA_READ
// (the STOP_COPY -> PRE_COPY arc refused), migration_dest's 5 and 18
// MIG_DATA_WRITE (the extra write refused), dirty_logging's 11 (three
// reports refused).
TEST(ClientParse, EveryMigrationAndLoggingReplyDecodesAgainstItsRequest) {
    int replies = 0, errors = 0;
    decode_migration_replies("server_info", &replies, &errors);
    EXPECT_EQ(replies, 10);
    EXPECT_EQ(errors, 3);
    decode_migration_replies("migration_source", &replies, &errors);
    EXPECT_EQ(replies, 44);
    EXPECT_EQ(errors, 1);
    decode_migration_replies("migration_dest", &replies, &errors);
    EXPECT_EQ(replies, 23);
    EXPECT_EQ(errors, 1);
    decode_migration_replies("dirty_logging", &replies, &errors);
    EXPECT_EQ(replies, 11);
    EXPECT_EQ(errors, 3);
}

// server_info seq 44-47: GET MIGRATION says STOP_COPY|PRE_COPY (0x5), GET
// MIG_DEVICE_STATE says RUNNING (2).
TEST(ClientParse, FeatureGetDataFromTheServerSample) {
    auto t = load_transcript("server_info");
    vuc_reply_msg out{};
    ASSERT_EQ(
        parse_reply(by_seq(t, 45).bytes, VU_CMD_DEVICE_FEATURE, payload(by_seq(t, 44).bytes), &out),
        0);
    EXPECT_EQ(out.u.feature.flags, VU_DEVICE_FEATURE_GET | VU_FEATURE_MIGRATION);
    ASSERT_EQ(out.data_len, 8u);
    EXPECT_EQ(out.data[0], 0x05);
    ASSERT_EQ(
        parse_reply(by_seq(t, 47).bytes, VU_CMD_DEVICE_FEATURE, payload(by_seq(t, 46).bytes), &out),
        0);
    ASSERT_EQ(out.data_len, 8u);
    EXPECT_EQ(out.data[0], VU_MIG_STATE_RUNNING);
}

// dirty_logging seq 30-31: after the device's DMA into the memfd map, the
// report's bitmap has page 0 set (01 00 00 00 00 00 00 00).
TEST(ClientParse, DirtyReportBitmapFromTheServerSample) {
    auto t = load_transcript("dirty_logging");
    vuc_reply_msg out{};
    ASSERT_EQ(
        parse_reply(by_seq(t, 31).bytes, VU_CMD_DEVICE_FEATURE, payload(by_seq(t, 30).bytes), &out),
        0);
    ASSERT_EQ(out.data_len, 24u + 8u);
    EXPECT_EQ(out.data[24], 0x01);
    for (size_t i = 25; i < 32; i++)
        EXPECT_EQ(out.data[i], 0) << i;
}

TEST(ClientParse, FeatureReplyRules) {
    // GET MIG_DEVICE_STATE, argsz 16.
    std::vector<uint8_t> req;
    put32(req, 16), put32(req, VU_DEVICE_FEATURE_GET | VU_FEATURE_MIG_DEVICE_STATE);
    std::vector<uint8_t> p = req;
    put32(p, VU_MIG_STATE_STOP), put32(p, 0);
    vuc_reply_msg out{};
    EXPECT_EQ(parse_reply(reply(1, VU_CMD_DEVICE_FEATURE, p), VU_CMD_DEVICE_FEATURE, req, &out), 0);
    std::vector<uint8_t> flags = p;
    flags[6] = 2; // SET echoed for GET
    EXPECT_EQ(parse_reply(reply(1, VU_CMD_DEVICE_FEATURE, flags), VU_CMD_DEVICE_FEATURE, req, &out),
              -EPROTO);
    std::vector<uint8_t> shortp(p.begin(), p.end() - 4); // 4 bytes of data, not 8
    EXPECT_EQ(
        parse_reply(reply(1, VU_CMD_DEVICE_FEATURE, shortp), VU_CMD_DEVICE_FEATURE, req, &out),
        -EPROTO);
    std::vector<uint8_t> longp = p;
    put64(longp, 0); // 24 bytes for an argsz of 16
    EXPECT_EQ(parse_reply(reply(1, VU_CMD_DEVICE_FEATURE, longp), VU_CMD_DEVICE_FEATURE, req, &out),
              -EPROTO);

    // SET MIG_DEVICE_STATE STOP: the header alone or the request echoed.
    std::vector<uint8_t> set;
    put32(set, 16), put32(set, VU_DEVICE_FEATURE_SET | VU_FEATURE_MIG_DEVICE_STATE);
    put32(set, VU_MIG_STATE_STOP), put32(set, 0xffffffffu);
    std::vector<uint8_t> head(set.begin(), set.begin() + 8);
    EXPECT_EQ(parse_reply(reply(1, VU_CMD_DEVICE_FEATURE, set), VU_CMD_DEVICE_FEATURE, set, &out),
              0);
    EXPECT_EQ(parse_reply(reply(1, VU_CMD_DEVICE_FEATURE, head), VU_CMD_DEVICE_FEATURE, set, &out),
              0);
    std::vector<uint8_t> other = set;
    other[8] = VU_MIG_STATE_RUNNING; // another state than the one set
    EXPECT_EQ(parse_reply(reply(1, VU_CMD_DEVICE_FEATURE, other), VU_CMD_DEVICE_FEATURE, set, &out),
              -EPROTO);

    // REPORT of 16 pages: at least 2 bytes of bitmap, iova/length/page_size echoed.
    std::vector<uint8_t> rq;
    put32(rq, 40), put32(rq, VU_DEVICE_FEATURE_GET | VU_FEATURE_DMA_LOGGING_REPORT);
    put64(rq, 0x10000000), put64(rq, 0x10000), put64(rq, 4096);
    std::vector<uint8_t> rp = rq;
    rp.push_back(0xff); // one byte: 8 of 16 pages
    EXPECT_EQ(parse_reply(reply(1, VU_CMD_DEVICE_FEATURE, rp), VU_CMD_DEVICE_FEATURE, rq, &out),
              -EPROTO);
    rp.push_back(0x00);
    EXPECT_EQ(parse_reply(reply(1, VU_CMD_DEVICE_FEATURE, rp), VU_CMD_DEVICE_FEATURE, rq, &out), 0);
    rp[8] = 0x01; // iova 0x10000001 echoed
    EXPECT_EQ(parse_reply(reply(1, VU_CMD_DEVICE_FEATURE, rp), VU_CMD_DEVICE_FEATURE, rq, &out),
              -EPROTO);
}

TEST(ClientParse, MigDataReplyRules) {
    std::vector<uint8_t> req;
    put32(req, 8 + 4), put32(req, 4); // asks for 4 bytes
    std::vector<uint8_t> p;
    put32(p, 8 + 4), put32(p, 3);
    p.insert(p.end(), {0xa, 0xb, 0xc});
    vuc_reply_msg out{};
    const std::vector<uint8_t> ok = reply(1, VU_CMD_MIG_DATA_READ, p);
    EXPECT_EQ(parse_reply(ok, VU_CMD_MIG_DATA_READ, req, &out), 0);
    EXPECT_EQ(out.data_len, 3u);
    EXPECT_EQ(out.data[2], 0xc);
    std::vector<uint8_t> padded = p;
    padded.push_back(0xd); // 4 bytes carried, size says 3: the 4th is padding
    const std::vector<uint8_t> pad = reply(1, VU_CMD_MIG_DATA_READ, padded);
    EXPECT_EQ(parse_reply(pad, VU_CMD_MIG_DATA_READ, req, &out), 0);
    EXPECT_EQ(out.data_len, 3u);
    std::vector<uint8_t> cut;
    put32(cut, 8 + 4), put32(cut, 4);
    cut.insert(cut.end(), {1, 2, 3}); // size says 4, 3 bytes carried
    EXPECT_EQ(parse_reply(reply(1, VU_CMD_MIG_DATA_READ, cut), VU_CMD_MIG_DATA_READ, req, &out),
              -EPROTO);
    std::vector<uint8_t> more;
    put32(more, 8 + 5), put32(more, 5);
    more.insert(more.end(), {1, 2, 3, 4, 5}); // 5 bytes for 4 asked
    EXPECT_EQ(parse_reply(reply(1, VU_CMD_MIG_DATA_READ, more), VU_CMD_MIG_DATA_READ, req, &out),
              -EPROTO);
    std::vector<uint8_t> excess;
    put32(excess, 8 + 2), put32(excess, 2);
    excess.insert(excess.end(), {1, 2, 3, 4, 5}); // size 2 fits, 5 bytes carried for 4 asked
    EXPECT_EQ(parse_reply(reply(1, VU_CMD_MIG_DATA_READ, excess), VU_CMD_MIG_DATA_READ, req, &out),
              -EPROTO);
    std::vector<uint8_t> end;
    put32(end, 8), put32(end, 0); // the end of the data
    EXPECT_EQ(parse_reply(reply(1, VU_CMD_MIG_DATA_READ, end), VU_CMD_MIG_DATA_READ, req, &out), 0);
    EXPECT_EQ(out.data_len, 0u);

    EXPECT_EQ(parse_reply(reply(1, VU_CMD_MIG_DATA_WRITE, {}), VU_CMD_MIG_DATA_WRITE, req, &out),
              0);
    EXPECT_EQ(parse_reply(reply(1, VU_CMD_MIG_DATA_WRITE, {1}), VU_CMD_MIG_DATA_WRITE, req, &out),
              -EPROTO);
}

// migration_source seq 90-93: the stop-copy data ends with 8 bytes (BAR0,
// 0x7fffffff) and then size 0, each reply padded to the 1024 asked.
TEST(ClientParse, MigDataEndFromTheServerSample) {
    auto t = load_transcript("migration_source");
    vuc_reply_msg out{};
    ASSERT_EQ(
        parse_reply(by_seq(t, 91).bytes, VU_CMD_MIG_DATA_READ, payload(by_seq(t, 90).bytes), &out),
        0);
    ASSERT_EQ(out.data_len, 8u);
    EXPECT_EQ(out.data[0], 0xff);
    EXPECT_EQ(out.data[3], 0x7f);
    ASSERT_EQ(
        parse_reply(by_seq(t, 93).bytes, VU_CMD_MIG_DATA_READ, payload(by_seq(t, 92).bytes), &out),
        0);
    EXPECT_EQ(out.data_len, 0u);
}

// A GET MIG_DEVICE_STATE answer against the last state set: the reply
// bytes are hand-written (argsz 16, GET|MIG_DEVICE_STATE, state, data_fd 0).
TEST(ClientParse, MigReportedStateMustBeTheOneReached) {
    std::vector<uint8_t> req;
    put32(req, 16), put32(req, VU_DEVICE_FEATURE_GET | VU_FEATURE_MIG_DEVICE_STATE);
    auto reported = [&](uint32_t state) {
        std::vector<uint8_t> p = req;
        put32(p, state), put32(p, 0);
        vuc_reply_msg out{};
        // Kept alive: out.data points into it.
        const std::vector<uint8_t> bytes = reply(1, VU_CMD_DEVICE_FEATURE, p);
        EXPECT_EQ(parse_reply(bytes, VU_CMD_DEVICE_FEATURE, req, &out), 0);
        uint32_t got = 0;
        std::memcpy(&got, out.data, 4);
        return got;
    };
    // PRE_COPY set, the device says PRE_COPY (6): fine.
    EXPECT_EQ(vuc_mig_check_reported(VU_MIG_STATE_PRE_COPY, reported(6)), 0);
    // PRE_COPY set, the device says RESUMING (4): no arc leads there.
    EXPECT_EQ(vuc_mig_check_reported(VU_MIG_STATE_PRE_COPY, reported(4)), -EPROTO);
    // A device may fall into ERROR (0) from anywhere.
    EXPECT_EQ(vuc_mig_check_reported(VU_MIG_STATE_STOP_COPY, reported(0)), 0);
    // Nothing set yet (8: not known): any state VFIO has.
    EXPECT_EQ(vuc_mig_check_reported(8, reported(4)), 0);
    // 8 and 9 are no VFIO state, known or not.
    EXPECT_EQ(vuc_mig_check_reported(8, reported(8)), -EPROTO);
    EXPECT_EQ(vuc_mig_check_reported(VU_MIG_STATE_RUNNING, reported(9)), -EPROTO);
}

// linux/vfio.h's direct arcs, written out for a device without P2P that
// offers PRE_COPY (libvfio-user's server sample: flags 0x5).
TEST(ClientParse, MigrationArcsWithoutP2p) {
    const uint64_t f = VU_MIGRATION_STOP_COPY | VU_MIGRATION_PRE_COPY;
    const struct {
        uint32_t from, to;
        bool ok;
    } arcs[] = {
        {VU_MIG_STATE_RUNNING, VU_MIG_STATE_STOP, true},
        {VU_MIG_STATE_RUNNING, VU_MIG_STATE_PRE_COPY, true},
        {VU_MIG_STATE_RUNNING, VU_MIG_STATE_STOP_COPY, false}, // via STOP
        {VU_MIG_STATE_RUNNING, VU_MIG_STATE_RUNNING_P2P, false},
        {VU_MIG_STATE_STOP, VU_MIG_STATE_RUNNING, true},
        {VU_MIG_STATE_STOP, VU_MIG_STATE_STOP_COPY, true},
        {VU_MIG_STATE_STOP, VU_MIG_STATE_RESUMING, true},
        {VU_MIG_STATE_STOP, VU_MIG_STATE_PRE_COPY, false},
        {VU_MIG_STATE_STOP_COPY, VU_MIG_STATE_STOP, true},
        {VU_MIG_STATE_STOP_COPY, VU_MIG_STATE_PRE_COPY, false}, // migration_source seq 94
        {VU_MIG_STATE_RESUMING, VU_MIG_STATE_STOP, true},
        {VU_MIG_STATE_RESUMING, VU_MIG_STATE_RUNNING, false},
        {VU_MIG_STATE_PRE_COPY, VU_MIG_STATE_STOP_COPY, true},
        {VU_MIG_STATE_PRE_COPY, VU_MIG_STATE_RUNNING, true},
        {VU_MIG_STATE_PRE_COPY, VU_MIG_STATE_STOP, false},
        {VU_MIG_STATE_ERROR, VU_MIG_STATE_STOP, false},
        {VU_MIG_STATE_RUNNING, 8, false},
    };
    for (const auto &a : arcs)
        EXPECT_EQ(vuc_mig_arc_allowed(a.from, a.to, f), a.ok)
            << vuc_mig_state_name(a.from) << " -> " << vuc_mig_state_name(a.to);
    // Without PRE_COPY there is no PRE_COPY; without STOP_COPY no migration.
    EXPECT_FALSE(
        vuc_mig_arc_allowed(VU_MIG_STATE_RUNNING, VU_MIG_STATE_PRE_COPY, VU_MIGRATION_STOP_COPY));
    EXPECT_FALSE(vuc_mig_arc_allowed(VU_MIG_STATE_RUNNING, VU_MIG_STATE_STOP, 0));
}

// With P2P, RUNNING_P2P sits between RUNNING and STOP.
TEST(ClientParse, MigrationArcsWithP2p) {
    const uint64_t f = VU_MIGRATION_STOP_COPY | VU_MIGRATION_P2P | VU_MIGRATION_PRE_COPY;
    EXPECT_TRUE(vuc_mig_arc_allowed(VU_MIG_STATE_RUNNING, VU_MIG_STATE_RUNNING_P2P, f));
    EXPECT_FALSE(vuc_mig_arc_allowed(VU_MIG_STATE_RUNNING, VU_MIG_STATE_STOP, f));
    EXPECT_TRUE(vuc_mig_arc_allowed(VU_MIG_STATE_RUNNING_P2P, VU_MIG_STATE_STOP, f));
    EXPECT_TRUE(vuc_mig_arc_allowed(VU_MIG_STATE_STOP, VU_MIG_STATE_RUNNING_P2P, f));
    EXPECT_FALSE(vuc_mig_arc_allowed(VU_MIG_STATE_STOP, VU_MIG_STATE_RUNNING, f));
    EXPECT_TRUE(vuc_mig_arc_allowed(VU_MIG_STATE_PRE_COPY, VU_MIG_STATE_PRE_COPY_P2P, f));
    EXPECT_TRUE(vuc_mig_arc_allowed(VU_MIG_STATE_PRE_COPY_P2P, VU_MIG_STATE_STOP_COPY, f));
    EXPECT_TRUE(vuc_mig_arc_allowed(VU_MIG_STATE_RUNNING_P2P, VU_MIG_STATE_PRE_COPY_P2P, f));
    EXPECT_STREQ(vuc_mig_state_name(VU_MIG_STATE_PRE_COPY_P2P), "PRE_COPY_P2P");
    EXPECT_STREQ(vuc_mig_state_name(9), "?");
}

// Combination transitions (linux/vfio.h): as libvfio-user's server sample
// answers them in the recordings (migration_dest seq 4: RUNNING ->
// RESUMING accepted; migration_source seq 94: STOP_COPY -> PRE_COPY
// refused).
TEST(ClientParse, MigrationStatesReachable) {
    const uint64_t f = VU_MIGRATION_STOP_COPY | VU_MIGRATION_PRE_COPY;
    EXPECT_TRUE(vuc_mig_state_reachable(VU_MIG_STATE_RUNNING, VU_MIG_STATE_RESUMING, f));
    EXPECT_TRUE(vuc_mig_state_reachable(VU_MIG_STATE_RUNNING, VU_MIG_STATE_STOP_COPY, f));
    EXPECT_TRUE(vuc_mig_state_reachable(VU_MIG_STATE_RESUMING, VU_MIG_STATE_RUNNING, f));
    EXPECT_TRUE(vuc_mig_state_reachable(VU_MIG_STATE_RESUMING, VU_MIG_STATE_PRE_COPY, f));
    EXPECT_TRUE(vuc_mig_state_reachable(VU_MIG_STATE_PRE_COPY, VU_MIG_STATE_STOP, f));
    EXPECT_TRUE(vuc_mig_state_reachable(VU_MIG_STATE_STOP, VU_MIG_STATE_STOP, f));
    EXPECT_FALSE(vuc_mig_state_reachable(VU_MIG_STATE_STOP_COPY, VU_MIG_STATE_PRE_COPY, f));
    // STOP_COPY -> RESUMING would pass through nothing with side effects.
    EXPECT_TRUE(vuc_mig_state_reachable(VU_MIG_STATE_STOP_COPY, VU_MIG_STATE_RESUMING, f));
    EXPECT_FALSE(vuc_mig_state_reachable(VU_MIG_STATE_ERROR, VU_MIG_STATE_STOP, f));
    EXPECT_FALSE(vuc_mig_state_reachable(VU_MIG_STATE_RUNNING, VU_MIG_STATE_PRE_COPY,
                                         VU_MIGRATION_STOP_COPY));
    EXPECT_FALSE(vuc_mig_state_reachable(VU_MIG_STATE_RUNNING, VU_MIG_STATE_RUNNING_P2P, f));
}
