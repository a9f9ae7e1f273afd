#include "migration.hpp"

#include "memory_rounds.hpp"
#include "source_commands.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace rcsim {

namespace {

// One migration: the plan, both ends, the memory rounds and what was seen.
class Migration {
  public:
    Migration(Harness &h, const MigrationPlan &plan, MigrationReport *report)
        : h_(h), plan_(plan), r_(*report), src_(h, plan.max_cycles) {}

    int run(std::string *error) {
        int rc = start_destination();
        rc = rc < 0 ? rc : start_source();
        rc = rc < 0 ? rc : start_rounds();
        for (unsigned round = 1; rc == 0 && round <= plan_.rounds; ++round)
            rc = pre_copy_round(round);
        rc = rc < 0 ? rc : stop_copy();
        rc = rc < 0 ? rc : switch_over();
        if (rc < 0)
            *error = r_.failed_step + ": " + why_;
        return rc;
    }

  private:
    // The migration choice points (HarnessConfig::migration_choices): before
    // a state change and before each pre-copy round, send now or let the
    // device run a while first, so that the command meets the device at
    // another point of its work (a DMA unanswered, a doorbell in flight).
    static constexpr unsigned kMaxPostpones = 3;
    static constexpr uint64_t kPostponeCycles = 500;
    void choose_when(const std::string &what) {
        for (unsigned i = 0; i < kMaxPostpones; ++i) {
            const size_t c = h_.migration_choice(
                "migrate",
                {"send " + what + " now", "let the device run " + std::to_string(kPostponeCycles) +
                                              " cycles before " + what});
            if (c == 0)
                return;
            h_.run_cycles(kPostponeCycles);
        }
    }

    int fail(const std::string &step, int rc, const std::string &why) {
        r_.failed_step = step;
        why_ = why;
        return rc < 0 ? rc : -EIO;
    }
    // A source command failed: was it the source dying, or a command that
    // makes a device quiesce (libvfio-user: GET and SET of the device state,
    // every DEVICE_FEATURE SET) never answered by a live server?
    int source_failed(const std::string &step, int rc, const std::string &why,
                      bool quiesces = false) {
        r_.source_died = !h_.server_state().running();
        r_.quiesce_stalled = quiesces && rc == -ETIMEDOUT && !r_.source_died;
        std::string w = why;
        if (r_.source_died)
            w += " (the source server died)";
        else if (r_.quiesce_stalled)
            w += " (the source never answered a command it quiesces for: a quiesce that does "
                 "not complete)";
        return fail(step, rc, w);
    }
    int dest_failed(const std::string &step, int rc, const std::string &what) {
        const char *why = dest_.ctx ? vuc_protocol_problem(dest_.ctx) : nullptr;
        r_.destination_died =
            dest_.process && !dest_.process->wait_exit(std::chrono::milliseconds(200)).running();
        std::string w = what + ": " + strerror(-rc) + (why ? std::string(" (") + why + ")" : "") +
                        (r_.destination_died ? " (the destination server died)" : "");
        // The destination is stopped with this migration: its last words go
        // with the error (the run's report has only the source's).
        const std::string out = dest_.process ? dest_.process->captured_output(2048) : "";
        if (!out.empty())
            w += "\n  the destination's output (its end):\n" + out;
        return fail(step, rc, w);
    }

    int start_destination() {
        std::vector<std::string> argv = plan_.dest_argv;
        if (argv.empty())
            argv = h_.server_argv_template();
        if (argv.empty())
            return fail("starting the destination", -EINVAL,
                        "the source was not started by rcsim: name the destination's command");
        std::string err;
        int rc = h_.start_standby(argv, &dest_, &err);
        if (rc < 0) {
            r_.destination_died = dest_.process != nullptr;
            return fail("starting the destination", rc, err);
        }
        if ((rc = vuc_mig_get_flags(dest_.ctx, &dest_flags_)) < 0)
            return dest_failed("destination: GET MIGRATION", rc, "the destination cannot migrate");
        if ((rc = vuc_mig_set_state(dest_.ctx, VU_MIG_STATE_RUNNING, VU_MIG_STATE_RESUMING,
                                    dest_flags_)) < 0)
            return dest_failed("destination: SET RESUMING", rc, "refused");
        dest_mem_ = h_.memory().empty_copy(&err);
        if (!dest_mem_)
            return fail("destination host memory", -ENOMEM, err);
        const vuc_server_caps *a = vuc_get_server_caps(h_.client());
        const vuc_server_caps *b = vuc_get_server_caps(dest_.ctx);
        chunk_ = 1u << 20;
        if (a && a->max_data_xfer_size)
            chunk_ = std::min<uint64_t>(chunk_, a->max_data_xfer_size);
        if (b && b->max_data_xfer_size)
            chunk_ = std::min<uint64_t>(chunk_, b->max_data_xfer_size);
        return 0;
    }

