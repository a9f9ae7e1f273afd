// Scenarios that test a device's error paths and its lifecycle, run by
// `rcsim run` against the bundled models (sim/scenario/SCENARIOS.md,
// "Expected outcomes" and "Device lifecycle"): a completion status or a
// refused posted write stated in the scenario, and what happens when none
// is stated or the stated one does not come.
#include "run_command.hpp"
#include "test_files.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using rcsim::test::contains;
using rcsim::test::count_of;
using rcsim::test::run_command;
using rcsim::test::slurp;
using rcsim::test::TempDir;

const std::string kRcsim = RCSIM_PATH;
const std::string kModels = RCSIM_SERVER_MODELS_DIR;
const std::string kScenarios = CLI_SCENARIOS_DIR;
const std::string kFaultPeer = FAULT_PEER;

rcsim::test::CommandResult run(const std::string &server, const std::string &scenario,
                               const std::vector<std::string> &extra = {}) {
    std::vector<std::string> argv = {kRcsim, "run", "--server", server, "--scenario", scenario};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run_command(argv);
}

// ---- expected outcomes

// gpio has a conventional 256-byte config space: the server refuses an
// access at 0x100 (out of bounds, EINVAL), which the bridge completes as
// Unsupported Request (sim/bridge/README.md).
TEST(CliOutcome, ConfigAccessBeyondTheConfigSpaceExpectsUR) {
    TempDir d;
    const std::string ok = d.write("ur.rcs", "read cfg 0x100 4 -> status UR\n"
                                             "write cfg 0x100 4 0 -> status UR\n"
                                             "read cfg 0x00 2 -> status SC\n");
    auto r = run(kModels + "/gpio", ok);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;

    // Without a stated status the UR fails the statement, as before.
    const std::string plain = d.write("plain.rcs", "read cfg 0x100 4\n");
    r = run(kModels + "/gpio", plain);
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.out + r.err, "the read completed with UR")) << r.out << r.err;

    // Another status than the stated one fails, naming both.
    const std::string wrong = d.write("wrong.rcs", "read cfg 0x00 2 -> status UR\n");
    r = run(kModels + "/gpio", wrong);
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.out + r.err, "wrong.rcs:1: read cfg 0x00 2 -> status UR"))
        << r.out << r.err;
    EXPECT_TRUE(contains(r.out + r.err, "the read completed with SC, expected UR"))
        << r.out << r.err;
    const std::string wrong_write = d.write("ww.rcs", "write cfg 0x100 4 0 -> status CA\n");
    r = run(kModels + "/gpio", wrong_write);
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.out + r.err, "the write completed with UR, expected CA"))
        << r.out << r.err;
}

// dmaprobe's STATUS register (BAR0 0x18) is read-only: the server refuses
// the REGION_WRITE with EINVAL. Stated, that is the outcome the run expects.
TEST(CliOutcome, RefusedPostedWritePassesWhenExpected) {
    TempDir d;
    const std::string scen = d.write("w.rcs", "write bar0 0x18 4 1 -> refused\n"
                                              "read bar0 0x18 4\n");
    const auto r = run(kModels + "/dmaprobe", scen);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, "refused MMIO writes 1")) << r.out;
    EXPECT_FALSE(contains(r.err, "server refused a posted MMIO write")) << r.err;
}

// A refusal expected of a write the server takes (dmaprobe's DMA address
// register at 0x00 is RW) fails the statement.
TEST(CliOutcome, ExpectedRefusalThatDoesNotHappenFails) {
    TempDir d;
    const std::string scen = d.write("w.rcs", "write bar0 0x00 4 0x1000 -> refused\n");
    const auto r = run(kModels + "/dmaprobe", scen);
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.out + r.err, "w.rcs:1: write bar0 0x00 4 0x1000 -> refused"))
        << r.out << r.err;
    EXPECT_TRUE(
        contains(r.out + r.err, "expected the server to refuse the write, but it accepted it"))
        << r.out << r.err;
}

// One refusal expected does not cover another write's: the second refused
// write still fails the run with the harness's note.
TEST(CliOutcome, AnExpectedRefusalCoversOnlyItsWrite) {
    TempDir d;
    const std::string scen = d.write("w.rcs", "write bar0 0x18 4 1 -> refused\n"
                                              "write bar0 0x18 4 2\n");
    const auto r = run(kModels + "/dmaprobe", scen);
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.err, "server refused a posted MMIO write (errno 22)")) << r.err;
    EXPECT_TRUE(contains(r.out, "refused MMIO writes 2")) << r.out;
}

