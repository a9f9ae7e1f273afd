// Serves the root port's host memory port from HostMemory: reads answered
// in order (one error beat when the range is outside the DMA windows),
// write bursts applied with their byte enables when the last beat arrives,
// one response each. Device accesses go through the windows (dma_read /
// dma_write), as the host mapped them to the server.
#pragma once

#include "host_memory.hpp"
#include "rtl_ports.hpp"

#include <cstdint>
#include <deque>
#include <functional>
#include <vector>

namespace rcsim {

class HostMemoryPort : public EdgeSink {
  public:
    // Called when a write burst's response is handed to the root port.
    using WriteDone = std::function<void(uint64_t dw_addr, unsigned len_dw, bool err)>;

    HostMemoryPort(HostMemory &mem, unsigned lanes) : mem_(mem), lanes_(lanes) {}
    void on_write_done(WriteDone fn) { write_done_ = std::move(fn); }
    bool idle() const { return reads_.empty() && wrsp_.empty() && !in_burst_; }

    void on_edge(const RtlOut &out, RtlIn &in) override;

  private:
    struct Read {
        uint64_t addr;
        unsigned len;
        unsigned beat = 0;
        bool err = false;
        std::vector<uint32_t> dws;
    };
    struct Wrsp {
        uint64_t addr;
        unsigned len;
        bool err;
    };
    void start_read(uint64_t addr, unsigned len);
    void take_write_beat(const RtlOut &out);
    bool apply_write();

    HostMemory &mem_;
    unsigned lanes_;
    WriteDone write_done_;
    std::deque<Read> reads_;
    std::deque<Wrsp> wrsp_;
    bool in_burst_ = false;
    uint64_t wr_addr_ = 0;
    unsigned wr_len_ = 0;
    uint8_t wr_fbe_ = 0, wr_lbe_ = 0;
    std::vector<uint32_t> wr_dws_;
};

} // namespace rcsim
