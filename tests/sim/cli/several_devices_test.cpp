// `rcsim run` with a topology (issue 20): the shipped peer-to-peer
// scenario, and the bad input of several devices: a topology that does not
// fit, a device name the topology lacks, a peer-to-peer access into a root
// port's window with nothing behind it, and a server of the set dying mid-run.
// Each ends with a clear error naming the device, every server reaped,
// nothing left in TMPDIR, no hang.
#include "run_command.hpp"
#include "test_files.hpp"

#include <gtest/gtest.h>

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
const std::string kScenarios = CLI_SCENARIOS_DIR;
const std::string kHostileServer = HOSTILE_SERVER;

// rcsim run with TMPDIR in `dir`: its socket directories land there.
CommandResult run_in(const TempDir &dir, const std::vector<std::string> &args) {
    std::vector<std::string> argv = {"/usr/bin/env", "TMPDIR=" + dir.path, kRcsim, "run"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, 30000);
}

void expect_all_reaped(const TempDir &dir) {
    EXPECT_EQ(processes_mentioning(dir.path + "/rcsim-harness-"), std::vector<std::string>{});
    EXPECT_EQ(entries_named(dir.path, "rcsim-harness-"), std::vector<std::string>{});
}

std::string server(const std::string &model) {
    return rcsim::test::quoted_model(kModels, model);
}

// Scenario lines for dmacopy's engine on `copier` copying 64 bytes from src
// to dst (one descriptor at 0x10000000: src, dst, length, flags 1 =
// interrupt, no completion record; ring base at BAR0 0x00/0x04, ring size
// 0x08, head 0x10 the doorbell: server-models/models/dmacopy/dmacopy.h),
// host memory 0x10000000+16 MiB and `peer` (an end outside it, if any)
// declared DMA windows so client and server let the DMA out, then the wait
// for its MSI-X.
std::string one_copy(const std::string &src, const std::string &dst, const std::string &peer = "") {
    std::string lines = "dma-window 0x10000000+0x1000000:rw:dma0\n";
    if (!peer.empty())
        lines += "dma-window " + peer + "+0x1000:rw:peer\n";
    lines += "write mem 0x10000000 8 " + src + "\n";
    lines += "write mem 0x10000008 8 " + dst + "\n";
    return lines + "write mem 0x10000010 4 64\n"
                   "write mem 0x10000014 4 1\n"
                   "write mem 0x10000018 8 0\n"
                   "write copier.bar0 0x00 4 0x10000000\n"
                   "write copier.bar0 0x04 4 0\n"
                   "write copier.bar0 0x08 4 16\n"
                   "write copier.bar0 0x10 4 1\n"
                   "wait-irq copier.msix 0 within 1000000\n";
}

// The shipped scenario: 256 bytes to the regs device's scratch and back
// (tests/scenarios/p2p_copy.rcs); the tree is the topology file's.
TEST(SeveralDevices, PeerToPeerScenarioPasses) {
    TempDir dir;
    const CommandResult r = run_in(dir, {"--scenario", kScenarios + "/p2p_copy.rcs"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, "rcsim: PASS " + kScenarios + "/p2p_copy.rcs (30 statements)"))
        << r.out;
    EXPECT_TRUE(contains(r.out, "  peer-to-peer: DMA 256 read from peers' BARs / 260 written to "
                                "them\n"))
        << r.out;
    EXPECT_TRUE(contains(r.out, "    -[0000:00]-+-01.0-[01]----00.0  copier\n"
                                "               \\-02.0-[02]----00.0  target\n"))
        << r.out;
    expect_all_reaped(dir);
}

