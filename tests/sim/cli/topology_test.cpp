// `rcsim topology FILE` (issue 20): real servers started, their BARs read,
// the enumeration plan printed; a failing server, a plan that does not fit
// and a file that does not parse. Expected text is written by hand from
// sim/topology/README.md's rules and the models' BARs in
// server-models/README.md (regs: BAR0 4 KiB 32-bit memory; dmacopy: BAR0
// 4 KiB 32-bit, BAR2 4 KiB 64-bit non-prefetchable; wide: BAR0 4 KiB 32-bit,
// BAR2 4 GiB 64-bit prefetchable, a 2 KiB ROM; gpio: BAR2 256 bytes I/O).
#include "run_command.hpp"
#include "test_files.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <dirent.h>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

using rcsim::test::CommandResult;
using rcsim::test::contains;
using rcsim::test::entries_named;
using rcsim::test::processes_mentioning;
using rcsim::test::run_command;
using rcsim::test::TempDir;

const std::string kRcsim = RCSIM_PATH;
const std::string kModels = RCSIM_SERVER_MODELS_DIR;
const std::string kHostileServer = HOSTILE_SERVER;

// rcsim with TMPDIR in `dir`: its socket directories land there, and every
// server's command line names them.
CommandResult run_topology(const TempDir &dir, const std::vector<std::string> &args,
                           double *seconds = nullptr) {
    std::vector<std::string> argv = {"/usr/bin/env", "TMPDIR=" + dir.path, kRcsim, "topology"};
    argv.insert(argv.end(), args.begin(), args.end());
    const auto t0 = std::chrono::steady_clock::now();
    CommandResult r = run_command(argv, 10000);
    if (seconds)
        *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
}

void expect_all_reaped(const TempDir &dir) {
    EXPECT_EQ(processes_mentioning(dir.path + "/rcsim-topology-"), std::vector<std::string>{});
    EXPECT_EQ(entries_named(dir.path, "rcsim-topology-"), std::vector<std::string>{});
}

std::string server(const std::string &model) {
    return rcsim::test::quoted_model(kModels, model);
}

TEST(Topology, TwoRootPortsAndASwitch) {
    TempDir dir;
    const std::string file =
        dir.write("t.topo", "# two devices on two root ports, one behind a switch\n"
                            "root-port rp1\n"
                            "root-port rp2\n"
                            "root-port rp3\n"
                            "switch sw0 on rp3 ports 2\n"
                            "device nic on rp1 server " +
                                server("dmacopy") +
                                "\n"
                                "device nvme on rp2 server " +
                                server("regs") +
                                "\n"
                                "device d0 on sw0.1 server " +
                                server("regs") + "\n");
    double seconds = 0;
    const CommandResult r = run_topology(dir, {file}, &seconds);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const std::string srv = "server \"" + kModels + "/";
    const std::string expected =
        "-[0000:00]-+-01.0-[01]----00.0  nic\n"
        "           +-02.0-[02]----00.0  nvme\n"
        "           \\-03.0-[03-06]----00.0-[04-06]--+-01.0-[05]--\n"
        "                                           \\-02.0-[06]----00.0  d0\n"
        "\n"
        "00:01.0 root port rp1\n"
        "\tBus: primary=00, secondary=01, subordinate=01\n"
        "\tI/O behind bridge: [disabled]\n"
        "\tMemory behind bridge: e0000000-e00fffff [size=1M]\n"
        "\tPrefetchable memory behind bridge: [disabled]\n"
        "00:02.0 root port rp2\n"
        "\tBus: primary=00, secondary=02, subordinate=02\n"
        "\tI/O behind bridge: [disabled]\n"
        "\tMemory behind bridge: e0100000-e01fffff [size=1M]\n"
        "\tPrefetchable memory behind bridge: [disabled]\n"
        "00:03.0 root port rp3\n"
        "\tBus: primary=00, secondary=03, subordinate=06\n"
        "\tI/O behind bridge: [disabled]\n"
        "\tMemory behind bridge: e0200000-e02fffff [size=1M]\n"
        "\tPrefetchable memory behind bridge: [disabled]\n"
        "01:00.0 device nic: " +
        srv +
        "dmacopy\"\n"
        "\tRegion 0: Memory at e0000000 (32-bit, non-prefetchable) [size=4K]\n"
        "\tRegion 2: Memory at e0001000 (64-bit, non-prefetchable) [size=4K]\n"
        "02:00.0 device nvme: " +
        srv +
        "regs\"\n"
        "\tRegion 0: Memory at e0100000 (32-bit, non-prefetchable) [size=4K]\n"
        "03:00.0 switch upstream port sw0\n"
        "\tBus: primary=03, secondary=04, subordinate=06\n"
        "\tI/O behind bridge: [disabled]\n"
        "\tMemory behind bridge: e0200000-e02fffff [size=1M]\n"
        "\tPrefetchable memory behind bridge: [disabled]\n"
        "04:01.0 switch downstream port sw0.0\n"
        "\tBus: primary=04, secondary=05, subordinate=05\n"
        "\tI/O behind bridge: [disabled]\n"
        "\tMemory behind bridge: [disabled]\n"
        "\tPrefetchable memory behind bridge: [disabled]\n"
        "04:02.0 switch downstream port sw0.1\n"
        "\tBus: primary=04, secondary=06, subordinate=06\n"
        "\tI/O behind bridge: [disabled]\n"
        "\tMemory behind bridge: e0200000-e02fffff [size=1M]\n"
        "\tPrefetchable memory behind bridge: [disabled]\n"
        "06:00.0 device d0: " +
        srv +
        "regs\"\n"
        "\tRegion 0: Memory at e0200000 (32-bit, non-prefetchable) [size=4K]\n";
    EXPECT_EQ(r.out, expected);
    EXPECT_LT(seconds, 2.0);
    expect_all_reaped(dir);
}