// BAR0 of dmaprobe is a memory BAR: its writes are posted, so a completion
// status cannot be expected of them.
TEST(CliOutcome, StatusOnAPostedWriteFailsNamingTheBarKind) {
    TempDir d;
    const std::string scen = d.write("w.rcs", "write bar0 0x00 4 1 -> status SC\n");
    const auto r = run(kModels + "/dmaprobe", scen);
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.out + r.err, "BAR0 is a memory BAR: a write to it is posted"))
        << r.out << r.err;
}

// The server closes its sockets just before the scenario's read reaches it
// (the fault peer's boundary N counts messages from VERSION): the read
// completes with Completer Abort, which the statement expects; the run
// still fails, for the lost server, not for the read.
TEST(CliOutcome, ReadFromAGoneServerExpectsCA) {
    TempDir d;
    const std::string scen = d.write("ca.rcs", "read cfg 0x00 2 -> status CA\n");
    const std::string trace = d.path + "/t.jsonl";
    auto r = run(kModels + "/regs", d.write("plain.rcs", "read cfg 0x00 2\n"), {"--trace", trace});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    const size_t messages = count_of(slurp(trace), "\"kind\":\"msg\"");
    ASSERT_GT(messages, 2u);
    const std::string at = std::to_string(messages - 2);
    const std::string server = kFaultPeer + " --fault close --at " + at + " " + kModels + "/regs";
    r = run(server, scen);
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.out + r.err, "every statement passed, but the harness reported"))
        << r.out << r.err;
    EXPECT_FALSE(contains(r.out + r.err, "the read completed with")) << r.out << r.err;
    // The same read without the stated status fails as the statement.
    r = run(server, d.write("plain2.rcs", "read cfg 0x00 2\n"));
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.out + r.err, "the read completed with CA")) << r.out << r.err;
}

// ---- device lifecycle

// regs: SCRATCH (0x100..0x1ff) is plain storage that DEVICE_RESET clears
// (server-models/README.md). The trace records the DEVICE_RESET command
// and its reply.
TEST(CliLifecycle, ResetSendsDeviceResetAndTheDeviceForgets) {
    TempDir d;
    const std::string scen = d.write("r.rcs", "write bar0 0x180 4 0xcafef00d\n"
                                              "read bar0 0x180 4 -> expect 0xcafef00d\n"
                                              "reset\n"
                                              "read bar0 0x180 4 -> expect 0\n");
    const std::string trace = d.path + "/t.jsonl";
    const auto r = run(kModels + "/regs", scen, {"--trace", trace});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    const std::string t = slurp(trace);
    EXPECT_EQ(count_of(t, "\"dir\":\"c2s\",\"cmd\":\"DEVICE_RESET\""), 1u) << t;
    EXPECT_EQ(count_of(t, "\"dir\":\"s2c\",\"cmd\":\"DEVICE_RESET\""), 1u) << t;
}

// The fault peer turns the server's reply to DEVICE_RESET (the last
// message of the run: its index is the message count less one) into an
// EIO error reply: the statement fails naming it.
TEST(CliLifecycle, ResetTheServerRefusesFails) {
    TempDir d;
    const std::string scen = d.write("r.rcs", "read cfg 0x00 2\nreset\n");
    const std::string trace = d.path + "/t.jsonl";
    auto r = run(kModels + "/regs", scen, {"--trace", trace});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    const size_t messages = count_of(slurp(trace), "\"kind\":\"msg\"");
    ASSERT_GT(messages, 2u);
    const std::string at = std::to_string(messages - 1);
    r = run(kFaultPeer + " --fault error --at " + at + " " + kModels + "/regs", scen);
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.out + r.err, "r.rcs:2: reset")) << r.out << r.err;
    EXPECT_TRUE(contains(r.out + r.err, "the server refused DEVICE_RESET: Input/output error "
                                        "(errno 5)"))
        << r.out << r.err;
}