// The 9-wide topology of cli.Topology.BarThatDoesNotFitNamesTheDevice: the
// harness plans with the BARs it sized through the RTL and refuses the
// same device, after starting every server; all of them are reaped.
TEST(SeveralDevices, TopologyThatDoesNotFitNamesTheDevice) {
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
    dir.write("t.topo", text);
    const std::string scenario = dir.write("t.rcs", "topology \"t.topo\"\ndelay 10\n");
    const CommandResult r = run_in(dir, {"--scenario", scenario});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(contains(r.err, "cannot start the topology: device 'w7' does not fit: the "
                                "prefetchable window of root port 'rp7' needs 0x100000000 bytes"))
        << r.err;
    expect_all_reaped(dir);
}

TEST(SeveralDevices, UnknownDeviceInATargetIsNamed) {
    TempDir dir;
    dir.write("t.topo", "root-port rp1\ndevice a on rp1 server " + server("regs") + "\n");
    const std::string scenario = dir.write("t.rcs", "topology \"t.topo\"\nread b.bar0 0 4\n");
    const CommandResult r = run_in(dir, {"--scenario", scenario});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.out + r.err, "no device 'b' in the topology")) << r.out << r.err;
    expect_all_reaped(dir);
}

// A peer-to-peer read of an address inside the target's root port window
// where the target has no BAR (0xe0180000: rp2's window is 1 MiB at
// 0xe0100000, the regs BAR0 its first 4 KiB), declared a DMA window so the
// server and the client let the DMA out: the fabric delivers it, the
// target's bridge claims no BAR and completes it UR, and the DMA fails:
// dmacopy's STATUS says ERROR with errno 14 (EFAULT, the errno the bridge
// gives a UR completion: sim/bridge/README.md) in bits 31:16.
TEST(SeveralDevices, PeerAccessToABarThatDoesNotExist) {
    TempDir dir;
    dir.write("t.topo", "root-port rp1\nroot-port rp2\ndevice copier on rp1 server " +
                            server("dmacopy") + "\ndevice target on rp2 server " + server("regs") +
                            "\n");
    // source: rp2's window, no BAR there
    const std::string scenario = dir.write(
        "t.rcs", "topology \"t.topo\"\n" + one_copy("0xe0180000", "0x10200000", "0xe0180000") +
                     "read copier.bar0 0x18 4 -> expect 0x000e0002 mask 0xffff0003\n");
    const CommandResult r = run_in(dir, {"--scenario", scenario});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, "rcsim: PASS")) << r.out;
    // The UR the target's bridge sent, and the DMA it failed.
    EXPECT_TRUE(contains(r.out, "  errors: UR 1, CA 0, DMA 1,")) << r.out;
    expect_all_reaped(dir);
}

// A peer-to-peer write the fabric drops: copier's engine copies 64 bytes
// to 0xe0080000, inside its own root port's window (rp1: 1 MiB at
// 0xe0000000) but outside its BARs. A request from below into the bridge's
// own window is UR (a Type 1 bridge forwards upstream only what lies
// outside its windows); a posted one gets no answer, so the harness, told
// of the drop, completes the DMA_WRITE as PCIe's sender sees it, and
// copier's STATUS (idle, no error) says nothing went wrong. The 64 bytes
// are lost: the run fails naming the write.
TEST(SeveralDevices, PeerWriteTheFabricDropsFailsTheRun) {
    TempDir dir;
    dir.write("t.topo", "root-port rp1\nroot-port rp2\ndevice copier on rp1 server " +
                            server("dmacopy") + "\ndevice target on rp2 server " + server("regs") +
                            "\n");
    // destination: rp1's window, no BAR there
    const std::string scenario = dir.write(
        "t.rcs", "topology \"t.topo\"\n" + one_copy("0x10200000", "0xe0080000", "0xe0080000") +
                     "read copier.bar0 0x18 4 -> expect 0x00000000 mask 0xffff0003\n");
    const CommandResult r = run_in(dir, {"--scenario", scenario});
    // Every statement held (STATUS: idle, no error): the verdict fails on
    // the drop alone, and no byte counts as written.
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, "rcsim: FAIL " + scenario + " (14 statements)")) << r.out;
    EXPECT_TRUE(contains(r.out, "/ 0 written to it")) << r.out;
    EXPECT_TRUE(contains(r.out, "  fabric: UR completions made 0, posted TLPs dropped 1, "
                                "completions dropped 0\n"))
        << r.out;
    EXPECT_TRUE(contains(r.out + r.err,
                         "fabric: 1 posted TLP claimed by no port dropped, its data lost: "
                         "MemWr32 from copier (01:00.0) to 0xe0080000, 16 DW\n"))
        << r.out << r.err;
    expect_all_reaped(dir);
}