    int start_source() {
        std::string err;
        int rc = h_.save_config(&saved_, &err);
        if (rc < 0)
            return source_failed("saving the source's config space", rc, err);
        if ((rc = src_.get_flags(&r_.mig_flags, &err)) < 0)
            return source_failed("source: GET MIGRATION", rc, err);
        if ((rc = src_.get_state(&state_, &err)) < 0)
            return source_failed("source: GET MIG_DEVICE_STATE", rc, err, true);
        if (state_ != VU_MIG_STATE_RUNNING)
            return fail("source: GET MIG_DEVICE_STATE", -EPROTO,
                        std::string("the source is in state ") + vuc_mig_state_name(state_) +
                            ", not RUNNING");
        for (const MemWindow &w : h_.memory().windows())
            if (w.shared && h_.dma_window_mapped(w.name))
                shared_.push_back(w);
        if (!shared_.empty()) {
            r_.device_logging = src_.probe(VU_FEATURE_DMA_LOGGING_START, VU_DEVICE_FEATURE_SET);
            if (r_.device_logging && (rc = src_.logging_start(shared_, &err)) < 0)
                return source_failed("source: DMA_LOGGING_START", rc, err, true);
        }
        r_.pre_copy = (r_.mig_flags & VU_MIGRATION_PRE_COPY) != 0 && !plan_.no_pre_copy;
        if (r_.pre_copy) {
            choose_when("SET PRE_COPY");
            if ((rc = src_.set_state(state_, VU_MIG_STATE_PRE_COPY, r_.mig_flags, &err)) < 0)
                return source_failed("source: SET PRE_COPY", rc, err, true);
            state_ = VU_MIG_STATE_PRE_COPY;
        }
        return 0;
    }

    int start_rounds() {
        rounds_ = std::make_unique<MemoryRounds>(h_.memory(), *dest_mem_);
        h_.memory().start_dirty_log();
        h_.settle_server();
        r_.pages_copied += rounds_->copy_all(0);
        return 0;
    }

    // The device's data of this phase, read until a 0-byte reply and
    // written to the destination in the same chunks.
    int move_device_data(const std::string &phase) {
        uint64_t moved = 0;
        for (;;) {
            std::vector<uint8_t> data;
            std::string err;
            int rc = src_.read_data(uint32_t(chunk_), &data, &err);
            if (rc < 0)
                return source_failed(phase + ": source MIG_DATA_READ", rc, err);
            if (data.empty())
                return 0;
            moved += data.size();
            r_.device_bytes += data.size();
            if (moved > plan_.max_device_bytes)
                return fail(phase + ": source MIG_DATA_READ", -EMSGSIZE,
                            "the device sent more than " + std::to_string(plan_.max_device_bytes) +
                                " bytes of migration data without ending it");
            rc = vuc_mig_data_write(dest_.ctx, data.data(), uint32_t(data.size()));
            if (rc < 0)
                return dest_failed(phase + ": destination MIG_DATA_WRITE", rc,
                                   std::to_string(data.size()) + " bytes refused");
        }
    }

