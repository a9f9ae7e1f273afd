#include "replay.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

namespace rcsim::test {

void expect_same_message(const RawMessage &got, const TranscriptMessage &want) {
    vu_hdr g = got.hdr();
    std::string where = "seq " + std::to_string(want.seq) + " (" + want.note + ")";
    EXPECT_EQ(g.msg_id, want.msg_id()) << where;
    EXPECT_EQ(g.cmd, want.cmd()) << where;
    EXPECT_EQ(g.flags, want.flags()) << where;
    EXPECT_EQ(g.error_no, want.error_no()) << where;
    EXPECT_EQ(got.bytes.size(), want.bytes.size()) << where;
    EXPECT_EQ(got.fds.size(), want.fds) << where;
    EXPECT_EQ(hex(got.bytes, 1u << 20), hex(want.bytes, 1u << 20)) << where;
}

bool replay(const std::vector<TranscriptMessage> &msgs, RawSocket &main, RawSocket &twin,
            const ReplayHooks &hooks) {
    for (const auto &m : msgs) {
        RawSocket &s = m.sock == Sock::Main ? main : twin;
        if (m.dir == Dir::ClientToServer) {
            if (m.is_eof()) {
                // Nothing the recording lacks may still be on its way.
                EXPECT_TRUE(s.fd() < 0 || s.no_message_for(300))
                    << "unexpected server message before the client's close at seq " << m.seq;
                s.close();
                continue;
            }
            if (hooks.before_send)
                hooks.before_send(m, main, twin);
            if (s.fd() < 0 || !s.send_bytes(m.bytes)) {
                ADD_FAILURE() << "cannot send seq " << m.seq << " (" << m.note << ")";
                return false;
            }
            continue;
        }
        if (m.is_eof()) {
            EXPECT_TRUE(s.eof_within(2000)) << "server did not close at seq " << m.seq;
            continue;
        }
        auto got = s.recv_message(3000);
        if (!got) {
            ADD_FAILURE() << "no server message for seq " << m.seq << " (" << m.note << ")";
            return false;
        }
        expect_same_message(*got, m);
        if (m.fds == 1 && got->fds.size() == 1) {
            twin = RawSocket(got->fds[0]);
            got->fds.clear();
        }
        for (int fd : got->fds)
            ::close(fd);
    }
    return true;
}

} // namespace rcsim::test
