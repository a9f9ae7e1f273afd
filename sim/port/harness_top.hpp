// The top: a gated clock, reset, and the verilated root port
// (rcsim_root_port_wrap, DATA_W = RCSIM_HARNESS_W) clocked from a C++ loop.
// On every rising edge it hands the pins to an EdgeSink as plain values
// (rtl_ports.hpp) and drives what the sink returns; the root port's outputs
// depend on its registers only, so sampling before the edge and driving
// after it is safe (rtl/README.md). The clock can be gated: idle stretches
// then cost no edges at all. SystemC owns simulated time and elaborates
// once per process, so only one HarnessTop may exist.
#pragma once

#include "rtl_model.hpp"
#include "rtl_ports.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace rcsim {

class HarnessTopImpl;

class HarnessTop {
  public:
    static constexpr unsigned kDataWidth = RtlModel::kDataWidth;
    static constexpr unsigned kLanes = RtlModel::kLanes;
    static constexpr uint64_t kPeriodPs = 4000; // 250 MHz

    // Elaborates. A second call in the same process fails (-EALREADY).
    static int create(std::unique_ptr<HarnessTop> *out, std::string *error);
    ~HarnessTop();

    void set_sink(EdgeSink *sink);
    // Holds reset for `cycles` edges (then releases it).
    void reset(unsigned cycles = 4);
    // Latches `s` into the root port's runtime settings on the next edge.
    void configure(const RtlSettings &s);
    void set_annotation(uint8_t dir, uint8_t sock, uint16_t cmd, uint16_t id, uint64_t addr,
                        uint32_t len);
    void set_decision_annotation(uint32_t index);

    // Simulates n clock cycles, or fewer: when `stop` is given it is asked
    // after every edge and a true answer ends the run after that edge.
    void run(uint64_t n, const std::function<bool()> *stop = nullptr);
    // Advances simulated time by n cycles without clock edges.
    void skip(uint64_t n);

    uint64_t cycles() const; // edges simulated + cycles skipped
    uint64_t edges() const;
    uint64_t time_ps() const;
    const RtlOut &last_out() const;

    // Opens an FST of every RTL signal (call before the first run()).
    int trace_fst(const std::string &path, std::string *error);

    HarnessTop(const HarnessTop &) = delete;
    HarnessTop &operator=(const HarnessTop &) = delete;

  private:
    HarnessTop() = default;
    std::unique_ptr<HarnessTopImpl> impl_;
};

} // namespace rcsim