// Every kind of BAR: gpio's BAR2 is I/O (256 bytes; its other BAR
// registers read 1 but their regions are empty), wide's BAR0 32-bit memory,
// BAR2 64-bit prefetchable (4 GiB) and a 2 KiB ROM (after BAR0: the larger
// alignment first).
TEST(Topology, EveryKindOfBar) {
    TempDir dir;
    const std::string file = dir.write("t.topo", "root-port rp1\nroot-port rp2\n"
                                                 "device g on rp1 server " +
                                                     server("gpio") +
                                                     "\n"
                                                     "device w on rp2 server " +
                                                     server("wide") + "\n");
    const CommandResult r = run_topology(dir, {file});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const std::string srv = "server \"" + kModels + "/";
    EXPECT_EQ(r.out, "-[0000:00]-+-01.0-[01]----00.0  g\n"
                     "           \\-02.0-[02]----00.0  w\n"
                     "\n"
                     "00:01.0 root port rp1\n"
                     "\tBus: primary=00, secondary=01, subordinate=01\n"
                     "\tI/O behind bridge: 00001000-00001fff [size=4K]\n"
                     "\tMemory behind bridge: [disabled]\n"
                     "\tPrefetchable memory behind bridge: [disabled]\n"
                     "00:02.0 root port rp2\n"
                     "\tBus: primary=00, secondary=02, subordinate=02\n"
                     "\tI/O behind bridge: [disabled]\n"
                     "\tMemory behind bridge: e0000000-e00fffff [size=1M]\n"
                     "\tPrefetchable memory behind bridge: "
                     "0000000800000000-00000008ffffffff [size=4G]\n"
                     "01:00.0 device g: " +
                         srv +
                         "gpio\"\n"
                         "\tRegion 2: I/O ports at 1000 [size=256]\n"
                         "02:00.0 device w: " +
                         srv +
                         "wide\"\n"
                         "\tRegion 0: Memory at e0000000 (32-bit, non-prefetchable) [size=4K]\n"
                         "\tRegion 2: Memory at 800000000 (64-bit, prefetchable) [size=4G]\n"
                         "\tExpansion ROM at e0001000 [size=2K]\n");
    expect_all_reaped(dir);
}

// Three devices, the middle one's server as `bad`: exit 1 naming it, the
// two good servers stopped and reaped, promptly.
CommandResult run_with_bad_server(const TempDir &dir, const std::string &bad,
                                  const std::vector<std::string> &options = {}) {
    const std::string file = dir.write("t.topo", "root-port rp1\nroot-port rp2\nroot-port rp3\n"
                                                 "device a on rp1 server " +
                                                     server("regs") +
                                                     "\n"
                                                     "device b on rp2 server \"" +
                                                     bad +
                                                     "\"\n"
                                                     "device c on rp3 server " +
                                                     server("dmacopy") + "\n");
    std::vector<std::string> args = options;
    args.push_back(file);
    double seconds = 0;
    CommandResult r = run_topology(dir, args, &seconds);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_TRUE(contains(r.err, "rcsim topology: device 'b': ")) << r.err;
    EXPECT_LT(seconds, 2.0);
    expect_all_reaped(dir);
    return r;
}

TEST(Topology, MissingServerNamesTheDevice) {
    TempDir dir;
    const CommandResult r = run_with_bad_server(dir, "/no/such/server");
    EXPECT_TRUE(contains(r.err, "/no/such/server")) << r.err;
    EXPECT_TRUE(contains(r.err, "No such file or directory")) << r.err;
}