// regs advertises FLR: Device Capabilities (PCIe capability at 0x40, so
// 0x44) is the library's 0x00008002 with bit 28 set; `reset flr` writes
// Device Control (0x48) back with bit 15 set, and the reset callback clears
// SCRATCH.
TEST(CliLifecycle, ResetFlrThroughDeviceControl) {
    TempDir d;
    const std::string scen = d.write("f.rcs", "read cfg 0x44 4 -> expect 0x10008002\n"
                                              "write bar0 0x180 4 0xcafef00d\n"
                                              "reset flr\n"
                                              "read bar0 0x180 4 -> expect 0\n"
                                              "read cfg 0x48 2 -> expect 0 mask 0x8000\n");
    const std::string trace = d.path + "/t.jsonl";
    const auto r = run(kModels + "/regs", scen, {"--trace", trace});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    const std::string t = slurp(trace);
    // Two CfgWr0 of DW 0x48 (Device Control): enumeration's MPS/MRRS and
    // the FLR; no DEVICE_RESET message: the FLR goes through config space.
    EXPECT_EQ(count_of(t, "\"type\":\"CfgWr0\",\"len_dw\":1,\"dest_id\":\"0x100\","
                          "\"reg_offset\":\"0x48\""),
              2u)
        << t;
    EXPECT_EQ(count_of(t, "\"cmd\":\"DEVICE_RESET\""), 0u);
}

// dmacopy has a PCIe capability without FLR (Device Capabilities
// 0x00008002, bit 28 clear): the statement fails naming why, and a driver's
// Initiate FLR written anyway is refused by the server (EINVAL, as
// libvfio-user) and completes as UR. dmaprobe has no PCIe capability.
TEST(CliLifecycle, ResetFlrWithoutFlrCapabilityFails) {
    TempDir d;
    const std::string scen = d.write("f.rcs", "reset flr\n");
    auto r = run(kModels + "/dmacopy", scen);
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.out + r.err,
                         "the device does not advertise Function Level Reset: Device "
                         "Capabilities (cfg 0x44) is 0x00008002, bit 28 (Function Level Reset "
                         "Capability) clear"))
        << r.out << r.err;
    const std::string raw = d.write("raw.rcs", "write cfg 0x48 2 0xa810 -> status UR\n");
    r = run(kModels + "/dmacopy", raw);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    r = run(kModels + "/dmaprobe", scen);
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.out + r.err, "the device has no PCI Express capability"))
        << r.out << r.err;
}

// The shipped dmacopy_unmap.rcs: DMA_UNMAP of dma0 right after a doorbell,
// DMA_MAP again, a second copy. The trace shows the map made at connect,
// the unmap and the map again, each answered.
TEST(CliLifecycle, DmaUnmapAndMapAppearInTheTrace) {
    TempDir d;
    const std::string trace = d.path + "/t.jsonl";
    const auto r = run(kModels + "/dmacopy", kScenarios + "/dmacopy_unmap.rcs", {"--trace", trace});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    const std::string t = slurp(trace);
    EXPECT_EQ(count_of(t, "\"dir\":\"c2s\",\"cmd\":\"DMA_UNMAP\""), 1u) << t;
    EXPECT_EQ(count_of(t, "\"dir\":\"s2c\",\"cmd\":\"DMA_UNMAP\""), 1u) << t;
    EXPECT_EQ(count_of(t, "\"dir\":\"c2s\",\"cmd\":\"DMA_MAP\""), 2u) << t;
    EXPECT_EQ(count_of(t, "\"dir\":\"s2c\",\"cmd\":\"DMA_MAP\""), 2u) << t;
    EXPECT_FALSE(contains(t, "\"error_no\"")) << "every reply a success";
}

// A shared window unmapped and mapped again goes back with its memfd, and
// the device's second copy through the mapping is right (the scenario's own
// expect-mem checks both copies).
TEST(CliLifecycle, SharedWindowIsMappedAgainWithItsFd) {
    TempDir d;
    const std::string trace = d.path + "/t.jsonl";
    const auto r = run(kModels + "/dmacopy", kScenarios + "/dmacopy_unmap.rcs",
                       {"--dma-window", "0x10000000+0x1000000:rw:fd:dma0", "--trace", trace});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    const std::string t = slurp(trace);
    EXPECT_EQ(count_of(t, "\"dir\":\"c2s\",\"cmd\":\"DMA_MAP\""), 2u) << t;
    EXPECT_EQ(count_of(t, "\"dir\":\"c2s\",\"cmd\":\"DMA_MAP\",\"cmd_num\":2,\"msg_id\":"), 2u);
    EXPECT_EQ(count_of(t, "\"cmd\":\"DMA_MAP\",\"cmd_num\":2,"), 4u);
    EXPECT_EQ(count_of(t, "\"msg_size\":48,\"nfds\":1,"), 2u) << t; // both maps: one fd
    EXPECT_EQ(count_of(t, "\"cmd\":\"DMA_READ\""), 0u) << "no DMA by messages";
}

