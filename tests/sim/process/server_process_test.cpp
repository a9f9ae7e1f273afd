// Server processes: argv splitting, start failures with the server's own
// words, waiting for the listening socket, death detection, SIGTERM then
// SIGKILL, no zombies and no leaked descriptors. The helper program
// (test_helper.cpp) plays the server.
#include "command_line.hpp"
#include "server_process.hpp"
#include "sha256.hpp"
#include "unix_sockets.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace std::chrono_literals;
using rcsim::ExitStatus;
using rcsim::ServerProcess;

namespace {

std::vector<std::string> split_ok(const std::string &line) {
    std::vector<std::string> argv;
    std::string error;
    EXPECT_EQ(rcsim::split_command_line(line, &argv, &error), 0) << error;
    return argv;
}

int count_open_fds() {
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    while (struct dirent *e = readdir(d))
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

int connect_unix(const std::string &path) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    if (connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

} // namespace

TEST(CommandLine, SplitsLikeAShellWithoutExpansion) {
    using V = std::vector<std::string>;
    EXPECT_EQ(split_ok("srv  -a\t--b=1 \n"), (V{"srv", "-a", "--b=1"}));
    EXPECT_EQ(split_ok("srv 'two words' \"and \\\"more\\\"\""),
              (V{"srv", "two words", "and \"more\""}));
    EXPECT_EQ(split_ok("srv a\\ b c\\\\d"), (V{"srv", "a b", "c\\d"}));
    EXPECT_EQ(split_ok("srv '' \"\" x"), (V{"srv", "", "", "x"}));
    EXPECT_EQ(split_ok("srv 'it'\"'\"'s' $HOME *"), (V{"srv", "it's", "$HOME", "*"}));
    EXPECT_EQ(split_ok("srv '\\n' \"\\n\""), (V{"srv", "\\n", "\\n"}));
    EXPECT_EQ(split_ok("srv a\\\nb"), (V{"srv", "ab"}));
}

TEST(CommandLine, RejectsUnterminatedQuotesAndEmptyLines) {
    std::vector<std::string> argv;
    std::string error;
    EXPECT_EQ(rcsim::split_command_line("srv 'open", &argv, &error), -EINVAL);
    EXPECT_NE(error.find("unterminated single quote at offset 4"), std::string::npos) << error;
    EXPECT_EQ(rcsim::split_command_line("srv \"open", &argv, &error), -EINVAL);
    EXPECT_NE(error.find("unterminated double quote"), std::string::npos) << error;
    EXPECT_EQ(rcsim::split_command_line("srv \\", &argv, &error), -EINVAL);
    EXPECT_EQ(rcsim::split_command_line("   ", &argv, &error), -EINVAL);
}

TEST(ServerProcess, ArgvReachesTheProgramUnchanged) {
    std::vector<std::string> argv;
    std::string error;
    ASSERT_EQ(rcsim::split_command_line(std::string("'") + SIM_TEST_HELPER +
                                            "' print-args 'a b' c\\ d \"e\\\"f\" ''",
                                        &argv, &error),
              0);
    rcsim::ServerSpec spec;
    spec.argv = argv;
    std::unique_ptr<ServerProcess> sp;
    ASSERT_EQ(ServerProcess::start(spec, &sp, &error), 0) << error;
    ExitStatus st = simtest::wait_exit(*sp);
    EXPECT_EQ(st.kind, ExitStatus::Kind::Exited);
    EXPECT_EQ(sp->captured_output(), "[a b]\n[c d]\n[e\"f]\n[]\n");
}

TEST(ServerProcess, MissingProgramIsAClearError) {
    rcsim::ServerSpec spec;
    spec.argv = {"/nonexistent/rcsim-server", "-v"};
    std::unique_ptr<ServerProcess> sp;
    std::string error;
    EXPECT_EQ(ServerProcess::start(spec, &sp, &error), -ENOENT);
    EXPECT_NE(error.find("/nonexistent/rcsim-server"), std::string::npos) << error;
    EXPECT_EQ(sp, nullptr);
    spec.argv = {"no-such-program-rcsim"};
    EXPECT_EQ(ServerProcess::start(spec, &sp, &error), -ENOENT);
}

TEST(ServerProcess, WaitListeningSucceedsOnceTheSocketListens) {
    std::string path = simtest::temp_socket_path("listen");
    std::string error;
    auto sp = simtest::start_helper({"listen", path, "150"}, &error);
    ASSERT_NE(sp, nullptr) << error;
    ASSERT_EQ(sp->wait_listening(path, 10000ms, &error), 0) << error;
    EXPECT_EQ(rcsim::unix_socket_listening(path), 1);
    int fd = connect_unix(path);
    ASSERT_GE(fd, 0) << strerror(errno);
    pid_t peer = 0;
    EXPECT_EQ(rcsim::socket_peer_pid(fd, &peer), 0);
    EXPECT_EQ(peer, sp->pid());
    close(fd);
    ExitStatus st = sp->stop(5000ms);
    EXPECT_EQ(st.kind, ExitStatus::Kind::Signaled);
    EXPECT_EQ(st.signal, SIGTERM);
    unlink(path.c_str());
}

TEST(ServerProcess, SocketBoundByARelativeNameIsFound) {
    std::string dir = "/tmp";
    std::string name = "sim_relative_" + std::to_string(getpid()) + ".sock";
    std::string error;
    auto sp = simtest::start_helper({"listen-in", dir, name}, &error);
    ASSERT_NE(sp, nullptr) << error;
    EXPECT_EQ(sp->wait_listening(dir + "/" + name, 10000ms, &error), 0) << error;
    // The kernel shows the name as bound; only the owner's cwd resolves it.
    EXPECT_EQ(rcsim::unix_socket_listening(dir + "/" + name), 0);
    unlink((dir + "/" + name).c_str());
}

TEST(ServerProcess, RunsInTheGivenDirectory) {
    std::string name = "sim_cwd_" + std::to_string(getpid()) + ".sock";
    rcsim::ServerSpec spec;
    spec.argv = simtest::helper_argv({"listen", name});
    spec.cwd = "/tmp";
    std::unique_ptr<ServerProcess> sp;
    std::string error;
    ASSERT_EQ(ServerProcess::start(spec, &sp, &error), 0) << error;
    EXPECT_EQ(sp->wait_listening("/tmp/" + name, 10000ms, &error), 0) << error;
    unlink(("/tmp/" + name).c_str());

    spec.cwd = "/nonexistent-rcsim-dir";
    EXPECT_EQ(ServerProcess::start(spec, &sp, &error), -ENOENT);
    EXPECT_NE(error.find("in `/nonexistent-rcsim-dir`"), std::string::npos) << error;
}

TEST(ServerProcess, AnotherProcessListeningOnThePathDoesNotCount) {
    std::string path = simtest::temp_socket_path("stale");
    std::string error;
    auto other = simtest::start_helper({"listen", path}, &error);
    ASSERT_NE(other, nullptr) << error;
    ASSERT_EQ(other->wait_listening(path, 10000ms, &error), 0) << error;
    auto sp = simtest::start_helper({"block-read"}, &error);
    ASSERT_NE(sp, nullptr) << error;
    EXPECT_EQ(rcsim::unix_socket_listening(path), 1);
    EXPECT_EQ(rcsim::unix_socket_listening(path, sp->pid()), 0);
    EXPECT_EQ(sp->wait_listening(path, 200ms, &error), -ETIMEDOUT);
    unlink(path.c_str());
}

TEST(ServerProcess, ServerThatExitsEarlyFailsTheWaitWithItsStderr) {
    std::string path = simtest::temp_socket_path("early");
    std::string error;
    auto sp =
        simtest::start_helper({"exit-message", "3", "fatal: cannot open /dev/vfio/42"}, &error);
    ASSERT_NE(sp, nullptr) << error;
    auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(sp->wait_listening(path, 20000ms, &error), -ECHILD);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s); // early, not at the timeout
    EXPECT_NE(error.find("fatal: cannot open /dev/vfio/42"), std::string::npos) << error;
    EXPECT_NE(error.find("exited with status 3"), std::string::npos) << error;
    EXPECT_EQ(sp->poll_exit().code, 3);
}

TEST(ServerProcess, WaitListeningTimesOutOnASilentServer) {
    std::string path = simtest::temp_socket_path("never");
    std::string error;
    auto sp = simtest::start_helper({"block-read"}, &error);
    ASSERT_NE(sp, nullptr) << error;
    EXPECT_EQ(sp->wait_listening(path, 200ms, &error), -ETIMEDOUT);
    EXPECT_NE(error.find("not listening on " + path + " after 200 ms"), std::string::npos) << error;
    EXPECT_TRUE(sp->poll_exit().running());
}

TEST(ServerProcess, DeathIsSeenWithoutBlockingAndThroughThePidfd) {
    std::string error;
    auto sp = simtest::start_helper({"block-read"}, &error);
    ASSERT_NE(sp, nullptr) << error;
    EXPECT_TRUE(sp->poll_exit().running());
    // death_fd is -1 where pidfd_open is missing (old kernels, valgrind).
    struct pollfd p = {sp->death_fd(), POLLIN, 0};
    if (p.fd >= 0) {
        EXPECT_EQ(poll(&p, 1, 0), 0);
    }
    ASSERT_EQ(kill(sp->pid(), SIGKILL), 0);
    if (p.fd >= 0) {
        EXPECT_EQ(poll(&p, 1, 10000), 1);
    }
    ExitStatus st = simtest::wait_exit(*sp);
    EXPECT_EQ(st.kind, ExitStatus::Kind::Signaled);
    EXPECT_EQ(st.signal, SIGKILL);
    EXPECT_EQ(st.describe(), "killed by signal 9 (Killed)");
}

// A server that waits on its stdin (libvfio-user's null sample: "press enter
// to stop") must not see EOF at once: it gets a pipe held open while it runs.
TEST(ServerProcess, StdinStaysOpenWhileTheServerRuns) {
    std::string error;
    auto sp = simtest::start_helper({"exit-at-stdin-eof"}, &error);
    ASSERT_NE(sp, nullptr) << error;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_TRUE(sp->poll_exit().running()) << sp->poll_exit().describe();
    const ExitStatus st = sp->stop(std::chrono::milliseconds(2000));
    EXPECT_EQ(st.kind, ExitStatus::Kind::Signaled); // SIGTERM, not its own exit 3
    EXPECT_EQ(st.signal, SIGTERM);
}

TEST(ServerProcess, ServerIgnoringSigtermIsKilledAfterTheGrace) {
    std::string error;
    auto sp = simtest::start_helper({"ignore-term"}, &error);
    ASSERT_NE(sp, nullptr) << error;
    ASSERT_TRUE(simtest::wait_output(*sp, "ready"));
    pid_t pid = sp->pid();
    auto t0 = std::chrono::steady_clock::now();
    ExitStatus st = sp->stop(300ms);
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 300ms);
    EXPECT_EQ(st.kind, ExitStatus::Kind::Signaled);
    EXPECT_EQ(st.signal, SIGKILL);
    errno = 0;
    EXPECT_EQ(waitpid(pid, nullptr, WNOHANG), -1); // already reaped: no zombie left
    EXPECT_EQ(errno, ECHILD);
    EXPECT_EQ(sp->stop(300ms).signal, SIGKILL); // idempotent
}

