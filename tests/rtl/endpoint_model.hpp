// A TLP-level PCIe endpoint for the root port's testbench. It takes the root
// port's TX beats, answers MemRd/CfgRd with completions (split, reordered,
// delayed, dropped, UR/CA or poisoned on request; IoRd/IoWr from a small
// I/O space), records writes, and
// originates its own TLPs (DMA, MSI, INTx, malformed on purpose) on the root
// port's RX port. Clocked by its owner: one tick() per cycle.
#pragma once

#include "tlp.hpp"
#include "tlp_beats.hpp"

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace rcsim::test {

// What the endpoint does with one read request it received.
enum class Reply { Normal, Drop, UR, CA, Poison };

struct EndpointConfig {
    uint16_t id = 0x0100;       // 01:00.0, completer and requester ID
    unsigned rcb = 64;          // its completions end on RCB-aligned addresses
    unsigned max_payload = 128; // largest CplD payload (MPS); = rcb for the finest split
    unsigned cpl_delay = 0;     // cycles from request to its completion
    // > 1: hold completions until this many reads are pending, then send
    // them in reverse order of the requests (across tags).
    unsigned reorder_window = 0;
    // Held completions go out anyway after this many cycles without a new
    // read (0 = hold until the window fills or flush_held()).
    unsigned reorder_flush_after = 64;
    // 1 in N cycles with tx_ready low (0 or 1 = always ready).
    unsigned tx_stall_every = 0;
};

class EndpointModel {
  public:
    EndpointModel(unsigned width_bits, EndpointConfig cfg = {});

    EndpointConfig &config() { return cfg_; }
    unsigned width() const { return width_; }
    // Per-request override of the reply, e.g. drop the read with tag 3.
    std::function<Reply(const tlp::Tlp &)> reply_policy;

    // ---- the root port's TX port, seen from the endpoint
    bool tx_ready(uint64_t cycle) const;
    void tx_beat(const tlp::Beat &beat, uint64_t cycle);

    // ---- the root port's RX port: the beat the endpoint drives, if any
    const tlp::Beat *rx_beat() const;
    void rx_beat_taken(uint64_t cycle);

    void tick(uint64_t cycle);

    // ---- originate TLPs (queued behind anything already queued)
    void send(const tlp::Tlp &t, unsigned delay = 0);
    void send_dws(const std::vector<uint32_t> &dws, unsigned delay = 0);
    void send_beats(const std::vector<tlp::Beat> &beats, unsigned delay = 0);
    // Header bytes as the spec draws them, payload bytes in address order.
    void send_wire(const std::vector<uint8_t> &bytes, size_t header_dws, unsigned delay = 0);
    uint8_t dma_read(uint64_t addr, uint32_t bytes);
    void dma_write(uint64_t addr, const std::vector<uint8_t> &data);
    void msi(uint64_t addr, uint32_t data);
    void intx(tlp::MsgCode code);
    // Sends every held completion now, in reverse order.
    void flush_held();

    // ---- what the endpoint saw
    std::vector<tlp::Tlp> received;     // every well-formed TLP from the root port
    std::vector<std::string> rx_errors; // TX-side TLPs that failed to decode
    std::vector<tlp::Tlp> mem_writes;   // MemWr received
    std::vector<tlp::Tlp> cfg_writes;   // CfgWr0 received
    std::vector<tlp::Tlp> io_writes;    // IoWr received
    std::vector<tlp::Tlp> requests;     // MemRd/CfgRd/IoRd received
    std::map<uint8_t, std::vector<tlp::Tlp>> dma_completions; // by tag
    std::vector<uint64_t> rx_eop_cycles;                      // cycle each originated TLP was taken
    std::vector<tlp::Tlp> sent; // TLPs queued as Tlp (completions, DMA, MSI, INTx)

    // Device memory behind the BARs: written bytes, else a pattern.
    uint8_t mem_byte(uint64_t addr) const;
    static uint8_t pattern_byte(uint64_t addr) { return uint8_t((addr * 7 + (addr >> 8)) ^ 0x5a); }
    uint32_t cfg_value(uint16_t bdf, uint16_t reg) const;
    static uint32_t cfg_pattern(uint16_t bdf, uint16_t reg) {
        return 0xc0000000u | uint32_t(bdf) << 12 | reg;
    }
    // I/O space: written DWs, else a pattern of the DW address.
    uint32_t io_value(uint32_t addr) const;
    static uint32_t io_pattern(uint32_t addr) { return 0x10000000u | (addr & ~3u); }
    bool idle() const { return out_.empty() && held_.empty() && pending_.empty(); }
    size_t held() const { return held_.size(); }

  private:
    struct Outgoing {
        uint64_t due;
        std::vector<tlp::Beat> beats;
    };
    struct Pending {
        uint64_t due;
        std::vector<tlp::Tlp> tlps;
    };
    void handle(const tlp::Tlp &t, uint64_t cycle);
    std::vector<tlp::Tlp> answer(const tlp::Tlp &req);
    void queue(std::vector<tlp::Tlp> tlps, uint64_t due);
    void apply_write(const tlp::Tlp &t);

    unsigned width_;
    EndpointConfig cfg_;
    uint64_t now_ = 0;
    uint64_t last_held_ = 0; // cycle the newest held completion was added
    uint8_t next_tag_ = 0;
    tlp::BeatAssembler assembler_;
    std::deque<Outgoing> out_;
    size_t out_pos_ = 0;                      // beat index within out_.front()
    std::vector<Pending> pending_;            // completions waiting for their delay
    std::vector<std::vector<tlp::Tlp>> held_; // completions held for reordering
    std::map<uint64_t, uint8_t> mem_;
    std::map<uint32_t, uint32_t> cfg_space_;
    std::map<uint32_t, uint32_t> io_space_;
};

} // namespace rcsim::test
