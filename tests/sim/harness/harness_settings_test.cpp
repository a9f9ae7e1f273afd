// The settings a decision log pins (sim/harness/run_settings.hpp): their text for
// the default configuration written by hand, a non-default configuration
// read back field for field, and every kind of bad logged value refused by
// name. No elaboration: only HarnessConfig.
#include "run_settings.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using rcsim::HarnessConfig;
using rcsim::Settings;

// The width this build's root port was verilated with (the RCSIM_HARNESS_W
// cache variable): an input of the build, not something the code computes.
const std::string kBuiltWidth = std::to_string(RCSIM_HARNESS_W);

TEST(RunSettings, TheDefaultsAsLogged) {
    const Settings want = {{"DATA_W", kBuiltWidth},
                           {"bar_access", "mapping"},
                           {"bar_window", "0xe0000000+0x10000000"},
                           {"cpl_timeout", "50000"},
                           {"device_bdf", "0x100"},
                           {"dma_windows", "0x10000000+0x1000000:rw:dma0"},
                           {"inspect_server", "yes"},
                           {"irq", "auto"},
                           {"mps", "256"},
                           {"mrrs", "512"},
                           {"msi_address", "0xfee00000"},
                           {"rcb", "64"},
                           {"twin_offered", "yes"}};
    EXPECT_EQ(rcsim::pinned_settings(HarnessConfig{}), want);
}

TEST(RunSettings, EveryPinnedFieldReadsBack) {
    HarnessConfig c;
    c.mps = 512;
    c.mrrs = 1024;
    c.rcb = 128;
    c.cpl_timeout = 100;
    c.no_twin = true;
    c.irq = rcsim::IrqPreference::Msi;
    c.device_bdf = 0x0200;
    c.dma_windows = {{0x1000, 0x2000, rcsim::MemPerm::Read, "src"},
                     {0x8000, 0x1000, rcsim::MemPerm::Write, "dst"}};
    c.bar_window_base = 0xc0000000ull;
    c.bar_window_size = 0x1000000ull;
    c.pref_window_base = 0x1000000000ull;
    c.pref_window_size = 0x400000000ull;
    c.msi_address = 0xfee01000ull;
    c.inspect_server = false;
    c.admission.delay_choices = {200, 5000};
    c.client_style = rcsim::ClientStyle::Sync;
    c.dma_choices.hold = c.dma_choices.never = true;
    c.dma_choices.hold_cycles = {700};
    c.io_window_base = 0xc000;
    c.io_window_size = 0x2000;
    c.bar_access = rcsim::BarAccess::Messages;
    c.idle_announce = false;
    const Settings logged = rcsim::pinned_settings(c);
    EXPECT_EQ(logged.at("idle_announce"), "no");
    EXPECT_EQ(logged.count("bar_access"), 0u) << "messages is what a log without it means";
    EXPECT_EQ(logged.at("io_window"), "0xc000+0x2000");
    EXPECT_EQ(logged.at("dma_windows"), "0x1000+0x2000:r:src,0x8000+0x1000:w:dst");
    EXPECT_EQ(logged.at("delay_choices"), "200,5000");
    EXPECT_EQ(logged.at("dma_choices"), "hold,never");
    EXPECT_EQ(logged.at("hold_cycles"), "700");
    EXPECT_EQ(logged.at("pref_window"), "0x1000000000+0x400000000"); // only when moved
    HarnessConfig back;
    EXPECT_TRUE(rcsim::adopt_settings(logged, &back).empty());
    EXPECT_EQ(rcsim::pinned_settings(back), logged);
    EXPECT_EQ(back.cpl_timeout, 100u);
    EXPECT_EQ(back.mps, 512u);
    EXPECT_EQ(back.io_window_base, 0xc000u);
    EXPECT_EQ(back.io_window_size, 0x2000u);
    EXPECT_TRUE(back.no_twin);
    EXPECT_EQ(back.pref_window_base, 0x1000000000ull);
    EXPECT_EQ(back.pref_window_size, 0x400000000ull);
    EXPECT_EQ(back.bar_access, rcsim::BarAccess::Messages);
    EXPECT_FALSE(back.idle_announce);
    EXPECT_TRUE(rcsim::settings_differences(logged, rcsim::pinned_settings(back)).empty());
}

// Mapped BAR areas ask region info at connect, which moves every later
// message id: a log from before them (no bar_access) replays by messages,
// one that says mapping by mapping.
TEST(RunSettings, BarAccessAbsentFromALogMeansMessages) {
    HarnessConfig c;
    ASSERT_EQ(c.bar_access, rcsim::BarAccess::Mapping);
    EXPECT_TRUE(rcsim::adopt_settings({{"mps", "256"}}, &c).empty());
    EXPECT_EQ(c.bar_access, rcsim::BarAccess::Messages);
    EXPECT_TRUE(rcsim::adopt_settings({{"bar_access", "mapping"}}, &c).empty());
    EXPECT_EQ(c.bar_access, rcsim::BarAccess::Mapping);
    EXPECT_EQ(rcsim::adopt_setting("bar_access", "messages", &c), "");
    EXPECT_EQ(c.bar_access, rcsim::BarAccess::Messages);
}

// The idle announcement is pinned only when off: a log without it (older,
// or made with it on) replays with it on, whatever the replay's own setting.
TEST(RunSettings, IdleAnnounceAbsentFromALogMeansOn) {
    HarnessConfig c;
    ASSERT_TRUE(c.idle_announce);
    c.idle_announce = false;
    EXPECT_TRUE(rcsim::adopt_settings({{"mps", "256"}}, &c).empty());
    EXPECT_TRUE(c.idle_announce);
    EXPECT_TRUE(rcsim::adopt_settings({{"idle_announce", "no"}}, &c).empty());
    EXPECT_FALSE(c.idle_announce);
}