// Names and states are checked at run time.
TEST(CliLifecycle, DmaUnmapAndMapErrors) {
    TempDir d;
    auto r = run(kModels + "/dmacopy", d.write("a.rcs", "dma-unmap dma7\n"));
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.out + r.err, "no DMA window named 'dma7' (the windows: dma0)"))
        << r.out << r.err;
    r = run(kModels + "/dmacopy", d.write("b.rcs", "dma-unmap dma0\ndma-unmap dma0\n"));
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.out + r.err, "b.rcs:2: dma-unmap dma0")) << r.out << r.err;
    EXPECT_TRUE(contains(r.out + r.err, "DMA window dma0 is not mapped")) << r.out << r.err;
    r = run(kModels + "/dmacopy", d.write("c.rcs", "dma-map dma0\n"));
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.out + r.err, "DMA window dma0 is mapped already")) << r.out << r.err;
}

// After the unmap, dmacopy's own DMA into the window fails inside the
// server (the library checks its maps, as libvfio-user does): the copy
// stops with STATUS.ERROR and EFAULT (14) in bits 31:16, no DMA command
// reaches the harness.
TEST(CliLifecycle, AfterDmaUnmapTheDeviceCannotReachTheWindow) {
    TempDir d;
    const std::string scen =
        d.write("u.rcs", "include \"" + kScenarios + "/common/dmacopy_regs.rcs\"\n" +
                             "write mem 0x10000000 8 0x10100000\n"
                             "write mem 0x10000008 8 0x10200000\n"
                             "write mem 0x10000010 4 64\n"
                             "write mem 0x10000014 4 0\n"
                             "write mem 0x10000018 8 0\n"
                             "dma-unmap dma0\n"
                             "write bar0 0x10 4 1\n"
                             "drain\n"
                             "read bar0 0x18 4 -> expect 0x000e0002\n");
    const auto r = run(kModels + "/dmacopy", scen);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, "DMA_READ 0 / DMA_WRITE 0")) << r.out;
}

// The statement's message is admitted like any other, so exploration
// reaches a DMA_UNMAP crossing the doorbell's DMA. A queue-mode dmacopy
// holds the client's commands that arrive during its DMA: its queue peaks
// at the DMA_UNMAP, 16 bytes of header and 24 of body (vfio-user
// DMA_UNMAP: argsz, flags, addr, size). With the sync client the harness
// waits for the DMA_UNMAP's reply while setting the server's DMA aside:
// a deadlock, named with the DMA_UNMAP.
TEST(CliLifecycle, DmaUnmapCrossingADmaIsExplorable) {
    TempDir d;
    auto r = run_command({kRcsim, "explore", "--server", kModels + "/dmacopy --dma-mode queue",
                          "--scenario", kScenarios + "/dmacopy_unmap.rcs", "--strategy", "random",
                          "--runs", "4", "--out", d.path + "/q"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(contains(r.out + r.err, "server DMA queue peak: 40 bytes")) << r.out << r.err;
    r = run_command({kRcsim, "explore", "--server", kModels + "/dmacopy", "--client", "sync",
                     "--scenario", kScenarios + "/dmacopy_unmap.rcs", "--strategy", "random",
                     "--runs", "2", "--out", d.path + "/s"});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.out + r.err, "failures by category: deadlock")) << r.out << r.err;
    EXPECT_TRUE(contains(r.out + r.err, "the host waits for DMA_UNMAP dma0")) << r.out << r.err;
}

} // namespace

// ---- IRQ set-up changes (SCENARIOS.md "IRQ set-up changes")

// dmacopy's ring at 0x10000000 with one 256-byte copy per descriptor, each
// asking for the completion interrupt (descriptor layout: server-models/
// README.md; 32 bytes each: src, dst, len, flags bit 0 IRQ, record).
const char kIrqRing[] = "fill 0x10100000 256 pattern byte 0x11\n"
                        "write mem 0x10000000 8 0x10100000\n"
                        "write mem 0x10000008 8 0x10200000\n"
                        "write mem 0x10000010 4 256\n"
                        "write mem 0x10000014 4 1\n"
                        "write mem 0x10000018 8 0\n";

std::string irq_scenario(TempDir &d, const std::string &name, const std::string &body) {
    return d.write(name,
                   "include \"" + kScenarios + "/common/dmacopy_regs.rcs\"\n" + kIrqRing + body);
}

