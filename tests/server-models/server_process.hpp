// A device server started for one test: its own temp dir and socket path,
// waited for until it listens, and always killed and reaped on destruction.
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

namespace rcsim::test {

// Directory holding the model executables (set by the build).
std::string server_models_dir();

class ServerProcess {
  public:
    // argv[0] is the program; "{sock}" in any argument becomes the socket path.
    // With no "{sock}" anywhere, "--socket PATH" is appended.
    explicit ServerProcess(std::vector<std::string> argv);
    ~ServerProcess();
    ServerProcess(const ServerProcess &) = delete;
    ServerProcess &operator=(const ServerProcess &) = delete;

    const std::string &socket_path() const { return sock_; }
    bool ready() const { return ready_; } // listen() was called on the socket
    bool alive();                         // still running (not exited)
    // SIGTERM, then SIGKILL after 2 s; waits for it. The log stays readable.
    void stop();
    // What the server wrote to stderr so far (empty when
    // RCSIM_SERVER_LOG_TO_STDERR sends it to the test's stderr instead).
    std::string log_text() const;
    const std::string &error() const { return error_; }

  private:
    std::string dir_;
    std::string sock_;
    pid_t pid_ = -1;
    bool ready_ = false;
    std::string error_;
};

} // namespace rcsim::test