// One DMA_WRITE split in two pieces by the 4 KiB line at 0xe0000000
// (MPS 256): the first, 0xdfffff00..0xdfffffff, below rp1's window, goes up
// to host memory; the second, 0xe0000000.., inside rp1's own window (its
// device's BAR0 even: the root complex knows windows, not BARs), is dropped
// as UR when the root complex takes it, while the first is still on its way
// to host memory. Both pieces complete (the device is told done): the
// first's 256 bytes land, the run fails naming the second.
TEST(SeveralDevices, APieceDroppedBehindAHostWriteStillCompletes) {
    TempDir dir;
    dir.write("t.topo", "root-port rp1\ndevice copier on rp1 server " + server("dmacopy") + "\n");
    const std::string scenario =
        dir.write("t.rcs", "topology \"t.topo\"\n"
                           "dma-window 0x10000000+0x1000000:rw:dma0\n"
                           "dma-window 0xdffff000+0x2000:rw:edge\n"
                           "fill 0x10200000 512 pattern random 5\n"
                           "write mem 0x10000000 8 0x10200000\n"
                           "write mem 0x10000008 8 0xdfffff00\n"
                           "write mem 0x10000010 4 512\n"
                           "write mem 0x10000014 4 1\n"
                           "write mem 0x10000018 8 0\n"
                           "write copier.bar0 0x00 4 0x10000000\n"
                           "write copier.bar0 0x04 4 0\n"
                           "write copier.bar0 0x08 4 16\n"
                           "write copier.bar0 0x10 4 1\n"
                           "wait-irq copier.msix 0 within 1000000\n"
                           "read copier.bar0 0x18 4 -> expect 0 mask 0xffff0003\n"
                           "expect-mem 0xdfffff00 256 pattern random 5\n");
    const CommandResult r = run_in(dir, {"--scenario", scenario});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, "rcsim: FAIL " + scenario + " (16 statements)")) << r.out;
    EXPECT_TRUE(contains(r.out, "/ 256 written to it")) << r.out;
    EXPECT_TRUE(contains(r.err, "every statement passed, but the harness reported problems"))
        << r.err;
    EXPECT_TRUE(contains(r.out + r.err,
                         "fabric: 1 posted TLP claimed by no port dropped, its data lost: "
                         "MemWr32 from copier (01:00.0) to 0xe0000000, 64 DW\n"))
        << r.out << r.err;
    EXPECT_FALSE(contains(r.out + r.err, "out of order")) << r.out << r.err;
    expect_all_reaped(dir);
}

// The lifecycle statements name their device: `reset b` (DEVICE_RESET to
// b's server) clears b's SCRATCH and leaves a's; `reset a flr` (a's Device
// Control, cfg 0x48 bit 15, through the fabric) clears a's and leaves b's.
// regs' reset callback clears SCRATCH (server-models/models/regs/regs.c).
TEST(SeveralDevices, LifecycleStatementsAddressTheNamedDevice) {
    TempDir dir;
    dir.write("t.topo", "root-port rp1\nroot-port rp2\ndevice a on rp1 server " + server("regs") +
                            "\ndevice b on rp2 server " + server("regs") + "\n");
    const std::string scenario = dir.write("t.rcs", "topology \"t.topo\"\n"
                                                    "write a.bar0 0x100 4 0x11111111\n"
                                                    "write b.bar0 0x100 4 0x22222222\n"
                                                    "reset b\n"
                                                    "read a.bar0 0x100 4 -> expect 0x11111111\n"
                                                    "read b.bar0 0x100 4 -> expect 0\n"
                                                    "write b.bar0 0x100 4 0x33333333\n"
                                                    "reset a flr\n"
                                                    "read a.bar0 0x100 4 -> expect 0\n"
                                                    "read b.bar0 0x100 4 -> expect 0x33333333\n"
                                                    "reset c\n");
    const CommandResult r = run_in(dir, {"--scenario", scenario});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    // every statement up to the last held; the last names no device
    EXPECT_TRUE(contains(r.err, "FAIL " + scenario +
                                    ":11: reset c\n  no device 'c' in the "
                                    "topology\n"))
        << r.out << r.err;
    expect_all_reaped(dir);
}

