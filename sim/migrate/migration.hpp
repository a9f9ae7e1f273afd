// Live migration as a VMM does it (QEMU's vfio migration v2 with dirty
// tracking), driven from a scenario's `migrate`: the device moved to a
// second server process and host memory copied with it in dirty rounds,
// then checked page by page. The steps, in order:
//   1. the destination started and connected beside the source, put in
//      RESUMING; the source's config registers saved;
//   2. the source's migration features read (GET MIGRATION; a DMA_LOGGING
//      PROBE when a shared window is mapped); PRE_COPY where offered;
//      dirty logging started: by the device over the shared windows, by the
//      harness over its own writes (host accesses, message DMA);
//   3. round 0 copies every page in use; rounds 1..N let the device run
//      `round_cycles`, read its pre-copy data, and copy the pages the
//      device reported and the harness marked;
//   4. STOP_COPY; the DMA in flight drained; the device data read to its
//      end and written to the destination in the same chunks; the last
//      dirty pages copied; logging stopped;
//   5. the two memories compared: a page that differs was written and not
//      reported ("dirty page missed");
//   6. the source stopped and reaped, the destination attached to the link
//      in its place (Harness::adopt), then RUNNING.
// Every source command goes through the bridge and admission, so the
// scheduler orders its reply like any other message.
#pragma once

#include "harness.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace rcsim {

struct MigrationPlan {
    std::vector<std::string> dest_argv; // empty: the source's own command line
    unsigned rounds = 2;                // pre-copy rounds after the full copy
    uint64_t round_cycles = 2000;       // the device runs this long between rounds
    uint64_t max_cycles = 1000000;      // bound on each command's reply
    // Never PRE_COPY, even when offered: all device data in the stop-copy.
    bool no_pre_copy = false;
    // Bound on the device data of one phase (pre-copy round, stop-copy): a
    // device that never ends its stream is stopped here.
    uint64_t max_device_bytes = 64ull << 20;
    // The destination is expected to refuse RUNNING (a scenario pinning a
    // device that cannot resume): its refusal is the success, and it stays
    // attached, stopped.
    bool expect_running_refused = false;
};

// A page whose bytes differ between the source's and the destination's
// host memory after the stop-copy.
struct MissedPage {
    uint64_t addr = 0;            // page address
    std::string window;           // its DMA window ("" outside every window)
    bool shared = false;          // the window is fd-backed: the device reports it
    unsigned copied_in_round = 0; // the last round that copied it (0: the full copy)
    size_t first_offset = 0;      // first byte that differs, in the page
    size_t bytes_differ = 0;
    uint8_t source_byte = 0, dest_byte = 0; // at first_offset
    std::string describe() const;
};

struct MigrationReport {
    uint64_t mig_flags = 0;
    bool pre_copy = false;
    bool device_logging = false; // DMA_LOGGING over the shared windows
    unsigned rounds_done = 0;
    uint64_t device_bytes = 0; // migration data moved
    uint64_t pages_copied = 0;
    uint64_t pages_reported = 0;    // by the device's dirty reports
    std::vector<MissedPage> missed; // empty: the memories matched
    // Set when a step failed: which one, and whether the failure was a
    // process dying or a quiesce (state change) that never finished.
    std::string failed_step;
    bool destination_died = false;
    bool source_died = false;
    bool quiesce_stalled = false;
    // RUNNING on the destination: its errno when refused (0: it runs).
    int running_refused = 0;
};

// 0 when the destination runs in the source's place (report->missed may
// still name pages); a negative errno with `error` ("STEP: what") when a
// step failed: the destination is then stopped and reaped, the source left
// attached (the run fails; shutdown reaps it).
int migrate(Harness &h, const MigrationPlan &plan, MigrationReport *report, std::string *error);

} // namespace rcsim
