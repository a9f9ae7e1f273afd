// libvfio-user's own samples, unmodified but for the `server` sample's BAR1
// size, driven by `rcsim run` through the root port (README "Testing
// libvfio-user's samples"). They are built outside this repository; each
// test reads the binary's path from the environment and skips, saying so,
// when it is unset.
#include "run_command.hpp"
#include "test_files.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

namespace {

using rcsim::test::contains;
using rcsim::test::run_command;

const std::string kRcsim = RCSIM_PATH;
const std::string kScenarios = CLI_SCENARIOS_DIR;

// "" when unset: the caller skips.
std::string sample(const char *var) {
    const char *v = std::getenv(var);
    return v ? v : "";
}

rcsim::test::CommandResult run_sample(const std::string &binary, const std::string &scenario,
                                      const std::vector<std::string> &extra = {}) {
    std::vector<std::string> argv = {
        kRcsim, "run", "--server", binary + " {socket}", "--scenario", kScenarios + "/" + scenario};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run_command(argv);
}

// One window reached by messages, then one shared by fd (the order the
// server sample relies on: its direct DMA goes to the second).
const std::vector<std::string> kTwoWindows = {"--dma-window", "0x10000000+0x10000:rw:dma0",
                                              "--dma-window", "0x20000000+0x10000:rw:fd:shm"};

} // namespace

// gpio-pci-idio-16: its registers sit in I/O BAR2; the bundled gpio model has
// the same layout, so the same scenario holds for both.
TEST(LibvfioUserSamples, GpioPinsThroughIoBar2) {
    const std::string bin = sample("RCSIM_OUTSIDE_GPIO_SERVER");
    if (bin.empty())
        GTEST_SKIP() << "set RCSIM_OUTSIDE_GPIO_SERVER to libvfio-user's gpio-pci-idio-16";
    const auto r = run_sample(bin, "gpio_io.rcs");
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, "I/O: 11 reads / 7 writes (IORd/IOWr)")) << r.out;
}

TEST(LibvfioUserSamples, ServerSampleEnumeratesAndAnswersItsIoBars) {
    const std::string bin = sample("RCSIM_LVU_SERVER");
    if (bin.empty())
        GTEST_SKIP() << "set RCSIM_LVU_SERVER to libvfio-user's server sample built with "
                        "bar1_size = 0x4000";
    const auto r = run_sample(bin, "lvu_server.rcs");
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(contains(r.err, "note: BAR1 (I/O, 0x4000 bytes) is larger than the 256 bytes"))
        << r.err;
}

// A window on a DMA socket of its own (issue 21, rcsim's own DMA_MAP flag)
// offered to real libvfio-user: it refuses the unknown flag ("bad flags",
// EINVAL), and the run stops at connect saying so.
TEST(LibvfioUserSamples, ServerSampleRefusesASocketWindow) {
    const std::string bin = sample("RCSIM_LVU_SERVER");
    if (bin.empty())
        GTEST_SKIP() << "set RCSIM_LVU_SERVER to libvfio-user's server sample built with "
                        "bar1_size = 0x4000";
    const auto r =
        run_sample(bin, "lvu_server.rcs", {"--dma-window", "0x10000000+0x10000:rw:sock:dma0"});
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_TRUE(contains(r.out + r.err, "DMA_MAP of dma0 refused: Invalid argument (a socket "
                                        "window: the server needs VU_DMA_MAP_F_RCSIM_SOCKET"))
        << r.out << r.err;
}

// The sample's timer item: SIGALRM -> INTx, then 4 KiB of DMA directly
// into the fd-backed window and 4 KiB by DMA_WRITE messages (4 x 1 KiB)
// into the other, each read back (DMA_READ 2 x 2 KiB). Its own setitimer
// cannot be armed through the root port (lvu_server_timer.rcs says why), so
// a wall-clock timer in /bin/sh sends the SIGALRM 3 s after the start.
TEST(LibvfioUserSamples, ServerSampleTimerDmaAndInterruptThroughAWallClockWait) {
    const std::string bin = sample("RCSIM_LVU_SERVER");
    if (bin.empty())
        GTEST_SKIP() << "set RCSIM_LVU_SERVER to libvfio-user's server sample built with "
                        "bar1_size = 0x4000";
    const std::string timed = "/bin/sh -c '(sleep 3; kill -ALRM $$) & exec \"$0\" \"$1\"' " + bin;
    const auto r = run_sample(timed, "lvu_server_timer.rcs", kTwoWindows);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, "DMA_READ 2 / DMA_WRITE 4, interrupts 1 injected / 1 waited for"))
        << r.out;
    EXPECT_TRUE(contains(r.out, "wall-clock waits: 1 statement(s)")) << r.out;
}