// `dma-unmap DEVICE.NAME` takes the window from that device's client only.
// A first copy; with target's dma0 unmapped copier's second copy (the
// descriptor at ring slot 1, 0x10000020, head 2) still works (STATUS idle,
// no error); with copier's own unmapped, reading its third descriptor fails:
// ERROR, errno 14 (EFAULT) in bits 31:16 (dmacopy.h).
TEST(SeveralDevices, DmaUnmapTakesTheWindowOfTheNamedDevice) {
    TempDir dir;
    dir.write("t.topo", "root-port rp1\nroot-port rp2\ndevice copier on rp1 server " +
                            server("dmacopy") + "\ndevice target on rp2 server " + server("regs") +
                            "\n");
    const std::string scenario =
        dir.write("t.rcs", "topology \"t.topo\"\n" + one_copy("0x10200000", "0x10300000") +
                               "read copier.bar0 0x18 4 -> expect 0 mask 0xffff0003\n"
                               "dma-unmap target.dma0\n"
                               "write mem 0x10000020 8 0x10200000\n"
                               "write mem 0x10000028 8 0x10400000\n"
                               "write mem 0x10000030 4 64\n"
                               "write mem 0x10000034 4 1\n"
                               "write mem 0x10000038 8 0\n"
                               "write copier.bar0 0x10 4 2\n"
                               "wait-irq copier.msix 0 within 1000000\n"
                               "read copier.bar0 0x18 4 -> expect 0 mask 0xffff0003\n"
                               "dma-unmap copier.dma0\n"
                               "write copier.bar0 0x10 4 3\n"
                               "read copier.bar0 0x18 4 -> expect 0x000e0002 mask 0xffff0003\n");
    const CommandResult r = run_in(dir, {"--scenario", scenario});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, "rcsim: PASS")) << r.out;
    EXPECT_TRUE(contains(r.out, "DMA 192 read from host memory / 128 written to it")) << r.out;
    expect_all_reaped(dir);
}

// The explore summary's DMA queue peak is the largest of every device's
// server: here the second device, a queue-mode dmacopy whose DMA_UNMAP
// (named: copier.dma0) crosses its copy, peaks at 40 bytes (16 of header,
// 24 of DMA_UNMAP body, as cli.CliLifecycle.DmaUnmapCrossingADmaIsExplorable
// with one device); the first, regs, prints no peak.
TEST(SeveralDevices, ExploreReportsTheQueuePeakOfAnyDevice) {
    TempDir dir;
    dir.write("t.topo", "root-port rp1\nroot-port rp2\ndevice quiet on rp1 server " +
                            server("regs") + "\ndevice copier on rp2 server \"" + kModels +
                            "/dmacopy --dma-mode queue\"\n");
    const std::string scenario =
        dir.write("t.rcs", "topology \"t.topo\"\n"
                           "write copier.bar0 0x00 4 0x10000000\n"
                           "write copier.bar0 0x04 4 0\n"
                           "write copier.bar0 0x08 4 16\n"
                           "write mem 0x10000000 8 0x10100000\n"
                           "write mem 0x10000008 8 0x10200000\n"
                           "write mem 0x10000010 4 4K\n"
                           "write mem 0x10000014 4 0\n"
                           "write mem 0x10000018 8 0\n"
                           "write copier.bar0 0x10 4 1\n"
                           "dma-unmap copier.dma0\n"
                           "drain\n"
                           "read copier.bar0 0x18 4 -> expect 0 mask 0x1\n"
                           "read quiet.bar0 0 4 -> expect 0x52435247\n"); // quiet selected last
    const CommandResult r =
        run_command({"/usr/bin/env", "TMPDIR=" + dir.path, kRcsim, "explore", "--scenario",
                     scenario, "--strategy", "random", "--runs", "4", "--out", dir.path + "/out"},
                    60000);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(contains(r.out + r.err, "server DMA queue peak: 40 bytes")) << r.out << r.err;
    expect_all_reaped(dir);
}