// A masked MSI-X vector is not signalled (PCIe Base spec, MSI-X Vector
// Control Mask Bit): the interrupt waits as a pending bit, so a wait for
// it runs out.
TEST(CliIrqSetup, MaskedMsixVectorIsNotSignalled) {
    TempDir d;
    const std::string scen = irq_scenario(d, "m.rcs",
                                          "mask-irq msix 0\n"
                                          "write bar0 0x10 4 1\n"
                                          "poll bar0 0x20 4 until 1 within 1000000\n"
                                          "wait-irq msix 0 within 20000\n");
    const auto r = run(kModels + "/dmacopy", scen);
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.out + r.err, "m.rcs:11: wait-irq msix 0 within 20000"))
        << r.out << r.err;
    EXPECT_TRUE(contains(r.out + r.err, "expected MSI-X vector 0 within 20000 cycles, got none"))
        << r.out << r.err;
}

// Masked at the switch's capability, or a kind the device is not set up
// for: the statement fails naming why.
TEST(CliIrqSetup, MaskOfAnotherKindFailsNamingTheSetUpKind) {
    TempDir d;
    const auto r = run(kModels + "/dmacopy", irq_scenario(d, "k.rcs", "mask-irq msi 0\n"));
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.out + r.err,
                         "the device's interrupts are set up as MSI-X, not MSI (rcsim run --irq, "
                         "or switch-irq)"))
        << r.out << r.err;
}

TEST(CliIrqSetup, MaskOfAVectorBeyondTheTableFails) {
    TempDir d;
    const auto r = run(kModels + "/dmacopy", irq_scenario(d, "v.rcs", "mask-irq msix 9\n"));
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.out + r.err, "vector 9 does not exist (the device has 4)"))
        << r.out << r.err;
}

TEST(CliIrqSetup, SwitchToTheKindSetUpAlreadyFails) {
    TempDir d;
    const auto r = run(kModels + "/dmacopy", irq_scenario(d, "s.rcs", "switch-irq msix\n"));
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.out + r.err, "the device's interrupts are set up as MSI-X already"))
        << r.out << r.err;
}

// gpio has no MSI capability: a switch to MSI is refused before anything is
// disabled, and its INTx stays.
TEST(CliIrqSetup, SwitchToAKindTheDeviceLacksFails) {
    TempDir d;
    const auto r = run(kModels + "/gpio", d.write("g.rcs", "switch-irq msi\n"));
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.out + r.err, "the device has no MSI capability")) << r.out << r.err;
}

// After `switch-irq intx` a wait for MSI-X names the kind set up now, and
// the trace has the SET_IRQS that released MSI-X (count 0) and the one
// that gave INTx its eventfd.
TEST(CliIrqSetup, SwitchSendsSetIrqsThroughTheBridge) {
    TempDir d;
    const std::string trace = d.path + "/t.jsonl";
    const auto r = run(kModels + "/dmacopy",
                       irq_scenario(d, "x.rcs",
                                    "switch-irq intx\n"
                                    "write bar0 0x1c 4 1\n"
                                    "write bar0 0x10 4 1\n"
                                    "wait-irq msix 0 within 100000\n"),
                       {"--trace", trace});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(
        contains(r.out + r.err, "expected an MSI-X interrupt, but the device was set up for INTx"))
        << r.out << r.err;
    const std::string t = slurp(trace);
    // Enumeration's (MSI-X), the release of MSI-X and INTx's eventfd: three
    // commands and their three replies.
    EXPECT_EQ(count_of(t, "\"cmd\":\"SET_IRQS\""), 6u) << t;
}

// ---- DMA windows declared by the scenario (SCENARIOS.md, `dma-window`)

// The whole window shared as a memfd, declared in the scenario instead of
// on the command line: dmacopy reads its descriptor and copies through the
// mapping, so no DMA_READ/DMA_WRITE message goes out, and the data arrives.
TEST(CliDmaWindow, ScenarioDeclaresAnFdWindow) {
    TempDir d;
    const std::string scen =
        d.write("w.rcs", "dma-window 0x10000000+0x400000:rw:fd:dma0\n"
                         "include \"" +
                             kScenarios + "/common/dmacopy_regs.rcs\"\n" + kIrqRing +
                             "write bar0 0x10 4 1\n"
                             "wait-irq msix 0 within 1000000\n"
                             "expect-mem 0x10200000 256 pattern byte 0x11\n");
    const std::string trace = d.path + "/t.jsonl";
    const auto r = run(kModels + "/dmacopy", scen, {"--trace", trace});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, "DMA_READ 0 / DMA_WRITE 0")) << r.out;
    const std::string t = slurp(trace);
    EXPECT_EQ(count_of(t, "\"cmd\":\"DMA_READ\""), 0u);
    EXPECT_EQ(count_of(t, "\"dir\":\"c2s\",\"cmd\":\"DMA_MAP\""), 1u) << t;
}

