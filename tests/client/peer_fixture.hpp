// A client connected over a socketpair to a scripted peer that plays the
// server. The peer runs either inline (non-blocking core tests) or in a
// thread (blocking calls). TearDown checks that no fd leaked.
#pragma once

#include <gtest/gtest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "fake_peer.hpp"
#include "vfio_user/client.h"

namespace rcsim::test {

inline const char *kJsonTwin = "{ \"capabilities\": { \"max_msg_fds\": 8, \"max_data_xfer_size\": "
                               "1048576, \"twin_socket\": { \"supported\": true, \"fd_index\": 0 "
                               "} } }";
inline const char *kJsonLegacy =
    "{ \"capabilities\": { \"max_msg_fds\": 8, \"max_data_xfer_size\": 1048576 } }";

class PeerTest : public ::testing::Test {
  protected:
    vuc_ctx *ctx = nullptr;
    int peer = -1; // server end of the main socket
    int twin = -1; // server end of the twin socket, once handed over
    std::thread script;

    void SetUp() override { fds_before_ = open_fds(); }
    void TearDown() override {
        join();
        if (ctx)
            vuc_destroy(ctx);
        ctx = nullptr;
        for (int *fd : {&peer, &twin}) {
            if (*fd >= 0)
                close(*fd);
            *fd = -1;
        }
        EXPECT_EQ(open_fds(), fds_before_) << "fds leaked";
    }

    void connect(const vuc_options *o = nullptr) {
        int sp[2];
        ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
        vuc_options def;
        vuc_options_init(&def);
        def.timeout_ms = kPeerTimeoutMs;
        ctx = vuc_create(o ? o : &def);
        ASSERT_NE(ctx, nullptr);
        ASSERT_EQ(vuc_attach_fd(ctx, sp[0]), 0);
        peer = sp[1];
    }

    // Runs f(peer) in a thread while the test thread makes blocking calls.
    void serve(std::function<void()> f) {
        join();
        script = std::thread(std::move(f));
    }
    void join() {
        if (script.joinable())
            script.join();
    }

    // Reads the next client message on fd and checks its command.
    WireMsg expect_cmd(int fd, uint16_t cmd) {
        WireMsg m = recv_msg(fd);
        EXPECT_FALSE(m.eof || m.timeout) << "waiting for command " << cmd;
        if (!m.eof && !m.timeout) {
            EXPECT_EQ(m.cmd(), cmd);
        }
        return m;
    }

    // VERSION answered with json; with_twin hands over a fresh socketpair end.
    int negotiate_with(const std::string &json, bool with_twin) {
        serve([this, json, with_twin] {
            WireMsg m = expect_cmd(peer, VU_CMD_VERSION);
            std::vector<int> fds;
            int sp[2] = {-1, -1};
            if (with_twin) {
                ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
                fds.push_back(sp[1]);
                twin = sp[0];
            }
            send_msg(peer, reply(m.msg_id(), VU_CMD_VERSION, version_payload(json)), fds);
            if (sp[1] >= 0)
                close(sp[1]);
        });
        int rc = vuc_negotiate(ctx);
        join();
        return rc;
    }
    void negotiate_twin() { ASSERT_EQ(negotiate_with(kJsonTwin, true), 0); }
    void negotiate_legacy() { ASSERT_EQ(negotiate_with(kJsonLegacy, false), 0); }

    // Steps until an event comes (bounded); false on none.
    bool next_event(vuc_event *ev, int max_ms = kPeerTimeoutMs) {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(max_ms);
        while (std::chrono::steady_clock::now() < deadline) {
            if (vuc_next_event(ctx, ev))
                return true;
            if (vuc_step(ctx, 20) < 0) // disconnected: only what is queued is left
                return vuc_next_event(ctx, ev) == 1;
        }
        return vuc_next_event(ctx, ev) == 1;
    }

  private:
    std::vector<int> fds_before_;
};

} // namespace rcsim::test
