// A vfio-user server as a child process of the harness: started from a
// command line (split like a shell would, without a shell), its stdout and
// stderr captured together to a per-run file (or an anonymous memfd), watched
// for death without blocking, and always stopped and reaped: SIGTERM, then
// SIGKILL after a grace period. The child gets PR_SET_PDEATHSIG(SIGKILL) so a
// harness killed at its time limit does not leave a server behind; note that
// Linux ties that signal to the *thread* that started the server, so start it
// from a thread that outlives it.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <sys/types.h>
#include <vector>

namespace rcsim {

struct ExitStatus {
    enum class Kind { Running, Exited, Signaled };
    Kind kind = Kind::Running;
    int code = 0;   // exit code when Exited
    int signal = 0; // signal number when Signaled

    bool running() const { return kind == Kind::Running; }
    std::string
    describe() const; // "running", "exited with status 3", "killed by signal 9 (Killed)"
};

struct ServerSpec {
    std::vector<std::string> argv; // argv[0] is resolved with resolve_executable
    std::string output_path;       // empty: capture into an anonymous memfd
    std::string cwd;               // empty: the harness's working directory
    // A descriptor the server inherits (the harness's idle announcement
    // page), -1: none; the environment without the variables `env_drop`
    // names and with the NAME=VALUE entries of `env_add`.
    int pass_fd = -1;
    std::vector<std::string> env_drop, env_add;
};

class ServerProcess {
  public:
    // Starts the server. Returns 0 or a negative errno with `error` set
    // (e.g. -ENOENT for a missing binary, with the path in the message).
    static int start(const ServerSpec &spec, std::unique_ptr<ServerProcess> *out,
                     std::string *error);
    ~ServerProcess(); // stops and reaps if still running

    ServerProcess(const ServerProcess &) = delete;
    ServerProcess &operator=(const ServerProcess &) = delete;

    pid_t pid() const { return pid_; }
    const std::string &executable() const { return executable_; }
    const std::vector<std::string> &argv() const { return argv_; }
    // A pidfd that polls readable when the server exits, or -1 where the
    // kernel has none; owned by this object.
    int death_fd() const { return pidfd_; }

    // Non-blocking: reaps the server if it has exited.
    ExitStatus poll_exit();
    // Waits up to `timeout` for the server to exit on its own (no signal),
    // then reaps it if it did: a server whose connection just broke is
    // usually still dying, and a report should say how it ended.
    ExitStatus wait_exit(std::chrono::milliseconds timeout);

    // Waits until `socket_path` is a listening UNIX socket, as the kernel's
    // /proc/net/unix shows, without connecting (a libvfio-user server takes
    // the first connection as its one client). Fails early with -ECHILD if
    // the server exits (its status and output in `error`), -ETIMEDOUT after
    // `timeout`.
    int wait_listening(const std::string &socket_path, std::chrono::milliseconds timeout,
                       std::string *error);

    // SIGTERM, SIGKILL after `grace`, then reap. Idempotent.
    ExitStatus stop(std::chrono::milliseconds grace = std::chrono::milliseconds(2000));

    // Everything the server wrote to stdout and stderr so far, capped at
    // `max_bytes` (the tail is kept: the last words explain a failure).
    std::string captured_output(size_t max_bytes = 64 * 1024) const;

    // "server `prog a b` (pid N) exited with status 1; its output:\n..." for
    // failure reports.
    std::string failure_report(const std::string &what) const;

  private:
    ServerProcess() = default;
    void signal_all(int sig) const;

    pid_t pid_ = -1;
    int pidfd_ = -1;
    int output_fd_ = -1;
    int input_fd_ = -1; // the write end of the server's stdin: held, never written
    ExitStatus status_;
    std::string executable_;
    std::vector<std::string> argv_;
};

} // namespace rcsim
