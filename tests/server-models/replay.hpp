// Replays the client side of a golden transcript against a live server and
// checks every server message field for field against the recorded one.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "raw_client.hpp"
#include "transcript.hpp"

namespace rcsim::test {

struct ReplayHooks {
    // Runs before the client sends recorded message m (tests add timing checks).
    std::function<void(const TranscriptMessage &m, RawSocket &main, RawSocket &twin)> before_send;
};

// Compares one received message with the recorded one: header fields, fd
// count, then payload bytes. Adds gtest failures naming seq and note.
void expect_same_message(const RawMessage &got, const TranscriptMessage &want);

// Sends every c2s message and receives/compares every s2c one, in order.
// main must be connected; twin is filled from the VERSION reply's fd.
// Before the client's recorded closes, checks that the server sends nothing
// the transcript does not have. Returns false after a fatal failure.
bool replay(const std::vector<TranscriptMessage> &msgs, RawSocket &main, RawSocket &twin,
            const ReplayHooks &hooks = {});

} // namespace rcsim::test
