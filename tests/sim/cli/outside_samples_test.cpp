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

rcsim::test::CommandResult run_sample(const std::string &binary, const std::string &scenario) {
    return run_command({kRcsim, "run", "--server", binary + " {socket}", "--scenario",
                        kScenarios + "/" + scenario});
}

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
