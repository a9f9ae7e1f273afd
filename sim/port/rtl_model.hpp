// The verilated root port (rcsim_root_port_wrap, DATA_W = RCSIM_HARNESS_W)
// as a C++ object behind plain values: drive() stores an RtlIn into the
// model's inputs, sample() copies its outputs into an RtlOut, rise() and
// fall() evaluate a clock edge. No SystemC, no time: HarnessTop owns those.
// The bare-model bench drives it directly, which is what makes "harness
// overhead" a ratio one run can measure.
#pragma once

#include "rtl_ports.hpp"

#include <cstdint>
#include <memory>
#include <string>

namespace rcsim {

class RtlModelImpl;

class RtlModel {
  public:
    static constexpr unsigned kDataWidth = RCSIM_HARNESS_W;
    static constexpr unsigned kLanes = kDataWidth / 32;

    RtlModel();
    ~RtlModel();

    // Stores `in` (and reset, active low) into the model's inputs; the model
    // sees them at its next edge. Data buses are stored only while valid.
    void drive(const RtlIn &in, bool rst_n);
    // The model's outputs; data buses are copied only while valid.
    void sample(RtlOut &out) const;
    // Rising and falling clock edge, each one evaluation of the model; with
    // a trace open, each is dumped at `time_ps`.
    void rise(uint64_t time_ps);
    void fall(uint64_t time_ps);
    // Evaluates without an edge (initial blocks, inputs settling).
    void settle();

    // Opens an FST of every RTL signal under the scope "top.rtl".
    int trace_fst(const std::string &path, std::string *error);
    bool tracing() const;

    RtlModel(const RtlModel &) = delete;
    RtlModel &operator=(const RtlModel &) = delete;

  private:
    std::unique_ptr<RtlModelImpl> impl_;
};

} // namespace rcsim