// A server of the set dies mid-run (the hostile server's read-eof: half a
// reply to the first BAR0 read, then gone): the read fails, the run fails
// naming that device's server, the other is stopped and reaped, no hang.
TEST(SeveralDevices, AServerOfTheSetDyingIsNamed) {
    TempDir dir;
    dir.write("t.topo", "root-port rp1\nroot-port rp2\ndevice good on rp1 server " +
                            server("regs") + "\ndevice bad on rp2 server \"" + kHostileServer +
                            " --mode read-eof --in-place --socket {socket}\"\n");
    const std::string scenario = dir.write("t.rcs", "topology \"t.topo\"\n"
                                                    "read good.bar0 0 4 -> expect 0x52435247\n"
                                                    "read bad.bar0 0 4\n"
                                                    "read good.bar0 0 4 -> expect 0x52435247\n");
    const CommandResult r = run_in(dir, {"--scenario", scenario});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.err, "FAIL " + scenario +
                                    ":3: read bad.bar0 0 4\n  the read completed "
                                    "with CA\n"))
        << r.err;
    EXPECT_TRUE(contains(r.err, "bridge: bad: server bad: disconnect main (EOF): connection lost "
                                "mid-run\n"))
        << r.err;
    expect_all_reaped(dir);
}

// The race between two devices (tests/scenarios/two_writers.rcs): under
// fifo it passes; exploring with a delay choice finds schedules where the
// first engine's copy lands last, and the failure's log replays it. The
// bytes: pattern random 2 starts 0x8c (s = 2 * 1103515245 + 12345 =
// 0x838c5e13, (s >> 16) & 0xff), random 1 starts 0xc6 (0x41c6...).
TEST(SeveralDevices, ExploreFindsTheTwoWritersRaceAndReplaysIt) {
    TempDir dir;
    const std::string scenario = kScenarios + "/two_writers.rcs";
    CommandResult r = run_in(dir, {"--scenario", scenario});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    std::vector<std::string> argv = {"/usr/bin/env",   "TMPDIR=" + dir.path,
                                     kRcsim,           "explore",
                                     "--scenario",     scenario,
                                     "--delays",       "200",
                                     "--runs",         "15",
                                     "--no-shrink",    "--out",
                                     dir.path + "/out"};
    r = run_command(argv, 60000);
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, "failures by category: data mismatch")) << r.out;
    // A log names programs: replay starts them only when told.
    r = run_command(
        {"/usr/bin/env", "TMPDIR=" + dir.path, kRcsim, "replay", dir.path + "/out/failure-1.jsonl"},
        30000);
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_TRUE(contains(r.err, "  first: 'dmacopy' '--socket' '{socket}'\n"
                                "  second: 'dmacopy' '--socket' '{socket}'\n"))
        << r.err;
    r = run_command({"/usr/bin/env", "TMPDIR=" + dir.path, kRcsim, "replay",
                     dir.path + "/out/failure-1.jsonl", "--server-from-log"},
                    30000);
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    const std::string all = r.out + r.err;
    EXPECT_TRUE(contains(all, "byte 0 (address 0x10400000): expected 0x8c, got 0xc6")) << all;
    EXPECT_TRUE(contains(all, "the run took every decision of the log")) << all;
    expect_all_reaped(dir);
}

