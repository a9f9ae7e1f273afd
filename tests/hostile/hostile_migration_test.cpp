// The migrating hostile device (the mig-* modes of hostile_server) against
// the client library in this process: a source walk (RUNNING -> PRE_COPY ->
// STOP_COPY, its state read out, STOP) and a destination walk (RESUMING,
// the state written, RUNNING), as a VMM does them. Each broken mode must end
// its walk at the step it breaks, with the errno and the problem text
// written here by hand (issue 17, "Bad input"; client/README.md's rules):
// -EPROTO for a breach, the server's errno for an error reply, -ETIMEDOUT
// for a stall, -ECONNRESET for a death. No hang past the wall bound, no fd
// left open, the server ended and reaped (its exit status checked).
#include "hostile_runner.hpp"

#include <vfio_user/client.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace {

// Where a walk stopped: the step's name and its result (0: all steps done).
struct Stop {
    std::string step;
    int rc = 0;
};

constexpr uint64_t kMigFlags = VU_MIGRATION_STOP_COPY | VU_MIGRATION_PRE_COPY;
// The bound a caller of vuc_mig_data_drain chooses for the device's data.
constexpr size_t kDrainCap = 4096;

// Runs the steps in order; the first that fails is where the walk stops.
struct Walk {
    vuc_ctx *ctx;
    Stop stop;
    bool go(const char *step, int rc) {
        if (rc == 0)
            return true;
        stop = {step, rc};
        return false;
    }
    bool state_is(const char *step, uint32_t want) {
        uint32_t got = 0;
        if (!go(step, vuc_mig_get_state(ctx, &got)))
            return false;
        return go(step, got == want ? 0 : -ERANGE);
    }
};

// The source: 16 bytes of device state come out in STOP_COPY (0xa0..0xaf).
Stop source_walk(vuc_ctx *ctx, std::vector<uint8_t> *data) {
    Walk w{ctx, {}};
    uint64_t flags = 0;
    uint8_t pre[64];
    uint32_t got = 0;
    size_t total = 0;
    data->assign(kDrainCap, 0);
    bool ok =
        w.go("PROBE MIGRATION",
             vuc_feature_probe(ctx, VU_FEATURE_MIGRATION, VU_DEVICE_FEATURE_GET)) &&
        w.go("GET MIGRATION", vuc_mig_get_flags(ctx, &flags)) &&
        w.go("GET MIGRATION", flags == kMigFlags ? 0 : -ERANGE) &&
        w.state_is("GET state (initial)", VU_MIG_STATE_RUNNING) &&
        w.go("SET PRE_COPY",
             vuc_mig_set_state(ctx, VU_MIG_STATE_RUNNING, VU_MIG_STATE_PRE_COPY, flags)) &&
        w.state_is("GET state (PRE_COPY)", VU_MIG_STATE_PRE_COPY) &&
        w.go("MIG_DATA_READ (PRE_COPY)", vuc_mig_data_read(ctx, pre, sizeof pre, &got)) &&
        w.go("MIG_DATA_READ (PRE_COPY)", got == 0 ? 0 : -ERANGE) &&
        w.go("SET STOP_COPY",
             vuc_mig_set_state(ctx, VU_MIG_STATE_PRE_COPY, VU_MIG_STATE_STOP_COPY, flags)) &&
        w.state_is("GET state (STOP_COPY)", VU_MIG_STATE_STOP_COPY) &&
        w.go("MIG_DATA_READ (STOP_COPY)",
             vuc_mig_data_drain(ctx, data->data(), data->size(), &total)) &&
        w.go("SET STOP", vuc_mig_set_state(ctx, VU_MIG_STATE_STOP_COPY, VU_MIG_STATE_STOP, flags));
    data->resize(total);
    (void)ok;
    return w.stop;
}

// The destination: RUNNING -> RESUMING (through STOP), the 16 bytes, RUNNING.
Stop dest_walk(vuc_ctx *ctx) {
    Walk w{ctx, {}};
    uint64_t flags = 0;
    uint8_t state[16];
    for (unsigned i = 0; i < sizeof state; i++)
        state[i] = uint8_t(0xa0 + i);
    bool ok = w.go("GET MIGRATION", vuc_mig_get_flags(ctx, &flags)) &&
              w.go("SET RESUMING",
                   vuc_mig_set_state(ctx, VU_MIG_STATE_RUNNING, VU_MIG_STATE_RESUMING, flags)) &&
              w.go("MIG_DATA_WRITE (RESUMING)", vuc_mig_data_write(ctx, state, sizeof state)) &&
              w.go("SET RUNNING",
                   vuc_mig_set_state(ctx, VU_MIG_STATE_RESUMING, VU_MIG_STATE_RUNNING, flags)) &&
              w.state_is("GET state (RUNNING)", VU_MIG_STATE_RUNNING);
    (void)ok;
    return w.stop;
}

