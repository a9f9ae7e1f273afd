// The test helper ServerProcess itself: ready() must mean the server listens,
// not only that its socket file exists (bind() creates the file, listen()
// comes after, and a connect() in between gets ECONNREFUSED).
#include <gtest/gtest.h>

#include <string>

#include "raw_client.hpp"
#include "server_process.hpp"

using namespace rcsim::test;

TEST(ServerProcessHelper, ReadyWaitsForListenNotForTheSocketFile) {
    // 300 ms between bind() and listen(): far longer than the helper's poll.
    ServerProcess s({RCSIM_LATE_LISTENER, "{sock}", "300"});
    ASSERT_TRUE(s.ready()) << s.error();
    RawSocket c;
    std::string err;
    EXPECT_TRUE(c.connect_to(s.socket_path(), &err)) << err;
    EXPECT_TRUE(s.alive());
}

TEST(ServerProcessHelper, NotReadyWhenTheServerExitsBeforeListening) {
    // A bad DELAY_MS argument count makes it exit with 2 before binding.
    ServerProcess s({RCSIM_LATE_LISTENER, "{sock}"});
    EXPECT_FALSE(s.ready());
    EXPECT_NE(s.error().find("exited before listening"), std::string::npos) << s.error();
}