TEST(ServerProcess, OutputGoesToTheGivenFile) {
    std::string path = "/tmp/sim_server_out_" + std::to_string(getpid()) + ".log";
    rcsim::ServerSpec spec;
    spec.argv = simtest::helper_argv({"exit-message", "0", "hello from stderr"});
    spec.output_path = path;
    std::unique_ptr<ServerProcess> sp;
    std::string error;
    ASSERT_EQ(ServerProcess::start(spec, &sp, &error), 0) << error;
    ExitStatus st = simtest::wait_exit(*sp);
    EXPECT_EQ(st.kind, ExitStatus::Kind::Exited);
    EXPECT_EQ(st.code, 0);
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    EXPECT_EQ(line, "hello from stderr");
    unlink(path.c_str());
}

TEST(ServerProcess, StartAndStopLeakNoDescriptorsOrZombies) {
    int before = count_open_fds();
    std::vector<pid_t> pids;
    for (int i = 0; i < 5; ++i) {
        std::string error;
        auto sp = simtest::start_helper({"block-read"}, &error);
        ASSERT_NE(sp, nullptr) << error;
        pids.push_back(sp->pid());
    } // destructors stop and reap
    EXPECT_EQ(count_open_fds(), before);
    for (pid_t pid : pids) {
        errno = 0;
        EXPECT_EQ(waitpid(pid, nullptr, WNOHANG), -1);
        EXPECT_EQ(errno, ECHILD);
    }
}

TEST(ServerProcess, BinaryHashIsTheFileHash) {
    std::string resolved;
    ASSERT_EQ(rcsim::resolve_executable("sh", &resolved), 0);
    EXPECT_EQ(resolved.front(), '/');
    std::string a, b;
    ASSERT_EQ(rcsim::sha256_file_hex(SIM_TEST_HELPER, &a), 0);
    EXPECT_EQ(a.size(), 64u);
    ASSERT_EQ(rcsim::sha256_file_hex(resolved, &b), 0);
    EXPECT_NE(a, b);
}

TEST(PeerCred, SocketpairPeerIsThisProcess) {
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    pid_t pid = 0;
    EXPECT_EQ(rcsim::socket_peer_pid(sv[0], &pid), 0);
    EXPECT_EQ(pid, getpid());
    close(sv[0]);
    close(sv[1]);
    int lone = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(lone, 0);
    EXPECT_EQ(rcsim::socket_peer_pid(lone, &pid), -ENOTCONN);
    close(lone);
    int pipefd[2];
    ASSERT_EQ(pipe(pipefd), 0);
    EXPECT_EQ(rcsim::socket_peer_pid(pipefd[0], &pid), -ENOTSOCK);
    close(pipefd[0]);
    close(pipefd[1]);
}