TEST(CliDmaWindow, DeclaredAndGivenOnTheCommandLineIsAnError) {
    TempDir d;
    const std::string scen = d.write("w.rcs", "dma-window 0x10000000+0x10000:rw:dma0\n"
                                              "read cfg 0x00 2\n");
    const auto r = run(kModels + "/regs", scen, {"--dma-window", "0x20000000+0x10000:rw:dma1"});
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_TRUE(contains(r.err, "w.rcs:1: the scenario declares its DMA windows; --dma-window "
                                "too: give them in one place"))
        << r.err;
}

TEST(CliDmaWindow, BadDeclarationNamesItsLine) {
    TempDir d;
    const std::string scen = d.write("w.rcs", "dma-window 0x10000000+0x10000:rw:dma0\n"
                                              "dma-window 0x20000000:rw:dma1\n"
                                              "read cfg 0x00 2\n");
    const auto r = run(kModels + "/regs", scen);
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_TRUE(contains(r.err, "w.rcs:2: dma-window 0x20000000:rw:dma1: ")) << r.err;
}

// Scheduled runs fork from one harness created with the declared windows;
// each forked run gets fresh memfds for the shared ones. Were the memfd
// shared, the second run would find the first run's 0x5a bytes.
TEST(CliDmaWindow, ExploreTakesADeclarationAndEachRunOwnsItsSharedWindow) {
    TempDir d;
    const std::string scen = d.write("w.rcs", "dma-window 0x20000000+0x1000:rw:fd:shm\n"
                                              "expect-mem 0x20000000 4K pattern byte 0\n"
                                              "fill 0x20000000 4K pattern byte 0x5a\n"
                                              "read cfg 0x00 2\n");
    const auto r = run_command({kRcsim, "explore", "--server", kModels + "/regs", "--scenario",
                                scen, "--runs", "3", "--out", d.path + "/out"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, "explore: 3 runs, 0 failed, 0 could not run")) << r.out;
    // One server for every run would carry the bytes over: refused.
    const auto s =
        run_command({kRcsim, "explore", "--server", kModels + "/regs", "--scenario", scen, "--runs",
                     "2", "--reset", "device", "--out", d.path + "/out2"});
    EXPECT_EQ(s.exit_code, 2) << s.out << s.err;
    EXPECT_TRUE(contains(s.err, "--reset device keeps one server for every run")) << s.err;
}

// ---- The BAR map in the trace

// One `bar` record per assigned BAR, with its kind: gpio's I/O BAR2 at the
// I/O window's base; wide's 32-bit BAR0 at the memory window's base, its
// 4 GiB prefetchable BAR2 at the prefetchable window's, its 2 KiB ROM after
// BAR0 (server-models/README.md, sim/harness/README.md).
TEST(CliTrace, BarRecordsNameEachBarsKind) {
    TempDir d;
    const std::string gt = d.path + "/g.jsonl", wt = d.path + "/w.jsonl";
    auto r = run(kModels + "/gpio", kScenarios + "/gpio_io.rcs", {"--trace", gt});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    const std::string g = slurp(gt);
    EXPECT_EQ(count_of(g, "\"kind\":\"bar\""), 1u) << g;
    EXPECT_TRUE(
        contains(g, "\"bar\":\"bar2\",\"type\":\"io\",\"base\":\"0x1000\",\"size\":\"0x100\""));
    r = run(kModels + "/wide", kScenarios + "/wide.rcs", {"--trace", wt});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    const std::string w = slurp(wt);
    EXPECT_EQ(count_of(w, "\"kind\":\"bar\""), 3u);
    EXPECT_TRUE(contains(
        w, "\"bar\":\"bar0\",\"type\":\"mem32\",\"base\":\"0xe0000000\",\"size\":\"0x1000\""));
    EXPECT_TRUE(contains(w, "\"bar\":\"bar2\",\"type\":\"mem64-prefetchable\",\"base\":"
                            "\"0x800000000\",\"size\":\"0x100000000\""));
    EXPECT_TRUE(
        contains(w, "\"bar\":\"rom\",\"type\":\"rom\",\"base\":\"0xe0001000\",\"size\":\"0x800\""));
}