    // The pages written since the last take: by the device (its report, or
    // every page of a shared window when it cannot log) and by the harness.
    int dirty_pages(const std::string &phase, std::set<uint64_t> *pages) {
        for (const MemWindow &w : shared_) {
            if (!r_.device_logging) {
                for (uint64_t a = w.base; a < w.base + w.size; a += HostMemory::kPageSize)
                    pages->insert(a / HostMemory::kPageSize);
                continue;
            }
            std::set<uint64_t> reported;
            std::string err;
            const int rc = src_.logging_report(w, &reported, &err);
            if (rc < 0)
                return source_failed(phase + ": source DMA_LOGGING_REPORT", rc, err);
            r_.pages_reported += reported.size();
            pages->insert(reported.begin(), reported.end());
        }
        const std::set<uint64_t> own = h_.memory().take_dirty_pages();
        pages->insert(own.begin(), own.end());
        return 0;
    }

    int pre_copy_round(unsigned round) {
        const std::string phase = "pre-copy round " + std::to_string(round);
        h_.run_cycles(plan_.round_cycles);
        choose_when(phase);
        int rc = r_.pre_copy ? move_device_data(phase) : 0;
        std::set<uint64_t> pages;
        rc = rc < 0 ? rc : dirty_pages(phase, &pages);
        if (rc < 0)
            return rc;
        h_.settle_server();
        r_.pages_copied += rounds_->copy(pages, round);
        r_.rounds_done = round;
        return 0;
    }

    int stop_copy() {
        const std::string phase = "stop-copy";
        std::string err;
        choose_when("SET STOP_COPY");
        int rc = src_.set_state(state_, VU_MIG_STATE_STOP_COPY, r_.mig_flags, &err);
        if (rc < 0)
            return source_failed("source: SET STOP_COPY", rc, err, true);
        state_ = VU_MIG_STATE_STOP_COPY;
        // Message DMA the device sent before it stopped lands first.
        h_.drain(plan_.max_cycles);
        if ((rc = move_device_data(phase)) < 0)
            return rc;
        std::set<uint64_t> pages;
        if ((rc = dirty_pages(phase, &pages)) < 0)
            return rc;
        h_.settle_server();
        r_.pages_copied += rounds_->copy(pages, plan_.rounds + 1);
        if (r_.device_logging && (rc = src_.logging_stop(&err)) < 0)
            return source_failed("source: DMA_LOGGING_STOP", rc, err, true);
        h_.memory().stop_dirty_log();
        r_.missed = rounds_->compare();
        return 0;
    }

    int switch_over() {
        std::string err;
        rounds_.reset();
        int rc = h_.adopt(std::move(dest_), std::move(dest_mem_), saved_, plan_.max_cycles, &err);
        if (rc < 0)
            return fail("attaching the destination", rc, err);
        SourceCommands dst(h_, plan_.max_cycles);
        rc = dst.set_state(VU_MIG_STATE_RESUMING, VU_MIG_STATE_RUNNING, dest_flags_, &err);
        r_.destination_died = rc < 0 && !h_.server_state().running();
        if (rc < 0 && !r_.destination_died && rc != -ETIMEDOUT && rc != -EPROTO)
            r_.running_refused = rc;
        if (plan_.expect_running_refused && r_.running_refused)
            return 0;
        if (plan_.expect_running_refused && rc == 0)
            return fail("destination: SET RUNNING", -EPROTO,
                        "the destination runs, but the scenario expects it to refuse RUNNING");
        return rc < 0 ? fail("destination: SET RUNNING", rc, err) : 0;
    }

    Harness &h_;
    const MigrationPlan &plan_;
    MigrationReport &r_;
    SourceCommands src_;
    Harness::Standby dest_;
    uint64_t dest_flags_ = 0;
    std::unique_ptr<HostMemory> dest_mem_;
    std::unique_ptr<MemoryRounds> rounds_;
    Harness::SavedConfig saved_;
    std::vector<MemWindow> shared_;
    uint32_t state_ = VU_MIG_STATE_RUNNING;
    uint64_t chunk_ = 4096;
    std::string why_;
};

} // namespace

int migrate(Harness &h, const MigrationPlan &plan, MigrationReport *report, std::string *error) {
    *report = MigrationReport{};
    Migration m(h, plan, report);
    const int rc = m.run(error);
    if (h.memory().dirty_logging())
        h.memory().stop_dirty_log();
    return rc;
}

} // namespace rcsim