// The log of a topology run pins the topology file and every device's
// server: a replay whose topology names another program is refused.
TEST(SeveralDevices, ReplayRefusesAChangedTopology) {
    TempDir dir;
    const std::string topo = "root-port rp1\ndevice a on rp1 server \"regs\"\n";
    dir.write("t.topo", topo);
    const std::string scenario = dir.write("t.rcs", "topology \"t.topo\"\nread a.bar0 0 4\n");
    CommandResult r = run_in(
        dir, {"--scenario", scenario, "--schedule", "fifo", "--decisions", dir.path + "/d.jsonl"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    dir.write("t.topo", "root-port rp1\ndevice a on rp1 server \"wide\"\n");
    r = run_command({"/usr/bin/env", "TMPDIR=" + dir.path, kRcsim, "replay", dir.path + "/d.jsonl",
                     "--server-from-log"},
                    30000);
    EXPECT_NE(r.exit_code, 0) << r.out << r.err;
    const std::string all = r.out + r.err;
    EXPECT_TRUE(contains(all, "topology sha256")) << all;
    EXPECT_TRUE(contains(all, "device 0 (a) server argv: log has [\"regs\", \"--socket\", "
                              "\"{socket}\"], run has [\"wide\", \"--socket\", \"{socket}\"]"))
        << all;
    EXPECT_TRUE(contains(all, "device 0 (a) server sha256: log has")) << all;
    EXPECT_EQ(r.exit_code, 2);
    expect_all_reaped(dir);
}

// Two synchronous servers each waiting inside a DMA read of the other's
// BAR (tests/scenarios/p2p_deadlock.rcs): the harness names both sides,
// ends both reads as completion timeouts (ETIMEDOUT, 110, in STATUS bits
// 31:16, which the scenario checks), and the run fails as a deadlock
// within a few thousand cycles, not at the interrupt's bound.
TEST(SeveralDevices, DeadlockAcrossServersNamesBothSides) {
    TempDir dir;
    const CommandResult r =
        run_in(dir, {"--scenario", kScenarios + "/p2p_deadlock.rcs", "--schedule", "fifo"});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    const std::string all = r.out + r.err;
    EXPECT_TRUE(contains(all, "deadlock across servers: a's server waits inside its DMA read of "
                              "b's BAR at 0xe0100028, which b's server does not answer (b owes "
                              "REGION_WRITE"))
        << all;
    EXPECT_TRUE(contains(all, "b's server waits inside its DMA read of a's BAR at 0xe0000028, "
                              "which a's server does not answer (a owes REGION_WRITE"))
        << all;
    EXPECT_TRUE(contains(all, "failure category: deadlock")) << all;
    EXPECT_TRUE(contains(all, "every statement passed, but the harness reported problems")) << all;
    expect_all_reaped(dir);
}

// What a topology does not take: INTx (the root port cannot tell several
// devices' INTA apart; gpio has INTx only, so it gets no interrupts) and a
// migration (one device only). Each a failed statement saying so.
TEST(SeveralDevices, IntxAndMigrationAreRefusedInATopology) {
    TempDir dir;
    dir.write("t.topo", "root-port rp1\ndevice g on rp1 server " + server("gpio") + "\n");
    std::string scenario =
        dir.write("a.rcs", "topology \"t.topo\"\nwait-irq g.intx 0 within 100\n");
    CommandResult r = run_in(dir, {"--scenario", scenario});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.err, "  expected an INTx interrupt, but the device was set up for no "
                                "interrupts\n"))
        << r.err;
    scenario = dir.write("b.rcs", "topology \"t.topo\"\nmigrate\n");
    r = run_in(dir, {"--scenario", scenario});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.err, "migration of a device of a topology is not supported (one "
                                "device only)"))
        << r.err;
    expect_all_reaped(dir);
}

} // namespace