// Live migration of the sample to a second instance (issue 17): the device
// data (BAR1 + BAR0, no PRE_COPY) and both DMA windows' pages move, the
// destination is attached in the source's place, and its BAR1 answers with
// the source's byte. Its RUNNING is refused (lvu_server_migrate.rcs says
// why: a timer armed from a BAR0 no root port can write).
TEST(LibvfioUserSamples, ServerSampleMigratesToASecondInstance) {
    const std::string bin = sample("RCSIM_LVU_SERVER");
    if (bin.empty())
        GTEST_SKIP() << "set RCSIM_LVU_SERVER to libvfio-user's server sample built with "
                        "bar1_size = 0x4000";
    const auto r = run_sample(bin, "lvu_server_migrate.rcs", kTwoWindows);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, "PASS ") &&
                contains(r.out, "lvu_server_migrate.rcs (8 statements)"))
        << r.out;
}

// With PRE_COPY the sample's destination refuses the stop-copy data: a
// legal order of VFIO's protocol (every byte read, written in order) the
// sample cannot take. The failure names the step and carries the
// destination's own words.
TEST(LibvfioUserSamples, ServerSampleRefusesItsOwnPreCopyDataOnResume) {
    const std::string bin = sample("RCSIM_LVU_SERVER");
    if (bin.empty())
        GTEST_SKIP() << "set RCSIM_LVU_SERVER to libvfio-user's server sample built with "
                        "bar1_size = 0x4000";
    const auto r = run_sample(bin + " -v", "lvu_server_migrate_precopy.rcs", kTwoWindows);
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.err, "stop-copy: destination MIG_DATA_WRITE: 16392 bytes "
                                "refused: Invalid argument"))
        << r.err;
    EXPECT_TRUE(contains(r.err, "migration data partial write of size=8")) << r.err;
}

// Our own device on libvfio-user (tests/outside/lvu_dma_device.c, built
// outside the repository): copies through the fd-backed window directly
// and into the message window by DMA_WRITE.
TEST(LibvfioUserSamples, OwnDeviceDmaThroughAnFdBackedWindow) {
    const std::string bin = sample("RCSIM_LVU_DMA_DEVICE");
    if (bin.empty())
        GTEST_SKIP() << "set RCSIM_LVU_DMA_DEVICE to tests/outside/lvu_dma_device.c built against "
                        "libvfio-user (the cc line is in its header)";
    const auto r = run_sample(bin, "lvu_dma_device.rcs", kTwoWindows);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    // Only step 2's destination goes by messages: 4 KiB in one DMA_WRITE
    // (the client's max_data_xfer_size is larger).
    EXPECT_TRUE(contains(r.out, "DMA_READ 0 / DMA_WRITE 1, interrupts 3 injected / 3 waited for"))
        << r.out;
    EXPECT_TRUE(contains(r.out, "DMA 0 read from host memory / 4096 written to it")) << r.out;
}

// The null sample sets no IDs: enumeration finds no device, a setup error
// that says what it read (exit 2), not a hang and not a later UR.
TEST(LibvfioUserSamples, NullSampleIsNoDevice) {
    const std::string bin = sample("RCSIM_LVU_NULL");
    if (bin.empty())
        GTEST_SKIP() << "set RCSIM_LVU_NULL to libvfio-user's null sample";
    const auto r = run_sample(bin, "regs.rcs");
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_TRUE(contains(r.err, "no device at the configured BDF: vendor and device ID read "
                                "0x00000000"))
        << r.err;
}
