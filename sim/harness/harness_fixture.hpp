// googletest fixture for CI regressions against RTL: SetUp elaborates the
// harness, starts the server (or connects to RCSIM_HARNESS_SOCKET / a socket
// the test names), enumerates; TearDown disconnects and stops the server,
// printing the failure report (with the server's output) if the test failed.
// SystemC elaborates once per process: run one test per process
// (gtest_discover_tests does), or fork per run with run_forker.
#pragma once

#include "harness.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace rcsim {

class HarnessFixture : public ::testing::Test {
  protected:
    // The server to start ("{socket}" or an appended --socket PATH).
    virtual std::vector<std::string> server_argv() const = 0;
    // Adjust the configuration before elaboration.
    virtual void configure(HarnessConfig &) {}
    // A socket to connect to instead of starting a server.
    virtual std::string socket_to_connect() const {
        const char *s = std::getenv("RCSIM_HARNESS_SOCKET");
        return s ? s : "";
    }

    void SetUp() override {
        HarnessConfig cfg;
        configure(cfg);
        std::string err;
        ASSERT_EQ(Harness::create(cfg, &h, &err), 0) << err;
        const std::string sock = socket_to_connect();
        const int rc = sock.empty() ? h->start_server(server_argv(), &err) : h->connect(sock, &err);
        ASSERT_EQ(rc, 0) << err << "\n" << h->failure_report();
        ASSERT_EQ(h->enumerate(&err), 0) << err << "\n" << h->failure_report();
    }

    void TearDown() override {
        if (!h)
            return;
        const bool failed = HasFailure();
        h->shutdown();
        if (failed)
            std::cerr << "---- harness failure report ----\n" << h->failure_report();
    }

    std::unique_ptr<Harness> h;
};

} // namespace rcsim
