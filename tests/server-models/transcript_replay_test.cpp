// Replays the client side of each libvfio-user transcript against our models
// (gpio for gpio.jsonl, dmaprobe for the DMA ones) and requires the recorded
// server messages, field for field: ids, commands, flags, errnos, payloads,
// the VERSION JSON byte for byte (json-c's spacing included) and the fd
// count. There are no deliberate differences in these replays; see
// tests/server-models/README.md for what is compared beyond the bytes.
#include <gtest/gtest.h>

#include "replay.hpp"
#include "server_process.hpp"

using namespace rcsim::test;

namespace {

struct Session {
    ServerProcess server;
    RawSocket main, twin;

    explicit Session(std::vector<std::string> argv) : server(std::move(argv)) {}

    bool connect() {
        std::string err;
        if (!server.ready()) {
            ADD_FAILURE() << server.error();
            return false;
        }
        if (!main.connect_to(server.socket_path(), &err)) {
            ADD_FAILURE() << err;
            return false;
        }
        return true;
    }
};

std::string model(const char *name) {
    return server_models_dir() + "/" + name;
}

const TranscriptMessage &at_seq(const std::vector<TranscriptMessage> &t, unsigned seq) {
    return t.at(seq);
}

} // namespace

TEST(ServerTranscript, GpioModelAnswersAsTheGpioSample) {
    Session s({model("gpio")});
    ASSERT_TRUE(s.connect());
    auto t = load_transcript("gpio");
    ASSERT_TRUE(replay(t, s.main, s.twin));

    // The server accepts the next client once this one has gone.
    RawSocket again;
    std::string err;
    ASSERT_TRUE(again.connect_to(s.server.socket_path(), &err)) << err;
    ASSERT_TRUE(again.send_bytes(at_seq(t, 0).bytes));
    auto reply = again.recv_message(3000);
    ASSERT_TRUE(reply);
    expect_same_message(*reply, at_seq(t, 1));
    for (int fd : reply->fds)
        close(fd);
}

TEST(ServerTranscript, DmaprobeDmaOnTwinSocket) {
    Session s({model("dmaprobe")});
    ASSERT_TRUE(s.connect());
    ASSERT_TRUE(replay(load_transcript("dma_twin"), s.main, s.twin));
}

TEST(ServerTranscript, DmaprobeDmaOnMainSocketForClientWithoutTwin) {
    Session s({model("dmaprobe")});
    ASSERT_TRUE(s.connect());
    ASSERT_TRUE(replay(load_transcript("dma_legacy"), s.main, s.twin));
}

TEST(ServerTranscript, DmaprobeLegacyModeServesDmaLegacy) {
    Session s({model("dmaprobe"), "--legacy-socket"});
    ASSERT_TRUE(s.connect());
    ASSERT_TRUE(replay(load_transcript("dma_legacy"), s.main, s.twin));
}

// With the twin socket the client's REGION_READ simply waits: nothing comes
// back on main until the DMA chunks are served (race_twin.jsonl).
TEST(ServerTranscript, DmaprobeRaceWithTwinSocketWaits) {
    Session s({model("dmaprobe")});
    ASSERT_TRUE(s.connect());
    ReplayHooks hooks;
    hooks.before_send = [](const TranscriptMessage &m, RawSocket &main, RawSocket &) {
        if (m.seq == 11) { // the late answer to DMA_READ id 1
            EXPECT_TRUE(main.quiet_for(500)) << "main socket must stay silent during the DMA";
        }
    };
    ASSERT_TRUE(replay(load_transcript("race_twin"), s.main, s.twin, hooks));
}

// The bug under study: legacy mode swallows the REGION_READ, fails the DMA
// with EPROTO, and misparses the late DMA reply as 34 bogus headers, exactly
// as race279.jsonl records; the same process then serves the next client
// (race279_next_client.jsonl) with DMA msg_ids continuing at 2.
class ServerTranscriptLegacy : public ::testing::TestWithParam<const char *> {};

TEST_P(ServerTranscriptLegacy, DmaprobeLegacyRace279AndNextClient) {
    // --legacy-socket and --dma-mode legacy are the same thing.
    std::vector<std::string> argv = {model("dmaprobe")};
    if (std::string(GetParam()) == "dma-mode")
        argv.insert(argv.end(), {"--dma-mode", "legacy"});
    else
        argv.push_back("--legacy-socket");
    Session s(argv);
    ASSERT_TRUE(s.connect());
    ReplayHooks hooks;
    hooks.before_send = [](const TranscriptMessage &m, RawSocket &main, RawSocket &) {
        if (m.seq == 13) { // by now the doorbell reply and the EINVAL for "id 24" are in
            EXPECT_TRUE(main.quiet_for(300)) << "the swallowed REGION_READ id 6 got an answer";
        }
    };
    ASSERT_TRUE(replay(load_transcript("race279"), s.main, s.twin, hooks));

    RawSocket main2, twin2;
    std::string err;
    ASSERT_TRUE(main2.connect_to(s.server.socket_path(), &err)) << err;
    ASSERT_TRUE(replay(load_transcript("race279_next_client"), main2, twin2));
}

INSTANTIATE_TEST_SUITE_P(Flags, ServerTranscriptLegacy,
                         ::testing::Values("legacy-socket", "dma-mode"));

// A legacy server answers a client that asks for the twin socket exactly as
// libvfio-user answers one that does not: no twin_socket, no fd. So do the
// queue and async modes (dmacopy offers the same capabilities as dmaprobe).
TEST(ServerTranscript, LegacyQueueAndAsyncModesRefuseTwinSocket) {
    const std::vector<std::vector<std::string>> servers = {
        {model("dmaprobe"), "--legacy-socket"},
        {model("dmaprobe"), "--dma-mode", "queue"},
        {model("dmacopy"), "--dma-mode", "queue"},
        {model("dmacopy"), "--dma-mode", "async"},
    };
    for (const auto &argv : servers) {
        SCOPED_TRACE(argv.back());
        Session s(argv);
        ASSERT_TRUE(s.connect());
        auto twin_req = load_transcript("dma_twin").at(0);
        auto legacy_reply = load_transcript("race279").at(1);
        ASSERT_TRUE(s.main.send_bytes(twin_req.bytes));
        auto reply = s.main.recv_message(3000);
        ASSERT_TRUE(reply);
        expect_same_message(*reply, legacy_reply);
    }
}