enum class Side { Source, Dest };

struct Result {
    int connect_rc = 0;
    Stop stop;
    std::string problem; // vuc_protocol_problem(), "" for none
    std::vector<uint8_t> data;
    long ms = 0;
    int server_status = -2;
    int fds_before = 0, fds_after = 0;
};

// Connects with a client timeout of timeout_ms, walks one side, and gives
// the server 3 s to end on its own once the client is gone.
Result migrate(const char *mode, Side side, int timeout_ms) {
    Result r;
    r.fds_before = hostile::open_fds();
    const auto t0 = std::chrono::steady_clock::now();
    hostile::with_server(
        mode,
        [&](const std::string &sock) {
            vuc_options o;
            vuc_options_init(&o);
            o.timeout_ms = timeout_ms;
            vuc_ctx *ctx = vuc_create(&o);
            if (!ctx)
                return 1;
            r.connect_rc = vuc_connect(ctx, sock.c_str());
            if (r.connect_rc == 0)
                r.connect_rc = vuc_negotiate(ctx);
            if (r.connect_rc == 0)
                r.stop = side == Side::Source ? source_walk(ctx, &r.data) : dest_walk(ctx);
            if (const char *p = vuc_protocol_problem(ctx))
                r.problem = p;
            vuc_destroy(ctx);
            return 0;
        },
        3000, &r.server_status);
    r.ms = long(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
            .count());
    r.fds_after = hostile::open_fds();
    return r;
}

struct MigCase {
    const char *mode;
    Side side;
    const char *step; // where the walk stops
    int rc;
    const char *problem; // in vuc_protocol_problem(); nullptr: none noted
    int server_status;   // 0: ended at the client's EOF; 3: the mig-die-* exit
    int timeout_ms;
};

const MigCase kMigCases[] = {
    {"mig-feature-fails", Side::Source, "GET MIGRATION", -EIO, nullptr, 0, 2000},
    {"mig-bad-state", Side::Source, "SET STOP_COPY", -EPROTO,
     "migration: asked PRE_COPY -> STOP_COPY, the device answered RUNNING", 0, 2000},
    {"mig-illegal-jump", Side::Source, "GET state (PRE_COPY)", -EPROTO,
     "migration: the device says it is in RESUMING, but the last state it reached was PRE_COPY", 0,
     2000},
    {"mig-state-bogus", Side::Source, "GET state (initial)", -EPROTO,
     "migration: the device says it is in state 9, which VFIO lacks", 0, 2000},
    // The PRE_COPY read asks 64 bytes: the first read meets the breach.
    {"mig-data-overflow", Side::Source, "MIG_DATA_READ (PRE_COPY)", -EPROTO,
     "migration: MIG_DATA_READ asked 64 bytes; the reply says size 80 and carries 80", 0, 2000},
    {"mig-data-size-lies", Side::Source, "MIG_DATA_READ (PRE_COPY)", -EPROTO,
     "migration: MIG_DATA_READ asked 64 bytes; the reply says size 16 and carries 8", 0, 2000},
    {"mig-data-excess", Side::Source, "MIG_DATA_READ (PRE_COPY)", -EPROTO,
     "migration: MIG_DATA_READ asked 64 bytes; the reply says size 16 and carries 128", 0, 2000},
    {"mig-data-endless", Side::Source, "MIG_DATA_READ (STOP_COPY)", -EFBIG,
     "migration: the device's data goes on past 4096 bytes (no read of 0 bytes ends it)", 0, 2000},
    // A 300 ms client timeout: the SET that never comes back.
    {"mig-quiesce-stall", Side::Source, "SET STOP_COPY", -ETIMEDOUT, nullptr, 0, 300},
    {"mig-die-source", Side::Source, "MIG_DATA_READ (STOP_COPY)", -ECONNRESET, nullptr, 3, 2000},
    {"mig-die-dest", Side::Dest, "MIG_DATA_WRITE (RESUMING)", -ECONNRESET, nullptr, 3, 2000},
    {"mig-write-refused", Side::Dest, "MIG_DATA_WRITE (RESUMING)", -EINVAL, nullptr, 0, 2000},
};

