// The host CPU's side of the root port: queues requests onto the host
// request port (with their write data beats), collects responses by label
// and watches the interrupt outputs (MSI/MSI-X events and INTx levels).
#pragma once

#include "rtl_ports.hpp"

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <vector>

namespace rcsim {

struct HostRequest {
    HostOp op = HostOp::MemRd;
    uint64_t addr = 0;
    unsigned len_dw = 1;
    uint8_t first_be = 0xf, last_be = 0;
    uint16_t bdf = 0, reg = 0;
    std::vector<uint32_t> data; // MemWr/CfgWr/IoWr payload DWs
};

struct HostResponse {
    HostStatus status = HostStatus::SC;
    std::vector<uint32_t> dws;
};

struct MsiEvent {
    uint64_t addr;
    uint32_t data;
    uint64_t cycle;
};

class HostPortDriver : public EdgeSink {
  public:
    explicit HostPortDriver(unsigned lanes) : lanes_(lanes) {}

    // Queues a request; returns its label (responses are looked up by it).
    // Posted writes get a label too but never a response.
    uint8_t submit(HostRequest r);
    std::optional<HostResponse> take_response(uint8_t label);
    // Requests not yet accepted by the root port (writes: data not yet sent).
    bool busy() const { return !reqs_.empty() || !wdata_.empty(); }
    size_t outstanding_reads() const { return waiting_.size(); }

    const std::vector<MsiEvent> &msi_events() const { return msi_; }
    uint8_t intx_level() const { return intx_; }
    uint64_t intx_rises(unsigned line) const { return intx_rises_[line & 3]; }

    void on_edge(const RtlOut &out, RtlIn &in) override;
    void set_cycle(uint64_t c) { cycle_ = c; }

  private:
    void accept_request();
    void take_beat(const RtlOut &out);
    void drive(RtlIn &in) const;

    unsigned lanes_;
    uint8_t next_label_ = 0;
    std::deque<std::pair<uint8_t, HostRequest>> reqs_;
    std::deque<Lanes> wdata_;
    std::map<uint8_t, bool> waiting_; // labels with a response to come
    std::map<uint8_t, HostResponse> done_;
    HostResponse cur_;
    uint8_t cur_label_ = 0;
    std::vector<MsiEvent> msi_;
    uint8_t intx_ = 0;
    uint64_t intx_rises_[4] = {0, 0, 0, 0};
    uint64_t cycle_ = 0;
};

} // namespace rcsim
