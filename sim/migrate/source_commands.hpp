// The source device's migration commands, each sent through the harness's
// bridge and admission (Harness::host_call) and its reply checked here as
// the client library checks a blocking call's: DEVICE_FEATURE (GET
// MIGRATION, SET MIG_DEVICE_STATE, PROBE and the DMA_LOGGING features) and
// MIG_DATA_READ.
#pragma once

#include "harness.hpp"

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace rcsim {

class SourceCommands {
  public:
    SourceCommands(Harness &h, uint64_t max_cycles) : h_(h), max_cycles_(max_cycles) {}

    int get_flags(uint64_t *flags, std::string *error);
    int get_state(uint32_t *state, std::string *error);
    // Whether the device offers `feature` for `ops` (VU_DEVICE_FEATURE_GET
    // and/or _SET): an error reply is "no", not a failure.
    bool probe(uint32_t feature, uint32_t ops);
    // SET MIG_DEVICE_STATE to `to` (reached from `from` by VFIO's
    // combination arcs for `flags`); the reply must name `to`.
    int set_state(uint32_t from, uint32_t to, uint64_t flags, std::string *error);
    // MIG_DATA_READ of at most `size` bytes: *data holds what came (empty at
    // the end of the data).
    int read_data(uint32_t size, std::vector<uint8_t> *data, std::string *error);
    int logging_start(const std::vector<MemWindow> &windows, std::string *error);
    int logging_stop(std::string *error);
    // The pages of `w` the device wrote since the last report (or the start).
    int logging_report(const MemWindow &w, std::set<uint64_t> *pages, std::string *error);

    static constexpr uint64_t kPageSize = 4096;

  private:
    int feature(uint32_t flags, const std::vector<uint8_t> &data, size_t reply_len,
                const std::string &what, std::vector<uint8_t> *reply, std::string *error);
    Harness &h_;
    uint64_t max_cycles_;
};

} // namespace rcsim