TEST(Topology, ServerExitingAtOnceNamesTheDevice) {
    TempDir dir;
    const CommandResult r = run_with_bad_server(dir, "/bin/false");
    EXPECT_TRUE(contains(r.err, "server exited before listening")) << r.err;
    EXPECT_TRUE(contains(r.err, "exited with status 1")) << r.err;
}

TEST(Topology, ServerNeverListeningTimesOut) {
    TempDir dir;
    const CommandResult r =
        run_with_bad_server(dir, "/bin/sh -c 'exec sleep 30' {socket}", {"--timeout-ms", "200"});
    EXPECT_TRUE(contains(r.err, "not listening on")) << r.err;
    EXPECT_TRUE(contains(r.err, "after 200 ms")) << r.err;
}

// Servers that listen and then break the protocol (tests/hostile/): each
// names its device, nothing hangs (the stalls end at --timeout-ms), the
// good servers are reaped.
TEST(Topology, HostileServerNamesTheDevice) {
    const struct {
        const char *mode, *says;
    } cases[] = {
        {"version-crash", "cannot connect to"},
        {"version-eof", "cannot connect to"},
        {"info-stall", "DEVICE_GET_INFO failed: Connection timed out"},
        {"region-eof", "DEVICE_GET_REGION_INFO of region 0 failed"},
        {"region-errno0", "DEVICE_GET_REGION_INFO of region 0 failed"},
    };
    for (const auto &c : cases) {
        SCOPED_TRACE(c.mode);
        TempDir dir;
        const CommandResult r = run_with_bad_server(
            dir, kHostileServer + " --mode " + c.mode + " --in-place --socket {socket}",
            {"--timeout-ms", "200"});
        EXPECT_TRUE(contains(r.err, c.says)) << r.err;
    }
}

// The prefetchable range is 32 GiB at 0x8_0000_0000 and every wide has a
// 4 GiB prefetchable BAR2. rp8 holds two of them behind a switch (8 GiB),
// so it is placed first (larger size, same 4 GiB alignment), then rp1..rp6
// at 0xa, 0xb, .., 0xf_0000_0000; rp7 finds nothing left at 0x10_0000_0000.
TEST(Topology, BarThatDoesNotFitNamesTheDevice) {
    TempDir dir;
    std::string text;
    for (int i = 1; i <= 8; ++i)
        text += "root-port rp" + std::to_string(i) + "\n";
    text += "switch sw on rp8 ports 2\n";
    for (int i = 1; i <= 7; ++i)
        text += "device w" + std::to_string(i) + " on rp" + std::to_string(i) + " server " +
                server("wide") + "\n";
    text += "device w8 on sw.0 server " + server("wide") + "\n";
    text += "device w9 on sw.1 server " + server("wide") + "\n";
    const std::string file = dir.write("t.topo", text);
    double seconds = 0;
    const CommandResult r = run_topology(dir, {file}, &seconds);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "rcsim topology: device 'w7' does not fit: the prefetchable window of root "
                     "port 'rp7' needs 0x100000000 bytes aligned to 0x100000000 (largest below: "
                     "BAR 2, mem64 prefetchable, 0x100000000 bytes), 0x0 bytes are left from "
                     "0x1000000000 in the prefetchable range 0x800000000-0xfffffffff\n");
    EXPECT_LT(seconds, 2.0);
    expect_all_reaped(dir);
}

TEST(Topology, ParseErrorGivesFileAndLine) {
    TempDir dir;
    const std::string file =
        dir.write("t.topo", "root-port rp1\ndevice a on rp9 server " + server("regs") + "\n");
    const CommandResult r = run_topology(dir, {file});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.out, "");
    EXPECT_TRUE(contains(r.err, file + ":2:13: unknown parent 'rp9'")) << r.err;
    expect_all_reaped(dir);
}

TEST(Topology, UsageErrors) {
    TempDir dir;
    CommandResult r = run_topology(dir, {"--help"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_TRUE(contains(r.out, "usage: rcsim topology [--timeout-ms N] FILE")) << r.out;
    r = run_topology(dir, {});
    EXPECT_EQ(r.exit_code, 2);
    r = run_topology(dir, {"--timeout-ms", "0", "x.topo"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, "--timeout-ms needs 1..600000, not '0'")) << r.err;
    r = run_topology(dir, {dir.path + "/missing.topo"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, "cannot read " + dir.path + "/missing.topo")) << r.err;
    r = run_topology(dir, {dir.path});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, "cannot read " + dir.path + ": not a regular file")) << r.err;
}

} // namespace