// A shared window (fd) is pinned as BASE+SIZE:PERM:fd:NAME; a message window
// keeps the three fields older logs have, and `msg:` may say so explicitly.
TEST(RunSettings, SharedWindowsArePinnedWithTheirKind) {
    HarnessConfig c;
    rcsim::MemWindow shm{0x20000000, 0x100000, rcsim::MemPerm::ReadWrite, "shm"};
    shm.shared = true;
    c.dma_windows = {{0x10000000, 0x1000000, rcsim::MemPerm::ReadWrite, "dma0"}, shm};
    const Settings logged = rcsim::pinned_settings(c);
    EXPECT_EQ(logged.at("dma_windows"),
              "0x10000000+0x1000000:rw:dma0,0x20000000+0x100000:rw:fd:shm");
    HarnessConfig back;
    ASSERT_TRUE(rcsim::adopt_settings(logged, &back).empty());
    ASSERT_EQ(back.dma_windows.size(), 2u);
    EXPECT_FALSE(back.dma_windows[0].shared);
    EXPECT_TRUE(back.dma_windows[1].shared);
    EXPECT_EQ(back.dma_windows[1].name, "shm");
    rcsim::MemWindow w;
    EXPECT_EQ(rcsim::parse_dma_window("0x1000+0x1000:r:msg:ring", &w), "");
    EXPECT_FALSE(w.shared);
    EXPECT_EQ(w.name, "ring");
    EXPECT_EQ(w.perm, rcsim::MemPerm::Read);
    EXPECT_EQ(rcsim::parse_dma_window("0x1000+0x1000:rw", &w),
              "want BASE+SIZE:PERM[:fd|:msg|:sock]:NAME, not \"0x1000+0x1000:rw\"");
}

// A window on a DMA socket of its own (issue 21) is pinned as
// BASE+SIZE:PERM:sock:NAME and read back as such.
TEST(RunSettings, SocketWindowsArePinnedWithTheirKind) {
    HarnessConfig c;
    rcsim::MemWindow sock{0x30000000, 0x2000, rcsim::MemPerm::Write, "out"};
    sock.socket = true;
    c.dma_windows = {{0x10000000, 0x1000000, rcsim::MemPerm::ReadWrite, "dma0"}, sock};
    const Settings logged = rcsim::pinned_settings(c);
    EXPECT_EQ(logged.at("dma_windows"),
              "0x10000000+0x1000000:rw:dma0,0x30000000+0x2000:w:sock:out");
    HarnessConfig back;
    ASSERT_TRUE(rcsim::adopt_settings(logged, &back).empty());
    ASSERT_EQ(back.dma_windows.size(), 2u);
    EXPECT_FALSE(back.dma_windows[0].socket);
    EXPECT_TRUE(back.dma_windows[1].socket);
    EXPECT_FALSE(back.dma_windows[1].shared);
    EXPECT_EQ(back.dma_windows[1].name, "out");
    EXPECT_EQ(back.dma_windows[1].perm, rcsim::MemPerm::Write);
}

TEST(RunSettings, BadLoggedValuesAreRefusedByName) {
    const std::pair<const char *, const char *> bad[] = {
        {"mps", "99999"},
        {"pref_window", "0x800000000"},
        {"mps", "384"},
        {"mps", "-256"},
        {"mrrs", "64"},
        {"rcb", "32"},
        {"cpl_timeout", "0"},
        {"cpl_timeout", "4294967296"},
        {"cpl_timeout", "1e3"},
        {"twin_offered", "maybe"},
        {"client", "lazy"},
        {"irq", "nmi"},
        {"device_bdf", "0x10000"},
        {"device_bdf", "0x0"},
        {"dma_windows", "0x1000+0:rw:x"},
        {"dma_windows", "0xffffffffffffff00+0x200:rw:x"},
        {"dma_windows", "0x0+0x10:x:n"},
        {"dma_windows", "0x0+0x1000:rw:fd:a:b"},
        {"bar_window", "0xe0000000"},
        {"io_window", "0xffffff00+0x200"}, // past the 32-bit I/O space
        {"io_window", "0x1000+0"},
        {"bar_access", "mmap"},
        {"msi_address", "0xfee00001"},
        {"delay_choices", "0"},
        {"hold_cycles", "0"},
        {"dma_choices", "sometimes"},
        {"idle_announce", "on"},
        {"DATA_W", "96"}, // no build has it
        {"frobs", "1"},
    };
    for (const auto &[name, value] : bad) {
        HarnessConfig c;
        const std::vector<std::string> why = rcsim::adopt_settings({{name, value}}, &c);
        ASSERT_EQ(why.size(), 1u) << name << "=" << value;
        EXPECT_EQ(why[0].rfind(std::string(name) + ": ", 0), 0u) << why[0];
    }
}

TEST(RunSettings, DifferencesNameTheFieldAndBothValues) {
    const auto d = rcsim::settings_differences({{"cpl_timeout", "100"}, {"mps", "256"}},
                                               {{"cpl_timeout", "50000"}, {"irq", "msi"}});
    ASSERT_EQ(d.size(), 3u);
    EXPECT_EQ(d[0], "setting cpl_timeout: log has \"100\", run has \"50000\"");
    EXPECT_EQ(d[1], "setting mps: log has \"256\", run has \"(unset)\"");
    EXPECT_EQ(d[2], "setting irq: log has \"(unset)\", run has \"msi\"");
}

} // namespace