void PrintTo(const MigCase &c, std::ostream *os) {
    *os << c.mode;
}

std::string mig_case_name(const ::testing::TestParamInfo<MigCase> &i) {
    std::string n = i.param.mode;
    for (char &ch : n)
        if (ch == '-')
            ch = '_';
    return n;
}

// No walk may take longer than this (the longest wait is a 2 s client
// timeout that a correct outcome never reaches).
constexpr long kWallMs = 5000;

void expect_clean_end(const Result &r, int server_status, const std::string &what) {
    EXPECT_LT(r.ms, kWallMs) << what << ": past the wall bound";
    EXPECT_EQ(r.fds_after, r.fds_before) << what << ": fds leaked";
    EXPECT_EQ(r.server_status, server_status) << what << ": server status (-1: had to be killed)";
}

class MigrationModes : public ::testing::TestWithParam<MigCase> {};

TEST_P(MigrationModes, WalkStopsAtTheStepItBreaks) {
    const MigCase &c = GetParam();
    const Result r = migrate(c.mode, c.side, c.timeout_ms);
    ASSERT_EQ(r.connect_rc, 0) << c.mode;
    EXPECT_EQ(r.stop.step, c.step) << c.mode;
    EXPECT_EQ(r.stop.rc, c.rc) << c.mode << " at " << r.stop.step;
    if (c.problem)
        EXPECT_NE(r.problem.find(c.problem), std::string::npos)
            << c.mode << ": problem \"" << r.problem << "\"";
    else
        EXPECT_EQ(r.problem, "") << c.mode;
    expect_clean_end(r, c.server_status, c.mode);
}

INSTANTIATE_TEST_SUITE_P(Modes, MigrationModes, ::testing::ValuesIn(kMigCases), mig_case_name);

// The baseline: both walks end, the state read out is the device's 16 bytes.
TEST(MigrationOk, SourceHandsOverItsSixteenBytes) {
    const Result r = migrate("mig-ok", Side::Source, 2000);
    ASSERT_EQ(r.connect_rc, 0);
    EXPECT_EQ(r.stop.rc, 0) << "stopped at " << r.stop.step;
    const std::vector<uint8_t> want = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
                                       0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf};
    EXPECT_EQ(r.data, want);
    EXPECT_EQ(r.problem, "");
    expect_clean_end(r, 0, "mig-ok source");
}

TEST(MigrationOk, DestinationTakesThemAndRuns) {
    const Result r = migrate("mig-ok", Side::Dest, 2000);
    ASSERT_EQ(r.connect_rc, 0);
    EXPECT_EQ(r.stop.rc, 0) << "stopped at " << r.stop.step;
    EXPECT_EQ(r.problem, "");
    expect_clean_end(r, 0, "mig-ok dest");
}

// A device without fd-backed windows: logging starts and stops, a report is
// refused with EINVAL (libvfio-user's answer, dirty_logging seq 42-43).
TEST(MigrationOk, DirtyReportRefusedWithoutFdWindows) {
    int start = 1, report = 1, stop = 1;
    int status = -2;
    hostile::with_server(
        "mig-ok",
        [&](const std::string &sock) {
            vuc_ctx *ctx = vuc_create(nullptr);
            if (!ctx || vuc_connect(ctx, sock.c_str()) < 0 || vuc_negotiate(ctx) < 0) {
                vuc_destroy(ctx);
                return 1;
            }
            const vu_dma_logging_range range = {0x10000000, 0x10000};
            uint8_t bitmap[2] = {0, 0};
            start = vuc_dirty_start(ctx, 4096, &range, 1);
            report = vuc_dirty_report(ctx, 0x10000000, 0x10000, 4096, bitmap, sizeof bitmap);
            stop = vuc_dirty_stop(ctx, 4096);
            vuc_destroy(ctx);
            return 0;
        },
        3000, &status);
    EXPECT_EQ(start, 0);
    EXPECT_EQ(report, -EINVAL);
    EXPECT_EQ(stop, 0);
    EXPECT_EQ(status, 0);
}

} // namespace
